//! Benchmark: lint generated corpora (1,000 / 10,000 / 100,000 objects, `../shared/bench/gen_corpus.py`)
//! and, in the same run, merely parse the same files into saphyr's marked tree (`MarkedYaml`) on the
//! same threads. Reports lint time / parse time, the figure the project holds itself to (≤ 1.5×), and
//! for reference the floor of any saphyr-based loader: saphyr-parser's events alone, with no tree.
//!
//! `cargo bench` runs all sizes; `cargo bench -- --quick` (what CI runs) only the smallest, once.
//! `cargo bench -- 10000` runs one size.
//!
//! The webhook-graph benchmark (`cargo bench -- webhooks`, also part of the full and quick runs)
//! generates cluster-sized inputs of N webhook stacks (ValidatingWebhookConfiguration → Service →
//! Deployment → Certificate → Issuer, 5 N objects) twice: linked, so that the whole graph resolves,
//! and unrelated (the same objects with names that link nothing). Both are linted with all rules in the
//! same run; linked/unrelated is the cost of resolving the graph, and the time per stack at 1,000 and
//! 10,000 stacks shows it is linear.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use saphyr::{LoadableYamlNode, MarkedYaml};
use tlscheck::engine::{self, Options};
use tlscheck::load::{self, Input};
use tlscheck::policy::Config;

fn corpus(objects: usize) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join(format!("target/bench-corpus/objects-{objects}"));
    if !dir.is_dir() {
        let script = root.join("../shared/bench/gen_corpus.py");
        let status = std::process::Command::new("python3")
            .arg(&script)
            .args(["--objects", &objects.to_string(), "--out"])
            .arg(&dir)
            .status()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(status.success(), "gen_corpus.py failed");
    }
    dir
}

fn files(dir: &Path) -> Vec<Input> {
    let (files, errors) = load::walk(&[Input::File(dir.to_path_buf())], &|_| false);
    assert!(errors.is_empty(), "{errors:?}");
    files
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed()
            })
            .collect(),
    )
}

/// One webhook stack; `linked == false` renames every reference so nothing resolves.
fn stack(i: usize, linked: bool) -> String {
    let ns = format!("team-{}", i % 200);
    let r = |name: &str| {
        if linked {
            name.to_string()
        } else {
            format!("{name}-unrelated")
        }
    };
    let svc = format!("hook-{i}");
    let cert = format!("hook-{i}-cert");
    let secret = format!("hook-{i}-tls");
    let issuer = format!("ca-{}", i % 200);
    format!(
        "apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: hook-{i}
  annotations:
    cert-manager.io/inject-ca-from: {ns}/{cert_ref}
webhooks:
  - name: v.hook-{i}.example.com
    admissionReviewVersions: [v1]
    sideEffects: None
    failurePolicy: Fail
    clientConfig:
      service: {{name: {svc_ref}, namespace: {ns}, path: /validate}}
    rules:
      - {{apiGroups: [example.com], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [widgets]}}
---
apiVersion: v1
kind: Service
metadata: {{name: {svc}, namespace: {ns}}}
spec:
  ports: [{{port: 443, targetPort: webhook}}]
  selector: {{app: {app_ref}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: hook-{i}, namespace: {ns}}}
spec:
  selector: {{matchLabels: {{app: hook-{i}}}}}
  template:
    metadata: {{labels: {{app: hook-{i}}}}}
    spec:
      containers:
        - name: server
          image: example.com/hook:v1
          ports: [{{name: webhook, containerPort: 9443}}]
          volumeMounts: [{{name: cert, mountPath: /tmp/k8s-webhook-server/serving-certs}}]
      volumes:
        - name: cert
          secret: {{secretName: {secret_ref}}}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {{name: {cert}, namespace: {ns}}}
spec:
  secretName: {secret}
  dnsNames: [{svc}.{ns}.svc]
  issuerRef: {{name: {issuer_ref}}}
---
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {{name: {issuer}-{i}, namespace: {ns}}}
spec:
  ca: {{secretName: root-ca}}
---
",
        cert_ref = r(&cert),
        svc_ref = r(&svc),
        app_ref = r(&format!("hook-{i}")),
        secret_ref = r(&secret),
        issuer_ref = if linked { format!("{issuer}-{i}") } else { r(&issuer) },
    )
}

/// Write N stacks into files of 500 stacks each.
fn webhook_corpus(stacks: usize, linked: bool) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let kind = if linked { "linked" } else { "unrelated" };
    let dir = root.join(format!("target/bench-corpus/webhooks-{stacks}-{kind}"));
    if !dir.is_dir() {
        std::fs::create_dir_all(&dir).unwrap();
        for (f, start) in (0..stacks).step_by(500).enumerate() {
            let text: String = (start..(start + 500).min(stacks))
                .map(|i| stack(i, linked))
                .collect();
            std::fs::write(dir.join(format!("stacks-{f:03}.yaml")), text).unwrap();
        }
    }
    dir
}

fn webhook_bench(sizes: &[usize], runs: usize, threads: usize) {
    println!();
    println!("webhook graph (5 objects per stack, all rules):");
    println!(
        "{:>8} {:>8} {:>14} {:>14} {:>16} {:>18}",
        "stacks", "objects", "linked(ms)", "unrelated(ms)", "linked/unrelated", "linked µs/stack"
    );
    let opts = Options {
        config: Config::default(),
        user_policies: Vec::new(),
        today: "2026-11-26".into(),
        threads,
        crds: Vec::new(),
    };
    for &n in sizes {
        let mut objects = 0;
        let mut times = Vec::new();
        for linked in [true, false] {
            let dir = webhook_corpus(n, linked);
            let mut result = None;
            times.push(time(runs, || {
                result = Some(engine::lint(&[Input::File(dir.clone())], &opts));
            }));
            let result = result.unwrap();
            assert!(
                result.input_errors.is_empty(),
                "{:?}",
                &result.input_errors[..1]
            );
            objects = result.objects;
            if linked {
                // The linked input is correct wiring: no webhook finding above info.
                let wrong: Vec<_> = result
                    .diagnostics
                    .iter()
                    .filter(|d| d.rule.starts_with("WH00") && d.rule != "WH010")
                    .filter(|d| d.severity > tlscheck::rules::Severity::Info)
                    .take(3)
                    .collect();
                assert!(wrong.is_empty(), "{wrong:?}");
            }
        }
        println!(
            "{:>8} {:>8} {:>14.1} {:>14.1} {:>15.2}x {:>18.1}",
            n,
            objects,
            times[0].as_secs_f64() * 1e3,
            times[1].as_secs_f64() * 1e3,
            times[0].as_secs_f64() / times[1].as_secs_f64(),
            times[0].as_secs_f64() * 1e6 / n as f64,
        );
    }
}

const BIN: &str = env!("CARGO_BIN_EXE_kubectl-tlscheck");

/// Peak resident memory (bytes) and exit code of the CLI run on `dir`, output discarded (`wait4`
/// returns the child's own `ru_maxrss`).
#[allow(
    clippy::zombie_processes,
    reason = "reaped by wait4 below, which std cannot do"
)]
fn peak_rss(args: &[&str], dir: &Path) -> (u64, i32) {
    let child = std::process::Command::new(BIN)
        .args(args)
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("run kubectl-tlscheck");
    // SAFETY: wait4 on our own child, writing into zeroed structs it is given.
    let (status, usage) = unsafe {
        let mut status = 0;
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage);
        (status, usage)
    };
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (usage.ru_maxrss as u64 * 1024, code)
}

/// Start-up: wall time of linting one small file (what pre-commit does per commit), against the
/// process start of `--version` measured in the same run.
fn startup(runs: usize) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/apps/shop/service.yaml");
    let spawn = |args: &[&str]| {
        time(runs, || {
            std::process::Command::new(BIN)
                .args(args)
                .stdout(std::process::Stdio::null())
                .status()
                .expect("run kubectl-tlscheck")
        })
    };
    let version = spawn(&["--version"]);
    let lint = spawn(&["lint", "--no-config", file.to_str().unwrap()]);
    println!(
        "start-up (one small file, median of {runs}): lint {:.2} ms, --version {:.2} ms, ratio {:.2}x",
        lint.as_secs_f64() * 1e3,
        version.as_secs_f64() * 1e3,
        lint.as_secs_f64() / version.as_secs_f64()
    );
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let quick = args.iter().any(|a| a == "--quick");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if args.iter().any(|a| a == "webhooks") {
        webhook_bench(&[1000, 10_000], 3, threads);
        return;
    }
    let sizes: Vec<usize> = if quick {
        vec![1000]
    } else {
        let explicit: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
        if explicit.is_empty() {
            vec![1000, 10_000, 100_000]
        } else {
            explicit
        }
    };
    println!("threads: {threads}");
    println!(
        "{:>8} {:>6} {:>9} {:>12} {:>12} {:>12} {:>12} {:>10} {:>8}",
        "objects",
        "files",
        "MB",
        "events(ms)",
        "parse(ms)",
        "load(ms)",
        "lint(ms)",
        "lint/parse",
        "MB/s"
    );
    for n in sizes {
        let dir = corpus(n);
        let inputs = files(&dir);
        let bytes: u64 = inputs
            .iter()
            .map(|i| match i {
                Input::File(p) => std::fs::metadata(p).map_or(0, |m| m.len()),
                Input::Stdin => 0,
                Input::Bytes { bytes, .. } => bytes.len() as u64,
            })
            .sum();
        let runs = if quick {
            1
        } else if n >= 100_000 {
            3
        } else {
            5
        };
        // First, while this process is small: a child's ru_maxrss counts what it shares with its
        // parent before exec, so after the in-process runs below it would report the bench's size.
        let (rss, code) = peak_rss(&["lint", "--no-config", "-o", "json"], &dir);
        assert!(code == 0 || code == 1, "lint exited with {code}");
        // Baseline: read + parse every file into saphyr's marked tree, on the same threads.
        let parse = time(runs, || {
            load::parallel_map(&inputs, threads, |i| {
                let Input::File(p) = i else { return 0 };
                let text = std::fs::read_to_string(p).unwrap();
                MarkedYaml::load_from_str(&text).map_or(0, |d| d.len())
            })
        });
        // The scanner's floor: read + saphyr-parser events, building nothing.
        let events = time(runs, || {
            load::parallel_map(&inputs, threads, |i| {
                let Input::File(p) = i else { return 0 };
                let text = std::fs::read_to_string(p).unwrap();
                let mut parser = saphyr_parser::Parser::new_from_str(&text);
                std::iter::from_fn(|| parser.next_event().and_then(Result::ok)).count()
            })
        });
        // Our loader alone (read + parse into positioned trees), for reference.
        let limits = load::Limits::default();
        let load_only = time(runs, || {
            load::parallel_map(&inputs, threads, |i| {
                load::load_input(i, limits).0.map(|f| f.documents.len())
            })
        });
        let opts = Options {
            config: Config::default(),
            user_policies: Vec::new(),
            today: "2026-11-26".into(),
            threads,
            crds: Vec::new(),
        };
        let mut result = None;
        let lint = time(runs, || {
            result = Some(engine::lint(&[Input::File(dir.clone())], &opts));
        });
        let result = result.unwrap();
        assert!(
            result.input_errors.is_empty(),
            "{:?}",
            &result.input_errors[..1]
        );
        let mb = bytes as f64 / 1e6;
        println!(
            "{:>8} {:>6} {:>9.1} {:>12.1} {:>12.1} {:>12.1} {:>12.1} {:>9.2}x {:>8.1}",
            result.objects,
            inputs.len(),
            mb,
            events.as_secs_f64() * 1e3,
            parse.as_secs_f64() * 1e3,
            load_only.as_secs_f64() * 1e3,
            lint.as_secs_f64() * 1e3,
            lint.as_secs_f64() / parse.as_secs_f64(),
            mb / lint.as_secs_f64(),
        );
        println!("         findings: {}", result.diagnostics.len());
        println!(
            "         peak RSS of `kubectl-tlscheck lint -o json`: {:.1} MB = {:.2}x the input",
            rss as f64 / 1e6,
            rss as f64 / bytes as f64
        );
    }
    startup(if quick { 5 } else { 100 });
    if quick {
        webhook_bench(&[1000], 1, threads);
    } else {
        webhook_bench(&[1000, 10_000], 3, threads);
    }
}
