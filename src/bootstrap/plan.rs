//! Planning (RULES.md §8): from the findings of CM002 (missing Issuer/ClusterIssuer), WH002 (webhook
//! without CA source) and WH004 (`inject-ca-from` naming a missing Certificate) plus the inventory,
//! decide which cert-manager objects to create and which existing objects to patch. Pure: no I/O.
//!
//! * **Missing issuer** (CM002, only when nothing of that name exists in another scope or namespace:
//!   those are wrong references, not missing issuers) → an issuer with the missing name and kind, so
//!   the reference resolves:
//!   - a CA issuer backed by the standard chain (§8.1/§8.2): self-signed ClusterIssuer → CA Certificate
//!     (in the cluster resource namespace for a ClusterIssuer, in the Issuer's namespace for an
//!     Issuer) → CA issuer. Every CA issuer of one namespace shares that namespace's CA;
//!   - a `selfSigned` issuer instead when every referrer is itself a CA Certificate (`isCA: true`: the
//!     missing issuer is the root of an existing chain) or the name says so (`selfsigned`);
//!   - an AWS Private CA issuer for a missing `awspca.cert-manager.io` kind (needs `--pca-arn`).
//! * **Webhook without CA source** (WH002, WH004, `--webhook ns/svc`) → a serving Certificate in the
//!   Service namespace (named `<svc>-serving-cert`, or the name `inject-ca-from` already asks for)
//!   with the names the API server dials (§8.3), issued by the CA issuer (an existing one, else the
//!   chain); a patch adding `cert-manager.io/inject-ca-from` to the webhook configuration, CRD or
//!   APIService; and, when the backing pods do not mount the Certificate's Secret, a patch adding the
//!   volume and mount to their workload. A Secret the server already mounts as its certificate is
//!   reused as `secretName`; a Certificate that already writes it is reused as is.
//! * `--pca-arn`: the AWS Private CA issuer replaces the self-signed root (§8.5): serving Certificates
//!   are issued by it directly, CA issuers get a subordinate CA Certificate issued by it.
//! * `--local-ca`: a locally generated root in a `kubernetes.io/tls` Secret replaces the self-signed
//!   issuer and the CA Certificate.
//! * `--trust` (§8.4): a ConfigMap with the root certificate in the trust namespace and a trust-manager
//!   Bundle distributing it (the ConfigMap only when the certificate is known at planning time).
//!
//! Nothing that exists in the input (or is declared in the configuration's `objects:`) is emitted. An
//! existing object with a planned name but an unusable type is a conflict: planning stops with an
//! error naming the flag that picks another name.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Value, json};

use super::Plan;
use super::local_ca::LocalCa;
use crate::engine::Diagnostic;
use crate::load::Node;
use crate::model::certmanager::{
    AWSPCA_GROUP, GROUP, IssuerRef, IssuerType, Resolution, issuer_type,
};
use crate::model::webhook::{self, CaSource, Injectable, PortResolution, Target, TargetPort};
use crate::model::{Inventory, ObjId, ObjRef, group_of};

/// Docs name of the self-signed ClusterIssuer (`--selfsigned-name`).
pub const SELFSIGNED_NAME: &str = "selfsigned-issuer";
/// Docs name of the CA Certificate (`--ca-name`).
pub const CA_NAME: &str = "my-selfsigned-ca";
/// Docs name of the CA Secret (`--ca-secret`).
pub const CA_SECRET: &str = "root-secret";
/// Docs name of the CA issuer (`--ca-issuer-name`).
pub const CA_ISSUER_NAME: &str = "my-ca-issuer";
/// Name of the AWS Private CA issuer (`--pca-issuer-name`).
pub const PCA_ISSUER_NAME: &str = "aws-pca-issuer";
/// controller-runtime's default serving certificate directory.
pub const CERT_DIR: &str = "/tmp/k8s-webhook-server/serving-certs";
/// Name of the volume added to webhook workloads.
pub const VOLUME_NAME: &str = "webhook-certs";
/// Namespace label the trust Bundle targets.
pub const TRUST_LABEL: &str = "tlscheck.io/trust";
/// The cainjector annotation the webhook patches set.
pub const INJECT_CA_FROM: &str = webhook::INJECT_CA_FROM;
/// The rules whose findings bootstrap acts on.
pub const TRIGGER_RULES: [&str; 3] = ["CM002", "WH002", "WH004"];
/// Serving certificate lifetime and renewal (§8.3).
const SERVING_DURATION: &str = "2160h";
const SERVING_RENEW_BEFORE: &str = "720h";
/// Lifetime of a subordinate CA issued by AWS Private CA when `--ca-duration` is not given: without a
/// duration the PCA issuer uses 30 days.
const PCA_SUBCA_DURATION: &str = "8760h";
const RENEW_BEFORE: &str = "720h";

/// The AWS Private CA variant (§8.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PcaOptions {
    /// `--pca-arn`: the certificate authority ARN.
    pub arn: String,
    /// `--region` (default: the ARN's region).
    pub region: Option<String>,
    /// `--role`: IAM role to assume.
    pub role: Option<String>,
    /// `--pca-issuer-name`.
    pub issuer_name: String,
    /// `--pca-approver-rbac`: emit the approver ClusterRole and binding for cert-manager.
    pub approver_rbac: bool,
}

/// What to plan, and the names to use.
#[derive(Clone, Debug)]
pub struct Options {
    /// `--namespace`: the namespaced variant (§8.2): CA Certificate and CA `Issuer` in this namespace.
    pub namespace: Option<String>,
    /// `--selfsigned-name`.
    pub selfsigned_name: String,
    /// `--ca-name`: the CA Certificate (and its common name).
    pub ca_name: String,
    /// `--ca-secret`: the CA Secret.
    pub ca_secret: String,
    /// `--ca-issuer-name`. When given, that issuer is ensured even without findings; when not, the
    /// webhooks use an existing CA ClusterIssuer if the input has exactly one, else `my-ca-issuer`.
    pub ca_issuer_name: Option<String>,
    /// `--ca-duration` (recommended delta, Go duration), also the local CA's lifetime.
    pub ca_duration: Option<String>,
    /// `--ca-org` (recommended delta): subject organization of the CA.
    pub ca_org: Option<String>,
    /// `--webhook ns/svc`: wire these webhook Services even without findings.
    pub webhooks: Vec<(String, String)>,
    /// `--pca-arn` and friends.
    pub pca: Option<PcaOptions>,
    /// `--trust`.
    pub trust: bool,
    /// `--cluster-domain` for the fully qualified serving name.
    pub cluster_domain: String,
    /// `--cluster-resource-namespace` when given (else detected from the cert-manager controller's
    /// arguments in the input, else the settings).
    pub cluster_resource_namespace: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            namespace: None,
            selfsigned_name: SELFSIGNED_NAME.into(),
            ca_name: CA_NAME.into(),
            ca_secret: CA_SECRET.into(),
            ca_issuer_name: None,
            ca_duration: None,
            ca_org: None,
            webhooks: Vec::new(),
            pca: None,
            trust: false,
            cluster_domain: "cluster.local".into(),
            cluster_resource_namespace: None,
        }
    }
}

/// A plan and what the user should know about it.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// The objects and patches; `reasons` has one line per object, then one per patch.
    pub plan: Plan,
    /// Things bootstrap did not do, or that need a manual step (stderr).
    pub notes: Vec<String>,
    /// Prerequisites outside Kubernetes (AWS Private CA: IAM policy, approver RBAC), for stderr.
    pub prerequisites: Vec<String>,
    /// The cluster resource namespace used.
    pub resource_namespace: String,
}

/// Identity of a planned object: (group, kind, namespace, name).
type Key = (String, String, Option<String>, String);

/// Order of stages in the plan (dependency order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Namespace,
    Rbac,
    RootIssuer,
    CaMaterial,
    CaIssuer,
    Serving,
    TrustSource,
    TrustBundle,
}

#[derive(Debug)]
struct Item {
    stage: Stage,
    value: Value,
    /// What the object is for.
    role: String,
    /// The findings (or flags) that call for it.
    causes: Vec<String>,
}

impl Item {
    fn reason(&self) -> String {
        if self.causes.is_empty() {
            self.role.clone()
        } else {
            format!("{} — for {}", self.role, self.causes.join("; "))
        }
    }
}

/// An issuer reference for `spec.issuerRef`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct IssuerChoice {
    group: String,
    kind: String,
    name: String,
    /// Namespace of a namespaced issuer (`None` for cluster-scoped ones or namespace-less objects).
    namespace: Option<String>,
}

impl IssuerChoice {
    fn to_ref(&self) -> Value {
        json!({"name": self.name, "kind": self.kind, "group": self.group})
    }

    fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// A missing issuer, with what refers to it.
#[derive(Debug)]
struct MissingIssuer {
    r: IssuerChoice,
    /// Every referrer is a CA Certificate.
    all_ca: bool,
    reasons: Vec<String>,
}

/// A webhook Service to serve with a cert-manager Certificate.
#[derive(Debug, Default)]
struct Wiring {
    /// Injectables (objects to annotate) calling it.
    injectables: Vec<ObjId>,
    /// A Certificate name `inject-ca-from` already asks for.
    requested: Option<String>,
    /// Callee indexes (into the graph) targeting it, for the backend.
    callees: Vec<usize>,
    /// Why it is wired (all findings).
    reasons: Vec<String>,
    /// The findings on each injectable.
    causes: BTreeMap<ObjId, Vec<String>>,
}

struct Builder<'a> {
    inv: &'a Inventory,
    /// File names by `Object::file`, for causes.
    files: &'a [String],
    opts: &'a Options,
    local_ca: Option<&'a LocalCa>,
    resource_ns: String,
    items: Vec<Item>,
    index: HashMap<Key, usize>,
    patches: Vec<Item>,
    patch_index: HashMap<Key, usize>,
    notes: Vec<String>,
    prerequisites: Vec<String>,
    /// CA Secret of each chain home (namespace of the CA Secret; `None`: namespace-less).
    chains: BTreeMap<Option<String>, String>,
    /// The issuer of serving Certificates, once decided.
    serving_issuer: Option<IssuerChoice>,
}

/// Where a finding's object is.
pub fn object_of(inv: &Inventory, r: &ObjRef) -> Option<ObjId> {
    inv.find(
        group_of(&r.api_version),
        &r.kind,
        r.namespace.as_deref(),
        &r.name,
    )
}

fn key_of(v: &Value) -> Key {
    let s = |p: &str| {
        v.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    (
        group_of(&s("/apiVersion")).to_string(),
        s("/kind"),
        v.pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .map(str::to_string),
        s("/metadata/name"),
    )
}

/// `metadata` with `name` and, when given, `namespace`.
fn meta(ns: Option<&str>, name: &str) -> Value {
    match ns {
        Some(ns) => json!({"name": name, "namespace": ns}),
        None => json!({"name": name}),
    }
}

fn qualified(ns: Option<&str>, name: &str) -> String {
    match ns {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    }
}

/// One line (reasons become `# why:` comments).
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Add the `; `-separated causes not yet listed.
fn add_causes(causes: &mut Vec<String>, cause: &str) {
    for c in cause.split("; ").map(one_line).filter(|c| !c.is_empty()) {
        if !causes.contains(&c) {
            causes.push(c);
        }
    }
}

/// The cluster resource namespace cert-manager's controller is started with in the input
/// (`--cluster-resource-namespace`, `$(POD_NAMESPACE)` resolved to its namespace).
pub fn detect_resource_namespace(inv: &Inventory) -> Option<String> {
    for (w, spec) in inv.pod_specs() {
        for c in webhook::containers(spec) {
            let image = c.str_at(&["image"]).unwrap_or("");
            if !image.contains("cert-manager-controller") {
                continue;
            }
            if let Some(v) = flag_value(c, &["--cluster-resource-namespace"]) {
                if v == "$(POD_NAMESPACE)" {
                    return w.ns().map(str::to_string);
                }
                if !crate::rules::unrendered(&v) && !v.is_empty() {
                    return Some(v);
                }
            }
        }
    }
    None
}

/// The value of a `--flag=value` / `--flag value` argument of a container.
fn flag_value(container: &Node, flags: &[&str]) -> Option<String> {
    let args: Vec<&str> = ["command", "args"]
        .into_iter()
        .flat_map(|k| container.get(k).map_or(&[][..], Node::items))
        .filter_map(Node::scalar_text)
        .collect();
    for (i, a) in args.iter().enumerate() {
        for f in flags {
            if let Some(v) = a.strip_prefix(f).and_then(|r| r.strip_prefix('=')) {
                return Some(v.to_string());
            }
            if a == f {
                return args.get(i + 1).map(|v| v.to_string());
            }
        }
    }
    None
}

/// The issuer reference ingress-shim derives from an object's annotations (`issuerForIngressLike`).
fn shim_ref(obj: &crate::model::Object) -> Option<IssuerRef> {
    let issuer = obj.annotation("cert-manager.io/issuer");
    let cluster = obj.annotation("cert-manager.io/cluster-issuer");
    let kind = obj.annotation("cert-manager.io/issuer-kind");
    let group = obj.annotation("cert-manager.io/issuer-group");
    let (name, default_kind) = match (issuer, cluster) {
        (Some(n), None) => (n, "Issuer"),
        (None, Some(n)) if kind.is_none() && group.is_none() => (n, "ClusterIssuer"),
        _ => return None,
    };
    let kind = kind.filter(|k| !k.is_empty()).unwrap_or(default_kind);
    let group = group.filter(|g| !g.is_empty()).unwrap_or(GROUP);
    Some(IssuerRef {
        name: name.to_string(),
        kind: kind.to_string(),
        group: group.to_string(),
        kind_set: true,
        group_set: true,
    })
}

/// The namespaced and cluster-scoped kinds of a known issuer group.
fn scope_kinds(group: &str) -> Option<(&'static str, &'static str)> {
    match group {
        GROUP => Some(("Issuer", "ClusterIssuer")),
        AWSPCA_GROUP => Some(("AWSPCAIssuer", "AWSPCAClusterIssuer")),
        _ => None,
    }
}

/// Plan from the findings of [`TRIGGER_RULES`] on `inv`.
///
/// `files` names the input files by [`crate::model::Object::file`] (for `file:line` in reasons).
pub fn plan(
    inv: &Inventory,
    files: &[String],
    findings: &[Diagnostic],
    opts: &Options,
    local_ca: Option<&LocalCa>,
) -> Result<Outcome, String> {
    let resource_ns = opts
        .cluster_resource_namespace
        .clone()
        .or_else(|| detect_resource_namespace(inv))
        .unwrap_or_else(|| inv.settings.cluster_resource_namespace.clone());
    let mut b = Builder {
        inv,
        files,
        opts,
        local_ca,
        resource_ns,
        items: Vec::new(),
        index: HashMap::new(),
        patches: Vec::new(),
        patch_index: HashMap::new(),
        notes: Vec::new(),
        prerequisites: Vec::new(),
        chains: BTreeMap::new(),
        serving_issuer: None,
    };
    if let Some(pca) = &opts.pca {
        b.pca_prerequisites(pca);
    }
    let (missing, wirings) = b.collect(findings);
    if findings.iter().any(|d| {
        TRIGGER_RULES.contains(&d.rule.as_str()) && d.severity == crate::rules::Severity::Warning
    }) && !inv.settings.complete
        && (!missing.is_empty() || !wirings.is_empty())
    {
        b.notes.push(
            "the input is partial: objects referenced but not in it may already exist in the cluster; plan with --from-cluster, or declare them in .tlscheck.yaml `objects:`".into(),
        );
    }
    for m in &missing {
        b.missing_issuer(m)?;
    }
    if let Some(name) = &opts.ca_issuer_name {
        b.explicit_ca_issuer(name)?;
    }
    for ((ns, svc), w) in &wirings {
        b.wire(ns, svc, w)?;
    }
    if opts.trust {
        b.trust()?;
    }
    Ok(b.finish())
}

impl<'a> Builder<'a> {
    // ----- collecting needs from findings -----

    /// A finding as a cause: `RULE Kind ns/name (file:line)`.
    fn cause(&self, d: &Diagnostic) -> String {
        let at = object_of(self.inv, &d.object)
            .map(|id| {
                let o = self.inv.get(id);
                let ptr = d
                    .location
                    .pointer
                    .strip_prefix(o.base.as_str())
                    .unwrap_or(&d.location.pointer);
                let pos = o.root.locate(ptr);
                match self.files.get(o.file) {
                    Some(f) if pos.line > 0 => format!(" ({f}:{})", pos.line),
                    _ => String::new(),
                }
            })
            .unwrap_or_default();
        format!("{} {}{at}", d.rule, d.object.display())
    }

    fn collect(
        &mut self,
        findings: &[Diagnostic],
    ) -> (Vec<MissingIssuer>, BTreeMap<(String, String), Wiring>) {
        let inv = self.inv;
        let mut missing: Vec<MissingIssuer> = Vec::new();
        let mut wirings: BTreeMap<(String, String), Wiring> = BTreeMap::new();
        for d in findings {
            let Some(id) = object_of(inv, &d.object) else {
                continue;
            };
            let why = self.cause(d);
            match d.rule.as_str() {
                "CM002" => {
                    if let Some((r, is_ca)) = self.missing_ref(id, d) {
                        match missing.iter_mut().find(|m| m.r == r) {
                            Some(m) => {
                                m.all_ca &= is_ca;
                                m.reasons.push(why);
                            }
                            None => missing.push(MissingIssuer {
                                r,
                                all_ca: is_ca,
                                reasons: vec![why],
                            }),
                        }
                    }
                }
                "WH002" | "WH004" => {
                    let Some(inj) = inv.webhooks.injectables.iter().find(|i| i.object == id) else {
                        continue;
                    };
                    let requested = match self.wants_wiring(inj, d) {
                        Some(r) => r,
                        None => continue,
                    };
                    self.add_wiring(&mut wirings, inj, requested, why);
                }
                _ => {}
            }
        }
        for (ns, svc) in &self.opts.webhooks {
            let why = format!("--webhook {ns}/{svc}");
            let mut found = false;
            for inj in &inv.webhooks.injectables {
                let calls = inv.webhooks.callees_of(inj).iter().any(|c| {
                    matches!(&c.target, Target::Service(s)
                        if s.namespace.as_deref() == Some(ns.as_str()) && &s.name == svc)
                });
                if !calls {
                    continue;
                }
                found = true;
                match inj.injection.source() {
                    CaSource::Certificate(cns, cname)
                        if inv.exists(GROUP, "Certificate", Some(&cns), &cname) =>
                    {
                        self.notes.push(format!(
                            "{} already injects the CA of Certificate {cns}/{cname}: nothing to wire",
                            inv.get(inj.object).id.display()
                        ));
                        continue;
                    }
                    CaSource::Certificate(cns, cname) => {
                        let requested = (cns == *ns).then_some(cname);
                        self.add_wiring(&mut wirings, inj, requested, why.clone());
                    }
                    CaSource::Secret(sns, sname) => {
                        self.notes.push(format!(
                            "{} has `{}: {sns}/{sname}`, which takes precedence over `{INJECT_CA_FROM}`: remove it when applying the patch",
                            inv.get(inj.object).id.display(),
                            webhook::INJECT_CA_FROM_SECRET
                        ));
                        self.add_wiring(&mut wirings, inj, None, why.clone());
                    }
                    CaSource::ApiServer | CaSource::None => {
                        self.add_wiring(&mut wirings, inj, None, why.clone());
                    }
                }
            }
            if !found {
                let w = wirings.entry((ns.clone(), svc.clone())).or_default();
                w.reasons.push(why);
                self.notes.push(format!(
                    "no webhook configuration, CRD or APIService in the input calls Service {ns}/{svc}: add `{INJECT_CA_FROM}: {ns}/<certificate>` to the one that does"
                ));
            }
        }
        (missing, wirings)
    }

    /// For a CM002 finding: the missing issuer and whether the referrer is a CA Certificate, when the
    /// issuer is simply absent (not a reference to the wrong scope or namespace).
    fn missing_ref(&mut self, id: ObjId, d: &Diagnostic) -> Option<(IssuerChoice, bool)> {
        let inv = self.inv;
        let obj = inv.get(id);
        let spec_ref = obj.group == GROUP
            && matches!(obj.id.kind.as_str(), "Certificate" | "CertificateRequest");
        let r = if spec_ref {
            IssuerRef::from_node(obj.root.path(&["spec", "issuerRef"])?)
        } else {
            shim_ref(obj)?
        };
        if r.name.is_empty() || crate::rules::unrendered(&r.name) {
            return None;
        }
        if inv.resolve_issuer(obj.ns(), &r) != Resolution::Missing {
            return None;
        }
        let (ns_kind, cluster_kind) = scope_kinds(&r.group)?;
        let elsewhere = if r.kind == ns_kind {
            inv.exists(&r.group, cluster_kind, None, &r.name)
                || inv
                    .of_kind(&r.group, ns_kind)
                    .iter()
                    .any(|&i| inv.get(i).id.name == r.name)
        } else {
            obj.ns()
                .is_some_and(|ns| inv.exists(&r.group, ns_kind, Some(ns), &r.name))
        };
        if elsewhere {
            self.notes.push(format!(
                "CM002 on {}: an issuer of that name exists in another scope or namespace, so the reference is wrong rather than the issuer missing: nothing emitted for it",
                d.object.display()
            ));
            return None;
        }
        let is_ca = spec_ref
            && obj
                .root
                .path(&["spec", "isCA"])
                .and_then(Node::as_bool)
                .unwrap_or(false);
        let namespace = if r.namespaced() {
            obj.ns().map(str::to_string)
        } else {
            None
        };
        Some((
            IssuerChoice {
                group: r.group,
                kind: r.kind,
                name: r.name,
                namespace,
            },
            is_ca,
        ))
    }

    /// Whether a WH002/WH004 finding asks for wiring; `Some(requested name)` when it does.
    fn wants_wiring(&mut self, inj: &Injectable, d: &Diagnostic) -> Option<Option<String>> {
        let inv = self.inv;
        if inj.fingerprint.is_some() || d.severity == crate::rules::Severity::Info {
            return None;
        }
        let display = inv.get(inj.object).id.display();
        match (d.rule.as_str(), inj.injection.source()) {
            ("WH002", CaSource::None) if inj.injection.any_current() => None,
            ("WH002", CaSource::None) => {
                // Legacy-only annotation naming a Certificate that exists: only the current key is missing.
                if let Some((ns, name)) =
                    inj.injection.legacy.as_ref().and_then(|a| a.target.clone())
                    && inv.exists(GROUP, "Certificate", Some(&ns), &name)
                {
                    let cause = self.cause(d);
                    self.add_patch(
                        annotation_patch(inv, inj.object, &format!("{ns}/{name}")),
                        "the current cainjector annotation next to the legacy one, which cert-manager ignores since v0.11",
                        &cause,
                    );
                    return None;
                }
                Some(None)
            }
            ("WH002", CaSource::ApiServer) => {
                self.notes.push(format!(
                    "{display} injects the kube-apiserver CA (WH002 warning): to use a cert-manager CA instead, run with --webhook <ns>/<svc>"
                ));
                None
            }
            ("WH004", CaSource::Certificate(ns, name))
                if !inv.exists(GROUP, "Certificate", Some(&ns), &name) =>
            {
                Some(
                    Some(name)
                        .filter(|_| primary_service(inv, inj).is_some_and(|(sns, _)| sns == ns)),
                )
            }
            _ => None,
        }
    }

    fn add_wiring(
        &mut self,
        wirings: &mut BTreeMap<(String, String), Wiring>,
        inj: &Injectable,
        requested: Option<String>,
        why: String,
    ) {
        let inv = self.inv;
        let Some((ns, svc)) = primary_service(inv, inj) else {
            self.notes.push(format!(
                "{} calls no Service with a namespace and a rendered name: wire its CA by hand",
                inv.get(inj.object).id.display()
            ));
            return;
        };
        let w = wirings.entry((ns.clone(), svc.clone())).or_default();
        if !w.injectables.contains(&inj.object) {
            w.injectables.push(inj.object);
        }
        if w.requested.is_none() {
            w.requested = requested;
        }
        w.causes.entry(inj.object).or_default().push(why.clone());
        w.reasons.push(why);
        for (i, c) in inv.webhooks.callees.iter().enumerate() {
            if c.object == inj.object
                && matches!(&c.target, Target::Service(s)
                    if s.namespace.as_deref() == Some(ns.as_str()) && s.name == svc)
                && !w.callees.contains(&i)
            {
                w.callees.push(i);
            }
        }
        // Other Services the same object calls get the same CA (cainjector writes one caBundle).
        let others: BTreeSet<(String, String)> = inv
            .webhooks
            .callees_of(inj)
            .iter()
            .filter_map(|c| match &c.target {
                Target::Service(s) if !s.name.is_empty() && !crate::rules::unrendered(&s.name) => {
                    Some((s.namespace.clone()?, s.name.clone()))
                }
                _ => None,
            })
            .filter(|k| *k != (ns.clone(), svc.clone()))
            .collect();
        if !others.is_empty() {
            self.notes.push(format!(
                "{} also calls {}: give those servers Certificates from the same CA issuer (cainjector writes one caBundle)",
                inv.get(inj.object).id.display(),
                others
                    .iter()
                    .map(|(n, s)| format!("{n}/{s}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }

    // ----- emitting -----

    /// Plan `value` (once: the same object planned again only gains causes).
    fn add(&mut self, stage: Stage, value: Value, role: &str, cause: &str) -> Result<(), String> {
        let key = key_of(&value);
        if let Some(&i) = self.index.get(&key) {
            if self.items[i].value != value {
                return Err(format!(
                    "two different objects would be named {} {}: choose other names (--selfsigned-name, --ca-name, --ca-secret, --ca-issuer-name)",
                    key.1,
                    qualified(key.2.as_deref(), &key.3)
                ));
            }
            add_causes(&mut self.items[i].causes, cause);
            return Ok(());
        }
        self.index.insert(key, self.items.len());
        let mut item = Item {
            stage,
            value,
            role: one_line(role),
            causes: Vec::new(),
        };
        add_causes(&mut item.causes, cause);
        self.items.push(item);
        Ok(())
    }

    /// Plan a patch; patches of the same object are merged.
    fn add_patch(&mut self, value: Value, role: &str, cause: &str) {
        let key = key_of(&value);
        if let Some(&i) = self.patch_index.get(&key) {
            let item = &mut self.patches[i];
            merge(&mut item.value, &value);
            let role = one_line(role);
            if !item.role.contains(&role) {
                item.role = format!("{}; {role}", item.role);
            }
            add_causes(&mut item.causes, cause);
            return;
        }
        self.patch_index.insert(key, self.patches.len());
        let mut item = Item {
            stage: Stage::Serving,
            value,
            role: one_line(role),
            causes: Vec::new(),
        };
        add_causes(&mut item.causes, cause);
        self.patches.push(item);
    }

    fn planned(&self, group: &str, kind: &str, ns: Option<&str>, name: &str) -> bool {
        self.index.contains_key(&(
            group.to_string(),
            kind.to_string(),
            ns.map(str::to_string),
            name.to_string(),
        ))
    }

    fn exists(&self, group: &str, kind: &str, ns: Option<&str>, name: &str) -> bool {
        self.inv.exists(group, kind, ns, name)
    }

    /// The existing issuer object, if in the input.
    fn existing(&self, group: &str, kind: &str, ns: Option<&str>, name: &str) -> Option<ObjId> {
        self.inv.find(group, kind, ns, name)
    }

    /// The missing issuer of a CM002 finding.
    fn missing_issuer(&mut self, m: &MissingIssuer) -> Result<(), String> {
        let why = m.reasons.join("; ");
        let r = &m.r;
        if r.group == AWSPCA_GROUP {
            if self.opts.pca.is_none() {
                self.notes.push(format!(
                    "{} is missing: an AWS Private CA issuer needs --pca-arn (not emitted)",
                    r.display()
                ));
                return Ok(());
            }
            return self.pca_issuer(&r.kind, r.namespace.as_deref(), &r.name, &why);
        }
        let lower = r.name.to_ascii_lowercase();
        if m.all_ca || lower.contains("selfsigned") || lower.contains("self-signed") {
            let what = if m.all_ca {
                "self-signed root for the CA Certificates that name it"
            } else {
                "self-signed issuer, as its name says"
            };
            return self.add(
                Stage::RootIssuer,
                self_signed_issuer(&r.kind, r.namespace.as_deref(), &r.name),
                what,
                &why,
            );
        }
        if ["letsencrypt", "acme", "zerossl"]
            .iter()
            .any(|w| lower.contains(w))
        {
            self.notes.push(format!(
                "{} sounds like an ACME issuer: the emitted CA issuer makes the reference resolve with a private CA that browsers do not trust; create an ACME issuer of that name instead for public endpoints",
                r.display()
            ));
        }
        self.ca_issuer(&r.kind, r.namespace.as_deref(), &r.name, &why)
    }

    /// `--ca-issuer-name` given explicitly: make sure it exists.
    fn explicit_ca_issuer(&mut self, name: &str) -> Result<(), String> {
        let (kind, ns) = match &self.opts.namespace {
            Some(ns) => ("Issuer", Some(ns.clone())),
            None => ("ClusterIssuer", None),
        };
        if self.usable_existing(GROUP, kind, ns.as_deref(), name)? {
            return Ok(());
        }
        self.ca_issuer(kind, ns.as_deref(), name, "--ca-issuer-name")
    }

    /// A CA issuer (kind Issuer/ClusterIssuer) backed by the chain of its namespace.
    fn ca_issuer(
        &mut self,
        kind: &str,
        ns: Option<&str>,
        name: &str,
        why: &str,
    ) -> Result<(), String> {
        let home = if kind == "ClusterIssuer" {
            Some(self.resource_ns.clone())
        } else {
            ns.map(str::to_string)
        };
        if self
            .opts
            .namespace
            .as_deref()
            .is_some_and(|n| Some(n) == home.as_deref())
        {
            self.namespace_object(home.as_deref().expect("some"), why)?;
        }
        let secret = self.chain(home.as_deref(), why)?;
        let secret_at = qualified(home.as_deref(), &secret);
        self.add(
            Stage::CaIssuer,
            json!({
                "apiVersion": "cert-manager.io/v1",
                "kind": kind,
                "metadata": meta(if kind == "ClusterIssuer" { None } else { ns }, name),
                "spec": {"ca": {"secretName": secret}},
            }),
            &format!("CA issuer signing with the key pair in Secret {secret_at}"),
            why,
        )
    }

    /// The Namespace of the namespaced variant, unless it exists or the input has objects in it
    /// (then it is managed elsewhere: owning it here would let a GitOps prune delete it).
    fn namespace_object(&mut self, ns: &str, why: &str) -> Result<(), String> {
        if self.exists("", "Namespace", None, ns)
            || self.inv.objects.iter().any(|o| o.ns() == Some(ns))
        {
            return Ok(());
        }
        self.add(
            Stage::Namespace,
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
            "namespace of the CA chain (--namespace)",
            why,
        )
    }

    /// Make sure the CA key pair of namespace `home` exists or is planned; its Secret name.
    fn chain(&mut self, home: Option<&str>, why: &str) -> Result<String, String> {
        let key = home.map(str::to_string);
        if let Some(secret) = self.chains.get(&key) {
            let secret = secret.clone();
            // Record the new reason on the chain's objects.
            self.touch_chain(home, &secret, why);
            return Ok(secret);
        }
        let opts = self.opts;
        let inv = self.inv;
        let where_ = qualified(home, &opts.ca_name);
        // An existing CA Certificate of that name: use its Secret.
        if let Some(c) = self.existing(GROUP, "Certificate", home, &opts.ca_name) {
            let obj = inv.get(c);
            if !is_ca(obj.root.path(&["spec", "isCA"])) {
                return Err(format!(
                    "Certificate {where_} exists but is not a CA (`isCA: true`): choose another --ca-name"
                ));
            }
            let secret = obj
                .root
                .str_at(&["spec", "secretName"])
                .unwrap_or(&opts.ca_secret)
                .to_string();
            self.chains.insert(key, secret.clone());
            return Ok(secret);
        }
        let secret = opts.ca_secret.clone();
        let secret_at = qualified(home, &secret);
        if let Some(&c) = inv.certificates_for_secret(home, &secret).first() {
            if !is_ca(inv.get(c).root.path(&["spec", "isCA"])) {
                return Err(format!(
                    "Secret {secret_at} is written by {}, which is not a CA: choose another --ca-secret",
                    inv.get(c).id.display()
                ));
            }
            self.chains.insert(key, secret.clone());
            return Ok(secret);
        }
        if self.exists("", "Secret", home, &secret) {
            self.notes.push(format!(
                "Secret {secret_at} exists: it is used as the CA key pair, never overwritten (CM008 checks it is a CA)"
            ));
            self.chains.insert(key, secret.clone());
            return Ok(secret);
        }
        self.chains.insert(key, secret.clone());
        if let Some(ca) = self.local_ca {
            let mut s = super::local_ca::secret(ca, home.unwrap_or(""), &secret);
            if home.is_none()
                && let Some(m) = s.get_mut("metadata").and_then(Value::as_object_mut)
            {
                m.remove("namespace");
            }
            self.add(
                Stage::CaMaterial,
                s,
                "CA key pair generated locally (--local-ca); holds the private key",
                why,
            )?;
            return Ok(secret);
        }
        let issuer = match &opts.pca {
            Some(pca) => {
                let (kind, ns) = self.pca_scope_for(home);
                self.pca_issuer(&kind, ns.as_deref(), &pca.issuer_name.clone(), why)?;
                IssuerChoice {
                    group: AWSPCA_GROUP.into(),
                    kind,
                    name: pca.issuer_name.clone(),
                    namespace: ns,
                }
            }
            None => {
                self.selfsigned(why)?;
                IssuerChoice {
                    group: GROUP.into(),
                    kind: "ClusterIssuer".into(),
                    name: opts.selfsigned_name.clone(),
                    namespace: None,
                }
            }
        };
        let mut spec = serde_json::Map::new();
        spec.insert("isCA".into(), json!(true));
        spec.insert("commonName".into(), json!(opts.ca_name));
        spec.insert("secretName".into(), json!(secret));
        spec.insert(
            "privateKey".into(),
            json!({"algorithm": "ECDSA", "size": 256}),
        );
        spec.insert("issuerRef".into(), issuer.to_ref());
        let duration = match (&opts.ca_duration, &opts.pca) {
            (Some(d), _) => Some(d.clone()),
            (None, Some(_)) => Some(PCA_SUBCA_DURATION.to_string()),
            (None, None) => None,
        };
        if let Some(d) = duration {
            spec.insert("duration".into(), json!(d));
            if long_enough_for_renew_before(&d) {
                spec.insert("renewBefore".into(), json!(RENEW_BEFORE));
            }
        }
        if let Some(org) = &opts.ca_org {
            spec.insert("subject".into(), json!({"organizations": [org]}));
        }
        let what = if opts.pca.is_some() {
            "CA Certificate, a subordinate CA issued by AWS Private CA"
        } else {
            "CA Certificate"
        };
        let place = if home == Some(self.resource_ns.as_str()) {
            " in the cluster resource namespace"
        } else {
            ""
        };
        self.add(
            Stage::CaMaterial,
            json!({
                "apiVersion": "cert-manager.io/v1",
                "kind": "Certificate",
                "metadata": meta(home, &opts.ca_name),
                "spec": Value::Object(spec),
            }),
            &format!("{what}{place}"),
            why,
        )?;
        Ok(secret)
    }

    /// Add `why` to the planned objects of an existing chain.
    fn touch_chain(&mut self, home: Option<&str>, secret: &str, why: &str) {
        let (ca_name, selfsigned) = (self.opts.ca_name.clone(), self.opts.selfsigned_name.clone());
        for item in &mut self.items {
            let k = key_of(&item.value);
            let ours = (k.2.as_deref() == home
                && ((k.1 == "Certificate" && k.3 == ca_name)
                    || (k.1 == "Secret" && k.3 == secret)))
                || (k.1 == "ClusterIssuer" && k.3 == selfsigned);
            if ours {
                add_causes(&mut item.causes, why);
            }
        }
    }

    fn selfsigned(&mut self, why: &str) -> Result<(), String> {
        let name = self.opts.selfsigned_name.clone();
        if let Some(i) = self.existing(GROUP, "ClusterIssuer", None, &name) {
            if issuer_type(self.inv.get(i)) != IssuerType::SelfSigned {
                return Err(format!(
                    "ClusterIssuer {name} exists but is not a selfSigned issuer: choose another --selfsigned-name"
                ));
            }
            return Ok(());
        }
        if self.exists(GROUP, "ClusterIssuer", None, &name) {
            return Ok(());
        }
        self.add(
            Stage::RootIssuer,
            self_signed_issuer("ClusterIssuer", None, &name),
            "self-signed issuer of the CA Certificate",
            why,
        )
    }

    /// Kind and namespace of the PCA issuer for the chain of `home` / the serving Certificates.
    fn pca_scope(&self) -> (String, Option<String>) {
        match &self.opts.namespace {
            Some(ns) => ("AWSPCAIssuer".into(), Some(ns.clone())),
            None => ("AWSPCAClusterIssuer".into(), None),
        }
    }

    /// The PCA issuer of the subordinate CA of namespace `home`: the cluster-wide one, or with
    /// `--namespace` an AWSPCAIssuer in that namespace.
    fn pca_scope_for(&self, home: Option<&str>) -> (String, Option<String>) {
        if self.opts.namespace.is_none() {
            ("AWSPCAClusterIssuer".into(), None)
        } else {
            ("AWSPCAIssuer".into(), home.map(str::to_string))
        }
    }

    fn pca_issuer(
        &mut self,
        kind: &str,
        ns: Option<&str>,
        name: &str,
        why: &str,
    ) -> Result<(), String> {
        let Some(pca) = self.opts.pca.clone() else {
            return Ok(());
        };
        let ns = if kind == "AWSPCAClusterIssuer" {
            None
        } else {
            ns
        };
        if self.exists(AWSPCA_GROUP, kind, ns, name) {
            return Ok(());
        }
        let mut spec = serde_json::Map::new();
        spec.insert("arn".into(), json!(pca.arn));
        let region = pca.region.clone().or_else(|| arn_region(&pca.arn));
        if let Some(r) = region {
            spec.insert("region".into(), json!(r));
        }
        if let Some(role) = &pca.role {
            spec.insert("role".into(), json!(role));
        }
        if pca.approver_rbac {
            self.pca_rbac()?;
        }
        self.add(
            Stage::RootIssuer,
            json!({
                "apiVersion": "awspca.cert-manager.io/v1beta1",
                "kind": kind,
                "metadata": meta(ns, name),
                "spec": Value::Object(spec),
            }),
            "AWS Private CA issuer",
            why,
        )
    }

    fn pca_rbac(&mut self) -> Result<(), String> {
        let name = "cert-manager-controller-approve:awspca-cert-manager-io";
        let rbac = "rbac.authorization.k8s.io";
        if !self.exists(rbac, "ClusterRole", None, name) {
            self.add(
                Stage::Rbac,
                json!({
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "ClusterRole",
                    "metadata": {"name": name},
                    "rules": [{
                        "apiGroups": ["cert-manager.io"],
                        "resources": ["signers"],
                        "verbs": ["approve"],
                        "resourceNames": [
                            "awspcaclusterissuers.awspca.cert-manager.io/*",
                            "awspcaissuers.awspca.cert-manager.io/*",
                        ],
                    }],
                }),
                "lets cert-manager approve CertificateRequests for the AWS Private CA issuers",
                "--pca-approver-rbac",
            )?;
        }
        if !self.exists(rbac, "ClusterRoleBinding", None, name) {
            self.add(
                Stage::Rbac,
                json!({
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "ClusterRoleBinding",
                    "metadata": {"name": name},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
                    "subjects": [{"kind": "ServiceAccount", "name": "cert-manager", "namespace": self.resource_ns}],
                }),
                "binds the approver ClusterRole to cert-manager's controller",
                "--pca-approver-rbac",
            )?;
        }
        Ok(())
    }

    fn pca_prerequisites(&mut self, pca: &PcaOptions) {
        let partition = pca.arn.split(':').nth(1).unwrap_or("aws");
        let region = pca
            .region
            .clone()
            .or_else(|| arn_region(&pca.arn))
            .unwrap_or_default();
        let policy = json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "awspcaissuer",
                "Effect": "Allow",
                "Action": [
                    "acm-pca:DescribeCertificateAuthority",
                    "acm-pca:GetCertificate",
                    "acm-pca:IssueCertificate",
                ],
                "Resource": pca.arn,
            }],
        });
        let policy = serde_json::to_string_pretty(&policy).unwrap_or_default();
        self.prerequisites.push(format!(
            "AWS Private CA {} must be ACTIVE: aws acm-pca describe-certificate-authority --region {region} --certificate-authority-arn {} --query CertificateAuthority.Status",
            pca.arn, pca.arn
        ));
        self.prerequisites.push(format!(
            "the aws-privateca-issuer's identity needs this IAM policy (attach with IRSA: serviceAccount.annotations.\"eks.amazonaws.com/role-arn\" in the aws-privateca-issuer Helm chart, or EKS Pod Identity; static keys via secretRef only as a fallback):\n{policy}"
        ));
        self.prerequisites.push(
            "install aws-privateca-issuer (Helm chart awspca/aws-privateca-issuer); its default approverRole (enabled, for ServiceAccount cert-manager in namespace cert-manager) lets cert-manager approve requests — without it, add --pca-approver-rbac".into(),
        );
        if let Some(role) = &pca.role
            && !role.starts_with(&format!("arn:{partition}:iam::"))
        {
            self.prerequisites.push(format!(
                "--role {role} is not an IAM role ARN of partition {partition}"
            ));
        }
        self.prerequisites.push(format!(
            "`{INJECT_CA_FROM}` works with these Certificates (the issuer stores the Private CA root in ca.crt); for Ingress/Gateway use `cert-manager.io/issuer: {name}`, `cert-manager.io/issuer-kind: AWSPCAClusterIssuer`, `cert-manager.io/issuer-group: awspca.cert-manager.io` — not `cert-manager.io/cluster-issuer`",
            name = pca.issuer_name
        ));
    }

    // ----- webhook wiring -----

    /// The issuer of serving Certificates in namespace `ns`, deciding (and planning) it on first use.
    fn serving_issuer_for(&mut self, ns: &str, why: &str) -> Result<Option<IssuerChoice>, String> {
        if let Some(pca) = self.opts.pca.clone() {
            let (kind, pns) = self.pca_scope();
            if let Some(pns) = &pns
                && pns != ns
            {
                self.notes.push(format!(
                    "webhook Service namespace {ns} differs from --namespace {pns}: an AWSPCAIssuer serves only its own namespace (not wired)"
                ));
                return Ok(None);
            }
            self.pca_issuer(&kind, pns.as_deref(), &pca.issuer_name, why)?;
            return Ok(Some(IssuerChoice {
                group: AWSPCA_GROUP.into(),
                kind,
                name: pca.issuer_name,
                namespace: pns,
            }));
        }
        if let Some(nsv) = self.opts.namespace.clone() {
            if nsv != ns {
                self.notes.push(format!(
                    "webhook Service namespace {ns} differs from --namespace {nsv}: a namespaced Issuer serves only its own namespace (not wired; use the cluster-wide variant or --namespace {ns})"
                ));
                return Ok(None);
            }
            let name = self
                .opts
                .ca_issuer_name
                .clone()
                .unwrap_or_else(|| CA_ISSUER_NAME.into());
            if !self.usable_existing(GROUP, "Issuer", Some(ns), &name)? {
                self.ca_issuer("Issuer", Some(ns), &name, why)?;
            }
            return Ok(Some(IssuerChoice {
                group: GROUP.into(),
                kind: "Issuer".into(),
                name,
                namespace: Some(ns.to_string()),
            }));
        }
        if let Some(chosen) = self.serving_issuer.clone() {
            if self.planned(GROUP, &chosen.kind, None, &chosen.name) {
                self.ca_issuer(&chosen.kind, None, &chosen.name, why)?;
            }
            return Ok(Some(chosen));
        }
        let name = match &self.opts.ca_issuer_name {
            Some(n) => n.clone(),
            None => {
                let inv = self.inv;
                let cas: Vec<&str> = inv
                    .of_kind(GROUP, "ClusterIssuer")
                    .iter()
                    .map(|&i| inv.get(i))
                    .filter(|o| matches!(issuer_type(o), IssuerType::Ca { .. }))
                    .map(|o| o.id.name.as_str())
                    .collect();
                match cas.as_slice() {
                    _ if self.exists(GROUP, "ClusterIssuer", None, CA_ISSUER_NAME) => {
                        CA_ISSUER_NAME.to_string()
                    }
                    [only] => {
                        self.notes.push(format!(
                            "serving Certificates are issued by the existing CA ClusterIssuer {only} (pick another with --ca-issuer-name)"
                        ));
                        only.to_string()
                    }
                    _ => CA_ISSUER_NAME.to_string(),
                }
            }
        };
        if !self.usable_existing(GROUP, "ClusterIssuer", None, &name)? {
            self.ca_issuer("ClusterIssuer", None, &name, why)?;
        }
        let chosen = IssuerChoice {
            group: GROUP.into(),
            kind: "ClusterIssuer".into(),
            name,
            namespace: None,
        };
        self.serving_issuer = Some(chosen.clone());
        Ok(Some(chosen))
    }

    /// Whether an issuer exists and can sign serving certificates with a CA that cainjector can inject.
    fn usable_existing(
        &self,
        group: &str,
        kind: &str,
        ns: Option<&str>,
        name: &str,
    ) -> Result<bool, String> {
        if let Some(i) = self.existing(group, kind, ns, name) {
            return match issuer_type(self.inv.get(i)) {
                IssuerType::Acme => Err(format!(
                    "{kind} {} is an ACME issuer, which cannot provide ca.crt for webhooks: choose another --ca-issuer-name",
                    qualified(ns, name)
                )),
                _ => Ok(true),
            };
        }
        Ok(self.exists(group, kind, ns, name))
    }

    fn wire(&mut self, ns: &str, svc: &str, w: &Wiring) -> Result<(), String> {
        let inv = self.inv;
        let why = w.reasons.join("; ");
        let server = format!("{svc}.{ns}.svc");
        let backend = self.backend(w);
        let pods_text = if backend.workloads.is_empty() {
            "the pods behind it are not in the input".to_string()
        } else {
            backend
                .workloads
                .iter()
                .map(|b| inv.get(b.workload).id.display())
                .collect::<Vec<_>>()
                .join(", ")
        };
        // 1. A Certificate that already writes a Secret the server mounts: reuse it as is.
        let mut cert_name: Option<String> = None;
        let mut secret_name: Option<String> = None;
        for m in &backend.mounted {
            if let Some(&c) = inv.certificates_for_secret(Some(ns), m).first() {
                cert_name = Some(inv.get(c).id.name.to_string());
                secret_name = Some(m.clone());
                self.notes.push(format!(
                    "{} already writes Secret {ns}/{m}, which {pods_text} mount: it is reused as the serving Certificate",
                    inv.get(c).id.display()
                ));
                break;
            }
        }
        // 2. The Certificate that `inject-ca-from` asks for, or `<svc>-serving-cert`.
        let name = cert_name
            .clone()
            .or_else(|| w.requested.clone())
            .unwrap_or_else(|| format!("{svc}-serving-cert"));
        if cert_name.is_none()
            && let Some(c) = self.existing(GROUP, "Certificate", Some(ns), &name)
        {
            secret_name = inv
                .get(c)
                .root
                .str_at(&["spec", "secretName"])
                .map(str::to_string);
            cert_name = Some(name.clone());
            self.notes.push(format!(
                "Certificate {ns}/{name} exists and is reused (check that it covers {server}: WH005)"
            ));
        }
        if cert_name.is_none() {
            // 3. A new Certificate: into the Secret the server already mounts, else `<svc>-tls`.
            let secret = backend
                .mounted
                .first()
                .cloned()
                .unwrap_or_else(|| format!("{svc}-tls"));
            if let Some(&c) = inv.certificates_for_secret(Some(ns), &secret).first() {
                // `<svc>-tls` is already written by another Certificate: reuse it.
                let existing = inv.get(c).id.name.clone();
                self.notes.push(format!(
                    "Certificate {ns}/{existing} already writes Secret {ns}/{secret}: it is reused as the serving Certificate"
                ));
                cert_name = Some(existing.to_string());
                secret_name = Some(secret);
            } else {
                let Some(issuer) = self.serving_issuer_for(ns, &why)? else {
                    return Ok(());
                };
                let pca = issuer.group == AWSPCA_GROUP;
                let usages: Vec<&str> = if pca {
                    vec!["server auth"]
                } else {
                    vec!["digital signature", "key encipherment", "server auth"]
                };
                let domain = &self.opts.cluster_domain;
                self.add(
                    Stage::Serving,
                    json!({
                        "apiVersion": "cert-manager.io/v1",
                        "kind": "Certificate",
                        "metadata": meta(Some(ns), &name),
                        "spec": {
                            "secretName": secret,
                            "dnsNames": [
                                svc,
                                format!("{svc}.{ns}"),
                                server,
                                format!("{svc}.{ns}.svc.{domain}"),
                            ],
                            "usages": usages,
                            "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
                            "duration": SERVING_DURATION,
                            "renewBefore": SERVING_RENEW_BEFORE,
                            "issuerRef": issuer.to_ref(),
                        },
                    }),
                    &format!("serving Certificate for {server}, issued by {}", issuer.display()),
                    &why,
                )?;
                cert_name = Some(name.clone());
                secret_name = Some(secret);
            }
        }
        let cert = cert_name.expect("decided above");
        let secret = secret_name.unwrap_or_else(|| format!("{svc}-tls"));
        // The annotation on every object calling the Service.
        for &obj in &w.injectables {
            let o = inv.get(obj);
            let current = webhook::Injection::of(o).source();
            if current == CaSource::Certificate(ns.to_string(), cert.clone()) {
                continue;
            }
            let cause = w
                .causes
                .get(&obj)
                .map_or_else(|| why.clone(), |c| c.join("; "));
            self.add_patch(
                annotation_patch(inv, obj, &format!("{ns}/{cert}")),
                &format!("cainjector injects the CA of Certificate {ns}/{cert} into its caBundle"),
                &cause,
            );
        }
        // The Secret mounted by the server.
        if backend.workloads.is_empty() {
            self.notes.push(format!(
                "mount Secret {ns}/{secret} in the pods behind Service {ns}/{svc} at the server's certificate directory (controller-runtime: {CERT_DIR}); they are not in the input"
            ));
        }
        for b in &backend.workloads {
            if b.mounts_secret(&secret) {
                continue;
            }
            let wobj = inv.get(b.workload);
            match wobj.id.kind.as_str() {
                "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet"
                    if wobj.group == "apps" =>
                {
                    let Some(container) = &b.container else {
                        self.notes.push(format!(
                            "{}: no container to mount Secret {ns}/{secret} in; mount it by hand",
                            wobj.id.display()
                        ));
                        continue;
                    };
                    self.add_patch(
                        json!({
                            "apiVersion": wobj.id.api_version,
                            "kind": wobj.id.kind,
                            "metadata": meta(wobj.ns(), &wobj.id.name),
                            "spec": {"template": {"spec": {
                                "containers": [{
                                    "name": container,
                                    "volumeMounts": [{"name": b.volume, "mountPath": b.cert_dir, "readOnly": true}],
                                }],
                                "volumes": [{"name": b.volume, "secret": {"secretName": secret}}],
                            }}},
                        }),
                        &format!("the server behind {server} mounts Secret {secret} at {}", b.cert_dir),
                        &why,
                    );
                }
                _ => self.notes.push(format!(
                    "{}: mount Secret {ns}/{secret} at {} in its pod template by hand",
                    wobj.id.display(),
                    b.cert_dir
                )),
            }
        }
        Ok(())
    }

    /// The workloads behind a Service, the serving container and what it already mounts.
    fn backend(&self, w: &Wiring) -> Backend {
        let inv = self.inv;
        let mut out = Backend::default();
        let mut seen = BTreeSet::new();
        for &ci in &w.callees {
            let c = &inv.webhooks.callees[ci];
            let target = match &c.backend.port {
                Some(PortResolution::Port { target, .. }) => Some(target.clone()),
                _ => None,
            };
            for &t in &c.backend.pods {
                let tpl = inv.template(t);
                if !seen.insert(tpl.object) {
                    continue;
                }
                let Some((_, spec)) = inv.pod_spec(t) else {
                    continue;
                };
                let wl = workload_facts(inv, tpl.object, spec, target.as_ref());
                for m in &wl.cert_mounts {
                    if !out.mounted.contains(m) {
                        out.mounted.push(m.clone());
                    }
                }
                out.workloads.push(wl);
            }
        }
        out
    }

    // ----- trust -----

    fn trust(&mut self) -> Result<(), String> {
        let opts = self.opts;
        let trust_ns = self.inv.settings.trust_namespace.clone();
        let (label, pem, fetch): (String, Option<String>, String) = if let Some(pca) = &opts.pca {
            let region = pca
                .region
                .clone()
                .or_else(|| arn_region(&pca.arn))
                .unwrap_or_default();
            (
                pca.issuer_name.clone(),
                None,
                format!(
                    "aws acm-pca get-certificate-authority-certificate --region {region} --certificate-authority-arn {} --query Certificate --output text > ca.crt",
                    pca.arn
                ),
            )
        } else {
            let home = opts
                .namespace
                .clone()
                .unwrap_or_else(|| self.resource_ns.clone());
            let own = self
                .chains
                .get(&Some(home.clone()))
                .cloned()
                .or_else(|| {
                    self.existing(GROUP, "Certificate", Some(&home), &opts.ca_name)
                        .and_then(|c| {
                            self.inv
                                .get(c)
                                .root
                                .str_at(&["spec", "secretName"])
                                .map(str::to_string)
                        })
                })
                .or_else(|| {
                    self.exists("", "Secret", Some(&home), &opts.ca_secret)
                        .then(|| opts.ca_secret.clone())
                })
                .map(|secret| (home.clone(), secret, opts.ca_name.clone()));
            // Else the existing CA issuer the serving Certificates use.
            let used = self.serving_issuer.as_ref().and_then(|i| {
                let id = self.existing(&i.group, &i.kind, i.namespace.as_deref(), &i.name)?;
                let IssuerType::Ca { secret_name } = issuer_type(self.inv.get(id)) else {
                    return None;
                };
                let home = match i.kind.as_str() {
                    "ClusterIssuer" => self.resource_ns.clone(),
                    _ => i.namespace.clone()?,
                };
                Some((home, secret_name, i.name.clone()))
            });
            let Some((home, secret, label)) = own.or(used) else {
                self.notes.push(format!(
                    "--trust: no CA in namespace {home} to distribute (neither planned nor in the input)"
                ));
                return Ok(());
            };
            let pem = self
                .local_ca
                .filter(|_| self.chains.contains_key(&Some(home.clone())))
                .map(|ca| ca.cert_pem.clone())
                .or_else(|| literal_ca_pem(self.inv, &home, &secret));
            (
                label,
                pem,
                format!(
                    "kubectl -n {home} get secret {secret} -o jsonpath='{{.data.tls\\.crt}}' | base64 -d > ca.crt"
                ),
            )
        };
        let cm_name = format!("{label}-root");
        let bundle_name = format!("{label}-bundle");
        let why = "--trust";
        if !self.exists("", "ConfigMap", Some(&trust_ns), &cm_name) {
            match pem {
                Some(pem) => self.add(
                    Stage::TrustSource,
                    json!({
                        "apiVersion": "v1",
                        "kind": "ConfigMap",
                        "metadata": meta(Some(&trust_ns), &cm_name),
                        "data": {"ca.crt": pem},
                    }),
                    "copy of the root certificate in the trust namespace, updated on your schedule",
                    why,
                )?,
                None => self.notes.push(format!(
                    "--trust: once the CA is Ready, copy its certificate into the Bundle's source: {fetch} && kubectl -n {trust_ns} create configmap {cm_name} --from-file=ca.crt"
                )),
            }
        }
        if !self.exists("trust.cert-manager.io", "Bundle", None, &bundle_name) {
            self.add(
                Stage::TrustBundle,
                json!({
                    "apiVersion": "trust.cert-manager.io/v1alpha1",
                    "kind": "Bundle",
                    "metadata": {"name": bundle_name},
                    "spec": {
                        "sources": [{"configMap": {"name": cm_name, "key": "ca.crt"}}],
                        "target": {
                            "configMap": {"key": "ca.crt"},
                            "namespaceSelector": {"matchLabels": {TRUST_LABEL: "enabled"}},
                        },
                    },
                }),
                &format!("trust-manager Bundle: ConfigMap {bundle_name} (key ca.crt) in namespaces labelled {TRUST_LABEL}=enabled"),
                why,
            )?;
        }
        Ok(())
    }

    fn finish(mut self) -> Outcome {
        let order = |items: &mut Vec<Item>| {
            items.sort_by(|a, b| {
                let (ka, kb) = (key_of(&a.value), key_of(&b.value));
                (a.stage, &ka.2, &ka.1, &ka.3).cmp(&(b.stage, &kb.2, &kb.1, &kb.3))
            });
        };
        order(&mut self.items);
        order(&mut self.patches);
        let reasons = self
            .items
            .iter()
            .chain(&self.patches)
            .map(Item::reason)
            .collect();
        let plan = Plan {
            objects: self.items.into_iter().map(|i| i.value).collect(),
            patches: self.patches.into_iter().map(|i| i.value).collect(),
            reasons,
        };
        let mut seen = BTreeSet::new();
        self.notes.retain(|n| seen.insert(n.clone()));
        Outcome {
            plan,
            notes: self.notes,
            prerequisites: self.prerequisites,
            resource_namespace: self.resource_ns,
        }
    }
}

/// What the workload behind a webhook Service looks like.
#[derive(Debug, Default)]
struct Backend {
    workloads: Vec<WorkloadFacts>,
    /// Secrets the serving containers mount as their certificate (in priority order).
    mounted: Vec<String>,
}

#[derive(Debug)]
struct WorkloadFacts {
    workload: ObjId,
    /// The container serving the webhook port.
    container: Option<String>,
    /// Its certificate directory.
    cert_dir: String,
    /// Name for the volume to add.
    volume: String,
    /// Every Secret the pod mounts.
    secrets: Vec<String>,
    /// Secrets that look like the server's certificate: written by a Certificate, mounted at the
    /// certificate directory, or of type kubernetes.io/tls.
    cert_mounts: Vec<String>,
}

impl WorkloadFacts {
    fn mounts_secret(&self, secret: &str) -> bool {
        self.secrets.iter().any(|s| s == secret)
    }
}

fn workload_facts(
    inv: &Inventory,
    workload: ObjId,
    spec: &Node,
    target: Option<&TargetPort>,
) -> WorkloadFacts {
    let obj = inv.get(workload);
    let containers = spec.get("containers").map_or(&[][..], Node::items);
    let serves = |c: &Node| {
        let ports = c.get("ports").map_or(&[][..], Node::items);
        match target {
            Some(TargetPort::Number(n)) => ports
                .iter()
                .any(|p| p.get("containerPort").and_then(Node::as_i64) == Some(*n)),
            Some(TargetPort::Name(name)) => ports.iter().any(|p| p.str_at(&["name"]) == Some(name)),
            None => false,
        }
    };
    let container = containers
        .iter()
        .find(|c| serves(c))
        .or(if containers.len() == 1 {
            containers.first()
        } else {
            None
        })
        .or_else(|| containers.first());
    let cert_dir = container
        .and_then(|c| {
            flag_value(
                c,
                &[
                    "--cert-dir",
                    "--webhook-cert-path",
                    "--webhook-cert-dir",
                    "--tls-cert-dir",
                ],
            )
        })
        .filter(|d| d.starts_with('/') && !crate::rules::unrendered(d))
        .unwrap_or_else(|| CERT_DIR.to_string());
    let volumes = spec.get("volumes").map_or(&[][..], Node::items);
    let volume_names: BTreeSet<&str> = volumes.iter().filter_map(|v| v.str_at(&["name"])).collect();
    let volume = [VOLUME_NAME, "tlscheck-webhook-certs"]
        .into_iter()
        .find(|n| !volume_names.contains(n))
        .unwrap_or("tlscheck-webhook-certs")
        .to_string();
    let mounts = webhook::secret_mounts(spec, "");
    let secrets: Vec<String> = mounts.iter().map(|m| m.secret.clone()).collect();
    // Volume name of each Secret mount, to find where the serving container mounts it.
    let mount_path_of = |secret: &str| -> Option<String> {
        let vol = volumes.iter().find(|v| {
            v.str_at(&["secret", "secretName"]) == Some(secret)
                || v.path(&["projected", "sources"])
                    .map_or(&[][..], Node::items)
                    .iter()
                    .any(|s| s.str_at(&["secret", "name"]) == Some(secret))
        })?;
        let vname = vol.str_at(&["name"])?;
        container?
            .get("volumeMounts")
            .map_or(&[][..], Node::items)
            .iter()
            .find(|m| m.str_at(&["name"]) == Some(vname))
            .and_then(|m| m.str_at(&["mountPath"]))
            .map(str::to_string)
    };
    let ns = obj.ns();
    let mut ranked: Vec<(u8, String)> = Vec::new();
    for s in &secrets {
        let rank = if !inv.certificates_for_secret(ns, s).is_empty() {
            0
        } else if mount_path_of(s)
            .is_some_and(|p| p.trim_end_matches('/') == cert_dir.trim_end_matches('/'))
        {
            1
        } else if inv
            .find("", "Secret", ns, s)
            .is_some_and(|i| inv.get(i).root.str_at(&["type"]) == Some("kubernetes.io/tls"))
        {
            2
        } else {
            continue;
        };
        ranked.push((rank, s.clone()));
    }
    ranked.sort();
    ranked.dedup();
    WorkloadFacts {
        workload,
        container: container
            .and_then(|c| c.str_at(&["name"]))
            .map(str::to_string),
        cert_dir,
        volume,
        secrets,
        cert_mounts: ranked.into_iter().map(|(_, s)| s).collect(),
    }
}

/// The first Service (namespace, name) an injectable calls.
fn primary_service(inv: &Inventory, inj: &Injectable) -> Option<(String, String)> {
    inv.webhooks
        .callees_of(inj)
        .iter()
        .find_map(|c| match &c.target {
            Target::Service(s) if !s.name.is_empty() && !crate::rules::unrendered(&s.name) => {
                Some((
                    s.namespace
                        .clone()
                        .filter(|n| !crate::rules::unrendered(n))?,
                    s.name.clone(),
                ))
            }
            _ => None,
        })
}

/// The `inject-ca-from` patch of an injectable.
fn annotation_patch(inv: &Inventory, obj: ObjId, value: &str) -> Value {
    let o = inv.get(obj);
    let mut m = meta(None, &o.id.name);
    m["annotations"] = json!({INJECT_CA_FROM: value});
    json!({"apiVersion": o.id.api_version, "kind": o.id.kind, "metadata": m})
}

fn self_signed_issuer(kind: &str, ns: Option<&str>, name: &str) -> Value {
    json!({
        "apiVersion": "cert-manager.io/v1",
        "kind": kind,
        "metadata": meta(if kind == "ClusterIssuer" { None } else { ns }, name),
        "spec": {"selfSigned": {}},
    })
}

fn is_ca(node: Option<&Node>) -> bool {
    node.and_then(Node::as_bool).unwrap_or(false)
}

/// Whether a CA lifetime leaves room for `renewBefore: 720h` (at least three times as long).
fn long_enough_for_renew_before(duration: &str) -> bool {
    let (Ok(d), Ok(r)) = (
        crate::rules::cm::duration::parse_go_duration(duration),
        crate::rules::cm::duration::parse_go_duration(RENEW_BEFORE),
    ) else {
        return false;
    };
    d >= 3 * r
}

/// The region of an ARN (`arn:partition:service:region:...`).
pub fn arn_region(arn: &str) -> Option<String> {
    arn.split(':')
        .nth(3)
        .filter(|r| !r.is_empty())
        .map(str::to_string)
}

/// The certificate of a literal CA Secret in the input (public: `ca.crt`, else `tls.crt`).
fn literal_ca_pem(inv: &Inventory, ns: &str, secret: &str) -> Option<String> {
    let s = inv.get(inv.find("", "Secret", Some(ns), secret)?);
    for key in ["ca.crt", "tls.crt"] {
        if let Some(v) = s
            .root
            .path(&["stringData", key])
            .and_then(Node::scalar_text)
            && v.contains("BEGIN CERTIFICATE")
        {
            return Some(v.to_string());
        }
        if let Some(v) = s.root.path(&["data", key]).and_then(Node::scalar_text) {
            let clean: String = v.split_whitespace().collect();
            if let Ok(bytes) = data_encoding::BASE64.decode(clean.as_bytes())
                && let Ok(text) = String::from_utf8(bytes)
                && text.contains("BEGIN CERTIFICATE")
            {
                return Some(text);
            }
        }
    }
    None
}

/// Merge a patch into an object the way server-side apply / strategic merge do for the fields
/// bootstrap owns: maps recursively; `containers` and `volumes` by `name`, `volumeMounts` by
/// `mountPath`; other lists replaced.
pub fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, pv) in p {
                match t.get_mut(k) {
                    Some(tv) => {
                        let list_key = match k.as_str() {
                            "containers" | "initContainers" | "volumes" => Some("name"),
                            "volumeMounts" => Some("mountPath"),
                            _ => None,
                        };
                        match (list_key, tv, pv) {
                            (Some(lk), Value::Array(ta), Value::Array(pa)) => {
                                for item in pa {
                                    let id = item.get(lk);
                                    match ta.iter_mut().find(|x| id.is_some() && x.get(lk) == id) {
                                        Some(existing) => merge(existing, item),
                                        None => ta.push(item.clone()),
                                    }
                                }
                            }
                            (_, tv, pv) => merge(tv, pv),
                        }
                    }
                    None => {
                        t.insert(k.clone(), pv.clone());
                    }
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Settings;
    use crate::policy::Config;

    fn objects(yaml: &str) -> Vec<crate::model::Object> {
        let stream = crate::load::parse_stream(yaml, crate::load::Limits::default());
        assert!(stream.errors.is_empty(), "{:?}", stream.errors);
        let (mut out, mut errors) = (Vec::new(), Vec::new());
        for doc in stream.documents {
            crate::model::objects_from_document(0, "in.yaml", doc, &mut out, &mut errors);
        }
        assert!(errors.is_empty(), "{errors:?}");
        out
    }

    fn engine_opts(config: Config) -> crate::engine::Options {
        crate::engine::Options {
            config,
            user_policies: Vec::new(),
            today: "2026-11-26".into(),
            threads: 1,
            crds: Vec::new(),
        }
    }

    fn run(yaml: &str, opts: &Options) -> Result<super::super::Run, String> {
        super::super::run(
            objects(yaml),
            &["in.yaml".to_string()],
            &engine_opts(Config::default()),
            opts,
            None,
        )
    }

    fn kinds(run: &super::super::Run) -> Vec<String> {
        run.outcome
            .plan
            .objects
            .iter()
            .map(|o| {
                let (_, kind, ns, name) = key_of(o);
                format!("{kind} {}", qualified(ns.as_deref(), &name))
            })
            .collect()
    }

    const CERT: &str = "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: api, namespace: shop}\nspec:\n  secretName: api-tls\n  dnsNames: [api.shop.svc]\n  issuerRef: {name: internal-ca, kind: ClusterIssuer}\n";

    #[test]
    fn merge_keys_lists_like_server_side_apply() {
        let mut target = json!({
            "metadata": {"name": "d", "annotations": {"a": "1"}},
            "spec": {"template": {"spec": {
                "containers": [{"name": "m", "image": "x", "volumeMounts": [{"name": "old", "mountPath": "/p"}]}],
                "volumes": [{"name": "old", "emptyDir": {}}],
            }}},
        });
        let patch = json!({
            "metadata": {"annotations": {"b": "2"}},
            "spec": {"template": {"spec": {
                "containers": [{"name": "m", "volumeMounts": [{"name": "new", "mountPath": "/p", "readOnly": true}]}],
                "volumes": [{"name": "new", "secret": {"secretName": "s"}}],
            }}},
        });
        merge(&mut target, &patch);
        assert_eq!(
            target["metadata"]["annotations"],
            json!({"a": "1", "b": "2"})
        );
        let spec = &target["spec"]["template"]["spec"];
        assert_eq!(spec["containers"][0]["image"], "x");
        assert_eq!(
            spec["containers"][0]["volumeMounts"],
            json!([{"name": "new", "mountPath": "/p", "readOnly": true}])
        );
        assert_eq!(spec["volumes"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn resource_namespace_from_the_controller_arguments() {
        let dep = |arg: &str| {
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: cert-manager, namespace: certs}}\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: quay.io/jetstack/cert-manager-controller:v1.19.4\n        args: [\"{arg}\"]\n"
            )
        };
        let inv = Inventory::from_yaml(
            &dep("--cluster-resource-namespace=$(POD_NAMESPACE)"),
            Settings::default(),
        );
        assert_eq!(detect_resource_namespace(&inv).as_deref(), Some("certs"));
        let inv = Inventory::from_yaml(
            &dep("--cluster-resource-namespace=pki"),
            Settings::default(),
        );
        assert_eq!(detect_resource_namespace(&inv).as_deref(), Some("pki"));
        let inv = Inventory::from_yaml(&dep("--v=2"), Settings::default());
        assert_eq!(detect_resource_namespace(&inv), None);
        // Detected, the chain of a ClusterIssuer goes there.
        let yaml = format!("{CERT}---\n{}", dep("--cluster-resource-namespace=pki"));
        let run = run(&yaml, &Options::default()).unwrap();
        assert_eq!(run.outcome.resource_namespace, "pki");
        assert!(kinds(&run).contains(&"Certificate pki/my-selfsigned-ca".to_string()));
    }

    #[test]
    fn shim_references() {
        let inv = Inventory::from_yaml(
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: i\n  annotations:\n    cert-manager.io/issuer: pca\n    cert-manager.io/issuer-kind: AWSPCAClusterIssuer\n    cert-manager.io/issuer-group: awspca.cert-manager.io\n",
            Settings::default(),
        );
        let r = shim_ref(inv.get(0)).unwrap();
        assert_eq!(
            (r.name.as_str(), r.kind.as_str(), r.group.as_str()),
            ("pca", "AWSPCAClusterIssuer", AWSPCA_GROUP)
        );
    }

    #[test]
    fn existing_objects_are_not_emitted() {
        // The chain exists except the CA issuer: only the issuer is emitted, with the Secret of the
        // existing CA Certificate.
        let yaml = format!(
            "{CERT}---\napiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {{name: selfsigned-issuer}}\nspec: {{selfSigned: {{}}}}\n---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {{name: my-selfsigned-ca, namespace: cert-manager}}\nspec:\n  isCA: true\n  commonName: my-selfsigned-ca\n  duration: 87600h\n  subject: {{organizations: [x]}}\n  secretName: the-root\n  issuerRef: {{name: selfsigned-issuer, kind: ClusterIssuer}}\n"
        );
        let run = run(&yaml, &Options::default()).unwrap();
        assert_eq!(kinds(&run), ["ClusterIssuer internal-ca"]);
        assert_eq!(
            run.outcome.plan.objects[0]["spec"]["ca"]["secretName"],
            "the-root"
        );
        assert!(run.remaining.is_empty() && run.generated.is_empty());
    }

    #[test]
    fn a_literal_ca_secret_is_used_never_replaced() {
        // A real CA key pair in the Secret the chain would write: used as is (no self-signed issuer,
        // no CA Certificate), and --trust copies its certificate.
        let ca = super::super::local_ca::generate(&super::super::local_ca::CaOptions {
            common_name: "literal-root".into(),
            organization: Some("x".into()),
            days: 30,
        })
        .unwrap();
        let secret = super::super::local_ca::secret(&ca, "cert-manager", "root-secret");
        let yaml = format!("{CERT}---\n{}", serde_json::to_string(&secret).unwrap());
        let opts = Options {
            trust: true,
            ..Options::default()
        };
        let r = run(&yaml, &opts).unwrap();
        assert_eq!(
            kinds(&r),
            [
                "ClusterIssuer internal-ca",
                "ConfigMap cert-manager/my-selfsigned-ca-root",
                "Bundle my-selfsigned-ca-bundle"
            ]
        );
        assert_eq!(
            r.outcome.plan.objects[1]["data"]["ca.crt"].as_str(),
            Some(ca.cert_pem.as_str())
        );
        assert!(
            r.outcome
                .notes
                .iter()
                .any(|n| n.contains("never overwritten"))
        );
        // An unusable literal Secret: CM008 on the generated issuer stops the plan.
        let yaml = format!(
            "{CERT}---\napiVersion: v1\nkind: Secret\nmetadata: {{name: root-secret, namespace: cert-manager}}\ntype: kubernetes.io/tls\ndata: {{tls.crt: '', tls.key: ''}}\n"
        );
        let err = run(&yaml, &Options::default()).unwrap_err();
        assert!(err.contains("CM008"), "{err}");
    }

    #[test]
    fn declared_issuers_are_not_missing() {
        let config: Config = serde_saphyr::from_str(
            "objects:\n- {kind: ClusterIssuer, group: cert-manager.io, name: internal-ca}\n",
        )
        .unwrap();
        let run = super::super::run(
            objects(CERT),
            &[],
            &engine_opts(config),
            &Options::default(),
            None,
        )
        .unwrap();
        assert!(run.outcome.plan.objects.is_empty());
        assert!(run.findings.is_empty());
    }

    #[test]
    fn name_conflicts_are_errors() {
        let not_ca = "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: my-selfsigned-ca, namespace: cert-manager}\nspec:\n  secretName: x\n  dnsNames: [x]\n  issuerRef: {name: internal-ca, kind: ClusterIssuer}\n";
        let err = run(&format!("{CERT}---\n{not_ca}"), &Options::default()).unwrap_err();
        assert!(err.contains("choose another --ca-name"), "{err}");
        // A missing ClusterIssuer named like the self-signed one becomes that self-signed issuer.
        let yaml = CERT.replace("internal-ca", "selfsigned-issuer");
        let run = run(&yaml, &Options::default()).unwrap();
        assert_eq!(kinds(&run), ["ClusterIssuer selfsigned-issuer"]);
        assert!(run.outcome.plan.objects[0]["spec"]["selfSigned"].is_object());
    }

    #[test]
    fn durations_and_regions() {
        assert!(long_enough_for_renew_before("87600h"));
        assert!(!long_enough_for_renew_before("2000h"));
        assert_eq!(
            arn_region("arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/x").as_deref(),
            Some("eu-west-1")
        );
    }
}
