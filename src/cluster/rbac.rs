//! `kubectl tlscheck rbac`: the least-privilege ClusterRole for `kubectl tlscheck cluster` — `get` and
//! `list` on exactly the resources the enabled rules read, nothing else.

use std::collections::BTreeMap;

/// Resource names of kinds whose plural is not the regular one (lower-case + `s`, `es` after `s`,
/// `ies` after a consonant `y`).
const IRREGULAR: &[(&str, &str)] = &[("Endpoints", "endpoints")];

/// The resource (plural) name of a kind, as the API server names it.
pub fn plural(kind: &str) -> String {
    if let Some((_, p)) = IRREGULAR.iter().find(|(k, _)| *k == kind) {
        return p.to_string();
    }
    let lower = kind.to_ascii_lowercase();
    if lower.ends_with('s') || lower.ends_with('x') || lower.ends_with("ch") {
        format!("{lower}es")
    } else if let Some(stem) = lower.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        format!("{stem}ies")
    } else {
        format!("{lower}s")
    }
}

/// The ClusterRole as YAML. Kinds asked for without a group (user policies' `Kind`) cannot be
/// narrowed to one API group and are listed under a comment.
pub fn cluster_role(kinds: &[(Option<String>, String)], name: &str) -> String {
    let mut groups: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut any_group = Vec::new();
    for (group, kind) in kinds {
        match group {
            Some(g) => groups.entry(g.as_str()).or_default().push(plural(kind)),
            None => any_group.push(kind.as_str()),
        }
    }
    let mut out = format!(
        "# Least privilege for `kubectl tlscheck cluster` with the rules enabled by this configuration.\n\
         # Secrets are listed with the field selector type=kubernetes.io/tls and only their certificates\n\
         # are read, but RBAC cannot narrow `list secrets` by type: drop `secrets` to run without Secret\n\
         # access (the rules that need certificates report that they were skipped).\n\
         apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {name}\nrules:\n"
    );
    for (group, mut resources) in groups {
        resources.sort();
        resources.dedup();
        out.push_str(&format!(
            "  - apiGroups: [\"{group}\"]\n    resources: [{}]\n    verbs: [get, list]\n",
            resources.join(", ")
        ));
    }
    if !any_group.is_empty() {
        any_group.sort_unstable();
        any_group.dedup();
        out.push_str(&format!(
            "# User policies also read these kinds in any API group; add their groups above: {}\n",
            any_group.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals() {
        for (kind, p) in [
            ("Secret", "secrets"),
            ("Ingress", "ingresses"),
            ("IngressClass", "ingressclasses"),
            ("NetworkPolicy", "networkpolicies"),
            ("Gateway", "gateways"),
            ("Endpoints", "endpoints"),
            ("CertificateRequest", "certificaterequests"),
            ("AWSPCAClusterIssuer", "awspcaclusterissuers"),
            (
                "ValidatingWebhookConfiguration",
                "validatingwebhookconfigurations",
            ),
        ] {
            assert_eq!(plural(kind), p);
        }
    }

    #[test]
    fn role_groups_resources() {
        let kinds = vec![
            (Some("".to_string()), "Secret".to_string()),
            (Some("".to_string()), "Service".to_string()),
            (
                Some("cert-manager.io".to_string()),
                "Certificate".to_string(),
            ),
            (None, "Widget".to_string()),
        ];
        let yaml = cluster_role(&kinds, "tlscheck-reader");
        assert!(yaml.contains("  - apiGroups: [\"\"]\n    resources: [secrets, services]\n    verbs: [get, list]\n"), "{yaml}");
        assert!(yaml.contains("apiGroups: [\"cert-manager.io\"]\n    resources: [certificates]"));
        assert!(yaml.contains("any API group; add their groups above: Widget"));
    }
}
