//! What the LIVE rules share: status conditions (cert-manager's and `metav1.Condition`, which have the
//! same shape for what is read here), object ages, Secret values, and message helpers.

use crate::certs::Cert;
use crate::load::Node;
use crate::load::node::pointer;
use crate::model::Object;
use crate::time::parse_rfc3339;

pub use crate::rules::material::{
    Pem, cert_manager_secret, certs_of, go_bool, mounted_secrets, pem_value, read_pem,
};

/// Longest controller message quoted in a finding.
const MAX_QUOTED: usize = 240;

/// One entry of `status.conditions`.
#[derive(Clone, Debug)]
pub struct Condition<'a> {
    /// Index in `status.conditions`.
    pub index: usize,
    /// `status` (`True`, `False`, `Unknown`; empty when missing).
    pub status: &'a str,
    /// `reason` (may be empty).
    pub reason: &'a str,
    /// `message` (may be empty).
    pub message: &'a str,
    /// `lastTransitionTime`.
    pub last_transition: Option<i64>,
    /// `observedGeneration`.
    pub observed_generation: Option<i64>,
}

impl Condition<'_> {
    /// Whether `status` is `True`.
    pub fn is_true(&self) -> bool {
        self.status == "True"
    }

    /// Pointer of a field of this condition (`status`, `reason`, …).
    pub fn pointer(&self, field: &str) -> String {
        pointer(["status", "conditions", &self.index.to_string(), field])
    }

    /// ` (reason `X`: message)` for messages, or an empty string when both are empty.
    pub fn explain(&self) -> String {
        match self.detail() {
            d if d.is_empty() => d,
            d => format!(" ({d})"),
        }
    }

    /// `(status `False`, reason `X`: message)`.
    pub fn with_status(&self) -> String {
        let status = if self.status.is_empty() {
            "unset"
        } else {
            self.status
        };
        match self.detail() {
            d if d.is_empty() => format!("(status `{status}`)"),
            d => format!("(status `{status}`, {d})"),
        }
    }

    /// `reason `X`: message`, `reason `X``, `message` or nothing.
    pub fn detail(&self) -> String {
        let message = quote(self.message);
        match (self.reason.is_empty(), message.is_empty()) {
            (true, true) => String::new(),
            (false, true) => format!("reason `{}`", self.reason),
            (true, false) => message,
            (false, false) => format!("reason `{}`: {message}", self.reason),
        }
    }
}

/// The condition of type `ty` in `status.conditions`.
pub fn condition<'a>(obj: &'a Object, ty: &str) -> Option<Condition<'a>> {
    let items = obj
        .root
        .path(&["status", "conditions"])
        .map_or(&[][..], Node::items);
    items.iter().enumerate().find_map(|(index, c)| {
        (c.str_at(&["type"]) == Some(ty)).then(|| {
            let text = |k: &str| c.get(k).and_then(Node::scalar_text).unwrap_or("");
            Condition {
                index,
                status: text("status"),
                reason: text("reason"),
                message: text("message"),
                last_transition: timestamp(c.get("lastTransitionTime")),
                observed_generation: c.get("observedGeneration").and_then(Node::as_i64),
            }
        })
    })
}

/// A controller message, on one line and cut at [`MAX_QUOTED`] characters.
pub fn quote(message: &str) -> String {
    let one_line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= MAX_QUOTED {
        return one_line;
    }
    let cut: String = one_line.chars().take(MAX_QUOTED).collect();
    format!("{cut}…")
}

/// An RFC 3339 timestamp node as Unix seconds.
pub fn timestamp(node: Option<&Node>) -> Option<i64> {
    node.and_then(Node::scalar_text).and_then(parse_rfc3339)
}

/// `metadata.creationTimestamp`.
pub fn created(obj: &Object) -> Option<i64> {
    timestamp(obj.root.path(&["metadata", "creationTimestamp"]))
}

/// Where to report something missing from `status`: `/status/conditions`, else `/status`, else
/// `/metadata/name`.
pub fn status_pointer(obj: &Object) -> String {
    if obj.root.path(&["status", "conditions"]).is_some() {
        "/status/conditions".to_string()
    } else if obj.root.get("status").is_some() {
        "/status".to_string()
    } else {
        "/metadata/name".to_string()
    }
}

/// `ns/name`, or `name` for cluster-scoped objects.
pub fn qualified(obj: &Object) -> String {
    match obj.ns() {
        Some(ns) => format!("{ns}/{}", obj.id.name),
        None => obj.id.name.to_string(),
    }
}

/// `Kind ns/name`.
pub fn describe(obj: &Object) -> String {
    format!("{} {}", obj.id.kind, qualified(obj))
}

/// `CN=a (expires 2026-12-01), CN=b (…) and 2 more`: certificates named for messages.
pub fn named(certs: &[&Cert], verb: &str, now: i64) -> String {
    const MAX: usize = 3;
    let mut parts: Vec<String> = certs
        .iter()
        .take(MAX)
        .map(|c| {
            format!(
                "{} ({verb} {})",
                c.name(),
                crate::time::when(c.not_after, now)
            )
        })
        .collect();
    if certs.len() > MAX {
        parts.push(format!("{} more", certs.len() - MAX));
    }
    parts.join(", ")
}

/// A command-line flag of a container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag<'a> {
    /// Name without dashes.
    pub name: &'a str,
    /// Value: after `=`, or the next word when it is not a flag; `None` for a bare flag.
    pub value: Option<&'a str>,
    /// Whether the value was written with `=` (pflag bool flags only take a value that way).
    pub inline: bool,
    /// Pointer of the word holding the flag.
    pub pointer: String,
}

impl Flag<'_> {
    /// The value of a pflag bool flag: `--flag` and `--flag=true` are true, `--flag=false` false
    /// (a separate word is a positional argument, not the value); `None` when unparsable.
    pub fn as_bool(&self) -> Option<bool> {
        match (self.inline, self.value) {
            (true, Some(v)) => go_bool(v),
            _ => Some(true),
        }
    }
}

/// The command-line flags of a container (`command` then `args`): `--name=value`, `--name value`
/// (when the next word is not a flag) and bare `--name`. Single-dash flags are read the same way
/// (Go's `flag` package and pflag accept both for long names).
pub fn flags<'a>(container: &'a Node, base: &str) -> Vec<Flag<'a>> {
    let mut words: Vec<(&str, String)> = Vec::new();
    for key in ["command", "args"] {
        for (i, w) in container
            .get(key)
            .map_or(&[][..], Node::items)
            .iter()
            .enumerate()
        {
            if let Some(text) = w.scalar_text() {
                words.push((text, format!("{base}/{key}/{i}")));
            }
        }
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let (w, ptr) = &words[i];
        i += 1;
        let Some(flag) = w.strip_prefix("--").or_else(|| w.strip_prefix('-')) else {
            continue;
        };
        if flag.is_empty() {
            continue;
        }
        let (name, value, inline) = match flag.split_once('=') {
            Some((name, value)) => (name, Some(value), true),
            None => match words.get(i).map(|(n, _)| *n) {
                Some(n) if !n.starts_with('-') => {
                    i += 1;
                    (flag, Some(n), false)
                }
                _ => (flag, None, false),
            },
        };
        out.push(Flag {
            name,
            value,
            inline,
            pointer: ptr.clone(),
        });
    }
    out
}

/// The volume source (`configMap`, `secret`, …) and key that provide the file at `path` in a
/// container, through its volumeMounts (`subPath` and `items` honoured).
pub fn mounted_file<'a>(
    spec: &'a Node,
    container: &Node,
    path: &str,
    source: &str,
) -> Option<(&'a Node, String)> {
    for m in container.get("volumeMounts").map_or(&[][..], Node::items) {
        let (Some(name), Some(mount)) = (m.str_at(&["name"]), m.str_at(&["mountPath"])) else {
            continue;
        };
        let mount = mount.trim_end_matches('/');
        let rel = match m.str_at(&["subPath"]) {
            Some(sub) if path == mount => sub.to_string(),
            Some(_) => continue,
            None => match path.strip_prefix(mount).and_then(|r| r.strip_prefix('/')) {
                Some(r) => r.to_string(),
                None => continue,
            },
        };
        let volume = spec
            .get("volumes")
            .map_or(&[][..], Node::items)
            .iter()
            .find(|v| v.str_at(&["name"]) == Some(name))?;
        let src = volume.get(source)?;
        let key = match src.get("items") {
            Some(items) => items
                .items()
                .iter()
                .find(|i| i.str_at(&["path"]) == Some(rel.as_str()))?
                .str_at(&["key"])?
                .to_string(),
            None => rel,
        };
        return Some((src, key));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Inventory, Settings};

    #[test]
    fn conditions_and_quotes() {
        let inv = Inventory::from_yaml(
            "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c, namespace: a, creationTimestamp: '2026-11-25T00:00:00Z'}\nstatus:\n  conditions:\n    - {type: Issuing, status: 'True'}\n    - type: Ready\n      status: 'False'\n      reason: DoesNotExist\n      message: |\n        Issuing certificate as Secret does not exist\n      lastTransitionTime: '2026-11-25T01:00:00Z'\n      observedGeneration: 2\n",
            Settings::default(),
        );
        let obj = inv.get(0);
        let c = condition(obj, "Ready").unwrap();
        assert_eq!((c.index, c.status, c.reason), (1, "False", "DoesNotExist"));
        assert_eq!(c.observed_generation, Some(2));
        assert_eq!(c.last_transition, Some(1_795_568_400));
        assert_eq!(c.pointer("status"), "/status/conditions/1/status");
        assert_eq!(
            c.explain(),
            " (reason `DoesNotExist`: Issuing certificate as Secret does not exist)"
        );
        assert!(condition(obj, "Approved").is_none());
        assert_eq!(created(obj), Some(1_795_564_800));
        assert_eq!(status_pointer(obj), "/status/conditions");
        let long = "x ".repeat(400);
        assert_eq!(quote(&long).chars().count(), MAX_QUOTED + 1);
    }

    #[test]
    fn flags_in_all_spellings() {
        let inv = Inventory::from_yaml(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      command: [/app/cainjector]\n      args: ['--namespace', 'cert-manager', '--leader-elect', '--enable-apiservices-injectable=false', '-v=2', '--', 'x']\n",
            Settings::default(),
        );
        let c = &inv
            .get(0)
            .root
            .path(&["spec", "containers"])
            .unwrap()
            .items()[0];
        let f = flags(c, "/spec/containers/0");
        let names: Vec<(&str, Option<&str>)> = f.iter().map(|f| (f.name, f.value)).collect();
        assert_eq!(
            names,
            vec![
                ("namespace", Some("cert-manager")),
                ("leader-elect", None),
                ("enable-apiservices-injectable", Some("false")),
                ("v", Some("2")),
            ]
        );
        assert_eq!(f[0].pointer, "/spec/containers/0/args/0");
        assert_eq!(f[1].as_bool(), Some(true));
        assert_eq!(f[2].as_bool(), Some(false));
        assert_eq!(go_bool("F"), Some(false));
        assert_eq!(go_bool("yes"), None);
    }
}
