//! WH003 cainjector-annotation-invalid: a cainjector annotation that cert-manager will ignore.
//!
//! Reads `cert-manager.io/inject-ca-from`, `…/inject-ca-from-secret` and `…/inject-apiserver-ca` on
//! objects of every kind (cert-manager `pkg/controller/cainjector/sources.go`, `setup.go`,
//! `injectables.go`):
//! * on a kind cainjector does not inject into (anything but Validating/MutatingWebhookConfiguration,
//!   CustomResourceDefinition and APIService) → warning — typically placed on the Service or Secret;
//! * an `inject-ca-from[-secret]` value with unrendered template syntax → error ("render first"),
//!   reported once instead of cascading;
//! * a value that is not `<namespace>/<name>` → error (cainjector logs "needs a namespace/ prefix" and
//!   never injects);
//! * `inject-apiserver-ca` other than the exact string `"true"` → error;
//! * more than one of the three keys → warning (only the first by precedence secret > certificate >
//!   apiserver is used).

use crate::model::webhook::{
    INJECT_APISERVER_CA, INJECT_CA_FROM, INJECT_CA_FROM_SECRET, split_namespaced,
};
use crate::model::{Inventory, Settings};
use crate::rules::{BuiltinRule, Finding, KindSet, Severity};

use super::{annotation_ptr, unrendered};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "WH003",
    kinds,
    check,
};

/// Objects of other kinds that carry a cainjector annotation are kept by the engine
/// (`ANY_KIND_ANNOTATION_PREFIXES`).
fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![crate::model::webhook::KINDS]
}

const ID: &str = "WH003";

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    for (id, obj) in inv.objects.iter().enumerate() {
        let present: Vec<(&str, &str)> =
            [INJECT_CA_FROM_SECRET, INJECT_CA_FROM, INJECT_APISERVER_CA]
                .into_iter()
                .filter_map(|k| Some((k, obj.annotation(k)?)))
                .collect();
        if present.is_empty() {
            continue;
        }
        if !crate::model::webhook::INJECTABLE_KINDS
            .iter()
            .any(|(g, k)| obj.is(g, k))
        {
            out.push(
                Finding::new(
                    ID,
                    Severity::Warning,
                    id,
                    annotation_ptr(present[0].0),
                    format!(
                        "cainjector ignores `{}` on a {}: it injects only into ValidatingWebhookConfiguration, MutatingWebhookConfiguration, CustomResourceDefinition and APIService",
                        present[0].0, obj.id.kind
                    ),
                )
                .help("Move the annotation to the webhook configuration, CRD or APIService that needs the caBundle."),
            );
            continue;
        }
        for &(key, value) in &present {
            let ptr = annotation_ptr(key);
            if key == INJECT_APISERVER_CA {
                if value != "true" {
                    out.push(Finding::new(
                        ID,
                        Severity::Error,
                        id,
                        ptr,
                        format!("`{key}: \"{value}\"` does nothing: only the exact string \"true\" enables injection"),
                    ));
                }
            } else if unrendered(value) {
                out.push(
                    Finding::new(
                        ID,
                        Severity::Error,
                        id,
                        ptr,
                        format!("`{key}` holds unrendered template syntax `{value}`"),
                    )
                    .help("Lint the rendered output (`kustomize build`, `helm template`), not the template."),
                );
            } else if split_namespaced(value).is_none() {
                let why = if value.contains('/') {
                    "is not a valid `<namespace>/<name>` (lower-case DNS names)"
                } else {
                    "needs a `<namespace>/` prefix"
                };
                let placeholder =
                    value.contains('<') || value.chars().any(|c| c.is_ascii_uppercase());
                out.push(
                    Finding::new(
                        ID,
                        Severity::Error,
                        id,
                        ptr,
                        format!(
                            "`{key}: {value}` {why}{}: cainjector logs an error and never injects",
                            if placeholder {
                                " (an unrendered placeholder?)"
                            } else {
                                ""
                            }
                        ),
                    )
                    .help(format!("Write `{key}: <namespace>/<name>`.")),
                );
            }
        }
        if present.len() > 1 {
            out.push(Finding::new(
                ID,
                Severity::Warning,
                id,
                annotation_ptr(present[1].0),
                format!(
                    "several cainjector sources: `{}` wins (precedence inject-ca-from-secret > inject-ca-from > inject-apiserver-ca); {} ignored",
                    present[0].0,
                    present[1..]
                        .iter()
                        .map(|(k, _)| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                        + if present.len() > 2 { " are" } else { " is" }
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::run_check;

    fn hook(annotations: &str) -> String {
        format!(
            "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata:\n  name: m\n  annotations:\n{annotations}"
        )
    }

    #[test]
    fn value_forms() {
        let ok = run_check(
            check,
            &hook("    cert-manager.io/inject-ca-from: sys/serving-cert\n"),
            Settings::default(),
        );
        assert!(ok.is_empty());
        let f = run_check(
            check,
            &hook("    cert-manager.io/inject-ca-from: serving-cert\n"),
            Settings::default(),
        );
        assert!(
            f[0].message.contains("needs a `<namespace>/` prefix"),
            "{}",
            f[0].message
        );
        let f = run_check(
            check,
            &hook("    cert-manager.io/inject-ca-from: $(NS)/$(NAME)\n"),
            Settings::default(),
        );
        assert!(f[0].message.contains("unrendered"), "{}", f[0].message);
        let f = run_check(
            check,
            &hook("    cert-manager.io/inject-apiserver-ca: \"yes\"\n"),
            Settings::default(),
        );
        assert_eq!(f[0].severity, Severity::Error);
    }
}
