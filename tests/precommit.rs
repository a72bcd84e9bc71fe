//! `.pre-commit-hooks.yaml` run by the real pre-commit (https://pre-commit.com), pinned and installed
//! from PyPI into the target directory on first use: `pre-commit try-repo <this repo> <hook>` on a
//! throw-away git repository with a clean manifest, a failing one, a Helm template that must be
//! skipped and a set of files that only pass when linted together (require_serial).

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime};

/// pre-commit version the hooks are tested with (`pip install pre-commit==…`).
const PRE_COMMIT_VERSION: &str = "4.7.0";
/// `name:` of the hooks in .pre-commit-hooks.yaml: pre-commit prints it on the status line.
const RUST_HOOK_NAME: &str = "kubectl-tlscheck lint";
const SYSTEM_HOOK_NAME: &str = "kubectl-tlscheck lint (installed binary)";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_kubectl-tlscheck"))
}

/// The cargo target directory (`target/` from `target/debug/kubectl-tlscheck`): pre-commit's venv,
/// its home and the rust hook's build live there, so `cargo clean` removes them and nothing goes
/// to ~/.cache.
fn target_dir() -> PathBuf {
    bin()
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in <target>/<profile>/")
        .to_path_buf()
}

/// The command line (with the variables the test sets) for messages.
fn describe(cmd: &Command) -> String {
    let mut s = String::new();
    for (k, v) in cmd.get_envs() {
        let v = v
            .map(|v| v.to_string_lossy().into_owned())
            .unwrap_or_default();
        s += &format!("{}={v} ", k.to_string_lossy());
    }
    s += &cmd.get_program().to_string_lossy();
    for a in cmd.get_args() {
        s += " ";
        s += &a.to_string_lossy();
    }
    if let Some(dir) = cmd.get_current_dir() {
        s += &format!("  (in {})", dir.display());
    }
    s
}

/// Runs `cmd` to completion: (exit code, stdout followed by stderr). Panics with the command line
/// and `hint` if it cannot be started.
fn run_hint(cmd: &mut Command, hint: &str) -> (i32, String) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{}`: {e}\n{hint}", describe(cmd)));
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text += &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

fn run(cmd: &mut Command) -> (i32, String) {
    run_hint(cmd, "")
}

/// Runs `cmd` and panics with its command line and output unless it exits 0.
fn run_ok(cmd: &mut Command) -> String {
    let (code, out) = run(cmd);
    assert_eq!(code, 0, "`{}` failed:\n{out}", describe(cmd));
    out
}

/// The pinned pre-commit, installed with `python3 -m venv` + pip into <target>/tools on first use
/// and reused while `pre-commit --version` still says the pinned version.
fn pre_commit() -> PathBuf {
    let tools = target_dir().join("tools");
    fs::create_dir_all(&tools).unwrap();
    let venv = tools.join(format!("pre-commit-{PRE_COMMIT_VERSION}"));
    let exe = venv.join("bin").join("pre-commit");
    let want = format!("pre-commit {PRE_COMMIT_VERSION}");
    // Both tests of this file, and concurrent `cargo test` runs, may get here at once: one installs,
    // the others wait for it.
    let lock =
        fs::File::create(tools.join(format!("pre-commit-{PRE_COMMIT_VERSION}.lock"))).unwrap();
    lock.lock().unwrap();
    if exe.exists() && run(Command::new(&exe).arg("--version")).1.trim() == want {
        return exe;
    }
    let start = Instant::now();
    let _ = fs::remove_dir_all(&venv);
    let hint = "This test installs pre-commit from PyPI and needs python3 with the venv module \
                (Debian/Ubuntu: `apt-get install python3 python3-venv`).";
    let mut venv_cmd = Command::new("python3");
    venv_cmd.args(["-m", "venv"]).arg(&venv);
    let (code, out) = run_hint(&mut venv_cmd, hint);
    assert_eq!(code, 0, "`{}` failed:\n{out}\n{hint}", describe(&venv_cmd));
    let mut pip = Command::new(venv.join("bin").join("pip"));
    pip.args(["install", "--quiet", "--disable-pip-version-check"])
        .arg(format!("pre-commit=={PRE_COMMIT_VERSION}"))
        .env("PIP_CACHE_DIR", tools.join("pip-cache"));
    let (code, out) = run(&mut pip);
    assert_eq!(
        code,
        0,
        "`{}` failed:\n{out}\npip needs to reach PyPI (or an index set with PIP_INDEX_URL).",
        describe(&pip)
    );
    let version = run_ok(Command::new(&exe).arg("--version"));
    assert_eq!(
        version.trim(),
        want,
        "{} is not the pinned version",
        exe.display()
    );
    eprintln!(
        "installed {want} into {} in {:.1?}",
        venv.display(),
        start.elapsed()
    );
    exe
}

/// A fresh scratch directory under cargo's per-test temporary directory.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("precommit-{name}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn git(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir);
    cmd
}

/// The repository given to `pre-commit try-repo`: this checkout itself when git knows all its
/// files. try-repo puts tracked modifications and staged files into a temporary commit, but not
/// untracked ones (pre_commit/commands/try_repo.py `_repo_ref`: `git add -u`), so while new files
/// (this hooks file, a new module) are not yet added, the test snapshots the work tree, untracked
/// files included and .gitignore honoured, into a bare repository and tries that.
fn hook_repo(scratch: &Path) -> PathBuf {
    let untracked = run_ok(git(root()).args(["ls-files", "--others", "--exclude-standard"]));
    if untracked.trim().is_empty() {
        return root().to_path_buf();
    }
    let snap = scratch.join("hook-repo.git");
    run_ok(git(scratch).args(["init", "--quiet", "--bare"]).arg(&snap));
    let snap_git = || {
        let mut cmd = git(root());
        cmd.arg("--git-dir")
            .arg(&snap)
            .arg("--work-tree")
            .arg(root());
        cmd
    };
    run_ok(snap_git().args(["add", "--all"]));
    run_ok(
        snap_git()
            .args([
                "-c",
                "user.name=tlscheck test",
                "-c",
                "user.email=test@example.invalid",
            ])
            .args([
                "commit",
                "--quiet",
                "--no-verify",
                "--no-gpg-sign",
                "-m",
                "work tree snapshot",
            ]),
    );
    eprintln!(
        "untracked files in {}; trying a snapshot of the work tree: {}",
        root().display(),
        untracked.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    snap
}

/// Serial set: five Certificates, each in its own file, and the Issuer they all name in a sixth;
/// `.tlscheck.yaml` declares the input complete, so a Certificate linted without the Issuer is a
/// CM002 error. Six files make pre-commit split the list when the hook may run in parallel
/// (pre_commit/xargs.py partition: at least 4 files a partition, one a core).
const SERIAL_FILES: [&str; 6] = [
    "serial/issuer.yaml",
    "serial/cert-1.yaml",
    "serial/cert-2.yaml",
    "serial/cert-3.yaml",
    "serial/cert-4.yaml",
    "serial/cert-5.yaml",
];

/// A throw-away git repository with the manifests the hooks are run on.
fn demo_repo(dir: &Path) {
    run_ok(git(dir).args(["init", "--quiet"]));
    run_ok(git(dir).args(["config", "user.name", "tlscheck test"]));
    run_ok(git(dir).args(["config", "user.email", "test@example.invalid"]));
    run_ok(git(dir).args(["config", "commit.gpgsign", "false"]));
    let fixtures = root().join("testdata/precommit");
    fs::copy(fixtures.join("good.yaml"), dir.join("good.yaml")).unwrap();
    fs::copy(fixtures.join("bad.yaml"), dir.join("bad.yaml")).unwrap();
    fs::write(dir.join(".tlscheck.yaml"), "settings:\n  complete: true\n").unwrap();
    // Not YAML before `helm template`: linted, it is an input error (exit 2).
    let templates = dir.join("charts/demo/templates");
    fs::create_dir_all(&templates).unwrap();
    fs::write(
        templates.join("bad.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Values.x }}\n  namespace: {{ .Release.Namespace }}\n",
    )
    .unwrap();
    fs::create_dir_all(dir.join("serial")).unwrap();
    fs::write(
        dir.join(SERIAL_FILES[0]),
        "apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata:\n  name: demo-selfsigned\n  namespace: demo\nspec:\n  selfSigned: {}\n",
    )
    .unwrap();
    for (i, file) in SERIAL_FILES[1..].iter().enumerate() {
        let cert = format!(
            "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: demo-{i}\n  namespace: demo\n\
             spec:\n  secretName: demo-{i}-tls\n  dnsNames: [demo-{i}.demo.svc]\n  issuerRef:\n    name: demo-selfsigned\n    kind: Issuer\n"
        );
        fs::write(dir.join(file), cert).unwrap();
    }
    run_ok(git(dir).args(["add", "--all"]));
    run_ok(git(dir).args(["commit", "--quiet", "-m", "manifests"]));
}

/// `pre-commit try-repo <repo> <hook> [--verbose] --files <files>` in `work`, with `env` set.
fn try_repo(
    pc: &Path,
    work: &Path,
    repo: &Path,
    hook: &str,
    verbose: bool,
    files: &[&str],
    env: &[(&str, OsString)],
) -> (i32, String) {
    let mut cmd = Command::new(pc);
    cmd.current_dir(work)
        .env("PRE_COMMIT_HOME", target_dir().join("pre-commit-home"))
        .arg("try-repo")
        .arg(repo)
        .arg(hook)
        .args(["--color", "never"]);
    if verbose {
        cmd.arg("--verbose");
    }
    cmd.arg("--files").args(files);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let (code, out) = run(&mut cmd);
    eprintln!("{:.1?}: {}", start.elapsed(), describe(&cmd));
    let log = target_dir().join("pre-commit-home/pre-commit.log");
    (
        code,
        format!(
            "{out}\n(command: {}; pre-commit's crash log: {})",
            describe(&cmd),
            log.display()
        ),
    )
}

/// What pre-commit printed after the dots of `name`'s status line (`Passed`, `Failed`,
/// `(no files to check)Skipped`).
fn status(out: &str, name: &str) -> String {
    out.lines()
        .filter_map(|l| l.strip_prefix(name))
        .find_map(|rest| {
            let after = rest.trim_start_matches('.');
            (after.len() < rest.len()).then(|| after.to_string())
        })
        .unwrap_or_else(|| panic!("no status line for hook `{name}` in:\n{out}"))
}

/// pre-commit warns about deprecated keys and languages in the hooks file; the only warning
/// expected is try-repo's note on a dirty checkout.
fn assert_no_warnings(out: &str) {
    let warnings: Vec<_> = out
        .lines()
        .filter(|l| {
            l.contains("[WARNING]")
                && !l.contains("Creating temporary repo with uncommitted changes")
        })
        .collect();
    assert!(
        warnings.is_empty(),
        "pre-commit warned: {warnings:?}\n{out}"
    );
}

/// The lint summary lines: one a `kubectl-tlscheck lint` invocation.
fn summaries(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| l.starts_with("0 errors, 0 warnings, "))
        .collect()
}

#[test]
fn system_hook_lints_changed_manifests_with_the_binary_on_path() {
    let pc = pre_commit();
    let dir = scratch("system");
    let work = dir.join("work");
    fs::create_dir(&work).unwrap();
    demo_repo(&work);
    let repo = hook_repo(&dir);

    let out = run_ok(
        Command::new(&pc)
            .args(["validate-manifest", ".pre-commit-hooks.yaml"])
            .current_dir(root()),
    );
    assert_no_warnings(&out);

    // The binary under test first on PATH, as a user's installed one would be.
    let old_path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::iter::once(bin().parent().unwrap().to_path_buf())
        .chain(std::env::split_paths(&old_path));
    let env = [("PATH", std::env::join_paths(dirs).unwrap())];
    let hook = "tlscheck-system";

    let (code, out) = try_repo(&pc, &work, &repo, hook, false, &["good.yaml"], &env);
    assert_eq!(code, 0, "{out}");
    assert_eq!(status(&out, SYSTEM_HOOK_NAME), "Passed", "{out}");
    assert_no_warnings(&out);

    let (code, out) = try_repo(&pc, &work, &repo, hook, false, &["bad.yaml"], &env);
    assert_eq!(code, 1, "{out}");
    assert_eq!(status(&out, SYSTEM_HOOK_NAME), "Failed", "{out}");
    assert!(out.contains("- exit code: 1"), "{out}");
    assert!(
        out.contains("error[NS001]") && out.contains("bad.yaml:"),
        "{out}"
    );

    let (code, out) = try_repo(
        &pc,
        &work,
        &repo,
        hook,
        false,
        &["charts/demo/templates/bad.yaml"],
        &env,
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        status(&out, SYSTEM_HOOK_NAME),
        "(no files to check)Skipped",
        "{out}"
    );

    // require_serial: all six files in one invocation, so each Certificate finds its Issuer. Split
    // (on a machine with 2+ cores), one part would lack the Issuer and fail with CM002.
    let (code, out) = try_repo(&pc, &work, &repo, hook, true, &SERIAL_FILES, &env);
    assert_eq!(code, 0, "{out}");
    assert_eq!(status(&out, SYSTEM_HOOK_NAME), "Passed", "{out}");
    let sums = summaries(&out);
    assert!(
        sums.len() == 1 && sums[0].contains(" in 6 files "),
        "one invocation expected: {sums:?}\n{out}"
    );

    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn rust_hook_builds_the_linter_from_source() {
    let pc = pre_commit();
    let dir = scratch("rust");
    let work = dir.join("work");
    fs::create_dir(&work).unwrap();
    demo_repo(&work);
    let repo = hook_repo(&dir);

    // pre-commit runs `cargo install --bins --root <env> --path .` in a fresh clone for every
    // try-repo (pre_commit/languages/rust.py; try-repo's store is a temporary directory). A
    // persistent CARGO_TARGET_DIR makes that incremental, and the profile overrides turn the
    // release build into a quick unoptimised one; it is still a real `cargo install` of the repo.
    let build_dir = target_dir().join("pre-commit-build");
    let env: Vec<(&str, OsString)> = vec![
        ("CARGO_TARGET_DIR", build_dir.clone().into()),
        ("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0".into()),
        ("CARGO_PROFILE_RELEASE_DEBUG", "false".into()),
        ("CARGO_PROFILE_RELEASE_LTO", "false".into()),
        ("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16".into()),
        ("CARGO_INCREMENTAL", "1".into()),
    ];
    let hook = "tlscheck";
    let before = SystemTime::now();

    // The template is excluded, and all serial files go to one invocation (see the system test).
    let mut files = vec!["good.yaml", "charts/demo/templates/bad.yaml"];
    files.extend(SERIAL_FILES);
    let (code, out) = try_repo(&pc, &work, &repo, hook, true, &files, &env);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Installing environment for"), "{out}");
    assert_eq!(status(&out, RUST_HOOK_NAME), "Passed", "{out}");
    assert_no_warnings(&out);
    let sums = summaries(&out);
    assert!(
        sums.len() == 1 && sums[0].contains(" in 7 files "),
        "one invocation expected: {sums:?}\n{out}"
    );
    // pre-commit's `cargo install` honoured CARGO_TARGET_DIR: it linked the binary there just now.
    let built = fs::metadata(build_dir.join("release/kubectl-tlscheck")).and_then(|m| m.modified());
    assert!(
        built.as_ref().is_ok_and(|t| *t >= before),
        "pre-commit did not build {} with CARGO_TARGET_DIR: {built:?}",
        build_dir.display()
    );

    let (code, out) = try_repo(&pc, &work, &repo, hook, false, &["bad.yaml"], &env);
    assert_eq!(code, 1, "{out}");
    assert_eq!(status(&out, RUST_HOOK_NAME), "Failed", "{out}");
    assert!(
        out.contains("error[NS001]") && out.contains("bad.yaml:"),
        "{out}"
    );

    fs::remove_dir_all(&dir).unwrap();
}
