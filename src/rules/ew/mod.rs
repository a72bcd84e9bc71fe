//! East–west rules: in-cluster TLS that ACM cannot provide (RULES.md §4).

pub mod ew001;
