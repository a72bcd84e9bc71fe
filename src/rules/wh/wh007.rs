//! WH007 cainjector-source-has-no-ca: the Certificate `inject-ca-from` names comes from an issuer that
//! does not write `ca.crt`, so there is nothing to inject.
//!
//! `inject-ca-from: ns/C` → Certificate C → its issuerRef → Issuer/ClusterIssuer in the input:
//! * ACME → error ("with the ACME issuer, the CA is not known and ca.crt will not exist"; cainjector:
//!   "certificate has no CA data");
//! * Venafi, an issuer without a recognised type, or an external issuer group other than AWS PCA →
//!   info (`ca.crt` is best effort);
//! * CA, SelfSigned, Vault and AWS PCA (root returned as `status.ca`) write `ca.crt` → nothing.
//!
//! Objects matched by a §1.8 fingerprint are skipped. A missing Certificate or issuer is reported by
//! WH004 and CM002.

use crate::model::certmanager::{self, IssuerRef, IssuerType, Resolution, issuer_type};
use crate::model::webhook::{self, INJECT_CA_FROM};
use crate::model::{Inventory, Settings};
use crate::rules::{BuiltinRule, Finding, KindSet, Severity};

use super::{annotation_ptr, injected_certificate, unexempt};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "WH007",
    kinds,
    check,
};

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![webhook::KINDS, certmanager::KINDS]
}

const ID: &str = "WH007";

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    for inj in unexempt(inv) {
        let Some(cert) = injected_certificate(inv, inj) else {
            continue;
        };
        let cert_obj = inv.get(cert);
        let Some(r) = cert_obj
            .root
            .path(&["spec", "issuerRef"])
            .map(IssuerRef::from_node)
        else {
            continue;
        };
        let ptr = annotation_ptr(INJECT_CA_FROM);
        let finding = match inv.resolve_issuer(cert_obj.ns(), &r) {
            Resolution::UnknownGroup => Some((
                Severity::Info,
                format!(
                    "{} is issued by external issuer {}.{} {}: whether it writes `ca.crt` is up to that issuer",
                    cert_obj.id.display(),
                    r.kind,
                    r.group,
                    r.name
                ),
                None,
            )),
            Resolution::Found(issuer) => {
                let what = inv.get(issuer).id.display();
                match issuer_type(inv.get(issuer)) {
                    IssuerType::Acme => Some((
                        Severity::Error,
                        format!(
                            "{} is issued by ACME {what}: ACME certificates have no `ca.crt`, so cainjector has no CA to inject (\"certificate has no CA data\")",
                            cert_obj.id.display()
                        ),
                        Some(issuer),
                    )),
                    IssuerType::Venafi | IssuerType::Unknown => Some((
                        Severity::Info,
                        format!(
                            "{} is issued by {what}, which writes `ca.crt` only on a best-effort basis",
                            cert_obj.id.display()
                        ),
                        Some(issuer),
                    )),
                    _ => None,
                }
            }
            _ => None,
        };
        if let Some((severity, message, issuer)) = finding {
            let mut related = vec![inv.obj_ref(cert)];
            related.extend(issuer.map(|i| inv.obj_ref(i)));
            out.push(
                Finding::new(ID, severity, inj.object, ptr, message)
                    .related(related)
                    .help("Use a CA, SelfSigned→CA or AWS Private CA issuer for webhook certificates; a public ACME certificate is unnecessary for apiserver→webhook traffic."),
            );
        }
    }
}
