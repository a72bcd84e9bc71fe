//! Go `time.ParseDuration` syntax, as cert-manager parses `duration`, `renewBefore` (Kubernetes
//! `metav1.Duration` unmarshals JSON strings with `time.ParseDuration`) and the ingress-shim
//! annotations `cert-manager.io/duration` / `cert-manager.io/renew-before`.
//!
//! Grammar (Go `src/time/format.go`): `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, i.e. an optional sign and
//! one or more `<number><unit>` pairs such as `2160h`, `1.5h`, `1h30m`, `300ms`; the number may be a
//! decimal (`.5h` and `1.h` are valid, `.h` is not); units are `ns`, `us`, `µs` (U+00B5), `μs`
//! (U+03BC), `ms`, `s`, `m`, `h`. There is **no** day unit (`90d` is an error), no whitespace, and
//! every number needs a unit except the lone string `0` (also `-0`/`+0`). The value is a signed
//! 64-bit count of nanoseconds; anything larger is an "invalid duration" overflow, exactly as in Go.
//! Fractions are converted with the same `float64` arithmetic as Go, so results are bit-identical.

const NANOSECOND: u64 = 1;
const MICROSECOND: u64 = 1_000 * NANOSECOND;
const MILLISECOND: u64 = 1_000 * MICROSECOND;
const SECOND: u64 = 1_000 * MILLISECOND;
const MINUTE: u64 = 60 * SECOND;
const HOUR: u64 = 60 * MINUTE;

/// One hour in nanoseconds (cert-manager's `MinimumCertificateDuration`).
pub const NS_PER_HOUR: i64 = HOUR as i64;
/// One minute in nanoseconds.
pub const NS_PER_MINUTE: i64 = MINUTE as i64;

const UNITS: [(&str, u64); 8] = [
    ("ns", NANOSECOND),
    ("us", MICROSECOND),
    ("\u{b5}s", MICROSECOND),  // µ MICRO SIGN
    ("\u{3bc}s", MICROSECOND), // μ GREEK SMALL LETTER MU
    ("ms", MILLISECOND),
    ("s", SECOND),
    ("m", MINUTE),
    ("h", HOUR),
];

const VALID_UNITS: &str = "ns, us (µs), ms, s, m, h";

/// Parse a Go duration string into nanoseconds. Negative durations (`-1h`) are valid Go syntax but
/// are not a length of time: they are reported as an error here (use
/// [`parse_go_duration_signed`] to tell them apart). `-0` is zero.
pub fn parse_go_duration(s: &str) -> Result<u64, String> {
    let d = parse_go_duration_signed(s)?;
    u64::try_from(d)
        .map_err(|_| format!("`{s}` is a negative duration ({})", format_go_duration(d)))
}

/// Parse a Go duration string into signed nanoseconds, with Go's exact grammar and overflow rules.
pub fn parse_go_duration_signed(orig: &str) -> Result<i64, String> {
    let invalid = || {
        format!(
            "`{orig}` is not a Go duration (expected e.g. `2160h`, `1h30m`, `90m`, `1.5h`; units: {VALID_UNITS})"
        )
    };
    let mut s = orig.as_bytes();
    let mut neg = false;
    if let Some(&c) = s.first()
        && (c == b'-' || c == b'+')
    {
        neg = c == b'-';
        s = &s[1..];
    }
    if s == b"0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(if orig.is_empty() {
            "the duration is empty (expected e.g. `2160h`)".to_string()
        } else {
            invalid()
        });
    }
    let mut d: u64 = 0;
    while !s.is_empty() {
        // The next character must be [0-9.].
        if !(s[0] == b'.' || s[0].is_ascii_digit()) {
            if s[0].is_ascii_whitespace() {
                return Err(format!(
                    "`{orig}` contains whitespace; Go durations are written without spaces (e.g. `1h30m`)"
                ));
            }
            return Err(invalid());
        }
        // [0-9]*
        let before = s.len();
        let (v, rest) = leading_int(s).ok_or_else(|| overflow(orig))?;
        let mut v = v;
        s = rest;
        let pre = before != s.len();
        // (\.[0-9]*)?
        let mut post = false;
        let (mut f, mut scale) = (0u64, 1f64);
        if s.first() == Some(&b'.') {
            s = &s[1..];
            let before = s.len();
            let (ff, sc, rest) = leading_fraction(s);
            f = ff;
            scale = sc;
            s = rest;
            post = before != s.len();
        }
        if !pre && !post {
            return Err(invalid());
        }
        // Unit: everything up to the next '.' or digit.
        let i = s
            .iter()
            .position(|&c| c == b'.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if i == 0 {
            return Err(format!(
                "`{orig}` has a number without a unit (only a lone `0` may omit it; units: {VALID_UNITS})"
            ));
        }
        let unit_bytes = &s[..i];
        s = &s[i..];
        let unit_text = String::from_utf8_lossy(unit_bytes);
        let Some(&(_, unit)) = UNITS.iter().find(|(u, _)| u.as_bytes() == unit_bytes) else {
            return Err(unknown_unit(orig, &unit_text));
        };
        if v > (1u64 << 63) / unit {
            return Err(overflow(orig));
        }
        v *= unit;
        if f > 0 {
            // Same float64 arithmetic as Go, so fractions of hours are nanosecond-identical.
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > 1 << 63 {
                return Err(overflow(orig));
            }
        }
        d += v;
        if d > 1 << 63 {
            return Err(overflow(orig));
        }
    }
    if neg {
        // d ≤ 2^63, so -d fits in i64.
        return Ok((-(d as i128)) as i64);
    }
    i64::try_from(d).map_err(|_| overflow(orig))
}

fn overflow(orig: &str) -> String {
    format!("`{orig}` is too large for a Go duration (the maximum is about 2562047h)")
}

fn unknown_unit(orig: &str, unit: &str) -> String {
    let lower = unit.to_ascii_lowercase();
    let hint = match lower.as_str() {
        "d" | "day" | "days" => day_hint(orig, 24, "day"),
        "w" | "week" | "weeks" => day_hint(orig, 24 * 7, "week"),
        "y" | "year" | "years" => day_hint(orig, 24 * 365, "year"),
        _ if unit.chars().any(char::is_whitespace) => {
            "; Go durations are written without spaces (e.g. `1h30m`)".to_string()
        }
        _ if lower != unit && UNITS.iter().any(|(u, _)| *u == lower) => {
            format!("; units are case-sensitive: write `{lower}`")
        }
        _ => String::new(),
    };
    format!("unknown unit `{unit}` in duration `{orig}`{hint} (valid units: {VALID_UNITS})")
}

/// "Go durations have no day unit: write `2160h` for 90 days" when the value is a plain number.
fn day_hint(orig: &str, hours_per: u64, what: &str) -> String {
    let digits: String = orig
        .trim_start_matches(['+', '-'])
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let rest = &orig.trim_start_matches(['+', '-'])[digits.len()..];
    let is_single = rest.chars().all(char::is_alphabetic);
    match digits.parse::<u64>() {
        Ok(n) if is_single && n > 0 => {
            let hours = n.saturating_mul(hours_per);
            format!(
                "; Go durations have no {what} unit: write `{hours}h` for {n} {what}{}",
                if n == 1 { "" } else { "s" }
            )
        }
        _ => format!("; Go durations have no {what} unit: use hours (`h`)"),
    }
}

/// Go's `leadingInt`: consume `[0-9]*`; `None` on overflow.
fn leading_int(s: &[u8]) -> Option<(u64, &[u8])> {
    let mut x: u64 = 0;
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        if x > (1u64 << 63) / 10 {
            return None;
        }
        x = x * 10 + u64::from(s[i] - b'0');
        if x > 1 << 63 {
            return None;
        }
        i += 1;
    }
    Some((x, &s[i..]))
}

/// Go's `leadingFraction`: consume `[0-9]*` after the point, losing precision instead of failing.
fn leading_fraction(s: &[u8]) -> (u64, f64, &[u8]) {
    let mut x: u64 = 0;
    let mut scale = 1f64;
    let mut overflow = false;
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        if !overflow {
            if x > ((1u64 << 63) - 1) / 10 {
                overflow = true;
            } else {
                let y = x * 10 + u64::from(s[i] - b'0');
                if y > 1 << 63 {
                    overflow = true;
                } else {
                    x = y;
                    scale *= 10.0;
                }
            }
        }
        i += 1;
    }
    (x, scale, &s[i..])
}

/// Format nanoseconds the way Go's `Duration.String()` does (`2160h0m0s`, `1h30m0s`, `300ms`, `0s`),
/// so messages quote durations like cert-manager's own errors.
pub fn format_go_duration(ns: i64) -> String {
    let neg = ns < 0;
    let u = ns.unsigned_abs();
    let mut out = String::new();
    if u < SECOND {
        if u == 0 {
            return "0s".to_string();
        }
        let (unit, div) = if u < MICROSECOND {
            ("ns", 1)
        } else if u < MILLISECOND {
            ("µs", MICROSECOND)
        } else {
            ("ms", MILLISECOND)
        };
        out.push_str(&frac(u, div));
        out.push_str(unit);
    } else {
        let h = u / HOUR;
        let m = (u % HOUR) / MINUTE;
        let rem = u % MINUTE;
        if h > 0 {
            out.push_str(&format!("{h}h{m}m"));
        } else if m > 0 {
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&frac(rem, SECOND));
        out.push('s');
    }
    if neg {
        out.insert(0, '-');
    }
    out
}

/// `v / div` with the fraction's trailing zeros dropped (Go's `fmtFrac` + `fmtInt`).
fn frac(v: u64, div: u64) -> String {
    let whole = v / div;
    let rest = v % div;
    if rest == 0 {
        return whole.to_string();
    }
    let width = div.to_string().len() - 1;
    let digits = format!("{rest:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> i64 {
        parse_go_duration_signed(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn go_test_table() {
        // From Go's time/time_test.go parseDurationTests.
        let cases: &[(&str, i64)] = &[
            ("0", 0),
            ("5s", 5 * SECOND as i64),
            ("30s", 30 * SECOND as i64),
            ("1478s", 1478 * SECOND as i64),
            ("-5s", -5 * SECOND as i64),
            ("+5s", 5 * SECOND as i64),
            ("-0", 0),
            ("+0", 0),
            ("5.0s", 5 * SECOND as i64),
            ("5.6s", 5 * SECOND as i64 + 600 * MILLISECOND as i64),
            ("5.s", 5 * SECOND as i64),
            (".5s", 500 * MILLISECOND as i64),
            ("1.0s", SECOND as i64),
            ("1.00s", SECOND as i64),
            ("1.004s", SECOND as i64 + 4 * MILLISECOND as i64),
            ("1.0040s", SECOND as i64 + 4 * MILLISECOND as i64),
            ("100.00100s", 100 * SECOND as i64 + MILLISECOND as i64),
            ("10ns", 10),
            ("11us", 11 * MICROSECOND as i64),
            ("12µs", 12 * MICROSECOND as i64),
            ("12μs", 12 * MICROSECOND as i64),
            ("13ms", 13 * MILLISECOND as i64),
            ("14s", 14 * SECOND as i64),
            ("15m", 15 * MINUTE as i64),
            ("16h", 16 * HOUR as i64),
            ("3h30m", 3 * HOUR as i64 + 30 * MINUTE as i64),
            (
                "10.5s4m",
                4 * MINUTE as i64 + 10 * SECOND as i64 + 500 * MILLISECOND as i64,
            ),
            (
                "-2m3.4s",
                -(2 * MINUTE as i64 + 3 * SECOND as i64 + 400 * MILLISECOND as i64),
            ),
            (
                "1h2m3s4ms5us6ns",
                (HOUR + 2 * MINUTE + 3 * SECOND + 4 * MILLISECOND + 5 * MICROSECOND + 6) as i64,
            ),
            (
                "39h9m14.425s",
                (39 * HOUR + 9 * MINUTE + 14 * SECOND + 425 * MILLISECOND) as i64,
            ),
            ("52763797000ns", 52763797000),
            ("0.3333333333333333333h", 20 * MINUTE as i64),
            ("9007199254740993ns", (1i64 << 53) + 1),
            ("9223372036854775807ns", i64::MAX),
            ("9223372036854775.807us", i64::MAX),
            ("9223372036s854ms775us807ns", i64::MAX),
            ("-9223372036854775808ns", i64::MIN),
            ("-9223372036854775.808us", i64::MIN),
            ("-9223372036s854ms775us808ns", i64::MIN),
            ("-2562047h47m16.854775808s", i64::MIN),
            ("0.100000000000000000000h", 6 * MINUTE as i64),
            (
                "0.830103483285477580700h",
                (49 * MINUTE + 48 * SECOND + 372539827) as i64,
            ),
            ("1.5h", (HOUR + 30 * MINUTE) as i64),
            ("2160h", (2160 * HOUR) as i64),
        ];
        for (s, want) in cases {
            assert_eq!(ok(s), *want, "{s}");
        }
    }

    #[test]
    fn go_error_table() {
        for s in [
            "",
            "3",
            "-",
            "s",
            ".",
            "-.",
            ".s",
            "+.s",
            "1d",
            "\u{85}\u{85}",
            "\u{FFFD}",
            "1h 30m",
            " 1h",
            "1H",
            "9223372036854775808ns",
            "9223372036854775.808us",
            "9223372036854ms775us808ns",
            "-9223372036854775809ns",
            "3000000h",
            "1hh",
        ] {
            assert!(parse_go_duration_signed(s).is_err(), "{s:?} must fail");
        }
    }

    #[test]
    fn messages() {
        let e = parse_go_duration("90d").unwrap_err();
        assert!(
            e.contains("unknown unit `d`") && e.contains("`2160h` for 90 days"),
            "{e}"
        );
        let e = parse_go_duration("1d").unwrap_err();
        assert!(e.contains("`24h` for 1 day ("), "{e}");
        let e = parse_go_duration("2w").unwrap_err();
        assert!(e.contains("`336h`"), "{e}");
        let e = parse_go_duration("1H").unwrap_err();
        assert!(e.contains("case-sensitive: write `h`"), "{e}");
        let e = parse_go_duration("30").unwrap_err();
        assert!(e.contains("without a unit"), "{e}");
        let e = parse_go_duration("1h 30m").unwrap_err();
        assert!(e.contains("without spaces"), "{e}");
        let e = parse_go_duration("-5m").unwrap_err();
        assert!(e.contains("negative") && e.contains("-5m0s"), "{e}");
        assert_eq!(parse_go_duration("-0"), Ok(0));
        assert_eq!(
            parse_go_duration(""),
            Err("the duration is empty (expected e.g. `2160h`)".into())
        );
    }

    #[test]
    fn format_like_go() {
        let cases: &[(i64, &str)] = &[
            (0, "0s"),
            (1, "1ns"),
            (1100, "1.1µs"),
            (2_200_000, "2.2ms"),
            (3_300_000_000, "3.3s"),
            (4 * MINUTE as i64 + 5 * SECOND as i64, "4m5s"),
            (4 * MINUTE as i64 + 5_001_000_000, "4m5.001s"),
            ((5 * HOUR + 6 * MINUTE) as i64 + 7_001_000_000, "5h6m7.001s"),
            (8 * MINUTE as i64 + 1, "8m0.000000001s"),
            (i64::MAX, "2562047h47m16.854775807s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
            ((2160 * HOUR) as i64, "2160h0m0s"),
            (-(5 * MINUTE as i64), "-5m0s"),
        ];
        for (d, want) in cases {
            assert_eq!(format_go_duration(*d), *want);
        }
    }
}
