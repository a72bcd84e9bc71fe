//! `bootstrap --apply` (`tlscheck::bootstrap::apply::apply`) against the local HTTPS API server of
//! `tests/apiserver`, whose fake cert-manager controller makes issuers and certificates Ready a little
//! after they are applied: server-side apply with the field manager `kubectl-tlscheck`, a dry run of
//! everything first, dependency order, waiting for readiness, errors, idempotence. The last test runs
//! the real `kubectl apply --server-side` against the same server, so its server-side apply stays
//! something kubectl accepts.

mod apiserver;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use apiserver::{FakeController, RequestRecord, ServerConfig, TestApiServer};
use serde_json::{Value, json};
use tlscheck::bootstrap::apply::{ApplyOptions, apply};
use tlscheck::cluster::ClusterOptions;

const MANAGER: &str = "kubectl-tlscheck";

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("bootstrap-apply")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn crd(kind: &str, plural: &str, scope: &str) -> Value {
    let schema = json!({"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}});
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.cert-manager.io")},
        "spec": {
            "group": "cert-manager.io",
            "names": {"kind": kind, "listKind": format!("{kind}List"), "plural": plural,
                      "singular": kind.to_lowercase()},
            "scope": scope,
            "versions": [{"name": "v1", "served": true, "storage": true, "schema": schema,
                          "subresources": {"status": {}}}]
        }
    })
}

fn cert_manager_crds() -> Vec<Value> {
    vec![
        crd("Issuer", "issuers", "Namespaced"),
        crd("ClusterIssuer", "clusterissuers", "Cluster"),
        crd("Certificate", "certificates", "Namespaced"),
    ]
}

/// What the cluster holds before bootstrap: cert-manager's CRDs, a webhook configuration and the
/// Deployment serving it (as installed by some other tool), namespaces.
fn cluster_fixtures() -> Vec<Value> {
    let mut objects = cert_manager_crds();
    objects.extend([
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "cert-manager"}}),
        json!({
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": "policy-webhook"},
            "webhooks": [{
                "name": "vpod.policy.example.com",
                "clientConfig": {"service": {"name": "policy-webhook", "namespace": "policy", "path": "/validate", "port": 443}},
                "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}],
                "sideEffects": "None",
                "admissionReviewVersions": ["v1"]
            }]
        }),
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "policy-controller", "namespace": "policy"},
            "spec": {
                "selector": {"matchLabels": {"app": "policy"}},
                "template": {
                    "metadata": {"labels": {"app": "policy"}},
                    "spec": {"containers": [{"name": "manager", "image": "example.com/policy:v1"}]}
                }
            }
        }),
    ]);
    objects
}

/// A bootstrap plan in dependency order: self-signed issuer → CA Certificate → CA issuer → serving
/// Certificate → patches of the existing webhook configuration and Deployment.
fn plan() -> Vec<Value> {
    vec![
        json!({"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer",
               "metadata": {"name": "tlscheck-selfsigned"}, "spec": {"selfSigned": {}}}),
        json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
               "metadata": {"name": "tlscheck-root-ca", "namespace": "cert-manager"},
               "spec": {"isCA": true, "commonName": "tlscheck root CA", "secretName": "tlscheck-root-ca",
                        "privateKey": {"algorithm": "ECDSA", "size": 256},
                        "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "tlscheck-selfsigned"}}}),
        json!({"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer",
               "metadata": {"name": "tlscheck-ca"}, "spec": {"ca": {"secretName": "tlscheck-root-ca"}}}),
        json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
               "metadata": {"name": "policy-webhook-serving", "namespace": "policy"},
               "spec": {"secretName": "policy-webhook-serving-tls",
                        "dnsNames": ["policy-webhook.policy.svc", "policy-webhook.policy.svc.cluster.local"],
                        "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "tlscheck-ca"}}}),
        json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
               "metadata": {"name": "policy-webhook",
                            "annotations": {"cert-manager.io/inject-ca-from": "policy/policy-webhook-serving"}}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "policy-controller", "namespace": "policy"},
        "spec": {"template": {"spec": {
            "volumes": [{"name": "webhook-cert", "secret": {"secretName": "policy-webhook-serving-tls"}}],
            "containers": [{"name": "manager", "volumeMounts": [
                {"name": "webhook-cert", "mountPath": "/tmp/k8s-webhook-server/serving-certs", "readOnly": true}]}]
        }}}}),
    ]
}

/// The paths of the plan's objects, in order.
const PLAN_PATHS: &[&str] = &[
    "/apis/cert-manager.io/v1/clusterissuers/tlscheck-selfsigned",
    "/apis/cert-manager.io/v1/namespaces/cert-manager/certificates/tlscheck-root-ca",
    "/apis/cert-manager.io/v1/clusterissuers/tlscheck-ca",
    "/apis/cert-manager.io/v1/namespaces/policy/certificates/policy-webhook-serving",
    "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/policy-webhook",
    "/apis/apps/v1/namespaces/policy/deployments/policy-controller",
];

struct Cluster {
    server: TestApiServer,
    kubeconfig: PathBuf,
}

impl Cluster {
    fn start(name: &str, objects: Vec<Value>, controller: Option<FakeController>) -> Cluster {
        let server = TestApiServer::start(ServerConfig::new(objects).with_implicit_namespaces());
        if let Some(c) = controller {
            server.set_fake_controller(c);
        }
        let kubeconfig = scratch(name).join("kubeconfig");
        server.write_kubeconfig(&kubeconfig);
        Cluster { server, kubeconfig }
    }

    fn options(&self) -> ClusterOptions {
        ClusterOptions {
            kubeconfig: Some(self.kubeconfig.clone()),
            request_timeout: Some(Duration::from_secs(10)),
            concurrency: 4,
            page_size: 500,
            ..ClusterOptions::default()
        }
    }

    fn apply(&self, objects: &[Value], timeout: Duration) -> Result<Vec<String>, String> {
        apply(objects, &self.options(), &opts(timeout))
    }

    fn patches(&self) -> Vec<RequestRecord> {
        self.server
            .requests()
            .into_iter()
            .filter(|r| r.method == "PATCH")
            .collect()
    }

    /// Runs the real kubectl with this cluster's kubeconfig (private cache dir and HOME).
    fn kubectl(&self, args: &[&str]) -> std::process::Output {
        let dir = self.kubeconfig.parent().unwrap();
        Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(dir.join("cache"))
            .args(args)
            .env("HOME", dir)
            .env_remove("KUBECONFIG")
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .output()
            .expect("run kubectl")
    }

    /// Writes `objects` as a JSON `List` file for kubectl; returns its path.
    fn write_list(&self, file: &str, objects: &[Value]) -> String {
        let path = self.kubeconfig.parent().unwrap().join(file);
        let list = json!({"apiVersion": "v1", "kind": "List", "items": objects});
        std::fs::write(&path, list.to_string()).unwrap();
        path.to_str().unwrap().to_string()
    }

    fn object(&self, group: &str, kind: &str, ns: &str, name: &str) -> Value {
        self.server
            .object(group, kind, ns, name)
            .unwrap_or_else(|| panic!("{kind} {ns}/{name} is not stored"))
    }
}

fn opts(timeout: Duration) -> ApplyOptions {
    ApplyOptions {
        field_manager: MANAGER.to_string(),
        timeout,
        progress: false,
    }
}

fn controller() -> Option<FakeController> {
    Some(FakeController::new(Duration::from_millis(250)))
}

fn ready(obj: &Value) -> bool {
    obj["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

#[test]
fn dry_run_of_everything_then_apply_in_order_waiting_for_ready() {
    let c = Cluster::start("order", cluster_fixtures(), controller());
    let lines = c.apply(&plan(), Duration::from_secs(20)).unwrap();
    assert_eq!(
        lines,
        [
            "server-side dry run: 6 objects accepted (field manager kubectl-tlscheck)",
            "created ClusterIssuer tlscheck-selfsigned … Ready",
            "created Certificate cert-manager/tlscheck-root-ca … Ready",
            "created ClusterIssuer tlscheck-ca … Ready",
            "created Certificate policy/policy-webhook-serving … Ready",
            "configured ValidatingWebhookConfiguration policy-webhook",
            "configured Deployment policy/policy-controller",
        ]
    );

    let patches = c.patches();
    assert_eq!(patches.len(), 12, "{patches:#?}");
    for p in &patches {
        assert_eq!(p.field_manager.as_deref(), Some(MANAGER), "{p:?}");
        assert_eq!(p.content_type, "application/apply-patch+yaml", "{p:?}");
        assert!(!p.force, "apply never forces: {p:?}");
        assert!(matches!(p.status, 200 | 201), "{p:?}");
    }
    // All dry runs before the first real apply, each in plan order.
    assert!(patches[..6].iter().all(|p| p.dry_run));
    assert!(patches[6..].iter().all(|p| !p.dry_run));
    let paths = |ps: &[RequestRecord]| ps.iter().map(|p| p.path.clone()).collect::<Vec<_>>();
    assert_eq!(paths(&patches[..6]), PLAN_PATHS);
    assert_eq!(paths(&patches[6..]), PLAN_PATHS);
    assert_eq!(
        patches[6..].iter().map(|p| p.status).collect::<Vec<_>>(),
        [201, 201, 201, 201, 200, 200]
    );

    // Waiting: the CA Certificate is read (until Ready) after it is applied and before the CA
    // issuer that signs with its Secret is applied; the same for every issuer and certificate.
    let log = c.server.requests();
    let real = |path: &str| {
        log.iter()
            .position(|r| r.method == "PATCH" && !r.dry_run && r.path == path)
            .unwrap()
    };
    for pair in PLAN_PATHS[..4].windows(2) {
        let (applied, next) = (real(pair[0]), real(pair[1]));
        let gets = log[applied..next]
            .iter()
            .filter(|r| r.method == "GET" && r.path == pair[0] && r.status == 200)
            .count();
        // (The controller needs 250 ms, so there are usually several polls.)
        assert!(
            gets >= 1,
            "{} was not polled before the next apply",
            pair[0]
        );
    }

    // What the cluster holds now.
    let ca = c.object("cert-manager.io", "ClusterIssuer", "", "tlscheck-ca");
    assert!(ready(&ca));
    assert_eq!(
        ca["status"]["conditions"][0]["reason"], "KeyPairVerified",
        "{ca}"
    );
    let managers: Vec<&str> = ca["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["manager"].as_str().unwrap())
        .collect();
    assert_eq!(managers, [MANAGER]);
    // The patches merged into the existing objects.
    let vwc = c.object(
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
        "",
        "policy-webhook",
    );
    assert_eq!(
        vwc["metadata"]["annotations"]["cert-manager.io/inject-ca-from"],
        "policy/policy-webhook-serving"
    );
    assert_eq!(vwc["webhooks"][0]["name"], "vpod.policy.example.com");
    let deploy = c.object("apps", "Deployment", "policy", "policy-controller");
    let pod = &deploy["spec"]["template"]["spec"];
    assert_eq!(pod["containers"][0]["image"], "example.com/policy:v1");
    assert_eq!(
        pod["containers"][0]["volumeMounts"][0]["mountPath"],
        "/tmp/k8s-webhook-server/serving-certs"
    );
    assert_eq!(
        pod["volumes"][0]["secret"]["secretName"],
        "policy-webhook-serving-tls"
    );
    assert_eq!(deploy["metadata"]["generation"], 2);
}

#[test]
fn applying_the_same_plan_again_changes_nothing() {
    let c = Cluster::start("idempotent", cluster_fixtures(), controller());
    c.apply(&plan(), Duration::from_secs(20)).unwrap();
    let rv = |c: &Cluster| {
        [
            c.object("cert-manager.io", "ClusterIssuer", "", "tlscheck-ca"),
            c.object(
                "cert-manager.io",
                "Certificate",
                "policy",
                "policy-webhook-serving",
            ),
            c.object("apps", "Deployment", "policy", "policy-controller"),
        ]
        .map(|o| o["metadata"]["resourceVersion"].clone())
    };
    let before = rv(&c);
    c.server.clear_requests();

    let lines = c.apply(&plan(), Duration::from_secs(20)).unwrap();
    assert_eq!(
        lines[1..],
        [
            "unchanged ClusterIssuer tlscheck-selfsigned … Ready",
            "unchanged Certificate cert-manager/tlscheck-root-ca … Ready",
            "unchanged ClusterIssuer tlscheck-ca … Ready",
            "unchanged Certificate policy/policy-webhook-serving … Ready",
            "unchanged ValidatingWebhookConfiguration policy-webhook",
            "unchanged Deployment policy/policy-controller",
        ]
    );
    assert_eq!(rv(&c), before);
    // Already Ready: one GET each, no waiting.
    let polls = c
        .server
        .requests()
        .iter()
        .filter(|r| {
            r.method == "GET"
                && r.path == PLAN_PATHS[1]
                && !r.accept.contains("PartialObjectMetadata")
        })
        .count();
    assert_eq!(polls, 1);
}

#[test]
fn a_certificate_that_never_becomes_ready_times_out_naming_it() {
    let c = Cluster::start(
        "timeout",
        cluster_fixtures(),
        Some(FakeController::new(Duration::from_millis(50)).never_ready("policy-webhook-serving")),
    );
    let started = std::time::Instant::now();
    let err = c.apply(&plan(), Duration::from_millis(1500)).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert!(
        err.contains("timed out after 1.5s waiting for Certificate policy/policy-webhook-serving to become Ready"),
        "{err}"
    );
    assert!(
        err.contains(
            "Ready=False, reason DoesNotExist: Issuing certificate as Secret does not exist"
        ),
        "{err}"
    );
    assert!(
        err.contains("already applied: ClusterIssuer tlscheck-selfsigned, Certificate cert-manager/tlscheck-root-ca, ClusterIssuer tlscheck-ca, Certificate policy/policy-webhook-serving"),
        "{err}"
    );
    // What depends on it was not applied.
    let applied: Vec<String> = c
        .patches()
        .into_iter()
        .filter(|p| !p.dry_run)
        .map(|p| p.path)
        .collect();
    assert_eq!(applied, PLAN_PATHS[..4]);
}

#[test]
fn forbidden_apply_is_an_error_naming_the_object_and_nothing_is_applied() {
    let c = Cluster::start("forbidden", cluster_fixtures(), controller());
    c.server.forbid_writes("cert-manager.io", "certificates");
    let err = c.apply(&plan(), Duration::from_secs(5)).unwrap_err();
    assert!(
        err.contains("the server-side dry run rejected 2 of 6 objects; nothing was applied"),
        "{err}"
    );
    assert!(
        err.contains("Certificate cert-manager/tlscheck-root-ca: forbidden (403): certificates.cert-manager.io \"tlscheck-root-ca\" is forbidden: User \"tester\" cannot patch resource \"certificates\""),
        "{err}"
    );
    assert!(
        err.contains("Certificate policy/policy-webhook-serving: forbidden (403)"),
        "{err}"
    );
    assert!(c.patches().iter().all(|p| p.dry_run));
    assert!(
        c.server
            .object(
                "cert-manager.io",
                "ClusterIssuer",
                "",
                "tlscheck-selfsigned"
            )
            .is_none()
    );
}

#[test]
fn rejected_credentials_are_reported() {
    let c = Cluster::start("unauthorized", cluster_fixtures(), controller());
    let mut options = c.options();
    options.context = Some("bad-token".into());
    let err = apply(&plan(), &options, &opts(Duration::from_secs(5))).unwrap_err();
    assert!(err.contains("401 Unauthorized"), "{err}");
    assert!(c.patches().is_empty());
}

#[test]
fn kinds_the_cluster_does_not_serve_stop_the_run_before_any_write() {
    let fixtures: Vec<Value> = cluster_fixtures()
        .into_iter()
        .filter(|o| o["kind"] != "CustomResourceDefinition")
        .collect();
    let c = Cluster::start("no-cert-manager", fixtures, controller());
    let err = c.apply(&plan(), Duration::from_secs(5)).unwrap_err();
    assert!(
        err.contains("ClusterIssuer tlscheck-selfsigned: the cluster does not serve cert-manager.io/v1 ClusterIssuer (is cert-manager installed?)"),
        "{err}"
    );
    assert!(err.ends_with("nothing was applied"), "{err}");
    assert!(c.patches().is_empty());
}

#[test]
fn a_field_owned_by_another_manager_is_a_conflict_and_never_forced() {
    let mut fixtures = cluster_fixtures();
    for o in &mut fixtures {
        if o["kind"] == "ValidatingWebhookConfiguration" {
            o["metadata"]["annotations"] =
                json!({"cert-manager.io/inject-ca-from": "policy/hand-made-cert"});
        }
    }
    let c = Cluster::start("conflict", fixtures, controller());
    let err = c.apply(&plan(), Duration::from_secs(5)).unwrap_err();
    assert!(
        err.contains("ValidatingWebhookConfiguration policy-webhook: Apply failed with 1 conflict: conflict with \"fixture\""),
        "{err}"
    );
    assert!(
        err.contains(".metadata.annotations.cert-manager.io/inject-ca-from"),
        "{err}"
    );
    assert!(err.contains("--force-conflicts"), "{err}");
    let patches = c.patches();
    assert!(
        patches.iter().all(|p| p.dry_run && !p.force),
        "{patches:#?}"
    );
    let vwc = |c: &Cluster| {
        c.object(
            "admissionregistration.k8s.io",
            "ValidatingWebhookConfiguration",
            "",
            "policy-webhook",
        )
    };
    assert_eq!(
        vwc(&c)["metadata"]["annotations"]["cert-manager.io/inject-ca-from"],
        "policy/hand-made-cert"
    );

    // What the hint says: only a deliberate `--force-conflicts` takes the field over.
    c.server.clear_requests();
    let file = c.write_list("vwc.json", &plan()[4..5]);
    let out = c.kubectl(&[
        "apply",
        "--server-side",
        "--field-manager",
        MANAGER,
        "--force-conflicts",
        "--validate=false",
        "-f",
        &file,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let forced: Vec<RequestRecord> = c.patches();
    assert_eq!(forced.len(), 1, "{forced:#?}");
    assert!(forced[0].force && !forced[0].dry_run);
    let now = vwc(&c);
    assert_eq!(
        now["metadata"]["annotations"]["cert-manager.io/inject-ca-from"],
        "policy/policy-webhook-serving"
    );
    let fixture_fields = now["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["manager"] == "fixture")
        .unwrap()["fieldsV1"]
        .clone();
    assert!(
        fixture_fields["f:metadata"].is_null(),
        "the annotation moved to {MANAGER}: {fixture_fields}"
    );
    assert!(fixture_fields["f:webhooks"].is_object(), "{fixture_fields}");
    // And the plan now applies without conflict.
    c.apply(&plan(), Duration::from_secs(20)).unwrap();
}

#[test]
fn a_namespace_created_by_the_plan_passes_the_dry_run() {
    let c = Cluster::start("new-namespace", cert_manager_crds(), controller());
    let objects = vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "pki"}}),
        json!({"apiVersion": "cert-manager.io/v1", "kind": "Issuer",
               "metadata": {"name": "selfsigned", "namespace": "pki"}, "spec": {"selfSigned": {}}}),
    ];
    let lines = c.apply(&objects, Duration::from_secs(10)).unwrap();
    assert_eq!(
        lines,
        [
            "server-side dry run: 2 objects accepted (field manager kubectl-tlscheck)",
            "created Namespace pki",
            "created Issuer pki/selfsigned … Ready",
        ]
    );
    let issuer = c.object("cert-manager.io", "Issuer", "pki", "selfsigned");
    assert_eq!(issuer["status"]["conditions"][0]["reason"], "IsReady");

    // A namespace that neither exists nor is in the plan fails the dry run.
    let missing = vec![json!({"apiVersion": "cert-manager.io/v1", "kind": "Issuer",
                              "metadata": {"name": "x", "namespace": "nowhere"}, "spec": {"selfSigned": {}}})];
    let err = c.apply(&missing, Duration::from_secs(5)).unwrap_err();
    assert!(
        err.contains("Issuer nowhere/x: namespaces \"nowhere\" not found (404)"),
        "{err}"
    );
}

#[test]
fn an_existing_ca_secret_is_kept_and_secret_data_is_never_printed() {
    let key = "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCnNlY3JldAo=";
    let secret = |name: &str, data: &str| {
        json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
               "metadata": {"name": name, "namespace": "cert-manager"},
               "data": {"tls.crt": "Y2VydA==", "tls.key": data}})
    };
    let mut fixtures = cluster_fixtures();
    fixtures.push(secret("existing-ca", "b2xkLWtleQ=="));
    let c = Cluster::start("secret", fixtures, controller());
    let objects = vec![
        secret("existing-ca", key),
        secret("new-ca", key),
        json!({"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer",
               "metadata": {"name": "local-ca"}, "spec": {"ca": {"secretName": "new-ca"}}}),
    ];
    let lines = c.apply(&objects, Duration::from_secs(10)).unwrap();
    assert_eq!(
        lines,
        [
            "server-side dry run: 2 objects accepted (field manager kubectl-tlscheck)",
            "kept Secret cert-manager/existing-ca (exists; not overwritten)",
            "created Secret cert-manager/new-ca",
            "created ClusterIssuer local-ca … Ready",
        ]
    );
    assert!(lines.iter().all(|l| !l.contains(key)));
    let existing = c.object("", "Secret", "cert-manager", "existing-ca");
    assert_eq!(existing["data"]["tls.key"], "b2xkLWtleQ==");
    assert!(
        c.patches()
            .iter()
            .all(|p| !p.path.ends_with("/secrets/existing-ca"))
    );
    // The existence check reads metadata only.
    let reads: Vec<RequestRecord> = c
        .server
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.contains("/secrets/"))
        .collect();
    assert_eq!(reads.len(), 2);
    assert!(
        reads
            .iter()
            .all(|r| r.accept.contains("as=PartialObjectMetadata")),
        "{reads:#?}"
    );
}

#[test]
fn server_side_apply_removes_fields_no_longer_applied_and_keeps_others() {
    // The test server's apply semantics, through the client: a second plan without a field removes
    // it (it was ours alone), fields of other managers stay.
    let c = Cluster::start("ssa-semantics", cluster_fixtures(), None);
    let mut deploy = plan()[5].clone();
    deploy["metadata"]["labels"] = json!({"tlscheck": "yes"});
    c.apply(std::slice::from_ref(&deploy), Duration::from_secs(5))
        .unwrap();
    let labels = |c: &Cluster| {
        c.object("apps", "Deployment", "policy", "policy-controller")["metadata"]["labels"].clone()
    };
    assert_eq!(labels(&c), json!({"tlscheck": "yes"}));
    let lines = c.apply(&plan()[5..], Duration::from_secs(5)).unwrap();
    assert_eq!(lines[1], "configured Deployment policy/policy-controller");
    assert!(labels(&c).is_null(), "{}", labels(&c));
    let d = c.object("apps", "Deployment", "policy", "policy-controller");
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"],
        "example.com/policy:v1"
    );
}

#[test]
fn the_test_server_accepts_only_apply_patches() {
    let c = Cluster::start("merge-patch", cluster_fixtures(), None);
    let out = c.kubectl(&[
        "patch",
        "deployment",
        "-n",
        "policy",
        "policy-controller",
        "--type=merge",
        "-p",
        r#"{"metadata":{"labels":{"a":"b"}}}"#,
    ]);
    assert!(!out.status.success());
    let patches = c.patches();
    assert_eq!(patches.len(), 1, "{patches:#?}");
    assert_eq!(patches[0].status, 415);
    assert_eq!(patches[0].content_type, "application/merge-patch+json");
    assert_eq!(patches[0].field_manager.as_deref(), Some("kubectl-patch"));
}

#[test]
fn real_kubectl_server_side_apply_works_against_the_test_server() {
    let c = Cluster::start("kubectl", cluster_fixtures(), controller());
    let file = c.write_list("plan.json", &plan()[..2]);
    let kubectl = |args: &[&str]| c.kubectl(args);
    for extra in [&["--dry-run=server"][..], &[][..]] {
        let mut args = vec![
            "apply",
            "--server-side",
            "--field-manager",
            MANAGER,
            "--validate=false",
            "-f",
            &file,
        ];
        args.extend_from_slice(extra);
        let out = kubectl(&args);
        assert!(
            out.status.success(),
            "kubectl {args:?}: {}\n{:#?}",
            String::from_utf8_lossy(&out.stderr),
            c.server.requests()
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("clusterissuer.cert-manager.io/tlscheck-selfsigned serverside-applied"),
            "{stdout}"
        );
    }
    let patches = c.patches();
    assert_eq!(patches.len(), 4, "{patches:#?}");
    assert!(patches[..2].iter().all(|p| p.dry_run));
    assert!(
        patches
            .iter()
            .all(|p| p.field_manager.as_deref() == Some(MANAGER))
    );
    let out = kubectl(&[
        "get",
        "certificate",
        "-n",
        "cert-manager",
        "tlscheck-root-ca",
        "-o",
        "json",
    ]);
    let cert: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cert["spec"]["issuerRef"]["name"], "tlscheck-selfsigned");
}
