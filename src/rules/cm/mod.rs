//! cert-manager hygiene: Certificates, Issuers and ingress-shim annotations (RULES.md §6).

pub mod cm001;
pub mod cm002;
pub mod cm003;
pub mod cm004;
pub mod cm005;
pub mod cm006;
pub mod cm007;
pub mod cm008;
pub mod cm009;
pub mod cm010;
pub mod duration;
