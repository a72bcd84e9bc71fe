//! Request handling: authentication, routing, content negotiation, and the responses of
//! kube-apiserver (objects, lists, tables, discovery, `Status` errors).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use serde_json::{Map, Value, json};

use super::apply::{
    ApplyRequest, FakeController, Pending, managed_fields, now_rfc3339, reconciled,
};
use super::resources::ResourceDef;
use super::selectors::{FieldSelector, LabelSelector};
use super::store::{
    IncludeObject, ListQuery, Store, Stored, list_metadata, partial_metadata, render_object, table,
};
use super::{GIT_VERSION, RequestRecord, USER};

pub(crate) struct Shared {
    pub token: String,
    /// The objects: requests read them under the read lock; apply and the fake controller write
    /// under the write lock (each write is atomic).
    pub store: RwLock<Store>,
    pub forbidden: Vec<(String, String)>,
    /// (API group, resource plural): PATCH answers 403 Forbidden (reads are allowed).
    pub write_forbidden: Mutex<Vec<(String, String)>>,
    /// The fake cert-manager controller, when enabled.
    pub controller: Mutex<Option<FakeController>>,
    pub slow: Vec<(String, String, Duration)>,
    pub max_page: Option<usize>,
    pub log: Mutex<Vec<RequestRecord>>,
    /// `127.0.0.1:PORT`, for `serverAddressByClientCIDRs`.
    pub address: String,
    /// Answer aggregated discovery when asked (kube-apiserver ≥ 1.26); false = legacy only.
    pub aggregated_discovery: AtomicBool,
}

struct Reply {
    status: u16,
    content_type: String,
    body: Value,
}

fn json_reply(body: Value) -> Reply {
    Reply {
        status: 200,
        content_type: "application/json".into(),
        body,
    }
}

/// A `Status` failure, as kube-apiserver writes it.
fn status(code: u16, reason: &str, message: &str, details: Option<Value>) -> Reply {
    let mut s = Map::new();
    s.insert("kind".into(), "Status".into());
    s.insert("apiVersion".into(), "v1".into());
    s.insert("metadata".into(), json!({}));
    s.insert("status".into(), "Failure".into());
    s.insert("message".into(), message.into());
    s.insert("reason".into(), reason.into());
    if let Some(d) = details {
        s.insert("details".into(), d);
    }
    s.insert("code".into(), code.into());
    Reply {
        status: code,
        content_type: "application/json".into(),
        body: Value::Object(s),
    }
}

fn not_found_path() -> Reply {
    status(
        404,
        "NotFound",
        "the server could not find the requested resource",
        Some(json!({})),
    )
}

fn details(d: &ResourceDef, name: Option<&str>) -> Value {
    let mut m = Map::new();
    if let Some(n) = name {
        m.insert("name".into(), n.into());
    }
    if !d.group.is_empty() {
        m.insert("group".into(), d.group.clone().into());
    }
    m.insert("kind".into(), d.plural.clone().into());
    Value::Object(m)
}

fn bad_request(message: &str) -> Reply {
    status(400, "BadRequest", message, None)
}

pub(crate) async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let accept = header("accept");
    let authorization = header("authorization");
    let content_type = header("content-type");
    // Read the whole body (also so the connection stays usable).
    let body = req
        .into_body()
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();

    let request = RequestParts {
        method: &method,
        path: &path,
        query: &query,
        accept: &accept,
        authorization: &authorization,
        content_type: &content_type,
        body: &body,
    };
    let (reply, delay) = respond(&shared, &request);
    let params = parse_query(&query);
    shared.log.lock().unwrap().push(RequestRecord {
        field_manager: params.get("fieldManager").cloned(),
        dry_run: params.get("dryRun").is_some_and(|v| v == "All"),
        force: params.get("force").is_some_and(|v| v == "true"),
        content_type,
        method,
        path,
        query,
        status: reply.status,
        accept,
    });
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    let body = serde_json::to_vec(&reply.body).expect("JSON serialises");
    Response::builder()
        .status(reply.status)
        .header("content-type", reply.content_type)
        .header("cache-control", "no-cache, private")
        .body(Full::new(Bytes::from(body)))
        .expect("valid response")
}

/// The parts of a request the responses depend on.
struct RequestParts<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a str,
    accept: &'a str,
    authorization: &'a str,
    content_type: &'a str,
    body: &'a [u8],
}

fn authenticated(authorization: &str, token: &str) -> bool {
    match authorization.split_once(' ') {
        Some((scheme, value)) => scheme.eq_ignore_ascii_case("bearer") && value.trim() == token,
        None => false,
    }
}

/// Percent-decodes a query component (`+` is a space).
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The decoded query parameters (the first value of each).
pub(crate) fn parse_query(query: &str) -> HashMap<String, String> {
    let mut params = HashMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        params.entry(decode(k)).or_insert_with(|| decode(v));
    }
    params
}

/// One entry of an Accept header: base media type and parameters.
struct MediaRange {
    base: String,
    params: HashMap<String, String>,
}

fn parse_accept(accept: &str) -> Vec<MediaRange> {
    accept
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            let mut parts = s.split(';');
            let base = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let params = parts
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').to_string()))
                .collect();
            MediaRange { base, params }
        })
        .collect()
}

impl MediaRange {
    fn is_json(&self) -> bool {
        matches!(
            self.base.as_str(),
            "application/json" | "application/*" | "*/*"
        )
    }
    /// `as`, `g` and `v`.
    fn target(&self) -> (Option<&str>, Option<&str>, Option<&str>) {
        let p = |k: &str| self.params.get(k).map(String::as_str);
        (p("as"), p("g"), p("v"))
    }
}

/// 406 for media types the test server does not produce (kube-apiserver would also offer YAML
/// and protobuf; this server speaks JSON only).
fn not_acceptable() -> Reply {
    status(
        406,
        "NotAcceptable",
        "only the following media types are accepted: application/json",
        None,
    )
}

/// The representation of a resource response.
enum Repr {
    Json,
    /// `meta.k8s.io` version of the Table.
    Table(String),
    /// `meta.k8s.io` version of PartialObjectMetadata(List).
    Metadata(String),
}

fn negotiate(accept: &str, list: bool) -> Option<Repr> {
    let ranges = parse_accept(accept);
    if ranges.is_empty() {
        return Some(Repr::Json);
    }
    for r in ranges.iter().filter(|r| r.is_json()) {
        let meta_version = |g: Option<&str>, v: Option<&str>| {
            (g == Some("meta.k8s.io") && matches!(v, Some("v1" | "v1beta1")))
                .then(|| v.unwrap().to_string())
        };
        match r.target() {
            (None, None, None) => return Some(Repr::Json),
            (Some("Table"), g, v) => {
                if let Some(mv) = meta_version(g, v) {
                    return Some(Repr::Table(mv));
                }
            }
            (Some("PartialObjectMetadataList"), g, v) if list => {
                if let Some(mv) = meta_version(g, v) {
                    return Some(Repr::Metadata(mv));
                }
            }
            (Some("PartialObjectMetadata"), g, v) if !list => {
                if let Some(mv) = meta_version(g, v) {
                    return Some(Repr::Metadata(mv));
                }
            }
            _ => {}
        }
    }
    None
}

fn content_type(repr: &Repr) -> String {
    match repr {
        Repr::Json => "application/json".into(),
        Repr::Table(v) => format!("application/json;as=Table;v={v};g=meta.k8s.io"),
        Repr::Metadata(v) => {
            format!("application/json;as=PartialObjectMetadata;v={v};g=meta.k8s.io")
        }
    }
}

fn discovery(shared: &Shared, store: &Store, accept: &str, core: bool) -> Reply {
    let ranges = parse_accept(accept);
    if ranges.is_empty() {
        return legacy_discovery(shared, store, core);
    }
    let aggregated = shared.aggregated_discovery.load(Ordering::Relaxed);
    for r in ranges.iter().filter(|r| r.is_json()) {
        match r.target() {
            (None, None, None) => return legacy_discovery(shared, store, core),
            (
                Some("APIGroupDiscoveryList"),
                Some("apidiscovery.k8s.io"),
                Some(v @ ("v2" | "v2beta1")),
            ) if aggregated => {
                return Reply {
                    status: 200,
                    content_type: format!(
                        "application/json;g=apidiscovery.k8s.io;v={v};as=APIGroupDiscoveryList"
                    ),
                    body: store
                        .registry
                        .aggregated(core, &format!("apidiscovery.k8s.io/{v}")),
                };
            }
            _ => {}
        }
    }
    not_acceptable()
}

fn legacy_discovery(shared: &Shared, store: &Store, core: bool) -> Reply {
    let registry = &store.registry;
    json_reply(if core {
        registry.api_versions(&shared.address)
    } else {
        registry.api_group_list()
    })
}

fn version_info() -> Value {
    json!({
        "major": "1",
        "minor": "32",
        "gitVersion": GIT_VERSION,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-01-01T00:00:00Z",
        "goVersion": "go1.23.6",
        "compiler": "gc",
        "platform": "linux/amd64"
    })
}

/// A request for a resource: list (no name), get, or get of a subresource.
struct ResourceRoute {
    def: usize,
    version: String,
    namespace: Option<String>,
    name: Option<String>,
    subresource: Option<String>,
}

/// Routes the segments after `/api/v1` or `/apis/{group}/{version}`.
fn resource_route(
    store: &Store,
    group: &str,
    version: &str,
    rest: &[&str],
) -> Option<ResourceRoute> {
    let registry = &store.registry;
    let served = |plural: &str| {
        registry
            .by_plural(group, plural)
            .filter(|&i| registry.defs[i].serves(version))
    };
    let route = |def: usize, namespace: Option<&str>, tail: &[&str]| {
        let (name, subresource) = match tail {
            [] => (None, None),
            [name] => (Some(name.to_string()), None),
            [name, sub] => (Some(name.to_string()), Some(sub.to_string())),
            _ => return None,
        };
        if let Some(sub) = &subresource
            && !registry.defs[def].subresources.contains(sub)
        {
            return None;
        }
        Some(ResourceRoute {
            def,
            version: version.to_string(),
            namespace: namespace.map(String::from),
            name,
            subresource,
        })
    };
    if let ["namespaces", ns, plural, tail @ ..] = rest
        && let Some(def) = served(plural).filter(|&i| registry.defs[i].namespaced)
    {
        return route(def, Some(ns), tail);
    }
    let (plural, tail) = rest.split_first()?;
    let def = served(plural)?;
    if registry.defs[def].namespaced && !tail.is_empty() {
        return None;
    }
    route(def, None, tail)
}

fn respond(shared: &Shared, req: &RequestParts<'_>) -> (Reply, Option<Duration>) {
    if !authenticated(req.authorization, &shared.token) {
        return (status(401, "Unauthorized", "Unauthorized", None), None);
    }
    if req.method != "GET" && req.method != "PATCH" {
        return (method_not_allowed(), None);
    }
    // Reads share the store; writes (apply, the fake controller) take it alone.
    let now = Instant::now();
    if shared.store.read().unwrap().has_due(now) {
        shared.store.write().unwrap().tick(now);
    }
    if req.method == "PATCH" {
        let mut store = shared.store.write().unwrap();
        return (respond_patch(shared, &mut store, req), None);
    }
    let store = shared.store.read().unwrap();
    respond_get(shared, &store, req)
}

/// `["api", v, ..]` → ("", v, ..); `["apis", g, v, ..]` → (g, v, ..).
fn split_resource_path<'a>(segments: &'a [&'a str]) -> Option<(&'a str, &'a str, &'a [&'a str])> {
    match segments {
        ["api", version, rest @ ..] => Some(("", version, rest)),
        ["apis", group, version, rest @ ..] => Some((group, version, rest)),
        _ => None,
    }
}

fn respond_patch(shared: &Shared, store: &mut Store, req: &RequestParts<'_>) -> Reply {
    let segments: Vec<&str> = req.path.split('/').filter(|s| !s.is_empty()).collect();
    let Some((group, version, rest)) = split_resource_path(&segments) else {
        return not_found_path();
    };
    if rest.is_empty() {
        return method_not_allowed();
    }
    let Some(route) = resource_route(store, group, version, rest) else {
        return not_found_path();
    };
    if route.name.is_none() || route.subresource.is_some() {
        return method_not_allowed();
    }
    let d = store.registry.defs[route.def].clone();
    if shared
        .forbidden
        .iter()
        .chain(shared.write_forbidden.lock().unwrap().iter())
        .any(|(g, r)| *g == d.group && *r == d.plural)
    {
        return forbidden(&d, &route, "patch");
    }
    let controller = shared.controller.lock().unwrap().clone();
    patch(store, &d, &route, req.query, req, controller.as_ref())
}

fn respond_get(
    shared: &Shared,
    store: &Store,
    req: &RequestParts<'_>,
) -> (Reply, Option<Duration>) {
    let (path, query, accept) = (req.path, req.query, req.accept);
    let registry = &store.registry;
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        ["version"] => return (json_reply(version_info()), None),
        ["api"] => return (discovery(shared, store, accept, true), None),
        ["apis"] => return (discovery(shared, store, accept, false), None),
        ["apis", group] => {
            return (
                registry
                    .api_group_doc(group)
                    .map(json_reply)
                    .unwrap_or_else(not_found_path),
                None,
            );
        }
        _ => {}
    }
    let Some((group, version, rest)) = split_resource_path(&segments) else {
        return (not_found_path(), None);
    };
    if rest.is_empty() {
        return (
            registry
                .resource_list(group, version)
                .map(json_reply)
                .unwrap_or_else(not_found_path),
            None,
        );
    }
    let Some(route) = resource_route(store, group, version, rest) else {
        return (not_found_path(), None);
    };
    let d = &registry.defs[route.def];
    let delay = shared
        .slow
        .iter()
        .find(|(g, r, _)| *g == d.group && *r == d.plural)
        .map(|(_, _, delay)| *delay);
    if shared
        .forbidden
        .iter()
        .any(|(g, r)| *g == d.group && *r == d.plural)
    {
        let verb = if route.name.is_some() { "get" } else { "list" };
        return (forbidden(d, &route, verb), None);
    }
    let params = parse_query(query);
    if matches!(params.get("watch").map(String::as_str), Some("true" | "1")) {
        return (
            bad_request("watch is not supported by the test API server"),
            None,
        );
    }
    let reply = match &route.name {
        Some(name) => get_one(store, d, &route, name, accept),
        None => list(shared, store, d, &route, &params, accept),
    };
    (reply, delay)
}

fn method_not_allowed() -> Reply {
    status(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
        Some(json!({})),
    )
}

fn forbidden(d: &ResourceDef, route: &ResourceRoute, verb: &str) -> Reply {
    let resource = match &route.subresource {
        Some(sub) => format!("{}/{}", d.plural, sub),
        None => d.plural.clone(),
    };
    let scope = match &route.namespace {
        Some(ns) => format!("in the namespace {ns:?}"),
        None => "at the cluster scope".to_string(),
    };
    let why = format!(
        "User {USER:?} cannot {verb} resource {resource:?} in API group {:?} {scope}",
        d.group
    );
    let message = match &route.name {
        Some(name) => format!("{} {name:?} is forbidden: {why}", d.qualified()),
        None => format!("{} is forbidden: {why}", d.qualified()),
    };
    status(
        403,
        "Forbidden",
        &message,
        Some(details(d, route.name.as_deref())),
    )
}

/// `PATCH`: server-side apply only (see `apply.rs`).
fn patch(
    store: &mut Store,
    d: &ResourceDef,
    route: &ResourceRoute,
    query: &str,
    req: &RequestParts<'_>,
    controller: Option<&FakeController>,
) -> Reply {
    let name = route.name.as_deref().expect("PATCH routes have a name");
    let media = req
        .content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if media != "application/apply-patch+yaml" {
        let why = match media.as_str() {
            "application/json-patch+json"
            | "application/merge-patch+json"
            | "application/strategic-merge-patch+json" => {
                "the test API server implements only server-side apply (application/apply-patch+yaml)"
                    .to_string()
            }
            other => format!(
                "the body of the request was in an unknown format ({other:?}) - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
            ),
        };
        return status(415, "UnsupportedMediaType", &why, None);
    }
    let params = parse_query(query);
    let manager = params.get("fieldManager").cloned().unwrap_or_default();
    if manager.is_empty() {
        return status(
            422,
            "Invalid",
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
            None,
        );
    }
    let dry_run = match params.get("dryRun").map(String::as_str) {
        None | Some("") => false,
        Some("All") => true,
        Some(other) => {
            return status(
                422,
                "Invalid",
                &format!(
                    "PatchOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: {other:?}: supported values: \"All\""
                ),
                None,
            );
        }
    };
    let force = match params.get("force").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => return bad_request(&format!("force: invalid boolean {other:?}")),
    };
    // kube-rs and kubectl send JSON, which is YAML; YAML proper is not parsed here.
    let body: Value = match serde_json::from_slice(req.body) {
        Ok(v) => v,
        Err(e) => {
            return bad_request(&format!(
                "the test API server accepts apply patches in JSON only: {e}"
            ));
        }
    };
    let namespace = route.namespace.as_deref();
    if let Some(ns) = namespace {
        let ns_def = store.registry.by_kind("", "Namespace");
        if ns_def.is_none_or(|nd| store.get(nd, "", ns).is_none()) {
            return status(
                404,
                "NotFound",
                &format!("namespaces {ns:?} not found"),
                Some(json!({"name": ns, "kind": "namespaces"})),
            );
        }
    }
    let key_ns = namespace.unwrap_or("");
    let existing = store.get(route.def, key_ns, name);
    let request = ApplyRequest {
        def: d,
        version: &route.version,
        namespace,
        name,
        manager: &manager,
        force,
        body: &body,
    };
    let applied = match super::apply::apply(&request, existing.map(|s| (&s.object, &s.managers))) {
        Ok(a) => a,
        Err(e) => return status(e.code, e.reason, &e.message, e.details),
    };
    let old_generation = existing.and_then(|s| s.object["metadata"]["generation"].as_i64());
    let mut object = applied.object;
    {
        let meta = object
            .as_object_mut()
            .expect("apply bodies are objects")
            .entry("metadata")
            .or_insert_with(|| json!({}));
        if let Value::Object(meta) = meta {
            meta.insert("name".into(), name.into());
            match namespace {
                Some(ns) => {
                    meta.insert("namespace".into(), ns.into());
                }
                None => {
                    meta.remove("namespace");
                }
            }
        }
    }
    if applied.created {
        object["metadata"]["uid"] = store.next_uid().into();
        object["metadata"]["creationTimestamp"] = now_rfc3339().into();
        object["metadata"]["generation"] = 1.into();
        if !d.custom && d.kind == "Secret" && !object["type"].is_string() {
            object["type"] = "Opaque".into();
        }
    } else if applied.spec_changed {
        object["metadata"]["generation"] = (old_generation.unwrap_or(1) + 1).into();
    }
    let mut reply_object = object.clone();
    reply_object["metadata"]["managedFields"] = managed_fields(&applied.managers);
    let code = if applied.created { 201 } else { 200 };
    if !dry_run {
        if applied.changed {
            let rv = store.next_resource_version();
            reply_object["metadata"]["resourceVersion"] = rv.to_string().into();
            if reconciled(d)
                && (applied.created || applied.spec_changed)
                && let Some(c) = controller
            {
                store
                    .pending
                    .retain(|p| !(p.def == route.def && p.namespace == key_ns && p.name == name));
                store.pending.push(Pending {
                    def: route.def,
                    namespace: key_ns.to_string(),
                    name: name.to_string(),
                    due: Instant::now() + c.delay,
                    ready: !c.never_ready.iter().any(|n| n == name),
                });
            }
            store.put(
                route.def,
                Stored {
                    namespace: key_ns.to_string(),
                    name: name.to_string(),
                    object: reply_object.clone(),
                    managers: applied.managers,
                },
            );
        }
    } else if applied.created
        && let Some(meta) = reply_object["metadata"].as_object_mut()
    {
        // A dry-run create has no resourceVersion: nothing was stored.
        meta.remove("resourceVersion");
    }
    Reply {
        status: code,
        content_type: "application/json".into(),
        body: render_object(d, &route.version, &reply_object, true),
    }
}

fn get_one(
    store: &Store,
    d: &ResourceDef,
    route: &ResourceRoute,
    name: &str,
    accept: &str,
) -> Reply {
    let namespace = route.namespace.as_deref().unwrap_or("");
    let Some(stored) = store.get(route.def, namespace, name) else {
        return status(
            404,
            "NotFound",
            &format!("{} {name:?} not found", d.qualified()),
            Some(details(d, Some(name))),
        );
    };
    let Some(repr) = negotiate(accept, false) else {
        return not_acceptable();
    };
    let body = match &repr {
        Repr::Json => render_object(d, &route.version, &stored.object, true),
        Repr::Metadata(mv) => partial_metadata(&stored.object, mv),
        Repr::Table(tv) => table(
            d,
            &route.version,
            tv,
            &[stored],
            json!({}),
            IncludeObject::Metadata,
        ),
    };
    Reply {
        status: 200,
        content_type: content_type(&repr),
        body,
    }
}

fn list(
    shared: &Shared,
    store: &Store,
    d: &ResourceDef,
    route: &ResourceRoute,
    params: &HashMap<String, String>,
    accept: &str,
) -> Reply {
    let labels = match LabelSelector::parse(params.get("labelSelector").map_or("", String::as_str))
    {
        Ok(l) => l,
        Err(e) => return bad_request(&e),
    };
    let fields = match FieldSelector::parse(params.get("fieldSelector").map_or("", String::as_str))
    {
        Ok(f) => f,
        Err(e) => return bad_request(&e),
    };
    if let Err(e) = store.check_fields(route.def, &fields) {
        return bad_request(&e);
    }
    let limit = match params.get("limit").filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match s.parse::<i64>() {
            Ok(n) if n > 0 => Some(
                shared
                    .max_page
                    .map_or(n as usize, |m| (n as usize).min(m.max(1))),
            ),
            Ok(_) => None,
            Err(_) => {
                return bad_request(&format!("limit: Invalid value: {s:?}: must be an integer"));
            }
        },
    };
    let after = match params.get("continue").filter(|s| !s.is_empty()) {
        None => None,
        Some(token) => match store.decode_continue(route.def, token) {
            Ok(k) => Some(k),
            Err(e) => return bad_request(&e),
        },
    };
    let Some(repr) = negotiate(accept, true) else {
        return not_acceptable();
    };
    let include = match params.get("includeObject").map(String::as_str) {
        Some("None") => IncludeObject::None,
        Some("Object") => IncludeObject::Object,
        _ => IncludeObject::Metadata,
    };
    let query = ListQuery {
        namespace: route.namespace.clone(),
        labels,
        fields,
        limit,
        after,
    };
    let page = store.list(route.def, &query);
    let metadata = list_metadata(store, &page);
    let body = match &repr {
        Repr::Json => {
            let items: Vec<Value> = page
                .items
                .iter()
                .map(|o| render_object(d, &route.version, &o.object, d.custom))
                .collect();
            json!({
                "kind": format!("{}List", d.kind),
                "apiVersion": super::resources::group_version(&d.group, &route.version),
                "metadata": metadata,
                "items": items,
            })
        }
        Repr::Metadata(mv) => {
            let items: Vec<Value> = page
                .items
                .iter()
                .map(|o| partial_metadata(&o.object, mv))
                .collect();
            json!({
                "kind": "PartialObjectMetadataList",
                "apiVersion": format!("meta.k8s.io/{mv}"),
                "metadata": metadata,
                "items": items,
            })
        }
        Repr::Table(tv) => table(d, &route.version, tv, &page.items, metadata, include),
    };
    let content_type = match &repr {
        Repr::Metadata(v) => {
            format!("application/json;as=PartialObjectMetadataList;v={v};g=meta.k8s.io")
        }
        other => content_type(other),
    };
    Reply {
        status: 200,
        content_type,
        body,
    }
}
