//! EW001 acm-cannot-secure-east-west: ACM/ELB TLS is configured where no AWS load balancer exists, or
//! in-cluster clients hair-pin through an AWS load balancer to get ACM TLS.
//!
//! 1. `service.beta.kubernetes.io/aws-load-balancer-{ssl-cert,ssl-ports,ssl-negotiation-policy,backend-protocol}`
//!    on a Service that gets no AWS load balancer (not `type: LoadBalancer` — ClusterIP, NodePort,
//!    headless, ExternalName — or a foreign `loadBalancerClass`) → warning.
//! 2. `alb.ingress.kubernetes.io/certificate-arn` on an Ingress known to be reconciled by another
//!    controller → warning (ignored). Unknown owners are skipped.
//! 3. `ExternalName` Service pointing at an ELB hostname → warning (hair-pin).
//! 4. Opt-in (`scanEnvUrls`): container env values and consumed ConfigMap values with a URL whose host
//!    is an ELB hostname → info.
//!
//! Cross-cluster/VPC traffic legitimately goes through load balancers, so (3)/(4) never exceed
//! warning/info.

use std::collections::HashSet;

use std::sync::OnceLock;

use regex::Regex;

use super::super::ns::annotation_ptr;
use crate::load::node::pointer;
use crate::load::{Node, Text};
use crate::model::{IngressOwner, Inventory, ObjId, ServiceOwner, Settings};
use crate::rules::{
    BuiltinRule, Finding, INGRESS_KINDS, KindSet, SERVICE_KINDS, Severity, WORKLOAD_KINDS,
};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "EW001",
    kinds,
    check,
};

/// Workloads and ConfigMaps are read only for condition 4 (opt-in).
fn kinds(settings: &Settings) -> Vec<KindSet> {
    let mut kinds = vec![INGRESS_KINDS, SERVICE_KINDS];
    if settings.scan_env_urls {
        kinds.extend([WORKLOAD_KINDS, &[("", "ConfigMap")][..]]);
    }
    kinds
}

const ID: &str = "EW001";

const HELP: &str = "Issue an in-cluster certificate (cert-manager `Certificate` with dnsNames `<svc>.<ns>.svc[.cluster.local]`) or enable mesh mTLS; ACM certificates can only be attached to AWS load balancers.";

/// The Service annotations that configure TLS on an AWS load balancer (condition 1). A string test,
/// not a regex: compiling one would cost more than linting a small file (start-up budget).
fn is_lb_tls_annotation(key: &str) -> bool {
    key.strip_prefix("service.beta.kubernetes.io/aws-load-balancer-")
        .is_some_and(|rest| {
            [
                "ssl-cert",
                "ssl-ports",
                "ssl-negotiation-policy",
                "backend-protocol",
            ]
            .contains(&rest)
        })
}

struct Patterns {
    elb_host: [Regex; 2],
    elb_url: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("static regex");
        Patterns {
            elb_host: [
                // NLB: <name>-<id>.elb.<region>.amazonaws.com[.cn] (RULES.md EW001 (3)).
                re(r"(?i)^(internal-)?[a-z0-9-]+\.elb\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\.?$"),
                // ALB/CLB: [internal-|dualstack.]<name>-<id>.<region>.elb.amazonaws.com, and the China
                // partition's `.elb.amazonaws.com.cn` (RULES.md lists only `.elb.amazonaws.com$`).
                re(r"(?i)\.elb\.amazonaws\.com(\.cn)?\.?$"),
            ],
            // RULES.md: `https?://[^/\s]*\.elb\.[a-z0-9-]+\.amazonaws\.com` (NLB form); extended to the
            // ALB/CLB form `<region>.elb.amazonaws.com`.
            elb_url: re(r#"(?i)https?://[^/\s"'<>]*\.elb(\.[a-z0-9-]+)?\.amazonaws\.com(\.cn)?"#),
        }
    })
}

fn is_elb_host(host: &str) -> bool {
    patterns().elb_host.iter().any(|r| r.is_match(host))
}

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    check_services(inv, out);
    check_ingresses(inv, out);
    if inv.settings.scan_env_urls {
        check_env_urls(inv, out);
    }
}

/// Conditions 1 and 3.
fn check_services(inv: &Inventory, out: &mut Vec<Finding>) {
    for &s in inv.of_kind("", "Service") {
        let obj = inv.get(s);
        let ty = obj.root.str_at(&["spec", "type"]).unwrap_or("ClusterIP");
        let why = match inv.service_owner(s) {
            ServiceOwner::NotLoadBalancer => {
                let headless = obj.root.str_at(&["spec", "clusterIP"]) == Some("None");
                match ty {
                    "ClusterIP" if headless => "it is a headless Service (`clusterIP: None`) and gets no AWS load balancer".to_string(),
                    "NodePort" => "it is `type: NodePort` and gets no AWS load balancer (only `type: LoadBalancer` Services do)".to_string(),
                    "ExternalName" => "it is `type: ExternalName` (a DNS alias) and gets no AWS load balancer".to_string(),
                    t => format!("it is `type: {t}` and gets no AWS load balancer (only `type: LoadBalancer` Services do)"),
                }
            }
            ServiceOwner::Foreign(class) => format!(
                "its `loadBalancerClass: {class}` belongs to another load balancer implementation, so no AWS load balancer is created"
            ),
            _ => String::new(),
        };
        if !why.is_empty() {
            let keys: Vec<&str> = obj
                .annotations()
                .iter()
                .map(|e| e.key.as_str())
                .filter(|k| is_lb_tls_annotation(k))
                .collect();
            if let Some(first) = keys.first() {
                let listed = keys
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                out.push(
                    Finding::new(
                        ID,
                        Severity::Warning,
                        s,
                        annotation_ptr(first),
                        format!("{listed} {} ignored: {why}; an ACM certificate does not protect traffic to this Service — pod-to-pod traffic goes CoreDNS → kube-proxy → pod", if keys.len() > 1 { "are" } else { "is" }),
                    )
                    .help(HELP),
                );
            }
        }
        if ty == "ExternalName"
            && let Some(name) = obj.root.str_at(&["spec", "externalName"])
            && is_elb_host(name.trim())
        {
            out.push(
                Finding::new(
                    ID,
                    Severity::Warning,
                    s,
                    pointer(["spec", "externalName"]),
                    format!("ExternalName `{name}` is an AWS load balancer hostname: in-cluster clients of this Service hair-pin through the load balancer to get ACM TLS"),
                )
                .help("For a workload in this cluster, call its Service DNS name and secure the hop with a cert-manager certificate or mesh mTLS; keep the load balancer only for traffic from other clusters or VPCs."),
            );
        }
    }
}

/// Condition 2.
fn check_ingresses(inv: &Inventory, out: &mut Vec<Finding>) {
    const CERT: &str = "alb.ingress.kubernetes.io/certificate-arn";
    for (ing, owner) in inv.ingresses() {
        let IngressOwner::Other(controller) = owner else {
            continue;
        };
        if inv.get(ing).annotation(CERT).is_none() {
            continue;
        }
        let by = if controller.is_empty() {
            "another ingress controller".to_string()
        } else {
            format!("another ingress controller (`{controller}`)")
        };
        out.push(
            Finding::new(
                ID,
                Severity::Warning,
                ing,
                annotation_ptr(CERT),
                format!("`{CERT}` is ignored: this Ingress is reconciled by {by}, not by the AWS Load Balancer Controller, so no ALB serves this ACM certificate"),
            )
            .help("Serve TLS with the controller's own mechanism (e.g. `spec.tls[].secretName` issued by cert-manager), or terminate at an AWS load balancer in front of it (NLB `aws-load-balancer-ssl-cert`)."),
        );
    }
}

/// URLs in `text` whose host is an ELB hostname.
fn elb_urls(text: &str) -> Vec<&str> {
    patterns()
        .elb_url
        .find_iter(text)
        .map(|m| m.as_str())
        .collect()
}

/// Condition 4 (opt-in): env values of pod templates, and values of ConfigMaps consumed by pods.
fn check_env_urls(inv: &Inventory, out: &mut Vec<Finding>) {
    let mut consumed: HashSet<(Option<Text>, Text)> = HashSet::new();
    for (g, k) in WORKLOAD_KINDS {
        for &w in inv.of_kind(g, k) {
            for (base, spec) in pod_specs(inv, w) {
                for (ci, c, list) in containers(spec) {
                    check_env(w, &base, list, ci, c, out);
                }
                collect_configmap_refs(spec, inv.get(w).ns(), &mut consumed);
            }
        }
    }
    for &cm in inv.of_kind("", "ConfigMap") {
        let obj = inv.get(cm);
        let key = (obj.id.namespace.clone(), obj.id.name.clone());
        if !consumed.contains(&key) {
            continue;
        }
        for e in obj.root.get("data").map_or(&[][..], Node::entries) {
            let Some(v) = e.value.scalar_text() else {
                continue;
            };
            if let Some(u) = elb_urls(v).first() {
                out.push(
                    Finding::new(
                        ID,
                        Severity::Info,
                        cm,
                        pointer(["data", e.key.as_str()]),
                        format!("`data.{}` contains `{u}`, an AWS load balancer URL consumed by pods; if the target runs in this cluster, call its Service DNS name with in-cluster TLS instead of hair-pinning for ACM TLS", e.key),
                    )
                    .help(HELP),
                );
            }
        }
    }
}

/// Env values of one container with an ELB URL (info).
fn check_env(w: ObjId, base: &[String], list: &str, ci: usize, c: &Node, out: &mut Vec<Finding>) {
    for (ei, e) in c.get("env").map_or(&[][..], Node::items).iter().enumerate() {
        let Some(u) = e
            .get("value")
            .and_then(Node::scalar_text)
            .and_then(|v| elb_urls(v).first().copied())
        else {
            continue;
        };
        let (ci, ei) = (ci.to_string(), ei.to_string());
        let path = base
            .iter()
            .map(String::as_str)
            .chain(["spec", list, &ci, "env", &ei, "value"]);
        let var = e.get("name").and_then(Node::scalar_text).unwrap_or("?");
        out.push(
            Finding::new(
                ID,
                Severity::Info,
                w,
                pointer(path),
                format!("env `{var}` calls `{u}` through an AWS load balancer; if the target runs in this cluster, call its Service DNS name with in-cluster TLS instead of hair-pinning for ACM TLS"),
            )
            .help(HELP),
        );
    }
}

/// Pod templates of a workload: (path tokens to the template, template node).
fn pod_specs(inv: &Inventory, w: ObjId) -> Vec<(Vec<String>, &Node)> {
    let obj = inv.get(w);
    let path: &[&str] = match obj.id.kind.as_str() {
        "Pod" => &[],
        "CronJob" => &["spec", "jobTemplate", "spec", "template"],
        _ => &["spec", "template"],
    };
    let node = if path.is_empty() {
        Some(&obj.root)
    } else {
        obj.root.path(path)
    };
    node.filter(|n| n.get("spec").is_some())
        .map(|n| (path.iter().map(|s| s.to_string()).collect(), n))
        .into_iter()
        .collect()
}

/// Containers and init containers of a pod template: (index, container, list key).
fn containers(tpl: &Node) -> Vec<(usize, &Node, &'static str)> {
    let mut out = Vec::new();
    for list in ["initContainers", "containers"] {
        for (i, c) in tpl
            .path(&["spec", list])
            .map_or(&[][..], Node::items)
            .iter()
            .enumerate()
        {
            out.push((i, c, list));
        }
    }
    out
}

/// ConfigMaps a pod template reads (envFrom, env valueFrom, volumes, projected volumes).
fn collect_configmap_refs(tpl: &Node, ns: Option<&str>, out: &mut HashSet<(Option<Text>, Text)>) {
    let mut add = |n: Option<&Node>| {
        if let Some(name) = n.and_then(Node::scalar_text) {
            out.insert((ns.map(Text::new), Text::new(name)));
        }
    };
    for (_, c, _) in containers(tpl) {
        for e in c.get("envFrom").map_or(&[][..], Node::items) {
            add(e.path(&["configMapRef", "name"]));
        }
        for e in c.get("env").map_or(&[][..], Node::items) {
            add(e.path(&["valueFrom", "configMapKeyRef", "name"]));
        }
    }
    for v in tpl.path(&["spec", "volumes"]).map_or(&[][..], Node::items) {
        add(v.path(&["configMap", "name"]));
        for s in v
            .path(&["projected", "sources"])
            .map_or(&[][..], Node::items)
        {
            add(s.path(&["configMap", "name"]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elb_hostnames() {
        assert!(is_elb_host(
            "my-nlb-0123456789abcdef.elb.us-west-2.amazonaws.com"
        ));
        assert!(is_elb_host(
            "internal-my-alb-1234567890.us-west-2.elb.amazonaws.com"
        ));
        assert!(is_elb_host(
            "dualstack.my-alb-1234567890.eu-west-1.elb.amazonaws.com"
        ));
        assert!(is_elb_host(
            "my-alb-1234567890.cn-north-1.elb.amazonaws.com.cn"
        ));
        assert!(is_elb_host("MY-NLB-1.ELB.US-EAST-1.AMAZONAWS.COM"));
        assert!(!is_elb_host("api.example.com"));
        assert!(!is_elb_host("my-svc.default.svc.cluster.local"));
        assert!(!is_elb_host("elb.amazonaws.com.example.com"));
    }

    fn inventory(yaml: &str, scan: bool) -> Inventory {
        let settings = crate::model::Settings {
            scan_env_urls: scan,
            ..Default::default()
        };
        Inventory::from_yaml(yaml, settings)
    }

    #[test]
    fn env_and_configmap_urls_are_opt_in() {
        let yaml = r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: urls, namespace: shop}
data:
  PAYMENTS: https://k8s-pay-1.us-east-1.elb.amazonaws.com/api
  OTHER: https://api.example.com
---
apiVersion: v1
kind: ConfigMap
metadata: {name: unused, namespace: shop}
data:
  X: https://k8s-pay-1.us-east-1.elb.amazonaws.com
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: shop}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: c
              envFrom: [{configMapRef: {name: urls}}]
              env:
                - {name: ORDERS, value: "http://k8s-orders-0a.elb.eu-west-1.amazonaws.com:8080"}
                - {name: PLAIN, value: "http://orders.shop.svc"}
"#;
        let mut out = Vec::new();
        check(&inventory(yaml, false), &mut out);
        assert!(out.is_empty());
        check(&inventory(yaml, true), &mut out);
        let got: Vec<(Severity, &str)> = out
            .iter()
            .map(|f| (f.severity, f.pointer.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    Severity::Info,
                    "/spec/jobTemplate/spec/template/spec/containers/0/env/0/value"
                ),
                (Severity::Info, "/data/PAYMENTS"),
            ]
        );
    }

    #[test]
    fn elb_urls_in_text() {
        assert_eq!(
            elb_urls(
                "url=https://k8s-web-abc-123.us-east-1.elb.amazonaws.com/api and http://x.svc"
            ),
            vec!["https://k8s-web-abc-123.us-east-1.elb.amazonaws.com"]
        );
        assert_eq!(
            elb_urls("http://a-1.elb.eu-west-1.amazonaws.com:8443/x"),
            vec!["http://a-1.elb.eu-west-1.amazonaws.com"]
        );
        assert!(elb_urls("https://example.com/elb.amazonaws.com").is_empty());
    }
}
