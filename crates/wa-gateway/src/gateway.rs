//! Putting it together: the data directory's database, the sessions, the router, serving.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use wa_session::SessionConfig;
use wa_store::StoreHandle;
use wa_webhooks::{DeliveryWorker, WebhookStore, WorkerConfig, WorkerHandle};

use crate::auth::{Authenticator, JwksSource, JwtVerifier};
use crate::db::{self, Db};
use crate::debounce::{Debouncer, DEFAULT_WINDOW};
use crate::error::Result;
use crate::metrics::Metrics;
use crate::ratelimit::RateLimiter;
use crate::routes::{self, AppState};
use crate::sessions::SessionManager;
use crate::sink::{EventSink, NoopSink};
use crate::webhook_sink::WebhookSink;

/// The default limit of requests per token and minute.
pub const DEFAULT_RATE_LIMIT: u32 = 100;

/// How a gateway runs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GatewayConfig {
    /// The data directory: `wa.db` in it holds the engine's keys and the gateway's tables.
    pub data_dir: PathBuf,
    /// How sessions connect (server URL, certificate root, timings).
    pub session: SessionConfig,
    /// Where login JWTs' keys come from; `None` accepts API keys only.
    pub jwks: Option<JwksSource>,
    /// Requests per token and minute.
    pub rate_limit: u32,
    /// The reaction debounce window.
    pub debounce: Duration,
    /// Where events go after the webhook queue has taken its kinds.
    pub sink: Arc<dyn EventSink>,
    /// How webhooks are delivered: attempts and backoff, request timeout, concurrency.
    pub webhooks: WorkerConfig,
}

impl GatewayConfig {
    /// Defaults: no JWKS, 100 requests a minute, a 200 ms debounce, no event sink besides
    /// the webhook queue, [`WorkerConfig::default`] for webhook delivery.
    ///
    /// ```
    /// use wa_noise::CertVerifier;
    /// use wa_session::SessionConfig;
    /// let session = SessionConfig::new("wss://web.whatsapp.com/ws/chat", CertVerifier::whatsapp());
    /// let config = wa_gateway::GatewayConfig::new("/var/lib/wa", session);
    /// assert_eq!(config.rate_limit, 100);
    /// ```
    #[must_use]
    pub fn new(data_dir: impl Into<PathBuf>, session: SessionConfig) -> Self {
        Self {
            data_dir: data_dir.into(),
            session,
            jwks: None,
            rate_limit: DEFAULT_RATE_LIMIT,
            debounce: DEFAULT_WINDOW,
            sink: Arc::new(NoopSink),
            webhooks: WorkerConfig::default(),
        }
    }
}

/// A gateway: its sessions started and its router ready to serve.
#[derive(Debug)]
pub struct Gateway {
    manager: SessionManager,
    router: Router,
    metrics: Arc<Metrics>,
    webhooks: WebhookStore,
    worker: WorkerHandle,
}

impl Gateway {
    /// Opens (creating on first start) `data_dir/wa.db`, loads the JWKS, starts the webhook
    /// delivery worker (one per process; it sends what a previous run left queued) and
    /// starts every paired session again.
    ///
    /// # Errors
    /// I/O, store and database errors; [`crate::Error::Jwks`] when the JWKS cannot be loaded;
    /// [`crate::Error::Webhooks`] when the webhook tables cannot be opened.
    pub async fn open(config: GatewayConfig) -> Result<Self> {
        std::fs::create_dir_all(&config.data_dir)?;
        let path = db::db_path(&config.data_dir);
        // The engine's store creates the file (0600) and its schema first.
        let store = StoreHandle::open(path.clone()).await?;
        let database = Db::open(path.clone()).await?;
        let webhooks = tokio::task::spawn_blocking(move || WebhookStore::open(path))
            .await
            .map_err(|_| crate::Error::Closed)??;
        let worker = DeliveryWorker::new(webhooks.clone(), config.webhooks)?.spawn();
        let sink: Arc<dyn EventSink> = Arc::new(WebhookSink::new(webhooks.clone(), config.sink));
        let jwt = match config.jwks {
            Some(source) => Some(Arc::new(JwtVerifier::load(source).await?)),
            None => None,
        };
        let metrics = Arc::new(Metrics::default());
        let manager = SessionManager::new(
            database.clone(),
            store,
            config.session,
            sink,
            Arc::clone(&metrics),
        );
        let started = manager.restore().await?;
        tracing::info!(started, "gateway sessions restored");
        let state = AppState {
            manager: manager.clone(),
            auth: Authenticator::new(database, jwt),
            limiter: Arc::new(RateLimiter::new(config.rate_limit)),
            debouncer: Arc::new(Debouncer::new(config.debounce)),
            metrics: Arc::clone(&metrics),
            webhooks: webhooks.clone(),
        };
        Ok(Self {
            manager,
            router: routes::router(state),
            metrics,
            webhooks,
            worker,
        })
    }

    /// The router (to serve it yourself or nest it).
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// The sessions.
    #[must_use]
    pub const fn manager(&self) -> &SessionManager {
        &self.manager
    }

    /// The metrics.
    #[must_use]
    pub fn metrics(&self) -> Arc<Metrics> {
        Arc::clone(&self.metrics)
    }

    /// The webhook subscriptions and delivery queue.
    #[must_use]
    pub const fn webhooks(&self) -> &WebhookStore {
        &self.webhooks
    }

    /// Serves HTTP/1 on `listener` until the task is dropped or `shutdown` resolves, then
    /// stops every session and the webhook worker (after its requests in flight; what is
    /// still queued is sent by the next start).
    ///
    /// # Errors
    /// I/O errors of the listener.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        let served = axum::serve(listener, self.router.clone())
            .with_graceful_shutdown(shutdown)
            .await;
        self.manager.stop_all();
        self.worker.shutdown().await;
        Ok(served?)
    }
}
