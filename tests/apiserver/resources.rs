//! The resources the test API server serves, and its discovery documents.
//!
//! Built-in resources come from a fixed table (a subset of kube-apiserver v1.32); every
//! `apiextensions.k8s.io/v1` CustomResourceDefinition among the fixture objects adds its group,
//! served versions, plural, kind and scope — so a group such as `cert-manager.io` is discovered
//! only when its CRD is a fixture, as in a real cluster.

use serde_json::{Map, Value, json};

/// Verbs of a full read-write built-in resource, as kube-apiserver lists them.
const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
/// Namespaces have no `deletecollection`.
const NAMESPACE_VERBS: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];
/// Verbs of a `status` subresource.
const STATUS_VERBS: &[&str] = &["get", "patch", "update"];

/// (group, version, plural, singular, kind, namespaced, short names, categories, has status)
type Builtin = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static [&'static str],
    &'static [&'static str],
    bool,
);

const BUILTIN: &[Builtin] = &[
    (
        "",
        "v1",
        "configmaps",
        "configmap",
        "ConfigMap",
        true,
        &["cm"],
        &[],
        false,
    ),
    (
        "",
        "v1",
        "endpoints",
        "endpoints",
        "Endpoints",
        true,
        &["ep"],
        &[],
        false,
    ),
    (
        "",
        "v1",
        "namespaces",
        "namespace",
        "Namespace",
        false,
        &["ns"],
        &[],
        true,
    ),
    (
        "",
        "v1",
        "pods",
        "pod",
        "Pod",
        true,
        &["po"],
        &["all"],
        true,
    ),
    (
        "",
        "v1",
        "secrets",
        "secret",
        "Secret",
        true,
        &[],
        &[],
        false,
    ),
    (
        "",
        "v1",
        "serviceaccounts",
        "serviceaccount",
        "ServiceAccount",
        true,
        &["sa"],
        &[],
        false,
    ),
    (
        "",
        "v1",
        "services",
        "service",
        "Service",
        true,
        &["svc"],
        &["all"],
        true,
    ),
    (
        "apiregistration.k8s.io",
        "v1",
        "apiservices",
        "apiservice",
        "APIService",
        false,
        &[],
        &["api-extensions"],
        true,
    ),
    (
        "apps",
        "v1",
        "daemonsets",
        "daemonset",
        "DaemonSet",
        true,
        &["ds"],
        &["all"],
        true,
    ),
    (
        "apps",
        "v1",
        "deployments",
        "deployment",
        "Deployment",
        true,
        &["deploy"],
        &["all"],
        true,
    ),
    (
        "apps",
        "v1",
        "replicasets",
        "replicaset",
        "ReplicaSet",
        true,
        &["rs"],
        &["all"],
        true,
    ),
    (
        "apps",
        "v1",
        "statefulsets",
        "statefulset",
        "StatefulSet",
        true,
        &["sts"],
        &["all"],
        true,
    ),
    (
        "batch",
        "v1",
        "cronjobs",
        "cronjob",
        "CronJob",
        true,
        &["cj"],
        &["all"],
        true,
    ),
    (
        "batch",
        "v1",
        "jobs",
        "job",
        "Job",
        true,
        &[],
        &["all"],
        true,
    ),
    (
        "networking.k8s.io",
        "v1",
        "ingressclasses",
        "ingressclass",
        "IngressClass",
        false,
        &[],
        &[],
        false,
    ),
    (
        "networking.k8s.io",
        "v1",
        "ingresses",
        "ingress",
        "Ingress",
        true,
        &["ing"],
        &[],
        true,
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "clusterrolebinding",
        "ClusterRoleBinding",
        false,
        &[],
        &[],
        false,
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "clusterroles",
        "clusterrole",
        "ClusterRole",
        false,
        &[],
        &[],
        false,
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "rolebindings",
        "rolebinding",
        "RoleBinding",
        true,
        &[],
        &[],
        false,
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "roles",
        "role",
        "Role",
        true,
        &[],
        &[],
        false,
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "mutatingwebhookconfigurations",
        "mutatingwebhookconfiguration",
        "MutatingWebhookConfiguration",
        false,
        &[],
        &["api-extensions"],
        false,
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        "validatingwebhookconfiguration",
        "ValidatingWebhookConfiguration",
        false,
        &[],
        &["api-extensions"],
        false,
    ),
    (
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "customresourcedefinition",
        "CustomResourceDefinition",
        false,
        &["crd", "crds"],
        &["api-extensions"],
        true,
    ),
    (
        "discovery.k8s.io",
        "v1",
        "endpointslices",
        "endpointslice",
        "EndpointSlice",
        true,
        &[],
        &[],
        false,
    ),
];

/// The order of the built-in groups in `/apis`, as kube-apiserver v1.32 lists them (restricted to
/// the groups served here). Groups of CustomResourceDefinitions follow, alphabetically.
const BUILTIN_GROUP_ORDER: &[&str] = &[
    "apiregistration.k8s.io",
    "apps",
    "batch",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "discovery.k8s.io",
];

/// One served resource (all its served versions).
#[derive(Clone, Debug)]
pub(crate) struct ResourceDef {
    pub group: String,
    /// Served versions, most preferred first.
    pub versions: Vec<String>,
    pub plural: String,
    pub singular: String,
    pub kind: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub verbs: Vec<String>,
    /// Subresources (only `status` here).
    pub subresources: Vec<String>,
    /// Defined by a CustomResourceDefinition fixture.
    pub custom: bool,
}

impl ResourceDef {
    /// `plural` for the core group, `plural.group` otherwise (as in error messages).
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    pub fn serves(&self, version: &str) -> bool {
        self.versions.iter().any(|v| v == version)
    }
}

/// `v1` for the core group, `group/version` otherwise.
pub(crate) fn group_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// Splits an `apiVersion` into (group, version).
pub(crate) fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

/// All served resources and groups.
#[derive(Debug)]
pub(crate) struct Registry {
    pub defs: Vec<ResourceDef>,
    /// (group, versions most preferred first), in `/apis` order; the core group is not included.
    groups: Vec<(String, Vec<String>)>,
}

impl Registry {
    pub fn new(objects: &[Value]) -> Registry {
        let mut defs: Vec<ResourceDef> = BUILTIN
            .iter()
            .map(
                |&(group, version, plural, singular, kind, namespaced, short, cats, status)| {
                    ResourceDef {
                        group: group.into(),
                        versions: vec![version.into()],
                        plural: plural.into(),
                        singular: singular.into(),
                        kind: kind.into(),
                        namespaced,
                        short_names: short.iter().map(|s| s.to_string()).collect(),
                        categories: cats.iter().map(|s| s.to_string()).collect(),
                        verbs: if plural == "namespaces" {
                            NAMESPACE_VERBS
                        } else {
                            ALL_VERBS
                        }
                        .iter()
                        .map(|s| s.to_string())
                        .collect(),
                        subresources: if status {
                            vec!["status".into()]
                        } else {
                            vec![]
                        },
                        custom: false,
                    }
                },
            )
            .collect();
        for obj in objects {
            if obj["apiVersion"] == "apiextensions.k8s.io/v1"
                && obj["kind"] == "CustomResourceDefinition"
                && let Some(def) = crd_def(obj)
                && !defs
                    .iter()
                    .any(|d| d.group == def.group && (d.plural == def.plural || d.kind == def.kind))
            {
                defs.push(def);
            }
        }

        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        let mut custom_groups: Vec<String> = defs
            .iter()
            .filter(|d| !d.group.is_empty() && !BUILTIN_GROUP_ORDER.contains(&d.group.as_str()))
            .map(|d| d.group.clone())
            .collect();
        custom_groups.sort();
        custom_groups.dedup();
        for name in BUILTIN_GROUP_ORDER
            .iter()
            .map(|s| s.to_string())
            .chain(custom_groups)
        {
            let mut versions: Vec<String> = defs
                .iter()
                .filter(|d| d.group == name)
                .flat_map(|d| d.versions.iter().cloned())
                .collect();
            versions.sort_by(|a, b| compare_versions(a, b));
            versions.dedup();
            groups.push((name, versions));
        }
        Registry { defs, groups }
    }

    pub fn by_kind(&self, group: &str, kind: &str) -> Option<usize> {
        self.defs
            .iter()
            .position(|d| d.group == group && d.kind == kind)
    }

    pub fn by_plural(&self, group: &str, plural: &str) -> Option<usize> {
        self.defs
            .iter()
            .position(|d| d.group == group && d.plural == plural)
    }

    /// Whether `group/version` is served (the core group has only `v1`).
    pub fn serves_group_version(&self, group: &str, version: &str) -> bool {
        self.defs
            .iter()
            .any(|d| d.group == group && d.serves(version))
    }

    /// Legacy `GET /api`: `APIVersions`.
    pub fn api_versions(&self, server_address: &str) -> Value {
        json!({
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
            ]
        })
    }

    fn api_group(&self, name: &str, versions: &[String]) -> Value {
        let gvs: Vec<Value> = versions
            .iter()
            .map(|v| json!({"groupVersion": group_version(name, v), "version": v}))
            .collect();
        json!({
            "name": name,
            "versions": gvs,
            "preferredVersion": gvs[0].clone(),
        })
    }

    /// Legacy `GET /apis`: `APIGroupList`.
    pub fn api_group_list(&self) -> Value {
        let groups: Vec<Value> = self
            .groups
            .iter()
            .map(|(name, versions)| self.api_group(name, versions))
            .collect();
        json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
    }

    /// `GET /apis/{group}`: `APIGroup`.
    pub fn api_group_doc(&self, group: &str) -> Option<Value> {
        let (name, versions) = self.groups.iter().find(|(n, _)| n == group)?;
        let mut doc = Map::new();
        doc.insert("kind".into(), "APIGroup".into());
        doc.insert("apiVersion".into(), "v1".into());
        if let Value::Object(m) = self.api_group(name, versions) {
            doc.extend(m);
        }
        Some(Value::Object(doc))
    }

    /// `GET /api/v1` or `/apis/{group}/{version}`: `APIResourceList`.
    pub fn resource_list(&self, group: &str, version: &str) -> Option<Value> {
        if !self.serves_group_version(group, version) {
            return None;
        }
        let mut entries: Vec<(String, Value)> = Vec::new();
        for d in self
            .defs
            .iter()
            .filter(|d| d.group == group && d.serves(version))
        {
            let mut r = Map::new();
            r.insert("name".into(), d.plural.clone().into());
            r.insert("singularName".into(), d.singular.clone().into());
            r.insert("namespaced".into(), d.namespaced.into());
            r.insert("kind".into(), d.kind.clone().into());
            r.insert("verbs".into(), json!(d.verbs));
            if !d.short_names.is_empty() {
                r.insert("shortNames".into(), json!(d.short_names));
            }
            if !d.categories.is_empty() {
                r.insert("categories".into(), json!(d.categories));
            }
            entries.push((d.plural.clone(), Value::Object(r)));
            for sub in &d.subresources {
                let name = format!("{}/{}", d.plural, sub);
                entries.push((
                    name.clone(),
                    json!({
                        "name": name,
                        "singularName": "",
                        "namespaced": d.namespaced,
                        "kind": d.kind,
                        "verbs": STATUS_VERBS,
                    }),
                ));
            }
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        Some(json!({
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": group_version(group, version),
            "resources": entries.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
        }))
    }

    /// Aggregated discovery (`apidiscovery.k8s.io/{v2,v2beta1}` `APIGroupDiscoveryList`) of the
    /// core group (`GET /api`) or of all other groups (`GET /apis`).
    pub fn aggregated(&self, core: bool, api_version: &str) -> Value {
        let groups: Vec<(String, Vec<String>)> = if core {
            vec![(String::new(), vec!["v1".to_string()])]
        } else {
            self.groups.clone()
        };
        let items: Vec<Value> = groups
            .iter()
            .map(|(name, versions)| {
                let mut metadata = Map::new();
                if !name.is_empty() {
                    metadata.insert("name".into(), name.clone().into());
                }
                metadata.insert("creationTimestamp".into(), Value::Null);
                let versions: Vec<Value> = versions
                    .iter()
                    .map(|v| {
                        let mut defs: Vec<&ResourceDef> = self
                            .defs
                            .iter()
                            .filter(|d| &d.group == name && d.serves(v))
                            .collect();
                        defs.sort_by(|a, b| a.plural.cmp(&b.plural));
                        let resources: Vec<Value> =
                            defs.iter().map(|d| aggregated_resource(d)).collect();
                        json!({"version": v, "resources": resources, "freshness": "Current"})
                    })
                    .collect();
                json!({"metadata": metadata, "versions": versions})
            })
            .collect();
        json!({
            "kind": "APIGroupDiscoveryList",
            "apiVersion": api_version,
            "metadata": {},
            "items": items,
        })
    }
}

/// One `APIResourceDiscovery`. Like kube-apiserver, `responseKind` carries an empty group and
/// version (they are those of the enclosing group version).
fn aggregated_resource(d: &ResourceDef) -> Value {
    let mut r = Map::new();
    r.insert("resource".into(), d.plural.clone().into());
    r.insert(
        "responseKind".into(),
        json!({"group": "", "version": "", "kind": d.kind}),
    );
    r.insert(
        "scope".into(),
        if d.namespaced {
            "Namespaced"
        } else {
            "Cluster"
        }
        .into(),
    );
    r.insert("singularResource".into(), d.singular.clone().into());
    r.insert("verbs".into(), json!(d.verbs));
    if !d.short_names.is_empty() {
        r.insert("shortNames".into(), json!(d.short_names));
    }
    if !d.categories.is_empty() {
        r.insert("categories".into(), json!(d.categories));
    }
    if !d.subresources.is_empty() {
        let subs: Vec<Value> = d
            .subresources
            .iter()
            .map(|s| {
                json!({
                    "subresource": s,
                    "responseKind": {"group": "", "version": "", "kind": d.kind},
                    "verbs": STATUS_VERBS,
                })
            })
            .collect();
        r.insert("subresources".into(), subs.into());
    }
    Value::Object(r)
}

/// The resource a CustomResourceDefinition (apiextensions.k8s.io/v1) defines, if it serves any
/// version.
fn crd_def(crd: &Value) -> Option<ResourceDef> {
    let spec = &crd["spec"];
    let names = &spec["names"];
    let group = spec["group"].as_str()?;
    let plural = names["plural"].as_str()?;
    let kind = names["kind"].as_str()?;
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let served: Vec<&Value> = spec["versions"]
        .as_array()?
        .iter()
        .filter(|v| v["served"].as_bool().unwrap_or(false) && v["name"].is_string())
        .collect();
    let mut versions: Vec<String> = served
        .iter()
        .map(|v| v["name"].as_str().unwrap_or_default().to_string())
        .collect();
    if versions.is_empty() {
        return None;
    }
    versions.sort_by(|a, b| compare_versions(a, b));
    versions.dedup();
    let status = served
        .iter()
        .any(|v| v["subresources"]["status"].is_object());
    Some(ResourceDef {
        group: group.into(),
        versions,
        plural: plural.into(),
        singular: names["singular"]
            .as_str()
            .map(String::from)
            .unwrap_or_else(|| kind.to_lowercase()),
        kind: kind.into(),
        namespaced: spec["scope"] != "Cluster",
        short_names: strings(&names["shortNames"]),
        categories: strings(&names["categories"]),
        verbs: ALL_VERBS.iter().map(|s| s.to_string()).collect(),
        subresources: if status {
            vec!["status".into()]
        } else {
            vec![]
        },
        custom: true,
    })
}

/// Kubernetes version priority (`v2` > `v1` > `v1beta2` > `v1beta1` > `v1alpha1` > others
/// alphabetically), as an ordering with the most preferred first.
pub(crate) fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    fn key(v: &str) -> Option<(u8, u64, u64)> {
        let rest = v.strip_prefix('v')?;
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let major: u64 = rest[..digits].parse().ok()?;
        let tail = &rest[digits..];
        if tail.is_empty() {
            return Some((3, major, 0));
        }
        let (stability, num) = if let Some(n) = tail.strip_prefix("beta") {
            (2, n)
        } else if let Some(n) = tail.strip_prefix("alpha") {
            (1, n)
        } else {
            return None;
        };
        if num.is_empty() || !num.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        Some((stability, major, num.parse().ok()?))
    }
    match (key(a), key(b)) {
        (Some(x), Some(y)) => y.cmp(&x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}
