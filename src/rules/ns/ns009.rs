//! NS009 in-cluster-cert-ignored-by-aws-lb: an in-cluster certificate is wired to an AWS load balancer
//! that never serves it.
//!
//! * ALB-owned Ingress with `spec.tls[].secretName` → warning: LBC only reads `spec.tls[].hosts` (for
//!   ACM discovery, `model_build_listener.go`, `model_build_certificates.go`).
//! * The same Ingress with cert-manager ingress-shim annotations (`cert-manager.io/issuer`,
//!   `cert-manager.io/cluster-issuer`, `kubernetes.io/tls-acme: "true"`) → warning: cert-manager
//!   issues a certificate nobody serves (and ACME HTTP-01 solver Ingresses become extra ALBs). Without
//!   any `secretName` the annotations do nothing → info.
//! * Both are downgraded to info when the backend pods (Ingress backend → Service selector → pod
//!   templates) mount that Secret and the backend protocol is `HTTPS` (annotation on the Service wins
//!   over the Ingress): ALB→pod re-encryption with the Secret is legitimate.
//! * LBC Gateway (GatewayClass `controllerName` `gateway.k8s.aws/alb|nlb`) listener with
//!   `tls.certificateRefs`, and cert-manager gateway-shim annotations on such a Gateway → warning.
//!
//! Ingresses owned by another controller, or whose owner is unknown, are skipped.

use std::collections::BTreeSet;

use super::{alb_ingresses, annotation_ptr};
use crate::load::Node;
use crate::load::node::pointer;
use crate::model::{Inventory, ObjId, Settings};
use crate::rules::{
    BuiltinRule, Finding, GATEWAY_KINDS, INGRESS_KINDS, KindSet, SERVICE_KINDS, Severity,
    WORKLOAD_KINDS,
};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "NS009",
    kinds,
    check,
};

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![INGRESS_KINDS, SERVICE_KINDS, WORKLOAD_KINDS, GATEWAY_KINDS]
}

const ID: &str = "NS009";

const SHIM: [&str; 3] = [
    "cert-manager.io/issuer",
    "cert-manager.io/cluster-issuer",
    "kubernetes.io/tls-acme",
];
const BACKEND_PROTOCOL: &str = "alb.ingress.kubernetes.io/backend-protocol";
const LBC_GATEWAY_CONTROLLERS: [&str; 2] = ["gateway.k8s.aws/alb", "gateway.k8s.aws/nlb"];

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    for ing in alb_ingresses(inv) {
        check_ingress(inv, ing, out);
    }
    check_gateways(inv, out);
}

/// The ingress-shim annotations that make cert-manager act, as (key, value).
fn shim_annotations(inv: &Inventory, id: ObjId) -> Vec<(&'static str, String)> {
    let obj = inv.get(id);
    SHIM.iter()
        .filter_map(|&k| {
            let v = obj.annotation(k)?;
            (k != "kubernetes.io/tls-acme" || v == "true").then(|| (k, v.to_string()))
        })
        .collect()
}

/// Names of the Services an Ingress routes to (v1 `service.name` and v1beta1 `serviceName`).
fn backend_services(spec: &Node) -> Vec<String> {
    let mut backends: Vec<&Node> = Vec::new();
    for key in ["defaultBackend", "backend"] {
        if let Some(b) = spec.get(key) {
            backends.push(b);
        }
    }
    for rule in spec.get("rules").map_or(&[][..], Node::items) {
        for path in rule.path(&["http", "paths"]).map_or(&[][..], Node::items) {
            if let Some(b) = path.get("backend") {
                backends.push(b);
            }
        }
    }
    let mut names: Vec<String> = backends
        .iter()
        .filter_map(|b| {
            b.path(&["service", "name"])
                .or_else(|| b.get("serviceName"))
                .and_then(Node::scalar_text)
                .map(str::to_string)
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Whether a pod spec mounts Secret `name` (a `secret` volume or a projected secret source).
fn mounts_secret(pod_spec: &Node, name: &str) -> bool {
    pod_spec
        .get("volumes")
        .map_or(&[][..], Node::items)
        .iter()
        .any(|v| {
            v.path(&["secret", "secretName"])
                .and_then(Node::scalar_text)
                == Some(name)
                || v.path(&["projected", "sources"])
                    .map_or(&[][..], Node::items)
                    .iter()
                    .any(|s| s.path(&["secret", "name"]).and_then(Node::scalar_text) == Some(name))
        })
}

/// Backend Services (by name) of `ing` that re-encrypt to pods mounting Secret `secret`: effective
/// backend-protocol `HTTPS` (the Service annotation wins) and a selected pod template mounting it.
fn reencrypting_backends(inv: &Inventory, ing: ObjId, secret: &str) -> Vec<ObjId> {
    let obj = inv.get(ing);
    let Some(spec) = obj.spec() else {
        return Vec::new();
    };
    let ing_proto = obj.annotation(BACKEND_PROTOCOL);
    backend_services(spec)
        .iter()
        .filter_map(|svc| inv.find("", "Service", obj.ns(), svc))
        .filter(|&s| {
            let svc = inv.get(s);
            let proto = svc.annotation(BACKEND_PROTOCOL).or(ing_proto);
            proto == Some("HTTPS")
                && svc.root.path(&["spec", "selector"]).is_some_and(|sel| {
                    inv.pods_selected(svc.ns(), sel)
                        .iter()
                        .any(|(_, tpl)| tpl.get("spec").is_some_and(|ps| mounts_secret(ps, secret)))
                })
        })
        .collect()
}

fn check_ingress(inv: &Inventory, ing: ObjId, out: &mut Vec<Finding>) {
    let obj = inv.get(ing);
    let tls = obj
        .spec()
        .and_then(|s| s.get("tls"))
        .map_or(&[][..], Node::items);
    let shim = shim_annotations(inv, ing);
    let mut secrets: Vec<String> = Vec::new();
    let mut all_reencrypt = true;
    for (i, entry) in tls.iter().enumerate() {
        let Some(secret) = entry
            .get("secretName")
            .and_then(Node::scalar_text)
            .filter(|s| !s.is_empty())
        else {
            continue; // `tls` with hosts only: the ALB idiom for ACM discovery.
        };
        secrets.push(secret.to_string());
        let ptr = pointer(["spec", "tls", &i.to_string(), "secretName"]);
        let reencrypt = reencrypting_backends(inv, ing, secret);
        if reencrypt.is_empty() {
            all_reencrypt = false;
            out.push(
                Finding::new(
                    ID,
                    Severity::Warning,
                    ing,
                    ptr,
                    format!("the ALB never reads TLS Secrets: `secretName: {secret}` is ignored; only `spec.tls[].hosts` is used (for ACM certificate discovery), so clients get the ACM certificate, not this one"),
                )
                .help("Remove `secretName` and keep `spec.tls[].hosts` (or set `alb.ingress.kubernetes.io/certificate-arn`) so the ALB serves an ACM certificate."),
            );
        } else {
            out.push(
                Finding::new(
                    ID,
                    Severity::Info,
                    ing,
                    ptr,
                    format!("the ALB does not serve `secretName: {secret}`, but the HTTPS backend pods mount it for ALB→pod re-encryption; the ALB does not validate target certificates"),
                )
                .help("Issue the backend certificate with a dedicated cert-manager `Certificate` mounted by the pods instead of listing the Secret in `spec.tls`.")
                .related(reencrypt.iter().map(|&s| inv.obj_ref(s))),
            );
        }
    }
    for (key, value) in shim {
        let ptr = annotation_ptr(key);
        let (sev, msg, help) = if secrets.is_empty() {
            (
                Severity::Info,
                format!(
                    "`{key}: {value}` has no effect: no `spec.tls[].secretName` for cert-manager to issue into, and the ALB serves ACM certificates anyway"
                ),
                "Remove the cert-manager annotation; the ALB uses ACM certificates.",
            )
        } else if all_reencrypt {
            (
                Severity::Info,
                format!(
                    "`{key}: {value}` makes cert-manager issue Secret(s) {} that the ALB never serves; the backend pods use them for re-encryption",
                    list(&secrets)
                ),
                "Prefer a dedicated cert-manager `Certificate` for the backend over ingress-shim on an ALB Ingress (an ACME issuer would also create HTTP-01 solver Ingresses).",
            )
        } else {
            (
                Severity::Warning,
                format!(
                    "`{key}: {value}` makes cert-manager issue Secret(s) {} that the ALB never serves; with an ACME HTTP-01 issuer it also creates solver Ingresses, i.e. extra ALBs unless they join an IngressGroup",
                    list(&secrets)
                ),
                "Use ACM for the ALB (certificate-arn or host-based discovery) and remove the cert-manager annotation and `secretName`.",
            )
        };
        out.push(Finding::new(ID, sev, ing, ptr, msg).help(help));
    }
}

fn list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn check_gateways(inv: &Inventory, out: &mut Vec<Finding>) {
    let lbc_classes: BTreeSet<&str> = inv
        .of_kind("gateway.networking.k8s.io", "GatewayClass")
        .iter()
        .map(|&c| inv.get(c))
        .filter(|c| {
            c.root
                .str_at(&["spec", "controllerName"])
                .is_some_and(|n| LBC_GATEWAY_CONTROLLERS.contains(&n))
        })
        .map(|c| c.id.name.as_str())
        .collect();
    for &gw in inv.of_kind("gateway.networking.k8s.io", "Gateway") {
        let obj = inv.get(gw);
        let Some(class) = obj.root.str_at(&["spec", "gatewayClassName"]) else {
            continue;
        };
        if !lbc_classes.contains(class) {
            continue;
        }
        let class_obj = inv.find("gateway.networking.k8s.io", "GatewayClass", None, class);
        let listeners = obj
            .root
            .path(&["spec", "listeners"])
            .map_or(&[][..], Node::items);
        let mut refs_any = false;
        for (i, l) in listeners.iter().enumerate() {
            let refs = l
                .path(&["tls", "certificateRefs"])
                .map_or(&[][..], Node::items);
            if refs.is_empty() {
                continue;
            }
            refs_any = true;
            let names: Vec<String> = refs
                .iter()
                .filter_map(|r| r.get("name").and_then(Node::scalar_text))
                .map(str::to_string)
                .collect();
            let listener = l
                .get("name")
                .and_then(Node::scalar_text)
                .map_or_else(|| format!("#{i}"), |n| format!("`{n}`"));
            out.push(
                Finding::new(
                    ID,
                    Severity::Warning,
                    gw,
                    pointer(["spec", "listeners", &i.to_string(), "tls", "certificateRefs"]),
                    format!("listener {listener} references certificate(s) {} via `certificateRefs`, but the AWS Load Balancer Controller cannot configure TLS from certificateRefs", list(&names)),
                )
                .help("Configure the certificate in a `gateway.k8s.aws/v1 LoadBalancerConfiguration` (`spec.listenerConfigurations[].defaultCertificate`/`certificates`) with an ACM ARN.")
                .related(class_obj.map(|c| inv.obj_ref(c))),
            );
        }
        for key in &SHIM[..2] {
            if let Some(v) = obj.annotation(key) {
                out.push(
                    Finding::new(
                        ID,
                        if refs_any { Severity::Warning } else { Severity::Info },
                        gw,
                        annotation_ptr(key),
                        if refs_any {
                            format!("`{key}: {v}` makes cert-manager issue the listener certificateRefs Secrets, which the AWS load balancer never serves")
                        } else {
                            format!("`{key}: {v}` has no effect: no listener has `tls.certificateRefs`, and the AWS load balancer serves ACM certificates")
                        },
                    )
                    .help("Remove the cert-manager annotation; use ACM certificates through LoadBalancerConfiguration.")
                    .related(class_obj.map(|c| inv.obj_ref(c))),
                );
            }
        }
    }
}
