//! Property tests of the annotation parsers (issue 8). Each property compares a parser with a small
//! model written here from the upstream source it replicates:
//!
//! * ARNs: the grammar of RULES.md §1.4, re-checked field by field in ASCII (an AWS account ID is 12
//!   ASCII digits; an IAM server certificate name is "upper and lowercase alphanumeric characters …
//!   `_+=,.@-`", IAM API `ServerCertificateName`).
//! * Comma lists: LBC `pkg/annotations/parser.go` `splitCommaSeparatedString` (`strings.Split` on `,`,
//!   `strings.TrimSpace`, drop empty items); the in-tree provider passes `ssl-cert` on as one string.
//! * listen-ports: LBC `pkg/ingress/model_build_listener.go` `computeIngressListenPorts`
//!   (`json.Unmarshal` into `[]map[string]int64`, "empty listen-ports configuration", port in
//!   [1, 65535], protocol exactly `HTTP` or `HTTPS`).
//! * inject-ca-from: cert-manager `pkg/controller/cainjector/reconciler.go` `splitNamespacedName`
//!   (split at the first `/`; no `/` leaves the namespace empty: "needs a namespace/ prefix") and
//!   `caDataSourceFor` (the first configured source of `secret, certificate, apiserver`, `setup.go`).
//! * ELB security policies: the table and the name-derivation fallback of RULES.md §1.3.
//!
//! Properties of private helpers (ssl-ports matching, the partition table) live next to their code in
//! `src/rules/aws.rs` and `src/rules/ns/ns003.rs` (`mod properties`; `cargo test --lib properties`).

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::string::string_regex;
use serde_json::{Value, json};
use tlscheck::model::webhook::{
    Annotation, CaSource, INJECT_APISERVER_CA, INJECT_CA_FROM, INJECT_CA_FROM_SECRET, Injection,
    split_namespaced,
};
use tlscheck::rules::aws::{
    ArnParts, CertArn, ListenPort, classify_cert_arn, is_pca_arn, is_placeholder,
    parse_listen_ports, partition_of_region, split_lbc, ssl_policies, ssl_policy, tls_less,
};

#[path = "models/go.rs"]
mod go;
use go::lbc_split;

/// Counterexamples are kept as explicit `#[test]`s below, not as regression files in the tree.
fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn re(pattern: &str) -> BoxedStrategy<String> {
    string_regex(pattern).expect("valid test regex").boxed()
}

// ---------------------------------------------------------------------------------------------------
// ARN grammar (RULES.md §1.4), checked without regexes.

const PARTITIONS: [&str; 8] = [
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// `REGION = [a-z]{2,4}(-[a-z]+)+-\d+` with ASCII digits.
fn is_region(s: &str) -> bool {
    let f: Vec<&str> = s.split('-').collect();
    let lower = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase());
    f.len() >= 3
        && (2..=4).contains(&f[0].len())
        && lower(f[0])
        && f[1..f.len() - 1].iter().all(|p| lower(p))
        && !f[f.len() - 1].is_empty()
        && f[f.len() - 1].bytes().all(|b| b.is_ascii_digit())
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Lower-case UUID.
fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

fn arn_parts(partition: &str, region: &str, account: &str) -> ArnParts {
    ArnParts {
        partition: partition.to_string(),
        region: region.to_string(),
        account: account.to_string(),
    }
}

/// `ACM_CERT_ARN`: the parts when `s` is an ACM certificate ARN.
fn acm_grammar(s: &str) -> Option<ArnParts> {
    let f: Vec<&str> = s.split(':').collect();
    (f.len() == 6
        && f[0] == "arn"
        && PARTITIONS.contains(&f[1])
        && f[2] == "acm"
        && is_region(f[3])
        && is_account(f[4])
        && f[5].strip_prefix("certificate/").is_some_and(is_uuid))
    .then(|| arn_parts(f[1], f[3], f[4]))
}

/// `IAM_SRV_CERT`: `server-certificate/` + optional printable-ASCII path ending in `/` + a name of
/// 1–128 of `[A-Za-z0-9_+=,.@-]`.
fn iam_grammar(s: &str) -> Option<ArnParts> {
    let f: Vec<&str> = s.splitn(6, ':').collect();
    if f.len() != 6
        || f[0] != "arn"
        || !PARTITIONS.contains(&f[1])
        || f[2] != "iam"
        || !f[3].is_empty()
        || !is_account(f[4])
    {
        return None;
    }
    let rest = f[5].strip_prefix("server-certificate/")?;
    let (path, name) = rest.rsplit_once('/').unwrap_or(("", rest));
    let path_ok = path.bytes().all(|b| (0x21..=0x7e).contains(&b));
    let name_ok = (1..=128).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
    (path_ok && name_ok).then(|| arn_parts(f[1], "", f[4]))
}

/// A region of a partition, shaped like the SDK's `partitions.json` region regexes.
fn partition_region() -> BoxedStrategy<(&'static str, String)> {
    const DIR: &str = "(east|west|north|south|central|northeast|southeast|northwest|southwest)";
    let of = |p: &'static str, pattern: String| re(&pattern).prop_map(move |r| (p, r)).boxed();
    prop_oneof![
        4 => of("aws", format!("(us|eu|ap|sa|ca|me|af|il|mx)-{DIR}-[1-9]")),
        1 => of("aws-cn", "cn-(north|northwest)-[1-9]".into()),
        1 => of("aws-us-gov", "us-gov-(east|west)-[1-9]".into()),
        1 => of("aws-iso", "us-iso-(east|west)-[1-9]".into()),
        1 => of("aws-iso-b", "us-isob-(east|west)-[1-9]".into()),
        1 => of("aws-iso-e", "eu-isoe-(east|west)-[1-9]".into()),
        1 => of("aws-iso-f", "us-isof-(east|south)-[1-9]".into()),
        1 => of("aws-eusc", "eusc-de-(east|west)-[1-9]".into()),
    ]
    .boxed()
}

fn account() -> BoxedStrategy<String> {
    re("[0-9]{12}")
}

fn uuid() -> BoxedStrategy<String> {
    re("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
}

/// A well-formed ACM certificate ARN, by component.
#[derive(Clone, Debug)]
struct Acm {
    partition: &'static str,
    region: String,
    account: String,
    id: String,
}

impl Acm {
    fn arn(&self) -> String {
        format!(
            "arn:{}:acm:{}:{}:certificate/{}",
            self.partition, self.region, self.account, self.id
        )
    }

    fn parts(&self) -> ArnParts {
        arn_parts(self.partition, &self.region, &self.account)
    }

    /// Character range of the region in [`Acm::arn`].
    fn region_span(&self) -> (usize, usize) {
        let start = "arn:".len() + self.partition.len() + ":acm:".len();
        (start, start + self.region.len())
    }
}

fn acm() -> BoxedStrategy<Acm> {
    (partition_region(), account(), uuid())
        .prop_map(|((partition, region), account, id)| Acm {
            partition,
            region,
            account,
            id,
        })
        .boxed()
}

/// An IAM server certificate ARN: partition, account, optional path, name.
fn iam() -> BoxedStrategy<(String, ArnParts)> {
    let segment = re("[\\x21-\\x2e\\x30-\\x7e]{1,10}");
    (
        prop::sample::select(PARTITIONS.to_vec()),
        account(),
        prop::collection::vec(segment, 0..3),
        re("[A-Za-z0-9_+=,.@-]{1,128}"),
    )
        .prop_map(|(partition, account, path, name)| {
            let path: String = path.iter().map(|s| format!("{s}/")).collect();
            (
                format!("arn:{partition}:iam::{account}:server-certificate/{path}{name}"),
                arn_parts(partition, "", &account),
            )
        })
        .boxed()
}

/// Template and documentation residue (RULES.md NS001 condition 4).
fn placeholder_token() -> BoxedStrategy<String> {
    prop_oneof![
        re("x{4,10}"),
        re("X{4,10}"),
        re("<[a-z-]{0,15}>"),
        re("\\$\\{[A-Z_]{1,15}\\}"),
        re("\\$\\([A-Z_]{1,15}\\)"),
        re("\\{\\{ ?\\.?[A-Za-z.]{0,15} ?\\}\\}"),
        re("REPLACE(_ME|_WITH_[A-Z]{1,8})?"),
        re("(CHANGEME|CHANGE_ME|changeme|ChangeMe|change_me)"),
    ]
    .boxed()
}

/// A character for random edits: ARN punctuation, ASCII, non-ASCII digits (`\d` in a Unicode regex
/// matches them) and letters, anything.
fn edit_char() -> BoxedStrategy<char> {
    prop_oneof![
        2 => prop::sample::select(vec![':', '/', '-', '.', 'A', 'F', 'G', 'x', '0', '9']),
        1 => prop::char::range('a', 'z'),
        1 => prop::char::range('0', '9'),
        3 => prop::sample::select(vec![
            '\u{663}', '\u{ff13}', '\u{9ea}', '\u{7c3}', 'é', 'ſ', '\u{212a}', 'Ж'
        ]),
        1 => any::<char>(),
    ]
    .boxed()
}

#[derive(Clone, Debug)]
enum Edit {
    Insert(Index, char),
    Replace(Index, char),
    Delete(Index),
}

fn edit() -> BoxedStrategy<Edit> {
    prop_oneof![
        (any::<Index>(), edit_char()).prop_map(|(i, c)| Edit::Insert(i, c)),
        (any::<Index>(), edit_char()).prop_map(|(i, c)| Edit::Replace(i, c)),
        any::<Index>().prop_map(Edit::Delete),
    ]
    .boxed()
}

fn apply(s: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    for e in edits {
        match *e {
            Edit::Insert(i, c) => chars.insert(i.index(chars.len() + 1), c),
            Edit::Replace(i, c) if !chars.is_empty() => {
                let i = i.index(chars.len());
                chars[i] = c;
            }
            Edit::Delete(i) if !chars.is_empty() => {
                chars.remove(i.index(chars.len()));
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

/// Which part of an ACM ARN a placeholder replaces, or where it is inserted.
#[derive(Clone, Debug)]
enum Spot {
    Partition,
    Region,
    Account,
    Id,
    Resource,
    Insert(Index),
}

fn spot() -> BoxedStrategy<Spot> {
    prop_oneof![
        1 => Just(Spot::Partition),
        1 => Just(Spot::Region),
        1 => Just(Spot::Account),
        1 => Just(Spot::Id),
        1 => Just(Spot::Resource),
        3 => any::<Index>().prop_map(Spot::Insert),
    ]
    .boxed()
}

fn with_placeholder(a: &Acm, spot: &Spot, token: &str) -> String {
    let p = a.partition;
    let (r, acct, id) = (&a.region, &a.account, &a.id);
    match spot {
        Spot::Partition => format!("arn:{token}:acm:{r}:{acct}:certificate/{id}"),
        Spot::Region => format!("arn:{p}:acm:{token}:{acct}:certificate/{id}"),
        Spot::Account => format!("arn:{p}:acm:{r}:{token}:certificate/{id}"),
        Spot::Id => format!("arn:{p}:acm:{r}:{acct}:certificate/{token}"),
        Spot::Resource => format!("arn:{p}:acm:{r}:{acct}:{token}"),
        Spot::Insert(i) => {
            // Not strictly inside the region: lower-case letters there (`us-xxxxeast-1`) still form a
            // §1.4 REGION, and NS001 checks the grammar before placeholders, so such an ARN is ACM.
            let arn = a.arn();
            let (start, end) = a.region_span();
            let inside = end.saturating_sub(start + 1);
            let mut at = i.index(arn.len() + 1 - inside);
            if at > start {
                at += inside;
            }
            format!("{}{token}{}", &arn[..at], &arn[at..])
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// Every well-formed ACM certificate ARN whose partition is its region's partition is a valid
    /// certificate with those parts (NS001 condition 1, NS002 condition (a) satisfied).
    #[test]
    fn well_formed_acm_arns_are_certificates(a in acm()) {
        let arn = a.arn();
        prop_assert_eq!(classify_cert_arn(&arn), CertArn::Acm(a.parts()));
        prop_assert_eq!(partition_of_region(&a.region), Some(a.partition));
        prop_assert!(!is_placeholder(&arn) && !is_pca_arn(&arn));
    }

    /// An 11- or 13-digit account: ACM-shaped but malformed, and the message names the account.
    #[test]
    fn wrong_account_length_is_malformed(a in acm(), longer in any::<bool>(), digit in 0u8..10) {
        let account = if longer {
            format!("{}{digit}", a.account)
        } else {
            a.account[..11].to_string()
        };
        let arn = Acm { account: account.clone(), ..a }.arn();
        prop_assert_eq!(
            classify_cert_arn(&arn),
            CertArn::Malformed(format!("the account `{account}` is not 12 digits"))
        );
    }

    /// Any upper-case hex digit in the certificate ID: `UppercaseId` (warning) with the ARN's parts.
    #[test]
    fn upper_case_certificate_id_is_flagged(a in acm(), at in any::<Index>(), all in any::<bool>()) {
        let mut id: Vec<char> = a.id.chars().collect();
        let hex: Vec<usize> = (0..id.len()).filter(|&i| id[i] != '-').collect();
        // Make sure the ID has a letter to upper-case.
        let i = hex[at.index(hex.len())];
        id[i] = id[i].to_ascii_uppercase();
        if !id[i].is_ascii_uppercase() {
            id[i] = 'B';
        }
        let mut id: String = id.into_iter().collect();
        if all {
            id = id.to_ascii_uppercase();
        }
        let arn = Acm { id, ..a.clone() }.arn();
        prop_assert_eq!(classify_cert_arn(&arn), CertArn::UppercaseId(a.parts()));
    }

    /// A partition that is not the region's: the ARN is well-formed (NS001 passes) and
    /// `partition_of_region` tells the partitions apart (NS002 condition (a)).
    #[test]
    fn wrong_partition_for_region_is_detectable(a in acm(), other in prop::sample::select(PARTITIONS.to_vec())) {
        prop_assume!(other != a.partition);
        let wrong = Acm { partition: other, ..a.clone() };
        let c = classify_cert_arn(&wrong.arn());
        prop_assert_eq!(&c, &CertArn::Acm(wrong.parts()));
        prop_assert_ne!(partition_of_region(&a.region), Some(other));
    }

    /// ACM Private CA: a certificate-authority ARN is `PrivateCa`; the `acm-pca` service with a
    /// `certificate/` resource is nothing ELB can use; the `acm` service with a CA resource is malformed.
    #[test]
    fn private_ca_arns(a in acm()) {
        let (p, r, acct, id) = (a.partition, &a.region, &a.account, &a.id);
        let ca = format!("arn:{p}:acm-pca:{r}:{acct}:certificate-authority/{id}");
        prop_assert_eq!(classify_cert_arn(&ca), CertArn::PrivateCa);
        prop_assert!(is_pca_arn(&ca));
        let pca_cert = format!("arn:{p}:acm-pca:{r}:{acct}:certificate/{id}");
        prop_assert_eq!(classify_cert_arn(&pca_cert), CertArn::Invalid);
        prop_assert!(!is_pca_arn(&pca_cert) && !is_pca_arn(&a.arn()));
        let acm_ca = format!("arn:{p}:acm:{r}:{acct}:certificate-authority/{id}");
        prop_assert_eq!(
            classify_cert_arn(&acm_ca),
            CertArn::Malformed(format!(
                "the resource `certificate-authority/{id}` is not `certificate/<id>`"
            ))
        );
    }

    /// Without `certificate/`: malformed, and the message names the resource.
    #[test]
    fn missing_certificate_prefix_is_malformed(a in acm()) {
        let arn = format!("arn:{}:acm:{}:{}:{}", a.partition, a.region, a.account, a.id);
        prop_assert_eq!(
            classify_cert_arn(&arn),
            CertArn::Malformed(format!("the resource `{}` is not `certificate/<id>`", a.id))
        );
    }

    /// A placeholder token in place of a component, or inserted (outside the region), makes the value
    /// a `Placeholder` (NS001 condition 4), whatever its case for `xxxx` and `CHANGEME`.
    #[test]
    fn placeholders_are_placeholders(a in acm(), spot in spot(), token in placeholder_token()) {
        let value = with_placeholder(&a, &spot, &token);
        prop_assert!(is_placeholder(&value), "{value:?}");
        prop_assert_eq!(classify_cert_arn(&value), CertArn::Placeholder, "{:?}", value);
        // A placeholder account in an IAM ARN too.
        let iam = format!("arn:{}:iam::{token}:server-certificate/ProdServerCert", a.partition);
        prop_assert_eq!(classify_cert_arn(&iam), CertArn::Placeholder);
    }

    /// IAM server certificates (with or without a path) are IAM, with their partition and account.
    #[test]
    fn iam_server_certificates_are_iam((arn, parts) in iam()) {
        prop_assert_eq!(classify_cert_arn(&arn), CertArn::Iam(parts));
    }

    /// Random edits of a valid ACM ARN — including non-ASCII digits and letters — classify as ACM
    /// exactly when the result is still in the §1.4 grammar, and then with its parts.
    #[test]
    fn acm_classification_is_the_grammar(a in acm(), edits in prop::collection::vec(edit(), 0..4)) {
        let value = apply(&a.arn(), &edits);
        let c = classify_cert_arn(&value);
        match acm_grammar(&value) {
            Some(parts) => prop_assert_eq!(c, CertArn::Acm(parts)),
            None => prop_assert!(!matches!(c, CertArn::Acm(_)), "{:?} classified as {:?}", value, c),
        }
    }

    /// The same for IAM server certificate ARNs.
    #[test]
    fn iam_classification_is_the_grammar((arn, _) in iam(), edits in prop::collection::vec(edit(), 0..4)) {
        let value = apply(&arn, &edits);
        let c = classify_cert_arn(&value);
        match iam_grammar(&value) {
            Some(parts) => prop_assert_eq!(c, CertArn::Iam(parts)),
            None => prop_assert!(!matches!(c, CertArn::Iam(_)), "{:?} classified as {:?}", value, c),
        }
    }

    /// Classification is total on any string, and consistent: ACM/IAM only for the grammar, a PCA
    /// ARN is `PrivateCa`, and what does not start with `arn:` is a placeholder or invalid.
    #[test]
    fn classification_is_total_and_consistent(
        value in prop_oneof![
            any::<String>(),
            re("arn:[a-z-]{0,10}:(acm|acm-pca|iam)?:[a-z0-9-]{0,15}:[0-9]{0,14}:\\PC{0,60}"),
        ]
    ) {
        let c = classify_cert_arn(&value);
        match &c {
            CertArn::Acm(p) => prop_assert_eq!(Some(p.clone()), acm_grammar(&value)),
            CertArn::Iam(p) => prop_assert_eq!(Some(p.clone()), iam_grammar(&value)),
            _ => {}
        }
        if is_pca_arn(&value) {
            prop_assert_eq!(&c, &CertArn::PrivateCa);
        }
        if !value.starts_with("arn:") {
            let expected = if is_placeholder(&value) { CertArn::Placeholder } else { CertArn::Invalid };
            prop_assert_eq!(c, expected);
        }
    }
}

#[test]
fn arn_examples() {
    // RULES.md §1.4 test vectors.
    const ID: &str = "12345678-1234-1234-1234-123456789012";
    let acm = format!("arn:aws:acm:us-west-2:123456789012:certificate/{ID}");
    assert_eq!(
        classify_cert_arn(&acm),
        CertArn::Acm(arn_parts("aws", "us-west-2", "123456789012"))
    );
    let cn_in_aws = format!("arn:aws:acm:cn-north-1:123456789012:certificate/{ID}");
    assert!(matches!(classify_cert_arn(&cn_in_aws), CertArn::Acm(_)));
    assert_eq!(partition_of_region("cn-north-1"), Some("aws-cn"));
    assert_eq!(
        classify_cert_arn("arn:aws:acm:us-west-2:xxxxx:certificate/xxxxxxx"),
        CertArn::Placeholder
    );
    for value in [
        "arn:aws:acm:<region>:<account-id>:certificate/<certificate-id>",
        "${CERT_ARN}",
        "{{ .Values.certificateArn }}",
        "REPLACE_ME",
        "changeme",
        "$(CERT_ARN)",
    ] {
        assert_eq!(classify_cert_arn(value), CertArn::Placeholder, "{value}");
    }
    // Non-ASCII digits and letters: `aws::tests::non_ascii_digits_and_letters_are_not_arns`.
    // An IAM name is at most 128 characters.
    let long = format!(
        "arn:aws:iam::123456789012:server-certificate/{}",
        "a".repeat(129)
    );
    assert_eq!(classify_cert_arn(&long), CertArn::Invalid);
}

/// The API server limits all annotations of an object together to 256 KiB: the largest real value.
#[test]
fn huge_inputs_do_not_panic() {
    let size = 256 << 10;
    let prefix = "arn:aws:acm:us-east-1:123456789012:certificate/";
    for value in [
        "a".repeat(size),
        format!("{prefix}{}", "a".repeat(size)),
        format!("{prefix}{}", "A".repeat(size)),
        ":/".repeat(size / 2),
        "{{".repeat(size / 2),
        "\u{540d}".repeat(size / 3),
        format!(
            "arn:aws:iam::123456789012:server-certificate/{}",
            "/".repeat(size)
        ),
    ] {
        let c = classify_cert_arn(&value);
        assert!(!matches!(c, CertArn::Acm(_) | CertArn::Iam(_)), "{c:?}");
        let _ = (split_lbc(&value), parse_listen_ports(&value));
        let _ = split_namespaced(&value);
    }
}

// ---------------------------------------------------------------------------------------------------
// Comma lists: LBC `splitCommaSeparatedString`; the in-tree provider's raw string.

/// Whitespace Go trims, and look-alikes it does not (zero-width space, BOM).
fn space() -> BoxedStrategy<String> {
    prop::collection::vec(
        prop::sample::select(vec![
            " ", "\t", "\n", "\r", "\u{0b}", "\u{a0}", "\u{85}", "\u{3000}", "\u{2028}",
            "\u{200b}", "\u{feff}",
        ]),
        0..3,
    )
    .prop_map(|v| v.concat())
    .boxed()
}

/// Only whitespace both Go and Rust trim.
fn trimmed_space() -> BoxedStrategy<String> {
    re("[ \\t\\n\\r\\x0b\\u{a0}\\u{3000}]{0,3}")
}

/// JSON whitespace.
fn json_space() -> BoxedStrategy<String> {
    re("[ \\t\\n\\r]{0,3}")
}

proptest! {
    #![proptest_config(config())]

    /// `split_lbc` is `splitCommaSeparatedString`, item for item, on any text of commas, spaces and
    /// words (the dropped flag: some item was empty after trimming).
    #[test]
    fn split_lbc_is_lbc_split(
        pieces in prop::collection::vec(
            prop_oneof![Just(",".to_string()), space(), re("[a-z0-9:/*-]{1,6}"), any::<String>()],
            0..10,
        )
    ) {
        let value = pieces.concat();
        prop_assert_eq!(split_lbc(&value), lbc_split(&value));
    }

    /// Certificate ARNs joined with whitespace around the commas come back trimmed and in order; with
    /// extra empty items too (flagged as dropped); splitting the re-joined list changes nothing.
    #[test]
    fn certificate_lists_round_trip(
        arns in prop::collection::vec(acm().prop_map(|a| a.arn()), 1..5),
        seps in prop::collection::vec((trimmed_space(), trimmed_space()), 5),
        lead in trimmed_space(),
        trail in trimmed_space(),
        empties in any::<bool>(),
    ) {
        let mut value = lead;
        for (i, arn) in arns.iter().enumerate() {
            if i > 0 {
                let (before, after) = &seps[i];
                value.push_str(&format!("{before},{after}"));
                if empties {
                    value.push_str(&format!("{before},{after}"));
                }
            }
            value.push_str(arn);
        }
        value.push_str(&trail);
        let (items, dropped) = split_lbc(&value);
        prop_assert_eq!(&items, &arns);
        prop_assert_eq!(dropped, empties && arns.len() > 1);
        let joined = items.join(",");
        prop_assert_eq!(split_lbc(&joined), (items.clone(), false));
        // The in-tree provider takes the annotation as one certificate ID: a list (or padding) is no
        // ARN at all.
        if arns.len() > 1 || value != arns[0] {
            prop_assert!(!matches!(classify_cert_arn(&value), CertArn::Acm(_)));
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// listen-ports: LBC `computeIngressListenPorts`.

/// How Go decodes a JSON number into `int64`: an integer literal in range, else a type error.
fn go_int64(n: &serde_json::Number) -> Option<i64> {
    n.as_i64()
}

/// LBC `computeIngressListenPorts` on `raw`: `Err` where LBC fails; else port → the protocols it may
/// get (Go iterates a map in random order, so one object listing a port twice leaves either).
fn lbc_listen_ports(raw: &str) -> Result<BTreeMap<i64, BTreeSet<bool>>, ()> {
    let value: Value = serde_json::from_str(raw).map_err(drop)?;
    // `null` decodes to a nil slice: "empty listen-ports configuration".
    let entries = value.as_array().ok_or(())?;
    if entries.is_empty() {
        return Err(());
    }
    // json.Unmarshal: a `null` entry is a nil map (no ports); `null` as a port is 0; anything else that
    // is not an object of integers is a type error.
    let mut decoded = Vec::new();
    for entry in entries {
        let mut pairs = Vec::new();
        match entry {
            Value::Null => {}
            Value::Object(map) => {
                for (protocol, port) in map {
                    let port = match port {
                        Value::Null => 0,
                        Value::Number(n) => go_int64(n).ok_or(())?,
                        _ => return Err(()),
                    };
                    pairs.push((protocol.as_str(), port));
                }
            }
            _ => return Err(()),
        }
        decoded.push(pairs);
    }
    let mut ports: BTreeMap<i64, BTreeSet<bool>> = BTreeMap::new();
    for pairs in decoded {
        let mut this: BTreeMap<i64, BTreeSet<bool>> = BTreeMap::new();
        for (protocol, port) in pairs {
            if !(1..=65535).contains(&port) {
                return Err(());
            }
            let https = match protocol {
                "HTTP" => false,
                "HTTPS" => true,
                _ => return Err(()),
            };
            this.entry(port).or_default().insert(https);
        }
        ports.extend(this); // `portAndProtocols[port] = …`: later entries win.
    }
    Ok(ports)
}

/// JSON that stresses every branch: lists of objects keyed by protocols, wrong keys, edge numbers.
fn listen_ports_json() -> BoxedStrategy<Value> {
    let number = prop_oneof![
        4 => (1i64..=65535).prop_map(|n| json!(n)),
        1 => (-2i64..=2).prop_map(|n| json!(n)),
        1 => (65530i64..=65545).prop_map(|n| json!(n)),
        1 => any::<i64>().prop_map(|n| json!(n)),
        1 => any::<u64>().prop_map(|n| json!(n)),
        1 => prop::sample::select(vec![443.0f64, 4.43e2, -0.5, 1e300]).prop_map(|n| json!(n)),
    ];
    let leaf = prop_oneof![
        4 => number,
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => re("[0-9a-z]{0,4}").prop_map(Value::String),
    ]
    .boxed();
    let key = prop_oneof![
        8 => prop::sample::select(vec!["HTTP", "HTTPS"]),
        1 => prop::sample::select(vec!["http", "https", "Https", "TCP", "TLS", "QUIC", "", "HTTPS "]),
    ];
    let object = prop::collection::vec((key, leaf.clone()), 0..3)
        .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()));
    let entry = prop_oneof![
        8 => object,
        1 => leaf.clone(),
        1 => prop::collection::vec(leaf.clone(), 0..2).prop_map(Value::Array),
    ]
    .boxed();
    prop_oneof![
        8 => prop::collection::vec(entry.clone(), 0..5).prop_map(Value::Array),
        1 => entry,
        1 => leaf,
    ]
    .boxed()
}

/// Protocol keys as LBC reads them.
fn listen_port_entry() -> BoxedStrategy<Vec<ListenPort>> {
    prop_oneof![
        (any::<bool>(), 1i64..=65535).prop_map(|(https, port)| vec![ListenPort { https, port }]),
        (1i64..=65535, 1i64..=65535, any::<bool>()).prop_map(|(a, b, http_first)| {
            let http = ListenPort {
                https: false,
                port: a,
            };
            let https = ListenPort {
                https: true,
                port: b,
            };
            if http_first {
                vec![http, https]
            } else {
                vec![https, http]
            }
        }),
    ]
    .boxed()
}

proptest! {
    #![proptest_config(config())]

    /// Any list of `{"HTTP"|"HTTPS": port}` objects (one or two keys each, any whitespace) parses to
    /// its ports in order of first appearance, each with the protocol of its last entry (LBC's map),
    /// and LBC accepts it too.
    #[test]
    fn valid_listen_ports_parse(
        entries in prop::collection::vec(listen_port_entry(), 1..6),
        ws in prop::collection::vec(json_space(), 8),
    ) {
        let w = |i: usize| ws[i % ws.len()].as_str();
        let objects: Vec<String> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let kv: Vec<String> = e
                    .iter()
                    .map(|lp| {
                        let key = if lp.https { "HTTPS" } else { "HTTP" };
                        format!("{}\"{key}\"{}:{}{}", w(i), w(i + 1), w(i + 2), lp.port)
                    })
                    .collect();
                format!("{{{}{}}}", kv.join(","), w(i + 3))
            })
            .collect();
        let raw = format!("{}[{}{}]{}", w(0), objects.join(&format!("{},", w(4))), w(5), w(6));
        let mut expected: Vec<ListenPort> = Vec::new();
        for lp in entries.concat() {
            match expected.iter_mut().find(|e| e.port == lp.port) {
                Some(e) => e.https = lp.https,
                None => expected.push(lp),
            }
        }
        prop_assert_eq!(parse_listen_ports(&raw), Ok(expected));
        prop_assert!(lbc_listen_ports(&raw).is_ok());
    }

    /// On any JSON, `parse_listen_ports` fails exactly where LBC fails, and otherwise gives every port
    /// the protocol LBC gives it (later entries win, as in LBC's map).
    #[test]
    fn listen_ports_agree_with_lbc(value in listen_ports_json(), pretty in any::<bool>()) {
        let raw = if pretty {
            serde_json::to_string_pretty(&value).unwrap()
        } else {
            value.to_string()
        };
        let ours = parse_listen_ports(&raw);
        match (ours, lbc_listen_ports(&raw)) {
            (Ok(list), Ok(lbc)) => {
                let mut folded: BTreeMap<i64, bool> = BTreeMap::new();
                for lp in list {
                    folded.insert(lp.port, lp.https);
                }
                prop_assert_eq!(
                    folded.keys().collect::<Vec<_>>(),
                    lbc.keys().collect::<Vec<_>>(),
                    "{}", raw
                );
                for (port, https) in folded {
                    prop_assert!(lbc[&port].contains(&https), "{} port {}", raw, port);
                }
            }
            (Err(_), Err(())) => {}
            (ours, lbc) => {
                return Err(TestCaseError::fail(format!("{raw}: ours {ours:?}, LBC {lbc:?}")));
            }
        }
    }

    /// Never panics, and agrees with LBC on acceptance, on arbitrary text.
    #[test]
    fn listen_ports_total(raw in prop_oneof![any::<String>(), re("[\\[\\]{}\":, 0-9A-Zaeps.+-]{0,40}")]) {
        prop_assert_eq!(parse_listen_ports(&raw).is_ok(), lbc_listen_ports(&raw).is_ok(), "{}", raw);
    }
}

#[test]
fn listen_ports_examples() {
    let lp = |https, port| ListenPort { https, port };
    let ok = [
        (
            r#"[{"HTTP": 80}, {"HTTPS": 443}]"#,
            vec![lp(false, 80), lp(true, 443)],
        ),
        // Several keys in one object: `map[string]int64` takes them all.
        (
            r#"[{"HTTP": 80, "HTTPS": 443}]"#,
            vec![lp(false, 80), lp(true, 443)],
        ),
        // A repeated key: the last value wins, as in Go's map.
        (r#"[{"HTTPS": 443, "HTTPS": 8443}]"#, vec![lp(true, 8443)]),
        // A repeated port: the last entry's protocol wins (`portAndProtocols[port] = …`).
        (
            r#"[{"HTTP": 8080}, {"HTTPS": 443}, {"HTTPS": 8080}]"#,
            vec![lp(true, 8080), lp(true, 443)],
        ),
        (" [ {\"HTTPS\" :\n443 } ] ", vec![lp(true, 443)]),
        (
            r#"[{"HTTPS": 1}, {"HTTP": 65535}]"#,
            vec![lp(true, 1), lp(false, 65535)],
        ),
        // `{}` and `null` entries decode to empty maps: no ports, no error.
        ("[{}]", vec![]),
        ("[null]", vec![]),
        (r#"[null, {"HTTPS": 443}]"#, vec![lp(true, 443)]),
    ];
    for (raw, want) in ok {
        assert_eq!(parse_listen_ports(raw), Ok(want), "{raw}");
        assert!(lbc_listen_ports(raw).is_ok(), "{raw}");
    }
    let errors = [
        "",
        "null",
        "[]",
        "{\"HTTPS\": 443}",
        "HTTPS:443",
        "443",
        r#"[{"HTTPS": 443}"#,
        r#"[{"HTTPS": 443}] x"#,
        r#"[{"https": 443}]"#,
        r#"[{"TLS": 443}]"#,
        r#"[{"HTTPS ": 443}]"#,
        r#"[{"HTTPS": 0}]"#,
        r#"[{"HTTPS": -443}]"#,
        r#"[{"HTTPS": 65536}]"#,
        r#"[{"HTTPS": 9223372036854775808}]"#,
        r#"[{"HTTPS": 443.0}]"#,
        r#"[{"HTTPS": 4.43e2}]"#,
        r#"[{"HTTPS": 0443}]"#,
        r#"[{"HTTPS": "443"}]"#,
        r#"[{"HTTPS": null}]"#,
        r#"[{"HTTPS": true}]"#,
        r#"[[{"HTTPS": 443}]]"#,
        r#"[443]"#,
        r#"["HTTPS"]"#,
    ];
    for raw in errors {
        assert!(parse_listen_ports(raw).is_err(), "{raw}");
        assert!(lbc_listen_ports(raw).is_err(), "model: {raw}");
    }
}

// ---------------------------------------------------------------------------------------------------
// inject-ca-from: cert-manager cainjector.

/// cainjector `splitNamespacedName`: split at the first `/`; without one the namespace is empty, which
/// `ReadCA` rejects ("needs a namespace/ prefix").
fn cainjector_split(s: &str) -> (&str, &str) {
    match s.find('/') {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => ("", s),
    }
}

/// A namespace: a DNS-1123 label.
fn dns_label() -> BoxedStrategy<String> {
    re("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
}

/// A Certificate or Secret name: a DNS-1123 subdomain.
fn dns_subdomain() -> BoxedStrategy<String> {
    re("[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?){0,4}")
}

fn namespaced_ish() -> BoxedStrategy<String> {
    prop_oneof![
        (dns_label(), dns_subdomain()).prop_map(|(ns, name)| format!("{ns}/{name}")),
        re("[a-zA-Z0-9./ _${}()-]{0,16}"),
        any::<String>(),
    ]
    .boxed()
}

fn annotation(key: &'static str, value: &str) -> Annotation {
    Annotation {
        key,
        value: value.to_string(),
        target: split_namespaced(value),
    }
}

proptest! {
    #![proptest_config(config())]

    /// Every `<namespace>/<name>` of a valid namespace and object name parses to exactly the pair
    /// cainjector looks up.
    #[test]
    fn valid_namespaced_names_parse(ns in dns_label(), name in dns_subdomain()) {
        let value = format!("{ns}/{name}");
        prop_assert_eq!(cainjector_split(&value), (ns.as_str(), name.as_str()));
        prop_assert_eq!(split_namespaced(&value), Some((ns, name)));
    }

    /// What `split_namespaced` accepts, cainjector reads as the same namespace and name; what
    /// cainjector rejects (no `/`, leading `/`) or cannot find (empty name, a `/` in the name: no object
    /// has one) is rejected. Never panics.
    #[test]
    fn namespaced_values_follow_cainjector(value in namespaced_ish()) {
        let (ns, name) = cainjector_split(&value);
        if let Some((a, b)) = split_namespaced(&value) {
            prop_assert_eq!((a.as_str(), b.as_str()), (ns, name));
            prop_assert!(!ns.is_empty() && !name.is_empty() && !name.contains('/'));
        }
        if ns.is_empty() || name.is_empty() || name.contains('/') {
            prop_assert_eq!(split_namespaced(&value), None);
        }
    }

    /// The CA source is the first present of inject-ca-from-secret, inject-ca-from, then
    /// inject-apiserver-ca when exactly `"true"` (cainjector `caDataSourceFor`, sources in `setup.go`
    /// order), for values cainjector accepts. (`Injection::source` skips an invalid secret or
    /// certificate value and uses the next source; cainjector stops at it and injects nothing.)
    #[test]
    fn ca_source_precedence(
        secret in prop::option::of((dns_label(), dns_subdomain())),
        certificate in prop::option::of((dns_label(), dns_subdomain())),
        apiserver in prop::option::of(prop::sample::select(vec!["true", "True", "false", "", "yes", " true"])),
    ) {
        let injection = Injection {
            from_secret: secret.as_ref().map(|(ns, n)| annotation(INJECT_CA_FROM_SECRET, &format!("{ns}/{n}"))),
            from_certificate: certificate
                .as_ref()
                .map(|(ns, n)| annotation(INJECT_CA_FROM, &format!("{ns}/{n}"))),
            apiserver: apiserver.map(|v| annotation(INJECT_APISERVER_CA, v)),
            legacy: None,
        };
        let want = match (secret, certificate, apiserver) {
            (Some((ns, n)), _, _) => CaSource::Secret(ns, n),
            (None, Some((ns, n)), _) => CaSource::Certificate(ns, n),
            (None, None, Some("true")) => CaSource::ApiServer,
            _ => CaSource::None,
        };
        prop_assert_eq!(injection.source(), want);
    }

    /// cainjector picks the source by which annotation is present, then reads its value: an
    /// invalid value injects nothing, it does not fall through to the next source
    /// (cert-manager `sources.go`: `Configured` checks the key only; `ReadCA` rejects the value).
    #[test]
    fn ca_source_follows_key_presence(
        secret in prop::option::of(prop_oneof![
            (dns_label(), dns_subdomain()).prop_map(|(ns, n)| format!("{ns}/{n}")),
            prop::sample::select(vec!["", "no-slash", "/name", "ns/", "a/b/c"]).prop_map(String::from),
        ]),
        certificate in prop::option::of(prop_oneof![
            (dns_label(), dns_subdomain()).prop_map(|(ns, n)| format!("{ns}/{n}")),
            prop::sample::select(vec!["", "cert", "ns//c"]).prop_map(String::from),
        ]),
        apiserver in prop::option::of(prop::sample::select(vec!["true", "false", ""])),
    ) {
        let injection = Injection {
            from_secret: secret.as_deref().map(|v| annotation(INJECT_CA_FROM_SECRET, v)),
            from_certificate: certificate.as_deref().map(|v| annotation(INJECT_CA_FROM, v)),
            apiserver: apiserver.map(|v| annotation(INJECT_APISERVER_CA, v)),
            legacy: None,
        };
        let target = |v: &str| split_namespaced(v);
        let want = match (&secret, &certificate, apiserver) {
            (Some(v), _, _) => target(v).map_or(CaSource::None, |(ns, n)| CaSource::Secret(ns, n)),
            (None, Some(v), _) => {
                target(v).map_or(CaSource::None, |(ns, n)| CaSource::Certificate(ns, n))
            }
            (None, None, Some("true")) => CaSource::ApiServer,
            _ => CaSource::None,
        };
        prop_assert_eq!(injection.source(), want);
    }
}

#[test]
fn namespaced_examples() {
    let some = |ns: &str, n: &str| Some((ns.to_string(), n.to_string()));
    assert_eq!(
        split_namespaced("cert-manager/cert-manager-webhook-ca"),
        some("cert-manager", "cert-manager-webhook-ca")
    );
    assert_eq!(split_namespaced("a/b.c"), some("a", "b.c"));
    for value in [
        "",
        "/",
        "serving-cert",
        "/serving-cert",
        "ns/",
        "ns//name",
        "a/b/c",
        " ns/name",
        "ns/name ",
        "NS/name",
        "ns/Name",
        "-ns/name",
        "ns/name-",
        "ns.x/name",
        "$(NS)/$(NAME)",
        "{{ .Release.Namespace }}/cert",
    ] {
        assert_eq!(split_namespaced(value), None, "{value:?}");
    }
}

// ---------------------------------------------------------------------------------------------------
// ELB security policies (RULES.md §1.3) and TLS versions.

const VERSIONS: [&str; 4] = ["1.0", "1.1", "1.2", "1.3"];

/// The §1.3 name derivation: `TLS13-1-(\d)` → 1.$1–1.3, `TLS-1-(\d)-` / `FS-1-(\d)-` → 1.$1–1.2.
fn derived_from_name(name: &str) -> Option<(String, &'static str)> {
    let rest = name.strip_prefix("ELBSecurityPolicy-")?;
    // The patterns' digit, where it names a TLS version (1.0–1.3) not above the maximum.
    let digit = |s: &str, dash: bool, max: u32| {
        let mut c = s.chars();
        let d = c
            .next()
            .and_then(|d| d.to_digit(10))
            .filter(|&d| d <= max)?;
        (!dash || c.next() == Some('-')).then(|| format!("1.{d}"))
    };
    if let Some(min) = rest
        .strip_prefix("TLS13-1-")
        .and_then(|s| digit(s, false, 3))
    {
        return Some((min, "1.3"));
    }
    for prefix in ["TLS-1-", "FS-1-"] {
        if let Some(min) = rest.strip_prefix(prefix).and_then(|s| digit(s, true, 2)) {
            return Some((min, "1.2"));
        }
    }
    None
}

#[test]
fn every_table_policy_resolves() {
    let table = ssl_policies();
    assert!(table.len() >= 40);
    for p in table {
        let (found, known) = ssl_policy(&p.name).expect("table policy resolves");
        assert!(known, "{}", p.name);
        assert_eq!(
            (
                &found.name,
                &found.min_tls,
                &found.max_tls,
                &found.load_balancers
            ),
            (&p.name, &p.min_tls, &p.max_tls, &p.load_balancers)
        );
        assert!(VERSIONS.contains(&p.min_tls.as_str()) && VERSIONS.contains(&p.max_tls.as_str()));
        assert!(!tls_less(&p.max_tls, &p.min_tls), "{}: min > max", p.name);
        assert!(!p.load_balancers.is_empty());
        for lb in &p.load_balancers {
            assert!(["alb", "nlb", "clb"].contains(&lb.as_str()), "{}", p.name);
        }
        // CLB never supports TLS 1.3 policies.
        if p.load_balancers.iter().any(|lb| lb == "clb") {
            assert_eq!(p.max_tls, "1.2", "{}", p.name);
        }
        // Where the name follows a derivation pattern, the table says the same.
        if let Some((min, max)) = derived_from_name(&p.name) {
            assert_eq!(
                (p.min_tls.as_str(), p.max_tls.as_str()),
                (min.as_str(), max),
                "{}",
                p.name
            );
        }
    }
    assert_eq!(ssl_policy("MyCustomPolicy").map(|(p, _)| p.name), None);
    assert_eq!(ssl_policy("").map(|(p, _)| p.name), None);
    // No TLS 1.5, and no TLS 1.3 minimum under a TLS 1.2 maximum.
    assert_eq!(
        ssl_policy("ELBSecurityPolicy-TLS13-1-5-2030-01").map(|(p, _)| p.name),
        None
    );
    assert_eq!(
        ssl_policy("ELBSecurityPolicy-TLS-1-3-2030-01").map(|(p, _)| p.name),
        None
    );
    assert_eq!(
        ssl_policy("ELBSecurityPolicy-FS-1-2x").map(|(p, _)| p.name),
        None
    );
    let (p, known) = ssl_policy("ELBSecurityPolicy-TLS13-1-2-Future-2030-01").unwrap();
    assert_eq!(
        (p.min_tls.as_str(), p.max_tls.as_str(), known),
        ("1.2", "1.3", false)
    );
}

proptest! {
    #![proptest_config(config())]

    /// A name outside the table that follows a derivation pattern gets its versions from the name,
    /// marked unknown; others are unknown.
    #[test]
    fn policy_names_derive(
        name in prop_oneof![
            re("ELBSecurityPolicy-TLS13-1-[0-3]-[A-Za-z0-9]{1,8}(-20[0-9]{2}-[0-9]{2})?"),
            re("ELBSecurityPolicy-(TLS|FS)-1-[0-2]-[A-Za-z0-9]{1,8}(-20[0-9]{2}-[0-9]{2})?"),
            // Versions that do not exist or exceed the maximum, and a missing dash.
            re("ELBSecurityPolicy-(TLS13|TLS|FS)-1-[0-9][-A-Za-z0-9]{0,8}"),
            re("ELBSecurityPolicy-[a-z0-9-]{0,20}"),
            re("[A-Za-z0-9-]{0,30}"),
        ]
    ) {
        prop_assume!(!ssl_policies().iter().any(|p| p.name == name));
        let got = ssl_policy(&name);
        match derived_from_name(&name) {
            Some((min, max)) => {
                let (p, known) = got.expect("derived");
                prop_assert!(!known);
                prop_assert_eq!((p.min_tls.as_str(), p.max_tls.as_str()), (min.as_str(), max));
                prop_assert!(!tls_less(&p.max_tls, &p.min_tls));
                prop_assert_eq!(p.load_balancers, vec!["alb".to_string(), "nlb".to_string()]);
            }
            None => prop_assert!(got.is_none(), "{:?}", name),
        }
    }

    /// `tls_less` is a strict order on any strings: irreflexive, asymmetric, transitive.
    #[test]
    fn tls_less_is_a_strict_order(
        v in prop::collection::vec(
            prop_oneof![prop::sample::select(VERSIONS.to_vec()).prop_map(str::to_string), re("[0-9.]{0,5}"), any::<String>()],
            3,
        )
    ) {
        let (a, b, c) = (&v[0], &v[1], &v[2]);
        prop_assert!(!tls_less(a, a));
        prop_assert!(!(tls_less(a, b) && tls_less(b, a)));
        if tls_less(a, b) && tls_less(b, c) {
            prop_assert!(tls_less(a, c));
        }
    }
}

#[test]
fn tls_less_orders_the_known_versions() {
    for (i, a) in VERSIONS.iter().enumerate() {
        for (j, b) in VERSIONS.iter().enumerate() {
            assert_eq!(tls_less(a, b), i < j, "{a} < {b}");
        }
    }
}
