//! Every committed fuzz input — the minimised corpus `fuzz/corpus/lint/` and the reproducers of fixed
//! bugs in `testdata/fuzz/` — replayed through the fuzz target's own steps (`fuzz/harness.rs`, included
//! rather than copied) under plain `cargo test`: a panic, a failed harness assertion (Secret data in
//! an output, an output that is not JSON) or an emitter error fails the test and names the file.

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};

/// Files directly in `dir`, sorted; `README.md` (what each reproducer caught) is not an input.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    files
}

/// Replay `files`; the names of those that failed, with the panic message.
fn replay(files: &[PathBuf]) -> Vec<String> {
    let mut failed = Vec::new();
    for f in files {
        let data = std::fs::read(f).unwrap();
        if let Err(e) = std::panic::catch_unwind(|| harness::run(&data)) {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failed.push(format!("{}: {msg}", f.display()));
        }
    }
    failed
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn minimised_corpus_replays_without_panic() {
    let files = inputs(&root().join("fuzz/corpus/lint"));
    // The corpus is committed (fuzz/README.md says how it was made): an empty one tests nothing.
    assert!(
        files.len() >= 50,
        "fuzz/corpus/lint holds {} files; regenerate it as fuzz/README.md says",
        files.len()
    );
    assert_replays(&files);
}

#[test]
fn reproducers_replay_without_panic() {
    let dir = root().join("testdata/fuzz");
    let files = inputs(&dir);
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    // Each reproducer says in the README what it caught, so a reader knows what breaks if it fails.
    for f in &files {
        let name = f.file_name().unwrap().to_str().unwrap();
        assert!(
            readme.contains(name),
            "testdata/fuzz/README.md does not describe {name}"
        );
    }
    assert_replays(&files);
}

/// Replay `files` through the harness; fail with the first few that did not pass.
fn assert_replays(files: &[PathBuf]) {
    let failed = replay(files);
    assert!(
        failed.is_empty(),
        "{} inputs failed; the first:\n{}",
        failed.len(),
        failed[..failed.len().min(5)].join("\n")
    );
}
