//! WH001 webhook-backend-unresolved: the Service a webhook, CRD conversion or APIService calls does not
//! lead to a server.
//!
//! For each `clientConfig.service` (admission webhooks, CRD conversion with strategy `Webhook`) and
//! APIService `spec.service` (the apiserver dials `<svc>.<ns>.svc` on `port`, default 443 — K8S-WH
//! `client.go`, kube-aggregator):
//! * the Service is not in the input → warning (error with `complete`); declared objects count;
//! * no Service port equals the called port → error;
//! * `targetPort` is a name no container port of the selected pod templates declares → error;
//! * the Service has a selector that matches no pod template in its namespace → warning (a Service
//!   without selector has manually managed EndpointSlices: skipped);
//! * the Service is `ExternalName` → warning (the certificate must still be valid for
//!   `<svc>.<ns>.svc`, not for the external name).
//!
//! Unrendered names (`$(VAR)`, `{{ }}`) are skipped: they are reported once by the rules that read
//! them. Fingerprinted objects are checked too — a missing Service breaks any server.

use crate::load::Node;
use crate::load::node::pointer;
use crate::model::webhook::{self, PortResolution, TargetPort};
use crate::model::{Inventory, Settings};
use crate::rules::{BuiltinRule, Finding, KindSet, Severity, WORKLOAD_KINDS};

use super::{backend_related, missing_severity, not_in_input, service_callees};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "WH001",
    kinds,
    check,
};

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![webhook::KINDS, WORKLOAD_KINDS]
}

const ID: &str = "WH001";

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    for inj in &inv.webhooks.injectables {
        // Entries of one object usually share a Service: judge each (Service, port) once.
        let mut seen = std::collections::HashSet::new();
        for (c, s) in service_callees(inv, inj) {
            if !seen.insert((&s.namespace, &s.name, s.port)) {
                continue;
            }
            let what = format!(
                "Service {}/{}",
                s.namespace.as_deref().unwrap_or("default"),
                s.name
            );
            let related = backend_related(inv, c);
            let Some(svc) = c.backend.service else {
                if !inv.exists("", "Service", s.namespace.as_deref(), &s.name) {
                    out.push(
                        Finding::new(
                            ID,
                            missing_severity(inv),
                            inj.object,
                            &s.pointer,
                            not_in_input(inv, &what),
                        )
                        .help(format!("Deploy {what} in front of the server, or fix `service.name`/`service.namespace`.")),
                    );
                }
                continue;
            };
            let spec = inv.get(svc).spec();
            if spec.and_then(|sp| sp.str_at(&["type"])) == Some("ExternalName") {
                out.push(
                    Finding::new(
                        ID,
                        Severity::Warning,
                        inj.object,
                        &s.pointer,
                        format!(
                            "{what} is ExternalName: the apiserver still verifies the certificate for `{}`, not for the external name",
                            s.server_name()
                        ),
                    )
                    .related(related.clone()),
                );
                continue;
            }
            match &c.backend.port {
                Some(PortResolution::NotExposed) => {
                    let ptr = format!("{}/port", s.pointer);
                    out.push(
                        Finding::new(
                            ID,
                            Severity::Error,
                            inj.object,
                            ptr,
                            format!(
                                "{what} exposes no port {} (the called port{})",
                                s.port,
                                if s.port == 443 { ", 443 by default" } else { "" }
                            ),
                        )
                        .help("Set `service.port` to a port the Service exposes, or add that port to the Service.")
                        .related(related.clone()),
                    );
                }
                Some(PortResolution::Port {
                    index,
                    target: TargetPort::Name(name),
                }) if !c.backend.pods.is_empty() && !declares_port(inv, &c.backend.pods, name) => {
                    out.push(
                        Finding::new(
                            ID,
                            Severity::Error,
                            svc,
                            pointer(["spec", "ports", &index.to_string(), "targetPort"]),
                            format!(
                                "targetPort `{name}` of {what} (called by {}) is not a container port name of the selected pods",
                                inv.get(inj.object).id.display()
                            ),
                        )
                        .help("Name the container port (`ports[].name`) as the Service's targetPort, or use the port number.")
                        .related(related.clone()),
                    );
                }
                _ => {}
            }
            let selector = spec.and_then(|sp| sp.get("selector"));
            if c.backend.pods.is_empty() && selector.is_some_and(|s| !s.entries().is_empty()) {
                out.push(
                    Finding::new(
                        ID,
                        Severity::Warning,
                        svc,
                        "/spec/selector",
                        format!(
                            "the selector of {what} (called by {}) matches no Deployment, StatefulSet, DaemonSet, ReplicaSet or Pod in the input",
                            inv.get(inj.object).id.display()
                        ),
                    )
                    .related([inv.obj_ref(inj.object)]),
                );
            }
        }
    }
}

/// Whether any container of the pod templates declares port `name`.
fn declares_port(inv: &Inventory, pods: &[usize], name: &str) -> bool {
    pods.iter()
        .filter_map(|&t| inv.pod_spec(t))
        .any(|(_, spec)| {
            webhook::containers(spec).any(|c| {
                c.get("ports")
                    .map_or(&[][..], Node::items)
                    .iter()
                    .any(|p| p.str_at(&["name"]) == Some(name))
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::run_check;

    const HOOK: &str = "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {name: v}\nwebhooks:\n- name: a.example.com\n  clientConfig:\n    service: {namespace: sys, name: hook}\n";

    #[test]
    fn missing_service_is_a_warning_unless_complete() {
        let f = run_check(check, HOOK, Settings::default());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(
            f[0].message.contains("verify it exists"),
            "{}",
            f[0].message
        );
        let complete = Settings {
            complete: true,
            ..Settings::default()
        };
        let f = run_check(check, HOOK, complete);
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(
            f[0].message,
            "Service sys/hook does not exist (the input is declared complete)"
        );
    }

    #[test]
    fn port_defaults_to_443() {
        let svc = "---\napiVersion: v1\nkind: Service\nmetadata: {name: hook, namespace: sys}\nspec:\n  ports: [{port: 9443}]\n";
        let f = run_check(check, &format!("{HOOK}{svc}"), Settings::default());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].pointer, "/webhooks/0/clientConfig/service/port");
        assert!(f[0].message.contains("no port 443"));
    }
}
