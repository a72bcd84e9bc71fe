//! LIVE008: not written yet.

use crate::model::{Inventory, Settings};
use crate::rules::{BuiltinRule, Finding, KindSet};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "LIVE008",
    kinds,
    check,
};

fn kinds(_: &Settings) -> Vec<KindSet> {
    Vec::new()
}

fn check(_: &Inventory, _: &mut Vec<Finding>) {}
