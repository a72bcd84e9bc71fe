//! WH005 webhook-serving-cert-invalid: the Certificate a webhook serves cannot pass the apiserver's
//! verification.
//!
//! The serving Certificate of a call site is the one `inject-ca-from` names, or else one whose Secret
//! the pods behind the Service mount. Reported on the Certificate:
//! * a Service-backed call: no `dnsNames` entry covers the ServerName `<svc>.<ns>.svc` (exact,
//!   case-insensitive, or `*.<ns>.svc`) → error (`commonName` does not count: Go ignores it);
//! * a url-based call: the URL host is not in `dnsNames` (or `ipAddresses` for an IP) → error;
//! * `usages` lists extended key usages but neither `server auth` nor `any` → error (Go's TLS client
//!   rejects the certificate: incompatible key usage). Empty `usages` (cert-manager's defaults, no
//!   EKU) is fine;
//! * `isCA: true` on the serving certificate → warning.
//!
//! Objects matched by a §1.8 fingerprint are skipped; unrendered dnsNames are not judged.

use crate::load::Node;
use crate::model::webhook::{self, Target};
use crate::model::{Inventory, Settings};
use crate::rules::{BuiltinRule, Finding, KindSet, Severity, WORKLOAD_KINDS};

use super::{serving_certificates, unexempt, unrendered};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "WH005",
    kinds,
    check,
};

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![webhook::KINDS, WORKLOAD_KINDS]
}

const ID: &str = "WH005";

/// Extended key usages as cert-manager spells them (`KeyUsage` values that map to an EKU).
const EXTENDED: [&str; 12] = [
    "server auth",
    "client auth",
    "code signing",
    "email protection",
    "s/mime",
    "ipsec end system",
    "ipsec tunnel",
    "ipsec user",
    "timestamping",
    "ocsp signing",
    "microsoft sgc",
    "netscape sgc",
];

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    for inj in unexempt(inv) {
        let caller = inv.obj_ref(inj.object);
        for c in inv.webhooks.callees_of(inj) {
            for cert in serving_certificates(inv, inj, c) {
                let obj = inv.get(cert);
                let Some(spec) = obj.spec() else { continue };
                let texts = |k: &str| -> Vec<&str> {
                    spec.get(k)
                        .map_or(&[][..], Node::items)
                        .iter()
                        .filter_map(Node::scalar_text)
                        .collect()
                };
                let dns = texts("dnsNames");
                let ips = texts("ipAddresses");
                let mut related = vec![caller.clone()];
                related.extend(c.backend.service.map(|s| inv.obj_ref(s)));
                let at = if spec.get("dnsNames").is_some() {
                    "/spec/dnsNames"
                } else {
                    "/spec"
                };
                match &c.target {
                    Target::Service(s)
                        if !unrendered(&s.name) && !dns.iter().any(|d| unrendered(d)) =>
                    {
                        let name = s.server_name();
                        if !dns.iter().any(|d| covers(d, &name)) {
                            out.push(
                                Finding::new(
                                    ID,
                                    Severity::Error,
                                    cert,
                                    at,
                                    format!(
                                        "{} calls {name}, but this certificate is valid for {}: x509: certificate is not valid for {name}",
                                        caller.display(),
                                        describe(&dns, obj.root.str_at(&["spec", "commonName"]))
                                    ),
                                )
                                .help(format!("Add `{name}` to `spec.dnsNames` (commonly also `{}` and `{name}.cluster.local`).", name.trim_end_matches(".svc")))
                                .related(related.clone()),
                            );
                        }
                    }
                    Target::Url { host, .. } if !unrendered(host) && !host.is_empty() => {
                        let ok = if host.parse::<std::net::IpAddr>().is_ok() {
                            ips.contains(&host.as_str())
                        } else {
                            dns.iter().any(|d| covers(d, host))
                        };
                        if !ok {
                            out.push(
                                Finding::new(
                                    ID,
                                    Severity::Error,
                                    cert,
                                    at,
                                    format!("{} calls {host} by URL, but this certificate is valid for {}", caller.display(), describe(&dns, None)),
                                )
                                .related(related.clone()),
                            );
                        }
                    }
                    _ => {}
                }
                let usages = texts("usages");
                if usages.iter().any(|u| EXTENDED.contains(u))
                    && !usages.iter().any(|u| *u == "server auth" || *u == "any")
                {
                    out.push(
                        Finding::new(
                            ID,
                            Severity::Error,
                            cert,
                            "/spec/usages",
                            format!(
                                "`usages` lists extended key usages without `server auth`: the apiserver's TLS client rejects the certificate of {} (x509: certificate specifies an incompatible key usage)",
                                caller.display()
                            ),
                        )
                        .help("Add `server auth` to `spec.usages`, or remove `usages` to get cert-manager's defaults.")
                        .related(related.clone()),
                    );
                }
                if spec.get("isCA").and_then(Node::as_bool) == Some(true) {
                    out.push(
                        Finding::new(
                            ID,
                            Severity::Warning,
                            cert,
                            "/spec/isCA",
                            format!("the serving certificate of {} is a CA certificate (`isCA: true`)", caller.display()),
                        )
                        .help("Issue the serving certificate from a CA issuer with `isCA: false`; keep the CA in its own Certificate.")
                        .related(related),
                    );
                }
            }
        }
    }
}

/// Whether SAN `san` covers `name`: exact (case-insensitive) or a wildcard for the left-most label.
fn covers(san: &str, name: &str) -> bool {
    if san.eq_ignore_ascii_case(name) {
        return true;
    }
    match (san.strip_prefix("*."), name.split_once('.')) {
        (Some(rest), Some((label, name_rest))) => {
            !label.is_empty() && rest.eq_ignore_ascii_case(name_rest)
        }
        _ => false,
    }
}

fn describe(dns: &[&str], cn: Option<&str>) -> String {
    let mut s = if dns.is_empty() {
        "no DNS name".to_string()
    } else {
        dns.iter()
            .map(|d| format!("`{d}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(cn) = cn {
        s.push_str(&format!(" (commonName `{cn}` does not count)"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::covers;

    #[test]
    fn san_matching() {
        assert!(covers("hook.sys.svc", "hook.sys.svc"));
        assert!(covers("Hook.Sys.SVC", "hook.sys.svc"));
        assert!(covers("*.sys.svc", "hook.sys.svc"));
        assert!(!covers("*.svc", "hook.sys.svc"));
        assert!(!covers("hook.sys.svc.cluster.local", "hook.sys.svc"));
        assert!(!covers("hook.sys", "hook.sys.svc"));
    }
}
