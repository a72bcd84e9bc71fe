//! AWS reference data and the exact parsing rules of the controllers (RULES.md §1.3, §1.4, App. A):
//! ARN grammar, partitions and regions, ELB security policies, and annotation value parsers that
//! replicate LBC (`split ,` + trim + drop empty) and the in-tree provider (no trimming).

use std::sync::OnceLock;

use regex::Regex;

const PARTITION: &str = r"(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc)";
// ASCII digits and letters only: in a Unicode regex `\d` and `\w` also match `٣`, `３` or `é`.
const REGION: &str = r"([a-z]{2,4}(?:-[a-z]+)+-[0-9]+)";
const ACCOUNT: &str = r"([0-9]{12})";
const UUID: &str = r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})";

struct Grammar {
    acm: Regex,
    iam: Regex,
    pca: Regex,
    truststore: Regex,
    loose: Regex,
    partition: Regex,
    region: Regex,
    partitions: Vec<(&'static str, Regex)>,
}

fn grammar() -> &'static Grammar {
    static G: OnceLock<Grammar> = OnceLock::new();
    G.get_or_init(|| {
        let re = |s: String| Regex::new(&s).expect("static regex");
        Grammar {
            acm: re(format!("^arn:{PARTITION}:acm:{REGION}:{ACCOUNT}:certificate/{UUID}$")),
            iam: re(format!(r"^arn:{PARTITION}:iam::{ACCOUNT}:server-certificate/(?:[\x21-\x7E]*/)?[0-9A-Za-z_+=,.@-]{{1,128}}$")),
            pca: re(format!("^arn:{PARTITION}:acm-pca:{REGION}:{ACCOUNT}:certificate-authority/{UUID}$")),
            truststore: re(format!("^arn:{PARTITION}:elasticloadbalancing:{REGION}:{ACCOUNT}:truststore/[^/]+/[0-9a-f]+$")),
            loose: re(r"^arn:[\w+=/,.@-]+:acm:[\w+=/,.@-]*:[0-9]+:[\w+=,.@-]+(/[\w+=,.@-]+)*$".into()),
            partition: re(format!("^{PARTITION}$")),
            region: re(format!("^{REGION}$")),
            // More specific partitions first: `us-gov-west-1` also matches the `aws` pattern.
            partitions: vec![
                ("aws-us-gov", re(r"^us-gov-\w+-\d+$".into())),
                ("aws-iso-b", re(r"^us-isob-\w+-\d+$".into())),
                ("aws-iso-f", re(r"^us-isof-\w+-\d+$".into())),
                ("aws-iso-e", re(r"^eu-isoe-\w+-\d+$".into())),
                ("aws-iso", re(r"^us-iso-\w+-\d+$".into())),
                ("aws-cn", re(r"^cn-\w+-\d+$".into())),
                ("aws-eusc", re(r"^eusc-(de)-\w+-\d+$".into())),
                ("aws", re(r"^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$".into())),
            ],
        }
    })
}

/// What a certificate reference turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertArn {
    /// A well-formed ACM certificate ARN.
    Acm(ArnParts),
    /// An IAM server certificate (accepted by ELB, no managed renewal).
    Iam(ArnParts),
    /// An AWS Private CA ARN: a CA, not a certificate.
    PrivateCa,
    /// Template or documentation residue (`{{`, `${`, `<`, `xxxx`, …).
    Placeholder,
    /// ACM-shaped except for an upper-case certificate ID (ACM issues lower-case IDs).
    UppercaseId(ArnParts),
    /// Matches the ACM API's loose pattern but not a certificate ARN; the text says which part fails.
    Malformed(String),
    /// Not an ARN the load balancer can use.
    Invalid,
}

/// Partition, region and account of an ARN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArnParts {
    /// Partition (`aws`, `aws-cn`, …).
    pub partition: String,
    /// Region (empty for IAM, which is global).
    pub region: String,
    /// 12-digit account.
    pub account: String,
}

fn parts(arn: &str) -> ArnParts {
    let f: Vec<&str> = arn.splitn(6, ':').collect();
    ArnParts {
        partition: f.get(1).unwrap_or(&"").to_string(),
        region: f.get(3).unwrap_or(&"").to_string(),
        account: f.get(4).unwrap_or(&"").to_string(),
    }
}

/// Whether a value still contains template or documentation placeholders.
pub fn is_placeholder(value: &str) -> bool {
    const MARKERS: [&str; 7] = ["{{", "}}", "${", "$(", "<", ">", "REPLACE"];
    let upper = value.to_ascii_uppercase();
    MARKERS.iter().any(|m| value.contains(m))
        || upper.contains("XXXX")
        || upper.contains("CHANGEME")
        || upper.contains("CHANGE_ME")
}

/// Classify one certificate reference (NS001 conditions 1–6, in order).
pub fn classify_cert_arn(value: &str) -> CertArn {
    let g = grammar();
    if g.acm.is_match(value) {
        return CertArn::Acm(parts(value));
    }
    if g.iam.is_match(value) {
        return CertArn::Iam(parts(value));
    }
    if g.pca.is_match(value) {
        return CertArn::PrivateCa;
    }
    if is_placeholder(value) {
        return CertArn::Placeholder;
    }
    if let Some((head, id)) = value.rsplit_once('/') {
        let uppercase = id.bytes().any(|b| b.is_ascii_uppercase());
        if uppercase
            && g.acm
                .is_match(&format!("{head}/{}", id.to_ascii_lowercase()))
        {
            return CertArn::UppercaseId(parts(value));
        }
    }
    if g.loose.is_match(value) {
        return CertArn::Malformed(describe_acm_failure(value));
    }
    CertArn::Invalid
}

/// Say which component of an ACM-looking ARN is wrong.
fn describe_acm_failure(value: &str) -> String {
    let f: Vec<&str> = value.splitn(6, ':').collect();
    let (partition, region) = (&grammar().partition, &grammar().region);
    if f.len() < 6 {
        return "it does not have the six `:`-separated fields of an ARN".into();
    }
    if !partition.is_match(f[1]) {
        return format!("`{}` is not an AWS partition", f[1]);
    }
    if !region.is_match(f[3]) {
        return format!("`{}` is not an AWS region", f[3]);
    }
    if !(f[4].len() == 12 && f[4].bytes().all(|b| b.is_ascii_digit())) {
        return format!("the account `{}` is not 12 digits", f[4]);
    }
    match f[5].strip_prefix("certificate/") {
        None => format!("the resource `{}` is not `certificate/<id>`", f[5]),
        Some(id) => format!("the certificate ID `{id}` is not a UUID"),
    }
}

/// Whether `arn` is a well-formed AWS Private CA certificate-authority ARN.
pub fn is_pca_arn(arn: &str) -> bool {
    grammar().pca.is_match(arn)
}

/// Whether `arn` is a well-formed ELB trust store ARN.
pub fn is_truststore_arn(arn: &str) -> bool {
    grammar().truststore.is_match(arn)
}

/// The partition a region belongs to (`None` for a region no partition knows).
pub fn partition_of_region(region: &str) -> Option<&'static str> {
    grammar()
        .partitions
        .iter()
        .find(|(_, re)| re.is_match(region))
        .map(|(p, _)| *p)
}

/// LBC's `splitCommaSeparatedString`: split on `,`, trim, drop empty items. Returns the items with
/// their byte offsets in `value` and whether an empty item was dropped.
pub fn split_lbc(value: &str) -> (Vec<&str>, bool) {
    let mut dropped = false;
    let items = value
        .split(',')
        .map(str::trim)
        .filter(|s| {
            dropped |= s.is_empty();
            !s.is_empty()
        })
        .collect();
    (items, dropped)
}

/// One entry of `alb.ingress.kubernetes.io/listen-ports`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListenPort {
    /// `true` for HTTPS, `false` for HTTP.
    pub https: bool,
    /// The port.
    pub port: i64,
}

/// Parse `listen-ports` exactly as LBC does (JSON list of single-key objects, keys `HTTP`/`HTTPS`).
/// LBC collects them in a map by port, so a port listed twice gets the protocol of its last entry;
/// here it keeps the place of its first.
pub fn parse_listen_ports(value: &str) -> Result<Vec<ListenPort>, String> {
    let parsed: serde_json::Value =
        serde_json::from_str(value).map_err(|e| format!("failed to parse listen-ports: {e}"))?;
    let list = parsed
        .as_array()
        .ok_or("failed to parse listen-ports: expected a JSON list")?;
    if list.is_empty() {
        return Err("empty listen-ports configuration".into());
    }
    let mut out = Vec::new();
    // Go's json.Unmarshal decodes a `null` entry into a nil map: no ports, no error.
    for item in list.iter().filter(|i| !i.is_null()) {
        let obj = item.as_object().ok_or(
            "failed to parse listen-ports: each entry must be an object like {\"HTTPS\": 443}",
        )?;
        for (proto, port) in obj {
            let https = match proto.as_str() {
                "HTTP" => false,
                "HTTPS" => true,
                other => {
                    return Err(format!(
                        "listen protocol must be within [HTTP, HTTPS], got `{other}`"
                    ));
                }
            };
            let port = port.as_i64().ok_or_else(|| {
                format!("failed to parse listen-ports: port `{port}` is not an integer")
            })?;
            if !(1..=65535).contains(&port) {
                return Err(format!("listen port must be within [1, 65535], got {port}"));
            }
            // `portAndProtocols[port] = protocol` (model_build_listener.go).
            match out.iter_mut().find(|lp: &&mut ListenPort| lp.port == port) {
                Some(lp) => lp.https = https,
                None => out.push(ListenPort { https, port }),
            }
        }
    }
    Ok(out)
}

/// A predefined ELB security policy.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SslPolicy {
    /// Policy name.
    pub name: String,
    /// Lowest TLS version, `"1.0"` … `"1.3"`.
    pub min_tls: String,
    /// Highest TLS version.
    pub max_tls: String,
    /// Load balancer types that accept it (`alb`, `nlb`, `clb`).
    pub load_balancers: Vec<String>,
}

#[derive(serde::Deserialize)]
struct PolicyTable {
    policies: Vec<SslPolicy>,
}

/// The ELB security policy table (`data/elb-ssl-policies.yaml`, embedded).
pub fn ssl_policies() -> &'static [SslPolicy] {
    static T: OnceLock<Vec<SslPolicy>> = OnceLock::new();
    T.get_or_init(|| {
        let table: PolicyTable =
            serde_saphyr::from_str(include_str!("../../data/elb-ssl-policies.yaml"))
                .expect("data/elb-ssl-policies.yaml is valid (unit-tested)");
        table.policies
    })
}

/// Look a policy up, or derive its versions from its name (§1.3 fallback; `known` is then false).
pub fn ssl_policy(name: &str) -> Option<(SslPolicy, bool)> {
    if let Some(p) = ssl_policies().iter().find(|p| p.name == name) {
        return Some((p.clone(), true));
    }
    let rest = name.strip_prefix("ELBSecurityPolicy-")?;
    let derived = |min: &str, max: &str| SslPolicy {
        name: name.to_string(),
        min_tls: min.to_string(),
        max_tls: max.to_string(),
        load_balancers: vec!["alb".into(), "nlb".into()],
    };
    // §1.3: `TLS13-1-(\d)`, `TLS-1-(\d)-`, `FS-1-(\d)-`. Its patterns take any digit; only a TLS
    // version that exists and is not above the policy's maximum gives a policy (`TLS13-1-5` and
    // `TLS-1-3-…` stay unknown).
    let minor = |s: &str, max: char, dash: bool| {
        let mut c = s.chars();
        let d = c.next().filter(|d| ('0'..=max).contains(d))?;
        (!dash || c.next() == Some('-')).then_some(d)
    };
    if let Some(d) = rest
        .strip_prefix("TLS13-1-")
        .and_then(|s| minor(s, '3', false))
    {
        return Some((derived(&format!("1.{d}"), "1.3"), false));
    }
    for prefix in ["TLS-1-", "FS-1-"] {
        if let Some(d) = rest.strip_prefix(prefix).and_then(|s| minor(s, '2', true)) {
            return Some((derived(&format!("1.{d}"), "1.2"), false));
        }
    }
    None
}

/// Compare TLS versions written `1.0` … `1.3`.
pub fn tls_less(a: &str, b: &str) -> bool {
    let v = |s: &str| {
        s.split('.')
            .map(|p| p.parse::<u32>().unwrap_or(0))
            .collect::<Vec<_>>()
    };
    v(a) < v(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str =
        "arn:aws:acm:us-west-2:123456789012:certificate/12345678-1234-1234-1234-123456789012";

    #[test]
    fn rules_md_test_vectors() {
        assert!(matches!(classify_cert_arn(OK), CertArn::Acm(_)));
        assert!(matches!(
            classify_cert_arn(
                "arn:aws-cn:acm:cn-north-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
            ),
            CertArn::Acm(_)
        ));
        assert!(matches!(
            classify_cert_arn(
                "arn:aws-us-gov:acm:us-gov-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
            ),
            CertArn::Acm(_)
        ));
        assert!(matches!(
            classify_cert_arn(
                "arn:aws:iam::123456789012:server-certificate/division_abc/subdivision_xyz/ProdServerCert"
            ),
            CertArn::Iam(_)
        ));
        assert!(matches!(
            classify_cert_arn("arn:aws-cn:iam::123456789012:server-certificate/ProdServerCert"),
            CertArn::Iam(_)
        ));
        assert_eq!(
            classify_cert_arn(
                "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/12345678-1234-1234-1234-123456789012"
            ),
            CertArn::PrivateCa
        );
        assert_eq!(
            classify_cert_arn("arn:aws:acm:us-west-2:xxxxx:certificate/xxxxxxx"),
            CertArn::Placeholder
        );
        assert_eq!(
            classify_cert_arn("arn:aws:acm:<region>:<account-id>:certificate/<certificate-id>"),
            CertArn::Placeholder
        );
        assert!(matches!(
            classify_cert_arn(
                "arn:aws:acm:us-west-2:123456789012:certificate/12345678-1234-1234-1234-12345678ABCD"
            ),
            CertArn::UppercaseId(_)
        ));
        assert_eq!(
            classify_cert_arn(
                "arn:aws:acm:us-west-2:123456789:certificate/12345678-1234-1234-1234-123456789012"
            ),
            CertArn::Malformed("the account `123456789` is not 12 digits".into())
        );
        assert_eq!(classify_cert_arn("my-cert"), CertArn::Invalid);
    }

    #[test]
    fn partitions_prefer_the_specific_match() {
        assert_eq!(partition_of_region("us-gov-west-1"), Some("aws-us-gov"));
        assert_eq!(partition_of_region("us-isob-east-1"), Some("aws-iso-b"));
        assert_eq!(partition_of_region("cn-north-1"), Some("aws-cn"));
        assert_eq!(partition_of_region("eu-west-1"), Some("aws"));
        assert_eq!(partition_of_region("eusc-de-east-1"), Some("aws-eusc"));
    }

    #[test]
    fn lbc_split_trims_and_drops_empty() {
        assert_eq!(split_lbc(&format!(" {OK} ,, {OK} ")), (vec![OK, OK], true));
    }

    #[test]
    fn listen_ports_follow_lbc() {
        assert_eq!(
            parse_listen_ports(r#"[{"HTTP": 80}, {"HTTPS": 443}]"#).unwrap(),
            vec![
                ListenPort {
                    https: false,
                    port: 80
                },
                ListenPort {
                    https: true,
                    port: 443
                }
            ]
        );
        assert!(parse_listen_ports("[]").unwrap_err().contains("empty"));
        assert!(
            parse_listen_ports(r#"[{"https": 443}]"#)
                .unwrap_err()
                .contains("within [HTTP, HTTPS]")
        );
        assert!(parse_listen_ports(r#"[{"HTTPS": 70000}]"#).is_err());
        assert!(parse_listen_ports("HTTPS:443").is_err());
    }

    #[test]
    fn policy_table_loads_and_derives() {
        assert!(ssl_policies().len() >= 40);
        let (p, known) = ssl_policy("ELBSecurityPolicy-2016-08").unwrap();
        assert!(known && p.min_tls == "1.0" && p.load_balancers.contains(&"clb".to_string()));
        let (p, known) = ssl_policy("ELBSecurityPolicy-TLS13-1-2-Future-2030-01").unwrap();
        assert!(!known && p.min_tls == "1.2");
        assert!(ssl_policy("MyCustomPolicy").is_none());
        assert!(tls_less("1.0", "1.2") && !tls_less("1.3", "1.2"));
    }
}

#[cfg(test)]
mod properties {
    //! Properties of the private grammar pieces (issue 8); the public parsers are property-tested in
    //! `tests/properties.rs`.
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

        /// No region matches two partitions' region patterns (SDK `partitions.json`), so the order of
        /// the table only matters for speed, and `partition_of_region` returns the one that matches.
        #[test]
        fn partition_patterns_are_disjoint(
            region in "(us|eu|cn|eusc|ap|ca|[a-z]{2,4})(-(gov|iso|isob|isoe|isof|de|[a-z_0-9]{1,6})){1,3}-[0-9]{1,2}",
        ) {
            let matching: Vec<&str> = grammar()
                .partitions
                .iter()
                .filter(|(_, re)| re.is_match(&region))
                .map(|(p, _)| *p)
                .collect();
            prop_assert!(matching.len() <= 1, "{} matches {:?}", region, matching);
            prop_assert_eq!(partition_of_region(&region), matching.first().copied());
        }

        /// The failure description indexes `:`-fields only after counting them.
        #[test]
        fn describing_a_failure_never_panics(value in any::<String>()) {
            let _ = describe_acm_failure(&value);
            let _ = parts(&value);
        }
    }

    /// Regression (issue 8): `\d` and `\w` in a Unicode regex accepted non-ASCII digits in the account
    /// and region and non-ASCII letters in IAM names; AWS accounts are 12 ASCII digits and IAM names
    /// "upper and lowercase alphanumeric characters … `_+=,.@-`" (IAM API `ServerCertificateName`).
    #[test]
    fn non_ascii_digits_and_letters_are_not_arns() {
        const ID: &str = "12345678-1234-1234-1234-123456789012";
        for value in [
            format!("arn:aws:acm:us-west-2:12345678901\u{663}:certificate/{ID}"),
            format!("arn:aws:acm:us-west-2:\u{ff11}23456789012:certificate/{ID}"),
            format!("arn:aws:acm:us-west-\u{9e8}:123456789012:certificate/{ID}"),
            "arn:aws:iam::12345678901\u{663}:server-certificate/ProdServerCert".into(),
            "arn:aws:iam::123456789012:server-certificate/Pr\u{f6}dServerCert".into(),
        ] {
            let c = classify_cert_arn(&value);
            assert!(
                !matches!(c, CertArn::Acm(_) | CertArn::Iam(_)),
                "{value}: {c:?}"
            );
        }
        assert!(!is_pca_arn(&format!(
            "arn:aws:acm-pca:us-east-1:12345678901\u{663}:certificate-authority/{ID}"
        )));
        assert!(!is_truststore_arn(
            "arn:aws:elasticloadbalancing:us-east-\u{663}:123456789012:truststore/ts/0a1b"
        ));
        assert!(is_truststore_arn(
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:truststore/ts/0a1b"
        ));
    }

    /// Regression (issue 8): LBC decodes listen-ports with `json.Unmarshal` into
    /// `[]map[string]int64`, where a `null` entry is a nil map — no ports, not an error.
    #[test]
    fn null_listen_ports_entry_is_no_ports() {
        assert_eq!(parse_listen_ports("[null]"), Ok(vec![]));
        assert_eq!(
            parse_listen_ports(r#"[null, {"HTTPS": 443}]"#),
            Ok(vec![ListenPort {
                https: true,
                port: 443
            }])
        );
        assert!(parse_listen_ports("null").is_err());
    }
}
