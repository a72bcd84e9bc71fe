//! NS005 lb-ssl-policy-unknown: a security policy name that the load balancer type does not accept.
//!
//! Reads the same fields as NS004: IngressClassParams `sslPolicy`, `alb.ingress.kubernetes.io/ssl-policy`
//! (unless IngressClassParams overrides it), `service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy`
//! and LoadBalancerConfiguration `listenerConfigurations[].sslPolicy`. Load balancer type: ALB for
//! Ingresses, IngressClassParams and `HTTPS` gateway listeners; NLB for LBC/Auto Mode Services,
//! `aws-load-balancer-type: nlb` and `TLS` gateway listeners; an ambiguous Service without type may be
//! an in-tree CLB or an LBC NLB.
//!
//! * Name in the policy table (`data/elb-ssl-policies.yaml`) but not accepted by the type → error
//!   (TLS 1.3/FIPS/PQ policies on a CLB; CLB-only legacy policies on ALB/NLB); accepted by only one of
//!   the possible types of an ambiguous Service → warning.
//! * `ELBSecurityPolicy-…` not in the table → warning (unknown, possibly newer predefined policy;
//!   error on a CLB when the name says TLS 1.3).
//! * `ELBSample-…` → fine on a CLB, error on ALB/NLB.
//! * Anything else → error: ALB and NLB do not support custom security policies.

use super::annotation_ptr;
use crate::load::Node;
use crate::load::node::pointer;
use crate::model::ownership::params_override;
use crate::model::{Inventory, ObjId, ServiceOwner, Settings};
use crate::rules::aws::{is_placeholder, ssl_policy};
use crate::rules::{
    BuiltinRule, Finding, INGRESS_KINDS, KindSet, LB_CONFIG_KINDS, SERVICE_KINDS, Severity,
};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "NS005",
    kinds,
    check,
};

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![INGRESS_KINDS, SERVICE_KINDS, LB_CONFIG_KINDS]
}

const ID: &str = "NS005";

const SSL_POLICY: &str = "alb.ingress.kubernetes.io/ssl-policy";
const SVC_POLICY: &str = "service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy";

/// A load balancer type, as named in the policy table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lb {
    Alb,
    Nlb,
    Clb,
}

impl Lb {
    fn key(self) -> &'static str {
        match self {
            Lb::Alb => "alb",
            Lb::Nlb => "nlb",
            Lb::Clb => "clb",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Lb::Alb => "Application Load Balancer",
            Lb::Nlb => "Network Load Balancer",
            Lb::Clb => "Classic Load Balancer",
        }
    }
}

/// The possible load balancer types of the object carrying the policy, and how to describe them.
struct Target {
    types: &'static [Lb],
    /// "an in-tree CLB (or an LBC NLB)" etc., for messages about an ambiguous owner.
    ambiguous: Option<&'static str>,
}

const ALB: Target = Target {
    types: &[Lb::Alb],
    ambiguous: None,
};
const NLB: Target = Target {
    types: &[Lb::Nlb],
    ambiguous: None,
};

/// Judge a policy name for a target: `None` when it is fine.
fn judge(name: &str, target: &Target) -> Option<(Severity, String, String)> {
    let types = target.types;
    let all = |pred: &dyn Fn(Lb) -> bool| types.iter().all(|&t| pred(t));
    let any = |pred: &dyn Fn(Lb) -> bool| types.iter().any(|&t| pred(t));
    let listed = types
        .iter()
        .map(|t| t.name())
        .collect::<Vec<_>>()
        .join(" or ");
    const DESCRIBE: &str = "Use one of the predefined policies listed by `aws elbv2 describe-ssl-policies` (ALB/NLB), e.g. `ELBSecurityPolicy-TLS13-1-2-2021-06`.";
    if name != name.trim() {
        return Some((
            Severity::Error,
            format!(
                "security policy `{name}` has surrounding whitespace; the controller passes it verbatim and the ELB API rejects it"
            ),
            format!("Write `{}` without spaces.", name.trim()),
        ));
    }
    if is_placeholder(name) {
        return Some((
            Severity::Error,
            format!("security policy `{name}` is an unrendered placeholder"),
            "Render the manifests first (`helm template`, `kustomize build`, envsubst).".into(),
        ));
    }
    if let Some((p, known)) = ssl_policy(name) {
        let accepts = |t: Lb| p.load_balancers.iter().any(|l| l == t.key());
        // Derived (unknown) names: assume ALB/NLB; a TLS 1.3 name is never accepted by a CLB.
        let accepts_derived = |t: Lb| t != Lb::Clb || p.max_tls != "1.3" && !name.contains("TLS13");
        if known {
            if all(&accepts) {
                return None;
            }
            let rejecting: Vec<Lb> = types.iter().copied().filter(|&t| !accepts(t)).collect();
            let why = if rejecting.contains(&Lb::Clb) && p.max_tls == "1.3" {
                format!(
                    "`{name}` allows TLS 1.3, which a Classic Load Balancer does not support (CLB accepts TLS 1.2 policies at most)"
                )
            } else if p.load_balancers == ["clb"] {
                format!(
                    "`{name}` is a legacy Classic Load Balancer policy; Application and Network Load Balancers reject it"
                )
            } else {
                format!(
                    "`{name}` is not available on a {}",
                    rejecting
                        .iter()
                        .map(|t| t.name())
                        .collect::<Vec<_>>()
                        .join(" or ")
                )
            };
            return Some(if any(&accepts) {
                (
                    Severity::Warning,
                    format!(
                        "{why}; this Service may be {} — behaviour differs between controllers",
                        target.ambiguous.unwrap_or(&listed)
                    ),
                    "Pick a policy both accept (e.g. `ELBSecurityPolicy-TLS-1-2-2017-01`), or set `spec.loadBalancerClass: service.k8s.aws/nlb` to make it an LBC NLB.".into(),
                )
            } else {
                (Severity::Error, why, DESCRIBE.into())
            });
        }
        if !all(&accepts_derived) && !any(&accepts_derived) {
            return Some((
                Severity::Error,
                format!(
                    "`{name}` is not a known policy and its name says TLS 1.3, which a Classic Load Balancer does not support"
                ),
                "Use a TLS 1.2 policy such as `ELBSecurityPolicy-TLS-1-2-2017-01` on a CLB.".into(),
            ));
        }
    }
    if name.starts_with("ELBSecurityPolicy-") {
        return Some((
            Severity::Warning,
            format!(
                "`{name}` is not in the known ELB security policy table: a newer predefined policy, or a typo"
            ),
            "Check the name with `aws elbv2 describe-ssl-policies --names <name>`; if AWS added it, add it to `data/elb-ssl-policies.yaml`.".into(),
        ));
    }
    if name.starts_with("ELBSample-") {
        if all(&|t| t == Lb::Clb) {
            return None;
        }
        let sev = if any(&|t| t == Lb::Clb) {
            Severity::Warning
        } else {
            Severity::Error
        };
        return Some((
            sev,
            format!(
                "`{name}` is a Classic Load Balancer sample policy; a {} rejects it",
                if types.contains(&Lb::Alb) {
                    "Application Load Balancer"
                } else {
                    "Network Load Balancer"
                }
            ),
            DESCRIBE.into(),
        ));
    }
    Some((
        Severity::Error,
        if types.contains(&Lb::Clb) {
            format!(
                "`{name}` is not a predefined ELB security policy: the load balancer ({listed}) only accepts predefined policy names here"
            )
        } else {
            format!(
                "`{name}` is not a predefined ELB security policy: {listed}s do not support custom security policies"
            )
        },
        DESCRIBE.into(),
    ))
}

fn push(out: &mut Vec<Finding>, obj: ObjId, ptr: String, name: &str, target: &Target) {
    if let Some((sev, msg, help)) = judge(name, target) {
        out.push(Finding::new(ID, sev, obj, ptr, msg).help(help));
    }
}

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    for group in ["elbv2.k8s.aws", "eks.amazonaws.com"] {
        for &p in inv.of_kind(group, "IngressClassParams") {
            if let Some(v) = inv
                .get(p)
                .root
                .path(&["spec", "sslPolicy"])
                .and_then(Node::scalar_text)
            {
                push(out, p, pointer(["spec", "sslPolicy"]), v, &ALB);
            }
        }
    }
    for ing in super::alb_ingresses(inv) {
        // An annotation that IngressClassParams overrides is ignored by LBC (its params value is
        // checked above).
        if params_override(inv, ing, "ssl-policy").is_some() {
            continue;
        }
        if let Some(v) = inv.get(ing).annotation(SSL_POLICY) {
            push(out, ing, annotation_ptr(SSL_POLICY), v, &ALB);
        }
    }
    for &s in inv.of_kind("", "Service") {
        let target = match inv.service_owner(s) {
            ServiceOwner::Lbc | ServiceOwner::AutoMode | ServiceOwner::Ambiguous { nlb: true } => {
                NLB
            }
            ServiceOwner::Ambiguous { nlb: false } => Target {
                types: &[Lb::Clb, Lb::Nlb],
                ambiguous: Some("an in-tree Classic Load Balancer or an LBC Network Load Balancer"),
            },
            _ => continue,
        };
        if let Some(v) = inv.get(s).annotation(SVC_POLICY) {
            push(out, s, annotation_ptr(SVC_POLICY), v, &target);
        }
    }
    for &c in inv.of_kind("gateway.k8s.aws", "LoadBalancerConfiguration") {
        let listeners = inv
            .get(c)
            .root
            .path(&["spec", "listenerConfigurations"])
            .map_or(&[][..], Node::items);
        for (i, l) in listeners.iter().enumerate() {
            let Some(v) = l.get("sslPolicy").and_then(Node::scalar_text) else {
                continue;
            };
            let target = match l
                .str_at(&["protocolPort"])
                .and_then(|pp| pp.split(':').next())
            {
                Some("HTTPS") => ALB,
                Some("TLS") => NLB,
                _ => Target {
                    types: &[Lb::Alb, Lb::Nlb],
                    ambiguous: None,
                },
            };
            let ptr = pointer([
                "spec",
                "listenerConfigurations",
                &i.to_string(),
                "sslPolicy",
            ]);
            push(out, c, ptr, v, &target);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLB_OR_NLB: Target = Target {
        types: &[Lb::Clb, Lb::Nlb],
        ambiguous: Some("x"),
    };
    const CLB: Target = Target {
        types: &[Lb::Clb],
        ambiguous: None,
    };

    fn sev(name: &str, t: &Target) -> Option<Severity> {
        judge(name, t).map(|(s, _, _)| s)
    }

    #[test]
    fn table_and_types() {
        assert_eq!(sev("ELBSecurityPolicy-TLS13-1-2-2021-06", &ALB), None);
        assert_eq!(
            sev("ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09", &NLB),
            None
        );
        assert_eq!(sev("ELBSecurityPolicy-2016-08", &CLB_OR_NLB), None);
        assert_eq!(
            sev("ELBSecurityPolicy-TLS13-1-2-2021-06", &CLB),
            Some(Severity::Error)
        );
        assert_eq!(
            sev("ELBSecurityPolicy-TLS13-1-2-2021-06", &CLB_OR_NLB),
            Some(Severity::Warning)
        );
        assert_eq!(
            sev("ELBSecurityPolicy-2015-03", &ALB),
            Some(Severity::Error)
        );
        assert_eq!(
            sev("ELBSecurityPolicy-TLS13-1-2-Future-2030-01", &ALB),
            Some(Severity::Warning)
        );
        assert_eq!(
            sev("ELBSecurityPolicy-TLS13-1-2-Future-2030-01", &CLB),
            Some(Severity::Error)
        );
        assert_eq!(sev("ELBSample-OpenSSLDefaultNegotiationPolicy", &CLB), None);
        assert_eq!(
            sev("ELBSample-OpenSSLDefaultNegotiationPolicy", &NLB),
            Some(Severity::Error)
        );
        assert_eq!(sev("my-custom-policy", &ALB), Some(Severity::Error));
        assert_eq!(sev("$(sslPolicy)", &ALB), Some(Severity::Error));
        assert_eq!(
            sev(" ELBSecurityPolicy-TLS13-1-2-2021-06", &ALB),
            Some(Severity::Error)
        );
    }
}
