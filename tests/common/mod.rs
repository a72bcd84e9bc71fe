//! Shared test helpers: run the engine on paths and render outputs without colour.

#![allow(dead_code)]

use tlscheck::engine::{self, LintResult, Options};
use tlscheck::load::{Input, input_for};
use tlscheck::policy::Config;
use tlscheck::report::{self, Format};

/// Lint `paths` with `config`.
pub fn lint_with(paths: &[&str], config: Config) -> LintResult {
    let inputs: Vec<_> = paths.iter().map(|p| input_for(p)).collect();
    let opts = Options {
        crds: config.crd_paths().into_iter().map(Input::File).collect(),
        config,
        user_policies: Vec::new(),
        today: "2026-11-26".into(),
        threads: 2,
    };
    engine::lint(&inputs, &opts)
}

/// Lint `paths` with only the rules `select`.
pub fn lint_selected(paths: &[&str], select: &[&str]) -> LintResult {
    let config = Config {
        select: select.iter().map(|s| s.to_string()).collect(),
        ..Config::default()
    };
    lint_with(paths, config)
}

/// Render as `format` (human without colour).
pub fn render(result: &LintResult, format: Format) -> String {
    let mut out = Vec::new();
    report::emit(format, result, &mut out, false).unwrap();
    String::from_utf8(out).unwrap()
}

/// (rule, severity, line) of every diagnostic.
pub fn summary(result: &LintResult) -> Vec<(String, String, u32)> {
    result
        .diagnostics
        .iter()
        .map(|d| {
            (
                d.rule.to_string(),
                d.severity.as_str().to_string(),
                d.location.line,
            )
        })
        .collect()
}
