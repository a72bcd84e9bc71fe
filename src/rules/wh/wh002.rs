//! WH002 webhook-ca-source-missing: the apiserver has no CA to verify an in-cluster webhook with.
//!
//! For admission webhooks and CRD conversion webhooks (APIServices are WH008's):
//! * a Service-backed entry with no `caBundle` (or a placeholder such as `Cg==`) and no cert-manager
//!   cainjector annotation → error: the apiserver falls back to its system trust roots, which never
//!   contain an in-cluster CA ("x509: certificate signed by unknown authority"). One finding per object,
//!   at the first such entry, counting the others;
//! * only the legacy `certmanager.k8s.io/inject-ca-from` → error (ignored since cert-manager 0.11);
//!   legacy and current together are fine (kube-prometheus-stack);
//! * `cert-manager.io/inject-apiserver-ca: "true"` → warning (the serving certificate must then be
//!   signed by the cluster CA; on EKS only through the `beta.eks.amazonaws.com/app-serving` signer);
//! * a url-based entry with no caBundle → info (fine for a publicly trusted endpoint).
//!
//! A literal caBundle together with an injection annotation is fine (cainjector merges). An object that
//! matches a §1.8 fingerprint (cert-manager's own webhook, Gatekeeper, kube-webhook-certgen, istiod,
//! Knative, …) is not checked; it gets an info finding that says what was recognised. A malformed
//! current annotation is reported by WH003 only.

use crate::model::webhook::{self, CaSource, Callee, CalleeKind, Target};
use crate::model::{Inventory, Settings};
use crate::rules::{BuiltinRule, Finding, KindSet, Severity, WORKLOAD_KINDS};

use super::annotation_ptr;

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "WH002",
    kinds,
    check,
};

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![webhook::KINDS, WORKLOAD_KINDS]
}

const ID: &str = "WH002";

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    for inj in &inv.webhooks.injectables {
        if let Some(f) = inv.webhooks.fingerprint_of(inj) {
            out.push(
                Finding::new(
                    ID,
                    Severity::Info,
                    inj.object,
                    "/metadata/name",
                    format!(
                        "recognised {}: {}; CA-source checks (WH002, WH004–WH007) skipped",
                        f.id, f.summary
                    ),
                )
                .help("Nothing to fix: the caBundle is managed by this pattern, not by cert-manager's cainjector."),
            );
            continue;
        }
        let callees: Vec<_> = inv
            .webhooks
            .callees_of(inj)
            .iter()
            .filter(|c| c.kind != CalleeKind::ApiService && !c.ca_bundle.is_set())
            .collect();
        if callees.is_empty() {
            continue;
        }
        let (service, url): (Vec<&Callee>, Vec<&Callee>) = callees
            .into_iter()
            .partition(|c| matches!(c.target, Target::Service(_)));
        for c in url {
            if inj.injection.source() == CaSource::None {
                out.push(
                    Finding::new(
                        ID,
                        Severity::Info,
                        inj.object,
                        &c.pointer,
                        "url-based webhook without caBundle: the apiserver verifies it with its system trust roots (fine for a publicly trusted or ACM-fronted endpoint)",
                    )
                    .help("Nothing to fix for a publicly trusted endpoint; set `caBundle` if its certificate comes from a private CA."),
                );
            }
        }
        let Some(first) = service.first() else {
            continue;
        };
        let others = match service.len() {
            1 => String::new(),
            n => format!(" ({} of {} entries)", n, inv.webhooks.callees_of(inj).len()),
        };
        let at = match &first.ca_bundle {
            webhook::CaBundle::Placeholder { pointer } => pointer.clone(),
            _ => first.pointer.clone(),
        };
        let what = match first.kind {
            CalleeKind::Conversion => "conversion webhook",
            _ => "webhook",
        };
        match inj.injection.source() {
            CaSource::ApiServer => out.push(
                Finding::new(
                    ID,
                    Severity::Warning,
                    inj.object,
                    annotation_ptr(webhook::INJECT_APISERVER_CA),
                    "cainjector injects the kube-apiserver's CA: the serving certificate must be signed by the cluster CA and rotated by hand",
                )
                .help("Prefer `cert-manager.io/inject-ca-from: <ns>/<certificate>` with a cert-manager CA issuer; on EKS the cluster CA signs serving certificates only through the `beta.eks.amazonaws.com/app-serving` signer (serving only, at most 1 year, no CA bit)."),
            ),
            CaSource::Secret(..) | CaSource::Certificate(..) => {}
            CaSource::None if inj.injection.any_current() => {} // malformed: WH003's finding
            CaSource::None if inj.injection.legacy.is_some() => out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    inj.object,
                    annotation_ptr(webhook::LEGACY_INJECT_CA_FROM),
                    format!(
                        "only the legacy `{}` annotation is set: cert-manager ignores it since v0.11, so the {what} gets no caBundle",
                        webhook::LEGACY_INJECT_CA_FROM
                    ),
                )
                .help(format!(
                    "Add `{}` with the same value (keeping the legacy key is harmless).",
                    webhook::INJECT_CA_FROM
                )),
            ),
            CaSource::None => out.push(Finding::new(
                ID,
                Severity::Error,
                inj.object,
                at,
                format!(
                    "{what} to {} has no caBundle and no cainjector annotation{others}: the apiserver will verify it with its system trust roots, which never contain an in-cluster CA (x509: certificate signed by unknown authority)",
                    match &first.target {
                        Target::Service(s) => s.server_name(),
                        _ => String::new(),
                    },
                ),
            )
            .help(match &first.target {
                Target::Service(s) => format!(
                    "Add `cert-manager.io/inject-ca-from: {ns}/<certificate>` and a cert-manager Certificate in {ns} with dnsNames [{name}, {name}.{ns}, {name}.{ns}.svc] whose Secret the server mounts.",
                    ns = s.namespace.as_deref().unwrap_or("default"),
                    name = s.name,
                ),
                _ => String::new(),
            })
            .related(super::backend_related(inv, first))),
        }
    }
}
