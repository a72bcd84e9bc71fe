//! Embeds every built-in policy file (`policies/*.yaml`) so the binary needs nothing at run time, and
//! the git revision the binary is built from (for `--version`).

use std::fmt::Write;
use std::path::Path;
use std::process::Command;

fn main() {
    git_revision();
    println!("cargo:rerun-if-changed=policies");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("policies/ exists")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    names.sort();
    let mut out = String::from(
        "/// Built-in policy files: (file name, contents).\npub static BUILTIN_POLICIES: &[(&str, &str)] = &[\n",
    );
    let count = names.len();
    for n in names {
        let path = dir.join(&n);
        writeln!(
            out,
            "    ({n:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    out.push_str("];\n");
    writeln!(
        out,
        "/// Number of built-in policy files.\npub const BUILTIN_POLICY_COUNT: usize = {count};"
    )
    .unwrap();
    let dest = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("policies.rs");
    std::fs::write(dest, out).unwrap();
}

/// `TLSCHECK_GIT_REVISION`: `<12-hex commit> <commit date>` from git, else the commit cargo recorded
/// in `.cargo_vcs_info.json` of a published crate, else `unknown`.
fn git_revision() {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let revision = match git(&["log", "-1", "--format=%H %cs"]) {
        Some(line) if !line.is_empty() => {
            // Rebuild when HEAD moves: HEAD itself, the branch it points to, and packed refs.
            // Only files that exist: cargo reruns a build script on every build while a watched
            // file is missing.
            if let Some(dir) = git(&["rev-parse", "--absolute-git-dir"]) {
                let dir = Path::new(&dir);
                let head = git(&["symbolic-ref", "-q", "HEAD"]);
                let watched = [Some("HEAD"), Some("packed-refs"), head.as_deref()];
                for file in watched.into_iter().flatten().map(|f| dir.join(f)) {
                    if file.exists() {
                        println!("cargo:rerun-if-changed={}", file.display());
                    }
                }
            }
            let (hash, date) = line.split_once(' ').unwrap_or((&line, ""));
            format!("{} {date}", &hash[..hash.len().min(12)])
                .trim()
                .to_string()
        }
        _ => {
            let info = Path::new(env!("CARGO_MANIFEST_DIR")).join(".cargo_vcs_info.json");
            std::fs::read_to_string(info)
                .ok()
                .and_then(|t| {
                    let at = t.find("\"sha1\"")?;
                    let rest = &t[at + 6..];
                    let start = rest.find('"')? + 1;
                    rest.get(start..start + 12).map(str::to_string)
                })
                .unwrap_or_else(|| "unknown".into())
        }
    };
    println!("cargo:rustc-env=TLSCHECK_GIT_REVISION={revision}");
}
