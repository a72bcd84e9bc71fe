//! CM007 secret-name-collision: two cert-manager Certificates write the same Secret, or ingress-shim
//! would manage a Certificate that already exists.
//!
//! The Certificates of a namespace are the explicit `Certificate` objects plus the ones ingress-shim
//! creates (`pkg/controller/certificate-shim/sync.go`, `buildCertificates`): for an Ingress (any
//! class) with `cert-manager.io/issuer`, `cert-manager.io/cluster-issuer` or `kubernetes.io/tls-acme:
//! "true"`, one Certificate per `spec.tls` entry that has hosts and a secretName, **named after the
//! secretName**, in the Ingress namespace; for a Gateway/ListenerSet with `cert-manager.io/issuer` or
//! `cert-manager.io/cluster-issuer`, one per `certificateRefs` Secret of its HTTPS/TLS listeners (not
//! Passthrough, not listed in `cert-manager.io/ignore-tls-listeners`, with a hostname), in the
//! certificateRef's namespace. Objects whose shim annotations are invalid (CM003) create nothing.
//!
//! * ≥ 2 distinct Certificates target the same `namespace/secretName` → error on each: they overwrite
//!   each other's Secret and keep re-issuing (`SecretMismatch` / `IncorrectIssuer`,
//!   `internal/controller/certificates/policies`).
//! * ingress-shim would create Certificate `ns/<secretName>`, but a Certificate of that name exists
//!   that the Ingress/Gateway does not own (no controller ownerReference to it) → the shim refuses to
//!   touch it ("refusing to update non-owned certificate resource"): error when its spec differs
//!   (other Secret, other issuer, other DNS names), info when it is equivalent. An explicit
//!   Certificate owned by the Ingress (a dump of what the shim created) is the same object.
//! * Two Ingresses/Gateways make the shim manage the same Certificate with different hosts or issuer
//!   → warning: the first one reconciled owns it and the other's hosts are silently ignored.
//! * A Secret annotated `cert-manager.io/certificate-name: X` (written by Certificate X) that another
//!   Certificate in the input targets, while X is not in the input → warning (partial input only):
//!   if X still exists in the cluster the two fight over the Secret.
//!
//! Secrets are matched by exact namespace (namespace-less objects only match namespace-less ones);
//! unrendered names are skipped. Indexed by (namespace, Secret): linear in the input.

use std::collections::{BTreeSet, HashMap};

use super::cm002::{SHIM_CLUSTER_ISSUER, SHIM_ISSUER, SHIM_ISSUER_GROUP, SHIM_ISSUER_KIND};
use super::cm002::{annotation_ptr, qualified, unrendered};
use crate::load::node::pointer;
use crate::load::{Node, Text};
use crate::model::certmanager::GROUP;
use crate::model::{Inventory, ObjId, ObjRef, Settings};
use crate::rules::material::go_true;
use crate::rules::{BuiltinRule, Finding, INGRESS_KINDS, KindSet, MAX_RELATED, Severity};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "CM007",
    kinds,
    check,
};

const GATEWAY_API: &str = "gateway.networking.k8s.io";

/// Gateway API objects the gateway-shim reads.
const SHIM_GATEWAY_KINDS: KindSet = &[(GATEWAY_API, "Gateway"), (GATEWAY_API, "ListenerSet")];

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![
        &[(GROUP, "Certificate"), ("", "Secret")],
        INGRESS_KINDS,
        SHIM_GATEWAY_KINDS,
    ]
}

const ID: &str = "CM007";

const TLS_ACME: &str = "kubernetes.io/tls-acme";
const IGNORE_LISTENERS: &str = "cert-manager.io/ignore-tls-listeners";
const CERTIFICATE_NAME: &str = "cert-manager.io/certificate-name";

/// The issuer a shim Certificate gets, as written in the annotations (for comparison only).
#[derive(Clone, Debug, PartialEq, Eq)]
struct ShimIssuer {
    name: String,
    kind: String,
}

/// One Certificate ingress-shim would create: named `secret` in namespace `ns`.
#[derive(Clone, Debug)]
pub(crate) struct ShimCertificate {
    /// The Ingress/Gateway/ListenerSet.
    pub source: ObjId,
    /// Namespace of the Certificate (and Secret).
    pub ns: Option<Text>,
    /// Certificate name = Secret name.
    pub secret: Text,
    /// Pointer of the first TLS entry / certificateRef naming the Secret.
    pub pointer: String,
    /// The hosts that become dnsNames/ipAddresses.
    hosts: BTreeSet<String>,
    issuer: Option<ShimIssuer>,
}

/// The issuer ingress-shim uses, or `Err` when `issuerForIngressLike` fails (nothing is created).
/// `Ok(None)`: the controller's default issuer (`kubernetes.io/tls-acme`).
fn shim_issuer(obj: &crate::model::Object) -> Result<Option<ShimIssuer>, ()> {
    let issuer = obj.annotation(SHIM_ISSUER);
    let cluster = obj.annotation(SHIM_CLUSTER_ISSUER);
    let kind = obj.annotation(SHIM_ISSUER_KIND);
    let group = obj.annotation(SHIM_ISSUER_GROUP);
    if issuer.is_some() && cluster.is_some()
        || cluster.is_some() && (kind.is_some() || group.is_some())
    {
        return Err(());
    }
    Ok(match (issuer, cluster) {
        (Some(n), _) => Some(ShimIssuer {
            name: n.to_string(),
            kind: kind.unwrap_or("Issuer").to_string(),
        }),
        (_, Some(n)) => Some(ShimIssuer {
            name: n.to_string(),
            kind: "ClusterIssuer".to_string(),
        }),
        _ => None,
    })
}

/// The Certificates ingress-shim would create for every Ingress, Gateway and ListenerSet, in input
/// order.
pub(crate) fn shim_certificates(inv: &Inventory) -> Vec<ShimCertificate> {
    let mut out = Vec::new();
    for group in ["networking.k8s.io", "extensions"] {
        for &id in inv.of_kind(group, "Ingress") {
            ingress_certificates(inv, id, &mut out);
        }
    }
    for kind in ["Gateway", "ListenerSet"] {
        for &id in inv.of_kind(GATEWAY_API, kind) {
            gateway_certificates(inv, id, &mut out);
        }
    }
    out
}

fn ingress_certificates(inv: &Inventory, id: ObjId, out: &mut Vec<ShimCertificate>) {
    let obj = inv.get(id);
    let triggered = obj.annotation(SHIM_ISSUER).is_some()
        || obj.annotation(SHIM_CLUSTER_ISSUER).is_some()
        || obj.annotation(TLS_ACME).is_some_and(go_true);
    if !triggered {
        return;
    }
    let Ok(issuer) = shim_issuer(obj) else {
        return;
    };
    if issuer.as_ref().is_some_and(|i| i.name.is_empty()) {
        return; // "failed to determine issuer name"
    }
    let tls = obj
        .spec()
        .and_then(|s| s.get("tls"))
        .map_or(&[][..], Node::items);
    // `checkForDuplicateSecretNames`: a duplicate makes the shim skip the whole Ingress (CM003).
    let mut seen = BTreeSet::new();
    for t in tls {
        let secret = t
            .get("secretName")
            .and_then(Node::scalar_text)
            .unwrap_or("");
        if !seen.insert(secret) {
            return;
        }
    }
    for (i, t) in tls.iter().enumerate() {
        let secret = t
            .get("secretName")
            .and_then(Node::scalar_text)
            .unwrap_or("");
        let hosts: BTreeSet<String> = t
            .get("hosts")
            .map_or(&[][..], Node::items)
            .iter()
            .filter_map(Node::scalar_text)
            .map(str::to_string)
            .collect();
        if secret.is_empty() || hosts.is_empty() || unrendered(secret) {
            continue; // `validateIngressTLSBlock`: skipped.
        }
        out.push(ShimCertificate {
            source: id,
            ns: obj.id.namespace.clone(),
            secret: Text::new(secret),
            pointer: pointer(["spec", "tls", &i.to_string(), "secretName"]),
            hosts,
            issuer: issuer.clone(),
        });
    }
}

fn gateway_certificates(inv: &Inventory, id: ObjId, out: &mut Vec<ShimCertificate>) {
    let obj = inv.get(id);
    if obj.annotation(SHIM_ISSUER).is_none() && obj.annotation(SHIM_CLUSTER_ISSUER).is_none() {
        return;
    }
    let Ok(issuer) = shim_issuer(obj) else {
        return;
    };
    if issuer.as_ref().is_some_and(|i| i.name.is_empty()) {
        return;
    }
    let ignored: Vec<&str> = obj
        .annotation(IGNORE_LISTENERS)
        .map(|v| v.split(',').map(str::trim).collect())
        .unwrap_or_default();
    let listeners = obj
        .spec()
        .and_then(|s| s.get("listeners"))
        .map_or(&[][..], Node::items);
    let mut mine: Vec<ShimCertificate> = Vec::new();
    for (i, l) in listeners.iter().enumerate() {
        let text = |k: &[&str]| l.path(k).and_then(Node::scalar_text).unwrap_or("");
        if !matches!(text(&["protocol"]), "HTTPS" | "TLS")
            || text(&["tls", "mode"]) == "Passthrough"
            || ignored.contains(&text(&["name"]))
        {
            continue;
        }
        let hostname = text(&["hostname"]);
        let refs = l
            .path(&["tls", "certificateRefs"])
            .map_or(&[][..], Node::items);
        // `validateGatewayListenerBlock`: hostname, certificateRefs, core Secrets in the Gateway's
        // namespace, mode Terminate (the API server defaults an absent mode to Terminate).
        let mode = text(&["tls", "mode"]);
        let valid_refs = refs.iter().all(|r| {
            let g = r.get("group").and_then(Node::scalar_text).unwrap_or("");
            let k = r.get("kind").and_then(Node::scalar_text).unwrap_or("");
            let n = r.get("namespace").and_then(Node::scalar_text);
            matches!(g, "" | "core") && matches!(k, "" | "Secret") && (n.is_none() || n == obj.ns())
        });
        if hostname.is_empty()
            || refs.is_empty()
            || !valid_refs
            || !matches!(mode, "" | "Terminate")
        {
            continue;
        }
        for (j, r) in refs.iter().enumerate() {
            let name = r.get("name").and_then(Node::scalar_text).unwrap_or("");
            if name.is_empty() || unrendered(name) {
                continue;
            }
            if let Some(c) = mine.iter_mut().find(|c| c.secret == name) {
                c.hosts.insert(hostname.to_string());
                continue;
            }
            mine.push(ShimCertificate {
                source: id,
                ns: obj.id.namespace.clone(),
                secret: Text::new(name),
                pointer: pointer([
                    "spec",
                    "listeners",
                    &i.to_string(),
                    "tls",
                    "certificateRefs",
                    &j.to_string(),
                    "name",
                ]),
                hosts: BTreeSet::from([hostname.to_string()]),
                issuer: issuer.clone(),
            });
        }
    }
    out.extend(mine);
}

/// Whether `cert` has a controller ownerReference to `source` (it is the shim's own Certificate).
fn owned_by(inv: &Inventory, cert: ObjId, source: ObjId) -> bool {
    let src = inv.get(source);
    inv.get(cert)
        .root
        .path(&["metadata", "ownerReferences"])
        .map_or(&[][..], Node::items)
        .iter()
        .any(|o| {
            o.get("controller").and_then(Node::as_bool) == Some(true)
                && o.get("kind").and_then(Node::scalar_text) == Some(src.id.kind.as_str())
                && o.get("name").and_then(Node::scalar_text) == Some(src.id.name.as_str())
        })
}

/// How an explicit Certificate differs from what the shim would create; empty when equivalent.
fn differences(inv: &Inventory, cert: ObjId, shim: &ShimCertificate) -> Vec<String> {
    let spec = inv.get(cert).spec();
    let text = |k: &[&str]| spec.and_then(|s| s.path(k)).and_then(Node::scalar_text);
    let mut diffs = Vec::new();
    let secret = text(&["secretName"]).unwrap_or("");
    if secret != shim.secret {
        diffs.push(format!("it writes Secret `{secret}`"));
    }
    if let Some(issuer) = &shim.issuer {
        let name = text(&["issuerRef", "name"]).unwrap_or("");
        let kind = text(&["issuerRef", "kind"])
            .filter(|k| !k.is_empty())
            .unwrap_or("Issuer");
        if name != issuer.name || kind != issuer.kind {
            diffs.push(format!(
                "its issuer is {kind} `{name}`, not {} `{}`",
                issuer.kind, issuer.name
            ));
        }
    }
    let names: BTreeSet<String> = ["dnsNames", "ipAddresses"]
        .iter()
        .flat_map(|k| spec.and_then(|s| s.get(k)).map_or(&[][..], Node::items))
        .filter_map(Node::scalar_text)
        .map(str::to_string)
        .collect();
    let missing: Vec<&String> = shim.hosts.difference(&names).collect();
    if !missing.is_empty() {
        diffs.push(format!(
            "it does not cover host(s) {}",
            missing
                .iter()
                .map(|h| format!("`{h}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    diffs
}

/// A Certificate targeting a Secret: explicit, or created by the shim (first source wins).
#[derive(Clone, Copy)]
enum Writer {
    Explicit(ObjId),
    Shim(usize),
}

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    let shims = shim_certificates(inv);
    type Key = (Option<Text>, Text);
    let mut writers: HashMap<Key, Vec<Writer>> = HashMap::new();
    let mut order: Vec<Key> = Vec::new();
    let mut add = |key: Key, w: Writer, writers: &mut HashMap<Key, Vec<Writer>>| {
        let list = writers.entry(key.clone()).or_default();
        if list.is_empty() {
            order.push(key);
        }
        list.push(w);
    };
    for &c in inv.of_kind(GROUP, "Certificate") {
        let obj = inv.get(c);
        let Some(secret) = obj.root.str_at(&["spec", "secretName"]) else {
            continue;
        };
        // The same Certificate given twice (two versions of one manifest) is one Certificate.
        if secret.is_empty()
            || unrendered(secret)
            || inv.find(GROUP, "Certificate", obj.ns(), &obj.id.name) != Some(c)
        {
            continue;
        }
        add(
            (obj.id.namespace.clone(), Text::new(secret)),
            Writer::Explicit(c),
            &mut writers,
        );
    }
    // Shim Certificates by name: the first source creates it, the others are refused.
    let mut shim_owner: HashMap<Key, usize> = HashMap::new();
    for (s, shim) in shims.iter().enumerate() {
        let src = &inv.get(shim.source).id;
        if inv.find(
            &inv.get(shim.source).group,
            &src.kind,
            src.namespace.as_deref(),
            &src.name,
        ) != Some(shim.source)
        {
            continue; // A second copy of the same Ingress/Gateway.
        }
        let key = (shim.ns.clone(), shim.secret.clone());
        if let Some(existing) = inv.find(GROUP, "Certificate", shim.ns.as_deref(), &shim.secret) {
            if !owned_by(inv, existing, shim.source) {
                report_not_owned(inv, existing, shim, out);
            }
            continue;
        }
        match shim_owner.get(&key) {
            Some(&first) => report_shared_shim(inv, &shims[first], shim, out),
            None => {
                shim_owner.insert(key.clone(), s);
                add(key, Writer::Shim(s), &mut writers);
            }
        }
    }
    for key in &order {
        let list = &writers[key];
        if list.len() < 2 {
            continue;
        }
        // Related object and description of each writer (a shim Certificate by its source).
        let described: Vec<(ObjRef, String)> = list
            .iter()
            .map(|w| match *w {
                Writer::Explicit(c) => {
                    let o = inv.get(c);
                    (
                        inv.obj_ref(c),
                        format!("Certificate `{}`", qualified(o.ns(), &o.id.name)),
                    )
                }
                Writer::Shim(s) => {
                    let src = inv.get(shims[s].source);
                    (
                        inv.obj_ref(shims[s].source),
                        format!(
                            "Certificate `{}` (created by ingress-shim for {} `{}`)",
                            qualified(key.0.as_deref(), &shims[s].secret),
                            src.id.kind,
                            qualified(src.ns(), &src.id.name)
                        ),
                    )
                }
            })
            .collect();
        for (i, w) in list.iter().enumerate() {
            // Name a few: a Secret shared by hundreds of Certificates must not make every message
            // list all of them (quadratic output).
            let others: Vec<&(ObjRef, String)> = described
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, d)| d)
                .take(MAX_RELATED)
                .collect();
            let mut names = others
                .iter()
                .map(|(_, d)| d.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let more = described.len() - 1 - others.len();
            if more > 0 {
                names.push_str(&format!(" and {more} more"));
            }
            let others: Vec<ObjRef> = others.into_iter().map(|(r, _)| r.clone()).collect();
            let secret = qualified(key.0.as_deref(), &key.1);
            let (obj, ptr, msg) = match *w {
                Writer::Explicit(c) => (
                    c,
                    pointer(["spec", "secretName"]),
                    format!(
                        "Secret `{secret}` is also the target of {names}: Certificates sharing a Secret overwrite each other's certificate and re-issue in a loop (SecretMismatch / IncorrectIssuer)"
                    ),
                ),
                Writer::Shim(s) => (
                    shims[s].source,
                    shims[s].pointer.clone(),
                    format!(
                        "ingress-shim creates Certificate `{secret}` for this TLS entry, and its Secret is also the target of {names}: Certificates sharing a Secret overwrite each other's certificate and re-issue in a loop (SecretMismatch / IncorrectIssuer)"
                    ),
                ),
            };
            out.push(
                Finding::new(ID, Severity::Error, obj, ptr, msg)
                    .help("Give every Certificate its own `secretName` (or drop the duplicate Certificate / shim annotation).")
                    .related(others),
            );
        }
    }
    check_secret_annotations(inv, &writers, &shims, out);
}

fn report_not_owned(
    inv: &Inventory,
    existing: ObjId,
    shim: &ShimCertificate,
    out: &mut Vec<Finding>,
) {
    let src = inv.get(shim.source);
    let name = qualified(shim.ns.as_deref(), &shim.secret);
    let diffs = differences(inv, existing, shim);
    let finding = if diffs.is_empty() {
        Finding::new(
            ID,
            Severity::Info,
            shim.source,
            shim.pointer.clone(),
            format!(
                "ingress-shim would manage Certificate `{name}`, but an equivalent Certificate of that name exists that this {} does not own: the shim leaves it alone, so its annotations have no effect",
                src.id.kind
            ),
        )
    } else {
        Finding::new(
            ID,
            Severity::Error,
            shim.source,
            shim.pointer.clone(),
            format!(
                "ingress-shim would manage Certificate `{name}`, but a Certificate of that name already exists that this {} does not own; the shim refuses to update it (\"refusing to update non-owned certificate resource\"), and {}",
                src.id.kind,
                diffs.join("; ")
            ),
        )
        .help("Either remove the cert-manager annotations from the Ingress/Gateway and keep the explicit Certificate (make it cover every host), or delete the explicit Certificate and let ingress-shim create it.")
    };
    out.push(finding.related([inv.obj_ref(existing)]));
}

fn report_shared_shim(
    inv: &Inventory,
    first: &ShimCertificate,
    other: &ShimCertificate,
    out: &mut Vec<Finding>,
) {
    if first.hosts == other.hosts && first.issuer == other.issuer {
        return;
    }
    let a = inv.get(first.source);
    out.push(
        Finding::new(
            ID,
            Severity::Warning,
            other.source,
            other.pointer.clone(),
            format!(
                "ingress-shim would manage Certificate `{}` for both this object and {} `{}`, with different hosts or issuer: the object reconciled first owns it, and the other's hosts/issuer are silently ignored",
                qualified(other.ns.as_deref(), &other.secret),
                a.id.kind,
                qualified(a.ns(), &a.id.name),
            ),
        )
        .help("Use a distinct `secretName` per Ingress/Gateway, or issue one explicit Certificate covering all hosts and drop the shim annotations.")
        .related([inv.obj_ref(first.source)]),
    );
}

/// Secrets last written by a Certificate that is not in the input while another one targets them.
fn check_secret_annotations(
    inv: &Inventory,
    writers: &HashMap<(Option<Text>, Text), Vec<Writer>>,
    shims: &[ShimCertificate],
    out: &mut Vec<Finding>,
) {
    if inv.settings.complete {
        return; // The previous owner does not exist: the new Certificate simply takes over.
    }
    for &s in inv.of_kind("", "Secret") {
        let obj = inv.get(s);
        let Some(owner) = obj.annotation(CERTIFICATE_NAME) else {
            continue;
        };
        if owner.is_empty() || unrendered(owner) {
            continue;
        }
        let key = (obj.id.namespace.clone(), obj.id.name.clone());
        let Some(list) = writers.get(&key) else {
            continue;
        };
        let name_of = |w: &Writer| match *w {
            Writer::Explicit(c) => inv.get(c).id.name.as_str(),
            Writer::Shim(i) => shims[i].secret.as_str(),
        };
        if list.iter().any(|w| name_of(w) == owner)
            || inv.exists(GROUP, "Certificate", obj.ns(), owner)
        {
            continue;
        }
        let names = list
            .iter()
            .map(|w| format!("`{}`", name_of(w)))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(
            Finding::new(
                ID,
                Severity::Warning,
                s,
                annotation_ptr(CERTIFICATE_NAME),
                format!(
                    "Secret `{}` was issued for Certificate `{owner}` (not in the input), but Certificate {names} targets it: if `{owner}` still exists in the cluster, the two overwrite each other",
                    qualified(obj.ns(), &obj.id.name)
                ),
            )
            .help(format!("Delete Certificate `{owner}` from the cluster, or give the new Certificate its own `secretName`."))
            .related(list.iter().filter_map(|w| match *w {
                Writer::Explicit(c) => Some(inv.obj_ref(c)),
                Writer::Shim(_) => None,
            })),
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

    fn cert(name: &str, secret: &str) -> String {
        format!(
            "---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {{name: {name}, namespace: web}}\nspec:\n  secretName: {secret}\n  dnsNames: [shop.example.com]\n  issuerRef: {{name: le, kind: ClusterIssuer}}\n"
        )
    }

    const INGRESS: &str = "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: shop\n  namespace: web\n  annotations: {cert-manager.io/cluster-issuer: le}\nspec:\n  tls:\n  - hosts: [shop.example.com]\n    secretName: shop-tls\n";

    #[test]
    fn two_certificates_one_secret() {
        let f = run(&(cert("a", "s") + &cert("b", "s")));
        assert_eq!(f.len(), 2);
        assert!(f.iter().all(|f| f.severity == Severity::Error));
        assert_eq!(f[0].pointer, "/spec/secretName");
    }

    #[test]
    fn shim_and_explicit_certificate_with_other_name() {
        let f = run(&(INGRESS.to_string() + &cert("explicit", "shop-tls")));
        assert_eq!(f.len(), 2, "{f:#?}");
        assert_eq!(f[1].pointer, "/spec/tls/0/secretName");
    }

    #[test]
    fn equivalent_explicit_certificate_is_info_and_owned_one_is_silent() {
        let f = run(&(INGRESS.to_string() + &cert("shop-tls", "shop-tls")));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info);
        let owned = "---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: shop-tls\n  namespace: web\n  ownerReferences: [{apiVersion: networking.k8s.io/v1, kind: Ingress, name: shop, controller: true, uid: x}]\nspec:\n  secretName: shop-tls\n  dnsNames: [shop.example.com]\n  issuerRef: {name: le, kind: ClusterIssuer}\n";
        assert!(run(&(INGRESS.to_string() + owned)).is_empty());
    }

    #[test]
    fn explicit_certificate_named_like_the_secret_but_different() {
        let f = run(&(INGRESS.to_string() + &cert("shop-tls", "other")));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Error);
        assert!(
            f[0].message.contains("writes Secret `other`"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn gateway_listeners() {
        let gw = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: gw\n  namespace: web\n  annotations: {cert-manager.io/issuer: ca}\nspec:\n  listeners:\n  - {name: a, protocol: HTTPS, hostname: a.example.com, tls: {certificateRefs: [{name: shop-tls}]}}\n  - {name: b, protocol: HTTPS, hostname: b.example.com, tls: {mode: Passthrough, certificateRefs: [{name: x}]}}\n";
        let shims = shim_certificates(&Inventory::from_yaml(gw, Settings::default()));
        assert_eq!(shims.len(), 1);
        assert_eq!(
            shims[0].pointer,
            "/spec/listeners/0/tls/certificateRefs/0/name"
        );
        let f = run(&(gw.to_string() + &cert("c", "shop-tls")));
        assert_eq!(f.len(), 2);
    }

    #[test]
    fn duplicate_secret_in_one_ingress_creates_nothing() {
        let ing = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: shop\n  namespace: web\n  annotations: {kubernetes.io/tls-acme: \"true\"}\nspec:\n  tls:\n  - {hosts: [a.example.com], secretName: s}\n  - {hosts: [b.example.com], secretName: s}\n";
        assert!(shim_certificates(&Inventory::from_yaml(ing, Settings::default())).is_empty());
    }
}
