//! Label and field selectors, with the syntax and semantics of k8s.io/apimachinery
//! (`pkg/labels`, `pkg/fields`).

use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
enum LabelOp {
    Exists,
    NotExists,
    Equals(String),
    NotEquals(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    GreaterThan(i64),
    LessThan(i64),
}

/// A parsed `labelSelector`; empty matches everything.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct LabelSelector(Vec<(String, LabelOp)>);

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Ident(String),
    Not,
    Eq,
    DoubleEq,
    NotEq,
    Open,
    Close,
    Comma,
    Gt,
    Lt,
}

fn tokenize(s: &str) -> Vec<Token> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            c if c.is_whitespace() => i += 1,
            '!' if next == Some('=') => {
                out.push(Token::NotEq);
                i += 2;
            }
            '!' => {
                out.push(Token::Not);
                i += 1;
            }
            '=' if next == Some('=') => {
                out.push(Token::DoubleEq);
                i += 2;
            }
            '=' => {
                out.push(Token::Eq);
                i += 1;
            }
            '(' | ')' | ',' | '>' | '<' => {
                out.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    ',' => Token::Comma,
                    '>' => Token::Gt,
                    _ => Token::Lt,
                });
                i += 1;
            }
            _ => {
                let start = i;
                while i < chars.len() && !chars[i].is_whitespace() && !"!=(),<>".contains(chars[i])
                {
                    i += 1;
                }
                out.push(Token::Ident(chars[start..i].iter().collect()));
            }
        }
    }
    out
}

impl LabelSelector {
    pub fn parse(s: &str) -> Result<LabelSelector, String> {
        let toks = tokenize(s);
        let mut reqs = Vec::new();
        let mut i = 0;
        let err = |msg: String| format!("unable to parse requirement: {msg}");
        let ident = |t: Option<&Token>| match t {
            Some(Token::Ident(s)) => Some(s.clone()),
            _ => None,
        };
        while i < toks.len() {
            if toks[i] == Token::Not {
                let key = ident(toks.get(i + 1)).ok_or_else(|| {
                    err(format!(
                        "found '{:?}', expected: identifier after '!'",
                        toks.get(i + 1)
                    ))
                })?;
                reqs.push((key, LabelOp::NotExists));
                i += 2;
            } else {
                let key = ident(toks.get(i)).ok_or_else(|| {
                    err(format!(
                        "found '{:?}', expected: !, identifier, or 'end of string'",
                        toks[i]
                    ))
                })?;
                i += 1;
                match toks.get(i) {
                    None | Some(Token::Comma) => reqs.push((key, LabelOp::Exists)),
                    Some(Token::Eq | Token::DoubleEq | Token::NotEq) => {
                        let negate = toks[i] == Token::NotEq;
                        i += 1;
                        let value = match toks.get(i) {
                            Some(Token::Ident(v)) => {
                                i += 1;
                                v.clone()
                            }
                            None | Some(Token::Comma) => String::new(),
                            Some(t) => {
                                return Err(err(format!("found '{t:?}', expected: identifier")));
                            }
                        };
                        reqs.push((
                            key,
                            if negate {
                                LabelOp::NotEquals(value)
                            } else {
                                LabelOp::Equals(value)
                            },
                        ));
                    }
                    Some(Token::Gt | Token::Lt) => {
                        let gt = toks[i] == Token::Gt;
                        let n: i64 = ident(toks.get(i + 1))
                            .and_then(|v| v.parse().ok())
                            .ok_or_else(|| {
                                err(format!(
                                    "for 'Gt', 'Lt' operators, the value must be an integer: {key}"
                                ))
                            })?;
                        i += 2;
                        reqs.push((
                            key,
                            if gt {
                                LabelOp::GreaterThan(n)
                            } else {
                                LabelOp::LessThan(n)
                            },
                        ));
                    }
                    Some(Token::Ident(op)) if op == "in" || op == "notin" => {
                        let notin = op == "notin";
                        i += 1;
                        if toks.get(i) != Some(&Token::Open) {
                            return Err(err(format!("found '{:?}', expected: '('", toks.get(i))));
                        }
                        i += 1;
                        let mut values = Vec::new();
                        loop {
                            match toks.get(i) {
                                Some(Token::Ident(v)) => {
                                    values.push(v.clone());
                                    i += 1;
                                }
                                Some(Token::Close) => {
                                    i += 1;
                                    break;
                                }
                                Some(Token::Comma) => i += 1,
                                t => {
                                    return Err(err(format!(
                                        "found '{t:?}', expected: ',', ')' or identifier"
                                    )));
                                }
                            }
                        }
                        if values.is_empty() {
                            return Err(err(format!(
                                "{key}: for 'in', 'notin' operators, values set can't be empty"
                            )));
                        }
                        reqs.push((
                            key,
                            if notin {
                                LabelOp::NotIn(values)
                            } else {
                                LabelOp::In(values)
                            },
                        ));
                    }
                    Some(t) => {
                        return Err(err(format!(
                            "found '{t:?}', expected: in, notin, =, ==, !=, gt, lt"
                        )));
                    }
                }
            }
            match toks.get(i) {
                None => {}
                Some(Token::Comma) => {
                    i += 1;
                    if i == toks.len() {
                        return Err(err("found 'end of string', expected: identifier".into()));
                    }
                }
                Some(t) => {
                    return Err(err(format!(
                        "found '{t:?}', expected: ',' or 'end of string'"
                    )));
                }
            }
        }
        Ok(LabelSelector(reqs))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the object's `metadata.labels` satisfy every requirement.
    pub fn matches(&self, obj: &Value) -> bool {
        let labels = &obj["metadata"]["labels"];
        self.0.iter().all(|(key, op)| {
            let value = labels.get(key).and_then(Value::as_str);
            match op {
                LabelOp::Exists => value.is_some(),
                LabelOp::NotExists => value.is_none(),
                LabelOp::Equals(v) => value == Some(v.as_str()),
                LabelOp::NotEquals(v) => value != Some(v.as_str()),
                LabelOp::In(vs) => value.is_some_and(|x| vs.iter().any(|v| v == x)),
                LabelOp::NotIn(vs) => !value.is_some_and(|x| vs.iter().any(|v| v == x)),
                LabelOp::GreaterThan(n) => value
                    .and_then(|x| x.parse::<i64>().ok())
                    .is_some_and(|x| x > *n),
                LabelOp::LessThan(n) => value
                    .and_then(|x| x.parse::<i64>().ok())
                    .is_some_and(|x| x < *n),
            }
        })
    }
}

/// A parsed `fieldSelector`: (field, negated, value) terms; empty matches everything.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct FieldSelector(pub Vec<(String, bool, String)>);

impl FieldSelector {
    pub fn parse(s: &str) -> Result<FieldSelector, String> {
        let mut terms = Vec::new();
        if s.is_empty() {
            return Ok(FieldSelector(terms));
        }
        for term in split_unescaped(s, ',') {
            let parsed = ["!=", "==", "="]
                .iter()
                .filter_map(|op| find_unescaped(&term, op).map(|at| (at, *op)))
                .min_by_key(|(at, _)| *at);
            let Some((at, op)) = parsed else {
                return Err(format!(
                    "invalid selector: '{s}'; can't understand '{term}'"
                ));
            };
            let field = unescape(&term[..at]);
            let value = unescape(&term[at + op.len()..]);
            terms.push((field, op == "!=", value));
        }
        Ok(FieldSelector(terms))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn split_unescaped(s: &str, sep: char) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut escaped = false;
    for c in s.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
        } else if c == '\\' {
            cur.push(c);
            escaped = true;
        } else if c == sep {
            parts.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    parts.push(cur);
    parts
}

fn find_unescaped(s: &str, pat: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            i += 2;
            continue;
        }
        if s[i..].starts_with(pat) {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The value of `field` on an object of `kind` for field selection, or the error kube-apiserver
/// gives for a field it does not index (a 400 BadRequest).
pub(crate) fn field_value(
    kind: &str,
    custom: bool,
    namespaced: bool,
    obj: &Value,
    field: &str,
) -> Result<String, String> {
    let supported: &[&str] = match (custom, kind) {
        (true, _) if namespaced => &["metadata.name", "metadata.namespace"],
        (true, _) => &["metadata.name"],
        (false, "Pod") => &[
            "metadata.name",
            "metadata.namespace",
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        ],
        (false, "Secret") => &["metadata.name", "metadata.namespace", "type"],
        (false, "Namespace") => &["metadata.name", "status.phase"],
        (false, "Service") => &[
            "metadata.name",
            "metadata.namespace",
            "spec.clusterIP",
            "spec.type",
        ],
        _ => {
            if field != "metadata.name" && field != "metadata.namespace" {
                return Err(format!(
                    "{field:?} is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
                ));
            }
            &["metadata.name", "metadata.namespace"]
        }
    };
    if !supported.contains(&field) {
        return Err(format!("field label not supported: {field}"));
    }
    let mut v = obj;
    for part in field.split('.') {
        v = &v[part];
    }
    Ok(match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null if field == "spec.hostNetwork" => "false".into(),
        _ => String::new(),
    })
}
