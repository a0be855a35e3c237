//! The built-in scenarios, whose transcripts are checked in under `fixtures/transcripts/`.
//!
//! Every one has Alice (our account), Bob and Carol; our device is a companion of Alice.

use std::time::Duration;

use wa_binary::Jid;
use wa_session::content::MessageId;
use wa_session::receive::{MessageReceived, ReceiveEvent};
use wa_session::send::TargetRef;
use wa_sim::{AddressingMode, Simulator};

use crate::driver::Driver;
use crate::error::{Error, Result};
use crate::scenario::{Scenario, ScriptFuture, World};

/// Every built-in scenario, in the order `wa record --all` records them.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "pairing",
        about: "pairs a new device by QR from an empty store, then logs it in",
        seed: 101,
        setup: people_unpaired,
        script: pairing,
    },
    Scenario {
        name: "login",
        about: "logs a stored device in: prekey count and upload, active",
        seed: 102,
        setup: people,
        script: login,
    },
    Scenario {
        name: "react-1to1",
        about: "Bob's phone writes; we react, change the reaction and remove it",
        seed: 103,
        setup: people,
        script: react_one_to_one,
    },
    Scenario {
        name: "revoke-1to1",
        about: "we write to Bob and revoke our message",
        seed: 104,
        setup: people,
        script: revoke_one_to_one,
    },
    Scenario {
        name: "group-react",
        about: "Bob writes in a LID group; our first group send is a reaction with sender-key distribution",
        seed: 105,
        setup: lid_group,
        script: group_react,
    },
    Scenario {
        name: "admin-revoke",
        about: "Bob writes in our group; we revoke his message as its admin",
        seed: 106,
        setup: pn_group,
        script: admin_revoke,
    },
    Scenario {
        name: "retry-receipt",
        about: "Bob's phone fails to decrypt our message, sends a retry receipt, and we resend",
        seed: 107,
        setup: people,
        script: retry_receipt,
    },
];

/// The built-in scenario called `name`.
///
/// ```
/// assert_eq!(wa_replay::scenario("login").unwrap().name, "login");
/// assert!(wa_replay::scenario("nope").is_err());
/// ```
///
/// # Errors
/// [`Error::UnknownScenario`].
pub fn scenario(name: &str) -> Result<&'static Scenario> {
    SCENARIOS
        .iter()
        .find(|scenario| scenario.name == name)
        .ok_or_else(|| Error::UnknownScenario(name.to_owned()))
}

/// Alice, Bob and Carol, with our device not yet paired.
fn people_unpaired(sim: &Simulator) -> Result<World> {
    let mut world = World::default();
    for (name, phone) in [
        ("alice", "15550001111"),
        ("bob", "15550002222"),
        ("carol", "15550003333"),
    ] {
        let account = sim.create_account(Some(phone))?;
        world.names.insert(name.to_owned(), account.jid);
        world.names.insert(format!("{name}_lid"), account.lid);
    }
    Ok(world)
}

/// Alice, Bob and Carol, our device a companion of Alice.
fn people(sim: &Simulator) -> Result<World> {
    let mut world = people_unpaired(sim)?;
    world.companion_of = world.names.get("alice").cloned();
    Ok(world)
}

/// A group of the three in `mode`, created by `creator`, named `group`.
fn group(sim: &Simulator, creator: &str, mode: AddressingMode) -> Result<World> {
    let mut world = people(sim)?;
    let name = |key: &str| {
        world
            .names
            .get(key)
            .cloned()
            .ok_or(wa_sim::Error::UnknownAccount)
    };
    let creator = name(creator)?;
    let members: Vec<Jid> = ["alice", "bob", "carol"]
        .into_iter()
        .map(name)
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|member| *member != creator)
        .collect();
    let group = sim.create_group("replay", &creator, &members, mode)?;
    world.names.insert("group".to_owned(), group);
    Ok(world)
}

fn lid_group(sim: &Simulator) -> Result<World> {
    group(sim, "bob", AddressingMode::Lid)
}

fn pn_group(sim: &Simulator) -> Result<World> {
    group(sim, "alice", AddressingMode::Pn)
}

fn pairing(d: &mut Driver) -> ScriptFuture<'_> {
    Box::pin(async move { d.pair("alice").await })
}

fn login(d: &mut Driver) -> ScriptFuture<'_> {
    Box::pin(async move { d.login().await })
}

/// While recording, the phone of `from` writes `text` to `chat`; in both modes the engine's
/// report of it, once the exchange (receipt, ack) settled.
async fn phone_writes(
    d: &mut Driver,
    from: &str,
    chat: &str,
    text: &str,
) -> Result<MessageReceived> {
    let (from, chat) = (d.jid(from)?, d.jid(chat)?);
    if let Some(sim) = d.simulator() {
        sim.send_text(&from, &chat, text)?;
    }
    let ReceiveEvent::Message(message) = d.incoming().await? else {
        return Err(Error::Engine("expected a plain message".to_owned()));
    };
    d.settle().await?;
    Ok(message)
}

fn react_one_to_one(d: &mut Driver) -> ScriptFuture<'_> {
    Box::pin(async move {
        d.login().await?;
        let message = phone_writes(d, "bob", "alice", "hello alice").await?;
        let (bob, session) = (d.jid("bob")?, d.session()?);
        let target = TargetRef::theirs(message.id, None);
        for emoji in ["👍", "❤️"] {
            d.call("a reaction", session.react(&bob, &target, emoji))
                .await?;
            d.settle().await?;
        }
        d.call("the reaction's removal", session.unreact(&bob, &target))
            .await?;
        d.settle().await
    })
}

fn revoke_one_to_one(d: &mut Driver) -> ScriptFuture<'_> {
    Box::pin(async move {
        d.login().await?;
        let (bob, session) = (d.jid("bob")?, d.session()?);
        let sent = d
            .call("a text", session.send_text(&bob, "hello bob"))
            .await?;
        d.settle().await?;
        let target = TargetRef::mine(sent.message_id);
        d.call("the revoke", session.revoke(&bob, &target)).await?;
        d.settle().await
    })
}

fn group_react(d: &mut Driver) -> ScriptFuture<'_> {
    Box::pin(async move {
        d.login().await?;
        let message = phone_writes(d, "bob", "group", "hello group").await?;
        let (group, session) = (d.jid("group")?, d.session()?);
        let target = TargetRef::theirs(message.id, Some(message.author.to_non_ad()));
        d.call("a group reaction", session.react(&group, &target, "🔥"))
            .await?;
        d.settle().await
    })
}

fn admin_revoke(d: &mut Driver) -> ScriptFuture<'_> {
    Box::pin(async move {
        d.login().await?;
        let message = phone_writes(d, "bob", "group", "revoke me").await?;
        let (group, session) = (d.jid("group")?, d.session()?);
        let target = TargetRef::theirs(message.id, Some(message.author.to_non_ad()));
        d.call("an admin revoke", session.revoke(&group, &target))
            .await?;
        d.settle().await
    })
}

fn retry_receipt(d: &mut Driver) -> ScriptFuture<'_> {
    Box::pin(async move {
        d.login().await?;
        let (bob, session) = (d.jid("bob")?, d.session()?);
        if let Some(sim) = d.simulator() {
            sim.fail_next_decrypts(&bob, 1)?;
        }
        let sent = d
            .call("a text", session.send_text(&bob, "are you there"))
            .await?;
        if let Some(sim) = d.simulator() {
            decrypted_by(sim, &bob, &sent.message_id).await?;
        }
        d.settle().await
    })
}

/// Waits (recording only) until the phone of `account` decrypted `id`: after the retry.
async fn decrypted_by(sim: &Simulator, account: &Jid, id: &MessageId) -> Result<()> {
    for _ in 0..2000 {
        if sim.received(account)?.iter().any(|r| r.id == id.as_str()) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Err(Error::Timeout(format!("{account} to decrypt the resend")))
}
