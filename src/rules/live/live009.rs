//! LIVE009 unmanaged-tls-material-expiring: TLS material that cert-manager does not renew is expiring
//! or has expired in the cluster.
//!
//! Only in live mode. Material read (each object once; none of it is managed by cert-manager, whose
//! certificates LIVE002 judges — a Secret with `cert-manager.io/certificate-name` or targeted by a
//! Certificate is skipped):
//! * `tls.crt` (leaf) and `ca.crt` of the Secrets mounted by the pods behind webhook, CRD conversion
//!   and APIService Services (Helm `genCA` Secrets, self-managed rotators; kube-webhook-certgen's
//!   `cert`/`ca` keys when no `tls.crt`/`ca.crt`);
//! * the same for Secrets mounted by the pods behind AWS load balancers (ALB Ingress backends, LB
//!   Services) — **info** only: ALB/NLB do not validate target certificates (RULES.md §9.6), so
//!   expiry breaks only in-cluster clients that verify them;
//! * Linkerd (in `linkerdNamespace`): ConfigMap `linkerd-identity-trust-roots` key `ca-bundle.crt` and
//!   Secret `linkerd-identity-issuer` (`tls.crt`, or `crt.pem` of the `linkerd.io/tls` scheme);
//! * Istio: ConfigMap `istio-ca-root-cert` key `root-cert.pem` (identical in every namespace: judged
//!   once, preferring `istioRootNamespace`);
//! * istio-csr's `--root-ca-file` when it comes from a mounted Secret.
//!
//! Grades: a leaf expired → error; a leaf expiring within `warnDays` → warning. Bundles (trust
//! anchors, `ca.crt`, root certificates): every certificate expired → error; the certificates in use
//! (the Linkerd anchors that verify the identity issuer; otherwise every valid one) all expiring
//! within `warnDays` → warning; expired certificates next to valid ones → info (Linkerd trust roots
//! legitimately hold two anchors during rotation). Self-rotating managers — the webhook's §1.8
//! fingerprint (Gatekeeper, Rancher, Kyverno, istiod, cert-manager's webhook, Knative, cert-controller)
//! or istiod's own self-signed root (self-signed, subject `O=<trustDomain>`, no istio-csr) — are info
//! unless already expired.

use std::collections::HashSet;

use super::status::{Pem, cert_manager_secret, certs_of, describe, named, pem_value, read_pem};
use super::webhooks::self_rotating;
use crate::certs::{self, Cert};
use crate::load::Node;
use crate::model::webhook::containers;
use crate::model::{Inventory, ObjId, ObjRef, Settings};
use crate::rules::{
    BuiltinRule, Finding, INGRESS_KINDS, KindSet, SERVICE_KINDS, Severity, WORKLOAD_KINDS,
};
use crate::time::{DAY, human, when};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "LIVE009",
    kinds,
    check,
};

fn kinds(settings: &Settings) -> Vec<KindSet> {
    // Live mode only: in files the rule reads nothing, and its kinds would keep objects in memory.
    if !settings.live {
        return Vec::new();
    }
    vec![
        crate::model::webhook::KINDS,
        WORKLOAD_KINDS,
        INGRESS_KINDS,
        SERVICE_KINDS,
        &[
            ("", "ConfigMap"),
            ("", "Secret"),
            ("cert-manager.io", "Certificate"),
        ],
    ]
}

const ID: &str = "LIVE009";
const HELP_STATIC: &str = "Regenerate the material before it expires (a Helm `genCA` chart re-renders it on upgrade; kube-webhook-certgen on re-install), or let cert-manager issue and renew it (a Certificate, and `cert-manager.io/inject-ca-from` for the caBundle).";
const HELP_LINKERD: &str = "Rotate the Linkerd trust anchor / identity issuer (docs: \"Manually rotating control plane TLS credentials\"), or let cert-manager manage the issuer and trust-manager distribute the anchors.";
const HELP_ISTIO: &str = "Rotate the mesh root CA (plug-in CA `cacerts`, or istio-csr's `--root-ca-file` Secret) and restart istiod so that `istio-ca-root-cert` is redistributed.";

/// How findings on one piece of material are graded and described.
struct Site {
    object: ObjId,
    pointer: String,
    /// What it is, for messages (starts the sentence).
    what: String,
    /// A self-rotating manager: findings are info unless expired.
    rotating: Option<String>,
    /// Only load balancers use it: findings are info.
    lb_only: bool,
    help: &'static str,
    related: Vec<ObjRef>,
}

impl Site {
    fn push(&self, out: &mut Vec<Finding>, severity: Severity, expired: bool, message: String) {
        let (severity, message) = if self.lb_only && severity > Severity::Info {
            (
                Severity::Info,
                format!(
                    "{message}; only AWS load balancers use it and ALB/NLB do not validate target certificates, so only in-cluster clients that verify it are affected"
                ),
            )
        } else if !expired
            && severity > Severity::Info
            && let Some(why) = &self.rotating
        {
            (Severity::Info, format!("{message}; {why}"))
        } else {
            (severity, message)
        };
        out.push(
            Finding::new(ID, severity, self.object, self.pointer.clone(), message)
                .help(self.help)
                .related(self.related.iter().cloned()),
        );
    }
}

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    if !inv.settings.live {
        return;
    }
    let mut seen: HashSet<ObjId> = HashSet::new();
    webhook_secrets(inv, &mut seen, out);
    lb_secrets(inv, &mut seen, out);
    linkerd(inv, out);
    istio_root(inv, out);
    istio_csr_root(inv, &mut seen, out);
}

fn webhook_secrets(inv: &Inventory, seen: &mut HashSet<ObjId>, out: &mut Vec<Finding>) {
    for inj in &inv.webhooks.injectables {
        let rotating = self_rotating(inv, inj);
        for c in inv.webhooks.callees_of(inj) {
            for (s, w) in super::status::mounted_secrets(inv, &c.backend.pods) {
                if !seen.insert(s) {
                    continue;
                }
                let secret = inv.get(s);
                if cert_manager_secret(inv, secret) {
                    continue;
                }
                let context = format!(
                    "Secret {} (mounted by {}, which serves {})",
                    super::status::qualified(secret),
                    describe(inv.get(w)),
                    describe(inv.get(inj.object))
                );
                let origin = Site {
                    object: s,
                    pointer: String::new(),
                    what: context,
                    rotating: rotating.clone(),
                    lb_only: false,
                    help: HELP_STATIC,
                    related: vec![inv.obj_ref(inj.object), inv.obj_ref(w)],
                };
                secret_material(inv, origin, out);
            }
        }
    }
}

fn lb_secrets(inv: &Inventory, seen: &mut HashSet<ObjId>, out: &mut Vec<Finding>) {
    let targets = crate::rules::ew::lb_targets(inv);
    for t in &targets {
        for (s, w) in super::status::mounted_secrets(inv, &[t.template]) {
            if !seen.insert(s) {
                continue;
            }
            let secret = inv.get(s);
            if cert_manager_secret(inv, secret) {
                continue;
            }
            let context = format!(
                "Secret {} (mounted by {} behind the load balancer of {})",
                super::status::qualified(secret),
                describe(inv.get(w)),
                describe(inv.get(t.lb))
            );
            let origin = Site {
                object: s,
                pointer: String::new(),
                what: context,
                rotating: None,
                lb_only: true,
                help: HELP_STATIC,
                related: vec![inv.obj_ref(t.lb), inv.obj_ref(w)],
            };
            secret_material(inv, origin, out);
        }
    }
}

/// `tls.crt` (leaf) and `ca.crt` (bundle) of a Secret; `origin` is a [`Site`] without the value's
/// pointer, whose `what` says where the Secret is used.
fn secret_material(inv: &Inventory, origin: Site, out: &mut Vec<Finding>) {
    let secret = inv.get(origin.object);
    // kube-webhook-certgen (ingress-nginx, kube-prometheus-stack) writes `cert` and `ca` instead.
    for (keys, leaf_only) in [(["tls.crt", "cert"], true), (["ca.crt", "ca"], false)] {
        let Some((key, (pointer, certs))) = keys
            .iter()
            .find_map(|&k| certs_of(secret, k).map(|found| (k, found)))
        else {
            continue;
        };
        let site = Site {
            pointer,
            what: format!("`{key}` of {}", origin.what),
            rotating: origin.rotating.clone(),
            related: origin.related.clone(),
            ..origin
        };
        if leaf_only {
            judge_leaf(inv, &site, &certs[0], out);
        } else {
            judge_bundle(inv, &site, &certs, None, out);
        }
    }
}

fn judge_leaf(inv: &Inventory, site: &Site, leaf: &Cert, out: &mut Vec<Finding>) {
    let now = inv.settings.now;
    let warn = i64::from(inv.settings.warn_days) * DAY;
    if leaf.is_expired(now) {
        site.push(
            out,
            Severity::Error,
            true,
            format!(
                "{}: the certificate {} expired on {} ({} ago): clients that verify it fail (x509: certificate has expired)",
                site.what,
                leaf.name(),
                when(leaf.not_after, now),
                human(now - leaf.not_after)
            ),
        );
    } else if leaf.not_after < now + warn {
        site.push(
            out,
            Severity::Warning,
            false,
            format!(
                "{}: the certificate {} expires on {} (in {}; warning threshold {} days) and cert-manager does not renew it",
                site.what,
                leaf.name(),
                when(leaf.not_after, now),
                human(leaf.not_after - now),
                inv.settings.warn_days
            ),
        );
    }
}

/// A bundle of CA certificates; `used`: indices of the certificates in use (else every valid one).
fn judge_bundle(
    inv: &Inventory,
    site: &Site,
    certs: &[Cert],
    used: Option<Vec<usize>>,
    out: &mut Vec<Finding>,
) {
    let now = inv.settings.now;
    let warn = i64::from(inv.settings.warn_days) * DAY;
    let (expired, valid): (Vec<&Cert>, Vec<&Cert>) = certs.iter().partition(|c| c.is_expired(now));
    if valid.is_empty() {
        site.push(
            out,
            Severity::Error,
            true,
            format!(
                "{}: every certificate has expired: {}; whatever trusts it fails (x509: certificate has expired)",
                site.what,
                named(&expired, "expired", now)
            ),
        );
        return;
    }
    let in_use: Vec<&Cert> = match &used {
        Some(idx) if !idx.is_empty() => idx
            .iter()
            .map(|&i| &certs[i])
            .filter(|c| !c.is_expired(now))
            .collect(),
        _ => valid.clone(),
    };
    if !in_use.is_empty() && in_use.iter().all(|c| c.not_after < now + warn) {
        let latest = in_use.iter().map(|c| c.not_after).max().unwrap_or(now);
        let which = if used.as_ref().is_some_and(|u| !u.is_empty()) {
            "the certificates in use expire"
        } else {
            "every valid certificate expires"
        };
        site.push(
            out,
            Severity::Warning,
            false,
            format!(
                "{}: {which} soon (the last in {}; warning threshold {} days) and cert-manager does not renew them: {}",
                site.what,
                human(latest - now),
                inv.settings.warn_days,
                named(&in_use, "expires", now)
            ),
        );
    }
    if !expired.is_empty() {
        out.push(
            Finding::new(
                ID,
                Severity::Info,
                site.object,
                site.pointer.clone(),
                format!(
                    "{} also holds expired certificate{} {}; harmless while another one is valid (a rotation leaves the old one behind)",
                    site.what,
                    if expired.len() == 1 { "" } else { "s" },
                    named(&expired, "expired", now)
                ),
            )
            .related(site.related.iter().cloned()),
        );
    }
}

fn linkerd(inv: &Inventory, out: &mut Vec<Finding>) {
    let ns = inv.settings.linkerd_namespace.as_str();
    let issuer = inv.find("", "Secret", Some(ns), "linkerd-identity-issuer");
    let issuer_chain = issuer.and_then(|s| {
        let obj = inv.get(s);
        certs_of(obj, "tls.crt").or_else(|| certs_of(obj, "crt.pem"))
    });
    if let Some(cm) = inv.find("", "ConfigMap", Some(ns), "linkerd-identity-trust-roots")
        && let Some((pointer, value, enc)) = pem_value(inv.get(cm), "ca-bundle.crt")
    {
        let site = Site {
            object: cm,
            pointer: pointer.clone(),
            what: format!(
                "`ca-bundle.crt` of ConfigMap {ns}/linkerd-identity-trust-roots (the mesh trust anchors)"
            ),
            rotating: None,
            lb_only: false,
            help: HELP_LINKERD,
            related: issuer.map(|s| inv.obj_ref(s)).into_iter().collect(),
        };
        match read_pem(value, enc) {
            Pem::Certs { certs, .. } => {
                let used = issuer_chain
                    .as_ref()
                    .map(|(_, chain)| certs::verify_chain(chain, &certs));
                judge_bundle(inv, &site, &certs, used, out);
            }
            Pem::Invalid(_) | Pem::Empty => {} // EW006/EW007
        }
    }
    if let (Some(s), Some((pointer, chain))) = (issuer, issuer_chain)
        && !cert_manager_secret(inv, inv.get(s))
    {
        let site = Site {
            object: s,
            pointer,
            what: format!(
                "Secret {ns}/linkerd-identity-issuer (the identity issuer that signs every proxy certificate)"
            ),
            rotating: None,
            lb_only: false,
            help: HELP_LINKERD,
            related: Vec::new(),
        };
        judge_leaf(inv, &site, &chain[0], out);
    }
}

/// Whether istio-csr runs (the mesh root then comes from its static `--root-ca-file`).
fn istio_csr_containers(inv: &Inventory) -> Vec<(ObjId, &Node)> {
    let mut out = Vec::new();
    for (group, kind) in WORKLOAD_KINDS {
        for &w in inv.of_kind(group, kind) {
            let Some(spec) = crate::model::pod_template_of(inv.get(w)).and_then(|t| t.get("spec"))
            else {
                continue;
            };
            for c in containers(spec) {
                if c.str_at(&["image"])
                    .is_some_and(|i| i.contains("cert-manager-istio-csr"))
                {
                    out.push((w, c));
                }
            }
        }
    }
    out
}

fn istio_root(inv: &Inventory, out: &mut Vec<Finding>) {
    let all = inv.of_kind("", "ConfigMap");
    let root_ns = inv.settings.istio_root_namespace.as_str();
    let candidates: Vec<ObjId> = all
        .iter()
        .copied()
        .filter(|&c| inv.get(c).id.name == "istio-ca-root-cert")
        .collect();
    let Some(&cm) = candidates
        .iter()
        .find(|&&c| inv.get(c).ns() == Some(root_ns))
        .or_else(|| candidates.first())
    else {
        return;
    };
    let obj = inv.get(cm);
    let Some((pointer, certs)) = certs_of(obj, "root-cert.pem") else {
        return;
    };
    let istio_csr = !istio_csr_containers(inv).is_empty();
    let trust_org = format!("O={}", inv.settings.trust_domain);
    let self_signed_root = certs
        .iter()
        .any(|c| c.subject == trust_org && c.is_self_signed());
    let rotating = (!istio_csr && self_signed_root).then(|| {
        "this is istiod's self-signed root, which istiod rotates itself before it expires"
            .to_string()
    });
    let site = Site {
        object: cm,
        pointer,
        what: format!(
            "`root-cert.pem` of ConfigMap {} (the mesh root CA istiod distributes to every namespace)",
            super::status::qualified(obj)
        ),
        rotating,
        lb_only: false,
        help: HELP_ISTIO,
        related: Vec::new(),
    };
    judge_bundle(inv, &site, &certs, None, out);
}

fn istio_csr_root(inv: &Inventory, seen: &mut HashSet<ObjId>, out: &mut Vec<Finding>) {
    for (w, c) in istio_csr_containers(inv) {
        let fl = super::status::flags(c, "");
        let Some(path) = fl
            .iter()
            .rev()
            .find(|f| f.name == "root-ca-file")
            .and_then(|f| f.value)
        else {
            continue;
        };
        let workload = inv.get(w);
        let Some(spec) = crate::model::pod_template_of(workload).and_then(|t| t.get("spec")) else {
            continue;
        };
        let Some((secret, key)) = mounted_secret_file(inv, workload.ns(), spec, c, path) else {
            continue;
        };
        if !seen.insert(secret) {
            continue;
        }
        let obj = inv.get(secret);
        let Some((pointer, certs)) = certs_of(obj, &key) else {
            continue;
        };
        let site = Site {
            object: secret,
            pointer,
            what: format!(
                "`{key}` of Secret {} (istio-csr's `--root-ca-file={path}`, the mesh root CA)",
                super::status::qualified(obj)
            ),
            rotating: None,
            lb_only: false,
            help: HELP_ISTIO,
            related: vec![inv.obj_ref(w)],
        };
        judge_bundle(inv, &site, &certs, None, out);
    }
}

/// The Secret and key that provide the file at `path` through a Secret volume of the container.
fn mounted_secret_file(
    inv: &Inventory,
    ns: Option<&str>,
    spec: &Node,
    container: &Node,
    path: &str,
) -> Option<(ObjId, String)> {
    let (sv, key) = super::status::mounted_file(spec, container, path, "secret")?;
    let secret = inv.find("", "Secret", ns, sv.str_at(&["secretName"])?)?;
    Some((secret, key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::run_check;
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

    fn settings() -> Settings {
        Settings {
            live: true,
            now: crate::time::midnight("2026-11-26").unwrap(),
            ..Settings::default()
        }
    }

    fn b64(pem: &str) -> String {
        data_encoding::BASE64.encode(pem.as_bytes())
    }

    struct Ca {
        params: CertificateParams,
        key: KeyPair,
        pem: String,
    }

    fn ca(dn: (DnType, &str), to: (i32, u8, u8)) -> Ca {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name.push(dn.0, dn.1);
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

    fn issued(by: &Ca, cn: &str, to: (i32, u8, u8)) -> String {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.not_before = rcgen::date_time_ymd(2026, 1, 1);
        p.not_after = rcgen::date_time_ymd(to.0, to.1, to.2);
        p.signed_by(
            &KeyPair::generate().unwrap(),
            &Issuer::from_params(&by.params, &by.key),
        )
        .unwrap()
        .pem()
    }

    fn indent(pem: &str) -> String {
        pem.lines().map(|l| format!("    {l}\n")).collect()
    }

    #[test]
    fn linkerd_rotation_judges_the_anchor_in_use() {
        let old = ca(
            (DnType::CommonName, "root.linkerd.cluster.local"),
            (2026, 12, 5),
        );
        let new = ca(
            (DnType::CommonName, "root.linkerd.cluster.local"),
            (2036, 1, 1),
        );
        let roots = |a: &Ca, b: &Ca| {
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: linkerd-identity-trust-roots, namespace: linkerd}}\ndata:\n  ca-bundle.crt: |\n{}{}---\n",
                indent(&a.pem),
                indent(&b.pem)
            )
        };
        let issuer = |by: &Ca| {
            format!(
                "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nmetadata: {{name: linkerd-identity-issuer, namespace: linkerd}}\ndata: {{tls.crt: {}}}\n",
                b64(&issued(by, "identity.linkerd.cluster.local", (2027, 6, 1)))
            )
        };
        // Issuer signed by the new anchor: the old one expiring is rotation in progress → quiet.
        let f = run_check(
            check,
            &format!("{}{}", roots(&old, &new), issuer(&new)),
            settings(),
        );
        assert!(f.iter().all(|f| f.severity == Severity::Info), "{f:?}");
        // Issuer still signed by the expiring anchor: warning on the trust roots.
        let f = run_check(
            check,
            &format!("{}{}", roots(&old, &new), issuer(&old)),
            settings(),
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(f[0].message.contains("the certificates in use expire soon (the last in 9 days; warning threshold 30 days) and cert-manager does not renew them: CN=root.linkerd.cluster.local (expires 2026-12-05)"), "{}", f[0].message);
        // Not live: nothing.
        let f = run_check(
            check,
            &format!("{}{}", roots(&old, &new), issuer(&old)),
            Settings {
                live: false,
                ..settings()
            },
        );
        assert!(f.is_empty());
    }

    #[test]
    fn istiod_self_signed_root_is_info_unless_expired() {
        let root = ca((DnType::OrganizationName, "cluster.local"), (2026, 12, 1));
        let cm = |ns: &str| {
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: istio-ca-root-cert, namespace: {ns}}}\ndata:\n  root-cert.pem: |\n{}---\n",
                indent(&root.pem)
            )
        };
        let f = run_check(
            check,
            &format!("{}{}", cm("app"), cm("istio-system")),
            settings(),
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].severity, Severity::Info, "{}", f[0].message);
        assert!(
            f[0].message
                .contains("ConfigMap istio-system/istio-ca-root-cert")
        );
        // With istio-csr the root is static: warning.
        let csr = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: istio-csr, namespace: cert-manager}\nspec: {template: {spec: {containers: [{name: c, image: quay.io/jetstack/cert-manager-istio-csr:v0.14.0}]}}}\n";
        let f = run_check(check, &format!("{}{csr}", cm("istio-system")), settings());
        assert_eq!(f[0].severity, Severity::Warning);
    }
}
