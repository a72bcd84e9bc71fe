//! A local HTTPS Kubernetes API server for tests and benchmarks: serving fixture objects the way
//! kube-apiserver v1.32 does, so that both the real `kubectl` and our kube-rs client can talk to it
//! (tests/apiserver_kubectl.rs proves the former), and accepting server-side apply.
//!
//! - TLS: a server certificate for `127.0.0.1` and `localhost` signed by a fresh CA (`ca_pem`),
//!   HTTP/1.1 (ALPN `http/1.1`), rustls with the ring provider.
//! - Authentication: `Authorization: Bearer <token>` on every request, else 401 `Status`
//!   (reason `Unauthorized`). The token authenticates as user `tester`.
//! - Discovery: `/version`, `/api`, `/apis` (legacy `APIVersions`/`APIGroupList`, or aggregated
//!   `apidiscovery.k8s.io/v2` (or `v2beta1`) `APIGroupDiscoveryList` when the Accept header asks
//!   for it, as kubectl and kube-rs's `Discovery::run_aggregated` do), `/apis/{group}`,
//!   `/api/v1` and `/apis/{group}/{version}` (`APIResourceList`). Built-in resources come from a
//!   fixed table (core, apps, batch, networking, discovery, RBAC, admissionregistration,
//!   apiextensions, apiregistration); each CustomResourceDefinition fixture adds its resource.
//! - Reads: list (`{Kind}List`; items of built-in kinds carry no `kind`/`apiVersion`, as from
//!   kube-apiserver), get, `status` subresource; `limit`/`continue` (opaque token,
//!   `remainingItemCount` when no selector), `labelSelector`, `fieldSelector` (per-kind indexed
//!   fields, 400 for others); objects served with the requested apiVersion; `as=Table`
//!   (columns Name, Age; `includeObject`), `as=PartialObjectMetadata[List]`. Fixture objects get
//!   `uid`, `resourceVersion`, `creationTimestamp` (2025-01-01T00:00:00Z) when they lack them,
//!   namespaced objects without a namespace go to `default`, Secrets default to type `Opaque`,
//!   Namespaces get the `kubernetes.io/metadata.name` label; of duplicates the last fixture wins;
//!   objects of kinds that are not served (no CRD) are dropped. Namespaces are served only as
//!   fixtures (`ServerConfig::with_implicit_namespaces` adds the missing ones).
//! - Writes: server-side apply only — `PATCH` with `Content-Type: application/apply-patch+yaml`
//!   (JSON body, as kube-rs and kubectl send it): creates the object (201) or merges into it (200),
//!   with `fieldManager` (required), `dryRun=All` (nothing stored), `force`, field ownership and
//!   409 conflicts, `managedFields`, `generation`; a namespaced object needs its Namespace (404
//!   otherwise). See `apply.rs` for the exact model. Other patch types are 415; `RequestRecord`
//!   logs `content_type`, `field_manager`, `dry_run` and `force`.
//! - Fake cert-manager controller (`TestApiServer::set_fake_controller`): Issuers, ClusterIssuers
//!   and Certificates applied become Ready after a delay (some names never).
//! - Errors: 404 `NotFound` `Status` (unknown paths, missing objects), 403 `Forbidden` for the
//!   configured resources (message as from RBAC; `forbidden` covers every verb,
//!   `TestApiServer::forbid_writes` only PATCH), 400 `BadRequest`, 405 for methods other than GET
//!   and PATCH, 406 for media types it cannot produce (e.g. protobuf only), 400 for `watch`.
//! - `slow` resources answer after a delay (the request is logged at once). The `timeout` query
//!   parameter is ignored, so client-side deadlines are what ends such requests.
#![allow(dead_code)]

mod apply;
mod handler;
pub(crate) mod resources;
pub(crate) mod selectors;
pub(crate) mod store;

use std::convert::Infallible;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

pub use apply::FakeController;

/// The user name the valid token authenticates as (it appears in Forbidden messages).
pub const USER: &str = "tester";
/// `gitVersion` of `GET /version` (minor 32: the gcloud kubectl dispatcher picks its kubectl
/// binary by the server's minor version).
pub const GIT_VERSION: &str = "v1.32.4";

/// What the server serves.
#[derive(Clone, Debug, Default)]
pub struct ServerConfig {
    /// Objects of any kinds, each with apiVersion/kind/metadata.name.
    pub objects: Vec<serde_json::Value>,
    /// (API group, resource plural): list/get (and apply) answer 403 Forbidden.
    pub forbidden: Vec<(String, String)>,
    /// (API group, resource plural, delay) before list/get answers.
    pub slow: Vec<(String, String, Duration)>,
    /// Cap on the `limit` parameter, to force pagination of clients that send a limit.
    /// Requests without `limit` get everything, as from kube-apiserver.
    pub max_page: Option<usize>,
}

impl ServerConfig {
    pub fn new(objects: Vec<serde_json::Value>) -> ServerConfig {
        ServerConfig {
            objects,
            ..ServerConfig::default()
        }
    }

    pub fn forbid(mut self, group: &str, resource: &str) -> ServerConfig {
        self.forbidden.push((group.into(), resource.into()));
        self
    }

    pub fn slow(mut self, group: &str, resource: &str, delay: Duration) -> ServerConfig {
        self.slow.push((group.into(), resource.into(), delay));
        self
    }

    pub fn max_page(mut self, n: usize) -> ServerConfig {
        self.max_page = Some(n);
        self
    }

    /// Adds a Namespace object for `default` and for every namespace that holds fixtures but has
    /// no Namespace fixture, as a real cluster always has them (kubectl, for one, reports
    /// `namespaces "x" not found` when a get fails in a namespace that does not exist). Without
    /// this the server serves exactly the fixtures.
    pub fn with_implicit_namespaces(mut self) -> ServerConfig {
        self.objects = store::with_namespaces(&self.objects);
        self
    }
}

/// One request the server answered (logged before any `slow` delay).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    pub method: String,
    /// Path as sent (still percent-encoded).
    pub path: String,
    /// Raw query string, "" when none.
    pub query: String,
    pub status: u16,
    /// The Accept header, "" when none.
    pub accept: String,
    /// The Content-Type header, "" when none.
    pub content_type: String,
    /// The `fieldManager` query parameter.
    pub field_manager: Option<String>,
    /// `dryRun=All`.
    pub dry_run: bool,
    /// `force=true`.
    pub force: bool,
}

impl RequestRecord {
    /// The decoded value of a query parameter.
    pub fn param(&self, key: &str) -> Option<String> {
        handler::parse_query(&self.query).remove(key)
    }
}

/// A running server; dropping it stops it.
pub struct TestApiServer {
    /// `https://127.0.0.1:PORT`
    pub url: String,
    /// PEM of the CA that signed the server certificate.
    pub ca_pem: String,
    /// The valid bearer token.
    pub token: String,
    pub addr: SocketAddr,
    shared: Arc<handler::Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TestApiServer {
    /// Starts the server on a free port of 127.0.0.1, on a background thread with its own tokio
    /// runtime. Panics if a fixture lacks apiVersion, kind or metadata.name; of duplicates (same
    /// resource, namespace, name) the last one is served, as if the fixtures were applied in order.
    pub fn start(config: ServerConfig) -> TestApiServer {
        let (ca_pem, cert_der, key_der) = certificates();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let token = format!("tlscheck-test-{:016x}", random_u64());
        let shared = Arc::new(handler::Shared {
            token: token.clone(),
            store: std::sync::RwLock::new(store::Store::new(&config.objects)),
            forbidden: config.forbidden,
            write_forbidden: Mutex::new(Vec::new()),
            controller: Mutex::new(None),
            slow: config.slow,
            max_page: config.max_page,
            log: Mutex::new(Vec::new()),
            address: addr.to_string(),
            aggregated_discovery: std::sync::atomic::AtomicBool::new(true),
        });

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut tls = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![cert_der],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_der)),
            )
            .expect("server certificate");
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = TlsAcceptor::from(Arc::new(tls));

        let (shutdown, shutdown_rx) = oneshot::channel::<()>();
        let (ready, ready_rx) = std::sync::mpsc::channel::<()>();
        let state = shared.clone();
        let thread = std::thread::Builder::new()
            .name(format!("test-apiserver-{}", addr.port()))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("test-apiserver-worker")
                    .enable_all()
                    .build()
                    .expect("tokio runtime");
                rt.block_on(async move {
                    let listener =
                        tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                    tokio::spawn(accept_loop(listener, acceptor, state));
                    let _ = ready.send(());
                    let _ = shutdown_rx.await;
                });
                rt.shutdown_timeout(Duration::from_secs(1));
            })
            .expect("spawn server thread");
        ready_rx.recv().expect("server thread started");

        TestApiServer {
            url: format!("https://{addr}"),
            ca_pem,
            token,
            addr,
            shared,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// A kubeconfig with contexts `test` (valid token, namespace `default`, current) and
    /// `bad-token` (a wrong token: every request is 401), users `tester` and `bad-tester`, and
    /// cluster `test-apiserver` with `certificate-authority-data`.
    pub fn kubeconfig_yaml(&self) -> String {
        let ca = data_encoding::BASE64.encode(self.ca_pem.as_bytes());
        let mut y = String::new();
        let _ = write!(
            y,
            "apiVersion: v1\n\
             kind: Config\n\
             clusters:\n\
             - name: test-apiserver\n  \
               cluster:\n    \
                 server: {url}\n    \
                 certificate-authority-data: {ca}\n\
             users:\n\
             - name: tester\n  \
               user:\n    \
                 token: {token}\n\
             - name: bad-tester\n  \
               user:\n    \
                 token: {bad}\n\
             contexts:\n\
             - name: test\n  \
               context:\n    \
                 cluster: test-apiserver\n    \
                 user: tester\n    \
                 namespace: default\n\
             - name: bad-token\n  \
               context:\n    \
                 cluster: test-apiserver\n    \
                 user: bad-tester\n    \
                 namespace: default\n\
             current-context: test\n\
             preferences: {{}}\n",
            url = self.url,
            token = self.token,
            bad = format_args!("{}-wrong", self.token),
        );
        y
    }

    /// Writes [`TestApiServer::kubeconfig_yaml`] to `path` (creating parent directories).
    pub fn write_kubeconfig(&self, path: &Path) {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("create kubeconfig directory");
        }
        std::fs::write(path, self.kubeconfig_yaml()).expect("write kubeconfig");
    }

    /// Every request answered so far, in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.log.lock().unwrap().clone()
    }

    /// Whether `/api` and `/apis` answer aggregated discovery when the client asks for it (the
    /// default, as kube-apiserver ≥ 1.26); `false` makes them answer only the legacy format, like
    /// an older server, so clients fall back to `/api/v1` and `/apis/{group}/{version}`.
    pub fn set_aggregated_discovery(&self, enabled: bool) {
        self.shared
            .aggregated_discovery
            .store(enabled, std::sync::atomic::Ordering::Relaxed);
    }

    /// Enables the fake cert-manager controller (see `apply.rs`): Issuers, ClusterIssuers and
    /// Certificates created or changed by apply from now on become Ready `controller.delay` later.
    /// (A runtime setting rather than a `ServerConfig` field: tests and benchmarks build
    /// `ServerConfig` with struct literals.)
    pub fn set_fake_controller(&self, controller: FakeController) {
        *self.shared.controller.lock().unwrap() = Some(controller);
    }

    /// Makes server-side apply (PATCH) of a resource answer 403 Forbidden, as for a user who may
    /// read but not patch it. (`ServerConfig::forbid` forbids every verb.)
    pub fn forbid_writes(&self, group: &str, resource: &str) {
        self.shared
            .write_forbidden
            .lock()
            .unwrap()
            .push((group.into(), resource.into()));
    }

    /// The stored object (as the server holds it, with `managedFields` once written by apply),
    /// by `apiVersion` group, kind, namespace ("" for cluster-scoped) and name.
    pub fn object(
        &self,
        group: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Option<serde_json::Value> {
        let mut store = self.shared.store.write().unwrap();
        store.tick(std::time::Instant::now());
        let def = store.registry.by_kind(group, kind)?;
        store.get(def, namespace, name).map(|s| s.object.clone())
    }

    /// Forgets the requests logged so far.
    pub fn clear_requests(&self) {
        self.shared.log.lock().unwrap().clear();
    }
}

impl Drop for TestApiServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    acceptor: TlsAcceptor,
    shared: Arc<handler::Shared>,
) {
    loop {
        let tcp = match listener.accept().await {
            Ok((tcp, _)) => tcp,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let shared = shared.clone();
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let service = service_fn(move |req| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(handler::handle(shared, req).await) }
            });
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                .serve_connection(TokioIo::new(tls), service)
                .await;
        });
    }
}

/// (CA PEM, server certificate DER, server key PKCS#8 DER), fresh for each server.
fn certificates() -> (String, CertificateDer<'static>, Vec<u8>) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "tlscheck test API server CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca_params, ca_key);

    let key = KeyPair::generate().expect("server key");
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .expect("server params");
    params
        .distinguished_name
        .push(DnType::CommonName, "kube-apiserver");
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params.signed_by(&key, &issuer).expect("server certificate");
    (ca_cert.pem(), cert.der().clone(), key.serialize_der())
}

fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}
