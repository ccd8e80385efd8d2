//! Building the application: settings in, a bound server out.
//!
//! [`Application::build`] does everything that can fail before serving: opens the database, applies
//! migrations, loads the catalogue, binds the listener. Binding happens before [`Application::run`],
//! so a test (or a supervisor) knows the port as soon as `build` returns, with no sleeps.

use crate::routes;
use anyhow::Context;
use axum::serve::ListenerExt;
use runway_core::audit::Actor;
use runway_core::auth::oidc::Oidc;
use runway_core::config::Settings;
use runway_core::db::Db;
use runway_core::queue::worker::Worker;
use runway_core::state::Runway;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// A ready-to-run Runway web server.
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    runway: Runway,
    oidc: Option<Arc<Oidc>>,
    metrics: Arc<crate::metrics::Metrics>,
    /// `metrics.listen`, bound with the main listener.
    metrics_listener: Option<TcpListener>,
}

impl Application {
    /// Makes the data directory private, opens the database, migrates it, loads the catalogue and
    /// binds `settings.listen`.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        runway_core::data_dir::prepare(&settings).context("preparing the data directory")?;
        let url = settings.effective_database_url();
        let db = Db::connect(&url, settings.database_max_connections)
            .await
            .context("opening the database")?;
        db.migrate().await.context("applying database migrations")?;
        if settings.auth.dev_mode()
            && !settings.listen.ip().is_loopback()
            && !settings.auth.allow_dev_sign_in_on_network
        {
            anyhow::bail!(
                "refusing development sign-in on the non-loopback address {}: configure an OpenID Provider \
                 (auth.issuer), listen on 127.0.0.1, or set auth.allow_dev_sign_in_on_network = true for a \
                 throwaway demo",
                settings.listen
            );
        }
        let oidc = if settings.auth.dev_mode() {
            tracing::warn!(
                "no OpenID Provider configured: development sign-in with demo users is enabled"
            );
            None
        } else {
            Some(Oidc::new(settings.auth.clone()).context("setting up OpenID Connect")?)
        };
        let runway = Runway::new(settings, db)
            .map_err(|e| anyhow::anyhow!("secrets_key (RUNWAY_SECRETS_KEY): {e}"))?;
        runway
            .reload_catalog(Actor::system())
            .await
            .context("loading the catalogue")?;
        let listener = TcpListener::bind(runway.settings.listen)
            .await
            .with_context(|| format!("binding {}", runway.settings.listen))?;
        let address = listener.local_addr().context("reading the bound address")?;
        let metrics_listener = bind_metrics(&runway.settings).await?;
        Ok(Self {
            listener,
            address,
            runway,
            oidc,
            metrics: crate::metrics::Metrics::new(),
            metrics_listener,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn runway(&self) -> &Runway {
        &self.runway
    }

    /// The address `metrics.listen` bound, when it is set.
    pub fn metrics_address(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests, stops the in-process
    /// workers (within their grace period) and closes the database.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let streams = Arc::new(crate::api::limits::Streams::new(self.runway.db.clone()));
        let stop_workers = tokio_util::sync::CancellationToken::new();
        let router = routes::router(
            self.runway.clone(),
            self.oidc.clone(),
            self.address,
            self.metrics.clone(),
            routes::Lifetime {
                streams: streams.clone(),
                stopping: stop_workers.clone(),
            },
        );
        if let Some(l) = self.metrics_listener {
            tokio::spawn(crate::metrics::serve_separately(
                l,
                self.metrics.clone(),
                self.runway.clone(),
                stop_workers.clone(),
            ));
        }
        let workers = self.runway.settings.worker.in_process.then(|| {
            let worker = Worker::new(
                self.runway.queue.clone(),
                runway_core::requests::run::handlers(&self.runway),
                self.runway.settings.worker.clone(),
            )
            .observed_by(self.metrics.clone());
            tokio::spawn(worker.run(stop_workers.clone()))
        });
        spawn_housekeeping(self.runway.clone(), stop_workers.clone());
        tracing::info!(address = %self.address, url = %format!("http://{}", self.address), "listening");
        let stop = stop_workers.clone();
        // TCP_NODELAY: a response written as headers then body (static files, streamed pages)
        // otherwise waits for the client's delayed ACK, about 40 ms per request.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::trace!(error = %e, "could not set TCP_NODELAY");
            }
        });
        // With the peer's address, which API tokens record as where they were last used.
        let served = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            stop.cancel();
        })
        .await
        .context("serving HTTP");
        stop_workers.cancel();
        if let Some(w) = workers {
            // The worker finishes within its grace period; never let a stuck task hold shutdown.
            let limit = self.runway.settings.worker.grace + std::time::Duration::from_secs(10);
            if tokio::time::timeout(limit, w).await.is_err() {
                tracing::error!("in-process worker did not stop in time; exiting anyway (its jobs will be rescued)");
            }
        }
        streams.close_all().await;
        self.runway.db.close().await;
        tracing::info!("stopped");
        served
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received; shutting down"),
        () = terminate => tracing::info!("SIGTERM received; shutting down"),
    }
}

/// Reloads the catalogue on every SIGHUP, for the life of the process.
pub fn reload_catalog_on_sighup(runway: Runway) {
    #[cfg(unix)]
    tokio::spawn(async move {
        let Ok(mut hangups) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            tracing::warn!("cannot listen for SIGHUP; catalogue reload needs a restart");
            return;
        };
        while hangups.recv().await.is_some() {
            tracing::info!("SIGHUP received; reloading the catalogue");
            if let Err(e) = runway.reload_catalog(Actor::system()).await {
                tracing::error!(error = %e, "catalogue reload failed; keeping the previous catalogue");
            }
        }
    });
    #[cfg(not(unix))]
    let _ = runway;
}

/// Runs [`housekeeping`] every minute until `stop`.
fn spawn_housekeeping(runway: Runway, stop: tokio_util::sync::CancellationToken) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = stop.cancelled() => return,
            }
            housekeeping(&runway, chrono::Utc::now()).await;
        }
    });
}

/// How long a Jira webhook delivery's identifier is remembered. Jira retries a failed delivery
/// for a few hours at most; a week keeps every retry recognised and the table small.
pub const JIRA_DELIVERY_MEMORY: chrono::TimeDelta = chrono::TimeDelta::days(7);

/// One round of housekeeping, as `serve` runs it every minute: secret outputs nobody revealed are
/// deleted after 24 hours, requests waiting for approval longer than `approval_timeout` end as
/// `expired`, Jira delivery identifiers older than [`JIRA_DELIVERY_MEMORY`] are forgotten, and so
/// are the API's rate-limit buckets that are full again.
/// Each step logs its own failure and the others still run.
pub async fn housekeeping(runway: &Runway, now: chrono::DateTime<chrono::Utc>) {
    match runway_core::db::requests::expire_secret_outputs(&runway.db, chrono::Duration::hours(24))
        .await
    {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            outputs = n,
            "unrevealed secret outputs deleted after 24 hours"
        ),
        Err(e) => tracing::warn!(error = %e, "cannot delete expired secret outputs"),
    }
    let max_wait = chrono::Duration::from_std(runway.settings.approval_timeout)
        .unwrap_or(chrono::Duration::days(7));
    match runway_core::db::approvals::expire(&runway.db, now - max_wait).await {
        Ok(ids) if ids.is_empty() => {}
        Ok(ids) => tracing::info!(requests = ?ids, "requests expired waiting for approval"),
        Err(e) => tracing::warn!(error = %e, "cannot expire pending approvals"),
    }
    match runway_core::db::jira::forget_deliveries(&runway.db, now - JIRA_DELIVERY_MEMORY).await {
        Ok(0) => {}
        Ok(n) => tracing::debug!(deliveries = n, "old Jira delivery identifiers forgotten"),
        Err(e) => tracing::warn!(error = %e, "cannot forget old Jira delivery identifiers"),
    }
    if let Err(e) = crate::api::limits::forget_full(&runway.db).await {
        tracing::warn!(error = %e, "cannot forget the API's full rate-limit buckets");
    }
    if let Err(e) = crate::api::limits::forget_expired_streams(&runway.db).await {
        tracing::warn!(error = %e, "cannot forget the API's expired event streams");
    }
}

/// Binds `metrics.listen`, when it is set.
pub async fn bind_metrics(settings: &Settings) -> anyhow::Result<Option<TcpListener>> {
    match settings.metrics.listen {
        None => Ok(None),
        Some(addr) => {
            Ok(Some(TcpListener::bind(addr).await.with_context(|| {
                format!("binding metrics.listen {addr}")
            })?))
        }
    }
}
