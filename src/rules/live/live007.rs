//! LIVE007 webhook-backend-unavailable: nothing in the cluster answers for a webhook, CRD conversion
//! webhook or aggregated APIService, or the aggregator reports the APIService unavailable.
//!
//! Only in live mode.
//! * **Endpoints**: for every Service-backed call site, the EndpointSlices of its Service
//!   (`discovery.k8s.io/v1`, label `kubernetes.io/service-name`) whose `ports[]` carry the Service
//!   port's name (slices without ports count) must hold at least one ready endpoint
//!   (`conditions.ready` true or unset — "nil should be interpreted as ready"). None →
//!   * admission webhook with `failurePolicy: Fail` (the `admissionregistration.k8s.io/v1` default;
//!     `v1beta1` defaulted to `Ignore`) → error: every API request it matches is rejected;
//!   * `failurePolicy: Ignore` → warning: requests pass without the webhook;
//!   * CRD conversion webhook → error (reads and writes of non-storage versions fail);
//!   * APIService without an `Available` condition → error.
//!
//!   Entries of one object calling the same Service port are reported once, with the strictest
//!   policy. Missing Services and unexposed ports are WH001's; ExternalName Services have no
//!   EndpointSlices and are skipped. When the input holds no EndpointSlice at all (not collected, or a
//!   dump without them) nothing is judged and one info says so.
//! * **APIService** with a `service`: `status.conditions[type=Available]` not `True` → error quoting
//!   `reason`/`message` (kube-aggregator's availability controller: `MissingEndpoints`,
//!   `ServiceNotFound`, `FailedDiscoveryCheck`, …), tagged as a TLS failure when the message mentions
//!   `x509`, `certificate` or `tls` (then see LIVE005/LIVE006).

use std::collections::HashMap;

use super::status::{condition, describe};
use super::webhooks::callee_text;
use crate::load::Node;
use crate::model::webhook::{self, Callee, CalleeKind, PortResolution, Target};
use crate::model::{Inventory, ObjId, Settings};
use crate::rules::{BuiltinRule, Finding, KindSet, Severity};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "LIVE007",
    kinds,
    check,
};

fn kinds(settings: &Settings) -> Vec<KindSet> {
    // Live mode only: in files the rule reads nothing, and its kinds would keep objects in memory.
    if !settings.live {
        return Vec::new();
    }
    vec![webhook::KINDS, &[(DISCOVERY, "EndpointSlice")]]
}

const ID: &str = "LIVE007";
const DISCOVERY: &str = "discovery.k8s.io";
const SERVICE_NAME: &str = "kubernetes.io/service-name";
const HELP_ENDPOINTS: &str = "Check the pods behind the Service (`kubectl get endpointslices -l kubernetes.io/service-name=<svc>`, pod readiness and logs: a server that cannot load its TLS certificate never becomes ready); until it recovers, a webhook with failurePolicy Fail blocks the API requests it matches.";

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    if !inv.settings.live {
        return;
    }
    check_apiservices(inv, out);
    let slices = inv.of_kind(DISCOVERY, "EndpointSlice");
    let mut by_service: HashMap<(Option<&str>, &str), Vec<ObjId>> = HashMap::new();
    for &s in slices {
        let obj = inv.get(s);
        if let Some(svc) = obj.label(SERVICE_NAME) {
            by_service.entry((obj.ns(), svc)).or_default().push(s);
        }
    }
    let mut unjudged = false;
    for inj in &inv.webhooks.injectables {
        // (service pointer target, port name) → (first callee, entries, strictest severity)
        let mut groups: Vec<(String, &Callee, usize, Severity)> = Vec::new();
        for c in inv.webhooks.callees_of(inj) {
            let Target::Service(s) = &c.target else {
                continue;
            };
            let Some(severity) = severity(inv, c) else {
                continue;
            };
            let key = format!("{}:{}", s.server_name(), s.port);
            match groups.iter_mut().find(|(k, ..)| *k == key) {
                Some((_, _, n, sev)) => {
                    *n += 1;
                    *sev = (*sev).max(severity);
                }
                None => groups.push((key, c, 1, severity)),
            }
        }
        for (_, c, n, severity) in groups {
            let Some(port_name) = service_port_name(inv, c) else {
                continue;
            };
            if slices.is_empty() {
                unjudged = true;
                continue;
            }
            let Target::Service(s) = &c.target else {
                continue;
            };
            let svc_slices = by_service
                .get(&(s.namespace.as_deref(), s.name.as_str()))
                .map_or(&[][..], Vec::as_slice);
            let (ready, total, matching) = count(inv, svc_slices, &port_name);
            if ready > 0 {
                continue;
            }
            let seen = Seen {
                port_name,
                total,
                matching,
                slices: svc_slices,
            };
            report(inv, c, n, severity, &seen, out);
        }
    }
    if unjudged && let Some(inj) = inv.webhooks.injectables.first() {
        out.push(Finding::new(
            ID,
            Severity::Info,
            inj.object,
            "/metadata/name",
            "the input holds no EndpointSlice: whether webhook, conversion and APIService backends have ready endpoints was not checked (collect `discovery.k8s.io/v1` EndpointSlices to check it)",
        ));
    }
}

/// The severity of "no ready endpoint" for a call site; `None` when endpoints are not judged (an
/// APIService with an `Available` condition: its status is authoritative).
fn severity(inv: &Inventory, c: &Callee) -> Option<Severity> {
    let obj = inv.get(c.object);
    match c.kind {
        CalleeKind::Validating | CalleeKind::Mutating => {
            let entry = c
                .pointer
                .strip_suffix("/clientConfig")
                .unwrap_or(&c.pointer);
            let policy = obj
                .root
                .at(&format!("{entry}/failurePolicy"))
                .and_then(Node::scalar_text);
            let default = if obj.id.api_version.ends_with("/v1beta1") {
                "Ignore"
            } else {
                "Fail"
            };
            Some(if policy.unwrap_or(default) == "Ignore" {
                Severity::Warning
            } else {
                Severity::Error
            })
        }
        CalleeKind::Conversion => Some(Severity::Error),
        CalleeKind::ApiService => condition(obj, "Available")
            .is_none()
            .then_some(Severity::Error),
    }
}

/// The name of the Service port a call site uses (`""` when unnamed); `None` when the Service or port
/// does not resolve (WH001) or the Service has no endpoints by design (ExternalName).
fn service_port_name(inv: &Inventory, c: &Callee) -> Option<String> {
    let svc = inv.get(c.backend.service?);
    if svc.root.str_at(&["spec", "type"]) == Some("ExternalName") {
        return None;
    }
    let Some(PortResolution::Port { index, .. }) = &c.backend.port else {
        return None;
    };
    let port = svc.root.path(&["spec", "ports"])?.items().get(*index)?;
    Some(port.str_at(&["name"]).unwrap_or("").to_string())
}

/// (ready endpoints, endpoints, slices serving the port) of a Service's slices for a port name.
fn count(inv: &Inventory, slices: &[ObjId], port_name: &str) -> (usize, usize, usize) {
    let (mut ready, mut total, mut matching) = (0, 0, 0);
    for &s in slices {
        let root = &inv.get(s).root;
        let ports = root.get("ports").map_or(&[][..], Node::items);
        let serves = ports.is_empty()
            || ports
                .iter()
                .any(|p| p.str_at(&["name"]).unwrap_or("") == port_name);
        if !serves {
            continue;
        }
        matching += 1;
        for e in root.get("endpoints").map_or(&[][..], Node::items) {
            total += 1;
            let r = e.path(&["conditions", "ready"]).and_then(Node::as_bool);
            if r != Some(false) {
                ready += 1;
            }
        }
    }
    (ready, total, matching)
}

/// What the EndpointSlices of a Service show for one port.
struct Seen<'a> {
    port_name: String,
    total: usize,
    matching: usize,
    slices: &'a [ObjId],
}

fn report(
    inv: &Inventory,
    c: &Callee,
    entries: usize,
    severity: Severity,
    seen: &Seen<'_>,
    out: &mut Vec<Finding>,
) {
    let Target::Service(s) = &c.target else {
        return;
    };
    let (port_name, total, matching, slices) = (
        seen.port_name.as_str(),
        seen.total,
        seen.matching,
        seen.slices,
    );
    let svc = c.backend.service.map(|id| inv.get(id));
    let port = if port_name.is_empty() {
        format!("port {}", s.port)
    } else {
        format!("port {} (`{port_name}`)", s.port)
    };
    let found = match (slices.len(), matching, total) {
        (0, ..) => "it has no EndpointSlice".to_string(),
        (1, 0, _) => "its EndpointSlice does not list this port".to_string(),
        (n, 0, _) => format!("none of its {n} EndpointSlices lists this port"),
        (_, _, 0) => {
            "its EndpointSlices list no endpoint (no pod matches the selector, or none is running)"
                .to_string()
        }
        (_, _, 1) => "its only endpoint is not ready".to_string(),
        (_, _, t) => format!("none of its {t} endpoints is ready"),
    };
    let who = match entries {
        1 => callee_text(inv, c),
        n => format!(
            "{} and {} other entr{}",
            callee_text(inv, c),
            n - 1,
            if n == 2 { "y" } else { "ies" }
        ),
    };
    let consequence = match (c.kind, severity) {
        (CalleeKind::Conversion, _) => {
            "every conversion fails, and with it reads and writes of the CRD's non-storage versions"
        }
        (CalleeKind::ApiService, _) => "the aggregated API is unavailable",
        (_, Severity::Error) => {
            "with failurePolicy Fail the apiserver rejects every API request the webhook matches"
        }
        _ => {
            "with failurePolicy Ignore matching requests are admitted without the webhook (its validation or mutation is silently skipped)"
        }
    };
    let service = svc.map_or_else(
        || format!("{}/{}", s.namespace.as_deref().unwrap_or(""), s.name),
        super::status::qualified,
    );
    let mut f = Finding::new(
        ID,
        severity,
        c.object,
        s.pointer.clone(),
        format!(
            "{who} calls Service {service} {port}, which has no ready endpoint: {found}; {consequence}"
        ),
    )
    .help(HELP_ENDPOINTS);
    if let Some(o) = svc {
        f = f.related([o.id.clone()]);
    }
    f = f.related(slices.iter().map(|&x| inv.obj_ref(x)));
    out.push(f);
}

fn check_apiservices(inv: &Inventory, out: &mut Vec<Finding>) {
    for &a in inv.of_kind("apiregistration.k8s.io", "APIService") {
        let obj = inv.get(a);
        if obj.root.path(&["spec", "service"]).is_none() {
            continue; // local: served by the apiserver itself
        }
        let Some(cond) = condition(obj, "Available") else {
            continue;
        };
        if cond.is_true() {
            continue;
        }
        let lower = cond.message.to_ascii_lowercase();
        let tls = ["x509", "certificate", "tls"]
            .iter()
            .any(|k| lower.contains(k));
        let mut message = format!(
            "{} is not Available {}: clients of its API group get errors and discovery of the group fails",
            describe(obj),
            cond.with_status()
        );
        if tls {
            message.push_str("; this is a TLS failure: the aggregator cannot verify the server's certificate against `spec.caBundle` for `<svc>.<ns>.svc` (see LIVE005 and LIVE006)");
        }
        let help = if tls {
            "Make `spec.caBundle` hold the CA that signed the serving certificate (cainjector: `cert-manager.io/inject-ca-from`), with a DNS SAN `<svc>.<ns>.svc`."
        } else {
            "Check the Service and its pods (`kubectl get endpointslices -l kubernetes.io/service-name=<svc>`); the reason names what the aggregator saw."
        };
        out.push(Finding::new(ID, Severity::Error, a, cond.pointer("status"), message).help(help));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::run_check;

    fn settings() -> Settings {
        Settings {
            live: true,
            now: crate::time::midnight("2026-11-26").unwrap(),
            ..Settings::default()
        }
    }

    const HOOK: &str = "apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: hook}
webhooks:
  - name: a.example.com
    failurePolicy: Ignore
    clientConfig: {service: {name: hook, namespace: hooks}}
  - name: b.example.com
    clientConfig: {service: {name: hook, namespace: hooks}}
---
apiVersion: v1
kind: Service
metadata: {name: hook, namespace: hooks}
spec:
  selector: {app: hook}
  ports: [{name: https, port: 443, targetPort: 9443}]
---
";

    fn slice(ready: &str, port: &str) -> String {
        format!(
            "apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: hook-abc
  namespace: hooks
  labels: {{kubernetes.io/service-name: hook}}
addressType: IPv4
ports: [{{name: {port}, port: 9443, protocol: TCP}}]
endpoints:
  - addresses: [10.0.0.1]
    conditions: {{ready: {ready}}}
"
        )
    }

    #[test]
    fn ready_endpoints_and_policies() {
        let f = run_check(
            check,
            &format!("{HOOK}{}", slice("true", "https")),
            settings(),
        );
        assert!(f.is_empty(), "{f:?}");
        let f = run_check(
            check,
            &format!("{HOOK}{}", slice("null", "https")),
            settings(),
        );
        assert!(f.is_empty(), "nil ready is ready: {f:?}");
        let f = run_check(
            check,
            &format!("{HOOK}{}", slice("false", "https")),
            settings(),
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(f[0].pointer, "/webhooks/0/clientConfig/service");
        assert!(f[0].message.starts_with("webhook `a.example.com` and 1 other entry calls Service hooks/hook port 443 (`https`), which has no ready endpoint: its only endpoint is not ready"), "{}", f[0].message);
        // Only the Ignore entry: warning. A slice for another port: not serving.
        let only_ignore = HOOK.replace(
            "  - name: b.example.com\n    clientConfig: {service: {name: hook, namespace: hooks}}\n",
            "",
        );
        let f = run_check(
            check,
            &format!("{only_ignore}{}", slice("true", "metrics")),
            settings(),
        );
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(
            f[0].message
                .contains("its EndpointSlice does not list this port"),
            "{}",
            f[0].message
        );
        // No EndpointSlice in the input at all: one info.
        let f = run_check(check, HOOK, settings());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info);
    }

    #[test]
    fn apiservice_available_false_tagged_tls() {
        let api = "apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.metrics.k8s.io}
spec:
  group: metrics.k8s.io
  version: v1beta1
  service: {name: metrics-server, namespace: kube-system}
status:
  conditions:
    - type: Available
      status: 'False'
      reason: FailedDiscoveryCheck
      message: 'failing or missing response from https://10.0.0.5:443/apis/metrics.k8s.io/v1beta1: Get \"https://10.0.0.5:443/apis/metrics.k8s.io/v1beta1\": tls: failed to verify certificate: x509: certificate signed by unknown authority'
";
        let f = run_check(check, api, settings());
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].pointer, "/status/conditions/0/status");
        assert!(f[0].message.contains("this is a TLS failure"));
    }
}
