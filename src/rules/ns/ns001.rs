//! NS001 lb-cert-arn-invalid: a certificate reference for an AWS load balancer listener is not an
//! ACM certificate ARN (or an IAM server certificate, reported as info).
//!
//! Reads `alb.ingress.kubernetes.io/certificate-arn` (split like LBC: `,`, trim, drop empty), the
//! IngressClassParams `certificateArn`/`certificateARNs` lists, `service.beta.kubernetes.io/aws-load-balancer-ssl-cert`,
//! LoadBalancerConfiguration certificates, `acm-pca-arn` and mutual-authentication trust stores.

use super::{alb_ingresses, annotation_ptr};
use crate::load::node::pointer;
use crate::model::{Inventory, ObjId, Settings};
use crate::rules::aws::{
    CertArn, classify_cert_arn, is_pca_arn, is_placeholder, is_truststore_arn, split_lbc,
};
use crate::rules::{
    BuiltinRule, Finding, INGRESS_KINDS, KindSet, LB_CONFIG_KINDS, SERVICE_KINDS, Severity,
};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "NS001",
    kinds,
    check,
};

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![INGRESS_KINDS, SERVICE_KINDS, LB_CONFIG_KINDS]
}

const ID: &str = "NS001";

/// Findings for one certificate reference (`None` when it is a valid ACM ARN).
fn judge(value: &str) -> Option<(Severity, String, Option<String>)> {
    Some(match classify_cert_arn(value) {
        CertArn::Acm(_) => return None,
        CertArn::Iam(_) => (
            Severity::Info,
            format!("`{value}` is an IAM server certificate: the load balancer accepts it, but IAM certificates are never renewed automatically"),
            Some("Import or request the certificate in ACM so that it is renewed, and reference the ACM ARN.".into()),
        ),
        CertArn::PrivateCa => (
            Severity::Error,
            format!("`{value}` is an AWS Private CA ARN, not a certificate"),
            Some("Use `alb.ingress.kubernetes.io/acm-pca-arn` together with `alb.ingress.kubernetes.io/create-acm-cert: \"true\"`, or issue an ACM private certificate and reference its ARN.".into()),
        ),
        CertArn::Placeholder => (
            Severity::Error,
            format!("`{value}` is an unrendered placeholder, not a certificate ARN"),
            Some("Render the manifests first (`helm template`, `kustomize build`, envsubst) or fill in the real ACM certificate ARN.".into()),
        ),
        CertArn::UppercaseId(_) => (
            Severity::Warning,
            format!("`{value}` has an upper-case certificate ID; ACM issues lower-case IDs, so this ARN probably does not exist"),
            None,
        ),
        CertArn::Malformed(why) => (Severity::Error, format!("`{value}` is not an ACM certificate ARN: {why}"), None),
        CertArn::Invalid => (
            Severity::Error,
            format!("`{value}` is neither an ACM certificate ARN nor an IAM server certificate ARN"),
            None,
        ),
    })
}

fn push(out: &mut Vec<Finding>, obj: ObjId, ptr: &str, value: &str, cap: Option<(Severity, &str)>) {
    if let Some((mut sev, mut msg, help)) = judge(value) {
        if let Some((max, why)) = cap {
            sev = sev.min(max);
            msg = format!("{msg} ({why})");
        }
        let mut f = Finding::new(ID, sev, obj, ptr, msg);
        f.help = help.map(Into::into);
        out.push(f);
    }
}

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    check_ingresses(inv, out);
    check_params(inv, out);
    check_services(inv, out);
    check_gateway_configs(inv, out);
}

fn check_ingresses(inv: &Inventory, out: &mut Vec<Finding>) {
    const CERT: &str = "alb.ingress.kubernetes.io/certificate-arn";
    for ing in alb_ingresses(inv) {
        let obj = inv.get(ing);
        if let Some(value) = obj.annotation(CERT) {
            let ptr = annotation_ptr(CERT);
            let params = crate::model::ownership::params_override(inv, ing, "certificate-arn");
            let why = params.map(|(p, field, _)| {
                format!(
                    "ignored: IngressClassParams {} sets {field}",
                    inv.get(p).id.name
                )
            });
            let (items, dropped) = split_lbc(value);
            if dropped {
                out.push(Finding::new(
                    ID,
                    Severity::Info,
                    ing,
                    &ptr,
                    "empty item between commas; the AWS Load Balancer Controller drops it",
                ));
            }
            for item in items {
                push(
                    out,
                    ing,
                    &ptr,
                    item,
                    why.as_deref().map(|w| (Severity::Info, w)),
                );
            }
        }
        const PCA: &str = "alb.ingress.kubernetes.io/acm-pca-arn";
        if let Some(value) = obj.annotation(PCA).map(str::trim)
            && !is_pca_arn(value)
        {
            let msg = if is_placeholder(value) {
                format!("`{value}` is an unrendered placeholder, not an AWS Private CA ARN")
            } else {
                format!(
                    "`{value}` is not an AWS Private CA certificate-authority ARN (arn:<partition>:acm-pca:<region>:<account>:certificate-authority/<uuid>)"
                )
            };
            out.push(Finding::new(
                ID,
                Severity::Error,
                ing,
                annotation_ptr(PCA),
                msg,
            ));
        }
        check_trust_stores(inv, ing, out);
    }
}

fn check_trust_stores(inv: &Inventory, ing: ObjId, out: &mut Vec<Finding>) {
    const MTLS: &str = "alb.ingress.kubernetes.io/mutual-authentication";
    let Some(value) = inv.get(ing).annotation(MTLS) else {
        return;
    };
    // Syntax errors in the JSON are NS007's; here only trust store ARNs are judged.
    let Ok(serde_json::Value::Array(entries)) = serde_json::from_str::<serde_json::Value>(value)
    else {
        return;
    };
    for entry in entries {
        if let Some(ts) = entry.get("trustStore").and_then(|v| v.as_str())
            && ts.starts_with("arn:")
            && !is_truststore_arn(ts)
        {
            out.push(Finding::new(ID, Severity::Error, ing, annotation_ptr(MTLS),
                    format!("trust store `{ts}` is not an ELB trust store ARN (arn:<partition>:elasticloadbalancing:<region>:<account>:truststore/<name>/<id>)")));
        }
    }
}

fn check_params(inv: &Inventory, out: &mut Vec<Finding>) {
    for (group, field) in [
        ("elbv2.k8s.aws", "certificateArn"),
        ("eks.amazonaws.com", "certificateARNs"),
    ] {
        for &p in inv.of_kind(group, "IngressClassParams") {
            let Some(list) = inv.get(p).root.path(&["spec", field]) else {
                continue;
            };
            for (i, item) in list.items().iter().enumerate() {
                if let Some(v) = item.scalar_text() {
                    push(
                        out,
                        p,
                        &pointer(["spec", field, &i.to_string()]),
                        v.trim(),
                        None,
                    );
                }
            }
        }
    }
}

fn check_services(inv: &Inventory, out: &mut Vec<Finding>) {
    const CERT: &str = "service.beta.kubernetes.io/aws-load-balancer-ssl-cert";
    for &s in inv.of_kind("", "Service") {
        let owner = inv.service_owner(s);
        if !owner.is_aws() {
            continue; // EW001 reports annotations on Services without an AWS load balancer.
        }
        let Some(value) = inv.get(s).annotation(CERT) else {
            continue;
        };
        let ptr = annotation_ptr(CERT);
        if owner.is_lbc() || value.contains(',') {
            // Comma lists are LBC syntax; for a possibly in-tree Service NS003 reports the comma.
            let (items, dropped) = split_lbc(value);
            if dropped && owner.is_lbc() {
                out.push(Finding::new(
                    ID,
                    Severity::Info,
                    s,
                    &ptr,
                    "empty item between commas; the AWS Load Balancer Controller drops it",
                ));
            }
            for item in items {
                push(out, s, &ptr, item, None);
            }
        } else {
            push(out, s, &ptr, value, None);
        }
    }
}

fn check_gateway_configs(inv: &Inventory, out: &mut Vec<Finding>) {
    for &c in inv.of_kind("gateway.k8s.aws", "LoadBalancerConfiguration") {
        let Some(listeners) = inv.get(c).root.path(&["spec", "listenerConfigurations"]) else {
            continue;
        };
        for (i, l) in listeners.items().iter().enumerate() {
            let i = i.to_string();
            if let Some(v) = l.get("defaultCertificate").and_then(|n| n.scalar_text()) {
                push(
                    out,
                    c,
                    &pointer(["spec", "listenerConfigurations", &i, "defaultCertificate"]),
                    v.trim(),
                    None,
                );
            }
            for (j, cert) in l
                .get("certificates")
                .map_or(&[][..], |n| n.items())
                .iter()
                .enumerate()
            {
                if let Some(v) = cert.scalar_text() {
                    let ptr = pointer([
                        "spec",
                        "listenerConfigurations",
                        &i,
                        "certificates",
                        &j.to_string(),
                    ]);
                    push(out, c, &ptr, v.trim(), None);
                }
            }
        }
    }
}
