//! `kubectl tlscheck argocd-generate`: the `generate` command of the Argo CD config-management plugin
//! (`plugins/argocd/plugin.yaml`). Argo CD's cmp-server runs it in the application's source directory
//! with the application's variables set; it renders the application as Argo CD would (a Helm chart, a
//! Kustomize overlay or a plain directory) and passes the manifests through the linter: on success
//! stdout is exactly the rendered stream, on blocking findings the exit code is 1 and stderr carries
//! the short summary that Argo CD shows as the ComparisonError.
//!
//! Settings, highest precedence first: the plugin's parameters (`PARAM_<NAME>`, set from the
//! Application's `spec.source.plugin.parameters`), the Application's plugin environment
//! (`ARGOCD_ENV_TLSCHECK_<NAME>`), then the command-line flags of `plugin.yaml`. Argo CD derives both
//! variable names by upper-casing and replacing every character outside `[A-Z0-9_]` with `_`
//! (argo-cd `pkg/apis/application/v1alpha1/types.go`, `ApplicationSourcePluginParameters.Environ`;
//! `reposerver/repository/repository.go`, `getPluginParamEnvs`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use tlscheck::load::Input;

use super::{CommonArgs, FailOn};

#[derive(Args, Debug)]
pub(super) struct ArgocdArgs {
    /// How to render the application [default: auto: `Chart.yaml` means Helm, a kustomization file
    /// means Kustomize, anything else a plain directory, as Argo CD decides].
    #[arg(long, value_enum)]
    render: Option<Render>,
    /// Plain directories: read subdirectories too (Argo CD's `directory.recurse`; off by default,
    /// as in Argo CD).
    #[arg(long)]
    recurse: bool,
    /// Helm values files, relative to the chart (repeatable).
    #[arg(long = "helm-values", value_name = "FILE")]
    helm_values: Vec<String>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Render {
    Auto,
    Directory,
    Kustomize,
    Helm,
}

/// Files whose presence makes a directory a Kustomize overlay (kustomize's
/// `konfig.RecognizedKustomizationFileNames`).
const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// A name as Argo CD puts it into a variable name.
fn escaped(name: &str) -> String {
    name.to_ascii_uppercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// One setting from the environment: the plugin parameter, then the Application's plugin env.
fn setting(name: &str) -> Option<String> {
    let escaped = escaped(name);
    [
        format!("PARAM_{escaped}"),
        format!("ARGOCD_ENV_TLSCHECK_{escaped}"),
    ]
    .iter()
    .find_map(|var| std::env::var(var).ok().filter(|v| !v.trim().is_empty()))
}

/// A list setting: an array parameter (`PARAM_<NAME>_0`, `_1`, …), else a comma-separated string.
fn list_setting(name: &str) -> Option<Vec<String>> {
    let escaped = escaped(name);
    let array: Vec<String> = (0..)
        .map_while(|i| std::env::var(format!("PARAM_{escaped}_{i}")).ok())
        .filter(|v| !v.trim().is_empty())
        .collect();
    if !array.is_empty() {
        return Some(array);
    }
    setting(name).map(|v| {
        v.split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    })
}

fn apply_environment(args: &mut ArgocdArgs) -> Result<()> {
    let common = &mut args.common;
    if let Some(v) = setting("fail-on") {
        common.fail_on = Some(FailOn::from_str(&v, true).map_err(|_| {
            anyhow::anyhow!("fail-on `{v}`: expected error, warning, info or never")
        })?);
    }
    if let Some(v) = setting("config") {
        common.config = Some(PathBuf::from(v));
        common.no_config = false;
    }
    if let Some(v) = list_setting("select") {
        common.select = v;
    }
    if let Some(v) = list_setting("ignore") {
        common.ignore.extend(v);
    }
    if let Some(v) = setting("render") {
        args.render = Some(Render::from_str(&v, true).map_err(|_| {
            anyhow::anyhow!("render `{v}`: expected auto, directory, kustomize or helm")
        })?);
    }
    if let Some(v) = setting("recurse") {
        args.recurse = matches!(v.trim(), "true" | "1" | "yes");
    }
    if let Some(v) = list_setting("helm-values") {
        args.helm_values = v;
    }
    Ok(())
}

/// Run the plugin's generate step in the current directory.
pub(super) fn generate(mut args: ArgocdArgs, out: &mut dyn Write) -> Result<i32> {
    apply_environment(&mut args)?;
    let dir = Path::new(".");
    let render = match args.render.unwrap_or(Render::Auto) {
        Render::Auto => detect(dir),
        r => r,
    };
    let inputs = match render {
        Render::Directory => directory_inputs(dir, args.recurse)?,
        Render::Kustomize => vec![rendered(kustomize_command())?],
        Render::Helm => vec![rendered(helm_command(&args.helm_values))?],
        Render::Auto => unreachable!("detect() decides"),
    };
    super::lint_inputs(&inputs, &args.common, true, out)
}

fn detect(dir: &Path) -> Render {
    if dir.join("Chart.yaml").is_file() {
        Render::Helm
    } else if KUSTOMIZATION_FILES.iter().any(|f| dir.join(f).is_file()) {
        Render::Kustomize
    } else {
        Render::Directory
    }
}

/// The manifest files of a plain directory, as Argo CD reads them: `.yaml`, `.yml` and `.json`,
/// hidden entries skipped, subdirectories only with `recurse`.
fn directory_inputs(dir: &Path, recurse: bool) -> Result<Vec<Input>> {
    if recurse {
        return Ok(vec![Input::File(dir.to_path_buf())]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .context("cannot read the application directory")?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            !name.starts_with('.')
                && p.is_file()
                && [".yaml", ".yml", ".json"].iter().any(|x| name.ends_with(x))
        })
        .map(|p| p.strip_prefix("./").map(Path::to_path_buf).unwrap_or(p))
        .collect();
    files.sort();
    Ok(files.into_iter().map(Input::File).collect())
}

fn kustomize_command() -> Command {
    // The Argo CD image carries `kustomize`; kubectl embeds the same builder.
    if on_path("kustomize") {
        let mut c = Command::new("kustomize");
        c.args(["build", "."]);
        c
    } else {
        let mut c = Command::new("kubectl");
        c.args(["kustomize", "."]);
        c
    }
}

/// `helm template` as Argo CD runs it: the application's name as release name, its destination
/// namespace, CRDs included, and the cluster's version and API versions for `Capabilities`.
fn helm_command(values: &[String]) -> Command {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let mut c = Command::new("helm");
    c.arg("template")
        .arg(env("ARGOCD_APP_NAME").unwrap_or_else(|| "release".into()))
        .arg(".")
        .arg("--include-crds");
    if let Some(ns) = env("ARGOCD_APP_NAMESPACE") {
        c.args(["--namespace", &ns]);
    }
    if let Some(v) = env("KUBE_VERSION") {
        c.args(["--kube-version", &v]);
    }
    if let Some(v) = env("KUBE_API_VERSIONS") {
        for api in v.split(',').filter(|a| !a.is_empty()) {
            c.args(["--api-versions", api]);
        }
    }
    for f in values {
        c.args(["--values", f]);
    }
    c
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Run a renderer and keep its output in memory, named after the command.
fn rendered(mut command: Command) -> Result<Input> {
    let program = command.get_program().to_string_lossy().into_owned();
    let line = std::iter::once(program.clone())
        .chain(command.get_args().map(|a| a.to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join(" ");
    let output = command.output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            anyhow::anyhow!("`{program}` is not on PATH; the plugin's sidecar image must carry it")
        } else {
            anyhow::anyhow!("cannot run `{line}`: {e}")
        }
    })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        bail!("`{line}` failed ({}): {}", output.status, stderr.trim());
    }
    let name = line
        .split(" --")
        .next()
        .unwrap_or(&line)
        .trim_end_matches(" .")
        .to_string();
    Ok(Input::Bytes {
        name,
        bytes: Arc::from(output.stdout),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_follows_argo_cd() {
        let dir = std::env::temp_dir().join(format!("tlscheck-argocd-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(detect(&dir), Render::Directory);
        std::fs::write(dir.join("Kustomization"), "resources: []\n").unwrap();
        assert_eq!(detect(&dir), Render::Kustomize);
        std::fs::write(dir.join("Chart.yaml"), "name: x\n").unwrap();
        assert_eq!(detect(&dir), Render::Helm);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
