//! CM003 ingress-shim-annotations-invalid: cert-manager's ingress-shim / gateway-shim annotations on
//! an Ingress (any class, `networking.k8s.io` and `extensions`) or a Gateway
//! (`gateway.networking.k8s.io`) that make cert-manager refuse the object or skip parts of it.
//!
//! The shim acts on an Ingress carrying `cert-manager.io/issuer` or `cert-manager.io/cluster-issuer`
//! (any value), or `kubernetes.io/tls-acme` with a Go-`ParseBool` true value; on a Gateway only the
//! first two count (CM-CODE `certificate-shim/sync.go` `hasShimAnnotation`: "the default
//! `kubernetes.io/tls-acme` annotation [is] only enabled for the Ingress resource"). Conditions, all
//! from `sync.go`:
//!
//! * `issuerForIngressLike` → error (event `BadConfig`, nothing is issued): both `issuer` and
//!   `cluster-issuer`; `cluster-issuer` together with `issuer-kind` or `issuer-group` ("both %q and
//!   %q may not be set"); an empty issuer name ("failed to determine issuer name").
//! * `cluster-issuer: X` with no cert-manager `ClusterIssuer X` (in the input or declared) but an
//!   `awspca.cert-manager.io` `AWSPCAClusterIssuer X` in the input → error: the shim builds
//!   `issuerRef {kind: ClusterIssuer, group: cert-manager.io}`; the AWS PCA issuer README says
//!   "`cert-manager.io/cluster-issuer` annotation cannot be used to point at a `AWSPCAClusterIssuer`"
//!   — use `issuer` + `issuer-kind` + `issuer-group`.
//! * Ingress `spec.tls`: two entries with the same `secretName` → error (`checkForDuplicateSecretNames`
//!   rejects the whole Ingress: one Certificate per entry, named after the secretName); an entry with
//!   no `hosts` or no `secretName` → error (`validateIngressTLSBlock`: "Skipped a TLS block"). A
//!   shim-annotated Ingress without any `spec.tls` → warning (nothing to issue). These checks are
//!   skipped for ALB-owned Ingresses: `spec.tls` with hosts only is the ALB idiom for ACM discovery
//!   (RULES.md §9.7) and NS009 already reports the shim annotations there as pointless.
//! * Gateway listeners with protocol `HTTPS`/`TLS`, not `Passthrough`, not listed in
//!   `cert-manager.io/ignore-tls-listeners` (`validateGatewayListenerBlock`, "Skipped a listener
//!   block") → error: no `hostname`, no `tls`, no `tls.certificateRefs`, a certificateRef of another
//!   group/kind than core `Secret`, or in another namespace.
//! * `kubernetes.io/tls-acme: "true"` alone → info (the controller's default issuer flags decide).
//!   `issuer-kind`/`issuer-group` without `issuer`/`cluster-issuer` (and without tls-acme) → warning
//!   (ignored); `tls-acme` on a Gateway without `issuer`/`cluster-issuer` → warning (ignored).
//!
//! Objects of other kinds and Ingresses without shim annotations are never read: cert-manager
//! ignores them. Annotation values that are unrendered templates (`{{`, `$(`, `${`) are skipped,
//! so a chart template produces no cascade of errors.
//!
//! This module also holds the helpers the other shim-reading rules (CM004, CM005) share.

use std::collections::HashMap;

use crate::load::Node;
use crate::load::node::pointer;
use crate::model::{IngressOwner, Inventory, ObjId, Settings};
use crate::rules::material::go_true;
use crate::rules::{BuiltinRule, Finding, GATEWAY_KINDS, INGRESS_KINDS, KindSet, Severity};
pub use crate::rules::{annotation_ptr, unrendered as is_unrendered};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "CM003",
    kinds,
    check,
};

const ID: &str = "CM003";

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![
        INGRESS_KINDS,
        GATEWAY_KINDS,
        &[
            ("cert-manager.io", "ClusterIssuer"),
            ("awspca.cert-manager.io", "AWSPCAClusterIssuer"),
        ],
    ]
}

/// `cert-manager.io/issuer`.
pub const ISSUER: &str = "cert-manager.io/issuer";
/// `cert-manager.io/cluster-issuer`.
pub const CLUSTER_ISSUER: &str = "cert-manager.io/cluster-issuer";
/// `cert-manager.io/issuer-kind`.
pub const ISSUER_KIND: &str = "cert-manager.io/issuer-kind";
/// `cert-manager.io/issuer-group`.
pub const ISSUER_GROUP: &str = "cert-manager.io/issuer-group";
/// `kubernetes.io/tls-acme` (the controller's default `--auto-certificate-annotations`).
pub const TLS_ACME: &str = "kubernetes.io/tls-acme";
const IGNORE_LISTENERS: &str = "cert-manager.io/ignore-tls-listeners";
const AWSPCA_GROUP: &str = "awspca.cert-manager.io";

/// The kinds cert-manager's certificate-shim reads (for the `kinds()` of shim-reading rules).
pub const SHIM_KINDS: KindSet = &[
    ("networking.k8s.io", "Ingress"),
    ("extensions", "Ingress"),
    ("gateway.networking.k8s.io", "Gateway"),
];

/// What kind of object cert-manager's shim reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShimKind {
    /// `Ingress` (`networking.k8s.io` or `extensions`).
    Ingress,
    /// Gateway API `Gateway`.
    Gateway,
}

/// The annotation value as cert-manager sees it: present keys with a null value read as "".
fn annotation_value<'a>(inv: &'a Inventory, id: ObjId, key: &str) -> Option<&'a str> {
    let obj = inv.get(id);
    let entry = obj.annotations().iter().find(|e| e.key == key)?;
    Some(entry.value.scalar_text().unwrap_or(""))
}

/// Objects cert-manager's certificate-shim acts on (`hasShimAnnotation`), in input order.
pub fn shim_targets(inv: &Inventory) -> Vec<(ObjId, ShimKind)> {
    let mut out = Vec::new();
    for (group, kind, shim) in [
        ("networking.k8s.io", "Ingress", ShimKind::Ingress),
        ("extensions", "Ingress", ShimKind::Ingress),
        ("gateway.networking.k8s.io", "Gateway", ShimKind::Gateway),
    ] {
        for &id in inv.of_kind(group, kind) {
            if is_shim_target(inv, id, shim) {
                out.push((id, shim));
            }
        }
    }
    out.sort_by_key(|(id, _)| *id);
    out
}

fn is_shim_target(inv: &Inventory, id: ObjId, shim: ShimKind) -> bool {
    annotation_value(inv, id, ISSUER).is_some()
        || annotation_value(inv, id, CLUSTER_ISSUER).is_some()
        || (shim == ShimKind::Ingress && annotation_value(inv, id, TLS_ACME).is_some_and(go_true))
}

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    let targets: HashMap<ObjId, ShimKind> = shim_targets(inv).into_iter().collect();
    for (group, kind, shim) in [
        ("networking.k8s.io", "Ingress", ShimKind::Ingress),
        ("extensions", "Ingress", ShimKind::Ingress),
        ("gateway.networking.k8s.io", "Gateway", ShimKind::Gateway),
    ] {
        for &id in inv.of_kind(group, kind) {
            if targets.contains_key(&id) {
                check_issuer(inv, id, shim, out);
                match shim {
                    ShimKind::Ingress => check_ingress_tls(inv, id, out),
                    ShimKind::Gateway => check_gateway_listeners(inv, id, out),
                }
            } else {
                check_ignored(inv, id, shim, out);
            }
        }
    }
}

/// `issuerForIngressLike` and the AWS PCA ClusterIssuer trap.
fn check_issuer(inv: &Inventory, id: ObjId, shim: ShimKind, out: &mut Vec<Finding>) {
    let what = match shim {
        ShimKind::Ingress => "Ingress",
        ShimKind::Gateway => "Gateway",
    };
    let issuer = annotation_value(inv, id, ISSUER);
    let cluster = annotation_value(inv, id, CLUSTER_ISSUER);
    let kind = annotation_value(inv, id, ISSUER_KIND);
    let group = annotation_value(inv, id, ISSUER_GROUP);
    let refused = format!(
        "cert-manager refuses the {what} (event `BadConfig: Could not determine issuer for ingress due to bad annotations`) and issues no certificate for it"
    );
    if issuer.is_some() && cluster.is_some() {
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                id,
                annotation_ptr(CLUSTER_ISSUER),
                format!("both `{ISSUER}` and `{CLUSTER_ISSUER}` are set: {refused}"),
            )
            .help(format!(
                "Keep one: `{CLUSTER_ISSUER}` for a ClusterIssuer, or `{ISSUER}` for an Issuer in the {what}'s namespace (or an external issuer with `{ISSUER_KIND}`/`{ISSUER_GROUP}`)."
            )),
        );
    }
    if cluster.is_some() {
        for (key, value) in [(ISSUER_KIND, kind), (ISSUER_GROUP, group)] {
            if let Some(v) = value {
                out.push(
                    Finding::new(
                        ID,
                        Severity::Error,
                        id,
                        annotation_ptr(key),
                        format!(
                            "`{key}: {v}` may not be combined with `{CLUSTER_ISSUER}` (cert-manager: \"both \\\"{CLUSTER_ISSUER}\\\" and \\\"{key}\\\" may not be set\"): {refused}"
                        ),
                    )
                    .help(format!(
                        "For an external or custom-kind issuer use `{ISSUER}: <name>` with `{ISSUER_KIND}` and `{ISSUER_GROUP}`; for a cert-manager ClusterIssuer drop `{key}`."
                    )),
                );
            }
        }
    }
    // The effective name: cluster-issuer wins over issuer (both set is reported above).
    for (key, value) in [(CLUSTER_ISSUER, cluster), (ISSUER, issuer)] {
        if let Some(v) = value {
            if v.trim().is_empty() {
                out.push(
                    Finding::new(
                        ID,
                        Severity::Error,
                        id,
                        annotation_ptr(key),
                        format!(
                            "`{key}` is empty: cert-manager fails with \"failed to determine issuer name to be used for ingress resource\" and issues nothing"
                        ),
                    )
                    .help(format!("Set `{key}` to the name of the issuer.")),
                );
            }
            break;
        }
    }
    if issuer.is_none() && cluster.is_none() {
        // Only `kubernetes.io/tls-acme` triggered the shim.
        if let Some(v) = annotation_value(inv, id, TLS_ACME) {
            out.push(
                Finding::new(
                    ID,
                    Severity::Info,
                    id,
                    annotation_ptr(TLS_ACME),
                    format!(
                        "`{TLS_ACME}: \"{v}\"` without `{ISSUER}`/`{CLUSTER_ISSUER}` uses the controller's default issuer (`--default-issuer-name`/`--default-issuer-kind`, Helm `ingressShim.defaultIssuerName`); without one cert-manager issues nothing (\"failed to determine issuer name\")"
                    ),
                )
                .help(format!(
                    "Name the issuer explicitly with `{CLUSTER_ISSUER}` or `{ISSUER}`."
                )),
            );
        }
    }
    check_awspca_cluster_issuer(inv, id, cluster, out);
}

fn check_awspca_cluster_issuer(
    inv: &Inventory,
    id: ObjId,
    cluster: Option<&str>,
    out: &mut Vec<Finding>,
) {
    let Some(name) = cluster.filter(|n| !n.is_empty() && !is_unrendered(n)) else {
        return;
    };
    if inv.exists("cert-manager.io", "ClusterIssuer", None, name) {
        return;
    }
    let Some(pca) = inv.find(AWSPCA_GROUP, "AWSPCAClusterIssuer", None, name) else {
        return;
    };
    out.push(
        Finding::new(
            ID,
            Severity::Error,
            id,
            annotation_ptr(CLUSTER_ISSUER),
            format!(
                "`{CLUSTER_ISSUER}: {name}` names an AWSPCAClusterIssuer, but this annotation always means a cert-manager `ClusterIssuer` (group `cert-manager.io`) and none named `{name}` exists; the AWS Private CA issuer README: \"The `cert-manager.io/cluster-issuer` annotation cannot be used to point at a `AWSPCAClusterIssuer`\""
            ),
        )
        .help(format!(
            "Replace it with `{ISSUER}: {name}`, `{ISSUER_KIND}: AWSPCAClusterIssuer` and `{ISSUER_GROUP}: {AWSPCA_GROUP}`."
        ))
        .related([inv.obj_ref(pca)]),
    );
}

/// Annotations that do nothing because the shim never looks at the object.
fn check_ignored(inv: &Inventory, id: ObjId, shim: ShimKind, out: &mut Vec<Finding>) {
    for key in [ISSUER_KIND, ISSUER_GROUP] {
        if let Some(v) = annotation_value(inv, id, key) {
            let trigger = match shim {
                ShimKind::Ingress => {
                    format!("`{ISSUER}`, `{CLUSTER_ISSUER}` or `{TLS_ACME}: \"true\"`")
                }
                ShimKind::Gateway => format!("`{ISSUER}` or `{CLUSTER_ISSUER}`"),
            };
            out.push(
                Finding::new(
                    ID,
                    Severity::Warning,
                    id,
                    annotation_ptr(key),
                    format!(
                        "`{key}: {v}` has no effect: cert-manager only acts on objects carrying {trigger}, so no certificate is issued"
                    ),
                )
                .help(format!("Add `{ISSUER}: <issuer name>` next to `{key}`.")),
            );
        }
    }
    if shim == ShimKind::Gateway
        && let Some(v) = annotation_value(inv, id, TLS_ACME).filter(|v| go_true(v))
    {
        out.push(
            Finding::new(
                ID,
                Severity::Warning,
                id,
                annotation_ptr(TLS_ACME),
                format!(
                    "`{TLS_ACME}: \"{v}\"` has no effect on a Gateway: cert-manager honours it only on Ingresses, so no certificate is issued"
                ),
            )
            .help(format!(
                "Use `{CLUSTER_ISSUER}` or `{ISSUER}` on the Gateway."
            )),
        );
    }
}

fn text(node: Option<&Node>) -> Option<&str> {
    node.and_then(Node::scalar_text)
}

/// `checkForDuplicateSecretNames` and `validateIngressTLSBlock`.
fn check_ingress_tls(inv: &Inventory, id: ObjId, out: &mut Vec<Finding>) {
    if matches!(inv.ingress_owner(id), IngressOwner::Alb { .. }) {
        return; // ALB idiom (hosts-only TLS entries); NS009 reports the shim annotations.
    }
    let obj = inv.get(id);
    let trigger = [CLUSTER_ISSUER, ISSUER, TLS_ACME]
        .into_iter()
        .find(|k| annotation_value(inv, id, k).is_some())
        .unwrap_or(TLS_ACME);
    let tls_node = obj.spec().and_then(|s| s.get("tls"));
    let tls = tls_node.map_or(&[][..], Node::items);
    if tls.is_empty() {
        out.push(
            Finding::new(
                ID,
                Severity::Warning,
                id,
                if tls_node.is_some() {
                    "/spec/tls".to_string()
                } else {
                    annotation_ptr(trigger)
                },
                "cert-manager annotations are set but the Ingress has no `spec.tls` entries: cert-manager creates one Certificate per `spec.tls` entry, so nothing is issued",
            )
            .help("Add `spec.tls: [{hosts: [<host>], secretName: <secret>}]` for the hosts to secure."),
        );
        return;
    }
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (i, entry) in tls.iter().enumerate() {
        let idx = i.to_string();
        let secret = text(entry.get("secretName")).unwrap_or("");
        let hosts = entry.get("hosts").map_or(&[][..], Node::items);
        if is_unrendered(secret) {
            continue;
        }
        if let Some(&j) = first.get(secret) {
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    id,
                    if entry.get("secretName").is_some() {
                        pointer(["spec", "tls", &idx, "secretName"])
                    } else {
                        pointer(["spec", "tls", &idx])
                    },
                    if secret.is_empty() {
                        format!("spec.tls[{j}] and spec.tls[{i}] both have no `secretName`: cert-manager treats the empty name as a duplicate (\"this secret name must only appear in a single TLS entry\") and rejects the whole Ingress (BadConfig), issuing no certificate")
                    } else {
                        format!("`secretName: {secret}` is also used by spec.tls[{j}]: cert-manager creates one Certificate per TLS entry, named after its secretName, so it rejects the whole Ingress (BadConfig: \"this secret name must only appear in a single TLS entry\") and issues no certificate for any entry")
                    },
                )
                .help("Merge the hosts of both entries into one TLS entry, or give each entry its own secretName."),
            );
        } else {
            first.insert(secret, i);
        }
        if hosts.is_empty() {
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    id,
                    if entry.get("hosts").is_some() {
                        pointer(["spec", "tls", &idx, "hosts"])
                    } else {
                        pointer(["spec", "tls", &idx])
                    },
                    format!("spec.tls[{i}] has no `hosts`: cert-manager skips this TLS entry (\"Skipped a TLS block: spec.tls[{i}].hosts: Required value\"), so no certificate is issued for it"),
                )
                .help("List the host names the certificate must cover in `hosts`."),
            );
        }
        if secret.is_empty() {
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    id,
                    if entry.get("secretName").is_some() {
                        pointer(["spec", "tls", &idx, "secretName"])
                    } else {
                        pointer(["spec", "tls", &idx])
                    },
                    format!("spec.tls[{i}] has no `secretName`: cert-manager skips this TLS entry (\"Skipped a TLS block: spec.tls[{i}].secretName: Required value\"), so no certificate is issued for it"),
                )
                .help("Set `secretName`: cert-manager creates a Certificate of that name and stores the key pair in that Secret."),
            );
        }
    }
}

/// `handleGatewayAPIListeners` + `validateGatewayListenerBlock`.
fn check_gateway_listeners(inv: &Inventory, id: ObjId, out: &mut Vec<Finding>) {
    let obj = inv.get(id);
    let ignored: Vec<&str> = annotation_value(inv, id, IGNORE_LISTENERS)
        .map(|v| v.split(',').map(str::trim).collect())
        .unwrap_or_default();
    let listeners = obj
        .root
        .path(&["spec", "listeners"])
        .map_or(&[][..], Node::items);
    let gw_ns = obj.ns();
    for (i, l) in listeners.iter().enumerate() {
        let protocol = text(l.get("protocol")).unwrap_or("");
        if protocol != "HTTPS" && protocol != "TLS" {
            continue;
        }
        let tls = l.get("tls").filter(|t| !t.is_null());
        let mode = text(tls.and_then(|t| t.get("mode")));
        if mode == Some("Passthrough") {
            continue;
        }
        let name = text(l.get("name")).unwrap_or("");
        if ignored.contains(&name) || is_unrendered(name) {
            continue;
        }
        let idx = i.to_string();
        let label = if name.is_empty() {
            format!("spec.listeners[{i}]")
        } else {
            format!("listener `{name}`")
        };
        let skipped = "cert-manager skips this listener (\"Skipped a listener block\") and issues no certificate for it";
        let help = format!(
            "Fix the listener, or list it in `{IGNORE_LISTENERS}` (cert-manager ≥ 1.21) if its certificate is managed elsewhere."
        );
        let mut push = |ptr: String, msg: String| {
            out.push(Finding::new(ID, Severity::Error, id, ptr, msg).help(help.clone()));
        };
        let hostname = text(l.get("hostname")).unwrap_or("");
        if hostname.is_empty() {
            push(
                pointer(["spec", "listeners", &idx]),
                format!("{label} ({protocol}) has no `hostname`: {skipped}"),
            );
        }
        let Some(tls) = tls else {
            push(
                pointer(["spec", "listeners", &idx]),
                format!("{label} ({protocol}) has no `tls` block: {skipped}"),
            );
            continue;
        };
        if let Some(m) = mode
            && m != "Terminate"
            && !is_unrendered(m)
        {
            push(
                pointer(["spec", "listeners", &idx, "tls", "mode"]),
                format!("{label} has `tls.mode: {m}` (only `Terminate` is supported): {skipped}"),
            );
        }
        let refs = tls.get("certificateRefs").map_or(&[][..], Node::items);
        if refs.is_empty() {
            push(
                pointer(["spec", "listeners", &idx, "tls"]),
                format!(
                    "{label} has no `tls.certificateRefs`: cert-manager needs a Secret name to issue into; {skipped}"
                ),
            );
        }
        for (j, r) in refs.iter().enumerate() {
            let jdx = j.to_string();
            let group = text(r.get("group")).unwrap_or("");
            let kind = text(r.get("kind")).unwrap_or("");
            let ns = text(r.get("namespace"));
            if !group.is_empty() && group != "core" && !is_unrendered(group) {
                push(
                    pointer([
                        "spec",
                        "listeners",
                        &idx,
                        "tls",
                        "certificateRefs",
                        &jdx,
                        "group",
                    ]),
                    format!(
                        "{label} certificateRefs[{j}] has `group: {group}` (cert-manager supports only core Secrets): {skipped}"
                    ),
                );
            }
            if !kind.is_empty() && kind != "Secret" && !is_unrendered(kind) {
                push(
                    pointer([
                        "spec",
                        "listeners",
                        &idx,
                        "tls",
                        "certificateRefs",
                        &jdx,
                        "kind",
                    ]),
                    format!(
                        "{label} certificateRefs[{j}] has `kind: {kind}` (cert-manager supports only `Secret`): {skipped}"
                    ),
                );
            }
            if let Some(ns) = ns
                && Some(ns) != gw_ns
                && !is_unrendered(ns)
            {
                push(
                    pointer([
                        "spec",
                        "listeners",
                        &idx,
                        "tls",
                        "certificateRefs",
                        &jdx,
                        "namespace",
                    ]),
                    format!(
                        "{label} certificateRefs[{j}] is in namespace `{ns}`, not the Gateway's (\"cross-namespace secret references are not allowed in listeners\"): {skipped}"
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::run_check;

    fn run(yaml: &str) -> Vec<Finding> {
        run_check(check, yaml, Settings::default())
    }

    #[test]
    fn tls_acme_parse_bool() {
        for (v, want) in [
            ("true", true),
            ("1", true),
            ("True", true),
            ("yes", false),
            ("false", false),
        ] {
            let f = run(&format!(
                "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: a\n  annotations:\n    kubernetes.io/tls-acme: \"{v}\"\nspec: {{}}\n"
            ));
            assert_eq!(!f.is_empty(), want, "{v}: {f:?}");
        }
    }

    #[test]
    fn unrendered_secret_names_are_skipped() {
        let f = run(r#"
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: a
  annotations:
    cert-manager.io/cluster-issuer: "{{ .Values.issuer }}"
spec:
  tls:
    - hosts: [a.example.com]
      secretName: "{{ .Values.secret }}"
    - hosts: [b.example.com]
      secretName: "{{ .Values.secret }}"
"#);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn issuer_kind_with_issuer_is_fine() {
        let f = run(r#"
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: a
  annotations:
    cert-manager.io/issuer: pca
    cert-manager.io/issuer-kind: AWSPCAClusterIssuer
    cert-manager.io/issuer-group: awspca.cert-manager.io
spec:
  tls:
    - hosts: [a.example.com]
      secretName: a-tls
"#);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn declared_cluster_issuer_wins_over_awspca() {
        // A ClusterIssuer of the same name (in the input) means the annotation is right.
        let f = run(r#"
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: a
  annotations:
    cert-manager.io/cluster-issuer: pca
spec:
  tls:
    - hosts: [a.example.com]
      secretName: a-tls
---
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: pca
spec:
  selfSigned: {}
---
apiVersion: awspca.cert-manager.io/v1beta1
kind: AWSPCAClusterIssuer
metadata:
  name: pca
spec:
  arn: arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/12345678-1234-1234-1234-123456789012
"#);
        assert!(f.is_empty(), "{f:?}");
    }
}
