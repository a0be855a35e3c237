//! `wa sim`: runs the simulator standalone and prints how to connect to it and drive it.

use std::io::Write as _;
use std::net::SocketAddr;

use anyhow::Context as _;
use data_encoding::BASE64;
use wa_sim::{RunningSimulator, Simulator};

/// Where `wa sim` listens unless told otherwise: loopback only (the control API has no
/// authentication), on a port no common service uses.
pub(crate) const DEFAULT_LISTEN: &str = "127.0.0.1:8790";

/// The routes, after the options in `wa sim --help`.
pub(crate) const AFTER_HELP: &str = "\
Control API (JSON; errors are {\"error\":{\"code\",\"message\"}}):
  GET    /sim/info                   {ws_url, root_public_key, server_static_key}
  POST   /sim/accounts               {phone?} -> {jid, lid}
  POST   /sim/groups                 {subject, participants, creator?, addressing?} -> {jid}
  GET    /sim/groups/{jid}           metadata
  POST   /sim/groups/{jid}/admins    {participant, admin}
  POST   /sim/devices                {account, noise_key, identity_key, registration_id,
                                      signed_pre_key, pre_keys?} -> {jid, lid, device_identity}
  GET    /sim/devices/{jid}          device, with online and waiting
  DELETE /sim/devices/{jid}          remove the device (its next login fails with 401)
  POST   /sim/scan                   {qr, phone?} -> {jid, lid}: a phone scans a pairing QR
  POST   /sim/send                   {from, to, text} -> {id}: a phone sends a text
  POST   /sim/react                  {from, chat, target: {id, from_me, participant?}, emoji}
                                      -> {id} (emoji \"\" removes the reaction)
  POST   /sim/revoke                 {from, chat, target: {id, from_me, participant?}} -> {id}
  GET    /sim/received?jid=J         what J's phone decrypted: [{kind, id, from, chat, sender,
                                      device, timestamp, text?, target?, emoji?, admin?}]
  GET    /sim/receipts?jid=J         receipts J's phone got: [{id, device, chat, kind}]
  POST   /sim/phones/{jid}           {online?, fail_next_decrypts?, lose_sessions?}
  POST   /sim/faults                 {kind, device?, count?, delay_ms?, error?, code?, seed?,
                                      per_mille?}; kind: drop_now, drop_before_routing,
                                      drop_after_routing, delay_acks, withhold_acks,
                                      refuse_messages (code), corrupt_deliveries,
                                      stream_error (error: conflict, device_removed,
                                      restart_required, service_unavailable), random_drops
  POST   /sim/restart                close every connection (state is kept)";

/// `wa sim`'s options.
#[derive(Debug, clap::Args)]
pub(crate) struct SimArgs {
    /// Address to listen on. The WebSocket (`/ws/chat`) and the HTTP control API (`/sim/`)
    /// share it. Port 0 picks a free port (printed). Keep it on loopback: the control API has
    /// no authentication.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_LISTEN)]
    listen: String,
    /// Seed of every key, phone number, LID and group id the simulator draws. The same seed
    /// gives the same root public key, so clients configured to trust it keep working across
    /// restarts.
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u64,
}

/// Starts the simulator, prints the connection details, and serves until Ctrl-C (or SIGTERM).
pub(crate) fn run(args: &SimArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(args))
}

async fn serve(args: &SimArgs) -> anyhow::Result<()> {
    let running = Simulator::new(args.seed)
        .listen(args.listen.as_str())
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    print_banner(&running, args.seed).context("cannot write to stdout")?;
    shutdown_signal().await?;
    running.shutdown();
    Ok(())
}

/// The connection details, then example requests against the control API.
fn print_banner(running: &RunningSimulator, seed: u64) -> std::io::Result<()> {
    let root = running.root_public_key();
    let control = running.control_url();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "wa sim: seed {seed}, listening on {}",
        running.local_addr()
    )?;
    writeln!(out, "WebSocket URL:   {}", running.url())?;
    writeln!(
        out,
        "Root public key: {} (base64)",
        BASE64.encode(root.as_bytes())
    )?;
    writeln!(
        out,
        "                 {} (hex)",
        hex::encode(root.as_bytes())
    )?;
    writeln!(out, "Control API:     {control}")?;
    writeln!(out)?;
    writeln!(out, "Try:")?;
    writeln!(out, "  curl -s {control}info")?;
    writeln!(
        out,
        "  curl -s -d '{{\"phone\":\"15550001111\"}}' {control}accounts"
    )?;
    writeln!(
        out,
        "  curl -s -d '{{\"phone\":\"15550002222\"}}' {control}accounts"
    )?;
    writeln!(
        out,
        "  curl -s -d '{{\"from\":\"15550001111@s.whatsapp.net\",\"to\":\"15550002222@s.whatsapp.net\",\"text\":\"hi\"}}' {control}send"
    )?;
    writeln!(
        out,
        "  curl -s '{control}received?jid=15550002222@s.whatsapp.net'"
    )?;
    writeln!(
        out,
        "  curl -s -d '{{\"subject\":\"Team\",\"participants\":[\"15550001111@s.whatsapp.net\",\"15550002222@s.whatsapp.net\"]}}' {control}groups"
    )?;
    writeln!(
        out,
        "  curl -s -d '{{\"qr\":\"<the QR your client shows>\",\"phone\":\"15550001111@s.whatsapp.net\"}}' {control}scan"
    )?;
    writeln!(
        out,
        "  curl -s -d '{{\"kind\":\"random_drops\",\"seed\":1,\"per_mille\":100}}' {control}faults"
    )?;
    writeln!(out, "  wa sim --help lists every route.")?;
    if !is_loopback(running.local_addr()) {
        writeln!(
            out,
            "Warning: listening beyond loopback; anyone who reaches this port controls the simulator."
        )?;
    }
    writeln!(out)?;
    writeln!(out, "Serving until Ctrl-C.")?;
    out.flush()
}

fn is_loopback(addr: SocketAddr) -> bool {
    addr.ip().is_loopback()
}

/// Resolves on Ctrl-C, or on SIGTERM where there is one.
pub(crate) async fn shutdown_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.context("cannot listen for Ctrl-C"),
            _ = terminate.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c()
            .await
            .context("cannot listen for Ctrl-C")
    }
}
