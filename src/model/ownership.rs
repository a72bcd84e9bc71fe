//! Which controller reconciles a north–south object (RULES.md §1.1), IngressGroups, and the effective
//! ALB settings after IngressClassParams overrides. Static mode never guesses: what cannot be known is
//! `Unknown` (Ingress) or `Ambiguous` (Service) and the rules act accordingly.

use super::inventory::Inventory;
use super::object::{ObjId, Object};
use super::settings::Settings;
use crate::load::Node;

/// IngressClass controllers that mean "an AWS ALB": LBC and EKS Auto Mode.
pub const ALB_CONTROLLERS: [&str; 2] = ["ingress.k8s.aws/alb", "eks.amazonaws.com/alb"];
/// The annotation prefix of the AWS Load Balancer Controller's Ingress settings.
pub const ALB_PREFIX: &str = "alb.ingress.kubernetes.io/";

/// Who reconciles an Ingress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IngressOwner {
    /// An AWS ALB (LBC, or EKS Auto Mode when `auto_mode`), with its IngressClass and params if known.
    Alb {
        /// The IngressClass object, when it is in the input.
        class: Option<ObjId>,
        /// The IngressClassParams object the class points at, when it is in the input.
        params: Option<ObjId>,
        /// EKS Auto Mode (`eks.amazonaws.com/alb`): different params fields.
        auto_mode: bool,
    },
    /// Another controller (ingress-nginx, Istio, …): NS rules do not apply.
    Other(String),
    /// Cannot be decided from the input: NS rules are skipped rather than guessed.
    Unknown,
}

/// Who creates the load balancer of a Service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServiceOwner {
    /// Not `type: LoadBalancer`: no load balancer at all.
    NotLoadBalancer,
    /// The AWS Load Balancer Controller (NLB).
    Lbc,
    /// EKS Auto Mode (NLB).
    AutoMode,
    /// A non-AWS `loadBalancerClass` (MetalLB, …): AWS annotations are no-ops.
    Foreign(String),
    /// `aws-load-balancer-type: external` without a valid target type and no class: nobody.
    Nobody,
    /// In-tree cloud provider or LBC (whose mutating webhook stamps `loadBalancerClass` on new
    /// Services): `nlb` says whether the in-tree variant would be an NLB rather than a CLB.
    Ambiguous {
        /// `aws-load-balancer-type: nlb`.
        nlb: bool,
    },
}

impl ServiceOwner {
    /// Whether an AWS load balancer is (or may be) created.
    pub fn is_aws(&self) -> bool {
        matches!(
            self,
            ServiceOwner::Lbc | ServiceOwner::AutoMode | ServiceOwner::Ambiguous { .. }
        )
    }

    /// Whether LBC parsing rules certainly apply.
    pub fn is_lbc(&self) -> bool {
        matches!(self, ServiceOwner::Lbc | ServiceOwner::AutoMode)
    }
}

fn ingress_class_controller_owner(inv: &Inventory, class: ObjId) -> IngressOwner {
    let obj = inv.get(class);
    let controller = obj.root.str_at(&["spec", "controller"]).unwrap_or("");
    if !ALB_CONTROLLERS.contains(&controller) {
        return IngressOwner::Other(controller.to_string());
    }
    let auto_mode = controller == "eks.amazonaws.com/alb";
    let params = obj.root.path(&["spec", "parameters"]).and_then(|p| {
        let kind = p.str_at(&["kind"])?;
        let group = p.str_at(&["apiGroup"])?;
        let name = p.str_at(&["name"])?;
        (kind == "IngressClassParams" && (group == "elbv2.k8s.aws" || group == "eks.amazonaws.com"))
            .then(|| inv.find(group, "IngressClassParams", None, name))
            .flatten()
    });
    IngressOwner::Alb {
        class: Some(class),
        params,
        auto_mode,
    }
}

/// Resolve the owner of the Ingress `id` (§1.1, in order).
pub fn ingress_owner(inv: &Inventory, id: ObjId) -> IngressOwner {
    let ing = inv.get(id);
    let albs = &inv.settings.alb_class_names;
    if let Some(class_name) = ing.root.str_at(&["spec", "ingressClassName"]) {
        return match inv.find("networking.k8s.io", "IngressClass", None, class_name) {
            Some(class) => ingress_class_controller_owner(inv, class),
            None if albs.iter().any(|a| a == class_name) => IngressOwner::Alb {
                class: None,
                params: None,
                auto_mode: false,
            },
            None => IngressOwner::Unknown,
        };
    }
    if let Some(annotation) = ing.annotation("kubernetes.io/ingress.class") {
        return if albs.iter().any(|a| a == annotation) {
            IngressOwner::Alb {
                class: None,
                params: None,
                auto_mode: false,
            }
        } else {
            IngressOwner::Other(annotation.to_string())
        };
    }
    let default_class = inv
        .of_kind("networking.k8s.io", "IngressClass")
        .iter()
        .copied()
        .find(|&c| {
            inv.get(c)
                .annotation("ingressclass.kubernetes.io/is-default-class")
                == Some("true")
        });
    match default_class {
        Some(class) => ingress_class_controller_owner(inv, class),
        None => IngressOwner::Unknown,
    }
}

/// The `service.beta.kubernetes.io/aws-load-balancer-*` annotation `suffix` of a Service.
pub fn aws_lb_annotation<'a>(svc: &'a Object, suffix: &str) -> Option<&'a str> {
    svc.annotation(&format!(
        "service.beta.kubernetes.io/aws-load-balancer-{suffix}"
    ))
}

/// Resolve the owner of a Service's load balancer (§1.1 table, first match).
pub fn service_owner(settings: &Settings, svc: &Object) -> ServiceOwner {
    if svc.root.str_at(&["spec", "type"]) != Some("LoadBalancer") {
        return ServiceOwner::NotLoadBalancer;
    }
    if let Some(class) = svc
        .root
        .str_at(&["spec", "loadBalancerClass"])
        .filter(|c| !c.is_empty())
    {
        return if settings
            .lbc_load_balancer_classes
            .iter()
            .any(|c| c == class)
        {
            ServiceOwner::Lbc
        } else if class == "eks.amazonaws.com/nlb" {
            ServiceOwner::AutoMode
        } else {
            ServiceOwner::Foreign(class.to_string())
        };
    }
    match aws_lb_annotation(svc, "type") {
        Some("nlb-ip") => ServiceOwner::Lbc,
        Some("external") => {
            if matches!(
                aws_lb_annotation(svc, "nlb-target-type"),
                Some("ip" | "instance")
            ) {
                ServiceOwner::Lbc
            } else {
                ServiceOwner::Nobody
            }
        }
        Some("nlb") => ServiceOwner::Ambiguous { nlb: true },
        _ => ServiceOwner::Ambiguous { nlb: false },
    }
}

/// Ingresses that share one ALB.
#[derive(Clone, Debug)]
pub struct IngressGroup {
    /// The explicit group name, or `None` for the implicit group of a single Ingress.
    pub name: Option<String>,
    /// Members in LBC's order (`group.order`, then namespace/name).
    pub members: Vec<ObjId>,
}

/// The IngressClassParams field that overrides an ALB annotation (LBC `ingress_class.md`).
fn params_field(annotation: &str, auto_mode: bool) -> Option<&'static str> {
    Some(match annotation {
        "certificate-arn" if auto_mode => "certificateARNs",
        "certificate-arn" => "certificateArn",
        "ssl-policy" => "sslPolicy",
        "ssl-redirect" => "sslRedirectPort",
        "scheme" => "scheme",
        _ => return None,
    })
}

/// The IngressClassParams setting that overrides annotation `key` (without prefix) of an ALB Ingress.
pub fn params_override<'a>(
    inv: &'a Inventory,
    ing: ObjId,
    key: &str,
) -> Option<(ObjId, &'static str, &'a Node)> {
    let IngressOwner::Alb {
        params: Some(p),
        auto_mode,
        ..
    } = inv.ingress_owner(ing)
    else {
        return None;
    };
    let field = params_field(key, *auto_mode)?;
    let node = inv.get(*p).root.path(&["spec", field])?;
    (!node.is_null()).then_some((*p, field, node))
}

fn group_name(inv: &Inventory, id: ObjId) -> Option<String> {
    if let IngressOwner::Alb {
        params: Some(p), ..
    } = inv.ingress_owner(id)
        && let Some(name) = inv.get(*p).root.str_at(&["spec", "group", "name"])
    {
        return Some(name.to_string());
    }
    inv.get(id)
        .annotation("alb.ingress.kubernetes.io/group.name")
        .map(str::to_string)
}

/// Build the IngressGroups of all ALB Ingresses (explicit groups span namespaces, like LBC).
pub fn ingress_groups(inv: &Inventory) -> Vec<IngressGroup> {
    let mut groups: Vec<IngressGroup> = Vec::new();
    let mut named: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (id, owner) in inv.ingresses() {
        if !matches!(owner, IngressOwner::Alb { .. }) {
            continue;
        }
        match group_name(inv, id) {
            Some(name) => {
                let g = *named.entry(name.clone()).or_insert_with(|| {
                    groups.push(IngressGroup {
                        name: Some(name),
                        members: Vec::new(),
                    });
                    groups.len() - 1
                });
                groups[g].members.push(id);
            }
            None => groups.push(IngressGroup {
                name: None,
                members: vec![id],
            }),
        }
    }
    for g in &mut groups {
        g.members.sort_by_key(|&m| {
            let o = inv.get(m);
            let order = o
                .annotation("alb.ingress.kubernetes.io/group.order")
                .and_then(|v| v.trim().parse::<i64>().ok());
            (
                order.unwrap_or(0),
                o.id.namespace.clone(),
                o.id.name.clone(),
            )
        });
    }
    groups
}
