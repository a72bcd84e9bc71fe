//! The steps of the fuzz target `lint`: bytes → one in-memory input → every rule → every emitter.
//!
//! Shared, not copied: `fuzz/fuzz_targets/lint.rs` and `tests/fuzz_regressions.rs` both include this
//! file with `#[path]`, so the regression test replays committed inputs through exactly what the
//! fuzzer ran. Anything that panics here (a failed assertion included) is a bug in the tool: the project
//! rule is "never panic on input; report it with a location, keep linting the rest, exit 2".

use std::io::{self, Write};
use std::sync::{Arc, OnceLock};

use tlscheck::engine::{self, LintResult, Options};
use tlscheck::load::Input;
use tlscheck::model::Declared;
use tlscheck::policy::{Config, Policy, meta::parse_policy};
use tlscheck::report::{self, Format, summary};
use tlscheck::rules::Severity;

/// 2026-11-26T00:00:00Z: a fixed "now" so a crash replays the same way on any day.
const NOW: i64 = 1_795_651_200;

/// A second input beside the fuzzed one: a TLS Secret whose data must never reach any output
/// (README: "Secret data never appears in it"; `report/human.rs` redacts it in excerpts). Its name and
/// namespace are the ones the dictionary offers, so fuzzed Ingresses, Gateways and pods can reference
/// it and make rules report on it. Block style keeps each value on a line of its own.
const CANARY_YAML: &str = "\
apiVersion: v1
kind: Secret
metadata:
  name: tls
  namespace: default
  annotations:
    cert-manager.io/certificate-name: tls
type: kubernetes.io/tls
data:
  tls.crt: Q0FOQVJZLWZ1enotdGxzLWNydA==
  tls.key: Q0FOQVJZLWZ1enota2V5LWRhdGE=
  ca.crt: Q0FOQVJZLWZ1enotY2EtY3J0LWRhdGE=
stringData:
  password: CANARY-fuzz-string-data
";

/// Appended to the fuzzed bytes (after a document end, so it parses whatever came before): the same
/// kind of Secret on one line in compact JSON as `kubectl get -o json | jq -c` writes it (data
/// beside the metadata), and in block style with its data right below an annotation. Both carry an
/// unknown suppression, so SUP001 reports a line of each in every run; line breaks the fuzzer puts
/// before them test that excerpts stay on the reported line.
const CANARY_TAIL: &str = "\n...\n---\n\
{\"apiVersion\":\"v1\",\"data\":{\"tls.crt\":\"Q0FOQVJZLWZ1enotanNvbi1jcnQ=\"},\"kind\":\"Secret\",\
\"metadata\":{\"annotations\":{\"ignore.tlscheck.io/FUZZ\":\"x\"},\"name\":\"tls-json\",\
\"namespace\":\"default\"},\"type\":\"kubernetes.io/tls\"}
---
apiVersion: v1
kind: Secret
type: kubernetes.io/tls
metadata:
  name: tls-appended
  namespace: default
  annotations:
    ignore.tlscheck.io/FUZZ: x
data:
  tls.crt: Q0FOQVJZLWZ1enotYXBwZW5kZWQtY3J0
  tls.key: Q0FOQVJZLWZ1enotYXBwZW5kZWQtY3J0
";

/// What must not appear in any output: the start of every base64 value, and their decoded text (all
/// decode to `CANARY-fuzz-…`).
const CANARY_NEEDLES: [&str; 2] = ["Q0FOQVJZ", "CANARY-fuzz"];

/// User policies of each template, so the declarative checks run too.
const USER_POLICIES: [&str; 3] = [
    "id: FUZZ001\nname: owner\nseverity: warning\ncategory: custom\nsummary: s.\nremediation: r.\n\
     scope: {kinds: [Ingress, Service, Secret, Deployment, networking.k8s.io/Ingress]}\n\
     template: required-annotation\nparams: {key: '^team\\.acme\\.io/owner$', value: '^[a-z]+$'}\n",
    "id: FUZZ002\nname: no-tier\nseverity: info\ncategory: custom\nsummary: s.\nremediation: r.\n\
     scope: {kinds: [Service, Pod], namespaces: ['^def', 'prod$'], labelSelector: {matchLabels: {app: web}, \
     matchExpressions: [{key: tier, operator: NotIn, values: [edge]}, {key: env, operator: Exists}]}}\n\
     template: forbidden-label\nparams: {key: '^tier$'}\n",
    "id: FUZZ003\nname: tls13\nseverity: error\ncategory: custom\nsummary: s.\nremediation: r.\n\
     message: 'ssl-policy {value} is not TLS 1.3'\nscope: {kinds: [networking.k8s.io/Ingress, Gateway]}\n\
     template: field-value\nparams: {path: /metadata/annotations/alb.ingress.kubernetes.io~1ssl-policy, \
     pattern: '^ELBSecurityPolicy-TLS13-', enum: [a, 1, true], required: true}\n",
];

fn user_policies() -> &'static [Policy] {
    static P: OnceLock<Vec<Policy>> = OnceLock::new();
    P.get_or_init(|| {
        USER_POLICIES
            .iter()
            .enumerate()
            .map(|(i, text)| {
                parse_policy(&format!("fuzz-{i}.yaml"), text)
                    .unwrap_or_else(|e| panic!("harness policy {i} is invalid: {e:?}"))
            })
            .collect()
    })
}

/// Options as `cli::prepare` builds them from `Config::default()` (all rules enabled), with one
/// thread and a fixed date. `pass` varies the settings: 0 = defaults; 1 = `complete`, `strict`, env
/// URL scanning, a region, a declared object, a re-grade, and the fuzzed bytes also read as CRDs
/// (`--crd`, SCHEMA001); 2 = `live` (the LIVE rules, status fields).
fn options(pass: u8, data: &[u8]) -> Options {
    let mut config = Config::default();
    config.settings.now = NOW;
    let mut crds = Vec::new();
    match pass {
        0 => {}
        1 => {
            let s = &mut config.settings;
            s.complete = true;
            s.strict = true;
            s.scan_env_urls = true;
            s.cluster_region = Some("us-east-1".into());
            s.warn_days = 3650;
            config.objects.push(Declared {
                kind: "ClusterIssuer".into(),
                group: "cert-manager.io".into(),
                namespace: None,
                name: "letsencrypt".into(),
            });
            config.severity.insert("NS008".into(), Severity::Error);
            crds.push(Input::Bytes {
                name: "crds.yaml".into(),
                bytes: Arc::from(data),
            });
        }
        _ => config.settings.live = true,
    }
    Options {
        config,
        user_policies: user_policies().to_vec(),
        today: tlscheck::time::utc_date(NOW),
        threads: 1,
        crds,
    }
}

/// Substring search in std's searcher: std is not coverage-instrumented, so the check costs the
/// fuzzer little (a byte-window loop here took a tenth of its time).
fn contains(haystack: &[u8], needle: &str) -> bool {
    String::from_utf8_lossy(haystack).contains(needle)
}

/// Run every emitter on `result`; unless the fuzzed input itself holds a canary, assert that no
/// output holds one.
fn emit_all(result: &LintResult, check_leak: bool, buf: &mut Vec<u8>) {
    type Emit = fn(&LintResult, &mut dyn Write) -> io::Result<()>;
    let outputs: [(&str, Emit); 8] = [
        ("human", |r, o| report::emit(Format::Human, r, o, false)),
        ("human (colour)", |r, o| {
            report::emit(Format::Human, r, o, true)
        }),
        ("json", |r, o| report::emit(Format::Json, r, o, false)),
        ("sarif", |r, o| report::emit(Format::Sarif, r, o, false)),
        ("github", |r, o| report::emit(Format::Github, r, o, false)),
        ("summary (info)", |r, o| {
            summary::write(r, o, Some(Severity::Info), 20)
        }),
        ("summary (error)", |r, o| {
            summary::write(r, o, Some(Severity::Error), 3)
        }),
        ("summary (none)", |r, o| summary::write(r, o, None, 0)),
    ];
    for (name, write) in outputs {
        buf.clear();
        // Writing to memory cannot fail; an emitter error here is one of its own making.
        if let Err(e) = write(result, buf) {
            panic!("emitter {name} failed: {e}");
        }
        if check_leak {
            for needle in CANARY_NEEDLES {
                if contains(buf, needle) {
                    // The lines that show it, not the whole report.
                    let text = String::from_utf8_lossy(buf);
                    let lines: Vec<&str> = text.lines().filter(|l| l.contains(needle)).collect();
                    panic!(
                        "Secret data ({needle}) leaked into the {name} output:\n{}",
                        lines.join("\n")
                    );
                }
            }
        }
        if name == "json" {
            // The JSON contract: whatever the input, the output is one JSON document. (SARIF is
            // built as a `serde_json::Value`, so it is JSON by construction.)
            if let Err(e) = serde_json::from_slice::<serde_json::Value>(buf) {
                panic!(
                    "{name} output is not JSON ({e}):\n{}",
                    String::from_utf8_lossy(buf)
                );
            }
        }
    }
    // The emitters also write to a sink, as the CLI writes to a closed pipe.
    report::emit(Format::Human, result, &mut io::sink(), false).expect("sink never fails");
}

/// The whole pipeline on `data` (with [`CANARY_TAIL`] appended, and [`CANARY_YAML`] beside it),
/// three times (see [`options`]).
pub fn run(data: &[u8]) {
    let inputs = [
        Input::Bytes {
            name: "fuzz.yaml".into(),
            bytes: [data, CANARY_TAIL.as_bytes()].concat().into(),
        },
        Input::Bytes {
            name: "canary.yaml".into(),
            bytes: Arc::from(CANARY_YAML.as_bytes()),
        },
    ];
    let check_leak = !CANARY_NEEDLES.iter().any(|n| contains(data, n));
    let mut buf = Vec::new();
    for pass in 0..3 {
        let result = engine::lint(&inputs, &options(pass, data));
        emit_all(&result, check_leak, &mut buf);
    }
}
