//! Putting it together: the data directory's database, the sessions, the router, serving.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use wa_session::SessionConfig;
use wa_store::StoreHandle;

use crate::auth::{Authenticator, JwksSource, JwtVerifier};
use crate::db::{self, Db};
use crate::debounce::{Debouncer, DEFAULT_WINDOW};
use crate::error::Result;
use crate::metrics::Metrics;
use crate::ratelimit::RateLimiter;
use crate::routes::{self, AppState};
use crate::sessions::SessionManager;
use crate::sink::{EventSink, NoopSink};

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
    /// Where events go (webhooks).
    pub sink: Arc<dyn EventSink>,
}

impl GatewayConfig {
    /// Defaults: no JWKS, 100 requests a minute, a 200 ms debounce, no event sink.
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
        }
    }
}

/// A gateway: its sessions started and its router ready to serve.
#[derive(Debug)]
pub struct Gateway {
    manager: SessionManager,
    router: Router,
    metrics: Arc<Metrics>,
}

impl Gateway {
    /// Opens (creating on first start) `data_dir/wa.db`, loads the JWKS, and starts every
    /// paired session again.
    ///
    /// # Errors
    /// I/O, store and database errors; [`crate::Error::Jwks`] when the JWKS cannot be loaded.
    pub async fn open(config: GatewayConfig) -> Result<Self> {
        std::fs::create_dir_all(&config.data_dir)?;
        let path = db::db_path(&config.data_dir);
        // The engine's store creates the file (0600) and its schema first.
        let store = StoreHandle::open(path.clone()).await?;
        let database = Db::open(path).await?;
        let jwt = match config.jwks {
            Some(source) => Some(Arc::new(JwtVerifier::load(source).await?)),
            None => None,
        };
        let metrics = Arc::new(Metrics::default());
        let manager = SessionManager::new(
            database.clone(),
            store,
            config.session,
            config.sink,
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
        };
        Ok(Self {
            manager,
            router: routes::router(state),
            metrics,
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

    /// Serves HTTP/1 on `listener` until the task is dropped or `shutdown` resolves, then
    /// stops every session.
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
        Ok(served?)
    }
}
