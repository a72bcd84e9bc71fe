//! Well-known mapping keys longer than [`Text`]'s inline capacity, stored once as `&'static str`.
//!
//! Label and annotation keys such as `app.kubernetes.io/part-of` repeat in almost every object of a
//! repository and are too long to be stored inline: each would be its own heap allocation. A key
//! found here costs no allocation (at 100,000 objects: about 270,000 fewer; docs/performance.md).
//! Keys not listed are stored as before, so the list only ever affects memory, never results.

use super::Text;

/// Sorted (a unit test checks), all longer than 24 bytes.
const KEYS: &[&str] = &[
    "acme.cert-manager.io/http01-edit-in-place",
    "acme.cert-manager.io/http01-ingress-class",
    "alb.ingress.kubernetes.io/actions.ssl-redirect",
    "alb.ingress.kubernetes.io/backend-protocol",
    "alb.ingress.kubernetes.io/certificate-arn",
    "alb.ingress.kubernetes.io/group.name",
    "alb.ingress.kubernetes.io/group.order",
    "alb.ingress.kubernetes.io/healthcheck-path",
    "alb.ingress.kubernetes.io/healthcheck-protocol",
    "alb.ingress.kubernetes.io/listen-ports",
    "alb.ingress.kubernetes.io/load-balancer-name",
    "alb.ingress.kubernetes.io/scheme",
    "alb.ingress.kubernetes.io/ssl-policy",
    "alb.ingress.kubernetes.io/ssl-redirect",
    "alb.ingress.kubernetes.io/subnets",
    "alb.ingress.kubernetes.io/tags",
    "alb.ingress.kubernetes.io/target-type",
    "app.kubernetes.io/component",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/managed-by",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/version",
    "argocd.argoproj.io/instance",
    "argocd.argoproj.io/sync-options",
    "argocd.argoproj.io/sync-wave",
    "cert-manager.io/certificate-name",
    "cert-manager.io/cluster-issuer",
    "cert-manager.io/common-name",
    "cert-manager.io/inject-ca-from",
    "cert-manager.io/inject-ca-from-secret",
    "cert-manager.io/issuer-group",
    "cert-manager.io/issuer-kind",
    "cert-manager.io/issuer-name",
    "cert-manager.io/private-key-algorithm",
    "deployment.kubernetes.io/revision",
    "external-dns.alpha.kubernetes.io/hostname",
    "ingressclass.kubernetes.io/is-default-class",
    "kubectl.kubernetes.io/default-container",
    "kubectl.kubernetes.io/last-applied-configuration",
    "kubectl.kubernetes.io/restartedAt",
    "kubernetes.io/ingress.class",
    "kubernetes.io/metadata.name",
    "kubernetes.io/service-account.name",
    "kubernetes.io/service-name",
    "meta.helm.sh/release-name",
    "meta.helm.sh/release-namespace",
    "nginx.ingress.kubernetes.io/backend-protocol",
    "nginx.ingress.kubernetes.io/ssl-redirect",
    "service.beta.kubernetes.io/aws-load-balancer-backend-protocol",
    "service.beta.kubernetes.io/aws-load-balancer-internal",
    "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type",
    "service.beta.kubernetes.io/aws-load-balancer-scheme",
    "service.beta.kubernetes.io/aws-load-balancer-ssl-cert",
    "service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy",
    "service.beta.kubernetes.io/aws-load-balancer-ssl-ports",
    "service.beta.kubernetes.io/aws-load-balancer-type",
    "sidecar.istio.io/rewriteAppHTTPProbers",
    "traffic.sidecar.istio.io/excludeInboundPorts",
    "traffic.sidecar.istio.io/includeInboundPorts",
];

/// `key` itself, or the shared copy of it when it is a well-known long key.
pub fn key(key: Text) -> Text {
    if key.len() <= 24 {
        return key;
    }
    match KEYS.binary_search(&key.as_str()) {
        Ok(i) => Text::const_new(KEYS[i]),
        Err(_) => key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_only_holds_long_keys() {
        assert!(KEYS.windows(2).all(|w| w[0] < w[1]), "KEYS must be sorted");
        assert!(KEYS.iter().all(|k| k.len() > 24), "short keys are inline");
    }

    #[test]
    fn known_keys_are_shared_and_others_kept() {
        let known = key(Text::new("app.kubernetes.io/part-of"));
        assert_eq!(known, "app.kubernetes.io/part-of");
        assert_eq!(known.as_static_str(), Some("app.kubernetes.io/part-of"));
        let other = key(Text::new("example.com/a-long-annotation-key"));
        assert_eq!(other, "example.com/a-long-annotation-key");
        assert_eq!(other.as_static_str(), None);
        assert_eq!(key(Text::new("name")), "name");
    }
}
