//! The test API server (tests/apiserver) against the real `kubectl`: what kubectl accepts is what
//! it accepts from kube-apiserver, so the fixture server cannot drift into something only our own
//! client understands. Every kubectl run gets its own `--kubeconfig`, `--cache-dir` and `HOME`
//! under the target tmpdir, so nothing touches ~/.kube.

mod apiserver;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use apiserver::{RequestRecord, ServerConfig, TestApiServer};
use serde_json::{Value, json};

/// A server and a private kubectl home for one test.
struct Cluster {
    server: TestApiServer,
    dir: PathBuf,
}

impl Cluster {
    fn start(test: &str, config: ServerConfig) -> Cluster {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("apiserver-kubectl")
            .join(test);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let server = TestApiServer::start(config);
        server.write_kubeconfig(&dir.join("kubeconfig"));
        Cluster { server, dir }
    }

    /// Runs `kubectl` (the PATH one, or another binary) with our kubeconfig and cache dir.
    fn kubectl_with(&self, binary: &str, args: &[&str]) -> Output {
        Command::new(binary)
            .arg("--kubeconfig")
            .arg(self.dir.join("kubeconfig"))
            .arg("--cache-dir")
            .arg(self.dir.join("cache"))
            .args(args)
            .env("HOME", &self.dir)
            .env_remove("KUBECONFIG")
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .output()
            .expect("run kubectl")
    }

    fn kubectl(&self, args: &[&str]) -> Output {
        self.kubectl_with("kubectl", args)
    }

    /// Runs kubectl, expecting success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}\n{}\nrequests: {:#?}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            self.server.requests()
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs kubectl, expecting failure; returns stderr.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            !out.status.success(),
            "kubectl {args:?} succeeded: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let err = String::from_utf8(out.stderr).unwrap();
        eprintln!("kubectl {args:?}: {err}");
        err
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).expect("kubectl printed JSON")
    }

    /// Logged requests to `path` with the given method GET.
    fn requests_to(&self, path: &str) -> Vec<RequestRecord> {
        self.server
            .requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }
}

fn pod(ns: &str, name: &str, labels: Value) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {"containers": [{"name": "app", "image": "nginx"}]}
    })
}

fn secret(ns: &str, name: &str, kind: &str, labels: Value) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "type": kind,
        "data": {"tls.crt": "", "tls.key": ""}
    })
}

fn deployment(ns: &str, name: &str) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": "nginx"}]}
            }
        }
    })
}

/// cert-manager's Certificate CRD (v1 served; the old v1alpha2 kept but not served).
fn certificate_crd() -> Value {
    let schema = json!({"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}});
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "certificates.cert-manager.io"},
        "spec": {
            "group": "cert-manager.io",
            "names": {
                "kind": "Certificate",
                "listKind": "CertificateList",
                "plural": "certificates",
                "singular": "certificate",
                "shortNames": ["cert", "certs"],
                "categories": ["cert-manager"]
            },
            "scope": "Namespaced",
            "versions": [
                {"name": "v1alpha2", "served": false, "storage": false, "schema": schema},
                {"name": "v1", "served": true, "storage": true, "schema": schema,
                 "subresources": {"status": {}}}
            ]
        }
    })
}

fn certificate(ns: &str, name: &str) -> Value {
    json!({
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "secretName": format!("{name}-tls"),
            "dnsNames": [format!("{name}.example.com")],
            "issuerRef": {"name": "letsencrypt", "kind": "ClusterIssuer"}
        }
    })
}

/// Fixtures of several kinds and namespaces, deliberately out of order.
fn mixed_fixtures() -> Vec<Value> {
    vec![
        pod("web", "frontend-2", json!({"app": "frontend"})),
        pod("api", "backend-1", json!({"app": "backend", "tier": "api"})),
        pod("web", "frontend-1", json!({"app": "frontend"})),
        secret("x", "web-tls", "kubernetes.io/tls", json!({"app": "x"})),
        secret("x", "db-password", "Opaque", json!({"app": "db"})),
        secret("x", "api-tls", "kubernetes.io/tls", json!({"app": "api"})),
        secret("y", "other-tls", "kubernetes.io/tls", json!({"app": "x"})),
        deployment("web", "frontend"),
        deployment("api", "backend"),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "web"}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "web"}, "data": {"a": "b"}}),
    ]
}

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            let m = &i["metadata"];
            match m["namespace"].as_str() {
                Some(ns) => format!("{ns}/{}", m["name"].as_str().unwrap()),
                None => m["name"].as_str().unwrap().to_string(),
            }
        })
        .collect()
}

#[test]
fn get_pods_all_namespaces_json() {
    let c = Cluster::start("pods-json", ServerConfig::new(mixed_fixtures()));
    let list = c.json(&["get", "pods", "-A", "-o", "json"]);
    assert_eq!(
        names(&list),
        ["api/backend-1", "web/frontend-1", "web/frontend-2"],
        "namespace/name order"
    );
    for item in list["items"].as_array().unwrap() {
        assert_eq!(item["kind"], "Pod");
        assert_eq!(item["apiVersion"], "v1");
        assert_eq!(item["spec"]["containers"][0]["image"], "nginx");
        // Filled in like a real server.
        assert!(item["metadata"]["uid"].is_string());
        assert!(item["metadata"]["resourceVersion"].is_string());
        assert_eq!(
            item["metadata"]["creationTimestamp"],
            "2025-01-01T00:00:00Z"
        );
    }
    // kubectl discovered through aggregated discovery, then listed across namespaces.
    let apis = c.requests_to("/apis");
    assert!(
        apis[0].accept.contains("as=APIGroupDiscoveryList"),
        "{apis:?}"
    );
    let lists = c.requests_to("/api/v1/pods");
    assert_eq!(lists.len(), 1);
    assert_eq!(lists[0].status, 200);
    assert_eq!(lists[0].param("limit").as_deref(), Some("500"));
    // No legacy per-group discovery was needed.
    assert!(c.requests_to("/api/v1").is_empty());
    assert!(c.requests_to("/apis/apps/v1").is_empty());
}

#[test]
fn get_secrets_in_namespace_by_name() {
    let c = Cluster::start("secrets-name", ServerConfig::new(mixed_fixtures()));
    assert_eq!(
        c.ok(&["get", "secrets", "-n", "x", "-o", "name"]),
        "secret/api-tls\nsecret/db-password\nsecret/web-tls\n"
    );
    assert_eq!(c.requests_to("/api/v1/namespaces/x/secrets").len(), 1);
    // The default namespace of the context is "default": nothing there.
    assert_eq!(c.ok(&["get", "secrets", "-o", "name"]), "");
    assert_eq!(c.requests_to("/api/v1/namespaces/default/secrets").len(), 1);
    // A namespace without objects lists empty (no 404), like kube-apiserver.
    assert_eq!(c.ok(&["get", "pods", "-n", "nowhere", "-o", "name"]), "");
}

#[test]
fn human_get_prints_table() {
    let c = Cluster::start("human-get", ServerConfig::new(mixed_fixtures()));
    let out = c.ok(&["get", "deployments", "-A"]);
    let lines: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(lines[0], ["NAMESPACE", "NAME", "AGE"], "{out}");
    assert_eq!(lines[1][..2], ["api", "backend"], "{out}");
    assert_eq!(lines[2][..2], ["web", "frontend"], "{out}");
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[1][2].ends_with('d') || lines[1][2].contains('y'),
        "age: {out}"
    );
    let list = &c.requests_to("/apis/apps/v1/deployments")[0];
    assert!(
        list.accept
            .starts_with("application/json;as=Table;v=v1;g=meta.k8s.io"),
        "{list:?}"
    );

    // Namespaced, and a single object (a get also asks for a Table).
    let out = c.ok(&["get", "deployment", "frontend", "-n", "web"]);
    assert!(out.starts_with("NAME"), "{out}");
    assert!(
        out.lines().nth(1).unwrap().starts_with("frontend "),
        "{out}"
    );
    assert_eq!(
        c.requests_to("/apis/apps/v1/namespaces/web/deployments/frontend")[0].status,
        200
    );

    // Cluster-scoped resources have no NAMESPACE column.
    let out = c.ok(&["get", "namespaces"]);
    assert!(out.starts_with("NAME"), "{out}");
    assert!(out.contains("\nweb "), "{out}");

    // Label columns come from the rows' PartialObjectMetadata.
    let out = c.ok(&["get", "pods", "-n", "web", "--show-labels", "-L", "app"]);
    let lines: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(lines[0], ["NAME", "AGE", "APP", "LABELS"], "{out}");
    assert_eq!(lines[1][0], "frontend-1", "{out}");
    assert_eq!(lines[1][2..], ["frontend", "app=frontend"], "{out}");
    let out = c.ok(&["get", "pods", "-n", "web", "-o", "wide"]);
    assert!(out.starts_with("NAME"), "{out}");
}

#[test]
fn custom_resources_need_their_crd() {
    let certs = vec![certificate("web", "www"), certificate("api", "api")];

    let mut with_crd = certs.clone();
    with_crd.push(certificate_crd());
    let c = Cluster::start("crd-present", ServerConfig::new(with_crd));
    let list = c.json(&["get", "certificates.cert-manager.io", "-A", "-o", "json"]);
    assert_eq!(names(&list), ["api/api", "web/www"]);
    for item in list["items"].as_array().unwrap() {
        assert_eq!(item["apiVersion"], "cert-manager.io/v1");
        assert_eq!(item["kind"], "Certificate");
        assert!(item["spec"]["secretName"].is_string());
    }
    assert_eq!(
        c.requests_to("/apis/cert-manager.io/v1/certificates")[0].status,
        200
    );
    // Short names and the fully qualified form with a version come from discovery too.
    assert_eq!(
        c.ok(&["get", "certs", "-n", "web", "-o", "name"]),
        "certificate.cert-manager.io/www\n"
    );
    assert_eq!(
        c.ok(&[
            "get",
            "certificates.v1.cert-manager.io",
            "-n",
            "api",
            "-o",
            "name"
        ]),
        "certificate.cert-manager.io/api\n"
    );
    let out = c.ok(&["get", "certificates", "-A"]);
    assert!(out.contains("api ") && out.contains("www "), "{out}");
    let versions = c.ok(&["api-versions"]);
    assert!(
        versions.lines().any(|l| l == "cert-manager.io/v1"),
        "{versions}"
    );
    assert!(!versions.contains("cert-manager.io/v1alpha2"), "{versions}");
    let resources = c.ok(&["api-resources", "--api-group", "cert-manager.io"]);
    assert!(
        resources.contains("certificates") && resources.contains("cert,certs"),
        "{resources}"
    );

    // Without the CRD, the group is absent, as in a real cluster.
    let c = Cluster::start("crd-absent", ServerConfig::new(certs));
    let err = c.fails(&["get", "certificates.cert-manager.io", "-A", "-o", "json"]);
    assert!(
        err.contains("the server doesn't have a resource type \"certificates\""),
        "{err}"
    );
    let versions = c.ok(&["api-versions"]);
    assert!(!versions.contains("cert-manager.io"), "{versions}");
    assert!(versions.lines().any(|l| l == "apps/v1"), "{versions}");
}

#[test]
fn chunked_lists_follow_continue_tokens() {
    let pods: Vec<Value> = (1..=5)
        .map(|i| {
            pod(
                if i % 2 == 0 { "b" } else { "a" },
                &format!("p{i}"),
                json!({}),
            )
        })
        .collect();
    let c = Cluster::start("chunks", ServerConfig::new(pods.clone()));
    let list = c.json(&["get", "pods", "-A", "--chunk-size=2", "-o", "json"]);
    assert_eq!(names(&list), ["a/p1", "a/p3", "a/p5", "b/p2", "b/p4"]);
    let pages = c.requests_to("/api/v1/pods");
    assert_eq!(pages.len(), 3, "{pages:#?}");
    assert!(
        pages
            .iter()
            .all(|p| p.param("limit").as_deref() == Some("2"))
    );
    assert_eq!(pages[0].param("continue"), None);
    let tokens: Vec<String> = pages[1..]
        .iter()
        .map(|p| p.param("continue").unwrap())
        .collect();
    assert_ne!(tokens[0], tokens[1]);

    // Human output pages through Tables the same way.
    c.server.clear_requests();
    let out = c.ok(&["get", "pods", "-A", "--chunk-size=2"]);
    assert_eq!(out.lines().count(), 6, "{out}");
    assert_eq!(c.requests_to("/api/v1/pods").len(), 3);

    // The server's max_page caps kubectl's default limit of 500.
    let c = Cluster::start("max-page", ServerConfig::new(pods).max_page(2));
    let list = c.json(&["get", "pods", "-A", "-o", "json"]);
    assert_eq!(names(&list).len(), 5);
    let pages = c.requests_to("/api/v1/pods");
    assert_eq!(pages.len(), 3, "{pages:#?}");
    assert_eq!(pages[0].param("limit").as_deref(), Some("500"));
}

#[test]
fn bad_token_is_unauthorized() {
    let c = Cluster::start("bad-token", ServerConfig::new(mixed_fixtures()));
    let err = c.fails(&["--context", "bad-token", "get", "pods", "-A"]);
    // client-go words a 401 during discovery as a request for credentials.
    assert!(
        err.contains(
            "error: You must be logged in to the server (the server has asked for the client to provide credentials)"
        ),
        "{err}"
    );
    let requests = c.server.requests();
    assert!(!requests.is_empty());
    assert!(requests.iter().all(|r| r.status == 401), "{requests:#?}");
    // The good context still works against the same server.
    assert_eq!(
        c.ok(&["get", "pods", "-n", "api", "-o", "name"]),
        "pod/backend-1\n"
    );
}

#[test]
fn forbidden_resources() {
    let config = ServerConfig::new(mixed_fixtures())
        .forbid("", "secrets")
        .forbid("apps", "deployments");
    let c = Cluster::start("forbidden", config);
    let err = c.fails(&["get", "secrets", "-A"]);
    assert!(
        err.contains(
            "Error from server (Forbidden): secrets is forbidden: User \"tester\" cannot list resource \"secrets\" in API group \"\" at the cluster scope"
        ),
        "{err}"
    );
    let err = c.fails(&["get", "secrets", "-n", "x", "-o", "json"]);
    assert!(
        err.contains(
            "secrets is forbidden: User \"tester\" cannot list resource \"secrets\" in API group \"\" in the namespace \"x\""
        ),
        "{err}"
    );
    let err = c.fails(&["get", "deployment", "frontend", "-n", "web"]);
    assert!(
        err.contains(
            "deployments.apps \"frontend\" is forbidden: User \"tester\" cannot get resource \"deployments\" in API group \"apps\" in the namespace \"web\""
        ),
        "{err}"
    );
    assert!(c.server.requests().iter().any(|r| r.status == 403));
    // Other resources are unaffected, and discovery still lists the forbidden ones.
    assert_eq!(
        c.ok(&["get", "pods", "-n", "api", "-o", "name"]),
        "pod/backend-1\n"
    );
}

#[test]
fn request_timeout_on_slow_resource() {
    let config = ServerConfig::new(mixed_fixtures()).slow("", "configmaps", Duration::from_secs(6));
    let c = Cluster::start("slow", config);
    // Discovery first (not slow), so the timeout below applies to the list alone.
    c.ok(&["get", "pods", "-A", "-o", "name"]);
    let started = Instant::now();
    let err = c.fails(&["get", "configmaps", "-A", "--request-timeout=1s"]);
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}: {err}");
    // Go words it by where the deadline hit: usually while awaiting headers; under load, a
    // context deadline.
    assert!(
        err.contains("Unable to connect to the server: ")
            && (err.contains("Client.Timeout exceeded while awaiting headers")
                || err.contains("context deadline exceeded")),
        "{err}"
    );
    let lists = c.requests_to("/api/v1/configmaps");
    assert_eq!(lists.len(), 1, "{lists:#?}");
    assert_eq!(lists[0].param("timeout").as_deref(), Some("1s"));
}

#[test]
fn label_and_field_selectors() {
    let c = Cluster::start("selectors", ServerConfig::new(mixed_fixtures()));
    assert_eq!(
        c.ok(&["get", "secrets", "-A", "-l", "app=x", "-o", "name"]),
        "secret/web-tls\nsecret/other-tls\n"
    );
    let sent = &c.requests_to("/api/v1/secrets")[0];
    assert_eq!(sent.param("labelSelector").as_deref(), Some("app=x"));
    assert_eq!(
        c.ok(&[
            "get",
            "secrets",
            "-n",
            "x",
            "--field-selector",
            "type=kubernetes.io/tls",
            "-o",
            "name"
        ]),
        "secret/api-tls\nsecret/web-tls\n"
    );
    assert_eq!(
        c.ok(&[
            "get",
            "secrets",
            "-A",
            "--field-selector",
            "type!=kubernetes.io/tls,metadata.namespace=x",
            "-o",
            "name"
        ]),
        "secret/db-password\n"
    );
    assert_eq!(
        c.ok(&[
            "get",
            "pods",
            "-A",
            "-l",
            "app in (frontend, backend),!tier",
            "-o",
            "name"
        ]),
        "pod/frontend-1\npod/frontend-2\n"
    );
    assert_eq!(
        c.ok(&[
            "get",
            "pods",
            "-A",
            "-l",
            "app notin (frontend),tier",
            "-o",
            "name"
        ]),
        "pod/backend-1\n"
    );
    assert_eq!(
        c.ok(&["get", "pods", "-A", "-l", "app!=frontend", "-o", "name"]),
        "pod/backend-1\n"
    );
    assert_eq!(
        c.ok(&[
            "get",
            "pods",
            "-A",
            "--field-selector",
            "metadata.name=frontend-2",
            "-o",
            "name"
        ]),
        "pod/frontend-2\n"
    );
    // Selectors combine with pagination (no remainingItemCount then, as upstream).
    assert_eq!(
        c.ok(&[
            "get",
            "secrets",
            "-A",
            "-l",
            "app=x",
            "--chunk-size=1",
            "-o",
            "name"
        ]),
        "secret/web-tls\nsecret/other-tls\n"
    );
    // Fields the real server does not index are a 400, not an empty list.
    let err = c.fails(&["get", "secrets", "-A", "--field-selector", "data=x"]);
    // (kubectl prefixes the server's message with "Unable to find ... that match ...".)
    assert!(
        err.contains("Error from server (BadRequest)")
            && err.ends_with("field label not supported: data\n"),
        "{err}"
    );
    let err = c.fails(&["get", "configmaps", "-A", "--field-selector", "data.a=b"]);
    assert!(
        err.ends_with(
            "\"data.a\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"\n"
        ),
        "{err}"
    );
}

#[test]
fn get_one_and_not_found() {
    let c = Cluster::start(
        "get-one",
        ServerConfig::new(mixed_fixtures()).with_implicit_namespaces(),
    );
    let s = c.json(&["get", "secret", "web-tls", "-n", "x", "-o", "json"]);
    assert_eq!(s["kind"], "Secret");
    assert_eq!(s["type"], "kubernetes.io/tls");
    assert_eq!(s["metadata"]["namespace"], "x");
    let err = c.fails(&["get", "secret", "nope", "-n", "x"]);
    assert!(
        err.contains("Error from server (NotFound): secrets \"nope\" not found"),
        "{err}"
    );
    let err = c.fails(&["get", "deployment", "nope", "-n", "web", "-o", "json"]);
    assert!(err.contains("deployments.apps \"nope\" not found"), "{err}");
    let err = c.fails(&["get", "--raw", "/apis/nope.example.com/v1/things"]);
    assert!(err.contains("NotFound"), "{err}");
    // Raw reads see what a real server sends: list items of built-in kinds have no kind/apiVersion.
    let raw: Value =
        serde_json::from_str(&c.ok(&["get", "--raw", "/api/v1/namespaces/x/secrets"])).unwrap();
    assert_eq!(raw["kind"], "SecretList");
    assert_eq!(raw["apiVersion"], "v1");
    assert!(raw["items"][0].get("kind").is_none());
    assert!(raw["items"][0].get("apiVersion").is_none());
    let version = c.json(&["version", "-o", "json"]);
    assert_eq!(
        version["serverVersion"]["gitVersion"],
        apiserver::GIT_VERSION
    );
    let namespaces = c.ok(&["get", "namespaces", "-o", "name"]);
    assert_eq!(
        namespaces,
        "namespace/api\nnamespace/default\nnamespace/web\nnamespace/x\nnamespace/y\n"
    );
    let ns = c.json(&["get", "namespace", "x", "-o", "json"]);
    assert_eq!(ns["metadata"]["labels"]["kubernetes.io/metadata.name"], "x");
    assert_eq!(ns["status"]["phase"], "Active");

    // Without implicit namespaces, only fixture Namespaces exist, and kubectl, finding no
    // namespace "x" after the 404, reports that instead.
    let c = Cluster::start("get-one-exact", ServerConfig::new(mixed_fixtures()));
    assert_eq!(
        c.ok(&["get", "namespaces", "-o", "name"]),
        "namespace/web\n"
    );
    let err = c.fails(&["get", "secret", "nope", "-n", "x"]);
    assert!(
        err.contains("Error from server (NotFound): namespaces \"x\" not found"),
        "{err}"
    );
    assert_eq!(c.requests_to("/api/v1/namespaces/x")[0].status, 404);
}

#[test]
fn legacy_discovery() {
    let mut fixtures = mixed_fixtures();
    fixtures.push(certificate_crd());
    fixtures.push(certificate("web", "www"));
    let c = Cluster::start("legacy-discovery", ServerConfig::new(fixtures));
    c.server.set_aggregated_discovery(false);
    assert_eq!(
        c.ok(&["get", "deployments", "-A", "-o", "name"]),
        "deployment.apps/backend\ndeployment.apps/frontend\n"
    );
    assert_eq!(
        c.ok(&["get", "certificates.cert-manager.io", "-A", "-o", "name"]),
        "certificate.cert-manager.io/www\n"
    );
    // kubectl fell back to the per-group-version documents.
    for path in ["/api/v1", "/apis/apps/v1", "/apis/cert-manager.io/v1"] {
        assert_eq!(c.requests_to(path)[0].status, 200, "{path}");
    }
    let resources = c.ok(&["api-resources", "-o", "wide"]);
    for expected in [
        "pods ",
        "deployments ",
        "cronjobs ",
        "validatingwebhookconfigurations ",
        "customresourcedefinitions ",
        "apiservices ",
        "clusterrolebindings ",
        "endpointslices ",
        "ingressclasses ",
        "certificates ",
    ] {
        assert!(resources.contains(expected), "{expected}: {resources}");
    }
}

/// Every kubectl minor version the gcloud dispatcher ships (1.27 asks for aggregated discovery
/// v2beta1 first) reads lists, tables and pages from the server.
#[test]
fn kubectl_versions() {
    let bin = Path::new("/usr/lib/google-cloud-sdk/bin");
    let Ok(entries) = std::fs::read_dir(bin) else {
        return;
    };
    let mut binaries: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("kubectl.1."))
        })
        .collect();
    binaries.sort();
    eprintln!("kubectl binaries: {binaries:?}");
    let c = Cluster::start(
        "kubectl-versions",
        ServerConfig::new(mixed_fixtures()).max_page(2),
    );
    for binary in &binaries {
        let binary = binary.to_str().unwrap();
        let _ = std::fs::remove_dir_all(c.dir.join("cache"));
        let out = c.kubectl_with(binary, &["get", "pods", "-A", "-o", "name"]);
        assert!(
            out.status.success(),
            "{binary}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "pod/backend-1\npod/frontend-1\npod/frontend-2\n",
            "{binary}"
        );
        let out = c.kubectl_with(binary, &["get", "secrets", "-A"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{binary}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(text.lines().count(), 5, "{binary}: {text}");
    }
}

#[test]
fn selector_parsing() {
    use apiserver::selectors::{FieldSelector, LabelSelector, field_value};
    let obj = json!({"metadata": {"labels": {"app": "x", "tier": "web", "n": "5"}}});
    let m = |s: &str| LabelSelector::parse(s).unwrap().matches(&obj);
    assert!(m(""));
    assert!(m("app=x"));
    assert!(m("app==x,tier"));
    assert!(!m("app!=x"));
    assert!(m("missing!=x"));
    assert!(m("!missing"));
    assert!(!m("!app"));
    assert!(m("tier in (web, db)"));
    assert!(!m("tier notin (web,db)"));
    assert!(m("missing notin (web)"));
    assert!(!m("missing in (web)"));
    assert!(m("n>4,n<6"));
    assert!(LabelSelector::parse("app in web").is_err());
    assert!(LabelSelector::parse("app=x,").is_err());
    assert!(LabelSelector::parse("=x").is_err());

    let f = FieldSelector::parse("type=kubernetes.io/tls,metadata.name!=a\\,b").unwrap();
    assert_eq!(
        f.0,
        vec![
            ("type".to_string(), false, "kubernetes.io/tls".to_string()),
            ("metadata.name".to_string(), true, "a,b".to_string()),
        ]
    );
    assert!(FieldSelector::parse("type").is_err());
    let s = json!({"metadata": {"name": "a"}, "type": "Opaque"});
    assert_eq!(
        field_value("Secret", false, true, &s, "type").unwrap(),
        "Opaque"
    );
    assert_eq!(
        field_value("Secret", false, true, &s, "data").unwrap_err(),
        "field label not supported: data"
    );
    assert!(field_value("ConfigMap", false, true, &s, "data").is_err());
}

#[test]
fn version_priority_and_ages() {
    use apiserver::resources::compare_versions;
    use apiserver::store::human_duration;
    let mut v = vec![
        "v1alpha1", "foo", "v1", "v2beta1", "v1beta2", "v2", "v1beta1", "bar",
    ];
    v.sort_by(|a, b| compare_versions(a, b));
    assert_eq!(
        v,
        [
            "v2", "v1", "v2beta1", "v1beta2", "v1beta1", "v1alpha1", "bar", "foo"
        ]
    );
    assert_eq!(human_duration(5), "5s");
    assert_eq!(human_duration(150), "2m30s");
    assert_eq!(human_duration(3 * 3600 + 120), "3h2m");
    assert_eq!(human_duration(3 * 86400), "3d");
    assert_eq!(human_duration(400 * 86400), "400d");
    assert_eq!(human_duration(3 * 365 * 86400 + 10 * 86400), "3y10d");
}
