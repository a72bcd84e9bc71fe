//! LIVE002 certificate-expiring: a cert-manager Certificate of the cluster expires soon, has expired,
//! or was not renewed when cert-manager planned to.
//!
//! Only in live mode. For every `cert-manager.io` Certificate, the expiry judged is the leaf of its
//! Secret's `tls.crt` (ground truth: what is served) when the Secret is readable, else
//! `status.notAfter`; the lifetime is that certificate's `notBefore`–`notAfter`.
//!
//! * expired → error;
//! * **long-lived** certificates (a third of the lifetime — cert-manager's default renewal window — is
//!   at least the warning threshold): expiring within `critHours` (72) → error, within `warnDays` →
//!   warning; `status.renewalTime` more than 1 hour ago while the Secret still holds the certificate
//!   the status describes → error "renewal overdue" (RULES.md LIVE002);
//! * **short-lived** certificates (Linkerd identity issuer 48h, istiod 1h via istio-csr, 45-day ACME
//!   certificates; RULES.md §9.16): absolute thresholds would fire on every healthy certificate, so
//!   only a missed renewal counts: remaining lifetime below a third of the lifetime *and*
//!   `renewalTime` passed (plus min(1h, lifetime/24)) → warning, or error once below
//!   min(`critHours`, lifetime/10);
//! * the Secret's leaf `notAfter` differs from `status.notAfter` → warning (status drift: the status
//!   cert-manager schedules renewal from is not the certificate in use).
//!
//! `warnDays` defaults to 30 (the catalogue's live default is 14; one setting serves static and live
//! checks). Messages name the subject and the UTC date, never Secret data.

use super::status::{certs_of, describe, timestamp};
use crate::certs::Cert;
use crate::model::certmanager::GROUP;
use crate::model::{Inventory, ObjId, Object, Settings};
use crate::rules::{BuiltinRule, Finding, KindSet, Severity};
use crate::time::{DAY, HOUR, human, when};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "LIVE002",
    kinds,
    check,
};

fn kinds(settings: &Settings) -> Vec<KindSet> {
    // Live mode only: in files the rule reads nothing, and its kinds would keep objects in memory.
    if !settings.live {
        return Vec::new();
    }
    vec![&[(GROUP, "Certificate"), ("", "Secret")]]
}

const ID: &str = "LIVE002";
const HELP: &str = "Find why cert-manager does not renew it: `kubectl describe certificate` (events, the latest CertificateRequest), the issuer's Ready condition (LIVE003), stuck CertificateRequests (LIVE004); `cmctl renew` forces a renewal once the cause is fixed.";

/// What is known of the certificate in use.
struct InUse<'a> {
    /// `notAfter` judged (the Secret's leaf, else the status).
    not_after: i64,
    /// Lifetime in seconds, when `notBefore` is known.
    lifetime: Option<i64>,
    /// The Secret's leaf, when readable.
    leaf: Option<(ObjId, Cert)>,
    /// `status.notAfter`.
    status_not_after: Option<i64>,
    /// `status.renewalTime`, unless the Secret holds a newer certificate than the status describes.
    renewal: Option<i64>,
    obj: &'a Object,
}

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    if !inv.settings.live {
        return;
    }
    for &c in inv.of_kind(GROUP, "Certificate") {
        let obj = inv.get(c);
        let Some(u) = in_use(inv, obj) else {
            continue;
        };
        check_drift(inv, c, &u, out);
        check_expiry(inv, c, &u, out);
    }
}

fn in_use<'a>(inv: &Inventory, obj: &'a Object) -> Option<InUse<'a>> {
    let status = obj.root.get("status");
    let st = |k: &str| timestamp(status.and_then(|s| s.get(k)));
    let (status_not_after, status_not_before) = (st("notAfter"), st("notBefore"));
    let leaf = obj
        .root
        .str_at(&["spec", "secretName"])
        .and_then(|s| inv.find("", "Secret", obj.ns(), s))
        .and_then(|s| {
            let (_, mut chain) = certs_of(inv.get(s), "tls.crt")?;
            Some((s, chain.swap_remove(0)))
        });
    let (not_after, lifetime) = match (&leaf, status_not_after) {
        (Some((_, l)), _) => (l.not_after, Some(l.not_after - l.not_before)),
        (None, Some(na)) => (na, status_not_before.map(|nb| na - nb)),
        (None, None) => return None,
    };
    // A Secret holding a newer certificate than the status: renewal happened, the status lags.
    let renewed = matches!((&leaf, status_not_after), (Some((_, l)), Some(na)) if l.not_after > na);
    Some(InUse {
        not_after,
        lifetime: lifetime.filter(|&l| l > 0),
        leaf,
        status_not_after,
        renewal: st("renewalTime").filter(|_| !renewed),
        obj,
    })
}

/// Where the certificate is, for messages: "the certificate CN=x in Secret `s`" or "the certificate
/// (status.notAfter)".
fn subject(u: &InUse<'_>, inv: &Inventory) -> String {
    match &u.leaf {
        Some((s, leaf)) => format!(
            "the certificate {} in Secret `{}`",
            leaf.name(),
            inv.get(*s).id.name
        ),
        None => "its certificate (per `status.notAfter`)".to_string(),
    }
}

fn check_drift(inv: &Inventory, c: ObjId, u: &InUse<'_>, out: &mut Vec<Finding>) {
    let (Some((s, leaf)), Some(na)) = (&u.leaf, u.status_not_after) else {
        return;
    };
    if leaf.not_after == na {
        return;
    }
    let now = inv.settings.now;
    let direction = if leaf.not_after > na {
        "newer than the status says: cert-manager has not recorded the renewal (status drift)"
    } else {
        "older than the status says: the Secret was overwritten by something other than cert-manager, or the status is wrong"
    };
    out.push(
        Finding::new(
            ID,
            Severity::Warning,
            c,
            "/status/notAfter",
            format!(
                "{}: `status.notAfter` is {} but the certificate {} in Secret `{}` expires on {}, {direction}",
                describe(u.obj),
                when(na, now),
                leaf.name(),
                inv.get(*s).id.name,
                when(leaf.not_after, now),
            ),
        )
        .help("cert-manager schedules renewal from the status: check that the controller is running and that nothing else writes this Secret (only cert-manager should manage it).")
        .related([inv.obj_ref(*s)]),
    );
}

fn check_expiry(inv: &Inventory, c: ObjId, u: &InUse<'_>, out: &mut Vec<Finding>) {
    let s = &inv.settings;
    let now = s.now;
    let warn = i64::from(s.warn_days) * DAY;
    let crit = i64::from(s.crit_hours) * HOUR;
    let remaining = u.not_after - now;
    let what = subject(u, inv);
    let renewal_note = |r: i64| {
        if r <= now {
            format!(
                "cert-manager planned to renew it at {} ({} ago)",
                when(r, now),
                human(now - r)
            )
        } else {
            format!("renewal is scheduled for {}", when(r, now))
        }
    };
    let short = u.lifetime.filter(|&l| l / 3 < warn);
    let (severity, message, pointer) = if remaining <= 0 {
        (
            Severity::Error,
            format!(
                "{what} expired on {} ({} ago): clients reject it (x509: certificate has expired)",
                when(u.not_after, now),
                human(remaining)
            ),
            "/status/notAfter",
        )
    } else if let Some(l) = short {
        let grace = HOUR.min(l / 24);
        let overdue = match u.renewal {
            Some(r) => now > r + grace,
            None => true,
        };
        if !(overdue && remaining < l / 3) {
            return;
        }
        let severity = if remaining < crit.min(l / 10) {
            Severity::Error
        } else {
            Severity::Warning
        };
        let renewal = u
            .renewal
            .map(|r| format!("; {}", renewal_note(r)))
            .unwrap_or_default();
        (
            severity,
            format!(
                "{what} expires at {} (in {}), less than a third of its lifetime of {}, and has not been renewed{renewal}",
                when(u.not_after, now),
                human(remaining),
                human(l)
            ),
            if u.renewal.is_some() {
                "/status/renewalTime"
            } else {
                "/status/notAfter"
            },
        )
    } else {
        let overdue = u.renewal.filter(|&r| r < now - HOUR);
        let severity = if remaining < crit || overdue.is_some() {
            Severity::Error
        } else if remaining < warn {
            Severity::Warning
        } else {
            return;
        };
        let threshold = if remaining < crit {
            format!("critical threshold {} hours", s.crit_hours)
        } else {
            format!("warning threshold {} days", s.warn_days)
        };
        let mut m = format!(
            "{what} expires on {} (in {}{})",
            when(u.not_after, now),
            human(remaining),
            if remaining < warn {
                format!("; {threshold}")
            } else {
                String::new()
            }
        );
        let disabled = u.obj.root.str_at(&["spec", "renewal", "policy"]) == Some("Disabled");
        match (overdue, u.renewal) {
            (Some(r), _) => m.push_str(&format!(
                "; renewal overdue: {} and the Secret still holds the same certificate",
                renewal_note(r)
            )),
            (None, Some(r)) => m.push_str(&format!("; {}", renewal_note(r))),
            (None, None) if disabled => {
                m.push_str("; `spec.renewal.policy: Disabled`: cert-manager will not renew it")
            }
            (None, None) => {}
        }
        let pointer = if overdue.is_some() {
            "/status/renewalTime"
        } else {
            "/status/notAfter"
        };
        (severity, m, pointer)
    };
    let pointer = if u.obj.root.path(&["status"]).is_some() {
        pointer
    } else {
        "/spec/secretName"
    };
    out.push(
        Finding::new(
            ID,
            severity,
            c,
            pointer,
            format!("{}: {message}", describe(u.obj)),
        )
        .help(HELP)
        .related(u.leaf.iter().map(|(s, _)| inv.obj_ref(*s))),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::run_check;

    const NOW: i64 = 1_795_651_200;

    fn settings() -> Settings {
        Settings {
            live: true,
            now: crate::time::midnight("2026-11-26").unwrap(),
            ..Settings::default()
        }
    }

    fn ts(secs: i64) -> String {
        let t = secs.rem_euclid(DAY);
        format!(
            "{}T{:02}:{:02}:{:02}Z",
            crate::time::utc_date(secs),
            t / HOUR,
            t % HOUR / 60,
            t % 60
        )
    }

    /// A Certificate whose status says `not_before..not_after`, renewal at `renewal`; no Secret.
    fn cert(not_before: i64, not_after: i64, renewal: Option<i64>) -> String {
        let renewal = renewal
            .map(|r| format!("  renewalTime: '{}'\n", ts(r)))
            .unwrap_or_default();
        format!(
            "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {{name: web, namespace: app}}\nspec: {{secretName: web-tls, issuerRef: {{name: ca}}}}\nstatus:\n  notBefore: '{}'\n  notAfter: '{}'\n{renewal}",
            ts(not_before),
            ts(not_after)
        )
    }

    fn sev(yaml: &str) -> Vec<Severity> {
        run_check(check, yaml, settings())
            .iter()
            .map(|f| f.severity)
            .collect()
    }

    #[test]
    fn long_lived_thresholds() {
        // 90 days, renewal 30 days before expiry.
        let nb = |na: i64| na - 90 * DAY;
        let na = NOW + 40 * DAY;
        assert!(sev(&cert(nb(na), na, Some(na - 30 * DAY))).is_empty());
        // Expires in 20 days, renewal scheduled in the future (custom renewBefore 10d): warning.
        let na = NOW + 20 * DAY;
        assert_eq!(
            sev(&cert(nb(na), na, Some(na - 10 * DAY))),
            [Severity::Warning]
        );
        // Renewal was due 30 minutes ago: not yet overdue (1h), but within the warning window.
        let f = run_check(check, &cert(nb(na), na, Some(NOW - 1800)), settings());
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(
            f[0].message.contains("cert-manager planned to renew it at"),
            "{}",
            f[0].message
        );
        // Overdue by 10 days: error at renewalTime.
        let f = run_check(check, &cert(nb(na), na, Some(NOW - 10 * DAY)), settings());
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(f[0].pointer, "/status/renewalTime");
        assert!(f[0].message.contains("renewal overdue"), "{}", f[0].message);
        // Within 72 hours: error; expired: error.
        let na = NOW + 48 * HOUR;
        assert_eq!(sev(&cert(nb(na), na, Some(na + HOUR))), [Severity::Error]);
        let na = NOW - DAY;
        let f = run_check(check, &cert(nb(na), na, None), settings());
        assert!(
            f[0].message.contains("expired on 2026-11-25"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn short_lived_use_relative_thresholds() {
        // Linkerd identity issuer: 48h, renewBefore 25h.
        let l = 48 * HOUR;
        // 20h left, renewal due 5h ago: past renewal, but more than a third (16h) left → quiet.
        let na = NOW + 20 * HOUR;
        assert!(sev(&cert(na - l, na, Some(na - 25 * HOUR))).is_empty());
        // 10h left, renewal due 15h ago → warning; 3h left → error (below 4.8h).
        let na = NOW + 10 * HOUR;
        assert_eq!(
            sev(&cert(na - l, na, Some(na - 25 * HOUR))),
            [Severity::Warning]
        );
        let na = NOW + 3 * HOUR;
        assert_eq!(
            sev(&cert(na - l, na, Some(na - 25 * HOUR))),
            [Severity::Error]
        );
        // istiod 1h: 15 minutes left, renewal planned in the future → quiet.
        let na = NOW + 900;
        assert!(sev(&cert(na - HOUR, na, Some(NOW + 60))).is_empty());
        // Only in live mode.
        let f = run_check(
            check,
            &cert(na - HOUR, NOW - 1, None),
            Settings {
                now: NOW,
                ..Settings::default()
            },
        );
        assert!(f.is_empty());
    }
}
