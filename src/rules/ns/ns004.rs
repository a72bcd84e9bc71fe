//! NS004 lb-ssl-policy-weak: the effective ELB security policy of a TLS listener allows TLS versions
//! below the configured minimum (`minTls`, default 1.2).
//!
//! Only load balancers with a TLS listener are checked: an ALB IngressGroup's HTTPS listen ports, a
//! Service's TLS ports (`ssl-cert` + `ssl-ports`), a LoadBalancerConfiguration listener with protocol
//! `HTTPS`/`TLS`. Effective policy: ALB — per listener port, the first group member's IngressClassParams
//! `sslPolicy` or `alb.ingress.kubernetes.io/ssl-policy` (LBC merges per port and rejects conflicts,
//! NS007); Service — `aws-load-balancer-ssl-negotiation-policy`; Gateway — the listener's `sslPolicy`.
//! Without one the controller default applies: the setting `assumeDefaultSslPolicy`
//! (`ELBSecurityPolicy-2016-08`, LBC `--default-ssl-policy` and the ELB API default), reported at the
//! setting that creates the TLS listener. `strict` turns findings on internet-facing load balancers
//! into errors. Unknown policy names are NS005's.

use std::collections::{BTreeMap, HashSet};

use super::annotation_ptr;
use super::ns003::{Parse, tls_port_indices};
use super::ns008::{Scheme, alb_group_scheme, group_listeners, service_scheme};
use crate::load::Node;
use crate::load::node::pointer;
use crate::model::ownership::params_override;
use crate::model::{Inventory, ObjId, ServiceOwner, Settings};
use crate::rules::aws::{SslPolicy, ssl_policy, tls_less};
use crate::rules::{
    BuiltinRule, Finding, INGRESS_KINDS, KindSet, LB_CONFIG_KINDS, SERVICE_KINDS, Severity,
};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "NS004",
    kinds,
    check,
};

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![INGRESS_KINDS, SERVICE_KINDS, LB_CONFIG_KINDS]
}

const ID: &str = "NS004";

const SSL_POLICY: &str = "alb.ingress.kubernetes.io/ssl-policy";
const CERT: &str = "alb.ingress.kubernetes.io/certificate-arn";
const LISTEN_PORTS: &str = "alb.ingress.kubernetes.io/listen-ports";
const SVC_POLICY: &str = "service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy";
const SVC_CERT: &str = "service.beta.kubernetes.io/aws-load-balancer-ssl-cert";

const HELP: &str =
    "Set `ELBSecurityPolicy-TLS13-1-2-2021-06` (or `ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09`)";

/// The policy a listener ends up with and whether it was configured or assumed.
struct Effective {
    policy: SslPolicy,
    explicit: bool,
}

/// Resolve a policy name; `None` for names NS005 reports (not in the table, not derivable).
fn effective(inv: &Inventory, explicit: Option<&str>) -> Option<Effective> {
    match explicit {
        Some(name) => ssl_policy(name).map(|(policy, _)| Effective {
            policy,
            explicit: true,
        }),
        None => ssl_policy(&inv.settings.assume_default_ssl_policy).map(|(policy, _)| Effective {
            policy,
            explicit: false,
        }),
    }
}

fn weak(inv: &Inventory, e: &Effective) -> bool {
    tls_less(&e.policy.min_tls, &inv.settings.min_tls)
}

fn severity(inv: &Inventory, internet_facing: bool) -> Severity {
    if inv.settings.strict && internet_facing {
        Severity::Error
    } else {
        Severity::Warning
    }
}

fn describe(inv: &Inventory, e: &Effective, listener: &str) -> String {
    let min = &inv.settings.min_tls;
    let p = &e.policy;
    if e.explicit {
        format!(
            "security policy `{}` of {listener} allows TLS {} (minimum required: TLS {min})",
            p.name, p.min_tls
        )
    } else {
        format!(
            "no security policy is set, so {listener} gets the controller default `{}` (assumed; settings key `assumeDefaultSslPolicy`), which allows TLS {} (minimum required: TLS {min})",
            p.name, p.min_tls
        )
    }
}

fn ports_text(kind: &str, ports: &[String]) -> String {
    if ports.len() == 1 {
        format!("the {kind} listener on port {}", ports[0])
    } else {
        format!("the {kind} listeners on ports {}", ports.join(", "))
    }
}

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    // IngressClassParams shared by several groups: report its policy once.
    let mut reported = HashSet::new();
    for group in &inv.ingress_groups {
        check_alb_group(inv, &group.members, &mut reported, out);
    }
    for &s in inv.of_kind("", "Service") {
        check_service(inv, s, out);
    }
    for &c in inv.of_kind("gateway.k8s.aws", "LoadBalancerConfiguration") {
        check_gateway_config(inv, c, out);
    }
}

/// The explicit policy of a group member, with where it is set (IngressClassParams beats the
/// annotation).
fn member_policy(inv: &Inventory, ing: ObjId) -> Option<(ObjId, String, String)> {
    if let Some((p, field, node)) = params_override(inv, ing, "ssl-policy") {
        return node
            .scalar_text()
            .map(|v| (p, pointer(["spec", field]), v.to_string()));
    }
    inv.get(ing)
        .annotation(SSL_POLICY)
        .map(|v| (ing, annotation_ptr(SSL_POLICY), v.to_string()))
}

/// What creates member `ing`'s HTTPS listener: its certificate annotation, else its listen-ports,
/// else the IngressClassParams certificates.
fn https_source(inv: &Inventory, ing: ObjId) -> (ObjId, String) {
    let obj = inv.get(ing);
    let overridden = params_override(inv, ing, "certificate-arn");
    if obj.annotation(CERT).is_some() && overridden.is_none() {
        return (ing, annotation_ptr(CERT));
    }
    if obj.annotation(LISTEN_PORTS).is_some() {
        return (ing, annotation_ptr(LISTEN_PORTS));
    }
    if let Some((p, field, _)) = overridden {
        return (p, pointer(["spec", field]));
    }
    (ing, pointer(["metadata", "name"]))
}

fn check_alb_group(
    inv: &Inventory,
    members: &[ObjId],
    reported: &mut HashSet<(ObjId, String)>,
    out: &mut Vec<Finding>,
) {
    let internet_facing = alb_group_scheme(inv, members).0 == Scheme::InternetFacing;
    // (object, pointer) → (policy, ports); one finding per place that sets (or omits) the policy.
    let mut found: BTreeMap<(ObjId, String), (Effective, Vec<String>)> = BTreeMap::new();
    for l in group_listeners(inv, members).iter().filter(|l| l.https) {
        let explicit = l.members.iter().find_map(|&m| member_policy(inv, m));
        let (key, e) = match explicit {
            Some((o, ptr, name)) => ((o, ptr), effective(inv, Some(&name))),
            None => (https_source(inv, l.members[0]), effective(inv, None)),
        };
        let Some(e) = e else { continue };
        if !weak(inv, &e) {
            continue;
        }
        found
            .entry(key)
            .or_insert_with(|| (e, Vec::new()))
            .1
            .push(l.port.to_string());
    }
    for ((obj, ptr), (e, ports)) in found {
        if !reported.insert((obj, ptr.clone())) {
            continue;
        }
        let mut msg = describe(inv, &e, &ports_text("HTTPS", &ports));
        if internet_facing {
            msg.push_str(" on an internet-facing ALB");
        }
        let help = if e.explicit {
            format!("{HELP} in `{SSL_POLICY}` or IngressClassParams `sslPolicy`.")
        } else {
            format!(
                "{HELP} via `{SSL_POLICY}` or IngressClassParams `sslPolicy`, or set the controller's `--default-ssl-policy` cluster-wide and configure `assumeDefaultSslPolicy`."
            )
        };
        let related: Vec<_> = members
            .iter()
            .filter(|&&m| m != obj)
            .map(|&m| inv.obj_ref(m))
            .collect();
        out.push(
            Finding::new(ID, severity(inv, internet_facing), obj, ptr, msg)
                .help(help)
                .related(related),
        );
    }
}

fn check_service(inv: &Inventory, s: ObjId, out: &mut Vec<Finding>) {
    let owner = inv.service_owner(s);
    if !owner.is_aws() {
        return;
    }
    let svc = inv.get(s);
    let tls = match owner {
        // Only what holds for both controllers: a port is TLS under both parsings.
        ServiceOwner::Ambiguous { .. } => {
            let intree = tls_port_indices(svc, Parse::InTree);
            tls_port_indices(svc, Parse::Lbc)
                .into_iter()
                .filter(|i| intree.contains(i))
                .collect()
        }
        _ => tls_port_indices(svc, Parse::Lbc),
    };
    if tls.is_empty() {
        return;
    }
    let explicit = svc.annotation(SVC_POLICY);
    let Some(e) = effective(inv, explicit) else {
        return;
    };
    if !weak(inv, &e) {
        return;
    }
    let items = svc
        .root
        .path(&["spec", "ports"])
        .map_or(&[][..], Node::items);
    let ports: Vec<String> = tls
        .iter()
        .filter_map(|&i| items.get(i)?.get("port")?.as_i64())
        .map(|p| p.to_string())
        .collect();
    let kind = match owner {
        ServiceOwner::Ambiguous { nlb: false } => "TLS/SSL",
        _ => "TLS",
    };
    let internet_facing = service_scheme(owner, svc) == Scheme::InternetFacing;
    let mut msg = describe(inv, &e, &ports_text(kind, &ports));
    if internet_facing {
        msg.push_str(" on an internet-facing load balancer");
    }
    let ptr = annotation_ptr(if explicit.is_some() {
        SVC_POLICY
    } else {
        SVC_CERT
    });
    let help = if matches!(owner, ServiceOwner::Ambiguous { nlb: false }) {
        format!(
            "Set `ELBSecurityPolicy-TLS-1-2-2017-01` in `{SVC_POLICY}` (accepted by both a Classic and a Network Load Balancer; a CLB supports no TLS 1.3 policy)."
        )
    } else {
        format!("{HELP} in `{SVC_POLICY}`.")
    };
    out.push(Finding::new(ID, severity(inv, internet_facing), s, ptr, msg).help(help));
}

fn check_gateway_config(inv: &Inventory, c: ObjId, out: &mut Vec<Finding>) {
    let obj = inv.get(c);
    let internet_facing = obj.root.str_at(&["spec", "scheme"]) == Some("internet-facing");
    let listeners = obj
        .root
        .path(&["spec", "listenerConfigurations"])
        .map_or(&[][..], Node::items);
    for (i, l) in listeners.iter().enumerate() {
        let Some(pp) = l.str_at(&["protocolPort"]) else {
            continue;
        };
        let (proto, port) = pp.split_once(':').unwrap_or((pp, ""));
        if !matches!(proto, "HTTPS" | "TLS") {
            continue;
        }
        let i = i.to_string();
        let explicit = l.get("sslPolicy").and_then(Node::scalar_text);
        let Some(e) = effective(inv, explicit) else {
            continue;
        };
        if !weak(inv, &e) {
            continue;
        }
        let field = if explicit.is_some() {
            "sslPolicy"
        } else {
            "protocolPort"
        };
        let mut msg = describe(inv, &e, &ports_text(proto, &[port.to_string()]));
        if internet_facing {
            msg.push_str(" on an internet-facing load balancer");
        }
        out.push(
            Finding::new(
                ID,
                severity(inv, internet_facing),
                c,
                pointer(["spec", "listenerConfigurations", &i, field]),
                msg,
            )
            .help(format!(
                "{HELP} in this listener configuration's `sslPolicy`."
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Settings;

    fn run(yaml: &str, settings: Settings) -> Vec<Finding> {
        crate::rules::run_check(check, yaml, settings)
    }

    fn ingress(scheme: &str, policy: &str) -> String {
        format!(
            r#"
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  namespace: web
  annotations:
    alb.ingress.kubernetes.io/scheme: {scheme}
    alb.ingress.kubernetes.io/certificate-arn: arn:aws:acm:us-east-1:123456789012:certificate/11111111-1111-1111-1111-111111111111
    alb.ingress.kubernetes.io/ssl-policy: {policy}
spec:
  ingressClassName: alb
"#
        )
    }

    #[test]
    fn strict_escalates_only_internet_facing() {
        let strict = Settings {
            strict: true,
            ..Settings::default()
        };
        let weak = "ELBSecurityPolicy-2016-08";
        let out = run(&ingress("internet-facing", weak), strict.clone());
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Error);
        let out = run(&ingress("internal", weak), strict);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Warning);
    }

    #[test]
    fn min_tls_and_assumed_default_are_settings() {
        let strong = "ELBSecurityPolicy-TLS13-1-2-2021-06";
        assert!(run(&ingress("internal", strong), Settings::default()).is_empty());
        let tls13 = Settings {
            min_tls: "1.3".into(),
            ..Settings::default()
        };
        assert_eq!(run(&ingress("internal", strong), tls13).len(), 1);
        // Without an explicit policy, the assumed controller default decides.
        let yaml = ingress("internal", strong).replace(
            "    alb.ingress.kubernetes.io/ssl-policy: ELBSecurityPolicy-TLS13-1-2-2021-06\n",
            "",
        );
        assert_eq!(run(&yaml, Settings::default()).len(), 1);
        let hardened = Settings {
            assume_default_ssl_policy: strong.into(),
            ..Settings::default()
        };
        assert!(run(&yaml, hardened).is_empty());
    }
}
