//! CM002 issuer-ref-unresolved: a Certificate, CertificateRequest or ingress-shim annotation names an
//! issuer that cert-manager cannot use.
//!
//! The reference is defaulted first as cert-manager does (`pkg/apis/meta/v1/types.go`: `kind`
//! `Issuer`, `group` `cert-manager.io`; ingress-shim `issuerForIngressLike` in
//! `pkg/controller/certificate-shim/sync.go`: `cert-manager.io/issuer` ⇒ kind Issuer,
//! `cert-manager.io/cluster-issuer` ⇒ kind ClusterIssuer, overridden by `cert-manager.io/issuer-kind`
//! / `cert-manager.io/issuer-group`). Then:
//!
//! * group `cert-manager.io` (written or defaulted) and a kind other than `Issuer`/`ClusterIssuer` →
//!   error: the webhook rejects it ("must be one of Issuer or ClusterIssuer"), adding "(did you forget
//!   to set spec.issuerRef.group?)" when the group was empty (`validateIssuerRef` in
//!   `internal/apis/certmanager/validation/certificate.go`). Group `awspca.cert-manager.io` with a kind
//!   other than `AWSPCAIssuer`/`AWSPCAClusterIssuer` → error.
//! * `issuerRef.name` empty or missing, or no `issuerRef` at all → error (the webhook requires it).
//! * The issuer is not in the input (nor declared in the config's `objects:`):
//!   - a namespaced kind (`Issuer`, `AWSPCAIssuer`) while a cluster-scoped issuer of that name exists
//!     → error "kind defaults to Issuer — set `kind: ClusterIssuer`" (or the shim equivalent: use
//!     `cert-manager.io/cluster-issuer`);
//!   - a namespaced kind that exists only in other namespaces → error (a namespaced issuer can only
//!     be used from its own namespace, `types_certificate.go`);
//!   - a cluster-scoped kind while a namespaced issuer of that name exists in the object's namespace →
//!     error ("set `kind: Issuer` or omit kind");
//!   - otherwise → warning "not in the input; verify it exists in the cluster", or error when the
//!     input is declared complete (`settings.complete`).
//! * An issuer group this tool does not know (another external issuer) → info: not validated.
//!
//! Namespace-less objects (applied with `-n`) match issuers of any namespace. Names, kinds and groups
//! that are unrendered templates (`{{`, `$(`, `${`) are skipped. Ingress-shim references are checked
//! only for Ingresses, Gateways and ListenerSets that would get a Certificate (a TLS entry with a
//! secretName, a listener with certificateRefs) and whose annotations are otherwise valid:
//! conflicting shim annotations and `cert-manager.io/cluster-issuer` naming an AWSPCAClusterIssuer
//! are CM003's. istio-csr's issuer is EW005's.

use std::collections::HashMap;

use crate::load::Node;
use crate::load::node::pointer;
use crate::model::certmanager::{AWSPCA_GROUP, GROUP, IssuerRef, KINDS, Resolution};
use crate::model::{Inventory, ObjId, Settings};
use crate::rules::{
    BuiltinRule, Finding, GATEWAY_KINDS, INGRESS_KINDS, KindSet, MAX_RELATED, Severity,
};
pub(crate) use crate::rules::{annotation_ptr, missing_phrase, missing_severity, unrendered};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "CM002",
    kinds,
    check,
};

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![
        KINDS,
        INGRESS_KINDS,
        GATEWAY_KINDS,
        &[("gateway.networking.k8s.io", "ListenerSet")],
    ]
}

const ID: &str = "CM002";

/// Ingress-shim annotation keys (`pkg/apis/certmanager/v1/types.go`).
pub(crate) const SHIM_ISSUER: &str = "cert-manager.io/issuer";
pub(crate) const SHIM_CLUSTER_ISSUER: &str = "cert-manager.io/cluster-issuer";
pub(crate) const SHIM_ISSUER_KIND: &str = "cert-manager.io/issuer-kind";
pub(crate) const SHIM_ISSUER_GROUP: &str = "cert-manager.io/issuer-group";

/// `ns/name`, or `name` for namespace-less objects.
pub(crate) fn qualified(ns: Option<&str>, name: &str) -> String {
    match ns {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    }
}

/// The namespaced and the cluster-scoped issuer kind of a known issuer group.
fn scope_kinds(group: &str) -> Option<(&'static str, &'static str)> {
    match group {
        GROUP => Some(("Issuer", "ClusterIssuer")),
        AWSPCA_GROUP => Some(("AWSPCAIssuer", "AWSPCAClusterIssuer")),
        _ => None,
    }
}

/// Namespaced issuers by (group, kind, name), to match namespace-less objects and spot a reference
/// to an issuer of another namespace without scanning.
type ByName<'a> = HashMap<(&'a str, &'a str, &'a str), Vec<ObjId>>;

fn namespaced_issuers(inv: &Inventory) -> ByName<'_> {
    let mut idx: ByName = HashMap::new();
    for (group, kind) in [(GROUP, "Issuer"), (AWSPCA_GROUP, "AWSPCAIssuer")] {
        for &i in inv.of_kind(group, kind) {
            idx.entry((group, kind, inv.get(i).id.name.as_str()))
                .or_default()
                .push(i);
        }
    }
    idx
}

/// Why a reference does not resolve.
enum Problem {
    /// Not an issuer kind of a known group.
    BadKind,
    /// A group this tool does not know.
    UnknownGroup,
    /// The issuer is not in the input.
    Missing(Evidence),
}

/// What the input says about a missing issuer.
enum Evidence {
    /// Nothing: it may exist outside the input.
    Nothing,
    /// The issuer of the other scope (ClusterIssuer for Issuer, or the reverse) has that name.
    OtherScope(&'static str, Option<ObjId>),
    /// A namespaced issuer of that name exists, but only in other namespaces.
    OtherNamespaces(Vec<ObjId>),
}

fn resolve(inv: &Inventory, idx: &ByName, ns: Option<&str>, r: &IssuerRef) -> Result<(), Problem> {
    match inv.resolve_issuer(ns, r) {
        Resolution::Found(_) | Resolution::Declared => Ok(()),
        Resolution::UnknownGroup => Err(Problem::UnknownGroup),
        Resolution::BadKind => Err(Problem::BadKind),
        Resolution::Missing => {
            let Some((ns_kind, cluster_kind)) = scope_kinds(&r.group) else {
                return Err(Problem::UnknownGroup);
            };
            let group = r.group.as_str();
            let same_name = idx
                .get(&(group, ns_kind, r.name.as_str()))
                .map_or(&[][..], Vec::as_slice);
            let could_match = |i: &ObjId| {
                let other = inv.get(*i).ns();
                ns.is_none() || other.is_none() || other == ns
            };
            let evidence = if r.kind == ns_kind {
                if same_name.iter().any(could_match) {
                    return Ok(()); // One side has no namespace: it may be applied there.
                }
                if inv.exists(group, cluster_kind, None, &r.name) {
                    Evidence::OtherScope(cluster_kind, inv.find(group, cluster_kind, None, &r.name))
                } else if !same_name.is_empty() {
                    Evidence::OtherNamespaces(same_name.to_vec())
                } else {
                    Evidence::Nothing
                }
            } else if let Some(&i) = same_name.iter().find(|&&i| inv.get(i).ns() == ns) {
                Evidence::OtherScope(ns_kind, Some(i))
            } else if ns.is_some() && inv.exists(group, ns_kind, ns, &r.name) {
                Evidence::OtherScope(ns_kind, None)
            } else {
                Evidence::Nothing
            };
            Err(Problem::Missing(evidence))
        }
    }
}

/// Where a reference comes from, for messages and pointers.
enum Source<'a> {
    /// `spec.issuerRef` of a Certificate or CertificateRequest.
    Spec { kind: &'a str },
    /// Ingress-shim annotations: the key holding the name.
    Shim { name_key: &'static str },
}

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    let idx = namespaced_issuers(inv);
    for kind in ["Certificate", "CertificateRequest"] {
        for &id in inv.of_kind(GROUP, kind) {
            check_spec(inv, &idx, id, kind, out);
        }
    }
    let ingresses = [
        inv.of_kind("networking.k8s.io", "Ingress"),
        inv.of_kind("extensions", "Ingress"),
        inv.of_kind("gateway.networking.k8s.io", "Gateway"),
        inv.of_kind("gateway.networking.k8s.io", "ListenerSet"),
    ];
    for &id in ingresses.iter().flat_map(|ids| ids.iter()) {
        check_shim(inv, &idx, id, out);
    }
}

fn check_spec(inv: &Inventory, idx: &ByName, id: ObjId, kind: &str, out: &mut Vec<Finding>) {
    let obj = inv.get(id);
    let Some(node) = obj.root.path(&["spec", "issuerRef"]) else {
        if obj.spec().is_some() {
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    id,
                    pointer(["spec"]),
                    format!("{kind} has no `spec.issuerRef`: the cert-manager webhook rejects it (`issuerRef.name` must be specified)"),
                )
                .help("Add `spec.issuerRef` with the `name` (and `kind`, `group`) of the issuer to use."),
            );
        }
        return;
    };
    let r = IssuerRef::from_node(node);
    if [&r.name, &r.kind, &r.group].iter().any(|v| unrendered(v)) {
        return;
    }
    let base = ["spec", "issuerRef"];
    let ptr = |field: &str| pointer(base.iter().copied().chain([field]));
    if r.name.is_empty() {
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                id,
                if node.get("name").is_some() {
                    ptr("name")
                } else {
                    pointer(base)
                },
                format!("`spec.issuerRef.name` is empty: the cert-manager webhook rejects the {kind} (\"must be specified\")"),
            )
            .help("Set `spec.issuerRef.name` to the name of the Issuer or ClusterIssuer to use."),
        );
        return;
    }
    let Err(problem) = resolve(inv, idx, obj.ns(), &r) else {
        return;
    };
    let kind_ptr = if r.kind_set { ptr("kind") } else { ptr("name") };
    report(
        inv,
        id,
        &r,
        problem,
        Source::Spec { kind },
        &ptr("name"),
        &kind_ptr,
        out,
    );
}

/// Whether an ingress-like object would get a Certificate from the shim at all.
fn has_tls_targets(obj: &crate::model::Object) -> bool {
    let Some(spec) = obj.spec() else {
        return false;
    };
    if obj.group == "gateway.networking.k8s.io" {
        return spec
            .get("listeners")
            .map_or(&[][..], Node::items)
            .iter()
            .any(|l| {
                !l.path(&["tls", "certificateRefs"])
                    .map_or(&[][..], Node::items)
                    .is_empty()
            });
    }
    spec.get("tls")
        .map_or(&[][..], Node::items)
        .iter()
        .any(|t| {
            t.get("secretName")
                .and_then(Node::scalar_text)
                .is_some_and(|s| !s.is_empty())
        })
}

/// The issuer reference ingress-shim derives from the annotations (`issuerForIngressLike`), or `None`
/// when there is none to check (no issuer annotation; conflicting annotations, reported by CM003).
fn shim_ref(obj: &crate::model::Object) -> Option<(IssuerRef, &'static str)> {
    let issuer = obj.annotation(SHIM_ISSUER);
    let cluster = obj.annotation(SHIM_CLUSTER_ISSUER);
    let kind = obj.annotation(SHIM_ISSUER_KIND);
    let group = obj.annotation(SHIM_ISSUER_GROUP);
    let (name, default_kind, key) = match (issuer, cluster) {
        (Some(n), None) => (n, "Issuer", SHIM_ISSUER),
        (None, Some(n)) if kind.is_none() && group.is_none() => {
            (n, "ClusterIssuer", SHIM_CLUSTER_ISSUER)
        }
        _ => return None,
    };
    let kind = kind.unwrap_or(default_kind);
    let group = group.unwrap_or("");
    Some((
        IssuerRef {
            name: name.to_string(),
            kind: if kind.is_empty() { "Issuer" } else { kind }.to_string(),
            group: if group.is_empty() { GROUP } else { group }.to_string(),
            kind_set: !kind.is_empty(),
            group_set: !group.is_empty(),
        },
        key,
    ))
}

fn check_shim(inv: &Inventory, idx: &ByName, id: ObjId, out: &mut Vec<Finding>) {
    let obj = inv.get(id);
    let Some((r, key)) = shim_ref(obj) else {
        return;
    };
    if r.name.is_empty()
        || [&r.name, &r.kind, &r.group].iter().any(|v| unrendered(v))
        || !has_tls_targets(obj)
    {
        return;
    }
    // `cluster-issuer: X` naming an AWSPCAClusterIssuer is CM003's finding.
    if key == SHIM_CLUSTER_ISSUER
        && !inv.exists(GROUP, "ClusterIssuer", None, &r.name)
        && inv.exists(AWSPCA_GROUP, "AWSPCAClusterIssuer", None, &r.name)
    {
        return;
    }
    let Err(problem) = resolve(inv, idx, obj.ns(), &r) else {
        return;
    };
    let kind_ptr = if obj.annotation(SHIM_ISSUER_KIND).is_some() {
        annotation_ptr(SHIM_ISSUER_KIND)
    } else {
        annotation_ptr(key)
    };
    report(
        inv,
        id,
        &r,
        problem,
        Source::Shim { name_key: key },
        &annotation_ptr(key),
        &kind_ptr,
        out,
    );
}

#[allow(clippy::too_many_arguments)]
fn report(
    inv: &Inventory,
    id: ObjId,
    r: &IssuerRef,
    problem: Problem,
    source: Source,
    name_ptr: &str,
    kind_ptr: &str,
    out: &mut Vec<Finding>,
) {
    let obj = inv.get(id);
    let ns = obj.ns();
    let name = &r.name;
    let (what, group_field, kind_field) = match source {
        Source::Spec { kind } => (
            format!("the {kind}'s `spec.issuerRef`"),
            "spec.issuerRef.group",
            "`kind`",
        ),
        Source::Shim { name_key } => (
            format!("ingress-shim (`{name_key}: {name}`)"),
            "the `cert-manager.io/issuer-group` annotation",
            "the `cert-manager.io/issuer-kind` annotation",
        ),
    };
    let shim = matches!(source, Source::Shim { .. });
    let finding = match problem {
        Problem::BadKind => {
            let external = r.kind.starts_with("AWSPCA");
            let (msg, help) = if r.group == GROUP {
                let hint = if r.group_set {
                    String::new()
                } else {
                    format!(" (did you forget to set {group_field}?)")
                };
                (
                    format!(
                        "{what} has kind `{}` in group `cert-manager.io`: the cert-manager webhook rejects it — kind must be one of Issuer or ClusterIssuer{hint}",
                        r.kind
                    ),
                    if external {
                        format!(
                            "`{}` is an AWS Private CA issuer kind: set the group to `awspca.cert-manager.io`.",
                            r.kind
                        )
                    } else {
                        "Use kind `Issuer` or `ClusterIssuer`, or set the group of the external issuer that defines this kind.".to_string()
                    },
                )
            } else {
                (
                    format!(
                        "{what} has kind `{}`, which group `{}` does not define (AWSPCAIssuer or AWSPCAClusterIssuer)",
                        r.kind, r.group
                    ),
                    "Use kind `AWSPCAIssuer` (namespaced) or `AWSPCAClusterIssuer`.".to_string(),
                )
            };
            Finding::new(ID, Severity::Error, id, kind_ptr, msg).help(help)
        }
        Problem::UnknownGroup => Finding::new(
            ID,
            Severity::Info,
            id,
            name_ptr,
            format!(
                "{what} names `{}` `{name}` of external issuer group `{}`, which tlscheck cannot validate",
                r.kind, r.group
            ),
        ),
        Problem::Missing(evidence) => {
            let target = if r.namespaced() {
                format!("{} `{}`", r.kind, qualified(ns, name))
            } else {
                format!("{} `{name}`", r.kind)
            };
            match evidence {
                Evidence::Nothing => Finding::new(
                    ID,
                    missing_severity(inv),
                    id,
                    name_ptr,
                    format!("{what} names {target}, which {}", missing_phrase(inv)),
                )
                .help(format!(
                    "Create {target} (or fix the reference); until it exists cert-manager cannot issue the certificate."
                )),
                Evidence::OtherScope(other_kind, other) => {
                    let (msg, help) = if r.namespaced() {
                        let defaulted = if !r.kind_set && !shim {
                            format!("{kind_field} defaults to `{}` — ", r.kind)
                        } else {
                            String::new()
                        };
                        (
                            format!(
                                "{what} names {target}, which is not in the input, but {other_kind} `{name}` is: {defaulted}the namespaced {} is looked up in namespace `{}` and not found",
                                r.kind,
                                ns.unwrap_or("(the object's namespace)")
                            ),
                            if shim && r.group == GROUP && obj.annotation(SHIM_ISSUER_KIND).is_none() {
                                format!("Use the annotation `cert-manager.io/cluster-issuer: {name}` instead of `cert-manager.io/issuer`.")
                            } else if shim {
                                format!("Set `cert-manager.io/issuer-kind: {other_kind}`.")
                            } else {
                                format!("Set `kind: {other_kind}` in `spec.issuerRef`.")
                            },
                        )
                    } else {
                        (
                            format!(
                                "{what} names {target}, which is not in the input, but {other_kind} `{}` is: a cluster-scoped {} is never resolved to a namespaced issuer",
                                qualified(ns, name),
                                r.kind
                            ),
                            if shim && r.group == GROUP {
                                format!("Use the annotation `cert-manager.io/issuer: {name}` instead of `cert-manager.io/cluster-issuer`.")
                            } else if shim {
                                format!("Set `cert-manager.io/issuer-kind: {other_kind}`.")
                            } else if r.group == GROUP {
                                "Set `kind: Issuer` in `spec.issuerRef` (or omit `kind`, which defaults to Issuer).".to_string()
                            } else {
                                format!("Set `kind: {other_kind}` in `spec.issuerRef`.")
                            },
                        )
                    };
                    Finding::new(ID, Severity::Error, id, kind_ptr, msg)
                        .help(help)
                        .related(other.map(|o| inv.obj_ref(o)))
                }
                Evidence::OtherNamespaces(others) => {
                    let mut list: Vec<String> = others
                        .iter()
                        .take(MAX_RELATED)
                        .filter_map(|&o| inv.get(o).ns().map(|n| format!("`{n}`")))
                        .collect();
                    if others.len() > MAX_RELATED {
                        list.push(format!("{} more", others.len() - MAX_RELATED));
                    }
                    Finding::new(
                        ID,
                        Severity::Error,
                        id,
                        name_ptr,
                        format!(
                            "{what} names {target}, but {} `{name}` exists only in namespace {}: a namespaced issuer can only be used by objects in its own namespace",
                            r.kind,
                            list.join(", ")
                        ),
                    )
                    .help(format!(
                        "Create the {} in namespace `{}`, or use a cluster-scoped issuer.",
                        r.kind,
                        ns.unwrap_or("")
                    ))
                    .related(others.iter().map(|&o| inv.obj_ref(o)))
                }
            }
        }
    };
    out.push(finding);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::run_check;

    fn run(yaml: &str, complete: bool) -> Vec<Finding> {
        let settings = Settings {
            complete,
            ..Settings::default()
        };
        run_check(check, yaml, settings)
    }

    const CERT: &str = "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c, namespace: app}\nspec:\n  secretName: s\n  dnsNames: [a.example.com]\n";

    #[test]
    fn missing_issuer_is_a_warning_unless_complete() {
        let yaml = format!("{CERT}  issuerRef: {{name: ca}}\n");
        let f = run(&yaml, false);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(f[0].message.contains("Issuer `app/ca`"), "{}", f[0].message);
        assert_eq!(run(&yaml, true)[0].severity, Severity::Error);
    }

    #[test]
    fn kind_defaults_to_issuer_hint() {
        let yaml = format!(
            "{CERT}  issuerRef: {{name: ca}}\n---\napiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {{name: ca}}\nspec: {{ca: {{secretName: root}}}}\n"
        );
        let f = run(&yaml, false);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Error);
        assert!(
            f[0].message.contains("`kind` defaults to `Issuer`"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].pointer, "/spec/issuerRef/name");
    }

    #[test]
    fn namespace_less_objects_match_any_namespace() {
        let yaml = "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c}\nspec:\n  secretName: s\n  issuerRef: {name: ca}\n---\napiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: ca, namespace: x}\nspec: {selfSigned: {}}\n";
        assert!(run(yaml, true).is_empty());
        let yaml = format!(
            "{CERT}  issuerRef: {{name: ca}}\n---\napiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {{name: ca}}\nspec: {{selfSigned: {{}}}}\n"
        );
        assert!(run(&yaml, true).is_empty());
    }

    #[test]
    fn cluster_issuer_kind_with_namespaced_issuer_present() {
        let yaml = format!(
            "{CERT}  issuerRef: {{name: ca, kind: ClusterIssuer}}\n---\napiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {{name: ca, namespace: app}}\nspec: {{selfSigned: {{}}}}\n"
        );
        let f = run(&yaml, false);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(f[0].pointer, "/spec/issuerRef/kind");
    }

    #[test]
    fn namespace_less_certificate_and_namespaced_issuer_of_other_scope() {
        // Where a namespace-less Certificate is applied is unknown: an Issuer of that name in some
        // namespace is no proof that `kind: ClusterIssuer` is wrong.
        let yaml = "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c}\nspec:\n  secretName: s\n  issuerRef: {name: ca, kind: ClusterIssuer}\n---\napiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: ca, namespace: x}\nspec: {selfSigned: {}}\n";
        let f = run(yaml, false);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
    }

    #[test]
    fn unknown_group_is_info_and_unrendered_is_skipped() {
        let yaml =
            format!("{CERT}  issuerRef: {{name: v, kind: VaultIssuer, group: example.io}}\n");
        let f = run(&yaml, true);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info);
        let yaml = format!("{CERT}  issuerRef: {{name: \"{{{{ .Values.issuer }}}}\"}}\n");
        assert!(run(&yaml, true).is_empty());
    }

    #[test]
    fn certificate_request_without_issuer_ref() {
        let yaml = "apiVersion: cert-manager.io/v1\nkind: CertificateRequest\nmetadata: {name: r, namespace: a}\nspec:\n  request: abc\n";
        let f = run(yaml, false);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(f[0].pointer, "/spec");
    }

    #[test]
    fn shim_without_tls_is_not_checked() {
        let yaml = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: i\n  namespace: a\n  annotations: {cert-manager.io/issuer: nope}\nspec:\n  rules: [{host: a.example.com}]\n";
        assert!(run(yaml, true).is_empty());
    }
}
