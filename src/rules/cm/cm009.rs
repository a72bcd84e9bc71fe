//! CM009 ca-certificate-hygiene: CA Certificates that will bite later, and leaves that outlive their
//! CA.
//!
//! For every Certificate with `isCA: true`:
//! * no explicit `duration` → warning: the CA gets cert-manager's default 90 days (2160h) and is
//!   renewed at 2/3 of it, i.e. every ~60 days a new CA (with a new key under the default
//!   `rotationPolicy: Always`) that every trust store must follow (CM-DOCS `configuration/ca.md`;
//!   the istio-csr example issuer uses `87600h`, the LBC chart `43800h`).
//! * issued by a `selfSigned` Issuer/ClusterIssuer with an empty subject DN (no `commonName`, no
//!   `literalSubject`, no `subject` field) → warning: the self-signed certificate's issuer DN is then
//!   empty, which RFC 5280 forbids; cert-manager emits a `BadConfig` event (`selfsigned.go`:
//!   `template.Subject.String() == ""`; CM-DOCS `selfsigned.md` Caveats). A `commonName` alone is a
//!   subject DN, so the docs' bootstrap CA is fine.
//! * issued by an ACME issuer → error: ACME CAs do not issue CA certificates.
//! * `dnsNames` with in-cluster Service names (`….svc`, `….svc.<domain>`) → warning: a serving
//!   certificate marked as a CA (Kubeflow Katib's webhook certificate; WH005 reports the same when the
//!   certificate is wired to a webhook in the input).
//! * `usages` includes `server auth` → info (cert-manager keeps serverAuth off CAs by default; it
//!   "can break a lot of clients", `DefaultKeyUsages`).
//!
//! For every Certificate issued by a CA issuer whose Secret is written by an `isCA: true` Certificate
//! in the input (the CA issuer → `ca.secretName` → Certificate chain, ClusterIssuers reading the
//! cluster resource namespace): requested `duration` (default 2160h) longer than the CA
//! Certificate's → warning ("CA issuers will issue leaf certificates which outlive the CA … there is
//! no check", CM-DOCS `configuration/ca.md`). Equal durations are fine. Durations that do not parse
//! are CM004's.

use super::cm002::qualified;
use super::cm008::{ca_secret_location, is_ca};
use super::duration::{format_go_duration, parse_go_duration};
use crate::load::Node;
use crate::load::node::pointer;
use crate::model::certmanager::{GROUP, IssuerType, KINDS, issuer_type};
use crate::model::{Inventory, ObjId, Settings};
use crate::rules::{BuiltinRule, Finding, KindSet, Severity};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "CM009",
    kinds,
    check,
};

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![KINDS]
}

const ID: &str = "CM009";

/// cert-manager's default certificate duration (90 days).
const DEFAULT_DURATION_NS: u64 = 2160 * 3600 * 1_000_000_000;

/// The requested duration of a Certificate in nanoseconds (default 2160h); `None` when it does not
/// parse or is unrendered.
fn effective_duration(inv: &Inventory, cert: ObjId) -> Option<u64> {
    match inv.get(cert).root.path(&["spec", "duration"]) {
        None => Some(DEFAULT_DURATION_NS),
        Some(n) if n.is_null() => Some(DEFAULT_DURATION_NS),
        Some(n) => parse_go_duration(n.scalar_text()?).ok(),
    }
}

fn human(ns: u64) -> String {
    let text = format_go_duration(i64::try_from(ns).unwrap_or(i64::MAX));
    let days = ns as f64 / (24.0 * 3600.0 * 1e9);
    if days >= 1.0 {
        format!("{text} ≈ {days:.0}d")
    } else {
        text
    }
}

/// Whether the Certificate's subject DN would be empty.
fn empty_subject(spec: &Node) -> bool {
    let set = |k: &str| {
        spec.get(k).is_some_and(|v| match v.scalar_text() {
            Some(t) => !t.is_empty(),
            None => !v.is_null(),
        })
    };
    if set("commonName") || set("literalSubject") {
        return false;
    }
    spec.get("subject").is_none_or(|s| {
        s.entries().iter().all(|e| match e.value.scalar_text() {
            Some(t) => t.is_empty(),
            None => e.value.items().is_empty(),
        })
    })
}

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    for &c in inv.of_kind(GROUP, "Certificate") {
        let Some(spec) = inv.get(c).spec() else {
            continue;
        };
        let issuer = inv.issuer_of(c);
        if is_ca(inv, c) {
            check_ca(inv, c, spec, issuer, out);
        }
        if let Some(issuer) = issuer {
            check_outlives_ca(inv, c, issuer, out);
        }
    }
}

fn check_ca(inv: &Inventory, c: ObjId, spec: &Node, issuer: Option<ObjId>, out: &mut Vec<Finding>) {
    let is_ca_ptr = pointer(["spec", "isCA"]);
    if spec.get("duration").is_none_or(Node::is_null) {
        out.push(
            Finding::new(
                ID,
                Severity::Warning,
                c,
                is_ca_ptr.clone(),
                "CA Certificate without an explicit `duration`: cert-manager's default is 90 days (2160h), renewed at 2/3 of it, so this CA (and, with `rotationPolicy: Always`, its key) changes about every 60 days and every trust store holding it must follow",
            )
            .help("Set an explicit, longer CA lifetime (e.g. `duration: 87600h` as in the istio-csr example, with `renewBefore`) and plan how the new CA reaches every client."),
        );
    }
    if let Some(i) = issuer {
        let iss = inv.get(i);
        match issuer_type(iss) {
            IssuerType::SelfSigned if empty_subject(spec) => out.push(
                Finding::new(
                    ID,
                    Severity::Warning,
                    c,
                    is_ca_ptr.clone(),
                    format!(
                        "self-signed CA Certificate (issuer {} `{}`) with an empty subject DN: its issuer DN will be empty too, which RFC 5280 forbids (cert-manager emits a `BadConfig` event); stricter TLS libraries may reject it",
                        iss.id.kind,
                        qualified(iss.ns(), &iss.id.name)
                    ),
                )
                .help("Set `commonName` and/or `subject.organizations` on the CA Certificate.")
                .related([inv.obj_ref(i)]),
            ),
            IssuerType::Acme => out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    c,
                    is_ca_ptr.clone(),
                    format!(
                        "`isCA: true` via ACME issuer {} `{}`: ACME CAs (Let's Encrypt, …) never issue CA certificates",
                        iss.id.kind,
                        qualified(iss.ns(), &iss.id.name)
                    ),
                )
                .help("Issue CA certificates with a SelfSigned, CA, Vault or AWS PCA issuer.")
                .related([inv.obj_ref(i)]),
            ),
            _ => {}
        }
    }
    // A CA that names in-cluster Services is a serving certificate marked isCA by mistake (Katib).
    let service_names: Vec<&str> = spec
        .get("dnsNames")
        .map_or(&[][..], Node::items)
        .iter()
        .filter_map(Node::scalar_text)
        .filter(|d| d.ends_with(".svc") || d.contains(".svc."))
        .collect();
    if let Some(first) = service_names.first() {
        out.push(
            Finding::new(
                ID,
                Severity::Warning,
                c,
                is_ca_ptr.clone(),
                format!(
                    "`isCA: true` on a certificate for in-cluster Service names (`{first}`{}): a serving certificate should not be a CA — whoever holds its key can sign certificates for any name the clients trust",
                    if service_names.len() > 1 { ", …" } else { "" }
                ),
            )
            .help("Issue the serving certificate with `isCA: false` from a CA issuer, and keep the CA in its own Certificate."),
        );
    }
    let usages = spec.get("usages").map_or(&[][..], Node::items);
    if let Some(i) = usages
        .iter()
        .position(|u| u.scalar_text() == Some("server auth"))
    {
        out.push(
            Finding::new(
                ID,
                Severity::Info,
                c,
                pointer(["spec", "usages", &i.to_string()]),
                "CA Certificate with the `server auth` usage: cert-manager keeps serverAuth off CA certificates by default because an EKU on a CA constrains every certificate below it and can break clients",
            )
            .help("Drop `server auth` from the CA and put it on the leaf (serving) certificates."),
        );
    }
}

fn check_outlives_ca(inv: &Inventory, c: ObjId, issuer: ObjId, out: &mut Vec<Finding>) {
    let Some((ns, secret)) = ca_secret_location(inv, issuer) else {
        return;
    };
    let Some(leaf) = effective_duration(inv, c) else {
        return;
    };
    for &ca in inv.certificates_for_secret(ns.as_deref(), &secret) {
        if ca == c || !is_ca(inv, ca) {
            continue;
        }
        let Some(ca_duration) = effective_duration(inv, ca) else {
            continue;
        };
        if leaf <= ca_duration {
            continue;
        }
        let obj = inv.get(c);
        let ca_obj = inv.get(ca);
        let ptr = if obj.root.path(&["spec", "duration"]).is_some() {
            pointer(["spec", "duration"])
        } else {
            pointer(["spec", "issuerRef"])
        };
        out.push(
            Finding::new(
                ID,
                Severity::Warning,
                c,
                ptr,
                format!(
                    "the Certificate requests a lifetime of {}, but its CA, Certificate `{}` (via {} `{}`), lives only {}: the CA issuer signs certificates that outlive their CA, and nothing checks it",
                    human(leaf),
                    qualified(ca_obj.ns(), &ca_obj.id.name),
                    inv.get(issuer).id.kind,
                    inv.get(issuer).id.name,
                    human(ca_duration)
                ),
            )
            .help("Give the CA a longer `duration` than any certificate it signs (or shorten this one).")
            .related([inv.obj_ref(ca), inv.obj_ref(issuer)]),
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

    const SELFSIGNED: &str = "apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: ss, namespace: a}\nspec: {selfSigned: {}}\n";

    #[test]
    fn implicit_ca_duration_and_empty_subject() {
        let yaml = format!(
            "{SELFSIGNED}---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {{name: root, namespace: a}}\nspec:\n  isCA: true\n  secretName: root\n  dnsNames: [ca.local]\n  issuerRef: {{name: ss}}\n"
        );
        let f = run(&yaml);
        assert_eq!(f.len(), 2, "{f:#?}");
        assert!(f.iter().all(|f| f.severity == Severity::Warning));
    }

    #[test]
    fn common_name_is_a_subject() {
        let yaml = format!(
            "{SELFSIGNED}---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {{name: root, namespace: a}}\nspec:\n  isCA: true\n  duration: 87600h\n  commonName: root\n  secretName: root\n  issuerRef: {{name: ss}}\n"
        );
        assert!(run(&yaml).is_empty());
    }

    #[test]
    fn leaf_outlives_ca() {
        let yaml = format!(
            "{SELFSIGNED}---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {{name: root, namespace: a}}\nspec:\n  isCA: true\n  duration: 720h\n  commonName: root\n  secretName: root\n  issuerRef: {{name: ss}}\n---\napiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {{name: ca, namespace: a}}\nspec: {{ca: {{secretName: root}}}}\n---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {{name: leaf, namespace: a}}\nspec:\n  secretName: leaf\n  dnsNames: [x.a.svc]\n  issuerRef: {{name: ca}}\n"
        );
        let f = run(&yaml);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].pointer, "/spec/issuerRef");
        assert!(f[0].message.contains("2160h0m0s"), "{}", f[0].message);
    }

    #[test]
    fn acme_ca_is_an_error() {
        let yaml = "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: le}\nspec: {acme: {server: https://acme-v02.api.letsencrypt.org/directory}}\n---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c, namespace: a}\nspec:\n  isCA: true\n  duration: 8760h\n  commonName: x\n  secretName: c\n  usages: [cert sign, server auth]\n  issuerRef: {name: le, kind: ClusterIssuer}\n";
        let f = run(yaml);
        let sev: Vec<Severity> = f.iter().map(|f| f.severity).collect();
        assert_eq!(sev, [Severity::Error, Severity::Info]);
    }
}
