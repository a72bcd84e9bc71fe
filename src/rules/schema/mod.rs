//! Validation of custom resources against the `openAPIV3Schema` of their CustomResourceDefinitions.

pub mod schema001;
