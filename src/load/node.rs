//! The document tree that manifests are read into: YAML/JSON values with the source position of every
//! key and value, addressed by JSON pointers (RFC 6901) the way findings report them.

use std::fmt;

/// A 1-based line and column in a source file (columns count characters, like rustc and ruff).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
}

/// How a scalar resolves under the YAML 1.1 rules that kubectl (sigs.k8s.io/yaml) applies.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ScalarType {
    /// `~`, `null`, empty plain scalar.
    Null,
    /// `true`/`yes`/`on`/`y` and their opposites, unquoted.
    Bool(bool),
    /// Decimal, `0x`, `0o`, `0b` and leading-zero octal integers (the value is read from the text on
    /// demand: keeping it would make every scalar 8 bytes larger).
    Int,
    /// Floats including `.inf` and `.nan` (read from the text on demand).
    Float,
    /// Everything else, and every quoted or block scalar.
    Str,
}

/// Text of keys and scalars: strings up to 24 bytes are stored inline, longer ones on the heap with
/// no spare capacity. Most keys and values of manifests are short, so a tree of 100,000 objects
/// holds millions of them (see docs/performance.md).
pub type Text = compact_str::CompactString;

/// A scalar: its text as written (after YAML unescaping) and its resolved type.
#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    /// The scalar's text.
    pub text: Text,
    /// The type kubectl would give it.
    pub ty: ScalarType,
}

/// A mapping entry: the key's text and the value (whose position is the key's when the value is a
/// mapping or sequence, see [`Node::pos`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The key as a string (non-string scalar keys are converted to their text, as kubectl does).
    pub key: Text,
    /// The value.
    pub value: Node,
}

/// The value of a node.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A scalar of any type.
    Scalar(Scalar),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order.
    Map(Vec<Entry>),
}

/// A value with the position a finding on it reports.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where a finding on this value points: where the value starts, except for a mapping or
    /// sequence that is the value of a mapping entry, which is reported at its key (`spec:`, not
    /// the line below). Keeping one position a node, not a key position beside it, saves 8 bytes a
    /// mapping entry (docs/performance.md).
    pub pos: Pos,
}

impl Node {
    /// The text of a string scalar (quoted, block, or plain that resolves to a string).
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(Scalar {
                text,
                ty: ScalarType::Str,
            }) => Some(text),
            _ => None,
        }
    }

    /// The text of any scalar, whatever its type (`true` → "true", `0644` → "0644"). Null gives `None`.
    pub fn scalar_text(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(Scalar {
                ty: ScalarType::Null,
                ..
            }) => None,
            Value::Scalar(s) => Some(&s.text),
            _ => None,
        }
    }

    /// An integer scalar.
    pub fn as_i64(&self) -> Option<i64> {
        match &self.value {
            Value::Scalar(Scalar {
                ty: ScalarType::Int,
                text,
            }) => super::scalar::int_value(text),
            _ => None,
        }
    }

    /// A boolean scalar.
    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Scalar(Scalar {
                ty: ScalarType::Bool(b),
                ..
            }) => Some(*b),
            _ => None,
        }
    }

    /// Whether this is a null scalar.
    pub fn is_null(&self) -> bool {
        matches!(
            &self.value,
            Value::Scalar(Scalar {
                ty: ScalarType::Null,
                ..
            })
        )
    }

    /// The entries of a mapping (empty for anything else).
    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(m) => m,
            _ => &[],
        }
    }

    /// The items of a sequence (empty for anything else).
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(s) => s,
            _ => &[],
        }
    }

    /// The value under `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The entry for `key` in a mapping.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries().iter().find(|e| e.key == key)
    }

    /// Walk a path of mapping keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, k| node.get(k))
    }

    /// The string at a path of mapping keys.
    pub fn str_at(&self, keys: &[&str]) -> Option<&str> {
        self.path(keys).and_then(Node::as_str)
    }

    /// The node at a JSON pointer, if the pointer stays inside the tree.
    pub fn at(&self, pointer: &str) -> Option<&Node> {
        if pointer.is_empty() {
            return Some(self);
        }
        pointer.split('/').skip(1).try_fold(self, |node, token| {
            let token = unescape_token(token);
            match &node.value {
                Value::Map(entries) => entries.iter().find(|e| e.key == token).map(|e| &e.value),
                Value::Seq(items) => token.parse::<usize>().ok().and_then(|i| items.get(i)),
                Value::Scalar(_) => None,
            }
        })
    }

    /// Resolve a JSON pointer to the position a finding should point at: the value for scalars, the
    /// key for containers under a key (a block mapping's own position is its first child's line).
    /// Returns the deepest position reached when the pointer leaves the tree.
    pub fn locate(&self, pointer: &str) -> Pos {
        let mut node = self;
        let mut pos = self.pos;
        if pointer.is_empty() {
            return pos;
        }
        for token in pointer.split('/').skip(1) {
            let token = unescape_token(token);
            match &node.value {
                Value::Map(entries) => match entries.iter().find(|e| e.key == token) {
                    Some(e) => {
                        pos = e.value.pos;
                        node = &e.value;
                    }
                    None => return pos,
                },
                Value::Seq(items) => match token.parse::<usize>().ok().and_then(|i| items.get(i)) {
                    Some(item) => {
                        pos = item.pos;
                        node = item;
                    }
                    None => return pos,
                },
                Value::Scalar(_) => return pos,
            }
        }
        pos
    }

    /// Build a tree from JSON (objects read from a cluster): no positions, scalar types from JSON.
    pub fn from_json(value: &serde_json::Value) -> Node {
        use serde_json::Value as J;
        let scalar = |text: &str, ty| {
            Value::Scalar(Scalar {
                text: Text::new(text),
                ty,
            })
        };
        let value = match value {
            J::Null => scalar("", ScalarType::Null),
            J::Bool(b) => scalar(if *b { "true" } else { "false" }, ScalarType::Bool(*b)),
            J::Number(n) => match n.as_i64() {
                Some(i) => scalar(&i.to_string(), ScalarType::Int),
                None => scalar(&n.to_string(), ScalarType::Float),
            },
            J::String(s) => scalar(s, ScalarType::Str),
            J::Array(items) => Value::Seq(items.iter().map(Node::from_json).collect()),
            J::Object(map) => Value::Map(
                map.iter()
                    .map(|(k, v)| Entry {
                        key: Text::new(k),
                        value: Node::from_json(v),
                    })
                    .collect(),
            ),
        };
        Node {
            value,
            pos: Pos::default(),
        }
    }

    /// Convert to JSON (for JSON Schema validation and typed deserialisation of small files).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Scalar(s) => match s.ty {
                ScalarType::Null => J::Null,
                ScalarType::Bool(b) => J::Bool(b),
                ScalarType::Int => super::scalar::int_value(&s.text).map_or(J::Null, J::from),
                ScalarType::Float => super::scalar::float_value(&s.text)
                    .and_then(serde_json::Number::from_f64)
                    .map_or(J::Null, J::Number),
                ScalarType::Str => J::String(s.text.to_string()),
            },
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|e| (e.key.to_string(), e.value.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Escape one reference token for a JSON pointer (`~` → `~0`, `/` → `~1`).
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn unescape_token(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// Build a JSON pointer from reference tokens, escaping each.
pub fn pointer<I, S>(tokens: I) -> String
where
    I: IntoIterator<Item = S>,
    S: fmt::Display,
{
    let mut out = String::new();
    for t in tokens {
        out.push('/');
        out.push_str(&escape_token(&t.to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip() {
        let v = serde_json::json!({"a": [1, 2.5, "x", true, null], "b": {"c": "d"}});
        let n = Node::from_json(&v);
        assert_eq!(n.to_json(), v);
        assert_eq!(n.path(&["b", "c"]).and_then(Node::as_str), Some("d"));
        assert_eq!(n.at("/a/0").and_then(Node::as_i64), Some(1));
    }
}
