//! Built-in rules. Each rule lives in its own file with a `check` function over the [`Inventory`]; its
//! metadata (name, default severity, summary, remediation, references) lives in `policies/<ID>.yaml`.
//! Rules only produce [`Finding`]s: they never print and never decide what is reported.

pub mod aws;
pub mod cm;
pub mod ew;
pub mod live;
pub mod material;
pub mod ns;
pub mod schema;
pub mod wh;

use std::borrow::Cow;

use crate::load::Text;
use crate::model::{Inventory, ObjId, ObjRef, Settings};

/// How serious a finding is. Ordered: `Info < Warning < Error`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; nothing is wrong.
    Info,
    /// Insecure, fragile or likely wrong.
    Warning,
    /// Will break or be rejected.
    Error,
}

impl Severity {
    /// Lower-case name, as in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "info" => Ok(Severity::Info),
            "warning" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            _ => Err(format!(
                "unknown severity `{s}` (expected error, warning or info)"
            )),
        }
    }
}

/// One problem a rule found on one object.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// Rule ID (`NS001`, or a user policy's ID).
    pub rule: Text,
    /// Severity of this finding (a rule may grade its conditions differently).
    pub severity: Severity,
    /// What is wrong, specifically.
    pub message: String,
    /// How to fix this case, when it differs from the rule's general remediation (most are constants:
    /// borrowed, since a large repository has tens of thousands of findings).
    pub help: Option<Cow<'static, str>>,
    /// The object the finding is reported on (its file, and the object a suppression must be on).
    pub object: ObjId,
    /// JSON pointer of the offending key or value inside the object.
    pub pointer: String,
    /// Other objects involved (the IngressGroup member, the IngressClassParams, …).
    pub related: Vec<ObjRef>,
}

impl Finding {
    /// A finding of `rule` on `object` at `pointer`.
    pub fn new(
        rule: &str,
        severity: Severity,
        object: ObjId,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            rule: Text::new(rule),
            severity,
            message: message.into(),
            help: None,
            object,
            pointer: pointer.into(),
            related: Vec::new(),
        }
    }

    /// Attach a specific remediation.
    pub fn help(mut self, help: impl Into<Cow<'static, str>>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Attach related objects (at most [`MAX_RELATED`]).
    pub fn related(mut self, related: impl IntoIterator<Item = ObjRef>) -> Self {
        let room = MAX_RELATED.saturating_sub(self.related.len());
        self.related.extend(related.into_iter().take(room));
        self
    }
}

/// Most related objects a finding lists: a group-level finding in a large IngressGroup names a few
/// other members, not all of them in every member's finding (which grows quadratically).
pub const MAX_RELATED: usize = 5;

/// A rule's entry point.
pub type CheckFn = fn(&Inventory, &mut Vec<Finding>);

/// Run one check on a YAML stream (unit tests of rules).
#[cfg(test)]
pub fn run_check(check: CheckFn, yaml: &str, settings: Settings) -> Vec<Finding> {
    let inv = Inventory::from_yaml(yaml, settings);
    let mut out = Vec::new();
    check(&inv, &mut out);
    out
}

/// A built-in rule: its ID, the kinds it reads under the given settings (only these are kept in
/// memory), and its check.
pub struct BuiltinRule {
    /// Rule ID, matching `policies/<ID>.yaml`.
    pub id: &'static str,
    /// Kinds the rule reads with these settings.
    pub kinds: fn(&Settings) -> Vec<KindSet>,
    /// The check.
    pub check: CheckFn,
}

/// Every built-in rule, in ID order.
pub fn builtin() -> &'static [BuiltinRule] {
    &[
        ns::ns001::RULE,
        ns::ns002::RULE,
        ns::ns003::RULE,
        ns::ns004::RULE,
        ns::ns005::RULE,
        ns::ns006::RULE,
        ns::ns007::RULE,
        ns::ns008::RULE,
        ns::ns009::RULE,
        ew::ew001::RULE,
        ew::ew002::RULE,
        ew::ew003::RULE,
        ew::ew004::RULE,
        ew::ew005::RULE,
        ew::ew006::RULE,
        ew::ew007::RULE,
        wh::wh001::RULE,
        wh::wh002::RULE,
        wh::wh003::RULE,
        wh::wh004::RULE,
        wh::wh005::RULE,
        wh::wh006::RULE,
        wh::wh007::RULE,
        wh::wh008::RULE,
        wh::wh009::RULE,
        wh::wh010::RULE,
        cm::cm001::RULE,
        cm::cm002::RULE,
        cm::cm003::RULE,
        cm::cm004::RULE,
        cm::cm005::RULE,
        cm::cm006::RULE,
        cm::cm007::RULE,
        cm::cm008::RULE,
        cm::cm009::RULE,
        cm::cm010::RULE,
        schema::schema001::RULE,
        live::live001::RULE,
        live::live002::RULE,
        live::live003::RULE,
        live::live004::RULE,
        live::live005::RULE,
        live::live006::RULE,
        live::live007::RULE,
        live::live008::RULE,
        live::live009::RULE,
    ]
}

/// Pointer of an annotation.
pub fn annotation_ptr(key: &str) -> String {
    crate::load::node::pointer(["metadata", "annotations", key])
}

/// Whether a value still holds template syntax (Helm `{{ }}`, kustomize `$(VAR)`, envsubst `${VAR}`):
/// such values are reported once as unrendered (or skipped), never validated.
pub fn unrendered(value: &str) -> bool {
    value.contains("{{") || value.contains("$(") || value.contains("${")
}

/// Severity of "a referenced object is not in the input": an error only when the input is declared
/// complete (`--complete`), a warning otherwise (RULES.md §9.24).
pub fn missing_severity(inv: &Inventory) -> Severity {
    if inv.settings.complete {
        Severity::Error
    } else {
        Severity::Warning
    }
}

/// What to say of a referenced object that is not in the input, by completeness of the input.
pub fn missing_phrase(inv: &Inventory) -> &'static str {
    if inv.settings.live {
        "does not exist in the cluster"
    } else if inv.settings.complete {
        "does not exist (the input is declared complete)"
    } else {
        "is not in the input; verify it exists in the cluster"
    }
}

/// Annotation prefixes that rules read on objects of any kind (cainjector annotations placed on the
/// wrong kind, WH003; the pre-0.11 cert-manager annotation group, CM001): objects carrying one are
/// kept whatever their kind.
pub const ANY_KIND_ANNOTATION_PREFIXES: &[&str] =
    &["cert-manager.io/inject-", "certmanager.k8s.io/"];

/// A set of `(group, kind)` pairs a rule reads.
pub type KindSet = &'static [(&'static str, &'static str)];

/// Ingresses and what decides their owner and settings (IngressClass, IngressClassParams).
pub const INGRESS_KINDS: KindSet = &[
    ("networking.k8s.io", "Ingress"),
    ("extensions", "Ingress"),
    ("networking.k8s.io", "IngressClass"),
    ("elbv2.k8s.aws", "IngressClassParams"),
    ("eks.amazonaws.com", "IngressClassParams"),
];

/// Services.
pub const SERVICE_KINDS: KindSet = &[("", "Service")];

/// LBC Gateway listener configuration (certificates, security policies).
pub const LB_CONFIG_KINDS: KindSet = &[("gateway.k8s.aws", "LoadBalancerConfiguration")];

/// Gateway API objects.
pub const GATEWAY_KINDS: KindSet = &[
    ("gateway.networking.k8s.io", "GatewayClass"),
    ("gateway.networking.k8s.io", "Gateway"),
];

/// Kinds that carry pod templates.
pub const WORKLOAD_KINDS: KindSet = &[
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("apps", "ReplicaSet"),
    ("batch", "Job"),
    ("batch", "CronJob"),
    ("", "Pod"),
];
