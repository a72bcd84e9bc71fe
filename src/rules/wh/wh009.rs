//! WH009 static-cabundle-expiring: certificates written into manifests that the apiserver's call to a
//! webhook, CRD conversion webhook or aggregated APIService depends on are unusable, expired or about
//! to expire — nothing renews a literal certificate.
//!
//! **Literal caBundles** (`webhooks[].clientConfig.caBundle` of Validating/MutatingWebhookConfigurations,
//! `spec.conversion.webhook.clientConfig.caBundle` of CRDs with strategy `Webhook`, `spec.caBundle` of
//! APIServices with a `service`), reported at the value:
//! * placeholder (empty, `Cg==`): nothing — "no caBundle" is WH002's business;
//! * not base64 → error (the API server rejects the `[]byte` field; PEM pasted without base64 is named);
//! * no usable certificate (base64 of plain text such as Linkerd's golden test values, a DER
//!   certificate, key blocks only, certificate blocks that do not parse) → error: client-go's
//!   `rootCertPool` fails with "unable to load root certificates: unable to parse bytes as PEM block"
//!   and every call fails;
//! * some certificate blocks unparseable next to good ones → warning (Go's `AppendCertsFromPEM` skips
//!   them silently);
//! * every certificate expired (`notAfter < now`) → error: Go's verifier rejects an expired root;
//! * a certificate expiring before `now + warnDays` (default 30) → warning;
//! * an expired certificate next to a valid one → **info**, not a warning: the apiserver builds chains
//!   with any root of the pool, and cainjector's merging drops expired certificates itself
//!   (`internal/cainjector/bundle/bundle.go`, RULES.md §1.6, LIVE005 FP trap). If the serving
//!   certificate is signed only by the expired one, the chain check below reports an error.
//!
//! When cainjector manages the object (a usable `inject-ca-from*`/`inject-apiserver-ca` source) or a
//! §1.8 fingerprint recognises a runtime self-manager, the literal is replaced or merged at runtime
//! (cainjector replaces a bundle it cannot parse and drops expired certificates): findings on it are
//! info.
//!
//! **Serving chain** (static LIVE006): for a Service-backed entry with a literal caBundle and no
//! injection or self-manager, the pods behind the Service mount Secrets; when at least one of them
//! holds a parseable `tls.crt` and no such chain verifies (signatures, through the intermediates in
//! `tls.crt`) against ANY certificate of the bundle (RULES §9.13) → error "x509: certificate signed by
//! unknown authority"; verifying only against expired bundle certificates → error.
//!
//! **Secrets the webhook graph references** (any type; `stringData` wins over `data`, as in the API),
//! each checked once, reported at the value with the webhook object as related:
//! * `tls.crt` of the Secrets mounted by the pods behind a webhook's Service: unparseable → error (the
//!   server cannot load its key pair), leaf expired → error, leaf expiring → warning, an expired
//!   intermediate → warning;
//! * `ca.crt` of the Secret cainjector injects from (`inject-ca-from-secret`, or the `spec.secretName`
//!   of the `inject-ca-from` Certificate when that Secret is in the input): the caBundle checks above.
//!
//! Empty values (Gatekeeper's empty Secret, the cert-manager docs example's empty `tls.crt`) are skipped:
//! missing material is WH004/WH006's business. Secrets managed by cert-manager (annotation
//! `cert-manager.io/certificate-name`, or a Certificate in the input targets them) or by a recognised
//! §1.8 self-manager are rewritten at runtime: findings on them are info. Only `notAfter` is judged: `notBefore` later than
//! "now" is normal for `helm template` output (`genCA` stamps the render time). Messages name the subject
//! and the UTC `notAfter` date, never certificate or key material.

use std::collections::HashSet;

use crate::certs::{self, Bundle, Cert, Content, Encoding};
use crate::model::webhook::{self, CaBundle, CaSource, Callee, Injectable, Target};
use crate::model::{Inventory, ObjId, ObjRef, Object, Settings};
use crate::rules::material;
use crate::rules::{BuiltinRule, Finding, KindSet, Severity, WORKLOAD_KINDS};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "WH009",
    kinds,
    check,
};

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![webhook::KINDS, WORKLOAD_KINDS]
}

const ID: &str = "WH009";
const DAY: i64 = 86_400;
/// Most certificates a message names.
const MAX_NAMED: usize = 3;

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    let mut serving_seen: HashSet<ObjId> = HashSet::new();
    let mut ca_seen: HashSet<ObjId> = HashSet::new();
    for inj in &inv.webhooks.injectables {
        let managed = runtime_manager(inv, inj);
        for c in inv.webhooks.callees_of(inj) {
            let CaBundle::Literal { pointer, value } = &c.ca_bundle else {
                continue;
            };
            let site = Site {
                object: inj.object,
                pointer,
                what: "caBundle",
                downgrade: managed.clone(),
                related: Vec::new(),
            };
            let Some(bundle) = read_bundle(&site, value, Encoding::Base64, out) else {
                continue;
            };
            let stale_chain =
                managed.is_none() && check_serving_chain(inv, inj, c, pointer, &bundle, out);
            check_expiry(inv, &site, &bundle.certs, stale_chain, out);
        }
        check_serving_secrets(inv, inj, &mut serving_seen, out);
        check_ca_source(inv, inj, &mut ca_seen, out);
    }
}

/// Why a literal caBundle does not matter at runtime (cainjector or a self-manager rewrites it).
fn runtime_manager(inv: &Inventory, inj: &Injectable) -> Option<String> {
    if let Some(why) = self_manager(inv, inj) {
        return Some(why);
    }
    match inj.injection.source() {
        CaSource::None => None,
        CaSource::Secret(ns, name) => Some(format!(
            "cainjector replaces or merges this literal at runtime (`inject-ca-from-secret: {ns}/{name}`)"
        )),
        CaSource::Certificate(ns, name) => Some(format!(
            "cainjector replaces or merges this literal at runtime (`inject-ca-from: {ns}/{name}`)"
        )),
        CaSource::ApiServer => Some(
            "cainjector replaces or merges this literal at runtime (`inject-apiserver-ca`)"
                .to_string(),
        ),
    }
}

/// The §1.8 pattern that manages an injectable's certificates at runtime, as a reason for messages.
fn self_manager(inv: &Inventory, inj: &Injectable) -> Option<String> {
    inv.webhooks
        .fingerprint_of(inj)
        .map(|f| format!("recognised {} (§1.8 {}): {}", f.id, f.pattern, f.summary))
}

/// Why expiry findings on a Secret are only info: cert-manager renews it, or a recognised
/// self-manager rewrites it.
fn secret_downgrade(inv: &Inventory, inj: &Injectable, secret: &Object) -> Option<String> {
    if material::cert_manager_secret(inv, secret) {
        return Some("cert-manager renews this Secret".to_string());
    }
    self_manager(inv, inj)
}

/// Where a value is and how to report on it.
struct Site<'a> {
    object: ObjId,
    /// Pointer of the value inside the object.
    pointer: &'a str,
    /// What the value is, for messages (`caBundle`, "`ca.crt` of Secret ns/name").
    what: &'a str,
    /// Why findings are only info (the value is rewritten or renewed at runtime).
    downgrade: Option<String>,
    related: Vec<ObjRef>,
}

impl Site<'_> {
    /// A finding: `core` states the fact, `consequence` (with its leading separator) what breaks. When
    /// the value is rewritten or renewed at runtime, the consequence is replaced by the reason and the
    /// finding is info.
    fn finding(
        &self,
        severity: Severity,
        core: String,
        consequence: &str,
        help: &'static str,
    ) -> Finding {
        let (severity, message) = match &self.downgrade {
            Some(why) if severity > Severity::Info => (Severity::Info, format!("{core}; {why}")),
            _ => (severity, format!("{core}{consequence}")),
        };
        Finding::new(ID, severity, self.object, self.pointer, message)
            .help(help)
            .related(self.related.iter().cloned())
    }
}

const HELP_REGENERATE: &str = "Regenerate the CA and the serving certificate and update the caBundle (Helm `genCA` charts regenerate on upgrade), or let cert-manager manage both: a Certificate for `<svc>.<ns>.svc` and `cert-manager.io/inject-ca-from: <ns>/<certificate>`.";
const HELP_ENCODE: &str = "Set the caBundle to the base64 of the PEM CA certificate(s) (`base64 -w0 ca.crt`), or let cert-manager inject it with `cert-manager.io/inject-ca-from`.";

/// Decode and parse a CA bundle value (a caBundle, a CA-source `ca.crt`), reporting what makes it
/// unusable. Returns the bundle when it holds at least one certificate.
fn read_bundle(
    site: &Site<'_>,
    value: &str,
    encoding: Encoding,
    out: &mut Vec<Finding>,
) -> Option<Bundle> {
    let what = site.what;
    let bundle = match certs::read_value(value, encoding) {
        Content::Empty => return None,
        Content::NotBase64 { pem_text } => {
            let core = if pem_text {
                format!("{what} holds PEM text, but the field is base64-encoded bytes")
            } else {
                format!("{what} is not valid base64")
            };
            out.push(site.finding(
                Severity::Error,
                core,
                ": the API server rejects the object (illegal base64 data)",
                HELP_ENCODE,
            ));
            return None;
        }
        Content::Bundle(b) => b,
    };
    if let Some(problem) = bundle.problem() {
        out.push(site.finding(
            Severity::Error,
            format!("{what} {problem}"),
            ": the apiserver cannot load it (\"unable to load root certificates\") and every call fails",
            HELP_ENCODE,
        ));
        return None;
    }
    if bundle.failed > 0 {
        out.push(site.finding(
            Severity::Warning,
            format!(
                "{what} has {} certificate block{} that could not be parsed",
                bundle.failed,
                if bundle.failed == 1 { "" } else { "s" },
            ),
            "; the apiserver silently skips them",
            HELP_ENCODE,
        ));
    }
    Some(bundle)
}

/// Expiry of a CA bundle's certificates. `stale_chain`: the serving certificate verifies only against
/// an expired certificate of the bundle (already an error), so expired ones are not called harmless.
fn check_expiry(
    inv: &Inventory,
    site: &Site<'_>,
    certs: &[Cert],
    stale_chain: bool,
    out: &mut Vec<Finding>,
) {
    let now = inv.settings.now;
    let what = site.what;
    let (expired, valid): (Vec<&Cert>, Vec<&Cert>) = certs.iter().partition(|c| c.is_expired(now));
    if valid.is_empty() {
        out.push(site.finding(
            Severity::Error,
            format!(
                "every certificate in {what} has expired: {}",
                named(&expired, "expired")
            ),
            "; the apiserver rejects the server's certificate (x509: certificate has expired or is not yet valid)",
            HELP_REGENERATE,
        ));
        return;
    }
    let soon: Vec<&Cert> = valid
        .iter()
        .copied()
        .filter(|c| c.not_after < now + i64::from(inv.settings.warn_days) * DAY)
        .collect();
    if !soon.is_empty() {
        let all = soon.len() == valid.len();
        out.push(site.finding(
            Severity::Warning,
            format!(
                "{what} certificate {} (warning threshold {} days)",
                named_expiring(&soon, now),
                inv.settings.warn_days,
            ),
            if all {
                "; nothing renews a literal certificate"
            } else {
                ""
            },
            HELP_REGENERATE,
        ));
    }
    if !expired.is_empty() && !stale_chain {
        out.push(
            Finding::new(
                ID,
                Severity::Info,
                site.object,
                site.pointer,
                format!(
                    "{what} also holds expired certificate{} {}; harmless while another certificate is valid (cainjector drops expired certificates when it merges)",
                    if expired.len() == 1 { "" } else { "s" },
                    named(&expired, "expired")
                ),
            )
            .related(site.related.iter().cloned()),
        );
    }
}

/// `CN=a (expired 2001-01-01), CN=b (…) and 2 more`.
fn named(certs: &[&Cert], verb: &str) -> String {
    let mut parts: Vec<String> = certs
        .iter()
        .take(MAX_NAMED)
        .map(|c| format!("{} ({verb} {})", c.name(), certs::utc_date(c.not_after)))
        .collect();
    if certs.len() > MAX_NAMED {
        parts.push(format!("{} more", certs.len() - MAX_NAMED));
    }
    parts.join(", ")
}

/// `CN=a expires on 2026-12-10 (in 14 days)`.
fn named_expiring(certs: &[&Cert], now: i64) -> String {
    let mut parts: Vec<String> = certs
        .iter()
        .take(MAX_NAMED)
        .map(|c| {
            format!(
                "{} expires on {}, in {} days",
                c.name(),
                certs::utc_date(c.not_after),
                (c.not_after - now) / DAY
            )
        })
        .collect();
    if certs.len() > MAX_NAMED {
        parts.push(format!("{} more expire", certs.len() - MAX_NAMED));
    }
    parts.join(", ")
}

/// The parsed `tls.crt` chain of a Secret (`None` when absent, empty or without certificates).
fn tls_chain(secret: &Object) -> Option<Vec<Cert>> {
    let (_, value, encoding) = material::pem_value(secret, "tls.crt")?;
    match certs::read_value(value, encoding) {
        Content::Bundle(b) if !b.certs.is_empty() => Some(b.certs),
        _ => None,
    }
}

/// Static LIVE006: the serving certificate mounted behind the Service must chain to the literal
/// caBundle. Returns whether it chains only to expired bundle certificates (reported as an error).
fn check_serving_chain(
    inv: &Inventory,
    inj: &Injectable,
    c: &Callee,
    ca_pointer: &str,
    bundle: &Bundle,
    out: &mut Vec<Finding>,
) -> bool {
    let Target::Service(svc) = &c.target else {
        return false;
    };
    let now = inv.settings.now;
    let chains: Vec<(ObjId, ObjId, Vec<Cert>)> = material::mounted_secrets(inv, &c.backend.pods)
        .into_iter()
        .filter_map(|(s, w)| Some((s, w, tls_chain(inv.get(s))?)))
        .collect();
    if chains.is_empty() {
        return false;
    }
    let mut stale: Option<(usize, Vec<usize>)> = None;
    for (i, (_, _, chain)) in chains.iter().enumerate() {
        let anchors = certs::verify_chain(chain, &bundle.certs);
        if anchors.iter().any(|&a| !bundle.certs[a].is_expired(now)) {
            return false;
        }
        if !anchors.is_empty() && stale.is_none() {
            stale = Some((i, anchors));
        }
    }
    let stale_only = stale.is_some();
    let (idx, message) = match stale {
        Some((i, anchors)) => {
            let (s, _, chain) = &chains[i];
            let expired: Vec<&Cert> = anchors.iter().map(|&a| &bundle.certs[a]).collect();
            (
                i,
                format!(
                    "the serving certificate {} in Secret {} is signed only by expired caBundle certificate {}: the apiserver fails with \"x509: certificate has expired or is not yet valid\"",
                    chain[0].name(),
                    secret_name(inv.get(*s)),
                    named(&expired, "expired")
                ),
            )
        }
        None => {
            let (s, _, chain) = &chains[0];
            let more = if chains.len() > 1 {
                format!(
                    " (nor does any of the {} other mounted TLS Secrets)",
                    chains.len() - 1
                )
            } else {
                String::new()
            };
            (
                0,
                format!(
                    "the serving certificate {} (issuer {}) in Secret {} is not signed by any certificate in this caBundle{more}: calls to {} fail with \"x509: certificate signed by unknown authority\"",
                    chain[0].name(),
                    chain[0].issuer,
                    secret_name(inv.get(*s)),
                    svc.server_name()
                ),
            )
        }
    };
    let (secret, workload, _) = &chains[idx];
    out.push(
        Finding::new(ID, Severity::Error, inj.object, ca_pointer, message)
            .help("Put the CA that signed the serving certificate into the caBundle (regenerate both together), or let cert-manager issue the serving certificate and inject its CA with `cert-manager.io/inject-ca-from`.")
            .related([inv.obj_ref(*secret), inv.obj_ref(*workload)]),
    );
    stale_only
}

fn secret_name(s: &Object) -> String {
    match s.ns() {
        Some(ns) => format!("{ns}/{}", s.id.name),
        None => s.id.name.to_string(),
    }
}

/// `tls.crt` of the Secrets mounted behind an injectable's Services.
fn check_serving_secrets(
    inv: &Inventory,
    inj: &Injectable,
    seen: &mut HashSet<ObjId>,
    out: &mut Vec<Finding>,
) {
    let now = inv.settings.now;
    for c in inv.webhooks.callees_of(inj) {
        for (s, _workload) in material::mounted_secrets(inv, &c.backend.pods) {
            if !seen.insert(s) {
                continue;
            }
            let secret = inv.get(s);
            let Some((ptr, value, encoding)) = material::pem_value(secret, "tls.crt") else {
                continue;
            };
            let what = format!("`tls.crt` of Secret {}", secret_name(secret));
            let site = Site {
                object: s,
                pointer: &ptr,
                what: &what,
                downgrade: secret_downgrade(inv, inj, secret),
                related: vec![inv.obj_ref(inj.object)],
            };
            let chain = match certs::read_value(value, encoding) {
                Content::Empty => continue,
                Content::NotBase64 { .. } => {
                    out.push(site.finding(
                        Severity::Error,
                        format!("{what} is not valid base64"),
                        ": the API server rejects the Secret",
                        "Store the base64 of the PEM serving certificate in `data.tls.crt` (or the PEM itself in `stringData.tls.crt`).",
                    ));
                    continue;
                }
                Content::Bundle(b) => match b.problem() {
                    Some(problem) => {
                        out.push(site.finding(
                            Severity::Error,
                            format!("{what}, served by the webhook's pods, {problem}"),
                            ": the server cannot load its certificate",
                            "Store the PEM serving certificate (leaf first, then intermediates) in `tls.crt`.",
                        ));
                        continue;
                    }
                    None => b.certs,
                },
            };
            let leaf = &chain[0];
            if leaf.is_expired(now) {
                out.push(site.finding(
                    Severity::Error,
                    format!(
                        "the webhook serving certificate {} in {what} expired on {}",
                        leaf.name(),
                        certs::utc_date(leaf.not_after)
                    ),
                    ": the apiserver rejects it (x509: certificate has expired or is not yet valid)",
                    HELP_REGENERATE,
                ));
            } else if leaf.not_after < now + i64::from(inv.settings.warn_days) * DAY {
                out.push(site.finding(
                    Severity::Warning,
                    format!(
                        "the webhook serving certificate {} in {what} expires on {}, in {} days",
                        leaf.name(),
                        certs::utc_date(leaf.not_after),
                        (leaf.not_after - now) / DAY
                    ),
                    "; nothing renews a static Secret",
                    HELP_REGENERATE,
                ));
            }
            let stale: Vec<&Cert> = chain[1..].iter().filter(|c| c.is_expired(now)).collect();
            if !stale.is_empty() {
                out.push(site.finding(
                    Severity::Warning,
                    format!(
                        "{what} carries expired chain certificate{} {}",
                        if stale.len() == 1 { "" } else { "s" },
                        named(&stale, "expired")
                    ),
                    "; clients that need it to build the chain fail",
                    HELP_REGENERATE,
                ));
            }
        }
    }
}

/// `ca.crt` of the Secret cainjector injects from.
fn check_ca_source(
    inv: &Inventory,
    inj: &Injectable,
    seen: &mut HashSet<ObjId>,
    out: &mut Vec<Finding>,
) {
    let secret = match inj.injection.source() {
        CaSource::Secret(ns, name) => inv.find("", "Secret", Some(&ns), &name),
        CaSource::Certificate(ns, name) => inv
            .find("cert-manager.io", "Certificate", Some(&ns), &name)
            .and_then(|c| inv.get(c).root.str_at(&["spec", "secretName"]))
            .and_then(|s| inv.find("", "Secret", Some(&ns), s)),
        _ => None,
    };
    let Some(s) = secret else {
        return;
    };
    if !seen.insert(s) {
        return;
    }
    let obj = inv.get(s);
    let Some((ptr, value, encoding)) = material::pem_value(obj, "ca.crt") else {
        return;
    };
    let what = format!(
        "`ca.crt` of Secret {} (injected by cainjector)",
        secret_name(obj)
    );
    let site = Site {
        object: s,
        pointer: &ptr,
        what: &what,
        downgrade: secret_downgrade(inv, inj, obj),
        related: vec![inv.obj_ref(inj.object)],
    };
    if let Some(bundle) = read_bundle(&site, value, encoding, out) {
        check_expiry(inv, &site, &bundle.certs, false, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::run_check;

    /// 2026-11-26T00:00:00Z.
    const NOW: i64 = 1_795_651_200;

    fn settings() -> Settings {
        Settings {
            now: NOW,
            ..Settings::default()
        }
    }

    fn vwc(ca_bundle: &str, annotations: &str) -> String {
        format!(
            "apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: hook
  annotations: {{{annotations}}}
webhooks:
  - name: a.example.com
    clientConfig:
      service: {{name: hook, namespace: hooks}}
      caBundle: {ca_bundle}
  - name: b.example.com
    clientConfig:
      service: {{name: hook, namespace: hooks}}
      caBundle: {ca_bundle}
"
        )
    }

    #[test]
    fn placeholders_are_ignored() {
        for ca in ["Cg==", "\"\"", "ICAK"] {
            let f = run_check(check, &vwc(ca, ""), settings());
            assert!(f.is_empty(), "{ca}: {f:?}");
        }
    }

    #[test]
    fn text_is_reported_per_entry_with_short_messages() {
        // base64("profile validator CA bundle"), as in Linkerd's golden files.
        let f = run_check(
            check,
            &vwc("cHJvZmlsZSB2YWxpZGF0b3IgQ0EgYnVuZGxl", ""),
            settings(),
        );
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(f[0].pointer, "/webhooks/0/clientConfig/caBundle");
        assert_eq!(f[1].pointer, "/webhooks/1/clientConfig/caBundle");
        assert!(
            f[0].message
                .starts_with("caBundle is not a PEM certificate bundle (27 bytes of text"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn not_base64_and_injection_downgrade() {
        let f = run_check(check, &vwc("'not base64!'", ""), settings());
        assert_eq!(f.len(), 2);
        assert!(f[0].message.contains("not valid base64"));
        // With a usable injection source the literal is replaced at runtime: info only.
        let f = run_check(
            check,
            &vwc(
                "cHJvZmlsZSB2YWxpZGF0b3IgQ0EgYnVuZGxl",
                "cert-manager.io/inject-ca-from: hooks/hook-serving",
            ),
            settings(),
        );
        assert_eq!(f.len(), 2);
        assert!(f.iter().all(|f| f.severity == Severity::Info));
        assert!(
            f[0].message
                .contains("cainjector replaces or merges this literal")
        );
        // An invalid annotation value is no source: the literal stays.
        let f = run_check(
            check,
            &vwc(
                "cHJvZmlsZSB2YWxpZGF0b3IgQ0EgYnVuZGxl",
                "cert-manager.io/inject-ca-from: hook-serving",
            ),
            settings(),
        );
        assert!(f.iter().all(|f| f.severity == Severity::Error));
    }

    #[test]
    fn expiry_thresholds_follow_settings() {
        // A CA expiring 2026-12-10 (14 days after NOW).
        let ca = include_str!("../../../testdata/rules/WH009/fire-cabundle-expiring.yaml");
        let f = run_check(check, ca, settings());
        assert!(f.iter().any(|f| f.severity == Severity::Warning));
        let f = run_check(
            check,
            ca,
            Settings {
                warn_days: 7,
                ..settings()
            },
        );
        assert!(f.iter().all(|f| f.severity < Severity::Warning), "{f:?}");
    }

    /// A CA valid `from..to` and a leaf for `hook.hooks.svc` signed by it, as PEM.
    fn ca_and_leaf(cn: &str, from: (i32, u8, u8), to: (i32, u8, u8)) -> (String, String) {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.distinguished_name.push(DnType::CommonName, cn);
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.not_before = rcgen::date_time_ymd(from.0, from.1, from.2);
        ca.not_after = rcgen::date_time_ymd(to.0, to.1, to.2);
        let ca_key = KeyPair::generate().unwrap();
        let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
        let mut leaf = CertificateParams::new(vec!["hook.hooks.svc".to_string()]).unwrap();
        leaf.distinguished_name
            .push(DnType::CommonName, "hook.hooks.svc");
        leaf.not_before = ca.not_before;
        leaf.not_after = ca.not_after;
        let leaf_key = KeyPair::generate().unwrap();
        let leaf_pem = leaf
            .signed_by(&leaf_key, &Issuer::from_params(&ca, &ca_key))
            .unwrap()
            .pem();
        (ca_pem, leaf_pem)
    }

    fn b64(pem: &str) -> String {
        data_encoding::BASE64.encode(pem.as_bytes())
    }

    /// A webhook `hook` → Service hooks/hook → Deployment mounting `secrets`, plus `extra` documents.
    fn wired(ca_bundle: &str, labels: &str, secrets: &[&str], extra: &str) -> String {
        let volumes: String = secrets
            .iter()
            .enumerate()
            .map(|(i, s)| format!("        - name: v{i}\n          secret: {{secretName: {s}}}\n"))
            .collect();
        format!(
            "apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: hook
  labels: {{{labels}}}
webhooks:
  - name: a.example.com
    clientConfig:
      service: {{name: hook, namespace: hooks}}
      caBundle: {ca_bundle}
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
    metadata:
      labels: {{app: hook}}
    spec:
      containers: [{{name: c, image: x}}]
      volumes:
{volumes}---
{extra}"
        )
    }

    fn tls_secret(name: &str, annotations: &str, data: &str) -> String {
        format!(
            "apiVersion: v1
kind: Secret
type: kubernetes.io/tls
metadata:
  name: {name}
  namespace: hooks
  annotations: {{{annotations}}}
{data}
---
"
        )
    }

    #[test]
    fn any_mounted_tls_secret_that_verifies_is_enough() {
        let (ca, leaf) = ca_and_leaf("hook-ca", (2020, 1, 1), (2099, 1, 1));
        let (_, unrelated) = ca_and_leaf("metrics-ca", (2020, 1, 1), (2099, 1, 1));
        let extra = format!(
            "{}{}",
            tls_secret("serving", "", &format!("data: {{tls.crt: {}}}", b64(&leaf))),
            tls_secret(
                "metrics",
                "",
                &format!("data: {{tls.crt: {}}}", b64(&unrelated))
            )
        );
        let yaml = wired(&b64(&ca), "", &["metrics", "serving"], &extra);
        let f = run_check(check, &yaml, settings());
        assert!(f.is_empty(), "{f:?}");
        // Without the serving one, the unrelated certificate does not verify: error naming it.
        let yaml = wired(&b64(&ca), "", &["metrics"], &extra);
        let f = run_check(check, &yaml, settings());
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].severity, Severity::Error);
        assert!(
            f[0].message
                .contains("Secret hooks/metrics is not signed by any certificate")
        );
        assert_eq!(f[0].related.len(), 2);
    }

    #[test]
    fn string_data_wins_and_managed_secrets_are_info() {
        let (ca, leaf) = ca_and_leaf("old", (2000, 1, 1), (2001, 1, 1));
        let (_, good) = ca_and_leaf("good", (2020, 1, 1), (2099, 1, 1));
        // `data` holds the expired leaf but `stringData` (which the API server applies last) a valid
        // certificate: judged on stringData (which is not signed by the caBundle: chain error only).
        let indented: String = good.lines().map(|l| format!("    {l}\n")).collect();
        let data = format!(
            "data: {{tls.crt: {}}}\nstringData:\n  tls.crt: |\n{indented}",
            b64(&leaf)
        );
        let yaml = wired(&b64(&ca), "", &["s"], &tls_secret("s", "", &data));
        let f = run_check(check, &yaml, settings());
        let msgs: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
        // The expired CA in the caBundle (error) and the chain check (error); nothing on `/data`.
        assert_eq!(f.len(), 2, "{msgs:?}");
        assert!(
            f.iter()
                .all(|f| f.pointer == "/webhooks/0/clientConfig/caBundle"),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.contains("CN=hook.hooks.svc (issuer CN=good)"))
        );
        // A cert-manager Secret with an expired leaf: cert-manager renews it → info.
        let yaml = wired(
            &b64(&good),
            "",
            &["s"],
            &tls_secret(
                "s",
                "cert-manager.io/certificate-name: hook",
                &format!("data: {{tls.crt: {}}}", b64(&leaf)),
            ),
        );
        let f: Vec<_> = run_check(check, &yaml, settings())
            .into_iter()
            .filter(|f| f.pointer == "/data/tls.crt")
            .collect();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info);
        assert!(f[0].message.ends_with("cert-manager renews this Secret"));
    }

    #[test]
    fn self_managers_and_partial_bundles() {
        let (expired, _) = ca_and_leaf("old", (2000, 1, 1), (2001, 1, 1));
        // istiod (§1.8 F) patches its own caBundle: info.
        let yaml = wired(&b64(&expired), "istio.io/rev: default", &[], "");
        let f = run_check(check, &yaml, settings());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info);
        assert!(
            f[0].message.contains("recognised istiod"),
            "{}",
            f[0].message
        );
        // A good certificate plus a broken block: warning (Go skips the broken one).
        let (good, _) = ca_and_leaf("good", (2020, 1, 1), (2099, 1, 1));
        let broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let yaml = wired(&b64(&format!("{good}{broken}")), "", &[], "");
        let f = run_check(check, &yaml, settings());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(
            f[0].message
                .starts_with("caBundle has 1 certificate block that could not be parsed")
        );
    }
}
