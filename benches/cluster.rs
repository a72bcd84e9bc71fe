//! Benchmark: `kubectl tlscheck cluster` over the local HTTPS API server of `tests/apiserver` with
//! 10,000 objects (2,000 webhook stacks: ValidatingWebhookConfiguration, Service, Deployment,
//! Certificate, Issuer), against `kubectl get` of the same kinds from the same server in the same run.
//! Reports wall time and requests of both, and their ratio.
//!
//! `cargo bench --bench cluster` (needs kubectl on PATH for the baseline; without it only our figures
//! are printed). `-- --quick` uses 200 stacks.

#[path = "../tests/apiserver/mod.rs"]
mod apiserver;

use std::time::Instant;

use apiserver::{ServerConfig, TestApiServer};
use tlscheck::cluster::{self, ClusterOptions};
use tlscheck::engine::{self, Options};
use tlscheck::policy::Config;

fn stack(i: usize) -> Vec<serde_json::Value> {
    let ns = format!("team-{}", i % 50);
    let name = format!("hook-{i}");
    vec![
        serde_json::json!({
            "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": name, "annotations": {"cert-manager.io/inject-ca-from": format!("{ns}/{name}-cert")}},
            "webhooks": [{"name": format!("v.{name}.example.com"), "admissionReviewVersions": ["v1"], "sideEffects": "None",
                "clientConfig": {"service": {"name": name, "namespace": ns, "path": "/validate"}},
                "rules": [{"apiGroups": ["example.com"], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["widgets"]}]}],
        }),
        serde_json::json!({
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"ports": [{"port": 443, "targetPort": 9443}], "selector": {"app": name}},
        }),
        serde_json::json!({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
            "spec": {"selector": {"matchLabels": {"app": name}}, "template": {"metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "server", "image": "example.com/hook:v1", "ports": [{"containerPort": 9443}]}],
                    "volumes": [{"name": "cert", "secret": {"secretName": format!("{name}-tls")}}]}}},
        }),
        serde_json::json!({
            "apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": {"name": format!("{name}-cert"), "namespace": ns},
            "spec": {"secretName": format!("{name}-tls"), "dnsNames": [format!("{name}.{ns}.svc")], "issuerRef": {"name": format!("ca-{i}")}},
        }),
        serde_json::json!({
            "apiVersion": "cert-manager.io/v1", "kind": "Issuer", "metadata": {"name": format!("ca-{i}"), "namespace": ns},
            "spec": {"selfSigned": {}},
        }),
    ]
}

/// The cert-manager CRDs, so that Certificates and Issuers are discoverable.
fn cert_manager_crds() -> Vec<serde_json::Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/corpus/large-certmanager-v1.19.4-release-install.yaml"
    );
    let text =
        std::fs::read_to_string(path).expect("the shared corpus is laid beside the repository");
    let stream = tlscheck::load::parse_stream(&text, tlscheck::load::Limits::default());
    stream
        .documents
        .into_iter()
        .map(|d| d.root.to_json())
        .filter(|v| v["kind"] == "CustomResourceDefinition")
        .collect()
}

/// `certificates.cert-manager.io` / `secrets` for a list request path (`/apis/g/v/res`,
/// `/api/v1/res`, with or without `/namespaces/ns`); `None` for discovery.
fn list_resource(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, rest) = match parts.as_slice() {
        ["api", _v, rest @ ..] => ("", rest),
        ["apis", g, _v, rest @ ..] => (*g, rest),
        _ => return None,
    };
    let resource = match rest {
        [res] => *res,
        ["namespaces", _, res] => *res,
        _ => return None,
    };
    Some(if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    })
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let stacks = if quick { 200 } else { 2000 };
    let mut objects = cert_manager_crds();
    for i in 0..stacks {
        objects.extend(stack(i));
    }
    let total = objects.len();
    let server = TestApiServer::start(ServerConfig {
        objects,
        forbidden: Vec::new(),
        slow: Vec::new(),
        max_page: None,
    });
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-cluster");
    std::fs::create_dir_all(&dir).unwrap();
    let kubeconfig = dir.join("kubeconfig");
    server.write_kubeconfig(&kubeconfig);

    let opts = Options {
        config: Config::default(),
        user_policies: Vec::new(),
        today: "2026-11-26".into(),
        threads: 2,
        crds: Vec::new(),
    };
    let mut live_opts = opts;
    live_opts.config.settings.live = true;
    live_opts.config.settings.complete = true;
    let cluster_opts = ClusterOptions {
        kubeconfig: Some(kubeconfig.clone()),
        all_namespaces: true,
        concurrency: 4,
        page_size: 500,
        ..Default::default()
    };
    let before = server.requests().len();
    let t = Instant::now();
    let fetched = cluster::fetch(&cluster_opts, &engine::needed_kinds(&live_opts)).expect("fetch");
    let fetch_time = t.elapsed();
    let read = fetched.objects.len();
    let result = engine::lint_cluster(
        fetched.source,
        fetched.objects,
        read,
        Vec::new(),
        &live_opts,
    );
    let ours = t.elapsed();
    let our_requests = server.requests().len() - before;
    println!("objects on the server: {total}");
    println!(
        "kubectl-tlscheck cluster: {:>8.1} ms ({:.1} ms reading {read} objects, all {} rules), {our_requests} requests, {} findings",
        ours.as_secs_f64() * 1e3,
        fetch_time.as_secs_f64() * 1e3,
        tlscheck::rules::builtin().len(),
        result.diagnostics.len(),
    );

    // The resources we listed (list paths, not discovery), for kubectl to get the same.
    let resources: std::collections::BTreeSet<String> = server.requests()[before..]
        .iter()
        .filter_map(|r| list_resource(&r.path))
        .collect();
    let resources: Vec<String> = resources.into_iter().collect();
    let before = server.requests().len();
    let t = Instant::now();
    let kubectl = std::process::Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .arg("--cache-dir")
        .arg(dir.join("kubectl-cache"))
        .args(["get", &resources.join(","), "-A", "-o", "json"])
        .output();
    let theirs = t.elapsed();
    match kubectl {
        Ok(o) if o.status.success() => {
            let requests = server.requests().len() - before;
            println!(
                "kubectl get (the same {} resources): {:>8.1} ms, {requests} requests",
                resources.len(),
                theirs.as_secs_f64() * 1e3
            );
            println!(
                "ratio (tlscheck / kubectl get): {:.2}x time, {:.2}x requests",
                ours.as_secs_f64() / theirs.as_secs_f64(),
                our_requests as f64 / requests as f64
            );
        }
        Ok(o) => println!("kubectl get failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => println!("kubectl not available ({e}): no baseline"),
    }
}
