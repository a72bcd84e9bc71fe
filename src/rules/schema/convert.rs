//! Kubernetes structural schemas (a CRD version's `openAPIV3Schema`) as JSON Schema (draft 4, the
//! dialect OpenAPI v3.0 schemas are written in: boolean `exclusiveMinimum`/`exclusiveMaximum`), with
//! the apiserver's semantics that plain JSON Schema lacks:
//!
//! * `nullable: true` → `null` is allowed too (added to `type` and `enum`).
//! * `x-kubernetes-int-or-string: true` → integer or string.
//! * Pruning (`apiextensions-apiserver/pkg/apiserver/schema/pruning`): an object with `properties`
//!   and no `additionalProperties` keeps only the fields it lists; kubectl's default strict field
//!   validation (`--validate=strict`) turns every pruned field into an "unknown field" error. So such
//!   objects get `additionalProperties: false` — except under `x-kubernetes-preserve-unknown-fields:
//!   true`, in `metadata` at the root (ObjectMeta is validated by the apiserver, not the CRD schema),
//!   inside value validations (`allOf`/`anyOf`/`oneOf`/`not` may only restate the structure), and for
//!   `apiextensions.k8s.io/v1beta1` CRDs that did not opt out of `spec.preserveUnknownFields`.
//! * The root always allows `apiVersion`, `kind` and `metadata`, as does every
//!   `x-kubernetes-embedded-resource: true` object.
//! * With the status subresource, `status` in a manifest is reset on create and update before the
//!   values are validated (`PrepareForCreate`), so only its unknown fields (pruned by the decoder
//!   before that, and rejected by strict field validation) are checked, not its values.
//! * A property with a `default` is not required: defaulting runs before validation.
//! * `x-kubernetes-list-type: set` → `uniqueItems: true` (duplicates are rejected).
//! * `format` is dropped: kube ignores unknown formats (`int32`, `int64`, …) and its known ones follow
//!   go-openapi's definitions, not JSON Schema's; rejecting a value on a format would be a guess.
//! * A `pattern` the Rust `regex` crate cannot compile (kube compiles them with Go's RE2) is dropped
//!   (and all of them, if the validator still cannot compile one).
//!
//! Null values are handled as the apiserver does before validating
//! ([`prune_nulls`], `defaulting.PruneNonNullableNullsWithoutDefaults`): a `null` map value whose
//! schema is not nullable is dropped (or defaulted), never rejected.

use serde_json::{Map, Value as J, json};

/// How to convert one CRD version's schema.
#[derive(Clone, Copy, Debug)]
pub struct ConvertOptions {
    /// Reject fields the schema does not list (apiextensions.k8s.io/v1, or v1beta1 with
    /// `preserveUnknownFields: false`).
    pub prune: bool,
    /// The version has the status subresource: `status` is not validated.
    pub status_subresource: bool,
    /// Keep `pattern`s (a pattern the validator cannot compile fails the whole schema; the rule then
    /// retries without them).
    pub patterns: bool,
}

#[derive(Clone, Copy)]
struct Ctx {
    /// In the structural part of the schema (not inside a value validation).
    structural: bool,
    /// Close objects that list their properties.
    prune: bool,
    /// Keep value validations (types, enums, required, bounds); without, only the structure is kept
    /// (for unknown fields).
    values: bool,
    /// Keep `pattern`s.
    patterns: bool,
}

/// Convert a CRD version's `openAPIV3Schema` to a JSON Schema for the whole object.
pub fn to_json_schema(schema: &J, opts: ConvertOptions) -> J {
    let ctx = Ctx {
        structural: true,
        prune: opts.prune,
        values: true,
        patterns: opts.patterns,
    };
    let mut root = convert(schema, ctx);
    let Some(m) = root.as_object_mut() else {
        return root;
    };
    let Some(props) = m.get_mut("properties").and_then(J::as_object_mut) else {
        return root;
    };
    props.insert("apiVersion".into(), json!({"type": "string"}));
    props.insert("kind".into(), json!({"type": "string"}));
    // ObjectMeta is validated by the apiserver (a malformed one is its error, not the schema's);
    // only the CRD's own constraints (name) apply, and the object is never closed.
    let mut meta = schema.pointer("/properties/metadata").map_or_else(
        || json!({}),
        |s| {
            convert(
                s,
                Ctx {
                    prune: false,
                    ..ctx
                },
            )
        },
    );
    if let Some(m) = meta.as_object_mut() {
        m.remove("type");
    }
    props.insert("metadata".into(), meta);
    if opts.status_subresource
        && let Some(status) = schema.pointer("/properties/status")
    {
        props.insert(
            "status".into(),
            convert(
                status,
                Ctx {
                    values: false,
                    ..ctx
                },
            ),
        );
    }
    root
}

fn is_true(m: &Map<String, J>, key: &str) -> bool {
    m.get(key).and_then(J::as_bool) == Some(true)
}

fn convert(schema: &J, ctx: Ctx) -> J {
    let Some(m) = schema.as_object() else {
        return schema.clone();
    };
    let nullable = ctx.structural && is_true(m, "nullable");
    let int_or_string = is_true(m, "x-kubernetes-int-or-string");
    let preserve = is_true(m, "x-kubernetes-preserve-unknown-fields");
    let embedded = is_true(m, "x-kubernetes-embedded-resource");
    let junctor = Ctx {
        structural: false,
        ..ctx
    };
    let mut out = Map::new();
    for (k, v) in m {
        if !ctx.values && !matches!(k.as_str(), "properties" | "items" | "additionalProperties") {
            continue;
        }
        match k.as_str() {
            "properties" => {
                if let Some(props) = v.as_object() {
                    let conv = props
                        .iter()
                        .map(|(name, s)| (name.clone(), convert(s, ctx)))
                        .collect();
                    out.insert(k.clone(), J::Object(conv));
                }
            }
            "items" => {
                let conv = match v {
                    J::Array(list) => J::Array(list.iter().map(|s| convert(s, ctx)).collect()),
                    s => convert(s, ctx),
                };
                out.insert(k.clone(), conv);
            }
            "additionalProperties" => {
                out.insert(k.clone(), convert(v, ctx));
            }
            "allOf" | "anyOf" | "oneOf" => {
                if let Some(list) = v.as_array().filter(|l| !l.is_empty()) {
                    let conv = list.iter().map(|s| convert(s, junctor)).collect();
                    out.insert(k.clone(), J::Array(conv));
                }
            }
            "not" => {
                out.insert(k.clone(), convert(v, junctor));
            }
            "type" if !int_or_string => {
                let ty = match (v, nullable) {
                    (J::String(t), true) => json!([t, "null"]),
                    (t, _) => t.clone(),
                };
                out.insert(k.clone(), ty);
            }
            "enum" => {
                if let Some(list) = v.as_array() {
                    let mut list = list.clone();
                    if nullable && !list.contains(&J::Null) {
                        list.push(J::Null);
                    }
                    out.insert(k.clone(), J::Array(list));
                }
            }
            "required" => {
                let props = m.get("properties").and_then(J::as_object);
                let names: Vec<J> = v
                    .as_array()
                    .map_or(&[][..], Vec::as_slice)
                    .iter()
                    .filter(|n| {
                        // Defaulting fills a missing property before validation.
                        let has_default = ctx.structural
                            && n.as_str()
                                .and_then(|n| props?.get(n))
                                .is_some_and(|p| p.get("default").is_some());
                        n.is_string() && !has_default
                    })
                    .cloned()
                    .collect();
                if !names.is_empty() {
                    out.insert(k.clone(), J::Array(names));
                }
            }
            "pattern"
                if ctx.patterns && v.as_str().is_some_and(|p| regex::Regex::new(p).is_ok()) =>
            {
                out.insert(k.clone(), v.clone());
            }
            "maximum" | "minimum" | "exclusiveMaximum" | "exclusiveMinimum" | "maxLength"
            | "minLength" | "maxItems" | "minItems" | "uniqueItems" | "multipleOf"
            | "maxProperties" | "minProperties" => {
                out.insert(k.clone(), v.clone());
            }
            // nullable, format, description, default, example, externalDocs, title, $ref (not
            // allowed in structural schemas), x-kubernetes-* (handled above or not validation).
            _ => {}
        }
    }
    if int_or_string && ctx.values {
        let ty = if nullable {
            json!(["integer", "string", "null"])
        } else {
            json!(["integer", "string"])
        };
        out.insert("type".into(), ty);
        // The usual companion `anyOf: [{type: integer}, {type: string}]` says the same again.
        if out.get("anyOf").is_some_and(is_int_or_string_any_of) {
            out.remove("anyOf");
        }
    }
    // `x-kubernetes-list-type: set` lists may not hold duplicates (apiextensions-apiserver
    // `listtype` validation: "Duplicate value").
    if ctx.structural
        && ctx.values
        && m.get("x-kubernetes-list-type").and_then(J::as_str) == Some("set")
    {
        out.insert("uniqueItems".into(), J::Bool(true));
    }
    if ctx.structural
        && embedded
        && let Some(props) = out.get_mut("properties").and_then(J::as_object_mut)
    {
        for key in ["apiVersion", "kind"] {
            props
                .entry(key)
                .or_insert_with(|| json!({"type": "string"}));
        }
        props
            .entry("metadata")
            .or_insert_with(|| json!({"type": "object"}));
    }
    if ctx.structural
        && ctx.prune
        && !preserve
        && out.contains_key("properties")
        && !out.contains_key("additionalProperties")
    {
        out.insert("additionalProperties".into(), J::Bool(false));
    }
    J::Object(out)
}

fn is_int_or_string_any_of(v: &J) -> bool {
    let Some(list) = v.as_array() else {
        return false;
    };
    let types: Vec<Option<&str>> = list
        .iter()
        .map(|s| {
            let m = s.as_object()?;
            (m.len() == 1).then(|| m.get("type")?.as_str()).flatten()
        })
        .collect();
    types.len() == 2 && types.contains(&Some("integer")) && types.contains(&Some("string"))
}

/// Drop `null` map values whose schema is not nullable, as the apiserver does before defaulting and
/// validation (`PruneNonNullableNullsWithoutDefaults`; a null with a default is replaced by the
/// default, which is valid by construction). `schema` is the CRD's own (unconverted) schema. Nulls
/// in lists and under fields the schema does not describe are kept.
pub fn prune_nulls(x: &mut J, schema: Option<&J>) {
    match x {
        J::Object(map) => {
            map.retain(|k, v| {
                let sub = field_schema(k, schema);
                if v.is_null() && sub.is_some_and(|s| !is_nullable(s)) {
                    return false;
                }
                prune_nulls(v, sub);
                true
            });
        }
        J::Array(items) => {
            let sub = schema
                .and_then(|s| s.get("items"))
                .filter(|s| s.is_object());
            for item in items {
                prune_nulls(item, sub);
            }
        }
        _ => {}
    }
}

/// Write integral floats as integers, as kubectl's YAML→JSON conversion does (Go's `encoding/json`
/// writes the float64 `2048.0` as `2048`, which the apiserver reads as an integer).
pub fn normalize_numbers(x: &mut J) {
    match x {
        J::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.2e18
            {
                *x = J::from(f as i64);
            }
        }
        J::Array(items) => items.iter_mut().for_each(normalize_numbers),
        J::Object(map) => map.values_mut().for_each(normalize_numbers),
        _ => {}
    }
}

fn is_nullable(schema: &J) -> bool {
    schema.get("nullable").and_then(J::as_bool) == Some(true)
}

fn field_schema<'a>(field: &str, schema: Option<&'a J>) -> Option<&'a J> {
    let s = schema?;
    s.get("properties")
        .and_then(|p| p.get(field))
        .or_else(|| s.get("additionalProperties").filter(|a| a.is_object()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: ConvertOptions = ConvertOptions {
        prune: true,
        status_subresource: true,
        patterns: true,
    };

    fn errors(schema: &J, instance: &J) -> Vec<String> {
        let js = to_json_schema(schema, V1);
        let v = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .should_validate_formats(false)
            .build(&js)
            .unwrap();
        let mut inst = instance.clone();
        normalize_numbers(&mut inst);
        prune_nulls(&mut inst, Some(schema));
        v.iter_errors(&inst)
            .map(|e| format!("{} {}", e.instance_path().as_str(), e))
            .collect()
    }

    fn cert_schema() -> J {
        json!({
            "type": "object",
            "required": ["spec"],
            "properties": {
                "apiVersion": {"type": "string"},
                "metadata": {"type": "object"},
                "spec": {
                    "type": "object",
                    "required": ["secretName", "issuerRef", "mode"],
                    "properties": {
                        "secretName": {"type": "string"},
                        "mode": {"type": "string", "default": "A"},
                        "dnsNames": {"type": "array", "items": {"type": "string"}},
                        "usages": {"type": "array", "items": {"type": "string"},
                                   "x-kubernetes-list-type": "set"},
                        "port": {"x-kubernetes-int-or-string": true,
                                 "anyOf": [{"type": "integer"}, {"type": "string"}]},
                        "algorithm": {"type": "string", "enum": ["RSA", "ECDSA"], "nullable": true},
                        "revisionHistoryLimit": {"type": "integer", "format": "int32"},
                        "config": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                        "issuerRef": {"type": "object", "required": ["name"],
                                      "properties": {"name": {"type": "string"}}},
                        "template": {"type": "object", "x-kubernetes-embedded-resource": true,
                                     "properties": {"spec": {"type": "object"}}},
                        "choice": {"type": "object",
                                   "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
                                   "oneOf": [{"required": ["a"]}, {"required": ["b"]}]},
                    }
                },
                "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}}
            }
        })
    }

    fn cert(spec: J) -> J {
        json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
               "metadata": {"name": "x", "labels": {"a": "b"}, "annotations": null}, "spec": spec})
    }

    #[test]
    fn valid_objects_pass() {
        let s = cert_schema();
        let ok = cert(json!({
            "secretName": "s", "issuerRef": {"name": "i"}, "dnsNames": ["a"], "port": 8080,
            "algorithm": null, "revisionHistoryLimit": 3,
            "config": {"anything": {"goes": 1}}, "labels": {"x": "y"},
            "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {}},
            "choice": {"a": "1"},
        }));
        assert_eq!(errors(&s, &ok), Vec::<String>::new());
        let ok = cert(
            json!({"secretName": "s", "issuerRef": {"name": "i"}, "port": "http",
                             "dnsNames": null}),
        );
        assert_eq!(errors(&s, &ok), Vec::<String>::new());
    }

    #[test]
    fn unknown_fields_are_rejected_but_not_in_metadata_or_status() {
        let s = cert_schema();
        let bad = cert(
            json!({"secretName": "s", "issuerRef": {"name": "i", "kind": "X"},
                              "dnsName": ["a"]}),
        );
        let mut e = errors(&s, &bad);
        e.sort();
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e[0].starts_with("/spec ") && e[0].contains("dnsName"),
            "{e:?}"
        );
        assert!(
            e[1].starts_with("/spec/issuerRef ") && e[1].contains("kind"),
            "{e:?}"
        );
        let mut other = cert(json!({"secretName": "s", "issuerRef": {"name": "i"}}));
        other["metadata"]["finalizers"] = json!(["x"]);
        // Status values are not validated (reset before validation with the status subresource)…
        other["status"] = json!({"ready": "yes"});
        assert_eq!(errors(&s, &other), Vec::<String>::new());
        other["_err"] = json!("x");
        assert_eq!(errors(&s, &other).len(), 1);
        other.as_object_mut().unwrap().remove("_err");
        // A broken `metadata` is the apiserver's to report, not the schema's.
        other["metadata"] = json!("oops");
        assert_eq!(errors(&s, &other), Vec::<String>::new());
        // … but its unknown fields are pruned (and rejected by strict validation) by the decoder.
        other["status"] = json!({"conditions": []});
        assert_eq!(errors(&s, &other).len(), 1);
    }

    #[test]
    fn types_enums_required() {
        let s = cert_schema();
        let bad = cert(json!({"secretName": 5, "issuerRef": {}, "algorithm": "rsa",
                              "port": true, "dnsNames": [null]}));
        let e = errors(&s, &bad);
        let paths: Vec<&str> = e.iter().map(|e| e.split(' ').next().unwrap()).collect();
        assert!(paths.contains(&"/spec/secretName"), "{e:?}");
        assert!(paths.contains(&"/spec/issuerRef"), "{e:?}");
        assert!(paths.contains(&"/spec/algorithm"), "{e:?}");
        assert!(paths.contains(&"/spec/port"), "{e:?}");
        // Nulls inside lists are not pruned: the apiserver rejects them.
        assert!(paths.contains(&"/spec/dnsNames/0"), "{e:?}");
        let dup = cert(json!({"secretName": "s", "issuerRef": {"name": "i"},
                              "usages": ["a", "a"], "dnsNames": ["a", "a"]}));
        assert_eq!(errors(&s, &dup).len(), 1, "sets only");
        // `mode` has a default: not required.
        assert!(!e.iter().any(|e| e.contains("mode")), "{e:?}");
        let missing = json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate"});
        assert_eq!(errors(&s, &missing).len(), 1);
    }

    #[test]
    fn conversion_shapes() {
        let js = to_json_schema(&cert_schema(), V1);
        let spec = &js["properties"]["spec"];
        assert_eq!(spec["additionalProperties"], json!(false));
        assert_eq!(spec["required"], json!(["secretName", "issuerRef"]));
        assert_eq!(
            spec["properties"]["port"],
            json!({"type": ["integer", "string"]})
        );
        assert_eq!(
            spec["properties"]["algorithm"]["type"],
            json!(["string", "null"])
        );
        assert_eq!(
            spec["properties"]["algorithm"]["enum"],
            json!(["RSA", "ECDSA", null])
        );
        assert_eq!(
            spec["properties"]["revisionHistoryLimit"],
            json!({"type": "integer"})
        );
        assert!(
            spec["properties"]["config"]
                .get("additionalProperties")
                .is_none()
        );
        assert!(spec["properties"]["labels"]["additionalProperties"].is_object());
        // Value validations are never closed.
        assert!(
            spec["properties"]["choice"]["oneOf"][0]
                .get("additionalProperties")
                .is_none()
        );
        assert!(spec["properties"]["template"]["properties"]["kind"].is_object());
        assert_eq!(
            js["properties"]["status"],
            json!({"properties": {"ready": {}}, "additionalProperties": false})
        );
        assert_eq!(js["properties"]["metadata"], json!({}));
        let legacy = to_json_schema(
            &cert_schema(),
            ConvertOptions {
                prune: false,
                status_subresource: false,
                patterns: true,
            },
        );
        assert!(
            legacy["properties"]["spec"]
                .get("additionalProperties")
                .is_none()
        );
        assert!(legacy["properties"]["status"]["properties"].is_object());
    }

    #[test]
    fn integral_floats_are_integers() {
        let s = cert_schema();
        let ok = cert(json!({"secretName": "s", "issuerRef": {"name": "i"},
                             "revisionHistoryLimit": 3.0, "port": 1e3}));
        assert_eq!(errors(&s, &ok), Vec::<String>::new());
        let bad = cert(json!({"secretName": "s", "issuerRef": {"name": "i"},
                              "revisionHistoryLimit": 2.5}));
        assert_eq!(errors(&s, &bad).len(), 1);
    }

    #[test]
    fn uncompilable_patterns_are_dropped() {
        let s = json!({"type": "object", "properties": {"a": {"type": "string", "pattern": "(?<=x)"},
                                                          "b": {"type": "string", "pattern": "^x$"}}});
        let js = to_json_schema(&s, V1);
        assert!(js["properties"]["a"].get("pattern").is_none());
        assert_eq!(js["properties"]["b"]["pattern"], json!("^x$"));
    }
}
