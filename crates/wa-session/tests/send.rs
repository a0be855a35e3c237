//! The send path through the session actor against the simulator: texts, reactions, their
//! change and removal, and revokes in one-to-one chats and in PN and LID groups, as the
//! simulated phones decrypt them (and our own phone's device-sent copies); content refused
//! before anything is sent; server refusals; many sends in flight at once.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;
use wa_binary::Jid;
use wa_session::content::MessageId;
use wa_session::send::TargetRef;
use wa_session::{Error, Event, Session};
use wa_sim::{Account, AddressingMode, Received, ReceivedKind, RunningSimulator, Simulator};

mod common;
use common::companion;

struct Setup {
    sim: Simulator,
    _running: RunningSimulator,
    session: Session,
    _events: UnboundedReceiver<Event>,
    alice: Account,
    bob: Account,
    carol: Account,
}

/// Alice's companion, paired from fresh credentials into a store, its session connected.
async fn setup(seed: u64) -> Setup {
    let sim = Simulator::new(seed);
    let alice = sim.create_account(Some("15550001111")).unwrap();
    let bob = sim.create_account(Some("15550002222")).unwrap();
    let carol = sim.create_account(Some("15550003333")).unwrap();
    let running = sim.listen("127.0.0.1:0").await.unwrap();
    let alice1 = companion(&sim, &running, &alice, seed).await;
    Setup {
        sim,
        _running: running,
        session: alice1.session,
        _events: alice1.events,
        alice,
        bob,
        carol,
    }
}

/// What `account`'s phone decrypted with this id, waiting for it; exactly one copy.
async fn received(sim: &Simulator, account: &Jid, id: &MessageId) -> Received {
    for _ in 0..1000 {
        let all = sim.received(account).unwrap();
        let matching: Vec<_> = all.iter().filter(|r| r.id == id.as_str()).collect();
        assert!(matching.len() <= 1, "delivered once: {matching:?}");
        if let Some(found) = matching.first() {
            return (*found).clone();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{account} never decrypted {id}");
}

fn reaction(target: &str, emoji: &str) -> ReceivedKind {
    ReceivedKind::Reaction {
        target: target.to_owned(),
        emoji: emoji.to_owned(),
    }
}

#[tokio::test]
async fn one_to_one_text_react_change_unreact_revoke() {
    let s = setup(11).await;
    let (alice, bob) = (s.alice.jid.clone(), s.bob.jid.clone());

    let sent = s.session.send_text(&bob, "hello bob").await.unwrap();
    assert!(sent.server_timestamp > 0);
    assert!(!sent.replayed);
    // Named by phone number, sent as WhatsApp does to Bob's LID (learned by usync), from our
    // LID, encrypted under the LID addresses.
    let at_bob = received(&s.sim, &bob, &sent.message_id).await;
    assert_eq!(
        (at_bob.from.clone(), at_bob.chat.clone()),
        (s.alice.lid.clone(), s.alice.lid.clone())
    );
    assert_eq!(
        at_bob.kind,
        ReceivedKind::Text {
            text: "hello bob".into()
        }
    );
    let own_copy = received(&s.sim, &alice, &sent.message_id).await;
    assert_eq!(
        own_copy.chat, s.bob.lid,
        "our phone got the device-sent copy"
    );

    // Bob's phone writes by phone number; our reaction goes to his LID but its key names the
    // chat the target was in.
    let theirs = s.sim.send_text(&bob, &alice, "hi alice").unwrap();
    let target = TargetRef::theirs(MessageId::parse(&theirs).unwrap(), None);
    for emoji in ["👍", "❤️"] {
        let sent = s.session.react(&bob, &target, emoji).await.unwrap();
        let at_bob = received(&s.sim, &bob, &sent.message_id).await;
        assert_eq!(at_bob.kind, reaction(&theirs, emoji));
        assert_eq!(at_bob.from, s.alice.lid);
        assert_eq!(at_bob.target_chat.as_ref(), Some(&bob));
        let copy = received(&s.sim, &alice, &sent.message_id).await;
        assert_eq!(
            (copy.chat, copy.kind),
            (s.bob.lid.clone(), reaction(&theirs, emoji))
        );
    }
    // Reacting in the LID chat names the LID chat.
    let by_lid = s.session.react(&s.bob.lid, &target, "🎉").await.unwrap();
    let at_bob = received(&s.sim, &bob, &by_lid.message_id).await;
    assert_eq!(at_bob.target_chat.as_ref(), Some(&s.bob.lid));
    let removed = s.session.unreact(&bob, &target).await.unwrap();
    assert_eq!(
        received(&s.sim, &bob, &removed.message_id).await.kind,
        reaction(&theirs, "")
    );
    assert_eq!(
        received(&s.sim, &alice, &removed.message_id).await.kind,
        reaction(&theirs, "")
    );

    let mine = TargetRef::mine(sent.message_id.clone());
    let revoked = s.session.revoke(&bob, &mine).await.unwrap();
    let expected = ReceivedKind::Revoke {
        target: sent.message_id.as_str().to_owned(),
        admin: false,
    };
    assert_eq!(
        received(&s.sim, &bob, &revoked.message_id).await.kind,
        expected
    );
    assert_eq!(
        received(&s.sim, &alice, &revoked.message_id).await.kind,
        expected
    );
}

#[tokio::test]
async fn a_lid_chat_is_sent_by_lid() {
    let s = setup(12).await;
    let sent = s.session.send_text(&s.bob.lid, "by lid").await.unwrap();
    let at_bob = received(&s.sim, &s.bob.jid, &sent.message_id).await;
    assert_eq!(at_bob.from, s.alice.lid);
    assert_eq!(
        at_bob.kind,
        ReceivedKind::Text {
            text: "by lid".into()
        }
    );
    assert_eq!(
        received(&s.sim, &s.alice.jid, &sent.message_id).await.chat,
        s.bob.lid
    );
}

async fn group_round(mode: AddressingMode, seed: u64) {
    let s = setup(seed).await;
    let lid = mode == AddressingMode::Lid;
    let form = |account: &Account| {
        if lid {
            account.lid.clone()
        } else {
            account.jid.clone()
        }
    };
    let group = s
        .sim
        .create_group(
            "send",
            &s.alice.jid,
            &[s.bob.jid.clone(), s.carol.jid.clone()],
            mode,
        )
        .unwrap();

    let sent = s.session.send_text(&group, "hello group").await.unwrap();
    for account in [&s.bob, &s.carol, &s.alice] {
        let got = received(&s.sim, &account.jid, &sent.message_id).await;
        assert_eq!((got.chat, got.from), (group.clone(), form(&s.alice)));
        assert_eq!(
            got.kind,
            ReceivedKind::Text {
                text: "hello group".into()
            }
        );
    }

    // A reaction to Bob's message; the author is given by phone number and put into the
    // group's form from the member list.
    let theirs = s.sim.send_text(&s.bob.jid, &group, "from bob").unwrap();
    let target = TargetRef::theirs(MessageId::parse(&theirs).unwrap(), Some(s.bob.jid.clone()));
    let reacted = s.session.react(&group, &target, "🔥").await.unwrap();
    for account in [&s.bob, &s.carol] {
        assert_eq!(
            received(&s.sim, &account.jid, &reacted.message_id)
                .await
                .kind,
            reaction(&theirs, "🔥")
        );
    }

    // We created the group, so we are its admin: revoke Bob's message for everyone.
    let revoked = s.session.revoke(&group, &target).await.unwrap();
    for account in [&s.bob, &s.carol] {
        assert_eq!(
            received(&s.sim, &account.jid, &revoked.message_id)
                .await
                .kind,
            ReceivedKind::Revoke {
                target: theirs.clone(),
                admin: true
            }
        );
    }
}

#[tokio::test]
async fn a_pn_group_text_reaction_and_admin_revoke() {
    group_round(AddressingMode::Pn, 13).await;
}

#[tokio::test]
async fn a_lid_group_text_reaction_and_admin_revoke() {
    group_round(AddressingMode::Lid, 14).await;
}

#[tokio::test]
async fn bad_content_is_refused_before_anything_is_sent() {
    let s = setup(15).await;
    let group = s
        .sim
        .create_group(
            "g",
            &s.bob.jid,
            std::slice::from_ref(&s.alice.jid),
            AddressingMode::Pn,
        )
        .unwrap();
    let id = MessageId::parse("3A0011AA").unwrap();
    let no_author = TargetRef::theirs(id.clone(), None);
    assert!(matches!(
        s.session.react(&group, &no_author, "👍").await,
        Err(Error::MissingParticipant)
    ));
    assert!(matches!(
        s.session.revoke(&group, &no_author).await,
        Err(Error::MissingParticipant)
    ));
    let with_author = TargetRef::theirs(id.clone(), Some(s.bob.jid.clone()));
    assert!(matches!(
        s.session.react(&group, &with_author, "not an emoji").await,
        Err(Error::InvalidEmoji)
    ));
    assert!(matches!(
        s.session.send_text(&s.bob.jid, "").await,
        Err(Error::EmptyText)
    ));
    // Not an admin of Bob's group.
    assert!(matches!(
        s.session.revoke(&group, &with_author).await,
        Err(Error::NotGroupAdmin)
    ));
    tokio::time::sleep(Duration::from_millis(200)).await;
    for account in [&s.bob, &s.alice] {
        assert!(
            s.sim.received(&account.jid).unwrap().is_empty(),
            "nothing sent"
        );
    }
}

#[tokio::test]
async fn server_refusals_are_server_errors() {
    let s = setup(16).await;
    // A group we are not in.
    let group = s
        .sim
        .create_group(
            "theirs",
            &s.bob.jid,
            std::slice::from_ref(&s.carol.jid),
            AddressingMode::Pn,
        )
        .unwrap();
    assert!(matches!(
        s.session.send_text(&group, "let me in").await,
        Err(Error::ServerError {
            code: 403,
            message_id: Some(_)
        })
    ));
    // An account that does not exist: the message ack says 404.
    let nobody: Jid = "15559999999@s.whatsapp.net".parse().unwrap();
    let refused = s.session.send_text(&nobody, "anyone?").await;
    assert!(
        matches!(&refused, Err(e @ Error::ServerError { code: 404, .. }) if e.message_id().is_some()),
        "{refused:?}"
    );
}

#[tokio::test]
async fn fifty_concurrent_reactions_are_all_acked_and_received_once() {
    let s = setup(17).await;
    let (alice, bob) = (s.alice.jid.clone(), s.bob.jid.clone());
    let mut targets = Vec::new();
    for n in 0..50 {
        targets.push(s.sim.send_text(&bob, &alice, &format!("m{n}")).unwrap());
    }
    let sends = targets.iter().map(|target| {
        let session = s.session.clone();
        let bob = bob.clone();
        let target = TargetRef::theirs(MessageId::parse(target).unwrap(), None);
        tokio::spawn(async move { session.react(&bob, &target, "🎉").await })
    });
    let results = futures_join(sends.collect()).await;
    let mut ids = std::collections::HashSet::new();
    for (result, target) in results.into_iter().zip(&targets) {
        let sent = result.unwrap();
        assert!(ids.insert(sent.message_id.clone()), "ids are unique");
        assert_eq!(
            received(&s.sim, &bob, &sent.message_id).await.kind,
            reaction(target, "🎉")
        );
    }
    assert_eq!(ids.len(), 50);
}

async fn futures_join(
    handles: Vec<tokio::task::JoinHandle<wa_session::Result<wa_session::send::SendResult>>>,
) -> Vec<wa_session::Result<wa_session::send::SendResult>> {
    let mut out = Vec::with_capacity(handles.len());
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}
