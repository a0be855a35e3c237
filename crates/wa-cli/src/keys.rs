//! `wa keys create`: a new API key of an organization, its token printed as the last line.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use wa_gateway::{create_api_key, Capabilities, OrgId};

/// `wa keys`' subcommands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum KeysCommand {
    /// Create an API key. The token is printed once, as the last line; only its SHA-256 is
    /// stored. Use it as `Authorization: Bearer <token>`.
    Create {
        /// Data directory of the gateway (created if needed).
        #[arg(long, value_name = "DIR", env = "WA_DATA")]
        data: PathBuf,
        /// The organization the key acts for (created if needed): 1 to 64 ASCII letters,
        /// digits, '-', '_' or '.'.
        #[arg(long, value_name = "ORG")]
        org: String,
        /// What the key may do, comma-separated: send (texts, reactions, revokes), read
        /// (status, messages), sessions (create, QR, log out).
        #[arg(long, value_name = "LIST", default_value = "send,read,sessions")]
        capabilities: String,
    },
}

/// Runs a `wa keys` subcommand.
pub(crate) fn run(command: &KeysCommand) -> anyhow::Result<()> {
    let KeysCommand::Create {
        data,
        org,
        capabilities,
    } = command;
    let org = OrgId::new(org)?;
    let capabilities = Capabilities::parse(capabilities)?;
    std::fs::create_dir_all(data).with_context(|| format!("cannot create {}", data.display()))?;
    let path = wa_gateway::db::db_path(data);
    // The engine's store creates the file (0600) and its schema before the gateway tables.
    drop(wa_store::Store::open(&path).context("cannot open the key store")?);
    let conn = wa_gateway::db::open_connection(&path)?;
    let token = create_api_key(&conn, &org, capabilities)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "API key for organization {org} with capabilities {capabilities}:"
    )?;
    writeln!(out, "{}", token.as_str())?;
    Ok(())
}
