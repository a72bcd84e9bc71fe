//! Models of how the controllers' Go code reads annotation values, written from the Go sources and
//! independent of the linter's own parsers, which property tests compare against them. Included
//! with `#[path]` by `tests/properties.rs` and by the unit tests of `src/rules/ns/ns003.rs`; each
//! uses part of it.
#![allow(dead_code)]

/// Go `unicode.IsSpace`, used by `strings.TrimSpace`: the Latin-1 spaces and the Unicode White_Space
/// characters above Latin-1.
pub fn go_is_space(c: char) -> bool {
    const LATIN1: [char; 8] = [
        '\t', '\n', '\u{0b}', '\u{0c}', '\r', ' ', '\u{85}', '\u{a0}',
    ];
    const ABOVE: [char; 6] = [
        '\u{1680}', '\u{2028}', '\u{2029}', '\u{202f}', '\u{205f}', '\u{3000}',
    ];
    LATIN1.contains(&c) || ABOVE.contains(&c) || ('\u{2000}'..='\u{200a}').contains(&c)
}

/// LBC `splitCommaSeparatedString` (split on `,`, `strings.TrimSpace`, drop empty items), and
/// whether an item was dropped.
pub fn lbc_split(s: &str) -> (Vec<&str>, bool) {
    let trimmed: Vec<&str> = s.split(',').map(|p| p.trim_matches(go_is_space)).collect();
    let dropped = trimmed.iter().any(|p| p.is_empty());
    (
        trimmed.into_iter().filter(|p| !p.is_empty()).collect(),
        dropped,
    )
}

/// Go `strconv.Atoi` (base 10, 64-bit `int`): optional sign, ASCII digits, in range.
pub fn go_atoi(s: &str) -> Option<i64> {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut v: i128 = 0;
    for b in digits.bytes() {
        v = v * 10 + i128::from(b - b'0');
        if v > 1 << 64 {
            return None;
        }
    }
    i64::try_from(if negative { -v } else { v }).ok()
}
