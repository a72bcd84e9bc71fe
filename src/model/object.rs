//! Kubernetes objects as the rules see them: identity plus the positioned tree.

use crate::load::{Document, InputError, Node, Text, Value};

/// Index of an object in the [`super::Inventory`].
pub type ObjId = usize;

/// Identity of an object, as reported in findings (`object` and `related` in JSON).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct ObjRef {
    /// `apiVersion`, e.g. `networking.k8s.io/v1` (empty for related objects known only by kind).
    #[serde(rename = "apiVersion", skip_serializing_if = "Text::is_empty")]
    pub api_version: Text,
    /// `kind`.
    pub kind: Text,
    /// `metadata.namespace`, absent for cluster-scoped objects and for manifests applied with `-n`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<Text>,
    /// `metadata.name` (or `generateName`).
    pub name: Text,
}

impl ObjRef {
    /// A reference known by kind, namespace and name only.
    pub fn new(kind: &str, namespace: Option<&str>, name: &str) -> Self {
        ObjRef {
            api_version: Text::default(),
            kind: Text::new(kind),
            namespace: namespace.map(Text::new),
            name: Text::new(name),
        }
    }

    /// `kind/name` or `kind ns/name`, for messages.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// A Kubernetes object read from a manifest (or, later, from a cluster).
#[derive(Debug)]
pub struct Object {
    /// Identity.
    pub id: ObjRef,
    /// API group (the part of `apiVersion` before `/`, empty for the core group).
    pub group: Text,
    /// Index of the file it came from (into the run's file list).
    pub file: usize,
    /// JSON pointer of the object inside its document (empty, or `/items/3` inside a `List`).
    pub base: String,
    /// The object.
    pub root: Node,
}

impl Object {
    /// The annotations, as (key, value node) pairs.
    pub fn annotations(&self) -> &[crate::load::Entry] {
        self.root
            .path(&["metadata", "annotations"])
            .map_or(&[], Node::entries)
    }

    /// The string value of an annotation (any scalar's text: annotations are strings in the API).
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.root
            .path(&["metadata", "annotations", key])
            .and_then(Node::scalar_text)
    }

    /// A label's value.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.root
            .path(&["metadata", "labels", key])
            .and_then(Node::scalar_text)
    }

    /// `spec`, or a null-like empty node.
    pub fn spec(&self) -> Option<&Node> {
        self.root.get("spec")
    }

    /// Whether this object is of `group`/`kind`.
    pub fn is(&self, group: &str, kind: &str) -> bool {
        self.group == group && self.id.kind == kind
    }

    /// Namespace as a `&str` (empty when unset).
    pub fn ns(&self) -> Option<&str> {
        self.id.namespace.as_deref()
    }
}

/// The API group of an `apiVersion`.
pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// Turn a document into objects: a Kubernetes object, the items of a `List`/`*List`, or nothing for a
/// document that is not a Kubernetes object (e.g. `kustomization.yaml`). Problems that kubectl would
/// reject the document for (a non-mapping item, a non-string kind) become input errors.
pub fn objects_from_document(
    file_index: usize,
    file_name: &str,
    doc: Document,
    out: &mut Vec<Object>,
    errors: &mut Vec<InputError>,
) {
    let root = doc.root;
    if !matches!(root.value, Value::Map(_)) {
        return;
    }
    let (Some(api_version), Some(kind)) = (root.get("apiVersion"), root.get("kind")) else {
        return; // Not a Kubernetes object: skipped, not an error.
    };
    let (Some(_), Some(kind)) = (api_version.as_str(), kind.as_str()) else {
        errors.push(InputError::at(
            file_name,
            root.pos,
            "`apiVersion` and `kind` must be strings",
        ));
        return;
    };
    let is_list = kind.ends_with("List") && root.get("items").is_some();
    if !is_list {
        if let Some(obj) = make_object(file_index, file_name, String::new(), root, errors) {
            out.push(obj);
        }
        return;
    }
    let Value::Map(entries) = root.value else {
        return;
    };
    for entry in entries {
        if entry.key != "items" {
            continue;
        }
        match entry.value.value {
            Value::Seq(items) => {
                for (i, item) in items.into_iter().enumerate() {
                    let base = format!("/items/{i}");
                    if !matches!(item.value, Value::Map(_)) {
                        errors.push(InputError::at(
                            file_name,
                            item.pos,
                            "a List item must be a mapping",
                        ));
                        continue;
                    }
                    if item.get("apiVersion").is_none() || item.get("kind").is_none() {
                        errors.push(InputError::at(
                            file_name,
                            item.pos,
                            "a List item needs `apiVersion` and `kind`",
                        ));
                        continue;
                    }
                    if let Some(obj) = make_object(file_index, file_name, base, item, errors) {
                        out.push(obj);
                    }
                }
            }
            Value::Scalar(ref s) if s.ty == crate::load::ScalarType::Null => {}
            _ => errors.push(InputError::at(
                file_name,
                entry.value.pos,
                "`items` must be a sequence",
            )),
        }
    }
}

/// Cluster-scoped kinds the rules resolve references to (their `metadata.namespace` is ignored).
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    ("apiregistration.k8s.io", "APIService"),
    ("networking.k8s.io", "IngressClass"),
    ("gateway.networking.k8s.io", "GatewayClass"),
    ("cert-manager.io", "ClusterIssuer"),
    ("awspca.cert-manager.io", "AWSPCAClusterIssuer"),
    ("trust.cert-manager.io", "Bundle"),
    ("trust-manager.io", "ClusterBundle"),
];

/// An object read from a cluster (positions are all zero; findings are located by pointer).
pub fn object_from_json(file: usize, value: &serde_json::Value) -> Option<Object> {
    let mut errors = Vec::new();
    make_object(file, "", String::new(), Node::from_json(value), &mut errors)
}

fn make_object(
    file: usize,
    file_name: &str,
    base: String,
    root: Node,
    errors: &mut Vec<InputError>,
) -> Option<Object> {
    let (Some(api_version), Some(kind)) = (root.str_at(&["apiVersion"]), root.str_at(&["kind"]))
    else {
        errors.push(InputError::at(
            file_name,
            root.pos,
            "`apiVersion` and `kind` must be strings",
        ));
        return None;
    };
    let meta = root.get("metadata");
    let name = meta
        .and_then(|m| m.get("name").or_else(|| m.get("generateName")))
        .and_then(Node::scalar_text)
        .map_or_else(Text::default, Text::new);
    // The API server ignores `metadata.namespace` on cluster-scoped kinds; so do references to them.
    let namespace = meta
        .and_then(|m| m.get("namespace"))
        .and_then(Node::scalar_text)
        .filter(|_| !CLUSTER_SCOPED.contains(&(group_of(api_version), kind)))
        .map(Text::new);
    let id = ObjRef {
        api_version: Text::new(api_version),
        kind: Text::new(kind),
        namespace,
        name,
    };
    Some(Object {
        group: Text::new(group_of(api_version)),
        id,
        file,
        base,
        root,
    })
}
