//! The engine: load inputs, build the inventory, run the enabled rules and user policies, then apply
//! configuration (re-grading) and suppressions, producing located diagnostics sorted for output.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;

use crate::load::{self, Input, InputError, Limits, Text};
use crate::model::{Inventory, ObjRef, Object, objects_from_document};
use crate::policy::suppression::{self, State};
use crate::policy::{Config, Policy};
use crate::rules::{self, Finding, Severity};

/// A finding, located and ready to report.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Diagnostic {
    /// Rule ID.
    pub rule: Text,
    /// Rule name (borrowed from the rule's metadata: one copy however many findings it has).
    pub name: Cow<'static, str>,
    /// Severity after configuration.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Cow<'static, str>,
    /// The object.
    pub object: ObjRef,
    /// Where.
    pub location: Location,
    /// Related objects.
    pub related: Vec<ObjRef>,
}

/// Where a diagnostic points.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// File as given on the command line, or `cluster/<context>` for a live object (shared by the
    /// diagnostics of the file).
    pub file: Arc<str>,
    /// 1-based line (0 for a live object).
    pub line: u32,
    /// 1-based column (0 for a live object).
    pub column: u32,
    /// JSON pointer inside the document.
    pub pointer: String,
}

impl Location {
    /// Whether this is a live object (located by pointer only).
    pub fn is_live(&self) -> bool {
        self.line == 0
    }
}

/// JSON contract: `{file, line, column, pointer}` for files, `{source, pointer}` for live objects.
impl serde::Serialize for Location {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        if self.is_live() {
            m.serialize_entry("source", &*self.file)?;
        } else {
            m.serialize_entry("file", &*self.file)?;
            m.serialize_entry("line", &self.line)?;
            m.serialize_entry("column", &self.column)?;
        }
        m.serialize_entry("pointer", &self.pointer)?;
        m.end()
    }
}

/// An input file, for reporters that show source lines.
#[derive(Clone, Debug)]
pub struct SourceInfo {
    /// The name as reported.
    pub name: String,
    /// The text of stdin or in-memory input (files are re-read on demand).
    pub stdin_text: Option<String>,
    /// A live cluster (`cluster/<context>`): findings are located by pointer, not by line.
    pub live: bool,
    /// Kubernetes objects read from it (all kinds).
    pub objects: usize,
}

/// A rule that ran. Built-in metadata is parsed only when an emitter asks for it (SARIF lists
/// every rule; the other formats need only the rules that reported something).
#[derive(Clone, Debug)]
pub enum RuleRef {
    /// A built-in rule, by ID.
    Builtin(&'static str),
    /// A user policy.
    User(Box<Policy>),
}

impl RuleRef {
    /// The rule's ID.
    pub fn id(&self) -> &str {
        match self {
            RuleRef::Builtin(id) => id,
            RuleRef::User(p) => &p.id,
        }
    }

    /// The rule's metadata.
    pub fn policy(&self) -> &Policy {
        match self {
            RuleRef::Builtin(id) => {
                crate::policy::policy(id).expect("every built-in rule has policies/<ID>.yaml")
            }
            RuleRef::User(p) => p,
        }
    }
}

/// Everything a run produced.
#[derive(Debug, Default)]
pub struct LintResult {
    /// Files read.
    pub sources: Vec<SourceInfo>,
    /// Kubernetes objects found (all kinds, including those no rule reads).
    pub objects: usize,
    /// Diagnostics, sorted by file, line, column, rule.
    pub diagnostics: Vec<Diagnostic>,
    /// Findings silenced by suppression annotations.
    pub suppressed: usize,
    /// Inputs that could not be read, sorted.
    pub input_errors: Vec<InputError>,
    /// The rules that ran (built-in and user), for SARIF.
    pub rules: Vec<RuleRef>,
}

/// What to run.
pub struct Options {
    /// Configuration (select/ignore, re-grading, settings, declared objects, limits).
    pub config: Config,
    /// User policies (already validated).
    pub user_policies: Vec<Policy>,
    /// Today's date (`YYYY-MM-DD`) for suppression expiry.
    pub today: String,
    /// Worker threads for reading files.
    pub threads: usize,
    /// Files and directories of CustomResourceDefinitions whose schemas custom resources are checked
    /// against (`--crd`, config `crds:`); they are read for their schemas only, never linted.
    pub crds: Vec<Input>,
}

fn rule_policy<'a>(id: &str, user: &'a [Policy]) -> Option<&'a Policy> {
    crate::policy::policy(id).or_else(|| user.iter().find(|p| p.id == id))
}

/// A rule's name and remediation: borrowed from a built-in rule's metadata, copied from a user policy.
fn rule_texts(id: &str, user: &[Policy]) -> (Cow<'static, str>, Cow<'static, str>) {
    if let Some(p) = crate::policy::policy(id) {
        return (p.name.as_str().into(), p.remediation.as_str().into());
    }
    match user.iter().find(|p| p.id == id) {
        Some(p) => (p.name.clone().into(), p.remediation.clone().into()),
        None => Default::default(),
    }
}

/// Lint `inputs`.
pub fn lint(inputs: &[Input], opts: &Options) -> LintResult {
    let config = &opts.config;
    let mut result = LintResult::default();
    let excluded = match config.exclude_matcher() {
        Ok(m) => m,
        Err(e) => {
            result
                .input_errors
                .push(InputError::file(e.file, e.message));
            return result;
        }
    };
    let (files, walk_errors) = load::walk(inputs, &excluded);
    result.input_errors.extend(walk_errors);

    let enabled: Vec<&rules::BuiltinRule> = rules::builtin()
        .iter()
        .filter(|r| config.enabled(r.id))
        .collect();
    let user: Vec<&Policy> = opts
        .user_policies
        .iter()
        .filter(|p| config.enabled(&p.id))
        .collect();
    let needed: HashSet<(&str, &str)> = enabled
        .iter()
        .flat_map(|r| (r.kinds)(&config.settings))
        .flat_map(|set| set.iter().copied())
        .collect();
    // CRDs given apart: their schemas, and the kinds they define are kept for SCHEMA001.
    let schema_sources = if config.enabled(rules::schema::schema001::RULE.id) {
        load_schema_sources(&opts.crds, config.limits.into(), opts.threads, &mut result)
    } else {
        Vec::new()
    };
    let defined: HashSet<(&str, &str)> = schema_sources
        .iter()
        .filter_map(rules::schema::schema001::crd_kind)
        .collect();
    let keep = |o: &Object| {
        needed.contains(&(o.group.as_str(), o.id.kind.as_str()))
            || defined.contains(&(o.group.as_str(), o.id.kind.as_str()))
            || o.annotations().iter().any(|e| {
                e.key.starts_with(suppression::PREFIX)
                    || rules::ANY_KIND_ANNOTATION_PREFIXES
                        .iter()
                        .any(|p| e.key.starts_with(p))
            })
            || user
                .iter()
                .any(|p| p.check.as_ref().is_some_and(|t| t.applies_to(o)))
    };

    let limits: Limits = config.limits.into();
    let loaded = load::parallel_map(&files, opts.threads, |input| {
        let (file, mut errors) = load::load_input(input, limits);
        let mut kept = Vec::new();
        let mut count = 0;
        let mut info = None;
        if let Some(file) = file {
            let mut objs = Vec::new();
            for doc in file.documents {
                objects_from_document(usize::MAX, &file.name, doc, &mut objs, &mut errors);
            }
            count = objs.len();
            kept = objs.into_iter().filter(|o| keep(o)).collect();
            if user.is_empty() {
                kept.iter_mut().for_each(crate::model::prune::prune);
            }
            info = Some(SourceInfo {
                name: file.name,
                stdin_text: file.stdin_text,
                live: false,
                objects: count,
            });
        }
        (info, kept, count, errors)
    });
    // Exact capacities here and for the findings below: at 100,000 objects a doubling Vec leaves
    // tens of megabytes unused at the peak.
    let mut objects = Vec::with_capacity(loaded.iter().map(|(_, kept, _, _)| kept.len()).sum());
    for (info, kept, count, errors) in loaded {
        result.input_errors.extend(errors);
        result.objects += count;
        if let Some(info) = info {
            let index = result.sources.len();
            result.sources.push(info);
            objects.extend(kept.into_iter().map(|mut o| {
                o.file = index;
                o
            }));
        }
    }
    check(objects, schema_sources, result, opts)
}

/// Objects read from a live cluster (`source` is `cluster/<context>`): the same rules, located by
/// pointer instead of line.
pub fn lint_cluster(
    source: String,
    objects: Vec<Object>,
    count: usize,
    input_errors: Vec<InputError>,
    opts: &Options,
) -> LintResult {
    let mut result = LintResult {
        sources: vec![SourceInfo {
            name: source,
            stdin_text: None,
            live: true,
            objects: count,
        }],
        objects: count,
        input_errors,
        ..Default::default()
    };
    let objects = objects
        .into_iter()
        .map(|mut o| {
            o.file = 0;
            o
        })
        .collect();
    let schema_sources = if opts.config.enabled(rules::schema::schema001::RULE.id) {
        load_schema_sources(
            &opts.crds,
            opts.config.limits.into(),
            opts.threads,
            &mut result,
        )
    } else {
        Vec::new()
    };
    check(objects, schema_sources, result, opts)
}

/// The kinds the enabled rules and user policies read, as `(group, kind)`; a `None` group is a user
/// policy's `Kind` of any group.
pub fn needed_kinds(opts: &Options) -> Vec<(Option<String>, String)> {
    let config = &opts.config;
    let mut kinds: Vec<(Option<String>, String)> = rules::builtin()
        .iter()
        .filter(|r| config.enabled(r.id))
        .flat_map(|r| (r.kinds)(&config.settings))
        .flat_map(|set| set.iter())
        .map(|(g, k)| (Some(g.to_string()), k.to_string()))
        .collect();
    for p in opts.user_policies.iter().filter(|p| config.enabled(&p.id)) {
        if let Some(t) = &p.check {
            kinds.extend(t.kinds().iter().cloned());
        }
    }
    kinds.sort();
    kinds.dedup();
    kinds
}

/// The enabled built-in rules that read `group`/`kind`.
pub fn rules_reading(opts: &Options, group: &str, kind: &str) -> Vec<&'static str> {
    let config = &opts.config;
    rules::builtin()
        .iter()
        .filter(|r| config.enabled(r.id))
        .filter(|r| {
            (r.kinds)(&config.settings)
                .iter()
                .any(|set| set.contains(&(group, kind)))
        })
        .map(|r| r.id)
        .collect()
}

/// Build the inventory and run the enabled rules and user policies.
fn check(
    objects: Vec<Object>,
    schema_sources: Vec<Object>,
    mut result: LintResult,
    opts: &Options,
) -> LintResult {
    let config = &opts.config;
    let enabled: Vec<&rules::BuiltinRule> = rules::builtin()
        .iter()
        .filter(|r| config.enabled(r.id))
        .collect();
    let user: Vec<&Policy> = opts
        .user_policies
        .iter()
        .filter(|p| config.enabled(&p.id))
        .collect();
    let mut settings = config.settings.clone();
    // A live cluster (or a complete dump of one) is the whole world.
    settings.complete |= settings.live;
    if settings.now == 0 {
        settings.now = crate::time::midnight(&opts.today).unwrap_or(0);
    }
    let mut inv = Inventory::build(objects, settings, config.objects.clone());
    inv.schema_sources = schema_sources;

    // Rules are independent reads of the inventory: run them on the worker threads, keep their order.
    let per_rule = load::parallel_map(&enabled, opts.threads, |rule| {
        let mut out = Vec::new();
        (rule.check)(&inv, &mut out);
        out
    });
    let mut findings: Vec<Finding> = Vec::with_capacity(per_rule.iter().map(Vec::len).sum());
    per_rule
        .into_iter()
        .for_each(|mut f| findings.append(&mut f));
    for p in &user {
        let Some(t) = &p.check else { continue };
        for (id, obj) in inv
            .objects
            .iter()
            .enumerate()
            .filter(|(_, o)| t.applies_to(o))
        {
            for v in t.evaluate(obj) {
                let message = match &p.message {
                    Some(m) => v
                        .vars
                        .iter()
                        .fold(m.clone(), |m, (k, val)| m.replace(&format!("{{{k}}}"), val)),
                    None => v.message,
                };
                findings.push(Finding::new(&p.id, p.severity, id, v.pointer, message));
            }
        }
    }
    apply_suppressions(&inv, opts, &mut findings, &mut result.suppressed);

    // Locate the findings, then free the trees before the diagnostics are built: on a large input
    // that is the run's peak of memory (docs/performance.md). Collecting the identities in place
    // reuses the objects' allocation.
    let positions: Vec<load::Pos> = findings
        .iter()
        .map(|f| inv.get(f.object).root.locate(&f.pointer))
        .collect();
    let objects: Vec<(ObjRef, usize, String)> = std::mem::take(&mut inv.objects)
        .into_iter()
        .map(|o| (o.id, o.file, o.base))
        .collect();
    drop(inv);
    let files: Vec<Arc<str>> = result
        .sources
        .iter()
        .map(|s| Arc::from(s.name.as_str()))
        .collect();
    result.diagnostics = findings
        .into_iter()
        .zip(positions)
        .map(|(f, pos)| {
            let (id, file, base) = &objects[f.object];
            let (name, remediation) = rule_texts(&f.rule, &opts.user_policies);
            Diagnostic {
                name,
                severity: config
                    .severity
                    .get(f.rule.as_str())
                    .copied()
                    .unwrap_or(f.severity),
                help: f.help.unwrap_or(remediation),
                rule: f.rule,
                message: f.message,
                object: id.clone(),
                location: Location {
                    file: files[*file].clone(),
                    line: pos.line,
                    column: pos.col,
                    pointer: if base.is_empty() {
                        f.pointer
                    } else {
                        format!("{base}{}", f.pointer)
                    },
                },
                related: f.related,
            }
        })
        .collect();
    result.diagnostics.sort_by(|a, b| {
        (
            &a.location.file,
            a.location.line,
            a.location.column,
            &a.rule,
            &a.message,
        )
            .cmp(&(
                &b.location.file,
                b.location.line,
                b.location.column,
                &b.rule,
                &b.message,
            ))
    });
    // One finding per rule, object, location and message: group-level rules meet the same problem
    // from several members or ports; the first (with its related objects) is kept.
    result.diagnostics.dedup_by(|a, b| {
        a.rule == b.rule
            && a.object == b.object
            && a.location == b.location
            && a.message == b.message
    });
    result.input_errors.sort();
    let mut ran: Vec<RuleRef> = crate::policy::builtin_ids()
        .filter(|id| config.enabled(id))
        .map(RuleRef::Builtin)
        .chain(user.iter().map(|p| RuleRef::User(Box::new((*p).clone()))))
        .collect();
    ran.sort_by(|a, b| a.id().cmp(b.id()));
    result.rules = ran;
    result
}

/// Read the CustomResourceDefinitions given apart from the input (`--crd`): files and directories
/// are read like inputs (their problems are input errors), and only the CRDs are kept.
fn load_schema_sources(
    inputs: &[Input],
    limits: Limits,
    threads: usize,
    result: &mut LintResult,
) -> Vec<Object> {
    if inputs.is_empty() {
        return Vec::new();
    }
    let (files, walk_errors) = load::walk(inputs, &|_| false);
    result.input_errors.extend(walk_errors);
    let loaded = load::parallel_map(&files, threads, |input| {
        let (file, mut errors) = load::load_input(input, limits);
        let mut objs = Vec::new();
        if let Some(file) = file {
            for doc in file.documents {
                objects_from_document(usize::MAX, &file.name, doc, &mut objs, &mut errors);
            }
        }
        objs.retain(|o| o.is("apiextensions.k8s.io", "CustomResourceDefinition"));
        (objs, errors)
    });
    let mut crds = Vec::new();
    for (objs, errors) in loaded {
        result.input_errors.extend(errors);
        crds.extend(objs);
    }
    crds
}

/// Drop suppressed findings and report suppressions that are invalid or expired (SUP001/SUP002).
fn apply_suppressions(
    inv: &Inventory,
    opts: &Options,
    findings: &mut Vec<Finding>,
    suppressed: &mut usize,
) {
    let known = |id: &str| rule_policy(id, &opts.user_policies).is_some();
    let mut extra = Vec::new();
    let mut active: HashSet<(usize, Text)> = HashSet::new();
    // Suppressions are reported on every object that carries them, with or without findings.
    for (id, obj) in inv.objects.iter().enumerate() {
        for s in suppression::suppressions(obj, &opts.today) {
            let ptr = crate::load::node::pointer(["metadata", "annotations", &s.key]);
            match (&s.state, known(&s.rule)) {
                (_, false) => extra.push(Finding::new(
                    "SUP001",
                    Severity::Warning,
                    id,
                    ptr,
                    format!("`{}` names no known rule; it suppresses nothing", s.key),
                )),
                (State::Invalid(why), true) => extra.push(Finding::new(
                    "SUP001",
                    Severity::Warning,
                    id,
                    ptr,
                    format!("suppression of {} is not in force: {why}", s.rule),
                )),
                (State::Expired(date), true) => extra.push(Finding::new(
                    "SUP002",
                    Severity::Warning,
                    id,
                    ptr,
                    format!(
                        "suppression of {} expired on {date}; its findings are reported again",
                        s.rule
                    ),
                )),
                (State::Active(_), true) => {
                    active.insert((id, s.rule.into()));
                }
            }
        }
    }
    if !active.is_empty() {
        let before = findings.len();
        findings.retain(|f| !active.contains(&(f.object, f.rule.clone())));
        *suppressed += before - findings.len();
    }
    findings.extend(extra.into_iter().filter(|f| opts.config.enabled(&f.rule)));
}
