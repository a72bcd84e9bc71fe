//! Policy files: one rule each (`policies/<ID>.yaml`), validated against `policies/schema.json`.

use std::path::Path;
use std::sync::OnceLock;

use serde::Deserialize;

use super::template::Template;
use crate::load::{Limits, Node, Pos, parse_stream};
use crate::rules::Severity;

include!(concat!(env!("OUT_DIR"), "/policies.rs"));

/// The JSON Schema every policy file must satisfy.
pub const SCHEMA: &str = include_str!("../../policies/schema.json");

/// A rule's metadata, and for declarative rules its check.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Policy {
    /// Rule ID.
    pub id: String,
    /// kebab-case name.
    pub name: String,
    /// Default severity.
    pub severity: Severity,
    /// `north-south`, `east-west`, `meta`, or a user category.
    pub category: String,
    /// P0 (ship first) … P2.
    #[serde(default)]
    pub priority: Option<String>,
    /// One or two sentences: what the rule finds.
    pub summary: String,
    /// Why it matters.
    #[serde(default)]
    pub rationale: String,
    /// How to fix it.
    pub remediation: String,
    /// Upstream sources.
    #[serde(default)]
    pub references: Vec<String>,
    /// Finding message of a declarative rule.
    #[serde(default)]
    pub message: Option<String>,
    /// Which objects a declarative rule applies to.
    #[serde(default)]
    pub scope: Option<super::template::Scope>,
    /// Template name of a declarative rule.
    #[serde(default)]
    pub template: Option<String>,
    /// Template parameters.
    #[serde(default)]
    pub params: Option<serde_json::Value>,
    /// The compiled check (declarative rules only).
    #[serde(skip)]
    pub check: Option<Template>,
}

/// A policy file that is not valid.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{file}:{}:{}: {message}", pos.line, pos.col)]
pub struct PolicyError {
    /// The file.
    pub file: String,
    /// Where the mistake is.
    pub pos: Pos,
    /// What is wrong.
    pub message: String,
}

fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let schema: serde_json::Value =
            serde_json::from_str(SCHEMA).expect("policies/schema.json is JSON");
        jsonschema::validator_for(&schema).expect("policies/schema.json is a valid schema")
    })
}

/// Parse and validate one policy file's text.
pub fn parse_policy(file: &str, text: &str) -> Result<Policy, Vec<PolicyError>> {
    parse(file, text, true)
}

/// Parse a policy; `validate` runs the JSON Schema (built-ins are validated by a unit test instead,
/// which keeps start-up free of schema compilation).
fn parse(file: &str, text: &str, validate: bool) -> Result<Policy, Vec<PolicyError>> {
    let err = |pos: Pos, message: String| PolicyError {
        file: file.to_string(),
        pos,
        message,
    };
    let stream = parse_stream(text, Limits::default());
    if let Some(e) = stream.errors.first() {
        return Err(vec![err(
            e.pos,
            format!("cannot parse YAML: {}", e.message),
        )]);
    }
    let [doc] = stream.documents.as_slice() else {
        return Err(vec![err(
            Pos { line: 1, col: 1 },
            "a policy file holds exactly one YAML document".into(),
        )]);
    };
    let root: &Node = &doc.root;
    let json = root.to_json();
    let errors: Vec<PolicyError> = if !validate {
        Vec::new()
    } else {
        validator()
            .iter_errors(&json)
            .map(|e| {
                let ptr = e.instance_path().to_string();
                let at = if ptr.is_empty() {
                    String::new()
                } else {
                    format!("at `{ptr}`: ")
                };
                err(root.locate(&ptr), format!("{at}{e}"))
            })
            .collect()
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut policy: Policy = serde_json::from_value(json)
        .map_err(|e| vec![err(root.pos, format!("invalid policy: {e}"))])?;
    if let Some(name) = &policy.template {
        let check = Template::compile(name, policy.params.as_ref(), policy.scope.as_ref())
            .map_err(|(ptr, m)| vec![err(root.locate(&ptr), m)])?;
        policy.check = Some(check);
    }
    Ok(policy)
}

/// One built-in policy, parsed on first use: a run that reports findings of three rules parses
/// three policy files, not all of them (start-up of a pre-commit run on one file).
fn builtin(index: usize) -> &'static Policy {
    static CACHE: [OnceLock<Policy>; BUILTIN_POLICY_COUNT] =
        [const { OnceLock::new() }; BUILTIN_POLICY_COUNT];
    CACHE[index].get_or_init(|| {
        let (name, text) = BUILTIN_POLICIES[index];
        match parse(name, text, false) {
            Ok(p) => p,
            Err(e) => panic!("built-in policy {name} is invalid (caught by unit tests): {e:?}"),
        }
    })
}

/// All built-in policies, in ID order.
pub fn builtin_policies() -> &'static [&'static Policy] {
    static P: OnceLock<Vec<&'static Policy>> = OnceLock::new();
    P.get_or_init(|| (0..BUILTIN_POLICIES.len()).map(builtin).collect())
}

/// The IDs of the built-in policies (rules and meta policies such as SUP001), without parsing them.
pub fn builtin_ids() -> impl Iterator<Item = &'static str> {
    BUILTIN_POLICIES
        .iter()
        .map(|(name, _)| name.trim_end_matches(".yaml"))
}

/// A built-in policy by ID.
pub fn policy(id: &str) -> Option<&'static Policy> {
    // File names are `<ID>.yaml`, sorted by build.rs.
    BUILTIN_POLICIES
        .binary_search_by(|(name, _)| name.trim_end_matches(".yaml").cmp(id))
        .ok()
        .map(builtin)
}

/// Load every `*.yaml`/`*.yml` policy in `dir` (sorted). Each invalid file yields its errors; the
/// valid ones are returned.
pub fn load_policy_dir(dir: &Path) -> (Vec<Policy>, Vec<PolicyError>) {
    let shown = dir.display().to_string();
    let mut names: Vec<_> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| Some(e.ok()?.path())).collect(),
        Err(e) => {
            return (
                Vec::new(),
                vec![PolicyError {
                    file: shown,
                    pos: Pos::default(),
                    message: format!("cannot read policy directory: {e}"),
                }],
            );
        }
    };
    names.retain(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")));
    names.sort();
    let mut policies = Vec::new();
    let mut errors = Vec::new();
    for path in names {
        let file = path.display().to_string();
        match std::fs::read_to_string(&path) {
            Ok(text) => match parse_policy(&file, &text) {
                Ok(p) if p.template.is_none() => errors.push(PolicyError {
                    file,
                    pos: Pos { line: 1, col: 1 },
                    message: "a user policy needs a `template` (built-in rules are code)".into(),
                }),
                Ok(p) => policies.push(p),
                Err(e) => errors.extend(e),
            },
            Err(e) => errors.push(PolicyError {
                file,
                pos: Pos::default(),
                message: format!("cannot read: {e}"),
            }),
        }
    }
    (policies, errors)
}

/// The text `explain` prints for a policy, also used for `docs/rules.md` sections.
pub fn explain_text(p: &Policy) -> String {
    let mut s = format!("{} {}\n\n", p.id, p.name);
    s.push_str(&format!(
        "Severity: {}   Category: {}",
        p.severity.as_str(),
        p.category
    ));
    if let Some(pri) = &p.priority {
        s.push_str(&format!("   Priority: {pri}"));
    }
    s.push_str(&format!("\n\n{}\n", p.summary));
    if !p.rationale.is_empty() {
        s.push_str(&format!("\nWhy: {}\n", p.rationale));
    }
    s.push_str(&format!("\nFix: {}\n", p.remediation));
    if !p.references.is_empty() {
        s.push_str("\nReferences:\n");
        for r in &p.references {
            s.push_str(&format!("  - {r}\n"));
        }
    }
    s
}

/// `docs/rules.md`: the rule index and one section per rule, generated from the policy files (a test
/// fails when the committed file is stale; `UPDATE_DOCS=1 cargo test --test docs` regenerates it).
pub fn rules_markdown() -> String {
    let mut s = String::from(
        "# Rules\n\n<!-- Generated from policies/*.yaml by `UPDATE_DOCS=1 cargo test --test docs`; do not edit. -->\n\n",
    );
    s.push_str("| ID | Name | Severity | Category | Summary |\n|---|---|---|---|---|\n");
    for p in builtin_policies() {
        s.push_str(&format!(
            "| [{id}](#{anchor}) | `{}` | {} | {} | {} |\n",
            p.name,
            p.severity.as_str(),
            p.category,
            p.summary.replace('|', "\\|"),
            id = p.id,
            anchor = format!("{}-{}", p.id, p.name).to_lowercase(),
        ));
    }
    for p in builtin_policies() {
        s.push_str(&format!("\n## {} {}\n\n", p.id, p.name));
        s.push_str(&format!(
            "**Severity:** {} · **Category:** {}",
            p.severity.as_str(),
            p.category
        ));
        if let Some(pri) = &p.priority {
            s.push_str(&format!(" · **Priority:** {pri}"));
        }
        s.push_str(&format!("\n\n{}\n", p.summary));
        if !p.rationale.is_empty() {
            s.push_str(&format!("\n**Why.** {}\n", p.rationale));
        }
        s.push_str(&format!("\n**Fix.** {}\n", p.remediation));
        s.push_str(&format!(
            "\n**Suppress** on one object: `ignore.tlscheck.io/{}: \"<reason>\"` · disable: `--ignore {}`\n",
            p.id, p.id
        ));
        if !p.references.is_empty() {
            s.push_str("\n**References:**\n\n");
            for r in &p.references {
                s.push_str(&format!("- <{r}>\n"));
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_policy_validates_against_the_schema() {
        assert!(!BUILTIN_POLICIES.is_empty());
        for (name, text) in BUILTIN_POLICIES {
            let p = parse_policy(name, text).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert_eq!(format!("{}.yaml", p.id), *name, "file name matches the ID");
        }
    }

    #[test]
    fn every_builtin_rule_has_a_policy_and_vice_versa() {
        for rule in crate::rules::builtin() {
            let p =
                policy(rule.id).unwrap_or_else(|| panic!("policies/{}.yaml is missing", rule.id));
            assert!(p.template.is_none(), "{} is code, not a template", rule.id);
        }
        for p in builtin_policies() {
            let is_rule = crate::rules::builtin().iter().any(|r| r.id == p.id);
            assert!(
                is_rule || p.category == "meta",
                "{} has no implementation",
                p.id
            );
        }
    }

    #[test]
    fn schema_errors_point_at_the_line() {
        let text =
            "id: X001\nname: Bad_Name\nseverity: fatal\ncategory: c\nsummary: s\nremediation: r\n";
        let errs = parse_policy("p.yaml", text).unwrap_err();
        let lines: Vec<u32> = errs.iter().map(|e| e.pos.line).collect();
        assert_eq!(lines, vec![2, 3], "{errs:?}");
    }
}
