//! Policies: the metadata of every rule (built-in files embedded at build time, user files from
//! `--policy DIR`), declarative check templates, the configuration file, and suppressions.

pub mod config;
pub mod meta;
pub mod suppression;
pub mod template;

pub use config::{Config, ConfigError};
pub use meta::{Policy, PolicyError, builtin_ids, builtin_policies, load_policy_dir, policy};
