//! EW005 istio-csr-misconfigured: istio-csr (cert-manager's Istio CA agent) and the Istio install
//! around it disagree, so workload and istiod certificates are never issued.
//!
//! **istio-csr** is a container whose image contains `cert-manager-istio-csr`, or whose arguments set
//! both `--certificate-namespace` and `--issuer-name`. Its flags are read from `command` and `args`
//! (`--flag=value` and `--flag value`; long names only, the chart's form; a repeated flag: last wins,
//! `--serving-certificate-dns-names` accumulates), with the binary's defaults (ICSR
//! `cmd/app/options/options.go`, chart `values.yaml`): `--certificate-namespace=istio-system`,
//! `--issuer-enabled=true`, `--issuer-name=istio-ca`, `--issuer-kind=Issuer`,
//! `--issuer-group=cert-manager.io`, `--root-ca-file=` (empty),
//! `--serving-certificate-dns-names=cert-manager-istio-csr.cert-manager.svc`,
//! `--trust-domain=cluster.local`, `--istiod-cert-enabled=false`, `--istiod-cert-duration=1h`,
//! `--istiod-cert-renew-before=30m`.
//!
//! Conditions on istio-csr:
//! * static issuer (`--issuer-enabled=true`, the default): the issuer does not resolve. istio-csr
//!   creates its CertificateRequests in `--certificate-namespace`, so an `Issuer` must be there: one of
//!   that name only in another namespace → error; not in the input → warning (error with
//!   `--complete`); a kind that is not an issuer kind of the group → error. External issuer groups
//!   and issuers declared in the configuration are accepted. `--issuer-name/kind/group` partly empty
//!   → error (istio-csr exits: "issuerRef.Name is a required field"); an unparsable
//!   `--issuer-enabled` → error.
//! * the issuer (static, or the one a runtime ConfigMap in the input names) is ACME → error ("the ACME
//!   issuer will not work … can't add the required fields", CM-DOCS `usage/istio-csr`): ACME cannot
//!   put SPIFFE URI SANs in certificates.
//! * runtime configuration (RULES.md §9.20): with `--issuer-enabled=false` (or an all-empty static
//!   issuer) the static issuer is not required; instead both `--runtime-issuance-config-map-name` and
//!   `--runtime-issuance-config-map-namespace` must be set (istio-csr exits otherwise: "runtime
//!   configuration parameters for name and namespace are required if no issuerRef is provided on
//!   startup") → error, and the ConfigMap must exist → warning when it is not in the input (error with
//!   `--complete`). A runtime ConfigMap in the input without non-empty `issuer-name`, `issuer-kind`
//!   and `issuer-group` → error (istio-csr ignores it: "missing key/value in ConfigMap data"); its
//!   issuer is resolved like the static one. With a static issuer the ConfigMap is optional (istio-csr
//!   falls back to the static issuer while it is absent).
//! * `--root-ca-file` empty or absent → warning: the root is discovered from the issuer, which the
//!   docs warn enables signer hijacking and makes CA rotation unsafe. A path that is not under any
//!   `volumeMounts[].mountPath` of the container → warning (unless baked into the image, the file
//!   does not exist). Whichever volume type is mounted (Secret, ConfigMap, CSI) is accepted.
//! * dynamic istiod certificate (`--istiod-cert-enabled=true`): `--istiod-cert-duration` < 1h → error
//!   (cert-manager rejects the Certificate), `--istiod-cert-renew-before` ≥ duration → error
//!   (istio-csr exits: "renew-before … must be smaller than the requested duration"), < 5m → error.
//!
//! Condition on the static istiod Certificate (chart `certificate.yaml`: a Certificate writing
//! `istiod-tls`, whether or not istio-csr is in the input): `duration` (default 2160h) < 1h → error,
//! `renewBefore` ≥ duration → error. CM004 validates every Certificate the same way; here the message
//! adds what it means for istiod.
//!
//! Conditions on the Istio side, only when istio-csr is in the input (an IstioOperator whose CA
//! address names istio-csr is also checked for `ENABLE_CA_SERVER`):
//! * `ENABLE_CA_SERVER` not `"false"` (Go `strconv.ParseBool`; unparsable values keep the default
//!   `true`) → error ("Required changes include setting ENABLE_CA_SERVER to false"): read from the
//!   istiod Deployment (container `discovery`, image `…pilot…`) env, and from an IstioOperator
//!   (`install.istio.io/v1alpha1`) that installs istiod (`spec.components.pilot.k8s.env[]`,
//!   `spec.values.pilot.env.ENABLE_CA_SERVER`; skipped for `components.pilot.enabled: false` and the
//!   `empty`/`remote` profiles).
//! * the CA address proxies use is absent or does not name istio-csr → error: an IstioOperator's
//!   `spec.meshConfig.defaultConfig.proxyMetadata.CA_ADDR` or else `spec.values.global.caAddress`; a
//!   rendered sidecar injector ConfigMap (`istio-sidecar-injector[-rev]`, `data.values` JSON
//!   `global.caAddress`, unless the mesh ConfigMap `istio[-rev]` sets `proxyMetadata.CA_ADDR`); an
//!   explicit `CA_ADDR` env of an Istio proxy container (`args[0] == proxy`, e.g. gateways). The host
//!   must be one of istio-csr's `--serving-certificate-dns-names` (istio-agent verifies the serving
//!   certificate against it); the port must be 443 (the chart's Service port) unless the istio-csr
//!   Service in the input exposes it (warning when that Service is not in the input).
//! * IstioOperator `spec.meshConfig.trustDomain` (default `cluster.local`) ≠ istio-csr
//!   `--trust-domain` → error (istio-csr rejects every CSR whose SPIFFE ID is outside its trust
//!   domain; the install guide: "you'll need to ensure that value is repeated").
//!
//! Not guessed: when neither an istiod Deployment nor an IstioOperator (nor a rendered injector
//! ConfigMap / proxy) is in the input, the Istio-side conditions are skipped — Helm `values.yaml`
//! files are not Kubernetes objects. Values that are unrendered templates are skipped. The absence of
//! CertificateRequests is never reported: istio-csr deletes them after issuance (RULES.md §9.27).

use std::collections::HashMap;

use crate::load::node::pointer;
use crate::load::{Limits, Node, parse_stream};
use crate::model::certmanager::{self, IssuerRef, IssuerType, Resolution, issuer_type};
use crate::model::{Inventory, ObjId, ObjRef, Object, Settings, pod_template_of};
use crate::rules::cm::cm002::qualified;
use crate::rules::cm::duration::{NS_PER_HOUR, NS_PER_MINUTE, parse_go_duration_signed};
use crate::rules::{
    BuiltinRule, Finding, KindSet, Severity, WORKLOAD_KINDS, missing_phrase, missing_severity,
    unrendered,
};

/// Registration.
pub const RULE: BuiltinRule = BuiltinRule {
    id: "EW005",
    kinds,
    check,
};

const ID: &str = "EW005";

/// Istio's install API group (IstioOperator).
const OPERATOR_GROUP: &str = "install.istio.io";

fn kinds(_: &Settings) -> Vec<KindSet> {
    vec![
        WORKLOAD_KINDS,
        certmanager::KINDS,
        &[
            ("", "ConfigMap"),
            ("", "Service"),
            (OPERATOR_GROUP, "IstioOperator"),
        ],
    ]
}

/// Defaults of the istio-csr binary (ICSR `cmd/app/options/options.go`).
const DEFAULT_CERT_NS: &str = "istio-system";
const DEFAULT_ISSUER_NAME: &str = "istio-ca";
const DEFAULT_ISSUER_KIND: &str = "Issuer";
const DEFAULT_DNS_NAME: &str = "cert-manager-istio-csr.cert-manager.svc";
const DEFAULT_TRUST_DOMAIN: &str = "cluster.local";
/// The chart's `service.port`: what `caAddress` dials.
const SERVICE_PORT: i64 = 443;

/// istio-csr flags that take no value (`--flag` alone means true).
const BOOL_FLAGS: &[&str] = &[
    "issuer-enabled",
    "istiod-cert-enabled",
    "preserve-certificate-requests",
    "enable-client-cert-authenticator",
    "disable-kubernetes-client-rate-limiter",
];

const ROOT_CA_HELP: &str = "Export the issuing root CA and mount it into istio-csr (e.g. a Secret volume), then set `--root-ca-file` (chart: `app.tls.rootCAFile`, `volumes`, `volumeMounts`); rotate it on your own schedule.";

/// One occurrence of a flag: its value and the pointer of the argument holding it.
#[derive(Clone, Debug, PartialEq)]
struct Flag {
    value: String,
    ptr: String,
}

/// An istio-csr container and its flags.
struct IstioCsr<'a> {
    obj: ObjId,
    /// Pointer of the container inside the workload.
    cptr: String,
    container: &'a Node,
    flags: HashMap<String, Vec<Flag>>,
}

impl IstioCsr<'_> {
    /// The last occurrence of a flag.
    fn last(&self, name: &str) -> Option<&Flag> {
        self.flags.get(name).and_then(|v| v.last())
    }

    /// The value of a string flag, or its default.
    fn string<'s>(&'s self, name: &str, default: &'s str) -> &'s str {
        self.last(name).map_or(default, |f| f.value.as_str())
    }

    /// Where to point for a flag: the argument, or the container's `args` when the default applies.
    fn ptr(&self, name: &str) -> String {
        match self.last(name) {
            Some(f) => f.ptr.clone(),
            None if self.container.get("args").is_some() => format!("{}/args", self.cptr),
            None => self.cptr.clone(),
        }
    }

    /// Go `strconv.ParseBool` of a bool flag; `Err(flag)` when it does not parse.
    fn bool(&self, name: &str, default: bool) -> Result<bool, &Flag> {
        match self.last(name) {
            None => Ok(default),
            Some(f) => crate::rules::material::go_bool(&f.value).ok_or(f),
        }
    }

    /// `--serving-certificate-dns-names` (a pflag string slice: every occurrence, comma-separated).
    fn dns_names(&self) -> Vec<String> {
        match self.flags.get("serving-certificate-dns-names") {
            None => vec![DEFAULT_DNS_NAME.to_string()],
            Some(all) => all
                .iter()
                .flat_map(|f| f.value.split(','))
                .map(|s| s.trim().trim_end_matches('.').to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect(),
        }
    }
}

/// Path from a workload's root to its pod template (`metadata` + `spec`).
fn template_path(obj: &Object) -> &'static [&'static str] {
    match obj.id.kind.as_str() {
        "Pod" => &[],
        "CronJob" => &["spec", "jobTemplate", "spec", "template"],
        _ => &["spec", "template"],
    }
}

/// Containers (init containers included) of a workload with their pointers.
fn workload_containers(obj: &Object) -> Vec<(String, &Node)> {
    let Some(tpl) = pod_template_of(obj) else {
        return Vec::new();
    };
    let base = pointer(template_path(obj));
    let mut out = Vec::new();
    for list in ["initContainers", "containers"] {
        for (i, c) in tpl
            .path(&["spec", list])
            .map_or(&[][..], Node::items)
            .iter()
            .enumerate()
        {
            out.push((format!("{base}/spec/{list}/{i}"), c));
        }
    }
    out
}

/// Parse pflag-style long flags from `command` and `args`.
fn parse_flags(container: &Node, cptr: &str) -> HashMap<String, Vec<Flag>> {
    let mut map: HashMap<String, Vec<Flag>> = HashMap::new();
    for list in ["command", "args"] {
        let items = container.get(list).map_or(&[][..], Node::items);
        let mut i = 0;
        while i < items.len() {
            let ptr = format!("{cptr}/{list}/{i}");
            let text = items[i].scalar_text().unwrap_or("");
            i += 1;
            let Some(rest) = text.strip_prefix("--") else {
                continue;
            };
            let (name, value, ptr) = if let Some((n, v)) = rest.split_once('=') {
                (n, v.to_string(), ptr)
            } else if BOOL_FLAGS.contains(&rest) {
                (rest, "true".to_string(), ptr)
            } else if let Some(next) = items.get(i) {
                // pflag takes the next argument as the value of a non-boolean flag.
                let v = next.scalar_text().unwrap_or("").to_string();
                let p = format!("{cptr}/{list}/{i}");
                i += 1;
                (rest, v, p)
            } else {
                continue;
            };
            map.entry(name.to_string())
                .or_default()
                .push(Flag { value, ptr });
        }
    }
    map
}

/// Every istio-csr container of the input.
fn find_istio_csr(inv: &Inventory) -> Vec<IstioCsr<'_>> {
    let mut out = Vec::new();
    for (g, k) in WORKLOAD_KINDS {
        for &w in inv.of_kind(g, k) {
            for (cptr, c) in workload_containers(inv.get(w)) {
                let flags = parse_flags(c, &cptr);
                let by_image = c
                    .get("image")
                    .and_then(Node::scalar_text)
                    .is_some_and(|i| i.contains("cert-manager-istio-csr"));
                let by_args = flags.contains_key("certificate-namespace")
                    && flags.contains_key("issuer-name");
                if by_image || by_args {
                    out.push(IstioCsr {
                        obj: w,
                        cptr,
                        container: c,
                        flags,
                    });
                }
            }
        }
    }
    out.sort_by_key(|c| c.obj);
    out
}

fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    let csrs = find_istio_csr(inv);
    for csr in &csrs {
        check_issuer(inv, csr, out);
        check_root_ca(csr, out);
        check_dynamic_istiod_cert(csr, out);
    }
    check_istiod_certificates(inv, out);
    check_istio_side(inv, &csrs, out);
}

/// Where an issuer reference comes from, for pointers and wording.
struct RefSource {
    obj: ObjId,
    name_ptr: String,
    kind_ptr: String,
    /// "`--issuer-name`/`--issuer-kind`/`--issuer-group`" or "runtime ConfigMap `ns/name`".
    what: String,
}

/// Issuer conditions (static issuer, runtime configuration, ACME).
fn check_issuer(inv: &Inventory, csr: &IstioCsr, out: &mut Vec<Finding>) {
    let enabled = match csr.bool("issuer-enabled", true) {
        Ok(b) => b,
        Err(f) => {
            if !unrendered(&f.value) {
                out.push(Finding::new(
                    ID,
                    Severity::Error,
                    csr.obj,
                    f.ptr.clone(),
                    format!("`--issuer-enabled={}` is not a boolean: istio-csr exits at startup (flag parse error)", f.value),
                ).help("Use `--issuer-enabled=true` or `--issuer-enabled=false`."));
            }
            return;
        }
    };
    let cert_ns = csr.string("certificate-namespace", DEFAULT_CERT_NS);
    let name = csr.string("issuer-name", DEFAULT_ISSUER_NAME);
    let kind = csr.string("issuer-kind", DEFAULT_ISSUER_KIND);
    let group = csr.string("issuer-group", certmanager::GROUP);
    if [cert_ns, name, kind, group].iter().any(|v| unrendered(v)) {
        return;
    }
    let mut static_issuer = enabled;
    if enabled {
        let parts = [
            ("issuer-name", name),
            ("issuer-kind", kind),
            ("issuer-group", group),
        ];
        let empty: Vec<&str> = parts
            .iter()
            .filter(|(_, v)| v.is_empty())
            .map(|(k, _)| *k)
            .collect();
        if empty.len() == parts.len() {
            static_issuer = false;
        } else if let Some(first) = empty.first() {
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    csr.obj,
                    csr.ptr(first),
                    format!(
                        "{} empty while the other issuer flags are set: istio-csr exits at startup (\"issuerRef.{} is a required field if any field is set for issuerRef\")",
                        empty.iter().map(|k| format!("`--{k}`")).collect::<Vec<_>>().join(", "),
                        match *first { "issuer-name" => "Name", "issuer-kind" => "Kind", _ => "Group" }
                    ),
                )
                .help("Set `--issuer-name`, `--issuer-kind` and `--issuer-group` together (chart: `app.certmanager.issuer`), or disable the static issuer with `--issuer-enabled=false` and use runtime configuration."),
            );
            return;
        } else {
            let source = RefSource {
                obj: csr.obj,
                name_ptr: csr.ptr("issuer-name"),
                kind_ptr: csr.ptr("issuer-kind"),
                what:
                    "istio-csr's static issuer (`--issuer-name`/`--issuer-kind`/`--issuer-group`)"
                        .to_string(),
            };
            check_ref(inv, csr, cert_ns, (name, kind, group), &source, out);
        }
    }
    let rt_name = csr.string("runtime-issuance-config-map-name", "");
    let rt_ns = csr.string("runtime-issuance-config-map-namespace", "");
    if unrendered(rt_name) || unrendered(rt_ns) {
        return;
    }
    if !static_issuer {
        if rt_name.is_empty() || rt_ns.is_empty() {
            let why = if enabled {
                "`--issuer-name`, `--issuer-kind` and `--issuer-group` are all empty"
            } else {
                "`--issuer-enabled=false` disables the static issuer"
            };
            let missing = if rt_name.is_empty() {
                "runtime-issuance-config-map-name"
            } else {
                "runtime-issuance-config-map-namespace"
            };
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    csr.obj,
                    csr.ptr(missing),
                    format!("{why} but `--{missing}` is empty: istio-csr exits at startup (\"runtime configuration parameters for name and namespace are required if no issuerRef is provided on startup\")"),
                )
                .help("Set `--runtime-issuance-config-map-name` and `--runtime-issuance-config-map-namespace` (chart: `app.runtimeConfiguration.name`), or enable the static issuer (`app.certmanager.issuer.enabled: true`)."),
            );
            return;
        }
        check_runtime(inv, csr, cert_ns, rt_ns, rt_name, true, out);
    } else if !rt_name.is_empty() && !rt_ns.is_empty() {
        check_runtime(inv, csr, cert_ns, rt_ns, rt_name, false, out);
    }
}

/// The runtime issuance ConfigMap: present (keys, issuer) or, when it is the only issuer source,
/// required.
fn check_runtime(
    inv: &Inventory,
    csr: &IstioCsr,
    cert_ns: &str,
    ns: &str,
    name: &str,
    required: bool,
    out: &mut Vec<Finding>,
) {
    let found = inv
        .find("", "ConfigMap", Some(ns), name)
        .or_else(|| inv.find("", "ConfigMap", None, name));
    let Some(cm) = found else {
        if required && !inv.exists("", "ConfigMap", Some(ns), name) {
            out.push(
                Finding::new(
                    ID,
                    missing_severity(inv),
                    csr.obj,
                    csr.ptr("runtime-issuance-config-map-name"),
                    format!(
                        "runtime issuance ConfigMap `{ns}/{name}` {}; with the static issuer disabled istio-csr issues no certificate (and never becomes Ready) until it exists with `issuer-name`, `issuer-kind` and `issuer-group`",
                        missing_phrase(inv)
                    ),
                )
                .help("Create the ConfigMap (chart: `app.runtimeConfiguration.create: true` with `app.runtimeConfiguration.issuer`), or enable the static issuer."),
            );
        }
        return;
    };
    let obj = inv.get(cm);
    let value = |k: &str| {
        obj.root
            .path(&["data", k])
            .and_then(Node::scalar_text)
            .unwrap_or("")
    };
    let (iname, ikind, igroup) = (
        value("issuer-name"),
        value("issuer-kind"),
        value("issuer-group"),
    );
    if [iname, ikind, igroup].iter().any(|v| unrendered(v)) {
        return;
    }
    let missing: Vec<&str> = [
        ("issuer-name", iname),
        ("issuer-kind", ikind),
        ("issuer-group", igroup),
    ]
    .iter()
    .filter(|(_, v)| v.is_empty())
    .map(|(k, _)| *k)
    .collect();
    if !missing.is_empty() {
        let consequence = if required {
            "has no issuer: it issues nothing"
        } else {
            "keeps using its static issuer"
        };
        let ptr = if obj.root.get("data").is_some() {
            pointer(["data"])
        } else {
            String::new()
        };
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                cm,
                ptr,
                format!(
                    "runtime issuance ConfigMap `{}` lacks (non-empty) {}: istio-csr ignores it (\"missing key/value in ConfigMap data\") and {consequence}",
                    qualified(obj.ns(), name),
                    missing.iter().map(|k| format!("`data.{k}`")).collect::<Vec<_>>().join(", ")
                ),
            )
            .help("Set `issuer-name`, `issuer-kind` and `issuer-group` in the ConfigMap's data (all three are required).")
            .related([inv.obj_ref(csr.obj)]),
        );
        return;
    }
    let source = RefSource {
        obj: cm,
        name_ptr: pointer(["data", "issuer-name"]),
        kind_ptr: pointer(["data", "issuer-kind"]),
        what: format!("runtime issuance ConfigMap `{}`", qualified(obj.ns(), name)),
    };
    check_ref(inv, csr, cert_ns, (iname, ikind, igroup), &source, out);
}

/// Resolve the issuer istio-csr signs with (CertificateRequests are created in `cert_ns`).
fn check_ref(
    inv: &Inventory,
    csr: &IstioCsr,
    cert_ns: &str,
    (name, kind, group): (&str, &str, &str),
    source: &RefSource,
    out: &mut Vec<Finding>,
) {
    let r = IssuerRef {
        name: name.to_string(),
        kind: kind.to_string(),
        group: group.to_string(),
        kind_set: true,
        group_set: true,
    };
    let related = |extra: Option<ObjId>| {
        let mut v = Vec::new();
        if source.obj != csr.obj {
            v.push(inv.obj_ref(csr.obj));
        }
        v.extend(extra.map(|e| inv.obj_ref(e)));
        v
    };
    match inv.resolve_issuer(Some(cert_ns), &r) {
        Resolution::Found(id) => {
            if issuer_type(inv.get(id)) == IssuerType::Acme {
                let issuer = inv.get(id);
                out.push(
                    Finding::new(
                        ID,
                        Severity::Error,
                        source.obj,
                        source.name_ptr.clone(),
                        format!(
                            "istio-csr signs with {} `{}`, an ACME issuer: ACME cannot put the SPIFFE URI SANs Istio needs into certificates, so every workload and istiod certificate request fails (\"the ACME issuer will not work\")",
                            issuer.id.kind,
                            qualified(issuer.ns(), &issuer.id.name)
                        ),
                    )
                    .help("Use a CA, Vault or external (e.g. AWS Private CA) issuer that can sign arbitrary SANs; ACME is for public north–south certificates.")
                    .related(related(Some(id))),
                );
            }
        }
        Resolution::Declared | Resolution::UnknownGroup => {}
        Resolution::BadKind => out.push(
            Finding::new(
                ID,
                Severity::Error,
                source.obj,
                source.kind_ptr.clone(),
                format!(
                    "{}: kind `{kind}` is not an issuer kind of group `{group}`; the CertificateRequests istio-csr creates are never signed",
                    source.what
                ),
            )
            .help("Use `Issuer` or `ClusterIssuer` (group `cert-manager.io`), or the kind and group of an external issuer.")
            .related(related(None)),
        ),
        Resolution::Missing => {
            let elsewhere: Vec<ObjId> = if r.namespaced() {
                inv.of_kind(group, kind)
                    .iter()
                    .copied()
                    .filter(|&i| inv.get(i).id.name == name)
                    .collect()
            } else {
                Vec::new()
            };
            if let Some(&other) = elsewhere.iter().find(|&&i| inv.get(i).ns().is_some()) {
                out.push(
                    Finding::new(
                        ID,
                        Severity::Error,
                        source.obj,
                        source.name_ptr.clone(),
                        format!(
                            "{}: {kind} `{name}` is in namespace `{}`, but istio-csr creates its CertificateRequests in `--certificate-namespace` `{cert_ns}` and a namespaced {kind} only signs requests of its own namespace: nothing is issued",
                            source.what,
                            inv.get(other).ns().unwrap_or("")
                        ),
                    )
                    .help(format!("Create the {kind} in namespace `{cert_ns}`, set `--certificate-namespace` (chart: `app.certmanager.namespace`) to the issuer's namespace, or use a ClusterIssuer."))
                    .related(related(Some(other))),
                );
            } else if elsewhere.is_empty() {
                let target = if r.namespaced() {
                    format!("{kind} `{cert_ns}/{name}`")
                } else {
                    format!("{kind} `{name}`")
                };
                out.push(
                    Finding::new(
                        ID,
                        missing_severity(inv),
                        source.obj,
                        source.name_ptr.clone(),
                        format!(
                            "{}: {target} {}; istio-csr issues no certificate (and is not Ready) until it exists",
                            source.what,
                            missing_phrase(inv)
                        ),
                    )
                    .help(format!("Create the issuer (istio-csr's docs bootstrap a CA Issuer `istio-ca` in `{cert_ns}`), or point `app.certmanager.issuer` at an existing one."))
                    .related(related(None)),
                );
            }
        }
    }
}

/// `--root-ca-file`: empty (root discovered from the issuer) or not mounted.
fn check_root_ca(csr: &IstioCsr, out: &mut Vec<Finding>) {
    let path = csr.string("root-ca-file", "").trim();
    if unrendered(path) {
        return;
    }
    if path.is_empty() {
        out.push(
            Finding::new(
                ID,
                Severity::Warning,
                csr.obj,
                csr.ptr("root-ca-file"),
                "`--root-ca-file` is empty: istio-csr discovers the mesh root CA from the issuer's responses; the docs warn this enables signer hijacking and makes rotating the issuing chain unsafe (\"strongly recommended that a root CA bundle be statically defined\")",
            )
            .help(ROOT_CA_HELP),
        );
        return;
    }
    let mounted = csr
        .container
        .get("volumeMounts")
        .map_or(&[][..], Node::items)
        .iter()
        .filter_map(|m| m.get("mountPath").and_then(Node::scalar_text))
        .any(|m| {
            let m = m.trim_end_matches('/');
            path == m || path.starts_with(&format!("{m}/"))
        });
    if !mounted {
        out.push(
            Finding::new(
                ID,
                Severity::Warning,
                csr.obj,
                csr.ptr("root-ca-file"),
                format!("`--root-ca-file={path}` is not under any `volumeMounts[].mountPath` of this container: unless the image contains the file, istio-csr cannot load the root CA"),
            )
            .help("Mount the root CA (a Secret, ConfigMap or CSI volume) at the directory of `--root-ca-file` (chart: `volumes`, `volumeMounts`)."),
        );
    }
}

/// A Go duration flag in nanoseconds; `None` when unparsable or unrendered.
fn duration_flag(csr: &IstioCsr, name: &str, default: i64) -> Option<i64> {
    match csr.last(name) {
        None => Some(default),
        Some(f) if unrendered(&f.value) => None,
        Some(f) => parse_go_duration_signed(f.value.trim()).ok(),
    }
}

/// `--istiod-cert-*` when istio-csr creates the istiod Certificate itself.
fn check_dynamic_istiod_cert(csr: &IstioCsr, out: &mut Vec<Finding>) {
    if csr.bool("istiod-cert-enabled", false) != Ok(true) {
        return;
    }
    let duration = duration_flag(csr, "istiod-cert-duration", NS_PER_HOUR);
    let renew = duration_flag(csr, "istiod-cert-renew-before", 30 * NS_PER_MINUTE);
    let shown = |name: &str, default: &str| {
        csr.last(name)
            .map_or(default.to_string(), |f| f.value.trim().to_string())
    };
    if let Some(d) = duration
        && d < NS_PER_HOUR
    {
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                csr.obj,
                csr.ptr("istiod-cert-duration"),
                format!("`--istiod-cert-duration={}` is below cert-manager's minimum of 1h: the istiod Certificate istio-csr creates is rejected and istiod gets no serving certificate", shown("istiod-cert-duration", "1h")),
            )
            .help("Use at least `1h` (chart: `app.tls.istiodCertificateDuration`, default 1h)."),
        );
    }
    if let (Some(d), Some(r)) = (duration, renew) {
        if r >= d {
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    csr.obj,
                    csr.ptr("istiod-cert-renew-before"),
                    format!(
                        "`--istiod-cert-renew-before={}` is not smaller than the istiod certificate duration `{}`: istio-csr exits at startup (\"renew-before … must be smaller than the requested duration\")",
                        shown("istiod-cert-renew-before", "30m"),
                        shown("istiod-cert-duration", "1h")
                    ),
                )
                .help("Renew well before expiry, e.g. duration 1h with renewBefore 30m (chart: `app.tls.istiodCertificateRenewBefore`)."),
            );
        } else if r < 5 * NS_PER_MINUTE {
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    csr.obj,
                    csr.ptr("istiod-cert-renew-before"),
                    format!("`--istiod-cert-renew-before={}` is below cert-manager's minimum of 5m: the istiod Certificate istio-csr creates is rejected", shown("istiod-cert-renew-before", "30m")),
                )
                .help("Use at least `5m` (chart default 30m)."),
            );
        }
    }
}

/// A Certificate duration field in nanoseconds: `Some(default)` when absent, `None` when unreadable.
fn cert_duration(node: Option<&Node>, default: Option<i64>) -> Option<Option<i64>> {
    match node {
        None => Some(default),
        Some(n) if n.is_null() => Some(default),
        Some(n) => {
            let text = n.scalar_text()?;
            if unrendered(text) {
                return None;
            }
            parse_go_duration_signed(text.trim()).ok().map(Some)
        }
    }
}

/// The static istiod Certificate (writes `istiod-tls`).
fn check_istiod_certificates(inv: &Inventory, out: &mut Vec<Finding>) {
    for &c in inv.of_kind(certmanager::GROUP, "Certificate") {
        let obj = inv.get(c);
        if obj.root.str_at(&["spec", "secretName"]) != Some("istiod-tls") {
            continue;
        }
        let spec = obj.spec();
        let Some(Some(duration)) = cert_duration(
            spec.and_then(|s| s.get("duration")),
            Some(2160 * NS_PER_HOUR),
        ) else {
            continue;
        };
        let text = |k: &str| {
            spec.and_then(|s| s.get(k))
                .and_then(Node::scalar_text)
                .unwrap_or("")
                .to_string()
        };
        if duration < NS_PER_HOUR {
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    c,
                    pointer(["spec", "duration"]),
                    format!("istiod Certificate (Secret `istiod-tls`) requests `duration: {}`, below cert-manager's minimum of 1h: the Certificate is rejected and istiod never gets the serving certificate istio-csr setups mount", text("duration")),
                )
                .help("Use at least `1h` (istio-csr chart: `app.tls.istiodCertificateDuration`, default 1h, renewBefore 30m)."),
            );
            continue;
        }
        if let Some(Some(renew)) = cert_duration(spec.and_then(|s| s.get("renewBefore")), None)
            && renew >= duration
        {
            let d = text("duration");
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    c,
                    pointer(["spec", "renewBefore"]),
                    format!(
                        "istiod Certificate (Secret `istiod-tls`): `renewBefore: {}` is not smaller than the duration ({}): cert-manager rejects the Certificate and istiod gets no serving certificate",
                        text("renewBefore"),
                        if d.is_empty() { "default 2160h".to_string() } else { format!("`{d}`") }
                    ),
                )
                .help("Keep renewBefore below the duration (istio-csr chart: 1h with renewBefore 30m)."),
            );
        }
    }
}

/// Which installs run istiod, and how they configure the CA.
fn check_istio_side(inv: &Inventory, csrs: &[IstioCsr], out: &mut Vec<Finding>) {
    let names: Option<Vec<String>> = if csrs.is_empty() {
        None
    } else {
        let all: Vec<String> = csrs.iter().flat_map(IstioCsr::dns_names).collect();
        (!all.iter().any(|n| unrendered(n))).then_some(all)
    };
    let related: Vec<ObjRef> = csrs.iter().map(|c| inv.obj_ref(c.obj)).collect();
    for &op in inv.of_kind(OPERATOR_GROUP, "IstioOperator") {
        check_operator(inv, op, csrs, names.as_deref(), &related, out);
    }
    if csrs.is_empty() {
        return;
    }
    for (g, k) in WORKLOAD_KINDS {
        for &w in inv.of_kind(g, k) {
            for (cptr, c) in workload_containers(inv.get(w)) {
                check_container(inv, w, &cptr, c, names.as_deref(), &related, out);
            }
        }
    }
    if let Some(names) = &names {
        for &cm in inv.of_kind("", "ConfigMap") {
            check_injector_config(inv, cm, names, &related, out);
        }
    }
}

/// An env entry's literal value by name: (index, value node).
fn env_value<'a>(env: Option<&'a Node>, name: &str) -> Option<(usize, Option<&'a Node>)> {
    env.map_or(&[][..], Node::items)
        .iter()
        .enumerate()
        .rev()
        .find(|(_, e)| e.get("name").and_then(Node::scalar_text) == Some(name))
        .map(|(i, e)| (i, e.get("value")))
}

const CA_SERVER_HELP: &str = "Set `ENABLE_CA_SERVER` to `\"false\"` on istiod (IstioOperator `spec.components.pilot.k8s.env`, Helm `pilot.env.ENABLE_CA_SERVER`): with istio-csr, cert-manager is the mesh CA.";

/// Whether an `ENABLE_CA_SERVER` value disables the CA server (istio reads it with
/// `strconv.ParseBool`; an unparsable value keeps the default `true`).
fn ca_server_disabled(value: &str) -> bool {
    crate::rules::material::go_bool(value.trim()) == Some(false)
}

/// An IstioOperator: ENABLE_CA_SERVER, caAddress, trust domain.
fn check_operator(
    inv: &Inventory,
    op: ObjId,
    csrs: &[IstioCsr],
    names: Option<&[String]>,
    related: &[ObjRef],
    out: &mut Vec<Finding>,
) {
    let obj = inv.get(op);
    let Some(spec) = obj.spec() else {
        return;
    };
    let proxy_ca = spec.path(&["meshConfig", "defaultConfig", "proxyMetadata", "CA_ADDR"]);
    let global_ca = spec.path(&["values", "global", "caAddress"]);
    let (ca_node, ca_ptr) = match (
        proxy_ca.and_then(Node::scalar_text),
        global_ca.and_then(Node::scalar_text),
    ) {
        (Some(_), _) => (
            proxy_ca,
            pointer([
                "spec",
                "meshConfig",
                "defaultConfig",
                "proxyMetadata",
                "CA_ADDR",
            ]),
        ),
        (None, Some(_)) => (
            global_ca,
            pointer(["spec", "values", "global", "caAddress"]),
        ),
        (None, None) => (None, String::new()),
    };
    let ca = ca_node.and_then(Node::scalar_text).unwrap_or("").trim();
    let intent = ca.contains("istio-csr");
    if csrs.is_empty() && !intent {
        return;
    }
    // ENABLE_CA_SERVER on an operator that installs istiod.
    let profile = spec
        .get("profile")
        .and_then(Node::scalar_text)
        .unwrap_or("");
    let installs_istiod = match spec
        .path(&["components", "pilot", "enabled"])
        .and_then(Node::as_bool)
    {
        Some(b) => b,
        None => !matches!(profile, "empty" | "remote"),
    };
    if installs_istiod {
        let env = spec.path(&["components", "pilot", "k8s", "env"]);
        let in_k8s = env_value(env, "ENABLE_CA_SERVER");
        let in_values = spec.path(&["values", "pilot", "env", "ENABLE_CA_SERVER"]);
        let mut disabled = false;
        let mut problem: Option<(String, String)> = None;
        if let Some((i, v)) = in_k8s {
            match v.and_then(Node::scalar_text) {
                Some(t) if ca_server_disabled(t) => disabled = true,
                Some(t) if unrendered(t) => return,
                Some(t) => {
                    problem = Some((
                        pointer([
                            "spec",
                            "components",
                            "pilot",
                            "k8s",
                            "env",
                            &i.to_string(),
                            "value",
                        ]),
                        format!("`ENABLE_CA_SERVER: \"{t}\"`"),
                    ))
                }
                None => disabled = true, // valueFrom: not knowable here.
            }
        }
        if let Some(v) = in_values.and_then(Node::scalar_text) {
            if ca_server_disabled(v) {
                disabled = true;
            } else if unrendered(v) {
                return;
            } else {
                problem.get_or_insert((
                    pointer(["spec", "values", "pilot", "env", "ENABLE_CA_SERVER"]),
                    format!("`values.pilot.env.ENABLE_CA_SERVER: {v}`"),
                ));
            }
        }
        if !disabled {
            let (ptr, what) = problem.unwrap_or_else(|| {
                let ptr = if env.is_some() {
                    pointer(["spec", "components", "pilot", "k8s", "env"])
                } else {
                    pointer(["spec"])
                };
                (ptr, "no `ENABLE_CA_SERVER` (default `true`)".to_string())
            });
            out.push(
                Finding::new(
                    ID,
                    Severity::Error,
                    op,
                    ptr,
                    format!("this IstioOperator installs istiod with {what} while istio-csr is the mesh CA: istiod keeps running its own CA server (\"Required changes include setting ENABLE_CA_SERVER to false\")"),
                )
                .help(CA_SERVER_HELP)
                .related(related.iter().cloned()),
            );
        }
    }
    // caAddress and trust domain: only against istio-csr in the input.
    let Some(names) = names else {
        return;
    };
    if unrendered(ca) {
        return;
    }
    let ptr = if ca_node.is_some() {
        ca_ptr
    } else if spec.path(&["values", "global"]).is_some() {
        pointer(["spec", "values", "global"])
    } else {
        pointer(["spec"])
    };
    if let Some((sev, why)) = ca_address_problem(inv, ca, names) {
        out.push(
            Finding::new(ID, sev, op, ptr, format!("IstioOperator {why}"))
                .help(ca_help(names))
                .related(related.iter().cloned()),
        );
    }
    let td_node = spec.path(&["meshConfig", "trustDomain"]);
    let td = td_node
        .and_then(Node::scalar_text)
        .unwrap_or(DEFAULT_TRUST_DOMAIN);
    if unrendered(td) {
        return;
    }
    for csr in csrs {
        let csr_td = csr.string("trust-domain", DEFAULT_TRUST_DOMAIN);
        if unrendered(csr_td) || csr_td == td {
            continue;
        }
        let ptr = if td_node.is_some() {
            pointer(["spec", "meshConfig", "trustDomain"])
        } else {
            pointer(["spec"])
        };
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                op,
                ptr,
                format!(
                    "mesh trust domain `{td}`{} differs from istio-csr's `--trust-domain={csr_td}`: istio-csr rejects every CSR whose SPIFFE ID is outside its trust domain",
                    if td_node.is_none() { " (default)" } else { "" }
                ),
            )
            .help("Use the same trust domain in `meshConfig.trustDomain` and istio-csr's `app.tls.trustDomain`.")
            .related([inv.obj_ref(csr.obj)]),
        );
    }
}

fn ca_help(names: &[String]) -> String {
    format!(
        "Point the proxies at istio-csr: `global.caAddress: {}:{SERVICE_PORT}` (one of istio-csr's `--serving-certificate-dns-names`, chart `app.tls.certificateDNSNames`).",
        names.first().map_or(DEFAULT_DNS_NAME, String::as_str)
    )
}

/// What is wrong with a CA address given istio-csr's serving DNS names: (severity, sentence without
/// subject), or `None` when it names istio-csr.
fn ca_address_problem(inv: &Inventory, ca: &str, names: &[String]) -> Option<(Severity, String)> {
    let listed = names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if ca.is_empty() {
        return Some((
            Severity::Error,
            format!(
                "sets no CA address (`global.caAddress` / `CA_ADDR`): proxies request workload certificates from istiod (`istiod.<istio namespace>.svc:15012`), not from istio-csr ({listed})"
            ),
        ));
    }
    let (host, port) = match ca.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            (h, p.parse::<i64>().ok())
        }
        _ => (ca, None),
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if !names.contains(&host) {
        return Some((
            Severity::Error,
            format!(
                "CA address `{ca}` does not name istio-csr: istio-agent verifies the CA's serving certificate against `{host}`, but istio-csr's certificate covers only {listed} (`--serving-certificate-dns-names`), so workloads get no certificates"
            ),
        ));
    }
    let port = port.unwrap_or(SERVICE_PORT);
    if port == SERVICE_PORT {
        return None;
    }
    // A Service in the input decides the port.
    let mut labels = host.split('.');
    let (svc, ns) = (labels.next().unwrap_or(""), labels.next());
    match ns.and_then(|ns| inv.find("", "Service", Some(ns), svc)) {
        Some(s) => {
            let has = inv
                .get(s)
                .root
                .path(&["spec", "ports"])
                .map_or(&[][..], Node::items)
                .iter()
                .any(|p| p.get("port").and_then(Node::as_i64) == Some(port));
            (!has).then(|| {
                (
                    Severity::Error,
                    format!("CA address `{ca}` uses port {port}, which Service `{}/{svc}` does not expose: certificate requests cannot connect", ns.unwrap_or("")),
                )
            })
        }
        None => Some((
            Severity::Warning,
            format!(
                "CA address `{ca}` uses port {port}; istio-csr's Service listens on {SERVICE_PORT} (chart `service.port`) and is not in the input to confirm another port"
            ),
        )),
    }
}

/// istiod (`ENABLE_CA_SERVER`) and Istio proxies (`CA_ADDR`) in workloads.
fn check_container(
    inv: &Inventory,
    w: ObjId,
    cptr: &str,
    c: &Node,
    names: Option<&[String]>,
    related: &[ObjRef],
    out: &mut Vec<Finding>,
) {
    let image = c.get("image").and_then(Node::scalar_text).unwrap_or("");
    let name = c.get("name").and_then(Node::scalar_text).unwrap_or("");
    let env = c.get("env");
    if name == "discovery" && image.contains("pilot") {
        let (ptr, what) = match env_value(env, "ENABLE_CA_SERVER") {
            Some((_, None)) => return, // valueFrom: not knowable here.
            Some((i, Some(v))) => {
                let t = v.scalar_text().unwrap_or("");
                if ca_server_disabled(t) || unrendered(t) {
                    return;
                }
                (
                    format!("{cptr}/env/{i}/value"),
                    format!("`ENABLE_CA_SERVER={t}`"),
                )
            }
            None => (
                if env.is_some() {
                    format!("{cptr}/env")
                } else {
                    cptr.to_string()
                },
                "no `ENABLE_CA_SERVER` (default `true`)".to_string(),
            ),
        };
        out.push(
            Finding::new(
                ID,
                Severity::Error,
                w,
                ptr,
                format!("istiod runs with {what} while istio-csr is the mesh CA: istiod keeps running its own CA server (\"Required changes include setting ENABLE_CA_SERVER to false\")"),
            )
            .help(CA_SERVER_HELP)
            .related(related.iter().cloned()),
        );
        return;
    }
    let is_proxy = c
        .get("args")
        .and_then(|a| a.items().first())
        .and_then(Node::scalar_text)
        == Some("proxy");
    let Some(names) = names.filter(|_| is_proxy) else {
        return;
    };
    let Some((i, Some(v))) = env_value(env, "CA_ADDR") else {
        return;
    };
    let ca = v.scalar_text().unwrap_or("").trim();
    if unrendered(ca) {
        return;
    }
    if let Some((sev, why)) = ca_address_problem(inv, ca, names) {
        out.push(
            Finding::new(
                ID,
                sev,
                w,
                format!("{cptr}/env/{i}/value"),
                format!("Istio proxy `{name}`: {why}"),
            )
            .help(ca_help(names))
            .related(related.iter().cloned()),
        );
    }
}

/// A rendered sidecar injector ConfigMap (`istio-sidecar-injector[-rev]`): `values` JSON
/// `global.caAddress`, unless the mesh ConfigMap sets `proxyMetadata.CA_ADDR`.
fn check_injector_config(
    inv: &Inventory,
    cm: ObjId,
    names: &[String],
    related: &[ObjRef],
    out: &mut Vec<Finding>,
) {
    let obj = inv.get(cm);
    let Some(rev) = obj.id.name.strip_prefix("istio-sidecar-injector") else {
        return;
    };
    let Some(values) = obj
        .root
        .path(&["data", "values"])
        .and_then(Node::scalar_text)
    else {
        return;
    };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(values) else {
        return;
    };
    let mut ca = json
        .pointer("/global/caAddress")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("")
        .trim()
        .to_string();
    let mut subject = format!("sidecar injector ConfigMap `{}`", obj.id.name);
    let mut target = (cm, pointer(["data", "values"]));
    let mesh_name = format!("istio{rev}");
    if let Some(mesh) = inv.find("", "ConfigMap", obj.ns(), &mesh_name)
        && let Some(text) = inv
            .get(mesh)
            .root
            .path(&["data", "mesh"])
            .and_then(Node::scalar_text)
    {
        let stream = parse_stream(text, Limits::default());
        let proxy_ca = stream.documents.first().and_then(|d| {
            d.root
                .path(&["defaultConfig", "proxyMetadata", "CA_ADDR"])
                .and_then(Node::scalar_text)
                .map(|s| s.trim().to_string())
        });
        if let Some(p) = proxy_ca {
            ca = p;
            subject = format!("mesh ConfigMap `{mesh_name}` (`proxyMetadata.CA_ADDR`)");
            target = (mesh, pointer(["data", "mesh"]));
        }
    }
    if unrendered(&ca) {
        return;
    }
    if let Some((sev, why)) = ca_address_problem(inv, &ca, names) {
        out.push(
            Finding::new(ID, sev, target.0, target.1, format!("{subject} {why}"))
                .help(ca_help(names))
                .related(related.iter().cloned()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::run_check;

    const CSR: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: cert-manager-istio-csr, namespace: cert-manager}\nspec:\n  template:\n    spec:\n      containers:\n      - name: csr\n        image: quay.io/jetstack/cert-manager-istio-csr:v0.14.0\n        args: [ARGS]\n        volumeMounts: [{name: root-ca, mountPath: /var/run/secrets/istio-csr}]\n";
    const ISSUER: &str = "---\napiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: istio-ca, namespace: istio-system}\nspec: {ca: {secretName: istio-ca}}\n";

    fn run(args: &str, rest: &str) -> Vec<Finding> {
        let yaml = format!("{}{rest}", CSR.replace("ARGS", args));
        run_check(check, &yaml, Settings::default())
    }

    fn messages(f: &[Finding]) -> Vec<String> {
        f.iter()
            .map(|f| format!("{:?} {} {}", f.severity, f.pointer, f.message))
            .collect()
    }

    const ROOT: &str = "--root-ca-file=/var/run/secrets/istio-csr/ca.pem";

    #[test]
    fn flag_parsing_forms() {
        let node = Inventory::from_yaml(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    command: [csr, --issuer-enabled]\n    args: [--issuer-name, other, \"--serving-certificate-dns-names=a.b.svc,c.d.svc\", --serving-certificate-dns-names=E.f.svc., --certificate-namespace=x, --certificate-namespace=y]\n",
            Settings::default(),
        );
        let obj = node.get(0);
        let (cptr, c) = workload_containers(obj).remove(0);
        assert_eq!(cptr, "/spec/containers/0");
        let flags = parse_flags(c, &cptr);
        let csr = IstioCsr {
            obj: 0,
            cptr,
            container: c,
            flags,
        };
        assert_eq!(csr.bool("issuer-enabled", false), Ok(true));
        assert_eq!(csr.string("issuer-name", ""), "other");
        assert_eq!(
            csr.last("issuer-name").unwrap().ptr,
            "/spec/containers/0/args/1"
        );
        assert_eq!(csr.string("certificate-namespace", ""), "y");
        assert_eq!(csr.dns_names(), ["a.b.svc", "c.d.svc", "e.f.svc"]);
        assert_eq!(csr.ptr("trust-domain"), "/spec/containers/0/args");
        assert_eq!(crate::rules::material::go_bool("F"), Some(false));
        assert_eq!(crate::rules::material::go_bool("no"), None);
    }

    #[test]
    fn default_issuer_resolves_in_istio_system() {
        let f = run(ROOT, ISSUER);
        assert!(f.is_empty(), "{:?}", messages(&f));
        // Same issuer, other certificate namespace: error naming both namespaces.
        let f = run(
            &format!("{ROOT}, --certificate-namespace=mesh-certs"),
            ISSUER,
        );
        assert_eq!(f.len(), 1, "{:?}", messages(&f));
        assert_eq!(f[0].severity, Severity::Error);
        assert!(f[0].message.contains("`istio-system`") && f[0].message.contains("`mesh-certs`"));
        // Missing entirely: warning (partial input), error when complete.
        let f = run(ROOT, "");
        assert_eq!(f[0].severity, Severity::Warning);
        let settings = Settings {
            complete: true,
            ..Settings::default()
        };
        let f = run_check(check, &CSR.replace("ARGS", ROOT), settings);
        assert_eq!(f[0].severity, Severity::Error);
    }

    #[test]
    fn clusterissuer_external_and_acme() {
        let ci = "---\napiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: mesh}\nspec: {acme: {server: https://acme.example/dir}}\n";
        let f = run(
            &format!("{ROOT}, --issuer-kind=ClusterIssuer, --issuer-name=mesh"),
            ci,
        );
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("ACME"), "{:?}", messages(&f));
        // External issuer groups are not validated.
        let f = run(
            &format!(
                "{ROOT}, --issuer-kind=AWSPCAClusterIssuer, --issuer-group=awspca.cert-manager.io, --issuer-name=pca"
            ),
            "",
        );
        assert_eq!(
            f.len(),
            1,
            "missing AWS PCA issuer is reported: {:?}",
            messages(&f)
        );
        let f = run(
            &format!("{ROOT}, --issuer-kind=VaultIssuer, --issuer-group=vault.example.io"),
            "",
        );
        assert!(f.is_empty(), "{:?}", messages(&f));
        // A non-issuer kind of cert-manager.io.
        let f = run(&format!("{ROOT}, --issuer-kind=Certificate"), "");
        assert!(f[0].message.contains("not an issuer kind"));
    }

    #[test]
    fn runtime_configuration() {
        // Disabled static issuer without runtime flags: startup failure.
        let f = run(&format!("{ROOT}, --issuer-enabled=false"), "");
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.contains("exits at startup"),
            "{:?}",
            messages(&f)
        );
        // With runtime flags and no ConfigMap in the input: warning.
        let args = format!(
            "{ROOT}, --issuer-enabled=false, --runtime-issuance-config-map-name=istio-issuer, --runtime-issuance-config-map-namespace=cert-manager"
        );
        let f = run(&args, "");
        assert_eq!(f[0].severity, Severity::Warning, "{:?}", messages(&f));
        // ConfigMap with an incomplete issuer.
        let cm = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio-issuer, namespace: cert-manager}\ndata: {issuer-name: istio-ca, issuer-kind: Issuer}\n";
        let f = run(&args, cm);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.contains("`data.issuer-group`"),
            "{:?}",
            messages(&f)
        );
        // Complete ConfigMap, issuer present: nothing (the static Issuer is not required).
        let cm = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio-issuer, namespace: cert-manager}\ndata: {issuer-name: istio-ca, issuer-kind: Issuer, issuer-group: cert-manager.io}\n";
        let f = run(&args, &format!("{cm}{ISSUER}"));
        assert!(f.is_empty(), "{:?}", messages(&f));
        // Static issuer enabled and the optional runtime ConfigMap absent: nothing more.
        let f = run(
            &format!(
                "{ROOT}, --runtime-issuance-config-map-name=x, --runtime-issuance-config-map-namespace=cert-manager"
            ),
            ISSUER,
        );
        assert!(f.is_empty(), "{:?}", messages(&f));
        // Partly empty static issuer.
        let f = run(&format!("{ROOT}, --issuer-kind="), ISSUER);
        assert!(
            f[0].message.contains("issuerRef.Kind"),
            "{:?}",
            messages(&f)
        );
    }

    #[test]
    fn root_ca_file() {
        let f = run("--certificate-namespace=istio-system", ISSUER);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(f[0].message.contains("signer hijacking"));
        let f = run("--root-ca-file=/etc/tls/ca.pem", ISSUER);
        assert!(f[0].message.contains("not under any"), "{:?}", messages(&f));
    }

    #[test]
    fn dynamic_istiod_certificate() {
        let f = run(
            &format!("{ROOT}, --istiod-cert-enabled=true, --istiod-cert-duration=30m"),
            ISSUER,
        );
        assert_eq!(f.len(), 2, "{:?}", messages(&f));
        let f = run(
            &format!(
                "{ROOT}, --istiod-cert-enabled=true, --istiod-cert-duration=2h, --istiod-cert-renew-before=1m"
            ),
            ISSUER,
        );
        assert!(f[0].message.contains("minimum of 5m"), "{:?}", messages(&f));
        let f = run(
            &format!("{ROOT}, --istiod-cert-enabled=false, --istiod-cert-duration=30m"),
            ISSUER,
        );
        assert!(f.is_empty());
    }

    #[test]
    fn ca_address_matching() {
        let inv = Inventory::default();
        let names = vec![DEFAULT_DNS_NAME.to_string()];
        assert!(
            ca_address_problem(&inv, "cert-manager-istio-csr.cert-manager.svc:443", &names)
                .is_none()
        );
        assert!(
            ca_address_problem(&inv, "Cert-Manager-Istio-Csr.cert-manager.svc.", &names).is_none()
        );
        let (s, m) = ca_address_problem(
            &inv,
            "cert-manager-istio-csr.cert-manager.svc.cluster.local:443",
            &names,
        )
        .unwrap();
        assert_eq!(s, Severity::Error);
        assert!(m.contains("does not name istio-csr"));
        let (s, _) =
            ca_address_problem(&inv, "cert-manager-istio-csr.cert-manager.svc:8443", &names)
                .unwrap();
        assert_eq!(s, Severity::Warning);
        assert!(ca_address_problem(&inv, "", &names).is_some());
    }

    #[test]
    fn injector_configmap_and_mesh_proxy_metadata() {
        let injector = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio-sidecar-injector, namespace: istio-system}\ndata:\n  values: '{\"global\": {\"caAddress\": \"\"}}'\n";
        let f = run(ROOT, &format!("{ISSUER}{injector}"));
        assert_eq!(f.len(), 1, "{:?}", messages(&f));
        assert_eq!(f[0].pointer, "/data/values");
        let mesh = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |\n    defaultConfig:\n      proxyMetadata:\n        CA_ADDR: cert-manager-istio-csr.cert-manager.svc:443\n";
        let f = run(ROOT, &format!("{ISSUER}{injector}{mesh}"));
        assert!(f.is_empty(), "{:?}", messages(&f));
    }

    #[test]
    fn operator_without_istio_csr_is_checked_only_with_intent() {
        let op = "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nmetadata: {name: x}\nspec:\n  values: {global: {caAddress: cert-manager-istio-csr.cert-manager.svc:443}}\n";
        let f = run_check(check, op, Settings::default());
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("ENABLE_CA_SERVER"));
        let plain = "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nmetadata: {name: x}\nspec: {profile: demo}\n";
        assert!(run_check(check, plain, Settings::default()).is_empty());
        // values.pilot.env form, unquoted boolean.
        let op2 = "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nmetadata: {name: x}\nspec:\n  values: {global: {caAddress: cert-manager-istio-csr.cert-manager.svc:443}, pilot: {env: {ENABLE_CA_SERVER: false}}}\n";
        assert!(run_check(check, op2, Settings::default()).is_empty());
    }
}
