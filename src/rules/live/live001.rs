//! LIVE001 certificate-not-ready: a cert-manager Certificate of the cluster is not Ready, so its Secret
//! is missing, outdated, expired or does not match the spec.
//!
//! Only in live mode (`kubectl tlscheck cluster`, or a dump linted with `settings: {live: true}`):
//! status in manifests is not current. For every `cert-manager.io` Certificate:
//! * no `Ready` condition, or `Ready` not `True` → error, quoting cert-manager's `reason`
//!   (`DoesNotExist`, `MissingData`, `InvalidKeyPair`, `InvalidCertificate`, `SecretMismatch`,
//!   `IncorrectIssuer`, `IncorrectCertificate`, `RequestChanged`, `Renewing`, `Expired`, … —
//!   `internal/controller/certificates/policies/constants.go`) and message, what the reason means,
//!   whether an issuance is in progress (`Issuing=True`), and with `status.failedIssuanceAttempts > 0`
//!   when cert-manager retries (`lastFailureTime` + 1h × 2^(attempts − 1), the documented backoff of
//!   `CertificateStatus`);
//! * Certificates created less than 2 minutes ago that are not Ready yet → info (RULES.md §7 FP trap:
//!   `Issuing=True` on a brand-new Certificate is normal);
//! * `Ready=True` but the condition's `observedGeneration` is older than `metadata.generation` →
//!   warning: the spec changed and cert-manager has not evaluated it yet (stale status).
//!
//! Reported at the Ready condition's `status` (or at `status` when there is no condition).

use super::status::{Condition, condition, created, describe, status_pointer, timestamp};
use crate::load::Node;
use crate::model::certmanager::GROUP;
use crate::model::{Inventory, Object, Settings};
use crate::rules::{BuiltinRule, Finding, KindSet, Severity};
use crate::time::{HOUR, MINUTE, human, when};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "LIVE001",
    kinds,
    check,
};

fn kinds(settings: &Settings) -> Vec<KindSet> {
    // Live mode only: in files the rule reads nothing, and its kinds would keep objects in memory.
    if !settings.live {
        return Vec::new();
    }
    vec![&[(GROUP, "Certificate")]]
}

const ID: &str = "LIVE001";
/// A Certificate younger than this that is not Ready yet is being issued for the first time.
const GRACE: i64 = 2 * MINUTE;
const HELP: &str = "Inspect it with `kubectl describe certificate` (or `cmctl status certificate`): the events, the latest CertificateRequest and the issuer's Ready condition name the cause (see LIVE003 and LIVE004).";

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    if !inv.settings.live {
        return;
    }
    let now = inv.settings.now;
    for &c in inv.of_kind(GROUP, "Certificate") {
        let obj = inv.get(c);
        let ready = condition(obj, "Ready");
        match &ready {
            Some(r) if r.is_true() => {
                let generation = obj
                    .root
                    .path(&["metadata", "generation"])
                    .and_then(Node::as_i64);
                if let (Some(g), Some(o)) = (generation, r.observed_generation)
                    && o < g
                {
                    out.push(
                        Finding::new(
                            ID,
                            Severity::Warning,
                            c,
                            r.pointer("observedGeneration"),
                            format!(
                                "{} is Ready, but for an older spec: the condition was observed at generation {o} and the Certificate is at generation {g}; cert-manager has not evaluated the change yet (is the controller running?)",
                                describe(obj)
                            ),
                        )
                        .help("Check that the cert-manager controller is running and not crash-looping; `cmctl status certificate` shows whether a re-issuance for the new spec is in progress."),
                    );
                }
            }
            _ => not_ready(c, obj, ready.as_ref(), now, out),
        }
    }
}

fn not_ready(
    c: usize,
    obj: &Object,
    ready: Option<&Condition<'_>>,
    now: i64,
    out: &mut Vec<Finding>,
) {
    let issuing = condition(obj, "Issuing").filter(Condition::is_true);
    let age = created(obj).map(|t| now - t);
    let secret = obj.root.str_at(&["spec", "secretName"]).unwrap_or("");
    let (ptr, state) = match ready {
        Some(r) => (
            r.pointer("status"),
            format!("is not Ready {}", r.with_status()),
        ),
        None => (
            status_pointer(obj),
            "has no Ready condition: cert-manager has not reconciled it".to_string(),
        ),
    };
    if let Some(age) = age.filter(|&a| (0..GRACE).contains(&a)) {
        out.push(Finding::new(
            ID,
            Severity::Info,
            c,
            ptr,
            format!(
                "{} {state}; it was created {} ago and is being issued for the first time",
                describe(obj),
                human(age)
            ),
        ));
        return;
    }
    let mut message = format!("{} {state}", describe(obj));
    if let Some(meaning) = ready.and_then(|r| meaning(r.reason, secret)) {
        message.push_str(&format!(": {meaning}"));
    } else if ready.is_none() {
        message.push_str(
            " (is the cert-manager controller running, and does it watch this namespace?)",
        );
    }
    if let Some(i) = &issuing {
        let since = i
            .last_transition
            .map(|t| format!(" since {}", when(t, now)))
            .unwrap_or_default();
        message.push_str(&format!("; an issuance is in progress{since}"));
    }
    let status = obj.root.get("status");
    let attempts = status
        .and_then(|s| s.get("failedIssuanceAttempts"))
        .and_then(Node::as_i64)
        .filter(|&n| n > 0);
    if let Some(n) = attempts {
        let last = timestamp(status.and_then(|s| s.get("lastFailureTime")));
        message.push_str(&format!(
            "; {n} issuance attempt{} failed",
            if n == 1 { "" } else { "s" }
        ));
        if let Some(last) = last {
            let delay = HOUR << (n - 1).clamp(0, 30);
            let next = last + delay;
            message.push_str(&format!(
                ", the last at {}; cert-manager backs off 1h × 2^{} before retrying ({})",
                when(last, now),
                n - 1,
                if next > now {
                    format!("next attempt around {}", when(next, now))
                } else {
                    "a retry is due".to_string()
                }
            ));
        }
    }
    out.push(Finding::new(ID, Severity::Error, c, ptr, message).help(HELP));
}

/// What a Ready=False reason means for the Secret, for the reasons whose name says little.
fn meaning(reason: &str, secret: &str) -> Option<String> {
    Some(match reason {
        "DoesNotExist" => {
            format!("its Secret `{secret}` does not exist, so nothing can use the certificate")
        }
        "MissingData" => format!("Secret `{secret}` lacks `tls.crt` or `tls.key`"),
        "InvalidKeyPair" => {
            format!("the private key in Secret `{secret}` does not match its certificate")
        }
        "InvalidCertificate" => format!("the certificate in Secret `{secret}` cannot be parsed"),
        "SecretMismatch" => {
            format!("the private key in Secret `{secret}` does not match `spec.privateKey`")
        }
        "IncorrectIssuer" => {
            format!("Secret `{secret}` was issued by another issuer than `spec.issuerRef`")
        }
        "IncorrectCertificate" => format!(
            "Secret `{secret}` belongs to another Certificate (its `cert-manager.io/certificate-name` annotation names it): two Certificates target the same Secret (CM007)"
        ),
        "RequestChanged" | "SecretTemplateMismatch" => {
            "the spec changed and the certificate must be re-issued".to_string()
        }
        "Expired" => {
            format!("the certificate in Secret `{secret}` has expired and clients reject it")
        }
        "Renewing" => "renewal is due and has not completed".to_string(),
        _ => return None,
    })
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

    fn cert(meta: &str, status: &str) -> String {
        format!(
            "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {{name: web, namespace: app{meta}}}\nspec: {{secretName: web-tls, issuerRef: {{name: ca}}}}\n{status}"
        )
    }

    #[test]
    fn only_in_live_mode() {
        let yaml = cert(
            "",
            "status: {conditions: [{type: Ready, status: 'False'}]}\n",
        );
        let f = run_check(check, &yaml, Settings::default());
        assert!(f.is_empty());
        let f = run_check(check, &yaml, settings());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(f[0].pointer, "/status/conditions/0/status");
    }

    #[test]
    fn backoff_and_young_certificates() {
        let status = "status:\n  failedIssuanceAttempts: 3\n  lastFailureTime: '2026-11-25T22:00:00Z'\n  conditions:\n    - {type: Ready, status: 'False', reason: DoesNotExist, message: Issuing certificate as Secret does not exist}\n    - {type: Issuing, status: 'True', lastTransitionTime: '2026-11-25T12:00:00Z'}\n";
        let f = run_check(check, &cert("", status), settings());
        assert_eq!(f.len(), 1);
        let m = &f[0].message;
        assert!(m.contains("its Secret `web-tls` does not exist"), "{m}");
        assert!(
            m.contains("an issuance is in progress since 2026-11-25 12:00 UTC"),
            "{m}"
        );
        assert!(m.contains("3 issuance attempts failed, the last at 2026-11-25 22:00 UTC; cert-manager backs off 1h × 2^2 before retrying (next attempt around 2026-11-26 02:00 UTC)"), "{m}");
        // Created 30 seconds before "now": info.
        let f = run_check(
            check,
            &cert(", creationTimestamp: '2026-11-25T23:59:30Z'", status),
            settings(),
        );
        assert_eq!(f[0].severity, Severity::Info);
        assert!(f[0].message.contains("created 30 seconds ago"));
        // No status at all, an hour old: error at /metadata/name.
        let f = run_check(
            check,
            &cert(", creationTimestamp: '2026-11-25T23:00:00Z'", ""),
            settings(),
        );
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(f[0].pointer, "/metadata/name");
    }

    #[test]
    fn stale_ready() {
        let yaml = cert(
            ", generation: 3",
            "status: {conditions: [{type: Ready, status: 'True', observedGeneration: 2}]}\n",
        );
        let f = run_check(check, &yaml, settings());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        assert_eq!(f[0].pointer, "/status/conditions/0/observedGeneration");
        let yaml = cert(
            ", generation: 3",
            "status: {conditions: [{type: Ready, status: 'True', observedGeneration: 3}]}\n",
        );
        assert!(run_check(check, &yaml, settings()).is_empty());
    }
}
