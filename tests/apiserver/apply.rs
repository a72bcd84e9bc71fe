//! Server-side apply (`PATCH` with `Content-Type: application/apply-patch+yaml`) and the fake
//! cert-manager controller of the test API server.
//!
//! Apply is a simplified model of kube-apiserver's structured-merge-diff:
//! - the body (JSON; kube-rs and kubectl send JSON, which is YAML) must carry the URL's
//!   apiVersion/kind, name and namespace; a namespaced object needs its Namespace to exist;
//! - field ownership is tracked per *leaf* field: maps are walked key by key, lists whose items
//!   are all objects with a string `name` (containers, volumes, env, webhooks, …) are merged by
//!   `name` (`[name="x"]` in paths), every other list and every scalar is one atomic field; an
//!   empty map is a leaf that only asserts presence;
//! - fixture objects are owned, field by field, by the manager `fixture` (operation `Update`);
//! - applying a value different from the current one of a field that another manager owns is a
//!   409 `Conflict` (message and `details.causes` as from kube-apiserver) unless `force=true`,
//!   which takes the field over;
//! - the applied fields are merged into the object; fields this manager applied before and no
//!   longer applies are removed when no other manager owns them;
//! - `status` is ignored for resources with a status subresource; a write that changes nothing
//!   keeps `resourceVersion` (and managedFields) as they were; `generation` starts at 1 and grows
//!   when anything outside `metadata` and `status` changes;
//! - `dryRun=All` answers the would-be object and stores nothing.
//!
//! The fake controller plays cert-manager: a configurable delay after an Issuer, ClusterIssuer or
//! Certificate (`cert-manager.io`) is created or its spec changes, it sets
//! `status.conditions[type=Ready]` to `True` (reasons as cert-manager's controllers write them:
//! `KeyPairVerified` for CA issuers, `IsReady` for self-signed ones, `Ready` for Certificates),
//! with `observedGeneration`; names configured as never ready get `Ready=False` instead.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use super::resources::{ResourceDef, group_version};

/// One step of a field path: a map key, or the item of a name-keyed list.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Seg {
    Key(String),
    Named(String),
}

pub(crate) type FieldPath = Vec<Seg>;

/// `.spec.containers[name="app"].image`, as kube-apiserver prints fields in conflicts.
pub(crate) fn display_path(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                s.push('.');
                s.push_str(k);
            }
            Seg::Named(n) => s.push_str(&format!("[name={n:?}]")),
        }
    }
    s
}

/// A field manager's entry in `metadata.managedFields`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Manager {
    /// `Apply` or `Update`.
    pub operation: String,
    pub api_version: String,
    pub time: String,
    pub fields: BTreeSet<FieldPath>,
}

/// The manager that owns the fields of fixture objects.
pub(crate) const FIXTURE_MANAGER: &str = "fixture";

/// Whether a list is merged item by item (all items objects with a string `name`).
fn keyed(items: &[Value]) -> bool {
    !items.is_empty()
        && items
            .iter()
            .all(|i| i.get("name").and_then(Value::as_str).is_some())
}

fn leaves_into(v: &Value, prefix: &mut FieldPath, out: &mut BTreeSet<FieldPath>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, c) in m {
                prefix.push(Seg::Key(k.clone()));
                leaves_into(c, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) if keyed(items) => {
            for item in items {
                let name = item["name"].as_str().unwrap_or_default().to_string();
                prefix.push(Seg::Named(name));
                leaves_into(item, prefix, out);
                prefix.pop();
            }
        }
        _ => {
            out.insert(prefix.clone());
        }
    }
}

/// The fields of an object a manager owns by writing it: every leaf except identity and
/// server-maintained metadata, and `status` when it is a subresource.
pub(crate) fn owned_fields(obj: &Value, status_subresource: bool) -> BTreeSet<FieldPath> {
    let mut out = BTreeSet::new();
    let Value::Object(map) = obj else {
        return out;
    };
    for (k, v) in map {
        match k.as_str() {
            "apiVersion" | "kind" => {}
            "status" if status_subresource => {}
            "metadata" => {
                if let Value::Object(meta) = v {
                    for (mk, mv) in meta {
                        if matches!(
                            mk.as_str(),
                            "name"
                                | "namespace"
                                | "uid"
                                | "resourceVersion"
                                | "generation"
                                | "creationTimestamp"
                                | "deletionTimestamp"
                                | "managedFields"
                                | "selfLink"
                        ) {
                            continue;
                        }
                        let mut prefix = vec![Seg::Key("metadata".into()), Seg::Key(mk.clone())];
                        leaves_into(mv, &mut prefix, &mut out);
                    }
                }
            }
            _ => {
                let mut prefix = vec![Seg::Key(k.clone())];
                leaves_into(v, &mut prefix, &mut out);
            }
        }
    }
    out
}

fn child<'a>(v: &'a Value, seg: &Seg) -> Option<&'a Value> {
    match seg {
        Seg::Key(k) => v.as_object()?.get(k),
        Seg::Named(n) => v
            .as_array()?
            .iter()
            .find(|i| i.get("name").and_then(Value::as_str) == Some(n)),
    }
}

fn child_mut<'a>(v: &'a mut Value, seg: &Seg) -> Option<&'a mut Value> {
    match seg {
        Seg::Key(k) => v.as_object_mut()?.get_mut(k),
        Seg::Named(n) => v
            .as_array_mut()?
            .iter_mut()
            .find(|i| i.get("name").and_then(Value::as_str) == Some(n)),
    }
}

pub(crate) fn get_at<'a>(v: &'a Value, path: &[Seg]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, seg| child(cur, seg))
}

fn remove_at(v: &mut Value, path: &[Seg]) {
    let Some((last, parent_path)) = path.split_last() else {
        return;
    };
    let Some(parent) = parent_path
        .iter()
        .try_fold(v, |cur, seg| child_mut(cur, seg))
    else {
        return;
    };
    match (last, parent) {
        (Seg::Key(k), Value::Object(m)) => {
            m.remove(k);
        }
        (Seg::Named(n), Value::Array(items)) => {
            items.retain(|i| i.get("name").and_then(Value::as_str) != Some(n));
        }
        _ => {}
    }
}

/// Whatever is left of a container after its fields were removed: an empty map, or a keyed
/// list item holding only its `name`.
fn is_husk(v: &Value, named: bool) -> bool {
    match v.as_object() {
        Some(m) if named => m.keys().all(|k| k == "name"),
        Some(m) => m.is_empty(),
        None => false,
    }
}

/// Merges applied configuration into an object: maps key by key, name-keyed lists item by item,
/// everything else replaced.
pub(crate) fn merge(dst: &mut Value, src: &Value) {
    match (dst, src) {
        (Value::Object(d), Value::Object(s)) => {
            for (k, sv) in s {
                match d.get_mut(k) {
                    Some(dv) => merge(dv, sv),
                    None => {
                        d.insert(k.clone(), sv.clone());
                    }
                }
            }
        }
        (Value::Array(d), Value::Array(s))
            if keyed(s)
                && d.iter()
                    .all(|i| i.get("name").and_then(Value::as_str).is_some()) =>
        {
            for item in s {
                let name = item["name"].as_str();
                match d
                    .iter_mut()
                    .find(|i| i.get("name").and_then(Value::as_str) == name)
                {
                    Some(existing) => merge(existing, item),
                    None => d.push(item.clone()),
                }
            }
        }
        (d, s) => *d = s.clone(),
    }
}

/// A failed apply: HTTP status, reason, message, details.
pub(crate) struct ApplyError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

/// The outcome of an apply: the new object and managers, and what changed.
pub(crate) struct Applied {
    pub object: Value,
    pub managers: BTreeMap<String, Manager>,
    pub created: bool,
    /// Anything changed (object or managed fields): a new resourceVersion.
    pub changed: bool,
    /// Something outside metadata and status changed: a new generation.
    pub spec_changed: bool,
}

/// What an apply request asks for.
pub(crate) struct ApplyRequest<'a> {
    pub def: &'a ResourceDef,
    pub version: &'a str,
    pub namespace: Option<&'a str>,
    pub name: &'a str,
    pub manager: &'a str,
    pub force: bool,
    pub body: &'a Value,
}

fn without_meta_and_status(v: &Value) -> Value {
    let mut v = v.clone();
    if let Value::Object(m) = &mut v {
        m.remove("metadata");
        m.remove("status");
    }
    v
}

/// Server-side apply of `req.body` onto `existing` (None: the object does not exist yet).
pub(crate) fn apply(
    req: &ApplyRequest<'_>,
    existing: Option<(&Value, &BTreeMap<String, Manager>)>,
) -> Result<Applied, ApplyError> {
    let d = req.def;
    let api_version = group_version(&d.group, req.version);
    let bad = |message: String| ApplyError {
        code: 400,
        reason: "BadRequest",
        message,
        details: None,
    };
    let Value::Object(body) = req.body else {
        return Err(bad("the apply patch is not an object".into()));
    };
    match body.get("apiVersion").and_then(Value::as_str) {
        Some(v) if v == api_version => {}
        Some(v) => {
            return Err(bad(format!(
                "the API version in the data ({v}) does not match the expected API version ({api_version})"
            )));
        }
        None => return Err(bad("apiVersion must be set in apply patches".into())),
    }
    match body.get("kind").and_then(Value::as_str) {
        Some(k) if k == d.kind => {}
        Some(k) => {
            return Err(bad(format!(
                "the kind in the data ({k}) does not match the expected kind ({})",
                d.kind
            )));
        }
        None => return Err(bad("kind must be set in apply patches".into())),
    }
    let meta = body.get("metadata").and_then(Value::as_object);
    if let Some(n) = meta.and_then(|m| m.get("name")).and_then(Value::as_str)
        && n != req.name
    {
        return Err(bad(format!(
            "the name of the object ({n}) does not match the name on the URL ({})",
            req.name
        )));
    }
    if let Some(ns) = meta
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str)
        && Some(ns) != req.namespace
        && !(ns.is_empty() && req.namespace.is_none())
    {
        return Err(bad(
            "the namespace of the provided object does not match the namespace sent on the request"
                .into(),
        ));
    }
    let status_sub = d.subresources.iter().any(|s| s == "status");
    let applied = owned_fields(req.body, status_sub);
    let now = now_rfc3339();

    let Some((current, old_managers)) = existing else {
        // Create.
        let mut object = req.body.clone();
        if status_sub && let Value::Object(m) = &mut object {
            m.remove("status");
        }
        let mut managers = BTreeMap::new();
        managers.insert(
            req.manager.to_string(),
            Manager {
                operation: "Apply".into(),
                api_version,
                time: now,
                fields: applied,
            },
        );
        return Ok(Applied {
            object,
            managers,
            created: true,
            changed: true,
            spec_changed: true,
        });
    };

    // Conflicts: a field another manager owns, applied with a different value.
    let mut conflicts: Vec<(String, String, FieldPath)> = Vec::new();
    for path in &applied {
        let new = get_at(req.body, path);
        if matches!(new, Some(Value::Object(m)) if m.is_empty()) {
            continue;
        }
        if get_at(current, path) == new {
            continue;
        }
        for (name, m) in old_managers {
            if name != req.manager && m.fields.contains(path) {
                conflicts.push((name.clone(), m.api_version.clone(), path.clone()));
            }
        }
    }
    let mut managers = old_managers.clone();
    if !conflicts.is_empty() {
        if !req.force {
            return Err(conflict(d, req.name, &conflicts));
        }
        for (name, _, path) in &conflicts {
            if let Some(m) = managers.get_mut(name) {
                m.fields.remove(path);
            }
        }
        managers.retain(|_, m| !m.fields.is_empty());
    }

    let mut object = current.clone();
    let mut patch = req.body.clone();
    if status_sub && let Value::Object(m) = &mut patch {
        m.remove("status");
    }
    if let Value::Object(m) = &mut patch
        && let Some(Value::Object(meta)) = m.get_mut("metadata")
    {
        for k in [
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "managedFields",
        ] {
            meta.remove(k);
        }
    }
    merge(&mut object, &patch);

    // Fields this manager no longer applies, owned by nobody else, go away.
    let previous = old_managers
        .get(req.manager)
        .map(|m| m.fields.clone())
        .unwrap_or_default();
    let others: BTreeSet<FieldPath> = managers
        .iter()
        .filter(|(n, _)| *n != req.manager)
        .flat_map(|(_, m)| m.fields.iter().cloned())
        .collect();
    for path in previous.difference(&applied) {
        if others.contains(path) || applied.iter().any(|a| a.starts_with(path)) {
            continue;
        }
        remove_at(&mut object, path);
        // Remove what is left of the containers when nobody owns anything in them.
        let mut end = path.len() - 1;
        while end > 0 {
            let prefix = &path[..end];
            let owned = others
                .iter()
                .chain(applied.iter())
                .any(|p| p.starts_with(prefix));
            let husk = get_at(&object, prefix)
                .is_some_and(|v| is_husk(v, matches!(prefix.last(), Some(Seg::Named(_)))));
            if owned || !husk {
                break;
            }
            remove_at(&mut object, prefix);
            end -= 1;
        }
    }

    let mut entry = managers.get(req.manager).cloned().unwrap_or(Manager {
        operation: "Apply".into(),
        api_version: api_version.clone(),
        time: now.clone(),
        fields: BTreeSet::new(),
    });
    let fields_changed = entry.fields != applied || entry.api_version != api_version;
    entry.fields = applied;
    entry.api_version = api_version;
    let object_changed = object != *current;
    let changed = object_changed || fields_changed || !old_managers.contains_key(req.manager);
    if changed {
        entry.time = now;
    }
    managers.insert(req.manager.to_string(), entry);
    let spec_changed = without_meta_and_status(&object) != without_meta_and_status(current);
    Ok(Applied {
        object,
        managers,
        created: false,
        // A forced takeover changes other managers' entries.
        changed: changed || !conflicts.is_empty(),
        spec_changed,
    })
}

fn conflict(d: &ResourceDef, name: &str, conflicts: &[(String, String, FieldPath)]) -> ApplyError {
    let causes: Vec<Value> = conflicts
        .iter()
        .map(|(manager, api_version, path)| {
            json!({
                "reason": "FieldManagerConflict",
                "message": format!("conflict with {manager:?} using {api_version}"),
                "field": display_path(path),
            })
        })
        .collect();
    let message = if let [(manager, api_version, path)] = conflicts {
        format!(
            "Apply failed with 1 conflict: conflict with {manager:?} using {api_version}: {}",
            display_path(path)
        )
    } else {
        let mut m = format!("Apply failed with {} conflicts:", conflicts.len());
        for (manager, api_version, path) in conflicts {
            m.push_str(&format!(
                " conflict with {manager:?} using {api_version}: {};",
                display_path(path)
            ));
        }
        m.trim_end_matches(';').to_string()
    };
    let mut details = Map::new();
    details.insert("name".into(), name.into());
    if !d.group.is_empty() {
        details.insert("group".into(), d.group.clone().into());
    }
    details.insert("kind".into(), d.plural.clone().into());
    details.insert("causes".into(), causes.into());
    ApplyError {
        code: 409,
        reason: "Conflict",
        message,
        details: Some(Value::Object(details)),
    }
}

fn fields_v1(fields: &BTreeSet<FieldPath>) -> Value {
    let mut root = Value::Object(Map::new());
    for path in fields {
        let mut cur = &mut root;
        for seg in path {
            let key = match seg {
                Seg::Key(k) => format!("f:{k}"),
                Seg::Named(n) => format!("k:{}", json!({ "name": n })),
            };
            cur = cur
                .as_object_mut()
                .expect("fieldsV1 nodes are objects")
                .entry(key)
                .or_insert_with(|| Value::Object(Map::new()));
        }
    }
    root
}

/// `metadata.managedFields` of the managers.
pub(crate) fn managed_fields(managers: &BTreeMap<String, Manager>) -> Value {
    Value::Array(
        managers
            .iter()
            .map(|(name, m)| {
                json!({
                    "manager": name,
                    "operation": m.operation,
                    "apiVersion": m.api_version,
                    "time": m.time,
                    "fieldsType": "FieldsV1",
                    "fieldsV1": fields_v1(&m.fields),
                })
            })
            .collect(),
    )
}

/// The fake cert-manager controller (see the module documentation).
#[derive(Clone, Debug, Default)]
pub struct FakeController {
    /// How long after an apply the object becomes Ready.
    pub delay: Duration,
    /// Names (`metadata.name`) that never become Ready (they get `Ready=False`).
    pub never_ready: Vec<String>,
}

impl FakeController {
    pub fn new(delay: Duration) -> FakeController {
        FakeController {
            delay,
            never_ready: Vec::new(),
        }
    }

    pub fn never_ready(mut self, name: &str) -> FakeController {
        self.never_ready.push(name.into());
        self
    }
}

/// An object waiting for the fake controller.
#[derive(Clone, Debug)]
pub(crate) struct Pending {
    pub def: usize,
    pub namespace: String,
    pub name: String,
    pub due: Instant,
    /// Ready=True, or Ready=False for the names configured as never ready.
    pub ready: bool,
}

/// Whether the fake controller reconciles this kind.
pub(crate) fn reconciled(d: &ResourceDef) -> bool {
    d.group == "cert-manager.io"
        && matches!(d.kind.as_str(), "Issuer" | "ClusterIssuer" | "Certificate")
}

/// The status the fake controller writes.
pub(crate) fn controller_status(d: &ResourceDef, object: &Value, ready: bool) -> Value {
    let generation = object["metadata"]["generation"].as_i64().unwrap_or(1);
    let spec = &object["spec"];
    let (status, reason, message) = match (d.kind.as_str(), ready) {
        ("Certificate", true) => (
            "True",
            "Ready",
            "Certificate is up to date and has not expired".to_string(),
        ),
        ("Certificate", false) => (
            "False",
            "DoesNotExist",
            "Issuing certificate as Secret does not exist".to_string(),
        ),
        (_, true) if spec["ca"].is_object() => {
            ("True", "KeyPairVerified", "Signing CA verified".into())
        }
        (_, true) if spec["acme"].is_object() => (
            "True",
            "ACMEAccountRegistered",
            "The ACME account was registered with the ACME server".into(),
        ),
        (_, true) => ("True", "IsReady", String::new()),
        (_, false) => (
            "False",
            "ErrGetKeyPair",
            format!(
                "Error getting keypair for CA issuer: secrets {:?} not found",
                spec["ca"]["secretName"].as_str().unwrap_or_default()
            ),
        ),
    };
    let mut s = json!({
        "conditions": [{
            "type": "Ready",
            "status": status,
            "reason": reason,
            "message": message,
            "lastTransitionTime": now_rfc3339(),
            "observedGeneration": generation,
        }]
    });
    if d.kind == "Certificate" && ready {
        s["revision"] = json!(1);
    }
    s
}

/// The current time as kube-apiserver writes it (`2025-01-01T00:00:00Z`).
pub(crate) fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}
