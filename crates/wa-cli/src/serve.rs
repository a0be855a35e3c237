//! `wa serve`: the HTTP gateway, optionally with an in-process simulator (`--sim`).

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use wa_gateway::{Gateway, GatewayConfig, JwksSource};
use wa_noise::CertVerifier;
use wa_session::SessionConfig;
use wa_sim::Simulator;

/// WhatsApp's WebSocket endpoint.
const WHATSAPP_URL: &str = "wss://web.whatsapp.com/ws/chat";

/// `wa serve`'s options.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Address the HTTP API listens on.
    #[arg(
        long,
        value_name = "ADDR",
        env = "WA_LISTEN",
        default_value = "127.0.0.1:8080"
    )]
    listen: String,
    /// Data directory: `wa.db` in it (created on first start, mode 0600) holds the sessions'
    /// keys and the gateway's tables (organizations, API keys, sessions, messages,
    /// reactions, idempotency results). Paired sessions start again from it.
    #[arg(long, value_name = "DIR", env = "WA_DATA")]
    data: PathBuf,
    /// Start the local simulator in this process and connect every session to it instead of
    /// WhatsApp. Its /sim/ control API (scan a QR with a simulated phone, see what simulated
    /// contacts received) is served on --sim-listen. The simulator keeps its accounts in
    /// memory: after a restart, sessions paired with the previous one are logged out.
    #[arg(long, env = "WA_SIM")]
    sim: bool,
    /// With --sim: the simulator's address (WebSocket and /sim/ control API).
    #[arg(
        long,
        value_name = "ADDR",
        env = "WA_SIM_LISTEN",
        default_value = "127.0.0.1:8790"
    )]
    sim_listen: String,
    /// Login JWTs: a JWKS file path or an http:// URL. JWTs must be RS256 or EdDSA, carry
    /// `exp`, `org` (the organization) and `role` (admin/owner: send, read, sessions;
    /// member/operator/agent: send, read; viewer/reader: read). Without it only API keys
    /// (`wa keys create`) are accepted.
    #[arg(long, value_name = "FILE|URL", env = "WA_JWKS")]
    jwks: Option<String>,
    /// Requests per minute allowed for each token (a burst of this many, refilled evenly).
    #[arg(long, value_name = "N", env = "WA_RATE_LIMIT", default_value_t = wa_gateway::DEFAULT_RATE_LIMIT)]
    rate_limit: u32,
    /// Reactions to the same message within this many milliseconds are coalesced (the last
    /// one wins).
    #[arg(long, value_name = "MS", env = "WA_DEBOUNCE_MS", default_value_t = 200)]
    debounce_ms: u64,
}

/// Runs the gateway until Ctrl-C or SIGTERM.
pub(crate) fn run(args: &ServeArgs) -> anyhow::Result<()> {
    init_logs();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(args))
}

/// JSON log lines on stderr; `WA_LOG` sets the level (error, warn, info, debug, trace).
fn init_logs() {
    let level = std::env::var("WA_LOG")
        .ok()
        .and_then(|level| level.parse().ok())
        .unwrap_or(tracing::Level::INFO);
    let _ = tracing_subscriber::fmt()
        .json()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let (session, simulator) = if args.sim {
        let running = Simulator::new(0)
            .listen(args.sim_listen.as_str())
            .await
            .with_context(|| format!("cannot start the simulator on {}", args.sim_listen))?;
        let session =
            SessionConfig::new(running.url(), CertVerifier::new(running.root_public_key()));
        (session, Some(running))
    } else {
        (
            SessionConfig::new(WHATSAPP_URL, CertVerifier::whatsapp()),
            None,
        )
    };
    let mut config = GatewayConfig::new(&args.data, session);
    config.jwks = args.jwks.as_deref().map(JwksSource::parse);
    config.rate_limit = args.rate_limit;
    config.debounce = Duration::from_millis(args.debounce_ms);
    let gateway = Gateway::open(config)
        .await
        .with_context(|| format!("cannot open the gateway in {}", args.data.display()))?;
    let listener = tokio::net::TcpListener::bind(args.listen.as_str())
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "wa serve: API on http://{address}/api/v1/ (OpenAPI at http://{address}/openapi.json, metrics at /metrics)")?;
        writeln!(
            out,
            "Data:      {}",
            wa_gateway::db::db_path(&args.data).display()
        )?;
        if let Some(running) = &simulator {
            writeln!(
                out,
                "Simulator: {} (control API {})",
                running.url(),
                running.control_url()
            )?;
        }
        writeln!(out, "Create an API key: wa keys create --data {} --org ORG --capabilities send,read,sessions", args.data.display())?;
        out.flush()?;
    }
    gateway
        .serve(listener, async {
            let _ = crate::sim::shutdown_signal().await;
        })
        .await?;
    drop(simulator);
    Ok(())
}
