//! CM010 external-issuer-misconfigured: AWS Private CA issuer (`awspca.cert-manager.io/v1beta1`
//! `AWSPCAIssuer` / `AWSPCAClusterIssuer`) settings that cannot work, or work insecurely.
//!
//! * `spec.arn` missing, a placeholder, or not `arn:<partition>:acm-pca:<region>:<account>:certificate-authority/<uuid>`
//!   (RULES.md §1.4 `PCA_CA_ARN`) → error; an ACM *certificate* ARN there is called out. The issuer
//!   controller rejects an empty ARN ("no Arn found in Issuer Spec") and every `IssueCertificate`
//!   call fails with a malformed one.
//! * `spec.region` set and different from the region in `spec.arn` → warning (cross-region use of a
//!   CA is unusual; the issuer calls the region it is given).
//! * `spec.role` set and not `arn:<partition>:iam::<12 digits>:role/<name>` → error.
//! * `spec.secretRef`: static long-lived AWS keys → warning (prefer IRSA / EKS Pod Identity); the
//!   Secret missing → warning (error when the input is complete), present without the referenced
//!   keys (`accessKeyIDSelector.key` / `secretAccessKeySelector.key`, default `AWS_ACCESS_KEY_ID` /
//!   `AWS_SECRET_ACCESS_KEY`, `pkg/controllers/genericissuer_controller.go`) → error. The Secret's
//!   namespace is `secretRef.namespace`, or the AWSPCAIssuer's own namespace.
//! * `spec.pcaTemplate.defaultTemplateName` holding a template ARN instead of a name → error.
//! * Complete input only: no ClusterRole grants `approve` on `signers` (group `cert-manager.io`) for
//!   `awspcaclusterissuers.awspca.cert-manager.io/*` / `awspcaissuers.awspca.cert-manager.io/*` (or the
//!   issuer's own signer name, or all signers) → warning: cert-manager's approver only approves
//!   built-in issuers, so CertificateRequests stay unapproved (the chart's `approverRole`, on by
//!   default, creates that ClusterRole; CM-DOCS `policy/approval`).
//! * A Certificate with `isCA: true` issued through an AWS PCA issuer → info: the issuer uses the
//!   `SubordinateCACertificate_PathLen0/V1` template (`pkg/aws/pca.go` `templateArn`).

use std::sync::OnceLock;

use regex::Regex;

use super::cm002::{missing_phrase, missing_severity, qualified, unrendered};
use super::cm008::{is_ca, secret_value};
use crate::load::Node;
use crate::load::node::pointer;
use crate::model::certmanager::{AWSPCA_GROUP, GROUP};
use crate::model::{Inventory, ObjId, Settings};
use crate::rules::aws::{CertArn, classify_cert_arn, is_pca_arn, is_placeholder};
use crate::rules::{BuiltinRule, Finding, KindSet, Severity};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "CM010",
    kinds,
    check,
};

const RBAC: &str = "rbac.authorization.k8s.io";

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![&[
        (AWSPCA_GROUP, "AWSPCAIssuer"),
        (AWSPCA_GROUP, "AWSPCAClusterIssuer"),
        (GROUP, "Certificate"),
        ("", "Secret"),
        (RBAC, "ClusterRole"),
    ]]
}

const ID: &str = "CM010";

/// Signer resource names of the AWS PCA issuer kinds (`<plural>.<group>`).
fn signer_prefix(kind: &str) -> &'static str {
    if kind == "AWSPCAClusterIssuer" {
        "awspcaclusterissuers.awspca.cert-manager.io"
    } else {
        "awspcaissuers.awspca.cert-manager.io"
    }
}

fn role_arn() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc):iam::\d{12}:role/.+$",
        )
        .expect("static regex")
    })
}

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    let approvers = approver_names(inv);
    for kind in ["AWSPCAIssuer", "AWSPCAClusterIssuer"] {
        for &id in inv.of_kind(AWSPCA_GROUP, kind) {
            check_arn(inv, id, out);
            check_role(inv, id, out);
            check_secret_ref(inv, id, out);
            check_template(inv, id, out);
            if inv.settings.complete {
                check_approver(inv, id, &approvers, out);
            }
        }
    }
    for &c in inv.of_kind(GROUP, "Certificate") {
        let obj = inv.get(c);
        if obj.root.str_at(&["spec", "issuerRef", "group"]) == Some(AWSPCA_GROUP) && is_ca(inv, c) {
            out.push(Finding::new(
                ID,
                Severity::Info,
                c,
                pointer(["spec", "isCA"]),
                "`isCA: true` through the AWS Private CA issuer issues a subordinate CA with template `SubordinateCACertificate_PathLen0/V1` (path length 0: it can sign leaves only)",
            ).help("Nothing to fix: such a subordinate CA can back a cert-manager `CA` issuer (PCA-rooted, cert-manager-issued leaves), but not further intermediates."));
        }
    }
}

fn text<'a>(inv: &'a Inventory, id: ObjId, path: &[&str]) -> Option<&'a str> {
    inv.get(id).root.path(path).and_then(Node::scalar_text)
}

fn check_arn(inv: &Inventory, id: ObjId, out: &mut Vec<Finding>) {
    let ptr = pointer(["spec", "arn"]);
    let Some(arn) = text(inv, id, &["spec", "arn"])
        .map(str::trim)
        .filter(|a| !a.is_empty())
    else {
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                id,
                if inv.get(id).spec().is_some() { pointer(["spec"]) } else { String::new() },
                "no `spec.arn`: the AWS PCA issuer does not become Ready (\"no Arn found in Issuer Spec\")",
            )
            .help("Set `spec.arn` to the AWS Private CA ARN `arn:<partition>:acm-pca:<region>:<account>:certificate-authority/<uuid>`."),
        );
        return;
    };
    if is_pca_arn(arn) {
        check_region(inv, id, arn, out);
        return;
    }
    let msg = if is_placeholder(arn) {
        format!("`spec.arn: {arn}` is a placeholder, not an AWS Private CA ARN")
    } else if let CertArn::Acm(_) = classify_cert_arn(arn) {
        format!(
            "`spec.arn: {arn}` is an ACM certificate ARN, not an AWS Private CA (certificate-authority) ARN"
        )
    } else {
        format!(
            "`spec.arn: {arn}` is not an AWS Private CA ARN (`arn:<partition>:acm-pca:<region>:<account>:certificate-authority/<uuid>`)"
        )
    };
    out.push(
        Finding::new(ID, Severity::Error, id, ptr, msg)
            .help("Use the ARN of the private CA (`aws acm-pca list-certificate-authorities`), e.g. `arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/12345678-1234-1234-1234-123456789012`."),
    );
}

fn check_region(inv: &Inventory, id: ObjId, arn: &str, out: &mut Vec<Finding>) {
    let Some(region) =
        text(inv, id, &["spec", "region"]).filter(|r| !r.is_empty() && !unrendered(r))
    else {
        return;
    };
    let arn_region = arn.split(':').nth(3).unwrap_or("");
    if region != arn_region {
        out.push(
            Finding::new(
                ID,
                Severity::Warning,
                id,
                pointer(["spec", "region"]),
                format!("`spec.region: {region}` differs from the CA's region `{arn_region}` in `spec.arn`: the issuer calls AWS Private CA in `{region}`, where this CA does not exist"),
            )
            .help(format!("Set `spec.region: {arn_region}` (or remove it)."))
        );
    }
}

fn check_role(inv: &Inventory, id: ObjId, out: &mut Vec<Finding>) {
    let Some(role) = text(inv, id, &["spec", "role"]).filter(|r| !r.is_empty()) else {
        return;
    };
    if role_arn().is_match(role) {
        return;
    }
    let msg = if is_placeholder(role) {
        format!("`spec.role: {role}` is a placeholder, not an IAM role ARN")
    } else {
        format!(
            "`spec.role: {role}` is not an IAM role ARN (`arn:<partition>:iam::<account>:role/<name>`): assuming it fails"
        )
    };
    out.push(
        Finding::new(ID, Severity::Error, id, pointer(["spec", "role"]), msg).help(
            "Use the ARN of the role to assume, e.g. `arn:aws:iam::123456789012:role/pca-issuer`.",
        ),
    );
}

fn check_secret_ref(inv: &Inventory, id: ObjId, out: &mut Vec<Finding>) {
    let obj = inv.get(id);
    let Some(name) = text(inv, id, &["spec", "secretRef", "name"]).filter(|n| !n.is_empty()) else {
        return;
    };
    out.push(
        Finding::new(
            ID,
            Severity::Warning,
            id,
            pointer(["spec", "secretRef"]),
            format!("the issuer authenticates to AWS with static access keys from Secret `{name}`: long-lived keys must be rotated by hand and leak with the Secret"),
        )
        .help("Prefer IRSA (`eks.amazonaws.com/role-arn` on the issuer's ServiceAccount) or EKS Pod Identity, optionally with `spec.role`, and remove `secretRef`."),
    );
    if unrendered(name) {
        return;
    }
    let ns = text(inv, id, &["spec", "secretRef", "namespace"])
        .filter(|n| !n.is_empty())
        .or(if obj.id.kind == "AWSPCAIssuer" {
            obj.ns()
        } else {
            None
        });
    if ns.is_none() && obj.id.kind == "AWSPCAClusterIssuer" {
        return; // Where the controller looks is not known without a namespace.
    }
    let Some(secret) = inv.find("", "Secret", ns, name) else {
        if !inv.exists("", "Secret", ns, name) {
            out.push(Finding::new(
                ID,
                missing_severity(inv),
                id,
                pointer(["spec", "secretRef", "name"]),
                format!(
                    "credentials Secret `{}` {}",
                    qualified(ns, name),
                    missing_phrase(inv)
                ),
            ));
        }
        return;
    };
    let mut missing = Vec::new();
    for (selector, default) in [
        ("accessKeyIDSelector", "AWS_ACCESS_KEY_ID"),
        ("secretAccessKeySelector", "AWS_SECRET_ACCESS_KEY"),
    ] {
        let key = text(inv, id, &["spec", "secretRef", selector, "key"])
            .filter(|k| !k.is_empty())
            .unwrap_or(default);
        if secret_value(inv, secret, key).is_none_or(|(v, _)| v.is_empty()) {
            missing.push(format!("`{key}`"));
        }
    }
    if !missing.is_empty() {
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                id,
                pointer(["spec", "secretRef"]),
                format!(
                    "credentials Secret `{}` has no {}: the issuer cannot authenticate to AWS",
                    qualified(ns, name),
                    missing.join(" and ")
                ),
            )
            .help("Add the keys to the Secret, or point `accessKeyIDSelector`/`secretAccessKeySelector` at the keys it has (better: drop `secretRef` for IRSA / Pod Identity).")
            .related([inv.obj_ref(secret)]),
        );
    }
}

fn check_template(inv: &Inventory, id: ObjId, out: &mut Vec<Finding>) {
    let path = ["spec", "pcaTemplate", "defaultTemplateName"];
    let Some(name) = text(inv, id, &path) else {
        return;
    };
    if name.starts_with("arn:") || name.contains(":::template/") {
        let short = name.rsplit_once(":::template/").map_or(name, |(_, n)| n);
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                id,
                pointer(path),
                format!("`defaultTemplateName: {name}` is a template ARN; the issuer expects the template name only (it builds the ARN itself)"),
            )
            .help(format!("Omit the part up to and including `:::template/`: `defaultTemplateName: {short}`.")),
        );
    }
}

/// Signer resource names granted `approve` by ClusterRoles; `None` inside means "every signer".
fn approver_names(inv: &Inventory) -> Vec<Option<String>> {
    let mut names = Vec::new();
    for &r in inv.of_kind(RBAC, "ClusterRole") {
        for rule in inv.get(r).root.get("rules").map_or(&[][..], Node::items) {
            let list = |k: &str| -> Vec<&str> {
                rule.get(k)
                    .map_or(&[][..], Node::items)
                    .iter()
                    .filter_map(Node::scalar_text)
                    .collect()
            };
            let has = |k: &str, want: &str| list(k).iter().any(|v| *v == want || *v == "*");
            if !(has("apiGroups", GROUP) && has("resources", "signers") && has("verbs", "approve"))
            {
                continue;
            }
            let resource_names = list("resourceNames");
            if resource_names.is_empty() {
                names.push(None);
            } else {
                names.extend(resource_names.into_iter().map(|n| Some(n.to_string())));
            }
        }
    }
    names
}

fn check_approver(
    inv: &Inventory,
    id: ObjId,
    approvers: &[Option<String>],
    out: &mut Vec<Finding>,
) {
    let obj = inv.get(id);
    let prefix = signer_prefix(&obj.id.kind);
    let own = match obj.ns() {
        Some(ns) if obj.id.kind == "AWSPCAIssuer" => format!("{prefix}/{ns}.{}", obj.id.name),
        _ => format!("{prefix}/{}", obj.id.name),
    };
    let wildcard = format!("{prefix}/*");
    let covered = approvers.iter().any(|a| match a {
        None => true,
        Some(n) => *n == wildcard || *n == own,
    });
    if covered {
        return;
    }
    out.push(
        Finding::new(
            ID,
            Severity::Warning,
            id,
            pointer(["metadata", "name"]),
            format!("no ClusterRole grants `approve` on `signers` `{wildcard}`: cert-manager's approver only approves built-in issuers, so CertificateRequests for this {} stay unapproved", obj.id.kind),
        )
        .help(format!("Install the aws-privateca-issuer chart with `approverRole.enabled: true` (the default), or create a ClusterRole with `apiGroups: [cert-manager.io]`, `resources: [signers]`, `verbs: [approve]`, `resourceNames: [{wildcard}]` bound to the cert-manager controller ServiceAccount.")),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::run_check;

    fn run(yaml: &str, complete: bool) -> Vec<Finding> {
        let settings = Settings {
            complete,
            ..Settings::default()
        };
        run_check(check, yaml, settings)
    }

    const GOOD_ARN: &str = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/12345678-1234-1234-1234-123456789012";

    fn issuer(spec: &str) -> String {
        format!(
            "apiVersion: awspca.cert-manager.io/v1beta1\nkind: AWSPCAClusterIssuer\nmetadata: {{name: pca}}\nspec:\n{spec}"
        )
    }

    #[test]
    fn arns() {
        assert!(
            run(
                &issuer(&format!("  arn: {GOOD_ARN}\n  region: us-east-1\n")),
                false
            )
            .is_empty()
        );
        let f = run(&issuer("  arn: <some-pca-arn>\n"), false);
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("placeholder"));
        let acm =
            "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012";
        let f = run(&issuer(&format!("  arn: {acm}\n")), false);
        assert!(f[0].message.contains("ACM certificate ARN"));
        let f = run(
            &issuer(&format!(
                "  arn: {GOOD_ARN}\n  region: eu-west-1\n  role: my-role\n"
            )),
            false,
        );
        let sev: Vec<Severity> = f.iter().map(|f| f.severity).collect();
        assert_eq!(sev, [Severity::Warning, Severity::Error]);
    }

    #[test]
    fn approver_only_in_complete_mode() {
        let yaml = issuer(&format!("  arn: {GOOD_ARN}\n"));
        assert!(run(&yaml, false).is_empty());
        assert_eq!(run(&yaml, true).len(), 1);
        let role = "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: approve}\nrules:\n- apiGroups: [cert-manager.io]\n  resources: [signers]\n  verbs: [approve]\n  resourceNames: [awspcaclusterissuers.awspca.cert-manager.io/*, awspcaissuers.awspca.cert-manager.io/*]\n";
        assert!(run(&(yaml + role), true).is_empty());
    }

    #[test]
    fn secret_ref() {
        let yaml = format!(
            "apiVersion: awspca.cert-manager.io/v1beta1\nkind: AWSPCAIssuer\nmetadata: {{name: pca, namespace: a}}\nspec:\n  arn: {GOOD_ARN}\n  secretRef: {{name: creds}}\n---\napiVersion: v1\nkind: Secret\nmetadata: {{name: creds, namespace: a}}\nstringData: {{AWS_ACCESS_KEY_ID: x}}\n"
        );
        let f = run(&yaml, false);
        let sev: Vec<Severity> = f.iter().map(|f| f.severity).collect();
        assert_eq!(sev, [Severity::Warning, Severity::Error]);
        assert!(f[1].message.contains("`AWS_SECRET_ACCESS_KEY`"));
    }
}
