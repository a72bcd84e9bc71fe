//! The webhook TLS graph (RULES.md §1.7), resolved once with the inventory: every place the
//! kube-apiserver calls an in-cluster server over TLS (admission webhooks, CRD conversion webhooks,
//! aggregated APIServices), the Service, port and pods behind it, the Secrets those pods mount, the CA
//! source cainjector is told to use, and whether a legitimate non-cert-manager pattern (§1.8) applies.
//!
//! ```text
//! callee ──service──▶ Service ──port──▶ targetPort ──selector──▶ pod templates ──volumes──▶ Secrets
//!    └─ inject-ca-from ns/C ─▶ Certificate C ─secretName─▶ Secret ─issuerRef─▶ Issuer ─▶ CA Secret
//! ```

use super::fingerprint::{Condition, Fingerprint};
use super::inventory::Inventory;
use super::object::{ObjId, Object};
use crate::load::Node;
use crate::load::node::pointer;

/// The cainjector annotation keys (RULES.md §1.6).
pub const INJECT_CA_FROM: &str = "cert-manager.io/inject-ca-from";
/// Inject from a Secret that allows direct injection.
pub const INJECT_CA_FROM_SECRET: &str = "cert-manager.io/inject-ca-from-secret";
/// Inject the kube-apiserver's CA.
pub const INJECT_APISERVER_CA: &str = "cert-manager.io/inject-apiserver-ca";
/// The pre-0.11 key, ignored by current cainjector.
pub const LEGACY_INJECT_CA_FROM: &str = "certmanager.k8s.io/inject-ca-from";

/// Kinds cainjector injects into (RULES.md §1.6): the first four of [`KINDS`].
pub const INJECTABLE_KINDS: crate::rules::KindSet = KINDS.split_at(4).0;

/// Kinds the graph reads.
pub const KINDS: crate::rules::KindSet = &[
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
    ("", "Service"),
    ("", "Secret"),
    ("cert-manager.io", "Certificate"),
];

/// What calls the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CalleeKind {
    /// `ValidatingWebhookConfiguration.webhooks[]`.
    Validating,
    /// `MutatingWebhookConfiguration.webhooks[]`.
    Mutating,
    /// `CustomResourceDefinition.spec.conversion` with strategy `Webhook`.
    Conversion,
    /// `APIService.spec.service`.
    ApiService,
}

/// A Service reference of a clientConfig (or APIService).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceRef {
    /// `namespace` (required by the API; `None` when missing from the manifest).
    pub namespace: Option<String>,
    /// `name`.
    pub name: String,
    /// `port`, default 443.
    pub port: i64,
    /// Pointer of the `service` block.
    pub pointer: String,
}

impl ServiceRef {
    /// The TLS ServerName the apiserver verifies: `<svc>.<ns>.svc`.
    pub fn server_name(&self) -> String {
        format!(
            "{}.{}.svc",
            self.name,
            self.namespace.as_deref().unwrap_or("default")
        )
    }
}

/// Where the apiserver connects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A Service in the cluster.
    Service(ServiceRef),
    /// A URL.
    Url {
        /// The URL.
        url: String,
        /// Its host (without port or brackets).
        host: String,
        /// Pointer of `url`.
        pointer: String,
    },
    /// Neither (an invalid or unrendered clientConfig; a local APIService).
    None,
}

/// The `caBundle` of a callee.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaBundle {
    /// No caBundle (the apiserver uses its system trust roots).
    Absent,
    /// Empty or whitespace-only after base64 (`Cg==`): overwritten by an injector, or absent.
    Placeholder {
        /// Pointer of the value.
        pointer: String,
    },
    /// A literal value.
    Literal {
        /// Pointer of the value.
        pointer: String,
        /// The base64 text.
        value: String,
    },
}

impl CaBundle {
    /// Whether the apiserver has a caBundle to verify with.
    pub fn is_set(&self) -> bool {
        matches!(self, CaBundle::Literal { .. })
    }
}

/// How the Service port of a callee resolves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortResolution {
    /// The Service is not in the input.
    NoService,
    /// No Service port has `port == ServiceRef.port`.
    NotExposed,
    /// The Service port (index in `spec.ports`) and its targetPort.
    Port {
        /// Index in `spec.ports`.
        index: usize,
        /// `targetPort` (defaults to the port).
        target: TargetPort,
    },
}

/// A Service `targetPort`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetPort {
    /// A number.
    Number(i64),
    /// A container port name.
    Name(String),
}

/// The server behind a Service-backed callee.
#[derive(Clone, Debug, Default)]
pub struct Backend {
    /// The Service, when in the input.
    pub service: Option<ObjId>,
    /// Its port.
    pub port: Option<PortResolution>,
    /// Pod templates selected by the Service (indexes into [`Inventory::pod_templates`]).
    pub pods: Vec<usize>,
}

/// One call site: a webhook entry, a CRD conversion, or an APIService.
#[derive(Clone, Debug)]
pub struct Callee {
    /// The object.
    pub object: ObjId,
    /// What it is.
    pub kind: CalleeKind,
    /// Pointer of the `clientConfig` (`/spec` for an APIService).
    pub pointer: String,
    /// Where the apiserver connects.
    pub target: Target,
    /// The literal caBundle.
    pub ca_bundle: CaBundle,
    /// What is behind a Service target.
    pub backend: Backend,
}

/// A cainjector annotation, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Annotation {
    /// Key.
    pub key: &'static str,
    /// Value as written.
    pub value: String,
    /// `(namespace, name)` when the value is a valid `ns/name` (cainjector ignores anything else).
    pub target: Option<(String, String)>,
}

/// The CA source cainjector uses for an object (precedence secret > certificate > apiserver,
/// `setup.go`), considering only values cainjector accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaSource {
    /// `inject-ca-from-secret: ns/name`.
    Secret(String, String),
    /// `inject-ca-from: ns/name`.
    Certificate(String, String),
    /// `inject-apiserver-ca: "true"`.
    ApiServer,
    /// No (usable) injection.
    None,
}

/// The cainjector annotations of an object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Injection {
    /// `cert-manager.io/inject-ca-from-secret`.
    pub from_secret: Option<Annotation>,
    /// `cert-manager.io/inject-ca-from`.
    pub from_certificate: Option<Annotation>,
    /// `cert-manager.io/inject-apiserver-ca`.
    pub apiserver: Option<Annotation>,
    /// `certmanager.k8s.io/inject-ca-from` (ignored since cert-manager 0.11).
    pub legacy: Option<Annotation>,
}

impl Injection {
    /// Read the annotations of `obj`.
    pub fn of(obj: &Object) -> Self {
        let read = |key: &'static str| {
            obj.annotation(key).map(|v| Annotation {
                key,
                value: v.to_string(),
                target: split_namespaced(v),
            })
        };
        Injection {
            from_secret: read(INJECT_CA_FROM_SECRET),
            from_certificate: read(INJECT_CA_FROM),
            apiserver: read(INJECT_APISERVER_CA),
            legacy: read(LEGACY_INJECT_CA_FROM),
        }
    }

    /// Whether any current (non-legacy) key is present, valid or not.
    pub fn any_current(&self) -> bool {
        self.from_secret.is_some() || self.from_certificate.is_some() || self.apiserver.is_some()
    }

    /// The source cainjector uses. It picks the first source whose annotation is present (secret,
    /// certificate, then apiserver when `"true"`) and only then reads the value, so an invalid
    /// value injects nothing rather than falling through to the next source (cert-manager
    /// `pkg/controller/cainjector/sources.go`, `Configured` then `ReadCA`).
    pub fn source(&self) -> CaSource {
        if let Some(secret) = &self.from_secret {
            secret
                .target
                .clone()
                .map_or(CaSource::None, |(ns, name)| CaSource::Secret(ns, name))
        } else if let Some(certificate) = &self.from_certificate {
            certificate
                .target
                .clone()
                .map_or(CaSource::None, |(ns, name)| CaSource::Certificate(ns, name))
        } else if self.apiserver.as_ref().is_some_and(|a| a.value == "true") {
            CaSource::ApiServer
        } else {
            CaSource::None
        }
    }
}

/// `ns/name` as cainjector's `splitNamespacedName` accepts it, with DNS-ish names (RULES.md WH003).
pub fn split_namespaced(value: &str) -> Option<(String, String)> {
    let (ns, name) = value.split_once('/')?;
    let label = |s: &str, dots: bool| {
        !s.is_empty()
            && s.len() <= 253
            && s.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || (dots && b == b'.')
            })
            && s.as_bytes()[0].is_ascii_alphanumeric()
            && s.as_bytes()[s.len() - 1].is_ascii_alphanumeric()
    };
    (label(ns, false) && label(name, true)).then(|| (ns.to_string(), name.to_string()))
}

/// An object the apiserver calls (or cainjector injects into), with its call sites.
#[derive(Clone, Debug)]
pub struct Injectable {
    /// The object.
    pub object: ObjId,
    /// Its cainjector annotations.
    pub injection: Injection,
    /// Indexes into [`WebhookGraph::callees`].
    pub callees: std::ops::Range<usize>,
    /// The fingerprint (§1.8) it matches, as an index into [`WebhookGraph::fingerprints`].
    pub fingerprint: Option<usize>,
}

/// A Secret volume of a pod template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretMount {
    /// Secret name.
    pub secret: String,
    /// Pointer of the volume (inside the workload object).
    pub pointer: String,
    /// Keys projected with `items` (`None`: all keys).
    pub items: Option<Vec<String>>,
    /// `optional: true`.
    pub optional: bool,
}

/// The graph.
#[derive(Debug, Default)]
pub struct WebhookGraph {
    /// Call sites, grouped by object in input order.
    pub callees: Vec<Callee>,
    /// Objects with call sites or cainjector annotations (injectable kinds only).
    pub injectables: Vec<Injectable>,
    /// Fingerprints in force (built-in, then the user's).
    pub fingerprints: Vec<Fingerprint>,
}

fn ca_bundle(node: Option<&Node>, base: &str) -> CaBundle {
    let Some(node) = node else {
        return CaBundle::Absent;
    };
    let pointer = format!("{base}/caBundle");
    match node.scalar_text() {
        None => CaBundle::Absent,
        Some(_) if node.is_null() => CaBundle::Absent,
        Some(v) if crate::certs::is_placeholder(v) => CaBundle::Placeholder { pointer },
        Some(v) => CaBundle::Literal {
            pointer,
            value: v.to_string(),
        },
    }
}

fn target(config: &Node, base: &str) -> Target {
    if let Some(svc) = config.get("service") {
        return Target::Service(ServiceRef {
            namespace: svc.str_at(&["namespace"]).map(str::to_string),
            name: svc.str_at(&["name"]).unwrap_or("").to_string(),
            port: svc.get("port").and_then(Node::as_i64).unwrap_or(443),
            pointer: format!("{base}/service"),
        });
    }
    if let Some(url) = config.get("url").and_then(Node::scalar_text) {
        return Target::Url {
            url: url.to_string(),
            host: url_host(url),
            pointer: format!("{base}/url"),
        };
    }
    Target::None
}

/// The host of a URL (no scheme, userinfo, port, path or IPv6 brackets).
pub fn url_host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = host.strip_prefix('[') {
        return v6.split(']').next().unwrap_or("").to_string();
    }
    host.split(':').next().unwrap_or("").to_string()
}

/// The call sites of one object.
fn callees_of(id: ObjId, obj: &Object) -> Vec<Callee> {
    let mut out = Vec::new();
    let mut push = |kind, config: &Node, base: String| {
        out.push(Callee {
            object: id,
            kind,
            target: target(config, &base),
            ca_bundle: ca_bundle(config.get("caBundle"), &base),
            pointer: base,
            backend: Backend::default(),
        });
    };
    match (obj.group.as_str(), obj.id.kind.as_str()) {
        (
            "admissionregistration.k8s.io",
            k @ ("ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration"),
        ) => {
            let kind = if k.starts_with('V') {
                CalleeKind::Validating
            } else {
                CalleeKind::Mutating
            };
            for (i, w) in obj
                .root
                .get("webhooks")
                .map_or(&[][..], Node::items)
                .iter()
                .enumerate()
            {
                if let Some(config) = w.get("clientConfig") {
                    push(
                        kind,
                        config,
                        pointer(["webhooks", &i.to_string(), "clientConfig"]),
                    );
                }
            }
        }
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            let conversion = obj.root.path(&["spec", "conversion"]);
            if conversion.and_then(|c| c.str_at(&["strategy"])) == Some("Webhook") {
                let conversion = conversion.expect("checked above");
                // v1: conversion.webhook.clientConfig; v1beta1: conversion.webhookClientConfig (on a v1
                // CRD that field does not exist: WH008 reports it).
                if let Some(config) = conversion.path(&["webhook", "clientConfig"]) {
                    push(
                        CalleeKind::Conversion,
                        config,
                        pointer(["spec", "conversion", "webhook", "clientConfig"]),
                    );
                } else if let Some(config) = conversion
                    .get("webhookClientConfig")
                    .filter(|_| obj.id.api_version == "apiextensions.k8s.io/v1beta1")
                {
                    push(
                        CalleeKind::Conversion,
                        config,
                        pointer(["spec", "conversion", "webhookClientConfig"]),
                    );
                }
            }
        }
        ("apiregistration.k8s.io", "APIService") => {
            if let Some(spec) = obj.spec().filter(|s| s.get("service").is_some()) {
                push(CalleeKind::ApiService, spec, "/spec".to_string());
            }
        }
        _ => {}
    }
    out
}

/// The Secret volumes of a pod spec.
pub fn secret_mounts(pod_spec: &Node, base: &str) -> Vec<SecretMount> {
    let mut out = Vec::new();
    for (i, v) in pod_spec
        .get("volumes")
        .map_or(&[][..], Node::items)
        .iter()
        .enumerate()
    {
        let vp = format!("{base}/volumes/{i}");
        let keys = |n: &Node| {
            n.get("items").map(|items| {
                items
                    .items()
                    .iter()
                    .filter_map(|it| it.str_at(&["key"]).map(str::to_string))
                    .collect()
            })
        };
        if let Some(s) = v.get("secret")
            && let Some(name) = s.str_at(&["secretName"])
        {
            out.push(SecretMount {
                secret: name.to_string(),
                pointer: format!("{vp}/secret"),
                items: keys(s),
                optional: s.get("optional").and_then(Node::as_bool) == Some(true),
            });
        }
        let sources = v
            .path(&["projected", "sources"])
            .map_or(&[][..], Node::items);
        for (j, src) in sources.iter().enumerate() {
            if let Some(s) = src.get("secret")
                && let Some(name) = s.str_at(&["name"])
            {
                out.push(SecretMount {
                    secret: name.to_string(),
                    pointer: format!("{vp}/projected/sources/{j}/secret"),
                    items: keys(s),
                    optional: s.get("optional").and_then(Node::as_bool) == Some(true),
                });
            }
        }
    }
    out
}

/// All containers (init containers included) of a pod spec.
pub fn containers(pod_spec: &Node) -> impl Iterator<Item = &Node> {
    ["initContainers", "containers"]
        .into_iter()
        .flat_map(|k| pod_spec.get(k).map_or(&[][..], Node::items))
}

impl WebhookGraph {
    /// Resolve the graph of `inv` (the inventory's other indexes must be built). O(objects + edges).
    /// `fingerprints` is called only when there is something to match them against (parsing the
    /// built-in ones costs more than linting a small file without webhooks).
    pub fn build(inv: &Inventory, fingerprints: impl FnOnce() -> Vec<Fingerprint>) -> Self {
        let mut graph = WebhookGraph::default();
        // Workloads by namespace, for the "a workload in namespace X runs with flag" fingerprints.
        for (id, obj) in inv.objects.iter().enumerate() {
            let injectable = INJECTABLE_KINDS.iter().any(|(g, k)| obj.is(g, k));
            if !injectable {
                continue;
            }
            let start = graph.callees.len();
            for mut c in callees_of(id, obj) {
                if let Target::Service(s) = &c.target {
                    c.backend = resolve_backend(inv, s);
                }
                graph.callees.push(c);
            }
            graph.injectables.push(Injectable {
                object: id,
                injection: Injection::of(obj),
                callees: start..graph.callees.len(),
                fingerprint: None,
            });
        }
        if !graph.injectables.is_empty() {
            graph.fingerprints = fingerprints();
        }
        // Built on first use: inputs without webhooks never pay for indexing container arguments.
        let args = std::cell::OnceCell::new();
        let matches: Vec<Option<usize>> = graph
            .injectables
            .iter()
            .map(|inj| {
                graph
                    .fingerprints
                    .iter()
                    .position(|f| f.when.iter().all(|c| graph.holds(inv, &args, inj, c)))
            })
            .collect();
        for (inj, m) in graph.injectables.iter_mut().zip(matches) {
            inj.fingerprint = m;
        }
        graph
    }

    /// The call sites of an injectable.
    pub fn callees_of(&self, inj: &Injectable) -> &[Callee] {
        &self.callees[inj.callees.clone()]
    }

    /// The fingerprint an injectable matches.
    pub fn fingerprint_of(&self, inj: &Injectable) -> Option<&Fingerprint> {
        inj.fingerprint.map(|f| &self.fingerprints[f])
    }

    fn holds(
        &self,
        inv: &Inventory,
        args: &std::cell::OnceCell<ArgIndex>,
        inj: &Injectable,
        cond: &Condition,
    ) -> bool {
        let obj = inv.get(inj.object);
        let callees = self.callees_of(inj);
        let backend_pods = || {
            callees
                .iter()
                .flat_map(|c| c.backend.pods.iter())
                .filter_map(|&t| inv.pod_spec(t))
        };
        match cond {
            Condition::Name(re) => re.is_match(&obj.id.name),
            Condition::Label(l) => obj
                .label(&l.key)
                .is_some_and(|v| l.value.as_ref().is_none_or(|re| re.is_match(v))),
            Condition::InjectSecretArg(flag) => {
                let Some((ns, name)) = inj
                    .injection
                    .from_secret
                    .as_ref()
                    .and_then(|a| a.target.clone())
                else {
                    return false;
                };
                args.get_or_init(|| ArgIndex::build(inv))
                    .by_namespace
                    .contains(&(Some(ns.into()), format!("{flag}={name}")))
            }
            Condition::JobArg(j) => {
                let arg = j.arg.replace("${name}", &obj.id.name);
                args.get_or_init(|| ArgIndex::build(inv))
                    .jobs
                    .iter()
                    .any(|(image, job_args)| j.image.is_match(image) && job_args.contains(&arg))
            }
            Condition::BackendEnv(name) => backend_pods().any(|(_, spec)| {
                containers(spec).any(|c| {
                    c.get("env")
                        .map_or(&[][..], Node::items)
                        .iter()
                        .any(|e| e.str_at(&["name"]) == Some(name.as_str()))
                })
            }),
            Condition::BackendCsiDriver(re) => backend_pods().any(|(_, spec)| {
                spec.get("volumes")
                    .map_or(&[][..], Node::items)
                    .iter()
                    .any(|v| {
                        v.path(&["csi", "driver"])
                            .and_then(Node::scalar_text)
                            .is_some_and(|d| re.is_match(d))
                    })
            }),
            Condition::BackendMountsEmptySecret(want) => {
                let found = backend_pods().any(|(w, spec)| {
                    secret_mounts(spec, "").iter().any(|m| {
                        inv.find("", "Secret", w.ns(), &m.secret).is_some_and(|s| {
                            let s = inv.get(s);
                            ["data", "stringData"]
                                .iter()
                                .all(|k| s.root.get(k).is_none_or(|d| d.entries().is_empty()))
                        }) && inv.certificates_for_secret(w.ns(), &m.secret).is_empty()
                    })
                });
                found == *want
            }
            Condition::UrlHost(re) => callees
                .iter()
                .any(|c| matches!(&c.target, Target::Url { host, .. } if re.is_match(host))),
            Condition::Field(f) => {
                let node = obj.root.at(&f.pointer);
                node.and_then(Node::scalar_text)
                    .is_some_and(|v| f.value.is_match(v))
            }
        }
    }
}

/// Container arguments, indexed once for the fingerprints that look for a flag in a namespace or a Job.
#[derive(Default)]
struct ArgIndex {
    /// `(namespace, "--flag=value")` for every argument, with `--flag value` pairs joined.
    by_namespace: std::collections::HashSet<(Option<crate::load::Text>, String)>,
    /// Image and arguments of every Job/CronJob container.
    jobs: Vec<(String, Vec<String>)>,
}

impl ArgIndex {
    fn build(inv: &Inventory) -> Self {
        let mut idx = ArgIndex::default();
        for (w, spec) in inv.pod_specs() {
            for c in containers(spec) {
                let args: Vec<&str> = ["command", "args"]
                    .into_iter()
                    .flat_map(|k| c.get(k).map_or(&[][..], Node::items))
                    .filter_map(Node::scalar_text)
                    .collect();
                for (i, a) in args.iter().enumerate() {
                    idx.by_namespace
                        .insert((w.id.namespace.clone(), a.to_string()));
                    if let (true, Some(v)) =
                        (a.starts_with('-') && !a.contains('='), args.get(i + 1))
                    {
                        idx.by_namespace
                            .insert((w.id.namespace.clone(), format!("{a}={v}")));
                    }
                }
                if w.group == "batch" {
                    let image = c.str_at(&["image"]).unwrap_or("").to_string();
                    idx.jobs
                        .push((image, args.iter().map(|a| a.to_string()).collect()));
                }
            }
        }
        idx
    }
}

/// Resolve Service, port and pods behind a Service reference.
fn resolve_backend(inv: &Inventory, s: &ServiceRef) -> Backend {
    let Some(svc) = inv.find("", "Service", s.namespace.as_deref(), &s.name) else {
        return Backend {
            port: Some(PortResolution::NoService),
            ..Default::default()
        };
    };
    let spec = inv.get(svc).spec();
    let ports = spec
        .and_then(|sp| sp.get("ports"))
        .map_or(&[][..], Node::items);
    let port = match ports
        .iter()
        .position(|p| p.get("port").and_then(Node::as_i64) == Some(s.port))
    {
        None => PortResolution::NotExposed,
        Some(index) => {
            let p = &ports[index];
            let target = match p.get("targetPort") {
                Some(t) => match t.as_i64() {
                    Some(n) => TargetPort::Number(n),
                    None => TargetPort::Name(t.scalar_text().unwrap_or("").to_string()),
                },
                None => TargetPort::Number(s.port),
            };
            PortResolution::Port { index, target }
        }
    };
    let pods = match spec.and_then(|sp| sp.get("selector")) {
        Some(sel) => inv.pods_selected_indexes(s.namespace.as_deref(), sel),
        None => Vec::new(),
    };
    Backend {
        service: Some(svc),
        port: Some(port),
        pods,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaced_values() {
        assert_eq!(
            split_namespaced("cert-manager/cert-manager-webhook-ca"),
            Some(("cert-manager".into(), "cert-manager-webhook-ca".into()))
        );
        assert_eq!(split_namespaced("serving-cert"), None);
        assert_eq!(split_namespaced("$(NS)/$(NAME)"), None);
        assert_eq!(split_namespaced("a/b/c"), None);
        assert_eq!(split_namespaced("System/cert"), None);
    }

    #[test]
    fn url_hosts() {
        assert_eq!(url_host("https://127.0.0.1:8443/validate"), "127.0.0.1");
        assert_eq!(url_host("https://[::1]:443/x"), "::1");
        assert_eq!(url_host("https://hooks.example.com/x"), "hooks.example.com");
    }
}
