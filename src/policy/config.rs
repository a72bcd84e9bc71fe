//! The configuration file `.tlscheck.yaml`: found by walking up from the first linted path, or given
//! with `--config`. Read with serde-saphyr (unknown keys are errors, with their line).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::load::Limits;
use crate::model::{Declared, Settings};
use crate::rules::Severity;

/// File names looked for, in order, in each directory.
pub const FILE_NAMES: [&str; 2] = [".tlscheck.yaml", ".tlscheck.yml"];

/// The configuration.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Config {
    /// Rule IDs or prefixes to enable (all when empty), e.g. `[NS, EW001]`.
    pub select: Vec<String>,
    /// Rule IDs or prefixes to disable; the longer of a matching select/ignore prefix wins.
    pub ignore: Vec<String>,
    /// Re-grade rules: `{NS008: error}`; every finding of the rule gets that severity.
    pub severity: BTreeMap<String, Severity>,
    /// Glob patterns (relative to the config file's directory) of paths not to lint.
    pub exclude: Vec<String>,
    /// Directories of user policies (relative to the config file's directory).
    pub policies: Vec<PathBuf>,
    /// Files or directories of CustomResourceDefinitions (relative to the config file's directory)
    /// whose schemas custom resources are validated against (SCHEMA001); they are not linted.
    pub crds: Vec<PathBuf>,
    /// Files of webhook fingerprints (relative to the config file's directory) added to the built-in
    /// ones (same format as `data/webhook-fingerprints.yaml`).
    pub fingerprints: Vec<PathBuf>,
    /// Objects that exist outside the input.
    pub objects: Vec<Declared>,
    /// Lowest severity that fails the run (`--fail-on` overrides).
    pub fail_on: Option<String>,
    /// Rule settings.
    pub settings: Settings,
    /// Parser limits.
    pub limits: LimitsConfig,
    /// Directory of the config file (set when loaded; paths are relative to it).
    #[serde(skip)]
    pub dir: Option<PathBuf>,
}

/// Parser limits, as configured.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Deepest nesting in a document.
    pub max_depth: usize,
    /// Nodes alias expansion may create per file.
    pub max_alias_nodes: usize,
    /// Largest file, in bytes.
    pub max_file_bytes: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        let l = Limits::default();
        LimitsConfig {
            max_depth: l.max_depth,
            max_alias_nodes: l.max_alias_nodes,
            max_file_bytes: l.max_file_bytes,
        }
    }
}

impl From<LimitsConfig> for Limits {
    fn from(c: LimitsConfig) -> Limits {
        Limits {
            max_depth: c.max_depth,
            max_alias_nodes: c.max_alias_nodes,
            max_file_bytes: c.max_file_bytes,
        }
    }
}

/// A configuration file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct ConfigError {
    /// The file.
    pub file: String,
    /// What is wrong (with line and column when serde-saphyr knows them).
    pub message: String,
}

impl Config {
    /// Read a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: file.clone(),
            message: format!("cannot read: {e}"),
        })?;
        let mut config: Config = if text.trim().is_empty() {
            Config::default()
        } else {
            serde_saphyr::from_str(&text).map_err(|e| ConfigError {
                file: file.clone(),
                message: e.to_string(),
            })?
        };
        config.dir = path.parent().map(Path::to_path_buf);
        Ok(config)
    }

    /// Find the config file for `start` (a file or directory) by walking up to the root.
    pub fn discover(start: &Path) -> Option<PathBuf> {
        let abs = std::path::absolute(start).ok()?;
        let mut dir = if abs.is_dir() {
            Some(abs.as_path())
        } else {
            abs.parent()
        };
        while let Some(d) = dir {
            for name in FILE_NAMES {
                let candidate = d.join(name);
                if candidate.is_file() {
                    // Report paths relative to the working directory, as the user typed them.
                    let cwd = std::env::current_dir().ok();
                    let rel = cwd
                        .as_ref()
                        .and_then(|c| candidate.strip_prefix(c).ok())
                        .map(Path::to_path_buf);
                    return Some(rel.unwrap_or(candidate));
                }
            }
            dir = d.parent();
        }
        None
    }

    /// The `crds` paths, relative to the config file's directory.
    pub fn crd_paths(&self) -> Vec<PathBuf> {
        self.relative(&self.crds)
    }

    /// The `policies` directories, relative to the config file's directory.
    pub fn policy_dirs(&self) -> Vec<PathBuf> {
        self.relative(&self.policies)
    }

    /// The `fingerprints` files, relative to the config file's directory.
    pub fn fingerprint_paths(&self) -> Vec<PathBuf> {
        self.relative(&self.fingerprints)
    }

    fn relative(&self, paths: &[PathBuf]) -> Vec<PathBuf> {
        paths
            .iter()
            .map(|p| {
                self.dir
                    .as_ref()
                    .map_or_else(|| p.clone(), |base| base.join(p))
            })
            .collect()
    }

    /// Whether rule `id` is enabled by select/ignore (longest matching prefix wins; ties ignore).
    pub fn enabled(&self, id: &str) -> bool {
        let longest = |list: &[String]| {
            list.iter()
                .filter(|p| id.starts_with(p.as_str()))
                .map(String::len)
                .max()
        };
        let selected = if self.select.is_empty() {
            Some(0)
        } else {
            longest(&self.select)
        };
        match (selected, longest(&self.ignore)) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(s), Some(i)) => s > i,
        }
    }

    /// Compiled `exclude` globs, matched against paths relative to the config directory (and, for
    /// paths outside it, against the path as given).
    pub fn exclude_matcher(&self) -> Result<impl Fn(&Path) -> bool + use<>, ConfigError> {
        let patterns = self
            .exclude
            .iter()
            .map(|g| {
                regex::Regex::new(&glob_to_regex(g)).map_err(|e| ConfigError {
                    file: ".tlscheck.yaml".into(),
                    message: format!("invalid exclude pattern `{g}`: {e}"),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let base = self.dir.as_ref().and_then(|d| std::path::absolute(d).ok());
        Ok(move |path: &Path| {
            if patterns.is_empty() {
                return false;
            }
            let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
            let rel = base
                .as_ref()
                .and_then(|b| abs.strip_prefix(b).ok())
                .unwrap_or(path);
            let rel = rel.to_string_lossy().replace('\\', "/");
            patterns.iter().any(|p| p.is_match(&rel))
        })
    }
}

/// Translate a gitignore-like glob to an anchored regex: `**` spans directories, `*` and `?` do not; a
/// pattern without `/` matches a name at any depth; a trailing `/` matches everything below.
pub fn glob_to_regex(glob: &str) -> String {
    let anchored = glob.trim_end_matches('/').contains('/');
    let glob = glob.trim_start_matches("./").trim_start_matches('/');
    let dir_only = glob.ends_with('/');
    let glob = glob.trim_end_matches('/');
    let mut re = String::from(if anchored { "^" } else { "(^|/)" });
    let mut chars = glob.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                if chars.peek() == Some(&'/') {
                    chars.next();
                    re.push_str("(.*/)?");
                } else {
                    re.push_str(".*");
                }
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push_str(if dir_only { "/" } else { "(/|$)" });
    re
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_and_ignore_use_the_longest_prefix() {
        let c = Config {
            select: vec!["NS".into(), "EW001".into()],
            ignore: vec!["NS00".into()],
            ..Default::default()
        };
        assert!(!c.enabled("NS004"));
        assert!(c.enabled("EW001"));
        assert!(!c.enabled("WH001"));
        let c = Config {
            select: vec!["NS004".into()],
            ignore: vec!["NS".into()],
            ..Default::default()
        };
        assert!(c.enabled("NS004") && !c.enabled("NS001"));
        let c = Config::default();
        assert!(c.enabled("NS001"));
    }

    #[test]
    fn globs() {
        let m = |g: &str, p: &str| regex::Regex::new(&glob_to_regex(g)).unwrap().is_match(p);
        assert!(m("charts/**", "charts/a/b.yaml"));
        assert!(!m("charts/**", "x/charts/a.yaml"));
        assert!(m("vendor", "a/vendor/b.yaml"));
        assert!(m("*.json", "a/b.json"));
        assert!(!m("*.json", "a/b.yaml"));
        assert!(m("apps/**/secret*.yaml", "apps/x/y/secret-a.yaml"));
        assert!(m("apps/**/secret*.yaml", "apps/secret.yaml"));
    }

    #[test]
    fn config_errors_have_lines() {
        let dir = std::env::temp_dir().join(format!("tlscheck-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(".tlscheck.yaml");
        std::fs::write(&p, "select: [NS]\nsettings:\n  minTLS: '1.2'\n").unwrap();
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(e.contains("minTLS") && e.contains('3'), "{e}");
        std::fs::write(
            &p,
            "severity: {NS008: error}\nsettings: {minTls: '1.3', complete: true}\n",
        )
        .unwrap();
        let c = Config::load(&p).unwrap();
        assert_eq!(c.severity["NS008"], Severity::Error);
        assert!(c.settings.complete && c.settings.min_tls == "1.3");
        std::fs::write(&p, "crds: [crds/, vendor/cert-manager.crds.yaml]\n").unwrap();
        let c = Config::load(&p).unwrap();
        assert_eq!(
            c.crd_paths(),
            [dir.join("crds/"), dir.join("vendor/cert-manager.crds.yaml")]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
