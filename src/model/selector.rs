//! `metav1.LabelSelector` evaluation over labels the input may only partly know: a Namespace that is
//! not in the input has only its `kubernetes.io/metadata.name` label known, so a selector on it can be
//! undecidable — three-valued logic instead of a guess.

use super::inventory::Inventory;
use crate::load::Node;

/// The label every Namespace carries with its own name.
pub const NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// Three-valued logic for selectors over partly known labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tri {
    /// Does not match.
    No,
    /// Cannot tell from the input.
    Unknown,
    /// Matches.
    Yes,
}

impl Tri {
    /// Both.
    pub fn and(self, other: Tri) -> Tri {
        self.min(other)
    }
    /// Either.
    pub fn or(self, other: Tri) -> Tri {
        self.max(other)
    }
}

/// The labels of an object as far as the input tells: `complete` when every label is known (an
/// object in the input); otherwise only the listed ones are known.
#[derive(Clone, Debug, Default)]
pub struct Labels {
    /// Labels known to be set.
    pub known: Vec<(String, String)>,
    /// Whether every label is known (absent ones are really absent).
    pub complete: bool,
}

impl Labels {
    /// The labels of a `metadata.labels` node, all known.
    pub fn of(node: Option<&Node>) -> Labels {
        Labels {
            known: node
                .map_or(&[][..], Node::entries)
                .iter()
                .filter_map(|e| Some((e.key.to_string(), e.value.scalar_text()?.to_string())))
                .collect(),
            complete: true,
        }
    }

    /// Nothing known.
    pub fn unknown() -> Labels {
        Labels::default()
    }

    /// `Some(Some(v))` present, `Some(None)` known absent, `None` unknown.
    pub fn get(&self, key: &str) -> Option<Option<&str>> {
        match self.known.iter().find(|(k, _)| k == key) {
            Some((_, v)) => Some(Some(v)),
            None if self.complete => Some(None),
            None => None,
        }
    }
}

/// One requirement of a selector.
fn requirement(labels: &Labels, key: &str, op: &str, values: &[&str]) -> Tri {
    let Some(value) = labels.get(key) else {
        return Tri::Unknown;
    };
    let yes = |b: bool| if b { Tri::Yes } else { Tri::No };
    match op {
        "In" => yes(value.is_some_and(|v| values.contains(&v))),
        "NotIn" => yes(value.is_none_or(|v| !values.contains(&v))),
        "Exists" => yes(value.is_some()),
        "DoesNotExist" => yes(value.is_none()),
        _ => Tri::Unknown,
    }
}

/// Evaluate a `metav1.LabelSelector` (absent, null or `{}` selects everything).
pub fn selects(selector: Option<&Node>, labels: &Labels) -> Tri {
    let Some(sel) = selector.filter(|s| !s.is_null()) else {
        return Tri::Yes;
    };
    if !matches!(sel.value, crate::load::Value::Map(_)) {
        return Tri::Unknown;
    }
    let mut result = Tri::Yes;
    for e in sel.get("matchLabels").map_or(&[][..], Node::entries) {
        let Some(v) = e.value.scalar_text() else {
            return Tri::Unknown;
        };
        result = result.and(requirement(labels, &e.key, "In", &[v]));
    }
    for expr in sel.get("matchExpressions").map_or(&[][..], Node::items) {
        let (Some(key), Some(op)) = (expr.str_at(&["key"]), expr.str_at(&["operator"])) else {
            return Tri::Unknown;
        };
        let values: Vec<&str> = expr
            .get("values")
            .map_or(&[][..], Node::items)
            .iter()
            .filter_map(Node::scalar_text)
            .collect();
        result = result.and(requirement(labels, key, op, &values));
    }
    result
}

/// Labels of a namespace: the Namespace object's (plus its name label) or only the name label.
pub fn namespace_labels(inv: &Inventory, ns: &str) -> Labels {
    let mut labels = match inv.find("", "Namespace", None, ns) {
        Some(n) => Labels::of(inv.get(n).root.path(&["metadata", "labels"])),
        None => Labels::unknown(),
    };
    labels.known.retain(|(k, _)| k != NAME_LABEL);
    labels.known.push((NAME_LABEL.to_string(), ns.to_string()));
    labels
}
