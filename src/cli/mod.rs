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

mod argocd;
mod passthrough;
mod shell;

/// `--version`: the crate version and the git commit (and its date) the binary was built from.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("TLSCHECK_GIT_REVISION"),
    ")"
);

/// Lint Kubernetes manifests against the hybrid TLS architecture: ACM certificates at AWS load
/// balancers for north–south traffic, cert-manager for everything inside the cluster.
#[derive(Parser, Debug)]
#[command(
    name = "kubectl-tlscheck",
    bin_name = "kubectl tlscheck",
    version = VERSION,
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
    /// Emit (or apply) the cert-manager issuers, CA and webhook certificates the findings say are
    /// missing (CM002, WH002, WH004): YAML on stdout, files in --out, or --apply.
    Bootstrap(Box<BootstrapArgs>),
    /// The `generate` step of the Argo CD config-management plugin: render the application in the
    /// current directory as Argo CD would (Helm, Kustomize or plain files) and pass it through the
    /// linter (see `plugins/argocd/`).
    ArgocdGenerate(Box<argocd::ArgocdArgs>),
    /// Print a shell completion script (`source <(kubectl-tlscheck completion bash)`).
    Completion(shell::CompletionArgs),
    /// Print the man page (roff), or write a page per subcommand with `--out DIR`.
    Man(shell::ManArgs),
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
    /// Write the input manifests to stdout unchanged when nothing blocks (exit 0), and a short
    /// summary to stderr instead of the report: `kustomize build | kubectl tlscheck lint
    /// --pass-through - | kubectl apply -f -`. Files without Kubernetes objects are left out.
    #[arg(long, conflicts_with = "output")]
    pass_through: bool,
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
        Command::Bootstrap(args) => bootstrap(*args, &mut out)?,
        Command::ArgocdGenerate(args) => argocd::generate(*args, &mut out)?,
        Command::Completion(args) => {
            shell::completion(args, &mut out)?;
            0
        }
        Command::Man(args) => {
            shell::man(args, &mut out)?;
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
    lint_inputs(&inputs, &args.common, args.pass_through, out)
}

/// Lint `inputs` and report; with `pass_through`, the report is the stderr summary and the
/// manifests go to `out` when nothing blocks.
fn lint_inputs(
    inputs: &[Input],
    common: &CommonArgs,
    pass_through: bool,
    out: &mut dyn Write,
) -> Result<i32> {
    let start = match inputs.first() {
        Some(Input::File(p)) => p.clone(),
        _ => PathBuf::from("."),
    };
    let (opts, fail_on, setup_errors) = prepare(common, &start, |_| {})?;
    let mut result = engine::lint(inputs, &opts);
    let result = result_with(&mut result, setup_errors);
    if pass_through {
        passthrough::finish(result, threshold(fail_on), out)
    } else {
        finish(common, fail_on, result, out)
    }
}

fn cluster(args: ClusterArgs, out: &mut dyn Write) -> Result<i32> {
    let request_timeout = request_timeout(args.request_timeout.as_deref())?;
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

/// `--request-timeout`, 60 s when not given (`None`: no timeout).
fn request_timeout(flag: Option<&str>) -> Result<Option<std::time::Duration>> {
    flag.map(parse_kubectl_duration)
        .transpose()
        .map(|t| t.unwrap_or(Some(std::time::Duration::from_secs(60))))
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
                .copied()
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
    Ok(exit_code(result, threshold(fail_on)))
}

/// The lowest blocking severity.
fn threshold(fail_on: FailOn) -> Option<Severity> {
    match fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Info => Some(Severity::Info),
        FailOn::Never => None,
    }
}

/// 2 for unreadable input, 1 for blocking findings, else 0.
fn exit_code(result: &engine::LintResult, threshold: Option<Severity>) -> i32 {
    if !result.input_errors.is_empty() {
        return 2;
    }
    let failed = threshold.is_some_and(|t| result.diagnostics.iter().any(|d| d.severity >= t));
    i32::from(failed)
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

#[derive(Args, Debug)]
#[command(
    after_help = "Plans from the findings of CM002 (missing Issuer/ClusterIssuer), WH002 (webhook without CA source) and \
WH004 (inject-ca-from naming a missing Certificate): the standard chain (self-signed ClusterIssuer → CA Certificate → \
CA issuer) for every missing issuer, under the missing name; a serving Certificate, the inject-ca-from patch and the \
volume for every webhook without a CA. Nothing that exists is emitted. stdout carries only YAML; the summary goes to stderr."
)]
struct BootstrapArgs {
    /// Files, directories or `-` for stdin to plan from (default: the current directory).
    paths: Vec<String>,
    /// A file, directory or `-` to plan from, as with kubectl (repeatable).
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    filename: Vec<String>,
    /// Plan from the live cluster (all namespaces) instead of files.
    #[arg(long, conflicts_with_all = ["paths", "filename"])]
    from_cluster: bool,
    /// Kubeconfig file for --from-cluster and --apply.
    #[arg(long, value_name = "FILE")]
    kubeconfig: Option<PathBuf>,
    /// Kubeconfig context for --from-cluster and --apply.
    #[arg(long, value_name = "NAME")]
    context: Option<String>,
    /// Timeout of each request (`30s`, `1m`, `0` for none) [default: 60s].
    #[arg(long, value_name = "DURATION")]
    request_timeout: Option<String>,

    /// Namespaced variant: CA Certificate and CA Issuer in this namespace (and its Namespace object
    /// when nothing in the input lives there).
    #[arg(long, value_name = "NS")]
    namespace: Option<String>,
    /// Name of the self-signed ClusterIssuer.
    #[arg(long, value_name = "NAME", default_value = tlscheck::bootstrap::plan::SELFSIGNED_NAME)]
    selfsigned_name: String,
    /// Name (and common name) of the CA Certificate.
    #[arg(long, value_name = "NAME", default_value = tlscheck::bootstrap::plan::CA_NAME)]
    ca_name: String,
    /// Name of the CA Secret.
    #[arg(long, value_name = "NAME", default_value = tlscheck::bootstrap::plan::CA_SECRET)]
    ca_secret: String,
    /// Name of the CA issuer for webhook certificates; when given, it is created even without
    /// findings [default: my-ca-issuer, or the only CA ClusterIssuer of the input].
    #[arg(long, value_name = "NAME")]
    ca_issuer_name: Option<String>,
    /// Explicit CA lifetime (Go duration, e.g. 87600h; recommended: avoids the implicit 90 days).
    #[arg(long, value_name = "DURATION")]
    ca_duration: Option<String>,
    /// Subject organization of the CA (recommended: self-signed certificates otherwise have an empty
    /// issuer DN).
    #[arg(long, value_name = "ORG")]
    ca_org: Option<String>,
    /// Wire this webhook Service (`<ns>/<svc>`) to a cert-manager CA even without findings
    /// (repeatable).
    #[arg(long, value_name = "NS/SVC")]
    webhook: Vec<String>,
    /// Cluster domain for the fully qualified serving name.
    #[arg(long, value_name = "DOMAIN", default_value = "cluster.local")]
    cluster_domain: String,
    /// AWS Private CA variant: the certificate authority ARN (prerequisites go to stderr).
    #[arg(long, value_name = "ARN")]
    pca_arn: Option<String>,
    /// AWS region of the Private CA [default: the ARN's region].
    #[arg(long, value_name = "REGION", requires = "pca_arn")]
    region: Option<String>,
    /// IAM role the issuer assumes (cross-account).
    #[arg(long, value_name = "ARN", requires = "pca_arn")]
    role: Option<String>,
    /// Name of the AWS Private CA issuer.
    #[arg(long, value_name = "NAME", default_value = tlscheck::bootstrap::plan::PCA_ISSUER_NAME)]
    pca_issuer_name: String,
    /// Also emit the approver ClusterRole/Binding (when aws-privateca-issuer was installed without its
    /// chart's approverRole).
    #[arg(long, requires = "pca_arn")]
    pca_approver_rbac: bool,
    /// Distribute the root with trust-manager: a ConfigMap in the trust namespace and a Bundle.
    #[arg(long)]
    trust: bool,

    /// Write one file per object and a kustomization.yaml into DIR instead of stdout.
    #[arg(long, value_name = "DIR", conflicts_with = "apply")]
    out: Option<PathBuf>,
    /// Overwrite existing files in --out (never a file holding a CA private key).
    #[arg(long, requires = "out")]
    force: bool,
    /// Apply the plan to the cluster (server-side apply, waiting for readiness) instead of printing it.
    #[arg(long)]
    apply: bool,
    /// How long --apply waits for each object to become ready [default: 5m].
    #[arg(long, value_name = "DURATION", requires = "apply")]
    timeout: Option<String>,
    /// Generate the root CA locally (key in a Secret written to --out with mode 0600, or applied)
    /// instead of a cert-manager self-signed issuer.
    #[arg(long)]
    local_ca: bool,
    /// Print Secrets holding private keys on stdout (needed for --local-ca without --out/--apply).
    #[arg(long)]
    emit_secret: bool,

    /// Configuration file (default: `.tlscheck.yaml` found by walking up from the first path).
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Do not read any configuration file.
    #[arg(long)]
    no_config: bool,
    /// Skip the findings of these rules (CM002, WH002, WH004; comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    ignore: Vec<String>,
    /// The input is the whole world: referenced objects missing from it are errors.
    #[arg(long)]
    complete: bool,
    /// File of webhook fingerprints recognised as legitimate non-cert-manager certificate management.
    #[arg(long = "exempt-fingerprint", value_name = "FILE")]
    exempt_fingerprint: Vec<PathBuf>,
    /// Namespace from which cert-manager reads the Secrets of ClusterIssuers [default: detected from
    /// the cert-manager controller's arguments, else cert-manager or `settings.clusterResourceNamespace`].
    #[arg(long, value_name = "NS")]
    cluster_resource_namespace: Option<String>,
    /// trust-manager's trust namespace, where --trust puts the root ConfigMap [default: cert-manager].
    #[arg(long, value_name = "NS")]
    trust_namespace: Option<String>,
    /// Threads for reading files (default: all cores).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

fn bootstrap(args: BootstrapArgs, out: &mut dyn Write) -> Result<i32> {
    use tlscheck::bootstrap::{self as bs, emit, plan as bplan};

    // Usage checks first: nothing is read or generated for a command line that cannot work.
    if args.local_ca && args.out.is_none() && !args.apply && !args.emit_secret {
        bail!(
            "--local-ca writes the CA private key only to a file (--out DIR) or to the cluster (--apply); add --emit-secret to print it on stdout"
        );
    }
    if args.local_ca && args.pca_arn.is_some() {
        bail!("--local-ca and --pca-arn are alternative roots: give one");
    }
    for name in [
        &args.selfsigned_name,
        &args.ca_name,
        &args.ca_secret,
        &args.pca_issuer_name,
    ]
    .into_iter()
    .chain(&args.ca_issuer_name)
    .chain(&args.namespace)
    {
        if !is_dns_name(name) {
            bail!("`{name}` is not a valid object name (lowercase letters, digits, `-` and `.`)");
        }
    }
    let ca_hours = match &args.ca_duration {
        Some(d) => {
            let nanos = tlscheck::rules::cm::duration::parse_go_duration(d)
                .map_err(|e| anyhow::anyhow!("invalid --ca-duration `{d}`: {e}"))?;
            if nanos < 3_600_000_000_000 {
                bail!("--ca-duration `{d}` is shorter than cert-manager's minimum of 1h");
            }
            Some(nanos / 3_600_000_000_000)
        }
        None => None,
    };
    if let Some(arn) = &args.pca_arn
        && !tlscheck::rules::aws::is_pca_arn(arn)
    {
        bail!(
            "--pca-arn `{arn}` is not an AWS Private CA ARN (arn:<partition>:acm-pca:<region>:<account>:certificate-authority/<uuid>)"
        );
    }
    if let Some(role) = &args.role {
        let ok = regex::Regex::new(
            r"^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc):iam::\d{12}:role/.+$",
        )
        .expect("static regex")
        .is_match(role);
        if !ok {
            bail!(
                "--role `{role}` is not an IAM role ARN (arn:<partition>:iam::<account>:role/<name>)"
            );
        }
    }
    let mut webhooks = Vec::new();
    for w in &args.webhook {
        match w.split_once('/') {
            Some((ns, svc)) if is_dns_name(ns) && is_dns_name(svc) => {
                webhooks.push((ns.to_string(), svc.to_string()));
            }
            _ => bail!("--webhook `{w}`: expected <namespace>/<service>"),
        }
    }
    let request_timeout = request_timeout(args.request_timeout.as_deref())?;
    let apply_timeout = match &args.timeout {
        Some(t) => parse_kubectl_duration(t)?.unwrap_or(std::time::Duration::from_secs(3600)),
        None => std::time::Duration::from_secs(300),
    };

    let mut raw: Vec<String> = args.paths.iter().chain(&args.filename).cloned().collect();
    if raw.is_empty() && !args.from_cluster {
        raw.push(".".into());
    }
    if raw.iter().filter(|p| *p == "-").count() > 1 {
        bail!("`-` (stdin) can be given only once");
    }
    let inputs: Vec<Input> = raw.iter().map(|p| input_for(p)).collect();
    let start = match inputs.first() {
        Some(Input::File(p)) => p.clone(),
        _ => PathBuf::from("."),
    };
    let common = CommonArgs {
        output: Format::Human,
        fail_on: None,
        config: args.config.clone(),
        no_config: args.no_config,
        select: Vec::new(),
        ignore: args.ignore.clone(),
        complete: args.complete,
        policy: Vec::new(),
        crd: Vec::new(),
        exempt_fingerprint: args.exempt_fingerprint.clone(),
        warn_days: None,
        cluster_resource_namespace: args.cluster_resource_namespace.clone(),
        istio_root_namespace: None,
        trust_namespace: args.trust_namespace.clone(),
        color: ColorChoice::Never,
        threads: args.threads,
    };
    let from_cluster = args.from_cluster;
    let (opts, _, setup_errors) = prepare(&common, &start, |s| {
        if from_cluster {
            s.live = true;
            s.complete = true;
        }
    })?;
    let cluster_opts = tlscheck::cluster::ClusterOptions {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        namespace: None,
        all_namespaces: true,
        selector: None,
        request_timeout,
        concurrency: 4,
        page_size: 500,
    };

    let mut input_errors = setup_errors;
    let (objects, files) = if from_cluster {
        let mut rules: Vec<String> = bs::TRIGGER_RULES
            .iter()
            .chain(bs::VERIFY_RULES.iter())
            .map(|r| r.to_string())
            .collect();
        rules.dedup();
        let mut config = opts.config.clone();
        config.select = rules;
        let kinds_opts = Options {
            config,
            user_policies: Vec::new(),
            today: opts.today.clone(),
            threads: opts.threads,
            crds: Vec::new(),
        };
        let mut needed = engine::needed_kinds(&kinds_opts);
        needed.push((Some(String::new()), "Namespace".into()));
        if args.trust {
            needed.push((Some(String::new()), "ConfigMap".into()));
            needed.push((Some("trust.cert-manager.io".into()), "Bundle".into()));
        }
        if args.pca_approver_rbac {
            needed.push((
                Some("rbac.authorization.k8s.io".into()),
                "ClusterRole".into(),
            ));
            needed.push((
                Some("rbac.authorization.k8s.io".into()),
                "ClusterRoleBinding".into(),
            ));
        }
        needed.sort();
        needed.dedup();
        match tlscheck::cluster::fetch(&cluster_opts, &needed) {
            Ok(fetched) => {
                for f in &fetched.forbidden {
                    input_errors.push(InputError::file(
                        fetched.source.clone(),
                        format!(
                            "{} skipped (forbidden: {}): bootstrap cannot tell what exists",
                            tlscheck::cluster::display_kind(&f.group, &f.kind),
                            f.reason
                        ),
                    ));
                }
                (fetched.objects, vec![fetched.source])
            }
            Err(e) => {
                input_errors.push(InputError::file("cluster", e.to_string()));
                (Vec::new(), Vec::new())
            }
        }
    } else {
        let loaded = bs::load(&inputs, &opts);
        input_errors.extend(loaded.errors);
        (loaded.objects, loaded.files)
    };
    if !input_errors.is_empty() {
        // Planning on part of the input could emit an issuer that the unreadable part defines.
        input_errors.sort();
        for e in &input_errors {
            eprintln!("error: {e}");
        }
        eprintln!("bootstrap: nothing planned (fix the input errors first)");
        return Ok(2);
    }

    let local_ca = if args.local_ca {
        let days = ca_hours.map_or(3650, |h| u32::try_from(h.div_ceil(24)).unwrap_or(u32::MAX));
        Some(
            bs::local_ca::generate(&bs::local_ca::CaOptions {
                common_name: args.ca_name.clone(),
                organization: args.ca_org.clone(),
                days,
            })
            .map_err(|e| anyhow::anyhow!("--local-ca: {e}"))?,
        )
    } else {
        None
    };
    let plan_opts = bplan::Options {
        namespace: args.namespace.clone(),
        selfsigned_name: args.selfsigned_name.clone(),
        ca_name: args.ca_name.clone(),
        ca_secret: args.ca_secret.clone(),
        ca_issuer_name: args.ca_issuer_name.clone(),
        ca_duration: args.ca_duration.clone(),
        ca_org: args.ca_org.clone(),
        webhooks,
        pca: args.pca_arn.clone().map(|arn| bplan::PcaOptions {
            arn,
            region: args.region.clone(),
            role: args.role.clone(),
            issuer_name: args.pca_issuer_name.clone(),
            approver_rbac: args.pca_approver_rbac,
        }),
        trust: args.trust,
        cluster_domain: args.cluster_domain.clone(),
        cluster_resource_namespace: args.cluster_resource_namespace.clone(),
    };
    let run = bs::run(objects, &files, &opts, &plan_opts, local_ca.as_ref())
        .map_err(|e| anyhow::anyhow!("bootstrap: {e}"))?;
    let plan = &run.outcome.plan;
    let total = plan.objects.len() + plan.patches.len();
    if total == 0 {
        eprintln!("bootstrap: nothing to bootstrap");
    } else {
        eprintln!(
            "bootstrap: {} object(s), {} patch(es) (cluster resource namespace: {})",
            plan.objects.len(),
            plan.patches.len(),
            run.outcome.resource_namespace
        );
    }
    eprint!("{}", bs::summary(&run));
    if total == 0 {
        return Ok(0);
    }
    if !args.apply && !from_cluster && !plan.patches.is_empty() && args.out.is_none() {
        eprintln!(
            "bootstrap: the patches change existing objects: apply the stream with `kubectl apply --server-side --field-manager=kubectl-tlscheck -f -`, or use --out for kustomize patches"
        );
    }

    if let Some(dir) = &args.out {
        let written = emit::write_dir(dir, plan, args.force).map_err(|e| anyhow::anyhow!(e))?;
        for f in &written.files {
            eprintln!("wrote {}", f.display());
        }
        for f in &written.secret_files {
            eprintln!(
                "bootstrap: {} holds the CA PRIVATE KEY (mode 0600, git-ignored, not in kustomization.yaml): apply it first with `kubectl apply -f {}`, then store it safely or delete it",
                f.display(),
                f.display()
            );
        }
        if written.component {
            eprintln!(
                "bootstrap: {}/kustomization.yaml is a kustomize Component (it patches existing objects): add `components: [{}]` to the kustomization that builds them",
                dir.display(),
                dir.display()
            );
        }
    } else if args.apply {
        if !from_cluster {
            eprintln!(
                "bootstrap: planned from the input only: objects that exist in the cluster but not in the input were not detected (server-side apply leaves equal objects unchanged; use --from-cluster to plan from the cluster)"
            );
        }
        let all: Vec<serde_json::Value> =
            plan.objects.iter().chain(&plan.patches).cloned().collect();
        let apply_opts = bs::apply::ApplyOptions {
            field_manager: "kubectl-tlscheck".into(),
            timeout: apply_timeout,
            progress: true,
        };
        let done = bs::apply::apply(&all, &cluster_opts, &apply_opts)
            .map_err(|e| anyhow::anyhow!("--apply: {e}"))?;
        for line in done {
            eprintln!("{line}");
        }
    } else {
        let text = emit::stream(plan, args.emit_secret).map_err(|e| anyhow::anyhow!(e))?;
        out.write_all(text.as_bytes())?;
        if plan.objects.iter().any(emit::is_secret) && args.emit_secret {
            eprintln!(
                "bootstrap: stdout holds the CA PRIVATE KEY (--emit-secret): do not commit it in clear text"
            );
        }
    }
    Ok(0)
}

/// A Kubernetes object name (RFC 1123 subdomain).
fn is_dns_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && s.as_bytes()[0].is_ascii_alphanumeric()
        && s.as_bytes()[s.len() - 1].is_ascii_alphanumeric()
}
