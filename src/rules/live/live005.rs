//! LIVE005 cabundle-expired-or-invalid: the caBundle the kube-apiserver verifies a webhook, CRD
//! conversion webhook or aggregated APIService with is missing, unusable or expired in the cluster.
//!
//! Only in live mode (what is in the cluster is what the apiserver uses, whoever wrote it). For every
//! call site of the webhook graph (`webhooks[].clientConfig` of Validating/MutatingWebhookConfigurations,
//! `spec.conversion.webhook.clientConfig` of CRDs with strategy `Webhook`, `spec` of APIServices with a
//! `service`), entries of one object with the same caBundle reported once:
//! * Service-backed with an empty caBundle (absent, empty, or the `Cg==` placeholder), except an
//!   APIService with `insecureSkipTLSVerify: true` (WH008's) → error: the apiserver falls back to its
//!   system trust roots, which never hold an in-cluster CA ("x509: certificate signed by unknown
//!   authority"). url-based call sites without caBundle use the system roots legitimately: skipped;
//! * not base64, or no parseable certificate → error; some unparseable blocks next to good ones →
//!   warning (Go's `AppendCertsFromPEM` skips them);
//! * every certificate expired → error;
//! * the certificates that matter — those the serving chains mounted behind the Service verify against
//!   (`tls.crt` of the pods' `kubernetes.io/tls` Secrets), else every valid one — all expire within
//!   `warnDays` → warning; info when a self-rotating manager (§1.8: cert-manager's webhook,
//!   Gatekeeper, Rancher, istiod, Kyverno, Knative, cert-controller) owns the object;
//! * expired certificates next to valid ones → info: with `CAInjectorMerging` (GA) a bundle
//!   legitimately holds old and new CAs and cainjector drops expired ones on its next merge
//!   (`internal/cainjector/bundle/bundle.go`; RULES.md §9.13). Whether the serving chain verifies is
//!   LIVE006's.
//!
//! For empty or expired bundles that cainjector or a self-manager should maintain, the message says
//! who (LIVE008 checks cainjector). Messages name subjects and UTC dates, never certificate data.

use super::status::{Pem, named, read_pem};
use super::webhooks::{callee_text, injector, self_rotating, serving_chains, target_text};
use crate::certs::{self, Cert, Encoding};
use crate::load::Node;
use crate::model::webhook::{self, CaBundle, Callee, CalleeKind, Injectable, Target};
use crate::model::{Inventory, Settings};
use crate::rules::{BuiltinRule, Finding, KindSet, Severity, WORKLOAD_KINDS};
use crate::time::{DAY, human};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "LIVE005",
    kinds,
    check,
};

fn kinds(settings: &Settings) -> Vec<KindSet> {
    // Live mode only: in files the rule reads nothing, and its kinds would keep objects in memory.
    if !settings.live {
        return Vec::new();
    }
    vec![webhook::KINDS, WORKLOAD_KINDS]
}

const ID: &str = "LIVE005";
const HELP_EMPTY: &str = "Let cert-manager inject the CA (`cert-manager.io/inject-ca-from: <ns>/<certificate>` with a running cainjector), or set the caBundle to the base64 PEM of the CA that signed the serving certificate.";
const HELP_BAD: &str = "Set the caBundle to the base64 of the PEM CA certificate(s) that signed the serving certificate, or let cainjector manage it (`cert-manager.io/inject-ca-from`).";
const HELP_EXPIRY: &str = "Rotate the CA and re-issue the serving certificate from it (for cainjector-managed bundles: renew the source CA Certificate; cainjector merges the new CA), before the old CA expires.";

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    if !inv.settings.live {
        return;
    }
    for inj in &inv.webhooks.injectables {
        // Entries of one object with the same caBundle (None: empty), in order.
        let mut groups: Vec<(Option<&str>, Vec<&Callee>)> = Vec::new();
        for c in inv.webhooks.callees_of(inj) {
            let key = match &c.ca_bundle {
                CaBundle::Literal { value, .. } => Some(value.as_str()),
                _ if !matches!(c.target, Target::Service(_)) => continue,
                _ if insecure_apiservice(inv, c) => continue,
                _ => None,
            };
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, list)) => list.push(c),
                None => groups.push((key, vec![c])),
            }
        }
        for (key, callees) in groups {
            match key {
                None => empty(inv, inj, &callees, out),
                Some(value) => literal(inv, inj, &callees, value, out),
            }
        }
    }
}

fn insecure_apiservice(inv: &Inventory, c: &Callee) -> bool {
    c.kind == CalleeKind::ApiService
        && inv
            .get(c.object)
            .root
            .path(&["spec", "insecureSkipTLSVerify"])
            .and_then(Node::as_bool)
            == Some(true)
}

/// "`webhook `a`` (calling `svc.ns.svc:443`)" plus how many more entries share the bundle.
fn site(inv: &Inventory, callees: &[&Callee]) -> String {
    let c = callees[0];
    let more = match callees.len() - 1 {
        0 => String::new(),
        1 => " and 1 other entry".to_string(),
        n => format!(" and {n} other entries"),
    };
    format!("{}{more} (calling {})", callee_text(inv, c), target_text(c))
}

/// Who rewrites the caBundle at runtime, as a clause.
fn maintainer(inv: &Inventory, inj: &Injectable) -> Option<String> {
    self_rotating(inv, inj).or_else(|| {
        injector(inj).map(|i| format!("cainjector should maintain it ({i}); see LIVE008"))
    })
}

fn empty(inv: &Inventory, inj: &Injectable, callees: &[&Callee], out: &mut Vec<Finding>) {
    let c = callees[0];
    let consequence = match c.kind {
        CalleeKind::ApiService => {
            "discovery of the API group fails (FailedDiscoveryCheck) and its resources are unavailable"
        }
        CalleeKind::Conversion => {
            "every conversion fails, and with it reads and writes of the CRD's non-storage versions"
        }
        _ => "every call fails",
    };
    let mut message = format!(
        "the caBundle of {} is empty in the cluster: the apiserver verifies the server with its system trust roots, which never hold an in-cluster CA (x509: certificate signed by unknown authority), so {consequence}",
        site(inv, callees)
    );
    if let Some(m) = maintainer(inv, inj) {
        message.push_str(&format!("; {m}"));
    }
    out.push(
        Finding::new(ID, Severity::Error, c.object, c.pointer.clone(), message).help(HELP_EMPTY),
    );
}

fn literal(
    inv: &Inventory,
    inj: &Injectable,
    callees: &[&Callee],
    value: &str,
    out: &mut Vec<Finding>,
) {
    let c = callees[0];
    let CaBundle::Literal { pointer, .. } = &c.ca_bundle else {
        return;
    };
    let finding = |severity, message: String, help: &'static str| {
        Finding::new(ID, severity, c.object, pointer.clone(), message).help(help)
    };
    let now = inv.settings.now;
    let bundle = match read_pem(value, Encoding::Base64) {
        Pem::Empty => return,
        Pem::Invalid(problem) => {
            out.push(finding(
                Severity::Error,
                format!(
                    "the caBundle of {} {problem}: the apiserver cannot load it (\"unable to load root certificates\") and every call fails",
                    site(inv, callees)
                ),
                HELP_BAD,
            ));
            return;
        }
        Pem::Certs { certs, failed } => {
            if failed > 0 {
                out.push(finding(
                    Severity::Warning,
                    format!(
                        "the caBundle of {} has {failed} certificate block{} that could not be parsed; the apiserver silently skips them",
                        site(inv, callees),
                        if failed == 1 { "" } else { "s" }
                    ),
                    HELP_BAD,
                ));
            }
            certs
        }
    };
    let (expired, valid): (Vec<&Cert>, Vec<&Cert>) = bundle.iter().partition(|c| c.is_expired(now));
    if valid.is_empty() {
        let mut message = format!(
            "every certificate in the caBundle of {} has expired: {}; the apiserver rejects the server (x509: certificate has expired or is not yet valid)",
            site(inv, callees),
            named(&expired, "expired", now)
        );
        if let Some(m) = maintainer(inv, inj) {
            message.push_str(&format!("; {m}"));
        }
        out.push(finding(Severity::Error, message, HELP_EXPIRY));
        return;
    }
    // The certificates that matter: valid ones the mounted serving chains verify against.
    let mut used: Vec<usize> = Vec::new();
    for callee in callees {
        for chain in serving_chains(inv, callee) {
            for a in certs::verify_chain(&chain.certs, &bundle) {
                if !bundle[a].is_expired(now) && !used.contains(&a) {
                    used.push(a);
                }
            }
        }
    }
    let from_chain = !used.is_empty();
    let used: Vec<&Cert> = if from_chain {
        used.iter().map(|&i| &bundle[i]).collect()
    } else {
        valid.clone()
    };
    let warn = i64::from(inv.settings.warn_days) * DAY;
    if used.iter().all(|c| c.not_after < now + warn) {
        let latest = used.iter().map(|c| c.not_after).max().unwrap_or(now);
        let window = format!(
            "the last in {}; warning threshold {} days",
            human(latest - now),
            inv.settings.warn_days
        );
        let core = if from_chain {
            format!(
                "the caBundle certificates of {} that verify the serving certificate expire soon ({window}): {}",
                site(inv, callees),
                named(&used, "expires", now)
            )
        } else {
            format!(
                "every valid certificate in the caBundle of {} expires soon ({window}): {}",
                site(inv, callees),
                named(&used, "expires", now)
            )
        };
        let f = match self_rotating(inv, inj) {
            Some(why) => finding(Severity::Info, format!("{core}; {why}"), HELP_EXPIRY),
            None => {
                let mut m = format!("{core}; after that every call fails");
                if let Some(i) = injector(inj) {
                    m.push_str(&format!(
                        "; cainjector ({i}) injects whatever CA its source holds, so the source CA must be renewed"
                    ));
                }
                finding(Severity::Warning, m, HELP_EXPIRY)
            }
        };
        out.push(f);
    }
    if !expired.is_empty() {
        out.push(Finding::new(
            ID,
            Severity::Info,
            c.object,
            pointer.clone(),
            format!(
                "the caBundle of {} also holds expired certificate{} {}; harmless while another certificate is valid (cainjector drops expired certificates when it merges)",
                site(inv, callees),
                if expired.len() == 1 { "" } else { "s" },
                named(&expired, "expired", now)
            ),
        ));
    }
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

    fn ca(cn: &str, from: (i32, u8, u8), to: (i32, u8, u8)) -> String {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.not_before = rcgen::date_time_ymd(from.0, from.1, from.2);
        p.not_after = rcgen::date_time_ymd(to.0, to.1, to.2);
        p.self_signed(&KeyPair::generate().unwrap()).unwrap().pem()
    }

    fn vwc(bundle: &str, labels: &str) -> String {
        format!(
            "apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {{name: hook, labels: {{{labels}}}}}
webhooks:
  - name: a.example.com
    clientConfig: {{service: {{name: hook, namespace: hooks}}, caBundle: '{bundle}'}}
  - name: b.example.com
    clientConfig: {{service: {{name: hook, namespace: hooks}}, caBundle: '{bundle}'}}
  - name: url.example.com
    clientConfig: {{url: 'https://hooks.example.com/x'}}
"
        )
    }

    fn b64(pem: &str) -> String {
        data_encoding::BASE64.encode(pem.as_bytes())
    }

    #[test]
    fn empty_bundles_once_per_object_and_url_skipped() {
        let f = run_check(check, &vwc("Cg==", ""), settings());
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(f[0].pointer, "/webhooks/0/clientConfig");
        assert!(f[0].message.starts_with("the caBundle of webhook `a.example.com` and 1 other entry (calling hook.hooks.svc:443) is empty"), "{}", f[0].message);
        assert!(
            run_check(
                check,
                &vwc("Cg==", ""),
                Settings {
                    live: false,
                    ..settings()
                }
            )
            .is_empty()
        );
    }

    #[test]
    fn expiry_grades() {
        let expired = ca("old", (2020, 1, 1), (2021, 1, 1));
        let soon = ca("soon", (2026, 1, 1), (2026, 12, 10));
        let good = ca("good", (2026, 1, 1), (2036, 1, 1));
        let sev = |pem: &str, labels: &str| -> Vec<Severity> {
            run_check(check, &vwc(&b64(pem), labels), settings())
                .iter()
                .map(|f| f.severity)
                .collect()
        };
        assert_eq!(sev(&expired, ""), [Severity::Error]);
        assert_eq!(sev(&soon, ""), [Severity::Warning]);
        assert_eq!(sev(&soon, "istio.io/rev: default"), [Severity::Info]);
        assert_eq!(sev(&format!("{expired}{good}"), ""), [Severity::Info]);
        assert!(sev(&format!("{soon}{good}"), "").is_empty());
        let f = run_check(check, &vwc(&b64("not a pem"), ""), settings());
        assert!(
            f[0].message.contains("is not a PEM certificate bundle"),
            "{}",
            f[0].message
        );
    }
}
