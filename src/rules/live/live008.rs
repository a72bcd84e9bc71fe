//! LIVE008 cainjector-ineffective: objects ask cert-manager's cainjector for a caBundle, but no running
//! cainjector will inject it, or the injected caBundle lags behind its source.
//!
//! Only in live mode. Objects considered: Validating/MutatingWebhookConfigurations, CRDs with a
//! conversion webhook and APIServices with a usable cainjector source (`inject-ca-from-secret`,
//! `inject-ca-from`, `inject-apiserver-ca`, with cainjector's precedence; malformed values are WH003's).
//!
//! cainjectors are the Deployments with a container whose image contains `cert-manager-cainjector`
//! (or labelled `app.kubernetes.io/component: cainjector`). Their settings come from the container's
//! flags (`cmd/cainjector/app/options/options.go`: `--namespace`, `--enable-certificates-data-source`,
//! `--enable-{validatingwebhookconfigurations,mutatingwebhookconfigurations,customresourcedefinitions,apiservices}-injectable`,
//! pflag bools: only `--flag=false` disables; `--leader-election-namespace` is unrelated), from
//! `--ignore-namespaces` (cert-manager ≥ 1.21: Secrets in those namespaces are not watched), and from
//! a `--config` file when it is a mounted ConfigMap (`CAInjectorConfiguration`: `namespace`,
//! `enableDataSourceConfig.certificates`, `enableInjectableConfig.*`; flags win). Readiness is
//! `status.readyReplicas`/`availableReplicas` > 0.
//!
//! * no cainjector Deployment in the cluster → error (when the input holds no Deployment at all it was
//!   not collected: one info instead);
//! * no cainjector can inject the object → error on the annotation, naming each cainjector's reasons:
//!   no ready replica; `--namespace=X` with the source in another namespace ("cannot read CA data from
//!   Certificate in namespace …, cainjector is scoped to namespace …", `sources.go`); the source
//!   namespace in `--ignore-namespaces`; the object's kind disabled; `inject-ca-from` with the
//!   certificates data source disabled;
//! * a cainjector can inject it, but 10 minutes after the source's CA last changed (the newest
//!   `notBefore` of the source Secret's `ca.crt` and `tls.crt`) a caBundle of the object lacks a
//!   valid certificate of the source's `ca.crt` → error, with the likely cause when visible (the
//!   Secret lacks `cert-manager.io/allow-direct-injection: "true"`, or its
//!   `cert-manager.io/certificate-name` does not name the Certificate: "refusing to target secret").
//!   Compared certificate by certificate: merged bundles hold more (RULES.md §9.13).

use super::status::{Flag, certs_of, describe, flags, go_bool, qualified};
use super::webhooks::callee_text;
use crate::load::{Limits, Node, parse_stream};
use crate::model::webhook::{
    self, CaBundle, CaSource, INJECT_APISERVER_CA, INJECT_CA_FROM, INJECT_CA_FROM_SECRET,
    Injectable,
};
use crate::model::{Inventory, ObjId, Object, Settings};
use crate::rules::{BuiltinRule, Finding, KindSet, Severity, annotation_ptr};
use crate::time::{MINUTE, human, when};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "LIVE008",
    kinds,
    check,
};

fn kinds(settings: &Settings) -> Vec<KindSet> {
    // Live mode only: in files the rule reads nothing, and its kinds would keep objects in memory.
    if !settings.live {
        return Vec::new();
    }
    vec![webhook::KINDS, &[("apps", "Deployment"), ("", "ConfigMap")]]
}

const ID: &str = "LIVE008";
/// How long after its source changes a caBundle may lag.
const LAG: i64 = 10 * MINUTE;
const IMAGE: &str = "cert-manager-cainjector";
const HELP: &str = "Run cert-manager's cainjector (Helm `cainjector.enabled: true`) unscoped (no `--namespace`, or scoped to the namespace of every injection source), with the injectable kinds and the certificates data source enabled; `kubectl logs` of the cainjector names injection errors.";

/// The injectable kinds and their flag / config names.
const KIND_SWITCHES: [(&str, &str, &str); 4] = [
    (
        "ValidatingWebhookConfiguration",
        "enable-validatingwebhookconfigurations-injectable",
        "validatingWebhookConfigurations",
    ),
    (
        "MutatingWebhookConfiguration",
        "enable-mutatingwebhookconfigurations-injectable",
        "mutatingWebhookConfigurations",
    ),
    (
        "CustomResourceDefinition",
        "enable-customresourcedefinitions-injectable",
        "customResourceDefinitions",
    ),
    ("APIService", "enable-apiservices-injectable", "apiServices"),
];

/// A setting and where it came from (for messages).
#[derive(Clone, Debug)]
struct Setting<T> {
    value: T,
    from: String,
}

/// A cainjector and its effective settings.
struct Cainjector {
    deployment: ObjId,
    /// Why it is not running, if it is not.
    down: Option<String>,
    namespace: Option<Setting<String>>,
    ignore: Option<Setting<Vec<String>>>,
    certificates: Option<Setting<bool>>,
    kinds: [Option<Setting<bool>>; 4],
}

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    if !inv.settings.live {
        return;
    }
    let injectors = cainjectors(inv);
    let no_deployments = inv.of_kind("apps", "Deployment").is_empty();
    let mut unjudged = false;
    for inj in &inv.webhooks.injectables {
        let source = inj.injection.source();
        if source == CaSource::None || inv.webhooks.callees_of(inj).is_empty() {
            continue;
        }
        let obj = inv.get(inj.object);
        let (key, src_ns) = match &source {
            CaSource::Secret(ns, _) => (INJECT_CA_FROM_SECRET, Some(ns.as_str())),
            CaSource::Certificate(ns, _) => (INJECT_CA_FROM, Some(ns.as_str())),
            _ => (INJECT_APISERVER_CA, None),
        };
        let annotation = format!("`{key}: {}`", obj.annotation(key).unwrap_or(""));
        if injectors.is_empty() {
            if no_deployments {
                unjudged = true;
                continue;
            }
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    inj.object,
                    annotation_ptr(key),
                    format!(
                        "{} asks cainjector for its caBundle ({annotation}), but no cert-manager cainjector runs in the cluster (no Deployment with a `{IMAGE}` image): nothing injects or rotates the caBundle",
                        describe(obj)
                    ),
                )
                .help(HELP),
            );
            continue;
        }
        let blocked: Vec<(ObjId, Vec<String>)> = injectors
            .iter()
            .map(|c| (c.deployment, blockers(c, &obj.id.kind, &source, src_ns)))
            .collect();
        if blocked.iter().any(|(_, why)| why.is_empty()) {
            check_lag(inv, inj, &source, key, out);
            continue;
        }
        let reasons: Vec<String> = blocked
            .iter()
            .map(|(d, why)| format!("{} {}", describe(inv.get(*d)), why.join(" and ")))
            .collect();
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                inj.object,
                annotation_ptr(key),
                format!(
                    "{} asks cainjector for its caBundle ({annotation}), but no cainjector will inject it: {}",
                    describe(obj),
                    reasons.join("; ")
                ),
            )
            .help(HELP)
            .related(blocked.iter().map(|(d, _)| inv.obj_ref(*d))),
        );
    }
    if unjudged && let Some(inj) = inv.webhooks.injectables.first() {
        out.push(Finding::new(
            ID,
            Severity::Info,
            inj.object,
            "/metadata/name",
            "the input holds no Deployment: whether cert-manager's cainjector runs and can inject the annotated objects was not checked",
        ));
    }
}

/// Why a cainjector does not inject an object of `kind` from `source` (empty: it does).
fn blockers(c: &Cainjector, kind: &str, source: &CaSource, src_ns: Option<&str>) -> Vec<String> {
    let mut why = Vec::new();
    if let Some(down) = &c.down {
        why.push(down.clone());
    }
    if let (Some(ns), Some(scope)) = (src_ns, &c.namespace)
        && !scope.value.is_empty()
        && scope.value != ns
    {
        let what = if matches!(source, CaSource::Certificate(..)) {
            "Certificate"
        } else {
            "Secret"
        };
        why.push(format!(
            "is scoped to namespace `{}` ({}): \"cannot read CA data from {what} in namespace {ns}, cainjector is scoped to namespace {}\"",
            scope.value, scope.from, scope.value
        ));
    }
    if let (Some(ns), Some(ignore)) = (src_ns, &c.ignore)
        && ignore.value.iter().any(|i| i == ns)
    {
        why.push(format!(
            "ignores namespace `{ns}` ({}): it does not watch the source's Secret there, so a renewed CA is never injected",
            ignore.from
        ));
    }
    if let Some(i) = KIND_SWITCHES.iter().position(|(k, ..)| *k == kind)
        && let Some(s) = &c.kinds[i]
        && !s.value
    {
        why.push(format!("does not inject {kind}s ({})", s.from));
    }
    if matches!(source, CaSource::Certificate(..))
        && let Some(s) = &c.certificates
        && !s.value
    {
        why.push(format!(
            "has the Certificate data source disabled ({}), so `inject-ca-from` is not served",
            s.from
        ));
    }
    why
}

/// Every cainjector Deployment of the input with its settings.
fn cainjectors(inv: &Inventory) -> Vec<Cainjector> {
    let mut out = Vec::new();
    for &d in inv.of_kind("apps", "Deployment") {
        let obj = inv.get(d);
        let Some(spec) = obj.root.path(&["spec", "template", "spec"]) else {
            continue;
        };
        let containers = spec.get("containers").map_or(&[][..], Node::items);
        let by_image = containers
            .iter()
            .position(|c| c.str_at(&["image"]).is_some_and(|i| i.contains(IMAGE)));
        let by_label = (obj.label("app.kubernetes.io/component") == Some("cainjector"))
            .then_some(0)
            .filter(|_| !containers.is_empty());
        let Some(ci) = by_image.or(by_label) else {
            continue;
        };
        let container = &containers[ci];
        let base = format!("/spec/template/spec/containers/{ci}");
        let fl = flags(container, &base);
        let mut c = Cainjector {
            deployment: d,
            down: readiness(obj),
            namespace: None,
            ignore: None,
            certificates: None,
            kinds: [None, None, None, None],
        };
        if let Some(path) = last(&fl, "config").and_then(|f| f.value) {
            apply_config(inv, obj, spec, container, path, &mut c);
        }
        apply_flags(&fl, &mut c);
        out.push(c);
    }
    out
}

fn last<'a, 'b>(fl: &'b [Flag<'a>], name: &str) -> Option<&'b Flag<'a>> {
    fl.iter().rev().find(|f| f.name == name)
}

fn apply_flags(fl: &[Flag<'_>], c: &mut Cainjector) {
    let from = |f: &Flag<'_>| {
        format!(
            "`--{}{}`",
            f.name,
            f.value
                .filter(|_| f.inline || !f.name.starts_with("enable-"))
                .map(|v| format!("={v}"))
                .unwrap_or_default()
        )
    };
    if let Some(f) = last(fl, "namespace") {
        c.namespace = Some(Setting {
            value: f.value.unwrap_or("").to_string(),
            from: from(f),
        });
    }
    if let Some(f) = last(fl, "ignore-namespaces") {
        c.ignore = Some(Setting {
            value: f
                .value
                .unwrap_or("")
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            from: from(f),
        });
    }
    if let Some(f) = last(fl, "enable-certificates-data-source")
        && let Some(v) = f.as_bool()
    {
        c.certificates = Some(Setting {
            value: v,
            from: from(f),
        });
    }
    for (i, (_, flag, _)) in KIND_SWITCHES.iter().enumerate() {
        if let Some(f) = last(fl, flag)
            && let Some(v) = f.as_bool()
        {
            c.kinds[i] = Some(Setting {
                value: v,
                from: from(f),
            });
        }
    }
}

/// Why a Deployment has no ready replica, if it has none.
fn readiness(obj: &Object) -> Option<String> {
    let n = |p: &[&str]| obj.root.path(p).and_then(Node::as_i64);
    let wanted = n(&["spec", "replicas"]).unwrap_or(1);
    if wanted == 0 {
        return Some("is scaled to 0 replicas".to_string());
    }
    let ready = n(&["status", "readyReplicas"])
        .unwrap_or(0)
        .max(n(&["status", "availableReplicas"]).unwrap_or(0));
    (ready == 0).then(|| format!("has no ready replica (0 of {wanted})"))
}

/// Read a `CAInjectorConfiguration` file mounted from a ConfigMap.
fn apply_config(
    inv: &Inventory,
    obj: &Object,
    spec: &Node,
    container: &Node,
    path: &str,
    c: &mut Cainjector,
) {
    let Some(text) = config_text(inv, obj, spec, container, path) else {
        return;
    };
    let stream = parse_stream(&text, Limits::default());
    let Some(doc) = stream.documents.first() else {
        return;
    };
    let root = &doc.root;
    let from = format!("`{path}`");
    if let Some(ns) = root.get("namespace").and_then(Node::scalar_text) {
        c.namespace = Some(Setting {
            value: ns.to_string(),
            from: format!("`namespace` in {from}"),
        });
    }
    let boolean = |n: Option<&Node>| {
        n.and_then(|n| n.as_bool().or_else(|| n.scalar_text().and_then(go_bool)))
    };
    if let Some(v) = boolean(root.path(&["enableDataSourceConfig", "certificates"])) {
        c.certificates = Some(Setting {
            value: v,
            from: format!("`enableDataSourceConfig.certificates` in {from}"),
        });
    }
    for (i, (_, _, field)) in KIND_SWITCHES.iter().enumerate() {
        if let Some(v) = boolean(root.path(&["enableInjectableConfig", field])) {
            c.kinds[i] = Some(Setting {
                value: v,
                from: format!("`enableInjectableConfig.{field}` in {from}"),
            });
        }
    }
}

/// The text of the file at `path` when a ConfigMap volume of the container provides it.
fn config_text(
    inv: &Inventory,
    obj: &Object,
    spec: &Node,
    container: &Node,
    path: &str,
) -> Option<String> {
    let (cm, key) = super::status::mounted_file(spec, container, path, "configMap")?;
    let cm = inv.find("", "ConfigMap", obj.ns(), cm.str_at(&["name"])?)?;
    inv.get(cm)
        .root
        .path(&["data", &key])
        .and_then(Node::scalar_text)
        .map(str::to_string)
}

/// A working cainjector should have injected the source's current CA.
fn check_lag(
    inv: &Inventory,
    inj: &Injectable,
    source: &CaSource,
    key: &str,
    out: &mut Vec<Finding>,
) {
    let now = inv.settings.now;
    let (secret, cause) = match source {
        CaSource::Secret(ns, name) => {
            let Some(s) = inv.find("", "Secret", Some(ns), name) else {
                return;
            };
            let cause = (inv.get(s).annotation("cert-manager.io/allow-direct-injection")
                != Some("true"))
            .then(|| "the Secret lacks `cert-manager.io/allow-direct-injection: \"true\"` (\"Secret resource does not allow direct injection\")".to_string());
            (s, cause)
        }
        CaSource::Certificate(ns, name) => {
            let Some(c) = inv.find("cert-manager.io", "Certificate", Some(ns), name) else {
                return;
            };
            let Some(s) = inv
                .get(c)
                .root
                .str_at(&["spec", "secretName"])
                .and_then(|s| inv.find("", "Secret", Some(ns), s))
            else {
                return;
            };
            let owner = inv.get(s).annotation("cert-manager.io/certificate-name");
            let cause = (owner != Some(name.as_str())).then(|| {
                format!(
                    "the Secret's `cert-manager.io/certificate-name` is {} instead of `{name}` (cainjector: \"refusing to target secret not owned by certificate\")",
                    owner.map_or_else(|| "missing".to_string(), |o| format!("`{o}`"))
                )
            });
            (s, cause)
        }
        _ => return,
    };
    let secret_obj = inv.get(secret);
    let Some((_, ca)) = certs_of(secret_obj, "ca.crt") else {
        return; // no CA data: WH004/WH007
    };
    let current: Vec<_> = ca.iter().filter(|c| !c.is_expired(now)).collect();
    if current.is_empty() {
        return;
    }
    let changed = current
        .iter()
        .map(|c| c.not_before)
        .chain(certs_of(secret_obj, "tls.crt").map(|(_, l)| l[0].not_before))
        .max()
        .unwrap_or(now);
    if now - changed < LAG {
        return;
    }
    for c in inv.webhooks.callees_of(inj) {
        let bundle: Vec<crate::certs::Cert> = match &c.ca_bundle {
            CaBundle::Literal { value, .. } => {
                match super::status::read_pem(value, crate::certs::Encoding::Base64) {
                    super::status::Pem::Certs { certs, .. } => certs,
                    _ => Vec::new(),
                }
            }
            _ => Vec::new(),
        };
        let missing: Vec<_> = current
            .iter()
            .filter(|ca| !bundle.iter().any(|b| b.der() == ca.der()))
            .copied()
            .collect();
        if missing.is_empty() {
            continue;
        }
        let pointer = match &c.ca_bundle {
            CaBundle::Literal { pointer, .. } | CaBundle::Placeholder { pointer } => {
                pointer.clone()
            }
            CaBundle::Absent => c.pointer.clone(),
        };
        let mut message = format!(
            "the caBundle of {} lacks the CA of its source ({}): {} in `ca.crt` of Secret {}, current since {} ({} ago); a working cainjector injects it within seconds",
            callee_text(inv, c),
            format_args!("`{key}`"),
            super::status::named(&missing, "valid until", now),
            qualified(secret_obj),
            when(changed, now),
            human(now - changed)
        );
        match &cause {
            Some(cause) => message.push_str(&format!(", but {cause}")),
            None => message.push_str("; check the cainjector's logs"),
        }
        out.push(
            Finding::new(ID, Severity::Error, inj.object, pointer, message)
                .help(HELP)
                .related([inv.obj_ref(secret)]),
        );
        return; // one finding per object
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
metadata:
  name: hook
  annotations: {cert-manager.io/inject-ca-from: hooks/hook-serving}
webhooks:
  - name: a.example.com
    clientConfig: {service: {name: hook, namespace: hooks}}
---
";

    fn cainjector(args: &str, status: &str) -> String {
        format!(
            "apiVersion: apps/v1
kind: Deployment
metadata: {{name: cert-manager-cainjector, namespace: cert-manager}}
spec:
  replicas: 1
  template:
    spec:
      containers:
        - name: cert-manager-cainjector
          image: quay.io/jetstack/cert-manager-cainjector:v1.21.2
          args: [{args}]
          volumeMounts: [{{name: config, mountPath: /var/cert-manager/config}}]
      volumes: [{{name: config, configMap: {{name: cert-manager-cainjector}}}}]
status: {status}
"
        )
    }

    fn messages(yaml: &str) -> Vec<(Severity, String)> {
        run_check(check, yaml, settings())
            .into_iter()
            .map(|f| (f.severity, f.message))
            .collect()
    }

    #[test]
    fn scoped_disabled_and_down() {
        let ok = format!(
            "{HOOK}{}",
            cainjector(
                "--v=2, --leader-election-namespace=kube-system",
                "{readyReplicas: 1}"
            )
        );
        assert!(messages(&ok).is_empty());
        let f = messages(&format!(
            "{HOOK}{}",
            cainjector("--namespace=cert-manager", "{readyReplicas: 1}")
        ));
        assert_eq!(f.len(), 1);
        assert!(
            f[0].1
                .contains("is scoped to namespace `cert-manager` (`--namespace=cert-manager`)"),
            "{}",
            f[0].1
        );
        let f = messages(&format!(
            "{HOOK}{}",
            cainjector(
                "--enable-validatingwebhookconfigurations-injectable=false, --enable-certificates-data-source=false",
                "{}"
            )
        ));
        assert!(f[0].1.contains("has no ready replica (0 of 1) and does not inject ValidatingWebhookConfigurations (`--enable-validatingwebhookconfigurations-injectable=false`) and has the Certificate data source disabled"), "{}", f[0].1);
        // A bare bool flag followed by a word keeps the default (pflag): enabled.
        let f = messages(&format!(
            "{HOOK}{}",
            cainjector(
                "--enable-validatingwebhookconfigurations-injectable, 'false'",
                "{availableReplicas: 2}"
            )
        ));
        assert!(f.is_empty(), "{f:?}");
        // No cainjector at all; no Deployment at all.
        let other = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: app}\nspec: {template: {spec: {containers: [{name: c, image: nginx}]}}}\n";
        let f = messages(&format!("{HOOK}{other}"));
        assert_eq!(f[0].0, Severity::Error);
        assert!(f[0].1.contains("no cert-manager cainjector runs"));
        let f = messages(HOOK);
        assert_eq!(f[0].0, Severity::Info);
    }

    #[test]
    fn config_file_from_a_configmap() {
        let cm = "apiVersion: v1
kind: ConfigMap
metadata: {name: cert-manager-cainjector, namespace: cert-manager}
data:
  config.yaml: |
    apiVersion: cainjector.config.cert-manager.io/v1alpha1
    kind: CAInjectorConfiguration
    namespace: cert-manager
    enableInjectableConfig:
      validatingWebhookConfigurations: false
---
";
        let dep = cainjector(
            "--config=/var/cert-manager/config/config.yaml",
            "{readyReplicas: 1}",
        );
        let f = messages(&format!("{HOOK}{cm}{dep}"));
        assert_eq!(f.len(), 1);
        assert!(
            f[0].1
                .contains("(`namespace` in `/var/cert-manager/config/config.yaml`)"),
            "{}",
            f[0].1
        );
        assert!(
            f[0].1
                .contains("`enableInjectableConfig.validatingWebhookConfigurations` in"),
            "{}",
            f[0].1
        );
        // Flags win over the file.
        let dep = cainjector(
            "--config=/var/cert-manager/config/config.yaml, --namespace=, --enable-validatingwebhookconfigurations-injectable=true",
            "{readyReplicas: 1}",
        );
        assert!(messages(&format!("{HOOK}{cm}{dep}")).is_empty());
    }
}
