//! Fingerprints of legitimate non-cert-manager webhook certificate patterns (RULES.md §1.8), kept as
//! data in `data/webhook-fingerprints.yaml` so that adding one is not a code change.

use regex::Regex;
use serde::Deserialize;

/// One recognised pattern: every condition must hold.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fingerprint {
    /// Identifier, shown in the info finding.
    pub id: String,
    /// The §1.8 letter (or a short name for patterns outside the table).
    #[serde(default)]
    pub pattern: String,
    /// What was recognised, for the info finding.
    pub summary: String,
    /// The conditions.
    pub when: Vec<Condition>,
}

/// A label condition.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelCondition {
    /// Label key.
    pub key: String,
    /// Value regex; absent means "the key is present".
    #[serde(default, with = "opt_regex")]
    pub value: Option<Regex>,
}

/// A Job argument condition.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobArgCondition {
    /// Image regex.
    #[serde(with = "regex_serde")]
    pub image: Regex,
    /// Exact argument; `${name}` is the object's name.
    pub arg: String,
}

/// A field condition.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldCondition {
    /// JSON pointer inside the object.
    pub pointer: String,
    /// Regex the scalar must match.
    #[serde(with = "regex_serde")]
    pub value: Regex,
}

/// One condition of a fingerprint (see the data file's header for the meaning of each).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum Condition {
    /// The object's name matches.
    Name(#[serde(with = "regex_serde")] Regex),
    /// A label on the object.
    Label(LabelCondition),
    /// A workload in the inject-ca-from-secret namespace runs with `FLAG=<secret name>`.
    InjectSecretArg(String),
    /// A Job with this image runs with this argument.
    JobArg(JobArgCondition),
    /// A backing container sets this env var.
    BackendEnv(String),
    /// A backing pod has a CSI volume of a matching driver.
    BackendCsiDriver(#[serde(with = "regex_serde")] Regex),
    /// A backing pod mounts a Secret defined without data and written by no Certificate.
    BackendMountsEmptySecret(bool),
    /// A url-based clientConfig's host matches.
    UrlHost(#[serde(with = "regex_serde")] Regex),
    /// A scalar of the object matches.
    Field(FieldCondition),
}

mod regex_serde {
    use regex::Regex;
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Regex, D::Error> {
        let s = String::deserialize(d)?;
        Regex::new(&s).map_err(serde::de::Error::custom)
    }
}

mod opt_regex {
    use regex::Regex;
    use serde::Deserializer;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Regex>, D::Error> {
        super::regex_serde::deserialize(d).map(Some)
    }
}

/// Parse a fingerprint file.
pub fn parse(text: &str) -> Result<Vec<Fingerprint>, String> {
    serde_saphyr::from_str(text).map_err(|e| e.to_string())
}

/// The built-in fingerprints.
pub fn builtin() -> Vec<Fingerprint> {
    parse(include_str!("../../data/webhook-fingerprints.yaml"))
        .expect("data/webhook-fingerprints.yaml is valid (checked by a unit test)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_fingerprints_parse_and_have_conditions() {
        let all = builtin();
        assert!(all.len() >= 10);
        assert!(
            all.iter()
                .all(|f| !f.when.is_empty() && !f.summary.is_empty())
        );
        let mut ids: Vec<_> = all.iter().map(|f| &f.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all.len(), "fingerprint IDs are unique");
    }

    #[test]
    fn bad_regex_is_an_error() {
        assert!(parse("- id: x\n  summary: y\n  when:\n    - name: '('\n").is_err());
    }
}
