//! EW001: not implemented yet.

use crate::model::Inventory;
use crate::rules::{BuiltinRule, Finding, NS_KINDS};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "EW001",
    kinds: NS_KINDS,
    check,
};

fn check(_inv: &Inventory, _out: &mut Vec<Finding>) {}
