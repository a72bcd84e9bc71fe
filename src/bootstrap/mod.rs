//! `kubectl tlscheck bootstrap`: plan the cert-manager objects that the findings say are missing
//! (RULES.md §8), render them as YAML (stdout, or one file per object with a kustomization), or apply
//! them (`--apply`, [`apply`]).

pub mod apply;
pub mod local_ca;

/// What bootstrap would create or change.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// New objects, in dependency order (issuers → CA Certificate → CA issuer → serving Certificates → trust).
    pub objects: Vec<serde_json::Value>,
    /// Partial objects for existing ones (server-side-apply shaped: apiVersion, kind, metadata.name/namespace
    /// and only the fields we own — the inject-ca-from annotation, the Deployment volume).
    pub patches: Vec<serde_json::Value>,
    /// Why each object/patch is there (finding IDs and objects), for the human summary on stderr.
    /// One line per object, then one per patch, in the same order (also the `# why:` comments).
    pub reasons: Vec<String>,
}

pub mod emit;
pub mod plan;

use std::collections::{BTreeSet, HashMap};

use crate::engine::{self, Diagnostic};
use crate::load::{self, Input, InputError, Text};
use crate::model::{Inventory, Object, object_from_json, objects_from_document};
use crate::rules::Severity;

pub use plan::{Options, Outcome, PcaOptions, TRIGGER_RULES};

/// Rules run on the input plus the generated objects before anything is printed or applied (RULES.md
/// §8): the generated objects must not produce errors.
pub const VERIFY_RULES: [&str; 5] = ["CM002", "CM004", "CM008", "CM009", "CM010"];

/// Objects read from files, with the file names (`Object::file` indexes `files`).
#[derive(Debug, Default)]
pub struct Loaded {
    /// Every Kubernetes object, in input order.
    pub objects: Vec<Object>,
    /// File names as given.
    pub files: Vec<String>,
    /// Problems reading the input.
    pub errors: Vec<InputError>,
}

/// Read `inputs` as `lint` does (config `exclude` applied), keeping every object.
pub fn load(inputs: &[Input], opts: &engine::Options) -> Loaded {
    let mut out = Loaded::default();
    let excluded = match opts.config.exclude_matcher() {
        Ok(m) => m,
        Err(e) => {
            out.errors.push(InputError::file(e.file, e.message));
            return out;
        }
    };
    let (files, walk_errors) = load::walk(inputs, &excluded);
    out.errors.extend(walk_errors);
    let limits: load::Limits = opts.config.limits.into();
    let loaded = load::parallel_map(&files, opts.threads, |input| {
        let (file, mut errors) = load::load_input(input, limits);
        let mut objs = Vec::new();
        let name = file.as_ref().map(|f| f.name.clone());
        if let Some(file) = file {
            for doc in file.documents {
                objects_from_document(usize::MAX, &file.name, doc, &mut objs, &mut errors);
            }
        }
        (name, objs, errors)
    });
    for (name, objs, errors) in loaded {
        out.errors.extend(errors);
        if let Some(name) = name {
            let index = out.files.len();
            out.files.push(name);
            out.objects.extend(objs.into_iter().map(|mut o| {
                o.file = index;
                o
            }));
        }
    }
    out.errors.sort();
    out
}

/// A copy of an object (positions kept).
pub fn clone_object(o: &Object) -> Object {
    Object {
        id: o.id.clone(),
        group: o.group.clone(),
        file: o.file,
        base: o.base.clone(),
        root: o.root.clone(),
    }
}

/// Merge objects of the same identity (API group, kind, namespace, name) into the first one, later
/// fields winning, the way server-side apply of the whole input would end up: the input plus an
/// earlier bootstrap output (whose patches are partial objects) is the patched input.
pub fn merge_duplicates(objects: Vec<Object>) -> Vec<Object> {
    let mut first: HashMap<(Text, Text, Option<Text>, Text), usize> = HashMap::new();
    let mut out: Vec<Object> = Vec::with_capacity(objects.len());
    for o in objects {
        let key = (
            o.group.clone(),
            o.id.kind.clone(),
            o.id.namespace.clone(),
            o.id.name.clone(),
        );
        match first.get(&key) {
            Some(&i) if !o.id.name.is_empty() => {
                let mut v = out[i].root.to_json();
                plan::merge(&mut v, &o.root.to_json());
                out[i].root = crate::load::Node::from_json(&v);
            }
            _ => {
                first.insert(key, out.len());
                out.push(o);
            }
        }
    }
    out
}

/// Engine options running only `rules` (the user's `ignore` still applies).
fn with_rules(
    opts: &engine::Options,
    rules: &[&str],
    adjust: impl FnOnce(&mut crate::model::Settings),
) -> engine::Options {
    let mut config = opts.config.clone();
    config.select = rules.iter().map(|r| r.to_string()).collect();
    adjust(&mut config.settings);
    engine::Options {
        config,
        user_policies: Vec::new(),
        today: opts.today.clone(),
        threads: opts.threads,
        crds: Vec::new(),
    }
}

/// The findings of `rules` on `objects`.
fn lint_objects(objects: Vec<Object>, opts: &engine::Options) -> Vec<Diagnostic> {
    let n = objects.len();
    engine::lint_cluster("bootstrap".into(), objects, n, Vec::new(), opts).diagnostics
}

/// A plan with the evidence that it works.
#[derive(Debug, Default)]
pub struct Run {
    /// The plan, notes and prerequisites.
    pub outcome: Outcome,
    /// The findings of [`TRIGGER_RULES`] on the input (warnings and errors).
    pub findings: Vec<Diagnostic>,
    /// Those of them still reported on the input with the plan applied (patches merged): findings
    /// bootstrap does not address (a wrong reference rather than a missing object, …).
    pub remaining: Vec<Diagnostic>,
    /// Warnings of [`VERIFY_RULES`] on the generated objects (errors make [`run`] fail).
    pub generated: Vec<Diagnostic>,
}

fn identity(v: &serde_json::Value) -> (String, String, Option<String>, String) {
    let s = |p: &str| {
        v.pointer(p)
            .and_then(serde_json::Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    (
        crate::model::group_of(&s("/apiVersion")).to_string(),
        s("/kind"),
        v.pointer("/metadata/namespace")
            .and_then(serde_json::Value::as_str)
            .map(str::to_string),
        s("/metadata/name"),
    )
}

/// Plan from `objects` (read from `files`, or a cluster), then check the plan: the input with the
/// plan applied is linted with [`TRIGGER_RULES`] and [`VERIFY_RULES`]; an error on a generated object
/// fails the run (a bug or a name conflict the planner did not see).
pub fn run(
    objects: Vec<Object>,
    files: &[String],
    engine_opts: &engine::Options,
    opts: &Options,
    local_ca: Option<&local_ca::LocalCa>,
) -> Result<Run, String> {
    let objects = merge_duplicates(objects);
    let trigger = with_rules(engine_opts, &TRIGGER_RULES, |_| {});
    let findings: Vec<Diagnostic> =
        lint_objects(objects.iter().map(clone_object).collect(), &trigger)
            .into_iter()
            .filter(|d| d.severity >= Severity::Warning)
            .collect();
    let mut settings = engine_opts.config.settings.clone();
    settings.complete |= settings.live;
    if settings.now == 0 {
        settings.now = crate::time::midnight(&engine_opts.today).unwrap_or(0);
    }
    let inv = Inventory::build(objects, settings, engine_opts.config.objects.clone());
    let outcome = plan::plan(&inv, files, &findings, opts, local_ca)?;

    // The world after the plan: input objects with the patches merged, plus the new objects.
    let mut patches: HashMap<_, &serde_json::Value> = HashMap::new();
    for p in &outcome.plan.patches {
        patches.insert(identity(p), p);
    }
    let mut after: Vec<Object> = Vec::new();
    for o in &inv.objects {
        let mut v = o.root.to_json();
        if let Some(p) = patches.get(&identity(&v)) {
            plan::merge(&mut v, p);
        }
        if let Some(mut obj) = object_from_json(0, &v) {
            obj.id.namespace = o.id.namespace.clone();
            after.push(obj);
        }
    }
    let generated_ids: BTreeSet<_> = outcome.plan.objects.iter().map(identity).collect();
    after.extend(
        outcome
            .plan
            .objects
            .iter()
            .filter_map(|v| object_from_json(0, v)),
    );
    let mut rules: Vec<&str> = TRIGGER_RULES
        .iter()
        .chain(VERIFY_RULES.iter())
        .copied()
        .collect();
    rules.sort_unstable();
    rules.dedup();
    let resource_ns = outcome.resource_namespace.clone();
    let check = with_rules(engine_opts, &rules, |s| {
        s.cluster_resource_namespace = resource_ns
    });
    let diagnostics = lint_objects(after, &check);
    let is_generated = |d: &Diagnostic| {
        generated_ids.contains(&(
            crate::model::group_of(&d.object.api_version).to_string(),
            d.object.kind.to_string(),
            d.object.namespace.as_deref().map(str::to_string),
            d.object.name.to_string(),
        ))
    };
    let errors: Vec<String> = diagnostics
        .iter()
        .filter(|d| is_generated(d) && d.severity == Severity::Error)
        .map(|d| format!("{} {}: {}", d.rule, d.object.display(), d.message))
        .collect();
    if !errors.is_empty() {
        return Err(format!(
            "the planned objects would not work, nothing was emitted:\n  {}",
            errors.join("\n  ")
        ));
    }
    let triggered: BTreeSet<(Text, crate::model::ObjRef)> = findings
        .iter()
        .map(|d| (d.rule.clone(), d.object.clone()))
        .collect();
    let same_object = |a: &crate::model::ObjRef, b: &crate::model::ObjRef| {
        a.kind == b.kind && a.namespace == b.namespace && a.name == b.name
    };
    let remaining = diagnostics
        .iter()
        .filter(|d| TRIGGER_RULES.contains(&d.rule.as_str()) && d.severity >= Severity::Warning)
        .filter(|d| {
            triggered
                .iter()
                .any(|(r, o)| *r == d.rule && same_object(o, &d.object))
        })
        .cloned()
        .collect();
    let generated = diagnostics
        .into_iter()
        .filter(|d| is_generated(d) && d.severity == Severity::Warning)
        .collect();
    Ok(Run {
        outcome,
        findings,
        remaining,
        generated,
    })
}

/// The human summary for stderr.
pub fn summary(run: &Run) -> String {
    use std::fmt::Write;
    let plan = &run.outcome.plan;
    let mut s = String::new();
    let reason = |i: usize| plan.reasons.get(i).map_or("", String::as_str);
    let name = |v: &serde_json::Value| {
        let (_, kind, ns, name) = identity(v);
        match ns {
            Some(ns) => format!("{kind} {ns}/{name}"),
            None => format!("{kind} {name}"),
        }
    };
    for (i, o) in plan.objects.iter().enumerate() {
        let _ = writeln!(s, "  + {}: {}", name(o), reason(i));
    }
    for (j, p) in plan.patches.iter().enumerate() {
        let _ = writeln!(
            s,
            "  ~ {} (patch): {}",
            name(p),
            reason(plan.objects.len() + j)
        );
    }
    for d in &run.generated {
        let _ = writeln!(
            s,
            "warning: {} on generated {}: {}",
            d.rule,
            d.object.display(),
            d.message
        );
    }
    for d in &run.remaining {
        let _ = writeln!(
            s,
            "not addressed: {} {}: {}",
            d.rule,
            d.object.display(),
            d.message
        );
    }
    for n in &run.outcome.notes {
        let _ = writeln!(s, "note: {n}");
    }
    for p in &run.outcome.prerequisites {
        let _ = writeln!(s, "prerequisite: {p}");
    }
    s
}
