//! The GitHub Actions workflow users copy (`docs/ci/github-actions.yml`): its lint and annotate steps
//! are run here as the runner would run them (`bash -e` in the checkout, the workflow's `env`), on a
//! copy of `examples/` with a mistake added, and what they leave behind is what the upload step and
//! GitHub expect: a SARIF 2.1.0 file at `sarif_file`, workflow-command annotations on stdout.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_kubectl-tlscheck");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn workflow() -> serde_json::Value {
    let text = std::fs::read_to_string(Path::new(ROOT).join("docs/ci/github-actions.yml")).unwrap();
    serde_saphyr::from_str(&text).expect("the workflow is YAML")
}

fn step<'a>(w: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    w["jobs"]["tlscheck"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no step `{name}`"))
}

/// Run a step's `run` script as the runner does (`bash -e {0}`), with the workflow's env and
/// the binary on PATH (the install step's job); returns (exit code, stdout).
fn run_step(w: &serde_json::Value, name: &str, checkout: &Path) -> (i32, String) {
    let script = step(w, name)["run"].as_str().unwrap();
    let path = format!(
        "{}:{}",
        Path::new(BIN).parent().unwrap().display(),
        std::env::var("PATH").unwrap()
    );
    let mut cmd = Command::new("bash");
    cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
        .current_dir(checkout)
        .env("PATH", path);
    for (k, v) in w["env"].as_object().unwrap() {
        cmd.env(k, v.as_str().unwrap());
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn workflow_publishes_sarif_and_annotations() {
    let w = workflow();
    assert_eq!(w["permissions"]["security-events"], "write");
    let upload = step(&w, "Upload to code scanning");
    assert!(
        upload["uses"]
            .as_str()
            .unwrap()
            .starts_with("github/codeql-action/upload-sarif@")
    );
    // Lint fails the job on findings; the findings must still be published.
    assert_eq!(upload["if"], "always()");
    assert!(
        step(&w, "Annotate the pull request")["if"]
            .as_str()
            .unwrap()
            .starts_with("always()")
    );

    let checkout = Path::new(env!("CARGO_TARGET_TMPDIR")).join("workflow-checkout");
    let _ = std::fs::remove_dir_all(&checkout);
    let manifests = w["env"]["MANIFESTS"].as_str().unwrap();
    copy_dir(&Path::new(ROOT).join("examples"), &checkout.join(manifests));
    std::fs::write(
        checkout.join(manifests).join("bad-ingress.yaml"),
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: bad\n  namespace: web\n  annotations:\n    alb.ingress.kubernetes.io/certificate-arn: arn:aws:acm:us-east-1:123:certificate/x\nspec:\n  ingressClassName: alb\n",
    )
    .unwrap();

    let (code, _) = run_step(&w, "Lint", &checkout);
    assert_eq!(code, 1, "an error fails the step");
    let sarif_file = upload["with"]["sarif_file"].as_str().unwrap();
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(checkout.join(sarif_file)).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let bad = results
        .iter()
        .find(|r| r["ruleId"] == "NS001")
        .expect("the NS001 error is in the SARIF file");
    let location = &bad["locations"][0]["physicalLocation"];
    // Code scanning resolves paths against the checkout: relative, as the workflow passed them.
    assert_eq!(
        location["artifactLocation"]["uri"],
        format!("{manifests}bad-ingress.yaml")
    );
    assert_eq!(location["region"]["startLine"], 7);

    let (code, annotations) = run_step(&w, "Annotate the pull request", &checkout);
    assert_eq!(code, 0, "annotations never fail the job twice");
    assert!(
        annotations
            .lines()
            .any(|l| l.starts_with(&format!("::error file={manifests}bad-ingress.yaml,line=7,"))),
        "{annotations}"
    );
}
