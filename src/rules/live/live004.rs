//! LIVE004 certificaterequest-stuck: a CertificateRequest of the cluster was denied, is invalid, failed,
//! or waits for approval or signing longer than `crPendingMinutes` (15).
//!
//! Only in live mode. For every `cert-manager.io` CertificateRequest (conditions `Approved`, `Denied`,
//! `InvalidRequest`, `Ready` with reasons `Pending`/`Failed`/`Issued`/`Denied` —
//! `pkg/apis/certmanager/v1/types_certificaterequest.go`):
//! * `Denied=True` (or `Ready` reason `Denied`) → error: "will never be issued";
//! * `InvalidRequest=True` → error;
//! * `Ready=False` with reason `Failed` → error, quoting the issuer's message;
//! * neither `Approved` nor `Denied` and older than `crPendingMinutes` → warning: no approver acts on it
//!   (cert-manager's approver only approves signers it has `approve` RBAC for — the built-in issuers;
//!   external issuers such as AWS PCA need a ClusterRole (CM010); with approver-policy installed the
//!   built-in approver is disabled and a matching `CertificateRequestPolicy` is needed);
//! * approved, not Ready and older than `crPendingMinutes` → warning: the issuer has not signed it
//!   (`Pending` with its message, or no `Ready` condition at all: no controller handles the issuer).
//!
//! Requests of an earlier issuance are history, not a current problem: when the Certificate named by
//! `cert-manager.io/certificate-name` is Ready at a `status.revision` at or past the request's
//! `cert-manager.io/certificate-revision`, the findings are info. The absence of CertificateRequests is
//! never reported (istio-csr deletes them after signing; RULES.md §9.27).

use super::status::{Condition, condition, created, describe, status_pointer};
use crate::load::Node;
use crate::model::certmanager::{AWSPCA_GROUP, GROUP, IssuerRef};
use crate::model::{Inventory, ObjId, Object, Settings};
use crate::rules::{BuiltinRule, Finding, KindSet, Severity};
use crate::time::{MINUTE, human, when};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "LIVE004",
    kinds,
    check,
};

fn kinds(settings: &Settings) -> Vec<KindSet> {
    // Live mode only: in files the rule reads nothing, and its kinds would keep objects in memory.
    if !settings.live {
        return Vec::new();
    }
    vec![&[
        (GROUP, "CertificateRequest"),
        (GROUP, "Certificate"),
        (GROUP, "Issuer"),
        (GROUP, "ClusterIssuer"),
        (AWSPCA_GROUP, "AWSPCAIssuer"),
        (AWSPCA_GROUP, "AWSPCAClusterIssuer"),
    ]]
}

const ID: &str = "LIVE004";
const CERTIFICATE_NAME: &str = "cert-manager.io/certificate-name";
const REVISION: &str = "cert-manager.io/certificate-revision";

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    if !inv.settings.live {
        return;
    }
    for &cr in inv.of_kind(GROUP, "CertificateRequest") {
        if let Some(mut f) = judge(inv, cr) {
            let obj = inv.get(cr);
            let owner = obj
                .annotation(CERTIFICATE_NAME)
                .and_then(|n| inv.find(GROUP, "Certificate", obj.ns(), n));
            if let Some(c) = owner {
                if f.severity > Severity::Info
                    && let Some(rev) = superseded(inv, obj, c)
                {
                    f.severity = Severity::Info;
                    f.message.push_str(&format!(
                        "; this is history: {} has since been issued (revision {rev}) and is Ready",
                        describe(inv.get(c))
                    ));
                    f.help = None;
                }
                f = f.related([inv.obj_ref(c)]);
            }
            if let Some(i) = inv.issuer_of(cr) {
                f = f.related([inv.obj_ref(i)]);
            }
            out.push(f);
        }
    }
}

/// The Certificate's current revision when it is Ready and at or past the request's revision.
fn superseded(inv: &Inventory, cr: &Object, cert: ObjId) -> Option<i64> {
    let c = inv.get(cert);
    let current = c
        .root
        .path(&["status", "revision"])
        .and_then(Node::as_i64)?;
    let requested: i64 = cr.annotation(REVISION)?.parse().ok()?;
    let ready = condition(c, "Ready").is_some_and(|r| r.is_true());
    (ready && current >= requested).then_some(current)
}

fn judge(inv: &Inventory, cr: ObjId) -> Option<Finding> {
    let obj = inv.get(cr);
    let now = inv.settings.now;
    let pending_limit = i64::from(inv.settings.cr_pending_minutes) * MINUTE;
    let cond = |t: &str| condition(obj, t);
    let is_true = |c: &Option<Condition<'_>>| c.as_ref().is_some_and(Condition::is_true);
    let (approved, denied, invalid, ready) = (
        cond("Approved"),
        cond("Denied"),
        cond("InvalidRequest"),
        cond("Ready"),
    );
    let issuer = issuer_text(obj);
    let error = |ptr: String, msg: String, help: &'static str| {
        Some(
            Finding::new(
                ID,
                Severity::Error,
                cr,
                ptr,
                format!("{} {msg}", describe(obj)),
            )
            .help(help),
        )
    };
    if is_true(&denied)
        || ready
            .as_ref()
            .is_some_and(|r| r.status == "False" && r.reason == "Denied")
    {
        let c = denied
            .as_ref()
            .filter(|d| d.is_true())
            .or(ready.as_ref())
            .expect("one is set");
        return error(
            c.pointer("status"),
            format!(
                "was denied by an approver{}: it will never be issued, and its Certificate is not issued or renewed until a new request is approved",
                c.explain()
            ),
            "Check the approver: with approver-policy, a CertificateRequestPolicy must match this request (issuer, names, usages) and be bound (RBAC `use`) to the requester; then let cert-manager retry (`cmctl renew`).",
        );
    }
    if let Some(c) = invalid.as_ref().filter(|c| c.is_true()) {
        return error(
            c.pointer("status"),
            format!("is invalid{}: the issuer will not sign it", c.explain()),
            "Fix the Certificate's spec that produced the request (e.g. a usage or key type the issuer rejects); cert-manager then creates a new request.",
        );
    }
    if let Some(r) = ready
        .as_ref()
        .filter(|r| r.status == "False" && r.reason == "Failed")
    {
        let at = obj
            .root
            .path(&["status", "failureTime"])
            .and_then(Node::scalar_text)
            .and_then(crate::time::parse_rfc3339)
            .map(|t| format!(" at {}", when(t, now)))
            .unwrap_or_default();
        return error(
            r.pointer("reason"),
            format!(
                "failed permanently{at}{}: {issuer} did not sign it; cert-manager backs off before creating a new request",
                r.explain()
            ),
            "Fix what the issuer's message names (see also the issuer's Ready condition, LIVE003); `cmctl renew` retries immediately.",
        );
    }
    if ready.as_ref().is_some_and(Condition::is_true) {
        return None;
    }
    let age = now - created(obj)?;
    if age <= pending_limit {
        return None;
    }
    if approved.is_none() && denied.is_none() {
        let external = IssuerRef::from_node(obj.root.path(&["spec", "issuerRef"])?).group != GROUP;
        let why = if external {
            format!(
                "{issuer} is an external issuer: cert-manager's approver approves it only with RBAC `approve` on its signers (e.g. `awspcaclusterissuers.awspca.cert-manager.io/*`), which the issuer's chart must grant (CM010)"
            )
        } else {
            "cert-manager's built-in approver approves requests for its own issuers unless it is disabled (`--controllers=-certificaterequests-approver`, as when approver-policy is installed): then a CertificateRequestPolicy must match it".to_string()
        };
        return Some(
            Finding::new(
                ID,
                Severity::Warning,
                cr,
                status_pointer(obj),
                format!(
                    "{} has been neither approved nor denied for {} (threshold {} minutes): no approver acts on it; {why}",
                    describe(obj),
                    human(age),
                    inv.settings.cr_pending_minutes
                ),
            )
            .help("Grant the approver RBAC for the issuer's signer, or create a CertificateRequestPolicy (approver-policy) that matches the request; approve manually with `cmctl approve` meanwhile."),
        );
    }
    if is_true(&approved) {
        let limit = inv.settings.cr_pending_minutes;
        let (ptr, state) = match &ready {
            Some(r) => {
                let detail = match r.detail() {
                    d if d.is_empty() => String::new(),
                    d => format!("; {d}"),
                };
                (
                    r.pointer("reason"),
                    format!(
                        "is approved but not signed after {} (threshold {limit} minutes{detail})",
                        human(age)
                    ),
                )
            }
            None => (
                status_pointer(obj),
                format!(
                    "is approved but no issuer controller has picked it up after {} (no Ready condition; threshold {limit} minutes): is the controller for {issuer} running?",
                    human(age)
                ),
            ),
        };
        return Some(
            Finding::new(ID, Severity::Warning, cr, ptr, format!("{} {state}", describe(obj)))
                .help("Check the issuer's Ready condition (LIVE003) and its controller's logs; for ACME, the Order and Challenges (`kubectl describe challenge`)."),
        );
    }
    None
}

/// "Issuer `ns/name`", "ClusterIssuer `name`", "AWSPCAClusterIssuer `name`".
fn issuer_text(obj: &Object) -> String {
    let Some(r) = obj
        .root
        .path(&["spec", "issuerRef"])
        .map(IssuerRef::from_node)
    else {
        return "the issuer".to_string();
    };
    match (r.namespaced(), obj.ns()) {
        (true, Some(ns)) => format!("{} `{ns}/{}`", r.kind, r.name),
        _ => format!("{} `{}`", r.kind, r.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::run_check;

    fn settings() -> Settings {
        Settings {
            live: true,
            now: crate::time::midnight("2026-11-26").unwrap(),
            ..Settings::default()
        }
    }

    fn cr(created: &str, issuer: &str, conditions: &str) -> String {
        format!(
            "apiVersion: cert-manager.io/v1
kind: CertificateRequest
metadata:
  name: web-1
  namespace: app
  creationTimestamp: '{created}'
  annotations: {{cert-manager.io/certificate-name: web, cert-manager.io/certificate-revision: '2'}}
spec:
  issuerRef: {issuer}
status:
  conditions: {conditions}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {{name: web, namespace: app}}
spec: {{secretName: web-tls, issuerRef: {{name: ca}}}}
status:
  revision: 1
  conditions: [{{type: Ready, status: 'True'}}]
"
        )
    }

    #[test]
    fn unapproved_after_threshold() {
        let pca = "{name: pca, kind: AWSPCAClusterIssuer, group: awspca.cert-manager.io}";
        // 10 minutes old: quiet; 1 hour old: warning naming the external issuer's RBAC.
        let f = run_check(check, &cr("2026-11-25T23:50:00Z", pca, "[]"), settings());
        assert!(f.is_empty(), "{f:?}");
        let f = run_check(check, &cr("2026-11-25T23:00:00Z", pca, "[]"), settings());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(
            f[0].message
                .contains("for 60 minutes (threshold 15 minutes)"),
            "{}",
            f[0].message
        );
        assert!(
            f[0].message
                .contains("AWSPCAClusterIssuer `pca` is an external issuer")
        );
        let f = run_check(
            check,
            &cr("2026-11-25T23:00:00Z", pca, "[]"),
            Settings {
                cr_pending_minutes: 90,
                ..settings()
            },
        );
        assert!(f.is_empty());
    }

    #[test]
    fn denied_failed_and_history() {
        let denied = "[{type: Denied, status: 'True', reason: policy.cert-manager.io, message: 'No policy approved this request'}, {type: Ready, status: 'False', reason: Denied}]";
        let f = run_check(
            check,
            &cr("2026-11-20T00:00:00Z", "{name: ca}", denied),
            settings(),
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(f[0].pointer, "/status/conditions/0/status");
        assert!(f[0].message.contains("No policy approved this request"));
        // The Certificate is Ready at revision 2: the denied request (revision 2) is history.
        let yaml =
            cr("2026-11-20T00:00:00Z", "{name: ca}", denied).replace("revision: 1", "revision: 2");
        let f = run_check(check, &yaml, settings());
        assert_eq!(f[0].severity, Severity::Info);
        assert!(f[0].message.contains("this is history"));
        let failed = "[{type: Approved, status: 'True'}, {type: Ready, status: 'False', reason: Failed, message: 'signing failed'}]";
        let f = run_check(
            check,
            &cr("2026-11-25T23:58:00Z", "{name: ca}", failed),
            settings(),
        );
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(f[0].pointer, "/status/conditions/1/reason");
    }
}
