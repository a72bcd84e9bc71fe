//! The objects the test API server serves: normalised like kube-apiserver stores them, kept per
//! resource in namespace/name order, and rendered as objects, lists, tables or metadata.

use std::collections::BTreeMap;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use data_encoding::BASE64URL_NOPAD;
use serde_json::{Map, Value, json};

use super::apply::{FIXTURE_MANAGER, Manager, Pending, controller_status, owned_fields};
use super::resources::{Registry, ResourceDef, group_version, split_api_version};
use super::selectors::{FieldSelector, LabelSelector, field_value};

/// `creationTimestamp` given to fixture objects that have none.
pub(crate) const DEFAULT_CREATION_TIMESTAMP: &str = "2025-01-01T00:00:00Z";
/// resourceVersion of the first fixture object; each next object gets the next number.
const FIRST_RESOURCE_VERSION: u64 = 1000;

#[derive(Debug)]
pub(crate) struct Stored {
    /// "" for cluster-scoped objects.
    pub namespace: String,
    pub name: String,
    pub object: Value,
    /// Field managers (server-side apply); fixtures are owned by [`FIXTURE_MANAGER`]. Only
    /// objects written by apply show them as `metadata.managedFields`.
    pub managers: BTreeMap<String, Manager>,
}

#[derive(Debug)]
pub(crate) struct Store {
    pub registry: Registry,
    /// Objects of `registry.defs[i]`, sorted by (namespace, name).
    by_resource: Vec<Vec<Stored>>,
    /// The "etcd revision": resourceVersion of lists.
    pub resource_version: u64,
    /// Objects the fake controller will mark Ready (or not Ready) when due.
    pub pending: Vec<Pending>,
    /// Objects created by apply so far (for their uids).
    created: u64,
}

/// What a list request asks for.
#[derive(Debug, Default)]
pub(crate) struct ListQuery {
    pub namespace: Option<String>,
    pub labels: LabelSelector,
    pub fields: FieldSelector,
    /// Page size (already capped by the server's `max_page`); `None` = everything.
    pub limit: Option<usize>,
    /// Start after this (namespace, name), from a `continue` token.
    pub after: Option<(String, String)>,
}

/// One page of a list.
pub(crate) struct Page<'a> {
    pub items: Vec<&'a Stored>,
    pub continue_token: Option<String>,
    pub remaining: Option<usize>,
}

impl Store {
    /// Panics on a fixture without apiVersion/kind/metadata.name. Of fixtures with the same
    /// resource, namespace and name, the last one is served. Objects of kinds that are not served (e.g. a cert-manager Certificate without its CRD) are dropped,
    /// as a real cluster could not hold them.
    pub fn new(objects: &[Value]) -> Store {
        let registry = Registry::new(objects);
        let mut by_resource: Vec<Vec<Stored>> = registry.defs.iter().map(|_| Vec::new()).collect();
        let mut rv = FIRST_RESOURCE_VERSION;
        for (i, obj) in objects.iter().enumerate() {
            let (Some(api_version), Some(kind), Some(name)) = (
                obj["apiVersion"].as_str(),
                obj["kind"].as_str(),
                obj["metadata"]["name"].as_str(),
            ) else {
                panic!(
                    "test API server: fixture object #{i} lacks apiVersion, kind or metadata.name: {obj}"
                );
            };
            let (group, _) = split_api_version(api_version);
            let Some(def_index) = registry.by_kind(group, kind) else {
                continue;
            };
            let def = &registry.defs[def_index];
            let mut object = obj.clone();
            let metadata = object["metadata"]
                .as_object_mut()
                .expect("metadata is an object");
            let namespace = if def.namespaced {
                let ns = metadata
                    .get("namespace")
                    .and_then(Value::as_str)
                    .unwrap_or("default")
                    .to_string();
                metadata.insert("namespace".into(), ns.clone().into());
                ns
            } else {
                metadata.remove("namespace");
                String::new()
            };
            if !metadata.contains_key("uid") {
                metadata.insert(
                    "uid".into(),
                    format!("00000000-0000-4000-8000-{:012x}", i + 1).into(),
                );
            }
            metadata
                .entry("resourceVersion")
                .or_insert_with(|| rv.to_string().into());
            metadata
                .entry("creationTimestamp")
                .or_insert_with(|| DEFAULT_CREATION_TIMESTAMP.into());
            rv += 1;
            if !def.custom && def.kind == "Secret" && !object["type"].is_string() {
                object["type"] = "Opaque".into();
            }
            if !def.custom && def.kind == "Namespace" {
                // kube-apiserver labels every namespace with its name (since 1.21).
                let labels = object["metadata"]
                    .as_object_mut()
                    .expect("metadata is an object")
                    .entry("labels")
                    .or_insert_with(|| json!({}));
                if let Value::Object(labels) = labels {
                    labels
                        .entry("kubernetes.io/metadata.name")
                        .or_insert_with(|| name.into());
                }
            }
            let fields = owned_fields(&object, def.subresources.iter().any(|s| s == "status"));
            let mut managers = BTreeMap::new();
            managers.insert(
                FIXTURE_MANAGER.to_string(),
                Manager {
                    operation: "Update".into(),
                    api_version: api_version.to_string(),
                    time: DEFAULT_CREATION_TIMESTAMP.into(),
                    fields,
                },
            );
            by_resource[def_index].push(Stored {
                namespace,
                name: name.to_string(),
                object,
                managers,
            });
        }
        for list in by_resource.iter_mut() {
            // Stable: equal keys stay in fixture order, and the last one wins (as when the
            // fixtures are applied in order).
            list.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
            list.dedup_by(|later, kept| {
                let same = later.namespace == kept.namespace && later.name == kept.name;
                if same {
                    std::mem::swap(later, kept);
                }
                same
            });
        }
        Store {
            registry,
            by_resource,
            resource_version: rv,
            pending: Vec::new(),
            created: 0,
        }
    }

    /// Inserts or replaces an object.
    pub fn put(&mut self, def: usize, stored: Stored) {
        let list = &mut self.by_resource[def];
        match list.binary_search_by(|o| {
            (o.namespace.as_str(), o.name.as_str())
                .cmp(&(stored.namespace.as_str(), stored.name.as_str()))
        }) {
            Ok(i) => list[i] = stored,
            Err(i) => list.insert(i, stored),
        }
    }

    /// The resourceVersion of the next write.
    pub fn next_resource_version(&mut self) -> u64 {
        let rv = self.resource_version;
        self.resource_version += 1;
        rv
    }

    /// A uid for an object created by apply.
    pub fn next_uid(&mut self) -> String {
        self.created += 1;
        format!("00000000-0000-4000-9000-{:012x}", self.created)
    }

    /// Whether the fake controller has work that is due.
    pub fn has_due(&self, now: Instant) -> bool {
        self.pending.iter().any(|p| p.due <= now)
    }

    /// Lets the fake controller write the status of the objects that are due.
    pub fn tick(&mut self, now: Instant) {
        let (due, waiting): (Vec<Pending>, Vec<Pending>) =
            self.pending.drain(..).partition(|p| p.due <= now);
        self.pending = waiting;
        for p in due {
            let rv = self.resource_version;
            let d = &self.registry.defs[p.def];
            let list = &mut self.by_resource[p.def];
            let Ok(i) = list.binary_search_by(|o| {
                (o.namespace.as_str(), o.name.as_str())
                    .cmp(&(p.namespace.as_str(), p.name.as_str()))
            }) else {
                continue;
            };
            let object = &mut list[i].object;
            let status = controller_status(d, object, p.ready);
            object["status"] = status;
            object["metadata"]["resourceVersion"] = rv.to_string().into();
            self.resource_version += 1;
        }
    }

    pub fn get(&self, def: usize, namespace: &str, name: &str) -> Option<&Stored> {
        let list = &self.by_resource[def];
        list.binary_search_by(|o| (o.namespace.as_str(), o.name.as_str()).cmp(&(namespace, name)))
            .ok()
            .map(|i| &list[i])
    }

    /// Validates the field selector against the resource's indexed fields (400 otherwise).
    pub fn check_fields(&self, def: usize, fields: &FieldSelector) -> Result<(), String> {
        let d = &self.registry.defs[def];
        for (field, _, _) in &fields.0 {
            field_value(&d.kind, d.custom, d.namespaced, &Value::Null, field)?;
        }
        Ok(())
    }

    pub fn list(&self, def: usize, q: &ListQuery) -> Page<'_> {
        let d = &self.registry.defs[def];
        let list = &self.by_resource[def];
        let start = match &q.after {
            Some((ns, name)) => list.partition_point(|o| {
                (o.namespace.as_str(), o.name.as_str()) <= (ns.as_str(), name.as_str())
            }),
            None => 0,
        };
        let matches = |o: &&Stored| {
            q.namespace.as_ref().is_none_or(|ns| &o.namespace == ns)
                && q.labels.matches(&o.object)
                && q.fields.0.iter().all(|(field, negated, value)| {
                    let actual = field_value(&d.kind, d.custom, d.namespaced, &o.object, field)
                        .unwrap_or_default();
                    (actual == *value) != *negated
                })
        };
        let mut iter = list[start..].iter().filter(matches);
        let items: Vec<&Stored> = match q.limit {
            Some(limit) => iter.by_ref().take(limit).collect(),
            None => iter.by_ref().collect(),
        };
        let remaining = iter.count();
        let continue_token = match (remaining, items.last()) {
            (0, _) | (_, None) => None,
            (_, Some(last)) => {
                let key = if d.namespaced {
                    format!("{}/{}\u{0}", last.namespace, last.name)
                } else {
                    format!("{}\u{0}", last.name)
                };
                let token =
                    json!({"v": "meta.k8s.io/v1", "rv": self.resource_version, "start": key});
                Some(BASE64URL_NOPAD.encode(token.to_string().as_bytes()))
            }
        };
        let remaining = (continue_token.is_some() && q.labels.is_empty() && q.fields.is_empty())
            .then_some(remaining);
        Page {
            items,
            continue_token,
            remaining,
        }
    }

    /// Decodes a `continue` token into the (namespace, name) to start after.
    pub fn decode_continue(&self, def: usize, token: &str) -> Result<(String, String), String> {
        let invalid = |why: &str| format!("continue key is not valid: {why}");
        let bytes = BASE64URL_NOPAD
            .decode(token.as_bytes())
            .map_err(|e| invalid(&e.to_string()))?;
        let v: Value = serde_json::from_slice(&bytes).map_err(|e| invalid(&e.to_string()))?;
        if v["v"] != "meta.k8s.io/v1" {
            return Err(invalid(
                "incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
            ));
        }
        let start = v["start"]
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| invalid("encoded start key is empty"))?;
        let start = start.trim_end_matches('\u{0}');
        Ok(if self.registry.defs[def].namespaced {
            match start.split_once('/') {
                Some((ns, name)) => (ns.to_string(), name.to_string()),
                None => return Err(invalid("encoded start key has no namespace")),
            }
        } else {
            (String::new(), start.to_string())
        })
    }
}

/// The fixtures plus a Namespace for `default` and for every namespace that holds a fixture but
/// has no Namespace fixture: a real cluster cannot hold objects in a missing namespace (and kubectl
/// reports `namespaces "x" not found` when a get fails in one).
pub(crate) fn with_namespaces(objects: &[Value]) -> Vec<Value> {
    let registry = Registry::new(objects);
    let is_namespace = |o: &Value| o["apiVersion"] == "v1" && o["kind"] == "Namespace";
    let declared: Vec<&str> = objects
        .iter()
        .filter(|o| is_namespace(o))
        .filter_map(|o| o["metadata"]["name"].as_str())
        .collect();
    let mut missing: Vec<String> = vec!["default".to_string()];
    for o in objects {
        let (group, _) = split_api_version(o["apiVersion"].as_str().unwrap_or(""));
        let namespaced = o["kind"]
            .as_str()
            .and_then(|k| registry.by_kind(group, k))
            .is_some_and(|d| registry.defs[d].namespaced);
        if namespaced {
            missing.push(
                o["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or("default")
                    .to_string(),
            );
        }
    }
    missing.sort();
    missing.dedup();
    missing.retain(|ns| !declared.contains(&ns.as_str()));
    let mut all = objects.to_vec();
    all.extend(missing.into_iter().map(|ns| {
        json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": ns},
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"}
        })
    }));
    all
}

/// The object as served at `version`: `kind` and `apiVersion` first (set to the requested
/// version), or both removed (`with_type` false: items of built-in lists, which kube-apiserver
/// serialises without them).
pub(crate) fn render_object(d: &ResourceDef, version: &str, obj: &Value, with_type: bool) -> Value {
    let mut out = Map::new();
    if with_type {
        out.insert("kind".into(), d.kind.clone().into());
        out.insert("apiVersion".into(), group_version(&d.group, version).into());
    }
    if let Value::Object(m) = obj {
        for (k, v) in m {
            if k != "kind" && k != "apiVersion" {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}

/// `PartialObjectMetadata` of an object, in `meta.k8s.io/{meta_version}`.
pub(crate) fn partial_metadata(obj: &Value, meta_version: &str) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": format!("meta.k8s.io/{meta_version}"),
        "metadata": obj["metadata"].clone(),
    })
}

/// List metadata (`resourceVersion`, `continue`, `remainingItemCount`).
pub(crate) fn list_metadata(store: &Store, page: &Page<'_>) -> Value {
    let mut m = Map::new();
    m.insert(
        "resourceVersion".into(),
        store.resource_version.to_string().into(),
    );
    if let Some(c) = &page.continue_token {
        m.insert("continue".into(), c.clone().into());
    }
    if let Some(r) = page.remaining {
        m.insert("remainingItemCount".into(), r.into());
    }
    Value::Object(m)
}

/// How table rows carry their object (`includeObject`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum IncludeObject {
    None,
    Metadata,
    Object,
}

/// A `meta.k8s.io/{table_version}` `Table` with the default columns of kube-apiserver
/// (`Name`, `Age`).
pub(crate) fn table(
    d: &ResourceDef,
    version: &str,
    table_version: &str,
    objects: &[&Stored],
    metadata: Value,
    include: IncludeObject,
) -> Value {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let rows: Vec<Value> = objects
        .iter()
        .map(|o| {
            let age = o.object["metadata"]["creationTimestamp"]
                .as_str()
                .and_then(parse_rfc3339)
                .map(|t| human_duration(now - t))
                .unwrap_or_else(|| "<unknown>".into());
            let mut row = Map::new();
            row.insert("cells".into(), json!([o.name, age]));
            match include {
                IncludeObject::None => {}
                IncludeObject::Metadata => {
                    row.insert("object".into(), partial_metadata(&o.object, table_version));
                }
                IncludeObject::Object => {
                    row.insert("object".into(), render_object(d, version, &o.object, true));
                }
            }
            Value::Object(row)
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": format!("meta.k8s.io/{table_version}"),
        "metadata": metadata,
        "columnDefinitions": [
            {
                "name": "Name",
                "type": "string",
                "format": "name",
                "description": "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
                "priority": 0
            },
            {
                "name": "Age",
                "type": "string",
                "format": "",
                "description": "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
                "priority": 0
            }
        ],
        "rows": rows,
    })
}

/// Seconds since the Unix epoch of an RFC 3339 UTC timestamp (`2025-01-01T00:00:00Z`, optional
/// fraction).
fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || !s.ends_with('Z') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    Some(days * 86400 + hh * 3600 + mm * 60 + ss)
}

/// k8s.io/apimachinery/pkg/util/duration.HumanDuration, as kube-apiserver prints ages.
pub(crate) fn human_duration(secs: i64) -> String {
    if secs < -1 {
        return "<invalid>".into();
    }
    if secs < 0 {
        return "0s".into();
    }
    if secs < 120 {
        return format!("{secs}s");
    }
    let minutes = secs / 60;
    if minutes < 10 {
        let s = secs % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = secs / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{}h", hours / 24, h)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{}d", hours / 24 / 365, dy)
        };
    }
    format!("{}y", hours / 24 / 365)
}
