//! EW004 istio-destinationrule-tls-conflict: a DestinationRule's client TLS settings contradict the
//! mesh or the API (istio/api `destination_rule.proto` `ClientTLSSettings`; istio/istio
//! `pkg/config/validation/agent` `ValidateTLS`; istioctl `analyzers/destinationrule/ca-certificates.go`).
//!
//! Every `tls` block is checked: `spec.trafficPolicy.tls`, `spec.trafficPolicy.portLevelSettings[].tls`,
//! `spec.subsets[].trafficPolicy.tls` and `spec.subsets[].trafficPolicy.portLevelSettings[].tls`. A
//! `tls` mapping without `mode` is `DISABLE` (the enum's zero value). Blocks whose `mode` is unrendered
//! (`{{ }}`, `${}`) or not an Istio mode are skipped (schema validation reports those).
//!
//! 1. istioctl's CA-certificates analyzer, reproduced exactly — warning (istioctl grades it Warning),
//!    the code in the message: `mode: SIMPLE|MUTUAL` without `caCertificates` in
//!    `trafficPolicy.tls` → IST0128 NoServerCertificateVerificationDestinationLevel, in
//!    `trafficPolicy.portLevelSettings[i].tls` → IST0129 NoServerCertificateVerificationPortLevel,
//!    unless `credentialName` is set **and** the DestinationRule has a `workloadSelector` (any
//!    non-null value, `{}` included: the analyzer tests `dr.WorkloadSelector != nil`). Like the
//!    analyzer: every host (ServiceEntry and external hosts included), `insecureSkipVerify` not
//!    considered, subsets not checked, `caCertificates: ""` counts as missing.
//! 2. `mode: MUTUAL` without `credentialName` and without both `clientCertificate` and `privateKey`
//!    → error: Istio's validating webhook rejects it ("client certificate required for mutual tls",
//!    "private key required for mutual tls").
//! 3. `mode: ISTIO_MUTUAL` with `clientCertificate`, `privateKey`, `caCertificates`, `credentialName`
//!    or `insecureSkipVerify: true` → warning: "all other fields in `ClientTLSSettings` should be
//!    empty"; istiod rebuilds the settings from Istio's own certificates (keeping only
//!    `subjectAltNames` and `sni`), so these fields are ignored.
//! 4. `insecureSkipVerify: true` with `mode: SIMPLE|MUTUAL` → warning (no CA or SAN check), at the
//!    `insecureSkipVerify` line. With `DISABLE` there is no TLS to verify; with `ISTIO_MUTUAL` condition
//!    3 reports it. A destination- or port-level block without `caCertificates` also gets condition 1,
//!    as istioctl still reports IST0128/IST0129 there (two problems: no CA configured, verification
//!    explicitly off).
//! 5. `credentialName` with `mode: SIMPLE|MUTUAL` and no `workloadSelector` → info ("applicable at
//!    sidecars only if `DestinationRule` has a `workloadSelector`"). Where condition 1 fires on the same
//!    block, its message carries this explanation instead, so the block is reported once.
//! 6. `DISABLE` for a host whose backing pods are in the Istio mesh (sidecar or ambient, not a mesh
//!    gateway, the port intercepted) with effective mTLS STRICT on the target container port → error;
//!    the message names the PeerAuthentication that decided it (mesh model, as EW002).
//! 7. `SIMPLE|MUTUAL` for a host whose backing pods are in the Istio mesh (same test, any mode) →
//!    warning: the client proxy originates app-level TLS instead of Istio mTLS (auto-mTLS overridden);
//!    the message adds that a STRICT server proxy expects Istio mTLS.
//!
//! Host resolution for 6 and 7 ([`Inventory::resolve_istio_host`]): short names in the rule's
//! namespace, `svc.ns`, `.svc.<domain>` FQDNs → the Service of the input (Services not in the input,
//! ServiceEntry hosts and other names are external: nothing to check, SIMPLE/MUTUAL are legitimate
//! there). A wildcard host (`*.local`, `*.ns.svc.cluster.local`, `*`) is checked against every Service of
//! the input whose FQDN it matches, except Services that another DestinationRule names exactly (the
//! more specific rule wins). Which block applies where follows istiod's merge: a port-level entry
//! replaces the level's `tls` for its port (even without `tls`); subset blocks apply to the pods the
//! subset's labels select. Destination-level and port-level blocks are checked for the rule's default
//! traffic (all selected pods).

use std::collections::HashSet;

use crate::load::node::pointer;
use crate::load::{Node, Value};
use crate::model::mesh::{self, Effective, HostTarget, ISTIO_NETWORKING, Membership, MtlsMode};
use crate::model::{Inventory, ObjId, ObjRef, Settings, pod_template_of};
use crate::rules::{
    BuiltinRule, Finding, KindSet, SERVICE_KINDS, Severity, WORKLOAD_KINDS, unrendered,
};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "EW004",
    kinds,
    check,
};

/// DestinationRules, and the ServiceEntries whose hosts make a DestinationRule host external.
const ISTIO_KINDS: KindSet = &[
    (ISTIO_NETWORKING, "DestinationRule"),
    (ISTIO_NETWORKING, "ServiceEntry"),
];

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![ISTIO_KINDS, mesh::KINDS, SERVICE_KINDS, WORKLOAD_KINDS]
}

const ID: &str = "EW004";

const IST_HELP: &str = "Set `caCertificates` to the CA bundle that signs the server's certificate (or use `credentialName` with a CA: at gateways, or at sidecars when the DestinationRule has a `workloadSelector`), or change the traffic policy so that no server certificate is needed.";
const MUTUAL_HELP: &str = "Set both `clientCertificate` and `privateKey` (files mounted in the proxy), or `credentialName` (a Secret with the client certificate, key and CA, read by gateways — and by sidecars when the DestinationRule has a `workloadSelector`).";
const ISTIO_MUTUAL_HELP: &str = "Remove these fields: with ISTIO_MUTUAL the proxy uses Istio's workload certificates. Use SIMPLE or MUTUAL if the upstream needs your own certificates.";
const INSECURE_HELP: &str = "Remove `insecureSkipVerify` and set `caCertificates` (or `credentialName` with a CA) and, if needed, `subjectAltNames`, so the server is authenticated.";
const CREDENTIAL_HELP: &str = "Add a `workloadSelector` so the selected sidecars use the Secret, or keep this rule for gateways (e.g. TLS origination at an egress gateway) and give sidecars file paths.";
const DISABLE_HELP: &str = "Remove `tls` (Istio auto-mTLS then uses mTLS to meshed pods) or set `mode: ISTIO_MUTUAL`; if the server must accept plaintext, set its port to PERMISSIVE with a workload PeerAuthentication instead.";
const IN_MESH_HELP: &str = "Remove `tls` (auto-mTLS) or use `mode: ISTIO_MUTUAL` for in-mesh destinations; keep SIMPLE/MUTUAL for external hosts, or for an application that terminates TLS itself on a port the sidecar does not intercept (`traffic.sidecar.istio.io/excludeInboundPorts`).";

/// A `ClientTLSSettings` mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// `DISABLE`; `implicit` when `tls` has no `mode`.
    Disable {
        implicit: bool,
    },
    Simple,
    Mutual,
    IstioMutual,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Disable { .. } => "DISABLE",
            Mode::Simple => "SIMPLE",
            Mode::Mutual => "MUTUAL",
            Mode::IstioMutual => "ISTIO_MUTUAL",
        }
    }

    /// SIMPLE or MUTUAL: TLS with the user's own certificates.
    fn user_tls(self) -> bool {
        matches!(self, Mode::Simple | Mode::Mutual)
    }
}

/// The mode of a `tls` block; `None` for unrendered or unknown values.
fn tls_mode(tls: &Node) -> Option<Mode> {
    let Some(text) = tls.get("mode").and_then(Node::scalar_text) else {
        return Some(Mode::Disable { implicit: true });
    };
    match text.trim() {
        "DISABLE" => Some(Mode::Disable { implicit: false }),
        "SIMPLE" => Some(Mode::Simple),
        "MUTUAL" => Some(Mode::Mutual),
        "ISTIO_MUTUAL" => Some(Mode::IstioMutual),
        _ => None,
    }
}

/// Where a `tls` block sits.
struct Site<'a> {
    tls: &'a Node,
    /// Tokens from the object root to `tls`.
    path: Vec<String>,
    /// The port of a port-level entry.
    port: Option<i64>,
    /// The subset (name, node) of a subset-level block.
    subset: Option<(String, &'a Node)>,
    /// Ports whose port-level entries replace this (destination- or subset-level) block.
    overridden: Vec<i64>,
    /// The istioctl message this block can get (destination level IST0128, port level IST0129).
    analyzer: Option<(&'static str, &'static str)>,
}

impl Site<'_> {
    /// Pointer of a key of the block (the block itself when `key` is absent from it).
    fn ptr(&self, key: &str) -> String {
        if self.tls.get(key).is_some() {
            pointer(self.path.iter().map(String::as_str).chain([key]))
        } else {
            pointer(self.path.iter().map(String::as_str))
        }
    }

    /// "`trafficPolicy.tls`", "`trafficPolicy.portLevelSettings[0].tls` (port 443)", "subset `v1`
    /// `trafficPolicy.tls`".
    fn describe(&self) -> String {
        let inner = if self.subset.is_some() {
            &self.path[3..]
        } else {
            &self.path[1..]
        };
        let mut text = String::new();
        for token in inner {
            if token.parse::<usize>().is_ok() {
                text.push_str(&format!("[{token}]"));
            } else {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(token);
            }
        }
        let mut out = match &self.subset {
            Some((name, _)) => format!("subset `{name}` `{text}`"),
            None => format!("`{text}`"),
        };
        if let Some(p) = self.port {
            out.push_str(&format!(" (port {p})"));
        }
        out
    }
}

fn is_map(node: &Node) -> bool {
    matches!(node.value, Value::Map(_))
}

/// The `tls` blocks of a DestinationRule spec.
fn sites(spec: &Node) -> Vec<Site<'_>> {
    let mut out = Vec::new();
    if let Some(tp) = spec.get("trafficPolicy") {
        policy_sites(tp, &["spec", "trafficPolicy"], None, &mut out);
    }
    for (j, s) in spec
        .get("subsets")
        .map_or(&[][..], Node::items)
        .iter()
        .enumerate()
    {
        if let Some(tp) = s.get("trafficPolicy") {
            let name = s.get("name").and_then(Node::scalar_text).unwrap_or("?");
            let j = j.to_string();
            policy_sites(
                tp,
                &["spec", "subsets", &j, "trafficPolicy"],
                Some((name.to_string(), s)),
                &mut out,
            );
        }
    }
    out
}

/// The `tls` blocks of one `TrafficPolicy` (its own and its port-level entries').
fn policy_sites<'a>(
    tp: &'a Node,
    base: &[&str],
    subset: Option<(String, &'a Node)>,
    out: &mut Vec<Site<'a>>,
) {
    let top = subset.is_none();
    let base: Vec<String> = base.iter().map(|s| s.to_string()).collect();
    let levels = tp.get("portLevelSettings").map_or(&[][..], Node::items);
    let overridden: Vec<i64> = levels
        .iter()
        .filter_map(|p| p.path(&["port", "number"]).and_then(Node::as_i64))
        .collect();
    if let Some(tls) = tp.get("tls").filter(|t| is_map(t)) {
        let mut path = base.clone();
        path.push("tls".into());
        out.push(Site {
            tls,
            path,
            port: None,
            subset: subset.clone(),
            overridden,
            analyzer: top.then_some(("IST0128", "NoServerCertificateVerificationDestinationLevel")),
        });
    }
    for (i, p) in levels.iter().enumerate() {
        let Some(tls) = p.get("tls").filter(|t| is_map(t)) else {
            continue;
        };
        let mut path = base.clone();
        path.extend(["portLevelSettings".into(), i.to_string(), "tls".into()]);
        out.push(Site {
            tls,
            path,
            port: p.path(&["port", "number"]).and_then(Node::as_i64),
            subset: subset.clone(),
            overridden: Vec::new(),
            analyzer: top.then_some(("IST0129", "NoServerCertificateVerificationPortLevel")),
        });
    }
}

/// A non-empty string field of a `tls` block.
fn field<'a>(tls: &'a Node, key: &str) -> Option<&'a str> {
    tls.get(key)
        .and_then(Node::scalar_text)
        .filter(|v| !v.trim().is_empty())
}

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    let exact = exact_targets(inv);
    for &dr in inv.of_kind(ISTIO_NETWORKING, "DestinationRule") {
        let obj = inv.get(dr);
        let Some(spec) = obj.spec() else { continue };
        let host = spec
            .get("host")
            .and_then(Node::scalar_text)
            .map(str::trim)
            .filter(|h| !h.is_empty());
        let selector = spec.get("workloadSelector").is_some_and(|n| !n.is_null());
        for site in sites(spec) {
            let Some(mode) = tls_mode(site.tls) else {
                continue;
            };
            check_fields(inv, dr, &site, mode, host, selector, out);
            if let Some(host) = host.filter(|h| !unrendered(h)) {
                check_mesh(inv, dr, &site, mode, host, &exact, out);
            }
        }
    }
}

/// Conditions 1–5: the block's own fields.
fn check_fields(
    inv: &Inventory,
    dr: ObjId,
    site: &Site,
    mode: Mode,
    host: Option<&str>,
    selector: bool,
    out: &mut Vec<Finding>,
) {
    let tls = site.tls;
    let ca = field(tls, "caCertificates");
    let credential = field(tls, "credentialName");
    let name = inv.get(dr).id.display();
    let where_ = site.describe();
    let host_text = host.map_or("(no host)".to_string(), |h| format!("`{h}`"));

    // 1. istioctl IST0128 / IST0129.
    let mut analyzer_fired = false;
    if let Some((code, title)) = site.analyzer
        && mode.user_tls()
        && ca.is_none()
        && !(credential.is_some() && selector)
    {
        analyzer_fired = true;
        let credential_note = credential.map_or(String::new(), |c| {
            format!("; `credentialName: {c}` does not count: without a `workloadSelector` it is used only at gateways, and sidecars keep using the (unset) certificate paths")
        });
        out.push(
            Finding::new(
                ID,
                Severity::Warning,
                dr,
                site.ptr("mode"),
                format!(
                    "{name} has TLS mode {} in {where_} but no `caCertificates` to validate the server identity of host {host_text} (istioctl {code} {title}){credential_note}; the proxy then checks the server only against the OS CA bundle (Istio ≥ 1.20) or not at all (older proxies, `VERIFY_CERTIFICATE_AT_CLIENT=false`)",
                    mode.as_str()
                ),
            )
            .help(IST_HELP),
        );
    }

    // 2. MUTUAL without client certificate material.
    if mode == Mode::Mutual && credential.is_none() {
        let missing: Vec<&str> = ["clientCertificate", "privateKey"]
            .into_iter()
            .filter(|k| field(tls, k).is_none())
            .collect();
        if !missing.is_empty() {
            let listed = missing
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(" and ");
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    dr,
                    site.ptr("mode"),
                    format!(
                        "`mode: MUTUAL` in {where_} has no `credentialName` and is missing {listed}: `clientCertificate` and `privateKey` are both REQUIRED for MUTUAL unless `credentialName` is set, and Istio's validating webhook rejects the DestinationRule (\"{}\")",
                        missing
                            .iter()
                            .map(|k| if *k == "clientCertificate" {
                                "client certificate required for mutual tls"
                            } else {
                                "private key required for mutual tls"
                            })
                            .collect::<Vec<_>>()
                            .join("\", \"")
                    ),
                )
                .help(MUTUAL_HELP),
            );
        }
    }

    // 3. ISTIO_MUTUAL with fields that only SIMPLE/MUTUAL use.
    if mode == Mode::IstioMutual {
        let mut ignored: Vec<&str> = [
            "clientCertificate",
            "privateKey",
            "caCertificates",
            "credentialName",
        ]
        .into_iter()
        .filter(|k| field(tls, k).is_some())
        .collect();
        if tls.get("insecureSkipVerify").and_then(Node::as_bool) == Some(true) {
            ignored.push("insecureSkipVerify");
        }
        if let Some(first) = ignored.first() {
            let listed = ignored
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ");
            out.push(
                Finding::new(
                    ID,
                    Severity::Warning,
                    dr,
                    site.ptr(first),
                    format!(
                        "`mode: ISTIO_MUTUAL` in {where_} also sets {listed}: with ISTIO_MUTUAL all other fields of ClientTLSSettings should be empty — the proxy uses Istio's workload certificates and ignores {}",
                        if ignored.len() > 1 { "them" } else { "it" }
                    ),
                )
                .help(ISTIO_MUTUAL_HELP),
            );
        }
    }

    // 4. insecureSkipVerify.
    if mode.user_tls() && tls.get("insecureSkipVerify").and_then(Node::as_bool) == Some(true) {
        out.push(
            Finding::new(
                ID,
                Severity::Warning,
                dr,
                site.ptr("insecureSkipVerify"),
                format!(
                    "`insecureSkipVerify: true` in {where_}: the proxy does not verify the CA signature or SAN of the server certificate of host {host_text}, so any server (or interceptor) is accepted"
                ),
            )
            .help(INSECURE_HELP),
        );
    }

    // 5. credentialName without workloadSelector (unless condition 1 already explained it).
    if mode.user_tls()
        && !selector
        && !analyzer_fired
        && let Some(c) = credential
    {
        out.push(
            Finding::new(
                ID,
                Severity::Info,
                dr,
                site.ptr("credentialName"),
                format!(
                    "`credentialName: {c}` in {where_} applies only at gateways: {name} has no `workloadSelector`, so sidecars keep using the certificate file paths"
                ),
            )
            .help(CREDENTIAL_HELP),
        );
    }
}

/// Services that a DestinationRule names exactly (a wildcard rule does not apply to them).
fn exact_targets(inv: &Inventory) -> HashSet<ObjId> {
    inv.of_kind(ISTIO_NETWORKING, "DestinationRule")
        .iter()
        .filter_map(|&dr| {
            let obj = inv.get(dr);
            let host = obj.root.str_at(&["spec", "host"])?.trim();
            match inv.resolve_istio_host(host, obj.ns()) {
                HostTarget::Service(s) => Some(s),
                _ => None,
            }
        })
        .collect()
}

/// Whether Istio wildcard host `pattern` (`*`, `*.suffix`) matches `fqdn`.
fn wildcard_matches(pattern: &str, fqdn: &str) -> bool {
    match pattern.strip_prefix('*') {
        Some("") => true,
        Some(suffix) if suffix.starts_with('.') => fqdn.ends_with(suffix),
        _ => false,
    }
}

/// One meshed pod template port behind a DestinationRule block.
struct Hit {
    service: ObjId,
    template: usize,
    /// The Service port.
    service_port: i64,
    /// The container port.
    port: i64,
    /// Why the pods are in the mesh.
    why: String,
    effective: Effective,
}

/// The Services a host stands for (the resolved Service; for wildcards, every matching Service of
/// the input that no DestinationRule names exactly).
fn services_of(
    inv: &Inventory,
    host: &str,
    ns: Option<&str>,
    exact: &HashSet<ObjId>,
) -> Vec<ObjId> {
    match inv.resolve_istio_host(host, ns) {
        HostTarget::Service(s) => vec![s],
        HostTarget::Wildcard => inv
            .of_kind("", "Service")
            .iter()
            .copied()
            .filter(|s| !exact.contains(s))
            .filter(|&s| {
                let svc = inv.get(s);
                let fqdn = format!(
                    "{}.{}.svc.{}",
                    svc.id.name,
                    svc.ns().unwrap_or("default"),
                    inv.settings.trust_domain
                );
                wildcard_matches(host, &fqdn)
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The Istio-meshed pod template ports that receive the traffic a block governs.
fn hits(inv: &Inventory, site: &Site, services: &[ObjId]) -> Vec<Hit> {
    let mut out = Vec::new();
    for &s in services {
        let svc = inv.get(s);
        if svc.root.str_at(&["spec", "type"]) == Some("ExternalName") {
            continue;
        }
        let Some(selector) = svc.root.path(&["spec", "selector"]) else {
            continue;
        };
        let templates = inv.pods_selected_indexes(svc.ns(), selector);
        for p in svc
            .root
            .path(&["spec", "ports"])
            .map_or(&[][..], Node::items)
        {
            let Some(number) = p.get("port").and_then(Node::as_i64) else {
                continue;
            };
            let applies = match site.port {
                Some(n) => n == number,
                None => !site.overridden.contains(&number),
            };
            if !applies {
                continue;
            }
            let Some(target) = p
                .get("targetPort")
                .filter(|n| !n.is_null())
                .or(p.get("port"))
            else {
                continue;
            };
            for &t in &templates {
                let workload = inv.get(inv.template(t).object);
                let Some(template) = pod_template_of(workload) else {
                    continue;
                };
                let labels = template.path(&["metadata", "labels"]);
                if let Some((_, subset)) = &site.subset
                    && let Some(wanted) = subset.get("labels")
                    && !mesh::labels_match(wanted, labels)
                {
                    continue;
                }
                if mesh::is_mesh_gateway(template) {
                    continue;
                }
                let why = match inv.mesh_membership(workload.ns(), template) {
                    Some(Membership::IstioSidecar(w) | Membership::IstioAmbient(w)) => w,
                    _ => continue,
                };
                let port = match target.as_i64() {
                    Some(n) => n,
                    None => match target
                        .scalar_text()
                        .and_then(|name| container_port(inv, t, name))
                    {
                        Some(n) => n,
                        None => continue,
                    },
                };
                if !mesh::intercepts_inbound(template, port) {
                    continue;
                }
                let effective = inv.istio_effective_mtls(workload.ns(), labels, Some(port));
                out.push(Hit {
                    service: s,
                    template: t,
                    service_port: number,
                    port,
                    why,
                    effective,
                });
            }
        }
    }
    out
}

/// The number of the container port named `name` in pod template `t`.
fn container_port(inv: &Inventory, t: usize, name: &str) -> Option<i64> {
    let (_, spec) = inv.pod_spec(t)?;
    crate::model::webhook::containers(spec)
        .flat_map(|c| c.get("ports").map_or(&[][..], Node::items))
        .find(|p| p.str_at(&["name"]) == Some(name))
        .and_then(|p| p.get("containerPort").and_then(Node::as_i64))
}

/// Related objects of a hit: the Service, the workload, the policies consulted.
fn related(inv: &Inventory, hit: &Hit) -> Vec<ObjRef> {
    let mut r = vec![
        inv.obj_ref(hit.service),
        inv.obj_ref(inv.template(hit.template).object),
    ];
    r.extend(hit.effective.steps.iter().map(|s| inv.obj_ref(s.policy)));
    r
}

/// "host `reviews` (Service shop/reviews port 9080 → Deployment shop/reviews-v1 container port 9080)".
fn describe_hit(inv: &Inventory, host: &str, hit: &Hit) -> String {
    format!(
        "host `{host}` ({} port {} → {} container port {})",
        inv.get(hit.service).id.display(),
        hit.service_port,
        inv.get(inv.template(hit.template).object).id.display(),
        hit.port
    )
}

/// Conditions 6 and 7: the block against the mesh state of the pods behind the host.
fn check_mesh(
    inv: &Inventory,
    dr: ObjId,
    site: &Site,
    mode: Mode,
    host: &str,
    exact: &HashSet<ObjId>,
    out: &mut Vec<Finding>,
) {
    if mode == Mode::IstioMutual {
        return;
    }
    let services = services_of(inv, host, inv.get(dr).ns(), exact);
    if services.is_empty() {
        return;
    }
    let hits = hits(inv, site, &services);
    let where_ = site.describe();
    let more = |n: usize| {
        if n > 1 {
            format!(
                " ({} more meshed pod port{} affected)",
                n - 1,
                if n > 2 { "s" } else { "" }
            )
        } else {
            String::new()
        }
    };
    match mode {
        Mode::Disable { implicit } => {
            let strict: Vec<&Hit> = hits
                .iter()
                .filter(|h| h.effective.mode == MtlsMode::Strict)
                .collect();
            let Some(hit) = strict.first() else { return };
            let what = if implicit {
                format!("{where_} has no `mode`, which means DISABLE: it")
            } else {
                format!("`mode: DISABLE` in {where_}")
            };
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    dr,
                    site.ptr("mode"),
                    format!(
                        "{what} sends plaintext to {}, whose pods are in the Istio mesh ({}) with mTLS {} on that port: the server proxy accepts only mTLS, so these connections fail{}",
                        describe_hit(inv, host, hit),
                        hit.why,
                        hit.effective.explain(inv),
                        more(strict.len())
                    ),
                )
                .help(DISABLE_HELP)
                .related(related(inv, hit)),
            );
        }
        Mode::Simple | Mode::Mutual => {
            let Some(hit) = hits
                .iter()
                .find(|h| h.effective.mode == MtlsMode::Strict)
                .or(hits.first())
            else {
                return;
            };
            let strict_note = if hit.effective.mode == MtlsMode::Strict {
                format!(
                    "; the server proxy enforces mTLS {} and expects Istio mTLS there, so this handshake is likely rejected",
                    hit.effective.explain(inv)
                )
            } else {
                String::new()
            };
            out.push(
                Finding::new(
                    ID,
                    Severity::Warning,
                    dr,
                    site.ptr("mode"),
                    format!(
                        "`mode: {}` in {where_} overrides Istio auto-mTLS for {}, whose pods are in the Istio mesh ({}): the client proxy originates app-level TLS instead of Istio mTLS (no workload identity for the server's policies){strict_note}{}",
                        mode.as_str(),
                        describe_hit(inv, host, hit),
                        hit.why,
                        more(hits.len())
                    ),
                )
                .help(IN_MESH_HELP)
                .related(related(inv, hit)),
            );
        }
        Mode::IstioMutual => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::run_check;

    fn run(yaml: &str) -> Vec<Finding> {
        run_check(check, yaml, Settings::default())
    }

    fn summary(findings: &[Finding]) -> Vec<(Severity, String)> {
        findings
            .iter()
            .map(|f| (f.severity, f.pointer.clone()))
            .collect()
    }

    const MESH: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: istio-system}\nspec: {mtls: {mode: STRICT}}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: reviews, namespace: shop}\nspec:\n  selector: {app: reviews}\n  ports: [{name: http, port: 9080, targetPort: http}, {name: admin, port: 9090}]\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: reviews, namespace: shop}\nspec:\n  template:\n    metadata: {labels: {app: reviews, version: v1}}\n    spec:\n      containers:\n      - name: app\n        ports: [{name: http, containerPort: 8080}, {containerPort: 9090}]\n";

    fn dr(spec: &str) -> String {
        format!(
            "{MESH}---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {{name: reviews, namespace: shop}}\nspec:\n{spec}"
        )
    }

    #[test]
    fn analyzer_exception_needs_both_credential_and_selector() {
        let base = "  host: db.example.com\n  trafficPolicy:\n    tls: {mode: SIMPLE, credentialName: db}\n";
        assert_eq!(
            summary(&run(&dr(base))),
            vec![(Severity::Warning, "/spec/trafficPolicy/tls/mode".into())]
        );
        // `workloadSelector: {}` is a non-nil message for the analyzer.
        assert!(run(&dr(&format!("{base}  workloadSelector: {{}}\n"))).is_empty());
        // A null selector is no selector.
        assert_eq!(run(&dr(&format!("{base}  workloadSelector:\n"))).len(), 1);
    }

    #[test]
    fn analyzer_ignores_subsets_and_insecure_skip_verify() {
        let findings = run(&dr(
            "  host: db.example.com\n  trafficPolicy:\n    tls: {mode: SIMPLE, insecureSkipVerify: true}\n  subsets:\n  - name: v1\n    labels: {version: v1}\n    trafficPolicy:\n      tls: {mode: SIMPLE}\n",
        ));
        // IST0128 and the insecureSkipVerify warning on the destination level; nothing on the subset.
        assert_eq!(
            summary(&findings),
            vec![
                (Severity::Warning, "/spec/trafficPolicy/tls/mode".into()),
                (
                    Severity::Warning,
                    "/spec/trafficPolicy/tls/insecureSkipVerify".into()
                ),
            ]
        );
        assert!(findings[0].message.contains("IST0128"));
    }

    #[test]
    fn disable_to_strict_port_resolution() {
        // Named targetPort `http` → container port 8080, STRICT mesh-wide.
        let f = run(&dr(
            "  host: reviews\n  trafficPolicy:\n    portLevelSettings:\n    - port: {number: 9080}\n      tls: {mode: DISABLE}\n",
        ));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Error);
        assert!(
            f[0].message.contains("container port 8080"),
            "{}",
            f[0].message
        );
        assert!(
            f[0].message
                .contains("PeerAuthentication istio-system/default")
        );
        // A port-level entry for 9080 (even without tls) and one for 9090 replace the destination
        // level DISABLE for both Service ports.
        let f = run(&dr(
            "  host: reviews.shop.svc.cluster.local\n  trafficPolicy:\n    tls: {mode: DISABLE}\n    portLevelSettings:\n    - port: {number: 9080}\n      loadBalancer: {simple: ROUND_ROBIN}\n    - port: {number: 9090}\n      tls: {mode: ISTIO_MUTUAL}\n",
        ));
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn disable_respects_exclusions_and_gateways() {
        let excluded = MESH.replace(
            "metadata: {labels: {app: reviews, version: v1}}",
            "metadata:\n      labels: {app: reviews, version: v1}\n      annotations: {traffic.sidecar.istio.io/excludeInboundPorts: '8080,9090'}",
        );
        let yaml = format!(
            "{excluded}---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {{name: reviews, namespace: shop}}\nspec:\n  host: reviews\n  trafficPolicy:\n    tls: {{mode: DISABLE}}\n"
        );
        assert!(run(&yaml).is_empty());
        let gateway = MESH.replace("version: v1}", "version: v1, istio: ingressgateway}");
        let yaml = format!(
            "{gateway}---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {{name: reviews, namespace: shop}}\nspec:\n  host: reviews\n  trafficPolicy:\n    tls: {{mode: DISABLE}}\n"
        );
        assert!(run(&yaml).is_empty());
    }

    #[test]
    fn subset_labels_select_pods() {
        let f = run(&dr(
            "  host: reviews\n  subsets:\n  - name: v2\n    labels: {version: v2}\n    trafficPolicy: {tls: {mode: DISABLE}}\n  - name: v1\n    labels: {version: v1}\n    trafficPolicy: {tls: {}}\n",
        ));
        // Only subset v1 selects the Deployment; `tls: {}` is DISABLE.
        assert_eq!(
            summary(&f),
            vec![(Severity::Error, "/spec/subsets/1/trafficPolicy/tls".into())]
        );
        assert!(f[0].message.contains("no `mode`, which means DISABLE"));
    }

    #[test]
    fn wildcards_skip_services_with_their_own_rule() {
        let wildcard = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: all, namespace: istio-system}\nspec:\n  host: '*.local'\n  trafficPolicy: {tls: {mode: DISABLE}}\n";
        let f = run(&format!("{MESH}---\n{wildcard}"));
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("Service shop/reviews"));
        assert!(f[0].message.contains("1 more meshed pod port affected"));
        let own = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews, namespace: shop}\nspec:\n  host: reviews\n  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}\n";
        assert!(run(&format!("{MESH}---\n{wildcard}---\n{own}")).is_empty());
        assert!(wildcard_matches("*", "a.b.svc.cluster.local"));
        assert!(!wildcard_matches(
            "*.other.svc.cluster.local",
            "a.b.svc.cluster.local"
        ));
    }

    #[test]
    fn simple_to_meshed_service_and_external() {
        let f = run(&dr(
            "  host: reviews\n  trafficPolicy:\n    tls: {mode: SIMPLE, caCertificates: /etc/ca.pem}\n",
        ));
        assert_eq!(
            summary(&f),
            vec![(Severity::Warning, "/spec/trafficPolicy/tls/mode".into())]
        );
        assert!(f[0].message.contains("overrides Istio auto-mTLS"));
        assert!(f[0].message.contains("likely rejected"));
        // Not in the input: external to this check.
        assert!(
            run(&dr(
                "  host: ratings.other.svc.cluster.local\n  trafficPolicy:\n    tls: {mode: SIMPLE, caCertificates: /etc/ca.pem}\n"
            ))
            .is_empty()
        );
    }

    #[test]
    fn mutual_and_istio_mutual_fields() {
        let f = run(&dr(
            "  host: db.example.com\n  trafficPolicy:\n    tls: {mode: MUTUAL, clientCertificate: /c.pem, caCertificates: /ca.pem}\n",
        ));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Error);
        assert!(f[0].message.contains("is missing `privateKey`:"));
        let f = run(&dr(
            "  host: reviews\n  trafficPolicy:\n    tls: {mode: ISTIO_MUTUAL, sni: x, subjectAltNames: [a], privateKey: /k.pem, insecureSkipVerify: true}\n",
        ));
        assert_eq!(
            summary(&f),
            vec![(
                Severity::Warning,
                "/spec/trafficPolicy/tls/privateKey".into()
            )]
        );
        assert!(f[0].message.contains("`privateKey`, `insecureSkipVerify`"));
    }

    #[test]
    fn unrendered_and_unknown_modes_are_skipped() {
        assert!(
            run(&dr(
                "  host: reviews\n  trafficPolicy:\n    tls: {mode: '{{ .Values.mode }}'}\n"
            ))
            .is_empty()
        );
        assert!(
            run(&dr(
                "  host: '{{ .Values.host }}'\n  trafficPolicy:\n    tls: {mode: DISABLE}\n"
            ))
            .is_empty()
        );
    }
}
