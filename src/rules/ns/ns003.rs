//! NS003 service-tls-annotations-invalid: controller-aware errors in a LoadBalancer Service's TLS
//! annotations (`aws-load-balancer-ssl-cert`, `-ssl-ports`, `-backend-protocol`, `-type`).
//!
//! * LBC / EKS Auto Mode NLB: every `ssl-ports` item (split on `,`, trimmed) must name a port
//!   (`spec.ports[].name` or the port number) — LBC rejects the Service with `Unused port in ssl-ports
//!   annotation [...]`, and `*` is no wildcard; `backend-protocol` other than `ssl`/`tcp` silently
//!   gives TCP targets; UDP ports never get a TLS listener.
//! * Ambiguous (in-tree provider or LBC, §1.1): the strictest union — in-tree does not trim
//!   `ssl-ports` items (`"443, 8443"` never matches port 8443), an unmatched item is rejected by LBC;
//!   `*` in ssl-ports and several certificate ARNs are valid for one controller only (warning); a
//!   CLB rejects backend protocols other than `http`/`https`/`ssl`/`tcp`.
//! * `aws-load-balancer-type: external` without a valid `aws-load-balancer-nlb-target-type` and without
//!   `loadBalancerClass`: no controller reconciles the Service (warning).
//! * `ssl-ports` without `ssl-cert` creates no TLS listener (warning).
//!
//! [`tls_port_indices`] (which ports get a TLS listener under each controller's parsing) is shared
//! with NS004 and NS008.

use super::annotation_ptr;
use crate::load::Node;
use crate::load::node::pointer;
use crate::model::ownership::aws_lb_annotation;
use crate::model::{Inventory, ObjId, Object, ServiceOwner, Settings};
use crate::rules::aws::split_lbc;
use crate::rules::{BuiltinRule, Finding, KindSet, SERVICE_KINDS, Severity};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "NS003",
    kinds,
    check,
};

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![SERVICE_KINDS]
}

const ID: &str = "NS003";

const SSL_CERT: &str = "service.beta.kubernetes.io/aws-load-balancer-ssl-cert";
const SSL_PORTS: &str = "service.beta.kubernetes.io/aws-load-balancer-ssl-ports";
const BACKEND: &str = "service.beta.kubernetes.io/aws-load-balancer-backend-protocol";
const TYPE: &str = "service.beta.kubernetes.io/aws-load-balancer-type";
const TARGET_TYPE: &str = "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type";

/// Whose annotation parsing to replicate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Parse {
    /// LBC: comma lists split and trimmed, certificate list.
    Lbc,
    /// In-tree cloud provider: certificate is one raw string, ssl-ports split without trimming,
    /// `*` (alone) means every port.
    InTree,
}

/// A Service port as the controllers match it.
struct Port<'a> {
    name: Option<&'a str>,
    number: Option<i64>,
    protocol: &'a str,
}

fn ports(svc: &Object) -> Vec<Port<'_>> {
    svc.root
        .path(&["spec", "ports"])
        .map_or(&[][..], Node::items)
        .iter()
        .map(|p| Port {
            name: p.str_at(&["name"]).filter(|n| !n.is_empty()),
            number: p.get("port").and_then(Node::as_i64),
            protocol: p.str_at(&["protocol"]).unwrap_or("TCP"),
        })
        .collect()
}

impl Port<'_> {
    /// LBC `validateTLSPortsSet` / `buildListenerSpec`: name or `strconv.Itoa(port)`.
    fn matches(&self, item: &str) -> bool {
        self.name == Some(item) || self.number.is_some_and(|n| n.to_string() == item)
    }

    /// In-tree `getPortSets`: an item that parses as an integer is a number, else a name (`""` for an
    /// unnamed port, so an empty item matches it).
    fn matches_intree(&self, item: &str) -> bool {
        match item.parse::<i64>() {
            Ok(n) => self.number == Some(n),
            Err(_) => self.name.unwrap_or("") == item,
        }
    }
}

/// Indices of `spec.ports` that get a TLS listener when the Service is reconciled by a controller
/// parsing annotations like `parse` (TCP ports only; a certificate must be set).
pub(super) fn tls_port_indices(svc: &Object, parse: Parse) -> Vec<usize> {
    let cert = svc.annotation(SSL_CERT).unwrap_or("");
    let listed = svc.annotation(SSL_PORTS);
    let ports = ports(svc);
    let selected = |p: &Port| -> bool {
        match (parse, listed) {
            (_, None) => true,
            (Parse::Lbc, Some(v)) => {
                let items = split_lbc(v).0;
                items.is_empty() || items.iter().any(|i| p.matches(i))
            }
            (Parse::InTree, Some("" | "*")) => true,
            (Parse::InTree, Some(v)) => v.split(',').any(|i| p.matches_intree(i)),
        }
    };
    let has_cert = match parse {
        Parse::Lbc => !split_lbc(cert).0.is_empty(),
        Parse::InTree => !cert.is_empty(),
    };
    if !has_cert {
        return Vec::new();
    }
    ports
        .iter()
        .enumerate()
        .filter(|(_, p)| p.protocol == "TCP" && selected(p))
        .map(|(i, _)| i)
        .collect()
}

fn quote_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    for &s in inv.of_kind("", "Service") {
        let svc = inv.get(s);
        match inv.service_owner(s) {
            ServiceOwner::Nobody => check_external(s, svc, out),
            ServiceOwner::Lbc | ServiceOwner::AutoMode => check_lbc(s, svc, out),
            ServiceOwner::Ambiguous { nlb } => check_ambiguous(s, svc, *nlb, out),
            ServiceOwner::NotLoadBalancer | ServiceOwner::Foreign(_) => {} // EW001's.
        }
    }
}

fn check_external(s: ObjId, svc: &Object, out: &mut Vec<Finding>) {
    let why = match aws_lb_annotation(svc, "nlb-target-type") {
        None => format!("without `{TARGET_TYPE}`"),
        Some(v) => format!("with `{TARGET_TYPE}: {v}` (must be `ip` or `instance`)"),
    };
    out.push(
        Finding::new(
            ID,
            Severity::Warning,
            s,
            annotation_ptr(TYPE),
            format!(
                "`{TYPE}: external` {why} and without `spec.loadBalancerClass`: the in-tree provider ignores `external` and LBC requires a target type, so no controller reconciles this Service unless LBC's mutating webhook stamps `loadBalancerClass` on creation"
            ),
        )
        .help(format!(
            "Set `{TARGET_TYPE}: ip` (or `instance`), or `spec.loadBalancerClass: service.k8s.aws/nlb`."
        )),
    );
}

/// `ssl-ports` without a certificate.
fn check_ports_without_cert(s: ObjId, svc: &Object, out: &mut Vec<Finding>) {
    let has_cert = svc
        .annotation(SSL_CERT)
        .is_some_and(|c| !c.trim().is_empty());
    if svc.annotation(SSL_PORTS).is_some() && !has_cert {
        out.push(
            Finding::new(
                ID,
                Severity::Warning,
                s,
                annotation_ptr(SSL_PORTS),
                format!("`{SSL_PORTS}` is set but `{SSL_CERT}` is not: no TLS listener is created, the listed ports stay plain TCP"),
            )
            .help(format!("Add `{SSL_CERT}` with the ACM certificate ARN, or remove `{SSL_PORTS}`.")),
        );
    }
}

/// Listed ports that are UDP: LBC never puts a TLS listener on them.
fn check_udp(s: ObjId, svc: &Object, out: &mut Vec<Finding>) {
    let Some(v) = svc.annotation(SSL_PORTS) else {
        return;
    };
    let items = split_lbc(v).0;
    for (i, p) in ports(svc).iter().enumerate() {
        if p.protocol != "TCP"
            && let Some(item) = items.iter().find(|it| p.matches(it))
        {
            out.push(
                Finding::new(
                    ID,
                    Severity::Warning,
                    s,
                    pointer(["spec", "ports", &i.to_string(), "protocol"]),
                    format!(
                        "`{SSL_PORTS}` lists `{item}`, a {} port: TLS listeners are only created on TCP ports, this port stays {}",
                        p.protocol, p.protocol
                    ),
                )
                .help(format!("Remove `{item}` from `{SSL_PORTS}`; encrypt this traffic in the application (e.g. DTLS) if it needs TLS.")),
            );
        }
    }
}

/// Unmatched ssl-ports items (LBC `validateTLSPortsSet`), `*` reported separately.
fn unmatched<'a>(svc: &Object, items: &[&'a str]) -> Vec<&'a str> {
    let ports = ports(svc);
    items
        .iter()
        .filter(|i| !ports.iter().any(|p| p.matches(i)))
        .copied()
        .collect()
}

fn port_names(svc: &Object) -> String {
    let names: Vec<String> = ports(svc)
        .iter()
        .map(|p| match (p.name, p.number) {
            (Some(n), Some(x)) => format!("{x}/`{n}`"),
            (Some(n), None) => format!("`{n}`"),
            (None, Some(x)) => x.to_string(),
            (None, None) => "?".into(),
        })
        .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

fn push_unmatched(s: ObjId, svc: &Object, bad: &[&str], out: &mut Vec<Finding>) {
    if bad.is_empty() {
        return;
    }
    out.push(
        Finding::new(
            ID,
            Severity::Error,
            s,
            annotation_ptr(SSL_PORTS),
            format!(
                "`{SSL_PORTS}` lists {}, which match{} no port name or number of the Service (ports: {}); LBC rejects the Service with `Unused port in ssl-ports annotation [{}]`",
                quote_list(bad),
                if bad.len() == 1 { "es" } else { "" },
                port_names(svc),
                bad.join(" ")
            ),
        )
        .help("List port names or numbers of `spec.ports`, e.g. `443,https`."),
    );
}

fn check_lbc(s: ObjId, svc: &Object, out: &mut Vec<Finding>) {
    check_ports_without_cert(s, svc, out);
    if let Some(v) = svc.annotation(SSL_PORTS) {
        let items = split_lbc(v).0;
        let bad = unmatched(svc, &items);
        if bad.contains(&"*") {
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    s,
                    annotation_ptr(SSL_PORTS),
                    format!("`*` in `{SSL_PORTS}` is not a wildcard for the AWS Load Balancer Controller: it matches no port and LBC rejects the Service (`Unused port in ssl-ports annotation [*]`)"),
                )
                .help(format!("Remove `{SSL_PORTS}` to put TLS on every TCP port, or list the ports, e.g. `443,https`.")),
            );
        }
        let bad: Vec<&str> = bad.into_iter().filter(|b| *b != "*").collect();
        push_unmatched(s, svc, &bad, out);
    }
    check_udp(s, svc, out);
    check_backend_nlb(s, svc, out, "");
}

/// NLB (LBC, or the in-tree NLB which reads the annotation the same way): only `ssl` makes the
/// target group TLS.
fn check_backend_nlb(s: ObjId, svc: &Object, out: &mut Vec<Finding>, who: &str) {
    let Some(bp) = svc.annotation(BACKEND) else {
        return;
    };
    if svc.annotation(SSL_CERT).is_none() || matches!(bp, "ssl" | "tcp") {
        return;
    }
    let lower = bp.to_ascii_lowercase();
    let help = if lower == "https" || lower == "ssl" {
        "Use `ssl` (lower case) to re-encrypt to the targets, or `tcp` for plaintext targets."
    } else {
        "Use `ssl` for TLS to the targets or `tcp` for plaintext targets."
    };
    out.push(
        Finding::new(
            ID,
            Severity::Error,
            s,
            annotation_ptr(BACKEND),
            format!(
                "`{BACKEND}: {bp}` is not a backend protocol of an NLB{who}: only `ssl` makes the target group TLS, any other value silently gives plain TCP targets"
            ),
        )
        .help(help),
    );
}

fn check_ambiguous(s: ObjId, svc: &Object, nlb: bool, out: &mut Vec<Finding>) {
    let who = if nlb {
        "in-tree NLB or LBC NLB"
    } else {
        "in-tree CLB or LBC NLB"
    };
    check_ports_without_cert(s, svc, out);
    if let Some(cert) = svc.annotation(SSL_CERT)
        && cert.contains(',')
    {
        out.push(
            Finding::new(
                ID,
                Severity::Warning,
                s,
                annotation_ptr(SSL_CERT),
                format!(
                    "`{SSL_CERT}` lists several certificates; behaviour differs between controllers ({who}): LBC attaches them all, the in-tree provider passes the whole string as one certificate ID and the listener fails"
                ),
            )
            .help("Use a single certificate ARN, or make LBC the owner with `spec.loadBalancerClass: service.k8s.aws/nlb`."),
        );
    }
    if let Some(v) = svc.annotation(SSL_PORTS) {
        if v.trim() == "*" {
            out.push(
                Finding::new(
                    ID,
                    Severity::Warning,
                    s,
                    annotation_ptr(SSL_PORTS),
                    format!("`*` in `{SSL_PORTS}` means every port for the in-tree provider but matches no port for LBC, which rejects the Service; behaviour differs between controllers ({who})"),
                )
                .help(format!("Remove `{SSL_PORTS}` (every port gets TLS with both controllers) or list the ports, e.g. `443,https`.")),
            );
        } else {
            let ports = ports(svc);
            let spaced: Vec<&str> = v
                .split(',')
                .filter(|raw| {
                    let t = raw.trim();
                    *raw != t
                        && !t.is_empty()
                        && ports.iter().any(|p| p.matches(t))
                        && !ports.iter().any(|p| p.matches_intree(raw))
                })
                .collect();
            if !spaced.is_empty() {
                let shown: Vec<String> = spaced.iter().map(|r| format!("\"{r}\"")).collect();
                out.push(
                    Finding::new(
                        ID,
                        Severity::Error,
                        s,
                        annotation_ptr(SSL_PORTS),
                        format!(
                            "`{SSL_PORTS}: \"{v}\"` has whitespace around items: the in-tree provider does not trim, so {} matches no port and gets no TLS listener (LBC would trim it)",
                            shown.join(", ")
                        ),
                    )
                    .help(format!("Write the list without spaces, e.g. `{}`.", split_lbc(v).0.join(","))),
                );
            }
            let items = split_lbc(v).0;
            // Blank items only (`" "`, `" , "`): LBC drops them and puts TLS on every port; in-tree
            // reads each raw item as a port name, which at most an unnamed port has (`""`).
            if items.is_empty()
                && !v.is_empty()
                && tls_port_indices(svc, Parse::Lbc) != tls_port_indices(svc, Parse::InTree)
            {
                out.push(
                    Finding::new(
                        ID,
                        Severity::Warning,
                        s,
                        annotation_ptr(SSL_PORTS),
                        format!("`{SSL_PORTS}: \"{v}\"` lists no port: LBC ignores blank items and puts TLS on every port, the in-tree provider reads them as port names and puts TLS on no named port; behaviour differs between controllers ({who})"),
                    )
                    .help(format!("Remove `{SSL_PORTS}` (every port gets TLS with both controllers) or list the ports, e.g. `443,https`.")),
                );
            }
            push_unmatched(s, svc, &unmatched(svc, &items), out);
        }
    }
    check_udp(s, svc, out);
    if nlb {
        check_backend_nlb(s, svc, out, &format!(" ({who})"));
    } else if let Some(bp) = svc.annotation(BACKEND)
        && svc.annotation(SSL_CERT).is_some()
    {
        match bp {
            "ssl" | "tcp" => {}
            "http" | "https" => out.push(
                Finding::new(
                    ID,
                    Severity::Warning,
                    s,
                    annotation_ptr(BACKEND),
                    format!(
                        "`{BACKEND}: {bp}` behaves differently between controllers ({who}): an in-tree CLB makes a layer-7 HTTPS listener with {bp} to the targets, LBC's NLB ignores the value and makes a TLS listener with plain TCP to the targets"
                    ),
                )
                .help("Use `ssl` (TLS to the targets) or `tcp` (plaintext targets), which mean the same to both controllers."),
            ),
            _ => out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    s,
                    annotation_ptr(BACKEND),
                    format!(
                        "`{BACKEND}: {bp}` is not a backend protocol: an in-tree CLB fails with `Invalid backend protocol` (allowed: `http`, `https`, `ssl`, `tcp`) and LBC's NLB only understands `ssl`/`tcp`"
                    ),
                )
                .help("Use `ssl` for TLS to the targets or `tcp` for plaintext targets (lower case)."),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intree_port_items_are_not_trimmed() {
        let p = Port {
            name: Some("https"),
            number: Some(8443),
            protocol: "TCP",
        };
        assert!(p.matches_intree("8443") && p.matches_intree("https"));
        assert!(!p.matches_intree(" 8443") && !p.matches_intree(" https"));
        assert!(p.matches("8443") && !p.matches(" 8443"));
    }
}

/// Models of the controllers' Go parsing, shared with `tests/properties.rs`.
#[cfg(test)]
#[path = "../../../tests/models/go.rs"]
mod go_model;

#[cfg(test)]
mod properties {
    //! The ssl-ports handling against both controllers' code (issue 8):
    //!
    //! * in-tree: cloud-provider-aws `pkg/providers/v1/aws.go` `getPortSets` (`""` or `"*"`: every
    //!   port; else `strings.Split` on `,` without trimming, an item is a number when `strconv.Atoi`
    //!   accepts it, else a name) and `buildListener` / the NLB port mapping
    //!   (`sslPorts.numbers.Has(port) || sslPorts.names.Has(port.Name)`, `Name` empty when unnamed);
    //! * LBC: `pkg/service/model_build_listener.go` `buildTLSPortsSet` (`splitCommaSeparatedString`:
    //!   split, `strings.TrimSpace`, drop empty), `validateTLSPortsSet` (`Unused port in ssl-ports
    //!   annotation`) and `buildListenerSpec` (`tlsPortsSet.Len() == 0 || Has(port.Name) ||
    //!   Has(strconv.Itoa(port))`).
    //!
    //! Both controllers put TLS on TCP ports only here (LBC skips UDP; the in-tree CLB rejects UDP).
    use super::go_model::{go_atoi, lbc_split};
    use super::*;
    use crate::model::object_from_json;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    const ARN: &str =
        "arn:aws:acm:us-west-2:123456789012:certificate/12345678-1234-1234-1234-123456789012";

    /// LBC `splitCommaSeparatedString`.
    fn lbc_items(v: &str) -> Vec<&str> {
        lbc_split(v).0
    }

    /// In-tree: does a raw item name the port (`name` empty when unnamed)?
    fn intree_names(item: &str, name: &str, number: i64) -> bool {
        match go_atoi(item) {
            Some(n) => n == number,
            None => item == name,
        }
    }

    /// In-tree: does the port get TLS?
    fn intree_tls(ssl_ports: Option<&str>, name: &str, number: i64) -> bool {
        match ssl_ports {
            None | Some("" | "*") => true,
            Some(v) => v.split(',').any(|item| intree_names(item, name, number)),
        }
    }

    /// LBC: does an item name the port?
    fn lbc_names(item: &str, name: &str, number: i64) -> bool {
        item == name || item == number.to_string()
    }

    /// LBC: does the port get TLS (when the Service is accepted)?
    fn lbc_tls(ssl_ports: Option<&str>, name: &str, number: i64) -> bool {
        let items = ssl_ports.map(lbc_items).unwrap_or_default();
        items.is_empty() || items.iter().any(|i| lbc_names(i, name, number))
    }

    #[derive(Clone, Debug)]
    struct SvcPort {
        name: Option<String>,
        number: i64,
        udp: bool,
    }

    impl SvcPort {
        fn name(&self) -> &str {
            self.name.as_deref().unwrap_or("")
        }
    }

    /// Ports of a valid Service: unique numbers, unique names containing a letter, a name on every
    /// port when there are several.
    fn service_ports() -> impl Strategy<Value = Vec<SvcPort>> {
        prop::collection::btree_map(
            1i64..=65535,
            ("[a-z]{1,4}", any::<bool>(), prop::bool::weighted(0.2)),
            1..5,
        )
        .prop_map(|m| {
            let several = m.len() > 1;
            m.into_iter()
                .enumerate()
                .map(|(i, (number, (base, named, udp)))| SvcPort {
                    name: (named || several).then(|| format!("{base}{i}")),
                    number,
                    udp,
                })
                .collect()
        })
    }

    /// An ssl-ports item: a port's name or number (maybe as `+443`/`0443`), `*`, empty, or something
    /// else; maybe padded with whitespace.
    fn item(ports: &[SvcPort]) -> BoxedStrategy<String> {
        let names: Vec<String> = ports.iter().filter_map(|p| p.name.clone()).collect();
        let numbers: Vec<i64> = ports.iter().map(|p| p.number).collect();
        let core = prop_oneof![
            3 => prop::sample::select(numbers).prop_map(|n| n.to_string()),
            3 => if names.is_empty() { Just("https".to_string()).boxed() } else { prop::sample::select(names).boxed() },
            1 => (1i64..=65535).prop_map(|n| n.to_string()),
            1 => prop::sample::select(vec!["*", "", "https", "+443", "0443", "-1", "99999999999999999999", "8443 "])
                .prop_map(str::to_string),
            1 => Just(String::new()),
        ];
        let pad = prop::sample::select(vec!["", "", "", " ", "  ", "\t", "\u{a0}"]);
        (pad.clone(), core, pad)
            .prop_map(|(a, c, b)| format!("{a}{c}{b}"))
            .boxed()
    }

    /// A Service and its `ssl-ports` value (absent, `""`, `"*"`, blank, or a list of items).
    fn case() -> impl Strategy<Value = (Vec<SvcPort>, Option<String>)> {
        service_ports().prop_flat_map(move |ports| {
            let list = prop::collection::vec(item(&ports), 1..4).prop_map(|v| v.join(","));
            let special = vec!["", "*", " *", "*,", " ", "\t", " , ", ","];
            let value = prop_oneof![
                1 => Just(None),
                2 => prop::sample::select(special).prop_map(|s| Some(s.to_string())),
                6 => list.prop_map(Some),
            ];
            (Just(ports), value)
        })
    }

    fn service(ports: &[SvcPort], cert: Option<&str>, ssl_ports: Option<&str>) -> Object {
        let mut annotations = serde_json::Map::new();
        if let Some(c) = cert {
            annotations.insert(SSL_CERT.into(), json!(c));
        }
        if let Some(s) = ssl_ports {
            annotations.insert(SSL_PORTS.into(), json!(s));
        }
        let ports: Vec<Value> = ports
            .iter()
            .map(|p| {
                let mut v =
                    json!({"port": p.number, "protocol": if p.udp { "UDP" } else { "TCP" }});
                if let Some(n) = &p.name {
                    v["name"] = json!(n);
                }
                v
            })
            .collect();
        object_from_json(
            0,
            &json!({
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "web", "namespace": "default", "annotations": annotations},
                "spec": {"type": "LoadBalancer", "ports": ports},
            }),
        )
        .expect("a Service object")
    }

    /// Indices of the TCP ports that `tls` selects.
    fn expected(ports: &[SvcPort], cert: bool, tls: impl Fn(&SvcPort) -> bool) -> Vec<usize> {
        (0..ports.len())
            .filter(|&i| cert && !ports[i].udp && tls(&ports[i]))
            .collect()
    }

    fn ssl_ports_findings(out: &[Finding]) -> Vec<&Finding> {
        let ptr = annotation_ptr(SSL_PORTS);
        out.iter()
            .filter(|f| f.pointer == ptr && f.severity >= Severity::Warning)
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

        /// One item against one port: in-tree classifies the raw item with `strconv.Atoi`, LBC
        /// compares the (already trimmed, non-empty) item with the name and `strconv.Itoa(port)`.
        #[test]
        fn items_match_like_the_controllers(
            item in prop_oneof![
                "[ \t]?[+-]?0?[0-9]{1,5}[ \t]?",
                "[0-9]{18,21}",
                "[a-z][a-z0-9-]{0,6}",
                Just(String::new()),
                Just("*".to_string()),
                any::<String>(),
            ],
            name in prop::option::of("[a-z][a-z0-9]{0,6}"),
            number in 1i64..=65535,
        ) {
            let p = Port { name: name.as_deref(), number: Some(number), protocol: "TCP" };
            let n = name.as_deref().unwrap_or("");
            prop_assert_eq!(p.matches_intree(&item), intree_names(&item, n, number));
            if !item.is_empty() {
                prop_assert_eq!(p.matches(&item), lbc_names(&item, n, number));
            }
        }

        /// The ports that get a TLS listener are the ones each controller's code selects, for any
        /// Service, certificate and ssl-ports value.
        #[test]
        fn tls_ports_follow_each_controller(
            (ports, ssl_ports) in case(),
            cert in prop::sample::select(vec![None, Some(""), Some(" "), Some(","), Some(ARN), Some("arn-a, arn-b")]),
        ) {
            let svc = service(&ports, cert, ssl_ports.as_deref());
            let v = ssl_ports.as_deref();
            // In-tree: `certID != ""`, the raw string. LBC: a non-empty certificate list.
            let intree_cert = cert.is_some_and(|c| !c.is_empty());
            let lbc_cert = cert.is_some_and(|c| !lbc_items(c).is_empty());
            prop_assert_eq!(
                tls_port_indices(&svc, Parse::InTree),
                expected(&ports, intree_cert, |p| intree_tls(v, p.name(), p.number))
            );
            prop_assert_eq!(
                tls_port_indices(&svc, Parse::Lbc),
                expected(&ports, lbc_cert, |p| lbc_tls(v, p.name(), p.number))
            );
        }

        /// LBC-owned Service: NS003 errors on ssl-ports exactly when LBC's `validateTLSPortsSet` rejects
        /// the Service (a trimmed item that is no port name or number, `*` included).
        #[test]
        fn lbc_errors_when_lbc_rejects((ports, ssl_ports) in case()) {
            let svc = service(&ports, Some(ARN), ssl_ports.as_deref());
            let mut out = Vec::new();
            check_lbc(0, &svc, &mut out);
            let rejected = ssl_ports.as_deref().map(lbc_items).unwrap_or_default().iter().any(|i| {
                !ports.iter().any(|p| lbc_names(i, p.name(), p.number))
            });
            let errors = ssl_ports_findings(&out).iter().any(|f| f.severity == Severity::Error);
            prop_assert_eq!(errors, rejected, "{:?}", out);
        }

        /// Owner unknown (in-tree or LBC): wherever the two controllers would differ — LBC rejects the
        /// Service, or the TLS ports differ — NS003 reports the ssl-ports annotation (blank values
        /// such as `" "` included: LBC puts TLS on every port, in-tree on no named one).
        #[test]
        fn ambiguous_owner_differences_are_reported((ports, ssl_ports) in case(), nlb in any::<bool>()) {
            let svc = service(&ports, Some(ARN), ssl_ports.as_deref());
            let v = ssl_ports.as_deref();
            let lbc_rejects = v.map(lbc_items).unwrap_or_default().iter().any(|i| {
                !ports.iter().any(|p| lbc_names(i, p.name(), p.number))
            });
            let intree = expected(&ports, true, |p| intree_tls(v, p.name(), p.number));
            let lbc = expected(&ports, true, |p| lbc_tls(v, p.name(), p.number));
            let mut out = Vec::new();
            check_ambiguous(0, &svc, nlb, &mut out);
            if lbc_rejects || intree != lbc {
                prop_assert!(!ssl_ports_findings(&out).is_empty(), "{:?}: in-tree {:?}, LBC {:?}", v, intree, lbc);
            }
        }
    }

    #[test]
    fn ssl_ports_examples() {
        let ports = |spec: &[(Option<&str>, i64)]| -> Vec<SvcPort> {
            spec.iter()
                .map(|(name, number)| SvcPort {
                    name: name.map(str::to_string),
                    number: *number,
                    udp: false,
                })
                .collect()
        };
        let two = ports(&[(Some("http"), 80), (Some("https"), 8443)]);
        let tls = |ports: &[SvcPort], v: &str, parse| {
            tls_port_indices(&service(ports, Some(ARN), Some(v)), parse)
        };
        // In-tree does not trim: `" 8443"` is a port name and matches nothing; LBC trims.
        assert_eq!(tls(&two, "80, 8443", Parse::InTree), vec![0]);
        assert_eq!(tls(&two, "80, 8443", Parse::Lbc), vec![0, 1]);
        assert_eq!(tls(&two, "http, https", Parse::InTree), vec![0]);
        // `*` alone is every port in-tree and no port for LBC.
        assert_eq!(tls(&two, "*", Parse::InTree), vec![0, 1]);
        assert_eq!(tls(&two, "*", Parse::Lbc), Vec::<usize>::new());
        assert_eq!(tls(&two, "*,80", Parse::InTree), vec![0]);
        // `strconv.Atoi` reads `+8443` and `08443` as 8443; LBC compares strings.
        assert_eq!(tls(&two, "+8443", Parse::InTree), vec![1]);
        assert_eq!(tls(&two, "08443", Parse::Lbc), Vec::<usize>::new());
        // Regression (issue 8): an empty item is the name `""`, which an unnamed port has in-tree.
        let unnamed = ports(&[(None, 8443)]);
        assert_eq!(tls(&unnamed, "443,", Parse::InTree), vec![0]);
        assert_eq!(tls(&unnamed, ",", Parse::InTree), vec![0]);
        assert_eq!(tls(&unnamed, "443", Parse::InTree), Vec::<usize>::new());
        assert_eq!(tls(&two, "443,", Parse::InTree), Vec::<usize>::new());
    }
}
