//! `kubectl tlscheck bootstrap --local-ca`: generate the root CA key and certificate locally (for
//! teams that keep the root outside the cluster) instead of letting a cert-manager `selfSigned` issuer
//! create it in-cluster.
//!
//! * [`generate`] makes a self-signed root with rcgen (ring backend): an ECDSA P-256 key, a
//!   certificate with BasicConstraints `CA:TRUE` (path length unconstrained), key usages
//!   `keyCertSign`, `cRLSign` and `digitalSignature`, subject `CN=<common_name>` (+ `O=` when given),
//!   valid from now minus [`CLOCK_SKEW_SECS`] until now + `days`. The serial number is rcgen's default
//!   (20 bytes of SHA-256 of the public key: unique per generated key).
//! * [`secret`] wraps it as the `kubernetes.io/tls` Secret cert-manager's CA issuer reads (`tls.crt`,
//!   `tls.key`; `ca.crt` = `tls.crt`, as cert-manager itself writes it for a self-signed root).
//! * [`write_secret_file`] writes that Secret as YAML to a new file created with mode `0600` (never
//!   world-readable, not even briefly) and refuses to overwrite an existing file.
//!
//! Key material never reaches stdout, logs or error messages from here: [`LocalCa`]'s `Debug` shows
//! only the certificate subject, and errors only describe what went wrong.

use std::fmt;
use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, KeyUsagePurpose,
    PKCS_ECDSA_P256_SHA256,
};
use serde_json::{Value, json};

/// How far `notBefore` lies in the past, so that nodes whose clocks run behind accept the new root
/// right away.
pub const CLOCK_SKEW_SECS: i64 = 3600;

/// The latest `notAfter` X.509 can express (RFC 5280 GeneralizedTime `99991231235959Z`).
const MAX_NOT_AFTER: i64 = 253_402_300_799;

/// A locally generated root CA: PEM certificate and PEM (PKCS#8) private key.
///
/// `Debug` shows only the certificate subject; the key is never formatted.
#[derive(Clone)]
pub struct LocalCa {
    /// The self-signed CA certificate, PEM (`CERTIFICATE`).
    pub cert_pem: String,
    /// The CA private key, PEM (`PRIVATE KEY`, PKCS#8). Secret: never print or log it.
    pub key_pem: String,
}

impl fmt::Debug for LocalCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bundle = crate::certs::parse_bundle(self.cert_pem.as_bytes());
        let subject = bundle.certs.first().map(|c| c.subject.as_str());
        f.debug_struct("LocalCa")
            .field("subject", &subject.unwrap_or("<unparsable certificate>"))
            .finish_non_exhaustive()
    }
}

/// What to put in the root CA certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaOptions {
    /// Subject common name (`CN`); must not be empty.
    pub common_name: String,
    /// Subject organization (`O`), when given; must not be empty.
    pub organization: Option<String>,
    /// Lifetime in days from now (at least 1).
    pub days: u32,
}

/// Generate an ECDSA P-256 key and a self-signed root CA certificate for it (see the module docs for
/// the exact profile). Errors are short descriptions without any key material.
pub fn generate(opts: &CaOptions) -> Result<LocalCa, String> {
    generate_at(opts, crate::time::now())
}

/// [`generate`] with "now" given as Unix seconds.
fn generate_at(opts: &CaOptions, now: i64) -> Result<LocalCa, String> {
    if opts.common_name.trim().is_empty() {
        return Err("the CA common name must not be empty".to_string());
    }
    if opts
        .organization
        .as_deref()
        .is_some_and(|o| o.trim().is_empty())
    {
        return Err("the CA organization must not be empty when given".to_string());
    }
    if opts.days == 0 {
        return Err("the CA lifetime must be at least 1 day".to_string());
    }
    let not_before = now - CLOCK_SKEW_SECS;
    let not_after = now + i64::from(opts.days) * 86_400;
    if not_after > MAX_NOT_AFTER {
        return Err(format!(
            "a CA lifetime of {} days ends after 9999-12-31, the latest date X.509 can express",
            opts.days
        ));
    }

    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, opts.common_name.as_str());
    if let Some(org) = &opts.organization {
        dn.push(DnType::OrganizationName, org.as_str());
    }
    let mut params = CertificateParams::default();
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    // rcgen's date type is `time::OffsetDateTime`, which rcgen does not re-export: build it from the
    // epoch instead of naming it.
    let not_before =
        u64::try_from(not_before).map_err(|_| "the system clock is before 1970".to_string())?;
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    params.not_before = epoch + Duration::from_secs(not_before);
    params.not_after = epoch + Duration::from_secs(not_after.unsigned_abs()); // > not_before ≥ 0

    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
        .map_err(|e| format!("cannot generate the CA key: {e}"))?;
    let cert = params
        .self_signed(&key)
        .map_err(|e| format!("cannot sign the CA certificate: {e}"))?;
    Ok(LocalCa {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// The v1 `kubernetes.io/tls` Secret holding the CA: `data` (base64) `tls.crt`, `tls.key`, and
/// `ca.crt` (= `tls.crt`: the root is its own CA).
pub fn secret(ca: &LocalCa, namespace: &str, name: &str) -> Value {
    let crt = data_encoding::BASE64.encode(ca.cert_pem.as_bytes());
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "type": "kubernetes.io/tls",
        "data": {
            "tls.crt": crt,
            "tls.key": data_encoding::BASE64.encode(ca.key_pem.as_bytes()),
            "ca.crt": crt,
        },
    })
}

/// Write `secret` as YAML to a new file at `path`. The file is created with mode `0600` from the
/// start on Unix (no moment where it is readable by others) and is never overwritten: an existing
/// path (file, directory or symlink, even dangling) fails with [`io::ErrorKind::AlreadyExists`]. A
/// partially written file is removed again.
pub fn write_secret_file(path: &Path, secret: &Value) -> io::Result<()> {
    let yaml = serde_saphyr::to_string(secret)
        .map_err(|e| io::Error::other(format!("cannot serialize the Secret as YAML: {e}")))?;
    let text = format!(
        "# Generated by `kubectl tlscheck bootstrap --local-ca`: holds the root CA PRIVATE KEY.\n\
         # Keep it private: apply it with `kubectl apply -f`, then keep the key offline or delete the file.\n\
         ---\n{yaml}"
    );

    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    let written = (|| {
        // The umask can only remove bits from 0600; make the mode exactly 0600 regardless.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        file.write_all(text.as_bytes())?;
        file.sync_all()
    })();
    if let Err(e) = written {
        drop(file);
        let _ = std::fs::remove_file(path);
        return Err(e);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certs::{Cert, KeyAlgorithm, parse_bundle};
    use x509_parser::prelude::{FromDer, X509Certificate};

    /// 2026-11-26T00:00:00Z.
    const NOW: i64 = 1_795_651_200;

    fn opts(cn: &str, org: Option<&str>, days: u32) -> CaOptions {
        CaOptions {
            common_name: cn.to_string(),
            organization: org.map(str::to_string),
            days,
        }
    }

    fn der_of(ca: &LocalCa) -> Vec<u8> {
        let bundle = parse_bundle(ca.cert_pem.as_bytes());
        assert_eq!(bundle.certs.len(), 1, "exactly one certificate");
        assert!(!bundle.has_private_key(), "no key in the certificate PEM");
        bundle.certs[0].der().to_vec()
    }

    /// A unique scratch directory under the system temp dir (removed by the caller).
    fn scratch(tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "tlscheck-local-ca-{tag}-{}-{}",
            std::process::id(),
            crate::time::now()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn generated_ca_parses_back_with_the_requested_profile() {
        let ca = generate_at(&opts("tlscheck-root-ca", Some("Example Corp"), 3650), NOW).unwrap();
        assert!(ca.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(ca.key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let der = der_of(&ca);

        let (rest, x) = X509Certificate::from_der(&der).unwrap();
        assert!(rest.is_empty());
        assert_eq!(x.version().0, 2, "X.509 v3");

        // BasicConstraints: critical, CA:TRUE, no path length constraint.
        let bc = x.basic_constraints().unwrap().expect("basicConstraints");
        assert!(bc.critical);
        assert!(bc.value.ca);
        assert_eq!(bc.value.path_len_constraint, None);
        assert!(x.is_ca());

        // Key usage: critical, exactly keyCertSign + cRLSign + digitalSignature.
        let ku = x.key_usage().unwrap().expect("keyUsage");
        assert!(ku.critical);
        assert!(ku.value.key_cert_sign());
        assert!(ku.value.crl_sign());
        assert!(ku.value.digital_signature());
        assert!(!ku.value.key_encipherment());
        assert!(!ku.value.non_repudiation());
        assert!(!ku.value.data_encipherment());
        assert!(!ku.value.key_agreement());
        assert!(
            x.extended_key_usage().unwrap().is_none(),
            "no EKU on the root"
        );

        // Validity: now - 1h .. now + 3650 days.
        let v = x.validity();
        assert_eq!(v.not_before.timestamp(), NOW - CLOCK_SKEW_SECS);
        assert_eq!(v.not_after.timestamp(), NOW + 3650 * 86_400);

        // Subject = issuer = CN + O.
        assert_eq!(
            x.subject().to_string(),
            "CN=tlscheck-root-ca, O=Example Corp"
        );
        assert_eq!(x.issuer().to_string(), x.subject().to_string());

        // ECDSA P-256 key, ecdsa-with-SHA256 signature, self-signature verifies.
        let cert = Cert::from_der(&der).unwrap();
        assert_eq!(
            cert.key,
            KeyAlgorithm::Ecdsa {
                curve: "P-256".to_string()
            }
        );
        assert_eq!(
            x.signature_algorithm.algorithm.to_id_string(),
            "1.2.840.10045.4.3.2"
        );
        assert!(cert.is_self_signed());
        assert!(cert.is_ca);
        assert!(cert.is_valid_at(NOW));
        assert!(
            cert.is_valid_at(NOW - 1800),
            "accepts a clock 30 min behind"
        );
        assert!(cert.ext_key_usage.is_none());
    }

    #[test]
    fn key_matches_certificate() {
        let ca = generate_at(&opts("root", None, 30), NOW).unwrap();
        let key = KeyPair::from_pem(&ca.key_pem).unwrap();
        let der = der_of(&ca);
        let (_, x) = X509Certificate::from_der(&der).unwrap();
        assert_eq!(
            x.public_key().subject_public_key.data.as_ref(),
            key.public_key_raw()
        );
    }

    #[test]
    fn subject_without_organization_and_real_clock() {
        let before = crate::time::now();
        let ca = generate(&opts("only-cn", None, 1)).unwrap();
        let after = crate::time::now();
        let cert = Cert::from_der(&der_of(&ca)).unwrap();
        assert_eq!(cert.subject, "CN=only-cn");
        assert!(cert.not_before >= before - CLOCK_SKEW_SECS);
        assert!(cert.not_before <= after - CLOCK_SKEW_SECS);
        assert!(cert.not_after >= before + 86_400 && cert.not_after <= after + 86_400);
    }

    #[test]
    fn each_call_makes_a_new_key() {
        let a = generate_at(&opts("root", None, 30), NOW).unwrap();
        let b = generate_at(&opts("root", None, 30), NOW).unwrap();
        assert_ne!(a.key_pem, b.key_pem);
        assert_ne!(a.cert_pem, b.cert_pem);
    }

    #[test]
    fn long_lifetimes_use_generalized_time() {
        // 2050 and later are GeneralizedTime in X.509; rcgen switches encodings.
        let ca = generate_at(&opts("root", None, 100 * 365), NOW).unwrap();
        let cert = Cert::from_der(&der_of(&ca)).unwrap();
        assert_eq!(cert.not_after, NOW + 100 * 365 * 86_400);
    }

    #[test]
    fn invalid_options_are_errors() {
        assert!(generate_at(&opts("", None, 30), NOW).is_err());
        assert!(generate_at(&opts("  ", None, 30), NOW).is_err());
        assert!(generate_at(&opts("root", Some(""), 30), NOW).is_err());
        assert!(generate_at(&opts("root", None, 0), NOW).is_err());
        let e = generate_at(&opts("root", None, u32::MAX), NOW).unwrap_err();
        assert!(e.contains("9999"), "{e}");
    }

    #[test]
    fn debug_shows_the_subject_and_never_the_key() {
        let ca = generate_at(&opts("debug-root", Some("Org"), 30), NOW).unwrap();
        let dbg = format!("{ca:?}");
        let pretty = format!("{ca:#?}");
        assert!(dbg.contains("CN=debug-root, O=Org"), "{dbg}");
        for text in [&dbg, &pretty] {
            assert!(!text.contains("PRIVATE KEY"));
            assert!(!text.contains("BEGIN"));
            let key_body: String = ca
                .key_pem
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .collect();
            assert!(!text.contains(&key_body));
            for line in ca.key_pem.lines().filter(|l| !l.starts_with("-----")) {
                assert!(!text.contains(line));
            }
        }
        let broken = LocalCa {
            cert_pem: "junk".to_string(),
            key_pem: "-----BEGIN PRIVATE KEY-----\nSECRET\n-----END PRIVATE KEY-----\n".to_string(),
        };
        let dbg = format!("{broken:?}");
        assert!(!dbg.contains("SECRET"), "{dbg}");
        assert!(dbg.contains("unparsable"), "{dbg}");
    }

    #[test]
    fn secret_shape() {
        let ca = generate_at(&opts("root", None, 30), NOW).unwrap();
        let s = secret(&ca, "cert-manager", "root-secret");
        assert_eq!(s["apiVersion"], "v1");
        assert_eq!(s["kind"], "Secret");
        assert_eq!(s["type"], "kubernetes.io/tls");
        assert_eq!(s["metadata"]["name"], "root-secret");
        assert_eq!(s["metadata"]["namespace"], "cert-manager");
        let data = s["data"].as_object().unwrap();
        let keys: Vec<&str> = data.keys().map(String::as_str).collect();
        assert_eq!(keys, ["tls.crt", "tls.key", "ca.crt"]);
        let decode = |k: &str| {
            String::from_utf8(crate::certs::decode_base64(data[k].as_str().unwrap()).unwrap())
                .unwrap()
        };
        assert_eq!(decode("tls.crt"), ca.cert_pem);
        assert_eq!(decode("tls.key"), ca.key_pem);
        assert_eq!(decode("ca.crt"), ca.cert_pem);
        assert!(s.get("stringData").is_none());
        // The tool's own reader sees a CA certificate in tls.crt.
        match crate::certs::read_value(
            data["tls.crt"].as_str().unwrap(),
            crate::certs::Encoding::Base64,
        ) {
            crate::certs::Content::Bundle(b) => assert!(b.certs[0].is_ca),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn secret_file_is_0600_yaml_and_never_overwritten() {
        let dir = scratch("write");
        let path = dir.join("root-secret.yaml");
        let ca = generate_at(&opts("root", None, 30), NOW).unwrap();
        let s = secret(&ca, "cert-manager", "root-secret");
        write_secret_file(&path, &s).unwrap();

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "mode {:o}", mode & 0o777);
        }

        // Valid YAML that reads back to the same Secret.
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# "));
        let back: Value = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(back, s);

        // A second write fails and leaves the first file untouched.
        let other = secret(
            &generate_at(&opts("other", None, 30), NOW).unwrap(),
            "cert-manager",
            "root-secret",
        );
        let err = write_secret_file(&path, &other).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);

        // A directory in the way is refused too.
        let err = write_secret_file(&dir, &s).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);

        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn secret_file_refuses_a_dangling_symlink() {
        let dir = scratch("symlink");
        let target = dir.join("elsewhere.yaml");
        let link = dir.join("root-secret.yaml");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let ca = generate_at(&opts("root", None, 30), NOW).unwrap();
        let err = write_secret_file(&link, &secret(&ca, "ns", "n")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert!(!target.exists(), "nothing written through the link");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_parent_directory_is_an_error_without_leftovers() {
        let dir = scratch("noparent");
        let path = dir.join("missing").join("root-secret.yaml");
        let ca = generate_at(&opts("root", None, 30), NOW).unwrap();
        let err = write_secret_file(&path, &secret(&ca, "ns", "n")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(!err.to_string().contains("PRIVATE"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
