//! Rendering a [`Plan`] as YAML: one stream for stdout (GitOps: commit it), or one file per object in
//! a directory with a `kustomization.yaml`. Objects are written with serde-saphyr's serializer, which
//! quotes ambiguous scalars (`"yes"`, `"0644"`), each preceded by a `# why:` comment line.
//!
//! Secrets (the `--local-ca` key pair) never reach the stream unless asked for explicitly; in a
//! directory they are written with mode `0600` by [`super::local_ca::write_secret_file`], listed in a
//! `.gitignore` and left out of the kustomization, and never overwritten (not even with `--force`).
//!
//! Patches are partial objects (apiVersion, kind, metadata and only the fields bootstrap owns): in the
//! stream they are applied with server-side apply; in a directory they become kustomize patches. As
//! kustomize only patches objects of the same build, a directory with patches holds a kustomize
//! `Component`, to be listed under `components:` of the kustomization that builds the patched objects.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::Plan;

/// Whether an object is a Secret (key material: never printed by default).
pub fn is_secret(v: &Value) -> bool {
    v.get("apiVersion").and_then(Value::as_str) == Some("v1")
        && v.get("kind").and_then(Value::as_str) == Some("Secret")
}

/// One object as YAML (ends with a newline).
pub fn to_yaml(v: &Value) -> Result<String, String> {
    // Long single-line values (ARNs, file names) stay plain scalars; multi-line ones (PEM) are
    // literal blocks.
    let mut options = serde_saphyr::SerializerOptions::default();
    options.folded_wrap_chars = usize::MAX;
    let mut text = serde_saphyr::to_string_with_options(v, options)
        .map_err(|e| format!("cannot render YAML: {e}"))?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

fn why(reason: &str) -> String {
    let line: String = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("# why: {line}\n")
}

/// The documents of a plan, in order: `(yaml with its # why: line, is_patch, is_secret)`.
fn documents(plan: &Plan) -> Result<Vec<(String, bool, bool)>, String> {
    let reason = |i: usize| plan.reasons.get(i).map_or("", String::as_str);
    let mut docs = Vec::new();
    for (i, o) in plan.objects.iter().enumerate() {
        docs.push((
            format!("{}{}", why(reason(i)), to_yaml(o)?),
            false,
            is_secret(o),
        ));
    }
    for (j, p) in plan.patches.iter().enumerate() {
        let text = format!(
            "{}{}",
            why(&format!(
                "patch of an existing object (only the fields bootstrap owns) — {}",
                reason(plan.objects.len() + j)
            )),
            to_yaml(p)?
        );
        docs.push((text, true, false));
    }
    Ok(docs)
}

/// The YAML stream for stdout: objects, then patches, separated by `---`. Secrets are left out unless
/// `include_secrets` (`--emit-secret`). Empty when there is nothing to emit.
pub fn stream(plan: &Plan, include_secrets: bool) -> Result<String, String> {
    let docs: Vec<String> = documents(plan)?
        .into_iter()
        .filter(|(_, _, secret)| include_secrets || !secret)
        .map(|(text, _, _)| text)
        .collect();
    let mut text = String::new();
    if !plan.patches.is_empty() {
        // A partial object applied client-side would remove every field its last-applied
        // configuration had: patches need server-side apply.
        text.push_str(PATCH_HEADER);
    }
    text.push_str(&docs.join("---\n"));
    Ok(text)
}

/// First lines of a stream with patches.
pub const PATCH_HEADER: &str = "# Patches below are partial objects: apply with\n\
     #   kubectl apply --server-side --field-manager=kubectl-tlscheck -f <file>\n\
     # (client-side apply would delete the fields they leave out).\n";

/// What [`write_dir`] wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Every file written (manifests, patches, kustomization, .gitignore), in order.
    pub files: Vec<PathBuf>,
    /// Files holding private keys (mode 0600, git-ignored, not in the kustomization).
    pub secret_files: Vec<PathBuf>,
    /// Whether `kustomization.yaml` is a `Component` (the plan has patches).
    pub component: bool,
}

/// The file name of an object: `<nn>-<kind>-<name>.yaml` (`<nn>-patch-<kind>-<name>.yaml`).
fn file_name(n: usize, v: &Value, patch: bool) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect()
    };
    let kind = clean(v.get("kind").and_then(Value::as_str).unwrap_or("object"));
    let name = clean(
        v.pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("unnamed"),
    );
    let patch = if patch { "patch-" } else { "" };
    format!("{n:02}-{patch}{kind}-{name}.yaml")
}

/// Write the plan into `dir` (created if needed): one file per object and patch and a
/// `kustomization.yaml`. Existing files are not overwritten unless `force` (Secret files never are);
/// nothing is written when one would be.
pub fn write_dir(dir: &Path, plan: &Plan, force: bool) -> Result<Written, String> {
    let docs = documents(plan)?;
    let values: Vec<&Value> = plan.objects.iter().chain(&plan.patches).collect();
    let names: Vec<String> = docs
        .iter()
        .zip(&values)
        .enumerate()
        .map(|(i, ((_, patch, _), v))| file_name(i + 1, v, *patch))
        .collect();
    let kustomization = dir.join("kustomization.yaml");
    let mut clashes: Vec<String> = Vec::new();
    for (name, (_, _, secret)) in names.iter().zip(&docs) {
        let path = dir.join(name);
        if path.symlink_metadata().is_ok() && (!force || *secret) {
            clashes.push(path.display().to_string());
        }
    }
    if !force && kustomization.symlink_metadata().is_ok() {
        clashes.push(kustomization.display().to_string());
    }
    if !clashes.is_empty() {
        let secret_clash = names
            .iter()
            .zip(&docs)
            .any(|(n, (_, _, s))| *s && dir.join(n).exists());
        return Err(format!(
            "refusing to overwrite {}{}",
            clashes.join(", "),
            if secret_clash {
                " (a file holding a CA private key is never overwritten: move it away first)"
            } else {
                " (use --force to overwrite)"
            }
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut written = Written::default();
    let mut resources = Vec::new();
    let mut patches = Vec::new();
    for ((name, (text, patch, secret)), value) in names.iter().zip(&docs).zip(&values) {
        let path = dir.join(name);
        if *secret {
            super::local_ca::write_secret_file(&path, value)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            written.secret_files.push(path.clone());
        } else {
            std::fs::write(&path, text)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            if *patch {
                patches.push(name.clone());
            } else {
                resources.push(name.clone());
            }
        }
        written.files.push(path);
    }
    written.component = !patches.is_empty();
    let mut k = String::from("# Generated by `kubectl tlscheck bootstrap`.\n");
    if written.component {
        k.push_str(
            "# A kustomize Component: kustomize patches only objects of the same build, so list this\n\
             # directory under `components:` of the kustomization that builds the patched objects.\n\
             apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
        );
    } else {
        k.push_str("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n");
    }
    if !written.secret_files.is_empty() {
        k.push_str(
            "# Not listed: the CA Secret file(s), which hold the private key (apply them apart).\n",
        );
    }
    let mut doc = serde_json::Map::new();
    if !resources.is_empty() {
        doc.insert("resources".into(), Value::from(resources));
    }
    if !patches.is_empty() {
        let list: Vec<Value> = patches
            .into_iter()
            .map(|p| serde_json::json!({"path": p}))
            .collect();
        doc.insert("patches".into(), Value::from(list));
    }
    if !doc.is_empty() {
        k.push_str(&to_yaml(&Value::Object(doc))?);
    }
    std::fs::write(&kustomization, k)
        .map_err(|e| format!("cannot write {}: {e}", kustomization.display()))?;
    written.files.push(kustomization);
    if !written.secret_files.is_empty() {
        let gitignore = dir.join(".gitignore");
        let mut text = std::fs::read_to_string(&gitignore).unwrap_or_default();
        for f in &written.secret_files {
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if !text.lines().any(|l| l.trim() == name) {
                if !text.is_empty() && !text.ends_with('\n') {
                    text.push('\n');
                }
                text.push_str(&name);
                text.push('\n');
            }
        }
        std::fs::write(&gitignore, text)
            .map_err(|e| format!("cannot write {}: {e}", gitignore.display()))?;
        written.files.push(gitignore);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plan() -> Plan {
        Plan {
            objects: vec![json!({
                "apiVersion": "cert-manager.io/v1",
                "kind": "ClusterIssuer",
                "metadata": {"name": "selfsigned-issuer"},
                "spec": {"selfSigned": {}},
            })],
            patches: vec![json!({
                "apiVersion": "admissionregistration.k8s.io/v1",
                "kind": "ValidatingWebhookConfiguration",
                "metadata": {"name": "v", "annotations": {"cert-manager.io/inject-ca-from": "a/b"}},
            })],
            reasons: vec!["root".into(), "wire\nit".into()],
        }
    }

    #[test]
    fn stream_has_why_lines_and_separators() {
        let text = stream(&plan(), false).unwrap();
        assert!(text.starts_with(PATCH_HEADER), "{text}");
        assert!(
            text[PATCH_HEADER.len()..].starts_with("# why: root\napiVersion: cert-manager.io/v1\n"),
            "{text}"
        );
        assert!(
            text.contains("---\n# why: patch of an existing object"),
            "{text}"
        );
        assert!(text.contains("wire it"), "{text}");
        assert!(text.contains("selfSigned: {}"), "{text}");
    }

    #[test]
    fn ambiguous_scalars_are_quoted() {
        let text = to_yaml(&json!({"a": "yes", "b": "0644", "c": "true", "d": "plain"})).unwrap();
        assert!(
            text.contains("a: \"yes\"") || text.contains("a: 'yes'"),
            "{text}"
        );
        assert!(
            text.contains("b: \"0644\"") || text.contains("b: '0644'"),
            "{text}"
        );
        assert!(text.contains("d: plain"), "{text}");
    }

    #[test]
    fn secrets_are_withheld_from_the_stream() {
        let mut p = plan();
        p.objects.push(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "k"}, "data": {"tls.key": "c2VjcmV0"}}));
        p.reasons.insert(1, "key".into());
        assert!(!stream(&p, false).unwrap().contains("tls.key"));
        assert!(stream(&p, true).unwrap().contains("tls.key"));
    }

    #[test]
    fn file_names() {
        let p = plan();
        assert_eq!(
            file_name(1, &p.objects[0], false),
            "01-clusterissuer-selfsigned-issuer.yaml"
        );
        assert_eq!(
            file_name(12, &p.patches[0], true),
            "12-patch-validatingwebhookconfiguration-v.yaml"
        );
    }
}
