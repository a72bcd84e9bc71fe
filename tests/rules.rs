//! Every rule's fixtures under `testdata/rules/<ID>/`: `fire*.yaml` must produce at least one warning
//! or error of that rule, `nofire*.yaml` none (info findings that explain a recognised pattern are
//! allowed). A fixture may have its configuration next to it as `<stem>.config`. The human and JSON
//! output of each fixture is snapshotted in `snapshots/rules/`.

mod common;

use std::path::Path;

use tlscheck::report::Format;
use tlscheck::rules::Severity;

fn check_fixture(rule: &str, rel: &str, stem: &str) {
    // `<stem>.config` next to a fixture is its `.tlscheck.yaml` (e.g. `settings: {complete: true}`).
    let config_path = Path::new(rel).with_extension("config");
    let mut config = if config_path.exists() {
        tlscheck::policy::Config::load(&config_path).unwrap()
    } else {
        tlscheck::policy::Config::default()
    };
    config.select = vec![rule.to_string()];
    let result = common::lint_with(&[rel], config);
    assert!(
        result.input_errors.is_empty(),
        "{rel}: {:?}",
        result.input_errors
    );
    let serious = result
        .diagnostics
        .iter()
        .filter(|d| d.rule == rule && d.severity >= Severity::Warning)
        .count();
    if stem.starts_with("nofire") {
        assert_eq!(
            serious,
            0,
            "{rel} must not fire {rule}:\n{}",
            common::render(&result, Format::Human)
        );
    } else if stem.starts_with("fire") {
        assert!(serious > 0, "{rel} must fire {rule}");
    } else {
        panic!("{rel}: fixture names start with `fire` or `nofire`");
    }
    let out = format!(
        "--- human ---\n{}\n--- json ---\n{}",
        common::render(&result, Format::Human),
        common::render(&result, Format::Json)
    );
    // No output may echo key material, and no message may quote base64 PEM (which starts
    // `LS0tLS1`); human excerpts of Secret data are redacted by the emitter.
    assert!(
        !out.contains("PRIVATE KEY"),
        "{rel}: output contains key material"
    );
    let messages = common::render(&result, Format::Json);
    assert!(
        !messages.contains("LS0tLS1"),
        "{rel}: a message quotes base64 PEM"
    );
    insta::with_settings!({snapshot_path => "../snapshots/rules", prepend_module_to_snapshot => false, omit_expression => true}, {
        insta::assert_snapshot!(format!("{rule}-{stem}"), out);
    });
}

#[test]
fn rule_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/rules");
    let mut failures = Vec::new();
    let mut count = 0;
    // `RULES=NS002,NS003 cargo test --test rules` checks only those rules.
    let only: Vec<String> = std::env::var("RULES")
        .map(|v| v.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    for rule in tlscheck::rules::builtin() {
        if !only.is_empty() && !only.iter().any(|o| o == rule.id) {
            continue;
        }
        let dir = root.join(rule.id);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            failures.push(format!("{} has no fixtures in {}", rule.id, dir.display()));
            continue;
        };
        let mut files: Vec<_> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        files.sort();
        let stems: Vec<String> = files
            .iter()
            .map(|f| f.file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
        if !stems.iter().any(|s| s.starts_with("fire"))
            || !stems.iter().any(|s| s.starts_with("nofire"))
        {
            failures.push(format!(
                "{} needs at least one fire*.yaml and one nofire*.yaml fixture",
                rule.id
            ));
        }
        for (file, stem) in files.iter().zip(&stems) {
            count += 1;
            let rel = format!(
                "testdata/rules/{}/{}",
                rule.id,
                file.file_name().unwrap().to_string_lossy()
            );
            if let Err(e) = std::panic::catch_unwind(|| check_fixture(rule.id, &rel, stem)) {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
                failures.push(format!("{rel}: {}", msg.unwrap_or_default()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} fixtures failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
