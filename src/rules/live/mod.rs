//! Live checks (RULES.md §7): status and certificate contents that only a cluster (or a complete dump
//! of one) can answer.

pub mod live001;
pub mod live002;
pub mod live003;
pub mod live004;
pub mod live005;
pub mod live006;
pub mod live007;
pub mod live008;
pub mod live009;
pub mod status;
pub mod webhooks;
