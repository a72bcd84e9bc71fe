//! Validation of custom resources against the `openAPIV3Schema` of their CustomResourceDefinitions.

pub mod convert;
pub mod schema001;
