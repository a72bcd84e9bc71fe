//! Shell integration: `--version` with the git revision, completion scripts that real shells load
//! and complete with, and the committed man pages (`docs/man/`) kept equal to what the binary
//! generates (`UPDATE_DOCS=1 cargo test --test shell` rewrites them).
//!
//! bash is everywhere; zsh and fish are checked when installed, and must be when
//! `TLSCHECK_REQUIRE_SHELLS=1` (`.ci/run` installs them and sets it).

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_kubectl-tlscheck");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn output(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn script(shell: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("completions");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("kubectl-tlscheck.{shell}"));
    std::fs::write(&path, output(Command::new(BIN).args(["completion", shell]))).unwrap();
    path
}

/// Whether `shell` is installed; fails instead when CI requires every shell.
fn have(shell: &str) -> bool {
    let found = Command::new(shell).arg("-c").arg("exit 0").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("TLSCHECK_REQUIRE_SHELLS").is_none(),
            "{shell} is required here (apt-get install {shell})"
        );
        eprintln!("{shell} is not installed: only the script's content is checked");
    }
    found
}

#[test]
fn version_names_the_git_revision() {
    let version = output(Command::new(BIN).arg("--version"));
    let head = output(
        Command::new("git")
            .args(["log", "-1", "--format=%H %cs"])
            .current_dir(ROOT),
    );
    let (hash, date) = head.trim().split_once(' ').unwrap();
    assert_eq!(
        version,
        format!(
            "kubectl-tlscheck {} ({} {date})\n",
            env!("CARGO_PKG_VERSION"),
            &hash[..12]
        )
    );
}

/// What bash offers for the words of a command line (the last one being completed).
fn bash_complete(script: &Path, words: &[&str]) -> Vec<String> {
    let words_quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source '{}'\nCOMP_WORDS=({})\nCOMP_CWORD={}\nCOMP_LINE='{}'\nCOMP_POINT=${{#COMP_LINE}}\n_kubectl__tlscheck kubectl-tlscheck '{}' '{}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        words_quoted.join(" "),
        words.len() - 1,
        words.join(" "),
        words[words.len() - 1],
        words[words.len().saturating_sub(2)]
    );
    output(Command::new("bash").arg("-c").arg(program))
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_subcommands_flags_and_values() {
    let script = script("bash");
    assert!(
        output(Command::new("bash").arg("-c").arg(format!(
            "source '{}' && complete -p kubectl-tlscheck",
            script.display()
        )))
        .contains("_kubectl__tlscheck")
    );
    let subcommands = bash_complete(&script, &["kubectl-tlscheck", ""]);
    for sub in [
        "lint",
        "cluster",
        "bootstrap",
        "completion",
        "man",
        "argocd-generate",
    ] {
        assert!(
            subcommands.contains(&sub.to_string()),
            "{sub}: {subcommands:?}"
        );
    }
    assert!(
        bash_complete(&script, &["kubectl-tlscheck", "lint", "--fail"])
            .contains(&"--fail-on".to_string())
    );
    assert_eq!(
        bash_complete(&script, &["kubectl-tlscheck", "lint", "--fail-on", ""]),
        ["error", "warning", "info", "never"]
    );
    let shells = bash_complete(&script, &["kubectl-tlscheck", "completion", ""]);
    for shell in ["bash", "fish", "zsh"] {
        assert!(shells.contains(&shell.to_string()), "{shells:?}");
    }
}

#[test]
fn zsh_loads_the_completion() {
    let script = script("zsh");
    let text = std::fs::read_to_string(&script).unwrap();
    assert!(text.starts_with("#compdef kubectl-tlscheck\n"));
    assert!(text.contains("--fail-on=") && text.contains("(error warning info never)"));
    if !have("zsh") {
        return;
    }
    output(Command::new("zsh").arg("-n").arg(&script));
    let registered = output(Command::new("zsh").arg("-fc").arg(format!(
        "autoload -U compinit && compinit -u -D && source '{}' && print -r -- $_comps[kubectl-tlscheck]",
        script.display()
    )));
    assert_eq!(registered.trim(), "_kubectl-tlscheck");
}

#[test]
fn fish_completes_subcommands_and_values() {
    let script = script("fish");
    let text = std::fs::read_to_string(&script).unwrap();
    assert!(text.contains("complete -c kubectl-tlscheck"));
    if !have("fish") {
        return;
    }
    output(Command::new("fish").arg("--no-execute").arg(&script));
    let complete = |line: &str| -> Vec<String> {
        output(
            Command::new("fish")
                .arg("--no-config")
                .arg("-c")
                .arg(format!(
                    "source '{}'; complete -C '{line}'",
                    script.display()
                )),
        )
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect()
    };
    assert!(complete("kubectl-tlscheck li").contains(&"lint".to_string()));
    let values = complete("kubectl-tlscheck lint --fail-on ");
    for v in ["error", "warning", "info", "never"] {
        assert!(values.contains(&v.to_string()), "{values:?}");
    }
}

#[test]
fn man_pages_are_current() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("man");
    let _ = std::fs::remove_dir_all(&dir);
    output(Command::new(BIN).args(["man", "--out"]).arg(&dir));
    let committed = Path::new(ROOT).join("docs/man");
    let names = |d: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .map(|r| {
                r.map(|e| e.unwrap().file_name().into_string().unwrap())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    let generated = names(&dir);
    assert!(generated.contains(&"kubectl-tlscheck.1".to_string()));
    assert!(generated.contains(&"kubectl-tlscheck-lint.1".to_string()));
    if std::env::var_os("UPDATE_DOCS").is_some() {
        let _ = std::fs::remove_dir_all(&committed);
        std::fs::create_dir_all(&committed).unwrap();
        for n in &generated {
            std::fs::copy(dir.join(n), committed.join(n)).unwrap();
        }
    }
    assert_eq!(
        names(&committed),
        generated,
        "docs/man/ is stale: UPDATE_DOCS=1 cargo test --test shell"
    );
    for n in &generated {
        assert_eq!(
            std::fs::read_to_string(committed.join(n)).unwrap(),
            std::fs::read_to_string(dir.join(n)).unwrap(),
            "docs/man/{n} is stale: UPDATE_DOCS=1 cargo test --test shell"
        );
    }
    // The main page prints the same as page 1 of `--out`.
    assert_eq!(
        output(Command::new(BIN).arg("man")),
        std::fs::read_to_string(dir.join("kubectl-tlscheck.1")).unwrap()
    );
}
