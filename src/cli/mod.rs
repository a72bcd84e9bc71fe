//! The command line: kubectl-style flags, subcommand dispatch, and the exit code.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};

use tlscheck::engine::{self, Options};
use tlscheck::load::{Input, InputError, input_for};
use tlscheck::policy::{Config, Policy, builtin_policies, load_policy_dir};
use tlscheck::report::{self, Format};
use tlscheck::rules::Severity;

/// Lint Kubernetes manifests against the hybrid TLS architecture: ACM certificates at AWS load
/// balancers for north–south traffic, cert-manager for everything inside the cluster.
#[derive(Parser, Debug)]
#[command(
    name = "kubectl-tlscheck",
    bin_name = "kubectl tlscheck",
    version,
    about,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Lint manifest files, directories (recursively: .yaml, .yml, .json) and stdin (`-`).
    Lint(Box<LintArgs>),
    /// List the rules.
    Rules {
        /// Output format.
        #[arg(short = 'o', long = "output", value_enum, default_value = "human")]
        output: ListFormat,
    },
    /// Explain one rule (by ID or name).
    Explain {
        /// Rule ID (`NS006`) or name (`alb-https-certificate-unresolvable`).
        rule: String,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ListFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug)]
struct LintArgs {
    /// Files, directories or `-` for stdin (default: the current directory).
    paths: Vec<String>,
    /// A file, directory or `-` to lint, as with kubectl (repeatable).
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    filename: Vec<String>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "human")]
    output: Format,
    /// Lowest severity that makes the exit code 1 [default: error, or `failOn` in the config].
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Configuration file (default: `.tlscheck.yaml` found by walking up from the first path).
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Do not read any configuration file.
    #[arg(long)]
    no_config: bool,
    /// Only these rules (IDs or prefixes, comma-separated); replaces the config's `select`.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    select: Vec<String>,
    /// Skip these rules (IDs or prefixes, comma-separated); added to the config's `ignore`.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    ignore: Vec<String>,
    /// The input is the whole world: referenced objects missing from it are errors, not warnings.
    #[arg(long)]
    complete: bool,
    /// Directory of user policies (repeatable; added to the config's `policies`).
    #[arg(long = "policy", value_name = "DIR")]
    policy: Vec<PathBuf>,
    /// CustomResourceDefinitions (a file or directory, repeatable; added to the config's `crds`) whose
    /// schemas custom resources are validated against (SCHEMA001); they are not linted themselves.
    #[arg(long = "crd", value_name = "PATH")]
    crd: Vec<PathBuf>,
    /// File of webhook fingerprints recognised as legitimate non-cert-manager certificate
    /// management (repeatable; added to the config's `fingerprints` and the built-in ones).
    #[arg(long = "exempt-fingerprint", value_name = "FILE")]
    exempt_fingerprint: Vec<PathBuf>,
    /// Days before expiry from which certificates embedded in manifests are reported
    /// [default: 30, or `settings.warnDays` in the config].
    #[arg(long, value_name = "N")]
    warn_days: Option<u32>,
    /// Namespace from which cert-manager reads the Secrets of ClusterIssuers (cert-manager's flag of
    /// the same name) [default: cert-manager, or `settings.clusterResourceNamespace`].
    #[arg(long, value_name = "NS")]
    cluster_resource_namespace: Option<String>,
    /// Istio's root namespace: PeerAuthentications without selector there are mesh-wide
    /// [default: istio-system, or `settings.istioRootNamespace`].
    #[arg(long, value_name = "NS")]
    istio_root_namespace: Option<String>,
    /// trust-manager's trust namespace, the only one Bundle sources are read from
    /// [default: cert-manager, or `settings.trustNamespace`].
    #[arg(long, value_name = "NS")]
    trust_namespace: Option<String>,
    /// When to colour human output (honours NO_COLOR).
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
    /// Threads for reading files (default: all cores).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

/// Run the CLI; returns the process exit code.
pub fn run(cli: Cli) -> Result<i32> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let code = match cli.command {
        Command::Lint(args) => lint(*args, &mut out)?,
        Command::Rules { output } => {
            list_rules(output, &mut out)?;
            0
        }
        Command::Explain { rule } => {
            explain(&rule, &mut out)?;
            0
        }
    };
    out.flush()?;
    Ok(code)
}

fn lint(args: LintArgs, out: &mut dyn Write) -> Result<i32> {
    let mut raw: Vec<String> = args.paths.iter().chain(&args.filename).cloned().collect();
    if raw.is_empty() {
        raw.push(".".into());
    }
    if raw.iter().filter(|p| *p == "-").count() > 1 {
        bail!("`-` (stdin) can be given only once");
    }
    let inputs: Vec<Input> = raw.iter().map(|p| input_for(p)).collect();

    let mut config = if args.no_config {
        Config::default()
    } else {
        let path = match &args.config {
            Some(p) => Some(p.clone()),
            None => {
                let start = match &inputs[0] {
                    Input::File(p) => p.clone(),
                    Input::Stdin => PathBuf::from("."),
                };
                Config::discover(&start)
            }
        };
        match path {
            Some(p) => Config::load(&p).with_context(|| "invalid configuration".to_string())?,
            None => Config::default(),
        }
    };
    if !args.select.is_empty() {
        config.select = args.select.clone();
    }
    config.ignore.extend(args.ignore.iter().cloned());
    config.settings.complete |= args.complete;
    if let Some(days) = args.warn_days {
        config.settings.warn_days = days;
    }
    for (flag, value, setting) in [
        (
            "--cluster-resource-namespace",
            &args.cluster_resource_namespace,
            &mut config.settings.cluster_resource_namespace,
        ),
        (
            "--istio-root-namespace",
            &args.istio_root_namespace,
            &mut config.settings.istio_root_namespace,
        ),
        (
            "--trust-namespace",
            &args.trust_namespace,
            &mut config.settings.trust_namespace,
        ),
    ] {
        if let Some(ns) = value {
            if ns.is_empty() {
                bail!("`{flag}` needs a namespace name");
            }
            *setting = ns.clone();
        }
    }
    if args.crd.iter().any(|p| p.as_os_str() == "-") {
        bail!("`--crd` reads files and directories, not standard input");
    }
    let crds: Vec<Input> = config
        .crd_paths()
        .into_iter()
        .chain(args.crd.iter().cloned())
        .map(Input::File)
        .collect();
    config.settings.now = tlscheck::time::now();

    let mut policy_dirs = config.policy_dirs();
    policy_dirs.extend(args.policy.iter().cloned());
    let mut user_policies: Vec<Policy> = Vec::new();
    let mut policy_errors: Vec<InputError> = Vec::new();
    for dir in &policy_dirs {
        let (ok, errs) = load_policy_dir(dir);
        policy_errors.extend(errs.into_iter().map(|e| InputError {
            file: e.file,
            line: (e.pos.line > 0).then_some(e.pos.line),
            column: (e.pos.line > 0).then_some(e.pos.col),
            message: format!("invalid policy: {}", e.message),
        }));
        for p in ok {
            if builtin_policies()
                .iter()
                .chain(&user_policies)
                .any(|q| q.id == p.id)
            {
                policy_errors.push(InputError::file(
                    dir.display().to_string(),
                    format!(
                        "policy ID {} is used twice; user policy IDs must be unique",
                        p.id
                    ),
                ));
            } else {
                user_policies.push(p);
            }
        }
    }

    for path in config
        .fingerprint_paths()
        .into_iter()
        .chain(args.exempt_fingerprint.iter().cloned())
    {
        let parsed = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| tlscheck::model::fingerprint::parse(&text));
        match parsed {
            Ok(fps) => config.settings.extra_fingerprints.extend(fps),
            Err(e) => policy_errors.push(InputError::file(
                path.display().to_string(),
                format!("invalid webhook fingerprints: {e}"),
            )),
        }
    }

    let fail_on = match args.fail_on {
        Some(f) => f,
        None => match config.fail_on.as_deref() {
            None => FailOn::Error,
            Some(s) => FailOn::from_str(s, true).map_err(|_| {
                anyhow::anyhow!(
                    "invalid configuration: failOn `{s}` (expected error, warning, info or never)"
                )
            })?,
        },
    };
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let opts = Options {
        config,
        user_policies,
        today: tlscheck::time::today(),
        threads,
        crds,
    };
    let mut result = engine::lint(&inputs, &opts);
    result.input_errors.extend(policy_errors);
    result.input_errors.sort();

    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    };
    report::emit(args.output, &result, out, color)?;

    if !result.input_errors.is_empty() {
        return Ok(2);
    }
    let threshold = match fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Info => Some(Severity::Info),
        FailOn::Never => None,
    };
    let failed = threshold.is_some_and(|t| result.diagnostics.iter().any(|d| d.severity >= t));
    Ok(i32::from(failed))
}

fn list_rules(format: ListFormat, out: &mut dyn Write) -> Result<()> {
    let policies = builtin_policies();
    match format {
        ListFormat::Json => {
            let list: Vec<_> = policies
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "id": p.id, "name": p.name, "severity": p.severity, "category": p.category,
                        "priority": p.priority, "summary": p.summary, "remediation": p.remediation,
                        "references": p.references,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &list)?;
            writeln!(out)?;
        }
        ListFormat::Human => {
            let width = policies.iter().map(|p| p.name.len()).max().unwrap_or(0);
            let id_width = policies.iter().map(|p| p.id.len()).max().unwrap_or(0);
            for p in policies {
                writeln!(
                    out,
                    "{:<id_width$} {:<width$}  {:<7}  {}",
                    p.id,
                    p.name,
                    p.severity.as_str(),
                    p.category
                )?;
            }
        }
    }
    Ok(())
}

fn explain(rule: &str, out: &mut dyn Write) -> Result<()> {
    let Some(p) = builtin_policies()
        .iter()
        .find(|p| p.id.eq_ignore_ascii_case(rule) || p.name == rule)
    else {
        bail!("unknown rule `{rule}`; `kubectl tlscheck rules` lists them");
    };
    write!(out, "{}", tlscheck::policy::meta::explain_text(p))?;
    Ok(())
}
