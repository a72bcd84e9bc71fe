//! NS006 alb-https-certificate-unresolvable: an ALB HTTPS listener has no certificate source, the
//! certificate sources conflict, or `listen-ports` cannot be parsed.
//!
//! Evaluated per IngressGroup and HTTPS port, the way LBC builds listeners (`computeIngressListenPorts`,
//! `computeIngressExplicitTLSCertARNs`, `computeIngressInferredTLSCertARNs`, `mergeListenPortConfigs`):
//! explicit certificates (IngressClassParams `certificateArn`/`certificateARNs` over the
//! `certificate-arn` annotation) and listen ports merge across members, `listen-ports` defaults to
//! `[{"HTTPS":443}]` when a member has an explicit certificate and `[{"HTTP":80}]` otherwise, and a
//! member without an explicit certificate discovers ISSUED ACM certificates by its `spec.rules[].host`
//! and `spec.tls[].hosts`.
//!
//! * HTTPS port with no explicit certificate, no `create-acm-cert` and no host on any member → error.
//! * Same with hosts → info (discovery cannot be verified statically).
//! * Only `create-acm-cert` supplies the certificate → info (needs the controller feature gate).
//! * `create-acm-cert` together with an explicit certificate → warning (the ARN wins).
//! * `acm-pca-arn` without `create-acm-cert: "true"` → warning (no effect).
//! * Unparseable `listen-ports` → error with LBC's message.
//!
//! The group model here is shared with NS007 (`groups`, `Member`).

use std::collections::BTreeMap;

use super::{alb_ingresses, annotation_ptr};
use crate::load::node::pointer;
use crate::model::ownership::params_override;
use crate::model::{Inventory, ObjId, Settings};
use crate::rules::aws::{ListenPort, parse_listen_ports, split_lbc};
use crate::rules::material::go_true;
use crate::rules::{BuiltinRule, Finding, INGRESS_KINDS, KindSet, Severity};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "NS006",
    kinds,
    check,
};

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![INGRESS_KINDS]
}

const ID: &str = "NS006";

pub(super) const LISTEN_PORTS: &str = "alb.ingress.kubernetes.io/listen-ports";
pub(super) const CERT_ARN: &str = "alb.ingress.kubernetes.io/certificate-arn";
const CREATE_CERT: &str = "alb.ingress.kubernetes.io/create-acm-cert";
const PCA_ARN: &str = "alb.ingress.kubernetes.io/acm-pca-arn";

/// Where a member's explicit certificates come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum CertSource {
    /// IngressClassParams `spec.<field>` (the annotation, if any, is ignored).
    Params(ObjId, &'static str),
    /// The `certificate-arn` annotation.
    Annotation,
}

/// One IngressGroup member as LBC sees it when building listeners.
#[derive(Clone, Debug)]
pub(super) struct Member {
    /// The Ingress.
    pub id: ObjId,
    /// Explicit certificate ARNs (after split + trim), and where they come from (`None` when empty).
    pub certs: Vec<String>,
    pub cert_source: Option<CertSource>,
    /// Listen ports: explicit (`Some(parse result)`) or the LBC default (`None`).
    pub explicit_ports: Option<Result<Vec<ListenPort>, String>>,
}

impl Member {
    /// The member's listen ports after defaulting, or the parse error.
    pub fn ports(&self) -> Result<Vec<ListenPort>, &str> {
        match &self.explicit_ports {
            Some(Ok(p)) => Ok(p.clone()),
            Some(Err(e)) => Err(e),
            None => Ok(vec![if self.certs.is_empty() {
                ListenPort {
                    https: false,
                    port: 80,
                }
            } else {
                ListenPort {
                    https: true,
                    port: 443,
                }
            }]),
        }
    }

    /// HTTPS ports of this member (empty when `listen-ports` does not parse).
    pub fn https_ports(&self) -> Vec<i64> {
        let mut ports: Vec<i64> = self
            .ports()
            .unwrap_or_default()
            .iter()
            .filter(|p| p.https)
            .map(|p| p.port)
            .collect();
        ports.sort_unstable();
        ports.dedup();
        ports
    }
}

/// Build the member model of an ALB Ingress.
pub(super) fn member(inv: &Inventory, id: ObjId) -> Member {
    let obj = inv.get(id);
    let mut certs = Vec::new();
    let mut cert_source = None;
    if let Some((p, field, node)) = params_override(inv, id, "certificate-arn") {
        // LBC: `len(IngClassParams.Spec.CertificateArn) != 0` — an empty list does not override.
        let list: Vec<String> = node
            .items()
            .iter()
            .filter_map(|n| n.scalar_text())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        if !list.is_empty() {
            certs = list;
            cert_source = Some(CertSource::Params(p, field));
        }
    }
    if cert_source.is_none()
        && let Some(v) = obj.annotation(CERT_ARN)
    {
        certs = split_lbc(v).0.into_iter().map(str::to_string).collect();
        if !certs.is_empty() {
            cert_source = Some(CertSource::Annotation);
        }
    }
    let explicit_ports = obj.annotation(LISTEN_PORTS).map(parse_listen_ports);
    Member {
        id,
        certs,
        cert_source,
        explicit_ports,
    }
}

/// The members of every IngressGroup that has at least one ALB Ingress, in LBC order.
pub(super) fn groups(inv: &Inventory) -> Vec<(Option<String>, Vec<Member>)> {
    inv.ingress_groups
        .iter()
        .map(|g| {
            (
                g.name.clone(),
                g.members.iter().map(|&m| member(inv, m)).collect(),
            )
        })
        .collect()
}

/// `group "x"` or `this Ingress`, for messages.
pub(super) fn group_label(name: &Option<String>) -> String {
    match name {
        Some(n) => format!("IngressGroup `{n}`"),
        None => "this Ingress".to_string(),
    }
}

/// Discovery hosts of an Ingress: `spec.rules[].host` and `spec.tls[].hosts` (LBC
/// `computeIngressInferredTLSCertARNs`), sorted and deduplicated.
fn hosts(inv: &Inventory, id: ObjId) -> Vec<String> {
    let spec = inv.get(id).spec();
    let mut out: Vec<String> = Vec::new();
    if let Some(spec) = spec {
        for r in spec.get("rules").map_or(&[][..], |n| n.items()) {
            if let Some(h) = r.get("host").and_then(|h| h.scalar_text())
                && !h.is_empty()
            {
                out.push(h.to_string());
            }
        }
        for t in spec.get("tls").map_or(&[][..], |n| n.items()) {
            for h in t.get("hosts").map_or(&[][..], |n| n.items()) {
                if let Some(h) = h.scalar_text()
                    && !h.is_empty()
                {
                    out.push(h.to_string());
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    check_annotations(inv, out);
    for (name, members) in groups(inv) {
        check_group(inv, &name, &members, out);
    }
}

/// Per-Ingress conditions 3–5.
fn check_annotations(inv: &Inventory, out: &mut Vec<Finding>) {
    for ing in alb_ingresses(inv) {
        let obj = inv.get(ing);
        let m = member(inv, ing);
        if let Some(Err(e)) = &m.explicit_ports {
            let raw = obj.annotation(LISTEN_PORTS).unwrap_or_default();
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    ing,
                    annotation_ptr(LISTEN_PORTS),
                    format!("`{raw}` is rejected by the AWS Load Balancer Controller: {e}; the whole IngressGroup fails to reconcile"),
                )
                .help(r#"Write a JSON list of single-key objects with the exact keys `HTTP`/`HTTPS`, e.g. `[{"HTTP": 80}, {"HTTPS": 443}]`."#),
            );
        }
        let create = obj.annotation(CREATE_CERT).map(str::trim);
        let creates = create.is_some_and(go_true);
        if creates && let Some(source) = &m.cert_source {
            let (from, related) = match source {
                CertSource::Annotation => (format!("`{CERT_ARN}`"), vec![]),
                CertSource::Params(p, field) => (
                    format!("IngressClassParams {} `spec.{field}`", inv.get(*p).id.name),
                    vec![inv.obj_ref(*p)],
                ),
            };
            out.push(
                Finding::new(
                    ID,
                    Severity::Warning,
                    ing,
                    annotation_ptr(CREATE_CERT),
                    format!("`create-acm-cert: \"true\"` has no effect: the explicit certificate from {from} takes precedence, so no certificate will be created"),
                )
                .help(format!("Remove `{CREATE_CERT}` (and `{PCA_ARN}`), or remove the explicit certificate to let the controller request one."))
                .related(related),
            );
        }
        if obj.annotation(PCA_ARN).is_some() && !creates {
            let why = match create {
                Some(v) => format!("`{CREATE_CERT}` is `{v}`, not `\"true\"`"),
                None => format!("`{CREATE_CERT}: \"true\"` is not set"),
            };
            out.push(
                Finding::new(
                    ID,
                    Severity::Warning,
                    ing,
                    annotation_ptr(PCA_ARN),
                    format!("`acm-pca-arn` has no effect: {why}, so the controller requests no certificate from this private CA"),
                )
                .help(format!("Add `{CREATE_CERT}: \"true\"` to have the controller request a private certificate, or remove `{PCA_ARN}`.")),
            );
        }
    }
}

/// Conditions 1 and 2, and create-acm-cert as the only source, per HTTPS port of the merged group.
fn check_group(inv: &Inventory, name: &Option<String>, members: &[Member], out: &mut Vec<Finding>) {
    // A member whose listen-ports do not parse fails the whole group: that error is reported above.
    if members
        .iter()
        .any(|m| matches!(m.explicit_ports, Some(Err(_))))
    {
        return;
    }
    let mut by_port: BTreeMap<i64, Vec<&Member>> = BTreeMap::new();
    for m in members {
        for p in m.https_ports() {
            by_port.entry(p).or_default().push(m);
        }
    }
    for (port, on_port) in by_port {
        if on_port.iter().any(|m| !m.certs.is_empty()) {
            continue;
        }
        let creators: Vec<&&Member> = on_port
            .iter()
            .filter(|m| {
                inv.get(m.id)
                    .annotation(CREATE_CERT)
                    .is_some_and(|v| go_true(v.trim()))
            })
            .collect();
        let others = |me: ObjId| -> Vec<crate::model::ObjRef> {
            members
                .iter()
                .filter(|m| m.id != me)
                .map(|m| inv.obj_ref(m.id))
                .collect()
        };
        if !creators.is_empty() {
            for m in creators {
                out.push(
                    Finding::new(
                        ID,
                        Severity::Info,
                        m.id,
                        annotation_ptr(CREATE_CERT),
                        format!("the certificate for HTTPS port {port} comes only from `create-acm-cert`: the controller requests it from ACM, which works only when its feature gate `EnableCertificateManagement` is enabled"),
                    )
                    .help("Check that the controller runs with the `EnableCertificateManagement` feature gate, or set `alb.ingress.kubernetes.io/certificate-arn`.")
                    .related(others(m.id)),
                );
            }
            continue;
        }
        let all_hosts: Vec<String> = {
            let mut h: Vec<String> = on_port.iter().flat_map(|m| hosts(inv, m.id)).collect();
            h.sort();
            h.dedup();
            h
        };
        for m in &on_port {
            let own = hosts(inv, m.id);
            let ptr = if inv.get(m.id).annotation(LISTEN_PORTS).is_some() {
                annotation_ptr(LISTEN_PORTS)
            } else {
                pointer(["metadata", "annotations"])
            };
            if all_hosts.is_empty() {
                out.push(
                    Finding::new(
                        ID,
                        Severity::Error,
                        m.id,
                        ptr,
                        format!("HTTPS listener on port {port} has no certificate: {} no `certificate-arn`, IngressClassParams certificate or `create-acm-cert`, and no host (`spec.rules[].host` or `spec.tls[].hosts`) for ACM certificate discovery; the listener cannot be created", match name {
                            Some(n) => format!("no member of IngressGroup `{n}` sets"),
                            None => "the Ingress sets".to_string(),
                        }),
                    )
                    .help("Add `alb.ingress.kubernetes.io/certificate-arn: <ACM certificate ARN>`, or add `spec.tls[].hosts` matching an ISSUED ACM certificate.")
                    .related(others(m.id)),
                );
            } else if !own.is_empty() {
                out.push(
                    Finding::new(
                        ID,
                        Severity::Info,
                        m.id,
                        ptr,
                        format!("no explicit certificate for HTTPS port {port}: the controller will discover an ISSUED ACM certificate for host(s) {}; if none matches, the whole IngressGroup fails with `no certificate found for host`", own.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", ")),
                    )
                    .help("Make sure an ISSUED ACM certificate in the cluster's region covers these hosts, or pin it with `alb.ingress.kubernetes.io/certificate-arn`.")
                    .related(others(m.id)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_parse_bool() {
        assert!(go_true("true") && go_true("1") && go_true("True"));
        assert!(!go_true("yes") && !go_true("false"));
    }

    #[test]
    fn default_listen_ports_follow_explicit_certs() {
        let mut m = Member {
            id: 0,
            certs: vec![],
            cert_source: None,
            explicit_ports: None,
        };
        assert!(m.https_ports().is_empty());
        m.certs.push("arn".into());
        assert_eq!(m.https_ports(), vec![443]);
        m.explicit_ports = Some(Err("bad".into()));
        assert!(m.ports().is_err() && m.https_ports().is_empty());
    }
}
