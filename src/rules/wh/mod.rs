//! Webhooks, CRD conversion and aggregated APIs: the TLS identity the kube-apiserver verifies when it
//! calls in-cluster servers (RULES.md §5).

pub mod wh001;
pub mod wh002;
pub mod wh003;
pub mod wh004;
pub mod wh005;
pub mod wh006;
pub mod wh007;
pub mod wh008;
pub mod wh009;
pub mod wh010;
