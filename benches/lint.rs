//! Benchmark: lint generated corpora (1,000 / 10,000 / 100,000 objects, `../shared/bench/gen_corpus.py`)
//! and, in the same run, merely parse the same files into saphyr's marked tree (`MarkedYaml`) on the
//! same threads. Reports lint time / parse time, the figure the project holds itself to (≤ 1.5×).
//!
//! `cargo bench` runs all sizes; `cargo bench -- --quick` (what CI runs) only the smallest, once.
//! `cargo bench -- 10000` runs one size.

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

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let quick = args.iter().any(|a| a == "--quick");
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
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("threads: {threads}");
    println!(
        "{:>8} {:>6} {:>9} {:>12} {:>12} {:>12} {:>10} {:>8}",
        "objects", "files", "MB", "parse(ms)", "load(ms)", "lint(ms)", "lint/parse", "MB/s"
    );
    for n in sizes {
        let dir = corpus(n);
        let inputs = files(&dir);
        let bytes: u64 = inputs
            .iter()
            .map(|i| match i {
                Input::File(p) => std::fs::metadata(p).map_or(0, |m| m.len()),
                Input::Stdin => 0,
            })
            .sum();
        let runs = if quick {
            1
        } else if n >= 100_000 {
            3
        } else {
            5
        };
        // Baseline: read + parse every file into saphyr's marked tree, on the same threads.
        let parse = time(runs, || {
            load::parallel_map(&inputs, threads, |i| {
                let Input::File(p) = i else { return 0 };
                let text = std::fs::read_to_string(p).unwrap();
                MarkedYaml::load_from_str(&text).map_or(0, |d| d.len())
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
            "{:>8} {:>6} {:>9.1} {:>12.1} {:>12.1} {:>12.1} {:>9.2}x {:>8.1}",
            result.objects,
            inputs.len(),
            mb,
            parse.as_secs_f64() * 1e3,
            load_only.as_secs_f64() * 1e3,
            lint.as_secs_f64() * 1e3,
            lint.as_secs_f64() / parse.as_secs_f64(),
            mb / lint.as_secs_f64(),
        );
        println!("         findings: {}", result.diagnostics.len());
    }
}
