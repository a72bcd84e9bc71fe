//! Per-object suppressions: the annotation `ignore.tlscheck.io/<RULE-ID>` whose value is the reason,
//! optionally preceded by an expiry — `"until 2027-01-31: public demo, HTTP by design"`. A suppression
//! without a reason, with an unreadable date, or past its date suppresses nothing and is reported.

use crate::model::Object;
use crate::time::is_date;

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

/// The suppressions written on an object.
pub fn suppressions(obj: &Object, today: &str) -> Vec<Suppression> {
    obj.annotations()
        .iter()
        .filter_map(|e| {
            let rule = e.key.strip_prefix(PREFIX)?;
            let state = parse_value(e.value.scalar_text().unwrap_or(""), today);
            Some(Suppression {
                rule: rule.to_string(),
                key: e.key.to_string(),
                state,
            })
        })
        .collect()
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
}
