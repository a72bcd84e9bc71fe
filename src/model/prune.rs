//! Dropping the parts of workload objects that no built-in rule reads, as each file is read, so that
//! a large repository's Deployments do not hold probes, resources and scheduling settings in memory
//! for the whole run (pod templates are about 40% of a typical manifest tree; docs/performance.md).
//!
//! Only built-in rules are known not to read these keys: the engine skips pruning when user policies
//! run, since they may read anything. A test below fails when a rule, the model or a data file names
//! a pruned key, so a rule that starts reading one must remove it from these lists.

use crate::load::{Node, Value};

use super::Object;

/// Keys of a workload's `spec` (beside the pod template).
pub const WORKLOAD_SPEC_KEYS: &[&str] = &[
    "strategy",
    "updateStrategy",
    "revisionHistoryLimit",
    "progressDeadlineSeconds",
    "minReadySeconds",
];

/// Keys of a pod spec.
pub const POD_SPEC_KEYS: &[&str] = &[
    "affinity",
    "tolerations",
    "nodeSelector",
    "topologySpreadConstraints",
    "securityContext",
    "dnsConfig",
    "readinessGates",
    "schedulingGates",
    "overhead",
];

/// Keys of each container, init container and ephemeral container.
pub const CONTAINER_KEYS: &[&str] = &[
    "readinessProbe",
    "livenessProbe",
    "startupProbe",
    "resources",
    "resizePolicy",
    "securityContext",
    "lifecycle",
    "imagePullPolicy",
    "terminationMessagePath",
    "terminationMessagePolicy",
];

/// Where the pod template sits in each workload kind (`None`: the object is the pod).
fn template_path(obj: &Object) -> Option<&'static [&'static str]> {
    match (obj.group.as_str(), obj.id.kind.as_str()) {
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet") | ("batch", "Job") => {
            Some(&["spec", "template"])
        }
        ("batch", "CronJob") => Some(&["spec", "jobTemplate", "spec", "template"]),
        ("", "Pod") => Some(&[]),
        _ => None,
    }
}

/// Remove the unread keys from a workload (other kinds are left alone), and `managedFields`.
pub fn prune(obj: &mut Object) {
    if let Some(meta) = get_mut(&mut obj.root, "metadata") {
        drop_keys(meta, &["managedFields"]);
    }
    let Some(path) = template_path(obj) else {
        return;
    };
    if !path.is_empty()
        && let Some(spec) = get_mut(&mut obj.root, "spec")
    {
        drop_keys(spec, WORKLOAD_SPEC_KEYS);
    }
    let mut node = &mut obj.root;
    for key in path {
        match get_mut(node, key) {
            Some(n) => node = n,
            None => return,
        }
    }
    let Some(pod_spec) = get_mut(node, "spec") else {
        return;
    };
    drop_keys(pod_spec, POD_SPEC_KEYS);
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        if let Some(Node {
            value: Value::Seq(containers),
            ..
        }) = get_mut(pod_spec, list)
        {
            for c in containers {
                drop_keys(c, CONTAINER_KEYS);
            }
        }
    }
}

fn get_mut<'a>(node: &'a mut Node, key: &str) -> Option<&'a mut Node> {
    match &mut node.value {
        Value::Map(entries) => entries
            .iter_mut()
            .find(|e| e.key == key)
            .map(|e| &mut e.value),
        _ => None,
    }
}

fn drop_keys(node: &mut Node, keys: &[&str]) {
    if let Value::Map(entries) = &mut node.value {
        let before = entries.len();
        entries.retain(|e| !keys.contains(&e.key.as_str()));
        if entries.len() != before {
            entries.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::objects_from_document;

    fn object(yaml: &str) -> Object {
        let stream = crate::load::parse_stream(yaml, Default::default());
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for doc in stream.documents {
            objects_from_document(0, "t.yaml", doc, &mut out, &mut errors);
        }
        out.remove(0)
    }

    #[test]
    fn drops_unread_keys_of_pod_templates_only() {
        let mut d = object(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, managedFields: [{}]}\nspec:\n  strategy: {type: Recreate}\n  template:\n    metadata: {labels: {app: d}}\n    spec:\n      affinity: {}\n      volumes: [{name: tls, secret: {secretName: s}}]\n      containers:\n        - name: c\n          image: i\n          resources: {}\n          readinessProbe: {}\n          ports: [{containerPort: 8443}]\n          volumeMounts: [{name: tls, mountPath: /tls}]\n",
        );
        prune(&mut d);
        let json = d.root.to_json();
        assert_eq!(
            json,
            serde_json::json!({
                "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                "spec": {"template": {"metadata": {"labels": {"app": "d"}}, "spec": {
                    "volumes": [{"name": "tls", "secret": {"secretName": "s"}}],
                    "containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 8443}],
                        "volumeMounts": [{"name": "tls", "mountPath": "/tls"}]}]}}}
            })
        );
        // Other kinds keep everything (a CRD's `strategy`, a custom resource's `resources`).
        let mut cr = object(
            "apiVersion: example.com/v1\nkind: Thing\nmetadata: {name: t}\nspec: {strategy: x, resources: y}\n",
        );
        let before = cr.root.to_json();
        prune(&mut cr);
        assert_eq!(cr.root.to_json(), before);
    }

    /// No rule, model code or data file may read a pruned key: it would silently see nothing.
    #[test]
    fn no_rule_reads_a_pruned_key() {
        // The same words as fields of other kinds: CRD `spec.conversion.strategy`, webhook and RBAC
        // `rules[].resources`, and a CRD schema in a test of the schema converter.
        const OTHER_MEANINGS: &[(&str, &str)] = &[
            ("schema001.rs", "strategy"),
            ("wh008.rs", "strategy"),
            ("webhook.rs", "strategy"),
            ("convert.rs", "revisionHistoryLimit"),
            ("cm010.rs", "resources"),
            ("wh010.rs", "resources"),
            ("emit.rs", "resources"),
            ("plan.rs", "resources"),
        ];
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in [
            "src/rules",
            "src/model",
            "src/bootstrap",
            "data",
            "policies",
        ] {
            collect(&root.join(dir), &mut files);
        }
        let keys = WORKLOAD_SPEC_KEYS
            .iter()
            .chain(POD_SPEC_KEYS)
            .chain(CONTAINER_KEYS)
            .chain(&["managedFields"]);
        for file in files.iter().filter(|f| !f.ends_with("prune.rs")) {
            let name = file.file_name().unwrap().to_str().unwrap();
            let text = std::fs::read_to_string(file).unwrap();
            for key in keys.clone() {
                if OTHER_MEANINGS.contains(&(name, key)) {
                    continue;
                }
                // `"key"` in code, `key:` in YAML (not as the end of a longer word: `subresources:`).
                let yaml_key = regex::Regex::new(&format!(r"(^|[^A-Za-z0-9]){key}:")).unwrap();
                assert!(
                    !text.contains(&format!("\"{key}\"")) && !yaml_key.is_match(&text),
                    "{} reads `{key}`, which model/prune.rs drops from workloads; remove it from the prune lists",
                    file.display()
                );
            }
        }
    }

    fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                collect(&p, out);
            } else {
                out.push(p);
            }
        }
    }
}
