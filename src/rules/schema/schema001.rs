//! SCHEMA001 custom-resource-schema-violation: a custom resource does not validate against the
//! `openAPIV3Schema` of its CustomResourceDefinition, so the apiserver (or kubectl's strict field
//! validation, the default since kubectl 1.25 / GA in 1.27) rejects it. Error.
//!
//! Schemas come from the CRDs in the input and from `--crd` / config `crds:` (read for their schemas
//! only, never linted); a CRD in the input wins over one given apart. The CRD version named by the
//! object's `apiVersion` (`spec.versions[].name`; for legacy `apiextensions.k8s.io/v1beta1` CRDs also
//! `spec.version` and `spec.validation.openAPIV3Schema`) is converted to JSON Schema
//! ([`super::convert`]) and compiled once per (group, version, kind) and run, only for kinds that
//! have objects. Reported, each at the offending field:
//!
//! * unknown fields (pruned by the apiserver; rejected by `kubectl apply`'s default
//!   `--validate=strict`), with the closest allowed field by edit distance;
//! * wrong types, values outside an `enum`, missing `required` fields, and the other value
//!   validations of the schema (`minimum`, `maxLength`, `pattern`, …);
//! * an `apiVersion` whose version the CRD does not serve (`no matches for kind`), except the
//!   removed cert-manager versions that CM001 reports.
//!
//! Objects without a CRD are not validated. Values that are unrendered placeholders (`{{ }}`, `${}`,
//! `$()`, `<x>`) are not judged. Sources: apiextensions-apiserver `pkg/apiserver/schema` (pruning,
//! defaulting, `PruneNonNullableNullsWithoutDefaults`, structural schema rules); Kubernetes docs
//! "Extend the Kubernetes API with CustomResourceDefinitions" (validation, pruning, defaulting and
//! nullable, `x-kubernetes-*` extensions) and "Field validation" (strict by default).

use std::collections::{BTreeMap, HashMap};

use serde_json::Value as J;

use super::convert::{ConvertOptions, normalize_numbers, prune_nulls, to_json_schema};
use crate::load::Node;
use crate::model::{Inventory, ObjId, Object, Settings};
use crate::rules::aws::is_placeholder;
use crate::rules::{BuiltinRule, Finding, KindSet, Severity};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "SCHEMA001",
    kinds,
    check,
};

const ID: &str = "SCHEMA001";

/// CRDs, and the custom kinds whose objects are validated when a CRD for them is available.
pub const KINDS: KindSet = &[
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("cert-manager.io", "Certificate"),
    ("cert-manager.io", "CertificateRequest"),
    ("cert-manager.io", "Issuer"),
    ("cert-manager.io", "ClusterIssuer"),
    ("acme.cert-manager.io", "Order"),
    ("acme.cert-manager.io", "Challenge"),
    ("networking.istio.io", "Gateway"),
    ("networking.istio.io", "VirtualService"),
    ("networking.istio.io", "DestinationRule"),
    ("networking.istio.io", "ServiceEntry"),
    ("networking.istio.io", "Sidecar"),
    ("networking.istio.io", "EnvoyFilter"),
    ("networking.istio.io", "WorkloadEntry"),
    ("networking.istio.io", "WorkloadGroup"),
    ("networking.istio.io", "ProxyConfig"),
    ("security.istio.io", "PeerAuthentication"),
    ("security.istio.io", "AuthorizationPolicy"),
    ("security.istio.io", "RequestAuthentication"),
    ("telemetry.istio.io", "Telemetry"),
    ("install.istio.io", "IstioOperator"),
    ("trust.cert-manager.io", "Bundle"),
    ("trust-manager.io", "ClusterBundle"),
    ("awspca.cert-manager.io", "AWSPCAIssuer"),
    ("awspca.cert-manager.io", "AWSPCAClusterIssuer"),
    ("elbv2.k8s.aws", "IngressClassParams"),
    ("elbv2.k8s.aws", "TargetGroupBinding"),
    ("gateway.k8s.aws", "LoadBalancerConfiguration"),
    ("gateway.k8s.aws", "TargetGroupConfiguration"),
    ("gateway.k8s.aws", "ListenerRuleConfiguration"),
];

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![KINDS]
}

/// ObjectMeta fields, often found at the top level when `metadata:` is mis-indented.
const OBJECT_META: [&str; 7] = [
    "name",
    "generateName",
    "namespace",
    "labels",
    "annotations",
    "finalizers",
    "ownerReferences",
];

/// Most findings reported on one object (a manifest written for another version of the CRD would
/// otherwise produce one per field).
const MAX_PER_OBJECT: usize = 20;

/// `(group, kind)` a CRD defines.
pub fn crd_kind(crd: &Object) -> Option<(&str, &str)> {
    let spec = crd.spec()?;
    Some((
        spec.get("group")?.as_str()?,
        spec.path(&["names", "kind"])?.as_str()?,
    ))
}

/// One version of a CRD, as the rule uses it.
struct CrdVersion<'a> {
    crd: &'a Object,
    schema: Option<&'a Node>,
    opts: ConvertOptions,
}

/// The version of a CRD, if the CRD serves it.
fn lookup<'a>(crd: &'a Object, version: &str) -> Option<CrdVersion<'a>> {
    let spec = crd.spec()?;
    let legacy = crd.id.api_version == "apiextensions.k8s.io/v1beta1";
    let entry = spec
        .get("versions")
        .map_or(&[][..], Node::items)
        .iter()
        .find(|v| v.get("name").and_then(Node::scalar_text) == Some(version));
    let listed =
        entry.is_some() || (legacy && spec.get("version").and_then(Node::as_str) == Some(version));
    if !listed || entry.and_then(|v| v.get("served")).and_then(Node::as_bool) == Some(false) {
        return None;
    }
    let per_version = |path: &[&str]| entry.and_then(|v| v.path(path));
    let (schema, status) = if legacy {
        (
            per_version(&["schema", "openAPIV3Schema"])
                .or_else(|| spec.path(&["validation", "openAPIV3Schema"])),
            per_version(&["subresources", "status"])
                .or_else(|| spec.path(&["subresources", "status"])),
        )
    } else {
        (
            per_version(&["schema", "openAPIV3Schema"]),
            per_version(&["subresources", "status"]),
        )
    };
    // v1beta1 CRDs preserve unknown fields unless they opt out; v1 CRDs always prune.
    let prune = !legacy || spec.get("preserveUnknownFields").and_then(Node::as_bool) == Some(false);
    Some(CrdVersion {
        crd,
        schema,
        opts: ConvertOptions {
            prune,
            status_subresource: status.is_some(),
            patterns: true,
        },
    })
}

/// A compiled schema of one (group, version, kind).
struct Compiled<'a> {
    crd: &'a Object,
    validator: jsonschema::Validator,
    /// The converted schema (for the fields allowed where an unknown one was found).
    schema: J,
    /// The CRD's own schema (for null pruning).
    raw: J,
}

fn compile<'a>(v: &CrdVersion<'a>) -> Option<Box<Compiled<'a>>> {
    let raw = v.schema?.to_json();
    let build = |schema: &J| {
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .should_validate_formats(false)
            .with_pattern_options(jsonschema::PatternOptions::regex())
            .build(schema)
            .ok()
    };
    let mut schema = to_json_schema(&raw, v.opts);
    let validator = match build(&schema) {
        Some(v) => v,
        None => {
            // A pattern the validator cannot translate: validate everything else.
            let opts = ConvertOptions {
                patterns: false,
                ..v.opts
            };
            schema = to_json_schema(&raw, opts);
            build(&schema)?
        }
    };
    Some(Box::new(Compiled {
        crd: v.crd,
        validator,
        schema,
        raw,
    }))
}

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    // (group, kind) → CRDs defining it: those of the input first, then those given apart.
    let mut crds: BTreeMap<(&str, &str), Vec<&Object>> = BTreeMap::new();
    let input = inv
        .of_kind("apiextensions.k8s.io", "CustomResourceDefinition")
        .iter()
        .map(|&id| inv.get(id));
    for crd in input.chain(inv.schema_sources.iter()) {
        // A kustomize patch of a CRD (no versions) defines nothing.
        let versions = crd.spec().is_some_and(|s| {
            !s.get("versions").map_or(&[][..], Node::items).is_empty() || s.get("version").is_some()
        });
        if let Some(key) = crd_kind(crd).filter(|_| versions) {
            crds.entry(key).or_default().push(crd);
        }
    }
    let mut cache: HashMap<(&str, &str, &str), Schema> = HashMap::new();
    for (&(group, kind), defs) in &crds {
        for &id in inv.of_kind(group, kind) {
            let obj = inv.get(id);
            let version = obj
                .id
                .api_version
                .rsplit_once('/')
                .map_or(obj.id.api_version.as_str(), |(_, v)| v);
            let schema = cache.entry((group, version, kind)).or_insert_with(|| {
                defs.iter()
                    .find_map(|crd| lookup(crd, version))
                    .map(|v| compile(&v).map_or(Schema::None, Schema::Compiled))
                    .unwrap_or(Schema::NotServed)
            });
            match schema {
                Schema::Compiled(c) => validate(id, obj, c, out),
                Schema::NotServed => version_not_served(id, obj, group, version, defs, out),
                Schema::None => {}
            }
        }
    }
}

/// The schema for one (group, version, kind).
enum Schema<'a> {
    Compiled(Box<Compiled<'a>>),
    /// The version is served without a schema (legacy CRDs), or its schema does not compile.
    None,
    /// No CRD of the kind serves the version.
    NotServed,
}

/// The CRD (or CRDs) of the object's kind do not serve its version.
fn version_not_served(
    id: ObjId,
    obj: &Object,
    group: &str,
    version: &str,
    defs: &[&Object],
    out: &mut Vec<Finding>,
) {
    // CM001 reports the removed cert-manager API versions.
    if matches!(group, "cert-manager.io" | "acme.cert-manager.io")
        && matches!(version, "v1alpha2" | "v1alpha3" | "v1beta1")
    {
        return;
    }
    let crd = defs[0];
    let served: Vec<String> = crd
        .spec()
        .and_then(|s| s.get("versions"))
        .map_or(&[][..], Node::items)
        .iter()
        .filter(|v| v.get("served").and_then(Node::as_bool) != Some(false))
        .filter_map(|v| v.get("name").and_then(Node::scalar_text))
        .map(|v| format!("{group}/{v}"))
        .collect();
    let served = if served.is_empty() {
        String::new()
    } else {
        format!(" (it serves {})", quote_list(&served))
    };
    out.push(
        Finding::new(
            ID,
            Severity::Error,
            id,
            "/apiVersion",
            format!(
                "`{}` is not served by CustomResourceDefinition {}{served}: the apiserver rejects \
                 the {} (`no matches for kind \"{}\" in version \"{}\"`)",
                obj.id.api_version, crd.id.name, obj.id.kind, obj.id.kind, obj.id.api_version
            ),
        )
        .help("use a version the CRD serves (converting the manifest to its schema), or install the CRD version that serves this one")
        .related(defs.iter().map(|c| c.id.clone())),
    );
}

/// One schema violation, before deduplication.
struct Violation {
    pointer: String,
    /// Lower sorts first; one violation per pointer is kept.
    rank: u8,
    message: String,
    help: Option<String>,
}

fn validate(id: ObjId, obj: &Object, c: &Compiled, out: &mut Vec<Finding>) {
    let mut inst = obj.root.to_json();
    normalize_numbers(&mut inst);
    prune_nulls(&mut inst, Some(&c.raw));
    let what = format!(
        "the {} schema of CustomResourceDefinition {}",
        obj.id.api_version, c.crd.id.name
    );
    let mut found: Vec<Violation> = Vec::new();
    let mut required: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for err in c.validator.iter_errors(&inst) {
        let at = err.instance_path().as_str().to_string();
        let value = inst.pointer(&at).unwrap_or(&J::Null);
        let path = dotted(&inst, &at);
        use jsonschema::error::ValidationErrorKind as K;
        let placeholder = value.as_str().is_some_and(is_placeholder);
        match err.kind() {
            K::AdditionalProperties { unexpected } => {
                let allowed = allowed_fields(&c.schema, err.schema_path().as_str());
                for field in unexpected {
                    if is_placeholder(field) {
                        continue;
                    }
                    let pointer = format!("{at}/{}", crate::load::node::escape_token(field));
                    let full = join_path(&path, field);
                    let help = match closest(field, &allowed) {
                        _ if at.is_empty() && OBJECT_META.contains(&field.as_str()) => {
                            format!("`{field}` belongs under `metadata` (check its indentation)")
                        }
                        Some(s) => format!("did you mean `{s}`?"),
                        None if allowed.is_empty() => {
                            format!("remove `{full}`; this object allows no fields")
                        }
                        None => format!(
                            "remove `{full}` or move it where the schema allows it; fields allowed {}: {}",
                            if path.is_empty() {
                                "at the top level".to_string()
                            } else {
                                format!("in `{path}`")
                            },
                            short_list(&allowed)
                        ),
                    };
                    found.push(Violation {
                        pointer,
                        rank: 0,
                        message: format!(
                            "unknown field `{full}`: not in {what}; kubectl's strict field validation \
                             (the default) rejects the object, and without it the apiserver silently \
                             drops the field"
                        ),
                        help: Some(help),
                    });
                }
            }
            K::Required { property } => {
                let name = property
                    .as_str()
                    .map_or_else(|| property.to_string(), str::to_string);
                required
                    .entry(at)
                    .or_default()
                    .push(join_path(&path, &name));
            }
            _ if placeholder => {}
            K::Type { .. } => {
                let ty = c.schema.pointer(err.schema_path().as_str());
                let expected = ty.map(type_names).unwrap_or_default();
                let wants = |t: &str| {
                    ty.is_some_and(|ty| {
                        ty == t || ty.as_array().is_some_and(|a| a.iter().any(|x| x == t))
                    })
                };
                let written = node_at(&obj.root, &at)
                    .and_then(Node::scalar_text)
                    .map_or_else(|| value.to_string(), str::to_string);
                let help = match value {
                    J::Number(_) | J::Bool(_) if wants("string") => Some(format!(
                        "YAML reads the unquoted `{written}` as {}; write the string the field \
                         expects, quoted if it looks like a number or a boolean",
                        if value.is_boolean() {
                            "a boolean"
                        } else {
                            "a number"
                        }
                    )),
                    J::String(_) if wants("boolean") || wants("integer") || wants("number") => Some(
                        "write the value without quotes, so YAML reads it as a number or a boolean"
                            .to_string(),
                    ),
                    _ => None,
                };
                found.push(Violation {
                    pointer: at,
                    rank: 1,
                    message: format!(
                        "`{path}` must be {expected} but is {}: the apiserver rejects the object \
                         ({what})",
                        describe(value)
                    ),
                    help,
                });
            }
            K::Enum { options } => {
                let opts: Vec<String> = options
                    .as_array()
                    .map_or(&[][..], Vec::as_slice)
                    .iter()
                    .filter(|o| !o.is_null())
                    .map(|o| match o {
                        J::String(s) => s.clone(),
                        o => o.to_string(),
                    })
                    .collect();
                let opts: Vec<&str> = opts.iter().map(String::as_str).collect();
                let help = value.as_str().and_then(|v| {
                    let names: Vec<&str> =
                        options.as_array()?.iter().filter_map(J::as_str).collect();
                    closest(v, &names).map(|s| format!("did you mean `{s}`?"))
                });
                found.push(Violation {
                    pointer: at,
                    rank: 2,
                    message: format!(
                        "`{path}` is {}, not one of the values {what} allows: {}; the apiserver \
                         rejects the object (Unsupported value)",
                        describe_short(value),
                        short_list(&opts)
                    ),
                    help,
                });
            }
            kind => {
                let why = match kind {
                    K::Minimum { limit } => {
                        format!("is {}, below the minimum {limit}", render(value))
                    }
                    K::Maximum { limit } => {
                        format!("is {}, above the maximum {limit}", render(value))
                    }
                    K::ExclusiveMinimum { limit } => {
                        format!("is {}; it must be greater than {limit}", render(value))
                    }
                    K::ExclusiveMaximum { limit } => {
                        format!("is {}; it must be less than {limit}", render(value))
                    }
                    K::MinLength { limit } => {
                        format!("must be at least {} long", count(*limit, "character"))
                    }
                    K::MaxLength { limit } => {
                        format!("must be at most {} long", count(*limit, "character"))
                    }
                    K::MinItems { limit } => {
                        format!("must have at least {}", count(*limit, "item"))
                    }
                    K::MaxItems { limit } => format!("must have at most {}", count(*limit, "item")),
                    K::MinProperties { limit } => {
                        format!("must have at least {}", count(*limit, "field"))
                    }
                    K::MaxProperties { limit } => {
                        format!("must have at most {}", count(*limit, "field"))
                    }
                    K::Pattern { pattern } => {
                        format!("({}) does not match the pattern `{pattern}`", render(value))
                    }
                    K::MultipleOf { multiple_of } => {
                        format!("is {}, not a multiple of {multiple_of}", render(value))
                    }
                    K::UniqueItems => "has duplicate items (the schema makes it a set)".to_string(),
                    K::AnyOf { .. } => {
                        "matches none of the alternatives of the schema's `anyOf`".to_string()
                    }
                    K::OneOfNotValid { .. } => {
                        "matches none of the alternatives of the schema's `oneOf`".to_string()
                    }
                    K::OneOfMultipleValid { .. } => "matches more than one of the mutually \
                        exclusive alternatives of the schema's `oneOf` (set only one of them)"
                        .to_string(),
                    K::Not { .. } => "has a form the schema forbids".to_string(),
                    _ => err.to_string(),
                };
                let shown = if path.is_empty() {
                    "the object".to_string()
                } else {
                    format!("`{path}`")
                };
                found.push(Violation {
                    pointer: at,
                    rank: 3,
                    message: format!("{shown} {why}: the apiserver rejects the object ({what})"),
                    help: None,
                });
            }
        }
    }
    for (at, names) in required {
        let list = quote_list(&names);
        let verb = if names.len() == 1 { "is" } else { "are" };
        found.push(Violation {
            pointer: at,
            rank: 2,
            message: format!(
                "{list} {verb} required by {what} but missing: the apiserver rejects the object \
                 (Required value)"
            ),
            help: None,
        });
    }
    found.sort_by_key(|v| v.rank);
    let mut seen = std::collections::HashSet::new();
    found.retain(|v| seen.insert(v.pointer.clone()));
    let total = found.len();
    for v in found.into_iter().take(MAX_PER_OBJECT) {
        let mut f =
            Finding::new(ID, Severity::Error, id, v.pointer, v.message).related([c.crd.id.clone()]);
        if let Some(h) = v.help {
            f = f.help(h);
        }
        out.push(f);
    }
    if total > MAX_PER_OBJECT {
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                id,
                "/apiVersion",
                format!(
                    "{} more violations of {what} are not shown; is the manifest written for another \
                     version of the CRD?",
                    total - MAX_PER_OBJECT
                ),
            )
            .related([c.crd.id.clone()]),
        );
    }
}

/// The field names allowed by the schema object whose `additionalProperties: false` rejected a
/// field (`schema_path` ends with `/additionalProperties`).
fn allowed_fields<'a>(schema: &'a J, schema_path: &str) -> Vec<&'a str> {
    let parent = schema_path
        .strip_suffix("/additionalProperties")
        .unwrap_or(schema_path);
    schema
        .pointer(parent)
        .and_then(|s| s.get("properties"))
        .and_then(J::as_object)
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// The candidate closest to `name` by edit distance (case-insensitive first), if close enough to be
/// a plausible typo.
pub fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .iter()
        .map(|&c| {
            (
                levenshtein(&lower, &c.to_lowercase()),
                levenshtein(name, c),
                c,
            )
        })
        .filter(|&(d, _, _)| d <= limit)
        .min_by_key(|&(d, exact, _)| (d, exact))
        .map(|(_, _, c)| c)
}

/// Edit distance (insertions, deletions, substitutions) over characters.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The node at a JSON pointer.
fn node_at<'a>(root: &'a Node, pointer: &str) -> Option<&'a Node> {
    let mut node = root;
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        node = match &node.value {
            crate::load::Value::Seq(items) => items.get(token.parse::<usize>().ok()?)?,
            _ => node.get(&token)?,
        };
    }
    Some(node)
}

/// A JSON pointer into `inst` as kubectl shows field paths: `spec.solvers[0].dns01`.
fn dotted(inst: &J, pointer: &str) -> String {
    let mut out = String::new();
    let mut node = Some(inst);
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        match node {
            Some(J::Array(items)) => {
                out.push_str(&format!("[{token}]"));
                node = token.parse::<usize>().ok().and_then(|i| items.get(i));
            }
            other => {
                out = join_path(&out, &token);
                node = other.and_then(|n| n.get(&token));
            }
        }
    }
    out
}

fn join_path(parent: &str, field: &str) -> String {
    if parent.is_empty() {
        field.to_string()
    } else {
        format!("{parent}.{field}")
    }
}

/// `a string`, `an integer or a string`, from a schema's `type`.
fn type_names(ty: &J) -> String {
    let article = |t: &str| match t {
        "integer" | "object" => format!("an {t}"),
        "array" => "a list".to_string(),
        "null" => "null".to_string(),
        t => format!("a {t}"),
    };
    match ty {
        J::String(t) => article(t),
        J::Array(ts) => ts
            .iter()
            .filter_map(J::as_str)
            .map(article)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "of another type".to_string(),
    }
}

/// The type and, for scalars, the value: `an integer (5)`.
fn describe(v: &J) -> String {
    match v {
        J::Null => "null".into(),
        J::Bool(_) => format!("a boolean ({v})"),
        J::Number(n) if n.is_i64() || n.is_u64() => format!("an integer ({n})"),
        J::Number(n) => format!("a number ({n})"),
        J::String(_) => format!("a string ({})", render(v)),
        J::Array(_) => "a list".into(),
        J::Object(_) => "an object".into(),
    }
}

/// A scalar as written, quoted with backticks; containers by type.
fn describe_short(v: &J) -> String {
    match v {
        J::Array(_) | J::Object(_) => describe(v),
        _ => render(v),
    }
}

/// A value for a message: strings in backticks and cut at 60 characters.
fn render(v: &J) -> String {
    match v {
        J::String(s) => {
            let cut: String = s.chars().take(60).collect();
            if cut.len() < s.len() {
                format!("`{cut}…`")
            } else {
                format!("`{s}`")
            }
        }
        J::Array(_) => "a list".into(),
        J::Object(_) => "an object".into(),
        other => format!("`{other}`"),
    }
}

fn quote_list(items: &[String]) -> String {
    let q: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    match q.len() {
        0 => String::new(),
        1 => q[0].clone(),
        n => format!("{} and {}", q[..n - 1].join(", "), q[n - 1]),
    }
}

/// `1 item`, `2 items`.
fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn short_list(items: &[&str]) -> String {
    const MAX: usize = 12;
    let mut s: Vec<String> = items.iter().take(MAX).map(|i| format!("`{i}`")).collect();
    if items.len() > MAX {
        s.push(format!("… ({} more)", items.len() - MAX));
    }
    s.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::run_check;

    const CRD: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: certificates.cert-manager.io
spec:
  group: cert-manager.io
  names: {kind: Certificate, plural: certificates}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      subresources: {status: {}}
      schema:
        openAPIV3Schema:
          type: object
          required: [spec]
          properties:
            apiVersion: {type: string}
            kind: {type: string}
            metadata: {type: object}
            spec:
              type: object
              required: [secretName, issuerRef]
              properties:
                secretName: {type: string}
                dnsNames: {type: array, items: {type: string}}
                duration: {type: string}
                issuerRef:
                  type: object
                  required: [name]
                  properties:
                    name: {type: string}
                    kind: {type: string}
                privateKey:
                  type: object
                  properties:
                    algorithm: {type: string, enum: [RSA, ECDSA, Ed25519]}
                    size: {type: integer, minimum: 0}
            status:
              type: object
              properties:
                revision: {type: integer}
    - name: v1beta1
      served: false
      storage: false
"#;

    fn run(objects: &str) -> Vec<Finding> {
        run_check(check, &format!("{CRD}---\n{objects}"), Settings::default())
    }

    #[test]
    fn typo_gets_a_suggestion_at_the_field() {
        let f = run(
            "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: a}\nspec:\n  secretName: s\n  issuerRef: {name: i}\n  dnsName: [a]\n",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].pointer, "/spec/dnsName");
        assert!(
            f[0].message.contains("unknown field `spec.dnsName`"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].help.as_deref(), Some("did you mean `dnsNames`?"));
    }

    #[test]
    fn types_enums_required_and_versions() {
        let f = run(
            "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: a}\nspec:\n  duration: 5\n  issuerRef: {kind: X}\n  privateKey: {algorithm: rsa, size: -1}\n",
        );
        let by_ptr: HashMap<&str, &str> = f
            .iter()
            .map(|f| (f.pointer.as_str(), f.message.as_str()))
            .collect();
        assert!(
            by_ptr["/spec/duration"].contains("must be a string but is an integer (5)"),
            "{f:?}"
        );
        assert!(
            by_ptr["/spec/privateKey/algorithm"].contains("`rsa`, not one of"),
            "{f:?}"
        );
        assert!(
            by_ptr["/spec/privateKey/size"].contains("below the minimum 0"),
            "{f:?}"
        );
        assert!(
            by_ptr["/spec"].contains("`spec.secretName` is required"),
            "{f:?}"
        );
        assert!(
            by_ptr["/spec/issuerRef"].contains("`spec.issuerRef.name` is required"),
            "{f:?}"
        );
        let help = f
            .iter()
            .find(|f| f.pointer == "/spec/privateKey/algorithm")
            .unwrap();
        assert_eq!(help.help.as_deref(), Some("did you mean `RSA`?"));

        let f = run(
            "apiVersion: cert-manager.io/v2\nkind: Certificate\nmetadata: {name: a}\nspec: {}\n",
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].pointer, "/apiVersion");
        assert!(
            f[0].message.contains("`cert-manager.io/v1`"),
            "{}",
            f[0].message
        );
        let f = run(
            "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\nname: a\nspec: {secretName: s, issuerRef: {name: i}}\n",
        );
        assert_eq!(f[0].pointer, "/name");
        assert_eq!(
            f[0].help.as_deref(),
            Some("`name` belongs under `metadata` (check its indentation)")
        );
        // Removed cert-manager versions are CM001's.
        assert!(run("apiVersion: cert-manager.io/v1beta1\nkind: Certificate\nmetadata: {name: a}\nspec: {}\n").is_empty());
    }

    #[test]
    fn fine_objects_and_objects_without_crd() {
        let ok = "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: a\n  annotations:\n  labels: {x: y}\nspec:\n  secretName: s\n  issuerRef: {name: i}\n  duration: '{{ .Values.duration }}'\n  privateKey:\n    algorithm: ${ALGO}\n  dnsNames:\nstatus:\n  revision: later\n";
        assert!(run(ok).is_empty(), "{:?}", run(ok));
        let no_crd =
            "apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: a}\nspec: {bogus: 1}\n";
        assert!(run(no_crd).is_empty());
    }

    #[test]
    fn go_only_patterns_do_not_break_the_schema() {
        let crd = CRD.replace(
            "secretName: {type: string}",
            "secretName: {type: string, pattern: '(?i)^[a-z]+\\z'}",
        );
        let yaml = format!(
            "{crd}---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {{name: a}}\nspec:\n  secretName: ABC\n  issuerRef: {{name: i}}\n  duration: 5\n"
        );
        let f = run_check(check, &yaml, Settings::default());
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].pointer, "/spec/duration");
    }

    #[test]
    fn crd_patches_define_nothing() {
        let patch = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec:\n  group: example.com\n  names: {kind: Certificate}\n  conversion: {strategy: Webhook}\n";
        let yaml = format!(
            "{patch}---\napiVersion: example.com/v1\nkind: Certificate\nmetadata: {{name: a}}\n"
        );
        assert!(run_check(check, &yaml, Settings::default()).is_empty());
    }

    #[test]
    fn suggestions() {
        assert_eq!(closest("dnsName", &["dnsNames", "uris"]), Some("dnsNames"));
        assert_eq!(closest("commonname", &["commonName"]), Some("commonName"));
        assert_eq!(closest("foo", &["dnsNames", "uris"]), None);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
    }

    #[test]
    fn dotted_paths() {
        let v = serde_json::json!({"spec": {"solvers": [{"dns01": {"a/b": 1}}]}});
        assert_eq!(
            dotted(&v, "/spec/solvers/0/dns01/a~1b"),
            "spec.solvers[0].dns01.a/b"
        );
        assert_eq!(dotted(&v, ""), "");
    }
}
