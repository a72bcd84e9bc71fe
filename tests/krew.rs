//! Distribution through krew (https://krew.sigs.k8s.io): `krew/tlscheck.yaml` and the manifests that
//! `scripts/release.sh` writes must pass the checks krew and the krew-index CI run, and must describe
//! the archives they point at.
//!
//! The rules are transcribed from upstream (kubernetes-sigs/krew at v0.4.x, the version krew-index's
//! CI installs in `.github/workflows/ci.yml`, which runs `validate-krew-manifest -manifest FILE` on
//! every changed `plugins/*.yaml`); each check names where it comes from:
//! - [validate.go]: `internal/index/validation/validate.go` (`ValidatePlugin`, `validatePlatform`,
//!   `validateFiles`, `validateSelector`, `IsSafePluginName`);
//! - [semver]: `internal/installation/semver/version.go` (leading `v`) and
//!   `k8s.io/apimachinery/pkg/util/version` `ParseSemantic`;
//! - [constants.go]: `pkg/constants/constants.go` (`CurrentAPIVersion`, `PluginKind`, `.yaml`);
//! - [validate-krew-manifest]: `cmd/validate-krew-manifest/main.go` (file name = plugin name,
//!   selectors must match a supported os/arch and must not overlap, a LICENSE file is installed);
//! - [install]: `internal/installation/install.go` and `move.go` (`to` must be a clean path, moves
//!   and `bin` stay inside the plugin directory, `bin` must exist after the file operations);
//! - [search.go]: `cmd/krew/cmd/search.go` (`kubectl krew search` cuts shortDescription at 50);
//! - [docs]: `site/content/docs/developer-guide/plugin-manifest.md` (description required,
//!   `.exe` entry points on Windows), `develop/naming-guide.md`, `release/submitting-to-krew.md`;
//! - [project]: this project's own conventions (what release.sh writes).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde::Deserialize;

const PLUGIN: &str = "tlscheck";
const BIN: &str = "kubectl-tlscheck";
const HOMEPAGE: &str = "https://github.com/kubectl-tlscheck/kubectl-tlscheck";

// ---------------------------------------------------------------------------------------------
// The manifest, as krew reads it (sigs.k8s.io/yaml into pkg/index/types.go; unknown fields are
// ignored there too). Fields are optional so that a missing one is a validation error, not a
// parse error.

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
struct Plugin {
    api_version: Option<String>,
    kind: Option<String>,
    metadata: Option<Metadata>,
    spec: Option<Spec>,
}

#[derive(Deserialize, Debug)]
struct Metadata {
    name: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
struct Spec {
    version: Option<String>,
    short_description: Option<String>,
    description: Option<String>,
    homepage: Option<String>,
    platforms: Option<Vec<Platform>>,
}

#[derive(Deserialize, Debug)]
struct Platform {
    uri: Option<String>,
    sha256: Option<String>,
    selector: Option<Selector>,
    files: Option<Vec<FileOperation>>,
    bin: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
struct Selector {
    match_labels: Option<BTreeMap<String, String>>,
    match_expressions: Option<Vec<Requirement>>,
}

#[derive(Deserialize, Debug)]
struct Requirement {
    key: String,
    operator: String,
    values: Option<Vec<String>>,
}

#[derive(Deserialize, Debug)]
struct FileOperation {
    from: Option<String>,
    to: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// The validator.

/// [constants.go] `CurrentAPIVersion` and `PluginKind`.
const API_VERSION: &str = "krew.googlecontainertools.github.com/v1alpha2";
const KIND: &str = "Plugin";

/// [validate.go] `windowsForbidden`, compared case-insensitively.
const WINDOWS_FORBIDDEN: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// [validate-krew-manifest] `allPlatforms()`: the os/arch pairs krew is released for.
const KREW_PLATFORMS: &[(&str, &str)] = &[
    ("windows", "386"),
    ("windows", "amd64"),
    ("windows", "arm64"),
    ("linux", "386"),
    ("linux", "amd64"),
    ("linux", "arm"),
    ("linux", "arm64"),
    ("linux", "ppc64le"),
    ("darwin", "386"),
    ("darwin", "amd64"),
    ("darwin", "arm64"),
];

/// [validate-krew-manifest] `licenseFiles`: one of these must be installed.
const LICENSE_FILES: &[&str] = &[
    "license",
    "license.txt",
    "license.md",
    "licenses",
    "licenses.txt",
    "licenses.md",
    "copying",
    "copying.txt",
];

/// [search.go] `limitString(p.Spec.ShortDescription, 50)`: longer ones are cut with "...".
const SHORT_DESCRIPTION_MAX: usize = 50;

/// Every rule violation of the manifest `text` stored as `file_name`, for a crate at
/// `cargo_version` (empty: valid). All rules run, so one report shows every problem.
fn validate(file_name: &str, text: &str, cargo_version: &str) -> Vec<String> {
    let plugin: Plugin = match serde_saphyr::from_str(text) {
        Ok(p) => p,
        Err(e) => {
            return vec![format!(
                "[install] failed to parse the manifest as YAML: {e}"
            )];
        }
    };
    let mut errs = Vec::new();

    // [validate-krew-manifest] the plugin name is the file name without the `.yaml` extension.
    let name = match file_name.strip_suffix(".yaml") {
        Some(n) => n,
        None => {
            errs.push(format!(
                "[validate-krew-manifest] expected manifest extension \".yaml\" in {file_name:?}"
            ));
            file_name.rsplit_once('.').map_or(file_name, |(n, _)| n)
        }
    };

    // [validate.go] ValidatePlugin, in its order.
    if plugin.api_version.as_deref() != Some(API_VERSION) {
        errs.push(format!(
            "[validate.go] plugin manifest has apiVersion={:?}, not supported (want {API_VERSION:?})",
            plugin.api_version.as_deref().unwrap_or("")
        ));
    }
    if plugin.kind.as_deref() != Some(KIND) {
        errs.push(format!(
            "[validate.go] plugin manifest has kind={:?}, but only {KIND:?} is supported",
            plugin.kind.as_deref().unwrap_or("")
        ));
    }
    if !is_safe_plugin_name(name) {
        errs.push(format!(
            "[validate.go] the plugin name {name:?} is not allowed, must match ^[\\w-]+$ and not be a Windows device name"
        ));
    }
    // [docs] naming-guide.md: "all lowercase and separate words with hyphens"; no kube- prefix.
    if !is_kebab_case(name) || name.starts_with("kube-") || name.starts_with("kubernetes-") {
        errs.push(format!(
            "[docs] plugin name {name:?} breaks the naming guide: lowercase words separated by hyphens, no kube-/kubernetes- prefix"
        ));
    }
    let meta_name = plugin.metadata.as_ref().and_then(|m| m.name.as_deref());
    if meta_name != Some(name) {
        errs.push(format!(
            "[validate.go] plugin should be named {name:?} (its file name), not {:?}",
            meta_name.unwrap_or("")
        ));
    }

    let Some(spec) = plugin.spec.as_ref() else {
        errs.push(
            "[validate.go] should have a spec (short description, version, platforms)".into(),
        );
        return errs;
    };
    let short = spec.short_description.as_deref().unwrap_or("");
    if short.is_empty() {
        errs.push("[validate.go] should have a short description".into());
    }
    if short.contains(['\r', '\n']) {
        errs.push(format!(
            "[validate.go] should not have line breaks in short description: {short:?}"
        ));
    }
    if short.len() > SHORT_DESCRIPTION_MAX {
        errs.push(format!(
            "[search.go] shortDescription is {} bytes; `kubectl krew search` cuts it at {SHORT_DESCRIPTION_MAX}: {short:?}",
            short.len()
        ));
    }
    if spec.description.as_deref().unwrap_or("").trim().is_empty() {
        errs.push("[docs] plugin-manifest.md: `description` is required".into());
    }
    let homepage = spec.homepage.as_deref().unwrap_or("");
    if !homepage.starts_with("https://") {
        errs.push(format!(
            "[project] homepage must be an https:// URL, got {homepage:?}"
        ));
    }

    let platforms = spec.platforms.as_deref().unwrap_or(&[]);
    if platforms.is_empty() {
        errs.push("[validate.go] should have a platform specified".into());
    }
    let version = spec.version.as_deref().unwrap_or("");
    if version.is_empty() {
        errs.push("[validate.go] should have a version specified".into());
    } else if let Err(e) = parse_krew_version(version) {
        errs.push(format!("[semver] failed to parse plugin version: {e}"));
    }
    if version != format!("v{cargo_version}") {
        errs.push(format!(
            "[project] spec.version {version:?} must be \"v\" + Cargo.toml's version ({cargo_version:?}); run scripts/release.sh --update-manifest"
        ));
    }

    for (i, p) in platforms.iter().enumerate() {
        for e in validate_platform(p, version) {
            errs.push(format!("spec.platforms[{i}]: {e}"));
        }
    }

    // [validate-krew-manifest] every platform is used; no supported os/arch picks two platforms.
    for (i, p) in platforms.iter().enumerate() {
        if let Some(sel) = &p.selector
            && !KREW_PLATFORMS
                .iter()
                .any(|&(os, arch)| selects(sel, os, arch))
        {
            errs.push(format!(
                "[validate-krew-manifest] spec.platforms[{i}]'s selector doesn't match any supported platform"
            ));
        }
    }
    for &(os, arch) in KREW_PLATFORMS {
        let hits: Vec<usize> = platforms
            .iter()
            .enumerate()
            .filter(|(_, p)| p.selector.as_ref().is_some_and(|s| selects(s, os, arch)))
            .map(|(i, _)| i)
            .collect();
        if hits.len() > 1 {
            errs.push(format!(
                "[validate-krew-manifest] multiple spec.platforms (at indexes {hits:?}) have overlapping selectors that select {os}/{arch}"
            ));
        }
    }
    errs
}

/// [validate.go] validatePlatform and validateSelector, plus what installing it needs.
fn validate_platform(p: &Platform, version: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let uri = p.uri.as_deref().unwrap_or("");
    if uri.is_empty() {
        errs.push("[validate.go] `uri` has to be set".to_string());
    } else if !uri.starts_with("https://") {
        errs.push(format!(
            "[project] `uri` must be https:// (release archives on GitHub), got {uri:?}"
        ));
    }
    let sha = p.sha256.as_deref().unwrap_or("");
    if sha.is_empty() {
        errs.push("[validate.go] `sha256` sum has to be set".into());
    } else if !(sha.len() == 64 && sha.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))) {
        errs.push(format!(
            "[validate.go] `sha256` value {sha} is not valid, must match pattern ^[a-f0-9]{{64}}$ (lower-case hex)"
        ));
    }
    let bin = p.bin.as_deref().unwrap_or("");
    if bin.is_empty() {
        errs.push("[validate.go] `bin` has to be set".into());
    }

    // [validate.go] validateFiles: unspecified is allowed (krew then copies `*` to `.`), empty is not.
    let installed = match &p.files {
        None => {
            errs.push(
                "[project] `files` must list the binary and LICENSE, so that `bin` can be checked"
                    .into(),
            );
            Vec::new()
        }
        Some(files) if files.is_empty() => {
            errs.push(
                "[validate.go] `files` is invalid: has to be unspecified or non-empty".into(),
            );
            Vec::new()
        }
        Some(files) => installed_files(files, &mut errs),
    };

    // [install] bin is joined to the plugin directory, must stay inside it and exist after the moves.
    if !bin.is_empty() {
        match clean_relative(bin) {
            None => errs.push(format!(
                "[install] `bin` {bin:?} leaves the plugin directory (absolute or `..`)"
            )),
            Some(b) if p.files.is_some() && !installed.contains(&b) => errs.push(format!(
                "[install] `bin` {bin:?} is not among the files the `files` operations install ({installed:?})"
            )),
            Some(_) => {}
        }
    }
    // [validate-krew-manifest] validateLicenseFileExists; [docs] submitting-to-krew.md checklist.
    if p.files.is_some()
        && !installed.iter().any(|f| {
            let base = f.rsplit('/').next().unwrap_or(f).to_ascii_lowercase();
            LICENSE_FILES.contains(&base.as_str())
        })
    {
        errs.push(
            "[validate-krew-manifest] no LICENSE (or alike) file is installed by `files`".into(),
        );
    }

    match &p.selector {
        None => errs
            .push("[validate.go] invalid platform selector: nil selector is not supported".into()),
        Some(sel) => {
            for e in validate_selector(sel) {
                errs.push(format!("[validate.go] invalid platform selector: {e}"));
            }
            // [project] release.sh writes one matchLabels os/arch pair per archive; the uri names it.
            let labels = sel.match_labels.as_ref();
            let os = labels.and_then(|l| l.get("os"));
            let arch = labels.and_then(|l| l.get("arch"));
            match (os, arch) {
                (Some(os), Some(arch)) => {
                    let want = format!(
                        "{HOMEPAGE}/releases/download/{version}/{BIN}_{version}_{os}_{arch}.tar.gz"
                    );
                    if uri != want {
                        errs.push(format!(
                            "[project] `uri` {uri:?} should be the release archive {want:?}"
                        ));
                    }
                    // [docs] plugin-manifest.md: only `.exe` entry points work on Windows.
                    if os == "windows" && !bin.ends_with(".exe") {
                        errs.push(format!("[docs] Windows `bin` must be an .exe, got {bin:?}"));
                    }
                }
                _ => errs.push(
                    "[project] selector must be matchLabels with both os and arch (one archive per platform)"
                        .into(),
                ),
            }
        }
    }
    errs
}

/// [validate.go] validateFiles, then [install] move.go's rules for each operation. Returns the
/// paths (relative to the plugin directory) that the operations create.
fn installed_files(files: &[FileOperation], errs: &mut Vec<String>) -> Vec<String> {
    let mut out = Vec::new();
    for op in files {
        let (Some(from), Some(to)) = (op.from.as_deref(), op.to.as_deref()) else {
            errs.push(
                "[validate.go] `files` is invalid: `from` and `to` fields have to be set".into(),
            );
            continue;
        };
        if from.is_empty() || to.is_empty() {
            errs.push(
                "[validate.go] `files` is invalid: `from` and `to` fields have to be set".into(),
            );
            continue;
        }
        // move.go findMoveTargets: `fo.To != filepath.Clean(fo.To)` is an error.
        if go_clean(to) != to {
            errs.push(format!(
                "[install] the provided path is not clean, {to:?} should be {:?}",
                go_clean(to)
            ));
        }
        let Some(from_clean) = clean_relative(from) else {
            errs.push(format!(
                "[install] `from` {from:?} leaves the archive (absolute or `..`)"
            ));
            continue;
        };
        let Some(to_clean) = clean_relative(to) else {
            errs.push(format!(
                "[install] `to` {to:?} leaves the plugin directory (absolute or `..`)"
            ));
            continue;
        };
        if from.contains(['*', '?', '[']) {
            // krew expands globs against the archive; before there is one, `bin` cannot be
            // checked against them, so this project's manifests name files literally.
            errs.push(format!(
                "[project] `from` {from:?} is a glob; name the archive's files literally"
            ));
            continue;
        }
        // move.go getDirectMove: a single file moves to `to`, or keeps its name when `to` is ".".
        if to_clean == "." {
            out.push(
                from_clean
                    .rsplit('/')
                    .next()
                    .unwrap_or(&from_clean)
                    .to_string(),
            );
        } else {
            out.push(to_clean);
        }
    }
    out
}

/// [validate.go] validateSelector, plus what `metav1.LabelSelectorAsSelector` rejects (an
/// invalid requirement makes validate-krew-manifest's match fail).
fn validate_selector(sel: &Selector) -> Vec<String> {
    let mut errs = Vec::new();
    let exprs = sel.match_expressions.as_deref().unwrap_or(&[]);
    if sel.match_labels.is_none() && exprs.is_empty() {
        errs.push("empty selector is not supported".to_string());
    }
    let keys = sel
        .match_labels
        .iter()
        .flat_map(|m| m.keys())
        .chain(exprs.iter().map(|e| &e.key));
    for key in keys {
        if key != "os" && key != "arch" {
            errs.push(format!("key {key:?} not supported"));
        }
    }
    if sel.match_labels.as_ref().is_some_and(|m| m.is_empty()) {
        errs.push("`matchLabels` specified but empty".into());
    }
    if sel.match_expressions.as_ref().is_some_and(|e| e.is_empty()) {
        errs.push("`matchExpressions` specified but empty".into());
    }
    for e in exprs {
        let n = e.values.as_ref().map_or(0, Vec::len);
        let ok = match e.operator.as_str() {
            "In" | "NotIn" => n > 0,
            "Exists" | "DoesNotExist" => n == 0,
            _ => false,
        };
        if !ok {
            errs.push(format!(
                "requirement {:?} {} with {n} values is not a valid label selector",
                e.key, e.operator
            ));
        }
    }
    errs
}

/// Does `sel` select the labels {os, arch}? (k8s label selector semantics; both labels are set.)
fn selects(sel: &Selector, os: &str, arch: &str) -> bool {
    let label = |k: &str| match k {
        "os" => Some(os),
        "arch" => Some(arch),
        _ => None,
    };
    let labels_ok = sel
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| label(k) == Some(v.as_str()));
    let exprs_ok = sel.match_expressions.iter().flatten().all(|e| {
        let value = label(&e.key);
        let values = e.values.as_deref().unwrap_or(&[]);
        match e.operator.as_str() {
            "In" => !values.is_empty() && value.is_some_and(|v| values.iter().any(|x| x == v)),
            "NotIn" => !values.is_empty() && value.is_none_or(|v| !values.iter().any(|x| x == v)),
            "Exists" => values.is_empty() && value.is_some(),
            "DoesNotExist" => values.is_empty() && value.is_none(),
            _ => false,
        }
    });
    labels_ok && exprs_ok
}

/// [validate.go] IsSafePluginName: `^[\w-]+$` (Go's `\w` is ASCII `[0-9A-Za-z_]`) and not a
/// Windows device name.
fn is_safe_plugin_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !WINDOWS_FORBIDDEN
            .iter()
            .any(|f| f.eq_ignore_ascii_case(name))
}

fn is_kebab_case(name: &str) -> bool {
    name.split('-').all(|w| {
        !w.is_empty()
            && w.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// [semver] krew's `semver.Parse`: a leading "v", then apimachinery's `ParseSemantic`: exactly
/// three numeric components without leading zeros, then `-pre.release` (numeric parts without
/// leading zeros) and `+build.metadata` of `[0-9A-Za-z-]` identifiers.
fn parse_krew_version(s: &str) -> Result<(), String> {
    let rest = s
        .strip_prefix('v')
        .ok_or_else(|| format!("version string {s:?} not starting with 'v'"))?;
    let rest = rest.trim_end();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (numbers, extra) = rest.split_at(end);
    let comps: Vec<&str> = numbers.split('.').collect();
    if comps.len() != 3 {
        return Err(format!("illegal version string {s:?}"));
    }
    for c in &comps {
        if c.is_empty() || c.parse::<u64>().is_err() {
            return Err(format!(
                "illegal non-numeric version component {c:?} in {s:?}"
            ));
        }
        if c.len() > 1 && c.starts_with('0') {
            return Err(format!(
                "illegal zero-prefixed version component {c:?} in {s:?}"
            ));
        }
    }
    let idents_ok = |part: &str| {
        part.split('.')
            .all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    };
    let (pre, build) = match extra.split_once('+') {
        Some((pre, build)) => (pre, Some(build)),
        None => (extra, None),
    };
    let bad_extra = || format!("could not parse pre-release/metadata ({extra}) in version {s:?}");
    if !pre.is_empty() {
        let pre = pre.strip_prefix('-').ok_or_else(bad_extra)?;
        if !idents_ok(pre) {
            return Err(bad_extra());
        }
        for id in pre.split('.') {
            if id.len() > 1 && id.starts_with('0') && id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "illegal zero-prefixed version component {id:?} in {s:?}"
                ));
            }
        }
    }
    if let Some(build) = build
        && !idents_ok(build)
    {
        return Err(bad_extra());
    }
    Ok(())
}

/// Go's `filepath.Clean` on a slash path (lexical).
fn go_clean(p: &str) -> String {
    let rooted = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            x => out.push(x),
        }
    }
    let joined = out.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// The cleaned path if `p` is relative and stays below its base ([install] pathutil.IsSubPath
/// rejects anything whose relative form starts with ".."); backslashes are refused too.
fn clean_relative(p: &str) -> Option<String> {
    if p.starts_with('/') || p.contains('\\') {
        return None;
    }
    let c = go_clean(p);
    (!c.starts_with("..")).then_some(c)
}

// ---------------------------------------------------------------------------------------------
// Helpers.

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn cargo_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// SHA-256 from ring, reached through rustls' ring provider: ring is only a transitive
/// dependency (an integration test can name only Cargo.toml's dependencies), and tokio-rustls, a
/// dev-dependency with its "ring" feature, re-exports rustls. No new dependency, no hand-rolled hash.
fn sha256_hex(data: &[u8]) -> String {
    use tokio_rustls::rustls::crypto::{self, hash::HashAlgorithm};
    let suite = crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256;
    let hash = suite.tls13().expect("a TLS 1.3 suite").common.hash_provider;
    assert_eq!(hash.algorithm(), HashAlgorithm::SHA256);
    hash.hash(data)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("could not run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(cmd: &mut Command) -> String {
    String::from_utf8(run(cmd).stdout).expect("utf-8 output")
}

/// A fresh scratch directory under cargo's per-target temp dir.
fn scratch(name: &str) -> PathBuf {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("krew-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn release_sh() -> Command {
    let mut c = Command::new("bash");
    c.arg(repo().join("scripts/release.sh"));
    c
}

fn archive_name(os: &str, arch: &str) -> String {
    format!("{BIN}_v{}_{os}_{arch}.tar.gz", cargo_version())
}

fn assert_valid(file_name: &str, text: &str) {
    let errs = validate(file_name, text, cargo_version());
    assert!(
        errs.is_empty(),
        "{file_name} breaks krew's rules:\n  {}\n--- manifest ---\n{text}",
        errs.join("\n  ")
    );
}

// ---------------------------------------------------------------------------------------------
// Tests.

#[test]
fn sha256_helper_matches_fips_180_vectors() {
    // FIPS 180-2 appendix B.1 and the empty message: the checksum check below is only as good as this.
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        sha256_hex(b""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn license_is_the_verbatim_apache_2_0_text() {
    // Cargo.toml says Apache-2.0; the archives ship LICENSE; krew-index wants it installed.
    assert_eq!(env!("CARGO_PKG_LICENSE"), "Apache-2.0");
    let text = fs::read(repo().join("LICENSE")).expect("LICENSE at the repository root");
    // sha256 of https://www.apache.org/licenses/LICENSE-2.0.txt (202 lines, with the appendix).
    assert_eq!(
        sha256_hex(&text),
        "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30",
        "LICENSE must be the unmodified Apache License 2.0 text"
    );
}

#[test]
fn committed_manifest_passes_krews_validation() {
    let path = repo().join(format!("krew/{PLUGIN}.yaml"));
    let text = fs::read_to_string(&path).expect("krew/tlscheck.yaml");
    assert_valid("tlscheck.yaml", &text);

    let plugin: Plugin = serde_saphyr::from_str(&text).unwrap();
    let spec = plugin.spec.unwrap();
    assert_eq!(spec.homepage.as_deref(), Some(HOMEPAGE));
    // This machine builds only the host target; the header says how the rest gets in.
    let platforms = spec.platforms.unwrap();
    assert!(
        platforms.iter().any(|p| p
            .selector
            .as_ref()
            .is_some_and(|s| selects(s, "linux", "amd64"))),
        "krew/tlscheck.yaml should offer linux/amd64"
    );
    assert!(
        text.starts_with('#') && text.contains("scripts/release.sh"),
        "krew/tlscheck.yaml should say at the top that scripts/release.sh regenerates it"
    );
}

#[test]
fn release_script_writes_a_valid_manifest_for_reproducible_archives() {
    let dir = scratch("release");
    // A private copy: target/debug/kubectl-tlscheck may be rebuilt by another cargo command
    // while this test runs.
    let snapshot = dir.join("bin");
    fs::create_dir_all(&snapshot).unwrap();
    let bin = &snapshot.join(BIN);
    fs::copy(env!("CARGO_BIN_EXE_kubectl-tlscheck"), bin).unwrap();
    let commit_time = stdout(
        Command::new("git")
            .args(["log", "-1", "--format=%ct"])
            .current_dir(repo()),
    );
    let commit_time = commit_time.trim();

    // Run 1: the default mtime (the HEAD commit's time).
    let out1 = dir.join("out1");
    run(release_sh()
        .arg("--binary")
        .arg(bin)
        .arg("--out")
        .arg(&out1)
        .env_remove("SOURCE_DATE_EPOCH"));
    let name = archive_name("linux", "amd64");
    let archive = out1.join(&name);
    let manifest_text = fs::read_to_string(out1.join("tlscheck.yaml")).expect("out/tlscheck.yaml");
    assert_valid("tlscheck.yaml", &manifest_text);
    let entries: Vec<_> = fs::read_dir(&out1)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let mut entries = entries;
    entries.sort();
    assert_eq!(
        entries,
        [name.clone(), "tlscheck.yaml".into()],
        "files in --out"
    );

    // The manifest describes this archive: one platform, its name and checksum.
    let plugin: Plugin = serde_saphyr::from_str(&manifest_text).unwrap();
    let platforms = plugin.spec.unwrap().platforms.unwrap();
    assert_eq!(platforms.len(), 1, "only the host platform has an archive");
    let p = &platforms[0];
    let uri = p.uri.as_deref().unwrap();
    assert_eq!(
        uri.rsplit('/').next(),
        Some(name.as_str()),
        "uri's file name"
    );
    let archive_bytes = fs::read(&archive).unwrap();
    assert_eq!(
        p.sha256.as_deref(),
        Some(sha256_hex(&archive_bytes).as_str()),
        "manifest sha256 vs the archive"
    );

    // The archive's entries: at the root, owned by 0/0, stamped with the commit time.
    let listing = stdout(
        Command::new("tar")
            .args(["--numeric-owner", "--full-time", "-tvzf"])
            .arg(&archive)
            .env("TZ", "UTC"),
    );
    let stamp = stdout(Command::new("date").args([
        "-u",
        "-d",
        &format!("@{commit_time}"),
        "+%Y-%m-%d %H:%M:%S",
    ]));
    let mut listed = BTreeMap::new();
    for line in listing.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(f.len(), 6, "unexpected tar listing line {line:?}");
        assert_eq!(f[1], "0/0", "owner of {line:?}");
        assert_eq!(
            format!("{} {}", f[3], f[4]),
            stamp.trim(),
            "mtime of {line:?}"
        );
        listed.insert(f[5].to_string(), f[0].to_string());
    }
    assert_eq!(
        listed.keys().collect::<Vec<_>>(),
        ["LICENSE", BIN],
        "archive root:\n{listing}"
    );
    for op in p.files.as_ref().unwrap() {
        let from = op.from.as_deref().unwrap();
        assert!(
            listed.contains_key(from),
            "files.from {from:?} is not in the archive"
        );
    }
    let bin_name = p.bin.as_deref().unwrap();
    assert_eq!(
        listed.get(bin_name).map(String::as_str),
        Some("-rwxr-xr-x"),
        "bin mode"
    );
    assert_eq!(
        listed.get("LICENSE").map(String::as_str),
        Some("-rw-r--r--")
    );

    // Install as krew does: extract, apply the file operations, then `bin` must be there and
    // executable, with a license beside it (validate-krew-manifest's install check).
    let extracted = dir.join("extracted");
    let installed = dir.join("installed");
    fs::create_dir_all(&extracted).unwrap();
    fs::create_dir_all(&installed).unwrap();
    run(Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .arg("-C")
        .arg(&extracted));
    for op in p.files.as_ref().unwrap() {
        let from = op.from.as_deref().unwrap();
        let to = op.to.as_deref().unwrap();
        let dest = if to == "." {
            Path::new(from).file_name().unwrap().into()
        } else {
            PathBuf::from(to)
        };
        fs::rename(extracted.join(from), installed.join(dest)).unwrap();
    }
    let installed_bin = installed.join(bin_name);
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&installed_bin)
            .expect("bin after install")
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "bin must be executable, mode {mode:o}");
    }
    // (assert!, not assert_eq!: a failure would print 200 MB of bytes.)
    assert!(
        fs::read(&installed_bin).unwrap() == fs::read(bin).unwrap(),
        "the archived binary is not the one given to --binary"
    );
    assert!(
        fs::read(installed.join("LICENSE")).unwrap() == fs::read(repo().join("LICENSE")).unwrap(),
        "the archived LICENSE is not the repository's"
    );
    let version = stdout(Command::new(&installed_bin).arg("--version"));
    assert!(
        version.starts_with(&format!("{BIN} {}", cargo_version())),
        "the installed binary reports {version:?}"
    );
    drop(archive_bytes);
    fs::remove_dir_all(&extracted).unwrap();
    fs::remove_dir_all(&installed).unwrap();

    // Run 2: the same binary from another path with another mtime, SOURCE_DATE_EPOCH given
    // explicitly: byte-identical archive and manifest.
    let copy_dir = dir.join("copy");
    fs::create_dir_all(&copy_dir).unwrap();
    let copy = copy_dir.join(BIN);
    fs::copy(bin, &copy).unwrap();
    fs::File::options()
        .write(true)
        .open(&copy)
        .unwrap()
        .set_modified(
            std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000),
        )
        .unwrap();
    let out2 = dir.join("out2");
    run(release_sh()
        .arg(format!("v{}", cargo_version()))
        .arg("--binary")
        .arg(&copy)
        .arg("--out")
        .arg(&out2)
        .env("SOURCE_DATE_EPOCH", commit_time));
    assert!(
        fs::read(&archive).unwrap() == fs::read(out2.join(&name)).unwrap(),
        "two runs over the same binary must produce byte-identical archives"
    );
    assert_eq!(
        manifest_text,
        fs::read_to_string(out2.join("tlscheck.yaml")).unwrap()
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn release_script_refuses_bad_requests() {
    let dir = scratch("refuse");
    let bin = env!("CARGO_BIN_EXE_kubectl-tlscheck");
    let cases: &[(&[&str], &str)] = &[
        (
            &["v9.9.9", "--binary", bin],
            "differs from Cargo.toml's version",
        ),
        (
            &["--target", "riscv64gc-unknown-linux-gnu"],
            "no krew platform for target",
        ),
        (
            &["--target", "x86_64-unknown-linux-gnu", "--binary", bin],
            "--binary packages the host target",
        ),
        (
            &["--binary", "/nonexistent/kubectl-tlscheck"],
            "is not an executable file",
        ),
        (&["--frobnicate"], "unknown option"),
    ];
    for (args, want) in cases {
        let out = release_sh()
            .args(*args)
            .arg("--out")
            .arg(&dir)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "release.sh {args:?}: {err}");
        assert!(
            err.contains(want),
            "release.sh {args:?} should say {want:?}, said: {err}"
        );
    }
    // Nothing was packaged.
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
    let _ = fs::remove_dir_all(&dir);
}

/// Replace `from` (which must be there) by `to` in `text`.
fn mutate(text: &str, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "mutation target {from:?} not in the manifest"
    );
    text.replacen(from, to, 1)
}

#[test]
fn validator_rejects_broken_manifests() {
    let base = fs::read_to_string(repo().join("krew/tlscheck.yaml")).unwrap();
    assert_valid("tlscheck.yaml", &base);
    let v = cargo_version();
    let tag = format!("v{v}");
    let version_line = format!("version: \"{tag}\"");
    let plugin: Plugin = serde_saphyr::from_str(&base).unwrap();
    let first = &plugin.spec.as_ref().unwrap().platforms.as_ref().unwrap()[0];
    let sha = first.sha256.clone().unwrap();
    let short_line = {
        let s = plugin
            .spec
            .as_ref()
            .unwrap()
            .short_description
            .clone()
            .unwrap();
        format!("shortDescription: \"{s}\"")
    };
    let platform_block = &base[base.find("  - selector:").unwrap()..];

    // The three the brief names, one at a time and together.
    let upper_sha = mutate(&base, &sha, &sha.to_uppercase());
    let no_v = mutate(&base, &version_line, &format!("version: \"{v}\""));
    let multi_line = mutate(
        &base,
        &short_line,
        "shortDescription: |\n    Lint Kubernetes TLS\n    with ACM and cert-manager",
    );
    let all_three = mutate(
        &mutate(&upper_sha, &version_line, &format!("version: \"{v}\"")),
        &short_line,
        "shortDescription: |\n    Lint Kubernetes TLS\n    with ACM and cert-manager",
    );
    let cases: Vec<(&str, &str, String, Vec<&str>)> = vec![
        (
            "upper-case sha256",
            "tlscheck.yaml",
            upper_sha,
            vec!["must match pattern ^[a-f0-9]{64}$"],
        ),
        (
            "version without v",
            "tlscheck.yaml",
            no_v,
            vec!["not starting with 'v'"],
        ),
        (
            "multi-line shortDescription",
            "tlscheck.yaml",
            multi_line,
            vec!["line breaks in short description"],
        ),
        (
            "all three",
            "tlscheck.yaml",
            all_three,
            vec![
                "must match pattern",
                "not starting with 'v'",
                "line breaks in short description",
            ],
        ),
        (
            "wrong apiVersion (krew.googlecode.com)",
            "tlscheck.yaml",
            mutate(&base, API_VERSION, "krew.googlecode.com/v1alpha2"),
            vec!["apiVersion=\"krew.googlecode.com/v1alpha2\""],
        ),
        (
            "kind",
            "tlscheck.yaml",
            mutate(&base, "kind: Plugin", "kind: Plugins"),
            vec!["only \"Plugin\""],
        ),
        (
            "metadata.name differs from the file name",
            "tlscheck.yaml",
            mutate(&base, "name: tlscheck", "name: tls-check"),
            vec!["should be named \"tlscheck\""],
        ),
        (
            "file extension",
            "tlscheck.yml",
            base.clone(),
            vec!["expected manifest extension"],
        ),
        (
            "Windows device name",
            "con.yaml",
            mutate(&base, "name: tlscheck", "name: con"),
            vec!["name \"con\" is not allowed"],
        ),
        (
            "not kebab-case",
            "tls_check.yaml",
            mutate(&base, "name: tlscheck", "name: tls_check"),
            vec!["naming guide"],
        ),
        (
            "shortDescription too long for krew search",
            "tlscheck.yaml",
            mutate(
                &base,
                &short_line,
                "shortDescription: \"Lint Kubernetes manifests and clusters against the hybrid TLS architecture\"",
            ),
            vec!["cuts it at 50"],
        ),
        (
            "no description",
            "tlscheck.yaml",
            cut_description(&base),
            vec!["`description` is required"],
        ),
        (
            "two components",
            "tlscheck.yaml",
            mutate(&base, &version_line, "version: \"v0.1\""),
            vec!["illegal version string"],
        ),
        (
            "zero-prefixed component",
            "tlscheck.yaml",
            mutate(&base, &version_line, "version: \"v0.01.0\""),
            vec!["illegal zero-prefixed version component"],
        ),
        (
            "version differs from Cargo.toml",
            "tlscheck.yaml",
            mutate(&base, &version_line, "version: \"v99.0.0\""),
            vec![
                "must be \"v\" + Cargo.toml's version",
                "should be the release archive",
            ],
        ),
        (
            "no platforms",
            "tlscheck.yaml",
            format!(
                "{}  platforms: []\n",
                &base[..base.find("  platforms:").unwrap()]
            ),
            vec!["should have a platform specified"],
        ),
        (
            "http uri",
            "tlscheck.yaml",
            mutate(&base, "uri: https://", "uri: http://"),
            vec!["`uri` must be https://"],
        ),
        (
            "short sha256",
            "tlscheck.yaml",
            mutate(&base, &sha, &sha[..63]),
            vec!["is not valid"],
        ),
        (
            "bin not installed by files",
            "tlscheck.yaml",
            mutate(&base, &format!("bin: {BIN}"), "bin: tlscheck"),
            vec!["is not among the files"],
        ),
        (
            "bin outside the plugin directory",
            "tlscheck.yaml",
            mutate(&base, &format!("bin: {BIN}"), &format!("bin: ../{BIN}")),
            vec!["leaves the plugin directory"],
        ),
        (
            "from leaves the archive",
            "tlscheck.yaml",
            mutate(&base, "- from: LICENSE", "- from: ../LICENSE"),
            vec!["`from` \"../LICENSE\" leaves the archive"],
        ),
        (
            "to not clean",
            "tlscheck.yaml",
            mutate(
                &base,
                "- from: LICENSE\n      to: .",
                "- from: LICENSE\n      to: ./doc/",
            ),
            vec!["the provided path is not clean"],
        ),
        (
            "no LICENSE installed",
            "tlscheck.yaml",
            mutate(&base, "    - from: LICENSE\n      to: .\n", ""),
            vec!["no LICENSE"],
        ),
        (
            "empty files",
            "tlscheck.yaml",
            mutate(
                &base,
                &format!(
                    "    files:\n    - from: {BIN}\n      to: .\n    - from: LICENSE\n      to: .\n"
                ),
                "    files: []\n",
            ),
            vec!["has to be unspecified or non-empty"],
        ),
        (
            "unsupported selector key",
            "tlscheck.yaml",
            mutate(
                &base,
                "        arch: amd64",
                "        arch: amd64\n        cpu: x86",
            ),
            vec!["key \"cpu\" not supported"],
        ),
        (
            "selector matching no krew platform",
            "tlscheck.yaml",
            mutate(&base, "os: linux", "os: plan9"),
            vec!["doesn't match any supported platform"],
        ),
        (
            "duplicate platform",
            "tlscheck.yaml",
            format!("{base}{platform_block}"),
            vec!["overlapping selectors that select linux/amd64"],
        ),
        (
            "not YAML",
            "tlscheck.yaml",
            "spec: [".to_string(),
            vec!["failed to parse"],
        ),
    ];
    for (what, file, text, wants) in &cases {
        let errs = validate(file, text, v);
        for want in wants {
            assert!(
                errs.iter().any(|e| e.contains(want)),
                "{what}: expected an error containing {want:?}, got {errs:#?}"
            );
        }
    }
}

/// The manifest without its `description:` block.
fn cut_description(text: &str) -> String {
    let start = text
        .find("  description: |\n")
        .expect("a description block");
    let end = start + text[start..].find("  platforms:").unwrap();
    format!("{}{}", &text[..start], &text[end..])
}
