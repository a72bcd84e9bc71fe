//! Webhooks, CRD conversion and aggregated APIs: the TLS identity the kube-apiserver verifies when it
//! calls in-cluster servers (RULES.md §5). The rules read the webhook graph resolved once by the
//! model ([`crate::model::webhook`]). Following the evaluation order of RULES.md §1.7, WH001 and WH003
//! apply to every object; WH002 and WH004–WH007 skip objects matched by a §1.8 fingerprint (WH002
//! reports the recognised pattern as info instead).

pub mod wh001;
pub mod wh002;
pub mod wh003;
pub mod wh004;
pub mod wh005;
pub mod wh006;
pub mod wh007;
pub mod wh008;
pub mod wh009;
pub mod wh010;

use crate::model::webhook::{CaSource, Callee, Injectable, Target};
use crate::model::{Inventory, ObjId, ObjRef};
use crate::rules::missing_phrase;
pub use crate::rules::{annotation_ptr, missing_severity, unrendered};

/// "`what` is not in the input", with the advice to check the cluster when the input is partial.
pub fn not_in_input(inv: &Inventory, what: &str) -> String {
    format!("{what} {}", missing_phrase(inv))
}

/// Injectables not matched by a §1.8 fingerprint.
pub fn unexempt(inv: &Inventory) -> impl Iterator<Item = &Injectable> {
    inv.webhooks
        .injectables
        .iter()
        .filter(|i| i.fingerprint.is_none())
}

/// The Certificate named by a valid `inject-ca-from`, when it is in the input.
pub fn injected_certificate(inv: &Inventory, inj: &Injectable) -> Option<ObjId> {
    match inj.injection.source() {
        CaSource::Certificate(ns, name) => {
            inv.find("cert-manager.io", "Certificate", Some(&ns), &name)
        }
        _ => None,
    }
}

/// Service-backed call sites of an injectable, with their Service reference.
pub fn service_callees<'a>(
    inv: &'a Inventory,
    inj: &'a Injectable,
) -> impl Iterator<Item = (&'a Callee, &'a crate::model::webhook::ServiceRef)> {
    inv.webhooks
        .callees_of(inj)
        .iter()
        .filter_map(|c| match &c.target {
            Target::Service(s) if !unrendered(&s.name) && !s.name.is_empty() => Some((c, s)),
            _ => None,
        })
}

/// Related objects of a call site: the Service and the first pod template behind it.
pub fn backend_related(inv: &Inventory, c: &Callee) -> Vec<ObjRef> {
    let mut out: Vec<ObjRef> = c
        .backend
        .service
        .map(|s| inv.obj_ref(s))
        .into_iter()
        .collect();
    if let Some(&t) = c.backend.pods.first() {
        out.push(inv.obj_ref(inv.template(t).object));
    }
    out
}

/// The Certificates that serve a call site: the one `inject-ca-from` names, else those whose Secret the
/// pods behind the Service mount.
pub fn serving_certificates(inv: &Inventory, inj: &Injectable, c: &Callee) -> Vec<ObjId> {
    if let Some(cert) = injected_certificate(inv, inj) {
        return vec![cert];
    }
    let mut out: Vec<ObjId> = Vec::new();
    for &t in &c.backend.pods {
        let Some((w, spec)) = inv.pod_spec(t) else {
            continue;
        };
        for m in crate::model::webhook::secret_mounts(spec, "") {
            out.extend(inv.certificates_for_secret(w.ns(), &m.secret));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}
