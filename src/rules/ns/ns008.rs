//! NS008 internet-facing-plaintext: an internet-facing load balancer serves plaintext.
//!
//! * ALB (per IngressGroup): the scheme (IngressClassParams `scheme` > annotation
//!   `alb.ingress.kubernetes.io/scheme`, default `internal`) is `internet-facing` and the merged
//!   listen-ports contain an `HTTP` listener that is neither covered by `ssl-redirect` (anywhere in the
//!   group, or IngressClassParams `sslRedirectPort`) nor by a redirect-to-HTTPS action
//!   (`alb.ingress.kubernetes.io/actions.<name>` used as a backend with port `use-annotation`), or the
//!   group has no HTTPS listener at all → warning.
//! * NLB/CLB (Service): internet-facing (LBC: `aws-load-balancer-scheme`, default `internal`; in-tree:
//!   `aws-load-balancer-internal` absent ⇒ internet-facing; an ambiguous Service is only
//!   internet-facing when both readings agree) and a TCP port 443 (or a port named `https`) gets no
//!   TLS listener → warning, or info when the selected pods are a recognised TLS terminator
//!   (ingress-nginx, Traefik, Istio gateways, or pods mounting a `kubernetes.io/tls` Secret): TLS
//!   passthrough is a legitimate design.
//!
//! The listener/scheme helpers here are shared with NS004.

use std::collections::{BTreeMap, HashSet};

use super::annotation_ptr;
use super::ns003::{Parse, tls_port_indices};
use crate::load::Node;
use crate::load::node::pointer;
use crate::model::ownership::{ALB_PREFIX, aws_lb_annotation, params_override};
use crate::model::{Inventory, ObjId, Object, ServiceOwner, Settings};
use crate::rules::aws::{ListenPort, parse_listen_ports, split_lbc};
use crate::rules::{
    BuiltinRule, Finding, INGRESS_KINDS, KindSet, SERVICE_KINDS, Severity, WORKLOAD_KINDS,
};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "NS008",
    kinds,
    check,
};

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![
        INGRESS_KINDS,
        SERVICE_KINDS,
        WORKLOAD_KINDS,
        &[("", "Secret")],
    ]
}

const ID: &str = "NS008";

const SCHEME: &str = "alb.ingress.kubernetes.io/scheme";
const LISTEN_PORTS: &str = "alb.ingress.kubernetes.io/listen-ports";
const CERT: &str = "alb.ingress.kubernetes.io/certificate-arn";
const SSL_REDIRECT: &str = "alb.ingress.kubernetes.io/ssl-redirect";

/// Whether a load balancer is reachable from the internet, as far as the manifests tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Scheme {
    /// `internet-facing`, set by the object at the pointer.
    InternetFacing,
    /// `internal` (explicitly or by default).
    Internal,
    /// Cannot be decided (conflicting values, unrendered placeholder, ambiguous controller).
    Unknown,
}

/// A member's explicit certificate list is non-empty (LBC `computeIngressExplicitTLSCertARNs`:
/// IngressClassParams certificates win over the annotation).
pub(super) fn has_explicit_cert(inv: &Inventory, ing: ObjId) -> bool {
    if let Some((_, _, node)) = params_override(inv, ing, "certificate-arn") {
        return node
            .items()
            .iter()
            .any(|i| i.scalar_text().is_some_and(|t| !t.trim().is_empty()));
    }
    inv.get(ing)
        .annotation(CERT)
        .is_some_and(|v| !split_lbc(v).0.is_empty())
}

/// The listen ports of one Ingress (LBC `computeIngressListenPorts`): the annotation, or
/// `[{"HTTPS":443}]` when the Ingress has an explicit certificate, else `[{"HTTP":80}]`. `None` when
/// the annotation does not parse (NS006 reports that; the Ingress then contributes no listener).
pub(super) fn member_listen_ports(inv: &Inventory, ing: ObjId) -> Option<Vec<ListenPort>> {
    match inv.get(ing).annotation(LISTEN_PORTS) {
        Some(v) => parse_listen_ports(v).ok(),
        None if has_explicit_cert(inv, ing) => Some(vec![ListenPort {
            https: true,
            port: 443,
        }]),
        None => Some(vec![ListenPort {
            https: false,
            port: 80,
        }]),
    }
}

/// One listener of an IngressGroup's ALB after merging the members' listen ports.
#[derive(Clone, Debug)]
pub(super) struct AlbListener {
    /// Port.
    pub port: i64,
    /// HTTPS (else HTTP). On a protocol conflict between members the first member wins (LBC
    /// rejects the group; NS007 reports it).
    pub https: bool,
    /// Members that listen on this port, in group order.
    pub members: Vec<ObjId>,
}

/// The merged listeners of an IngressGroup, by port.
pub(super) fn group_listeners(inv: &Inventory, members: &[ObjId]) -> Vec<AlbListener> {
    let mut by_port: BTreeMap<i64, AlbListener> = BTreeMap::new();
    for &m in members {
        for lp in member_listen_ports(inv, m).unwrap_or_default() {
            let l = by_port.entry(lp.port).or_insert_with(|| AlbListener {
                port: lp.port,
                https: lp.https,
                members: Vec::new(),
            });
            if !l.members.contains(&m) {
                l.members.push(m);
            }
        }
    }
    by_port.into_values().collect()
}

/// The effective scheme value of one ALB Ingress with where it is set: IngressClassParams `scheme`
/// beats the annotation. `None` when neither is set.
fn member_scheme(inv: &Inventory, ing: ObjId) -> Option<(ObjId, String, String)> {
    if let Some((p, field, node)) = params_override(inv, ing, "scheme") {
        return node
            .scalar_text()
            .map(|v| (p, pointer(["spec", field]), v.to_string()));
    }
    inv.get(ing)
        .annotation(SCHEME)
        .map(|v| (ing, annotation_ptr(SCHEME), v.to_string()))
}

/// The scheme of an IngressGroup's ALB (exclusive across the group; default `internal`), with the
/// object and pointer that make it internet-facing.
pub(super) fn alb_group_scheme(
    inv: &Inventory,
    members: &[ObjId],
) -> (Scheme, Option<(ObjId, String)>) {
    let explicit: Vec<_> = members
        .iter()
        .filter_map(|&m| member_scheme(inv, m))
        .collect();
    if explicit.is_empty() {
        return (Scheme::Internal, None);
    }
    if explicit.iter().all(|(_, _, v)| v == "internet-facing") {
        let (o, p, _) = &explicit[0];
        return (Scheme::InternetFacing, Some((*o, p.clone())));
    }
    if explicit.iter().all(|(_, _, v)| v == "internal") {
        return (Scheme::Internal, None);
    }
    // Conflicting values fail the whole group (NS007); an unrendered `$(var)` is unknown.
    (Scheme::Unknown, None)
}

/// LBC's reading of a Service's scheme: `aws-load-balancer-scheme`, else `internal` (also when the
/// deprecated `aws-load-balancer-internal` is set).
fn lbc_service_scheme(svc: &Object) -> Scheme {
    match aws_lb_annotation(svc, "scheme") {
        Some("internet-facing") => Scheme::InternetFacing,
        Some("internal") | None => Scheme::Internal,
        Some(_) => Scheme::Unknown,
    }
}

/// The in-tree provider's reading: `aws-load-balancer-internal` empty or `"false"` ⇒ internet-facing,
/// any other value ⇒ internal. It does not read `aws-load-balancer-scheme`.
fn intree_service_scheme(svc: &Object) -> Scheme {
    match aws_lb_annotation(svc, "internal") {
        None | Some("") | Some("false") => Scheme::InternetFacing,
        Some(_) => Scheme::Internal,
    }
}

/// The scheme of a Service's load balancer (an ambiguous Service only has one when both controllers
/// would agree).
pub(super) fn service_scheme(owner: &ServiceOwner, svc: &Object) -> Scheme {
    match owner {
        ServiceOwner::Lbc | ServiceOwner::AutoMode => lbc_service_scheme(svc),
        ServiceOwner::Ambiguous { .. } => {
            let (a, b) = (lbc_service_scheme(svc), intree_service_scheme(svc));
            if a == b { a } else { Scheme::Unknown }
        }
        _ => Scheme::Unknown,
    }
}

/// Names of `actions.<name>` annotations whose action redirects to HTTPS.
fn https_redirect_actions(obj: &Object) -> HashSet<String> {
    let prefix = format!("{ALB_PREFIX}actions.");
    obj.annotations()
        .iter()
        .filter_map(|e| {
            let name = e.key.strip_prefix(&prefix)?;
            let value = e.value.scalar_text()?;
            is_https_redirect(value).then(|| name.to_string())
        })
        .collect()
}

/// Get a JSON object field the way Go's `encoding/json` does (case-insensitive field names).
fn json_field<'a>(v: &'a serde_json::Value, key: &str) -> Option<&'a serde_json::Value> {
    v.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// Whether an action JSON is `{"type": "redirect", "redirectConfig": {"protocol": "HTTPS", …}}`.
fn is_https_redirect(json: &str) -> bool {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(json) else {
        return false;
    };
    json_field(&v, "type").and_then(|t| t.as_str()) == Some("redirect")
        && json_field(&v, "redirectConfig")
            .and_then(|c| json_field(c, "protocol"))
            .and_then(|p| p.as_str())
            == Some("HTTPS")
}

/// A backend (`networking.k8s.io/v1` or `extensions/v1beta1` shape) that names an action.
fn backend_action(backend: &Node) -> Option<&str> {
    if let Some(svc) = backend.get("service") {
        return (svc.str_at(&["port", "name"]) == Some("use-annotation"))
            .then(|| svc.str_at(&["name"]))
            .flatten();
    }
    (backend.get("servicePort").and_then(Node::scalar_text) == Some("use-annotation"))
        .then(|| backend.str_at(&["serviceName"]))
        .flatten()
}

/// Whether an Ingress routes (some of) its traffic to a redirect-to-HTTPS action.
fn uses_https_redirect_action(obj: &Object) -> bool {
    let actions = https_redirect_actions(obj);
    if actions.is_empty() {
        return false;
    }
    let Some(spec) = obj.spec() else {
        return false;
    };
    let mut backends: Vec<&Node> = Vec::new();
    backends.extend(spec.get("defaultBackend").or_else(|| spec.get("backend")));
    for rule in spec.get("rules").map_or(&[][..], Node::items) {
        for path in rule.path(&["http", "paths"]).map_or(&[][..], Node::items) {
            backends.extend(path.get("backend"));
        }
    }
    backends
        .into_iter()
        .filter_map(backend_action)
        .any(|a| actions.contains(a))
}

/// Whether the group redirects HTTP to HTTPS with `ssl-redirect` (annotation on any member, or
/// IngressClassParams `sslRedirectPort`).
fn group_has_ssl_redirect(inv: &Inventory, members: &[ObjId]) -> bool {
    members.iter().any(|&m| {
        params_override(inv, m, "ssl-redirect").is_some()
            || inv.get(m).annotation(SSL_REDIRECT).is_some()
    })
}

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    for group in &inv.ingress_groups {
        check_alb_group(inv, &group.members, out);
    }
    for &s in inv.of_kind("", "Service") {
        check_service(inv, s, out);
    }
}

fn check_alb_group(inv: &Inventory, members: &[ObjId], out: &mut Vec<Finding>) {
    let (Scheme::InternetFacing, Some((scheme_obj, scheme_ptr))) = alb_group_scheme(inv, members)
    else {
        return;
    };
    let listeners = group_listeners(inv, members);
    if listeners.is_empty() {
        return; // No parseable listen-ports at all: NS006 reports it.
    }
    let https: Vec<i64> = listeners
        .iter()
        .filter(|l| l.https)
        .map(|l| l.port)
        .collect();
    let ssl_redirect = group_has_ssl_redirect(inv, members);
    let plain: Vec<&AlbListener> = listeners
        .iter()
        .filter(|l| !l.https)
        .filter(|l| {
            !ssl_redirect
                && !l
                    .members
                    .iter()
                    .any(|&m| uses_https_redirect_action(inv.get(m)))
        })
        .collect();
    let scheme_at = if members.contains(&scheme_obj) {
        String::new()
    } else {
        format!("; scheme set by {}", inv.obj_ref(scheme_obj).display())
    };
    let others = |chosen: ObjId| {
        let mut related: Vec<_> = members
            .iter()
            .filter(|&&m| m != chosen)
            .map(|&m| inv.obj_ref(m))
            .collect();
        if !members.contains(&scheme_obj) {
            related.push(inv.obj_ref(scheme_obj));
        }
        related
    };
    if https.is_empty() {
        // The member whose listen ports create the plaintext listener carries the offending setting.
        let first = listeners[0].members[0];
        let ports = join_ports(listeners.iter().map(|l| l.port));
        let (obj, ptr) = listener_source(inv, first, &scheme_obj, &scheme_ptr);
        out.push(
            Finding::new(
                ID,
                Severity::Warning,
                obj,
                ptr,
                format!(
                    "internet-facing ALB has no HTTPS listener: it serves plaintext HTTP on port{} {ports}{scheme_at}",
                    plural(listeners.len()),
                ),
            )
            .help(format!(
                "Add an ACM certificate (`{CERT}`) and `{LISTEN_PORTS}: '[{{\"HTTP\": 80}}, {{\"HTTPS\": 443}}]'` with `{SSL_REDIRECT}: \"443\"`, or make the ALB internal."
            ))
            .related(others(obj)),
        );
        return;
    }
    if plain.is_empty() {
        return;
    }
    let first = plain[0].members[0];
    let ports = join_ports(plain.iter().map(|l| l.port));
    let (obj, ptr) = listener_source(inv, first, &scheme_obj, &scheme_ptr);
    out.push(
        Finding::new(
            ID,
            Severity::Warning,
            obj,
            ptr,
            format!(
                "internet-facing ALB serves plaintext HTTP on port{} {ports} without redirecting to HTTPS (no `ssl-redirect` in the IngressGroup and no redirect action on that listener){scheme_at}",
                plural(plain.len()),
            ),
        )
        .help(format!(
            "Add `{SSL_REDIRECT}: \"{}\"` to {}, or drop the HTTP listener from `{LISTEN_PORTS}`.",
            https[0],
            if members.len() > 1 { "one Ingress of the group" } else { "the Ingress" }
        ))
        .related(others(obj)),
    );
}

/// Where to report a listener problem of `member`: its listen-ports annotation, else (default
/// listen ports) its scheme annotation, else its name.
fn listener_source(
    inv: &Inventory,
    member: ObjId,
    scheme_obj: &ObjId,
    scheme_ptr: &str,
) -> (ObjId, String) {
    let obj = inv.get(member);
    if obj.annotation(LISTEN_PORTS).is_some() {
        (member, annotation_ptr(LISTEN_PORTS))
    } else if *scheme_obj == member {
        (member, scheme_ptr.to_string())
    } else {
        (member, pointer(["metadata", "name"]))
    }
}

fn join_ports(ports: impl Iterator<Item = i64>) -> String {
    ports.map(|p| p.to_string()).collect::<Vec<_>>().join(", ")
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Labels of pods that terminate TLS themselves (ingress controllers and mesh gateways).
const TLS_TERMINATOR_LABELS: [(&str, Option<&str>); 6] = [
    ("app.kubernetes.io/name", Some("ingress-nginx")),
    ("app.kubernetes.io/name", Some("traefik")),
    ("istio", Some("ingressgateway")),
    ("app", Some("istio-ingressgateway")),
    ("gateway.istio.io/managed", None),
    ("gateway.networking.k8s.io/gateway-name", None),
];

/// Why the pods behind a Service are a recognised TLS terminator, if they are.
pub(super) fn tls_terminator(inv: &Inventory, svc: &Object) -> Option<String> {
    let selector = svc.root.path(&["spec", "selector"])?;
    for (tpl, node) in inv.pods_selected(svc.ns(), selector) {
        let workload = inv.obj_ref(tpl.object).display();
        let labels = node.path(&["metadata", "labels"]);
        for (key, want) in TLS_TERMINATOR_LABELS {
            let Some(v) = labels.and_then(|l| l.get(key)).and_then(Node::scalar_text) else {
                continue;
            };
            if want.is_none_or(|w| w == v) {
                return Some(format!("{workload} (label `{key}: {v}`)"));
            }
        }
        for vol in node.path(&["spec", "volumes"]).map_or(&[][..], Node::items) {
            let mut names: Vec<&str> = Vec::new();
            names.extend(vol.str_at(&["secret", "secretName"]));
            for src in vol
                .path(&["projected", "sources"])
                .map_or(&[][..], Node::items)
            {
                names.extend(src.str_at(&["secret", "name"]));
            }
            for name in names {
                if let Some(sec) = inv.find("", "Secret", svc.ns(), name)
                    && inv.get(sec).root.str_at(&["type"]) == Some("kubernetes.io/tls")
                {
                    return Some(format!("{workload} (mounts TLS Secret `{name}`)"));
                }
            }
        }
    }
    None
}

fn check_service(inv: &Inventory, s: ObjId, out: &mut Vec<Finding>) {
    let owner = inv.service_owner(s);
    if !owner.is_aws() {
        return;
    }
    let svc = inv.get(s);
    if service_scheme(owner, svc) != Scheme::InternetFacing {
        return;
    }
    let tls: HashSet<usize> = match owner {
        ServiceOwner::Ambiguous { .. } => tls_port_indices(svc, Parse::Lbc)
            .into_iter()
            .chain(tls_port_indices(svc, Parse::InTree))
            .collect(),
        _ => tls_port_indices(svc, Parse::Lbc).into_iter().collect(),
    };
    let kind = match owner {
        ServiceOwner::Ambiguous { nlb: false } => "CLB/NLB",
        _ => "NLB",
    };
    let ports = svc
        .root
        .path(&["spec", "ports"])
        .map_or(&[][..], Node::items);
    let mut terminator: Option<Option<String>> = None;
    for (i, port) in ports.iter().enumerate() {
        let number = port.get("port").and_then(Node::as_i64);
        let name = port.str_at(&["name"]);
        let protocol = port.str_at(&["protocol"]).unwrap_or("TCP");
        if protocol != "TCP" || !(number == Some(443) || name == Some("https")) || tls.contains(&i)
        {
            continue;
        }
        let label = match (number, name) {
            (Some(n), Some(name)) => format!("{n} (`{name}`)"),
            (Some(n), None) => n.to_string(),
            (None, Some(name)) => format!("`{name}`"),
            (None, None) => continue,
        };
        let ptr = pointer(["spec", "ports", &i.to_string(), "port"]);
        let found = terminator.get_or_insert_with(|| tls_terminator(inv, svc));
        let f = match found {
            Some(why) => Finding::new(
                ID,
                Severity::Info,
                s,
                ptr,
                format!(
                    "internet-facing {kind} forwards port {label} as plain TCP to {why}: TLS passthrough, TLS is terminated in the cluster"
                ),
            )
            .help("Nothing to fix when the backend serves TLS on this port (e.g. with a cert-manager certificate); acknowledge with the annotation `ignore.tlscheck.io/NS008: <reason>`."),
            None => Finding::new(
                ID,
                Severity::Warning,
                s,
                ptr,
                format!(
                    "internet-facing {kind} exposes port {label} without a TLS listener, and the selected pods are not a recognised TLS terminator"
                ),
            )
            .help(
                "Add `service.beta.kubernetes.io/aws-load-balancer-ssl-cert` (and list the port in `-ssl-ports`), or make sure the backend terminates TLS itself (TLS passthrough).",
            ),
        };
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_action_json_like_go() {
        assert!(is_https_redirect(
            r#"{"Type": "redirect", "RedirectConfig": { "Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}"#
        ));
        assert!(is_https_redirect(
            r#"{"type":"redirect","redirectConfig":{"protocol":"HTTPS"}}"#
        ));
        assert!(!is_https_redirect(
            r#"{"type":"redirect","redirectConfig":{"protocol":"HTTP"}}"#
        ));
        assert!(!is_https_redirect(
            r#"{"type":"fixed-response","fixedResponseConfig":{"statusCode":"404"}}"#
        ));
        assert!(!is_https_redirect("not json"));
    }

    #[test]
    fn a_port_listed_twice_takes_its_last_protocol_as_in_lbc() {
        let inv = Inventory::from_yaml(
            r#"apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: a
  annotations:
    alb.ingress.kubernetes.io/listen-ports: '[{"HTTP": 8080}, {"HTTPS": 443}, {"HTTPS": 8080}]'
spec:
  ingressClassName: alb
"#,
            crate::model::Settings::default(),
        );
        let listeners: Vec<(i64, bool)> = group_listeners(&inv, &[0])
            .iter()
            .map(|l| (l.port, l.https))
            .collect();
        assert_eq!(listeners, [(443, true), (8080, true)]);
    }
}
