//! cert-manager references resolved once for every rule (RULES.md §1.5): issuerRef defaulting and
//! lookup, what kind of CA an issuer is, and which Certificates write which Secret.

use std::collections::HashMap;

use crate::load::Text;

use super::inventory::Inventory;
use super::object::{ObjId, Object};
use crate::load::Node;

/// cert-manager's API group.
pub const GROUP: &str = "cert-manager.io";
/// The AWS Private CA issuer's API group.
pub const AWSPCA_GROUP: &str = "awspca.cert-manager.io";

/// The cert-manager kinds rules about Certificates and issuers read (RULES.md §1.5).
pub const KINDS: crate::rules::KindSet = &[
    (GROUP, "Certificate"),
    (GROUP, "CertificateRequest"),
    (GROUP, "Issuer"),
    (GROUP, "ClusterIssuer"),
    (AWSPCA_GROUP, "AWSPCAIssuer"),
    (AWSPCA_GROUP, "AWSPCAClusterIssuer"),
    ("", "Secret"),
];

/// An `issuerRef` after cert-manager's defaulting (`kind: Issuer`, `group: cert-manager.io`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerRef {
    /// `name` (empty when missing).
    pub name: String,
    /// `kind`, defaulted.
    pub kind: String,
    /// `group`, defaulted.
    pub group: String,
    /// Whether `kind` was written.
    pub kind_set: bool,
    /// Whether `group` was written (and not empty).
    pub group_set: bool,
}

impl IssuerRef {
    /// Read `issuerRef` from its node, applying the defaults of `pkg/apis/meta/v1/types.go`.
    pub fn from_node(node: &Node) -> Self {
        let text = |k: &str| node.get(k).and_then(Node::scalar_text).unwrap_or("");
        let (kind, group) = (text("kind"), text("group"));
        IssuerRef {
            name: text("name").to_string(),
            kind: if kind.is_empty() { "Issuer" } else { kind }.to_string(),
            group: if group.is_empty() { GROUP } else { group }.to_string(),
            kind_set: !kind.is_empty(),
            group_set: !group.is_empty(),
        }
    }

    /// Whether the referenced issuer is namespaced (it must then be in the Certificate's namespace).
    pub fn namespaced(&self) -> bool {
        !self.kind.contains("ClusterIssuer")
    }
}

/// How an issuerRef resolves against the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// The issuer object is in the input.
    Found(ObjId),
    /// Declared to exist outside the input (config `objects:`).
    Declared,
    /// Not in the input.
    Missing,
    /// A group this tool knows nothing about (another external issuer): cannot be validated.
    UnknownGroup,
    /// `group: cert-manager.io` (or defaulted) with a kind other than Issuer/ClusterIssuer, or an AWS
    /// PCA kind that does not exist.
    BadKind,
}

/// What an issuer can sign with, as far as `ca.crt` and CA certificates are concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IssuerType {
    /// ACME: public CA, no `ca.crt`, cannot issue CA certificates.
    Acme,
    /// CA issuer backed by the Secret `secret_name`.
    Ca {
        /// `spec.ca.secretName`.
        secret_name: String,
    },
    /// SelfSigned.
    SelfSigned,
    /// Vault (returns the CA).
    Vault,
    /// Venafi / CyberArk (`ca.crt` best effort).
    Venafi,
    /// AWS Private CA issuer (returns the root as `status.ca`).
    AwsPca,
    /// No recognised issuer block.
    Unknown,
}

/// The type of an Issuer/ClusterIssuer/AWSPCA issuer object.
pub fn issuer_type(obj: &Object) -> IssuerType {
    if obj.group == AWSPCA_GROUP {
        return IssuerType::AwsPca;
    }
    let Some(spec) = obj.spec() else {
        return IssuerType::Unknown;
    };
    if spec.get("acme").is_some() {
        IssuerType::Acme
    } else if let Some(ca) = spec.get("ca") {
        IssuerType::Ca {
            secret_name: ca.str_at(&["secretName"]).unwrap_or("").to_string(),
        }
    } else if spec.get("selfSigned").is_some() {
        IssuerType::SelfSigned
    } else if spec.get("vault").is_some() {
        IssuerType::Vault
    } else if spec.get("venafi").is_some() {
        IssuerType::Venafi
    } else {
        IssuerType::Unknown
    }
}

/// Indexes over cert-manager objects, built once with the inventory.
#[derive(Debug, Default)]
pub struct CertManagerIndex {
    /// Certificates by `(namespace, spec.secretName)`, in input order.
    by_secret: HashMap<(Option<Text>, Text), Vec<ObjId>>,
}

impl CertManagerIndex {
    /// Index the Certificates of `inv`.
    pub fn build(inv: &Inventory) -> Self {
        let mut idx = CertManagerIndex::default();
        for &c in inv.of_kind(GROUP, "Certificate") {
            let obj = inv.get(c);
            if let Some(secret) = obj.root.str_at(&["spec", "secretName"]) {
                idx.by_secret
                    .entry((obj.id.namespace.clone(), Text::new(secret)))
                    .or_default()
                    .push(c);
            }
        }
        idx
    }

    /// Certificates writing Secret `namespace/secret`.
    pub fn certificates_for_secret(&self, namespace: Option<&str>, secret: &str) -> &[ObjId] {
        self.by_secret
            .get(&(namespace.map(Text::new), Text::new(secret)))
            .map_or(&[], Vec::as_slice)
    }
}

impl Inventory {
    /// Resolve an issuerRef of an object in namespace `ns`.
    pub fn resolve_issuer(&self, ns: Option<&str>, r: &IssuerRef) -> Resolution {
        let (group, kind) = (r.group.as_str(), r.kind.as_str());
        let kind_ok = match group {
            GROUP => matches!(kind, "Issuer" | "ClusterIssuer"),
            AWSPCA_GROUP => matches!(kind, "AWSPCAIssuer" | "AWSPCAClusterIssuer"),
            _ => return Resolution::UnknownGroup,
        };
        if !kind_ok {
            return Resolution::BadKind;
        }
        let ns = if r.namespaced() { ns } else { None };
        if let Some(id) = self.find(group, kind, ns, &r.name) {
            Resolution::Found(id)
        } else if self.exists(group, kind, ns, &r.name) {
            Resolution::Declared
        } else {
            Resolution::Missing
        }
    }

    /// The issuer a Certificate (or CertificateRequest) names, when it is in the input.
    pub fn issuer_of(&self, cert: ObjId) -> Option<ObjId> {
        let obj = self.get(cert);
        let r = IssuerRef::from_node(obj.root.path(&["spec", "issuerRef"])?);
        match self.resolve_issuer(obj.ns(), &r) {
            Resolution::Found(id) => Some(id),
            _ => None,
        }
    }

    /// Certificates writing Secret `namespace/secret`.
    pub fn certificates_for_secret(&self, namespace: Option<&str>, secret: &str) -> &[ObjId] {
        self.cert_manager.certificates_for_secret(namespace, secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Settings;

    #[test]
    fn issuer_ref_defaults_kind_and_group() {
        let inv = Inventory::from_yaml(
            "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c, namespace: a}\nspec:\n  secretName: s\n  issuerRef: {name: ca}\n",
            Settings::default(),
        );
        let node = inv.get(0).root.path(&["spec", "issuerRef"]).unwrap();
        let r = IssuerRef::from_node(node);
        assert_eq!((r.kind.as_str(), r.group.as_str()), ("Issuer", GROUP));
        assert!(!r.kind_set && !r.group_set && r.namespaced());
        assert_eq!(inv.resolve_issuer(Some("a"), &r), Resolution::Missing);
        assert_eq!(inv.certificates_for_secret(Some("a"), "s"), &[0]);
    }

    #[test]
    fn namespaced_issuer_must_share_the_namespace() {
        let inv = Inventory::from_yaml(
            "apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: ca, namespace: b}\nspec: {ca: {secretName: root}}\n---\napiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: acme}\nspec: {acme: {}}\n",
            Settings::default(),
        );
        let r = |kind: &str, name: &str| IssuerRef {
            name: name.into(),
            kind: kind.into(),
            group: GROUP.into(),
            kind_set: true,
            group_set: false,
        };
        assert_eq!(
            inv.resolve_issuer(Some("a"), &r("Issuer", "ca")),
            Resolution::Missing
        );
        assert_eq!(
            inv.resolve_issuer(Some("b"), &r("Issuer", "ca")),
            Resolution::Found(0)
        );
        assert_eq!(
            inv.resolve_issuer(Some("a"), &r("ClusterIssuer", "acme")),
            Resolution::Found(1)
        );
        assert_eq!(
            inv.resolve_issuer(Some("a"), &r("Certificate", "x")),
            Resolution::BadKind
        );
        assert_eq!(issuer_type(inv.get(1)), IssuerType::Acme);
        assert_eq!(
            issuer_type(inv.get(0)),
            IssuerType::Ca {
                secret_name: "root".into()
            }
        );
    }
}
