//! The Argo CD config-management plugin (`plugins/argocd/`), run the way Argo CD's cmp-server runs a
//! sidecar plugin (argo-cd `cmpserver/plugin/plugin.go`, `runCommand`): `generate.command[0]` with
//! the rest of `command` and `args` as arguments, the application's source directory as working
//! directory, and the sidecar's environment plus the application's variables (`ARGOCD_APP_*`,
//! `KUBE_VERSION`, `KUBE_API_VERSIONS`, `ARGOCD_ENV_*` from `plugin.env`, `PARAM_*` and
//! `ARGOCD_APP_PARAMETERS` from `plugin.parameters`; argo-cd `reposerver/repository/repository.go`).

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_kubectl-tlscheck");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn plugin() -> serde_json::Value {
    let text = std::fs::read_to_string(Path::new(ROOT).join("plugins/argocd/plugin.yaml")).unwrap();
    serde_saphyr::from_str(&text).expect("plugin.yaml is YAML")
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Run `generate` of plugin.yaml in `app` with the application variables and `extra` variables, and
/// `path_front` (directories) ahead of the binary's directory and the machine's PATH.
fn generate(app: &Path, extra: &[(&str, &str)], path_front: &[&Path]) -> Run {
    generate_with_path(app, extra, path_front, true)
}

fn generate_with_path(
    app: &Path,
    extra: &[(&str, &str)],
    path_front: &[&Path],
    machine_path: bool,
) -> Run {
    let spec = &plugin()["spec"]["generate"];
    let argv: Vec<String> = strings(&spec["command"])
        .into_iter()
        .chain(strings(&spec["args"]))
        .collect();
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = std::env::join_paths(
        path_front
            .iter()
            .map(|p| p.to_path_buf())
            .chain([bin_dir.to_path_buf()])
            .chain(
                std::env::split_paths(&std::env::var_os("PATH").unwrap()).filter(|_| machine_path),
            ),
    )
    .unwrap();
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .current_dir(app)
        .env_clear()
        .env("PATH", path)
        .env("HOME", std::env::temp_dir())
        .env("ARGOCD_APP_NAME", "shop-app")
        .env("ARGOCD_APP_NAMESPACE", "shop")
        .env("ARGOCD_APP_PROJECT_NAME", "default")
        .env(
            "ARGOCD_APP_REVISION",
            "0123456789abcdef0123456789abcdef01234567",
        )
        .env("ARGOCD_APP_REVISION_SHORT", "0123456")
        .env(
            "ARGOCD_APP_SOURCE_REPO_URL",
            "https://git.example.com/platform.git",
        )
        .env("ARGOCD_APP_SOURCE_PATH", "apps/shop")
        .env("ARGOCD_APP_SOURCE_TARGET_REVISION", "HEAD")
        .env("KUBE_VERSION", "1.33.0")
        .env("KUBE_API_VERSIONS", "v1,apps/v1")
        .env("ARGOCD_APP_PARAMETERS", "[]");
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {argv:?}: {e}"));
    Run {
        code: out.status.code().expect("exited"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn app(name: &str) -> PathBuf {
    Path::new(ROOT).join("testdata/argocd").join(name)
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn plugin_yaml_is_a_sidecar_plugin_that_apps_select_by_name() {
    let p = plugin();
    assert_eq!(p["apiVersion"], "argoproj.io/v1alpha1");
    assert_eq!(p["kind"], "ConfigManagementPlugin");
    assert_eq!(p["metadata"]["name"], "tlscheck");
    // Without `discover` the plugin never takes over applications that did not name it.
    assert!(p["spec"].get("discover").is_none());
    // The ComparisonError quotes the command line: it must stay short.
    let argv = [
        strings(&p["spec"]["generate"]["command"]),
        strings(&p["spec"]["generate"]["args"]),
    ]
    .concat();
    assert!(argv.join(" ").len() < 60, "{argv:?}");
    let names: Vec<&str> = p["spec"]["parameters"]["static"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "fail-on",
            "select",
            "ignore",
            "config",
            "render",
            "recurse",
            "helm-values"
        ]
    );
}

#[test]
fn passing_directory_app_yields_exactly_its_manifests() {
    let dir = app("directory");
    let run = generate(&dir, &[], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Files with objects, in name order, unchanged; notes.yaml (no object) and sub/ are left out.
    let expected = format!(
        "{}---\n{}",
        read(dir.join("ingress.yaml")),
        read(dir.join("service.yaml"))
    );
    assert_eq!(run.stdout, expected);
    assert_eq!(run.stderr, "kubectl-tlscheck: 2 warnings in 3 objects\n");
}

#[test]
fn failing_kustomize_app_fails_with_a_short_secret_free_summary() {
    let run = generate(&app("kustomize"), &[], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stdout, "", "nothing for Argo CD to apply");
    // kustomize ran: the overlay's namespace is on the object.
    assert!(
        run.stderr.contains(
            "error[NS001] Ingress payments-prod/payments (kubectl kustomize:16): \
             `arn:aws:acm:us-east-1:123456789012:certificate/CHANGEME` is an unrendered placeholder"
        ) || run
            .stderr
            .contains("error[NS001] Ingress payments-prod/payments (kustomize build:"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.lines().count() <= 3, "{}", run.stderr);
    for secret in [
        "c3VwZXItc2VjcmV0LXBhc3N3b3Jk",
        "super-secret-password",
        "plain-text-token-value",
    ] {
        assert!(!run.stderr.contains(secret), "{}", run.stderr);
    }
}

#[test]
fn ignored_rule_lets_the_rendered_stream_through_unchanged() {
    let dir = app("kustomize");
    let run = generate(&dir, &[("PARAM_IGNORE_0", "NS001")], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let kustomize = Command::new("kubectl")
        .args(["kustomize", "."])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(run.stdout, String::from_utf8(kustomize.stdout).unwrap());
}

#[test]
fn parameters_and_plugin_env_set_the_options() {
    let dir = app("directory");
    // A parameter (PARAM_<NAME>) and the application's plugin env (ARGOCD_ENV_TLSCHECK_<NAME>).
    for var in ["PARAM_FAIL_ON", "ARGOCD_ENV_TLSCHECK_FAIL_ON"] {
        let run = generate(&dir, &[(var, "warning")], &[]);
        assert_eq!(run.code, 1, "{var}: {}", run.stderr);
        assert!(
            run.stderr.contains("warning[CM002] Ingress shop/shop"),
            "{}",
            run.stderr
        );
        assert_eq!(run.stdout, "");
    }
    // The parameter wins over the env.
    let run = generate(
        &dir,
        &[
            ("PARAM_FAIL_ON", "error"),
            ("ARGOCD_ENV_TLSCHECK_FAIL_ON", "warning"),
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // An array parameter selects rules: only EW001 runs.
    let run = generate(
        &dir,
        &[("PARAM_SELECT_0", "EW001"), ("PARAM_FAIL_ON", "warning")],
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("warning[EW001]"), "{}", run.stderr);
    assert!(!run.stderr.contains("CM002"), "{}", run.stderr);
    // recurse reads sub/, which holds an error.
    let run = generate(&dir, &[("PARAM_RECURSE", "true")], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("error[NS001] Service shop/legacy (sub/broken.yaml:10)"),
        "{}",
        run.stderr
    );
    // A wrong value is a clear error, not a silent default.
    let run = generate(&dir, &[("PARAM_FAIL_ON", "sometimes")], &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("fail-on `sometimes`"), "{}", run.stderr);
}

#[test]
fn helm_chart_is_rendered_with_the_application_settings() {
    // The real helm cannot be installed on the CI machine (no registry carries it): a stand-in on
    // PATH records its arguments and prints what `helm template` prints for this chart.
    let tmp = tempdir("helm");
    let record = tmp.join("args");
    let rendered = "---\n# Source: shop/templates/service.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: shop-app\n  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-ssl-cert: arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\nspec:\n  type: LoadBalancer\n  ports:\n    - {name: https, port: 443, targetPort: 8443}\n";
    std::fs::write(tmp.join("rendered.yaml"), rendered).unwrap();
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > {}\ncat {}\n",
        record.display(),
        tmp.join("rendered.yaml").display()
    );
    write_executable(&tmp.join("helm"), &script);
    let run = generate(
        &app("helm"),
        &[("PARAM_HELM_VALUES_0", "values.yaml")],
        &[&tmp],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, rendered);
    assert_eq!(
        read(record).lines().collect::<Vec<_>>(),
        [
            "template",
            "shop-app",
            ".",
            "--include-crds",
            "--namespace",
            "shop",
            "--kube-version",
            "1.33.0",
            "--api-versions",
            "v1",
            "--api-versions",
            "apps/v1",
            "--values",
            "values.yaml"
        ]
    );
    // No helm at all: the error says what the image lacks. PATH holds only sh and the binary.
    let bare = tempdir("no-helm");
    std::os::unix::fs::symlink(which("sh"), bare.join("sh")).unwrap();
    let run = generate_with_path(&app("helm"), &[], &[&bare], false);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("`helm` is not on PATH"),
        "{}",
        run.stderr
    );
}

#[test]
fn renderer_failure_is_reported_with_its_message() {
    let tmp = tempdir("broken-kustomize");
    std::fs::write(
        tmp.join("kustomization.yaml"),
        "resources:\n  - missing.yaml\n",
    )
    .unwrap();
    let run = generate(&tmp, &[], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("kustomize"), "{}", run.stderr);
    assert!(run.stderr.contains("missing.yaml"), "{}", run.stderr);
}

/// The sidecar: the kustomize component patches a stand-in `argocd-repo-server` (with the volumes of
/// Argo CD's install.yaml that the sidecar mounts) and ships plugin.yaml in a ConfigMap.
#[test]
fn sidecar_component_patches_the_repo_server() {
    let tmp = tempdir("argocd-install");
    std::fs::write(
        tmp.join("repo-server.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: argocd-repo-server\nspec:\n  selector:\n    matchLabels: {app.kubernetes.io/name: argocd-repo-server}\n  template:\n    metadata:\n      labels: {app.kubernetes.io/name: argocd-repo-server}\n    spec:\n      containers:\n        - name: argocd-repo-server\n          image: quay.io/argoproj/argocd:v3.2.0\n      volumes:\n        - {name: var-files, emptyDir: {}}\n        - {name: plugins, emptyDir: {}}\n",
    )
    .unwrap();
    std::fs::write(
        tmp.join("kustomization.yaml"),
        format!(
            "namespace: argocd\nresources: [repo-server.yaml]\ncomponents: [{}]\n",
            relative(&tmp, &Path::new(ROOT).join("plugins/argocd")).display()
        ),
    )
    .unwrap();
    let out = Command::new("kubectl")
        .args(["kustomize", "."])
        .current_dir(&tmp)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let docs: Vec<serde_json::Value> = text
        .split("\n---\n")
        .map(|d| serde_saphyr::from_str(d).unwrap())
        .collect();
    let cm = docs.iter().find(|d| d["kind"] == "ConfigMap").unwrap();
    assert_eq!(cm["metadata"]["name"], "argocd-tlscheck-plugin");
    assert_eq!(
        cm["data"]["plugin.yaml"].as_str().unwrap(),
        read(Path::new(ROOT).join("plugins/argocd/plugin.yaml"))
    );
    let pod = &docs.iter().find(|d| d["kind"] == "Deployment").unwrap()["spec"]["template"]["spec"];
    let volumes: Vec<&str> = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    let containers = pod["containers"].as_array().unwrap();
    assert_eq!(containers.len(), 2, "the repo-server and the sidecar");
    let sidecar = containers.iter().find(|c| c["name"] == "tlscheck").unwrap();
    assert_eq!(sidecar["command"][0], "/var/run/argocd/argocd-cmp-server");
    assert_eq!(sidecar["securityContext"]["runAsUser"], 999);
    let init = &pod["initContainers"][0];
    for c in [sidecar, init] {
        for m in c["volumeMounts"].as_array().unwrap() {
            let name = m["name"].as_str().unwrap();
            assert!(
                volumes.contains(&name),
                "{name} is not a volume: {volumes:?}"
            );
        }
    }
    let mounts: Vec<&str> = sidecar["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["mountPath"].as_str().unwrap())
        .collect();
    for path in [
        "/var/run/argocd",
        "/home/argocd/cmp-server/plugins",
        "/home/argocd/cmp-server/config/plugin.yaml",
        "/usr/local/bin/kubectl-tlscheck",
    ] {
        assert!(mounts.contains(&path), "{path} missing: {mounts:?}");
    }
}

/// `to` relative to `from` (both absolute): kustomize refuses absolute component paths.
fn relative(from: &Path, to: &Path) -> PathBuf {
    let mut rel = PathBuf::new();
    for _ in from.components().skip(1) {
        rel.push("..");
    }
    rel.join(to.strip_prefix("/").unwrap())
}

fn which(program: &str) -> PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap())
        .map(|d| d.join(program))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{program} is not on PATH"))
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlscheck-argocd-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_executable(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The sidecar's init container and the CI workflow pin the same release archive as the krew
/// manifest; `scripts/release.sh --update-manifest` rewrites all three together.
#[test]
fn release_pins_agree_and_the_release_script_rewrites_them() {
    fn pins(root: &Path) -> (String, String, String, String) {
        let krew: serde_json::Value =
            serde_saphyr::from_str(&read(root.join("krew/tlscheck.yaml"))).unwrap();
        let linux = krew["spec"]["platforms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| {
                p["selector"]["matchLabels"]["os"] == "linux"
                    && p["selector"]["matchLabels"]["arch"] == "amd64"
            })
            .expect("a linux/amd64 platform")
            .clone();
        let patch: serde_json::Value =
            serde_saphyr::from_str(&read(root.join("plugins/argocd/repo-server-patch.yaml")))
                .unwrap();
        let env = |name: &str| {
            patch["spec"]["template"]["spec"]["initContainers"][0]["env"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["name"] == name)
                .unwrap()["value"]
                .as_str()
                .unwrap()
                .to_string()
        };
        assert_eq!(env("TLSCHECK_URL"), linux["uri"].as_str().unwrap());
        assert_eq!(env("TLSCHECK_SHA256"), linux["sha256"].as_str().unwrap());
        let workflow: serde_json::Value =
            serde_saphyr::from_str(&read(root.join("docs/ci/github-actions.yml"))).unwrap();
        assert_eq!(workflow["env"]["TLSCHECK_VERSION"], krew["spec"]["version"]);
        (
            env("TLSCHECK_URL"),
            env("TLSCHECK_SHA256"),
            workflow["env"]["TLSCHECK_VERSION"]
                .as_str()
                .unwrap()
                .to_string(),
            krew["spec"]["version"].as_str().unwrap().to_string(),
        )
    }
    let committed = pins(Path::new(ROOT));

    // A copy of the files the script reads and writes, with the pins changed: the script restores
    // agreement from the archive it builds.
    let copy = tempdir("release");
    for f in [
        "Cargo.toml",
        "LICENSE",
        "scripts/release.sh",
        "krew/tlscheck.yaml",
        "plugins/argocd/repo-server-patch.yaml",
        "docs/ci/github-actions.yml",
    ] {
        std::fs::create_dir_all(copy.join(f).parent().unwrap()).unwrap();
        std::fs::copy(Path::new(ROOT).join(f), copy.join(f)).unwrap();
    }
    let patch = copy.join("plugins/argocd/repo-server-patch.yaml");
    std::fs::write(
        &patch,
        read(patch.clone()).replace(&committed.1, &"0".repeat(64)),
    )
    .unwrap();
    let workflow = copy.join("docs/ci/github-actions.yml");
    std::fs::write(
        &workflow,
        read(workflow.clone()).replace(&committed.2, "v0.0.1"),
    )
    .unwrap();
    let out = Command::new("bash")
        .arg(copy.join("scripts/release.sh"))
        .args(["--binary", BIN, "--out"])
        .arg(copy.join("dist"))
        .arg("--update-manifest")
        .env("SOURCE_DATE_EPOCH", "1764115200")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rewritten = pins(&copy);
    assert_ne!(rewritten.1, "0".repeat(64));
    assert_eq!(
        rewritten.2, committed.3,
        "the workflow installs the manifest's version"
    );
}
