//! East–west rules: in-cluster TLS that ACM cannot provide (RULES.md §4).

pub mod ew001;
pub mod ew002;
pub mod ew003;
pub mod ew004;
pub mod ew005;
pub mod ew006;
pub mod ew007;
