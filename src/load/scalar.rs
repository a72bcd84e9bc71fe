//! Scalar typing the way kubectl reads YAML: sigs.k8s.io/yaml uses go-yaml v2, which follows YAML 1.1
//! (`0644` is octal 420, unquoted `yes`/`on`/`y` are booleans), whereas saphyr follows YAML 1.2.

use super::node::ScalarType;

/// Resolve an untagged plain scalar.
pub fn resolve_plain(text: &str) -> ScalarType {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return ScalarType::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            return ScalarType::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            return ScalarType::Bool(false);
        }
        ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF"
        | "-.inf" | "-.Inf" | "-.INF" => return ScalarType::Float,
        _ => {}
    }
    let first = text.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return ScalarType::Str;
    }
    if int_value(text).is_some() {
        return ScalarType::Int;
    }
    if is_yaml_float(text) && float_value(text).is_some() {
        return ScalarType::Float;
    }
    ScalarType::Str
}

/// The value of a scalar typed [`ScalarType::Int`] (go-yaml ignores `_` in numbers).
pub fn int_value(text: &str) -> Option<i64> {
    if text.contains('_') {
        parse_go_int(&text.replace('_', ""))
    } else {
        parse_go_int(text)
    }
}

/// The value of a scalar typed [`ScalarType::Float`].
pub fn float_value(text: &str) -> Option<f64> {
    match text {
        ".nan" | ".NaN" | ".NAN" => Some(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Some(f64::NEG_INFINITY),
        _ => text.replace('_', "").parse().ok(),
    }
}

/// `strconv.ParseInt(s, 0, 64)` plus go-yaml's `0b` handling.
fn parse_go_int(s: &str) -> Option<i64> {
    let (neg, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let (radix, body) = if let Some(rest) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        (16, rest)
    } else if let Some(rest) = digits
        .strip_prefix("0b")
        .or_else(|| digits.strip_prefix("0B"))
    {
        (2, rest)
    } else if let Some(rest) = digits
        .strip_prefix("0o")
        .or_else(|| digits.strip_prefix("0O"))
    {
        (8, rest)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i128::from_str_radix(body, radix).ok()?;
    i64::try_from(if neg { -magnitude } else { magnitude }).ok()
}

/// go-yaml v2's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The type and the value read back from the text, as `Node::as_i64` and `to_json` do.
    fn resolved(text: &str) -> (ScalarType, Option<i64>, Option<f64>) {
        let ty = resolve_plain(text);
        match ty {
            ScalarType::Int => (ty, int_value(text), None),
            ScalarType::Float => (ty, None, float_value(text)),
            _ => (ty, None, None),
        }
    }

    #[test]
    fn yaml11_scalars_resolve_like_kubectl() {
        for (text, value) in [
            ("0644", 420),
            ("0x1F", 31),
            ("0b101", 5),
            ("1_000", 1000),
            ("-12", -12),
            ("443", 443),
        ] {
            assert_eq!(
                resolved(text),
                (ScalarType::Int, Some(value), None),
                "{text}"
            );
        }
        for (text, value) in [
            ("1.5e3", 1500.0),
            ("08", 8.0),
            ("99999999999999999999", 1e20),
        ] {
            assert_eq!(
                resolved(text),
                (ScalarType::Float, None, Some(value)),
                "{text}"
            );
        }
        assert!(float_value(".nan").unwrap().is_nan());
        assert_eq!(float_value("-.Inf"), Some(f64::NEG_INFINITY));
        assert_eq!(resolve_plain("+.inf"), ScalarType::Float);
        assert_eq!(resolve_plain("yes"), ScalarType::Bool(true));
        assert_eq!(resolve_plain("On"), ScalarType::Bool(true));
        assert_eq!(resolve_plain("off"), ScalarType::Bool(false));
        assert_eq!(resolve_plain("~"), ScalarType::Null);
        assert_eq!(resolve_plain("1.2.3"), ScalarType::Str);
        assert_eq!(resolve_plain("arn:aws:acm"), ScalarType::Str);
        assert_eq!(resolve_plain("-"), ScalarType::Str);
        assert_eq!(resolve_plain("yess"), ScalarType::Str);
    }
}
