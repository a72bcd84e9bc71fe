//! Per-object suppressions: the annotation `ignore.tlscheck.io/<RULE-ID>` whose value is the reason,
//! optionally preceded by an expiry — `"until 2027-01-31: public demo, HTTP by design"`. A suppression
//! without a reason, with an unreadable date, or past its date suppresses nothing and is reported.

use crate::model::Object;

/// The annotation prefix of suppressions.
pub const PREFIX: &str = "ignore.tlscheck.io/";

/// A suppression as written on an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    /// The rule ID after the prefix.
    pub rule: String,
    /// The annotation key (for pointers).
    pub key: String,
    /// What the value says.
    pub state: State,
}

/// Whether a suppression is in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// In force, with its reason.
    Active(String),
    /// Not in force: no reason, or an unreadable date. The text says what is wrong.
    Invalid(String),
    /// Not in force: its date (`YYYY-MM-DD`) has passed.
    Expired(String),
}

/// Parse the value of a suppression annotation, given today's date as `YYYY-MM-DD`.
pub fn parse_value(value: &str, today: &str) -> State {
    let value = value.trim();
    let (until, reason) = match value.strip_prefix("until ") {
        Some(rest) => match rest.split_once(':') {
            Some((date, reason)) => (Some(date.trim()), reason.trim()),
            None => return State::Invalid("expected `until YYYY-MM-DD: <reason>`".into()),
        },
        None => (None, value),
    };
    if let Some(date) = until {
        if !is_date(date) {
            return State::Invalid(format!("`{date}` is not a date in the form YYYY-MM-DD"));
        }
        if reason.is_empty() {
            return State::Invalid("the reason is missing after the date".into());
        }
        if date < today {
            return State::Expired(date.to_string());
        }
    }
    if reason.is_empty() {
        return State::Invalid(
            "the reason is missing: write why the finding does not apply".into(),
        );
    }
    State::Active(reason.to_string())
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&s[5..7].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&s[8..10].parse::<u32>().unwrap_or(0))
}

/// The suppressions written on an object.
pub fn suppressions(obj: &Object, today: &str) -> Vec<Suppression> {
    obj.annotations()
        .iter()
        .filter_map(|e| {
            let rule = e.key.strip_prefix(PREFIX)?;
            let state = parse_value(e.value.scalar_text().unwrap_or(""), today);
            Some(Suppression {
                rule: rule.to_string(),
                key: e.key.clone(),
                state,
            })
        })
        .collect()
}

/// Unix seconds of midnight UTC at the start of `date` (`YYYY-MM-DD`; days-from-civil).
pub fn midnight(date: &str) -> Option<i64> {
    if !is_date(date) {
        return None;
    }
    let (y, m, d): (i64, i64, i64) = (
        date[..4].parse().ok()?,
        date[5..7].parse().ok()?,
        date[8..].parse().ok()?,
    );
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * 86_400)
}

/// Today's UTC date as `YYYY-MM-DD` (civil-from-days, no time-zone database needed).
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        let t = "2026-11-26";
        assert_eq!(
            parse_value("demo only", t),
            State::Active("demo only".into())
        );
        assert_eq!(
            parse_value("until 2027-01-31: demo", t),
            State::Active("demo".into())
        );
        assert_eq!(
            parse_value("until 2026-11-26: today still counts", t),
            State::Active("today still counts".into())
        );
        assert_eq!(
            parse_value("until 2026-01-31: demo", t),
            State::Expired("2026-01-31".into())
        );
        assert!(matches!(parse_value("", t), State::Invalid(_)));
        assert!(matches!(
            parse_value("until 2027-13-01: x", t),
            State::Invalid(_)
        ));
        assert!(matches!(
            parse_value("until 2027-01-01:", t),
            State::Invalid(_)
        ));
        assert!(matches!(
            parse_value("until tomorrow", t),
            State::Invalid(_)
        ));
    }

    #[test]
    fn midnight_is_days_from_civil() {
        assert_eq!(midnight("1970-01-01"), Some(0));
        assert_eq!(midnight("2000-03-01"), Some(951_868_800));
        assert_eq!(midnight("2026-11-26"), Some(1_795_651_200));
        assert_eq!(midnight("2026-13-01"), None);
    }

    #[test]
    fn today_is_a_date() {
        let t = today();
        assert!(is_date(&t) && t.as_str() > "2024-01-01", "{t}");
    }
}
