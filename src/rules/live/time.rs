//! Timestamps of live objects: RFC 3339 (`metav1.Time` is written as `2026-11-26T05:00:00Z`; other
//! writers use offsets and fractions) to Unix seconds, and short human durations for messages.

/// Seconds in a minute, an hour and a day.
pub const MINUTE: i64 = 60;
/// Seconds in an hour.
pub const HOUR: i64 = 3_600;
/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// Unix seconds of an RFC 3339 timestamp: `YYYY-MM-DD(T|t| )HH:MM:SS[.fraction](Z|z|±HH:MM)`.
/// Fractions are truncated; `None` for anything else (a date without time, a missing zone).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.len() < 20 || !s.is_char_boundary(10) {
        return None;
    }
    let day = crate::time::midnight(&s[..10])?;
    let b = s.as_bytes();
    if !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        let part = s.get(from..to)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (h, m, sec) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let z = &rest[1..];
            if z.len() != 5 || z.as_bytes()[2] != b':' {
                return None;
            }
            let (oh, om): (i64, i64) = (digits(&z[..2])?, digits(&z[3..])?);
            if oh > 23 || om > 59 {
                return None;
            }
            sign * (oh * HOUR + om * MINUTE)
        }
    };
    Some(day + h * HOUR + m * MINUTE + sec.min(59) - offset)
}

fn digits(s: &str) -> Option<i64> {
    s.bytes()
        .all(|c| c.is_ascii_digit())
        .then(|| s.parse().ok())?
}

/// A duration for messages: `3 days`, `5 hours`, `12 minutes`, `40 seconds` (whole units, rounded
/// down; negative durations are shown as their absolute value).
pub fn human(secs: i64) -> String {
    let d = secs.abs();
    let (n, unit) = if d >= 2 * DAY {
        (d / DAY, "day")
    } else if d >= 2 * HOUR {
        (d / HOUR, "hour")
    } else if d >= 2 * MINUTE {
        (d / MINUTE, "minute")
    } else {
        (d, "second")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// A point in time for messages: the UTC date (`2026-12-10`), with the time of day
/// (`2026-11-26 05:00 UTC`) when it is within three days of `now` (short-lived certificates).
pub fn when(secs: i64, now: i64) -> String {
    let date = crate::time::utc_date(secs);
    if (secs - now).abs() < 3 * DAY {
        let t = secs.rem_euclid(DAY);
        format!("{date} {:02}:{:02} UTC", t / HOUR, t % HOUR / MINUTE)
    } else {
        date
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-26T00:00:00Z.
    const NOW: i64 = 1_795_651_200;

    #[test]
    fn parses_utc_offsets_and_fractions() {
        assert_eq!(parse_rfc3339("2026-11-26T00:00:00Z"), Some(NOW));
        assert_eq!(parse_rfc3339("2026-11-26t00:00:00z"), Some(NOW));
        assert_eq!(
            parse_rfc3339("2026-11-26T05:30:15Z"),
            Some(NOW + 5 * HOUR + 1815)
        );
        assert_eq!(parse_rfc3339("2026-11-26T00:00:00.123456789Z"), Some(NOW));
        assert_eq!(parse_rfc3339("2026-11-26T02:00:00+02:00"), Some(NOW));
        assert_eq!(parse_rfc3339("2026-11-25T19:00:00-05:00"), Some(NOW));
        assert_eq!(parse_rfc3339(" 2026-11-26 00:00:00Z "), Some(NOW));
    }

    #[test]
    fn rejects_other_shapes() {
        for s in [
            "",
            "2026-11-26",
            "2026-11-26T00:00:00",
            "2026-11-26T24:00:00Z",
            "2026-11-26T00:60:00Z",
            "2026-13-26T00:00:00Z",
            "2026-11-26T00:00:00.Z",
            "2026-11-26T00:00:00+0200",
            "2026-11-26T00:00:00+02:00x",
            "2026-11-26T0a:00:00Z",
            "2026-11-26T00:00:00ZZ",
            "2026-11-2€T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(s), None, "{s}");
        }
    }

    #[test]
    fn formats_durations_and_instants() {
        assert_eq!(human(3 * DAY + 5), "3 days");
        assert_eq!(human(DAY + 1), "24 hours");
        assert_eq!(human(-5 * HOUR), "5 hours");
        assert_eq!(human(90), "90 seconds");
        assert_eq!(human(MINUTE * 2), "2 minutes");
        assert_eq!(human(1), "1 second");
        assert_eq!(when(NOW + 14 * DAY, NOW), "2026-12-10");
        assert_eq!(
            when(NOW + 5 * HOUR + 7 * MINUTE, NOW),
            "2026-11-26 05:07 UTC"
        );
    }
}
