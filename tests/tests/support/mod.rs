//! Test helpers: start Runway on port 0 against a fresh database of either backend.
//!
//! Each test gets its own database: a temporary SQLite file, or a new Postgres database created on the
//! server named by `RUNWAY_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`) and
//! dropped again when the test's [`TestApp`] is dropped.

pub mod fakes;
pub mod oidc;

use runway_core::config::Settings;
use runway_core::state::Runway;
use runway_server::startup::Application;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs one async test body on both backends: `both_backends!(name)` turns `async fn name(Backend)`
/// into the tests `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::support::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::support::Backend::Postgres).await
                }
            }
        )*
    };
}

pub fn postgres_admin_url() -> String {
    std::env::var("RUNWAY_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// The shipped demo catalogue.
pub fn demo_catalog() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../catalog")
}

/// A fresh, empty database for one test; dropped (Postgres) or deleted (SQLite) afterwards.
pub struct TestDb {
    pub url: String,
    pg_name: Option<String>,
    _dir: tempfile::TempDir,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => TestDb {
                url: format!("sqlite://{}", dir.path().join("runway.db").display()),
                pg_name: None,
                _dir: dir,
            },
            Backend::Postgres => {
                use sqlx::Connection;
                let name = format!("runway_test_{}", uuid::Uuid::new_v4().simple());
                let admin = postgres_admin_url();
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("cannot reach the test Postgres at {admin}: {e}"));
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                TestDb {
                    url: format!("{base}/{name}"),
                    pg_name: Some(name),
                    _dir: dir,
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        // Drop runs outside async code, so use a small runtime on a helper thread.
        let admin = postgres_admin_url();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async move {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&admin).await.ok()?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
                    .ok()
            })
        })
        .join();
    }
}

/// A running Runway server for one test.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub runway: Runway,
    serving: Serving,
    // Last: dropped (the Postgres database dropped) after the server has stopped.
    _db: TestDb,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// Forgets every cookie (Runway's and the provider's), like a fresh browser profile.
    pub fn new_browser(&mut self) {
        self.client = browser_client();
    }

    /// Signs in as a development demo user (`dana`, `lee`, `sam`, `ada`): the session cookie is kept
    /// by this app's client for later requests.
    pub async fn sign_in(&self, login: &str) {
        let resp = self
            .client
            .post(self.url("/auth/dev-login"))
            .header("origin", &self.address)
            .form(&[("login", login), ("next", "/")])
            .send()
            .await
            .expect("dev sign-in request");
        assert_eq!(resp.status(), 303, "dev sign-in as {login} redirects home");
    }

    /// A POST from Runway's own origin, as its pages send them.
    pub async fn post_form(&self, path: &str, body: &str) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("origin", &self.address)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_string())
            .send()
            .await
            .expect("request")
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let resp = self.get(path).await;
        let status = resp.status().as_u16();
        (status, resp.text().await.expect("body"))
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(self) {
        self.serving.stop().await;
    }
}

/// A second `serve` process on a [`TestApp`]'s database and settings: a replica behind a load
/// balancer.
pub struct Replica {
    pub address: String,
    serving: Serving,
}

impl TestApp {
    /// Starts a replica of this server (same database, same settings, its own port).
    pub async fn replica(&self) -> Replica {
        let mut settings = (*self.runway.settings).clone();
        settings.listen = "127.0.0.1:0".parse().expect("addr");
        let (address, _, serving) = serve(settings).await;
        Replica { address, serving }
    }
}

impl Replica {
    /// Stops the replica gracefully and waits for it.
    pub async fn stop(self) {
        self.serving.stop().await;
    }
}

/// A server running on its own task.
struct Serving {
    shutdown: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<()>,
}

impl Serving {
    async fn stop(self) {
        let _ = self.shutdown.send(());
        let _ = self.server.await;
    }
}

/// Builds Runway with `settings` and serves it on a task: its address, its state, its handle.
async fn serve(settings: Settings) -> (String, Runway, Serving) {
    let app = Application::build(settings)
        .await
        .expect("application builds");
    let address = format!("http://{}", app.address());
    let runway = app.runway().clone();
    let (shutdown, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let _ = app
            .run(async move {
                let _ = rx.await;
            })
            .await;
    });
    (address, runway, Serving { shutdown, server })
}

/// Settings for a test: port 0, a temporary data directory, the given catalogue and database.
pub fn test_settings(db: &TestDb, catalog_dir: &Path) -> Settings {
    let mut s = Settings::load(None, Vec::<(String, String)>::new()).expect("default settings");
    s.listen = "127.0.0.1:0".parse().expect("addr");
    s.database_url = db.url.clone();
    s.catalog_dir = catalog_dir.to_path_buf();
    s.data_dir = std::env::temp_dir().join("runway-test-data");
    s.database_max_connections = 5;
    // HTTP stories run without background workers; queue tests start their own.
    s.worker.in_process = false;
    s
}

/// A change to the test settings, applied before the server starts.
type Adjust<'a> = Box<dyn FnOnce(&mut Settings) + 'a>;

/// How a test starts Runway: `TestApp::spawn(backend)` for the demo catalogue with default test
/// settings, or `TestApp::builder(backend)` with `.with_*()` options for anything else.
pub struct TestAppBuilder<'a> {
    backend: Backend,
    catalog_dir: PathBuf,
    adjust: Vec<Adjust<'a>>,
    provider: Option<&'a oidc::Provider>,
}

impl<'a> TestAppBuilder<'a> {
    /// Loads the catalogue from `dir` instead of the shipped demo catalogue.
    pub fn with_catalog(mut self, dir: &Path) -> Self {
        self.catalog_dir = dir.to_path_buf();
        self
    }

    /// Changes the settings after the test defaults ([`test_settings`]) are applied.
    pub fn with_settings(mut self, adjust: impl FnOnce(&mut Settings) + 'a) -> Self {
        self.adjust.push(Box::new(adjust));
        self
    }

    /// Signs in through `provider` (a real OpenID Provider); the provider learns Runway's callback
    /// URL once the server has its port.
    pub fn with_provider(mut self, provider: &'a oidc::Provider) -> Self {
        self.provider = Some(provider);
        self.with_settings(|s| oidc::configure(s, provider))
    }

    /// Creates the test's database and starts the server on it.
    pub async fn spawn(self) -> TestApp {
        let db = TestDb::new(self.backend).await;
        let mut settings = test_settings(&db, &self.catalog_dir);
        for adjust in self.adjust {
            adjust(&mut settings);
        }
        let app = start(db, settings).await;
        if let Some(provider) = self.provider {
            provider.register(&app.address).await;
        }
        app
    }
}

impl TestApp {
    /// Runway on a fresh database of `backend` with the demo catalogue and test settings.
    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::builder(backend).spawn().await
    }

    pub fn builder<'a>(backend: Backend) -> TestAppBuilder<'a> {
        TestAppBuilder {
            backend,
            catalog_dir: demo_catalog(),
            adjust: Vec::new(),
            provider: None,
        }
    }
}

/// Starts Runway with `settings` on the given test database.
async fn start(db: TestDb, settings: Settings) -> TestApp {
    let (address, runway, serving) = serve(settings).await;
    TestApp {
        address,
        client: browser_client(),
        runway,
        serving,
        _db: db,
    }
}

/// An HTTP client that keeps cookies and does not follow redirects (tests follow them explicitly).
pub fn browser_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        // A hung response fails its test in a minute instead of stalling the whole run.
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("client")
}

/// Counts non-overlapping occurrences of `needle`.
pub fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

/// Queue helpers: fast worker settings, draining, and a guard that fails a test leaving jobs behind.
pub mod queue {
    use runway_core::config::WorkerSettings;
    use runway_core::db::jobs;
    use runway_core::db::Db;
    use std::time::Duration;

    /// Worker settings scaled down for tests: short leases, quick polls and backoff.
    pub fn fast_config(concurrency: usize) -> WorkerSettings {
        WorkerSettings {
            concurrency,
            lease: Duration::from_millis(1_500),
            heartbeat: Duration::from_millis(200),
            poll_interval: Duration::from_millis(100),
            grace: Duration::from_millis(500),
            backoff_base: Duration::from_millis(200),
            backoff_max: Duration::from_secs(2),
            completion_batch: 500,
            prefetch: 0,
            ..WorkerSettings::default()
        }
    }

    /// Waits until the queue is empty (every job finished), or panics after `limit`.
    pub async fn drain(db: &Db, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let left = jobs::count(db).await.expect("count jobs");
            if left == 0 {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{left} jobs still queued or running after {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Fails the test if jobs are left in the queue when it ends (a test must drain what it starts).
    pub struct QueueCheck(pub Db);

    impl Drop for QueueCheck {
        fn drop(&mut self) {
            if std::thread::panicking() {
                return;
            }
            let db = self.0.clone();
            let left = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                rt.block_on(jobs::count(&db)).ok()
            })
            .join()
            .ok()
            .flatten();
            assert_eq!(left, Some(0), "the test left jobs in the queue");
        }
    }
}
