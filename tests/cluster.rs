//! `kubectl tlscheck cluster` end to end, through the binary, against the local HTTPS API server of
//! `tests/apiserver` (the one the real kubectl is tested against in `apiserver_kubectl.rs`).

mod apiserver;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use apiserver::{ServerConfig, TestApiServer};

const BIN: &str = env!("CARGO_BIN_EXE_kubectl-tlscheck");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every Kubernetes object of YAML files, as JSON (what the API server stores).
fn objects_of(files: &[PathBuf]) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f).unwrap();
        let stream = tlscheck::load::parse_stream(&text, tlscheck::load::Limits::default());
        assert!(
            stream.errors.is_empty(),
            "{}: {:?}",
            f.display(),
            stream.errors
        );
        for doc in stream.documents {
            let v = doc.root.to_json();
            if v.get("apiVersion").is_some() && v.get("kind").is_some() {
                out.push(v);
            }
        }
    }
    out
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .env_remove("KUBECONFIG")
        .output()
        .unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: stdout {} stderr {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

/// (rule, kind, namespace, name, pointer, severity) of each finding, without live-only rules (messages
/// differ only where live mode says "in the cluster" instead of "in the input").
fn findings(v: &serde_json::Value) -> BTreeSet<(String, String, String, String, String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["rule"].as_str().unwrap().starts_with("LIVE"))
        .map(|f| {
            let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
            (
                s(&f["rule"]),
                s(&f["object"]["kind"]),
                s(&f["object"]["namespace"]),
                s(&f["object"]["name"]),
                s(&f["location"]["pointer"]),
                s(&f["severity"]),
            )
        })
        .collect()
}

/// Fixture files that together form a small cluster: webhooks wired to cert-manager (correct and
/// broken), issuers, load balancers, meshes.
fn cluster_files() -> Vec<PathBuf> {
    let corpus = root().join("../shared/corpus");
    vec![
        corpus.join("large-certmanager-v1.19.4-release-install.yaml"),
        corpus.join("webhook-kubebuilder-multiversion-install.yaml"),
        root().join("testdata/rules/WH005/fire-san-missing.yaml"),
        root().join("testdata/cluster/istio-security-crds.yaml"),
        root().join("testdata/rules/EW002/fire-alb-to-strict-sidecar.yaml"),
        root().join("testdata/rules/CM008/fire-clusterissuer-secret-in-app-namespace.yaml"),
    ]
}

fn start(config: ServerConfig, dir: &Path) -> (TestApiServer, PathBuf) {
    let server = TestApiServer::start(config);
    let kubeconfig = dir.join("kubeconfig");
    server.write_kubeconfig(&kubeconfig);
    (server, kubeconfig)
}

fn config(objects: Vec<serde_json::Value>) -> ServerConfig {
    ServerConfig {
        objects,
        forbidden: Vec::new(),
        slow: Vec::new(),
        max_page: None,
    }
}

#[test]
fn cluster_findings_equal_linting_the_same_objects() {
    let dir = scratch("cluster-equal");
    let files = cluster_files();
    let (server, kubeconfig) = start(config(objects_of(&files)), &dir);
    let kc = kubeconfig.to_str().unwrap();
    let live = run(
        &dir,
        &[
            "cluster",
            "--kubeconfig",
            kc,
            "-A",
            "--no-config",
            "-o",
            "json",
        ],
    );
    let live_json = json(&live);
    assert!(
        live_json["inputErrors"].as_array().unwrap().is_empty(),
        "{live_json}"
    );
    let mut args = vec!["lint", "--no-config", "--complete", "-o", "json"];
    let paths: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    args.extend(paths.iter().map(String::as_str));
    let static_json = json(&run(&dir, &args));
    let (live_set, static_set) = (findings(&live_json), findings(&static_json));
    assert!(!static_set.is_empty());
    assert_eq!(
        live_set
            .symmetric_difference(&static_set)
            .collect::<Vec<_>>(),
        Vec::<&(String, String, String, String, String, String)>::new(),
        "live and static findings differ"
    );
    // Human output names the cluster and the pointer instead of a file excerpt.
    let human = run(
        &dir,
        &[
            "cluster",
            "--kubeconfig",
            kc,
            "-A",
            "--no-config",
            "--color",
            "never",
        ],
    );
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("--> cluster/test /"), "{text}");
    assert!(
        !text.contains(" | "),
        "no source excerpt for live objects: {text}"
    );
    // Live findings are located by source and pointer.
    let first = &live_json["findings"][0]["location"];
    assert_eq!(first["source"], "cluster/test", "{first}");
    assert!(first.get("line").is_none() && first["pointer"].is_string());
    // Secrets are only ever listed with the TLS field selector; nothing else reads them.
    let requests = server.requests();
    let secret_reads: Vec<_> = requests
        .iter()
        .filter(|r| r.path.contains("/secrets"))
        .collect();
    assert!(!secret_reads.is_empty());
    for r in &secret_reads {
        assert!(
            r.query.contains("fieldSelector=type%3Dkubernetes.io%2Ftls")
                || r.query.contains("fieldSelector=type=kubernetes.io/tls"),
            "{r:?}"
        );
    }
    // Only GET requests: the check is read-only.
    assert!(requests.iter().all(|r| r.method == "GET"), "{requests:?}");
}

#[test]
fn pagination_and_namespace_scope() {
    let dir = scratch("cluster-pages");
    let (server, kubeconfig) = start(config(objects_of(&cluster_files())), &dir);
    let kc = kubeconfig.to_str().unwrap();
    let paged = json(&run(
        &dir,
        &[
            "cluster",
            "--kubeconfig",
            kc,
            "-A",
            "--no-config",
            "--chunk-size",
            "2",
            "-o",
            "json",
        ],
    ));
    let all = json(&run(
        &dir,
        &[
            "cluster",
            "--kubeconfig",
            kc,
            "-A",
            "--no-config",
            "-o",
            "json",
        ],
    ));
    assert_eq!(findings(&paged), findings(&all));
    // A server without aggregated discovery (before Kubernetes 1.26): per-group discovery, same result.
    server.set_aggregated_discovery(false);
    let legacy = json(&run(
        &dir,
        &[
            "cluster",
            "--kubeconfig",
            kc,
            "-A",
            "--no-config",
            "-o",
            "json",
        ],
    ));
    assert_eq!(findings(&legacy), findings(&all));
    server.set_aggregated_discovery(true);
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.query.contains("continue=")),
        "pages were followed"
    );
    // -n limits namespaced lists to that namespace; cluster-scoped kinds are still read.
    let before = server.requests().len();
    let scoped = json(&run(
        &dir,
        &[
            "cluster",
            "--kubeconfig",
            kc,
            "-n",
            "demo-system",
            "--no-config",
            "-o",
            "json",
        ],
    ));
    let requests = &server.requests()[before..];
    assert!(
        requests
            .iter()
            .filter(|r| r.path.contains("/namespaces/"))
            .all(|r| r.path.contains("/namespaces/demo-system/")),
        "{requests:?}"
    );
    assert!(
        requests
            .iter()
            .any(|r| r.path.ends_with("validatingwebhookconfigurations"))
    );
    let namespaces: BTreeSet<String> = findings(&scoped).into_iter().map(|f| f.2).collect();
    assert!(
        namespaces
            .iter()
            .all(|ns| ns.is_empty() || ns == "demo-system"),
        "{namespaces:?}"
    );
}

#[test]
fn forbidden_kinds_degrade_and_bad_credentials_fail() {
    let dir = scratch("cluster-denied");
    let mut cfg = config(objects_of(&cluster_files()));
    cfg.forbidden = vec![(String::new(), "secrets".into())];
    cfg.slow = vec![(
        "cert-manager.io".into(),
        "certificaterequests".into(),
        Duration::from_secs(5),
    )];
    let (_server, kubeconfig) = start(cfg, &dir);
    let kc = kubeconfig.to_str().unwrap();
    // 403 on Secrets: the rest is linted, the run is incomplete (exit 2) and says what to grant.
    let o = run(
        &dir,
        &[
            "cluster",
            "--kubeconfig",
            kc,
            "-A",
            "--no-config",
            "-o",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let v = json(&o);
    let errors = v["inputErrors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{v}");
    let msg = errors[0]["message"].as_str().unwrap();
    assert!(
        msg.starts_with("Secret skipped (forbidden: secrets is forbidden"),
        "{msg}"
    );
    assert!(!findings(&v).is_empty());
    // 401: an input error, no findings.
    let o = run(
        &dir,
        &[
            "cluster",
            "--kubeconfig",
            kc,
            "--context",
            "bad-token",
            "-A",
            "--no-config",
            "-o",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let v = json(&o);
    assert!(
        v["inputErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("401"),
        "{v}"
    );
    assert!(v["findings"].as_array().unwrap().is_empty());
    // A list slower than --request-timeout.
    let o = run(
        &dir,
        &[
            "cluster",
            "--kubeconfig",
            kc,
            "-A",
            "--no-config",
            "--request-timeout",
            "1s",
            "-o",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let v = json(&o);
    assert!(
        v["inputErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("timed out"),
        "{v}"
    );
    // A missing kubeconfig context is a clear error.
    let o = run(
        &dir,
        &[
            "cluster",
            "--kubeconfig",
            kc,
            "--context",
            "nope",
            "--no-config",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stdout).contains("context `nope` is not in the kubeconfig"));
}

#[test]
fn rbac_lists_exactly_what_the_rules_read() {
    let dir = scratch("rbac");
    let o = run(&dir, &["rbac", "--no-config", "--select", "NS001"]);
    assert_eq!(o.status.code(), Some(0));
    let yaml = String::from_utf8_lossy(&o.stdout);
    assert!(yaml.contains("kind: ClusterRole"));
    assert!(
        yaml.contains(
            "apiGroups: [\"networking.k8s.io\"]\n    resources: [ingressclasses, ingresses]"
        ),
        "{yaml}"
    );
    assert!(
        !yaml
            .lines()
            .any(|l| l.contains("resources:") && l.contains("secrets")),
        "NS001 reads no Secrets: {yaml}"
    );
    // The webhook rules need the cert-manager objects of the webhook graph.
    let o = run(&dir, &["rbac", "--no-config", "--select", "WH"]);
    let yaml = String::from_utf8_lossy(&o.stdout);
    assert!(yaml.contains("apiGroups: [\"cert-manager.io\"]"), "{yaml}");
    assert!(
        yaml.lines()
            .filter(|l| l.contains("verbs:"))
            .all(|l| l.trim() == "verbs: [get, list]")
    );
}
