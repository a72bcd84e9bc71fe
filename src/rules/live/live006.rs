//! LIVE006 cabundle-serving-cert-mismatch: the certificate a webhook's pods serve does not verify
//! against the caBundle the kube-apiserver uses for it, so every call fails the TLS handshake.
//!
//! Only in live mode, and only the Secret-based check ((a) of RULES.md LIVE006): for every
//! Service-backed call site (admission webhook entry, CRD conversion webhook, APIService) whose live
//! caBundle holds at least one certificate, the `tls.crt` chains of the `kubernetes.io/tls` Secrets
//! mounted by the pods behind the Service are verified the way Go's `crypto/x509` does for the
//! apiserver, with ServerName `<svc>.<ns>.svc` (K8S-WH `client.go`, kube-aggregator
//! `handler_proxy.go`) at "now":
//! * the chain (leaf, then the intermediates in `tls.crt`) must be signed by a certificate of the
//!   caBundle — any of them (RULES.md §9.13: merged bundles hold several CAs), and one that has not
//!   expired;
//! * the leaf must be within its validity period;
//! * a DNS SAN must cover the ServerName: exact (case-insensitive) or a `*.<ns>.svc` wildcard; the
//!   subject CN does not count (Go ignores it);
//! * when the leaf has an extended key usage extension, it must allow `server auth` (or any).
//!
//! If any mounted chain passes, the call site is fine (pods also mount client or metrics
//! certificates). Otherwise → error on the caBundle, classified (unknown authority, expired CA, expired
//! or not yet valid leaf, SAN mismatch, EKU incompatible) for the most likely serving Secret: the one
//! written by the `inject-ca-from` Certificate, else the chain that gets furthest. Entries of one object
//! calling the same Service with the same caBundle are reported once.
//!
//! Out of scope: the opt-in `--probe` handshake (b) (port-forward to a ready pod, compare the served
//! chain with the Secret: "pod serves a stale certificate"), hence url-based webhooks, pods that load
//! their certificate through the API (dynamic serving) or a CSI driver, and replica outliers. Expiring
//! (not yet expired) material is LIVE005 (caBundle), LIVE002 (cert-manager) and LIVE009 (unmanaged).

use super::status::{Pem, describe, named, read_pem};
use super::webhooks::{Chain, callee_text, serving_chains, target_text};
use crate::certs::{self, Cert, Encoding};
use crate::model::webhook::{self, CaBundle, CaSource, Callee, Injectable, Target};
use crate::model::{Inventory, Settings};
use crate::rules::{BuiltinRule, Finding, KindSet, Severity, WORKLOAD_KINDS};
use crate::time::when;

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "LIVE006",
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

const ID: &str = "LIVE006";
const HELP: &str = "Make the caBundle and the served certificate agree: with cert-manager, mount the Secret of the Certificate that `cert-manager.io/inject-ca-from` names (its issuer's CA is what cainjector injects); with static material, regenerate the CA and the serving certificate together, with a DNS SAN `<svc>.<ns>.svc`.";

/// Why a chain fails, in Go's order of checks (signature, validity, name, usage).
#[derive(Debug, PartialEq, Eq)]
enum Problem {
    /// Not signed by any caBundle certificate.
    UnknownAuthority,
    /// Signed only by expired caBundle certificates (indices).
    ExpiredCa(Vec<usize>),
    /// The leaf is outside its validity period.
    LeafValidity,
    /// No DNS SAN covers the ServerName.
    Name,
    /// EKU without server auth.
    Usage,
}

impl Problem {
    /// How far a chain got: the higher, the more likely it is the serving certificate.
    fn rank(&self) -> u8 {
        match self {
            Problem::UnknownAuthority => 0,
            Problem::ExpiredCa(_) => 1,
            Problem::LeafValidity => 2,
            Problem::Name => 3,
            Problem::Usage => 4,
        }
    }
}

/// Whether a DNS SAN covers `host` as Go's `VerifyHostname` does (no IP, no CN).
pub fn san_covers(san: &str, host: &str) -> bool {
    let (san, host) = (san.to_ascii_lowercase(), host.to_ascii_lowercase());
    let san = san.trim_end_matches('.');
    let host = host.trim_end_matches('.');
    if san == host {
        return true;
    }
    match (san.strip_prefix("*."), host.split_once('.')) {
        (Some(rest), Some((first, host_rest))) => !first.is_empty() && rest == host_rest,
        _ => false,
    }
}

/// The problems of one chain (empty: it verifies).
fn problems(chain: &[Cert], bundle: &[Cert], server: &str, now: i64) -> Vec<Problem> {
    let anchors = certs::verify_chain(chain, bundle);
    let mut out = Vec::new();
    if anchors.is_empty() {
        out.push(Problem::UnknownAuthority);
    } else if anchors.iter().all(|&a| !bundle[a].is_valid_at(now)) {
        out.push(Problem::ExpiredCa(anchors));
    }
    let leaf = &chain[0];
    if !leaf.is_valid_at(now) {
        out.push(Problem::LeafValidity);
    }
    if !leaf.dns_names.iter().any(|d| san_covers(d, server)) {
        out.push(Problem::Name);
    }
    if !leaf.allows_server_auth() {
        out.push(Problem::Usage);
    }
    out
}

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    if !inv.settings.live {
        return;
    }
    for inj in &inv.webhooks.injectables {
        let mut seen: Vec<(String, &str)> = Vec::new();
        for c in inv.webhooks.callees_of(inj) {
            let (Target::Service(svc), CaBundle::Literal { value, .. }) = (&c.target, &c.ca_bundle)
            else {
                continue;
            };
            let key = (target_text(c), value.as_str());
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            check_callee(inv, inj, c, &svc.server_name(), value, out);
        }
    }
}

fn check_callee(
    inv: &Inventory,
    inj: &Injectable,
    c: &Callee,
    server: &str,
    value: &str,
    out: &mut Vec<Finding>,
) {
    let Pem::Certs { certs: bundle, .. } = read_pem(value, Encoding::Base64) else {
        return; // empty or unusable: LIVE005
    };
    let now = inv.settings.now;
    let chains = serving_chains(inv, c);
    let judged: Vec<(Chain, Vec<Problem>)> = chains
        .into_iter()
        .map(|ch| {
            let p = problems(&ch.certs, &bundle, server, now);
            (ch, p)
        })
        .collect();
    if judged.is_empty() || judged.iter().any(|(_, p)| p.is_empty()) {
        return;
    }
    let injected_secret = injected_secret(inv, inj);
    let best = judged
        .iter()
        .enumerate()
        .max_by_key(|(i, (ch, p))| {
            let injected = injected_secret.is_some_and(|s| s == ch.secret);
            (injected, p[0].rank(), std::cmp::Reverse(*i))
        })
        .map(|(i, _)| i)
        .expect("not empty");
    let (chain, probs) = &judged[best];
    let leaf = &chain.certs[0];
    let secret = inv.get(chain.secret);
    let mut reasons: Vec<String> = Vec::new();
    for p in probs {
        reasons.push(match p {
            Problem::UnknownAuthority => format!(
                "it is not signed by any certificate in the caBundle (its issuer is {}): \"x509: certificate signed by unknown authority\"",
                leaf.issuer
            ),
            Problem::ExpiredCa(anchors) => {
                let expired: Vec<&Cert> = anchors.iter().map(|&a| &bundle[a]).collect();
                format!(
                    "it is signed only by expired caBundle certificate{} {}: \"x509: certificate has expired or is not yet valid\"",
                    if expired.len() == 1 { "" } else { "s" },
                    named(&expired, "expired", now)
                )
            }
            Problem::LeafValidity if leaf.not_after < now => format!(
                "it expired on {}: \"x509: certificate has expired or is not yet valid\"",
                when(leaf.not_after, now)
            ),
            Problem::LeafValidity => format!(
                "it is not valid before {}: \"x509: certificate has expired or is not yet valid\"",
                when(leaf.not_before, now)
            ),
            Problem::Name => {
                let names = if leaf.dns_names.is_empty() {
                    "no DNS name (a subject CN does not count)".to_string()
                } else {
                    leaf.dns_names
                        .iter()
                        .take(5)
                        .map(|d| format!("`{d}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                format!(
                    "it is valid for {names}, not `{server}`: \"x509: certificate is valid for …, not {server}\""
                )
            }
            Problem::Usage => format!(
                "its extended key usages ({}) do not include server auth: \"x509: certificate specifies an incompatible key usage\"",
                leaf.ext_key_usage
                    .iter()
                    .flatten()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    let others = match judged.len() - 1 {
        0 => String::new(),
        1 => "; the other mounted TLS Secret does not verify either".to_string(),
        n => format!("; none of the {n} other mounted TLS Secrets verifies either"),
    };
    let CaBundle::Literal { pointer, .. } = &c.ca_bundle else {
        return;
    };
    out.push(
        Finding::new(
            ID,
            Severity::Error,
            c.object,
            pointer.clone(),
            format!(
                "{} (calling {}) fails TLS verification: the serving certificate {} in Secret {} (mounted by {}): {}{others}",
                callee_text(inv, c),
                target_text(c),
                leaf.name(),
                super::status::qualified(secret),
                describe(inv.get(chain.workload)),
                reasons.join("; ")
            ),
        )
        .help(HELP)
        .related([inv.obj_ref(chain.secret), inv.obj_ref(chain.workload)]),
    );
}

/// The Secret the `inject-ca-from` Certificate writes, when both are in the input.
fn injected_secret(inv: &Inventory, inj: &Injectable) -> Option<usize> {
    let CaSource::Certificate(ns, name) = inj.injection.source() else {
        return None;
    };
    let cert = inv.find("cert-manager.io", "Certificate", Some(&ns), &name)?;
    let secret = inv.get(cert).root.str_at(&["spec", "secretName"])?;
    inv.find("", "Secret", Some(&ns), secret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::run_check;
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    };

    fn settings() -> Settings {
        Settings {
            live: true,
            now: crate::time::midnight("2026-11-26").unwrap(),
            ..Settings::default()
        }
    }

    struct Ca {
        params: CertificateParams,
        key: KeyPair,
        pem: String,
    }

    fn ca(cn: &str, to: (i32, u8, u8)) -> Ca {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.not_before = rcgen::date_time_ymd(2020, 1, 1);
        p.not_after = rcgen::date_time_ymd(to.0, to.1, to.2);
        let key = KeyPair::generate().unwrap();
        let pem = p.self_signed(&key).unwrap().pem();
        Ca {
            params: p,
            key,
            pem,
        }
    }

    fn leaf(by: &Ca, sans: &[&str], to: (i32, u8, u8), eku: &[ExtendedKeyUsagePurpose]) -> String {
        let mut p =
            CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        p.distinguished_name.push(DnType::CommonName, "hook");
        p.not_before = rcgen::date_time_ymd(2020, 1, 1);
        p.not_after = rcgen::date_time_ymd(to.0, to.1, to.2);
        p.extended_key_usages = eku.to_vec();
        p.signed_by(
            &KeyPair::generate().unwrap(),
            &Issuer::from_params(&by.params, &by.key),
        )
        .unwrap()
        .pem()
    }

    fn b64(pem: &str) -> String {
        data_encoding::BASE64.encode(pem.as_bytes())
    }

    fn cluster(bundle: &str, secrets: &[&str]) -> String {
        let mut yaml = format!(
            "apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {{name: hook}}
webhooks:
  - name: a.example.com
    clientConfig: {{service: {{name: hook, namespace: hooks}}, caBundle: {}}}
  - name: b.example.com
    clientConfig: {{service: {{name: hook, namespace: hooks}}, caBundle: {}}}
---
apiVersion: v1
kind: Service
metadata: {{name: hook, namespace: hooks}}
spec:
  selector: {{app: hook}}
  ports: [{{port: 443, targetPort: 9443}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: hook, namespace: hooks}}
spec:
  template:
    metadata: {{labels: {{app: hook}}}}
    spec:
      containers: [{{name: c, image: x}}]
      volumes:
",
            b64(bundle),
            b64(bundle)
        );
        for (i, _) in secrets.iter().enumerate() {
            yaml.push_str(&format!(
                "        - {{name: v{i}, secret: {{secretName: s{i}}}}}\n"
            ));
        }
        for (i, pem) in secrets.iter().enumerate() {
            yaml.push_str(&format!(
                "---\napiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nmetadata: {{name: s{i}, namespace: hooks}}\ndata: {{tls.crt: {}}}\n",
                b64(pem)
            ));
        }
        yaml
    }

    #[test]
    fn wildcard_sans() {
        assert!(san_covers("hook.hooks.svc", "hook.hooks.svc"));
        assert!(san_covers("HOOK.hooks.svc.", "hook.hooks.svc"));
        assert!(san_covers("*.hooks.svc", "hook.hooks.svc"));
        assert!(!san_covers("*.svc", "hook.hooks.svc"));
        assert!(!san_covers("hook.hooks", "hook.hooks.svc"));
        assert!(!san_covers("*.hooks.svc", "a.b.hooks.svc"));
    }

    #[test]
    fn classifies_the_likely_serving_chain() {
        let good = ca("good", (2036, 1, 1));
        let other = ca("other", (2036, 1, 1));
        let name = ["hook.hooks.svc"];
        let ok = leaf(&good, &name, (2030, 1, 1), &[]);
        // Verifies: nothing (the unrelated second Secret is fine).
        let metrics = leaf(&other, &["metrics"], (2030, 1, 1), &[]);
        let f = run_check(check, &cluster(&good.pem, &[&metrics, &ok]), settings());
        assert!(f.is_empty(), "{f:?}");
        // Wrong SAN from the right CA beats an unrelated CA; reported once for both entries.
        let wrong_name = leaf(&good, &["hook.hooks"], (2030, 1, 1), &[]);
        let f = run_check(
            check,
            &cluster(&good.pem, &[&metrics, &wrong_name]),
            settings(),
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].message.contains("Secret hooks/s1"), "{}", f[0].message);
        assert!(
            f[0].message.contains("not `hook.hooks.svc`"),
            "{}",
            f[0].message
        );
        assert!(
            f[0].message
                .contains("the other mounted TLS Secret does not verify either")
        );
        // Unknown authority, expired leaf, client-auth only.
        let f = run_check(check, &cluster(&other.pem, &[&ok]), settings());
        assert!(
            f[0].message.contains("signed by unknown authority"),
            "{}",
            f[0].message
        );
        let expired = leaf(&good, &name, (2025, 1, 1), &[]);
        let f = run_check(check, &cluster(&good.pem, &[&expired]), settings());
        assert!(
            f[0].message.contains("it expired on 2025-01-01"),
            "{}",
            f[0].message
        );
        let client = leaf(
            &good,
            &name,
            (2030, 1, 1),
            &[ExtendedKeyUsagePurpose::ClientAuth],
        );
        let f = run_check(check, &cluster(&good.pem, &[&client]), settings());
        assert!(
            f[0].message
                .contains("(client auth) do not include server auth"),
            "{}",
            f[0].message
        );
        // An expired CA only.
        let old = ca("old", (2025, 6, 1));
        let by_old = leaf(&old, &name, (2025, 6, 1), &[]);
        let f = run_check(check, &cluster(&old.pem, &[&by_old]), settings());
        assert!(
            f[0].message
                .contains("signed only by expired caBundle certificate CN=old"),
            "{}",
            f[0].message
        );
        // Not live: nothing.
        let f = run_check(check, &cluster(&other.pem, &[&ok]), Settings::default());
        assert!(f.is_empty());
    }
}
