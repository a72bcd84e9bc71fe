//! LIVE003 issuer-not-ready: an issuer of the cluster is not Ready, so the certificates it should sign
//! are not issued or renewed.
//!
//! Only in live mode. For every `cert-manager.io` Issuer/ClusterIssuer (cert-manager's
//! `IssuerCondition`, `types_issuer.go`) and `awspca.cert-manager.io` AWSPCAIssuer/AWSPCAClusterIssuer
//! (`metav1.Condition`), the condition `type: Ready`:
//! * missing or not `True`, and the issuer is referenced → error, quoting `reason` and `message`
//!   (e.g. CA issuer `ErrGetKeyPair`, `ErrInvalidKeyPair` — `pkg/issuer/ca/setup.go`) and naming the
//!   referencing objects;
//! * missing or not `True` and nothing references it → warning;
//! * created less than 2 minutes ago → info (not reconciled yet).
//!
//! References: Certificates' and CertificateRequests' `issuerRef` (defaulted as cert-manager does),
//! ingress-shim / gateway-shim annotations (`cert-manager.io/issuer` with `issuer-kind`/`issuer-group`,
//! `cert-manager.io/cluster-issuer`) on Ingresses and Gateways, and istio-csr's static issuer
//! (`--issuer-name`/`--issuer-kind`/`--issuer-group`, defaults `istio-ca`/`Issuer`/`cert-manager.io`,
//! in `--certificate-namespace`, default `istio-system`; skipped with `--issuer-enabled=false`).
//! References to issuers that do not exist are CM002's.

use std::collections::BTreeMap;

use super::status::{condition, created, describe, flags, status_pointer};
use crate::load::Node;
use crate::model::certmanager::{AWSPCA_GROUP, GROUP, IssuerRef, Resolution};
use crate::model::webhook::containers;
use crate::model::{Inventory, ObjId, ObjRef, Settings};
use crate::rules::cm::cm002::{
    SHIM_CLUSTER_ISSUER, SHIM_ISSUER, SHIM_ISSUER_GROUP, SHIM_ISSUER_KIND,
};
use crate::rules::{BuiltinRule, Finding, KindSet, Severity, WORKLOAD_KINDS};
use crate::time::{MINUTE, human};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "LIVE003",
    kinds,
    check,
};

fn kinds(settings: &Settings) -> Vec<KindSet> {
    // Live mode only: in files the rule reads nothing, and its kinds would keep objects in memory.
    if !settings.live {
        return Vec::new();
    }
    vec![
        ISSUER_KINDS,
        &[
            (GROUP, "Certificate"),
            (GROUP, "CertificateRequest"),
            ("networking.k8s.io", "Ingress"),
            ("extensions", "Ingress"),
            ("gateway.networking.k8s.io", "Gateway"),
        ],
        WORKLOAD_KINDS,
    ]
}

const ID: &str = "LIVE003";
const ISSUER_KINDS: KindSet = &[
    (GROUP, "Issuer"),
    (GROUP, "ClusterIssuer"),
    (AWSPCA_GROUP, "AWSPCAIssuer"),
    (AWSPCA_GROUP, "AWSPCAClusterIssuer"),
];
/// Issuers younger than this may not have been reconciled yet.
const GRACE: i64 = 2 * MINUTE;
/// Most referencing objects a message names.
const MAX_NAMED: usize = 3;

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    if !inv.settings.live {
        return;
    }
    let refs = references(inv);
    let now = inv.settings.now;
    for (group, kind) in ISSUER_KINDS {
        for &i in inv.of_kind(group, kind) {
            let obj = inv.get(i);
            let ready = condition(obj, "Ready");
            if ready.as_ref().is_some_and(|r| r.is_true()) {
                continue;
            }
            let (ptr, state) = match &ready {
                Some(r) => (
                    r.pointer("status"),
                    format!("is not Ready {}", r.with_status()),
                ),
                None => (
                    status_pointer(obj),
                    format!(
                        "has no Ready condition ({} has not reconciled it)",
                        if obj.group == AWSPCA_GROUP {
                            "the AWS Private CA issuer controller (aws-privateca-issuer)"
                        } else {
                            "cert-manager"
                        }
                    ),
                ),
            };
            let users = refs.get(&i).map_or(&[][..], Vec::as_slice);
            if let Some(age) = created(obj)
                .map(|t| now - t)
                .filter(|a| (0..GRACE).contains(a))
            {
                out.push(Finding::new(
                    ID,
                    Severity::Info,
                    i,
                    ptr,
                    format!(
                        "{} {state}; it was created {} ago",
                        describe(obj),
                        human(age)
                    ),
                ));
                continue;
            }
            let finding = if users.is_empty() {
                Finding::new(
                    ID,
                    Severity::Warning,
                    i,
                    ptr,
                    format!(
                        "{} {state}; no Certificate, CertificateRequest, ingress-shim annotation or istio-csr in the cluster uses it",
                        describe(obj)
                    ),
                )
                .help("Fix the issuer (its reason names the cause) or delete it if it is unused.")
            } else {
                let mut named: Vec<String> = users
                    .iter()
                    .take(MAX_NAMED)
                    .map(|(r, why)| format!("{} ({why})", r.display()))
                    .collect();
                if users.len() > MAX_NAMED {
                    named.push(format!("{} more", users.len() - MAX_NAMED));
                }
                Finding::new(
                    ID,
                    Severity::Error,
                    i,
                    ptr,
                    format!(
                        "{} {state}: nothing it should sign is issued or renewed; used by {}",
                        describe(obj),
                        named.join(", ")
                    ),
                )
                .help("Fix what the reason names (for a CA issuer: the CA Secret exists in the right namespace and holds a CA key pair; for ACME: the account key and server; for AWS PCA: the CA ARN, region and credentials), then check that the issuer turns Ready.")
                .related(users.iter().map(|(r, _)| r.clone()))
            };
            out.push(finding);
        }
    }
}

/// The objects referencing each issuer in the input, with how.
fn references(inv: &Inventory) -> BTreeMap<ObjId, Vec<(ObjRef, &'static str)>> {
    let mut refs: BTreeMap<ObjId, Vec<(ObjRef, &'static str)>> = BTreeMap::new();
    let mut add = |issuer: ObjId, who: ObjRef, why: &'static str| {
        let list = refs.entry(issuer).or_default();
        if !list.iter().any(|(r, _)| *r == who) {
            list.push((who, why));
        }
    };
    for kind in ["Certificate", "CertificateRequest"] {
        for &c in inv.of_kind(GROUP, kind) {
            if let Some(i) = inv.issuer_of(c) {
                add(i, inv.obj_ref(c), "issuerRef");
            }
        }
    }
    for (group, kind) in [
        ("networking.k8s.io", "Ingress"),
        ("extensions", "Ingress"),
        ("gateway.networking.k8s.io", "Gateway"),
    ] {
        for &o in inv.of_kind(group, kind) {
            let obj = inv.get(o);
            let r = match (
                obj.annotation(SHIM_ISSUER),
                obj.annotation(SHIM_CLUSTER_ISSUER),
            ) {
                (Some(name), None) => IssuerRef {
                    name: name.to_string(),
                    kind: obj
                        .annotation(SHIM_ISSUER_KIND)
                        .unwrap_or("Issuer")
                        .to_string(),
                    group: obj
                        .annotation(SHIM_ISSUER_GROUP)
                        .unwrap_or(GROUP)
                        .to_string(),
                    kind_set: true,
                    group_set: true,
                },
                (None, Some(name)) => IssuerRef {
                    name: name.to_string(),
                    kind: "ClusterIssuer".to_string(),
                    group: GROUP.to_string(),
                    kind_set: true,
                    group_set: true,
                },
                _ => continue, // none, or both (CM003: the shim creates nothing)
            };
            if let Resolution::Found(i) = inv.resolve_issuer(obj.ns(), &r) {
                add(i, inv.obj_ref(o), "ingress-shim");
            }
        }
    }
    for (group, kind) in WORKLOAD_KINDS {
        for &w in inv.of_kind(group, kind) {
            let Some(spec) = crate::model::pod_template_of(inv.get(w)).and_then(|t| t.get("spec"))
            else {
                continue;
            };
            for c in containers(spec) {
                if let Some((ns, r)) = istio_csr_issuer(c)
                    && let Resolution::Found(i) = inv.resolve_issuer(Some(&ns), &r)
                {
                    add(i, inv.obj_ref(w), "istio-csr");
                }
            }
        }
    }
    refs
}

/// The static issuer of an istio-csr container and the namespace its CertificateRequests are created
/// in, or `None` when the container is not istio-csr or its static issuer is disabled.
fn istio_csr_issuer(container: &Node) -> Option<(String, IssuerRef)> {
    let fl = flags(container, "");
    let last = |name: &str| fl.iter().rev().find(|f| f.name == name);
    let by_image = container
        .str_at(&["image"])
        .is_some_and(|i| i.contains("cert-manager-istio-csr"));
    if !by_image && (last("certificate-namespace").is_none() || last("issuer-name").is_none()) {
        return None;
    }
    if last("issuer-enabled").and_then(|f| f.as_bool()) == Some(false) {
        return None;
    }
    let value = |name: &str, default: &str| {
        last(name)
            .and_then(|f| f.value)
            .filter(|v| !v.is_empty())
            .unwrap_or(default)
            .to_string()
    };
    Some((
        value("certificate-namespace", "istio-system"),
        IssuerRef {
            name: value("issuer-name", "istio-ca"),
            kind: value("issuer-kind", "Issuer"),
            group: value("issuer-group", GROUP),
            kind_set: true,
            group_set: true,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::run_check;

    fn settings() -> Settings {
        Settings {
            live: true,
            now: crate::time::midnight("2026-11-26").unwrap(),
            ..Settings::default()
        }
    }

    const ISSUERS: &str = "apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: istio-ca, namespace: istio-system}
spec: {ca: {secretName: istio-ca}}
status:
  conditions:
    - {type: Ready, status: 'False', reason: ErrGetKeyPair, message: 'Error getting keypair for CA issuer: secret \"istio-ca\" not found'}
---
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: unused}
spec: {selfSigned: {}}
---
";

    #[test]
    fn referenced_by_istio_csr_is_an_error_unused_a_warning() {
        let csr = "apiVersion: apps/v1
kind: Deployment
metadata: {name: cert-manager-istio-csr, namespace: cert-manager}
spec:
  template:
    spec:
      containers:
        - name: istio-csr
          image: quay.io/jetstack/cert-manager-istio-csr:v0.14.0
          args: [--certificate-namespace=istio-system, --issuer-kind=Issuer]
";
        let f = run_check(check, &format!("{ISSUERS}{csr}"), settings());
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].severity, Severity::Error);
        assert!(
            f[0].message.contains("reason `ErrGetKeyPair`")
                && f[0]
                    .message
                    .contains("used by Deployment cert-manager/cert-manager-istio-csr"),
            "{}",
            f[0].message
        );
        assert_eq!(f[1].severity, Severity::Warning);
        assert_eq!(f[1].pointer, "/metadata/name");
        // With the static issuer disabled, the Issuer is unused.
        let csr = csr.replace("--issuer-kind=Issuer", "--issuer-enabled=false");
        let f = run_check(check, &format!("{ISSUERS}{csr}"), settings());
        assert!(f.iter().all(|f| f.severity == Severity::Warning));
    }

    #[test]
    fn shim_annotations_reference_issuers() {
        let ing = "apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: app
  annotations: {cert-manager.io/cluster-issuer: unused}
";
        let f = run_check(check, &format!("{ISSUERS}{ing}"), settings());
        let unused: Vec<_> = f.iter().filter(|f| f.message.contains("unused")).collect();
        assert_eq!(unused[0].severity, Severity::Error, "{f:?}");
        assert!(unused[0].message.contains("used by Ingress app/web"));
    }
}
