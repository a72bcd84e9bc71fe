//! Declarative check templates (kube-linter style, with positions): required/forbidden annotations and
//! labels with key and value regexes, and a field value regex/enum at a path, scoped by kind,
//! namespace and label selector.

use regex::Regex;
use serde::Deserialize;

use crate::load::Node;
use crate::load::node::{escape_token, pointer};
use crate::model::Object;

/// Which objects a declarative policy applies to.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Scope {
    /// `Kind` (any group) or `group/Kind`.
    pub kinds: Vec<String>,
    /// Namespace regexes (one must match; an object without namespace is matched as "").
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// Label selector.
    #[serde(default)]
    pub label_selector: Option<LabelSelector>,
}

/// A Kubernetes label selector.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LabelSelector {
    /// Exact label values.
    #[serde(default)]
    pub match_labels: std::collections::BTreeMap<String, String>,
    /// Set-based requirements.
    #[serde(default)]
    pub match_expressions: Vec<Requirement>,
}

/// One `matchExpressions` requirement.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// Label key.
    pub key: String,
    /// `In`, `NotIn`, `Exists`, `DoesNotExist`.
    pub operator: String,
    /// Values for `In`/`NotIn`.
    #[serde(default)]
    pub values: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MetaField {
    Annotations,
    Labels,
}

#[derive(Clone, Debug)]
enum Check {
    Required {
        field: MetaField,
        key: Regex,
        value: Option<Regex>,
    },
    Forbidden {
        field: MetaField,
        key: Regex,
        value: Option<Regex>,
    },
    FieldValue {
        path: Vec<String>,
        pattern: Option<Regex>,
        enumeration: Vec<serde_json::Value>,
        required: bool,
    },
}

/// A compiled declarative check with its scope.
#[derive(Clone, Debug)]
pub struct Template {
    check: Check,
    kinds: Vec<(Option<String>, String)>,
    namespaces: Vec<Regex>,
    selector: Option<LabelSelector>,
}

/// A violation: where and what (`{key}`, `{value}`, `{path}` are available to custom messages).
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// Pointer inside the object.
    pub pointer: String,
    /// Default message.
    pub message: String,
    /// Substitutions for a custom message.
    pub vars: Vec<(&'static str, String)>,
}

fn regex(params: &serde_json::Value, key: &str) -> Result<Option<Regex>, (String, String)> {
    match params.get(key).and_then(|v| v.as_str()) {
        None => Ok(None),
        Some(s) => Regex::new(s).map(Some).map_err(|e| {
            (
                format!("/params/{key}"),
                format!("invalid regex for `{key}`: {e}"),
            )
        }),
    }
}

impl Template {
    /// Compile a template from validated params. Errors carry the pointer of the bad parameter.
    pub fn compile(
        name: &str,
        params: Option<&serde_json::Value>,
        scope: Option<&Scope>,
    ) -> Result<Template, (String, String)> {
        let null = serde_json::Value::Null;
        let params = params.unwrap_or(&null);
        let field = if name.ends_with("label") {
            MetaField::Labels
        } else {
            MetaField::Annotations
        };
        let check = match name {
            "required-annotation"
            | "required-label"
            | "forbidden-annotation"
            | "forbidden-label" => {
                let key =
                    regex(params, "key")?.ok_or(("/params".into(), "`key` is required".into()))?;
                let value = regex(params, "value")?;
                if name.starts_with("required") {
                    Check::Required { field, key, value }
                } else {
                    Check::Forbidden { field, key, value }
                }
            }
            "field-value" => {
                let path = params.get("path").and_then(|p| p.as_str()).unwrap_or("");
                Check::FieldValue {
                    path: path
                        .split('/')
                        .skip(1)
                        .map(|t| t.replace("~1", "/").replace("~0", "~"))
                        .collect(),
                    pattern: regex(params, "pattern")?,
                    enumeration: params
                        .get("enum")
                        .and_then(|e| e.as_array())
                        .cloned()
                        .unwrap_or_default(),
                    required: params
                        .get("required")
                        .and_then(|r| r.as_bool())
                        .unwrap_or(false),
                }
            }
            other => return Err(("/template".into(), format!("unknown template `{other}`"))),
        };
        let scope = scope.ok_or((
            "".to_string(),
            "a declarative policy needs a `scope`".to_string(),
        ))?;
        let kinds = scope
            .kinds
            .iter()
            .map(|k| match k.rsplit_once('/') {
                Some((g, k)) => (Some(g.to_string()), k.to_string()),
                None => (None, k.clone()),
            })
            .collect();
        let namespaces = scope
            .namespaces
            .iter()
            .enumerate()
            .map(|(i, n)| {
                Regex::new(n).map_err(|e| {
                    (
                        format!("/scope/namespaces/{i}"),
                        format!("invalid regex: {e}"),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Template {
            check,
            kinds,
            namespaces,
            selector: scope.label_selector.clone(),
        })
    }

    /// Whether the policy applies to `obj`.
    pub fn applies_to(&self, obj: &Object) -> bool {
        let kind_ok = self
            .kinds
            .iter()
            .any(|(g, k)| *k == obj.id.kind && g.as_ref().is_none_or(|g| *g == obj.group));
        let ns = obj.ns().unwrap_or("");
        let ns_ok = self.namespaces.is_empty() || self.namespaces.iter().any(|r| r.is_match(ns));
        kind_ok && ns_ok && self.selector.as_ref().is_none_or(|s| selects(s, obj))
    }

    /// The (group, kind) pairs this template needs kept in memory; `None` group = any group.
    pub fn kinds(&self) -> &[(Option<String>, String)] {
        &self.kinds
    }

    /// Evaluate on one object that [`Template::applies_to`].
    pub fn evaluate(&self, obj: &Object) -> Vec<Violation> {
        match &self.check {
            Check::Required { field, key, value } => {
                let entries = meta_entries(obj, *field);
                let keyed: Vec<_> = entries.iter().filter(|e| key.is_match(&e.key)).collect();
                let noun = noun(*field);
                if keyed.is_empty() {
                    return vec![Violation {
                        pointer: pointer(["metadata", meta_key(*field)]),
                        message: format!("missing {noun} matching `{key}`"),
                        vars: vec![("key", key.to_string())],
                    }];
                }
                let Some(value) = value else {
                    return Vec::new();
                };
                if keyed
                    .iter()
                    .any(|e| e.value.scalar_text().is_some_and(|v| value.is_match(v)))
                {
                    return Vec::new();
                }
                keyed
                    .iter()
                    .map(|e| {
                        let v = e.value.scalar_text().unwrap_or("").to_string();
                        Violation {
                            pointer: pointer(["metadata", meta_key(*field), &e.key]),
                            message: format!("{noun} `{}` = `{v}` does not match `{value}`", e.key),
                            vars: vec![("key", e.key.to_string()), ("value", v)],
                        }
                    })
                    .collect()
            }
            Check::Forbidden { field, key, value } => meta_entries(obj, *field)
                .iter()
                .filter(|e| key.is_match(&e.key))
                .filter(|e| {
                    value
                        .as_ref()
                        .is_none_or(|r| e.value.scalar_text().is_some_and(|v| r.is_match(v)))
                })
                .map(|e| {
                    let v = e.value.scalar_text().unwrap_or("").to_string();
                    Violation {
                        pointer: pointer(["metadata", meta_key(*field), &e.key]),
                        message: format!("{} `{}` is forbidden", noun(*field), e.key),
                        vars: vec![("key", e.key.to_string()), ("value", v)],
                    }
                })
                .collect(),
            Check::FieldValue {
                path,
                pattern,
                enumeration,
                required,
            } => {
                let mut found = Vec::new();
                walk(&obj.root, path, String::new(), &mut found);
                let mut out = Vec::new();
                for (ptr, node) in found {
                    let Some(node) = node else {
                        if *required {
                            out.push(Violation {
                                message: format!("`{}` is required", display_path(path)),
                                vars: vec![("path", ptr.clone())],
                                pointer: ptr,
                            });
                        }
                        continue;
                    };
                    let text = node.scalar_text().unwrap_or("").to_string();
                    let bad_pattern = pattern.as_ref().is_some_and(|p| !p.is_match(&text));
                    let bad_enum =
                        !enumeration.is_empty() && !enumeration.iter().any(|e| enum_eq(e, node));
                    if bad_pattern || bad_enum {
                        let expected = match pattern {
                            Some(p) if bad_pattern => format!("does not match `{p}`"),
                            _ => format!(
                                "is not one of {}",
                                serde_json::Value::Array(enumeration.clone())
                            ),
                        };
                        out.push(Violation {
                            message: format!("`{ptr}` = `{text}` {expected}"),
                            vars: vec![("path", ptr.clone()), ("value", text)],
                            pointer: ptr,
                        });
                    }
                }
                out
            }
        }
    }
}

fn display_path(path: &[String]) -> String {
    path.iter()
        .map(|t| format!("/{}", escape_token(t)))
        .collect()
}

fn enum_eq(e: &serde_json::Value, node: &Node) -> bool {
    match e {
        serde_json::Value::String(s) => node.scalar_text() == Some(s.as_str()),
        serde_json::Value::Bool(b) => node.as_bool() == Some(*b),
        other => node.to_json() == *other,
    }
}

/// Collect the nodes at `path` (with `*` for every list item); `None` marks a missing field, reported
/// at the pointer of the deepest existing parent.
fn walk<'a>(
    node: &'a Node,
    path: &[String],
    ptr: String,
    out: &mut Vec<(String, Option<&'a Node>)>,
) {
    let Some((first, rest)) = path.split_first() else {
        out.push((ptr, Some(node)));
        return;
    };
    if first == "*" {
        for (i, item) in node.items().iter().enumerate() {
            walk(item, rest, format!("{ptr}/{i}"), out);
        }
        return;
    }
    let child = match &node.value {
        crate::load::Value::Seq(items) => first.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => node.get(first),
    };
    match child {
        Some(c) => walk(c, rest, format!("{ptr}/{}", escape_token(first)), out),
        None => out.push((ptr, None)),
    }
}

fn meta_key(field: MetaField) -> &'static str {
    match field {
        MetaField::Annotations => "annotations",
        MetaField::Labels => "labels",
    }
}

fn noun(field: MetaField) -> &'static str {
    match field {
        MetaField::Annotations => "annotation",
        MetaField::Labels => "label",
    }
}

fn meta_entries(obj: &Object, field: MetaField) -> &[crate::load::Entry] {
    obj.root
        .path(&["metadata", meta_key(field)])
        .map_or(&[], Node::entries)
}

/// Whether a label selector selects `obj`.
pub fn selects(sel: &LabelSelector, obj: &Object) -> bool {
    sel.match_labels
        .iter()
        .all(|(k, v)| obj.label(k) == Some(v.as_str()))
        && sel.match_expressions.iter().all(|r| {
            let v = obj.label(&r.key);
            match r.operator.as_str() {
                "In" => v.is_some_and(|v| r.values.iter().any(|x| x == v)),
                "NotIn" => v.is_none_or(|v| !r.values.iter().any(|x| x == v)),
                "Exists" => v.is_some(),
                "DoesNotExist" => v.is_none(),
                _ => false,
            }
        })
}
