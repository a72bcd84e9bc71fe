//! Facts about the environment that manifests cannot tell: what the rules assume (configurable in
//! `.tlscheck.yaml`, with defaults that match upstream controller defaults).

use serde::Deserialize;

/// Settings the model and the rules read.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Settings {
    /// IngressClass names treated as ALB when the IngressClass object is not in the input, and the
    /// values of the legacy `kubernetes.io/ingress.class` annotation that LBC reconciles (its
    /// `--ingress-class` flag; `alb` by default).
    pub alb_class_names: Vec<String>,
    /// `loadBalancerClass` values that LBC reconciles (its `--load-balancer-class` flag).
    pub lbc_load_balancer_classes: Vec<String>,
    /// Minimum TLS version a load balancer policy must enforce (NS004), `"1.0"` … `"1.3"`.
    pub min_tls: String,
    /// Security policy assumed when none is configured (LBC `--default-ssl-policy`; AWS default).
    pub assume_default_ssl_policy: String,
    /// Region the cluster runs in, when known (NS002 compares certificate regions to it).
    pub cluster_region: Option<String>,
    /// Escalate findings on internet-facing load balancers where the catalogue says so (NS004 → error).
    pub strict: bool,
    /// The input is the whole world: a referenced object that is not in it is an error, not a warning.
    pub complete: bool,
    /// Also scan container env values and ConfigMap data for URLs that hair-pin through an AWS load
    /// balancer (EW001 condition 4, info).
    pub scan_env_urls: bool,
    /// Days before expiry from which a certificate embedded in a manifest is reported (WH009).
    pub warn_days: u32,
    /// Namespace from which cert-manager reads the Secrets of ClusterIssuers (its
    /// `--cluster-resource-namespace` flag).
    pub cluster_resource_namespace: String,
    /// Istio's root namespace (`meshConfig.rootNamespace`): PeerAuthentications without selector there
    /// are mesh-wide (EW002, EW003).
    pub istio_root_namespace: String,
    /// Namespace of the Linkerd control plane (EW006, EW007).
    pub linkerd_namespace: String,
    /// Linkerd's cluster-wide default inbound policy (`proxy.defaultInboundPolicy`, EW002).
    pub linkerd_default_inbound_policy: String,
    /// Mesh trust domain (Istio `trustDomain`, Linkerd `identityTrustDomain`).
    pub trust_domain: String,
    /// trust-manager's trust namespace (`--trust-namespace`): the only namespace Bundle sources are read
    /// from (EW007).
    pub trust_namespace: String,
    /// The input is a live cluster (or a complete dump of one, e.g. `kubectl get -o yaml`): status fields
    /// are current and an absent object (an EndpointSlice, a cainjector) is really absent. Set by
    /// `kubectl tlscheck cluster`; implies `complete`.
    pub live: bool,
    /// Hours before expiry from which an expiring certificate is an error rather than a warning
    /// (LIVE002).
    pub crit_hours: u32,
    /// Minutes after which an unapproved or pending CertificateRequest is reported (LIVE004).
    pub cr_pending_minutes: u32,
    /// "Now" as Unix seconds, for certificate expiry. Not configurable: the engine sets it from the
    /// run's date, so one run judges every certificate against the same instant.
    #[serde(skip)]
    pub now: i64,
    /// Webhook fingerprints added to the built-in ones (`fingerprints:` files, `--exempt-fingerprint`).
    #[serde(skip)]
    pub extra_fingerprints: Vec<super::fingerprint::Fingerprint>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            alb_class_names: vec!["alb".into()],
            lbc_load_balancer_classes: vec!["service.k8s.aws/nlb".into()],
            min_tls: "1.2".into(),
            assume_default_ssl_policy: "ELBSecurityPolicy-2016-08".into(),
            cluster_region: None,
            strict: false,
            complete: false,
            scan_env_urls: false,
            warn_days: 30,
            cluster_resource_namespace: "cert-manager".into(),
            istio_root_namespace: "istio-system".into(),
            linkerd_namespace: "linkerd".into(),
            linkerd_default_inbound_policy: "all-unauthenticated".into(),
            trust_domain: "cluster.local".into(),
            trust_namespace: "cert-manager".into(),
            live: false,
            crit_hours: 72,
            cr_pending_minutes: 15,
            now: 0,
            extra_fingerprints: Vec::new(),
        }
    }
}
