//! The inventory: every object read, indexed once so cross-object rules never rescan the input.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

use super::certmanager::CertManagerIndex;
use super::object::{ObjId, ObjRef, Object};
use super::ownership::{self, IngressGroup, IngressOwner, ServiceOwner};
use super::settings::Settings;
use super::webhook::WebhookGraph;
use crate::load::{Node, Text};

/// An object declared to exist outside the input (config `objects:`), e.g. a ClusterIssuer that the
/// platform team manages.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Declared {
    /// `kind`.
    pub kind: String,
    /// API group (empty or omitted for the core group).
    #[serde(default)]
    pub group: String,
    /// Namespace (omit for cluster-scoped kinds).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
}

/// Kinds that carry a pod template, and where the pod spec is.
const WORKLOADS: [(&str, &str, &[&str]); 7] = [
    ("apps", "Deployment", &["spec", "template"]),
    ("apps", "StatefulSet", &["spec", "template"]),
    ("apps", "DaemonSet", &["spec", "template"]),
    ("apps", "ReplicaSet", &["spec", "template"]),
    ("batch", "Job", &["spec", "template"]),
    (
        "batch",
        "CronJob",
        &["spec", "jobTemplate", "spec", "template"],
    ),
    ("", "Pod", &[]),
];

/// The pod template (`metadata` + `spec`) of a workload object; the Pod itself for a bare Pod.
pub fn pod_template_of(obj: &Object) -> Option<&Node> {
    let (_, _, path) = WORKLOADS.iter().find(|(g, k, _)| obj.is(g, k))?;
    obj.root.path(path)
}

/// A pod template found in a workload: the object and the path to the template (`metadata` + `spec`).
#[derive(Clone, Debug)]
pub struct PodTemplate {
    /// The workload.
    pub object: ObjId,
    /// Path from the object root to the pod template (empty for a bare Pod).
    pub path: &'static [&'static str],
}

impl PodTemplate {
    /// JSON pointer of the pod spec inside the workload.
    pub fn spec_pointer(&self) -> String {
        crate::load::node::pointer(self.path.iter().chain(&["spec"]))
    }
}

/// All objects plus the indexes and resolutions that rules share.
#[derive(Debug, Default)]
pub struct Inventory {
    /// The objects, in input order.
    pub objects: Vec<Object>,
    /// Settings in force.
    pub settings: Settings,
    // Keys are `Text`: names of up to 24 bytes need no allocation, for the index or for a lookup.
    by_kind: HashMap<(Text, Text), Vec<ObjId>>,
    /// Objects by identity: (hash of group, kind, namespace, name; id), sorted. 16 bytes an object
    /// where a map keyed by the identity took over 100 (docs/performance.md); lookups compare the
    /// objects themselves, so a collision costs a comparison, never a wrong answer.
    by_name: Vec<(u64, ObjId)>,
    hasher: RandomState,
    declared: Vec<Declared>,
    pod_templates: Vec<PodTemplate>,
    /// Pod templates by (namespace, label key, label value), so selectors never scan a namespace.
    pods_by_label: HashMap<(Option<Text>, Text, Text), Vec<usize>>,
    ingress_owner: HashMap<ObjId, IngressOwner>,
    service_owner: HashMap<ObjId, ServiceOwner>,
    /// IngressGroups (explicit `group.name` or implicit single-Ingress groups) of ALB Ingresses.
    pub ingress_groups: Vec<IngressGroup>,
    group_of: HashMap<ObjId, usize>,
    /// CustomResourceDefinitions given apart from the input (`--crd`): only their schemas are used,
    /// they are not linted.
    pub schema_sources: Vec<Object>,
    pub(crate) cert_manager: CertManagerIndex,
    pub(crate) mesh: super::mesh::MeshIndex,
    /// The webhook TLS graph (RULES.md §1.7).
    pub webhooks: WebhookGraph,
}

static EMPTY: Vec<ObjId> = Vec::new();

fn identity_hash(
    hasher: &RandomState,
    group: &str,
    kind: &str,
    namespace: Option<&str>,
    name: &str,
) -> u64 {
    hasher.hash_one((group, kind, namespace, name))
}

impl Inventory {
    /// Index `objects` and resolve ownership and groups. O(objects).
    pub fn build(objects: Vec<Object>, settings: Settings, declared: Vec<Declared>) -> Self {
        let mut inv = Inventory {
            objects,
            settings,
            declared,
            ..Default::default()
        };
        inv.by_name.reserve_exact(inv.objects.len());
        for (i, o) in inv.objects.iter().enumerate() {
            inv.by_kind
                .entry((o.group.clone(), o.id.kind.clone()))
                .or_default()
                .push(i);
            inv.by_name.push((
                identity_hash(&inv.hasher, &o.group, &o.id.kind, o.ns(), &o.id.name),
                i,
            ));
            if let Some((_, _, path)) = WORKLOADS.iter().find(|(g, k, _)| o.is(g, k)) {
                let t = inv.pod_templates.len();
                let labels = o
                    .root
                    .path(path)
                    .and_then(|tpl| tpl.path(&["metadata", "labels"]));
                for e in labels.map_or(&[][..], Node::entries) {
                    if let Some(v) = e.value.scalar_text() {
                        let key = (o.id.namespace.clone(), e.key.clone(), Text::new(v));
                        inv.pods_by_label.entry(key).or_default().push(t);
                    }
                }
                inv.pod_templates.push(PodTemplate { object: i, path });
            }
        }
        inv.by_name.sort_unstable();
        let ingresses = [
            inv.of_kind("networking.k8s.io", "Ingress"),
            inv.of_kind("extensions", "Ingress"),
        ];
        let owners: Vec<_> = ingresses
            .iter()
            .flat_map(|ids| ids.iter())
            .map(|&i| (i, ownership::ingress_owner(&inv, i)))
            .collect();
        inv.ingress_owner.extend(owners);
        let owners: Vec<_> = inv
            .of_kind("", "Service")
            .iter()
            .map(|&i| (i, ownership::service_owner(&inv.settings, &inv.objects[i])))
            .collect();
        inv.service_owner.extend(owners);
        inv.ingress_groups = ownership::ingress_groups(&inv);
        for (g, group) in inv.ingress_groups.iter().enumerate() {
            for &m in &group.members {
                inv.group_of.insert(m, g);
            }
        }
        inv.cert_manager = CertManagerIndex::build(&inv);
        inv.mesh = super::mesh::MeshIndex::build(&inv);
        inv.webhooks = WebhookGraph::build(&inv, || {
            let mut fingerprints = super::fingerprint::builtin();
            fingerprints.extend(inv.settings.extra_fingerprints.iter().cloned());
            fingerprints
        });
        inv
    }

    /// Build an inventory from one YAML stream, panicking on input errors (for unit tests of rules).
    #[cfg(test)]
    pub fn from_yaml(yaml: &str, settings: Settings) -> Self {
        let stream = crate::load::parse_stream(yaml, crate::load::Limits::default());
        assert!(stream.errors.is_empty(), "{:?}", stream.errors);
        let (mut objects, mut errors) = (Vec::new(), Vec::new());
        for doc in stream.documents {
            super::objects_from_document(0, "test.yaml", doc, &mut objects, &mut errors);
        }
        assert!(errors.is_empty(), "{errors:?}");
        Inventory::build(objects, settings, Vec::new())
    }

    /// Objects of `group`/`kind`, in input order.
    pub fn of_kind(&self, group: &str, kind: &str) -> &[ObjId] {
        self.by_kind
            .get(&(Text::new(group), Text::new(kind)))
            .unwrap_or(&EMPTY)
    }

    /// Look an object up by identity.
    pub fn find(
        &self,
        group: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<ObjId> {
        let hash = identity_hash(&self.hasher, group, kind, namespace, name);
        let start = self.by_name.partition_point(|&(h, _)| h < hash);
        // Sorted by id within a hash: the first object with this identity wins, as in the input.
        self.by_name[start..]
            .iter()
            .take_while(|&&(h, _)| h == hash)
            .map(|&(_, id)| id)
            .find(|&id| {
                let o = &self.objects[id];
                o.is(group, kind) && o.ns() == namespace && o.id.name == name
            })
    }

    /// Whether an object exists in the input or is declared to exist outside it.
    pub fn exists(&self, group: &str, kind: &str, namespace: Option<&str>, name: &str) -> bool {
        self.find(group, kind, namespace, name).is_some()
            || self.declared.iter().any(|d| {
                d.group == group
                    && d.kind == kind
                    && d.name == name
                    && d.namespace.as_deref() == namespace
            })
    }

    /// The object with index `id`.
    pub fn get(&self, id: ObjId) -> &Object {
        &self.objects[id]
    }

    /// Reference of an object, for `related`.
    pub fn obj_ref(&self, id: ObjId) -> ObjRef {
        self.objects[id].id.clone()
    }

    /// Who reconciles an Ingress (§1.1).
    pub fn ingress_owner(&self, id: ObjId) -> &IngressOwner {
        self.ingress_owner
            .get(&id)
            .unwrap_or(&IngressOwner::Unknown)
    }

    /// Who creates the load balancer of a Service (§1.1).
    pub fn service_owner(&self, id: ObjId) -> &ServiceOwner {
        self.service_owner
            .get(&id)
            .unwrap_or(&ServiceOwner::NotLoadBalancer)
    }

    /// All Ingresses (both API groups) with their owner.
    pub fn ingresses(&self) -> impl Iterator<Item = (ObjId, &IngressOwner)> {
        let mut ids: Vec<_> = self.ingress_owner.iter().map(|(&i, o)| (i, o)).collect();
        ids.sort_by_key(|(i, _)| *i);
        ids.into_iter()
    }

    /// The IngressGroup an ALB Ingress belongs to.
    pub fn group_of(&self, id: ObjId) -> Option<&IngressGroup> {
        self.group_of.get(&id).map(|&g| &self.ingress_groups[g])
    }

    /// Pod template `t` (an index from [`Inventory::pods_selected_indexes`]).
    pub fn template(&self, t: usize) -> &PodTemplate {
        &self.pod_templates[t]
    }

    /// The workload and pod spec of pod template `t`.
    pub fn pod_spec(&self, t: usize) -> Option<(&Object, &Node)> {
        let t = &self.pod_templates[t];
        let obj = &self.objects[t.object];
        Some((obj, obj.root.path(t.path)?.get("spec")?))
    }

    /// Every workload with its pod spec.
    pub fn pod_specs(&self) -> impl Iterator<Item = (&Object, &Node)> {
        (0..self.pod_templates.len()).filter_map(|t| self.pod_spec(t))
    }

    /// Pod templates in a namespace whose labels match `selector` (a `matchLabels`-style map; a
    /// Service selector). An empty selector selects nothing, as for Services.
    pub fn pods_selected(
        &self,
        namespace: Option<&str>,
        selector: &Node,
    ) -> Vec<(&PodTemplate, &Node)> {
        self.pods_selected_indexes(namespace, selector)
            .into_iter()
            .filter_map(|t| {
                let tpl = &self.pod_templates[t];
                Some((tpl, self.objects[tpl.object].root.path(tpl.path)?))
            })
            .collect()
    }

    /// Indexes of the pod templates [`Inventory::pods_selected`] returns.
    pub fn pods_selected_indexes(&self, namespace: Option<&str>, selector: &Node) -> Vec<usize> {
        let wanted: Vec<(&str, &str)> = selector
            .entries()
            .iter()
            .filter_map(|e| Some((e.key.as_str(), e.value.scalar_text()?)))
            .collect();
        if wanted.is_empty() {
            return Vec::new();
        }
        // Candidates: the templates carrying the rarest wanted label; then check all labels.
        let ns = namespace.map(Text::new);
        let lists: Option<Vec<&Vec<usize>>> = wanted
            .iter()
            .map(|(k, v)| {
                self.pods_by_label
                    .get(&(ns.clone(), Text::new(k), Text::new(v)))
            })
            .collect();
        let Some(shortest) = lists.and_then(|l| l.into_iter().min_by_key(|l| l.len())) else {
            return Vec::new();
        };
        shortest
            .iter()
            .copied()
            .filter(|&t| {
                let t = &self.pod_templates[t];
                let labels = self.objects[t.object]
                    .root
                    .path(t.path)
                    .and_then(|tpl| tpl.path(&["metadata", "labels"]));
                labels.is_some_and(|labels| {
                    wanted
                        .iter()
                        .all(|(k, v)| labels.get(k).and_then(Node::scalar_text) == Some(v))
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_matches_the_whole_identity_and_the_first_object_wins() {
        let inv = Inventory::from_yaml(
            "apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: x}\n---\n\
             apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: y}\n---\n\
             apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n---\n\
             apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: x, labels: {second: 'true'}}\n---\n\
             apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: a}\n",
            Settings::default(),
        );
        assert_eq!(inv.find("", "Service", Some("x"), "a"), Some(0));
        assert_eq!(inv.find("", "Service", Some("y"), "a"), Some(1));
        assert_eq!(inv.find("", "ConfigMap", Some("x"), "a"), Some(2));
        assert_eq!(
            inv.find("cert-manager.io", "ClusterIssuer", None, "a"),
            Some(4)
        );
        assert_eq!(inv.find("", "Service", None, "a"), None);
        assert_eq!(inv.find("", "Service", Some("z"), "a"), None);
        assert_eq!(inv.find("apps", "Service", Some("x"), "a"), None);
        assert_eq!(inv.find("", "Service", Some("x"), "b"), None);
    }
}
