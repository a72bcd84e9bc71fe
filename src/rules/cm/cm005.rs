//! CM005 certificate-private-key-invalid: private key settings cert-manager rejects, an issuer
//! cannot sign, or that never rotate the key.
//!
//! Read from `Certificate.spec.{privateKey.{algorithm,size,encoding,rotationPolicy},
//! signatureAlgorithm, issuerRef.group}` and from the ingress-shim annotations
//! `cert-manager.io/private-key-{algorithm,size,encoding,rotation-policy}` (plus
//! `cert-manager.io/issuer-group`) on shim-annotated Ingresses/Gateways (see CM003). Conditions, from
//! CM-CODE `validation/certificate.go` (`ValidateCertificateSpec`, `keyAlgToAllowedSigAlgs`), the
//! CRD enums in `types_certificate.go`, and the shim's `translateAnnotations` (`helper.go`):
//!
//! * `algorithm` not `RSA`/`ECDSA`/`Ed25519` (case-sensitive) → error.
//! * RSA (also the default when `algorithm` is empty) with `size` set outside 2048..=8192, or
//!   ECDSA with `size` not 256/384/521 → error; `size` that is not an integer → error. Ed25519
//!   ignores `size`.
//! * `signatureAlgorithm` not allowed for the key algorithm (RSA: `SHA256WithRSA`/`SHA384WithRSA`/
//!   `SHA512WithRSA`; ECDSA: `ECDSAWithSHA256`/`…384`/`…512`; Ed25519: `PureEd25519`) → error.
//! * `encoding` not `PKCS1`/`PKCS8` → error; `rotationPolicy` not `Never`/`Always` → error.
//! * `rotationPolicy: Never` → warning: the key is never rotated (the default became `Always` in
//!   cert-manager 1.18).
//! * `Ed25519` with `issuerRef.group: awspca.cert-manager.io` (shim: `issuer-group`) → error: AWS
//!   Private CA signs RSA and ECDSA keys only.
//! * On a shim annotation, an invalid algorithm/encoding/size/rotation policy makes cert-manager fail
//!   to build the Certificates of the object ("invalid ingress annotation"); the shim checks
//!   `private-key-size` against the annotated algorithm (default RSA), so `"0"` is an error there.
//!
//! Not flagged: RSA 2048 (cert-manager's default and accepted everywhere); Ed25519 on certificates
//! later imported into ACM/ALB (not detectable from manifests). Fixes never suggest RSA for Linkerd
//! identity certificates (Secret `linkerd-identity-issuer` / `linkerd-trust-anchor`), which must be
//! ECDSA P-256 (EW006). Values that are unrendered templates (`{{`, `$(`, `${`) are skipped.

use super::cm003::{SHIM_KINDS, ShimKind, annotation_ptr, is_unrendered, shim_targets};
use crate::load::Node;
use crate::model::{Inventory, ObjId, Settings};
use crate::rules::{BuiltinRule, Finding, KindSet, Severity};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "CM005",
    kinds,
    check,
};

const ID: &str = "CM005";

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![&[("cert-manager.io", "Certificate")], SHIM_KINDS]
}

const AWSPCA_GROUP: &str = "awspca.cert-manager.io";
const ALGORITHMS: [&str; 3] = ["RSA", "ECDSA", "Ed25519"];
const SIGNATURE_ALGORITHMS: [(&str, &[&str]); 3] = [
    ("RSA", &["SHA256WithRSA", "SHA384WithRSA", "SHA512WithRSA"]),
    (
        "ECDSA",
        &["ECDSAWithSHA256", "ECDSAWithSHA384", "ECDSAWithSHA512"],
    ),
    ("Ed25519", &["PureEd25519"]),
];

const ALGORITHM_ANN: &str = "cert-manager.io/private-key-algorithm";
const SIZE_ANN: &str = "cert-manager.io/private-key-size";
const ENCODING_ANN: &str = "cert-manager.io/private-key-encoding";
const ROTATION_ANN: &str = "cert-manager.io/private-key-rotation-policy";
const ISSUER_GROUP_ANN: &str = "cert-manager.io/issuer-group";

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    for &id in inv.of_kind("cert-manager.io", "Certificate") {
        check_certificate(inv, id, out);
    }
    for (id, kind) in shim_targets(inv) {
        check_shim(inv, id, kind, out);
    }
}

/// Fields read from one source (Certificate spec or shim annotations).
struct Key<'a> {
    id: ObjId,
    /// JSON pointers of the fields.
    ptr: [String; 4],
    /// Names of the fields as written (for messages).
    name: [&'static str; 4],
    /// Raw texts: algorithm, size, encoding, rotation policy.
    value: [Option<&'a str>; 4],
    /// Whether `size` was written as an integer (CRD type integer); `None` for annotations.
    size_is_int: Option<bool>,
    /// Linkerd identity certificate: never suggest RSA.
    linkerd: bool,
    consequence: String,
}

const ALG: usize = 0;
const SIZE: usize = 1;
const ENC: usize = 2;
const ROT: usize = 3;

fn linkerd_identity(secret: &str) -> bool {
    secret == "linkerd-identity-issuer" || secret == "linkerd-trust-anchor"
}

fn check_certificate(inv: &Inventory, id: ObjId, out: &mut Vec<Finding>) {
    let obj = inv.get(id);
    let Some(spec) = obj.spec() else {
        return;
    };
    let pk = spec.get("privateKey");
    let field = |k: &str| pk.and_then(|p| p.get(k)).filter(|n| !n.is_null());
    let secret = spec
        .get("secretName")
        .and_then(Node::scalar_text)
        .unwrap_or("");
    let size_node = field("size");
    let key = Key {
        id,
        ptr: [
            "/spec/privateKey/algorithm".into(),
            "/spec/privateKey/size".into(),
            "/spec/privateKey/encoding".into(),
            "/spec/privateKey/rotationPolicy".into(),
        ],
        name: [
            "privateKey.algorithm",
            "privateKey.size",
            "privateKey.encoding",
            "privateKey.rotationPolicy",
        ],
        value: [
            field("algorithm").and_then(Node::scalar_text),
            size_node.and_then(Node::scalar_text),
            field("encoding").and_then(Node::scalar_text),
            field("rotationPolicy").and_then(Node::scalar_text),
        ],
        size_is_int: size_node.map(|n| n.as_i64().is_some()),
        linkerd: linkerd_identity(secret),
        consequence: ", so cert-manager's webhook rejects the Certificate and it is never issued"
            .into(),
    };
    let algorithm = check_key(&key, out);
    let group = spec
        .path(&["issuerRef", "group"])
        .and_then(Node::scalar_text)
        .unwrap_or("");
    check_awspca_ed25519(&key, algorithm, group, "/spec/issuerRef/group", out);
    // signatureAlgorithm: only with a valid (or default) key algorithm.
    if let (Some(alg), Some(sig_node)) = (algorithm, spec.get("signatureAlgorithm"))
        && let Some(sig) = sig_node.scalar_text()
        && !sig.is_empty()
        && !is_unrendered(sig)
    {
        let allowed = SIGNATURE_ALGORITHMS
            .iter()
            .find(|(a, _)| *a == alg)
            .map_or(&[][..], |(_, s)| s);
        if !allowed.contains(&sig) {
            let family = SIGNATURE_ALGORITHMS
                .iter()
                .find(|(_, s)| s.contains(&sig))
                .map(|(a, _)| *a);
            let why = match family {
                Some(f) => format!("`{sig}` signs with {f} keys, but the key is {alg}"),
                None => format!("`{sig}` is not a signature algorithm cert-manager knows"),
            };
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    id,
                    "/spec/signatureAlgorithm",
                    format!(
                        "{why} (\"for key algorithm {alg} the allowed signature algorithms are [{}]\"){}",
                        allowed.join(" "),
                        key.consequence
                    ),
                )
                .help(format!(
                    "Use one of {} or remove `signatureAlgorithm` (cert-manager then picks one for the key).",
                    allowed.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
                )),
            );
        }
    }
}

fn check_shim(inv: &Inventory, id: ObjId, kind: ShimKind, out: &mut Vec<Finding>) {
    let obj = inv.get(id);
    let what = match kind {
        ShimKind::Ingress => "Ingress",
        ShimKind::Gateway => "Gateway",
    };
    let ann = |key: &str| {
        obj.annotations()
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.value.scalar_text().unwrap_or(""))
    };
    let key = Key {
        id,
        ptr: [
            annotation_ptr(ALGORITHM_ANN),
            annotation_ptr(SIZE_ANN),
            annotation_ptr(ENCODING_ANN),
            annotation_ptr(ROTATION_ANN),
        ],
        name: [ALGORITHM_ANN, SIZE_ANN, ENCODING_ANN, ROTATION_ANN],
        value: [
            ann(ALGORITHM_ANN),
            ann(SIZE_ANN),
            ann(ENCODING_ANN),
            ann(ROTATION_ANN),
        ],
        size_is_int: None,
        linkerd: false,
        consequence: format!(
            "; cert-manager fails to build the Certificates for this {what} (\"invalid ingress annotation\") and retries without ever issuing them"
        ),
    };
    let algorithm = check_key(&key, out);
    let group = ann(ISSUER_GROUP_ANN).unwrap_or("");
    check_awspca_ed25519(
        &key,
        algorithm,
        group,
        &annotation_ptr(ISSUER_GROUP_ANN),
        out,
    );
}

/// Validate algorithm, size, encoding and rotation policy; returns the effective algorithm when it
/// is known and valid.
fn check_key(key: &Key, out: &mut Vec<Finding>) -> Option<&'static str> {
    let id = key.id;
    let consequence = key.consequence.as_str();
    let annotation = key.size_is_int.is_none();
    // Algorithm (empty ⇒ RSA, for the Certificate field; the annotation must name one).
    let algorithm: Option<&'static str> = match key.value[ALG] {
        None => Some("RSA"),
        Some("") if !annotation => Some("RSA"),
        Some(a) if is_unrendered(a) => None,
        Some(a) => match ALGORITHMS.iter().find(|x| **x == a) {
            Some(x) => Some(x),
            None => {
                let hint = ALGORITHMS
                    .iter()
                    .find(|x| x.eq_ignore_ascii_case(a))
                    .map(|x| format!(" (values are case-sensitive: write `{x}`)"))
                    .unwrap_or_default();
                out.push(
                    Finding::new(
                        ID,
                        Severity::Error,
                        id,
                        key.ptr[ALG].clone(),
                        format!(
                            "`{}: {a}` is not a private key algorithm{hint}: allowed are `RSA`, `ECDSA`, `Ed25519`{consequence}",
                            key.name[ALG]
                        ),
                    )
                    .help(if key.linkerd {
                        "Use `ECDSA` (Linkerd requires ECDSA P-256 for its identity certificates).".to_string()
                    } else {
                        "Use `RSA`, `ECDSA` or `Ed25519` (exact case).".to_string()
                    }),
                );
                None
            }
        },
    };
    // Size.
    if let Some(size_text) = key.value[SIZE].filter(|s| !is_unrendered(s)) {
        check_size(key, algorithm, size_text, out);
    }
    // Encoding.
    if let Some(enc) = key.value[ENC].filter(|e| !is_unrendered(e))
        && (annotation || !enc.is_empty())
        && enc != "PKCS1"
        && enc != "PKCS8"
    {
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                id,
                key.ptr[ENC].clone(),
                format!(
                    "`{}: {enc}` is not a private key encoding: allowed are `PKCS1` and `PKCS8`{consequence}",
                    key.name[ENC]
                ),
            )
            .help("Use `PKCS1` (the default) or `PKCS8`."),
        );
    }
    // Rotation policy.
    if let Some(rot) = key.value[ROT].filter(|r| !is_unrendered(r)) {
        match rot {
            "Always" => {}
            "" if !annotation => {}
            "Never" => out.push(
                Finding::new(
                    ID,
                    Severity::Warning,
                    id,
                    key.ptr[ROT].clone(),
                    format!(
                        "`{}: Never` keeps the same private key across every renewal, so a leaked key stays valid for every future certificate (cert-manager's default is `Always` since 1.18)",
                        key.name[ROT]
                    ),
                )
                .help("Use `Always` (or remove the setting) unless clients pin this public key."),
            ),
            other => out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    id,
                    key.ptr[ROT].clone(),
                    format!(
                        "`{}: {other}` is not a rotation policy: allowed are `Always` and `Never`{consequence}",
                        key.name[ROT]
                    ),
                )
                .help("Use `Always`."),
            ),
        }
    }
    algorithm
}

fn check_size(key: &Key, algorithm: Option<&'static str>, text: &str, out: &mut Vec<Finding>) {
    let id = key.id;
    let consequence = key.consequence.as_str();
    let name = key.name[SIZE];
    let parsed: Option<i64> = match key.size_is_int {
        Some(false) => None,
        Some(true) => text.parse().ok(),
        // The shim uses Go `strconv.Atoi`: an optional sign and decimal digits.
        None => text.parse::<i64>().ok(),
    };
    let Some(size) = parsed else {
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                id,
                key.ptr[SIZE].clone(),
                format!("`{name}: {text}` is not an integer{consequence}"),
            )
            .help("Write the key size in bits as a number, e.g. `256` for ECDSA."),
        );
        return;
    };
    let Some(alg) = algorithm else {
        return; // Invalid or unknown algorithm: already reported or unreadable.
    };
    let annotation = key.size_is_int.is_none();
    let bad = match alg {
        // The webhook only checks sizes > 0; the shim checks every value (so 0 fails there), and a
        // negative size fails key generation.
        "RSA" => (size != 0 || annotation) && !(2048..=8192).contains(&size),
        "ECDSA" => (size != 0 || annotation) && ![256, 384, 521].contains(&size),
        _ => false, // Ed25519 ignores the size.
    };
    if !bad {
        return;
    }
    let (allowed, help) = match (alg, key.linkerd) {
        ("RSA", true) => (
            "between 2048 and 8192 bits for RSA",
            "Linkerd requires ECDSA P-256 for its identity certificates: use `algorithm: ECDSA` with `size: 256`.",
        ),
        ("RSA", false) => (
            "between 2048 and 8192 bits for RSA",
            "Use 2048 (the default), 3072 or 4096 for RSA, or switch to ECDSA.",
        ),
        _ => (
            "256, 384 or 521 for ECDSA",
            "Use 256 (P-256, the default), 384 or 521.",
        ),
    };
    let defaulted = if key.value[ALG].is_none_or(str::is_empty) {
        " (the algorithm defaults to RSA)"
    } else {
        ""
    };
    out.push(
        Finding::new(
            ID,
            Severity::Error,
            id,
            key.ptr[SIZE].clone(),
            format!("`{name}: {size}` is not a valid {alg} key size{defaulted}: it must be {allowed}{consequence}"),
        )
        .help(help),
    );
}

fn check_awspca_ed25519(
    key: &Key,
    algorithm: Option<&'static str>,
    group: &str,
    group_ptr: &str,
    out: &mut Vec<Finding>,
) {
    if algorithm != Some("Ed25519") || group != AWSPCA_GROUP {
        return;
    }
    out.push(
        Finding::new(
            ID,
            Severity::Error,
            key.id,
            key.ptr[ALG].clone(),
            format!(
                "`{}: Ed25519` cannot be signed by an AWS Private CA issuer (issuer group `{AWSPCA_GROUP}` at `{group_ptr}`): AWS Private CA issues certificates for RSA and ECDSA keys only, so every CertificateRequest fails",
                key.name[ALG]
            ),
        )
        .help("Use `ECDSA` (size 256 or 384) for certificates issued by AWS Private CA."),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::run_check;

    fn cert(spec: &str) -> Vec<Finding> {
        run_check(
            check,
            &format!(
                "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: c\n  namespace: n\nspec:\n  secretName: s\n  dnsNames: [a.example.com]\n{spec}"
            ),
            Settings::default(),
        )
    }

    #[test]
    fn valid_keys() {
        for spec in [
            "  issuerRef: {name: i}\n",
            "  issuerRef: {name: i}\n  privateKey: {algorithm: RSA, size: 2048}\n",
            "  issuerRef: {name: i}\n  privateKey: {algorithm: RSA, size: 3072}\n",
            "  issuerRef: {name: i}\n  privateKey: {size: 4096}\n",
            "  issuerRef: {name: i}\n  privateKey: {algorithm: ECDSA, size: 384}\n  signatureAlgorithm: ECDSAWithSHA384\n",
            "  issuerRef: {name: i}\n  privateKey: {algorithm: Ed25519, size: 1}\n  signatureAlgorithm: PureEd25519\n",
            "  issuerRef: {name: i}\n  privateKey: {encoding: PKCS8, rotationPolicy: Always}\n",
            "  issuerRef: {name: i, group: awspca.cert-manager.io, kind: AWSPCAClusterIssuer}\n  privateKey: {algorithm: ECDSA}\n",
            "  issuerRef: {name: i}\n  signatureAlgorithm: SHA512WithRSA\n",
        ] {
            let f = cert(spec);
            assert!(f.is_empty(), "{spec}: {f:?}");
        }
    }

    #[test]
    fn invalid_keys() {
        for (spec, needle) in [
            (
                "  issuerRef: {name: i}\n  privateKey: {algorithm: rsa}\n",
                "write `RSA`",
            ),
            (
                "  issuerRef: {name: i}\n  privateKey: {algorithm: RSA, size: 1024}\n",
                "between 2048 and 8192",
            ),
            (
                "  issuerRef: {name: i}\n  privateKey: {size: 16384}\n",
                "defaults to RSA",
            ),
            (
                "  issuerRef: {name: i}\n  privateKey: {algorithm: ECDSA, size: 2048}\n",
                "256, 384 or 521",
            ),
            (
                "  issuerRef: {name: i}\n  privateKey: {algorithm: ECDSA, size: \"256\"}\n",
                "not an integer",
            ),
            (
                "  issuerRef: {name: i}\n  privateKey: {algorithm: ECDSA}\n  signatureAlgorithm: SHA256WithRSA\n",
                "signs with RSA keys",
            ),
            (
                "  issuerRef: {name: i}\n  signatureAlgorithm: SHA1WithRSA\n",
                "not a signature algorithm",
            ),
            (
                "  issuerRef: {name: i}\n  privateKey: {encoding: PEM}\n",
                "not a private key encoding",
            ),
            (
                "  issuerRef: {name: i}\n  privateKey: {rotationPolicy: Sometimes}\n",
                "not a rotation policy",
            ),
            (
                "  issuerRef: {name: i}\n  privateKey: {rotationPolicy: Never}\n",
                "keeps the same private key",
            ),
            (
                "  issuerRef: {name: i, group: awspca.cert-manager.io, kind: AWSPCAIssuer}\n  privateKey: {algorithm: Ed25519}\n",
                "RSA and ECDSA keys only",
            ),
        ] {
            let f = cert(spec);
            assert!(
                f.iter().any(|f| f.message.contains(needle)),
                "{spec}: {needle} not in {f:#?}"
            );
        }
    }

    #[test]
    fn linkerd_help_never_suggests_rsa() {
        let f = run_check(
            check,
            "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: linkerd-identity-issuer, namespace: linkerd}\nspec:\n  secretName: linkerd-identity-issuer\n  issuerRef: {name: linkerd-trust-anchor, kind: ClusterIssuer}\n  isCA: true\n  commonName: identity.linkerd.cluster.local\n  privateKey: {algorithm: RSA, size: 1024}\n",
            Settings::default(),
        );
        assert_eq!(f.len(), 1, "{f:?}");
        let help = f[0].help.as_deref().unwrap();
        assert!(
            help.contains("ECDSA P-256") && !help.contains("3072"),
            "{help}"
        );
    }

    #[test]
    fn shim_size_zero_is_an_error() {
        let f = run_check(
            check,
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: a\n  annotations:\n    cert-manager.io/cluster-issuer: ca\n    cert-manager.io/private-key-size: \"0\"\nspec: {}\n",
            Settings::default(),
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].message.contains("invalid ingress annotation"));
    }
}
