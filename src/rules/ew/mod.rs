//! East–west rules: in-cluster TLS that ACM cannot provide (RULES.md §4).

pub mod ew001;
pub mod ew002;
pub mod ew003;
pub mod ew004;
pub mod ew005;
pub mod ew006;
pub mod ew007;

use crate::load::Node;
use crate::load::node::pointer;
use crate::model::{IngressOwner, Inventory, ObjId};

/// A pod port that an AWS load balancer sends traffic to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LbTarget {
    /// The Ingress (ALB) or Service (NLB/CLB) that creates the load balancer.
    pub lb: ObjId,
    /// Pointer of the backend (Ingress) or port (Service) inside `lb`.
    pub pointer: String,
    /// The Service in front of the pods.
    pub service: ObjId,
    /// The pod template (index for [`Inventory::template`]).
    pub template: usize,
    /// The container port the traffic arrives on.
    pub port: i64,
}

/// Every (load balancer, pod template, container port) edge of the input: ALB Ingress backends
/// (`use-annotation` action backends skipped) and LoadBalancer Services an AWS controller owns, through
/// the Service's port and targetPort (a named targetPort resolved in each pod template).
pub fn lb_targets(inv: &Inventory) -> Vec<LbTarget> {
    let mut out = Vec::new();
    for (ing, owner) in inv.ingresses() {
        if !matches!(owner, IngressOwner::Alb { .. }) {
            continue;
        }
        let obj = inv.get(ing);
        for (ptr, backend) in ingress_backends(obj.spec()) {
            let name = backend
                .path(&["service", "name"])
                .or_else(|| backend.get("serviceName"))
                .and_then(Node::scalar_text);
            let number = backend
                .path(&["service", "port", "number"])
                .or_else(|| backend.get("servicePort"))
                .and_then(Node::as_i64);
            let port_name = backend
                .path(&["service", "port", "name"])
                .or_else(|| backend.get("servicePort"))
                .and_then(Node::scalar_text)
                .filter(|n| n.parse::<i64>().is_err());
            if port_name == Some("use-annotation") {
                continue;
            }
            let Some(svc) = name.and_then(|n| inv.find("", "Service", obj.ns(), n)) else {
                continue;
            };
            let ports = inv
                .get(svc)
                .root
                .path(&["spec", "ports"])
                .map_or(&[][..], Node::items);
            for p in ports.iter().filter(|p| {
                number.is_some_and(|n| p.get("port").and_then(Node::as_i64) == Some(n))
                    || port_name.is_some_and(|n| p.str_at(&["name"]) == Some(n))
            }) {
                push_targets(inv, ing, &ptr, svc, p, &mut out);
            }
        }
    }
    for &svc in inv.of_kind("", "Service") {
        if !inv.service_owner(svc).is_aws() {
            continue;
        }
        let ports = inv
            .get(svc)
            .root
            .path(&["spec", "ports"])
            .map_or(&[][..], Node::items);
        for (i, p) in ports.iter().enumerate() {
            let ptr = pointer(["spec", "ports", &i.to_string()]);
            push_targets(inv, svc, &ptr, svc, p, &mut out);
        }
    }
    out
}

/// The backends of an Ingress spec with their pointers (v1 and v1beta1 shapes).
fn ingress_backends(spec: Option<&Node>) -> Vec<(String, &Node)> {
    let Some(spec) = spec else { return Vec::new() };
    let mut out = Vec::new();
    for key in ["defaultBackend", "backend"] {
        if let Some(b) = spec.get(key) {
            out.push((pointer(["spec", key]), b));
        }
    }
    for (r, rule) in spec
        .get("rules")
        .map_or(&[][..], Node::items)
        .iter()
        .enumerate()
    {
        let paths = rule.path(&["http", "paths"]).map_or(&[][..], Node::items);
        for (i, path) in paths.iter().enumerate() {
            if let Some(b) = path.get("backend") {
                out.push((
                    pointer([
                        "spec",
                        "rules",
                        &r.to_string(),
                        "http",
                        "paths",
                        &i.to_string(),
                        "backend",
                    ]),
                    b,
                ));
            }
        }
    }
    out
}

/// The container port each pod template selected by `svc` receives Service port `port` on.
fn push_targets(
    inv: &Inventory,
    lb: ObjId,
    ptr: &str,
    svc: ObjId,
    port: &Node,
    out: &mut Vec<LbTarget>,
) {
    let svc_obj = inv.get(svc);
    let Some(selector) = svc_obj.root.path(&["spec", "selector"]) else {
        return;
    };
    let target = port.get("targetPort").or_else(|| port.get("port"));
    for t in inv.pods_selected_indexes(svc_obj.ns(), selector) {
        let number = match target {
            Some(n) if n.as_i64().is_some() => n.as_i64(),
            Some(n) => n
                .scalar_text()
                .and_then(|name| container_port(inv, t, name)),
            None => None,
        };
        if let Some(port) = number {
            out.push(LbTarget {
                lb,
                pointer: ptr.to_string(),
                service: svc,
                template: t,
                port,
            });
        }
    }
}

/// The number of the container port named `name` in pod template `t`.
fn container_port(inv: &Inventory, t: usize, name: &str) -> Option<i64> {
    let (_, spec) = inv.pod_spec(t)?;
    crate::model::webhook::containers(spec)
        .flat_map(|c| c.get("ports").map_or(&[][..], Node::items))
        .find(|p| p.str_at(&["name"]) == Some(name))
        .and_then(|p| p.get("containerPort").and_then(Node::as_i64))
}
