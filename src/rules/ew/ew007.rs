//! EW007 trust-distribution-misconfigured: trust-manager Bundles (and the Linkerd trust roots they
//! often feed) that cannot distribute the intended roots, or that distribute the wrong certificates.
//!
//! Reads `trust.cert-manager.io/v1alpha1 Bundle` (cluster-scoped: `spec.sources[].{configMap,secret}.
//! {name,selector,key,includeAllKeys}`, `spec.sources[].inLine`, `spec.target.{configMap,secret}.key`,
//! `spec.target.namespaceSelector`) and `trust-manager.io/v1alpha2 ClusterBundle`
//! (`spec.sourceRefs[].{kind,name,selector,key}` where `key` may hold `*` wildcards and `"*"` means all
//! keys, `spec.inLineCAs`, `spec.target.{configMap,secret}.data[].{key,format}`,
//! `spec.target.namespaceSelector`) — field names checked against trust-manager's
//! `pkg/apis/trust/v1alpha1/types_bundle.go`, `pkg/apis/trustmanager/v1alpha2/types_cluster_bundle.go`
//! and `pkg/apis/trust/v1alpha1/conversion.go` (`includeAllKeys` ⇒ key `*`).
//!
//! The **trust namespace** is the `--trust-namespace` flag of a trust-manager container in the input
//! (Helm `app.trust.namespace`), else `settings.trustNamespace` (default `cert-manager`).
//!
//! Named ConfigMap/Secret sources (selector sources are not resolved):
//! * not in the trust namespace but present (as the object, or for a Secret as the `spec.secretName` of
//!   a Certificate) in another namespace → **error**: trust-manager reads sources from the trust
//!   namespace only ("the trust namespace is the only namespace where Secrets will be read"; the API
//!   comments say the same of ConfigMaps) and fails with `failed to get Secret <trust-ns>/<name>`;
//! * nowhere in the input → **info** (error with `settings.complete`). Deliberate deviation from the
//!   usual "missing ⇒ warning" (RULES.md §9.24): trust sources are routinely created out of band — the
//!   trust-manager docs tell users to copy roots into a separate ConfigMap, Linkerd's docs create
//!   `linkerd-previous-anchor` with kubectl — so a warning would fire on the documented patterns.
//! * Secret written by a cert-manager Certificate (in the trust namespace):
//!   * all keys (`includeAllKeys`, ClusterBundle `key: "*"`) → **error**: cert-manager Secrets are
//!     `kubernetes.io/tls` and trust-manager refuses ("including all keys is not supported for TLS
//!     Secrets", `pkg/bundle/internal/source/source.go`);
//!   * the key matches `tls.key` (or `tls-combined.pem` of a `CombinedPEM` output) → **error**:
//!     trust-manager accepts only CERTIFICATE blocks (`pkg/util/cert_pool.go`);
//!   * the key matches nothing cert-manager writes (`tls.crt`, `tls.key`, `ca.crt` — not with an ACME
//!     issuer —, `key.der`/`tls-combined.pem` when requested) → **error** ("no data found in Secret");
//!   * `tls.crt` of a Certificate without `isCA: true` → **warning** (a leaf and its intermediates in a
//!     trust store; CM-DOCS trust-manager "Avoid using intermediates in any trust store");
//!   * `tls.crt` of an `isCA` Certificate whose issuer is in the input and is not SelfSigned (CA, Vault,
//!     Venafi, AWS PCA) → **warning**: that `tls.crt` is an intermediate CA (extension of the previous
//!     condition with the same upstream reasoning);
//!   * otherwise a source Secret of an `isCA` Certificate → **info**: cert-manager rotates it and
//!     trust-manager then drops the old root at once (docs: copy the root into a separate ConfigMap or
//!     Secret; their own example "IS NOT SAFE to do in production").
//! * literal ConfigMap/Secret in the input: all keys of a `kubernetes.io/tls` Secret → error (as above);
//!   no key matching (ConfigMap `data` only, as trust-manager reads; Secret `data`/`stringData`) →
//!   warning; an empty matching value → info (a placeholder may be filled at runtime); other matching
//!   values get the PEM checks below (reported on the ConfigMap/Secret, once per value).
//!
//! PEM checks on inline sources (`inLine`, `inLineCAs`) and literal source values:
//! * a private key or other non-CERTIFICATE block, a certificate block that does not parse or carries
//!   PEM headers → **error**: trust-manager's strict `AddCertsFromPEM` rejects the whole Bundle, which
//!   is then never synced;
//! * no certificate at all → **warning** (adds nothing; the Bundle fails if no other source has one);
//! * every certificate expired → **warning** (trust-manager still distributes it unless
//!   `--filter-expired-certificates`, but no chain can end at it); some expired next to valid ones →
//!   info; every unexpired certificate expiring within `warnDays` → **warning**;
//! * a certificate that is neither a CA nor self-signed → **warning** (a leaf pinned as a root).
//!   Cross-signed CA certificates (not self-signed, CA:TRUE, e.g. GlobalSign Root CA - R3 signed by
//!   GlobalSign Root CA) are legitimate and not reported: there is no "must be self-signed" check.
//!
//! Targets: `target.secret` → **info** (Secret targets must be enabled explicitly: Helm
//! `secretTargets.enabled` + authorised Secrets), or **error** when the trust-manager Deployment is in
//! the input without `--secret-targets-enabled=true` (the Bundle is then `Synced=False`,
//! `SecretTargetsDisabled`, and nothing is written).
//!
//! Linkerd (L5D "Automatically Rotating Control Plane TLS Credentials"; Linkerd namespace =
//! `settings.linkerdNamespace`, default `linkerd`):
//! * **External CA detected** = a Certificate writing Secret `linkerd-identity-issuer` in the Linkerd
//!   namespace (or without namespace), or ConfigMap `linkerd-config` there whose `values` say
//!   `identity.externalCA: true` (the chart then does not render the trust roots ConfigMap). With it,
//!   neither a ConfigMap `linkerd-identity-trust-roots` in the Linkerd namespace (in the input or
//!   declared in the config) nor a Bundle/ClusterBundle of that name → **warning** on the detecting
//!   object (RULES.md: W).
//! * A Bundle/ClusterBundle named `linkerd-identity-trust-roots` whose ConfigMap target key is not
//!   `ca-bundle.crt`, or whose `namespaceSelector` does not select the Linkerd namespace (labels of the
//!   Namespace object when it is in the input, plus `kubernetes.io/metadata.name`) → **warning**; when
//!   the Namespace is not in the input and the selector needs other labels → info (the docs label it
//!   with `linkerd.io/is-control-plane=true` by hand).
//! * A ConfigMap `linkerd-identity-trust-roots` (any namespace) without `ca-bundle.crt` → warning; whose
//!   `ca-bundle.crt` holds no parseable certificate, or only expired ones → **error** (linkerd2
//!   `DecodePEMCertPool`: "not a PEM certificate" / "no certificates found"; identity and every proxy
//!   fail); an expired anchor next to valid ones → info; all anchors expiring within `warnDays` →
//!   warning. (EW006 covers the identity issuer Certificate itself.)
//!
//! Messages name subjects and UTC dates, never certificate or key material. Unrendered values are
//! skipped.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use crate::certs::{Cert, Content, Encoding, read_value};
use crate::load::Node;
use crate::load::node::pointer;
use crate::model::certmanager::{self, IssuerType, issuer_type};
use crate::model::selector::{Tri, namespace_labels, selects};
use crate::model::webhook::containers;
use crate::model::{Inventory, ObjId, ObjRef, Object, Settings, pod_template_of};
use crate::rules::cm::cm008::is_ca;
use crate::rules::{BuiltinRule, Finding, KindSet, Severity, missing_phrase, unrendered};
use crate::time::utc_date;

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "EW007",
    kinds,
    check,
};

/// trust-manager's v1alpha1 API group (`Bundle`).
pub const TRUST_GROUP: &str = "trust.cert-manager.io";
/// trust-manager's v1alpha2 API group (`ClusterBundle`).
pub const TRUST_MANAGER_GROUP: &str = "trust-manager.io";

const OWN_KINDS: KindSet = &[
    (TRUST_GROUP, "Bundle"),
    (TRUST_MANAGER_GROUP, "ClusterBundle"),
    ("", "ConfigMap"),
    ("", "Namespace"),
    ("apps", "Deployment"),
];

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![OWN_KINDS, certmanager::KINDS]
}

const ID: &str = "EW007";
const DAY: i64 = 86_400;
/// Most certificates a message names.
const MAX_NAMED: usize = 3;
/// Linkerd's trust roots ConfigMap (and the conventional Bundle name that writes it).
const ROOTS: &str = "linkerd-identity-trust-roots";
/// The key Linkerd reads from it.
const ROOTS_KEY: &str = "ca-bundle.crt";
/// The Secret Linkerd's identity controller reads its issuer from.
const ISSUER_SECRET: &str = "linkerd-identity-issuer";

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    let views: Vec<View> = inv
        .of_kind(TRUST_GROUP, "Bundle")
        .iter()
        .map(|&b| View::bundle(inv, b))
        .chain(
            inv.of_kind(TRUST_MANAGER_GROUP, "ClusterBundle")
                .iter()
                .map(|&b| View::cluster_bundle(inv, b)),
        )
        .collect();
    if !views.is_empty() {
        let mut cx = Cx {
            inv,
            tm: trust_manager(inv),
            index: Index::build(inv),
            seen: HashSet::new(),
        };
        for v in &views {
            for s in &v.refs {
                check_ref(&mut cx, v, s, out);
            }
            for (text, ptr) in &v.inlines {
                if unrendered(text) {
                    continue;
                }
                let site = Site {
                    object: v.id,
                    pointer: ptr.clone(),
                    what: format!("the inline source of {} `{}`", v.kind, v.name),
                    related: Vec::new(),
                };
                check_value(inv, &site, text, Encoding::Pem, Role::Source, out);
            }
            check_secret_target(&cx, v, out);
        }
    }
    check_linkerd(inv, &views, out);
}

// ---------------------------------------------------------------------------------------------------
// Model: Bundles and ClusterBundles read into one shape.

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum SrcKind {
    ConfigMap,
    Secret,
}

impl SrcKind {
    fn as_str(self) -> &'static str {
        match self {
            SrcKind::ConfigMap => "ConfigMap",
            SrcKind::Secret => "Secret",
        }
    }
}

/// Which keys of a source object are read.
#[derive(Clone, Copy, Debug)]
enum Keys<'a> {
    /// A key, possibly with `*`/`?` wildcards (ClusterBundle; trust-manager uses `path.Match`).
    Pattern(&'a str),
    /// Every key (`includeAllKeys: true`, or ClusterBundle `key: "*"`).
    All,
}

/// A ConfigMap/Secret source given by name.
struct RefSource<'a> {
    kind: SrcKind,
    name: &'a str,
    name_ptr: String,
    keys: Option<Keys<'a>>,
    key_ptr: String,
}

/// A Bundle or ClusterBundle, normalised.
struct View<'a> {
    id: ObjId,
    /// `Bundle` or `ClusterBundle`.
    kind: &'static str,
    name: &'a str,
    refs: Vec<RefSource<'a>>,
    /// Inline PEM sources and their pointers.
    inlines: Vec<(&'a str, String)>,
    /// PEM keys of the ConfigMap target and their pointers.
    cm_keys: Vec<(&'a str, String)>,
    /// Pointer of the ConfigMap target, when there is one.
    cm_target: Option<String>,
    /// Pointer of the Secret target, when there is one.
    secret_target: Option<String>,
    selector: Option<&'a Node>,
    selector_ptr: String,
}

fn text(node: Option<&Node>) -> Option<&str> {
    node.and_then(Node::scalar_text).filter(|s| !s.is_empty())
}

impl<'a> View<'a> {
    fn empty(inv: &'a Inventory, id: ObjId, kind: &'static str) -> Self {
        let obj = inv.get(id);
        let target = obj.root.path(&["spec", "target"]);
        View {
            id,
            kind,
            name: obj.id.name.as_str(),
            refs: Vec::new(),
            inlines: Vec::new(),
            cm_keys: Vec::new(),
            cm_target: target
                .and_then(|t| t.get("configMap"))
                .map(|_| pointer(["spec", "target", "configMap"])),
            secret_target: target
                .and_then(|t| t.get("secret"))
                .filter(|s| !s.is_null())
                .map(|_| pointer(["spec", "target", "secret"])),
            selector: target.and_then(|t| t.get("namespaceSelector")),
            selector_ptr: if target.and_then(|t| t.get("namespaceSelector")).is_some() {
                pointer(["spec", "target", "namespaceSelector"])
            } else if target.is_some() {
                pointer(["spec", "target"])
            } else {
                pointer(["spec"])
            },
        }
    }

    /// `trust.cert-manager.io/v1alpha1 Bundle`.
    fn bundle(inv: &'a Inventory, id: ObjId) -> Self {
        let mut v = View::empty(inv, id, "Bundle");
        let spec = inv.get(id).spec();
        let sources = spec
            .and_then(|s| s.get("sources"))
            .map_or(&[][..], Node::items);
        for (i, s) in sources.iter().enumerate() {
            let i = i.to_string();
            for (field, kind) in [
                ("configMap", SrcKind::ConfigMap),
                ("secret", SrcKind::Secret),
            ] {
                let Some(sel) = s.get(field) else { continue };
                let Some(name) = text(sel.get("name")) else {
                    continue;
                };
                let all = sel.get("includeAllKeys").and_then(Node::as_bool) == Some(true);
                let (keys, key_ptr) = if all {
                    (
                        Some(Keys::All),
                        pointer(["spec", "sources", &i, field, "includeAllKeys"]),
                    )
                } else {
                    (
                        text(sel.get("key")).map(Keys::Pattern),
                        pointer(["spec", "sources", &i, field, "key"]),
                    )
                };
                v.refs.push(RefSource {
                    kind,
                    name,
                    name_ptr: pointer(["spec", "sources", &i, field, "name"]),
                    keys,
                    key_ptr,
                });
            }
            if let Some(pem) = s.get("inLine").and_then(Node::as_str) {
                v.inlines
                    .push((pem, pointer(["spec", "sources", &i, "inLine"])));
            }
        }
        if let Some(key) = text(spec.and_then(|s| s.path(&["target", "configMap", "key"]))) {
            v.cm_keys
                .push((key, pointer(["spec", "target", "configMap", "key"])));
        }
        v
    }

    /// `trust-manager.io/v1alpha2 ClusterBundle`.
    fn cluster_bundle(inv: &'a Inventory, id: ObjId) -> Self {
        let mut v = View::empty(inv, id, "ClusterBundle");
        let spec = inv.get(id).spec();
        let refs = spec
            .and_then(|s| s.get("sourceRefs"))
            .map_or(&[][..], Node::items);
        for (i, r) in refs.iter().enumerate() {
            let i = i.to_string();
            let kind = match r.str_at(&["kind"]) {
                Some("ConfigMap") => SrcKind::ConfigMap,
                Some("Secret") => SrcKind::Secret,
                _ => continue,
            };
            let Some(name) = text(r.get("name")) else {
                continue;
            };
            v.refs.push(RefSource {
                kind,
                name,
                name_ptr: pointer(["spec", "sourceRefs", &i, "name"]),
                keys: text(r.get("key")).map(|k| {
                    if k == "*" {
                        Keys::All
                    } else {
                        Keys::Pattern(k)
                    }
                }),
                key_ptr: pointer(["spec", "sourceRefs", &i, "key"]),
            });
        }
        if let Some(pem) = spec.and_then(|s| s.get("inLineCAs")).and_then(Node::as_str) {
            v.inlines.push((pem, pointer(["spec", "inLineCAs"])));
        }
        let data = spec
            .and_then(|s| s.path(&["target", "configMap", "data"]))
            .map_or(&[][..], Node::items);
        for (j, d) in data.iter().enumerate() {
            let pem = d.str_at(&["format"]).is_none_or(|f| f == "PEM");
            if let (true, Some(key)) = (pem, text(d.get("key"))) {
                v.cm_keys.push((
                    key,
                    pointer(["spec", "target", "configMap", "data", &j.to_string(), "key"]),
                ));
            }
        }
        v
    }
}

/// trust-manager as far as the input tells.
struct TrustManager {
    /// The trust namespace.
    namespace: String,
    /// The Deployment running trust-manager, when it is in the input.
    deployment: Option<ObjId>,
    /// `--secret-targets-enabled`, when the Deployment is in the input.
    secret_targets: Option<bool>,
}

/// The value of `--flag=value` or `--flag value` in an argument list.
fn flag_value<'a>(args: &[&'a str], flag: &str) -> Option<&'a str> {
    args.iter().enumerate().find_map(|(i, a)| {
        let rest = a.strip_prefix(flag)?;
        match rest.strip_prefix('=') {
            Some(v) => Some(v),
            None if rest.is_empty() => args.get(i + 1).copied(),
            None => None,
        }
    })
}

/// Find a trust-manager container (`--trust-namespace` flag) in the input's Deployments.
fn trust_manager(inv: &Inventory) -> TrustManager {
    for &d in inv.of_kind("apps", "Deployment") {
        let Some(spec) = pod_template_of(inv.get(d)).and_then(|t| t.get("spec")) else {
            continue;
        };
        for c in containers(spec) {
            let args: Vec<&str> = ["command", "args"]
                .iter()
                .flat_map(|k| c.get(k).map_or(&[][..], Node::items))
                .filter_map(Node::scalar_text)
                .collect();
            let Some(ns) = flag_value(&args, "--trust-namespace") else {
                continue;
            };
            if ns.is_empty() || unrendered(ns) {
                continue;
            }
            let secret_targets = args.iter().any(|a| {
                *a == "--secret-targets-enabled"
                    || a.strip_prefix("--secret-targets-enabled=")
                        .is_some_and(|v| matches!(v, "true" | "True" | "TRUE" | "t" | "T" | "1"))
            });
            return TrustManager {
                namespace: ns.to_string(),
                deployment: Some(d),
                secret_targets: Some(secret_targets),
            };
        }
    }
    TrustManager {
        namespace: inv.settings.trust_namespace.clone(),
        deployment: None,
        secret_targets: None,
    }
}

/// ConfigMaps and Secrets by name, and Certificates by `spec.secretName`, in every namespace.
struct Index<'a> {
    objects: HashMap<(SrcKind, &'a str), Vec<ObjId>>,
    writers: HashMap<&'a str, Vec<ObjId>>,
}

impl<'a> Index<'a> {
    fn build(inv: &'a Inventory) -> Self {
        let mut objects: HashMap<(SrcKind, &str), Vec<ObjId>> = HashMap::new();
        for kind in [SrcKind::ConfigMap, SrcKind::Secret] {
            for &o in inv.of_kind("", kind.as_str()) {
                objects
                    .entry((kind, inv.get(o).id.name.as_str()))
                    .or_default()
                    .push(o);
            }
        }
        let mut writers: HashMap<&str, Vec<ObjId>> = HashMap::new();
        for &c in inv.of_kind(certmanager::GROUP, "Certificate") {
            if let Some(s) = inv.get(c).root.str_at(&["spec", "secretName"]) {
                writers.entry(s).or_default().push(c);
            }
        }
        Index { objects, writers }
    }
}

struct Cx<'a> {
    inv: &'a Inventory,
    tm: TrustManager,
    index: Index<'a>,
    /// Literal source values already checked (a value shared by several Bundles is reported once).
    seen: HashSet<(ObjId, String)>,
}

impl Cx<'_> {
    /// "the trust namespace `x`" with where that comes from.
    fn trust_ns_phrase(&self) -> String {
        match self.tm.deployment {
            Some(d) => format!(
                "the trust namespace `{}` (`--trust-namespace` of Deployment `{}`)",
                self.tm.namespace,
                show(self.inv.get(d))
            ),
            None => format!("the trust namespace `{}`", self.tm.namespace),
        }
    }
}

/// `ns/name` or `name`.
fn show(obj: &Object) -> String {
    match obj.ns() {
        Some(ns) => format!("{ns}/{}", obj.id.name),
        None => obj.id.name.to_string(),
    }
}

/// Go's `path.Match` for the patterns trust-manager accepts (`*` any run, `?` one character; no `/`
/// in keys). Other characters are literal.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

fn keys_match(keys: Keys, key: &str) -> bool {
    match keys {
        Keys::All => true,
        Keys::Pattern(p) => glob(p, key),
    }
}

fn keys_text(keys: Keys) -> String {
    match keys {
        Keys::All => "all keys".to_string(),
        Keys::Pattern(p) => format!("key `{p}`"),
    }
}

// ---------------------------------------------------------------------------------------------------
// Named sources.

fn check_ref(cx: &mut Cx, v: &View, s: &RefSource, out: &mut Vec<Finding>) {
    if unrendered(s.name) {
        return;
    }
    let inv = cx.inv;
    let t = cx.tm.namespace.as_str();
    let here = |o: &ObjId| inv.get(*o).ns().is_none_or(|ns| ns == t);
    let objects = cx
        .index
        .objects
        .get(&(s.kind, s.name))
        .map_or(&[][..], Vec::as_slice);
    let writers: &[ObjId] = match s.kind {
        SrcKind::Secret => cx.index.writers.get(s.name).map_or(&[], Vec::as_slice),
        SrcKind::ConfigMap => &[],
    };
    let local_writer = writers.iter().copied().find(here);
    let local_object = objects.iter().copied().find(here);
    let kind = s.kind.as_str();
    let source = format!("{kind} source `{}` of {} `{}`", s.name, v.kind, v.name);
    if local_writer.is_none() && local_object.is_none() {
        if inv.exists("", kind, Some(t), s.name) {
            return;
        }
        let elsewhere: Vec<ObjId> = objects.iter().chain(writers).copied().collect();
        if !elsewhere.is_empty() {
            let places: Vec<String> = elsewhere
                .iter()
                .take(MAX_NAMED)
                .map(|&o| {
                    let obj = inv.get(o);
                    if obj.id.kind == "Certificate" {
                        format!("written by Certificate `{}`", show(obj))
                    } else {
                        format!("in namespace `{}`", obj.ns().unwrap_or(""))
                    }
                })
                .collect();
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    v.id,
                    s.name_ptr.clone(),
                    format!(
                        "{source} is read from {} only, but `{}` is {}: trust-manager fails with `failed to get {kind} {t}/{}` and does not sync the {}",
                        cx.trust_ns_phrase(),
                        s.name,
                        places.join(", "),
                        s.name,
                        v.kind
                    ),
                )
                .help(format!(
                    "Create the source in `{t}` — e.g. copy the CA certificate (never the key) into a ConfigMap there — or, if trust-manager runs with another `--trust-namespace` (Helm `app.trust.namespace`), set `settings.trustNamespace`."
                ))
                .related(elsewhere.iter().map(|&o| inv.obj_ref(o))),
            );
        } else {
            let severity = if inv.settings.complete {
                Severity::Error
            } else {
                Severity::Info
            };
            out.push(
                Finding::new(
                    ID,
                    severity,
                    v.id,
                    s.name_ptr.clone(),
                    format!(
                        "{source}: {kind} `{t}/{}` {}; trust-manager reads sources from {} only",
                        s.name,
                        missing_phrase(inv),
                        cx.trust_ns_phrase()
                    ),
                )
                .help(format!(
                    "Create {kind} `{}` in `{t}` with the PEM root certificate(s) under the selected key.",
                    s.name
                )),
            );
        }
        return;
    }
    let Some(keys) = s.keys else {
        return;
    };
    if let Some(c) = local_writer {
        check_certificate_source(cx, v, s, keys, c, out);
    } else if let Some(o) = local_object {
        check_literal_source(cx, v, s, keys, o, out);
    }
}

/// Keys cert-manager writes into a Certificate's Secret, as far as the input tells.
fn certificate_keys(inv: &Inventory, cert: ObjId, itype: Option<&IssuerType>) -> Vec<&'static str> {
    let mut keys = vec!["tls.crt", "tls.key"];
    if itype != Some(&IssuerType::Acme) {
        keys.push("ca.crt");
    }
    let formats = inv
        .get(cert)
        .root
        .path(&["spec", "additionalOutputFormats"])
        .map_or(&[][..], Node::items);
    for f in formats {
        match f.str_at(&["type"]) {
            Some("CombinedPEM") => keys.push("tls-combined.pem"),
            Some("DER") => keys.push("key.der"),
            _ => {}
        }
    }
    keys
}

fn check_certificate_source(
    cx: &Cx,
    v: &View,
    s: &RefSource,
    keys: Keys,
    cert: ObjId,
    out: &mut Vec<Finding>,
) {
    let inv = cx.inv;
    let cobj = inv.get(cert);
    let secret = format!("Secret `{}/{}`", cx.tm.namespace, s.name);
    let writer = format!("Certificate `{}`", show(cobj));
    let finding = |severity, ptr: &str, message: String, help: &'static str| {
        Finding::new(ID, severity, v.id, ptr.to_string(), message)
            .help(help)
            .related([inv.obj_ref(cert)])
    };
    if matches!(keys, Keys::All) {
        out.push(finding(
            Severity::Error,
            &s.key_ptr,
            format!(
                "{} `{}` includes all keys of {secret}, a `kubernetes.io/tls` Secret written by {writer}: trust-manager refuses (`including all keys is not supported for TLS Secrets`) rather than distribute `tls.key`, and the {} is not synced",
                v.kind, v.name, v.kind
            ),
            "Select one key: the root certificate (`ca.crt`, or `tls.crt` of a self-signed root), or better a copy of the root in a ConfigMap in the trust namespace.",
        ));
        return;
    }
    let issuer = inv.issuer_of(cert);
    let itype = issuer.map(|i| issuer_type(inv.get(i)));
    let written = certificate_keys(inv, cert, itype.as_ref());
    let matched: Vec<&str> = written
        .iter()
        .copied()
        .filter(|k| keys_match(keys, k))
        .collect();
    if matched.is_empty() {
        let acme = if itype == Some(IssuerType::Acme) {
            " (no `ca.crt`: the ACME issuer does not know the CA)"
        } else {
            ""
        };
        out.push(finding(
            Severity::Error,
            &s.key_ptr,
            format!(
                "{} `{}` selects {} of {secret}, but {writer} writes only {}{acme}: trust-manager fails with `no data found in Secret` and the {} is not synced",
                v.kind,
                v.name,
                keys_text(keys),
                written.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "),
                v.kind
            ),
            "Select a key that holds the root certificate, or copy the root into a ConfigMap in the trust namespace.",
        ));
        return;
    }
    if let Some(k) = matched
        .iter()
        .find(|k| matches!(**k, "tls.key" | "tls-combined.pem"))
    {
        out.push(finding(
            Severity::Error,
            &s.key_ptr,
            format!(
                "{} `{}` selects `{k}` of {secret} ({writer}), which holds the private key: trust-manager accepts only CERTIFICATE blocks (`only CERTIFICATE blocks are permitted`) and the {} is not synced",
                v.kind, v.name, v.kind
            ),
            "Never point a trust bundle at key material: select `ca.crt` (or `tls.crt` of a self-signed root), or a copy of the root in a ConfigMap.",
        ));
        return;
    }
    let ca = is_ca(inv, cert);
    let tls = matched.contains(&"tls.crt");
    if tls && !ca {
        out.push(finding(
            Severity::Warning,
            &s.key_ptr,
            format!(
                "{} `{}` distributes `tls.crt` of {secret}, the certificate of {writer}, which is not a CA (`isCA` is not true): the leaf and the intermediates of its chain become trust anchors — trust-manager's docs: \"Avoid using intermediates in any trust store\"",
                v.kind, v.name
            ),
            "Distribute the issuing root instead: copy it into a ConfigMap in the trust namespace (or use `ca.crt` when the issuer fills it reliably).",
        ));
        return;
    }
    let intermediate = match &itype {
        Some(IssuerType::SelfSigned | IssuerType::Unknown | IssuerType::Acme) | None => None,
        Some(t) => Some(t),
    };
    if let (true, true, Some(t), Some(i)) = (tls, ca, intermediate, issuer) {
        let iobj = inv.get(i);
        out.push(
            finding(
                Severity::Warning,
                &s.key_ptr,
                format!(
                    "{} `{}` distributes `tls.crt` of {secret}: {writer} is a CA issued by {} `{}` ({}), so `tls.crt` holds an intermediate CA; trust stores that pin it break when it rotates (\"Intermediates in this case become de facto root certificates\")",
                    v.kind,
                    v.name,
                    iobj.id.kind,
                    show(iobj),
                    issuer_label(t)
                ),
                "Distribute the root the intermediate chains to (a copy in a ConfigMap in the trust namespace), not the intermediate.",
            )
            .related([inv.obj_ref(i)]),
        );
        return;
    }
    if ca {
        out.push(finding(
            Severity::Info,
            &s.name_ptr,
            format!(
                "{} `{}` reads {secret}, written by CA {writer}: when cert-manager renews it (a new key with `rotationPolicy: Always`), trust-manager swaps in the new root at once and certificates still chaining to the old one are distrusted; trust-manager's docs advise copying the root into a separate ConfigMap/Secret (their own example \"IS NOT SAFE to do in production\"), or keeping the previous root as a second source during rotation as Linkerd's docs do",
                v.kind, v.name
            ),
            "Copy the root certificate into a ConfigMap in the trust namespace and update it on your own schedule, or add the previous root as a second source while rotating.",
        ));
    }
}

fn issuer_label(t: &IssuerType) -> &'static str {
    match t {
        IssuerType::Acme => "ACME",
        IssuerType::Ca { .. } => "CA issuer",
        IssuerType::SelfSigned => "SelfSigned",
        IssuerType::Vault => "Vault",
        IssuerType::Venafi => "Venafi",
        IssuerType::AwsPca => "AWS Private CA",
        IssuerType::Unknown => "unknown type",
    }
}

/// Values of a literal ConfigMap/Secret, as trust-manager reads them: ConfigMap `data`; Secret `data`
/// (base64) overridden by `stringData` (PEM) as the API server applies them.
fn source_values(obj: &Object, kind: SrcKind) -> Vec<(&str, String, &str, Encoding)> {
    let mut values: Vec<(&str, String, &str, Encoding)> = Vec::new();
    let fields: &[(&str, Encoding)] = match kind {
        SrcKind::ConfigMap => &[("data", Encoding::Pem)],
        SrcKind::Secret => &[("data", Encoding::Base64), ("stringData", Encoding::Pem)],
    };
    for &(field, encoding) in fields {
        for e in obj.root.get(field).map_or(&[][..], Node::entries) {
            let Some(value) = e.value.scalar_text() else {
                continue;
            };
            values.retain(|(k, ..)| *k != e.key.as_str());
            values.push((
                e.key.as_str(),
                pointer([field, e.key.as_str()]),
                value,
                encoding,
            ));
        }
    }
    values
}

fn check_literal_source(
    cx: &mut Cx,
    v: &View,
    s: &RefSource,
    keys: Keys,
    o: ObjId,
    out: &mut Vec<Finding>,
) {
    let inv = cx.inv;
    let obj = inv.get(o);
    let what = format!("{} `{}`", s.kind.as_str(), show(obj));
    let tls = s.kind == SrcKind::Secret && obj.root.str_at(&["type"]) == Some("kubernetes.io/tls");
    if tls && matches!(keys, Keys::All) {
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                v.id,
                s.key_ptr.clone(),
                format!(
                    "{} `{}` includes all keys of {what}, a `kubernetes.io/tls` Secret: trust-manager refuses (`including all keys is not supported for TLS Secrets`) rather than distribute `tls.key`, and the {} is not synced",
                    v.kind, v.name, v.kind
                ),
            )
            .help("Select the key that holds the root certificate.")
            .related([inv.obj_ref(o)]),
        );
        return;
    }
    let values = source_values(obj, s.kind);
    let matched: Vec<_> = values
        .into_iter()
        .filter(|(k, ..)| keys_match(keys, k))
        .collect();
    if matched.is_empty() {
        out.push(
            Finding::new(
                ID,
                Severity::Warning,
                v.id,
                s.key_ptr.clone(),
                format!(
                    "{} `{}` selects {} of {what}, which has no such key{}: trust-manager fails with `no data found in {}` unless it is added at runtime",
                    v.kind,
                    v.name,
                    keys_text(keys),
                    if s.kind == SrcKind::ConfigMap {
                        " in `data` (`binaryData` is not read)"
                    } else {
                        ""
                    },
                    s.kind.as_str()
                ),
            )
            .help("Put the PEM root certificate(s) under the selected key, or select the key that holds them.")
            .related([inv.obj_ref(o)]),
        );
        return;
    }
    for (key, ptr, value, encoding) in matched {
        if unrendered(value) || !cx.seen.insert((o, key.to_string())) {
            continue;
        }
        let site = Site {
            object: o,
            pointer: ptr,
            what: format!("`{key}` of {what} (a source of {} `{}`)", v.kind, v.name),
            related: vec![inv.obj_ref(v.id)],
        };
        let empty = match encoding {
            Encoding::Pem => value.trim().is_empty(),
            Encoding::Base64 => crate::certs::is_placeholder(value),
        };
        if empty {
            // A placeholder filled at runtime is possible for an object in the manifests.
            out.push(site.finding(
                Severity::Info,
                format!(
                    "{} is empty in the manifest: trust-manager adds nothing from it unless it is filled at runtime",
                    site.what
                ),
                HELP_PEM,
            ));
            continue;
        }
        check_value(inv, &site, value, encoding, Role::Source, out);
    }
}

// ---------------------------------------------------------------------------------------------------
// PEM values.

/// Where a PEM value is and how to name it.
struct Site {
    object: ObjId,
    pointer: String,
    what: String,
    related: Vec<ObjRef>,
}

impl Site {
    fn finding(&self, severity: Severity, message: String, help: &'static str) -> Finding {
        Finding::new(ID, severity, self.object, self.pointer.clone(), message)
            .help(help)
            .related(self.related.iter().cloned())
    }
}

/// What a PEM value is used for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// A trust-manager source (strict `AddCertsFromPEM`).
    Source,
    /// Linkerd's `ca-bundle.crt` (`DecodePEMCertPool`).
    LinkerdRoots,
}

const HELP_PEM: &str = "Provide only PEM `-----BEGIN CERTIFICATE-----` blocks of the root CA certificate(s), without headers or keys.";
const HELP_ROOTS: &str = "Put the PEM trust anchor(s) in `ca-bundle.crt` (e.g. distribute them with a trust-manager Bundle named `linkerd-identity-trust-roots`), and rotate the anchor before it expires.";

/// `CN=a (2021-01-01), CN=b (…)`, at most [`MAX_NAMED`].
fn named(certs: &[&Cert]) -> String {
    let mut names: Vec<String> = certs
        .iter()
        .take(MAX_NAMED)
        .map(|c| format!("{} (notAfter {})", c.name(), utc_date(c.not_after)))
        .collect();
    if certs.len() > MAX_NAMED {
        names.push(format!("and {} more", certs.len() - MAX_NAMED));
    }
    names.join(", ")
}

fn check_value(
    inv: &Inventory,
    site: &Site,
    value: &str,
    encoding: Encoding,
    role: Role,
    out: &mut Vec<Finding>,
) {
    let what = &site.what;
    let help = match role {
        Role::Source => HELP_PEM,
        Role::LinkerdRoots => HELP_ROOTS,
    };
    let linkerd_fails = "Linkerd cannot load its trust anchors (`not a PEM certificate` / `no certificates found`): the identity controller and every proxy fail to start";
    let bundle = match read_value(value, encoding) {
        Content::Empty => {
            out.push(match role {
                Role::Source => site.finding(
                    Severity::Warning,
                    format!("{what} is empty: it adds no certificate to the bundle"),
                    help,
                ),
                Role::LinkerdRoots => site.finding(
                    Severity::Error,
                    format!("{what} is empty: {linkerd_fails}"),
                    help,
                ),
            });
            return;
        }
        Content::NotBase64 { .. } => {
            out.push(site.finding(
                Severity::Error,
                format!("{what} is not valid base64: the API server rejects the Secret"),
                "Store the base64 of the PEM certificate in `data`, or the PEM itself in `stringData`.",
            ));
            return;
        }
        Content::Bundle(b) => b,
    };
    if bundle.has_private_key() {
        out.push(site.finding(
            Severity::Error,
            match role {
                Role::Source => format!(
                    "{what} holds a private key block: trust-manager accepts only CERTIFICATE blocks (`only CERTIFICATE blocks are permitted`), so the Bundle is not synced — and key material does not belong in a trust source"
                ),
                Role::LinkerdRoots => format!(
                    "{what} holds a private key block: a ConfigMap is readable far more widely than a Secret; the trust anchor's key must never be distributed"
                ),
            },
            help,
        ));
        return;
    }
    if role == Role::Source && !bundle.other_labels.is_empty() {
        out.push(site.finding(
            Severity::Error,
            format!(
                "{what} holds a `{}` PEM block: trust-manager accepts only CERTIFICATE blocks (`only CERTIFICATE blocks are permitted`), so the Bundle is not synced",
                bundle.other_labels[0]
            ),
            help,
        ));
        return;
    }
    if bundle.failed > 0 {
        let n = bundle.failed;
        let blocks = if n == 1 {
            "1 certificate block that does not parse".to_string()
        } else {
            format!("{n} certificate blocks that do not parse")
        };
        out.push(site.finding(
            Severity::Error,
            match role {
                Role::Source => format!(
                    "{what} has {blocks} (or carries PEM headers): trust-manager rejects the whole source (`invalid PEM block in bundle`), so the Bundle is not synced"
                ),
                Role::LinkerdRoots => format!("{what} has {blocks}: {linkerd_fails}"),
            },
            help,
        ));
        return;
    }
    if let Some(problem) = bundle.problem() {
        out.push(match role {
            Role::Source => site.finding(
                Severity::Warning,
                format!(
                    "{what} {problem}: trust-manager adds nothing from it (and fails with `couldn't find any valid certificates in bundle` when no other source has one)"
                ),
                help,
            ),
            Role::LinkerdRoots => site.finding(
                Severity::Error,
                format!("{what} {problem}: {linkerd_fails}"),
                help,
            ),
        });
        return;
    }
    let certs = &bundle.certs;
    let now = inv.settings.now;
    let expired: Vec<&Cert> = certs.iter().filter(|c| c.is_expired(now)).collect();
    let live: Vec<&Cert> = certs.iter().filter(|c| !c.is_expired(now)).collect();
    if live.is_empty() {
        out.push(match role {
            Role::Source => site.finding(
                Severity::Warning,
                format!(
                    "{what}: every certificate has expired ({}): no chain can end at it (trust-manager still distributes it unless run with `--filter-expired-certificates`)",
                    named(&expired)
                ),
                "Replace the expired CA certificate with its successor.",
            ),
            Role::LinkerdRoots => site.finding(
                Severity::Error,
                format!(
                    "{what}: every trust anchor has expired ({}): proxies reject every workload certificate and meshed mTLS fails",
                    named(&expired)
                ),
                help,
            ),
        });
    } else {
        if !expired.is_empty() {
            out.push(site.finding(
                Severity::Info,
                format!(
                    "{what} still carries expired certificate{} {} next to valid ones; remove {} once nothing chains to {}",
                    if expired.len() == 1 { "" } else { "s" },
                    named(&expired),
                    if expired.len() == 1 { "it" } else { "them" },
                    if expired.len() == 1 { "it" } else { "them" },
                ),
                help,
            ));
        }
        let horizon = now + i64::from(inv.settings.warn_days) * DAY;
        if live.iter().all(|c| c.not_after < horizon) {
            out.push(site.finding(
                Severity::Warning,
                format!(
                    "{what}: nothing in it outlives the next {} days (`warnDays`): {}; distribute the successor root before then",
                    inv.settings.warn_days,
                    named(&live)
                ),
                "Add the successor CA certificate next to the current one now, and remove the old one after it expires.",
            ));
        }
    }
    if role == Role::Source {
        let leaves: Vec<&Cert> = certs
            .iter()
            .filter(|c| !c.is_ca && !c.is_self_signed())
            .collect();
        if !leaves.is_empty() {
            out.push(site.finding(
                Severity::Warning,
                format!(
                    "{what} contains non-CA certificate{} {}: a leaf in a trust store is trusted as a root and breaks when it is reissued (\"Avoid using intermediates in any trust store\")",
                    if leaves.len() == 1 { "" } else { "s" },
                    named(&leaves)
                ),
                "Distribute the CA certificate that issued it instead.",
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Secret targets.

fn check_secret_target(cx: &Cx, v: &View, out: &mut Vec<Finding>) {
    let Some(ptr) = &v.secret_target else {
        return;
    };
    let f = match (cx.tm.secret_targets, cx.tm.deployment) {
        (Some(false), Some(d)) => Finding::new(
            ID,
            Severity::Error,
            v.id,
            ptr.clone(),
            format!(
                "{} `{}` has a Secret target, but trust-manager (Deployment `{}`) runs without `--secret-targets-enabled=true`: the {} is marked `Synced=False` (`SecretTargetsDisabled`) and no target is written",
                v.kind,
                v.name,
                show(cx.inv.get(d)),
                v.kind
            ),
        )
        .related([cx.inv.obj_ref(d)]),
        (Some(true), _) => return,
        _ => Finding::new(
            ID,
            Severity::Info,
            v.id,
            ptr.clone(),
            format!(
                "{} `{}` has a Secret target: Secret targets work only when enabled in trust-manager (`--secret-targets-enabled=true`, Helm `secretTargets.enabled`) with RBAC for the target Secrets; otherwise the {} is not synced",
                v.kind, v.name, v.kind
            ),
        ),
    };
    out.push(f.help("Enable Secret targets in trust-manager (Helm `secretTargets.enabled=true` with `secretTargets.authorizedSecrets` or `authorizedSecretsAll`), or use a ConfigMap target."));
}

// ---------------------------------------------------------------------------------------------------
// Label selectors (tri-state: a Namespace that is not in the input has unknown labels).

/// A selector for messages: `a=b, c In (x, y)`.
fn describe_selector(selector: Option<&Node>) -> String {
    let Some(sel) = selector else {
        return "(none)".to_string();
    };
    let mut parts: Vec<String> = sel
        .get("matchLabels")
        .map_or(&[][..], Node::entries)
        .iter()
        .map(|e| format!("{}={}", e.key, e.value.scalar_text().unwrap_or("")))
        .collect();
    for expr in sel.get("matchExpressions").map_or(&[][..], Node::items) {
        let values: Vec<&str> = expr
            .get("values")
            .map_or(&[][..], Node::items)
            .iter()
            .filter_map(Node::scalar_text)
            .collect();
        parts.push(format!(
            "{} {}{}",
            expr.str_at(&["key"]).unwrap_or("?"),
            expr.str_at(&["operator"]).unwrap_or("?"),
            if values.is_empty() {
                String::new()
            } else {
                format!(" ({})", values.join(", "))
            }
        ));
    }
    parts.join(", ")
}

// ---------------------------------------------------------------------------------------------------
// Linkerd trust roots.

#[derive(Deserialize)]
struct LinkerdValues {
    #[serde(default)]
    identity: Option<LinkerdIdentity>,
}

#[derive(Deserialize)]
struct LinkerdIdentity {
    #[serde(rename = "externalCA", default)]
    external_ca: Option<bool>,
}

/// Whether Linkerd runs with an external CA in namespace `l`, as (object, pointer, reason).
pub(crate) fn linkerd_external_ca(inv: &Inventory, l: &str) -> Option<(ObjId, String, String)> {
    let cert = inv
        .certificates_for_secret(Some(l), ISSUER_SECRET)
        .first()
        .or_else(|| inv.certificates_for_secret(None, ISSUER_SECRET).first());
    if let Some(&c) = cert {
        return Some((
            c,
            pointer(["spec", "secretName"]),
            format!(
                "Certificate `{}` writes the identity issuer Secret `{ISSUER_SECRET}`",
                show(inv.get(c))
            ),
        ));
    }
    let config = inv
        .find("", "ConfigMap", Some(l), "linkerd-config")
        .or_else(|| inv.find("", "ConfigMap", None, "linkerd-config"))?;
    let values = inv.get(config).root.str_at(&["data", "values"])?;
    let parsed: LinkerdValues = serde_saphyr::from_str(values).ok()?;
    (parsed.identity?.external_ca == Some(true)).then(|| {
        (
            config,
            pointer(["data", "values"]),
            format!(
                "ConfigMap `{}` records `identity.externalCA: true`",
                show(inv.get(config))
            ),
        )
    })
}

fn check_linkerd(inv: &Inventory, views: &[View], out: &mut Vec<Finding>) {
    let l = inv.settings.linkerd_namespace.as_str();
    for &cm in inv.of_kind("", "ConfigMap") {
        let obj = inv.get(cm);
        if obj.id.name != ROOTS {
            continue;
        }
        match obj.root.path(&["data", ROOTS_KEY]) {
            Some(node) => {
                let value = node.scalar_text().unwrap_or("");
                if unrendered(value) {
                    continue;
                }
                let site = Site {
                    object: cm,
                    pointer: pointer(["data", ROOTS_KEY]),
                    what: format!("`{ROOTS_KEY}` of ConfigMap `{}`", show(obj)),
                    related: Vec::new(),
                };
                check_value(inv, &site, value, Encoding::Pem, Role::LinkerdRoots, out);
            }
            None => out.push(
                Finding::new(
                    ID,
                    Severity::Warning,
                    cm,
                    if obj.root.get("data").is_some() {
                        pointer(["data"])
                    } else {
                        pointer(["metadata", "name"])
                    },
                    format!(
                        "ConfigMap `{}` has no `{ROOTS_KEY}` key: Linkerd reads its trust anchors from that key only",
                        show(obj)
                    ),
                )
                .help(HELP_ROOTS),
            ),
        }
    }
    let labels = namespace_labels(inv, l);
    for v in views.iter().filter(|v| v.name == ROOTS) {
        if !v.cm_keys.iter().any(|(k, _)| *k == ROOTS_KEY) {
            let (ptr, what) = match (v.cm_keys.first(), &v.cm_target) {
                (Some((k, p)), _) => (p.clone(), format!("writes its ConfigMap with key `{k}`")),
                (None, Some(p)) => (p.clone(), "writes no PEM key to its ConfigMap".to_string()),
                (None, None) => (v.selector_ptr.clone(), "writes no ConfigMap".to_string()),
            };
            out.push(
                Finding::new(
                    ID,
                    Severity::Warning,
                    v.id,
                    ptr,
                    format!(
                        "{} `{ROOTS}` {what}, but Linkerd reads its trust anchors from ConfigMap `{ROOTS}` key `{ROOTS_KEY}`",
                        v.kind
                    ),
                )
                .help(format!("Set the ConfigMap target key to `{ROOTS_KEY}`.")),
            );
        }
        let selector = v.selector.filter(|s| !s.is_null());
        match selects(selector, &labels) {
            Tri::Yes => {}
            Tri::No => out.push(
                Finding::new(
                    ID,
                    Severity::Warning,
                    v.id,
                    v.selector_ptr.clone(),
                    format!(
                        "the namespaceSelector of {} `{ROOTS}` ({}) does not select the Linkerd namespace `{l}` (labels: {}): trust-manager never writes the trust roots there",
                        v.kind,
                        describe_selector(selector),
                        labels
                            .known
                            .iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .help(format!(
                    "Label Namespace `{l}` to match (Linkerd's docs: `kubectl label namespace {l} linkerd.io/is-control-plane=true`), or select it with `kubernetes.io/metadata.name: {l}`; set `settings.linkerdNamespace` if Linkerd runs elsewhere."
                )),
            ),
            Tri::Unknown => out.push(
                Finding::new(
                    ID,
                    Severity::Info,
                    v.id,
                    v.selector_ptr.clone(),
                    format!(
                        "Namespace `{l}` is not in the input: verify it matches the namespaceSelector of {} `{ROOTS}` ({}), or trust-manager never writes Linkerd's trust roots there",
                        v.kind,
                        describe_selector(selector)
                    ),
                )
                .help(format!(
                    "Linkerd's docs label the namespace by hand: `kubectl label namespace {l} linkerd.io/is-control-plane=true`."
                )),
            ),
        }
    }
    let Some((det, ptr, why)) = linkerd_external_ca(inv, l) else {
        return;
    };
    let cm_present = inv.exists("", "ConfigMap", Some(l), ROOTS)
        || inv.find("", "ConfigMap", None, ROOTS).is_some();
    if cm_present || views.iter().any(|v| v.name == ROOTS) {
        return;
    }
    out.push(
        Finding::new(
            ID,
            Severity::Warning,
            det,
            ptr,
            format!(
                "Linkerd uses an external CA ({why}), but neither ConfigMap `{l}/{ROOTS}` (key `{ROOTS_KEY}`) nor a trust-manager Bundle `{ROOTS}` is in the input: with `identity.externalCA=true` the chart does not create the trust roots, and without them the identity controller and every proxy fail"
            ),
        )
        .help(format!(
            "Distribute the trust anchor with a trust-manager Bundle named `{ROOTS}` (sources: the trust anchor Secret/ConfigMap in the trust namespace; target `configMap.key: {ROOTS_KEY}`; namespaceSelector matching `{l}`), or create the ConfigMap yourself; declare it in the config if it is managed elsewhere."
        )),
    );
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

    fn run(yaml: &str) -> Vec<Finding> {
        run_check(check, yaml, settings())
    }

    #[test]
    fn glob_follows_path_match() {
        assert!(glob("*", "tls.crt"));
        assert!(glob("*.crt", "ca.crt") && glob("*.crt", "tls.crt"));
        assert!(!glob("*.crt", "tls.key"));
        assert!(glob("ca.crt", "ca.crt") && !glob("ca.crt", "xca.crt"));
        assert!(glob("t?s.*", "tls.key") && glob("*s.c*t", "tls.crt"));
        assert!(!glob("", "x") && glob("", ""));
    }

    #[test]
    fn flags_in_both_forms() {
        assert_eq!(
            flag_value(&["--trust-namespace=trust"], "--trust-namespace"),
            Some("trust")
        );
        assert_eq!(
            flag_value(&["--trust-namespace", "t2"], "--trust-namespace"),
            Some("t2")
        );
        assert_eq!(
            flag_value(&["--trust-namespaces=x"], "--trust-namespace"),
            None
        );
    }

    fn ca_pem(cn: &str, from: (i32, u8, u8), to: (i32, u8, u8), ca: bool) -> String {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::CommonName, cn);
        if ca {
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        }
        p.not_before = rcgen::date_time_ymd(from.0, from.1, from.2);
        p.not_after = rcgen::date_time_ymd(to.0, to.1, to.2);
        p.self_signed(&KeyPair::generate().unwrap()).unwrap().pem()
    }

    fn inline_bundle(pem: &str) -> String {
        let indented: String = pem.lines().map(|l| format!("        {l}\n")).collect();
        format!(
            "apiVersion: trust.cert-manager.io/v1alpha1\nkind: Bundle\nmetadata: {{name: b}}\nspec:\n  sources:\n    - inLine: |\n{indented}  target:\n    configMap: {{key: ca.crt}}\n"
        )
    }

    #[test]
    fn inline_expiry_uses_the_horizon() {
        let good = ca_pem("good", (2020, 1, 1), (2030, 1, 1), true);
        assert!(run(&inline_bundle(&good)).is_empty());
        let old = ca_pem("old", (2010, 1, 1), (2011, 1, 1), true);
        let f = run(&inline_bundle(&old));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(f[0].message.contains("every certificate has expired"));
        // Expired next to valid: info only (rotation pair).
        let f = run(&inline_bundle(&format!("{good}{old}")));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info);
        let soon = ca_pem("soon", (2020, 1, 1), (2026, 12, 10), true);
        let f = run(&inline_bundle(&soon));
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.contains("outlives the next 30 days"),
            "{}",
            f[0].message
        );
        // A self-signed certificate without the CA flag (v1-style root) is a root, not a leaf.
        let v1 = ca_pem("v1-root", (2020, 1, 1), (2030, 1, 1), false);
        assert!(run(&inline_bundle(&v1)).is_empty());
    }

    #[test]
    fn inline_garbage_and_keys() {
        let f = run(&inline_bundle("just some text"));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        let f = run(&inline_bundle(
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
        ));
        assert_eq!(f[0].severity, Severity::Error);
        let key = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----";
        let f = run(&inline_bundle(key));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Error);
        assert!(!f[0].message.contains("AAAA"));
    }

    #[test]
    fn trust_namespace_comes_from_the_deployment() {
        let yaml = "apiVersion: trust.cert-manager.io/v1alpha1
kind: Bundle
metadata: {name: b}
spec:
  sources: [{configMap: {name: roots, key: ca.crt}}]
  target: {configMap: {key: ca.crt}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: roots, namespace: cert-manager}
data: {ca.crt: x}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: trust-manager, namespace: trust}
spec:
  template:
    spec:
      containers:
        - name: trust-manager
          image: quay.io/jetstack/trust-manager:v0.20.2
          args: [--trust-namespace=trust]
";
        let f = run(yaml);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].severity, Severity::Error);
        assert!(
            f[0].message
                .contains("`--trust-namespace` of Deployment `trust/trust-manager`")
        );
        assert_eq!(f[0].pointer, "/spec/sources/0/configMap/name");
    }

    #[test]
    fn selectors_are_tri_state() {
        let inv = Inventory::from_yaml(
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: linkerd, labels: {linkerd.io/is-control-plane: 'true'}}\n",
            settings(),
        );
        let sel = |s: &str| {
            Inventory::from_yaml(
                &format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\ndata: {s}\n"),
                settings(),
            )
        };
        let known = namespace_labels(&inv, "linkerd");
        let unknown = namespace_labels(&inv, "other");
        let s = sel("{matchLabels: {linkerd.io/is-control-plane: 'true'}}");
        let node = s.get(0).root.get("data");
        assert_eq!(selects(node, &known), Tri::Yes);
        assert_eq!(selects(node, &unknown), Tri::Unknown);
        let s = sel(
            "{matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [app]}]}",
        );
        let node = s.get(0).root.get("data");
        assert_eq!(selects(node, &known), Tri::No);
        assert_eq!(selects(node, &unknown), Tri::No);
        assert_eq!(selects(None, &unknown), Tri::Yes);
    }

    #[test]
    fn linkerd_values_detect_external_ca() {
        let yaml = "apiVersion: v1
kind: ConfigMap
metadata: {name: linkerd-config, namespace: linkerd}
data:
  values: |
    controllerImage: cr.l5d.io/linkerd/controller
    identity:
      externalCA: true
      issuer:
        scheme: kubernetes.io/tls
";
        let f = run(yaml);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        assert_eq!(f[0].pointer, "/data/values");
        let f = run(&yaml.replace("externalCA: true", "externalCA: false"));
        assert!(f.is_empty());
        // Another namespace than settings.linkerdNamespace: not Linkerd's.
        let f = run(&yaml.replace("namespace: linkerd", "namespace: other"));
        assert!(f.is_empty());
    }

    #[test]
    fn unknown_namespace_labels_are_info_and_literal_tls_secrets_need_one_key() {
        let yaml = "apiVersion: trust.cert-manager.io/v1alpha1
kind: Bundle
metadata: {name: linkerd-identity-trust-roots}
spec:
  sources: [{secret: {name: anchor, includeAllKeys: true}}]
  target:
    configMap: {key: ca-bundle.crt}
    namespaceSelector: {matchLabels: {linkerd.io/is-control-plane: 'true'}}
---
apiVersion: v1
kind: Secret
type: kubernetes.io/tls
metadata: {name: anchor, namespace: cert-manager}
data: {tls.crt: '', tls.key: ''}
";
        let f = run(yaml);
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(f[0].pointer, "/spec/sources/0/secret/includeAllKeys");
        assert_eq!(f[1].severity, Severity::Info);
        assert_eq!(f[1].pointer, "/spec/target/namespaceSelector");
        // One key of an Opaque Secret: the (empty) value adds nothing → warning, nothing else.
        let f = run(&yaml
            .replace("includeAllKeys: true", "key: tls.crt")
            .replace("type: kubernetes.io/tls\n", ""));
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(
            f[0].message.contains("is empty in the manifest"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].severity, Severity::Info);
        assert_eq!(f[0].pointer, "/data/tls.crt");
    }
}
