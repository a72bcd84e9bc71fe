//! EW002 lb-to-mesh-mtls-conflict: an AWS load balancer sends traffic to meshed pods whose port
//! requires mesh mTLS, which the ALB/NLB cannot present.
//!
//! For each load balancer → Service → pod template → container port edge (ALB Ingress backends and
//! AWS-owned LoadBalancer Services; see [`super::lb_targets`]), skipping mesh gateways (Istio gateway
//! labels, Linkerd `ingress` mode — the supported entry path) and ports the proxy does not intercept
//! (`excludeInboundPorts`, `includeInboundPorts`, `skip-inbound-ports`):
//! * Istio sidecar or ambient member whose effective mTLS mode on that port is STRICT (workload policy
//!   with `portLevelMtls` → namespace policy → mesh-wide policy in the root namespace; `UNSET`
//!   inherits; PERMISSIVE by default) → error; the message names the policy that decided it;
//! * Linkerd member whose default inbound policy (pod annotation > namespace annotation > cluster
//!   default) is `all-authenticated`, `cluster-authenticated` or `deny`, with no `Server` for the port
//!   authorised for unauthenticated clients (an `AuthorizationPolicy` requiring a
//!   `NetworkAuthentication`, or a `ServerAuthorization` with `unauthenticated`/`networks` clients) →
//!   error; `cluster-unauthenticated` → warning (the load balancer's VPC addresses must be in Linkerd's
//!   `clusterNetworks`).
//!
//! Membership is read from Namespace objects in the input and pod labels/annotations; a namespace that is
//! not in the input contributes nothing (a partial input can miss a conflict, never invent one).

use std::collections::HashSet;

use crate::load::Node;
use crate::model::mesh::{self, LINKERD_POLICY, Membership, MtlsMode};
use crate::model::{Inventory, ObjRef, Settings, pod_template_of};
use crate::rules::{
    BuiltinRule, Finding, INGRESS_KINDS, KindSet, SERVICE_KINDS, Severity, WORKLOAD_KINDS,
};

use super::{LbTarget, lb_targets};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "EW002",
    kinds,
    check,
};

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![mesh::KINDS, INGRESS_KINDS, SERVICE_KINDS, WORKLOAD_KINDS]
}

const ID: &str = "EW002";

const ISTIO_HELP: &str = "Send the load balancer's traffic to the Istio ingress gateway, or add a port-level exception for this port (`portLevelMtls: {PORT: {mode: PERMISSIVE}}` on a workload-selector PeerAuthentication) together with an AuthorizationPolicy that admits only the load balancer's subnets.";
const LINKERD_HELP: &str = "Send the load balancer's traffic to a Linkerd-injected ingress controller, or add a `Server` for this port with an `AuthorizationPolicy` whose `requiredAuthenticationRefs` is a `NetworkAuthentication` for the VPC CIDRs.";

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    let mut seen = HashSet::new();
    for t in lb_targets(inv) {
        if !seen.insert((t.lb, t.pointer.clone(), t.template, t.port)) {
            continue;
        }
        let workload = inv.get(inv.template(t.template).object);
        let Some(template) = pod_template_of(workload) else {
            continue;
        };
        if mesh::is_mesh_gateway(template) || !mesh::intercepts_inbound(template, t.port) {
            continue;
        }
        let Some(membership) = inv.mesh_membership(workload.ns(), template) else {
            continue;
        };
        match membership {
            Membership::IstioSidecar(why) | Membership::IstioAmbient(why) => {
                istio(inv, &t, template, &why, out);
            }
            Membership::Linkerd(why) => linkerd(inv, &t, template, &why, out),
        }
    }
}

/// `Ingress shop/web` / `Service shop/api (NLB)`, for messages.
fn describe_lb(inv: &Inventory, t: &LbTarget) -> String {
    let lb = inv.get(t.lb);
    if lb.id.kind == "Service" {
        format!("the AWS load balancer of {}", lb.id.display())
    } else {
        format!("the ALB of {}", lb.id.display())
    }
}

fn related(inv: &Inventory, t: &LbTarget) -> Vec<ObjRef> {
    let mut r = Vec::new();
    if t.service != t.lb {
        r.push(inv.obj_ref(t.service));
    }
    r.push(inv.obj_ref(inv.template(t.template).object));
    r
}

fn istio(inv: &Inventory, t: &LbTarget, template: &Node, why: &str, out: &mut Vec<Finding>) {
    let workload = inv.get(inv.template(t.template).object);
    let labels = template.path(&["metadata", "labels"]);
    let effective = inv.istio_effective_mtls(workload.ns(), labels, Some(t.port));
    if effective.mode != MtlsMode::Strict {
        return;
    }
    let mut rel = related(inv, t);
    rel.extend(effective.steps.iter().map(|s| inv.obj_ref(s.policy)));
    out.push(
        Finding::new(
            ID,
            Severity::Error,
            t.lb,
            &t.pointer,
            format!(
                "{} connects to port {} of {}, which is in the Istio mesh ({why}) with mTLS {}: the load balancer cannot present an Istio client certificate, so requests and health checks fail",
                describe_lb(inv, t),
                t.port,
                workload.id.display(),
                effective.explain(inv)
            ),
        )
        .help(ISTIO_HELP)
        .related(rel),
    );
}

fn linkerd(inv: &Inventory, t: &LbTarget, template: &Node, why: &str, out: &mut Vec<Finding>) {
    let workload = inv.get(inv.template(t.template).object);
    let (policy, source) = inv.linkerd_default_policy(workload.ns(), template);
    let severity = match policy.as_str() {
        "all-authenticated" | "cluster-authenticated" | "deny" => Severity::Error,
        "cluster-unauthenticated" => Severity::Warning,
        _ => return,
    };
    if authorised_server(inv, t, template) {
        return;
    }
    let consequence = if severity == Severity::Error {
        "the load balancer is not an authenticated mesh client, so its connections are refused"
    } else {
        "only clients inside Linkerd's `clusterNetworks` are admitted: the load balancer's VPC addresses must be in them"
    };
    out.push(
        Finding::new(
            ID,
            severity,
            t.lb,
            &t.pointer,
            format!(
                "{} sends to port {} of {}, which is in the Linkerd mesh ({why}) with default inbound policy `{policy}` (from {source}): {consequence}",
                describe_lb(inv, t),
                t.port,
                workload.id.display(),
            ),
        )
        .help(LINKERD_HELP)
        .related(related(inv, t)),
    );
}

/// Whether a Linkerd `Server` for this pod and port admits unauthenticated clients: an
/// AuthorizationPolicy targeting it with a NetworkAuthentication, or a ServerAuthorization for
/// unauthenticated clients or networks.
fn authorised_server(inv: &Inventory, t: &LbTarget, template: &Node) -> bool {
    let ns = inv.get(inv.template(t.template).object).ns();
    let labels = template.path(&["metadata", "labels"]);
    let port_names: Vec<&str> = inv
        .pod_spec(t.template)
        .map(|(_, spec)| {
            crate::model::webhook::containers(spec)
                .flat_map(|c| c.get("ports").map_or(&[][..], Node::items))
                .filter(|p| p.get("containerPort").and_then(Node::as_i64) == Some(t.port))
                .filter_map(|p| p.str_at(&["name"]))
                .collect()
        })
        .unwrap_or_default();
    inv.of_kind(LINKERD_POLICY, "Server").iter().any(|&s| {
        let server = inv.get(s);
        if server.ns() != ns {
            return false;
        }
        let selects = server
            .root
            .path(&["spec", "podSelector", "matchLabels"])
            .is_some_and(|sel| mesh::labels_match(sel, labels));
        let port_node = server.root.path(&["spec", "port"]);
        let port_matches = port_node.and_then(Node::as_i64) == Some(t.port)
            || port_node
                .and_then(Node::scalar_text)
                .is_some_and(|n| port_names.contains(&n));
        selects && port_matches && admits_unauthenticated(inv, ns, &server.id.name)
    })
}

fn admits_unauthenticated(inv: &Inventory, ns: Option<&str>, server: &str) -> bool {
    let policy = inv
        .of_kind(LINKERD_POLICY, "AuthorizationPolicy")
        .iter()
        .any(|&a| {
            let a = inv.get(a);
            a.ns() == ns
                && a.root.str_at(&["spec", "targetRef", "kind"]) == Some("Server")
                && a.root.str_at(&["spec", "targetRef", "name"]) == Some(server)
                && a.root
                    .path(&["spec", "requiredAuthenticationRefs"])
                    .map_or(&[][..], Node::items)
                    .iter()
                    .any(|r| r.str_at(&["kind"]) == Some("NetworkAuthentication"))
        });
    let legacy = inv
        .of_kind(LINKERD_POLICY, "ServerAuthorization")
        .iter()
        .any(|&a| {
            let a = inv.get(a);
            a.ns() == ns
                && a.root.str_at(&["spec", "server", "name"]) == Some(server)
                && (a
                    .root
                    .path(&["spec", "client", "unauthenticated"])
                    .and_then(Node::as_bool)
                    == Some(true)
                    || a.root.path(&["spec", "client", "networks"]).is_some())
        });
    policy || legacy
}
