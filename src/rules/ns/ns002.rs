//! NS002 lb-cert-arn-scope-mismatch: ACM certificates that a load balancer cannot use because of
//! their partition, region or account.
//!
//! Certificates are grouped per load balancer: an ALB IngressGroup (IngressClassParams
//! `certificateArn`/`certificateARNs` override a member's `alb.ingress.kubernetes.io/certificate-arn`),
//! a LoadBalancer Service (`aws-load-balancer-ssl-cert`), a gateway.k8s.aws LoadBalancerConfiguration
//! (`defaultCertificate` and `certificates` of all listeners). Only well-formed ACM ARNs are judged
//! (malformed ones are NS001's):
//! (a) the region does not belong to the ARN's partition → error;
//! (b) the certificates of one load balancer span regions or partitions → error (only when the
//!     cluster region is unknown, otherwise (c) names each stray certificate);
//! (c) the region differs from the `clusterRegion` setting → error;
//! (d) the certificates of one load balancer span AWS accounts → warning.

use super::annotation_ptr;
use crate::load::Node;
use crate::load::node::pointer;
use crate::model::ownership::params_override;
use crate::model::{Inventory, ObjId, ObjRef, Settings};
use crate::rules::aws::{ArnParts, CertArn, classify_cert_arn, partition_of_region, split_lbc};
use crate::rules::{
    BuiltinRule, Finding, INGRESS_KINDS, KindSet, LB_CONFIG_KINDS, SERVICE_KINDS, Severity,
};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "NS002",
    kinds,
    check,
};

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![INGRESS_KINDS, SERVICE_KINDS, LB_CONFIG_KINDS]
}

const ID: &str = "NS002";

const ALB_CERT: &str = "alb.ingress.kubernetes.io/certificate-arn";
const SVC_CERT: &str = "service.beta.kubernetes.io/aws-load-balancer-ssl-cert";

/// One ACM certificate attached to a load balancer, and where it is written.
struct Cert {
    obj: ObjId,
    ptr: String,
    arn: String,
    parts: ArnParts,
}

/// Keep `value` if it is a well-formed ACM ARN (an upper-case ID still has a usable region).
fn acm(obj: ObjId, ptr: String, value: &str) -> Option<Cert> {
    match classify_cert_arn(value) {
        CertArn::Acm(parts) | CertArn::UppercaseId(parts) => Some(Cert {
            obj,
            ptr,
            arn: value.to_string(),
            parts,
        }),
        _ => None,
    }
}

fn list_certs(obj: ObjId, base: &[&str], list: &Node, out: &mut Vec<Cert>) {
    for (i, item) in list.items().iter().enumerate() {
        if let Some(v) = item.scalar_text() {
            let mut tokens: Vec<String> = base.iter().map(|s| s.to_string()).collect();
            tokens.push(i.to_string());
            out.extend(acm(obj, pointer(tokens), v.trim()));
        }
    }
}

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    // Certificates of an IngressClassParams shared by several groups are judged once per group; the
    // engine drops the repeated findings.
    for group in &inv.ingress_groups {
        let mut certs = Vec::new();
        for &m in &group.members {
            if let Some((p, field, node)) = params_override(inv, m, "certificate-arn") {
                list_certs(p, &["spec", field], node, &mut certs);
            } else if let Some(v) = inv.get(m).annotation(ALB_CERT) {
                for item in split_lbc(v).0 {
                    certs.extend(acm(m, annotation_ptr(ALB_CERT), item));
                }
            }
        }
        let lb = match &group.name {
            Some(name) => format!("the ALB of IngressGroup `{name}`"),
            None => format!("the ALB of {}", inv.obj_ref(group.members[0]).display()),
        };
        judge(inv, &lb, &certs, &group.members, out);
    }
    for &s in inv.of_kind("", "Service") {
        if !inv.service_owner(s).is_aws() {
            continue;
        }
        let Some(v) = inv.get(s).annotation(SVC_CERT) else {
            continue;
        };
        // A comma list is LBC syntax (NS003 reports it for a possibly in-tree Service).
        let certs: Vec<Cert> = split_lbc(v)
            .0
            .into_iter()
            .filter_map(|item| acm(s, annotation_ptr(SVC_CERT), item))
            .collect();
        judge(inv, "the load balancer", &certs, &[], out);
    }
    for &c in inv.of_kind("gateway.k8s.aws", "LoadBalancerConfiguration") {
        let mut certs = Vec::new();
        let listeners = inv
            .get(c)
            .root
            .path(&["spec", "listenerConfigurations"])
            .map_or(&[][..], Node::items);
        for (i, l) in listeners.iter().enumerate() {
            let i = i.to_string();
            if let Some(v) = l.get("defaultCertificate").and_then(Node::scalar_text) {
                let ptr = pointer(["spec", "listenerConfigurations", &i, "defaultCertificate"]);
                certs.extend(acm(c, ptr, v.trim()));
            }
            if let Some(list) = l.get("certificates") {
                list_certs(
                    c,
                    &["spec", "listenerConfigurations", &i, "certificates"],
                    list,
                    &mut certs,
                );
            }
        }
        judge(inv, "the load balancer", &certs, &[], out);
    }
}

/// Objects other than `obj` that share the load balancer (members of the IngressGroup, objects that
/// contribute certificates), for `related`.
fn related(inv: &Inventory, certs: &[Cert], members: &[ObjId], obj: ObjId) -> Vec<ObjRef> {
    let mut ids: Vec<ObjId> = certs
        .iter()
        .map(|c| c.obj)
        .chain(members.iter().copied())
        .filter(|&o| o != obj)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.into_iter().map(|o| inv.obj_ref(o)).collect()
}

fn judge(inv: &Inventory, lb: &str, certs: &[Cert], members: &[ObjId], out: &mut Vec<Finding>) {
    // (a) partition ↔ region.
    for c in certs {
        let p = &c.parts;
        match partition_of_region(&p.region) {
            Some(part) if part == p.partition => {}
            found => {
                let why = match found {
                    Some(part) => format!(
                        "region `{}` belongs to partition `{part}`, not `{}`",
                        p.region, p.partition
                    ),
                    None => format!(
                        "region `{}` is not a region of partition `{}` (or of any known partition)",
                        p.region, p.partition
                    ),
                };
                let fix = match found {
                    Some(part) => format!(
                        "Use `arn:{part}:acm:{}:…` if the certificate is in `{}`, or the certificate of the load balancer's own region.",
                        p.region, p.region
                    ),
                    None => "Check the region of the ARN.".to_string(),
                };
                out.push(
                    Finding::new(
                        ID,
                        Severity::Error,
                        c.obj,
                        &c.ptr,
                        format!("`{}`: {why}; no such certificate can exist", c.arn),
                    )
                    .help(fix),
                );
            }
        }
    }
    // (c) cluster region.
    if let Some(region) = inv.settings.cluster_region.as_deref() {
        for c in certs.iter().filter(|c| c.parts.region != region) {
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    c.obj,
                    &c.ptr,
                    format!(
                        "`{}` is in region `{}`, but the cluster (setting `clusterRegion`) is in `{region}`: {lb} can only use ACM certificates from its own region",
                        c.arn, c.parts.region
                    ),
                )
                .help(format!(
                    "Request or import the certificate in ACM in `{region}` (ACM cannot copy certificates between regions)."
                )),
            );
        }
    } else if let Some(first) = certs.first() {
        // (b) several regions or partitions on one load balancer.
        let key = |c: &Cert| (c.parts.partition.clone(), c.parts.region.clone());
        if let Some(other) = certs.iter().find(|c| key(c) != key(first)) {
            let mut scopes: Vec<String> = Vec::new();
            for c in certs {
                let s = format!("`{}/{}`", c.parts.partition, c.parts.region);
                if !scopes.contains(&s) {
                    scopes.push(s);
                }
            }
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    other.obj,
                    &other.ptr,
                    format!(
                        "the certificates of {lb} span several partitions/regions ({}): `{}` is not in `{}` like `{}`; a load balancer can only use certificates from its own region",
                        scopes.join(", "),
                        other.arn,
                        first.parts.region,
                        first.arn
                    ),
                )
                .help("Request or import every certificate in the load balancer's region (ACM cannot copy certificates between regions).")
                .related(related(inv, certs, members, other.obj)),
            );
        }
    }
    // (d) several accounts.
    if let Some(first) = certs.first()
        && let Some(other) = certs
            .iter()
            .find(|c| c.parts.account != first.parts.account)
    {
        out.push(
            Finding::new(
                ID,
                Severity::Warning,
                other.obj,
                &other.ptr,
                format!(
                    "the certificates of {lb} belong to different AWS accounts: `{}` is in account {}, `{}` in account {}; a load balancer normally uses certificates of its own account",
                    other.arn, other.parts.account, first.arn, first.parts.account
                ),
            )
            .help("Import or request the certificate in the load balancer's account.")
            .related(related(inv, certs, members, other.obj)),
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

    const TWO_REGIONS: &str = r#"
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  namespace: web
  annotations:
    alb.ingress.kubernetes.io/certificate-arn: arn:aws:acm:us-east-1:123456789012:certificate/11111111-1111-1111-1111-111111111111,arn:aws:acm:us-west-2:123456789012:certificate/22222222-2222-2222-2222-222222222222
spec:
  ingressClassName: alb
"#;

    #[test]
    fn cluster_region_names_each_stray_certificate_instead_of_the_mix() {
        let settings = Settings {
            cluster_region: Some("us-east-1".into()),
            ..Settings::default()
        };
        let out = run(TWO_REGIONS, settings);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].severity, Severity::Error);
        assert!(out[0].message.contains("us-west-2") && out[0].message.contains("clusterRegion"));
    }

    #[test]
    fn without_cluster_region_the_mix_is_reported_once() {
        let out = run(TWO_REGIONS, Settings::default());
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(out[0].message.contains("span several partitions/regions"));
    }
}
