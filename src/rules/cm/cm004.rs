//! CM004 certificate-lifetime-invalid: requested lifetime and renewal settings that cert-manager's
//! webhook rejects (the Certificate is never created) or that stop renewal.
//!
//! Read from `Certificate.spec.{duration, renewBefore, renewBeforePercentage, renewal}` and from the
//! ingress-shim annotations `cert-manager.io/duration`, `cert-manager.io/renew-before`,
//! `cert-manager.io/renew-before-percentage` on shim-annotated Ingresses and Gateways (see CM003),
//! which become the same fields of the generated Certificates. Checks mirror CM-CODE
//! `internal/apis/certmanager/validation/certificate.go` (`ValidateDuration`,
//! `validateCertificateRenewal`) and the shim's `translateAnnotations` (`helper.go`):
//!
//! * `duration`/`renewBefore` must be Go `time.ParseDuration` strings (`2160h`, `90m`; `d` is not a
//!   unit) → error. On a shim annotation a parse error makes cert-manager fail to build the
//!   Certificates of the object ("invalid ingress annotation") on every retry.
//! * effective `duration` (default 2160h) < 1h (`MinimumCertificateDuration`) → error.
//! * `renewBefore` < 5m (`MinimumRenewBefore`) → error; `renewBefore` ≥ effective duration → error;
//!   `renewBefore` together with `renewBeforePercentage` → error (mutually exclusive).
//! * `renewBeforePercentage` not an integer → error; the webhook's effective renewBefore
//!   `duration × (100 − p) / 100` < 5m or ≥ duration → error (i.e. p outside (0, 100), or too close to
//!   100 for a short duration). Computed in 128-bit arithmetic (cert-manager < 1.21 overflowed
//!   for multi-year durations).
//! * `renewal.policy: Disabled` → warning (the certificate is never renewed and will expire);
//!   `renewal.windows` together with `Disabled` → error; a policy other than `RenewBefore`/`Disabled`
//!   → error.
//!
//! Only requested values are validated: issuers may return a shorter lifetime than requested and
//! cert-manager then schedules renewal from the real one (RULES.md CM004 FP trap). Values that are
//! unrendered templates (`{{`, `$(`, `${`) are skipped, and checks that need a value that could not
//! be read are skipped rather than guessed.

use super::cm003::{SHIM_KINDS, annotation_ptr, is_unrendered, shim_targets};
use super::duration::{NS_PER_HOUR, NS_PER_MINUTE, format_go_duration, parse_go_duration_signed};
use crate::load::node::pointer;
use crate::load::{Node, ScalarType, Value};
use crate::model::{Inventory, ObjId, Settings};
use crate::rules::{BuiltinRule, Finding, KindSet, Severity};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "CM004",
    kinds,
    check,
};

const ID: &str = "CM004";

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![&[("cert-manager.io", "Certificate")], SHIM_KINDS]
}

const DEFAULT_DURATION: i64 = 2160 * NS_PER_HOUR;
const MIN_DURATION: i64 = NS_PER_HOUR;
const MIN_RENEW_BEFORE: i64 = 5 * NS_PER_MINUTE;

const PERCENTAGE_HELP: &str = "Use an integer between 1 and 99 that keeps duration × (100 − p) / 100 at 5m or more (for a 1h certificate: at most 91), or use renewBefore instead.";

const DURATION_ANN: &str = "cert-manager.io/duration";
const RENEW_BEFORE_ANN: &str = "cert-manager.io/renew-before";
const PERCENTAGE_ANN: &str = "cert-manager.io/renew-before-percentage";

/// A requested value: absent, unreadable (already reported, or unrendered), or known.
enum Req<T> {
    Absent,
    Unknown,
    Known(T),
}

/// Where the requested values come from, for pointers and wording.
struct Source {
    id: ObjId,
    duration_ptr: String,
    renew_before_ptr: String,
    percentage_ptr: String,
    /// "the Certificate" / "the Certificates cert-manager generates for this Ingress".
    subject: String,
    /// What happens when the webhook rejects it.
    consequence: &'static str,
}

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    for &id in inv.of_kind("cert-manager.io", "Certificate") {
        check_certificate(inv, id, out);
    }
    for (id, kind) in shim_targets(inv) {
        check_shim(inv, id, kind, out);
    }
}

/// Text of a scalar that must be a string (`metav1.Duration` JSON is a string).
fn duration_field(
    node: Option<&Node>,
    field: &str,
    ptr: &str,
    id: ObjId,
    out: &mut Vec<Finding>,
    consequence: &str,
) -> Req<i64> {
    let Some(node) = node.filter(|n| !n.is_null()) else {
        return Req::Absent;
    };
    let text = match &node.value {
        Value::Scalar(s) if s.ty == ScalarType::Str => s.text.as_str(),
        Value::Scalar(s) => {
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    id,
                    ptr,
                    format!(
                        "`{field}: {}` is not a string: cert-manager reads durations as Go duration strings, so the apiserver rejects the value{consequence}",
                        s.text
                    ),
                )
                .help(format!("Quote a Go duration with a unit, e.g. `{field}: 2160h` (90 days).")),
            );
            return Req::Unknown;
        }
        _ => {
            out.push(Finding::new(
                ID,
                Severity::Error,
                id,
                ptr,
                format!("`{field}` must be a Go duration string such as `2160h`{consequence}"),
            ));
            return Req::Unknown;
        }
    };
    parse_duration_text(text, field, ptr, id, out, consequence)
}

fn parse_duration_text(
    text: &str,
    field: &str,
    ptr: &str,
    id: ObjId,
    out: &mut Vec<Finding>,
    consequence: &str,
) -> Req<i64> {
    if is_unrendered(text) {
        return Req::Unknown;
    }
    match parse_go_duration_signed(text) {
        Ok(d) => Req::Known(d),
        Err(e) => {
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    id,
                    ptr,
                    format!("`{field}: {text}` is not a valid duration: {e}{consequence}"),
                )
                .help("Write Go durations with units ns, us, ms, s, m, h (e.g. `2160h` for 90 days, `720h` for 30 days, `1h30m`)."),
            );
            Req::Unknown
        }
    }
}

fn check_certificate(inv: &Inventory, id: ObjId, out: &mut Vec<Finding>) {
    let obj = inv.get(id);
    let Some(spec) = obj.spec() else {
        return;
    };
    let src = Source {
        id,
        duration_ptr: "/spec/duration".into(),
        renew_before_ptr: "/spec/renewBefore".into(),
        percentage_ptr: "/spec/renewBeforePercentage".into(),
        subject: "the Certificate".into(),
        consequence: ", so cert-manager's webhook rejects the Certificate and it is never issued",
    };
    let consequence = src.consequence;
    let duration = duration_field(
        spec.get("duration"),
        "duration",
        &src.duration_ptr,
        id,
        out,
        consequence,
    );
    let renew_before = duration_field(
        spec.get("renewBefore"),
        "renewBefore",
        &src.renew_before_ptr,
        id,
        out,
        consequence,
    );
    let percentage = match spec.get("renewBeforePercentage").filter(|n| !n.is_null()) {
        None => Req::Absent,
        Some(n) => match n.as_i64() {
            Some(p) => Req::Known(p),
            None => {
                let text = n.scalar_text().unwrap_or("");
                if !is_unrendered(text) {
                    out.push(Finding::new(
                        ID,
                        Severity::Error,
                        id,
                        src.percentage_ptr.clone(),
                        format!(
                            "`renewBeforePercentage: {text}` is not an integer (the field is an int32 percentage in (0, 100)){consequence}"
                        ),
                    ).help(PERCENTAGE_HELP));
                }
                Req::Unknown
            }
        },
    };
    validate(&src, duration, renew_before, percentage, out);
    check_renewal(id, spec, out);
}

fn check_shim(inv: &Inventory, id: ObjId, kind: super::cm003::ShimKind, out: &mut Vec<Finding>) {
    let obj = inv.get(id);
    let what = match kind {
        super::cm003::ShimKind::Ingress => "Ingress",
        super::cm003::ShimKind::Gateway => "Gateway",
    };
    let parse_consequence = format!(
        "; cert-manager fails to build the Certificates for this {what} (\"invalid ingress annotation\") and retries without ever issuing them"
    );
    let ann = |key: &str| {
        obj.annotations()
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.value.scalar_text().unwrap_or(""))
    };
    let src = Source {
        id,
        duration_ptr: annotation_ptr(DURATION_ANN),
        renew_before_ptr: annotation_ptr(RENEW_BEFORE_ANN),
        percentage_ptr: annotation_ptr(PERCENTAGE_ANN),
        subject: format!("the Certificates cert-manager generates for this {what}"),
        consequence: ", so cert-manager's webhook rejects the generated Certificates and nothing is issued",
    };
    let duration = match ann(DURATION_ANN) {
        None => Req::Absent,
        Some(v) => parse_duration_text(
            v,
            DURATION_ANN,
            &src.duration_ptr,
            id,
            out,
            &parse_consequence,
        ),
    };
    let renew_before = match ann(RENEW_BEFORE_ANN) {
        None => Req::Absent,
        Some(v) => parse_duration_text(
            v,
            RENEW_BEFORE_ANN,
            &src.renew_before_ptr,
            id,
            out,
            &parse_consequence,
        ),
    };
    let percentage = match ann(PERCENTAGE_ANN) {
        None => Req::Absent,
        Some(v) if is_unrendered(v) => Req::Unknown,
        Some(v) => match v.parse::<i32>() {
            Ok(p) => Req::Known(i64::from(p)),
            Err(_) => {
                out.push(Finding::new(
                    ID,
                    Severity::Error,
                    id,
                    src.percentage_ptr.clone(),
                    format!(
                        "`{PERCENTAGE_ANN}: \"{v}\"` is not an integer percentage{parse_consequence}"
                    ),
                ).help(PERCENTAGE_HELP));
                Req::Unknown
            }
        },
    };
    validate(&src, duration, renew_before, percentage, out);
}

/// `ValidateDuration` on the requested values.
fn validate(
    src: &Source,
    duration: Req<i64>,
    renew_before: Req<i64>,
    percentage: Req<i64>,
    out: &mut Vec<Finding>,
) {
    let id = src.id;
    let (subject, consequence) = (&src.subject, src.consequence);
    let effective = match duration {
        Req::Absent => Some(DEFAULT_DURATION),
        Req::Unknown => None,
        Req::Known(d) => {
            if d < MIN_DURATION {
                out.push(
                    Finding::new(
                        ID,
                        Severity::Error,
                        id,
                        src.duration_ptr.clone(),
                        format!(
                            "the requested duration {} of {subject} is shorter than cert-manager's minimum of 1h0m0s (\"certificate duration must be greater than 1h0m0s\"){consequence}",
                            format_go_duration(d)
                        ),
                    )
                    .help("Request at least `1h` (the default is `2160h`, 90 days)."),
                );
            }
            Some(d)
        }
    };
    let both = !matches!(renew_before, Req::Absent) && !matches!(percentage, Req::Absent);
    if both {
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                id,
                src.percentage_ptr.clone(),
                format!(
                    "renewBefore and renewBeforePercentage are both set for {subject}: they are mutually exclusive (\"renewBefore and renewBeforePercentage are mutually exclusive and cannot both be set\"){consequence}"
                ),
            )
            .help("Keep one of the two."),
        );
    }
    if let Req::Known(rb) = renew_before {
        if rb < MIN_RENEW_BEFORE {
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    id,
                    src.renew_before_ptr.clone(),
                    format!(
                        "renewBefore {} of {subject} is below cert-manager's minimum of 5m0s (\"certificate renewBefore must be greater than 5m0s\"){consequence}",
                        format_go_duration(rb)
                    ),
                )
                .help("Request at least `5m`, or omit renewBefore (renewal then starts at 2/3 of the lifetime)."),
            );
        }
        if let Some(d) = effective
            && rb >= d
        {
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    id,
                    src.renew_before_ptr.clone(),
                    format!(
                        "renewBefore {} is not shorter than the {}duration {} of {subject} (\"certificate duration {} must be greater than renewBefore {}\"){consequence}",
                        format_go_duration(rb),
                        if matches!(duration, Req::Absent) { "default " } else { "" },
                        format_go_duration(d),
                        format_go_duration(d),
                        format_go_duration(rb)
                    ),
                )
                .help("Make renewBefore shorter than the duration (e.g. a third of it), or omit it."),
            );
        }
    }
    if let (Req::Known(p), Some(d)) = (percentage, effective) {
        let rb = (i128::from(d) * i128::from(100 - p)) / 100;
        let range = if (1..100).contains(&p) {
            String::new()
        } else {
            " (the value must be an integer in (0, 100))".to_string()
        };
        let formula = format!(
            "cert-manager's webhook computes the effective renewBefore as duration × (100 − {p}) / 100 = {}",
            format_go_duration(i64::try_from(rb).unwrap_or(i64::MAX))
        );
        if rb < i128::from(MIN_RENEW_BEFORE) {
            out.push(Finding::new(
                ID,
                Severity::Error,
                id,
                src.percentage_ptr.clone(),
                format!(
                    "renewBeforePercentage {p}{range} of {subject}: {formula}, below the 5m0s minimum (\"certificate renewBeforePercentage must result in a renewBefore greater than 5m0s\"){consequence}"
                ),
            ).help(PERCENTAGE_HELP));
        } else if rb >= i128::from(d) {
            out.push(Finding::new(
                ID,
                Severity::Error,
                id,
                src.percentage_ptr.clone(),
                format!(
                    "renewBeforePercentage {p}{range} of {subject}: {formula}, not less than the duration {} (\"certificate renewBeforePercentage must result in a renewBefore less than duration\"){consequence}",
                    format_go_duration(d)
                ),
            ).help(PERCENTAGE_HELP));
        }
    }
}

/// `validateCertificateRenewal`.
fn check_renewal(id: ObjId, spec: &Node, out: &mut Vec<Finding>) {
    let Some(renewal) = spec.get("renewal").filter(|n| !n.is_null()) else {
        return;
    };
    let policy = renewal
        .get("policy")
        .and_then(Node::scalar_text)
        .unwrap_or("");
    let windows = renewal.get("windows").map_or(&[][..], Node::items);
    match policy {
        "Disabled" => {
            out.push(
                Finding::new(
                    ID,
                    Severity::Warning,
                    id,
                    pointer(["spec", "renewal", "policy"]),
                    "`renewal.policy: Disabled`: cert-manager never renews this certificate, so it will expire and whatever uses the Secret breaks unless it is renewed by hand (`cmctl renew`)",
                )
                .help("Remove `renewal.policy: Disabled` (the default `RenewBefore` renews automatically), or track the expiry and renew manually."),
            );
            if !windows.is_empty() {
                out.push(Finding::new(
                    ID,
                    Severity::Error,
                    id,
                    pointer(["spec", "renewal", "windows"]),
                    "`renewal.windows` is set while `renewal.policy` is `Disabled` (\"windows cannot be set when `renewal.policy` is set to Disabled\"), so cert-manager's webhook rejects the Certificate",
                ).help("Remove `renewal.windows`, or use `policy: RenewBefore` to renew inside the windows."));
            }
        }
        "RenewBefore" | "" => {}
        p if is_unrendered(p) => {}
        p => out.push(Finding::new(
            ID,
            Severity::Error,
            id,
            pointer(["spec", "renewal", "policy"]),
            format!(
                "`renewal.policy: {p}` is not supported (allowed: `RenewBefore`, `Disabled`), so cert-manager's webhook rejects the Certificate"
            ),
        ).help("Use `RenewBefore` (the default) or remove `renewal.policy`.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::run_check;

    fn cert(spec: &str) -> Vec<Finding> {
        run_check(
            check,
            &format!(
                "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: c\n  namespace: n\nspec:\n  secretName: s\n  issuerRef: {{name: i}}\n  dnsNames: [a.example.com]\n{spec}"
            ),
            Settings::default(),
        )
    }

    #[test]
    fn valid_values() {
        for spec in [
            "",
            "  duration: 1h\n",
            "  duration: 2160h\n  renewBefore: 360h\n",
            "  duration: 1h\n  renewBefore: 5m\n",
            "  renewBeforePercentage: 95\n",
            "  renewBeforePercentage: 1\n",
            "  duration: 87600h\n  renewBeforePercentage: 50\n",
            "  duration: \"{{ .Values.duration }}\"\n  renewBefore: 1h\n",
            "  renewal:\n    policy: RenewBefore\n",
        ] {
            let f = cert(spec);
            assert!(f.is_empty(), "{spec}: {f:?}");
        }
    }

    #[test]
    fn invalid_values() {
        for (spec, needle) in [
            ("  duration: 59m\n", "shorter than cert-manager's minimum"),
            ("  duration: 90d\n", "`2160h` for 90 days"),
            ("  duration: 3600\n", "is not a string"),
            ("  renewBefore: 4m59s\n", "below cert-manager's minimum"),
            ("  renewBefore: 2160h\n", "default duration 2160h0m0s"),
            (
                "  duration: 1h\n  renewBefore: 1h\n",
                "not shorter than the duration 1h0m0s",
            ),
            (
                "  renewBefore: 1h\n  renewBeforePercentage: 10\n",
                "mutually exclusive",
            ),
            (
                "  renewBeforePercentage: 0\n",
                "must be an integer in (0, 100)",
            ),
            ("  renewBeforePercentage: 100\n", "below the 5m0s minimum"),
            ("  duration: 1h\n  renewBeforePercentage: 95\n", "= 3m0s"),
            ("  renewBeforePercentage: fifty\n", "not an integer"),
            ("  renewal:\n    policy: Never\n", "not supported"),
            (
                "  renewal:\n    policy: Disabled\n    windows: [{cron: '0 0 * * *'}]\n",
                "windows cannot be set",
            ),
        ] {
            let f = cert(spec);
            assert!(
                f.iter().any(|f| f.message.contains(needle)),
                "{spec}: {needle} not in {f:#?}"
            );
        }
    }

    #[test]
    fn disabled_is_a_warning() {
        let f = cert("  renewal:\n    policy: Disabled\n");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
    }
}
