//! CM006 certificate-identity-invalid: Certificate subject/SAN fields that cert-manager's webhook
//! rejects (CM-CODE `internal/apis/certmanager/validation/certificate.go`, `ValidateCertificateSpec`).
//!
//! * None of `commonName` (or a `CN=` in `literalSubject`), `dnsNames`, `emailAddresses`,
//!   `ipAddresses`, `otherNames`, `uris` → error ("at least one of commonName …, dnsNames, emailSANs,
//!   ipAddresses, otherNames, or uriSANs must be set").
//! * `literalSubject` together with `commonName` or with any `subject` attribute → error ("When
//!   providing a `LiteralSubject` no `commonName`/`Subject` properties may be provided").
//! * `commonName` (or the literalSubject CN) longer than 64 bytes → **error**. RULES.md grades this
//!   a warning, quoting the API doc ("should have a length of 64 characters or fewer"), but the
//!   webhook has rejected it since cert-manager v0.9 (PR #1818; `field.TooLong(…, 64)` in current
//!   `ValidateCertificateSpec`), as many user reports show ("spec.commonName: Too long: may not be
//!   more than 64 bytes").
//! * An `ipAddresses` entry Go's `net.ParseIP` rejects (checked with Rust's `IpAddr` parser, which
//!   agrees on IPv4/IPv6 syntax, leading zeros and zone suffixes) → error ("invalid IP address").
//! * An `emailAddresses` entry that is not a bare address (no `@`, or a `Name <addr>` form, or
//!   whitespace) → error (`validateEmailAddresses`: "make sure the supplied value only contains the
//!   email address itself").
//!
//! * `dnsNames` that look like unrendered placeholders — template syntax, or upper-case labels with
//!   underscores such as kubebuilder's `SERVICE_NAME.SERVICE_NAMESPACE.svc` when its kustomize
//!   `replacements` are not enabled → one warning per Certificate (not an upstream rejection: the
//!   certificate is issued, for names no client dials).
//!
//! Other values that are unrendered templates (`{{`, `$(`, `${`) are not validated but still count
//! as a present identity, so chart templates produce no errors.

use std::net::IpAddr;

use super::cm003::is_unrendered;
use crate::load::Node;
use crate::load::node::pointer;
use crate::model::{Inventory, ObjId, Settings};
use crate::rules::{BuiltinRule, Finding, KindSet, Severity};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "CM006",
    kinds,
    check,
};

const ID: &str = "CM006";
const MAX_CN: usize = 64;
const CONSEQUENCE: &str =
    ", so cert-manager's webhook rejects the Certificate and it is never issued";

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![&[("cert-manager.io", "Certificate")]]
}

const SUBJECT_FIELDS: [&str; 8] = [
    "organizations",
    "countries",
    "organizationalUnits",
    "localities",
    "provinces",
    "streetAddresses",
    "postalCodes",
    "serialNumber",
];

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    for &id in inv.of_kind("cert-manager.io", "Certificate") {
        check_certificate(inv, id, out);
    }
}

fn non_empty_list(spec: &Node, key: &str) -> bool {
    spec.get(key).is_some_and(|n| !n.items().is_empty())
}

fn check_certificate(inv: &Inventory, id: ObjId, out: &mut Vec<Finding>) {
    let obj = inv.get(id);
    let Some(spec) = obj.spec().filter(|s| !s.is_null()) else {
        return;
    };
    let cn = spec
        .get("commonName")
        .and_then(Node::scalar_text)
        .unwrap_or("");
    let literal = spec
        .get("literalSubject")
        .and_then(Node::scalar_text)
        .unwrap_or("");
    let mut effective_cn = (cn, "/spec/commonName", "commonName");
    if !literal.is_empty() {
        if !cn.is_empty() {
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    id,
                    "/spec/commonName",
                    format!("`commonName` may not be set together with `literalSubject` (\"When providing a `LiteralSubject` no `commonName` may be provided\"){CONSEQUENCE}"),
                )
                .help("Put the CN into `literalSubject` (`CN=…,O=…`) and remove `commonName`."),
            );
        }
        let subject = spec.get("subject");
        let set: Vec<&str> = SUBJECT_FIELDS
            .iter()
            .copied()
            .filter(|f| {
                subject.and_then(|s| s.get(f)).is_some_and(|n| {
                    !n.items().is_empty() || n.scalar_text().is_some_and(|t| !t.is_empty())
                })
            })
            .collect();
        if !set.is_empty() {
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    id,
                    "/spec/subject",
                    format!(
                        "`subject` ({}) may not be set together with `literalSubject` (\"When providing a `LiteralSubject` no `Subject` properties may be provided\"){CONSEQUENCE}",
                        set.join(", ")
                    ),
                )
                .help("Express the whole subject in `literalSubject` and remove `subject`."),
            );
        }
        if !is_unrendered(literal)
            && let Some(lcn) = literal_cn(literal)
        {
            effective_cn = (lcn, "/spec/literalSubject", "the literalSubject CN");
        }
    }
    // At least one identity.
    let has_identity = !cn.is_empty()
        || (!literal.is_empty() && (is_unrendered(literal) || literal_cn(literal).is_some()))
        || [
            "dnsNames",
            "uris",
            "emailAddresses",
            "ipAddresses",
            "otherNames",
        ]
        .iter()
        .any(|k| non_empty_list(spec, k));
    if !has_identity {
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                id,
                "/spec",
                format!("the Certificate requests no identity: none of commonName (or a CN in literalSubject), dnsNames, emailAddresses, ipAddresses, otherNames or uris is set (\"at least one of … must be set\"){CONSEQUENCE}"),
            )
            .help("Add `dnsNames` (e.g. `<svc>.<ns>.svc` for an in-cluster server) or another subject alternative name."),
        );
    }
    // CN length (bytes, as Go's len()).
    let (value, ptr, what) = effective_cn;
    if value.len() > MAX_CN && !is_unrendered(value) {
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                id,
                ptr,
                format!(
                    "{what} `{value}` is {} bytes long; cert-manager rejects common names over 64 bytes (\"spec.commonName: Too long: may not be more than 64 bytes\", the X.509 ub-common-name limit){CONSEQUENCE}",
                    value.len()
                ),
            )
            .help("Shorten the common name or drop it: TLS clients verify `dnsNames`, not the CN, so put the long name in `dnsNames` only."),
        );
    }
    check_ip_addresses(id, spec, out);
    check_placeholder_dns_names(id, spec, out);
    check_emails(id, spec, out);
}

/// The value of the last `CN=` attribute of an RFC 4514 string (what cert-manager uses), if any.
fn literal_cn(literal: &str) -> Option<&str> {
    let mut found = None;
    for rdn in split_unescaped(literal, &[',', '+']) {
        let Some((ty, value)) = rdn.split_once('=') else {
            continue;
        };
        let ty = ty.trim();
        if ty.eq_ignore_ascii_case("CN") || ty == "2.5.4.3" {
            found = Some(value.trim());
        }
    }
    found
}

/// Split on separators that are not escaped with a backslash.
fn split_unescaped<'a>(s: &'a str, seps: &[char]) -> Vec<&'a str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if seps.contains(&c) {
            parts.push(&s[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&s[start..]);
    parts
}

fn check_ip_addresses(id: ObjId, spec: &Node, out: &mut Vec<Finding>) {
    let items = spec.get("ipAddresses").map_or(&[][..], Node::items);
    for (i, item) in items.iter().enumerate() {
        let Some(v) = item.scalar_text() else {
            continue;
        };
        if is_unrendered(v) || v.parse::<IpAddr>().is_ok() {
            continue;
        }
        let hint = if v.contains('/') {
            " (a CIDR range is not an address)"
        } else if v.contains('%') {
            " (zone suffixes are not allowed)"
        } else if v.chars().any(|c| c.is_ascii_alphabetic()) && !v.contains(':') {
            " (host names belong in `dnsNames`)"
        } else {
            ""
        };
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                id,
                pointer(["spec", "ipAddresses", &i.to_string()]),
                format!("`ipAddresses[{i}]: {v}` is not a valid IPv4 or IPv6 address{hint} (\"invalid IP address\"){CONSEQUENCE}"),
            )
            .help("List literal IP addresses (e.g. `10.0.0.1`, `fd00::1`) in `ipAddresses` and host names in `dnsNames`."),
        );
    }
}

/// Whether a DNS name still holds a placeholder: template syntax, or an upper-case label with an
/// underscore (`SERVICE_NAME.SERVICE_NAMESPACE.svc`, kustomize `replacements` not applied) — neither
/// can be the name a client dials.
fn placeholder_dns_name(name: &str) -> bool {
    is_unrendered(name)
        || name.split('.').any(|label| {
            label.contains('_')
                && label.chars().any(|c| c.is_ascii_uppercase())
                && label
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        })
}

/// Placeholder dnsNames, reported once per Certificate (a template is rendered, not fixed name by name).
fn check_placeholder_dns_names(id: ObjId, spec: &Node, out: &mut Vec<Finding>) {
    let items = spec.get("dnsNames").map_or(&[][..], Node::items);
    let found: Vec<(usize, &str)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, n)| Some((i, n.scalar_text()?)))
        .filter(|(_, v)| placeholder_dns_name(v))
        .collect();
    let Some(&(first, _)) = found.first() else {
        return;
    };
    let names: Vec<String> = found.iter().map(|(_, v)| format!("`{v}`")).collect();
    out.push(
        Finding::new(
            ID,
            Severity::Warning,
            id,
            pointer(["spec", "dnsNames", &first.to_string()]),
            format!(
                "dnsNames {} look like unrendered placeholders: the certificate would be issued for names no client dials",
                names.join(", ")
            ),
        )
        .help("Lint the rendered output (`kustomize build`, `helm template`); in kubebuilder projects enable the `replacements` that fill the Service name and namespace into the Certificate."),
    );
}

fn check_emails(id: ObjId, spec: &Node, out: &mut Vec<Finding>) {
    let items = spec.get("emailAddresses").map_or(&[][..], Node::items);
    for (i, item) in items.iter().enumerate() {
        let Some(v) = item.scalar_text() else {
            continue;
        };
        if is_unrendered(v) {
            continue;
        }
        let bare = v
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && !d.is_empty() && !d.contains('@'))
            && !v.contains(['<', '>'])
            && !v.chars().any(char::is_whitespace);
        if bare {
            continue;
        }
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                id,
                pointer(["spec", "emailAddresses", &i.to_string()]),
                format!("`emailAddresses[{i}]: {v}` is not a bare email address (\"invalid email address\"){CONSEQUENCE}"),
            )
            .help("Write only the address, e.g. `admin@example.com` (no display name, no angle brackets)."),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::run_check;

    fn cert(spec: &str) -> Vec<Finding> {
        run_check(
            check,
            &format!(
                "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: c\n  namespace: n\nspec:\n  secretName: s\n  issuerRef: {{name: i}}\n{spec}"
            ),
            Settings::default(),
        )
    }

    #[test]
    fn valid_identities() {
        for spec in [
            "  commonName: my-ca\n",
            "  dnsNames: [a.example.com]\n",
            "  uris: [spiffe://cluster.local/ns/a/sa/b]\n",
            "  emailAddresses: [a@example.com]\n",
            "  ipAddresses: [10.0.0.1, '::1', 'fd00::1', '::ffff:10.0.0.1']\n",
            "  literalSubject: 'CN=foo,O=bar'\n",
            "  literalSubject: 'O=a\\,b,CN=x'\n",
            "  commonName: '{{ .Values.cn }}'\n",
            "  ipAddresses: ['${NODE_IP}']\n",
            "  commonName: a-very-long-name-that-is-exactly-sixty-four-bytes-long-012345678\n",
        ] {
            let f = cert(spec);
            assert!(f.is_empty(), "{spec}: {f:?}");
        }
    }

    #[test]
    fn invalid_identities() {
        for (spec, needle) in [
            ("  isCA: true\n", "requests no identity"),
            ("  dnsNames: []\n", "requests no identity"),
            ("  literalSubject: 'O=bar'\n", "requests no identity"),
            (
                "  literalSubject: 'CN=foo'\n  commonName: foo\n",
                "may not be set together",
            ),
            (
                "  literalSubject: 'CN=foo'\n  subject: {organizations: [x]}\n",
                "(organizations)",
            ),
            (
                "  commonName: a-very-long-name-that-is-more-than-sixty-four-bytes-long-0123456789\n",
                "bytes long; cert-manager rejects",
            ),
            (
                "  literalSubject: 'CN=a-very-long-name-that-is-more-than-sixty-four-bytes-long-0123456789'\n",
                "the literalSubject CN",
            ),
            ("  ipAddresses: [10.0.0.256]\n", "not a valid IPv4"),
            ("  ipAddresses: [10.0.0.0/8]\n", "CIDR"),
            ("  ipAddresses: [localhost]\n", "dnsNames"),
            ("  ipAddresses: ['fe80::1%eth0']\n", "zone"),
            (
                "  emailAddresses: ['Admin <admin@example.com>']\n",
                "bare email",
            ),
            ("  emailAddresses: [admin]\n", "bare email"),
        ] {
            let f = cert(spec);
            assert!(
                f.iter().any(|f| f.message.contains(needle)),
                "{spec}: {needle} not in {f:#?}"
            );
        }
    }

    #[test]
    fn placeholder_dns_names_are_reported_once() {
        let f = cert(
            "  dnsNames: ['$(SERVICE_NAME).$(SERVICE_NAMESPACE).svc', 'SERVICE_NAME.SERVICE_NAMESPACE.svc.cluster.local']\n",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            (f[0].severity, f[0].pointer.as_str()),
            (Severity::Warning, "/spec/dnsNames/0")
        );
    }

    #[test]
    fn placeholder_dns_names() {
        assert!(placeholder_dns_name("SERVICE_NAME.SERVICE_NAMESPACE.svc"));
        assert!(placeholder_dns_name(
            "$(SERVICE_NAME).$(SERVICE_NAMESPACE).svc"
        ));
        assert!(placeholder_dns_name(
            "KATIB_SERVICE_NAME_PLACEHOLDER.kubeflow.svc"
        ));
        assert!(!placeholder_dns_name("webhook-service.system.svc"));
        assert!(!placeholder_dns_name("Hook.Example.com"));
        assert!(!placeholder_dns_name("_acme-challenge.example.com"));
    }

    #[test]
    fn literal_cn_parsing() {
        assert_eq!(literal_cn("CN=a,O=b"), Some("a"));
        assert_eq!(literal_cn("O=b+cn=c"), Some("c"));
        assert_eq!(literal_cn("O=x\\,CN=y"), None);
        assert_eq!(literal_cn("2.5.4.3=z"), Some("z"));
    }
}
