//! `kubectl tlscheck bootstrap --apply`: put the planned objects into the cluster with server-side
//! apply, the way `kubectl apply --server-side --field-manager=kubectl-tlscheck` would, and wait for
//! cert-manager to make each issuer and certificate Ready before applying what depends on it.
//!
//! 1. Every object is checked (apiVersion, kind, metadata.name) and its resource resolved through
//!    discovery (aggregated discovery, or per-group documents on older servers): a kind the cluster
//!    does not serve (cert-manager not installed, an old API version) stops the run before any
//!    write. Objects with the same kind, namespace and name are merged into one apply configuration
//!    at the position of the last of them (with one field manager, applying them one after the other
//!    would make the second drop the fields of the first).
//! 2. Server-side dry run (`dryRun=All`) of *all* objects: if any is rejected (validation, admission
//!    webhooks, RBAC, field-manager conflicts, a missing namespace), nothing is applied and the error
//!    names every rejected object. A missing namespace is accepted when the batch creates it.
//! 3. Server-side apply of each object in the given (dependency) order. After an Issuer,
//!    ClusterIssuer or Certificate (`cert-manager.io`), its `status.conditions[type=Ready]` is polled
//!    (GET, backoff from 100 ms to 2 s) until it is `True` for the current generation
//!    (`observedGeneration`), for at most [`ApplyOptions::timeout`]; only then is the next object
//!    applied — so the CA issuer is applied once its CA Certificate is issued, and the webhook and
//!    Deployment patches once their serving certificates exist.
//!
//! Decisions:
//! - **No `force`.** Apply requests never take fields over from other managers: the objects are new
//!   ones, or patches that add fields (the `cert-manager.io/inject-ca-from` annotation, a volume)
//!   that nobody else owns. A conflict means someone else manages that field (a Helm chart, GitOps):
//!   overriding it silently would start a tug of war with that tool, so the run stops (in the dry run,
//!   before any write) with the server's list of conflicting fields and the hint to change the source
//!   of those objects or to apply with `kubectl apply --server-side --force-conflicts` deliberately.
//! - **Existing Secrets are kept.** The only Secret in a plan is the locally generated CA (`--local-ca`).
//!   If a Secret of that name already exists it is not applied (nor dry-run): replacing it would
//!   rotate the CA key, and every certificate and injected `caBundle` issued from the old one would
//!   stop verifying. When its existence cannot be checked (no `get` permission) the run stops.
//! - Secret data is never printed or logged: lines and errors name objects only, and API responses
//!   are reduced to their resourceVersion.
//! - Each result line says whether the object was `created`, `configured` (changed) or `unchanged`
//!   (same resourceVersion as before: applying the same plan twice changes nothing), from a
//!   metadata-only GET before the dry run; `applied` when that GET was not allowed.
//!
//! Errors name the object and the step: 401 (credentials rejected), 403 (the server's RBAC message),
//! 409 (conflicting fields), request timeouts (`--request-timeout`, default 60 s per request) and
//! readiness timeouts (with the last Ready condition seen). An error after some objects were applied
//! lists them; running the command again continues where it stopped, as apply is idempotent.

use std::fmt::Write as _;
use std::future::Future;
use std::io::Write as _;
use std::time::{Duration, Instant};

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::{ApiResource, Discovery, Scope};
use kube::{Client, Config};
use serde_json::Value;

use crate::cluster::{ClusterOptions, client_config};

/// How to apply.
#[derive(Clone, Debug)]
pub struct ApplyOptions {
    /// Server-side-apply field manager (`kubectl-tlscheck`).
    pub field_manager: String,
    /// How long to wait for each issuer or certificate to become Ready.
    pub timeout: std::time::Duration,
    /// Print progress on stderr (a line per object; a live "waiting" line): for a TTY.
    pub progress: bool,
}

/// The default per-request timeout when `--request-timeout` is not given.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// First and longest pause between two readiness polls.
const POLL_FIRST: Duration = Duration::from_millis(100);
const POLL_MAX: Duration = Duration::from_secs(2);

/// Apply `objects` (in dependency order) with server-side apply: dry run of all first, then each in
/// order, waiting for issuers and certificates to be Ready. Returns what was done, a line each.
pub fn apply(
    objects: &[serde_json::Value],
    cluster: &crate::cluster::ClusterOptions,
    opts: &ApplyOptions,
) -> Result<Vec<String>, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(apply_async(objects, cluster, opts))
}

/// One object to apply.
struct Target {
    /// The apply configuration (duplicates merged).
    body: Value,
    api: Api<DynamicObject>,
    name: String,
    /// `Kind name` or `Kind namespace/name`.
    label: String,
    namespace: Option<String>,
    /// Kind (for the namespace-in-the-batch check).
    is_namespace: bool,
    is_secret: bool,
    /// An Issuer, ClusterIssuer or Certificate of cert-manager.io: wait for Ready.
    waits: bool,
}

/// What was there before.
enum Before {
    Absent,
    /// resourceVersion.
    Present(String),
    /// The GET was not allowed.
    Unknown,
}

async fn apply_async(
    objects: &[Value],
    cluster: &ClusterOptions,
    opts: &ApplyOptions,
) -> Result<Vec<String>, String> {
    let (config, context) = client_config(cluster).await.map_err(|e| e.to_string())?;
    let source = format!("cluster/{context}");
    let default_ns = cluster
        .namespace
        .clone()
        .unwrap_or_else(|| config.default_namespace.clone());
    let request_timeout = cluster.request_timeout.unwrap_or(REQUEST_TIMEOUT);
    let bodies = merge_duplicates(objects)?;
    let client = make_client(config, &source)?;
    let discovery = discover(&client, &bodies, request_timeout, &source).await?;
    let targets = resolve(&client, &discovery, bodies, &default_ns)?;
    let ctx = Ctx {
        source: &source,
        request_timeout,
        opts,
    };

    // Before: metadata only (Secrets are never read in full).
    let mut before = Vec::with_capacity(targets.len());
    for t in &targets {
        let b = match ctx
            .call(
                &format!("reading {}", t.label),
                t.api.get_metadata_opt(&t.name),
            )
            .await
        {
            Ok(Some(m)) => Before::Present(m.metadata.resource_version.unwrap_or_default()),
            Ok(None) => Before::Absent,
            Err(e) if e.code() == Some(403) => Before::Unknown,
            Err(e) => return Err(format!("{}; nothing was applied", e.message())),
        };
        if t.is_secret && matches!(b, Before::Unknown) {
            return Err(format!(
                "{source}: cannot tell whether {} exists (get is forbidden); not applying it, as \
                 replacing an existing CA Secret would rotate the CA; nothing was applied",
                t.label
            ));
        }
        before.push(b);
    }

    // Dry run of everything.
    let batch_namespaces: Vec<&str> = targets
        .iter()
        .filter(|t| t.is_namespace)
        .map(|t| t.name.as_str())
        .collect();
    let dry = PatchParams::apply(&opts.field_manager).dry_run();
    let mut rejected: Vec<String> = Vec::new();
    let mut checked = 0usize;
    for (t, b) in targets.iter().zip(&before) {
        if t.is_secret && matches!(b, Before::Present(_)) {
            continue;
        }
        let what = format!("server-side dry run of {}", t.label);
        match ctx
            .call(&what, t.api.patch(&t.name, &dry, &Patch::Apply(&t.body)))
            .await
        {
            Ok(_) => checked += 1,
            // The namespace is created by an earlier object of the batch.
            Err(CallError {
                kind: Classified::Api(404, msg),
                ..
            }) if t.namespace.as_deref().is_some_and(|ns| {
                batch_namespaces.contains(&ns) && msg.contains(&format!("namespaces \"{ns}\""))
            }) =>
            {
                checked += 1;
            }
            Err(e) if e.code() == Some(401) => {
                return Err(format!("{}; nothing was applied", e.message()));
            }
            Err(e) => rejected.push(format!("{}: {}", t.label, describe(&e.kind))),
        }
    }
    if !rejected.is_empty() {
        let mut m = format!(
            "{source}: the server-side dry run rejected {} of {} objects; nothing was applied:",
            rejected.len(),
            targets.len()
        );
        for r in &rejected {
            let _ = write!(m, "\n  {r}");
        }
        return Err(m);
    }
    let mut lines = vec![format!(
        "server-side dry run: {checked} object{} accepted (field manager {})",
        if checked == 1 { "" } else { "s" },
        opts.field_manager
    )];
    ctx.progress(&lines[0]);

    // Apply in order, waiting for readiness.
    let params = PatchParams::apply(&opts.field_manager);
    let mut done: Vec<String> = Vec::new();
    let partial = |done: &[String], err: String| -> String {
        if done.is_empty() {
            format!("{err}; nothing was applied")
        } else {
            format!(
                "{err}; already applied: {} (running the command again continues from here)",
                done.join(", ")
            )
        }
    };
    for (t, b) in targets.iter().zip(&before) {
        if t.is_secret && matches!(b, Before::Present(_)) {
            let line = format!("kept {} (exists; not overwritten)", t.label);
            ctx.progress(&line);
            lines.push(line);
            continue;
        }
        let applied = ctx
            .call(
                &format!("applying {}", t.label),
                t.api.patch(&t.name, &params, &Patch::Apply(&t.body)),
            )
            .await
            .map_err(|e| partial(&done, e.message()))?;
        let rv = applied.metadata.resource_version.unwrap_or_default();
        drop(applied.data);
        let outcome = match b {
            Before::Absent => "created",
            Before::Present(old) if *old == rv => "unchanged",
            Before::Present(_) => "configured",
            Before::Unknown => "applied",
        };
        let mut line = format!("{outcome} {}", t.label);
        done.push(t.label.clone());
        if t.waits {
            ctx.progress_waiting(&line, Duration::ZERO, "");
            let started = Instant::now();
            if let Err(e) = wait_ready(&ctx, t, &line).await {
                ctx.progress_done(&format!("{line} … not Ready"));
                return Err(partial(&done, e));
            }
            line.push_str(" … Ready");
            ctx.progress_done(&format!("{line} ({:.1}s)", started.elapsed().as_secs_f64()));
        } else {
            ctx.progress(&line);
        }
        lines.push(line);
    }
    Ok(lines)
}

fn make_client(config: Config, source: &str) -> Result<Client, String> {
    Client::try_from(config).map_err(|e| format!("{source}: {e}"))
}

/// The apply configurations, duplicates (same apiVersion group, kind, namespace, name) merged into
/// the last occurrence.
fn merge_duplicates(objects: &[Value]) -> Result<Vec<Value>, String> {
    let key = |v: &Value| -> Result<(String, String, String, String), String> {
        let s = |p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_string);
        match (s("/apiVersion"), s("/kind"), s("/metadata/name")) {
            (Some(api_version), Some(kind), Some(name)) if !name.is_empty() => {
                let group = api_version
                    .split_once('/')
                    .map(|(g, _)| g.to_string())
                    .unwrap_or_default();
                Ok((
                    group,
                    kind,
                    s("/metadata/namespace").unwrap_or_default(),
                    name,
                ))
            }
            _ => Err(String::new()),
        }
    };
    let mut keys = Vec::with_capacity(objects.len());
    for (i, o) in objects.iter().enumerate() {
        keys.push(key(o).map_err(|_| {
            format!(
                "object #{} of the plan has no apiVersion, kind or metadata.name; nothing was applied",
                i + 1
            )
        })?);
    }
    let mut out = Vec::new();
    for i in 0..objects.len() {
        if keys[i + 1..].contains(&keys[i]) {
            continue; // merged into the last occurrence
        }
        let mut merged = Value::Null;
        for (j, earlier) in objects[..=i].iter().enumerate() {
            if keys[j] == keys[i] {
                if merged.is_null() {
                    merged = earlier.clone();
                } else {
                    merge(&mut merged, earlier);
                }
            }
        }
        out.push(merged);
    }
    Ok(out)
}

/// Deep merge of apply configurations: maps key by key, lists of named items (containers,
/// volumes, webhooks) item by item, anything else replaced by the later value.
fn merge(dst: &mut Value, src: &Value) {
    let named = |items: &[Value]| {
        items
            .iter()
            .all(|i| i.get("name").and_then(Value::as_str).is_some())
    };
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
        (Value::Array(d), Value::Array(s)) if named(d) && named(s) => {
            for item in s {
                let name = item.get("name").and_then(Value::as_str);
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

/// Discovery of the groups of the objects (aggregated first, per-group documents otherwise).
async fn discover(
    client: &Client,
    bodies: &[Value],
    timeout: Duration,
    source: &str,
) -> Result<Discovery, String> {
    let mut groups: Vec<String> = bodies
        .iter()
        .map(|b| {
            let av = b["apiVersion"].as_str().unwrap_or_default();
            av.split_once('/')
                .map(|(g, _)| g.to_string())
                .unwrap_or_default()
        })
        .collect();
    groups.sort();
    groups.dedup();
    let groups: Vec<&str> = groups.iter().map(String::as_str).collect();
    let timed_out = || {
        format!(
            "{source}: discovery timed out after {}s (--request-timeout)",
            timeout.as_secs_f64()
        )
    };
    let aggregated = tokio::time::timeout(
        timeout,
        Discovery::new(client.clone())
            .filter(&groups)
            .run_aggregated(),
    )
    .await
    .map_err(|_| timed_out())?
    .ok()
    .filter(|d| d.groups().next().is_some());
    if let Some(d) = aggregated {
        return Ok(d);
    }
    tokio::time::timeout(
        timeout,
        Discovery::new(client.clone()).filter(&groups).run(),
    )
    .await
    .map_err(|_| timed_out())?
    .map_err(|e| format!("{source}: discovery: {}", describe(&classify(e, timeout))))
}

/// Each body's resource, namespace and API handle; a kind the cluster does not serve is an error.
fn resolve(
    client: &Client,
    discovery: &Discovery,
    bodies: Vec<Value>,
    default_ns: &str,
) -> Result<Vec<Target>, String> {
    let mut targets = Vec::with_capacity(bodies.len());
    let mut missing = Vec::new();
    for mut body in bodies {
        let api_version = body["apiVersion"].as_str().unwrap_or_default().to_string();
        let kind = body["kind"].as_str().unwrap_or_default().to_string();
        let name = body["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let (group, version) = api_version
            .split_once('/')
            .unwrap_or(("", api_version.as_str()));
        let gvk = GroupVersionKind::gvk(group, version, &kind);
        let Some((ar, caps)) = discovery.resolve_gvk(&gvk) else {
            let hint = if group == "cert-manager.io" {
                " (is cert-manager installed?)"
            } else {
                ""
            };
            missing.push(format!(
                "{kind} {name}: the cluster does not serve {api_version} {kind}{hint}"
            ));
            continue;
        };
        let namespaced = matches!(caps.scope, Scope::Namespaced);
        let namespace = if namespaced {
            Some(
                body["metadata"]["namespace"]
                    .as_str()
                    .filter(|s| !s.is_empty())
                    .unwrap_or(default_ns)
                    .to_string(),
            )
        } else {
            if let Some(meta) = body["metadata"].as_object_mut() {
                meta.remove("namespace");
            }
            None
        };
        let api: Api<DynamicObject> = match &namespace {
            Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
            None => Api::all_with(client.clone(), &ar),
        };
        targets.push(Target {
            label: match &namespace {
                Some(ns) => format!("{kind} {ns}/{name}"),
                None => format!("{kind} {name}"),
            },
            is_namespace: is_kind(&ar, "", "Namespace"),
            is_secret: is_kind(&ar, "", "Secret"),
            waits: ar.group == "cert-manager.io"
                && matches!(ar.kind.as_str(), "Issuer" | "ClusterIssuer" | "Certificate"),
            body,
            api,
            name,
            namespace,
        });
    }
    if !missing.is_empty() {
        return Err(format!("{}; nothing was applied", missing.join("; ")));
    }
    Ok(targets)
}

fn is_kind(ar: &ApiResource, group: &str, kind: &str) -> bool {
    ar.group == group && ar.kind == kind
}

/// Shared settings of the requests.
struct Ctx<'a> {
    source: &'a str,
    request_timeout: Duration,
    opts: &'a ApplyOptions,
}

/// A failed request: the step and what went wrong.
struct CallError {
    source: String,
    what: String,
    kind: Classified,
}

impl CallError {
    fn code(&self) -> Option<u16> {
        match self.kind {
            Classified::Api(code, _) => Some(code),
            _ => None,
        }
    }

    /// `cluster/<context>: <step>: <reason>`.
    fn message(&self) -> String {
        format!("{}: {}: {}", self.source, self.what, describe(&self.kind))
    }
}

/// A kube error, classified.
enum Classified {
    /// HTTP status and the server's message.
    Api(u16, String),
    /// The request took longer than the timeout (seconds).
    Timeout(f64),
    Transport(String),
}

fn classify(e: kube::Error, timeout: Duration) -> Classified {
    match e {
        kube::Error::Api(status) => Classified::Api(status.code, status.message),
        other => {
            let (text, timed_out) = crate::cluster::transport_error(&other);
            if timed_out {
                Classified::Timeout(timeout.as_secs_f64())
            } else {
                Classified::Transport(text)
            }
        }
    }
}

fn describe(c: &Classified) -> String {
    match c {
        Classified::Api(401, _) => "the API server rejected the credentials (401 Unauthorized); \
                                    check the context's user and token"
            .into(),
        Classified::Api(403, m) => format!("forbidden (403): {m}"),
        Classified::Api(409, m) => format!(
            "{m} (409 Conflict: another field manager owns these fields; kubectl-tlscheck never \
             forces ownership: change the tool that manages them, or take them over deliberately \
             with `kubectl apply --server-side --force-conflicts`)"
        ),
        Classified::Api(code, m) => format!("{m} ({code})"),
        Classified::Timeout(secs) => format!("timed out after {secs}s (--request-timeout)"),
        Classified::Transport(t) => format!("cannot reach the API server: {t}"),
    }
}

impl Ctx<'_> {
    /// Runs one request with the request timeout; errors name the step (`what`).
    async fn call<T>(
        &self,
        what: &str,
        fut: impl Future<Output = Result<T, kube::Error>>,
    ) -> Result<T, CallError> {
        let kind = match tokio::time::timeout(self.request_timeout, fut).await {
            Ok(Ok(v)) => return Ok(v),
            Ok(Err(e)) => classify(e, self.request_timeout),
            Err(_) => Classified::Timeout(self.request_timeout.as_secs_f64()),
        };
        Err(CallError {
            source: self.source.to_string(),
            what: what.to_string(),
            kind,
        })
    }

    fn progress(&self, line: &str) {
        if self.opts.progress {
            eprintln!("{line}");
        }
    }

    /// The live "waiting" line, with the last state seen (rewritten in place: progress is for a
    /// TTY).
    fn progress_waiting(&self, line: &str, elapsed: Duration, state: &str) {
        if self.opts.progress {
            let mut err = std::io::stderr().lock();
            // One terminal line, so that `\r` rewrites it: the state is cut short.
            let state = match state.char_indices().nth(60) {
                _ if state.is_empty() => String::new(),
                Some((cut, _)) => format!("; {}…", &state[..cut]),
                None => format!("; {state}"),
            };
            let _ = write!(
                err,
                "\r\x1b[2K{line} … waiting for Ready ({}s{state})",
                elapsed.as_secs()
            );
            let _ = err.flush();
        }
    }

    fn progress_done(&self, line: &str) {
        if self.opts.progress {
            eprintln!("\r\x1b[2K{line}");
        }
    }
}

/// Polls until the object's Ready condition is True for its current generation.
async fn wait_ready(ctx: &Ctx<'_>, t: &Target, line: &str) -> Result<(), String> {
    let started = Instant::now();
    let deadline = started + ctx.opts.timeout;
    let mut pause = POLL_FIRST;
    loop {
        let obj = ctx
            .call(&format!("waiting for {}", t.label), t.api.get(&t.name))
            .await
            .map_err(|e| e.message())?;
        let last = match readiness(&obj) {
            Ok(()) => return Ok(()),
            Err(state) => state,
        };
        let now = Instant::now();
        if now >= deadline {
            return Err(format!(
                "{}: timed out after {}s waiting for {} to become Ready (last seen: {last})",
                ctx.source,
                ctx.opts.timeout.as_secs_f64(),
                t.label
            ));
        }
        ctx.progress_waiting(line, now - started, &last);
        tokio::time::sleep(pause.min(deadline - now)).await;
        pause = (pause * 2).min(POLL_MAX);
    }
}

/// `Ok` when `status.conditions[type=Ready]` is True and observed the current generation; else a
/// description of what is there.
fn readiness(obj: &DynamicObject) -> Result<(), String> {
    let generation = obj.metadata.generation;
    let conditions = obj.data["status"]["conditions"].as_array();
    let Some(ready) = conditions
        .into_iter()
        .flatten()
        .find(|c| c["type"] == "Ready")
    else {
        return Err("no Ready condition yet".into());
    };
    let status = ready["status"].as_str().unwrap_or("Unknown");
    let observed = ready["observedGeneration"].as_i64();
    let current = match (observed, generation) {
        (Some(o), Some(g)) => o >= g,
        _ => true,
    };
    if status == "True" && current {
        return Ok(());
    }
    let mut s = format!("Ready={status}");
    if let Some(r) = ready["reason"].as_str().filter(|r| !r.is_empty()) {
        let _ = write!(s, ", reason {r}");
    }
    if let Some(m) = ready["message"].as_str().filter(|m| !m.is_empty()) {
        let _ = write!(s, ": {m}");
    }
    if !current {
        let _ = write!(
            s,
            " (for generation {}, not yet the current {})",
            observed.unwrap_or_default(),
            generation.unwrap_or_default()
        );
    }
    Err(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn duplicates_merge_into_the_last_occurrence() {
        let objects = vec![
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "n"},
                   "spec": {"template": {"spec": {"volumes": [{"name": "a", "secret": {"secretName": "a"}}]}}}}),
            json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": {"name": "c", "namespace": "n"}}),
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "n"},
                   "spec": {"template": {"spec": {"volumes": [{"name": "b", "secret": {"secretName": "b"}}]}}}}),
        ];
        let merged = merge_duplicates(&objects).unwrap();
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0]["kind"], "Certificate");
        let volumes = merged[1]["spec"]["template"]["spec"]["volumes"]
            .as_array()
            .unwrap();
        let names: Vec<&str> = volumes
            .iter()
            .map(|v| v["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn objects_without_identity_are_rejected() {
        let err = merge_duplicates(&[json!({"kind": "Certificate"})]).unwrap_err();
        assert!(err.contains("object #1"), "{err}");
    }

    #[test]
    fn readiness_needs_true_for_the_current_generation() {
        let obj = |status: Value, generation: i64| -> DynamicObject {
            serde_json::from_value(json!({
                "apiVersion": "cert-manager.io/v1", "kind": "Certificate",
                "metadata": {"name": "c", "generation": generation},
                "status": status,
            }))
            .unwrap()
        };
        assert!(readiness(&obj(json!({}), 1)).is_err());
        let ready =
            json!({"conditions": [{"type": "Ready", "status": "True", "observedGeneration": 1}]});
        assert!(readiness(&obj(ready.clone(), 1)).is_ok());
        let stale = readiness(&obj(ready, 2)).unwrap_err();
        assert!(stale.contains("generation 1"), "{stale}");
        let not = json!({"conditions": [{"type": "Ready", "status": "False", "reason": "DoesNotExist",
                          "message": "Issuing certificate as Secret does not exist"}]});
        assert_eq!(
            readiness(&obj(not, 1)).unwrap_err(),
            "Ready=False, reason DoesNotExist: Issuing certificate as Secret does not exist"
        );
    }
}
