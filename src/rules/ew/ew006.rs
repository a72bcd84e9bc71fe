//! EW006 linkerd-identity-issuer-invalid: the Linkerd identity issuer cannot sign proxy certificates
//! that the mesh trusts.
//!
//! Linkerd's identity controller loads its issuer from the Secret `linkerd-identity-issuer` in the
//! control-plane namespace and verifies it against the trust anchors (ConfigMap
//! `linkerd-identity-trust-roots`, key `ca-bundle.crt`) before issuing anything (linkerd2 identity
//! `loadCredentials`: `creds.Crt.Verify(trustAnchors, "", …)`, "Don't verify with dns name as this is
//! not a leaf certificate"). The docs: "All certificates must use the ECDSA P-256 algorithm";
//! `linkerd check`: "issuer certificate must use P-256 curve".
//!
//! **cert-manager Certificate** with `spec.secretName: linkerd-identity-issuer`:
//! * `isCA` not `true` → error ("for Linkerd you _must_ set isCA to true").
//! * `privateKey.algorithm` not `ECDSA` (unset means RSA) or `privateKey.size` set and not 256 → error.
//!   The same key check on the trust-anchor Certificate: the `isCA` Certificate writing the Secret of
//!   the CA issuer that signs the identity issuer (issuerRef → CA Issuer/ClusterIssuer →
//!   `ca.secretName`, read from the cluster resource namespace for a ClusterIssuer).
//! * issuerRef resolves to a `selfSigned` issuer → error: the identity issuer must be signed by the
//!   trust anchor in `linkerd-identity-trust-roots`.
//! * namespace not a Linkerd control-plane namespace → error ("the Certificate itself _must_ be in
//!   the linkerd namespace"). Control-plane namespaces: `settings.linkerdNamespace` (default
//!   `linkerd`), Namespaces labelled `linkerd.io/is-control-plane: "true"`, and the namespace of a
//!   Linkerd identity Deployment (`-controller-namespace`). Namespace-less Certificates are skipped.
//! * `commonName` ≠ `identity.<linkerd ns>.<trust domain>` → info only (conventional: the name is not
//!   verified). The trust domain is the identity Deployment's `-identity-trust-domain` in that
//!   namespace, else `settings.trustDomain`.
//! * `privateKey.rotationPolicy` set to anything but `Always` → warning (the docs strongly recommend
//!   `Always`); unset → info (the default is `Always` only since cert-manager 1.18).
//!
//! **Literal material** (e.g. `linkerd install` / Helm output):
//! * Secret `linkerd-identity-issuer`: the keys depend on the issuer scheme — `crt.pem`/`key.pem` for
//!   `linkerd.io/tls`, `tls.crt`/`tls.key` for `kubernetes.io/tls` (the identity Deployment's
//!   `-identity-scheme` in that namespace, else the Secret's `type`). A missing or empty certificate or
//!   key → error (the key is only checked for presence, never read). The certificate must be PEM →
//!   error otherwise; its first certificate must be a CA → error, ECDSA P-256 → error, and within its
//!   validity period at the run date → error (an expired issuer fails `Verify`). Its chain (further
//!   certificates of the value are intermediates) must **verify by signature** against a trust anchor
//!   of `linkerd-identity-trust-roots` in the same namespace → error otherwise. Signatures decide, not
//!   names: an issuer with the same subject DN as the anchor but its own key, validly signed by the
//!   anchor (Linkerd's default install), is fine; a same-DN issuer signed by another key is not.
//!   When the ConfigMap is not in the input (or unreadable), the signature check is skipped. If the
//!   chain verifies only with anchors outside their validity period → error (Go's `Verify` checks
//!   the anchor's validity too).
//! * ConfigMap `linkerd-identity-trust-roots`: an anchor that is not ECDSA P-256 → error (`linkerd
//!   check`: "trust roots are using supported crypto algorithm"). A missing, empty, non-PEM or
//!   expired `ca-bundle.crt` is reported by EW007 (trust distribution), not repeated here.
//!
//! Short lifetimes are correct by design (the docs issue the identity issuer for `48h` with
//! `renewBefore: 25h`): no "expires within N days" logic applies here — only an already-expired
//! certificate is an error. Secret type `kubernetes.io/tls` is expected with
//! `identity.issuer.scheme=kubernetes.io/tls`.

use std::collections::{HashMap, HashSet};

use crate::certs::{
    Bundle, Cert, Content, Encoding, KeyAlgorithm, read_value, utc_date, verify_chain,
};
use crate::load::Node;
use crate::load::node::pointer;
use crate::model::certmanager::{self, IssuerRef, IssuerType, Resolution, issuer_type};
use crate::model::{Inventory, ObjId, Settings, pod_template_of};
use crate::rules::cm::cm002::qualified;
use crate::rules::cm::cm008::{ca_secret_location, secret_value};
use crate::rules::{BuiltinRule, Finding, KindSet, Severity, unrendered};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "EW006",
    kinds,
    check,
};

const ID: &str = "EW006";

/// The identity issuer Secret (and the Certificate `secretName` that writes it).
const ISSUER_SECRET: &str = "linkerd-identity-issuer";
/// The trust anchors ConfigMap and its key.
const TRUST_ROOTS: &str = "linkerd-identity-trust-roots";
const TRUST_ROOTS_KEY: &str = "ca-bundle.crt";
const SCHEME_LINKERD: &str = "linkerd.io/tls";
const SCHEME_K8S: &str = "kubernetes.io/tls";

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![
        certmanager::KINDS,
        &[("", "ConfigMap"), ("", "Namespace"), ("apps", "Deployment")],
    ]
}

const P256_HELP: &str = "Issue it with `privateKey: {algorithm: ECDSA, size: 256}` (step: `--kty EC --crv P-256`); Linkerd requires ECDSA P-256 for the trust anchor and the identity issuer.";

/// What the input says about Linkerd control planes.
#[derive(Default)]
struct Linkerd {
    /// Control-plane namespaces.
    namespaces: HashSet<String>,
    /// Identity controller flags by namespace: (scheme, trust domain).
    identity: HashMap<String, (Option<String>, Option<String>)>,
}

impl Linkerd {
    fn build(inv: &Inventory) -> Self {
        let mut l = Linkerd::default();
        l.namespaces.insert(inv.settings.linkerd_namespace.clone());
        for &n in inv.of_kind("", "Namespace") {
            let obj = inv.get(n);
            if obj.label("linkerd.io/is-control-plane") == Some("true") {
                l.namespaces.insert(obj.id.name.to_string());
            }
        }
        for &d in inv.of_kind("apps", "Deployment") {
            let obj = inv.get(d);
            let Some(tpl) = pod_template_of(obj) else {
                continue;
            };
            for c in tpl
                .path(&["spec", "containers"])
                .map_or(&[][..], Node::items)
            {
                let args = c.get("args").map_or(&[][..], Node::items);
                let image = c.get("image").and_then(Node::scalar_text).unwrap_or("");
                if args.first().and_then(Node::scalar_text) != Some("identity")
                    || !image.contains("linkerd")
                {
                    continue;
                }
                let flag = |name: &str| go_flag(args, name).filter(|v| !unrendered(v));
                let Some(ns) = flag("controller-namespace").or(obj.ns().map(str::to_string)) else {
                    continue;
                };
                l.namespaces.insert(ns.clone());
                l.identity
                    .insert(ns, (flag("identity-scheme"), flag("identity-trust-domain")));
            }
        }
        l
    }

    fn scheme(&self, ns: Option<&str>) -> Option<&str> {
        self.identity.get(ns?)?.0.as_deref()
    }

    fn trust_domain<'a>(&'a self, ns: &str, settings: &'a Settings) -> &'a str {
        self.identity
            .get(ns)
            .and_then(|(_, td)| td.as_deref())
            .unwrap_or(&settings.trust_domain)
    }
}

/// A Go `flag` value: `-name=value`, `--name=value`, or `-name value`.
fn go_flag(args: &[Node], name: &str) -> Option<String> {
    let mut found = None;
    for (i, a) in args.iter().enumerate() {
        let Some(t) = a.scalar_text() else { continue };
        let t = t.strip_prefix("--").or_else(|| t.strip_prefix('-'));
        let Some(t) = t else { continue };
        if let Some(v) = t.strip_prefix(name).and_then(|r| r.strip_prefix('=')) {
            found = Some(v.to_string());
        } else if t == name {
            found = args
                .get(i + 1)
                .and_then(Node::scalar_text)
                .map(str::to_string);
        }
    }
    found
}

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    let linkerd = Linkerd::build(inv);
    let mut anchors_checked = HashSet::new();
    for &c in inv.of_kind(certmanager::GROUP, "Certificate") {
        if inv.get(c).root.str_at(&["spec", "secretName"]) == Some(ISSUER_SECRET) {
            check_certificate(inv, &linkerd, c, &mut anchors_checked, out);
        }
    }
    for &s in inv.of_kind("", "Secret") {
        if inv.get(s).id.name == ISSUER_SECRET {
            check_secret(inv, &linkerd, s, out);
        }
    }
    for &cm in inv.of_kind("", "ConfigMap") {
        if inv.get(cm).id.name == TRUST_ROOTS {
            check_trust_roots(inv, cm, out);
        }
    }
}

/// Whether a Certificate's key is ECDSA P-256: `Err((pointer, what))` otherwise; `Ok` also when a
/// value is unrendered.
fn key_problem(spec: Option<&Node>) -> Result<(), (String, String)> {
    let pk = spec.and_then(|s| s.get("privateKey"));
    let algorithm = pk
        .and_then(|p| p.get("algorithm"))
        .and_then(Node::scalar_text)
        .unwrap_or("");
    if unrendered(algorithm) {
        return Ok(());
    }
    if algorithm != "ECDSA" {
        let ptr = if pk.and_then(|p| p.get("algorithm")).is_some() {
            pointer(["spec", "privateKey", "algorithm"])
        } else if pk.is_some() {
            pointer(["spec", "privateKey"])
        } else {
            pointer(["spec"])
        };
        let what = if algorithm.is_empty() {
            "no `privateKey.algorithm` (cert-manager defaults to RSA)".to_string()
        } else {
            format!("`privateKey.algorithm: {algorithm}`")
        };
        return Err((ptr, what));
    }
    if let Some(size) = pk.and_then(|p| p.get("size")).filter(|n| !n.is_null()) {
        let text = size.scalar_text().unwrap_or("");
        if !unrendered(text) && size.as_i64() != Some(256) {
            return Err((
                pointer(["spec", "privateKey", "size"]),
                format!("`privateKey.size: {text}` (ECDSA P-{text})"),
            ));
        }
    }
    Ok(())
}

/// The cert-manager Certificate that writes `linkerd-identity-issuer`.
fn check_certificate(
    inv: &Inventory,
    linkerd: &Linkerd,
    c: ObjId,
    anchors_checked: &mut HashSet<ObjId>,
    out: &mut Vec<Finding>,
) {
    let obj = inv.get(c);
    let spec = obj.spec();
    let name = qualified(obj.ns(), &obj.id.name);
    // Namespace.
    if let Some(ns) = obj.ns()
        && !unrendered(ns)
        && !linkerd.namespaces.contains(ns)
    {
        let mut known: Vec<&String> = linkerd.namespaces.iter().collect();
        known.sort();
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                c,
                pointer(["metadata", "namespace"]),
                format!(
                    "Certificate `{name}` writes Secret `{ISSUER_SECRET}` in namespace `{ns}`, but Linkerd's identity controller reads it from its control-plane namespace ({}): the mesh never uses this issuer",
                    known.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                ),
            )
            .help("Create the identity issuer Certificate in the Linkerd control-plane namespace (\"the Certificate itself must be in the linkerd namespace\"); if Linkerd runs elsewhere, set `settings.linkerdNamespace`."),
        );
    }
    // isCA.
    let is_ca = spec.and_then(|s| s.get("isCA"));
    if is_ca.and_then(Node::as_bool) != Some(true)
        && !is_ca.and_then(Node::scalar_text).is_some_and(unrendered)
    {
        let (ptr, what) = match is_ca {
            Some(n) => (
                pointer(["spec", "isCA"]),
                format!("`isCA: {}`", n.scalar_text().unwrap_or("null")),
            ),
            None => (pointer(["spec"]), "no `isCA: true`".to_string()),
        };
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                c,
                ptr,
                format!("Linkerd identity issuer Certificate `{name}` has {what}: the issuer signs every proxy certificate, so it must be a CA (\"for Linkerd you must set isCA to true\"); proxies reject certificates it signs"),
            )
            .help("Set `spec.isCA: true`, as in Linkerd's cert-manager guide."),
        );
    }
    // Key algorithm.
    if let Err((ptr, what)) = key_problem(spec) {
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                c,
                ptr,
                format!("Linkerd identity issuer Certificate `{name}` has {what}: \"All certificates must use the ECDSA P-256 algorithm\" (`linkerd check`: issuer certificate must use P-256 curve)"),
            )
            .help(P256_HELP),
        );
    }
    // Issuer chain.
    if let Some(r) = spec
        .and_then(|s| s.get("issuerRef"))
        .map(IssuerRef::from_node)
        && !unrendered(&r.name)
        && let Resolution::Found(issuer) = inv.resolve_issuer(obj.ns(), &r)
    {
        match issuer_type(inv.get(issuer)) {
            IssuerType::SelfSigned => out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    c,
                    pointer(["spec", "issuerRef", "name"]),
                    format!(
                        "Linkerd identity issuer Certificate `{name}` is issued by selfSigned {} `{}`: it is its own root, so it does not verify against the trust anchors in `{TRUST_ROOTS}` and the identity controller refuses it",
                        inv.get(issuer).id.kind,
                        qualified(inv.get(issuer).ns(), &r.name)
                    ),
                )
                .help("Issue the identity issuer from a CA issuer backed by the trust anchor (selfSigned issuer → `linkerd-trust-anchor` CA Certificate → CA issuer → identity issuer), and distribute that anchor in `linkerd-identity-trust-roots`.")
                .related([inv.obj_ref(issuer)]),
            ),
            IssuerType::Ca { .. } => {
                if let Some((ns, secret)) = ca_secret_location(inv, issuer) {
                    for &anchor in inv.certificates_for_secret(ns.as_deref(), &secret) {
                        if !anchors_checked.insert(anchor) {
                            continue;
                        }
                        if let Err((ptr, what)) = key_problem(inv.get(anchor).spec()) {
                            let a = inv.get(anchor);
                            out.push(
                                Finding::new(
                                    ID,
                                    Severity::Error,
                                    anchor,
                                    ptr,
                                    format!(
                                        "Certificate `{}` is the trust anchor of the Linkerd identity issuer `{name}` (via {} `{}`) and has {what}: \"All certificates must use the ECDSA P-256 algorithm\"",
                                        qualified(a.ns(), &a.id.name),
                                        inv.get(issuer).id.kind,
                                        r.name
                                    ),
                                )
                                .help(P256_HELP)
                                .related([inv.obj_ref(c), inv.obj_ref(issuer)]),
                            );
                        }
                    }
                }
            }
            _ => {}
        }
    }
    // Common name (conventional only).
    let ns = obj
        .ns()
        .filter(|ns| linkerd.namespaces.contains(*ns))
        .unwrap_or(&inv.settings.linkerd_namespace);
    let expected = format!("identity.{ns}.{}", linkerd.trust_domain(ns, &inv.settings));
    let cn = spec
        .and_then(|s| s.get("commonName"))
        .and_then(Node::scalar_text);
    if !cn.is_some_and(unrendered) && cn != Some(expected.as_str()) {
        out.push(Finding::new(
            ID,
            Severity::Info,
            c,
            if cn.is_some() { pointer(["spec", "commonName"]) } else { pointer(["spec"]) },
            match cn {
                Some(cn) => format!("identity issuer commonName `{cn}` differs from Linkerd's conventional `{expected}`; this is only a convention (the identity controller does not verify the issuer's name)"),
                None => format!("identity issuer has no commonName; Linkerd's convention is `{expected}` (not verified by the identity controller)"),
            },
        ));
    }
    // Rotation policy.
    let policy_node = spec.and_then(|s| s.path(&["privateKey", "rotationPolicy"]));
    match policy_node.and_then(Node::scalar_text) {
        Some("Always") => {}
        Some(p) if unrendered(p) => {}
        Some(p) => out.push(
            Finding::new(
                ID,
                Severity::Warning,
                c,
                pointer(["spec", "privateKey", "rotationPolicy"]),
                format!("identity issuer `{name}` has `privateKey.rotationPolicy: {p}`: its key is reused on every renewal; Linkerd's docs strongly recommend `Always`"),
            )
            .help("Set `privateKey.rotationPolicy: Always`."),
        ),
        None => out.push(Finding::new(
            ID,
            Severity::Info,
            c,
            if spec.and_then(|s| s.get("privateKey")).is_some() {
                pointer(["spec", "privateKey"])
            } else {
                pointer(["spec"])
            },
            format!("identity issuer `{name}` does not set `privateKey.rotationPolicy`: cert-manager ≥ 1.18 defaults to `Always` (recommended by Linkerd), older releases to `Never`; set it explicitly"),
        )),
    }
}

/// Problems of one certificate used by Linkerd identity, as (phrase, fix).
fn cert_problems(cert: &Cert, now: i64) -> Vec<(String, &'static str)> {
    let mut v = Vec::new();
    if !cert.is_ca {
        v.push((
            "is not a CA certificate (BasicConstraints CA:FALSE), so the proxy certificates it signs do not verify".to_string(),
            "Issue the identity issuer as a CA (cert-manager `isCA: true`; step `--profile intermediate-ca`).",
        ));
    }
    if cert.key
        != (KeyAlgorithm::Ecdsa {
            curve: "P-256".into(),
        })
    {
        v.push((
            format!(
                "uses {} (\"All certificates must use the ECDSA P-256 algorithm\")",
                cert.key
            ),
            P256_HELP,
        ));
    }
    if cert.not_after < now {
        v.push((
            format!("expired on {}", utc_date(cert.not_after)),
            "Issue a new certificate; let cert-manager rotate it (short lifetimes such as 48h are fine when renewal is automated).",
        ));
    } else if cert.not_before > now {
        v.push((
            format!("is not valid before {}", utc_date(cert.not_before)),
            "Check the clock of the machine that issued it, or wait until it becomes valid.",
        ));
    }
    v
}

/// A literal PEM value, or why it cannot be used.
fn read_pem(text: &str, enc: Encoding) -> Result<Bundle, String> {
    match read_value(text, enc) {
        Content::Empty => Err("is empty".into()),
        Content::NotBase64 { pem_text: true } => {
            Err("holds PEM text that is not base64-encoded (use `stringData` for PEM text)".into())
        }
        Content::NotBase64 { pem_text: false } => Err("is not valid base64".into()),
        Content::Bundle(b) => match b.problem() {
            Some(p) => Err(p),
            None => Ok(b),
        },
    }
}

/// Pointer of a Secret value (`stringData` wins over `data`).
fn secret_ptr(enc: Encoding, key: &str) -> String {
    match enc {
        Encoding::Pem => pointer(["stringData", key]),
        Encoding::Base64 => pointer(["data", key]),
    }
}

/// The trust anchors of the namespace, when the ConfigMap is in the input and readable.
fn anchors(inv: &Inventory, ns: Option<&str>) -> Option<(ObjId, Bundle)> {
    let cm = inv.find("", "ConfigMap", ns, TRUST_ROOTS)?;
    let text = inv
        .get(cm)
        .root
        .path(&["data", TRUST_ROOTS_KEY])
        .and_then(Node::scalar_text)?;
    read_pem(text, Encoding::Pem).ok().map(|b| (cm, b))
}

/// The literal Secret `linkerd-identity-issuer`.
fn check_secret(inv: &Inventory, linkerd: &Linkerd, s: ObjId, out: &mut Vec<Finding>) {
    let obj = inv.get(s);
    let secret_type = obj.root.str_at(&["type"]).unwrap_or("");
    let (scheme, from) = match linkerd.scheme(obj.ns()) {
        Some(sch) => (sch, "the identity controller's `-identity-scheme`"),
        None if secret_type == SCHEME_K8S => (SCHEME_K8S, "the Secret's `type`"),
        None => (SCHEME_LINKERD, "the default `identity.issuer.scheme`"),
    };
    if unrendered(scheme) {
        return;
    }
    let (crt_key, key_key, other) = if scheme == SCHEME_LINKERD {
        ("crt.pem", "key.pem", "tls.crt")
    } else {
        ("tls.crt", "tls.key", "crt.pem")
    };
    let name = qualified(obj.ns(), ISSUER_SECRET);
    let crt = secret_value(inv, s, crt_key);
    let key = secret_value(inv, s, key_key);
    if [&crt, &key]
        .iter()
        .any(|v| v.as_ref().is_some_and(|(t, _)| unrendered(t)))
    {
        return;
    }
    let empty = |v: &Option<(&str, Encoding)>| {
        v.as_ref().is_none_or(|(t, enc)| match enc {
            Encoding::Base64 => crate::certs::is_placeholder(t),
            Encoding::Pem => t.trim().is_empty(),
        })
    };
    let missing: Vec<&str> = [(crt_key, &crt), (key_key, &key)]
        .iter()
        .filter(|(_, v)| empty(v))
        .map(|(k, _)| *k)
        .collect();
    if !missing.is_empty() {
        let hint = if secret_value(inv, s, other).is_some() {
            format!(" (it has `{other}`: is the issuer scheme wrong?)")
        } else {
            String::new()
        };
        let ptr = if obj.root.get("data").is_some() {
            pointer(["data"])
        } else if obj.root.get("stringData").is_some() {
            pointer(["stringData"])
        } else {
            String::new()
        };
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                s,
                ptr,
                format!(
                    "Secret `{name}` has no (or an empty) {} for scheme `{scheme}` ({from}){hint}: the identity controller cannot load the issuer and no proxy gets a certificate",
                    missing.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(" and ")
                ),
            )
            .help(format!("Provide the issuer certificate and key as `{crt_key}`/`{key_key}` (scheme `{SCHEME_LINKERD}`: `crt.pem`/`key.pem`; `{SCHEME_K8S}`: `tls.crt`/`tls.key`, as written by cert-manager).")),
        );
    }
    let Some((text, enc)) = crt else {
        return;
    };
    if empty(&crt) {
        return;
    }
    let ptr = secret_ptr(enc, crt_key);
    let bundle = match read_pem(text, enc) {
        Ok(b) => b,
        Err(why) => {
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    s,
                    ptr,
                    format!("`{crt_key}` of Secret `{name}` {why}: the identity controller cannot load the issuer certificate and no proxy gets a certificate"),
                )
                .help("Store the PEM-encoded ECDSA P-256 issuer certificate (followed by any intermediates) signed by a trust anchor of `linkerd-identity-trust-roots`."),
            );
            return;
        }
    };
    let issuer = &bundle.certs[0];
    for (p, help) in cert_problems(issuer, inv.settings.now) {
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                s,
                ptr.clone(),
                format!(
                    "identity issuer certificate `{}` in Secret `{name}` {p}",
                    issuer.name()
                ),
            )
            .help(help),
        );
    }
    let Some((cm, roots)) = anchors(inv, obj.ns()) else {
        return;
    };
    let now = inv.settings.now;
    let signers = verify_chain(&bundle.certs, &roots.certs);
    if !signers.is_empty() {
        if signers.iter().all(|&i| !roots.certs[i].is_valid_at(now)) {
            let a = &roots.certs[signers[0]];
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    s,
                    ptr,
                    format!(
                        "identity issuer certificate `{}` in Secret `{name}` chains only to trust anchor `{}`, which is not valid at the run date (valid {} to {}): the identity controller's verification fails",
                        issuer.name(),
                        a.name(),
                        utc_date(a.not_before),
                        utc_date(a.not_after)
                    ),
                )
                .help("Issue a new trust anchor, add it to `linkerd-identity-trust-roots`, and re-issue the identity issuer from it.")
                .related([inv.obj_ref(cm)]),
            );
        }
    } else {
        let same_dn = roots.certs.iter().find(|a| a.subject == issuer.issuer);
        let detail = match same_dn {
            Some(a) => format!(
                "its issuer DN matches anchor `{}`, but the signature does not verify with that anchor's key: a different CA with the same name",
                a.name()
            ),
            None => format!(
                "it was issued by `{}`, and none of the anchors has that name or a key that verifies its signature",
                issuer.issuer
            ),
        };
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                s,
                ptr,
                format!(
                    "identity issuer certificate `{}` in Secret `{name}` does not verify against any trust anchor in ConfigMap `{}` (signatures checked: {detail}); the identity controller refuses to load it (\"failed to verify issuer credentials … with trust anchors\")",
                    issuer.name(),
                    qualified(obj.ns(), TRUST_ROOTS)
                ),
            )
            .help("Re-issue the identity issuer from the trust anchor in `linkerd-identity-trust-roots`, or add the anchor that signed it to `ca-bundle.crt`.")
            .related([inv.obj_ref(cm)]),
        );
    }
}

/// The trust anchors ConfigMap: the key algorithm of every anchor. Whether `ca-bundle.crt` exists,
/// is PEM and holds unexpired anchors is EW007's (trust distribution), not repeated here.
fn check_trust_roots(inv: &Inventory, cm: ObjId, out: &mut Vec<Finding>) {
    let obj = inv.get(cm);
    let Some(text) = obj
        .root
        .path(&["data", TRUST_ROOTS_KEY])
        .and_then(Node::scalar_text)
        .filter(|t| !unrendered(t))
    else {
        return;
    };
    let Ok(roots) = read_pem(text, Encoding::Pem) else {
        return;
    };
    let p256 = KeyAlgorithm::Ecdsa {
        curve: "P-256".into(),
    };
    for a in roots.certs.iter().filter(|a| a.key != p256) {
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                cm,
                pointer(["data", TRUST_ROOTS_KEY]),
                format!(
                    "trust anchor `{}` in ConfigMap `{}` uses {} (\"All certificates must use the ECDSA P-256 algorithm\"; `linkerd check`: trust roots are using supported crypto algorithm)",
                    a.name(),
                    qualified(obj.ns(), TRUST_ROOTS),
                    a.key
                ),
            )
            .help("Replace the trust anchor with an ECDSA P-256 CA certificate and re-issue the identity issuer from it (keep both anchors in the bundle while proxies restart)."),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::run_check;

    fn settings() -> Settings {
        Settings {
            now: 1_795_651_200, // 2026-11-26
            ..Settings::default()
        }
    }

    fn run(yaml: &str) -> Vec<Finding> {
        run_check(check, yaml, settings())
    }

    fn messages(f: &[Finding]) -> Vec<String> {
        f.iter()
            .map(|f| format!("{:?} {} {}", f.severity, f.pointer, f.message))
            .collect()
    }

    const GOOD: &str = "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: linkerd-identity-issuer, namespace: linkerd}\nspec:\n  secretName: linkerd-identity-issuer\n  duration: 48h\n  renewBefore: 25h\n  isCA: true\n  commonName: identity.linkerd.cluster.local\n  privateKey: {algorithm: ECDSA, rotationPolicy: Always}\n  issuerRef: {name: linkerd-trust-anchor, kind: ClusterIssuer}\n";

    #[test]
    fn docs_certificate_is_fine() {
        let f = run(GOOD);
        assert!(f.is_empty(), "{:?}", messages(&f));
    }

    #[test]
    fn certificate_conditions() {
        let bad = GOOD
            .replace("isCA: true", "isCA: false")
            .replace("algorithm: ECDSA, ", "")
            .replace("rotationPolicy: Always", "rotationPolicy: Never")
            .replace("namespace: linkerd}", "namespace: apps}")
            .replace(
                "commonName: identity.linkerd.cluster.local",
                "commonName: issuer",
            );
        let f = run(&bad);
        let m = messages(&f);
        assert_eq!(f.len(), 5, "{m:?}");
        assert!(m[0].contains("/metadata/namespace"), "{m:?}");
        assert!(m[1].contains("/spec/isCA"));
        assert!(m[2].contains("defaults to RSA"));
        assert!(m[3].starts_with("Info /spec/commonName"));
        assert!(m[4].starts_with("Warning /spec/privateKey/rotationPolicy"));
        // ECDSA P-384 is rejected too; P-256 written explicitly is fine.
        let f = run(&GOOD.replace("algorithm: ECDSA,", "algorithm: ECDSA, size: 384,"));
        assert!(f[0].message.contains("size: 384"), "{:?}", messages(&f));
        assert!(run(&GOOD.replace("algorithm: ECDSA,", "algorithm: ECDSA, size: 256,")).is_empty());
    }

    #[test]
    fn control_plane_namespace_from_input() {
        let ns = "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: l5d, labels: {linkerd.io/is-control-plane: \"true\"}}\n";
        let c = GOOD
            .replace("namespace: linkerd}", "namespace: l5d}")
            .replace("identity.linkerd.", "identity.l5d.");
        let f = run(&format!("{c}{ns}"));
        assert!(f.is_empty(), "{:?}", messages(&f));
        // Trust domain from the identity Deployment.
        let dep = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: linkerd-identity, namespace: linkerd}\nspec:\n  template:\n    spec:\n      containers:\n      - name: identity\n        image: cr.l5d.io/linkerd/controller:edge\n        args: [identity, -identity-trust-domain=example.org, -identity-scheme, kubernetes.io/tls]\n";
        let f = run(&format!("{GOOD}{dep}"));
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("identity.linkerd.example.org"));
        let l = Linkerd::build(&Inventory::from_yaml(dep, settings()));
        assert_eq!(l.scheme(Some("linkerd")), Some(SCHEME_K8S));
    }

    #[test]
    fn selfsigned_issuer_and_rsa_anchor() {
        let selfsigned = "---\napiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: linkerd-trust-anchor}\nspec: {selfSigned: {}}\n";
        let f = run(&format!("{GOOD}{selfsigned}"));
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("selfSigned"), "{:?}", messages(&f));
        let chain = "---\napiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: linkerd-trust-anchor}\nspec: {ca: {secretName: linkerd-trust-anchor}}\n---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: linkerd-trust-anchor, namespace: cert-manager}\nspec:\n  secretName: linkerd-trust-anchor\n  isCA: true\n  commonName: root.linkerd.cluster.local\n  privateKey: {algorithm: RSA, size: 2048}\n  issuerRef: {name: selfsigned, kind: ClusterIssuer}\n";
        let f = run(&format!("{GOOD}{chain}"));
        assert_eq!(f.len(), 1, "{:?}", messages(&f));
        assert!(f[0].message.contains("trust anchor"));
        assert_eq!(f[0].pointer, "/spec/privateKey/algorithm");
    }

    #[test]
    fn secret_keys_by_scheme() {
        let s = "apiVersion: v1\nkind: Secret\nmetadata: {name: linkerd-identity-issuer, namespace: linkerd}\ntype: kubernetes.io/tls\ndata: {crt.pem: dGVzdA==, key.pem: dGVzdA==}\n";
        let f = run(s);
        assert_eq!(f.len(), 1, "{:?}", messages(&f));
        assert!(f[0].message.contains("`tls.crt` and `tls.key`"));
        assert!(f[0].message.contains("scheme wrong"));
        // Not PEM, and nothing from the key is ever quoted.
        let s = "apiVersion: v1\nkind: Secret\nmetadata: {name: linkerd-identity-issuer, namespace: linkerd}\ndata: {crt.pem: dGVzdC1jcnQtcGVt, key.pem: c2VjcmV0LWtleS1ieXRlcw==}\n";
        let f = run(s);
        assert_eq!(f.len(), 1, "{:?}", messages(&f));
        assert!(f[0].message.contains("not a PEM certificate bundle"));
        assert!(!f[0].message.contains("secret-key") && !f[0].message.contains("c2VjcmV0"));
    }

    #[test]
    fn trust_roots_text_is_left_to_ew007() {
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: linkerd-identity-trust-roots, namespace: linkerd}\ndata: {ca-bundle.crt: test-trust-anchor}\n";
        assert!(run(cm).is_empty());
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: linkerd-identity-trust-roots, namespace: linkerd}\ndata: {other: x}\n";
        assert!(run(cm).is_empty());
    }
}
