//! Webhook-graph helpers the LIVE rules share: what a call site is called in messages, who rewrites its
//! caBundle at runtime, and the serving certificates its pods mount.

use super::status::mounted_secrets;
use crate::certs::Cert;
use crate::model::webhook::{CaSource, Callee, CalleeKind, Injectable, Target};
use crate::model::{Inventory, ObjId};

/// Fingerprints (RULES.md §1.8, `data/webhook-fingerprints.yaml`) of managers that rotate their
/// certificates and caBundles themselves at runtime. kube-webhook-certgen (one-shot Jobs at install),
/// Helm `genCA`, metrics-server's insecure APIService and url-based webhooks rotate nothing; the
/// cert-manager CSI driver renews the serving certificate but not the caBundle.
const SELF_ROTATING: &[&str] = &[
    "cert-manager-webhook",
    "gatekeeper",
    "rancher-webhook",
    "istiod",
    "kyverno",
    "knative",
    "certificate-rotator",
];

/// "recognised <id> (§1.8 <pattern>): <summary>" when a self-rotating manager owns the injectable.
pub fn self_rotating(inv: &Inventory, inj: &Injectable) -> Option<String> {
    let f = inv.webhooks.fingerprint_of(inj)?;
    SELF_ROTATING
        .contains(&f.id.as_str())
        .then(|| format!("recognised {} (§1.8 {}): {}", f.id, f.pattern, f.summary))
}

/// The cainjector source of an injectable, as text (`inject-ca-from: ns/name`).
pub fn injector(inj: &Injectable) -> Option<String> {
    match inj.injection.source() {
        CaSource::Secret(ns, name) => Some(format!("`inject-ca-from-secret: {ns}/{name}`")),
        CaSource::Certificate(ns, name) => Some(format!("`inject-ca-from: {ns}/{name}`")),
        CaSource::ApiServer => Some("`inject-apiserver-ca`".to_string()),
        CaSource::None => None,
    }
}

/// What calls the server, for messages: "webhook `x.example.com`", "the conversion webhook",
/// "the APIService".
pub fn callee_text(inv: &Inventory, c: &Callee) -> String {
    match c.kind {
        CalleeKind::Validating | CalleeKind::Mutating => {
            let entry = c
                .pointer
                .strip_suffix("/clientConfig")
                .unwrap_or(&c.pointer);
            match inv
                .get(c.object)
                .root
                .at(&format!("{entry}/name"))
                .and_then(crate::load::Node::scalar_text)
            {
                Some(name) => format!("webhook `{name}`"),
                None => "a webhook entry".to_string(),
            }
        }
        CalleeKind::Conversion => "the conversion webhook".to_string(),
        CalleeKind::ApiService => "the APIService".to_string(),
    }
}

/// Where the apiserver connects, for messages: `svc.ns.svc:443` or the URL.
pub fn target_text(c: &Callee) -> String {
    match &c.target {
        Target::Service(s) => format!("{}:{}", s.server_name(), s.port),
        Target::Url { url, .. } => url.clone(),
        Target::None => "(no target)".to_string(),
    }
}

/// A serving certificate chain mounted behind a call site.
pub struct Chain {
    /// The Secret.
    pub secret: ObjId,
    /// The first workload mounting it.
    pub workload: ObjId,
    /// Pointer of its `tls.crt` value.
    pub pointer: String,
    /// The chain: leaf first.
    pub certs: Vec<Cert>,
}

/// The parseable `tls.crt` chains of the Secrets mounted by the pods behind a Service-backed call site
/// (live mode reads only `kubernetes.io/tls` Secrets), each Secret once.
pub fn serving_chains(inv: &Inventory, c: &Callee) -> Vec<Chain> {
    if !matches!(c.target, Target::Service(_)) {
        return Vec::new();
    }
    mounted_secrets(inv, &c.backend.pods)
        .into_iter()
        .filter_map(|(secret, workload)| {
            let (pointer, certs) = super::status::certs_of(inv.get(secret), "tls.crt")?;
            Some(Chain {
                secret,
                workload,
                pointer,
                certs,
            })
        })
        .collect()
}
