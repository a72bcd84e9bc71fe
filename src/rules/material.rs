//! TLS material of Secrets and ConfigMaps as rules read it: which key holds certificates (and how it
//! is encoded), whether cert-manager renews a Secret, which Secrets pods mount, and Go's boolean flags.

use crate::certs::{self, Cert, Content, Encoding};
use crate::load::node::pointer;
use crate::model::{Inventory, ObjId, Object};

/// A certificate-bearing value of a Secret (`stringData` wins over `data`, as in the API server) or a
/// ConfigMap (`data` is text), with its pointer. `None` when the key is absent.
pub fn pem_value<'a>(obj: &'a Object, key: &str) -> Option<(String, &'a str, Encoding)> {
    let fields: &[(&str, Encoding)] = if obj.id.kind == "Secret" {
        &[("stringData", Encoding::Pem), ("data", Encoding::Base64)]
    } else {
        &[("data", Encoding::Pem)]
    };
    fields.iter().find_map(|&(field, enc)| {
        let v = obj.root.path(&[field, key])?;
        Some((pointer([field, key]), v.scalar_text().unwrap_or(""), enc))
    })
}

/// What a certificate value holds.
pub enum Pem {
    /// At least one certificate (`failed` blocks could not be parsed).
    Certs {
        /// Parsed certificates, in order.
        certs: Vec<Cert>,
        /// Certificate blocks that could not be parsed.
        failed: usize,
    },
    /// Empty or whitespace.
    Empty,
    /// Unusable: why, as a phrase for messages ("is not valid base64", "is not a PEM certificate
    /// bundle (…)"). Never quotes the value.
    Invalid(String),
}

/// Read a value found by [`pem_value`].
pub fn read_pem(value: &str, encoding: Encoding) -> Pem {
    match certs::read_value(value, encoding) {
        Content::Empty => Pem::Empty,
        Content::NotBase64 { pem_text: true } => {
            Pem::Invalid("holds PEM text where base64 is expected".to_string())
        }
        Content::NotBase64 { pem_text: false } => Pem::Invalid("is not valid base64".to_string()),
        Content::Bundle(b) => match b.problem() {
            Some(p) => Pem::Invalid(p),
            None => Pem::Certs {
                certs: b.certs,
                failed: b.failed,
            },
        },
    }
}

/// The parsed certificates of `key` of a Secret or ConfigMap, with the value's pointer; `None` when
/// absent, empty or unusable.
pub fn certs_of(obj: &Object, key: &str) -> Option<(String, Vec<Cert>)> {
    let (ptr, value, enc) = pem_value(obj, key)?;
    match read_pem(value, enc) {
        Pem::Certs { certs, .. } => Some((ptr, certs)),
        _ => None,
    }
}

/// Whether cert-manager writes (and so renews) a Secret: it carries cert-manager's
/// `cert-manager.io/certificate-name` annotation, or a Certificate of the input targets it.
pub fn cert_manager_secret(inv: &Inventory, secret: &Object) -> bool {
    secret
        .annotation("cert-manager.io/certificate-name")
        .is_some()
        || !inv
            .certificates_for_secret(secret.ns(), &secret.id.name)
            .is_empty()
}

/// The Secrets (in the input) mounted by pod templates, each once, with the first workload mounting
/// it, in order.
pub fn mounted_secrets(inv: &Inventory, templates: &[usize]) -> Vec<(ObjId, ObjId)> {
    let mut out: Vec<(ObjId, ObjId)> = Vec::new();
    for &t in templates {
        let Some((w, spec)) = inv.pod_spec(t) else {
            continue;
        };
        for m in crate::model::webhook::secret_mounts(spec, "") {
            if let Some(s) = inv.find("", "Secret", w.ns(), &m.secret)
                && !out.iter().any(|(seen, _)| *seen == s)
            {
                out.push((s, inv.template(t).object));
            }
        }
    }
    out
}

/// `true`/`false` as Go's `strconv.ParseBool` reads them (pflag bool flags).
pub fn go_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Whether Go's `strconv.ParseBool` reads `v` as true.
pub fn go_true(v: &str) -> bool {
    go_bool(v) == Some(true)
}
