//! Dates without a time-zone database: UTC civil dates from Unix seconds and back (Howard Hinnant's
//! days-from-civil algorithms), RFC 3339 timestamps of live objects, and short human durations — for
//! suppression expiry, certificate validity and live status.

/// Now, as Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Today's UTC date as `YYYY-MM-DD`.
pub fn today() -> String {
    utc_date(now())
}

/// `YYYY-MM-DD` (UTC) of Unix seconds.
pub fn utc_date(secs: i64) -> String {
    let z = secs.div_euclid(86_400) + 719_468;
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

/// Whether `s` is a `YYYY-MM-DD` date.
pub fn is_date(s: &str) -> bool {
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

/// Unix seconds of midnight UTC at the start of `date` (`YYYY-MM-DD`).
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

    #[test]
    fn round_trips() {
        assert_eq!(midnight("1970-01-01"), Some(0));
        assert_eq!(midnight("2000-03-01"), Some(951_868_800));
        assert_eq!(midnight("2026-11-26"), Some(1_795_651_200));
        assert_eq!(midnight("2026-13-01"), None);
        for secs in [0, 951_782_400, 1_795_651_200, -86_400] {
            assert_eq!(midnight(&utc_date(secs)), Some(secs));
        }
        assert_eq!(utc_date(1_795_651_199), "2026-11-25");
    }

    #[test]
    fn today_is_a_date() {
        let t = today();
        assert!(is_date(&t) && t.as_str() > "2024-01-01", "{t}");
    }

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
