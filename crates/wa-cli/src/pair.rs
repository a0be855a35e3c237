//! `wa pair`: links a new companion device to a WhatsApp account from the terminal. Each
//! pairing QR code is drawn with Unicode half blocks (redrawn as the server rotates them)
//! until the phone scans one; the new device's credentials go into the data directory's
//! store, then the command prints the paired JID and exits.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context as _};
use data_encoding::BASE64;
use qrcode::render::unicode::Dense1x2;
use qrcode::QrCode;
use wa_noise::{CertVerifier, PublicKey};
use wa_session::{Event, Session, SessionConfig};
use wa_store::StoreHandle;

/// WhatsApp's WebSocket endpoint.
const WHATSAPP_URL: &str = "wss://web.whatsapp.com/ws/chat";

/// How long the first login of the new device may take once paired.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(30);

/// `wa pair`'s options.
#[derive(Debug, clap::Args)]
pub(crate) struct PairArgs {
    /// Data directory: the new device's keys are saved in `wa.db` in it (created if
    /// missing; the same file `wa serve` uses).
    #[arg(long, value_name = "DIR", env = "WA_DATA")]
    data: PathBuf,
    /// The server's WebSocket URL: WhatsApp by default, or a simulator's (`wa sim` prints
    /// it as "WebSocket URL").
    #[arg(long, visible_alias = "sim-url", value_name = "URL", env = "WA_URL", default_value = WHATSAPP_URL)]
    url: String,
    /// Trust this root public key (hex or base64, as `wa sim` prints it) for the server's
    /// certificate instead of WhatsApp's. Needed with a simulator's --url.
    #[arg(long, value_name = "KEY", env = "WA_ROOT")]
    root: Option<String>,
}

/// Pairs a device; returns once it is paired and logged in.
pub(crate) fn run(args: &PairArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(pair(args))
}

/// A 32-byte key in hex or base64.
fn parse_root(text: &str) -> anyhow::Result<PublicKey> {
    let text = text.trim();
    let bytes = hex::decode(text)
        .ok()
        .or_else(|| BASE64.decode(text.as_bytes()).ok())
        .context("--root is neither hex nor base64")?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("--root must be 32 bytes"))?;
    Ok(PublicKey::from_bytes(bytes))
}

/// `text` as a QR code in Unicode half blocks (two modules a character, dark on light).
fn render_qr(text: &str) -> anyhow::Result<String> {
    let code = QrCode::new(text.as_bytes()).context("the pairing code does not fit a QR code")?;
    Ok(code
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

async fn pair(args: &PairArgs) -> anyhow::Result<()> {
    let verifier = match &args.root {
        Some(root) => CertVerifier::new(parse_root(root)?),
        None => CertVerifier::whatsapp(),
    };
    std::fs::create_dir_all(&args.data)
        .with_context(|| format!("cannot create {}", args.data.display()))?;
    let path = wa_gateway::db::db_path(&args.data);
    let store = StoreHandle::open(&path)
        .await
        .with_context(|| format!("cannot open the store {}", path.display()))?;
    let config = SessionConfig::new(args.url.as_str(), verifier);
    let (pairing, mut events) = Session::pair(config, store)
        .await
        .context("cannot start pairing")?;
    let mut out = std::io::stdout().lock();
    let mut paired = None;
    let mut shown = 0u32;
    while let Some(event) = events.recv().await {
        match event {
            Event::Qr { code } => {
                shown += 1;
                // Clears the screen when redrawing so the new code replaces the old one.
                if shown > 1 {
                    write!(out, "\x1b[2J\x1b[H")?;
                }
                writeln!(out, "{}", render_qr(code.as_str())?)?;
                writeln!(
                    out,
                    "Scan with WhatsApp on your phone: Settings, Linked devices, Link a device."
                )?;
                writeln!(out, "QR text: {}", code.as_str())?;
                out.flush()?;
            }
            Event::Paired { jid, device, .. } => {
                paired = Some((jid, device));
                writeln!(out, "Scanned; logging in...")?;
                out.flush()?;
            }
            Event::PairingFailed { reason } => bail!("pairing failed: {reason}"),
            Event::Connected { .. } => break,
            _ => {}
        }
    }
    let Some((jid, device)) = paired else {
        bail!("the pairing ended without a device");
    };
    let session = tokio::time::timeout(LOGIN_TIMEOUT, pairing.session())
        .await
        .context("the new device did not log in in time")?
        .context("the new device did not log in")?;
    session.stop();
    writeln!(out, "Paired: {jid}")?;
    writeln!(out, "Device {} saved in {}", device.get(), path.display())?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn root_keys_parse_from_hex_and_base64_and_nothing_else() {
        let key = [7u8; 32];
        let hex_form = hex::encode(key);
        let base64_form = BASE64.encode(&key);
        assert_eq!(parse_root(&hex_form).unwrap().as_bytes(), &key);
        assert_eq!(parse_root(&base64_form).unwrap().as_bytes(), &key);
        assert!(parse_root("abcd").is_err());
        assert!(parse_root("not a key!").is_err());
    }

    #[test]
    fn the_qr_is_drawn_in_half_blocks() {
        let drawn = render_qr("2@abc,def,ghi,jkl").unwrap();
        assert!(drawn.contains('▀') || drawn.contains('▄'));
        assert!(drawn.lines().count() > 10);
    }
}
