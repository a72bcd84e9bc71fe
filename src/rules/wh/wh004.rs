//! WH004 cainjector-source-unresolved: the Certificate or Secret a cainjector annotation names does not
//! provide a CA (cert-manager `pkg/controller/cainjector/sources.go`, `injectables.go`).
//!
//! * `inject-ca-from: ns/C` and Certificate `ns/C` is not in the input → warning (error with
//!   `complete`);
//! * the Certificate's namespace differs from the namespace of the Services the entries call → warning
//!   (pods mount Secrets only from their own namespace: this CA likely belongs to another server);
//! * `inject-ca-from-secret: ns/S` and S is not in the input → warning (error with `complete`); S
//!   without `cert-manager.io/allow-direct-injection: "true"` → error; S without `ca.crt` in `data` or
//!   `stringData` → error;
//! * the entries of one object call ≥ 2 different Services → warning (cainjector writes one caBundle
//!   into every entry).
//!
//! Objects matched by a §1.8 fingerprint are skipped (cert-manager's own webhook creates its CA Secret
//! at runtime). The live-only "Secret lacks `cert-manager.io/certificate-name`" check is not static.

use std::collections::BTreeSet;

use crate::model::webhook::{self, CaSource, INJECT_CA_FROM, INJECT_CA_FROM_SECRET};
use crate::model::{Inventory, ObjId, Settings};
use crate::rules::{BuiltinRule, Finding, KindSet, Severity, WORKLOAD_KINDS};

use super::{annotation_ptr, missing_severity, not_in_input, service_callees, unexempt};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "WH004",
    kinds,
    check,
};

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![webhook::KINDS, WORKLOAD_KINDS]
}

const ID: &str = "WH004";

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    for inj in unexempt(inv) {
        let id = inj.object;
        let services: BTreeSet<(Option<&str>, &str)> = service_callees(inv, inj)
            .map(|(_, s)| (s.namespace.as_deref(), s.name.as_str()))
            .collect();
        match inj.injection.source() {
            CaSource::Certificate(ns, name) => {
                let ptr = annotation_ptr(INJECT_CA_FROM);
                let what = format!("Certificate {ns}/{name}");
                match inv.find("cert-manager.io", "Certificate", Some(&ns), &name) {
                    None if !inv.exists("cert-manager.io", "Certificate", Some(&ns), &name) => {
                        out.push(Finding::new(
                            ID,
                            missing_severity(inv),
                            id,
                            ptr,
                            not_in_input(inv, &what),
                        ));
                    }
                    None => {}
                    Some(cert) => {
                        let elsewhere: Vec<String> = services
                            .iter()
                            .filter(|(sns, _)| sns.is_some_and(|s| s != ns))
                            .map(|(sns, sname)| format!("{}/{sname}", sns.unwrap_or_default()))
                            .collect();
                        if !elsewhere.is_empty() {
                            out.push(
                                Finding::new(
                                    ID,
                                    Severity::Warning,
                                    id,
                                    ptr,
                                    format!(
                                        "{what} is in namespace {ns} but the webhook calls Service {}: pods can only mount Secrets of their own namespace, so this CA likely belongs to another server",
                                        elsewhere.join(", ")
                                    ),
                                )
                                .related([inv.obj_ref(cert)]),
                            );
                        }
                    }
                }
            }
            CaSource::Secret(ns, name) => check_secret(inv, id, &ns, &name, out),
            CaSource::ApiServer | CaSource::None => {}
        }
        if services.len() >= 2 && inj.injection.source() != CaSource::None {
            // Point at the first entry that calls a different Service than the first one.
            let mut calls = service_callees(inv, inj);
            let first = calls.next().map(|(_, s)| (&s.namespace, &s.name));
            let at = calls
                .find(|(_, s)| Some((&s.namespace, &s.name)) != first)
                .map_or_else(String::new, |(_, s)| s.pointer.clone());
            out.push(Finding::new(
                ID,
                Severity::Warning,
                id,
                at,
                format!(
                    "the entries call {} different Services ({}): cainjector writes one caBundle into every entry, so all of them must serve certificates from the same CA",
                    services.len(),
                    services
                        .iter()
                        .map(|(ns, n)| format!("{}/{n}", ns.unwrap_or("default")))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
}

fn check_secret(inv: &Inventory, id: ObjId, ns: &str, name: &str, out: &mut Vec<Finding>) {
    let ptr = annotation_ptr(INJECT_CA_FROM_SECRET);
    let what = format!("Secret {ns}/{name}");
    let Some(secret) = inv.find("", "Secret", Some(ns), name) else {
        if !inv.exists("", "Secret", Some(ns), name) {
            out.push(Finding::new(
                ID,
                missing_severity(inv),
                id,
                ptr,
                not_in_input(inv, &what),
            ));
        }
        return;
    };
    let s = inv.get(secret);
    if s.annotation("cert-manager.io/allow-direct-injection") != Some("true") {
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                id,
                &ptr,
                format!("{what} does not allow direct injection: cainjector refuses it without the annotation `cert-manager.io/allow-direct-injection: \"true\"`"),
            )
            .related([inv.obj_ref(secret)]),
        );
    }
    let has_ca = ["data", "stringData"].iter().any(|k| {
        s.root
            .path(&[k, "ca.crt"])
            .and_then(|n| n.scalar_text())
            .is_some_and(|v| !v.trim().is_empty())
    });
    if !has_ca {
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                id,
                ptr,
                format!("{what} has no `ca.crt`: cainjector reports \"secret contains no CA data\" and injects nothing"),
            )
            .related([inv.obj_ref(secret)]),
        );
    }
}
