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
    /// Lint the live cluster of the current (or given) kubeconfig context.
    Cluster(Box<ClusterArgs>),
    /// Print the least-privilege ClusterRole that `cluster` needs for the enabled rules.
    Rbac(Box<RbacArgs>),
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
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args, Debug)]
struct ClusterArgs {
    /// Kubeconfig file (replaces the KUBECONFIG chain, as with kubectl).
    #[arg(long, value_name = "FILE")]
    kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: the current context).
    #[arg(long, value_name = "NAME")]
    context: Option<String>,
    /// Namespace of namespaced objects (default: the context's namespace).
    #[arg(
        short = 'n',
        long,
        value_name = "NS",
        conflicts_with = "all_namespaces"
    )]
    namespace: Option<String>,
    /// Read namespaced objects of every namespace.
    #[arg(short = 'A', long)]
    all_namespaces: bool,
    /// Label selector for namespaced objects (`-l app=web,tier!=db`).
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    selector: Option<String>,
    /// Timeout of each request (`30s`, `1m`, `0` for none, as with kubectl) [default: 60s].
    #[arg(long, value_name = "DURATION")]
    request_timeout: Option<String>,
    /// List requests in flight at once.
    #[arg(long, value_name = "N", default_value = "4")]
    concurrency: usize,
    /// Objects per list page (`limit`).
    #[arg(long, value_name = "N", default_value = "500")]
    chunk_size: u32,
    /// Hours before expiry from which an expiring certificate is an error (LIVE002)
    /// [default: 72, or `settings.critHours`].
    #[arg(long, value_name = "N")]
    crit_hours: Option<u32>,
    /// Minutes after which a pending CertificateRequest is reported (LIVE004)
    /// [default: 15, or `settings.crPendingMinutes`].
    #[arg(long, value_name = "N")]
    cr_pending_minutes: Option<u32>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args, Debug)]
struct RbacArgs {
    /// Name of the ClusterRole.
    #[arg(long, default_value = "kubectl-tlscheck-reader")]
    name: String,
    #[command(flatten)]
    common: CommonArgs,
}

/// Options shared by `lint`, `cluster` and `rbac`: rules, configuration, settings and output.
#[derive(Args, Debug)]
struct CommonArgs {
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
        Command::Cluster(args) => cluster(*args, &mut out)?,
        Command::Rbac(args) => {
            rbac(*args, &mut out)?;
            0
        }
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
    let start = match &inputs[0] {
        Input::File(p) => p.clone(),
        Input::Stdin => PathBuf::from("."),
    };
    let (opts, fail_on, setup_errors) = prepare(&args.common, &start, |_| {})?;
    let mut result = engine::lint(&inputs, &opts);
    finish(
        &args.common,
        fail_on,
        result_with(&mut result, setup_errors),
        out,
    )
}

fn cluster(args: ClusterArgs, out: &mut dyn Write) -> Result<i32> {
    let request_timeout = args
        .request_timeout
        .as_deref()
        .map(parse_kubectl_duration)
        .transpose()?
        .unwrap_or(Some(std::time::Duration::from_secs(60)));
    let (crit_hours, cr_pending) = (args.crit_hours, args.cr_pending_minutes);
    let (opts, fail_on, setup_errors) = prepare(&args.common, &PathBuf::from("."), |settings| {
        // A cluster is the whole world and its status is current.
        settings.live = true;
        settings.complete = true;
        if let Some(h) = crit_hours {
            settings.crit_hours = h;
        }
        if let Some(m) = cr_pending {
            settings.cr_pending_minutes = m;
        }
    })?;
    let cluster_opts = tlscheck::cluster::ClusterOptions {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        namespace: args.namespace.clone(),
        all_namespaces: args.all_namespaces,
        selector: args.selector.clone(),
        request_timeout,
        concurrency: args.concurrency,
        page_size: args.chunk_size,
    };
    let needed = engine::needed_kinds(&opts);
    let mut result = match tlscheck::cluster::fetch(&cluster_opts, &needed) {
        Ok(fetched) => {
            let count = fetched.objects.len();
            let errors = fetched
                .forbidden
                .iter()
                .map(|f| {
                    InputError::file(
                        fetched.source.clone(),
                        format!(
                            "{} skipped (forbidden: {}); {} ran without it — grant `get` and `list` (see `kubectl tlscheck rbac`)",
                            tlscheck::cluster::display_kind(&f.group, &f.kind),
                            f.reason,
                            engine::rules_reading(&opts, &f.group, &f.kind).join(", ")
                        ),
                    )
                })
                .collect();
            engine::lint_cluster(fetched.source, fetched.objects, count, errors, &opts)
        }
        Err(e) => engine::LintResult {
            input_errors: vec![InputError::file("cluster", e.to_string())],
            ..Default::default()
        },
    };
    finish(
        &args.common,
        fail_on,
        result_with(&mut result, setup_errors),
        out,
    )
}

fn rbac(args: RbacArgs, out: &mut dyn Write) -> Result<()> {
    let (opts, _, errors) = prepare(&args.common, &PathBuf::from("."), |s| s.live = true)?;
    if let Some(e) = errors.first() {
        bail!("{}: {}", e.file, e.message);
    }
    let kinds = engine::needed_kinds(&opts);
    write!(
        out,
        "{}",
        tlscheck::cluster::rbac::cluster_role(&kinds, &args.name)
    )?;
    Ok(())
}

/// A kubectl duration: `0` (no timeout), a number of seconds, or Go-style `1m30s`.
fn parse_kubectl_duration(text: &str) -> Result<Option<std::time::Duration>> {
    if text == "0" {
        return Ok(None);
    }
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Some(std::time::Duration::from_secs(secs)));
    }
    let nanos = tlscheck::rules::cm::duration::parse_go_duration(text)
        .map_err(|e| anyhow::anyhow!("invalid --request-timeout `{text}`: {e}"))?;
    Ok(Some(std::time::Duration::from_nanos(nanos)).filter(|d| !d.is_zero()))
}

fn result_with(result: &mut engine::LintResult, errors: Vec<InputError>) -> &engine::LintResult {
    result.input_errors.extend(errors);
    result.input_errors.sort();
    result
}

/// Read the configuration (discovered from `start` unless given), apply the shared flags, load user
/// policies and fingerprints. Problems with policies and fingerprint files are input errors.
fn prepare(
    common: &CommonArgs,
    start: &std::path::Path,
    adjust: impl FnOnce(&mut tlscheck::model::Settings),
) -> Result<(Options, FailOn, Vec<InputError>)> {
    let mut config = if common.no_config {
        Config::default()
    } else {
        let path = match &common.config {
            Some(p) => Some(p.clone()),
            None => Config::discover(start),
        };
        match path {
            Some(p) => Config::load(&p).with_context(|| "invalid configuration".to_string())?,
            None => Config::default(),
        }
    };
    if !common.select.is_empty() {
        config.select = common.select.clone();
    }
    config.ignore.extend(common.ignore.iter().cloned());
    config.settings.complete |= common.complete;
    if let Some(days) = common.warn_days {
        config.settings.warn_days = days;
    }
    for (flag, value, setting) in [
        (
            "--cluster-resource-namespace",
            &common.cluster_resource_namespace,
            &mut config.settings.cluster_resource_namespace,
        ),
        (
            "--istio-root-namespace",
            &common.istio_root_namespace,
            &mut config.settings.istio_root_namespace,
        ),
        (
            "--trust-namespace",
            &common.trust_namespace,
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
    if common.crd.iter().any(|p| p.as_os_str() == "-") {
        bail!("`--crd` reads files and directories, not standard input");
    }
    let crds: Vec<Input> = config
        .crd_paths()
        .into_iter()
        .chain(common.crd.iter().cloned())
        .map(Input::File)
        .collect();
    config.settings.now = tlscheck::time::now();

    let mut policy_dirs = config.policy_dirs();
    policy_dirs.extend(common.policy.iter().cloned());
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
        .chain(common.exempt_fingerprint.iter().cloned())
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

    let fail_on = match common.fail_on {
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
    let threads = common
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let opts = Options {
        config,
        user_policies,
        today: tlscheck::time::today(),
        threads,
        crds,
    };
    let mut opts = opts;
    adjust(&mut opts.config.settings);
    Ok((opts, fail_on, policy_errors))
}

/// Emit the report and compute the exit code.
fn finish(
    common: &CommonArgs,
    fail_on: FailOn,
    result: &engine::LintResult,
    out: &mut dyn Write,
) -> Result<i32> {
    let color = match common.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    };
    report::emit(common.output, result, out, color)?;

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
