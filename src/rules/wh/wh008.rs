//! WH008 apiservice-crd-conversion-tls-invalid: aggregated APIServices and CRD conversion webhooks whose
//! TLS settings the apiserver rejects, that skip server verification, or that cainjector cannot fix.
//!
//! APIService (`apiregistration.k8s.io`), only when `spec.service` is set:
//!
//! * `insecureSkipTLSVerify: true` and a non-empty `caBundle` → error: APIService validation rejects
//!   it ("may not be true if caBundle is present", `len(caBundle) > 0`, so the `Cg==` placeholder
//!   counts too).
//! * `insecureSkipTLSVerify: true`, no caBundle, and a usable cainjector annotation → error: cainjector
//!   sets `caBundle` and its update is rejected for the same reason, so verification stays off.
//! * `insecureSkipTLSVerify: true` alone → warning (the kube-aggregator proxies with
//!   `Insecure: true`, `handler_proxy.go`: no server authentication); info when the object matches the
//!   `metrics-server-insecure` fingerprint (RULES.md §1.8 H, metrics-server's chart default).
//! * Neither caBundle nor insecure nor injection (and no §1.8 fingerprint) → error: the aggregator
//!   verifies the server with the apiserver's system roots, which never hold an in-cluster CA
//!   (`FailedDiscoveryCheck`, x509: certificate signed by unknown authority). A `Cg==` placeholder
//!   holds no certificate, so it counts as none.
//! * Local APIServices (no `spec.service`, the built-in groups) are skipped, except that a local
//!   APIService with `insecureSkipTLSVerify: true` or a `caBundle` is rejected by validation ("local
//!   APIServices may not have …") → error.
//!
//! CustomResourceDefinition (`apiextensions.k8s.io`):
//!
//! * A cainjector annotation (`cert-manager.io/inject-ca-from[-secret]`, `inject-apiserver-ca`) while
//!   `spec.conversion.strategy` is not `Webhook` (absent means `None`) → warning: cainjector's
//!   `crdConversionTarget.SetCA` returns without change. Metadata-only patches (no `spec`) and
//!   unrendered values (reported by WH003) are skipped.
//! * `apiextensions.k8s.io/v1` CRD with the v1beta1 field `spec.conversion.webhookClientConfig` →
//!   error: v1 has `conversion.webhook.{clientConfig,conversionReviewVersions}`; the apiserver rejects
//!   the unknown field (kubectl's strict field validation) or prunes it and then fails validation
//!   ("webhookClientConfig: Required value: required when strategy is set to Webhook").
//! * A `strategy: Webhook` conversion without any CA source is WH002's finding (the same condition as
//!   for admission webhooks), not reported twice.
//!
//! Sources: kube-aggregator `pkg/apis/apiregistration/validation/validation.go`, `handler_proxy.go`;
//! apiextensions-apiserver `validation.go` (`validateCustomResourceConversion`); cert-manager
//! `pkg/controller/cainjector/injectables.go` (`crdConversionTarget.SetCA`).

use super::{annotation_ptr, backend_related, unrendered};
use crate::load::Node;
use crate::load::node::pointer;
use crate::model::webhook::{self, Annotation, CaBundle, CaSource, Injectable, Target};
use crate::model::{Inventory, Object, Settings};
use crate::rules::{BuiltinRule, Finding, KindSet, Severity, WORKLOAD_KINDS};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "WH008",
    kinds,
    check,
};

/// The webhook graph's kinds, plus workloads so that fingerprints reading backend pods or Jobs match.
fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![webhook::KINDS, WORKLOAD_KINDS]
}

const ID: &str = "WH008";

/// The §1.8 H fingerprint that downgrades an insecure APIService to info.
const METRICS_SERVER_FINGERPRINT: &str = "metrics-server-insecure";

const INJECT_HELP: &str = "Add `cert-manager.io/inject-ca-from: <ns>/<certificate>` with a cert-manager Certificate for `<svc>.<ns>.svc` or set a static `caBundle`.";

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    for inj in &inv.webhooks.injectables {
        let obj = inv.get(inj.object);
        if obj.is("apiregistration.k8s.io", "APIService") {
            check_apiservice(inv, inj, obj, out);
        } else if obj.is("apiextensions.k8s.io", "CustomResourceDefinition") {
            check_crd(inj, obj, out);
        }
    }
}

/// The annotations cainjector would act on, in precedence order.
fn present_annotations(inj: &Injectable) -> impl Iterator<Item = &Annotation> {
    let i = &inj.injection;
    [&i.from_secret, &i.from_certificate, &i.apiserver]
        .into_iter()
        .flatten()
}

/// `spec.caBundle` holds at least one byte (what APIService validation tests).
fn ca_bundle_present(spec: &Node) -> bool {
    spec.get("caBundle")
        .and_then(Node::scalar_text)
        .is_some_and(|v| !v.trim().is_empty())
}

fn check_apiservice(inv: &Inventory, inj: &Injectable, obj: &Object, out: &mut Vec<Finding>) {
    let id = inj.object;
    let name = &obj.id.name;
    let Some(spec) = obj.spec() else {
        return;
    };
    let insecure = spec.get("insecureSkipTLSVerify").and_then(Node::as_bool) == Some(true);
    let insecure_ptr = pointer(["spec", "insecureSkipTLSVerify"]);
    let has_bundle = ca_bundle_present(spec);
    let service = spec.get("service").filter(|s| !s.is_null());
    let Some(callee) = inv
        .webhooks
        .callees_of(inj)
        .first()
        .filter(|_| service.is_some())
    else {
        // A local APIService: served by the kube-apiserver itself.
        if insecure || has_bundle {
            let (ptr, field) = if insecure {
                (insecure_ptr, "insecureSkipTLSVerify")
            } else {
                (pointer(["spec", "caBundle"]), "a caBundle")
            };
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    id,
                    ptr,
                    format!("APIService {name} has no `spec.service` (a local API group served by the kube-apiserver) but sets {field}: the apiserver rejects it (\"local APIServices may not have {field}\")"),
                )
                .help("Remove `insecureSkipTLSVerify` and `caBundle` from a local APIService, or add the `spec.service` that serves this group."),
            );
        }
        return;
    };
    let Target::Service(svc) = &callee.target else {
        return;
    };
    let server = format!(
        "{}/{}",
        svc.namespace.as_deref().unwrap_or("default"),
        svc.name
    );
    let related = backend_related(inv, callee);
    let injection = inj.injection.source();
    if insecure && has_bundle {
        let bundle = match &callee.ca_bundle {
            CaBundle::Literal { .. } => "a `caBundle`",
            _ => "a `caBundle` (even the `Cg==` placeholder is non-empty)",
        };
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                id,
                insecure_ptr,
                format!("APIService {name} sets `insecureSkipTLSVerify: true` together with {bundle}: the apiserver rejects it (\"insecureSkipTLSVerify may not be true if caBundle is present\")"),
            )
            .help("Remove `insecureSkipTLSVerify` (or set it to false) and keep the caBundle so the aggregator verifies the server's certificate.")
            .related(related),
        );
        return;
    }
    if insecure && injection != CaSource::None {
        let key = match injection {
            CaSource::Secret(..) => webhook::INJECT_CA_FROM_SECRET,
            CaSource::Certificate(..) => webhook::INJECT_CA_FROM,
            _ => webhook::INJECT_APISERVER_CA,
        };
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                id,
                insecure_ptr,
                format!("APIService {name} sets `insecureSkipTLSVerify: true` and `{key}`: cainjector's update that sets `spec.caBundle` is rejected (\"insecureSkipTLSVerify may not be true if caBundle is present\"), so the aggregator keeps calling {server} without verifying its certificate"),
            )
            .help("Remove `insecureSkipTLSVerify: true` (set it to false) so cainjector can inject the CA.")
            .related(related),
        );
        return;
    }
    if insecure {
        let fingerprint = inv
            .webhooks
            .fingerprint_of(inj)
            .filter(|f| f.id == METRICS_SERVER_FINGERPRINT);
        let (severity, message) = match fingerprint {
            Some(f) => (
                Severity::Info,
                format!(
                    "recognised {} (pattern {}): {}; APIService {name} is called without verifying the serving certificate of {server}",
                    f.id, f.pattern, f.summary
                ),
            ),
            None => (
                Severity::Warning,
                format!(
                    "APIService {name} sets `insecureSkipTLSVerify: true`: the kube-aggregator proxies requests (with the caller's identity headers) to {server} without verifying its serving certificate, so the server is not authenticated"
                ),
            ),
        };
        out.push(
            Finding::new(ID, severity, id, insecure_ptr, message)
                .help("Issue a serving certificate for `<svc>.<ns>.svc` (cert-manager Certificate), add `cert-manager.io/inject-ca-from: <ns>/<certificate>` and set `insecureSkipTLSVerify: false`.")
                .related(related),
        );
        return;
    }
    let bundle_usable = matches!(callee.ca_bundle, CaBundle::Literal { .. });
    if bundle_usable || injection != CaSource::None || inj.fingerprint.is_some() {
        return;
    }
    if unrendered(&svc.name) || svc.name.is_empty() {
        return;
    }
    let (ptr, what) = match &callee.ca_bundle {
        CaBundle::Placeholder { pointer } => (
            pointer.clone(),
            "a placeholder `caBundle` with no certificate",
        ),
        _ => (svc.pointer.clone(), "no `caBundle`"),
    };
    let legacy = inj.injection.legacy.as_ref().map_or(
        "",
        |_| " (`certmanager.k8s.io/inject-ca-from` is ignored since cert-manager 0.11)",
    );
    out.push(
        Finding::new(
            ID,
            Severity::Error,
            id,
            ptr,
            format!("APIService {name} has {what}, no `insecureSkipTLSVerify` and no cainjector annotation{legacy}: the aggregator verifies {server} against the apiserver's system trust roots, which never contain an in-cluster CA (FailedDiscoveryCheck: x509: certificate signed by unknown authority)"),
        )
        .help(INJECT_HELP)
        .related(related),
    );
}

fn check_crd(inj: &Injectable, obj: &Object, out: &mut Vec<Finding>) {
    let id = inj.object;
    let name = &obj.id.name;
    let Some(spec) = obj.spec() else {
        return; // a metadata-only patch (kustomize), not a complete CRD
    };
    let conversion = spec.get("conversion");
    let strategy = conversion.and_then(|c| c.str_at(&["strategy"]));
    if strategy != Some("Webhook") {
        if let Some(a) = present_annotations(inj).find(|a| !unrendered(&a.value)) {
            let strategy =
                strategy.map_or("`None` (the default)".to_string(), |s| format!("`{s}`"));
            out.push(
                Finding::new(
                    ID,
                    Severity::Warning,
                    id,
                    annotation_ptr(a.key),
                    format!("CustomResourceDefinition {name} has `{}: {}` but `spec.conversion.strategy` is {strategy}: cainjector only injects into CRDs with a Webhook conversion, so the annotation does nothing", a.key, a.value),
                )
                .help("Remove the cainjector annotation, or configure `spec.conversion.strategy: Webhook` with `spec.conversion.webhook.clientConfig` if the CRD needs a conversion webhook."),
            );
        }
        return;
    }
    let conversion = conversion.expect("strategy is Webhook");
    if obj.id.api_version == "apiextensions.k8s.io/v1"
        && conversion.get("webhookClientConfig").is_some()
    {
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                id,
                pointer(["spec", "conversion", "webhookClientConfig"]),
                format!("CustomResourceDefinition {name} (apiextensions.k8s.io/v1) uses the v1beta1 field `spec.conversion.webhookClientConfig`: v1 expects `conversion.webhook.clientConfig` and `conversion.webhook.conversionReviewVersions`; the apiserver rejects the unknown field (or prunes it and then rejects the CRD: \"webhookClientConfig: Required value: required when strategy is set to Webhook\")"),
            )
            .help("Move the block to `spec.conversion.webhook.clientConfig` and add `spec.conversion.webhook.conversionReviewVersions: [v1]`."),
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

    fn apiservice(extra: &str) -> String {
        format!(
            "apiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata:\n  name: v1alpha1.example.io\n{extra}"
        )
    }

    #[test]
    fn placeholder_cabundle_counts_for_the_insecure_rejection() {
        let f = run(&apiservice(
            "spec:\n  insecureSkipTLSVerify: true\n  caBundle: Cg==\n  service: {namespace: ex, name: api}\n",
        ));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Error);
        assert!(f[0].message.contains("may not be true"));
    }

    #[test]
    fn empty_string_cabundle_is_no_bundle() {
        let f = run(&apiservice(
            "spec:\n  insecureSkipTLSVerify: true\n  caBundle: \"\"\n  service: {namespace: ex, name: api}\n",
        ));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
    }

    #[test]
    fn invalid_annotation_does_not_count_as_injection() {
        // cainjector ignores a value without `ns/`; WH003 reports it, WH008 sees plain "insecure".
        let f = run(&apiservice(
            "  annotations: {cert-manager.io/inject-ca-from: serving-cert}\nspec:\n  insecureSkipTLSVerify: true\n  service: {namespace: ex, name: api}\n",
        ));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
    }

    #[test]
    fn local_apiservice_is_skipped_unless_rejected() {
        assert!(run(&apiservice("spec: {group: apps, version: v1}\n")).is_empty());
        let f = run(&apiservice(
            "spec: {group: apps, version: v1, service: null, insecureSkipTLSVerify: true}\n",
        ));
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("local APIServices"));
    }

    #[test]
    fn crd_patch_without_spec_and_unrendered_annotation_are_skipped() {
        let patch = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: a.example.io\n  annotations: {cert-manager.io/inject-ca-from: ns/cert}\n";
        assert!(run(patch).is_empty());
        let unrendered = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: a.example.io\n  annotations: {cert-manager.io/inject-ca-from: $(NS)/$(CERT)}\nspec: {group: example.io}\n";
        assert!(run(unrendered).is_empty());
    }

    #[test]
    fn v1beta1_crd_may_use_webhook_client_config() {
        let crd = "apiVersion: apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition\nmetadata:\n  name: a.example.io\n  annotations: {cert-manager.io/inject-ca-from: ns/cert}\nspec:\n  conversion:\n    strategy: Webhook\n    webhookClientConfig:\n      service: {namespace: ns, name: svc}\n";
        assert!(run(crd).is_empty());
    }
}
