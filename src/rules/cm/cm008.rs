//! CM008 ca-issuer-secret-invalid: a CA Issuer/ClusterIssuer cannot use the Secret named by
//! `spec.ca.secretName`.
//!
//! cert-manager reads the CA key pair from the **cluster resource namespace** for a ClusterIssuer
//! (`--cluster-resource-namespace`, default `cert-manager`; setting `clusterResourceNamespace`) and
//! from the Issuer's own namespace for an Issuer (CM-DOCS `configuration/ca.md`, `selfsigned.md`
//! "Bootstrapping CA Issuers"). The Secret is either written by a Certificate in the input
//! (`spec.secretName`) or given literally as a Secret manifest.
//!
//! * No Certificate/Secret of that name in the namespace cert-manager reads, but one in another
//!   namespace → error. For a ClusterIssuer this is the #1 bootstrap mistake: the CA Certificate was
//!   created in the application namespace instead of `cert-manager`.
//! * Nothing of that name anywhere → warning "not in the input; verify it exists in the cluster"
//!   (error when the input is declared complete).
//! * The Secret is written by a Certificate without `isCA: true` → error: the issuer stays Ready=False
//!   with `ErrInvalidKeyPair: certificate is not a CA` (CM-CODE `pkg/issuer/ca/setup.go`).
//! * A literal Secret (not written by any Certificate) without a non-empty `tls.crt` or `tls.key`
//!   (`data` or `stringData`) → error; `tls.crt` that is not a PEM certificate, or whose first
//!   certificate has BasicConstraints CA=false → error. Key material is never decoded or printed.
//!
//! Namespace-less objects (applied with `-n`): a namespace-less Issuer matches the Secret wherever it
//! is; a namespace-less Certificate/Secret matches a namespaced Issuer; for a ClusterIssuer a
//! namespace-less Certificate/Secret is reported as info (it must be applied to the cluster resource
//! namespace). Unrendered names are skipped.

use std::collections::HashMap;

use super::cm002::{missing_phrase, missing_severity, qualified, unrendered};
use crate::certs::{Content, Encoding, read_value};
use crate::load::Node;
use crate::load::node::pointer;
use crate::model::certmanager::{GROUP, IssuerType, issuer_type};
use crate::model::{Inventory, ObjId, Settings};
use crate::rules::{BuiltinRule, Finding, KindSet, MAX_RELATED, Severity};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "CM008",
    kinds,
    check,
};

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![&[
        (GROUP, "Issuer"),
        (GROUP, "ClusterIssuer"),
        (GROUP, "Certificate"),
        ("", "Secret"),
    ]]
}

const ID: &str = "CM008";

/// Where cert-manager reads the Secret of a CA issuer: (namespace, name). `None` for issuers that are
/// not CA issuers or have no secretName.
pub(crate) fn ca_secret_location(
    inv: &Inventory,
    issuer: ObjId,
) -> Option<(Option<String>, String)> {
    let obj = inv.get(issuer);
    let IssuerType::Ca { secret_name } = issuer_type(obj) else {
        return None;
    };
    if secret_name.is_empty() {
        return None;
    }
    let ns = if obj.id.kind == "ClusterIssuer" {
        Some(inv.settings.cluster_resource_namespace.clone())
    } else {
        obj.id.namespace.as_deref().map(str::to_string)
    };
    Some((ns, secret_name))
}

/// Whether a Certificate sets `isCA: true`.
pub(crate) fn is_ca(inv: &Inventory, cert: ObjId) -> bool {
    inv.get(cert)
        .root
        .path(&["spec", "isCA"])
        .and_then(Node::as_bool)
        == Some(true)
}

/// Certificates (by `spec.secretName`) and Secrets (by name), in any namespace.
struct ByName<'a> {
    writers: HashMap<&'a str, Vec<ObjId>>,
    secrets: HashMap<&'a str, Vec<ObjId>>,
}

impl<'a> ByName<'a> {
    fn build(inv: &'a Inventory) -> Self {
        let mut writers: HashMap<&str, Vec<ObjId>> = HashMap::new();
        for &c in inv.of_kind(GROUP, "Certificate") {
            if let Some(s) = inv.get(c).root.str_at(&["spec", "secretName"]) {
                writers.entry(s).or_default().push(c);
            }
        }
        let mut secrets: HashMap<&str, Vec<ObjId>> = HashMap::new();
        for &s in inv.of_kind("", "Secret") {
            secrets
                .entry(inv.get(s).id.name.as_str())
                .or_default()
                .push(s);
        }
        ByName { writers, secrets }
    }

    /// Certificates writing, and Secrets named, `name` in any namespace.
    fn candidates(&self, name: &str) -> Vec<ObjId> {
        let mut all: Vec<ObjId> = self
            .writers
            .get(name)
            .into_iter()
            .chain(self.secrets.get(name))
            .flatten()
            .copied()
            .collect();
        all.sort_unstable();
        all
    }
}

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    let by_name = ByName::build(inv);
    for kind in ["Issuer", "ClusterIssuer"] {
        for &id in inv.of_kind(GROUP, kind) {
            check_issuer(inv, &by_name, id, out);
        }
    }
}

fn check_issuer(inv: &Inventory, by_name: &ByName, id: ObjId, out: &mut Vec<Finding>) {
    let obj = inv.get(id);
    let IssuerType::Ca { secret_name } = issuer_type(obj) else {
        return;
    };
    let ptr = pointer(["spec", "ca", "secretName"]);
    if secret_name.is_empty() {
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                id,
                pointer(["spec", "ca"]),
                format!("{} has a `ca` block without `secretName`: it has no CA key pair to sign with", obj.id.kind),
            )
            .help("Set `spec.ca.secretName` to the Secret holding the CA certificate and key (`tls.crt`, `tls.key`)."),
        );
        return;
    }
    if unrendered(&secret_name) {
        return;
    }
    let cluster = obj.id.kind == "ClusterIssuer";
    let crns = inv.settings.cluster_resource_namespace.as_str();
    let ns: Option<&str> = if cluster { Some(crns) } else { obj.ns() };
    let writers = inv.certificates_for_secret(ns, &secret_name);
    let literal = inv.find("", "Secret", ns, &secret_name);
    let target = qualified(ns, &secret_name);
    if writers.is_empty() && literal.is_none() {
        if inv.exists("", "Secret", ns, &secret_name) {
            return; // Declared in the configuration.
        }
        let candidates = by_name.candidates(&secret_name);
        let (nsless, elsewhere): (Vec<ObjId>, Vec<ObjId>) =
            candidates.iter().partition(|&&c| inv.get(c).ns().is_none());
        if ns.is_none() && !candidates.is_empty() {
            return; // A namespace-less Issuer is applied next to it.
        }
        if !nsless.is_empty() {
            if cluster {
                out.push(
                    Finding::new(
                        ID,
                        Severity::Info,
                        id,
                        ptr,
                        format!(
                            "ClusterIssuer reads `ca.secretName` from the cluster resource namespace `{crns}`; `{secret_name}` is {}, so it must be applied to namespace `{crns}`",
                            describe(inv, nsless[0])
                        ),
                    )
                    .related(nsless.iter().map(|&c| inv.obj_ref(c))),
                );
            }
            return;
        }
        if !elsewhere.is_empty() {
            let mut places = elsewhere
                .iter()
                .take(MAX_RELATED)
                .map(|&c| describe(inv, c))
                .collect::<Vec<_>>()
                .join(", ");
            if elsewhere.len() > MAX_RELATED {
                places.push_str(&format!(" and {} more", elsewhere.len() - MAX_RELATED));
            }
            let (msg, help) = if cluster {
                (
                    format!(
                        "ClusterIssuer reads `ca.secretName` from the cluster resource namespace (`{crns}`), but `{secret_name}` is {places}: cert-manager will not find Secret `{target}` and the issuer stays not Ready"
                    ),
                    format!(
                        "Create the CA Certificate (and so its Secret) in namespace `{crns}`, or use a namespaced Issuer in the namespace that holds the Secret. If cert-manager runs with another `--cluster-resource-namespace`, set `settings.clusterResourceNamespace`."
                    ),
                )
            } else {
                (
                    format!(
                        "Issuer reads `ca.secretName` from its own namespace `{}`, but `{secret_name}` is {places}: cert-manager will not find Secret `{target}` and the issuer stays not Ready",
                        ns.unwrap_or("")
                    ),
                    format!(
                        "Create the CA Certificate/Secret in namespace `{}`, or use a ClusterIssuer (which reads from `{crns}`).",
                        ns.unwrap_or("")
                    ),
                )
            };
            out.push(
                Finding::new(ID, Severity::Error, id, ptr, msg)
                    .help(help)
                    .related(elsewhere.iter().map(|&c| inv.obj_ref(c))),
            );
            return;
        }
        out.push(
            Finding::new(
                ID,
                missing_severity(inv),
                id,
                ptr,
                format!(
                    "CA Secret `{target}` {}; the {} is not Ready until it holds a CA certificate and key",
                    missing_phrase(inv),
                    obj.id.kind
                ),
            )
            .help(format!("Create the CA with an `isCA: true` Certificate whose `secretName` is `{secret_name}` in namespace `{}` (see `kubectl tlscheck bootstrap`), or create the Secret with `tls.crt`/`tls.key`.", ns.unwrap_or("<namespace>"))),
        );
        return;
    }
    for &c in writers {
        if !is_ca(inv, c) {
            let cert = inv.get(c);
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    id,
                    ptr.clone(),
                    format!(
                        "CA Secret `{target}` is written by Certificate `{}`, which does not set `isCA: true`: the {} will be Ready=False (`ErrInvalidKeyPair: certificate is not a CA`)",
                        qualified(cert.ns(), &cert.id.name),
                        obj.id.kind
                    ),
                )
                .help("Set `spec.isCA: true` on the CA Certificate (issued by a SelfSigned or another CA issuer).")
                .related([inv.obj_ref(c)]),
            );
        }
    }
    if writers.is_empty()
        && let Some(secret) = literal
        && let Some(problem) = literal_problem(inv, secret)
    {
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                id,
                ptr,
                format!("CA Secret `{target}` {problem}: the {} cannot sign (Ready=False)", obj.id.kind),
            )
            .help("Put the PEM CA certificate (BasicConstraints CA=true) in `tls.crt` and its private key in `tls.key`, or let an `isCA: true` Certificate write the Secret.")
            .related([inv.obj_ref(secret)]),
        );
    }
}

/// "produced by Certificate `ns/c`" or "the Secret `ns/s`", for messages.
fn describe(inv: &Inventory, id: ObjId) -> String {
    let o = inv.get(id);
    match (o.id.kind.as_str(), o.ns()) {
        ("Certificate", Some(ns)) => format!("produced by Certificate `{ns}/{}`", o.id.name),
        ("Certificate", None) => format!("produced by Certificate `{}` (no namespace)", o.id.name),
        (_, Some(ns)) => format!("a Secret in namespace `{ns}`"),
        (_, None) => "a Secret without namespace".to_string(),
    }
}

/// A literal Secret value and its encoding (see [`crate::rules::material::pem_value`]).
pub(crate) fn secret_value<'a>(
    inv: &'a Inventory,
    secret: ObjId,
    key: &str,
) -> Option<(&'a str, Encoding)> {
    crate::rules::material::pem_value(inv.get(secret), key).map(|(_, v, e)| (v, e))
}

/// What is wrong with a literal CA Secret, if anything (never quoting its data).
fn literal_problem(inv: &Inventory, secret: ObjId) -> Option<String> {
    let crt = secret_value(inv, secret, "tls.crt");
    let key = secret_value(inv, secret, "tls.key");
    if [&crt, &key]
        .iter()
        .any(|v| v.as_ref().is_some_and(|(t, _)| unrendered(t)))
    {
        return None;
    }
    let empty = |v: &Option<(&str, Encoding)>| {
        v.as_ref().is_none_or(|(t, enc)| match enc {
            Encoding::Base64 => crate::certs::is_placeholder(t),
            Encoding::Pem => t.trim().is_empty(),
        })
    };
    let missing: Vec<&str> = [("tls.crt", &crt), ("tls.key", &key)]
        .iter()
        .filter(|(_, v)| empty(v))
        .map(|(k, _)| *k)
        .collect();
    if !missing.is_empty() {
        return Some(format!(
            "has no (or an empty) {}",
            missing
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(" and ")
        ));
    }
    let (text, enc) = crt?;
    match read_value(text, enc) {
        Content::Empty => Some("has an empty `tls.crt`".into()),
        Content::NotBase64 { .. } => Some("has a `tls.crt` that is not valid base64".into()),
        Content::Bundle(b) => match b.certs.first() {
            None => Some(format!(
                "has a `tls.crt` that {}",
                b.problem().unwrap_or_else(|| "holds no certificate".into())
            )),
            Some(c) if !c.is_ca => Some(format!(
                "holds certificate {} in `tls.crt`, which is not a CA (BasicConstraints CA=false; `ErrInvalidKeyPair: certificate is not a CA`)",
                c.name()
            )),
            Some(_) => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::run_check;

    fn run(yaml: &str) -> Vec<Finding> {
        run_check(check, yaml, Settings::default())
    }

    const CLUSTER_ISSUER: &str = "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: ca}\nspec: {ca: {secretName: root-secret}}\n";

    fn ca_cert(ns: &str, is_ca: bool) -> String {
        format!(
            "---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {{name: root, namespace: {ns}}}\nspec:\n  isCA: {is_ca}\n  commonName: root\n  secretName: root-secret\n  issuerRef: {{name: selfsigned, kind: ClusterIssuer}}\n"
        )
    }

    #[test]
    fn cluster_issuer_secret_in_app_namespace() {
        let f = run(&(CLUSTER_ISSUER.to_string() + &ca_cert("sandbox", true)));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Error);
        assert!(
            f[0].message
                .contains("cluster resource namespace (`cert-manager`)"),
            "{}",
            f[0].message
        );
        assert!(run(&(CLUSTER_ISSUER.to_string() + &ca_cert("cert-manager", true))).is_empty());
    }

    #[test]
    fn cluster_resource_namespace_setting() {
        let settings = Settings {
            cluster_resource_namespace: "sandbox".into(),
            ..Settings::default()
        };
        let f = run_check(
            check,
            &(CLUSTER_ISSUER.to_string() + &ca_cert("sandbox", true)),
            settings,
        );
        assert!(f.is_empty());
    }

    #[test]
    fn non_ca_certificate() {
        let f = run(&(CLUSTER_ISSUER.to_string() + &ca_cert("cert-manager", false)));
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("does not set `isCA: true`"));
    }

    #[test]
    fn missing_everywhere_and_namespace_less() {
        let f = run(CLUSTER_ISSUER);
        assert_eq!(f[0].severity, Severity::Warning);
        let nsless = "---\napiVersion: v1\nkind: Secret\nmetadata: {name: root-secret}\nstringData: {tls.crt: x, tls.key: y}\n";
        let f = run(&(CLUSTER_ISSUER.to_string() + nsless));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info);
    }

    #[test]
    fn literal_secret_without_key() {
        let yaml = "apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: ca, namespace: a}\nspec: {ca: {secretName: s}}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: a}\ntype: kubernetes.io/tls\ndata: {tls.crt: \"\"}\n";
        let f = run(yaml);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.contains("`tls.crt` and `tls.key`"),
            "{}",
            f[0].message
        );
    }
}
