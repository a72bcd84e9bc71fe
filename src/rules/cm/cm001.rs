//! CM001 cert-manager-api-deprecated: manifests written for cert-manager APIs that no longer exist.
//!
//! * `apiVersion` in group `certmanager.k8s.io` (any kind: Certificate, Issuer, ClusterIssuer,
//!   CertificateRequest, Order, Challenge) → error: the group was renamed to `cert-manager.io`
//!   (Order/Challenge: `acme.cert-manager.io`) in v0.11 (CM-DOCS `release-notes-0.11.md`), so no
//!   current cert-manager serves it and `kubectl apply` fails with "no matches for kind".
//! * `cert-manager.io` or `acme.cert-manager.io` at `v1alpha2`, `v1alpha3` or `v1beta1` → error: "no
//!   longer served" since v1.6 and "removed" in v1.7 (CM-DOCS `release-notes-1.7`, "Migrating
//!   Deprecated API Resources").
//! * Annotation keys `certmanager.k8s.io/<x>` on any object → error, but only when the renamed key
//!   (`cert-manager.io/<x>`; `acme.cert-manager.io/http01-edit-in-place` and
//!   `…/http01-ingress-class` for the two ACME ones, per the v0.11 table) is missing: charts such as
//!   kube-prometheus-stack set both on purpose (RULES.md §9.12). Keys the v0.11 table marks
//!   **REMOVED** (`acme-challenge-type`, `acme-dns01-provider`) → info: they do nothing, solver
//!   selection moved to the Issuer.
//! * The legacy cainjector keys `certmanager.k8s.io/inject-*` on the kinds cainjector injects
//!   (ValidatingWebhookConfiguration, MutatingWebhookConfiguration, CustomResourceDefinition,
//!   APIService) are left to WH002, which reports "only the legacy key is present" with the webhook
//!   context; reporting them here too would double-count one mistake. On any other kind they are
//!   reported here (nothing else would).
//!
//! An `apiVersion` that is an unrendered template (`{{`, `$(`, `${`) is skipped.

use super::cm003::{annotation_ptr, is_unrendered};
use crate::model::{Inventory, ObjId, Settings};
use crate::rules::{BuiltinRule, Finding, KindSet, Severity};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "CM001",
    kinds,
    check,
};

const ID: &str = "CM001";
const LEGACY_GROUP: &str = "certmanager.k8s.io";
const LEGACY_PREFIX: &str = "certmanager.k8s.io/";

/// Kinds read through their `apiVersion`. Objects of any other kind that carry a
/// `certmanager.k8s.io/` annotation are kept by the engine (`ANY_KIND_ANNOTATION_PREFIXES`).
const KINDS: KindSet = &[
    (LEGACY_GROUP, "Certificate"),
    (LEGACY_GROUP, "Issuer"),
    (LEGACY_GROUP, "ClusterIssuer"),
    (LEGACY_GROUP, "CertificateRequest"),
    (LEGACY_GROUP, "Order"),
    (LEGACY_GROUP, "Challenge"),
    ("cert-manager.io", "Certificate"),
    ("cert-manager.io", "Issuer"),
    ("cert-manager.io", "ClusterIssuer"),
    ("cert-manager.io", "CertificateRequest"),
    ("acme.cert-manager.io", "Order"),
    ("acme.cert-manager.io", "Challenge"),
];

const REMOVED_VERSIONS: [&str; 3] = ["v1alpha2", "v1alpha3", "v1beta1"];

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![KINDS]
}

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    for id in 0..inv.objects.len() {
        check_api_version(inv, id, out);
        check_annotations(inv, id, out);
    }
}

/// The group an old kind lives in today.
fn current_group(kind: &str) -> &'static str {
    match kind {
        "Order" | "Challenge" => "acme.cert-manager.io",
        _ => "cert-manager.io",
    }
}

fn check_api_version(inv: &Inventory, id: ObjId, out: &mut Vec<Finding>) {
    let obj = inv.get(id);
    let api_version = obj.id.api_version.as_str();
    if is_unrendered(api_version) {
        return;
    }
    let kind = obj.id.kind.as_str();
    let version = api_version.rsplit_once('/').map_or("", |(_, v)| v);
    if obj.group == LEGACY_GROUP {
        let new = current_group(kind);
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                id,
                "/apiVersion",
                format!(
                    "`apiVersion: {api_version}` uses the API group `{LEGACY_GROUP}`, renamed to `{new}` in cert-manager v0.11; no current cert-manager serves it, so the apiserver rejects this {kind} (\"no matches for kind \\\"{kind}\\\" in version \\\"{api_version}\\\"\")"
                ),
            )
            .help(format!(
                "Rewrite the {kind} for `{new}/v1`: besides the group, the v1alpha1 schema changed (e.g. Certificate `spec.acme` was removed in favour of Issuer `spec.acme.solvers`, `keyAlgorithm`/`keySize` became `privateKey`); see the cert-manager v0.11 and v1.0 upgrade notes."
            )),
        );
    } else if (obj.group == "cert-manager.io" || obj.group == "acme.cert-manager.io")
        && REMOVED_VERSIONS.contains(&version)
    {
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                id,
                "/apiVersion",
                format!(
                    "`apiVersion: {api_version}` was removed in cert-manager v1.7 (no longer served since v1.6): \"the cert-manager API versions v1alpha2, v1alpha3, and v1beta1 have been removed\", so the apiserver rejects this {kind}"
                ),
            )
            .help(format!(
                "Use `apiVersion: {}/v1`; `cmctl convert -f <file>` converts the manifest (fields were renamed between versions), and `cmctl upgrade migrate-api-version` migrates objects stored in the cluster.",
                obj.group
            )),
        );
    }
}

/// The current key for a legacy annotation key, `None` for keys removed without replacement.
fn renamed(suffix: &str) -> Option<String> {
    match suffix {
        "acme-http01-edit-in-place" => Some("acme.cert-manager.io/http01-edit-in-place".into()),
        "acme-http01-ingress-class" => Some("acme.cert-manager.io/http01-ingress-class".into()),
        "acme-challenge-type" | "acme-dns01-provider" => None,
        _ => Some(format!("cert-manager.io/{suffix}")),
    }
}

fn check_annotations(inv: &Inventory, id: ObjId, out: &mut Vec<Finding>) {
    let obj = inv.get(id);
    let injectable = crate::model::webhook::INJECTABLE_KINDS
        .iter()
        .any(|(g, k)| obj.is(g, k));
    for entry in obj.annotations() {
        let Some(suffix) = entry.key.strip_prefix(LEGACY_PREFIX) else {
            continue;
        };
        let key = entry.key.as_str();
        if suffix.starts_with("inject-") && injectable {
            continue; // WH002 reports legacy-only cainjector annotations on injectable kinds.
        }
        let Some(new) = renamed(suffix) else {
            out.push(
                Finding::new(
                    ID,
                    Severity::Info,
                    id,
                    annotation_ptr(key),
                    format!(
                        "`{key}` was removed in cert-manager v0.11 and is ignored: ACME solvers are chosen by the Issuer's `spec.acme.solvers[].selector`"
                    ),
                )
                .help("Delete the annotation; configure HTTP-01/DNS-01 solvers (with selectors) on the Issuer or ClusterIssuer."),
            );
            continue;
        };
        if obj.annotations().iter().any(|e| e.key == new) {
            continue; // Both keys set (kube-prometheus-stack style): the current one is read.
        }
        let extra = if suffix.starts_with("inject-") {
            "; besides, cainjector only reads inject annotations on webhook configurations, CRDs and APIServices"
        } else {
            ""
        };
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                id,
                annotation_ptr(key),
                format!(
                    "`{key}` uses the annotation prefix `{LEGACY_PREFIX}`, which cert-manager ignores since v0.11 (renamed to `{new}`), so this annotation has no effect{extra}"
                ),
            )
            .help(format!("Rename the key to `{new}`.")),
        );
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
    fn legacy_inject_on_webhook_left_to_wh002() {
        let f = run(r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: a
  annotations:
    certmanager.k8s.io/inject-ca-from: ns/cert
"#);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn legacy_inject_on_service_reported() {
        let f = run(r#"
apiVersion: v1
kind: Service
metadata:
  name: a
  annotations:
    certmanager.k8s.io/inject-ca-from: ns/cert
"#);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].message.contains("cainjector only reads"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn current_v1_and_unrendered_are_fine() {
        let f = run(r#"
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: a
---
apiVersion: "cert-manager.io/{{ .Values.version }}"
kind: Certificate
metadata:
  name: b
"#);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn acme_group_removed_versions() {
        let f = run(r#"
apiVersion: acme.cert-manager.io/v1alpha3
kind: Order
metadata:
  name: a
"#);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].help
                .as_deref()
                .unwrap()
                .contains("acme.cert-manager.io/v1")
        );
    }
}
