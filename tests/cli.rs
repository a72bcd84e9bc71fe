//! End-to-end tests of the binary: inputs (paths, `-f`, stdin), exit codes, output formats, hostile
//! input, configuration discovery, user policies, suppressions, and kubectl plugin discovery.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_kubectl-tlscheck");

fn run(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    {
        let mut pipe = child.stdin.take().unwrap();
        if let Some(data) = stdin {
            pipe.write_all(data).unwrap();
        }
    }
    child.wait_with_output().unwrap()
}

/// Rule IDs of the findings of a JSON report, in order.
fn rules_of(v: &serde_json::Value) -> Vec<&str> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

/// A fresh directory under the target dir (kept out of /tmp so paths are stable per test name).
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const BAD_INGRESS: &str = "apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  namespace: web
  annotations:
    alb.ingress.kubernetes.io/certificate-arn: arn:aws:acm:us-west-2:123:certificate/abc
spec:
  ingressClassName: alb
  rules: [{host: shop.example.com}]
";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn stdin_and_dash_f_and_positions() {
    let dir = scratch("stdin");
    std::fs::write(dir.join("ing.yaml"), BAD_INGRESS).unwrap();
    let o = run(
        &dir,
        &["lint", "-", "-o", "json"],
        Some(BAD_INGRESS.as_bytes()),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let v = json(&o);
    assert_eq!(v["findings"][0]["location"]["file"], "-");
    assert_eq!(v["findings"][0]["location"]["line"], 7);
    assert_eq!(v["findings"][0]["location"]["column"], 48);
    assert_eq!(
        v["findings"][0]["location"]["pointer"],
        "/metadata/annotations/alb.ingress.kubernetes.io~1certificate-arn"
    );
    assert_eq!(v["findings"][0]["object"]["namespace"], "web");
    let o = run(&dir, &["lint", "-f", "ing.yaml", "-o", "json"], None);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(json(&o)["findings"][0]["location"]["file"], "ing.yaml");
    // The human report shows the snippet from stdin too.
    let o = run(
        &dir,
        &["lint", "-", "--color", "never"],
        Some(BAD_INGRESS.as_bytes()),
    );
    let text = stdout(&o);
    assert!(
        text.contains("--> -:7:48") && text.contains("certificate-arn: arn:aws:acm"),
        "{text}"
    );
}

#[test]
fn exit_codes_follow_fail_on() {
    let dir = scratch("exit-codes");
    std::fs::write(dir.join("ing.yaml"), BAD_INGRESS).unwrap();
    let clean = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\n";
    std::fs::write(dir.join("clean.yaml"), clean).unwrap();
    assert_eq!(
        run(&dir, &["lint", "clean.yaml"], None).status.code(),
        Some(0)
    );
    assert_eq!(
        run(&dir, &["lint", "ing.yaml"], None).status.code(),
        Some(1)
    );
    assert_eq!(
        run(&dir, &["lint", "ing.yaml", "--fail-on", "never"], None)
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        run(&dir, &["lint", "ing.yaml", "--ignore", "NS001"], None)
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        run(&dir, &["lint", "ing.yaml", "--select", "EW"], None)
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        run(&dir, &["lint", "missing.yaml"], None).status.code(),
        Some(2)
    );
    assert_eq!(
        run(&dir, &["lint", "--output", "yaml"], None).status.code(),
        Some(2),
        "usage error"
    );
    // Input errors win over findings.
    std::fs::write(dir.join("broken.yaml"), "a: [1\n").unwrap();
    assert_eq!(run(&dir, &["lint", "."], None).status.code(), Some(2));
}

#[test]
fn hostile_input_is_reported_and_the_rest_still_linted() {
    let dir = scratch("hostile");
    let h = dir.join("in");
    std::fs::create_dir_all(&h).unwrap();
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (i, name) in "bcdefghij".chars().enumerate() {
        let prev = "abcdefghij".chars().nth(i).unwrap();
        bomb.push_str(&format!(
            "{name}: &{name} [{}]\n",
            vec![format!("*{prev}"); 9].join(",")
        ));
    }
    std::fs::write(h.join("alias-bomb.yaml"), bomb).unwrap();
    std::fs::write(
        h.join("deep.yaml"),
        format!("{}{}", "[".repeat(200_000), "]".repeat(200_000)),
    )
    .unwrap();
    std::fs::write(h.join("deep-block.yaml"), "- ".repeat(100_000)).unwrap();
    let random: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(h.join("random.yaml"), random).unwrap();
    std::fs::write(
        h.join("unclosed.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n",
    )
    .unwrap();
    std::fs::write(
        h.join("dup.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  name: b\n",
    )
    .unwrap();
    std::fs::write(
        h.join("latin1.yaml"),
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caf\xe9}\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("nowhere.yaml", h.join("dangling.yaml")).unwrap();
    std::os::unix::fs::symlink("loop-b.yaml", h.join("loop-a.yaml")).unwrap();
    std::os::unix::fs::symlink("loop-a.yaml", h.join("loop-b.yaml")).unwrap();
    std::fs::create_dir_all(h.join("sub")).unwrap();
    std::os::unix::fs::symlink("..", h.join("sub/up")).unwrap();
    std::fs::write(h.join("sub/good.yaml"), BAD_INGRESS).unwrap();
    // /proc/self/mem cannot be read from offset 0, even by root: a real unreadable file. (Time is
    // bounded by the parser's budgets, which count nodes, depth and bytes; the benchmarks measure
    // speed.)
    let o = run(&dir, &["lint", "in", "/proc/self/mem", "-o", "json"], None);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = json(&o);
    let errors: Vec<(String, String)> = v["inputErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["file"].as_str().unwrap().to_string(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let has = |file: &str, text: &str| {
        errors
            .iter()
            .any(|(f, m)| f.ends_with(file) && m.contains(text))
    };
    assert!(has("alias-bomb.yaml", "alias bomb"), "{errors:#?}");
    assert!(has("deep.yaml", "nesting"), "{errors:#?}");
    assert!(has("deep-block.yaml", "nesting"), "{errors:#?}");
    assert!(has("random.yaml", ""), "{errors:#?}");
    assert!(has("unclosed.yaml", "cannot parse YAML"), "{errors:#?}");
    assert!(
        has("dup.yaml", "duplicate mapping key `name`"),
        "{errors:#?}"
    );
    assert!(has("latin1.yaml", "UTF-8"), "{errors:#?}");
    assert!(has("dangling.yaml", "no such file"), "{errors:#?}");
    assert!(has("loop-a.yaml", "symbolic link loop"), "{errors:#?}");
    assert!(has("up", "symbolic link loop"), "{errors:#?}");
    assert!(has("/proc/self/mem", "cannot read"), "{errors:#?}");
    // Positions where the problem has one.
    let dup = v["inputErrors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["file"].as_str().unwrap().ends_with("dup.yaml"))
        .unwrap();
    assert_eq!(
        (dup["line"].as_u64(), dup["column"].as_u64()),
        (Some(5), Some(3))
    );
    // The good file is still linted.
    assert_eq!(v["findings"][0]["rule"], "NS001");
    assert_eq!(v["findings"][0]["location"]["file"], "in/sub/good.yaml");
    let no_proc: Vec<_> = v["inputErrors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["file"] != "/proc/self/mem")
        .cloned()
        .collect();
    insta::with_settings!({snapshot_path => "../snapshots", omit_expression => true}, {
        insta::assert_snapshot!("hostile-input-errors", serde_json::to_string_pretty(&no_proc).unwrap());
    });
}

#[test]
fn output_formats() {
    let dir = scratch("formats");
    std::fs::write(dir.join("ing.yaml"), BAD_INGRESS).unwrap();
    std::fs::write(dir.join("broken.yaml"), "a: [1\n").unwrap();
    let v = json(&run(&dir, &["lint", ".", "-o", "sarif"], None));
    assert_eq!(v["version"], "2.1.0");
    let run0 = &v["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "kubectl-tlscheck");
    let result = &run0["results"][0];
    assert_eq!(result["ruleId"], "NS001");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "ing.yaml"
    );
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        7
    );
    let index = result["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(run0["tool"]["driver"]["rules"][index]["id"], "NS001");
    assert!(
        run0["tool"]["driver"]["rules"][index]["help"]["text"]
            .as_str()
            .unwrap()
            .contains("arn:")
    );
    assert_eq!(run0["invocations"][0]["executionSuccessful"], false);
    let gh = stdout(&run(&dir, &["lint", ".", "-o", "github"], None));
    assert!(
        gh.contains("::error file=ing.yaml,line=7,col=48,title=NS001 lb-cert-arn-invalid::"),
        "{gh}"
    );
    assert!(
        gh.contains("::error file=broken.yaml,line=2,col=1,title=input error::"),
        "{gh}"
    );
    let colored = stdout(&run(&dir, &["lint", "ing.yaml", "--color", "always"], None));
    assert!(
        colored.contains("\x1b["),
        "ANSI colours with --color always"
    );
    let plain = stdout(&run(&dir, &["lint", "ing.yaml"], None));
    assert!(
        !plain.contains("\x1b["),
        "no colours when stdout is not a terminal"
    );
}

#[test]
fn broken_pipe_is_not_an_error() {
    let dir = scratch("pipe");
    let mut big = String::new();
    for i in 0..300 {
        big.push_str(&BAD_INGRESS.replace("name: shop", &format!("name: shop{i}")));
        big.push_str("---\n");
    }
    std::fs::write(dir.join("many.yaml"), big).unwrap();
    let mut child = Command::new(BIN)
        .current_dir(&dir)
        .args(["lint", "many.yaml", "--fail-on", "never"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn config_is_discovered_by_walking_up() {
    let dir = scratch("config");
    std::fs::create_dir_all(dir.join("apps/shop")).unwrap();
    std::fs::create_dir_all(dir.join("vendor")).unwrap();
    std::fs::write(dir.join("apps/shop/ing.yaml"), BAD_INGRESS).unwrap();
    std::fs::write(dir.join("vendor/ing.yaml"), BAD_INGRESS).unwrap();
    std::fs::write(
        dir.join(".tlscheck.yaml"),
        "severity: {NS001: warning}\nexclude: [vendor/]\n",
    )
    .unwrap();
    let o = run(&dir.join("apps"), &["lint", "shop", "-o", "json"], None);
    assert_eq!(o.status.code(), Some(0), "re-graded to warning");
    assert_eq!(json(&o)["findings"][0]["severity"], "warning");
    let o = run(
        &dir,
        &["lint", ".", "-o", "json", "--fail-on", "warning"],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(json(&o)["summary"]["files"], 1, "vendor/ is excluded");
    let o = run(&dir, &["lint", ".", "--no-config"], None);
    assert_eq!(o.status.code(), Some(1));
    std::fs::write(dir.join(".tlscheck.yaml"), "selct: [NS]\n").unwrap();
    let o = run(&dir, &["lint", "."], None);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("selct") && err.contains(".tlscheck.yaml"),
        "{err}"
    );
}

#[test]
fn user_policies() {
    let dir = scratch("policies");
    std::fs::create_dir_all(dir.join("policies")).unwrap();
    std::fs::write(
        dir.join("policies/owner.yaml"),
        "id: ACME001\nname: ingress-needs-owner\nseverity: warning\ncategory: custom\nsummary: Ingresses name their owner.\nremediation: Add team.acme.io/owner.\nscope: {kinds: [Ingress], namespaces: ['^web$']}\ntemplate: required-annotation\nparams: {key: '^team\\.acme\\.io/owner$'}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("policies/policy.yaml"),
        "id: ACME002\nname: tls13-only\nseverity: error\ncategory: custom\nsummary: TLS 1.3 policies.\nremediation: Use a TLS13 policy.\nmessage: 'ssl-policy {value} is not TLS 1.3'\nscope:\n  kinds: [networking.k8s.io/Ingress]\n  labelSelector: {matchExpressions: [{key: tier, operator: In, values: [edge]}]}\ntemplate: field-value\nparams: {path: /metadata/annotations/alb.ingress.kubernetes.io~1ssl-policy, pattern: '^ELBSecurityPolicy-TLS13-', required: true}\n",
    )
    .unwrap();
    let ing = BAD_INGRESS
        .replace(
            "  namespace: web\n",
            "  namespace: web\n  labels: {tier: edge}\n",
        )
        .replace(
            "  annotations:\n",
            "  annotations:\n    alb.ingress.kubernetes.io/ssl-policy: ELBSecurityPolicy-2016-08\n",
        );
    std::fs::write(dir.join("ing.yaml"), ing).unwrap();
    let o = run(
        &dir,
        &[
            "lint", "ing.yaml", "--policy", "policies", "--select", "ACME", "-o", "json",
        ],
        None,
    );
    let v = json(&o);
    let rules = rules_of(&v);
    assert_eq!(rules, vec!["ACME001", "ACME002"], "{v:#}");
    assert_eq!(
        v["findings"][1]["message"],
        "ssl-policy ELBSecurityPolicy-2016-08 is not TLS 1.3"
    );
    assert_eq!(v["findings"][1]["location"]["line"], 8);
    assert_eq!(o.status.code(), Some(1));
    // An invalid policy is an input error at its line; valid policies still run.
    std::fs::write(dir.join("policies/bad.yaml"), "id: ACME003\nname: bad\nseverity: warning\ncategory: c\nsummary: s\nremediation: r\nscope: {kinds: [Ingress]}\ntemplate: required-annotation\nparams: {key: '(unclosed'}\n").unwrap();
    let o = run(
        &dir,
        &["lint", "ing.yaml", "--policy", "policies", "-o", "json"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    let v = json(&o);
    assert_eq!(v["inputErrors"][0]["file"], "policies/bad.yaml");
    assert_eq!(v["inputErrors"][0]["line"], 9);
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "ACME001")
    );
}

fn lint_suppressed(dir: &Path, file: &str) -> Output {
    run(
        dir,
        &["lint", file, "--select", "NS001,SUP", "-o", "json"],
        None,
    )
}

#[test]
fn suppressions() {
    let dir = scratch("suppress");
    let with = |value: &str| {
        BAD_INGRESS.replace(
            "  annotations:\n",
            &format!("  annotations:\n    ignore.tlscheck.io/NS001: \"{value}\"\n"),
        )
    };
    std::fs::write(
        dir.join("ok.yaml"),
        with("until 2999-01-01: ARN rotates next sprint"),
    )
    .unwrap();
    std::fs::write(
        dir.join("expired.yaml"),
        with("until 2020-01-01: temporary"),
    )
    .unwrap();
    std::fs::write(dir.join("noreason.yaml"), with("")).unwrap();
    let o = lint_suppressed(&dir, "ok.yaml");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(json(&o)["summary"]["suppressed"], 1);
    let v = json(&lint_suppressed(&dir, "expired.yaml"));
    assert_eq!(rules_of(&v), vec!["SUP002", "NS001"]);
    let v = json(&lint_suppressed(&dir, "noreason.yaml"));
    assert_eq!(rules_of(&v), vec!["SUP001", "NS001"]);
}

#[test]
fn rules_and_explain() {
    let dir = root();
    let o = run(&dir, &["rules", "-o", "json"], None);
    assert_eq!(o.status.code(), Some(0));
    let ids: Vec<String> = json(&o)
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    for id in ["NS001", "NS009", "EW001"] {
        assert!(ids.contains(&id.to_string()));
    }
    let o = run(&dir, &["explain", "NS006"], None);
    assert_eq!(o.status.code(), Some(0));
    insta::with_settings!({snapshot_path => "../snapshots", omit_expression => true}, {
        insta::assert_snapshot!("explain-NS006", stdout(&o));
    });
    assert_eq!(
        run(&dir, &["explain", "lb-cert-arn-invalid"], None)
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        run(&dir, &["explain", "NOPE1"], None).status.code(),
        Some(2)
    );
}

#[test]
fn kubectl_discovers_the_plugin() {
    let Ok(out) = Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
    else {
        panic!("kubectl is part of the machine image (DESIGN.md); install it to run this test");
    };
    assert!(out.status.success());
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let list = Command::new("kubectl")
        .args(["plugin", "list"])
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&list.stdout).contains("kubectl-tlscheck"));
    let o = Command::new("kubectl")
        .args(["tlscheck", "explain", "NS001"])
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(
        o.status.success()
            && String::from_utf8_lossy(&o.stdout).starts_with("NS001 lb-cert-arn-invalid")
    );
}

#[test]
fn json_lists_and_non_kubernetes_documents() {
    let dir = scratch("lists");
    let list = r#"{
  "apiVersion": "v1",
  "kind": "List",
  "items": [
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}},
    {
      "apiVersion": "networking.k8s.io/v1",
      "kind": "Ingress",
      "metadata": {
        "name": "shop",
        "annotations": {"alb.ingress.kubernetes.io/certificate-arn": "arn:aws:acm:us-west-2:123:certificate/abc"}
      },
      "spec": {"ingressClassName": "alb"}
    }
  ]
}
"#;
    std::fs::write(dir.join("list.json"), list).unwrap();
    std::fs::write(
        dir.join("kustomization.yaml"),
        "resources: [list.json]\n# comment only below\n---\n# nothing\n",
    )
    .unwrap();
    let o = run(
        &dir,
        &["lint", ".", "--select", "NS001", "-o", "json"],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let v = json(&o);
    assert_eq!(v["summary"]["files"], 2);
    assert_eq!(
        v["summary"]["objects"], 2,
        "List items count; the kustomization is not an object"
    );
    let f = &v["findings"][0];
    assert_eq!(f["location"]["file"], "list.json");
    assert_eq!(
        f["location"]["pointer"],
        "/items/1/metadata/annotations/alb.ingress.kubernetes.io~1certificate-arn"
    );
    assert_eq!(
        (
            f["location"]["line"].as_u64(),
            f["location"]["column"].as_u64()
        ),
        (Some(11), Some(70))
    );
    assert!(v["inputErrors"].as_array().unwrap().is_empty());
}

const TYPO_CERTIFICATE: &str = "apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: shop-tls
  namespace: web
spec:
  secretName: shop-tls
  dnsName:
    - shop.example.com
  issuerRef:
    name: letsencrypt
    kind: ClusterIssuer
";

const WIDGET_CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer}
";

#[test]
fn crd_flag_validates_custom_resources_against_crds_given_apart() {
    let dir = scratch("crd-flag");
    std::fs::create_dir_all(dir.join("crds")).unwrap();
    std::fs::copy(
        root().join("testdata/rules/SCHEMA001/crds/certificates.cert-manager.io.yaml"),
        dir.join("crds/certificates.yaml"),
    )
    .unwrap();
    std::fs::write(dir.join("crds/widgets.yaml"), WIDGET_CRD).unwrap();
    std::fs::write(dir.join("cert.yaml"), TYPO_CERTIFICATE).unwrap();
    let widget =
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: big}\n";
    std::fs::write(dir.join("widget.yaml"), widget).unwrap();

    // Without a CRD the Certificate is not validated.
    let o = run(&dir, &["lint", "cert.yaml", "--select", "SCHEMA001"], None);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));

    // A CRD file: the typo is reported at its line, with a suggestion; the CRD is not linted.
    let args = [
        "lint",
        "cert.yaml",
        "--crd",
        "crds/certificates.yaml",
        "--select",
        "SCHEMA001",
        "-o",
        "json",
    ];
    let o = run(&dir, &args, None);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let v = json(&o);
    assert_eq!(rules_of(&v), ["SCHEMA001"]);
    let f = &v["findings"][0];
    assert_eq!(f["location"]["file"], "cert.yaml");
    assert_eq!(f["location"]["pointer"], "/spec/dnsName");
    assert_eq!(f["location"]["line"], 8);
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `spec.dnsName`")
    );
    assert_eq!(f["help"], "did you mean `dnsNames`?");
    assert_eq!(v["summary"]["files"], 1, "CRDs given apart are not inputs");
    assert_eq!(v["summary"]["objects"], 1);

    // A directory of CRDs; a kind no rule lists is kept because a CRD given apart defines it.
    let o = run(
        &dir,
        &[
            "lint",
            "cert.yaml",
            "widget.yaml",
            "--crd",
            "crds",
            "-o",
            "json",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let v = json(&o);
    let schema: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "SCHEMA001")
        .collect();
    assert_eq!(schema.len(), 2, "{v}");
    assert_eq!(schema[1]["location"]["file"], "widget.yaml");
    assert_eq!(schema[1]["location"]["pointer"], "/spec/size");

    // The config's `crds:` is relative to the config file.
    std::fs::create_dir_all(dir.join("apps")).unwrap();
    std::fs::copy(dir.join("cert.yaml"), dir.join("apps/cert.yaml")).unwrap();
    std::fs::write(
        dir.join(".tlscheck.yaml"),
        "crds: [crds/certificates.yaml]\n",
    )
    .unwrap();
    let o = run(
        &dir.join("apps"),
        &["lint", "cert.yaml", "--select", "SCHEMA001"],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("did you mean `dnsNames`?"),
        "{}",
        stdout(&o)
    );
    std::fs::remove_file(dir.join(".tlscheck.yaml")).unwrap();

    // CRD paths that cannot be read are input errors (exit 2), like any input.
    let o = run(
        &dir,
        &["lint", "cert.yaml", "--crd", "missing.yaml", "-o", "json"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    let v = json(&o);
    assert_eq!(v["inputErrors"][0]["file"], "missing.yaml", "{v}");
    std::fs::write(dir.join("crds/broken.yaml"), "a: [1\n").unwrap();
    let o = run(&dir, &["lint", "cert.yaml", "--crd", "crds"], None);
    assert_eq!(o.status.code(), Some(2));
    std::fs::remove_file(dir.join("crds/broken.yaml")).unwrap();
    // Stdin is not a CRD source.
    let o = run(&dir, &["lint", "cert.yaml", "--crd", "-"], None);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn warn_days_and_cluster_resource_namespace_are_accepted() {
    let dir = scratch("settings-flags");
    let clean = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\n";
    std::fs::write(dir.join("clean.yaml"), clean).unwrap();
    let o = run(
        &dir,
        &[
            "lint",
            "clean.yaml",
            "--warn-days",
            "10",
            "--cluster-resource-namespace",
            "platform",
        ],
        None,
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = run(&dir, &["lint", "clean.yaml", "--warn-days", "soon"], None);
    assert_eq!(o.status.code(), Some(2), "usage error");
    let o = run(
        &dir,
        &["lint", "clean.yaml", "--cluster-resource-namespace", ""],
        None,
    );
    assert_eq!(o.status.code(), Some(2), "usage error");
    let o = run(&dir, &["lint", "--help"], None);
    let help = stdout(&o);
    assert!(
        help.contains("--warn-days <N>")
            && help.contains("--cluster-resource-namespace <NS>")
            && help.contains("--crd <PATH>"),
        "{help}"
    );
}

#[test]
fn exempt_fingerprints_from_flag_and_config() {
    let dir = scratch("fingerprints");
    let fixture = root().join("testdata/rules/WH002/fire-no-ca-source.yaml");
    std::fs::copy(&fixture, dir.join("hook.yaml")).unwrap();
    let lint = |extra: &[&str]| {
        let mut args = vec!["lint", "hook.yaml", "--select", "WH002", "-o", "json"];
        args.extend_from_slice(extra);
        run(&dir, &args, None)
    };
    let o = lint(&[]);
    assert_eq!(o.status.code(), Some(1), "no fingerprint: error");
    std::fs::write(
        dir.join("ours.yaml"),
        "- id: demo-cert-rotator\n  summary: our operator rotates its own webhook certificate\n  when:\n    - name: ^demo-\n",
    )
    .unwrap();
    let o = lint(&["--exempt-fingerprint", "ours.yaml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let v = json(&o);
    assert_eq!(v["findings"][0]["severity"], "info");
    assert!(
        v["findings"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("recognised demo-cert-rotator: our operator"),
        "{v}"
    );
    // The same file from the configuration.
    std::fs::write(dir.join(".tlscheck.yaml"), "fingerprints: [ours.yaml]\n").unwrap();
    assert_eq!(lint(&[]).status.code(), Some(0));
    std::fs::remove_file(dir.join(".tlscheck.yaml")).unwrap();
    // A broken file is an input error (exit 2) that names it; the lint still runs.
    std::fs::write(
        dir.join("bad.yaml"),
        "- id: x\n  summary: y\n  when:\n    - nmae: z\n",
    )
    .unwrap();
    let o = lint(&["--exempt-fingerprint", "bad.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    let v = json(&o);
    assert!(
        v["inputErrors"][0]["file"]
            .as_str()
            .unwrap()
            .ends_with("bad.yaml"),
        "{v}"
    );
    assert_eq!(rules_of(&v), vec!["WH002"]);
}

#[test]
fn the_readme_example_runs_clean_of_errors() {
    // `cargo run --release -- lint examples/`, the README's first command: warnings and infos only
    // (exit 0); the full output is snapshotted so a rule change that alters it is seen.
    let o = run(&root(), &["lint", "examples/", "--color", "never"], None);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    insta::with_settings!({snapshot_path => "../snapshots", omit_expression => true}, {
        insta::assert_snapshot!("examples-human", stdout(&o));
    });
}

#[test]
fn istio_root_namespace_decides_what_is_mesh_wide() {
    let dir = scratch("istio-root");
    std::fs::write(
        dir.join("pa.yaml"),
        "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: mesh-root}\nspec: {mtls: {mode: STRICT}}\n",
    )
    .unwrap();
    let lint = |extra: &[&str]| {
        let mut args = vec!["lint", "pa.yaml", "--select", "EW003", "-o", "json"];
        args.extend_from_slice(extra);
        json(&run(&dir, &args, None))
    };
    // With the default root (istio-system) the STRICT policy is only namespace-wide.
    let v = lint(&[]);
    assert_eq!(rules_of(&v), vec!["EW003"], "{v}");
    assert!(
        v["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("root namespace istio-system")
    );
    let v = lint(&["--istio-root-namespace", "mesh-root"]);
    assert!(rules_of(&v).is_empty(), "{v}");
    let o = run(&dir, &["lint", "pa.yaml", "--trust-namespace", ""], None);
    assert_eq!(o.status.code(), Some(2), "usage error");
}

#[test]
fn pass_through_echoes_the_stream_or_blocks_it() {
    let dir = scratch("pass-through");
    // Stdin comes back byte for byte, comments and all; the summary is on stderr.
    let stream = "# rendered\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}";
    let o = run(
        &dir,
        &["lint", "--pass-through", "-"],
        Some(stream.as_bytes()),
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), format!("{stream}\n"));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "kubectl-tlscheck: no findings in 2 objects\n"
    );
    // Files: joined with `---` unless a file starts with one; files without objects left out.
    std::fs::write(
        dir.join("a.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("b.yaml"),
        "# b\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n",
    )
    .unwrap();
    std::fs::write(dir.join("c.yaml"), "replicas: 3\n").unwrap();
    std::fs::write(
        dir.join("d.json"),
        r#"{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "d"}}"#,
    )
    .unwrap();
    let o = run(&dir, &["lint", "--pass-through", "."], None);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n# b\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n---\n{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"d\"}}\n"
    );
    // Blocking findings: nothing on stdout, exit 1, the finding on stderr.
    let o = run(
        &dir,
        &["lint", "--pass-through", "-"],
        Some(BAD_INGRESS.as_bytes()),
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    assert!(String::from_utf8_lossy(&o.stderr).contains("error[NS001] Ingress web/shop (-:7)"));
    // Unreadable input: exit 2, nothing on stdout.
    let o = run(&dir, &["lint", "--pass-through", "-"], Some(b"a: [\n"));
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    assert!(String::from_utf8_lossy(&o.stderr).contains("input error: -:"));
    // The report formats are for stdout; pass-through owns it.
    let o = run(
        &dir,
        &["lint", "--pass-through", "-o", "json", "-"],
        Some(b""),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot be used with"));
}

/// The parser budgets are configuration (`limits:`), and each one, set low, rejects only the file
/// that exceeds it, with its name in the message; the other files are still linted.
#[test]
fn configured_parser_limits_apply_per_file() {
    let dir = scratch("limits");
    std::fs::write(
        dir.join(".tlscheck.yaml"),
        "limits:\n  maxDepth: 4\n  maxAliasNodes: 10\n  maxFileBytes: 2000\n",
    )
    .unwrap();
    std::fs::write(dir.join("deep.yaml"), "a: {b: {c: {d: {e: {f: 1}}}}}\n").unwrap();
    std::fs::write(
        dir.join("aliases.yaml"),
        "a: &a [1, 2, 3, 4]\nb: [*a, *a, *a]\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("big.yaml"),
        format!("a: \"{}\"\n", "x".repeat(3000)),
    )
    .unwrap();
    std::fs::write(dir.join("ok.yaml"), BAD_INGRESS).unwrap();
    let o = run(&dir, &["lint", ".", "-o", "json"], None);
    assert_eq!(o.status.code(), Some(2));
    let v = json(&o);
    let message = |file: &str| -> String {
        v["inputErrors"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["file"].as_str().unwrap().ends_with(file))
            .map(|e| e["message"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(message("deep.yaml").contains("`limits.maxDepth`"), "{v}");
    assert!(
        message("aliases.yaml").contains("`limits.maxAliasNodes`"),
        "{v}"
    );
    assert!(message("big.yaml").contains("`limits.maxFileBytes`"), "{v}");
    assert_eq!(message("ok.yaml"), "");
    assert!(
        rules_of(&v).contains(&"NS001"),
        "the other file is still linted: {v}"
    );
    // Under the defaults all three are fine.
    let o = run(&dir, &["lint", ".", "-o", "json", "--no-config"], None);
    assert_eq!(json(&o)["inputErrors"], serde_json::json!([]));
}
