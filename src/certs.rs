//! Certificates embedded in manifests (literal `caBundle` values, `kubernetes.io/tls` Secrets) and,
//! later, read from a live cluster (caBundle bytes from the API).
//!
//! Independent of the YAML model: the inputs are strings or bytes, the outputs plain data.
//!
//! * [`read_value`] turns a manifest value into [`Content`]: a `caBundle` or Secret `data` value is
//!   base64 of PEM ([`Encoding::Base64`], whitespace and line breaks tolerated); a Secret `stringData`
//!   value is PEM text ([`Encoding::Pem`]). Placeholders (empty, whitespace, `Cg==` = base64 of
//!   `"\n"`, the kubebuilder-era placeholder) are [`Content::Empty`]: "no caBundle" (RULES.md §5 WH002).
//! * [`parse_bundle`] reads a PEM bundle the way Go's `x509.CertPool.AppendCertsFromPEM` does (which
//!   is what kube-apiserver and client-go use for `caBundle`/`CAData`): only `CERTIFICATE` blocks count,
//!   text between blocks is ignored, blocks with headers or undecodable bodies are skipped. Other blocks
//!   (private keys!) are counted by label only: their contents are never decoded, kept or returned.
//! * [`Cert`] holds what rules need from one certificate (subject, issuer, validity, CA flag, SANs,
//!   extended key usages, key algorithm) and checks signatures ([`Cert::verifies_with`],
//!   [`verify_chain`] — "does this chain verify against ANY certificate of the bundle", RULES §9.13).
//!
//! Nothing here formats certificate or key bytes: `Debug` of [`Cert`] omits the DER, and no error
//! carries input text.

use std::fmt;
use std::net::IpAddr;
use std::sync::LazyLock;

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;

/// How a manifest value encodes its PEM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// Base64 of PEM: `caBundle` (a `[]byte` field) and Secret `data` values.
    Base64,
    /// PEM text: Secret `stringData` values.
    Pem,
}

/// What a manifest value holds.
#[derive(Debug)]
pub enum Content {
    /// Empty, whitespace only, or base64 of whitespace only (`Cg==`): no certificate material at all.
    Empty,
    /// Not valid base64 (only for [`Encoding::Base64`]); the API server rejects such a `[]byte`
    /// field. `pem_text` is set when the value is PEM text that was not base64-encoded.
    NotBase64 {
        /// The value looks like PEM (`-----BEGIN `) written without base64 encoding.
        pem_text: bool,
    },
    /// The decoded bytes, read as a PEM bundle (which may still hold no certificate: see
    /// [`Bundle::problem`]).
    Bundle(Bundle),
}

/// Lenient standard base64: padding required (as Go's `base64.StdEncoding`), whitespace and line
/// breaks ignored, non-zero trailing bits accepted (Go's non-strict mode).
static BASE64: LazyLock<data_encoding::Encoding> = LazyLock::new(|| {
    let mut spec = data_encoding::Specification::new();
    spec.symbols
        .push_str("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
    spec.padding = Some('=');
    spec.ignore.push_str(" \t\r\n");
    spec.check_trailing_bits = false;
    spec.encoding().expect("valid base64 specification")
});

/// Decode standard base64, ignoring whitespace and line breaks. `None` when the text is not base64.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    BASE64.decode(text.as_bytes()).ok()
}

/// Whether a base64 manifest value (`caBundle`, Secret `data`) is a placeholder meaning "no
/// caBundle": empty, whitespace only, or base64 of whitespace only (`Cg==` is `"\n"`, written by
/// kubebuilder-era scaffolding and overwritten by cainjector).
pub fn is_placeholder(text: &str) -> bool {
    text.trim().is_empty()
        || decode_base64(text).is_some_and(|b| b.iter().all(u8::is_ascii_whitespace))
}

/// Read a manifest value: decode it as `encoding` says and parse the PEM bundle inside.
pub fn read_value(text: &str, encoding: Encoding) -> Content {
    if text.trim().is_empty() {
        return Content::Empty;
    }
    let bytes = match encoding {
        Encoding::Pem => text.as_bytes().to_vec(),
        Encoding::Base64 => match decode_base64(text) {
            Some(b) => b,
            None => {
                return Content::NotBase64 {
                    pem_text: text.trim_start().starts_with("-----BEGIN "),
                };
            }
        },
    };
    read_bytes(&bytes)
}

/// Read raw bytes (a caBundle from the API, a decoded Secret value) as a PEM bundle; whitespace-only
/// bytes are [`Content::Empty`].
pub fn read_bytes(bytes: &[u8]) -> Content {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Content::Empty;
    }
    Content::Bundle(parse_bundle(bytes))
}

/// The result of reading a PEM bundle.
#[derive(Debug, Default)]
pub struct Bundle {
    /// Parsed certificates, in bundle order.
    pub certs: Vec<Cert>,
    /// `CERTIFICATE` blocks that could not be used: unterminated, mismatched `END` label, PEM
    /// headers, invalid base64 body, or DER that is not an X.509 certificate.
    pub failed: usize,
    /// PEM blocks of any label (including failed and non-certificate ones).
    pub pem_blocks: usize,
    /// Labels of non-`CERTIFICATE` blocks (e.g. `PRIVATE KEY`), in order. Their contents are skipped
    /// unread.
    pub other_labels: Vec<String>,
    /// The input holds no PEM block but is itself one DER certificate (PEM was expected).
    pub raw_der: bool,
    /// Length of the input in bytes.
    pub len: usize,
    /// The input is UTF-8 text (not binary).
    pub text: bool,
}

impl Bundle {
    /// Whether the input holds at least one PEM block (of any label).
    pub fn is_pem(&self) -> bool {
        self.pem_blocks > 0
    }

    /// Whether a non-certificate block is a private key (`PRIVATE KEY`, `RSA PRIVATE KEY`,
    /// `EC PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`, …).
    pub fn has_private_key(&self) -> bool {
        self.other_labels.iter().any(|l| l.contains("PRIVATE KEY"))
    }

    /// Why no certificate could be read, as a short phrase for messages ("is not a PEM certificate
    /// bundle", "has 2 certificate blocks that could not be parsed", …); `None` when at least one
    /// certificate was parsed. Never quotes the input.
    pub fn problem(&self) -> Option<String> {
        if !self.certs.is_empty() {
            return None;
        }
        Some(if self.raw_der {
            "is a DER certificate, not PEM (`-----BEGIN CERTIFICATE-----` … text is expected)"
                .to_string()
        } else if !self.is_pem() {
            format!(
                "is not a PEM certificate bundle ({} bytes of {} without any `-----BEGIN CERTIFICATE-----` block)",
                self.len,
                if self.text { "text" } else { "binary data" }
            )
        } else if self.failed > 0 {
            format!(
                "has {} certificate block{} that could not be parsed and no usable certificate",
                self.failed,
                plural(self.failed)
            )
        } else {
            format!(
                "holds no CERTIFICATE block (only {})",
                self.other_labels
                    .iter()
                    .map(|l| format!("`{l}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
    }

    /// Indices of the bundle certificates whose key verifies `cert`'s signature (or that are `cert`
    /// itself).
    pub fn signers_of(&self, cert: &Cert) -> Vec<usize> {
        self.certs
            .iter()
            .enumerate()
            .filter(|(_, ca)| ca.der == cert.der || cert.verifies_with(ca))
            .map(|(i, _)| i)
            .collect()
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Read a PEM bundle like Go's `AppendCertsFromPEM`: `-----BEGIN <label>-----` and
/// `-----END <label>-----` lines start at the beginning of a line (trailing whitespace allowed); text
/// outside blocks is ignored; only `CERTIFICATE` blocks without headers count; the body is base64
/// with whitespace ignored. Never fails: problems are counted in the [`Bundle`].
pub fn parse_bundle(bytes: &[u8]) -> Bundle {
    let mut bundle = Bundle {
        len: bytes.len(),
        text: std::str::from_utf8(bytes).is_ok(),
        ..Bundle::default()
    };
    let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    let mut i = 0;
    while i < lines.len() {
        let Some(label) = marker(lines[i], b"-----BEGIN ") else {
            i += 1;
            continue;
        };
        i += 1;
        bundle.pem_blocks += 1;
        let is_cert = label == b"CERTIFICATE";
        if !is_cert {
            bundle
                .other_labels
                .push(String::from_utf8_lossy(label).into_owned());
        }
        // Collect the body up to the END line; non-certificate bodies are skipped, not copied. A
        // BEGIN line inside a block ends it unterminated and starts the next one (Go resynchronises
        // after a broken block the same way).
        let mut body: Vec<u8> = Vec::new();
        let mut headers = false;
        let mut end_matches = false;
        while i < lines.len() {
            let l = lines[i];
            if marker(l, b"-----BEGIN ").is_some() {
                break;
            }
            i += 1;
            if let Some(end) = marker(l, b"-----END ") {
                end_matches = end == label;
                break;
            }
            if is_cert {
                if l.contains(&b':') {
                    headers = true;
                }
                body.extend_from_slice(l);
            }
        }
        if !is_cert {
            continue;
        }
        let cert = (end_matches && !headers)
            .then(|| std::str::from_utf8(&body).ok().and_then(decode_base64))
            .flatten()
            .and_then(|der| Cert::from_der(&der));
        match cert {
            Some(c) => bundle.certs.push(c),
            None => bundle.failed += 1,
        }
    }
    if bundle.pem_blocks == 0 {
        bundle.raw_der = Cert::from_der(bytes).is_some();
    }
    bundle
}

/// The label of a `-----BEGIN <label>-----` / `-----END <label>-----` line (`prefix` chooses which).
fn marker<'a>(line: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let line = line.trim_ascii_end();
    line.strip_prefix(prefix)?.strip_suffix(b"-----")
}

/// An extended key usage (RFC 5280 §4.2.1.12).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExtKeyUsage {
    /// `anyExtendedKeyUsage`.
    Any,
    /// `serverAuth` (TLS server).
    ServerAuth,
    /// `clientAuth` (TLS client).
    ClientAuth,
    /// `codeSigning`.
    CodeSigning,
    /// `emailProtection`.
    EmailProtection,
    /// `timeStamping`.
    TimeStamping,
    /// `OCSPSigning`.
    OcspSigning,
    /// Any other usage, by dotted OID.
    Other(String),
}

impl fmt::Display for ExtKeyUsage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExtKeyUsage::Any => f.write_str("any"),
            ExtKeyUsage::ServerAuth => f.write_str("server auth"),
            ExtKeyUsage::ClientAuth => f.write_str("client auth"),
            ExtKeyUsage::CodeSigning => f.write_str("code signing"),
            ExtKeyUsage::EmailProtection => f.write_str("email protection"),
            ExtKeyUsage::TimeStamping => f.write_str("timestamping"),
            ExtKeyUsage::OcspSigning => f.write_str("ocsp signing"),
            ExtKeyUsage::Other(oid) => f.write_str(oid),
        }
    }
}

/// The public key algorithm of a certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyAlgorithm {
    /// RSA with the modulus size in bits.
    Rsa {
        /// Modulus size in bits.
        bits: usize,
    },
    /// ECDSA on a named curve (`P-256`, `P-384`, `P-521`, or the dotted curve OID).
    Ecdsa {
        /// Curve name.
        curve: String,
    },
    /// Ed25519.
    Ed25519,
    /// Anything else, by dotted algorithm OID.
    Other(String),
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyAlgorithm::Rsa { bits } => write!(f, "RSA {bits}"),
            KeyAlgorithm::Ecdsa { curve } => write!(f, "ECDSA {curve}"),
            KeyAlgorithm::Ed25519 => f.write_str("Ed25519"),
            KeyAlgorithm::Other(oid) => write!(f, "key algorithm {oid}"),
        }
    }
}

/// One parsed X.509 certificate: the facts rules need, plus its DER for signature checks. Holds no
/// private key material (certificates are public), and `Debug` omits the DER.
#[derive(Clone, PartialEq, Eq)]
pub struct Cert {
    /// Subject distinguished name, e.g. `CN=webhook-ca, O=example` (attributes in certificate order).
    pub subject: String,
    /// Issuer distinguished name, same format.
    pub issuer: String,
    /// `notBefore` as Unix seconds.
    pub not_before: i64,
    /// `notAfter` as Unix seconds.
    pub not_after: i64,
    /// BasicConstraints `CA:TRUE`.
    pub is_ca: bool,
    /// DNS names of the subjectAltName extension.
    pub dns_names: Vec<String>,
    /// IP addresses of the subjectAltName extension.
    pub ip_addresses: Vec<IpAddr>,
    /// Extended key usages; `None` when the extension is absent (any usage is then accepted by Go
    /// clients), `Some` (possibly empty) when present.
    pub ext_key_usage: Option<Vec<ExtKeyUsage>>,
    /// Public key algorithm.
    pub key: KeyAlgorithm,
    der: Vec<u8>,
}

impl fmt::Debug for Cert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cert")
            .field("subject", &self.subject)
            .field("issuer", &self.issuer)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .field("is_ca", &self.is_ca)
            .field("dns_names", &self.dns_names)
            .field("ip_addresses", &self.ip_addresses)
            .field("ext_key_usage", &self.ext_key_usage)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl Cert {
    /// Parse one DER certificate (trailing bytes are an error). `None` when it is not an X.509
    /// certificate x509-parser can read.
    pub fn from_der(der: &[u8]) -> Option<Cert> {
        let (rest, x) = X509Certificate::from_der(der).ok()?;
        if !rest.is_empty() {
            return None;
        }
        let mut dns_names = Vec::new();
        let mut ip_addresses = Vec::new();
        if let Ok(Some(san)) = x.subject_alternative_name() {
            for name in &san.value.general_names {
                match name {
                    GeneralName::DNSName(d) => dns_names.push((*d).to_string()),
                    GeneralName::IPAddress(b) => {
                        if let Ok(v4) = <[u8; 4]>::try_from(*b) {
                            ip_addresses.push(IpAddr::from(v4));
                        } else if let Ok(v6) = <[u8; 16]>::try_from(*b) {
                            ip_addresses.push(IpAddr::from(v6));
                        }
                    }
                    _ => {}
                }
            }
        }
        let ext_key_usage = match x.extended_key_usage() {
            Ok(Some(eku)) => {
                let e = eku.value;
                let mut v = Vec::new();
                let flags = [
                    (e.any, ExtKeyUsage::Any),
                    (e.server_auth, ExtKeyUsage::ServerAuth),
                    (e.client_auth, ExtKeyUsage::ClientAuth),
                    (e.code_signing, ExtKeyUsage::CodeSigning),
                    (e.email_protection, ExtKeyUsage::EmailProtection),
                    (e.time_stamping, ExtKeyUsage::TimeStamping),
                    (e.ocsp_signing, ExtKeyUsage::OcspSigning),
                ];
                for (set, usage) in flags {
                    if set {
                        v.push(usage);
                    }
                }
                v.extend(e.other.iter().map(|o| ExtKeyUsage::Other(o.to_id_string())));
                Some(v)
            }
            _ => None,
        };
        let validity = x.validity();
        Some(Cert {
            subject: x.subject().to_string(),
            issuer: x.issuer().to_string(),
            not_before: validity.not_before.timestamp(),
            not_after: validity.not_after.timestamp(),
            is_ca: x.is_ca(),
            dns_names,
            ip_addresses,
            ext_key_usage,
            key: key_algorithm(&x),
            der: der.to_vec(),
        })
    }

    /// The DER encoding (public certificate bytes, e.g. to compare certificates).
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Whether this certificate's signature verifies with `issuer`'s public key (signature only: no
    /// name, validity or CA-flag check). Algorithms `ring` cannot verify count as not verified.
    pub fn verifies_with(&self, issuer: &Cert) -> bool {
        let (Ok((_, me)), Ok((_, ca))) = (
            X509Certificate::from_der(&self.der),
            X509Certificate::from_der(&issuer.der),
        ) else {
            return false;
        };
        me.verify_signature(Some(ca.public_key())).is_ok()
    }

    /// Whether the certificate verifies with its own key (a self-signed root or self-signed leaf).
    pub fn is_self_signed(&self) -> bool {
        self.verifies_with(self)
    }

    /// Whether a Go TLS client accepts it for a server: no EKU extension, or EKU with `serverAuth` or
    /// `any`.
    pub fn allows_server_auth(&self) -> bool {
        self.ext_key_usage.as_ref().is_none_or(|v| {
            v.iter()
                .any(|u| matches!(u, ExtKeyUsage::ServerAuth | ExtKeyUsage::Any))
        })
    }

    /// Whether `now` (Unix seconds) is past `notAfter`.
    pub fn is_expired(&self, now: i64) -> bool {
        self.not_after < now
    }

    /// Whether `now` lies inside `[notBefore, notAfter]`.
    pub fn is_valid_at(&self, now: i64) -> bool {
        self.not_before <= now && now <= self.not_after
    }

    /// A short name for messages: the subject's `CN` when there is one, else the whole subject, else
    /// `(empty subject)`.
    pub fn name(&self) -> String {
        let cn = self
            .subject
            .split(", ")
            .find_map(|rdn| rdn.strip_prefix("CN="));
        match cn {
            Some(cn) if !cn.is_empty() => format!("CN={cn}"),
            _ if !self.subject.is_empty() => self.subject.clone(),
            _ => "(empty subject)".to_string(),
        }
    }
}

fn key_algorithm(x: &X509Certificate<'_>) -> KeyAlgorithm {
    let spki = x.public_key();
    let alg = spki.algorithm.algorithm.to_id_string();
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => {
            let m = rsa.modulus;
            let start = m.iter().position(|&b| b != 0).unwrap_or(m.len());
            let m = &m[start..];
            let bits = m
                .first()
                .map_or(0, |b| m.len() * 8 - b.leading_zeros() as usize);
            KeyAlgorithm::Rsa { bits }
        }
        Ok(PublicKey::EC(_)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string())
                .unwrap_or_default();
            let curve = match curve.as_str() {
                "1.2.840.10045.3.1.7" => "P-256".to_string(),
                "1.3.132.0.34" => "P-384".to_string(),
                "1.3.132.0.35" => "P-521".to_string(),
                _ => curve,
            };
            KeyAlgorithm::Ecdsa { curve }
        }
        _ if alg == "1.3.101.112" => KeyAlgorithm::Ed25519,
        _ => KeyAlgorithm::Other(alg),
    }
}

/// Roots (indices into `roots`) at which the chain `chain[0]` (leaf) → intermediates from
/// `chain[1..]` ends, verifying signatures only (like RULES §9.13: "verifies against ANY certificate
/// of the bundle"). A root identical to a chain certificate anchors it too (Go accepts a leaf that is
/// itself in the root pool). Validity periods are not checked here: callers decide whether an
/// anchor that has expired is usable. Empty when nothing verifies (or `chain` is empty).
pub fn verify_chain(chain: &[Cert], roots: &[Cert]) -> Vec<usize> {
    let mut anchors = Vec::new();
    let Some(leaf) = chain.first() else {
        return anchors;
    };
    let mut visited = vec![false; chain.len()];
    visited[0] = true;
    let mut stack = vec![leaf];
    while let Some(cert) = stack.pop() {
        for (i, root) in roots.iter().enumerate() {
            if !anchors.contains(&i) && (root.der == cert.der || cert.verifies_with(root)) {
                anchors.push(i);
            }
        }
        for (j, inter) in chain.iter().enumerate().skip(1) {
            if !visited[j] && cert.verifies_with(inter) {
                visited[j] = true;
                stack.push(inter);
            }
        }
    }
    anchors.sort_unstable();
    anchors
}

pub use crate::time::utc_date;

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, date_time_ymd,
    };

    /// 2026-11-26T00:00:00Z, the fixture tests' "now".
    const NOW: i64 = 1_795_651_200;

    struct Made {
        params: CertificateParams,
        key: KeyPair,
        pem: String,
        der: Vec<u8>,
    }

    fn params(
        cn: &str,
        sans: &[&str],
        from: (i32, u8, u8),
        to: (i32, u8, u8),
    ) -> CertificateParams {
        let mut p =
            CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.not_before = date_time_ymd(from.0, from.1, from.2);
        p.not_after = date_time_ymd(to.0, to.1, to.2);
        p
    }

    fn ca(cn: &str, from: (i32, u8, u8), to: (i32, u8, u8)) -> Made {
        let mut p = params(cn, &[], from, to);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().unwrap();
        let cert = p.self_signed(&key).unwrap();
        Made {
            pem: cert.pem(),
            der: cert.der().to_vec(),
            params: p,
            key,
        }
    }

    fn signed(mut p: CertificateParams, by: &Made) -> Made {
        let key = KeyPair::generate().unwrap();
        if p.is_ca == IsCa::NoCa {
            p.is_ca = IsCa::ExplicitNoCa;
        }
        let cert = p
            .signed_by(&key, &Issuer::from_params(&by.params, &by.key))
            .unwrap();
        Made {
            pem: cert.pem(),
            der: cert.der().to_vec(),
            params: p,
            key,
        }
    }

    fn leaf(by: &Made) -> Made {
        let mut p = params(
            "webhook",
            &[
                "webhook.system.svc",
                "webhook.system.svc.cluster.local",
                "10.0.0.1",
            ],
            (2020, 1, 1),
            (2099, 12, 31),
        );
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        signed(p, by)
    }

    fn b64(bytes: &[u8]) -> String {
        data_encoding::BASE64.encode(bytes)
    }

    fn bundle(text: &str) -> Bundle {
        match read_value(text, Encoding::Pem) {
            Content::Bundle(b) => b,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ca_and_leaf_signed_by_it() {
        let root = ca("Webhook CA", (2020, 1, 1), (2099, 12, 31));
        let srv = leaf(&root);
        let roots = bundle(&root.pem);
        assert_eq!(roots.certs.len(), 1);
        let c = &roots.certs[0];
        assert_eq!(c.subject, "CN=Webhook CA");
        assert_eq!(c.issuer, "CN=Webhook CA");
        assert!(c.is_ca);
        assert!(c.is_self_signed());
        assert_eq!(utc_date(c.not_before), "2020-01-01");
        assert_eq!(utc_date(c.not_after), "2099-12-31");
        assert_eq!(
            c.key,
            KeyAlgorithm::Ecdsa {
                curve: "P-256".into()
            }
        );
        assert!(c.is_valid_at(NOW) && !c.is_expired(NOW));

        let chain = bundle(&srv.pem);
        let l = &chain.certs[0];
        assert_eq!(l.subject, "CN=webhook");
        assert_eq!(l.issuer, "CN=Webhook CA");
        assert!(!l.is_ca);
        assert_eq!(
            l.dns_names,
            ["webhook.system.svc", "webhook.system.svc.cluster.local"]
        );
        assert_eq!(l.ip_addresses, ["10.0.0.1".parse::<IpAddr>().unwrap()]);
        assert_eq!(l.ext_key_usage, Some(vec![ExtKeyUsage::ServerAuth]));
        assert!(l.allows_server_auth());
        assert!(l.verifies_with(c));
        assert!(!c.verifies_with(l));
        assert!(!l.is_self_signed());
        assert_eq!(verify_chain(&chain.certs, &roots.certs), [0]);
        assert_eq!(roots.signers_of(l), [0]);

        // A different CA with the same name does not verify it: signatures, not names, decide.
        let impostor = ca("Webhook CA", (2020, 1, 1), (2099, 12, 31));
        let other = bundle(&impostor.pem);
        assert!(!l.verifies_with(&other.certs[0]));
        assert!(verify_chain(&chain.certs, &other.certs).is_empty());
    }

    #[test]
    fn chain_through_intermediate_and_leaf_in_roots() {
        let root = ca("Root", (2020, 1, 1), (2099, 12, 31));
        let mut ip = params("Intermediate", &[], (2020, 1, 1), (2099, 12, 31));
        ip.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let inter = signed(ip, &root);
        let srv = leaf(&inter);
        let chain = bundle(&format!("{}{}", srv.pem, inter.pem));
        assert_eq!(chain.certs.len(), 2);
        let roots = bundle(&root.pem);
        assert_eq!(verify_chain(&chain.certs, &roots.certs), [0]);
        // Leaf alone does not reach the root.
        assert!(verify_chain(&chain.certs[..1], &roots.certs).is_empty());
        // A self-signed leaf (or any leaf) present in the root bundle anchors itself.
        let itself = bundle(&srv.pem);
        assert_eq!(verify_chain(&chain.certs[..1], &itself.certs), [0]);
        assert!(verify_chain(&[], &roots.certs).is_empty());
    }

    #[test]
    fn expired_certificate() {
        let old = ca("Old CA", (2000, 1, 1), (2001, 1, 1));
        let b = bundle(&old.pem);
        let c = &b.certs[0];
        assert!(c.is_expired(NOW));
        assert!(!c.is_valid_at(NOW));
        assert_eq!(utc_date(c.not_after), "2001-01-01");
        assert_eq!(c.name(), "CN=Old CA");
    }

    #[test]
    fn merged_bundle_with_comments_between_blocks() {
        let a = ca("CA one", (2000, 1, 1), (2001, 1, 1));
        let b = ca("CA two", (2020, 1, 1), (2099, 12, 31));
        let text = format!(
            "# merged by cainjector\n{}\nSubject: CN=CA two\nsome notes: not base64!\n\n{}trailing text\n",
            a.pem, b.pem
        );
        let bun = bundle(&text);
        assert_eq!(bun.certs.len(), 2);
        assert_eq!(bun.failed, 0);
        assert_eq!(bun.pem_blocks, 2);
        assert!(bun.problem().is_none());
        assert_eq!(bun.certs[0].subject, "CN=CA one");
        assert_eq!(bun.certs[1].subject, "CN=CA two");
        // The leaf verifies against ANY certificate of the bundle (here the second).
        let srv = leaf(&b);
        let chain = bundle(&srv.pem);
        assert_eq!(verify_chain(&chain.certs, &bun.certs), [1]);
        assert_eq!(bun.signers_of(&chain.certs[0]), [1]);
        // CRLF line endings and indentation inside the body are fine.
        let crlf = a.pem.replace('\n', "\r\n");
        assert_eq!(bundle(&crlf).certs.len(), 1);
    }

    #[test]
    fn key_blocks_are_ignored_and_never_exposed() {
        let root = ca("Keyed", (2020, 1, 1), (2099, 12, 31));
        let key_pem = root.key.serialize_pem();
        let text = format!("{key_pem}{}", root.pem);
        let bun = bundle(&text);
        assert_eq!(bun.certs.len(), 1);
        assert_eq!(bun.failed, 0);
        assert_eq!(bun.pem_blocks, 2);
        assert_eq!(bun.other_labels, ["PRIVATE KEY"]);
        assert!(bun.has_private_key());
        // Nothing of the key body (nor of the certificate DER) appears in Debug output or messages.
        let key_body: String = key_pem.lines().nth(1).unwrap().chars().take(24).collect();
        let dbg = format!("{bun:?}");
        assert!(!dbg.contains(&key_body), "{dbg}");
        let cert_body: String = root.pem.lines().nth(1).unwrap().chars().take(24).collect();
        assert!(!dbg.contains(&cert_body), "{dbg}");
        // A key alone: no certificate, and the problem names the label only.
        let only_key = bundle(&key_pem);
        let p = only_key.problem().unwrap();
        assert_eq!(p, "holds no CERTIFICATE block (only `PRIVATE KEY`)");
        assert!(!p.contains(&key_body));
    }

    #[test]
    fn broken_blocks_are_counted_and_resynchronised() {
        let good = ca("Good", (2020, 1, 1), (2099, 12, 31));
        let lines: Vec<&str> = good.pem.lines().collect();
        // Truncated (no END) followed by a good block: the good one is still read.
        let truncated = lines[..3].join("\n");
        let bun = bundle(&format!("{truncated}\n{}", good.pem));
        assert_eq!((bun.certs.len(), bun.failed), (1, 1));
        // Corrupt body (valid base64, not a certificate) and invalid base64.
        let junk = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
            b64(b"definitely not DER")
        );
        let bun = bundle(&junk);
        assert_eq!((bun.certs.len(), bun.failed), (0, 2));
        assert_eq!(
            bun.problem().unwrap(),
            "has 2 certificate blocks that could not be parsed and no usable certificate"
        );
        // Mismatched END label.
        let mismatched = good.pem.replace("END CERTIFICATE", "END PUBLIC KEY");
        assert_eq!(bundle(&mismatched).failed, 1);
        // Indented BEGIN is not a block for Go's pem.Decode either.
        let indented = good.pem.replace("-----BEGIN", "  -----BEGIN");
        let bun = bundle(&indented);
        assert!(!bun.is_pem());
        // PEM headers make Go skip the block.
        let with_headers = good
            .pem
            .replacen("-----\n", "-----\nProc-Type: 4,ENCRYPTED\n\n", 1);
        assert_eq!(bundle(&with_headers).failed, 1);
    }

    #[test]
    fn garbage_and_text_are_not_pem() {
        // Not base64 at all.
        assert!(matches!(
            read_value("this is *not* base64", Encoding::Base64),
            Content::NotBase64 { pem_text: false }
        ));
        // PEM pasted without base64 encoding.
        let root = ca("Pasted", (2020, 1, 1), (2099, 12, 31));
        assert!(matches!(
            read_value(&root.pem, Encoding::Base64),
            Content::NotBase64 { pem_text: true }
        ));
        // Base64 of plain text, as in Linkerd's golden test manifests.
        let text = b64(b"profile validator CA bundle");
        let Content::Bundle(b) = read_value(&text, Encoding::Base64) else {
            panic!()
        };
        assert!(!b.is_pem() && b.certs.is_empty() && !b.raw_der);
        assert_eq!(
            b.problem().unwrap(),
            "is not a PEM certificate bundle (27 bytes of text without any `-----BEGIN CERTIFICATE-----` block)"
        );
        // Base64 of binary garbage.
        let Content::Bundle(b) = read_value(&b64(&[0xff, 0xfe, 0x00, 0x9c]), Encoding::Base64)
        else {
            panic!()
        };
        assert!(b.problem().unwrap().contains("4 bytes of binary data"));
        // Base64 of a DER certificate.
        let Content::Bundle(b) = read_value(&b64(&root.der), Encoding::Base64) else {
            panic!()
        };
        assert!(b.raw_der);
        assert!(b.problem().unwrap().starts_with("is a DER certificate"));
        // stringData PEM that is text.
        let b = bundle("test-crt-pem");
        assert!(b.problem().is_some());
    }

    #[test]
    fn base64_with_whitespace_and_line_breaks() {
        let root = ca("Wrapped", (2020, 1, 1), (2099, 12, 31));
        let enc = b64(root.pem.as_bytes());
        let wrapped: String = enc
            .as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join("\n  ");
        for text in [enc.clone(), wrapped, format!("  {enc}\n")] {
            let Content::Bundle(b) = read_value(&text, Encoding::Base64) else {
                panic!("{text}")
            };
            assert_eq!(b.certs.len(), 1);
        }
        // Unpadded base64 is rejected, as by Go's StdEncoding.
        assert!(decode_base64("Cg").is_none());
    }

    #[test]
    fn placeholders() {
        for p in ["", "  ", "\n", "Cg==", "ICAK", " Cg==\n"] {
            assert!(is_placeholder(p), "{p:?}");
            assert!(
                matches!(read_value(p, Encoding::Base64), Content::Empty),
                "{p:?}"
            );
        }
        assert!(matches!(read_value(" \n", Encoding::Pem), Content::Empty));
        assert!(matches!(read_bytes(b"\n"), Content::Empty));
        for p in ["dGVzdA==", "not base64!", "LS0tLS1CRUdJTg=="] {
            assert!(!is_placeholder(p), "{p:?}");
        }
    }

    #[test]
    fn key_usages_and_algorithms() {
        let root = ca("Algo", (2020, 1, 1), (2099, 12, 31));
        // No EKU extension: any usage.
        let b = bundle(&root.pem);
        assert_eq!(b.certs[0].ext_key_usage, None);
        assert!(b.certs[0].allows_server_auth());
        // Client auth only: not a server certificate.
        let mut p = params("client", &["client"], (2020, 1, 1), (2099, 12, 31));
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client = signed(p, &root);
        let c = &bundle(&client.pem).certs[0];
        assert_eq!(c.ext_key_usage, Some(vec![ExtKeyUsage::ClientAuth]));
        assert!(!c.allows_server_auth());
        // Ed25519 key.
        let key = KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
        let ed = params("ed", &[], (2020, 1, 1), (2099, 12, 31))
            .self_signed(&key)
            .unwrap();
        let e = &bundle(&ed.pem()).certs[0];
        assert_eq!(e.key, KeyAlgorithm::Ed25519);
        assert!(e.is_self_signed());
        assert_eq!(
            format!("{} / {}", e.key, KeyAlgorithm::Rsa { bits: 2048 }),
            "Ed25519 / RSA 2048"
        );
    }

    #[test]
    fn names_and_dates() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(NOW), "2026-11-26");
        assert_eq!(utc_date(NOW - 1), "2026-11-25");
        assert_eq!(utc_date(-86_400), "1969-12-31");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        let mut p = params("", &[], (2020, 1, 1), (2099, 12, 31));
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name.push(DnType::OrganizationName, "Acme");
        let key = KeyPair::generate().unwrap();
        let c = &bundle(&p.self_signed(&key).unwrap().pem()).certs[0];
        assert_eq!(c.name(), "O=Acme");
    }

    /// An RSA 2048 CA and leaf (rcgen's ring backend cannot generate RSA keys; keys made once with
    /// `openssl genpkey`, certificates signed with rcgen, valid 2026-11-20..2036-11-18).
    const RSA_CA: &str = "-----BEGIN CERTIFICATE-----\n\
MIIDADCCAeigAwIBAgIUUgSTqTay2HwV0AtzmFyqm+6jYgowDQYJKoZIhvcNAQEL\n\
BQAwGDEWMBQGA1UEAwwNbXktd2ViaG9vay1jYTAeFw0yNjExMjAwMDAwMDBaFw0z\n\
NjExMTgwMDAwMDBaMBgxFjAUBgNVBAMMDW15LXdlYmhvb2stY2EwggEiMA0GCSqG\n\
SIb3DQEBAQUAA4IBDwAwggEKAoIBAQCv5butnCbIPOCOSwtQjEgJ74T237SG3sHE\n\
1Dsp+o4OuV26P4Nrxq0ZnHXxD39JIza7SVo+tgg9STUB6Eg7WxUf/9rUmFatktgt\n\
HGsS7lTqALg/QKh+vb/iZUTtto4K+iZWaSB6TTCEGWj3UR6DxDeZ9/ptcu3AvRo2\n\
X3Ep53R/mNh+QmU6FEEgtE641D+/LLWeTy5NypW5GLTp7P/V3VjGtXt2yvoI5q/W\n\
k7RuqXzhemvNfW7iVXZZ7Qx+EpHBqPrbbHgsnhya7K6itXDrPj0mY3G2em+346uJ\n\
DC795meppk7VCsFOq3vtMFgS69myCw4kMlsf4mGpztaD8B4tBWo9AgMBAAGjQjBA\n\
MA4GA1UdDwEB/wQEAwIBhjAdBgNVHQ4EFgQUtB6Hc1q86FElKWJzk1LcHDXnvogw\n\
DwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOCAQEATHVF72SJDU4RzLEj\n\
0t8MUoN25O/L94A5nmhfLAlf1NTk2Z8vSBijstv9A0guukknyfUsY5mPp2nUAL0G\n\
9qADYhjLUdFMwhelOiywRPejMwMparKvbVRBo2BqJSRClFHeuQRa1l3YikMcftpU\n\
vx1SJ/FbDqU/KXd8lUz9eNZFU6n/ZWL1bSWNBcozaiS9f56XlXZBY/LjFssB1EvA\n\
gnEW/GJXhh1XNaP0zuosSDCmvTd4OSJOG7/SCW5DoiRcRVwm57/xBD6hXEu2Z4v9\n\
hBWWkNOpbfu17JGHIJd+8IjFy/H/DwThe5eaFmKtCD7U6Sv6n7J0BEVGG0z/4Yy2\n\
jV5cyw==\n\
-----END CERTIFICATE-----";
    const RSA_LEAF: &str = "-----BEGIN CERTIFICATE-----\n\
MIIDfzCCAmegAwIBAgIUcGQvROg29un6Hywa3gQ+T+aZ4VgwDQYJKoZIhvcNAQEL\n\
BQAwGDEWMBQGA1UEAwwNbXktd2ViaG9vay1jYTAeFw0yNjExMjAwMDAwMDBaFw0z\n\
NjExMTgwMDAwMDBaMCgxJjAkBgNVBAMMHW15LXdlYmhvb2sud2ViaG9vay1zeXN0\n\
ZW0uc3ZjMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtXJnCT3p24Hi\n\
F17+FxFR66yZ6JEfgA1nOznULQoc50qCCKbl0RjPUnoFzxU7KFOsW92/VurvxICC\n\
0hFANepkvOOKcL7tnWavmD4F3tvchRR8z9bxYQJ9sbiAtuUNrfU9W75KLb2PYnoB\n\
ucRu2YXG5yR6/sBcDdzLxL+ivNf5tQ6FOYYhHbm1ThZ6y0kzMEpjl2FAs/ZyvFG1\n\
BWyl+d0631O5Wkqx2nBpfoyIn38q8k7cDmZduEUJ/rt89lG+3gpM8TfrekiyfDE4\n\
QbRKTTJ94Kdyyt4uMO0nBsZ9sUUzaE3JXxyIyNFCru5E50U2d753/f+oY0uNNmTw\n\
Mrw1NFV1iwIDAQABo4GwMIGtME8GA1UdEQRIMEaCCm15LXdlYmhvb2uCGW15LXdl\n\
Ymhvb2sud2ViaG9vay1zeXN0ZW2CHW15LXdlYmhvb2sud2ViaG9vay1zeXN0ZW0u\n\
c3ZjMA4GA1UdDwEB/wQEAwIFoDAdBgNVHSUEFjAUBggrBgEFBQcDAQYIKwYBBQUH\n\
AwIwHQYDVR0OBBYEFABR430Od/J0SS+HrpnOt3DsRH5wMAwGA1UdEwEB/wQCMAAw\n\
DQYJKoZIhvcNAQELBQADggEBAK/Z64YD2MSpLKk6MZaRvb05FEEklcscJeazCSag\n\
nIqye1i6+xGRgHdZA92fpD2hMMCdkHc+b5XAtd+c5am0AACfXKozIR49oQCg65jx\n\
ZmsSMzR/LPBXiDeHQTAczaRCvESaIcd/268L+WhSodHWY8Bcg8FF1CaIp7ydxX5K\n\
Ya5e3iuH4puT0Gv79+mQ3eIfx7Vg8+UuVOKoYlNgVQMwQywmLalts7vQF57aJnZ4\n\
xT45ypLKE8WiQgInvo3oCLPZefilcUuAaRsuLlBFE2dLUfbcNHTso64+6iqUSqNH\n\
ko/hA8eTtnZvf6Is5ePXnvZAXMJpbhnfjq70WWZoXKMNnxw=\n\
-----END CERTIFICATE-----";

    #[test]
    fn rsa_certificates() {
        let ca = bundle(RSA_CA);
        let leaf = bundle(RSA_LEAF);
        let (ca, leaf) = (&ca.certs[0], &leaf.certs[0]);
        assert_eq!(ca.key, KeyAlgorithm::Rsa { bits: 2048 });
        assert_eq!(leaf.key, KeyAlgorithm::Rsa { bits: 2048 });
        assert!(ca.is_ca && ca.is_self_signed());
        assert!(leaf.verifies_with(ca));
        assert_eq!(
            leaf.ext_key_usage,
            Some(vec![ExtKeyUsage::ServerAuth, ExtKeyUsage::ClientAuth])
        );
        assert_eq!(
            leaf.dns_names,
            [
                "my-webhook",
                "my-webhook.webhook-system",
                "my-webhook.webhook-system.svc"
            ]
        );
        assert_eq!(utc_date(leaf.not_after), "2036-11-18");
    }
}
