//! EW003 istio-peerauthentication-weak: PeerAuthentications that leave plaintext open, have no effect,
//! or are rejected (Istio `security/v1beta1/peer_authentication.proto`, the CRD's validation rules).
//!
//! * Rejected by Istio's validation → error: a `mode` other than UNSET/DISABLE/PERMISSIVE/STRICT, a
//!   `portLevelMtls` key that is not a port number in 1–65535, an empty `portLevelMtls`
//!   ("should have at least 1 properties");
//! * `portLevelMtls` on a policy without a workload selector (or with empty `matchLabels`) → error:
//!   "portLevelMtls requires selector" — port-level settings only apply to selected workloads;
//! * `mtls.mode: DISABLE` or a port-level `DISABLE` → warning (plaintext accepted and mTLS refused);
//!   info when the port is the target of an AWS load balancer (the documented way to let an ALB/NLB
//!   reach a meshed pod, see EW002);
//! * Istio is in use (a PeerAuthentication, or a namespace with an Istio injection/ambient label) and
//!   no policy without selector in the root namespace (`settings.istioRootNamespace`, default
//!   istio-system) is STRICT → info: the mesh accepts plaintext (PERMISSIVE by default). A
//!   namespace-less STRICT policy without selector counts (it may be applied with `-n istio-system`);
//!   `selector: {}` (no labels) counts as no selector, as for `portLevelMtls`;
//! * a policy with a selector in the root namespace → info: it applies to that namespace's workloads
//!   only, not mesh-wide.

use std::collections::HashSet;

use crate::load::Text;

use crate::load::Node;
use crate::load::node::pointer;
use crate::model::mesh::{self, ISTIO_SECURITY, MtlsMode, pa_selector};
use crate::model::{Inventory, ObjId, Settings};
use crate::rules::{
    BuiltinRule, Finding, INGRESS_KINDS, KindSet, SERVICE_KINDS, Severity, WORKLOAD_KINDS,
};

use super::lb_targets;

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "EW003",
    kinds,
    check,
};

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![mesh::KINDS, INGRESS_KINDS, SERVICE_KINDS, WORKLOAD_KINDS]
}

const ID: &str = "EW003";

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    let pas = inv.of_kind(ISTIO_SECURITY, "PeerAuthentication");
    // (namespace, container port, pod template) pairs that an AWS load balancer sends traffic to.
    let targets: HashSet<(Option<Text>, i64, usize)> = lb_targets(inv)
        .into_iter()
        .map(|t| {
            (
                inv.get(inv.template(t.template).object)
                    .id
                    .namespace
                    .clone(),
                t.port,
                t.template,
            )
        })
        .collect();
    for &p in pas {
        check_policy(inv, p, &targets, out);
    }
    check_mesh_wide(inv, pas, out);
}

fn check_policy(
    inv: &Inventory,
    p: ObjId,
    targets: &HashSet<(Option<Text>, i64, usize)>,
    out: &mut Vec<Finding>,
) {
    let pa = inv.get(p);
    let selector = pa_selector(pa);
    let root = pa.ns() == Some(inv.settings.istio_root_namespace.as_str());
    if let Some(mode) = pa
        .root
        .path(&["spec", "mtls", "mode"])
        .and_then(Node::scalar_text)
    {
        match MtlsMode::parse(mode) {
            None => out.push(invalid_mode(p, "/spec/mtls/mode", mode)),
            Some(MtlsMode::Disable) => out.push(
                Finding::new(
                    ID,
                    Severity::Warning,
                    p,
                    "/spec/mtls/mode",
                    format!(
                        "mTLS is disabled for {}: plaintext only, and clients that present mTLS are refused",
                        scope(pa, selector.is_some(), root)
                    ),
                )
                .help("Use PERMISSIVE while migrating, STRICT once every client is in the mesh; for a port that a load balancer must reach, use a port-level exception."),
            ),
            Some(_) => {}
        }
    }
    let Some(levels) = pa.root.path(&["spec", "portLevelMtls"]) else {
        if root && selector.is_some() {
            out.push(Finding::new(
                ID,
                Severity::Info,
                p,
                "/spec/selector",
                format!(
                    "this policy is in the root namespace {} but has a selector: it applies to workloads of {} only, not mesh-wide",
                    inv.settings.istio_root_namespace, inv.settings.istio_root_namespace
                ),
            ));
        }
        return;
    };
    if selector.is_none() {
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                p,
                "/spec/portLevelMtls",
                "`portLevelMtls` without a workload selector: Istio rejects it (\"portLevelMtls requires selector\"); port-level settings only apply to selected workloads",
            )
            .help("Add `selector.matchLabels` for the workloads whose ports need an exception."),
        );
    }
    if levels.entries().is_empty() {
        out.push(Finding::new(
            ID,
            Severity::Error,
            p,
            "/spec/portLevelMtls",
            "`portLevelMtls` is empty: Istio rejects it (\"should have at least 1 properties\")",
        ));
    }
    for e in levels.entries() {
        let ptr = pointer(["spec", "portLevelMtls", &e.key]);
        let port = match e.key.trim().parse::<i64>() {
            Ok(n) if (1..=65535).contains(&n) => n,
            _ => {
                out.push(Finding::new(
                    ID,
                    Severity::Error,
                    p,
                    ptr,
                    format!("`portLevelMtls` key `{}` is not a port number in 1–65535: Istio rejects the policy", e.key),
                ));
                continue;
            }
        };
        let Some(mode) = e.value.str_at(&["mode"]) else {
            continue;
        };
        match MtlsMode::parse(mode) {
            None => out.push(invalid_mode(p, &format!("{ptr}/mode"), mode)),
            Some(MtlsMode::Disable) => {
                let lb_target = selector.is_some_and(|sel| {
                    targets.iter().any(|(ns, tport, t)| {
                        *tport == port
                            && ns.as_deref() == pa.ns()
                            && inv
                                .pod_spec(*t)
                                .and_then(|(w, _)| crate::model::pod_template_of(w))
                                .is_some_and(|tpl| {
                                    mesh::labels_match(sel, tpl.path(&["metadata", "labels"]))
                                })
                    })
                });
                let (severity, why) = if lb_target {
                    (
                        Severity::Info,
                        " — an AWS load balancer targets this port, and a port-level exception is the documented way to let it reach a meshed pod",
                    )
                } else {
                    (Severity::Warning, "")
                };
                out.push(Finding::new(
                    ID,
                    severity,
                    p,
                    format!("{ptr}/mode"),
                    format!(
                        "mTLS is disabled on port {port} of {}{why}",
                        scope(pa, true, root)
                    ),
                ));
            }
            Some(_) => {}
        }
    }
}

fn invalid_mode(p: ObjId, ptr: &str, mode: &str) -> Finding {
    Finding::new(
        ID,
        Severity::Error,
        p,
        ptr,
        format!(
            "`mode: {mode}` is not a PeerAuthentication mode: Istio rejects the policy (Unsupported value; expected UNSET, DISABLE, PERMISSIVE or STRICT)"
        ),
    )
}

fn scope(pa: &crate::model::Object, selector: bool, root: bool) -> String {
    match (selector, root, pa.ns()) {
        (true, _, Some(ns)) => format!("the selected workloads of namespace {ns}"),
        (true, _, None) => "the selected workloads".into(),
        (false, true, _) => "the whole mesh".into(),
        (false, false, Some(ns)) => format!("every workload of namespace {ns}"),
        (false, false, None) => "every workload of the namespace it is applied to".into(),
    }
}

/// Info when Istio is in use and nothing makes the mesh STRICT.
fn check_mesh_wide(inv: &Inventory, pas: &[ObjId], out: &mut Vec<Finding>) {
    let root = inv.settings.istio_root_namespace.as_str();
    let mesh_wide = |p: &ObjId| pa_selector(inv.get(*p)).is_none();
    // A namespace-less STRICT policy without selector may be applied to the root namespace (`-n`).
    if pas.iter().filter(|p| mesh_wide(p)).any(|&p| {
        let pa = inv.get(p);
        pa.ns().is_none_or(|ns| ns == root)
            && pa.root.str_at(&["spec", "mtls", "mode"]) == Some("STRICT")
    }) {
        return;
    }
    let istio_namespace = inv.of_kind("", "Namespace").iter().copied().find(|&n| {
        let o = inv.get(n);
        o.label("istio-injection") == Some("enabled")
            || o.label("istio.io/rev").is_some()
            || o.label("istio.io/dataplane-mode") == Some("ambient")
    });
    let Some(at) = pas.first().copied().or(istio_namespace) else {
        return;
    };
    out.push(
        Finding::new(
            ID,
            Severity::Info,
            at,
            "/metadata/name",
            format!("no PeerAuthentication without selector in the root namespace {root} sets STRICT: the mesh accepts plaintext between workloads (PERMISSIVE by default)"),
        )
        .help(format!("Once every client is meshed, add `PeerAuthentication` `default` in {root} with `mtls.mode: STRICT`, with port-level exceptions where load balancers or the API server connect.")),
    );
}
