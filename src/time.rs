//! Dates without a time-zone database: UTC civil dates from Unix seconds and back (Howard Hinnant's
//! days-from-civil algorithms), for suppression expiry and certificate validity.

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
}
