//! kubectl-tlscheck: lint Kubernetes manifests and clusters against the hybrid TLS architecture — ACM
//! certificates at AWS load balancers for north–south traffic, cert-manager inside the cluster.
//!
//! Data flows one way: [`load`] → [`model`] → [`engine`] (running [`rules`] and user [`policy`]
//! checks) → findings → [`report`].

pub mod bootstrap;
pub mod certs;
pub mod cluster;
pub mod engine;
pub mod load;
pub mod model;
pub mod policy;
pub mod report;
pub mod rules;
pub mod time;
