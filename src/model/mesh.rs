//! Service meshes as the data plane sees them (RULES.md §4): which pods are meshed (Istio sidecar or
//! ambient, Linkerd), the effective Istio mTLS mode of a workload port computed the way istiod does
//! (workload PeerAuthentication, then namespace, then mesh-wide in the root namespace, `UNSET`
//! inheriting, PERMISSIVE by default), Linkerd's default inbound policy, and where a DestinationRule
//! host points. Each answer carries the objects that decided it, so findings can explain themselves.

use std::collections::HashMap;

use crate::load::Text;

use super::inventory::Inventory;
use super::object::{ObjId, Object};
use crate::load::Node;

/// Istio security API group.
pub const ISTIO_SECURITY: &str = "security.istio.io";
/// Istio networking API group.
pub const ISTIO_NETWORKING: &str = "networking.istio.io";
/// Linkerd policy API group.
pub const LINKERD_POLICY: &str = "policy.linkerd.io";

/// Kinds the mesh model reads.
pub const KINDS: crate::rules::KindSet = &[
    ("", "Namespace"),
    (ISTIO_SECURITY, "PeerAuthentication"),
    (LINKERD_POLICY, "Server"),
    (LINKERD_POLICY, "AuthorizationPolicy"),
    (LINKERD_POLICY, "ServerAuthorization"),
    (LINKERD_POLICY, "NetworkAuthentication"),
];

/// A PeerAuthentication mTLS mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MtlsMode {
    /// Inherit from the parent policy.
    Unset,
    /// Plaintext only.
    Disable,
    /// mTLS and plaintext.
    Permissive,
    /// mTLS only.
    Strict,
}

impl MtlsMode {
    /// Parse a mode; `None` for values Istio rejects.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "UNSET" => Some(MtlsMode::Unset),
            "DISABLE" => Some(MtlsMode::Disable),
            "PERMISSIVE" => Some(MtlsMode::Permissive),
            "STRICT" => Some(MtlsMode::Strict),
            _ => None,
        }
    }

    /// Upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            MtlsMode::Unset => "UNSET",
            MtlsMode::Disable => "DISABLE",
            MtlsMode::Permissive => "PERMISSIVE",
            MtlsMode::Strict => "STRICT",
        }
    }
}

/// One step of an effective-mode computation: the policy consulted and what it said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The PeerAuthentication.
    pub policy: ObjId,
    /// Pointer of the deciding field (`/spec/mtls/mode`, `/spec/portLevelMtls/8080/mode`, …).
    pub pointer: String,
    /// What it said (`Unset` when it inherits).
    pub mode: MtlsMode,
    /// `workload`, `namespace` or `mesh`.
    pub level: &'static str,
}

/// The effective mTLS mode of a workload port and how it was reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effective {
    /// The mode the sidecar/ztunnel enforces.
    pub mode: MtlsMode,
    /// The policies consulted, most specific first; the last one set the mode (none: the default).
    pub steps: Vec<Step>,
}

impl Effective {
    /// "STRICT (from PeerAuthentication istio-system/default, mesh-wide)", for messages.
    pub fn explain(&self, inv: &Inventory) -> String {
        match self.steps.iter().rev().find(|s| s.mode != MtlsMode::Unset) {
            Some(s) => format!(
                "{} (from {}, {}-level{})",
                self.mode.as_str(),
                inv.get(s.policy).id.display(),
                s.level,
                if s.pointer.contains("portLevelMtls") {
                    ", port-level"
                } else {
                    ""
                }
            ),
            None => format!(
                "{} (Istio's default: no PeerAuthentication sets a mode)",
                self.mode.as_str()
            ),
        }
    }
}

/// How a pod joins a mesh.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Membership {
    /// Istio sidecar injection (the reason: which label decided it).
    IstioSidecar(String),
    /// Istio ambient (ztunnel).
    IstioAmbient(String),
    /// Linkerd proxy injection.
    Linkerd(String),
}

/// PeerAuthentications indexed by namespace.
#[derive(Debug, Default)]
pub struct MeshIndex {
    /// `(namespace)` → PeerAuthentications without (or with an empty) workload selector.
    pa_namespace: HashMap<Option<Text>, Vec<ObjId>>,
    /// `(namespace)` → PeerAuthentications with a workload selector.
    pa_workload: HashMap<Option<Text>, Vec<ObjId>>,
}

/// The `matchLabels` of a PeerAuthentication's selector, when it has any.
pub fn pa_selector(pa: &Object) -> Option<&Node> {
    pa.root
        .path(&["spec", "selector", "matchLabels"])
        .filter(|m| !m.entries().is_empty())
}

impl MeshIndex {
    /// Index the PeerAuthentications of `inv`.
    pub fn build(inv: &Inventory) -> Self {
        let mut idx = MeshIndex::default();
        for &p in inv.of_kind(ISTIO_SECURITY, "PeerAuthentication") {
            let pa = inv.get(p);
            let map = if pa_selector(pa).is_some() {
                &mut idx.pa_workload
            } else {
                &mut idx.pa_namespace
            };
            map.entry(pa.id.namespace.clone()).or_default().push(p);
        }
        idx
    }
}

/// Whether `labels` satisfy a `matchLabels` map.
pub fn labels_match(selector: &Node, labels: Option<&Node>) -> bool {
    selector.entries().iter().all(|e| {
        labels
            .and_then(|l| l.get(&e.key))
            .and_then(Node::scalar_text)
            == e.value.scalar_text()
    })
}

/// The mode a PeerAuthentication sets for `port`: port-level (only with a selector), else `mtls.mode`
/// (absent: `UNSET`). Invalid modes count as `UNSET` (EW003 reports them).
fn pa_mode(pa: &Object, port: Option<i64>) -> (MtlsMode, String) {
    if let (Some(port), Some(_)) = (port, pa_selector(pa)) {
        let levels = pa
            .root
            .path(&["spec", "portLevelMtls"])
            .map_or(&[][..], Node::entries);
        if let Some(e) = levels
            .iter()
            .find(|e| e.key.trim().parse::<i64>() == Ok(port))
        {
            let mode = e
                .value
                .str_at(&["mode"])
                .and_then(MtlsMode::parse)
                .unwrap_or(MtlsMode::Unset);
            if mode != MtlsMode::Unset {
                return (
                    mode,
                    crate::load::node::pointer(["spec", "portLevelMtls", &e.key, "mode"]),
                );
            }
        }
    }
    let mode = pa
        .root
        .str_at(&["spec", "mtls", "mode"])
        .and_then(MtlsMode::parse)
        .unwrap_or(MtlsMode::Unset);
    (mode, "/spec/mtls/mode".to_string())
}

impl Inventory {
    /// The labels of a Namespace in the input (`kubernetes.io/metadata.name` is implied).
    pub fn namespace_object(&self, ns: Option<&str>) -> Option<&Object> {
        self.find("", "Namespace", None, ns?).map(|n| self.get(n))
    }

    /// The effective Istio mTLS mode for a pod (namespace `ns`, template labels) on container port
    /// `port` (`None`: the workload as a whole). Oldest-wins ties between policies at one level are
    /// resolved by input order.
    pub fn istio_effective_mtls(
        &self,
        ns: Option<&str>,
        labels: Option<&Node>,
        port: Option<i64>,
    ) -> Effective {
        let idx = &self.mesh;
        let key = ns.map(Text::new);
        let mut steps = Vec::new();
        let workload = idx
            .pa_workload
            .get(&key)
            .into_iter()
            .flatten()
            .copied()
            .find(|&p| pa_selector(self.get(p)).is_some_and(|s| labels_match(s, labels)));
        let namespace = idx.pa_namespace.get(&key).and_then(|v| v.first().copied());
        let root = Some(Text::new(&self.settings.istio_root_namespace));
        let mesh = idx.pa_namespace.get(&root).and_then(|v| v.first().copied());
        for (level, policy) in [
            ("workload", workload),
            ("namespace", namespace),
            ("mesh", mesh),
        ] {
            let Some(p) = policy else { continue };
            if level == "mesh" && namespace == Some(p) {
                continue; // the pod is in the root namespace: already consulted
            }
            let (mode, pointer) = pa_mode(self.get(p), port);
            steps.push(Step {
                policy: p,
                pointer,
                mode,
                level,
            });
            if mode != MtlsMode::Unset {
                return Effective { mode, steps };
            }
        }
        Effective {
            mode: MtlsMode::Permissive,
            steps,
        }
    }

    /// How the pods of a template join a mesh, if they do (namespace labels/annotations of a Namespace
    /// in the input, pod labels and annotations). Gateways are reported by [`is_mesh_gateway`].
    pub fn mesh_membership(&self, ns: Option<&str>, template: &Node) -> Option<Membership> {
        let pod = |k: &str| {
            template
                .path(&["metadata", "labels", k])
                .or_else(|| template.path(&["metadata", "annotations", k]))
                .and_then(Node::scalar_text)
        };
        let nso = self.namespace_object(ns);
        let ns_label = |k: &str| nso.and_then(|n| n.label(k));
        let ns_annotation = |k: &str| nso.and_then(|n| n.annotation(k));
        // Istio: "if either label is disabled, the pod is not injected; if either is enabled, it is".
        let pod_inject = pod("sidecar.istio.io/inject");
        let ns_inject = ns_label("istio-injection");
        let ns_rev = ns_label("istio.io/rev");
        if pod_inject != Some("false") && ns_inject != Some("disabled") {
            if pod_inject == Some("true") {
                return Some(Membership::IstioSidecar(
                    "pod label sidecar.istio.io/inject=true".into(),
                ));
            }
            if ns_inject == Some("enabled") {
                return Some(Membership::IstioSidecar(format!(
                    "namespace {} label istio-injection=enabled",
                    ns.unwrap_or_default()
                )));
            }
            if let Some(rev) = ns_rev {
                return Some(Membership::IstioSidecar(format!(
                    "namespace {} label istio.io/rev={rev}",
                    ns.unwrap_or_default()
                )));
            }
        }
        let pod_mode = pod("istio.io/dataplane-mode");
        if pod_mode == Some("ambient")
            || (pod_mode != Some("none") && ns_label("istio.io/dataplane-mode") == Some("ambient"))
        {
            return Some(Membership::IstioAmbient(if pod_mode == Some("ambient") {
                "pod label istio.io/dataplane-mode=ambient".into()
            } else {
                format!(
                    "namespace {} label istio.io/dataplane-mode=ambient",
                    ns.unwrap_or_default()
                )
            }));
        }
        let pod_linkerd = template
            .path(&["metadata", "annotations", "linkerd.io/inject"])
            .and_then(Node::scalar_text);
        match pod_linkerd {
            Some("enabled") => Some(Membership::Linkerd(
                "pod annotation linkerd.io/inject=enabled".into(),
            )),
            Some(_) => None,
            None if ns_annotation("linkerd.io/inject") == Some("enabled") => {
                Some(Membership::Linkerd(format!(
                    "namespace {} annotation linkerd.io/inject=enabled",
                    ns.unwrap_or_default()
                )))
            }
            None => None,
        }
    }

    /// Linkerd's default inbound policy for a pod: pod annotation, namespace annotation, cluster
    /// default — with where it came from.
    pub fn linkerd_default_policy(&self, ns: Option<&str>, template: &Node) -> (String, String) {
        const KEY: &str = "config.linkerd.io/default-inbound-policy";
        if let Some(v) = template
            .path(&["metadata", "annotations", KEY])
            .and_then(Node::scalar_text)
        {
            return (v.to_string(), format!("pod annotation {KEY}"));
        }
        if let Some(v) = self.namespace_object(ns).and_then(|n| n.annotation(KEY)) {
            return (
                v.to_string(),
                format!("namespace {} annotation {KEY}", ns.unwrap_or_default()),
            );
        }
        (
            self.settings.linkerd_default_inbound_policy.clone(),
            "the cluster default (settings.linkerdDefaultInboundPolicy)".into(),
        )
    }
}

/// Whether a pod template is a mesh gateway or mesh-aware ingress (never an EW002 target): Istio
/// gateway labels, or Linkerd's `ingress` injection mode.
pub fn is_mesh_gateway(template: &Node) -> bool {
    let label = |k: &str| {
        template
            .path(&["metadata", "labels", k])
            .and_then(Node::scalar_text)
    };
    matches!(
        label("istio"),
        Some("ingressgateway" | "egressgateway" | "eastwestgateway")
    ) || label("gateway.istio.io/managed").is_some()
        || label("istio.io/gateway-name").is_some()
        || template
            .path(&["metadata", "annotations", "linkerd.io/inject"])
            .and_then(Node::scalar_text)
            == Some("ingress")
}

/// Whether the proxy of a template intercepts inbound container port `port` (Istio
/// `traffic.sidecar.istio.io/excludeInboundPorts` / `includeInboundPorts`, Linkerd
/// `config.linkerd.io/skip-inbound-ports`, ranges `a-b` included).
pub fn intercepts_inbound(template: &Node, port: i64) -> bool {
    let annotation = |k: &str| {
        template
            .path(&["metadata", "annotations", k])
            .and_then(Node::scalar_text)
    };
    let listed = |v: &str| {
        v.split(',').map(str::trim).any(|p| match p.split_once('-') {
            Some((a, b)) => matches!((a.parse::<i64>(), b.parse::<i64>()), (Ok(a), Ok(b)) if (a..=b).contains(&port)),
            None => p.parse::<i64>() == Ok(port),
        })
    };
    for key in [
        "traffic.sidecar.istio.io/excludeInboundPorts",
        "config.linkerd.io/skip-inbound-ports",
    ] {
        if annotation(key).is_some_and(listed) {
            return false;
        }
    }
    match annotation("traffic.sidecar.istio.io/includeInboundPorts") {
        Some(v) if v.trim() != "*" && !v.trim().is_empty() => listed(v),
        _ => true,
    }
}

/// Where a DestinationRule (or other Istio) host points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostTarget {
    /// A Service of the input.
    Service(ObjId),
    /// A `.svc.` name of the cluster whose Service is not in the input.
    ClusterService {
        /// Namespace.
        namespace: String,
        /// Name.
        name: String,
    },
    /// A host declared by a ServiceEntry (external to the mesh unless its location says otherwise).
    ServiceEntry(ObjId),
    /// A wildcard (`*.local`, `*.ns.svc.cluster.local`, `*`).
    Wildcard,
    /// Anything else: an external name.
    External,
}

impl Inventory {
    /// Resolve an Istio host as written in a resource of namespace `ns` the way istiod does: a name
    /// without a dot ⇒ `svc.<ns>.svc.<domain>`; anything with a dot is literal (only the exact
    /// `svc.ns.svc.<domain>` is a cluster Service); ServiceEntry hosts win over Service names.
    pub fn resolve_istio_host(&self, host: &str, ns: Option<&str>) -> HostTarget {
        if host.contains('*') {
            return HostTarget::Wildcard;
        }
        for &se in self.of_kind(ISTIO_NETWORKING, "ServiceEntry") {
            let hosts = self
                .get(se)
                .root
                .path(&["spec", "hosts"])
                .map_or(&[][..], Node::items);
            if hosts.iter().any(|h| h.scalar_text() == Some(host)) {
                return HostTarget::ServiceEntry(se);
            }
        }
        // istiod's ResolveShortnameToFQDN expands only names without a dot; anything else is taken
        // literally, so `svc.ns` matches no Kubernetes Service (RULES.md §4 says otherwise).
        let domain = format!(".svc.{}", self.settings.trust_domain);
        let labels: Vec<&str> = host.split('.').collect();
        let (name, namespace) = match labels.as_slice() {
            [svc] => (*svc, ns.unwrap_or("default")),
            [svc, n, "svc", ..]
                if host.strip_prefix(&format!("{svc}.{n}")) == Some(domain.as_str()) =>
            {
                (*svc, *n)
            }
            _ => return HostTarget::External,
        };
        match self.find("", "Service", Some(namespace), name) {
            Some(s) => HostTarget::Service(s),
            None => HostTarget::ClusterService {
                namespace: namespace.to_string(),
                name: name.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Settings;

    const PAS: &str = "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default-mesh, namespace: istio-system}\nspec: {mtls: {mode: STRICT}}\n---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: workload, namespace: foo}\nspec:\n  selector: {matchLabels: {app: a}}\n  portLevelMtls:\n    9090: {mode: PERMISSIVE}\n    8080: {mode: STRICT}\n";

    fn labels(inv: &Inventory, yaml: &str) -> Node {
        let _ = inv;
        let stream = crate::load::parse_stream(yaml, crate::load::Limits::default());
        stream.documents.into_iter().next().unwrap().root
    }

    #[test]
    fn corpus_root_strict_workload_port_permissive() {
        // mesh-istio-peerauthn-root-strict-workload-port-permissive.yaml: STRICT everywhere except
        // app=a:9090 PERMISSIVE.
        let inv = Inventory::from_yaml(PAS, Settings::default());
        let a = labels(&inv, "app: a\n");
        let b = labels(&inv, "app: b\n");
        let e = inv.istio_effective_mtls(Some("foo"), Some(&a), Some(9090));
        assert_eq!(e.mode, MtlsMode::Permissive);
        assert_eq!(e.steps.len(), 1);
        assert_eq!(
            inv.istio_effective_mtls(Some("foo"), Some(&a), Some(8080))
                .mode,
            MtlsMode::Strict
        );
        // The workload policy's own mtls is unset: other ports inherit the mesh-wide STRICT.
        let e = inv.istio_effective_mtls(Some("foo"), Some(&a), Some(7000));
        assert_eq!(e.mode, MtlsMode::Strict);
        assert_eq!(e.steps.len(), 2);
        assert_eq!(
            inv.istio_effective_mtls(Some("foo"), Some(&b), Some(9090))
                .mode,
            MtlsMode::Strict
        );
        assert_eq!(
            inv.istio_effective_mtls(Some("bar"), None, Some(80)).mode,
            MtlsMode::Strict
        );
        assert!(
            e.explain(&inv).starts_with(
                "STRICT (from PeerAuthentication istio-system/default-mesh, mesh-level"
            )
        );
    }

    #[test]
    fn default_is_permissive() {
        let inv = Inventory::from_yaml(
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n",
            Settings::default(),
        );
        let e = inv.istio_effective_mtls(Some("x"), None, Some(80));
        assert_eq!((e.mode, e.steps.len()), (MtlsMode::Permissive, 0));
    }

    #[test]
    fn port_ranges_and_hosts() {
        let t = labels(
            &Inventory::default(),
            "metadata:\n  annotations:\n    traffic.sidecar.istio.io/excludeInboundPorts: '8080, 9000-9100'\n",
        );
        assert!(!intercepts_inbound(&t, 8080));
        assert!(!intercepts_inbound(&t, 9050));
        assert!(intercepts_inbound(&t, 8443));
        let inv = Inventory::from_yaml(
            "apiVersion: v1\nkind: Service\nmetadata: {name: reviews, namespace: shop}\nspec: {ports: [{port: 80}]}\n",
            Settings::default(),
        );
        assert_eq!(
            inv.resolve_istio_host("reviews", Some("shop")),
            HostTarget::Service(0)
        );
        assert_eq!(
            inv.resolve_istio_host("reviews.shop.svc.cluster.local", None),
            HostTarget::Service(0)
        );
        assert_eq!(
            inv.resolve_istio_host("*.local", None),
            HostTarget::Wildcard
        );
        assert_eq!(
            inv.resolve_istio_host("www.googleapis.com", None),
            HostTarget::External
        );
        assert!(matches!(
            inv.resolve_istio_host("ratings.prod.svc.cluster.local", None),
            HostTarget::ClusterService { .. }
        ));
        // Dotted short forms are literal for istiod: they match no Kubernetes Service.
        assert_eq!(
            inv.resolve_istio_host("reviews.shop", None),
            HostTarget::External
        );
        assert_eq!(
            inv.resolve_istio_host("reviews.shop.svc", None),
            HostTarget::External
        );
    }
}
