//! Live clusters: read the objects the enabled rules need with kube-rs and turn them into the same
//! [`Object`]s that files become, so every rule runs live. The only async code of the crate.
//!
//! Discovery first (a group that is not installed is "not installed", not an error), then paginated
//! lists (`limit`/`continue`) of exactly the needed kinds, a few at a time. Secrets are listed with
//! `type=kubernetes.io/tls` only, and only their certificates (`tls.crt`, `ca.crt`) are kept: private
//! keys and other Secret data never leave this module. A 403 on a kind skips it (reported, the run is
//! incomplete); a 401, an unreachable server or a timeout stops the run with a clear error.

pub mod rbac;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use futures::StreamExt;
use kube::api::{Api, DynamicObject, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::discovery::{ApiCapabilities, ApiResource, Discovery, Scope};
use kube::{Client, Config};

use crate::model::{Object, object_from_json};

/// What to read and how (kubectl's flags).
#[derive(Clone, Debug, Default)]
pub struct ClusterOptions {
    /// `--kubeconfig`: one file, replacing the `KUBECONFIG` chain.
    pub kubeconfig: Option<PathBuf>,
    /// `--context`.
    pub context: Option<String>,
    /// `-n/--namespace` (default: the context's namespace).
    pub namespace: Option<String>,
    /// `-A/--all-namespaces`.
    pub all_namespaces: bool,
    /// `-l/--selector`, applied to every namespaced list as kubectl does.
    pub selector: Option<String>,
    /// `--request-timeout` for each request.
    pub request_timeout: Option<Duration>,
    /// List requests in flight at once.
    pub concurrency: usize,
    /// Page size (`limit`).
    pub page_size: u32,
}

/// A kind that could not be read, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// API group (empty for the core group).
    pub group: String,
    /// Kind.
    pub kind: String,
    /// The API server's message (e.g. `secrets is forbidden: …`).
    pub reason: String,
}

/// What a run read from the cluster.
#[derive(Debug, Default)]
pub struct Fetched {
    /// `cluster/<context>`.
    pub source: String,
    /// The objects (every kind asked for that is installed and allowed).
    pub objects: Vec<Object>,
    /// Kinds asked for whose API group is not installed.
    pub not_installed: Vec<String>,
    /// Kinds the credentials may not list.
    pub forbidden: Vec<Skipped>,
    /// Requests made (discovery included).
    pub requests: usize,
}

/// Why a cluster could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The kubeconfig could not be read or has no such context.
    #[error("kubeconfig: {0}")]
    Kubeconfig(String),
    /// The credentials were rejected.
    #[error(
        "{cluster}: the API server rejected the credentials (401 Unauthorized); check the context's user and token"
    )]
    Unauthorized {
        /// `cluster/<context>`.
        cluster: String,
    },
    /// The server could not be reached or answered with an unexpected error.
    #[error("{cluster}: {message}")]
    Request {
        /// `cluster/<context>`.
        cluster: String,
        /// What went wrong.
        message: String,
    },
    /// A request took longer than `--request-timeout`.
    #[error("{cluster}: {what} timed out after {secs}s (--request-timeout)")]
    Timeout {
        /// `cluster/<context>`.
        cluster: String,
        /// The request.
        what: String,
        /// The timeout.
        secs: f64,
    },
}

/// Read the kinds `needed` (`(group, kind)`; a `None` group matches the kind in any group).
pub fn fetch(
    opts: &ClusterOptions,
    needed: &[(Option<String>, String)],
) -> Result<Fetched, ClusterError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| ClusterError::Request {
            cluster: "cluster".into(),
            message: format!("cannot start the async runtime: {e}"),
        })?;
    runtime.block_on(fetch_async(opts, needed))
}

/// Load the kubeconfig the way kubectl does: `--kubeconfig` alone, else the `KUBECONFIG` list merged,
/// else `~/.kube/config`.
pub(crate) async fn client_config(opts: &ClusterOptions) -> Result<(Config, String), ClusterError> {
    let kubeconfig = match &opts.kubeconfig {
        Some(path) => Kubeconfig::read_from(path),
        None => Kubeconfig::read(),
    }
    .map_err(|e| ClusterError::Kubeconfig(e.to_string()))?;
    let context = opts
        .context
        .clone()
        .or_else(|| kubeconfig.current_context.clone())
        .ok_or_else(|| {
            ClusterError::Kubeconfig("no current context; pass --context".to_string())
        })?;
    if !kubeconfig.contexts.iter().any(|c| c.name == context) {
        return Err(ClusterError::Kubeconfig(format!(
            "context `{context}` is not in the kubeconfig"
        )));
    }
    let options = KubeConfigOptions {
        context: Some(context.clone()),
        ..Default::default()
    };
    let mut config = Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| ClusterError::Kubeconfig(e.to_string()))?;
    if let Some(t) = opts.request_timeout {
        config.connect_timeout = Some(t);
        config.read_timeout = Some(t);
        config.write_timeout = Some(t);
    }
    Ok((config, context))
}

async fn fetch_async(
    opts: &ClusterOptions,
    needed: &[(Option<String>, String)],
) -> Result<Fetched, ClusterError> {
    let (config, context) = client_config(opts).await?;
    let source = format!("cluster/{context}");
    let namespace = if opts.all_namespaces {
        None
    } else {
        Some(
            opts.namespace
                .clone()
                .unwrap_or_else(|| config.default_namespace.clone()),
        )
    };
    let client = Client::try_from(config).map_err(|e| ClusterError::Request {
        cluster: source.clone(),
        message: e.to_string(),
    })?;
    let timeout = opts.request_timeout.unwrap_or(Duration::from_secs(60));
    let err = |what: &str, e: kube::Error| classify(&source, what, e);

    // Discovery of only the groups a rule reads (plus any group for kinds asked for without one).
    let mut groups: Vec<&str> = needed.iter().filter_map(|(g, _)| g.as_deref()).collect();
    groups.sort_unstable();
    groups.dedup();
    let any_group = needed.iter().any(|(g, _)| g.is_none());
    // Aggregated discovery (two requests) where the server speaks it; per-group discovery otherwise
    // (`run_aggregated` returns no groups from a server that only has the legacy documents).
    let discover = |aggregated: bool| {
        let mut d = Discovery::new(client.clone());
        if !any_group {
            d = d.filter(&groups);
        }
        async move {
            if aggregated {
                d.run_aggregated().await
            } else {
                d.run().await
            }
        }
    };
    let timed = |fut| async {
        tokio::time::timeout(timeout, fut)
            .await
            .map_err(|_| ClusterError::Timeout {
                cluster: source.clone(),
                what: "discovery".into(),
                secs: timeout.as_secs_f64(),
            })
    };
    let mut requests = 2;
    let mut discovery = timed(discover(true))
        .await?
        .ok()
        .filter(|d| d.groups().next().is_some());
    if discovery.is_none() {
        let d = timed(discover(false))
            .await?
            .map_err(|e| err("discovery", e))?;
        requests += 2 + d.groups().map(|g| g.versions().count()).sum::<usize>();
        discovery = Some(d);
    }
    let discovery = discovery.expect("set above");
    let mut fetched = Fetched {
        source: source.clone(),
        requests,
        ..Default::default()
    };

    let mut targets: Vec<(ApiResource, ApiCapabilities)> = Vec::new();
    for (group, kind) in needed {
        let found: Vec<(ApiResource, ApiCapabilities)> = discovery
            .groups()
            .filter(|g| group.as_deref().is_none_or(|want| g.name() == want))
            .filter_map(|g| g.recommended_kind(kind))
            .collect();
        if found.is_empty() {
            if group.is_some() {
                fetched
                    .not_installed
                    .push(display_kind(group.as_deref().unwrap_or(""), kind));
            }
            continue;
        }
        for (ar, caps) in found {
            if !targets
                .iter()
                .any(|(t, _)| t.group == ar.group && t.kind == ar.kind)
            {
                targets.push((ar, caps));
            }
        }
    }

    let results = futures::stream::iter(targets.into_iter().map(|(ar, caps)| {
        let client = client.clone();
        let namespace = namespace.clone();
        async move {
            let r = list_all(&client, &ar, &caps, namespace.as_deref(), opts, timeout).await;
            (ar, r)
        }
    }))
    .buffer_unordered(opts.concurrency.max(1))
    .collect::<Vec<_>>()
    .await;

    let mut by_kind: BTreeMap<(String, String), Vec<serde_json::Value>> = BTreeMap::new();
    for (ar, r) in results {
        match r {
            Ok((items, requests)) => {
                fetched.requests += requests;
                by_kind.insert((ar.group.clone(), ar.kind.clone()), items);
            }
            Err(ListError::Forbidden(reason)) => {
                fetched.requests += 1;
                fetched.forbidden.push(Skipped {
                    group: ar.group.clone(),
                    kind: ar.kind.clone(),
                    reason,
                });
            }
            Err(ListError::Other(e)) => return Err(err(&format!("listing {}", ar.plural), e)),
            Err(ListError::Timeout) => {
                return Err(ClusterError::Timeout {
                    cluster: source.clone(),
                    what: format!("listing {}", ar.plural),
                    secs: timeout.as_secs_f64(),
                });
            }
        }
    }
    // Stable order: kinds alphabetically, items as the server listed them.
    for items in by_kind.into_values() {
        fetched
            .objects
            .extend(items.iter().filter_map(|v| object_from_json(0, v)));
    }
    fetched.forbidden.sort_by(|a, b| a.kind.cmp(&b.kind));
    Ok(fetched)
}

enum ListError {
    Forbidden(String),
    Timeout,
    Other(kube::Error),
}

/// Every item of one kind, page by page, cleaned for the inventory.
async fn list_all(
    client: &Client,
    ar: &ApiResource,
    caps: &ApiCapabilities,
    namespace: Option<&str>,
    opts: &ClusterOptions,
    timeout: Duration,
) -> Result<(Vec<serde_json::Value>, usize), ListError> {
    let api: Api<DynamicObject> = match (&caps.scope, namespace) {
        (Scope::Namespaced, Some(ns)) => Api::namespaced_with(client.clone(), ns, ar),
        _ => Api::all_with(client.clone(), ar),
    };
    let mut params = ListParams::default().limit(opts.page_size.max(1));
    if let (Scope::Namespaced, Some(sel)) = (&caps.scope, &opts.selector) {
        params = params.labels(sel);
    }
    let secret = ar.group.is_empty() && ar.kind == "Secret";
    if secret {
        params = params.fields("type=kubernetes.io/tls");
    }
    let mut items = Vec::new();
    let mut requests = 0;
    loop {
        requests += 1;
        let page = match tokio::time::timeout(timeout, api.list(&params)).await {
            Err(_) => return Err(ListError::Timeout),
            Ok(Err(kube::Error::Api(status))) if status.code == 403 => {
                return Err(ListError::Forbidden(status.message));
            }
            Ok(Err(e)) => return Err(ListError::Other(e)),
            Ok(Ok(page)) => page,
        };
        for obj in page.items {
            let Ok(mut v) = serde_json::to_value(&obj) else {
                continue;
            };
            clean(&mut v, ar, secret);
            items.push(v);
        }
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(token) => params = params.continue_token(&token),
            None => break,
        }
    }
    Ok((items, requests))
}

/// Give list items their `apiVersion`/`kind` (lists omit them), drop what no rule reads and what must
/// never be kept (managed fields, last-applied copies, Secret data other than certificates).
fn clean(v: &mut serde_json::Value, ar: &ApiResource, secret: bool) {
    let Some(map) = v.as_object_mut() else { return };
    map.insert("apiVersion".into(), ar.api_version.clone().into());
    map.insert("kind".into(), ar.kind.clone().into());
    if let Some(meta) = map.get_mut("metadata").and_then(|m| m.as_object_mut()) {
        meta.remove("managedFields");
        if let Some(a) = meta.get_mut("annotations").and_then(|a| a.as_object_mut()) {
            a.remove("kubectl.kubernetes.io/last-applied-configuration");
        }
    }
    if secret {
        map.remove("stringData");
        if let Some(data) = map.get_mut("data").and_then(|d| d.as_object_mut()) {
            data.retain(|k, _| k == "tls.crt" || k == "ca.crt");
        }
    }
}

/// `group/Kind`, or `Kind` for the core group.
pub fn display_kind(group: &str, kind: &str) -> String {
    if group.is_empty() {
        kind.to_string()
    } else {
        format!("{group}/{kind}")
    }
}

fn classify(source: &str, what: &str, e: kube::Error) -> ClusterError {
    match e {
        kube::Error::Api(status) if status.code == 401 => ClusterError::Unauthorized {
            cluster: source.to_string(),
        },
        kube::Error::Api(status) => ClusterError::Request {
            cluster: source.to_string(),
            message: format!("{what}: {} ({})", status.message, status.code),
        },
        other => {
            let (text, timed_out) = transport_error(&other);
            let message = if timed_out {
                format!("{what} timed out (--request-timeout)")
            } else {
                format!("{what}: cannot reach the API server: {text}")
            };
            ClusterError::Request {
                cluster: source.to_string(),
                message,
            }
        }
    }
}

/// A transport error's text with its whole source chain, and whether it is a timeout: the I/O
/// timeout is deep in the chain (`ServiceError: … SendRequest: … elapsed`).
pub(crate) fn transport_error(e: &kube::Error) -> (String, bool) {
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    let timed_out = text.contains("elapsed") || text.contains("timed out");
    (text, timed_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_keep_only_certificates() {
        let ar = ApiResource {
            group: String::new(),
            version: "v1".into(),
            api_version: "v1".into(),
            kind: "Secret".into(),
            plural: "secrets".into(),
        };
        let mut v = serde_json::json!({
            "metadata": {"name": "s", "managedFields": [{}], "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}", "keep": "x"}},
            "type": "kubernetes.io/tls",
            "data": {"tls.crt": "Y3J0", "tls.key": "a2V5", "ca.crt": "Y2E="},
            "stringData": {"tls.key": "secret"},
        });
        clean(&mut v, &ar, true);
        assert_eq!(v["apiVersion"], "v1");
        assert_eq!(v["kind"], "Secret");
        assert_eq!(
            v["data"],
            serde_json::json!({"tls.crt": "Y3J0", "ca.crt": "Y2E="})
        );
        assert!(v.get("stringData").is_none());
        assert!(v["metadata"].get("managedFields").is_none());
        assert_eq!(
            v["metadata"]["annotations"],
            serde_json::json!({"keep": "x"})
        );
    }
}
