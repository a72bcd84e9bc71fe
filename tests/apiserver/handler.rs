//! Request handling: authentication, routing, content negotiation, and the responses of
//! kube-apiserver (objects, lists, tables, discovery, `Status` errors).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use serde_json::{Map, Value, json};

use super::resources::ResourceDef;
use super::selectors::{FieldSelector, LabelSelector};
use super::store::{
    IncludeObject, ListQuery, Store, list_metadata, partial_metadata, render_object, table,
};
use super::{GIT_VERSION, RequestRecord, USER};

pub(crate) struct Shared {
    pub token: String,
    pub store: Store,
    pub forbidden: Vec<(String, String)>,
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
    // Read (and drop) any request body so the connection stays usable.
    let _ = req.into_body().collect().await;

    let (reply, delay) = respond(&shared, &method, &path, &query, &accept, &authorization);
    shared.log.lock().unwrap().push(RequestRecord {
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

fn discovery(shared: &Shared, accept: &str, core: bool) -> Reply {
    let ranges = parse_accept(accept);
    if ranges.is_empty() {
        return legacy_discovery(shared, core);
    }
    let aggregated = shared.aggregated_discovery.load(Ordering::Relaxed);
    for r in ranges.iter().filter(|r| r.is_json()) {
        match r.target() {
            (None, None, None) => return legacy_discovery(shared, core),
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
                    body: shared
                        .store
                        .registry
                        .aggregated(core, &format!("apidiscovery.k8s.io/{v}")),
                };
            }
            _ => {}
        }
    }
    not_acceptable()
}

fn legacy_discovery(shared: &Shared, core: bool) -> Reply {
    let registry = &shared.store.registry;
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

fn respond(
    shared: &Shared,
    method: &str,
    path: &str,
    query: &str,
    accept: &str,
    authorization: &str,
) -> (Reply, Option<Duration>) {
    if !authenticated(authorization, &shared.token) {
        return (status(401, "Unauthorized", "Unauthorized", None), None);
    }
    if method != "GET" {
        return (
            status(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
                Some(json!({})),
            ),
            None,
        );
    }
    let registry = &shared.store.registry;
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (group, version, rest) = match segments.as_slice() {
        ["version"] => return (json_reply(version_info()), None),
        ["api"] => return (discovery(shared, accept, true), None),
        ["apis"] => return (discovery(shared, accept, false), None),
        ["apis", group] => {
            return (
                registry
                    .api_group_doc(group)
                    .map(json_reply)
                    .unwrap_or_else(not_found_path),
                None,
            );
        }
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return (not_found_path(), None),
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
    let Some(route) = resource_route(&shared.store, group, version, rest) else {
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
        return (forbidden(d, &route), None);
    }
    let params = parse_query(query);
    if matches!(params.get("watch").map(String::as_str), Some("true" | "1")) {
        return (
            bad_request("watch is not supported by the test API server"),
            None,
        );
    }
    let reply = match &route.name {
        Some(name) => get_one(shared, d, &route, name, accept),
        None => list(shared, d, &route, &params, accept),
    };
    (reply, delay)
}

fn forbidden(d: &ResourceDef, route: &ResourceRoute) -> Reply {
    let verb = if route.name.is_some() { "get" } else { "list" };
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

fn get_one(
    shared: &Shared,
    d: &ResourceDef,
    route: &ResourceRoute,
    name: &str,
    accept: &str,
) -> Reply {
    let namespace = route.namespace.as_deref().unwrap_or("");
    let Some(stored) = shared.store.get(route.def, namespace, name) else {
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
    d: &ResourceDef,
    route: &ResourceRoute,
    params: &HashMap<String, String>,
    accept: &str,
) -> Reply {
    let store = &shared.store;
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
