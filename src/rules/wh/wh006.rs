//! WH006 webhook-serving-secret-not-mounted: the server does not serve the certificate whose CA
//! cainjector injects.
//!
//! For a Service-backed call site whose object has `inject-ca-from: ns/C` with Certificate C in the
//! input, and pods behind the Service in the input:
//! * no pod template (any container, sidecars such as kube-rbac-proxy included) mounts C's
//!   `spec.secretName` → error on the webhook object; a different mounted Secret written by another
//!   Certificate or of type `kubernetes.io/tls` is named in the message;
//! * the mount projects `items` without both `tls.crt` and `tls.key` → error on the volume
//!   (controller-runtime reads both from its cert dir);
//! * the volume is `optional: true` → warning (the pod starts without a certificate).
//!
//! Objects matched by a §1.8 fingerprint are skipped — dynamic-serving servers and the cert-manager
//! CSI driver mount no Secret.

use crate::model::webhook::{self, INJECT_CA_FROM, SecretMount};
use crate::model::{Inventory, ObjId, Settings};
use crate::rules::{BuiltinRule, Finding, KindSet, Severity, WORKLOAD_KINDS};

use super::{annotation_ptr, injected_certificate, service_callees, unexempt};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "WH006",
    kinds,
    check,
};

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![webhook::KINDS, WORKLOAD_KINDS]
}

const ID: &str = "WH006";

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    for inj in unexempt(inv) {
        let Some(cert) = injected_certificate(inv, inj) else {
            continue;
        };
        let Some(secret) = inv.get(cert).root.str_at(&["spec", "secretName"]) else {
            continue;
        };
        for (c, s) in service_callees(inv, inj) {
            if c.backend.pods.is_empty() {
                continue; // WH001 reports a selector that matches nothing.
            }
            let mut mounted: Vec<(ObjId, String, SecretMount)> = Vec::new();
            let mut others: Vec<String> = Vec::new();
            for &t in &c.backend.pods {
                let Some((w, spec)) = inv.pod_spec(t) else {
                    continue;
                };
                let workload = inv.template(t).object;
                for m in webhook::secret_mounts(spec, &inv.template(t).spec_pointer()) {
                    if m.secret == secret {
                        mounted.push((workload, w.id.display(), m));
                    } else if is_tls_secret(inv, w.ns(), &m.secret) {
                        others.push(m.secret);
                    }
                }
            }
            if mounted.is_empty() {
                others.sort();
                others.dedup();
                let instead = match others.as_slice() {
                    [] => String::new(),
                    names => format!(
                        " (they mount {} instead)",
                        names
                            .iter()
                            .map(|n| format!("Secret {n}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                let workload = inv.obj_ref(inv.template(c.backend.pods[0]).object);
                out.push(
                    Finding::new(
                        ID,
                        Severity::Error,
                        inj.object,
                        annotation_ptr(INJECT_CA_FROM),
                        format!(
                            "the pods behind {} do not mount Secret {secret} of {}{instead}: the webhook serves a certificate that the injected CA did not sign (or none at all)",
                            s.server_name(),
                            inv.get(cert).id.display()
                        ),
                    )
                    .help(format!("Mount Secret `{secret}` in {} at the server's certificate directory (controller-runtime: /tmp/k8s-webhook-server/serving-certs).", workload.display()))
                    .related([inv.obj_ref(cert), workload]),
                );
                continue;
            }
            for (workload, name, m) in mounted {
                if let Some(items) = &m.items {
                    let missing: Vec<&str> = ["tls.crt", "tls.key"]
                        .into_iter()
                        .filter(|k| !items.iter().any(|i| i == k))
                        .collect();
                    if !missing.is_empty() {
                        out.push(
                            Finding::new(
                                ID,
                                Severity::Error,
                                workload,
                                format!("{}/items", m.pointer),
                                format!(
                                    "{name} mounts Secret {secret} with `items` that leave out {}: the server cannot load its certificate",
                                    missing.join(" and ")
                                ),
                            )
                            .related([inv.obj_ref(inj.object), inv.obj_ref(cert)]),
                        );
                    }
                }
                if m.optional {
                    out.push(
                        Finding::new(
                            ID,
                            Severity::Warning,
                            workload,
                            format!("{}/optional", m.pointer),
                            format!("{name} mounts the serving Secret {secret} as optional: the pod starts without a certificate until cert-manager writes it"),
                        )
                        .related([inv.obj_ref(inj.object)]),
                    );
                }
            }
        }
    }
}

/// Whether Secret `name` is a TLS Secret: written by a Certificate or defined as `kubernetes.io/tls`.
fn is_tls_secret(inv: &Inventory, ns: Option<&str>, name: &str) -> bool {
    !inv.certificates_for_secret(ns, name).is_empty()
        || inv
            .find("", "Secret", ns, name)
            .is_some_and(|s| inv.get(s).root.str_at(&["type"]) == Some("kubernetes.io/tls"))
}
