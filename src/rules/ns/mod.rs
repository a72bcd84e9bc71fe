//! North–south rules: ACM/IAM certificates and TLS settings at AWS load balancers (RULES.md §3).

pub mod ns001;
pub mod ns002;
pub mod ns003;
pub mod ns004;
pub mod ns005;
pub mod ns006;
pub mod ns007;
pub mod ns008;
pub mod ns009;

use crate::model::{IngressOwner, Inventory, ObjId};
pub use crate::rules::annotation_ptr;

/// ALB-owned Ingresses, in input order.
pub fn alb_ingresses(inv: &Inventory) -> impl Iterator<Item = ObjId> + '_ {
    inv.ingresses()
        .filter(|(_, o)| matches!(o, IngressOwner::Alb { .. }))
        .map(|(i, _)| i)
}
