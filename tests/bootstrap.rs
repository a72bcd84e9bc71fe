//! `kubectl tlscheck bootstrap` end to end, through the binary: the emitted YAML of each variant
//! (snapshots), the `--out` tree and its kustomization, key material handling, and the two properties
//! of RULES.md §8 on fixtures and corpus inputs:
//!
//! * lint-after-bootstrap: linting the input plus the bootstrap output (built with `kubectl
//!   kustomize` when the output patches existing objects) leaves none of the CM002/WH002/WH004
//!   findings that triggered it, and the result has no errors from the cert-manager and webhook rules;
//! * idempotency: bootstrap on that combination emits nothing.

mod apiserver;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_kubectl-tlscheck");

/// A valid AWS Private CA ARN (RULES.md §1.4).
const PCA_ARN: &str = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/12345678-1234-1234-1234-123456789012";

/// Rules whose errors the bootstrapped result must not have.
const CLEAN_RULES: &str = "CM002,CM004,CM008,CM009,CM010,WH002,WH003,WH004,WH005,WH006,WH007";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn corpus(name: &str) -> String {
    root()
        .join("../shared/corpus")
        .join(name)
        .display()
        .to_string()
}

/// A fresh directory under the target dir.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("bootstrap")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .env_remove("KUBECONFIG")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// Run from the crate root (relative fixture paths keep the `# why:` lines stable).
fn run(args: &[&str]) -> Output {
    run_in(&root(), args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        stdout(o),
        stderr(o)
    );
    stdout(o)
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({snapshot_path => "../snapshots", omit_expression => true}, {
        insta::assert_snapshot!(name, text);
    });
}

/// `bootstrap --no-config <args>`, which must succeed; its stdout.
fn bootstrap(args: &[&str]) -> String {
    let mut all = vec!["bootstrap", "--no-config"];
    all.extend_from_slice(args);
    ok(&run(&all))
}

/// A finding: (rule, severity, kind, namespace, name).
type Found = (String, String, String, String, String);

/// Findings of `rules` on `paths` (warnings and errors).
fn lint(dir: &Path, rules: &str, paths: &[&str]) -> BTreeSet<Found> {
    let mut args = vec!["lint", "--no-config", "-o", "json", "--select", rules];
    args.extend_from_slice(paths);
    let o = run_in(dir, &args);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "lint failed: {}",
        stderr(&o)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .map(|f| {
            let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
            (
                s(&f["rule"]),
                s(&f["severity"]),
                s(&f["object"]["kind"]),
                s(&f["object"]["namespace"]),
                s(&f["object"]["name"]),
            )
        })
        .collect()
}

/// Every Kubernetes object of a YAML stream, as JSON.
fn objects(text: &str) -> Vec<serde_json::Value> {
    let stream = tlscheck::load::parse_stream(text, tlscheck::load::Limits::default());
    assert!(stream.errors.is_empty(), "{:?}\n{text}", stream.errors);
    stream
        .documents
        .into_iter()
        .map(|d| d.root.to_json())
        .filter(|v| v.get("kind").is_some())
        .collect()
}

fn kustomize_available() -> bool {
    Command::new("kubectl")
        .args(["kustomize", "--help"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The two properties on `inputs` (paths relative to the crate root or absolute) with `extra`
/// bootstrap flags. Returns the plan on stdout.
fn assert_resolves(name: &str, inputs: &[&str], extra: &[&str]) -> String {
    let dir = scratch(name);
    let abs: Vec<String> = inputs
        .iter()
        .map(|p| {
            let p = Path::new(p);
            if p.is_absolute() {
                p.display().to_string()
            } else {
                root().join(p).display().to_string()
            }
        })
        .collect();
    let abs_refs: Vec<&str> = abs.iter().map(String::as_str).collect();
    let triggers = "CM002,WH002,WH004";
    let before = lint(&dir, triggers, &abs_refs);
    assert!(!before.is_empty(), "{name}: nothing triggers bootstrap");

    // The stream on stdout.
    let mut args: Vec<&str> = abs_refs.clone();
    args.extend_from_slice(extra);
    let mut all = vec!["bootstrap", "--no-config"];
    all.extend_from_slice(&args);
    let o = run_in(&dir, &all);
    let plan = ok(&o);
    assert!(!plan.is_empty(), "{name}: empty plan\n{}", stderr(&o));
    assert!(
        !stderr(&o).contains("not addressed:"),
        "{name}: {}",
        stderr(&o)
    );
    let out = dir.join("out.yaml");
    std::fs::write(&out, &plan).unwrap();
    let out_s = out.display().to_string();
    let mut combined = abs_refs.clone();
    combined.push(&out_s);
    let patches = plan.contains("# why: patch of an existing object");
    if !patches {
        // Only new objects: the input plus the stream is the bootstrapped world.
        let after = lint(&dir, triggers, &combined);
        assert!(after.is_empty(), "{name}: still {after:?}");
        let errors: Vec<_> = lint(&dir, CLEAN_RULES, &combined)
            .into_iter()
            .filter(|f| f.1 == "error")
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
    // Idempotency on input + stream (bootstrap reads the stream's patches as applied).
    let mut again = vec!["bootstrap", "--no-config"];
    again.extend_from_slice(&combined);
    again.extend_from_slice(extra);
    let o = run_in(&dir, &again);
    assert_eq!(ok(&o), "", "{name}: not idempotent\n{}", stderr(&o));
    assert!(
        stderr(&o).contains("nothing to bootstrap"),
        "{}",
        stderr(&o)
    );

    // The kustomize route: the input plus the --out directory as a kustomize Component/Kustomization.
    if kustomize_available() {
        let mut args = vec!["bootstrap", "--no-config", "--out", "boot"];
        args.extend_from_slice(&abs_refs);
        args.extend_from_slice(extra);
        ok(&run_in(&dir, &args));
        let k = std::fs::read_to_string(dir.join("boot/kustomization.yaml")).unwrap();
        std::fs::create_dir_all(dir.join("in")).unwrap();
        let mut resources = Vec::new();
        for (i, p) in abs.iter().enumerate() {
            let local = format!("in/{i:02}.yaml");
            std::fs::copy(p, dir.join(&local)).unwrap();
            resources.push(local);
        }
        // A CA Secret file (--local-ca) is applied apart from the kustomization.
        for e in std::fs::read_dir(dir.join("boot")).unwrap() {
            let p = e.unwrap().path();
            let f = p.file_name().unwrap().to_string_lossy().into_owned();
            if f.contains("-secret-") {
                resources.push(format!("boot/{f}"));
            }
        }
        let wrapper = if k.contains("kind: Component") {
            format!("resources: {resources:?}\ncomponents: [boot]\n")
        } else {
            resources.push("boot".into());
            format!("resources: {resources:?}\n")
        };
        std::fs::write(dir.join("kustomization.yaml"), wrapper).unwrap();
        let built = Command::new("kubectl")
            .current_dir(&dir)
            .args(["kustomize", "."])
            .output()
            .unwrap();
        assert!(built.status.success(), "kustomize: {}", stderr(&built));
        std::fs::write(dir.join("built.yaml"), &built.stdout).unwrap();
        let after = lint(&dir, triggers, &["built.yaml"]);
        assert!(after.is_empty(), "{name}: after kustomize still {after:?}");
        let errors: Vec<_> = lint(&dir, CLEAN_RULES, &["built.yaml"])
            .into_iter()
            .filter(|f| f.1 == "error")
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
        let mut again = vec!["bootstrap", "--no-config", "built.yaml"];
        again.extend_from_slice(extra);
        let o = run_in(&dir, &again);
        assert_eq!(
            ok(&o),
            "",
            "{name}: not idempotent after kustomize\n{}",
            stderr(&o)
        );
    }
    plan
}

// ----- variants (snapshots) -----

#[test]
fn cluster_wide_chain_is_the_docs_example() {
    let dir = scratch("cluster-wide");
    let o = run_in(
        &dir,
        &[
            "bootstrap",
            "--no-config",
            "--ca-issuer-name",
            "my-ca-issuer",
        ],
    );
    let text = ok(&o);
    snapshot("cluster-wide", &text);
    // RULES.md §8.1 (CM-DOCS selfsigned.md, ClusterIssuer variant), field for field.
    let got = objects(&text);
    let want = objects(
        "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: selfsigned-issuer}\nspec: {selfSigned: {}}\n---\n\
         apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: my-selfsigned-ca, namespace: cert-manager}\n\
         spec:\n  isCA: true\n  commonName: my-selfsigned-ca\n  secretName: root-secret\n  privateKey: {algorithm: ECDSA, size: 256}\n  issuerRef: {name: selfsigned-issuer, kind: ClusterIssuer, group: cert-manager.io}\n---\n\
         apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: my-ca-issuer}\nspec: {ca: {secretName: root-secret}}\n",
    );
    assert_eq!(got, want);
    // The docs-exact CA has the implicit 90-day lifetime: CM009 warns, on stderr only.
    assert!(stderr(&o).contains("warning: CM009"), "{}", stderr(&o));
}

#[test]
fn namespaced_chain_is_the_docs_example() {
    let dir = scratch("namespaced");
    let text = ok(&run_in(
        &dir,
        &[
            "bootstrap",
            "--no-config",
            "--namespace",
            "sandbox",
            "--ca-issuer-name",
            "my-ca-issuer",
        ],
    ));
    snapshot("namespaced", &text);
    // RULES.md §8.2 (the docs' first example).
    let want = objects(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: sandbox}\n---\n\
         apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: selfsigned-issuer}\nspec: {selfSigned: {}}\n---\n\
         apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: my-selfsigned-ca, namespace: sandbox}\n\
         spec:\n  isCA: true\n  commonName: my-selfsigned-ca\n  secretName: root-secret\n  privateKey: {algorithm: ECDSA, size: 256}\n  issuerRef: {name: selfsigned-issuer, kind: ClusterIssuer, group: cert-manager.io}\n---\n\
         apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: my-ca-issuer, namespace: sandbox}\nspec: {ca: {secretName: root-secret}}\n",
    );
    assert_eq!(objects(&text), want);
}

#[test]
fn recommended_deltas_and_names_are_configurable() {
    let dir = scratch("deltas");
    let text = ok(&run_in(
        &dir,
        &[
            "bootstrap",
            "--no-config",
            "--ca-issuer-name",
            "platform-ca",
            "--selfsigned-name",
            "root-issuer",
            "--ca-name",
            "platform-root",
            "--ca-secret",
            "platform-root-key",
            "--ca-duration",
            "87600h",
            "--ca-org",
            "Example Corp",
            "--cluster-resource-namespace",
            "security",
        ],
    ));
    snapshot("deltas", &text);
    // The deltas silence CM009.
    let out = dir.join("out.yaml");
    std::fs::write(&out, &text).unwrap();
    let o = run_in(
        &dir,
        &[
            "lint",
            "--no-config",
            "--cluster-resource-namespace",
            "security",
            "out.yaml",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("0 errors, 0 warnings"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn missing_issuers_get_the_chain_under_their_names() {
    let text = assert_resolves(
        "issuers-missing",
        &["testdata/bootstrap/issuers-missing.yaml"],
        &[],
    );
    let snap = bootstrap(&["testdata/bootstrap/issuers-missing.yaml"]);
    assert_eq!(
        objects(&text),
        objects(&snap),
        "plans differ between absolute and relative paths"
    );
    snapshot("issuers-missing", &snap);
}

#[test]
fn webhook_wiring() {
    assert_resolves("webhook-app", &["testdata/bootstrap/webhook-app.yaml"], &[]);
    snapshot(
        "webhook-app",
        &bootstrap(&["testdata/bootstrap/webhook-app.yaml"]),
    );
}

#[test]
fn webhook_whose_server_mounts_a_secret_reuses_it_and_the_existing_ca() {
    let text = assert_resolves(
        "webhook-mounted",
        &["testdata/bootstrap/webhook-mounted.yaml"],
        &[],
    );
    let objs = objects(&text);
    // One Certificate (into the mounted Secret, from the existing CA) and one patch: no chain, no
    // Deployment patch.
    let kinds: Vec<&str> = objs.iter().map(|o| o["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["Certificate", "ValidatingWebhookConfiguration"]);
    assert_eq!(objs[0]["spec"]["secretName"], "webhook-server-cert");
    assert_eq!(objs[0]["spec"]["issuerRef"]["name"], "platform-ca");
    snapshot(
        "webhook-mounted",
        &bootstrap(&["testdata/bootstrap/webhook-mounted.yaml"]),
    );
}

#[test]
fn inject_ca_from_naming_a_missing_certificate() {
    let text = assert_resolves(
        "webhook-missing-cert",
        &["testdata/bootstrap/webhook-missing-cert.yaml"],
        &["--complete"],
    );
    let objs = objects(&text);
    let cert = objs
        .iter()
        .find(|o| o["metadata"]["namespace"] == "metrics" && o["kind"] == "Certificate")
        .unwrap();
    assert_eq!(cert["metadata"]["name"], "metrics-api-cert");
    // No annotation patch (the name is the one asked for); the volume goes to `--cert-dir`.
    assert!(
        !objs
            .iter()
            .any(|o| o["kind"] == "APIService" || o["kind"] == "MutatingWebhookConfiguration")
    );
    assert!(text.contains("mountPath: /var/run/serving-cert"), "{text}");
    snapshot(
        "webhook-missing-cert",
        &bootstrap(&["testdata/bootstrap/webhook-missing-cert.yaml", "--complete"]),
    );
}

#[test]
fn forced_webhook_wiring() {
    // The kubebuilder project is wired already: --webhook finds nothing to do.
    let o = run(&[
        "bootstrap",
        "--no-config",
        &corpus("webhook-kubebuilder-multiversion-install.yaml"),
        "--webhook",
        "project-system/project-webhook-service",
    ]);
    assert_eq!(ok(&o), "");
    assert!(
        stderr(&o)
            .contains("already injects the CA of Certificate project-system/project-serving-cert"),
        "{}",
        stderr(&o)
    );
    // A Service no webhook configuration of the input calls: the Certificate, and a note.
    let o = run(&[
        "bootstrap",
        "--no-config",
        "testdata/bootstrap/webhook-app.yaml",
        "--webhook",
        "other/hooks",
    ]);
    let text = ok(&o);
    assert!(
        text.contains("name: hooks-serving-cert")
            && text.contains("- hooks.other.svc.cluster.local"),
        "{text}"
    );
    assert!(
        stderr(&o).contains(
            "no webhook configuration, CRD or APIService in the input calls Service other/hooks"
        ),
        "{}",
        stderr(&o)
    );
    // Bad values are usage errors.
    let o = run(&["bootstrap", "--no-config", "--webhook", "hooks"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn aws_private_ca_variant() {
    let o = run(&[
        "bootstrap",
        "--no-config",
        "testdata/bootstrap/webhook-app.yaml",
        "testdata/bootstrap/issuers-missing.yaml",
        "--pca-arn",
        PCA_ARN,
        "--pca-approver-rbac",
    ]);
    let text = ok(&o);
    snapshot("pca", &text);
    // Prerequisites (IAM policy, approver note) on stderr only.
    let err = stderr(&o);
    assert!(
        err.contains("\"acm-pca:IssueCertificate\"") && err.contains(PCA_ARN),
        "{err}"
    );
    assert!(!text.contains("acm-pca:IssueCertificate"));
    let prerequisites: String = err
        .lines()
        .skip_while(|l| !l.starts_with("prerequisite:"))
        .take_while(|l| !l.starts_with("bootstrap:"))
        .map(|l| format!("{l}\n"))
        .collect();
    snapshot("pca-prerequisites", &prerequisites);
    // Serving certificates come straight from the Private CA, CA issuers from a subordinate CA.
    let objs = objects(&text);
    let serving = objs
        .iter()
        .find(|o| o["metadata"]["name"] == "webhook-service-serving-cert")
        .unwrap();
    assert_eq!(serving["spec"]["issuerRef"]["kind"], "AWSPCAClusterIssuer");
    assert_eq!(
        serving["spec"]["usages"],
        serde_json::json!(["server auth"])
    );
    let ca = objs
        .iter()
        .find(|o| {
            o["metadata"]["name"] == "my-selfsigned-ca"
                && o["metadata"]["namespace"] == "cert-manager"
        })
        .unwrap();
    assert_eq!(ca["spec"]["issuerRef"]["group"], "awspca.cert-manager.io");
    assert_eq!(ca["spec"]["duration"], "8760h");
    assert!(
        !objs
            .iter()
            .any(|o| o["spec"]["selfSigned"].is_object() && o["kind"] == "ClusterIssuer")
    );
    assert_resolves(
        "pca",
        &["testdata/bootstrap/webhook-app.yaml"],
        &["--pca-arn", PCA_ARN],
    );
    // An invalid ARN is a usage error.
    let o = run(&[
        "bootstrap",
        "--no-config",
        "--pca-arn",
        "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not an AWS Private CA ARN"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn trust_distribution() {
    let o = run(&[
        "bootstrap",
        "--no-config",
        "testdata/bootstrap/webhook-app.yaml",
        "--trust",
        "--ca-duration",
        "87600h",
        "--ca-org",
        "Example",
    ]);
    let text = ok(&o);
    snapshot("trust", &text);
    // The CA's certificate is not known before cert-manager issues it: the Bundle is emitted, the
    // ConfigMap is a manual step printed on stderr.
    assert!(text.contains("kind: Bundle") && !text.contains("kind: ConfigMap"));
    assert!(
        stderr(&o).contains("create configmap my-selfsigned-ca-root --from-file=ca.crt"),
        "{}",
        stderr(&o)
    );
    assert_resolves(
        "trust",
        &["testdata/bootstrap/webhook-app.yaml"],
        &["--trust"],
    );
}

// ----- --out -----

#[test]
fn out_directory_tree_and_kustomization() {
    let dir = scratch("out-tree");
    let fixture = root().join("testdata/bootstrap/webhook-app.yaml");
    std::fs::copy(&fixture, dir.join("webhook-app.yaml")).unwrap();
    let o = run_in(
        &dir,
        &[
            "bootstrap",
            "--no-config",
            "webhook-app.yaml",
            "--out",
            "boot",
        ],
    );
    assert_eq!(ok(&o), "", "stdout stays empty with --out");
    let mut listing: Vec<String> = std::fs::read_dir(dir.join("boot"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    listing.sort();
    let kustomization = std::fs::read_to_string(dir.join("boot/kustomization.yaml")).unwrap();
    let serving =
        std::fs::read_to_string(dir.join("boot/04-certificate-webhook-service-serving-cert.yaml"))
            .unwrap();
    let patch =
        std::fs::read_to_string(dir.join("boot/08-patch-deployment-controller-manager.yaml"))
            .unwrap();
    snapshot(
        "out-tree",
        &format!(
            "{}\n\n--- kustomization.yaml\n{kustomization}\n--- 04-certificate-webhook-service-serving-cert.yaml\n{serving}\n--- 08-patch-deployment-controller-manager.yaml\n{patch}",
            listing.join("\n")
        ),
    );
    assert!(
        stderr(&o).contains("add `components: [boot]`"),
        "{}",
        stderr(&o)
    );

    // A second run refuses to overwrite, and writes nothing.
    let before = std::fs::metadata(dir.join("boot/kustomization.yaml"))
        .unwrap()
        .modified()
        .unwrap();
    let o = run_in(
        &dir,
        &[
            "bootstrap",
            "--no-config",
            "webhook-app.yaml",
            "--out",
            "boot",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("refusing to overwrite") && stderr(&o).contains("--force"),
        "{}",
        stderr(&o)
    );
    let after = std::fs::metadata(dir.join("boot/kustomization.yaml"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after);
    // --force overwrites.
    ok(&run_in(
        &dir,
        &[
            "bootstrap",
            "--no-config",
            "webhook-app.yaml",
            "--out",
            "boot",
            "--force",
        ],
    ));
}

#[test]
fn out_without_patches_is_a_plain_kustomization() {
    let dir = scratch("out-plain");
    ok(&run_in(
        &dir,
        &[
            "bootstrap",
            "--no-config",
            &root()
                .join("testdata/bootstrap/issuers-missing.yaml")
                .display()
                .to_string(),
            "--out",
            "boot",
        ],
    ));
    let k = std::fs::read_to_string(dir.join("boot/kustomization.yaml")).unwrap();
    assert!(
        k.contains("kind: Kustomization") && !k.contains("patches:"),
        "{k}"
    );
}

// ----- local CA -----

#[test]
fn local_ca_secret_goes_to_a_private_file_never_to_stdout() {
    let dir = scratch("local-ca");
    let fixture = root().join("testdata/bootstrap/webhook-app.yaml");
    std::fs::copy(&fixture, dir.join("webhook-app.yaml")).unwrap();
    // Without --out/--apply/--emit-secret: refused before anything is generated.
    let o = run_in(
        &dir,
        &["bootstrap", "--no-config", "webhook-app.yaml", "--local-ca"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    assert!(stderr(&o).contains("--emit-secret"), "{}", stderr(&o));

    let o = run_in(
        &dir,
        &[
            "bootstrap",
            "--no-config",
            "webhook-app.yaml",
            "--local-ca",
            "--trust",
            "--out",
            "boot",
        ],
    );
    assert_eq!(ok(&o), "");
    let secret = dir.join("boot/01-secret-root-secret.yaml");
    let text = std::fs::read_to_string(&secret).unwrap();
    assert!(text.contains("tls.key"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let k = std::fs::read_to_string(dir.join("boot/kustomization.yaml")).unwrap();
    assert!(!k.contains("01-secret-root-secret.yaml"), "{k}");
    let ignore = std::fs::read_to_string(dir.join("boot/.gitignore")).unwrap();
    assert_eq!(ignore, "01-secret-root-secret.yaml\n");
    // No self-signed issuer or CA Certificate: the Secret replaces them; the trust ConfigMap holds
    // the (public) certificate.
    let all: String = std::fs::read_dir(dir.join("boot"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p != &secret)
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert!(
        !all.contains("selfSigned") && !all.contains("isCA"),
        "{all}"
    );
    assert!(all.contains("BEGIN CERTIFICATE") && !all.contains("PRIVATE KEY"));
    assert!(
        stderr(&o).contains("holds the CA PRIVATE KEY"),
        "{}",
        stderr(&o)
    );
    // The key file is never overwritten, not even with --force.
    let o = run_in(
        &dir,
        &[
            "bootstrap",
            "--no-config",
            "webhook-app.yaml",
            "--local-ca",
            "--out",
            "boot",
            "--force",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("never overwritten"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), text);

    // --emit-secret prints it, explicitly.
    let o = run_in(
        &dir,
        &[
            "bootstrap",
            "--no-config",
            "webhook-app.yaml",
            "--local-ca",
            "--emit-secret",
        ],
    );
    let text = ok(&o);
    assert!(text.contains("kind: Secret") && text.contains("tls.key"));
    assert!(stderr(&o).contains("PRIVATE KEY"), "{}", stderr(&o));

    assert_resolves(
        "local-ca-property",
        &["testdata/bootstrap/webhook-app.yaml"],
        &["--local-ca", "--emit-secret"],
    );
}

// ----- corpus -----

#[test]
fn corpus_inputs_with_missing_issuers() {
    for (name, file) in [
        (
            "corpus-ingress-final",
            "certmanager-docs-ingress-tls-final.yaml",
        ),
        (
            "corpus-ingress-staging",
            "certmanager-docs-ingress-tls-staging.yaml",
        ),
        (
            "corpus-istio-csr-chain",
            "certmanager-istio-csr-root-intermediate-chain.yaml",
        ),
        (
            "corpus-kubebuilder-webhooks",
            "webhook-kubebuilder-base-webhook-manifests.yaml",
        ),
        (
            "corpus-kubebuilder-conversion",
            "webhook-kubebuilder-base-crd-conversion-patch.yaml",
        ),
    ] {
        assert_resolves(name, &[&corpus(file)], &[]);
    }
    // The istio-csr root is named by CA Certificates only: it becomes a selfSigned Issuer.
    let text = bootstrap(&[&corpus(
        "certmanager-istio-csr-root-intermediate-chain.yaml",
    )]);
    let objs = objects(&text);
    assert_eq!(objs.len(), 1, "{text}");
    assert_eq!(objs[0]["kind"], "Issuer");
    assert_eq!(objs[0]["metadata"]["name"], "selfsigned");
    assert!(objs[0]["spec"]["selfSigned"].is_object());
}

#[test]
fn nothing_to_bootstrap() {
    for file in [
        "certmanager-docs-selfsigned-bootstrap-ca-clusterissuer.yaml",
        "webhook-kubebuilder-multiversion-install.yaml",
        "large-certmanager-v1.19.4-release-install.yaml",
    ] {
        let o = run(&["bootstrap", "--no-config", &corpus(file)]);
        assert_eq!(ok(&o), "", "{file}");
        assert!(
            stderr(&o).contains("nothing to bootstrap"),
            "{file}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn wrong_references_are_reported_not_papered_over() {
    let o = run(&[
        "bootstrap",
        "--no-config",
        "testdata/bootstrap/wrong-reference.yaml",
    ]);
    assert_eq!(ok(&o), "");
    let err = stderr(&o);
    assert!(
        err.contains("not addressed: CM002 Certificate shop/api"),
        "{err}"
    );
    assert!(
        err.contains("reference is wrong rather than the issuer missing"),
        "{err}"
    );
}

#[test]
fn conflicts_and_bad_flags_are_errors() {
    let dir = scratch("conflict");
    std::fs::write(
        dir.join("in.yaml"),
        "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: selfsigned-issuer}\nspec:\n  acme:\n    server: https://acme-v02.api.letsencrypt.org/directory\n    privateKeySecretRef: {name: acme}\n    solvers: [{http01: {ingress: {ingressClassName: nginx}}}]\n",
    )
    .unwrap();
    let o = run_in(
        &dir,
        &[
            "bootstrap",
            "--no-config",
            "in.yaml",
            "--ca-issuer-name",
            "my-ca-issuer",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    assert!(
        stderr(&o).contains("not a selfSigned issuer: choose another --selfsigned-name"),
        "{}",
        stderr(&o)
    );
    for args in [
        &["--ca-duration", "30m"][..],
        &["--ca-duration", "90d"],
        &["--ca-name", "Bad_Name"],
        &["--force"],
        &["--region", "us-east-1"],
        &["--out", "x", "--apply"],
    ] {
        let mut all = vec!["bootstrap", "--no-config", "in.yaml"];
        all.extend_from_slice(args);
        let o = run_in(&dir, &all);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert_eq!(stdout(&o), "", "{args:?}");
    }
    // Unreadable input: nothing is planned.
    std::fs::write(dir.join("broken.yaml"), "a: [\n").unwrap();
    let o = run_in(&dir, &["bootstrap", "--no-config", "broken.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
}

// ----- live cluster -----

/// The CRDs and controller of cert-manager's release manifest (the cluster resource namespace comes
/// from the controller's `--cluster-resource-namespace=$(POD_NAMESPACE)`).
fn cert_manager_install() -> Vec<serde_json::Value> {
    let text =
        std::fs::read_to_string(corpus("large-certmanager-v1.19.4-release-install.yaml")).unwrap();
    objects(&text)
        .into_iter()
        .filter(|o| {
            o["kind"] == "CustomResourceDefinition"
                || o["kind"] == "Namespace"
                || (o["kind"] == "Deployment" && o["metadata"]["name"] == "cert-manager")
        })
        .collect()
}

#[test]
fn from_cluster_plans_like_the_files() {
    let dir = scratch("from-cluster");
    let mut objs = cert_manager_install();
    objs.extend(objects(
        &std::fs::read_to_string(root().join("testdata/bootstrap/webhook-app.yaml")).unwrap(),
    ));
    let server = apiserver::TestApiServer::start(
        apiserver::ServerConfig::new(objs).with_implicit_namespaces(),
    );
    let kubeconfig = dir.join("kubeconfig");
    server.write_kubeconfig(&kubeconfig);
    let k = kubeconfig.display().to_string();
    let live = ok(&run_in(
        &dir,
        &[
            "bootstrap",
            "--no-config",
            "--from-cluster",
            "--kubeconfig",
            &k,
        ],
    ));
    let files = bootstrap(&[
        &corpus("large-certmanager-v1.19.4-release-install.yaml"),
        "testdata/bootstrap/webhook-app.yaml",
    ]);
    assert!(!live.is_empty());
    assert_eq!(objects(&live), objects(&files));
    // A cluster that cannot be read: exit 2, nothing planned.
    let o = run_in(
        &dir,
        &[
            "bootstrap",
            "--no-config",
            "--from-cluster",
            "--kubeconfig",
            &k,
            "--context",
            "bad-token",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
}

#[test]
fn apply_then_plan_again_from_the_cluster_emits_nothing() {
    let dir = scratch("apply");
    let mut objs = cert_manager_install();
    objs.extend(objects(
        &std::fs::read_to_string(root().join("testdata/bootstrap/webhook-app.yaml")).unwrap(),
    ));
    let server = apiserver::TestApiServer::start(
        apiserver::ServerConfig::new(objs).with_implicit_namespaces(),
    );
    server.set_fake_controller(apiserver::FakeController::new(
        std::time::Duration::from_millis(50),
    ));
    let kubeconfig = dir.join("kubeconfig");
    server.write_kubeconfig(&kubeconfig);
    let k = kubeconfig.display().to_string();
    let o = run_in(
        &dir,
        &[
            "bootstrap",
            "--no-config",
            "--from-cluster",
            "--kubeconfig",
            &k,
            "--apply",
            "--timeout",
            "30s",
        ],
    );
    assert_eq!(ok(&o), "", "--apply prints no YAML");
    let o = run_in(
        &dir,
        &[
            "bootstrap",
            "--no-config",
            "--from-cluster",
            "--kubeconfig",
            &k,
        ],
    );
    assert_eq!(ok(&o), "", "{}", stderr(&o));
    assert!(
        stderr(&o).contains("nothing to bootstrap"),
        "{}",
        stderr(&o)
    );
}
