//! WH010 webhook-cert-bootstrap-deadlock: an admission webhook that, when it is down (for example
//! because its serving certificate expired), blocks exactly the requests needed to bring it back.
//!
//! For every Service-backed entry of a Validating/MutatingWebhookConfiguration whose `failurePolicy`
//! is `Fail` (or unset: the admissionregistration.k8s.io/v1 default; v1beta1 defaulted to `Ignore`), a
//! warning when a rule (apiGroups × resources × operations, scope not `Cluster`) intercepts one of
//! these requests and neither `namespaceSelector` nor `objectSelector` excludes it:
//!
//! * `CREATE` of **pods** (group `""`/`*`) in the webhook Service's namespace, for the webhook's own
//!   pods (the pod templates behind the Service): they cannot be recreated.
//! * `CREATE`/`UPDATE` of **secrets** (group `""`/`*`) in that namespace: the serving Secret cannot be
//!   renewed (by cert-manager or whatever writes it).
//! * When the serving certificate is issued by cert-manager (`cert-manager.io/inject-ca-from`, or the
//!   backend pods mount a Secret written by a Certificate in the input):
//!   * `CREATE` of **certificaterequests** / `CREATE`/`UPDATE` of **certificates** (group
//!     `cert-manager.io`/`*`) in the Certificate's namespace: cert-manager cannot renew (or first
//!     issue) the webhook's own certificate;
//!   * pods and secrets in the **cert-manager namespace** (the namespace of a Deployment whose image
//!     contains `cert-manager-controller`, else `cert-manager`): cert-manager itself cannot restart
//!     or write its CA/account Secrets.
//!
//! Resources match by name, `*` or `*/*` (`pods/*` only matches subresources); operations by name or
//! `*`. Selectors are evaluated like `metav1.LabelSelector` (`matchLabels`, `matchExpressions` with
//! `In`/`NotIn`/`Exists`/`DoesNotExist`): namespaces against the Namespace object in the input, or,
//! when it is absent, only against `kubernetes.io/metadata.name` (set on every Namespace since
//! Kubernetes 1.21); pods against the pod templates in the input. Anything that cannot be decided (a
//! label not in the input, Secrets' and CertificateRequests' labels under an `objectSelector`, an
//! unknown operator) does not fire. With `matchConditions` the finding is info: CEL conditions may
//! exclude the request.
//!
//! cert-manager's own webhook does not fire: it only intercepts `cert-manager.io`/`acme.cert-manager.io`
//! resources and its certificate comes from dynamic serving, not from a Certificate.
//!
//! Sources: <https://kubernetes.io/docs/concepts/cluster-administration/admission-webhooks-good-practices/>
//! ("Avoid deadlocks in self-hosted webhooks"), admissionregistration.k8s.io/v1 API (failurePolicy
//! default `Fail`, rule matching), kubebuilder's webhook bootstrap problem, cert-manager chart
//! `webhook-validating-webhook.yaml` (`cert-manager.io/disable-validation` namespaceSelector).

use std::collections::BTreeSet;

use super::{backend_related, unrendered};
use crate::load::Node;
use crate::load::node::pointer;
use crate::model::selector::{Labels, NAME_LABEL, Tri, namespace_labels, selects};
use crate::model::webhook::{self, CaSource, Callee, Target};
use crate::model::{Inventory, ObjId, Settings, pod_template_of};
use crate::rules::{BuiltinRule, Finding, KindSet, Severity, WORKLOAD_KINDS};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "WH010",
    kinds,
    check,
};

/// The webhook graph, workloads (the webhook's pods, cert-manager's Deployment) and Namespaces (for
/// `namespaceSelector`).
fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![webhook::KINDS, WORKLOAD_KINDS, &[("", "Namespace")]]
}

const ID: &str = "WH010";

/// The namespace cert-manager runs in: that of a Deployment running `cert-manager-controller`.
fn cert_manager_namespace(inv: &Inventory) -> String {
    inv.of_kind("apps", "Deployment")
        .iter()
        .map(|&d| inv.get(d))
        .find(|d| {
            pod_template_of(d)
                .and_then(|t| t.get("spec"))
                .is_some_and(|spec| {
                    webhook::containers(spec).any(|c| {
                        c.str_at(&["image"])
                            .is_some_and(|i| i.contains("cert-manager-controller"))
                    })
                })
        })
        .and_then(|d| d.ns())
        .unwrap_or("cert-manager")
        .to_string()
}

/// Pod-template labels of every workload in namespace `ns`.
fn workload_labels(inv: &Inventory, ns: &str) -> Vec<Labels> {
    WORKLOAD_KINDS
        .iter()
        .flat_map(|(g, k)| inv.of_kind(g, k).iter())
        .map(|&w| inv.get(w))
        .filter(|w| w.ns() == Some(ns))
        .filter_map(|w| pod_template_of(w).map(|t| Labels::of(t.path(&["metadata", "labels"]))))
        .collect()
}

/// What a down webhook blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    Pods,
    Secrets,
    CertificateRequests,
    Certificates,
}

impl Class {
    fn group(self) -> &'static str {
        match self {
            Class::Pods | Class::Secrets => "",
            Class::CertificateRequests | Class::Certificates => "cert-manager.io",
        }
    }
    fn resource(self) -> &'static str {
        match self {
            Class::Pods => "pods",
            Class::Secrets => "secrets",
            Class::CertificateRequests => "certificaterequests",
            Class::Certificates => "certificates",
        }
    }
    /// The operations whose rejection blocks recovery.
    fn operations(self) -> &'static [&'static str] {
        match self {
            Class::Pods | Class::CertificateRequests => &["CREATE"],
            Class::Secrets | Class::Certificates => &["CREATE", "UPDATE"],
        }
    }
}

/// Why a namespace matters to the webhook.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    /// The webhook's own Service/pods.
    Own,
    /// cert-manager's namespace.
    CertManager,
    /// Where the webhook's Certificate lives.
    Certificate,
}

/// A request that must go through for the webhook to recover, and the objects it concerns.
struct Need<'a> {
    class: Class,
    namespace: String,
    role: Role,
    objects: &'a [Labels],
}

fn strings(node: Option<&Node>) -> Vec<&str> {
    node.map_or(&[][..], Node::items)
        .iter()
        .filter_map(Node::scalar_text)
        .collect()
}

/// Whether rule `rule` intercepts requests of `class`.
fn rule_matches(rule: &Node, class: Class) -> bool {
    if rule.str_at(&["scope"]) == Some("Cluster") {
        return false;
    }
    let groups = strings(rule.get("apiGroups"));
    let resources = strings(rule.get("resources"));
    let ops = strings(rule.get("operations"));
    groups.iter().any(|g| *g == class.group() || *g == "*")
        && resources
            .iter()
            .any(|r| *r == class.resource() || *r == "*" || *r == "*/*")
        && ops
            .iter()
            .any(|o| *o == "*" || class.operations().contains(o))
}

/// Namespaces of the cert-manager Certificates that issue the webhook's serving certificate.
fn certificate_namespaces(inv: &Inventory, source: &CaSource, callee: &Callee) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if let CaSource::Certificate(ns, _) = source {
        out.insert(ns.clone());
    }
    for &t in &callee.backend.pods {
        let Some((w, spec)) = inv.pod_spec(t) else {
            continue;
        };
        for m in webhook::secret_mounts(spec, "") {
            if let Some(ns) = inv
                .certificates_for_secret(w.ns(), &m.secret)
                .first()
                .and_then(|&c| inv.get(c).ns())
            {
                out.insert(ns.to_string());
            }
        }
    }
    out
}

/// What a blocked request is, and what its rejection prevents.
fn describe(need: &Need) -> (String, &'static str) {
    let ns = &need.namespace;
    match (need.class, need.role) {
        (Class::Pods, Role::Own) => (
            format!("pod CREATE in its own namespace `{ns}`"),
            "its pods cannot be recreated",
        ),
        (Class::Secrets, Role::Own) => (
            format!("Secret writes in `{ns}`"),
            "its serving Secret cannot be renewed",
        ),
        (Class::Pods, _) => (
            format!("pod CREATE in the cert-manager namespace `{ns}`"),
            "cert-manager, which issues its certificate, cannot be restarted",
        ),
        (Class::Secrets, _) => (
            format!("Secret writes in the cert-manager namespace `{ns}`"),
            "cert-manager cannot write its CA and account Secrets",
        ),
        (Class::CertificateRequests, _) => (
            format!("CertificateRequest CREATE in `{ns}`"),
            "cert-manager cannot renew its serving certificate",
        ),
        (Class::Certificates, _) => (
            format!("Certificate writes in `{ns}`"),
            "its own Certificate cannot be created or fixed",
        ),
    }
}

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    let cm_ns = cert_manager_namespace(inv);
    let cm_pods = workload_labels(inv, &cm_ns);
    for inj in &inv.webhooks.injectables {
        let obj = inv.get(inj.object);
        let is_config = obj.is(
            "admissionregistration.k8s.io",
            "ValidatingWebhookConfiguration",
        ) || obj.is(
            "admissionregistration.k8s.io",
            "MutatingWebhookConfiguration",
        );
        if !is_config {
            continue;
        }
        // v1beta1 defaulted failurePolicy to Ignore; v1 defaults to Fail.
        let default_fail = !obj.id.api_version.ends_with("/v1beta1");
        let callees = inv.webhooks.callees_of(inj);
        let source = inj.injection.source();
        for (i, w) in obj
            .root
            .get("webhooks")
            .map_or(&[][..], Node::items)
            .iter()
            .enumerate()
        {
            let fail = match w.get("failurePolicy").and_then(Node::scalar_text) {
                None => default_fail,
                Some(p) => p == "Fail",
            };
            if !fail {
                continue;
            }
            let config_ptr = pointer(["webhooks", &i.to_string(), "clientConfig"]);
            let Some(callee) = callees.iter().find(|c| c.pointer == config_ptr) else {
                continue;
            };
            let Target::Service(svc) = &callee.target else {
                continue;
            };
            let Some(own_ns) = svc.namespace.as_deref() else {
                continue;
            };
            if svc.name.is_empty() || unrendered(&svc.name) || unrendered(own_ns) {
                continue;
            }
            let cert_nss = certificate_namespaces(inv, &source, callee);
            let own_pods: Vec<Labels> = callee
                .backend
                .pods
                .iter()
                .filter_map(|&t| {
                    let tpl = inv.template(t);
                    let node = inv.get(tpl.object).root.path(tpl.path)?;
                    Some(Labels::of(node.path(&["metadata", "labels"])))
                })
                .collect();
            let unknown = [Labels::unknown()];
            let mut needs = vec![
                Need {
                    class: Class::Pods,
                    namespace: own_ns.to_string(),
                    role: Role::Own,
                    objects: if own_pods.is_empty() {
                        &unknown
                    } else {
                        &own_pods
                    },
                },
                Need {
                    class: Class::Secrets,
                    namespace: own_ns.to_string(),
                    role: Role::Own,
                    objects: &unknown,
                },
            ];
            if !cert_nss.is_empty() {
                if cm_ns != own_ns {
                    needs.push(Need {
                        class: Class::Pods,
                        namespace: cm_ns.clone(),
                        role: Role::CertManager,
                        objects: if cm_pods.is_empty() {
                            &unknown
                        } else {
                            &cm_pods
                        },
                    });
                    needs.push(Need {
                        class: Class::Secrets,
                        namespace: cm_ns.clone(),
                        role: Role::CertManager,
                        objects: &unknown,
                    });
                }
                for ns in &cert_nss {
                    for class in [Class::CertificateRequests, Class::Certificates] {
                        needs.push(Need {
                            class,
                            namespace: ns.clone(),
                            role: Role::Certificate,
                            objects: &unknown,
                        });
                    }
                }
            }
            if let Some(f) = check_entry(inv, inj.object, i, w, &needs) {
                out.push(f.related(backend_related(inv, callee)));
            }
        }
    }
}

/// The finding for entry `i` (node `w`) of webhook configuration `id` if it blocks one of `needs`.
fn check_entry(inv: &Inventory, id: ObjId, i: usize, w: &Node, needs: &[Need]) -> Option<Finding> {
    let obj = inv.get(id);
    let ns_selector = w.get("namespaceSelector");
    let obj_selector = w.get("objectSelector");
    let mut first_rule: Option<usize> = None;
    let mut blocked: Vec<&Need> = Vec::new();
    for need in needs {
        let rule = w
            .get("rules")
            .map_or(&[][..], Node::items)
            .iter()
            .position(|r| rule_matches(r, need.class));
        let Some(j) = rule else {
            continue;
        };
        let ns_match = selects(ns_selector, &namespace_labels(inv, &need.namespace));
        let obj_match = need
            .objects
            .iter()
            .map(|l| selects(obj_selector, l))
            .fold(Tri::No, Tri::or);
        if ns_match.and(obj_match) == Tri::Yes {
            first_rule = Some(first_rule.map_or(j, |f| f.min(j)));
            blocked.push(need);
        }
    }
    let j = first_rule?;
    let name = w.str_at(&["name"]).unwrap_or("");
    let policy = match w.get("failurePolicy") {
        Some(_) => "failurePolicy: Fail",
        None => "failurePolicy unset (Fail by default)",
    };
    let (what, effects): (Vec<String>, Vec<&str>) = blocked.iter().map(|n| describe(n)).unzip();
    let has_conditions = w
        .get("matchConditions")
        .is_some_and(|m| !m.items().is_empty());
    let (severity, tail) = if has_conditions {
        (
            Severity::Info,
            " (its matchConditions may exclude these requests; verify they do)",
        )
    } else {
        (Severity::Warning, "")
    };
    Some(
        Finding::new(
            ID,
            severity,
            id,
            pointer(["webhooks", &i.to_string(), "rules", &j.to_string()]),
            format!(
                "webhook `{name}` of {} ({policy}) intercepts {}: if it is down (e.g. its serving certificate expired) {}, so it cannot recover on its own{tail}",
                obj.id.display(),
                what.join(", "),
                effects.join("; ")
            ),
        )
        .help(format!(
            "Exclude the namespaces it depends on with a namespaceSelector (e.g. `{NAME_LABEL} NotIn [<ns>]`) or an objectSelector, narrow the rules, or use `failurePolicy: Ignore`."
        )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::run_check;

    fn run(yaml: &str) -> Vec<Finding> {
        run_check(check, yaml, Settings::default())
    }

    fn labels(pairs: &[(&str, &str)], complete: bool) -> Labels {
        Labels {
            known: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            complete,
        }
    }

    fn selector(yaml: &str) -> crate::load::Node {
        let inv = Inventory::from_yaml(
            &format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\ndata:\n  sel: 1\nsel: {yaml}\n"
            ),
            Settings::default(),
        );
        inv.get(0).root.get("sel").unwrap().clone()
    }

    #[test]
    fn selector_semantics() {
        let ns = labels(&[(NAME_LABEL, "istio-system")], false);
        let full = labels(&[(NAME_LABEL, "istio-system")], true);
        let s = selector("{matchExpressions: [{key: istio-injection, operator: DoesNotExist}]}");
        assert_eq!(selects(Some(&s), &ns), Tri::Unknown);
        assert_eq!(selects(Some(&s), &full), Tri::Yes);
        let s = selector(
            "{matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [istio-system]}, {key: x, operator: Exists}]}",
        );
        assert_eq!(
            selects(Some(&s), &ns),
            Tri::No,
            "a definite No wins over unknown"
        );
        let s = selector("{matchLabels: {kubernetes.io/metadata.name: istio-system}}");
        assert_eq!(selects(Some(&s), &ns), Tri::Yes);
        assert_eq!(selects(Some(&selector("{}")), &ns), Tri::Yes);
        assert_eq!(selects(None, &Labels::unknown()), Tri::Yes);
        let s = selector("{matchExpressions: [{key: a, operator: Gt, values: ['1']}]}");
        assert_eq!(selects(Some(&s), &full), Tri::Unknown);
    }

    const HOOK: &str = r#"
apiVersion: admissionregistration.k8s.io/APIVERSION
kind: MutatingWebhookConfiguration
metadata: {name: injector}
webhooks:
  - name: inject.example.com
    clientConfig:
      service: {namespace: injector, name: injector}
    rules:
      - apiGroups: [""]
        apiVersions: [v1]
        operations: [CREATE]
        resources: [pods]
EXTRA
"#;

    fn hook(version: &str, extra: &str) -> String {
        HOOK.replace("APIVERSION", version).replace("EXTRA", extra)
    }

    #[test]
    fn failure_policy_default_depends_on_version() {
        let f = run(&hook("v1", ""));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        assert_eq!(f[0].pointer, "/webhooks/0/rules/0");
        assert!(f[0].message.contains("Fail by default"), "{}", f[0].message);
        assert!(
            run(&hook("v1beta1", "")).is_empty(),
            "v1beta1 defaulted to Ignore"
        );
        assert!(run(&hook("v1", "    failurePolicy: Ignore")).is_empty());
    }

    #[test]
    fn match_conditions_downgrade_to_info() {
        let f = run(&hook(
            "v1",
            "    matchConditions:\n      - {name: not-self, expression: \"object.metadata.namespace != 'injector'\"}",
        ));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info);
    }

    #[test]
    fn subresource_and_cluster_scope_rules_do_not_match() {
        let rule = |yaml: &str| selector(yaml);
        assert!(!rule_matches(
            &rule("{apiGroups: [''], resources: ['pods/*'], operations: [CREATE]}"),
            Class::Pods
        ));
        assert!(!rule_matches(
            &rule("{apiGroups: ['*'], resources: ['*'], operations: ['*'], scope: Cluster}"),
            Class::Secrets
        ));
        assert!(rule_matches(
            &rule("{apiGroups: ['*'], resources: ['*/*'], operations: ['*']}"),
            Class::Certificates
        ));
        assert!(!rule_matches(
            &rule("{apiGroups: [''], resources: [pods], operations: [UPDATE, DELETE]}"),
            Class::Pods
        ));
    }
}
