//! NS007 alb-listener-tls-inconsistent: ALB listener TLS settings that contradict each other, inside
//! one Ingress or across the members of an IngressGroup (LBC `model_builder.go`
//! `mergeListenPortConfigs`/`buildSSLRedirectConfig`, `model_build_listener.go`
//! `validateMutualAuthenticationConfig`).
//!
//! * Explicit certificate with explicit `listen-ports` that contain no `HTTPS` entry → warning
//!   (certificate unused).
//! * `ssl-redirect` (or IngressClassParams `sslRedirectPort`): not an integer, several values in the
//!   group, a port that is not a merged listen port, or an HTTP port → error.
//! * Members that declare the same port with different protocols → error (`conflicting protocol`).
//! * Different `ssl-policy` (IngressClassParams `sslPolicy` wins) for the same HTTPS port → error.
//! * `mutual-authentication`: unparseable/empty, port out of range or not an HTTPS listen port, mode
//!   not `off`/`passthrough`/`verify`, `verify` without `trustStore`, `trustStore`,
//!   `ignoreClientCertificateExpiry` or `advertiseTrustStoreCaNames` without `verify`,
//!   `advertiseTrustStoreCaNames` not `on`/`off`, different settings for the same port across members
//!   → error; more than 2 distinct trust stores on one ALB → warning (quota).
//!
//! Settings are evaluated on the merged group: a member without `ssl-redirect` is fine when another
//! member sets it. Conflicts are reported on each conflicting member with the other as related.

use std::collections::{BTreeMap, BTreeSet};

use super::annotation_ptr;
use super::ns006::{CERT_ARN, CertSource, LISTEN_PORTS, Member, group_label, groups};
use crate::load::node::pointer;
use crate::model::ownership::params_override;
use crate::model::{Inventory, ObjId, ObjRef, Settings};
use crate::rules::{BuiltinRule, Finding, INGRESS_KINDS, KindSet, MAX_RELATED, Severity};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "NS007",
    kinds,
    check,
};

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![INGRESS_KINDS]
}

const ID: &str = "NS007";

const SSL_REDIRECT: &str = "alb.ingress.kubernetes.io/ssl-redirect";
const SSL_POLICY: &str = "alb.ingress.kubernetes.io/ssl-policy";
const MTLS: &str = "alb.ingress.kubernetes.io/mutual-authentication";

const MTLS_HELP: &str = r#"Write a JSON list of entries like `[{"port": 443, "mode": "verify", "trustStore": "<trust store name or ARN>"}]`; modes `off` and `passthrough` take no `trustStore`, `ignoreClientCertificateExpiry` or `advertiseTrustStoreCaNames`."#;

/// ELB quota: trust stores per Application Load Balancer.
const MAX_TRUST_STORES: usize = 2;

/// A value of an exclusive setting and where it is written.
#[derive(Clone, Debug)]
struct Setting<T> {
    /// Object the finding goes on (the Ingress, or the IngressClassParams that overrides it).
    object: ObjId,
    pointer: String,
    /// The Ingress this value applies to.
    ingress: ObjId,
    value: T,
}

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    for (name, members) in groups(inv) {
        check_unused_certs(inv, &members, out);
        let parsed = members
            .iter()
            .all(|m| !matches!(m.explicit_ports, Some(Err(_))));
        // Merged listen ports (only when every member's listen-ports parse: otherwise NS006 reports the
        // group failure and port checks would be guesses).
        let mut merged: BTreeMap<i64, Vec<(bool, ObjId)>> = BTreeMap::new();
        if parsed {
            for m in &members {
                for p in m.ports().unwrap_or_default() {
                    merged.entry(p.port).or_default().push((p.https, m.id));
                }
            }
            check_protocol_conflicts(inv, &merged, out);
        }
        check_ssl_redirect(inv, &name, &members, parsed.then_some(&merged), out);
        check_ssl_policy(inv, &members, out);
        check_mtls(inv, &name, &members, parsed.then_some(&merged), out);
    }
}

fn others(inv: &Inventory, ids: impl IntoIterator<Item = ObjId>, me: ObjId) -> Vec<ObjRef> {
    let mut seen = BTreeSet::new();
    ids.into_iter()
        .filter(|&i| i != me && seen.insert(i))
        .map(|i| inv.obj_ref(i))
        .collect()
}

/// `a, b, c, d, e and 7 more`: a conflict names as many members as `related` lists.
fn name_some<T>(items: &[T], sep: &str, name: impl Fn(&T) -> String) -> String {
    let mut s = items
        .iter()
        .take(MAX_RELATED)
        .map(name)
        .collect::<Vec<_>>()
        .join(sep);
    if items.len() > MAX_RELATED {
        s.push_str(&format!(" and {} more", items.len() - MAX_RELATED));
    }
    s
}

fn check_unused_certs(inv: &Inventory, members: &[Member], out: &mut Vec<Finding>) {
    for m in members {
        let (Some(source), Some(Ok(ports))) = (&m.cert_source, &m.explicit_ports) else {
            continue;
        };
        if ports.iter().any(|p| p.https) {
            continue;
        }
        let listed = ports
            .iter()
            .map(|p| format!("HTTP:{}", p.port))
            .collect::<Vec<_>>()
            .join(", ");
        let (ptr, from, related) = match source {
            CertSource::Annotation => (annotation_ptr(CERT_ARN), format!("`{CERT_ARN}`"), vec![]),
            CertSource::Params(p, field) => (
                annotation_ptr(LISTEN_PORTS),
                format!("IngressClassParams {} `spec.{field}`", inv.get(*p).id.name),
                vec![inv.obj_ref(*p)],
            ),
        };
        out.push(
            Finding::new(
                ID,
                Severity::Warning,
                m.id,
                ptr,
                format!("the certificate from {from} is unused: `listen-ports` declares only {listed}, no HTTPS listener"),
            )
            .help(r#"Add an HTTPS listener, e.g. `alb.ingress.kubernetes.io/listen-ports: '[{"HTTP": 80}, {"HTTPS": 443}]'`, or drop the certificate."#)
            .related(related),
        );
    }
}

fn check_protocol_conflicts(
    inv: &Inventory,
    merged: &BTreeMap<i64, Vec<(bool, ObjId)>>,
    out: &mut Vec<Finding>,
) {
    for (port, decls) in merged {
        if !(decls.iter().any(|d| d.0) && decls.iter().any(|d| !d.0)) {
            continue;
        }
        for &(https, id) in decls {
            let other: Vec<ObjId> = decls.iter().filter(|d| d.0 != https).map(|d| d.1).collect();
            let proto = |h: bool| if h { "HTTPS" } else { "HTTP" };
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    id,
                    annotation_ptr(LISTEN_PORTS),
                    format!(
                        "port {port} is {} here but {} on {}: the controller fails the IngressGroup with `conflicting protocol`",
                        proto(https),
                        proto(!https),
                        name_some(&other, ", ", |&o| inv.get(o).id.display())
                    ),
                )
                .help("Declare each port with the same protocol in the listen-ports of every member of the IngressGroup.")
                .related(others(inv, other.iter().copied(), id)),
            );
        }
    }
}

/// The ssl-redirect setting of a member: IngressClassParams `sslRedirectPort` wins over the annotation.
/// `Err` carries a parse problem of the annotation; `Ok(None)` means unset (or a params value LBC
/// silently ignores).
fn ssl_redirect(inv: &Inventory, ing: ObjId) -> Result<Option<Setting<i64>>, Setting<String>> {
    if let Some((p, field, node)) = params_override(inv, ing, "ssl-redirect")
        && let Some(text) = node.scalar_text().filter(|t| !t.is_empty())
    {
        // LBC: `strconv.ParseInt(SSLRedirectPort, 10, 32)`; on failure the redirect is dropped.
        return Ok(text.parse::<i32>().ok().map(|v| Setting {
            object: p,
            pointer: pointer(["spec", field]),
            ingress: ing,
            value: i64::from(v),
        }));
    }
    let Some(raw) = inv.get(ing).annotation(SSL_REDIRECT) else {
        return Ok(None);
    };
    match raw.parse::<i32>() {
        Ok(v) => Ok(Some(Setting {
            object: ing,
            pointer: annotation_ptr(SSL_REDIRECT),
            ingress: ing,
            value: i64::from(v),
        })),
        Err(_) => Err(Setting {
            object: ing,
            pointer: annotation_ptr(SSL_REDIRECT),
            ingress: ing,
            value: raw.to_string(),
        }),
    }
}

fn check_ssl_redirect(
    inv: &Inventory,
    name: &Option<String>,
    members: &[Member],
    merged: Option<&BTreeMap<i64, Vec<(bool, ObjId)>>>,
    out: &mut Vec<Finding>,
) {
    let mut settings = Vec::new();
    for m in members {
        match ssl_redirect(inv, m.id) {
            Ok(Some(s)) => settings.push(s),
            Ok(None) => {}
            Err(bad) => out.push(Finding::new(
                ID,
                Severity::Error,
                bad.object,
                bad.pointer,
                format!("`ssl-redirect: {}` is not an integer port; the controller fails the IngressGroup", bad.value),
            ).help("Set `alb.ingress.kubernetes.io/ssl-redirect` to the HTTPS listen port, e.g. `\"443\"`.")),
        }
    }
    let values: BTreeSet<i64> = settings.iter().map(|s| s.value).collect();
    if values.len() > 1 {
        let list = values
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        for s in &settings {
            let conflicting: Vec<ObjId> = settings
                .iter()
                .filter(|o| o.value != s.value)
                .map(|o| o.ingress)
                .collect();
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    s.object,
                    &s.pointer,
                    format!("ssl-redirect port {} conflicts with other members of {} (ports {list}): the controller fails the whole group with `conflicting sslRedirect port`", s.value, group_label(name)),
                )
                .help("ssl-redirect is exclusive across an IngressGroup: set it on one member, or to the same port everywhere.")
                .related(others(inv, conflicting, s.object)),
            );
        }
        return;
    }
    let (Some(&port), Some(merged)) = (values.iter().next(), merged) else {
        return;
    };
    let problem = match merged.get(&port) {
        None => Some(format!(
            "ssl-redirect port {port} is not a listen port of {} (listen ports: {}): the controller fails with `listener does not exist for SSLRedirect port`",
            group_label(name),
            describe_ports(merged)
        )),
        Some(decls) if decls.iter().all(|d| !d.0) => Some(format!(
            "ssl-redirect port {port} is an HTTP listener: the controller fails with `listener protocol non-SSL for SSLRedirect port`"
        )),
        _ => None,
    };
    if let Some(msg) = problem {
        let all: Vec<ObjId> = members.iter().map(|m| m.id).collect();
        for s in &settings {
            out.push(
                Finding::new(ID, Severity::Error, s.object, &s.pointer, &msg)
                    .help(r#"Redirect to an HTTPS listen port, e.g. `listen-ports: '[{"HTTP": 80}, {"HTTPS": 443}]'` with `ssl-redirect: "443"`."#)
                    .related(others(inv, all.iter().copied(), s.object)),
            );
        }
    }
}

fn describe_ports(merged: &BTreeMap<i64, Vec<(bool, ObjId)>>) -> String {
    merged
        .iter()
        .map(|(p, d)| {
            format!(
                "{}:{p}",
                if d.iter().any(|x| x.0) {
                    "HTTPS"
                } else {
                    "HTTP"
                }
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The explicit ssl-policy of a member (IngressClassParams `sslPolicy` wins when non-empty).
fn ssl_policy(inv: &Inventory, ing: ObjId) -> Option<Setting<String>> {
    if let Some((p, field, node)) = params_override(inv, ing, "ssl-policy")
        && let Some(text) = node.scalar_text().filter(|t| !t.is_empty())
    {
        return Some(Setting {
            object: p,
            pointer: pointer(["spec", field]),
            ingress: ing,
            value: text.to_string(),
        });
    }
    inv.get(ing).annotation(SSL_POLICY).map(|v| Setting {
        object: ing,
        pointer: annotation_ptr(SSL_POLICY),
        ingress: ing,
        value: v.to_string(),
    })
}

fn check_ssl_policy(inv: &Inventory, members: &[Member], out: &mut Vec<Finding>) {
    // Per HTTPS port, like `mergeListenPortConfigs`.
    let mut by_port: BTreeMap<i64, Vec<Setting<String>>> = BTreeMap::new();
    for m in members {
        let Some(s) = ssl_policy(inv, m.id) else {
            continue;
        };
        for port in m.https_ports() {
            by_port.entry(port).or_default().push(s.clone());
        }
    }
    for (port, settings) in by_port {
        let values: BTreeSet<&str> = settings.iter().map(|s| s.value.as_str()).collect();
        if values.len() < 2 {
            continue;
        }
        for s in &settings {
            let conflicting: Vec<&Setting<String>> =
                settings.iter().filter(|o| o.value != s.value).collect();
            let names = name_some(&conflicting, ", ", |o| {
                format!("`{}` on {}", o.value, inv.get(o.ingress).id.display())
            });
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    s.object,
                    &s.pointer,
                    format!("ssl-policy `{}` for HTTPS port {port} conflicts with {names}: the controller fails the IngressGroup with `conflicting sslPolicy`", s.value),
                )
                .help("ssl-policy is exclusive across an IngressGroup: set it on one member, or to the same policy everywhere.")
                .related(others(inv, conflicting.iter().map(|o| o.ingress), s.object)),
            );
        }
    }
}

/// One validated `mutual-authentication` entry, normalised for comparison.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct MtlsEntry {
    port: i64,
    mode: String,
    trust_store: Option<String>,
    ignore_expiry: Option<bool>,
    advertise: Option<String>,
}

impl MtlsEntry {
    fn describe(&self) -> String {
        let mut s = format!("mode `{}`", self.mode);
        if let Some(t) = &self.trust_store {
            s.push_str(&format!(", trustStore `{t}`"));
        }
        if let Some(i) = self.ignore_expiry {
            s.push_str(&format!(", ignoreClientCertificateExpiry {i}"));
        }
        if let Some(a) = &self.advertise {
            s.push_str(&format!(", advertiseTrustStoreCaNames `{a}`"));
        }
        s
    }
}

/// Parse and validate a member's `mutual-authentication` annotation like LBC. Returns the entries that
/// parsed (for the group checks) and the problems found.
fn parse_mtls(raw: &str) -> (Vec<MtlsEntry>, Vec<String>) {
    let value: serde_json::Value = match serde_json::from_str(raw) {
        Ok(v) => v,
        Err(e) => {
            return (
                vec![],
                vec![format!(
                    "failed to parse mutualAuthentication configuration: {e}"
                )],
            );
        }
    };
    let Some(list) = value.as_array() else {
        return (
            vec![],
            vec!["failed to parse mutualAuthentication configuration: expected a JSON list of objects like {\"port\": 443, \"mode\": \"verify\", \"trustStore\": \"…\"}".into()],
        );
    };
    if list.is_empty() {
        return (
            vec![],
            vec!["empty mutualAuthentication configuration".into()],
        );
    }
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    for item in list {
        let Some(obj) = item.as_object() else {
            problems.push(format!(
                "failed to parse mutualAuthentication configuration: entry `{item}` is not an object"
            ));
            continue;
        };
        // Go's json.Unmarshal into typed fields: a wrong type fails the whole annotation.
        let port = match obj.get("port") {
            None => 0,
            Some(v) => match v.as_i64() {
                Some(p) => p,
                None => {
                    problems.push(format!("failed to parse mutualAuthentication configuration: `port` {v} is not an integer"));
                    continue;
                }
            },
        };
        let string_field = |k: &str, problems: &mut Vec<String>| -> Option<String> {
            match obj.get(k) {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(v) => {
                    problems.push(format!(
                        "failed to parse mutualAuthentication configuration: `{k}` {v} is not a string"
                    ));
                    None
                }
            }
        };
        let mode = string_field("mode", &mut problems).unwrap_or_default();
        let trust_store = string_field("trustStore", &mut problems).filter(|t| !t.is_empty());
        let advertise = string_field("advertiseTrustStoreCaNames", &mut problems);
        let ignore_expiry = match obj.get("ignoreClientCertificateExpiry") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::Bool(b)) => Some(*b),
            Some(v) => {
                problems.push(format!("failed to parse mutualAuthentication configuration: `ignoreClientCertificateExpiry` {v} is not a boolean"));
                None
            }
        };
        if !(1..=65535).contains(&port) {
            problems.push(format!("listen port must be within [1, 65535], got {port}"));
        }
        let verify = mode == "verify";
        if mode.is_empty() {
            problems.push(format!(
                "mutualAuthentication mode cannot be empty for port {port}"
            ));
        } else if !matches!(mode.as_str(), "off" | "passthrough" | "verify") {
            problems.push(format!("mutualAuthentication mode value must be among [off, passthrough, verify] for port {port}, got `{mode}`"));
        } else if verify && trust_store.is_none() {
            problems.push(format!(
                "trustStore is required when mutualAuthentication mode is verify for port {port}"
            ));
        } else if !verify {
            if trust_store.is_some() {
                problems.push(format!(
                    "mutual authentication mode {mode} does not support trustStore for port {port}"
                ));
            }
            if ignore_expiry.is_some() {
                problems.push(format!("mutual authentication mode {mode} does not support ignoring client certificate expiry for port {port}"));
            }
            if advertise.is_some() {
                problems.push(format!("mutual authentication mode {mode} does not support advertiseTrustStoreCaNames for port {port}"));
            }
        }
        if let Some(a) = &advertise
            && verify
            && !matches!(a.as_str(), "on" | "off")
        {
            problems.push(format!(
                "advertiseTrustStoreCaNames must be `on` or `off` for port {port}, got `{a}`"
            ));
        }
        entries.push(MtlsEntry {
            port,
            mode,
            trust_store,
            ignore_expiry,
            advertise,
        });
    }
    (entries, problems)
}

fn check_mtls(
    inv: &Inventory,
    name: &Option<String>,
    members: &[Member],
    merged: Option<&BTreeMap<i64, Vec<(bool, ObjId)>>>,
    out: &mut Vec<Finding>,
) {
    let ptr = annotation_ptr(MTLS);
    let mut by_port: BTreeMap<i64, Vec<(ObjId, MtlsEntry)>> = BTreeMap::new();
    let mut trust_stores: BTreeMap<String, Vec<ObjId>> = BTreeMap::new();
    for m in members {
        let Some(raw) = inv.get(m.id).annotation(MTLS) else {
            continue;
        };
        let (entries, problems) = parse_mtls(raw);
        for p in problems {
            out.push(Finding::new(ID, Severity::Error, m.id, &ptr, p).help(MTLS_HELP));
        }
        let own_https = m.https_ports();
        for e in entries {
            if (1..=65535).contains(&e.port) && merged.is_some() && !own_https.contains(&e.port) {
                out.push(
                    Finding::new(
                        ID,
                        Severity::Error,
                        m.id,
                        &ptr,
                        format!("mutual-authentication is configured for port {} but this Ingress has no HTTPS listener on that port (its listen ports: {}); the setting is ignored", e.port, m.ports().unwrap_or_default().iter().map(|p| format!("{}:{}", if p.https { "HTTPS" } else { "HTTP" }, p.port)).collect::<Vec<_>>().join(", ")),
                    )
                    .help("Set `port` to one of the Ingress's HTTPS listen ports."),
                );
                continue;
            }
            if e.mode == "verify"
                && let Some(t) = &e.trust_store
            {
                trust_stores.entry(t.clone()).or_default().push(m.id);
            }
            by_port.entry(e.port).or_default().push((m.id, e));
        }
    }
    for (port, entries) in &by_port {
        let distinct: BTreeSet<&MtlsEntry> = entries.iter().map(|(_, e)| e).collect();
        if distinct.len() < 2 {
            continue;
        }
        for (id, e) in entries {
            let conflicting: Vec<&(ObjId, MtlsEntry)> =
                entries.iter().filter(|(_, o)| o != e).collect();
            let names = name_some(&conflicting, "; ", |(o, oe)| {
                format!("{} on {}", oe.describe(), inv.get(*o).id.display())
            });
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    *id,
                    &ptr,
                    format!("mutual-authentication for port {port} ({}) conflicts with {names}: the controller fails {} with `conflicting mTLS Attributes`", e.describe(), group_label(name)),
                )
                .help("mutual-authentication is exclusive per port across an IngressGroup: set it on one member, or identically everywhere.")
                .related(others(inv, conflicting.iter().map(|(o, _)| *o), *id)),
            );
        }
    }
    if trust_stores.len() > MAX_TRUST_STORES {
        let list = trust_stores
            .keys()
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let users: BTreeSet<ObjId> = trust_stores.values().flatten().copied().collect();
        for &id in &users {
            out.push(
                Finding::new(
                    ID,
                    Severity::Warning,
                    id,
                    &ptr,
                    format!("{} uses {} distinct trust stores ({list}); an Application Load Balancer supports at most {MAX_TRUST_STORES} by default (quota)", group_label(name), trust_stores.len()),
                )
                .help("Share trust stores between listeners, or request a quota increase for trust stores per load balancer.")
                .related(others(inv, users.iter().copied(), id)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflicts_in_large_groups_name_a_few_members() {
        let yaml: String = (0..8)
            .map(|i| {
                let policy = if i == 0 { "ELBSecurityPolicy-TLS13-1-2-2021-06" } else { "ELBSecurityPolicy-2016-08" };
                format!(
                    "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: m{i}\n  annotations:\n    alb.ingress.kubernetes.io/group.name: big\n    alb.ingress.kubernetes.io/ssl-policy: {policy}\n    alb.ingress.kubernetes.io/certificate-arn: arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012\nspec:\n  ingressClassName: alb\n---\n"
                )
            })
            .collect();
        let inv = Inventory::from_yaml(&yaml, Default::default());
        let mut out = Vec::new();
        check(&inv, &mut out);
        let first = out
            .iter()
            .find(|f| inv.get(f.object).id.name == "m0")
            .expect("m0 conflicts");
        assert_eq!(first.related.len(), MAX_RELATED);
        assert!(first.message.contains("and 2 more"), "{}", first.message);
        assert_eq!(
            out.iter()
                .filter(|f| f.message.contains("conflicting sslPolicy"))
                .count(),
            8
        );
    }

    #[test]
    fn mtls_validation_follows_lbc() {
        let (e, p) = parse_mtls(
            r#"[{"port": 443, "mode": "verify", "trustStore": "ts", "advertiseTrustStoreCaNames": "on"}]"#,
        );
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(e.len(), 1);
        assert!(parse_mtls("[]").1[0].contains("empty"));
        assert!(parse_mtls("{").1[0].contains("failed to parse"));
        assert!(
            parse_mtls(r#"[{"port": 443, "mode": "verify"}]"#).1[0]
                .contains("trustStore is required")
        );
        assert!(
            parse_mtls(r#"[{"port": 443, "mode": "off", "trustStore": "x"}]"#).1[0]
                .contains("does not support trustStore")
        );
        assert!(parse_mtls(r#"[{"port": 443, "mode": "pass"}]"#).1[0].contains("must be among"));
        assert!(parse_mtls(r#"[{"port": 443, "mode": "verify", "trustStore": "x", "advertiseTrustStoreCaNames": "yes"}]"#).1[0].contains("`on` or `off`"));
        assert!(parse_mtls(r#"[{"port": 0, "mode": "off"}]"#).1[0].contains("[1, 65535]"));
        assert!(parse_mtls(r#"[{"port": "443", "mode": "off"}]"#).1[0].contains("not an integer"));
    }
}
