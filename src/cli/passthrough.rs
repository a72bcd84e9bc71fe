//! `--pass-through`: the linter as a filter in a manifest pipeline (Argo CD config-management
//! plugins, `kustomize build | … | kubectl apply -f -`). Stdout carries only manifests, unchanged;
//! everything else goes to stderr.

use std::io::Write;

use anyhow::{Context, Result};
use tlscheck::engine::LintResult;
use tlscheck::report;
use tlscheck::rules::Severity;

/// Items listed in the stderr summary before the rest are only counted: Argo CD shows the whole of
/// stderr in one ComparisonError line.
const SUMMARY_LIMIT: usize = 20;

/// Write the summary to stderr and, when the exit code is 0, the input manifests to `out`.
pub(super) fn finish(
    result: &LintResult,
    blocking: Option<Severity>,
    out: &mut dyn Write,
) -> Result<i32> {
    let code = super::exit_code(result, blocking);
    report::summary::write(
        result,
        &mut std::io::stderr().lock(),
        blocking,
        SUMMARY_LIMIT,
    )?;
    if code == 0 {
        write_manifests(result, out)?;
    }
    Ok(code)
}

/// The manifests of every source that holds Kubernetes objects, each unchanged (stdin and rendered
/// output from memory, files re-read), joined by `---` lines so that the stream splits as it did.
fn write_manifests(result: &LintResult, out: &mut dyn Write) -> Result<()> {
    let mut first = true;
    for source in result.sources.iter().filter(|s| s.objects > 0) {
        let text = match &source.stdin_text {
            Some(text) => text.clone(),
            None => std::fs::read_to_string(&source.name)
                .with_context(|| format!("cannot read {} again", source.name))?,
        };
        if !first && !starts_with_separator(&text) {
            out.write_all(b"---\n")?;
        }
        out.write_all(text.as_bytes())?;
        if !text.ends_with('\n') {
            out.write_all(b"\n")?;
        }
        first = false;
    }
    Ok(())
}

fn starts_with_separator(text: &str) -> bool {
    text.lines()
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .is_some_and(|l| l == "---" || l.starts_with("--- "))
}
