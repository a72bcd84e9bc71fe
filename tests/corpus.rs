//! The real-world corpus (`../shared/corpus/`, see its INVENTORY.md): every plain YAML file loads
//! without an input error, and the north–south / EW001 expectations of the inventory hold.

mod common;

use std::path::{Path, PathBuf};

use tlscheck::rules::Severity;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")
}

fn plain_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus())
        .expect("../shared/corpus is laid beside the repository")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_plain_file_loads() {
    let files = plain_files();
    assert!(
        files.len() >= 70,
        "expected the 72 plain files, found {}",
        files.len()
    );
    for f in &files {
        let r = common::lint_with(&[f.to_str().unwrap()], Default::default());
        assert!(
            r.input_errors.is_empty(),
            "{}: {:?}",
            f.display(),
            r.input_errors
        );
    }
    // Helm templates are not YAML until rendered: they are input errors, never panics.
    let r = common::lint_with(
        &[corpus().join("helm-templates").to_str().unwrap()],
        Default::default(),
    );
    assert!(!r.input_errors.is_empty());
}

/// Warnings and errors of `rules` on one corpus file: (rule, severity, line).
fn serious(file: &str, rules: &[&str]) -> Vec<(String, String, u32)> {
    let path = corpus().join(file);
    let r = common::lint_selected(&[path.to_str().unwrap()], rules);
    assert!(r.input_errors.is_empty(), "{file}: {:?}", r.input_errors);
    r.diagnostics
        .iter()
        .filter(|d| d.severity >= Severity::Warning)
        .map(|d| {
            (
                d.rule.to_string(),
                d.severity.as_str().to_string(),
                d.location.line,
            )
        })
        .collect()
}

fn rules_of(found: &[(String, String, u32)]) -> Vec<&str> {
    let mut v: Vec<&str> = found.iter().map(|(r, _, _)| r.as_str()).collect();
    v.dedup();
    v
}

const NS_EW: &[&str] = &["NS", "EW001"];

#[test]
fn placeholder_and_malformed_arns_are_flagged() {
    // ingress-nginx NLB-TLS-termination deploy: ssl-cert placeholder ARN (account XXXXXXXX).
    let f = serious(
        "alb-ingress-nginx-aws-nlb-tls-termination-deploy.yaml",
        &["NS001"],
    );
    assert_eq!(rules_of(&f), vec!["NS001"], "{f:?}");
    // LBC cognito template: `arn:aws:acm:<region>:<account-id>:certificate/<certificate-id>`.
    assert_eq!(
        rules_of(&serious("alb-lbc-example-cognito-ingress.yaml", &["NS001"])),
        vec!["NS001"]
    );
    // IngressClassParams docs: certificateArn with a 9-digit account.
    let f = serious("alb-lbc-docs-ingressclassparams-tls.yaml", &["NS001"]);
    assert!(
        f.len() >= 2 && f.iter().all(|(r, s, _)| r == "NS001" && s == "error"),
        "{f:?}"
    );
    // Kubeflow patches: `$(certArn)` kustomize variable.
    assert_eq!(
        rules_of(&serious(
            "alb-kubeflow-aws-istio-ingress-https-patch.yaml",
            &["NS001"]
        )),
        vec!["NS001"]
    );
}

#[test]
fn no_north_south_false_positives() {
    // INVENTORY: nothing north–south to flag (nginx Ingresses with cert-manager, Argo CD, cert-manager's
    // own install, the kubebuilder installs, the retail app, Istio's rendered control plane, Knative).
    for file in [
        "certmanager-docs-ingress-tls-final.yaml",
        "certmanager-docs-ingress-tls-staging.yaml",
        "large-argocd-install.yaml",
        "large-certmanager-v1.19.4-release-install.yaml",
        "large-eksworkshop-retail-app-rendered.yaml",
        "large-kube-prometheus-manifests-concatenated.yaml",
        "webhook-kubebuilder-multiversion-install.yaml",
        "alb-lbc-install-v2_2_4_full.yaml",
        "mesh-istio-rendered-install-kubeflow.yaml",
        "mesh-knative-net-istio.yaml",
        "mesh-linkerd-install-default-golden.yaml",
    ] {
        let f = serious(file, NS_EW);
        assert!(
            f.is_empty(),
            "{file} must not get north–south findings: {f:?}"
        );
    }
}

#[test]
fn internet_facing_http_only_albs_are_flagged() {
    // INVENTORY: public ALBs without HTTPS (eksworkshop UI, 2048 game, echoserver).
    for file in [
        "alb-eksworkshop-ui-ingress-http.yaml",
        "alb-lbc-example-2048_full.yaml",
        "alb-lbc-example-echoserver-ingress.yaml",
    ] {
        let f = serious(file, &["NS008"]);
        assert_eq!(rules_of(&f), vec!["NS008"], "{file}: {f:?}");
    }
    // The cognito template redirects HTTP with the `actions.ssl-redirect` action: correct design.
    assert!(serious("alb-lbc-example-cognito-ingress.yaml", &["NS008"]).is_empty());
    // Kubeflow base: scheme is an unrendered `$(loadBalancerScheme)`: not assumed internet-facing.
    assert!(serious("alb-kubeflow-aws-istio-ingress-base.yaml", &["NS008"]).is_empty());
    // Istio ingress gateway LoadBalancer without AWS annotations: owner and scheme unknown.
    assert!(serious("mesh-istio-rendered-install-kubeflow.yaml", &["NS008"]).is_empty());
}

#[test]
fn default_ssl_policy_is_reported_where_tls_terminates_at_the_lb() {
    // ingress-nginx NLB TLS termination: TLS listener on 443 without a negotiation policy.
    let f = serious(
        "alb-ingress-nginx-aws-nlb-tls-termination-deploy.yaml",
        &["NS004"],
    );
    assert_eq!(rules_of(&f), vec!["NS004"], "{f:?}");
    // HTTP-only ALBs have no TLS listener, hence no policy finding.
    assert!(serious("alb-lbc-example-echoserver-ingress.yaml", &["NS004"]).is_empty());
}

#[test]
fn whole_corpus_north_south_totals() {
    // A regression guard on the whole corpus: the NS/EW001 findings (warning and above) per rule.
    let r = common::lint_selected(&[corpus().to_str().unwrap()], NS_EW);
    let mut counts = std::collections::BTreeMap::new();
    for d in r
        .diagnostics
        .iter()
        .filter(|d| d.severity >= Severity::Warning)
    {
        *counts.entry(d.rule.as_str()).or_insert(0) += 1;
    }
    insta::with_settings!({snapshot_path => "../snapshots", omit_expression => true}, {
        insta::assert_snapshot!("corpus-ns-ew-totals", format!("{counts:#?}"));
    });
}

const WH: &[&str] = &["WH"];

/// Info findings of `rules` on one corpus file: their messages.
fn infos(file: &str, rules: &[&str]) -> Vec<String> {
    let path = corpus().join(file);
    let r = common::lint_selected(&[path.to_str().unwrap()], rules);
    r.diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Info)
        .map(|d| d.message.clone())
        .collect()
}

#[test]
fn correctly_wired_webhooks_get_no_webhook_findings() {
    // INVENTORY: gold-standard cert-manager wiring (kubebuilder installs, LBC installs with and
    // without the `Cg==` placeholder caBundle), and installs whose CA is managed at runtime.
    for file in [
        "webhook-kubebuilder-multiversion-install.yaml",
        "webhook-kubebuilder-project-v4-install.yaml",
        "alb-lbc-install-v2_1_3_full.yaml",
        "alb-lbc-install-v2_2_4_full.yaml",
        "large-certmanager-v1.19.4-release-install.yaml",
        "mesh-istio-rendered-install-kubeflow.yaml",
        "mesh-knative-net-istio.yaml",
        "webhook-rancher-empty-webhook-configs.yaml",
        "alb-ingress-nginx-aws-nlb-tls-termination-deploy.yaml",
        "large-argocd-install.yaml",
    ] {
        let f = serious(
            file,
            &[
                "WH001", "WH002", "WH003", "WH004", "WH005", "WH006", "WH007",
            ],
        );
        assert!(f.is_empty(), "{file}: {f:?}");
    }
}

#[test]
fn runtime_ca_managers_are_recognised_as_info() {
    for (file, pattern) in [
        (
            "large-certmanager-v1.19.4-release-install.yaml",
            "cert-manager-webhook",
        ),
        ("mesh-istio-rendered-install-kubeflow.yaml", "istiod"),
        ("mesh-knative-net-istio.yaml", "knative"),
        (
            "webhook-rancher-empty-webhook-configs.yaml",
            "rancher-webhook",
        ),
        (
            "alb-ingress-nginx-aws-nlb-tls-termination-deploy.yaml",
            "kube-webhook-certgen",
        ),
    ] {
        let found = infos(file, &["WH002"]);
        assert!(
            !found.is_empty()
                && found
                    .iter()
                    .all(|m| m.starts_with(&format!("recognised {pattern}:"))),
            "{file}: {found:?}"
        );
    }
}

#[test]
fn unrendered_webhook_bases_are_flagged() {
    // controller-gen output before kustomize adds inject-ca-from: no CA source in isolation.
    let f = serious(
        "webhook-kubebuilder-base-webhook-manifests.yaml",
        &["WH002"],
    );
    assert_eq!(f.len(), 2, "one per configuration: {f:?}");
    let f = serious(
        "webhook-kubebuilder-base-crd-conversion-patch.yaml",
        &["WH002"],
    );
    assert_eq!(rules_of(&f), vec!["WH002"]);
    // Kustomize placeholders in inject-ca-from are reported once each, as unrendered.
    for file in [
        "webhook-katib-cainjection-patch-placeholders.yaml",
        "webhook-kubeflow-poddefaults-cainjection-patch.yaml",
        "alb-lbc-kustomize-webhookcainjection_patch.yaml",
        "alb-lbc-kustomize-crd-cainjection-patch.yaml",
    ] {
        let f = serious(file, WH);
        assert!(
            !f.is_empty() && rules_of(&f) == vec!["WH003"],
            "{file}: {f:?}"
        );
    }
    // inject-apiserver-ca (docs example 3) is a valid source, graded as a warning.
    let f = serious(
        "certmanager-docs-cainjector-inject-apiserver-ca.yaml",
        &["WH002"],
    );
    assert_eq!(f, vec![("WH002".into(), "warning".into(), 16)]);
}

#[test]
fn whole_corpus_in_cluster_totals() {
    // Each file is its own project: lint them one by one and count mesh, webhook, cert-manager and
    // schema findings (warning and above) per rule, as a regression guard.
    let mut counts = std::collections::BTreeMap::new();
    for f in plain_files() {
        let r = common::lint_selected(
            &[f.to_str().unwrap()],
            &[
                "EW002", "EW003", "EW004", "EW005", "EW006", "EW007", "WH", "CM", "SCHEMA",
            ],
        );
        for d in r
            .diagnostics
            .iter()
            .filter(|d| d.severity >= Severity::Warning)
        {
            *counts.entry(d.rule.clone()).or_insert(0) += 1;
        }
    }
    insta::with_settings!({snapshot_path => "../snapshots", omit_expression => true}, {
        insta::assert_snapshot!("corpus-in-cluster-totals", format!("{counts:#?}"));
    });
}

#[test]
fn cert_manager_expectations_of_the_inventory() {
    // Correct issuer chains: the CA Secret is where the (Cluster)Issuer reads it.
    for file in [
        "certmanager-docs-selfsigned-bootstrap-ca-clusterissuer.yaml",
        "certmanager-docs-selfsigned-bootstrap-ca-issuer.yaml",
        "certmanager-docs-istio-csr-clusterissuer-chain.yaml",
        "certmanager-docs-istio-csr-issuer-chain.yaml",
        "certmanager-istio-csr-bootstrap-ca-chain.yaml",
        "webhook-kubebuilder-multiversion-install.yaml",
        "alb-lbc-install-v2_2_4_full.yaml",
    ] {
        let f = serious(
            file,
            &[
                "CM002", "CM003", "CM004", "CM005", "CM006", "CM007", "CM008", "CM010",
            ],
        );
        assert!(f.is_empty(), "{file}: {f:?}");
    }
    // The docs bootstraps leave the CA at the default 90 days (CM009 warning, RULES §6).
    let f = serious(
        "certmanager-docs-selfsigned-bootstrap-ca-issuer.yaml",
        &["CM"],
    );
    assert_eq!(rules_of(&f), vec!["CM009"]);
    // Placeholder AWS PCA ARN.
    let f = serious("certmanager-awspca-clusterissuer-example.yaml", &["CM"]);
    assert_eq!(f, vec![("CM010".into(), "error".into(), 6)]);
    // kubebuilder project-v4: only the metrics Certificate's placeholder SANs, and the pod webhook
    // that can block its own pods (WH010).
    let f = serious(
        "webhook-kubebuilder-project-v4-install.yaml",
        &["WH", "CM", "SCHEMA"],
    );
    assert_eq!(rules_of(&f), vec!["CM006", "WH010"], "{f:?}");
    // Katib: a serving certificate marked isCA, with placeholder SANs.
    let f = serious("webhook-katib-certificate-placeholders.yaml", &["CM"]);
    assert!(
        f.iter().any(|(r, _, _)| r == "CM006") && f.iter().any(|(r, _, _)| r == "CM009"),
        "{f:?}"
    );
    // LBC v2.x installs use cert-manager.io/v1alpha2, removed in cert-manager 1.7.
    let f = serious("alb-lbc-install-v2_2_4_full.yaml", &["CM001"]);
    assert_eq!(f.len(), 2, "Issuer and Certificate: {f:?}");
}

#[test]
fn mesh_expectations_of_the_inventory() {
    // istioctl analyze's DestinationRule CA-certificate analyzer: IST0128 destination level, IST0129
    // port level, nothing with caCertificates.
    let ist = |file: &str| -> Vec<String> {
        let path = corpus().join(file);
        common::lint_selected(&[path.to_str().unwrap()], &["EW004"])
            .diagnostics
            .iter()
            .filter_map(|d| {
                ["IST0128", "IST0129"]
                    .into_iter()
                    .find(|c| d.message.contains(c))
                    .map(str::to_string)
            })
            .collect()
    };
    assert_eq!(
        ist("mesh-istio-analyzer-dr-credentialname-no-selector.yaml"),
        ["IST0128"]
    );
    assert_eq!(
        ist("mesh-istio-analyzer-dr-no-ca-compound.yaml"),
        ["IST0128", "IST0129"]
    );
    assert!(ist("mesh-istio-analyzer-dr-with-ca.yaml").is_empty());
    assert_eq!(
        ist("mesh-istio-egress-tls-origination-googleapis.yaml"),
        ["IST0129"]
    );
    for file in [
        "mesh-istio-bookinfo-destination-rule-all-mtls.yaml",
        "mesh-istio-destinationrule-istio-mutual-kfp.yaml",
        "mesh-istio-permissive-peerauthn-dr-wildcard-istio-mutual.yaml",
    ] {
        assert!(serious(file, &["EW004"]).is_empty(), "{file}");
    }
    // Istio's PeerAuthentication validation test data: every invalid document is rejected, the valid
    // ones are not.
    let f = serious("mesh-istio-validation-peerauth-invalid.yaml", &["EW003"]);
    assert_eq!(f.len(), 6, "{f:?}");
    assert!(f.iter().all(|(_, s, _)| s == "error"));
    assert!(serious("mesh-istio-validation-peerauth-valid.yaml", &["EW003"]).is_empty());
    // Namespace-wide DISABLE is flagged; Knative's port-level PERMISSIVE for the apiserver is not.
    assert_eq!(
        serious("mesh-istio-peerauthn-disable.yaml", &["EW003"]),
        vec![("EW003".into(), "warning".into(), 8)]
    );
    assert!(serious("mesh-knative-net-istio.yaml", &["EW"]).is_empty());
    // istio-csr with istiod's CA server off and caAddress pointing at istio-csr.
    for file in [
        "mesh-istio-csr-istiooperator.yaml",
        "certmanager-docs-istio-csr-issuer-chain.yaml",
        "mesh-istio-csr-peerauthentication-strict-default.yaml",
    ] {
        assert!(serious(file, &["EW"]).is_empty(), "{file}");
    }
    // Linkerd: the golden install's self-issued identity issuer verifies against its trust anchor (same
    // DN, different key); the Helm golden's test values are not PEM.
    assert!(
        serious(
            "mesh-linkerd-install-default-golden.yaml",
            &["EW006", "EW007"]
        )
        .is_empty()
    );
    let f = serious(
        "mesh-linkerd-helm-control-plane-externalsecret-golden.yaml",
        &["EW006", "EW007"],
    );
    assert_eq!(rules_of(&f), vec!["EW006", "EW007"], "{f:?}");
    // trust-manager: a cross-signed (not self-signed) inline CA valid until 2028 is fine.
    assert!(
        serious(
            "certmanager-docs-trust-manager-bundle-inline-ca.yaml",
            &["EW007"]
        )
        .is_empty()
    );
}
