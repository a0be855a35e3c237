//! The LID <-> phone-number map: kept in the store from what received stanzas say
//! (`sender_pn` on a message from a LID, `peer_recipient_pn` on our own other device's send),
//! and used at once: a text to a number whose LID was learned that way is addressed to the
//! LID.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::Duration;

use wa_binary::Jid;
use wa_noise::CertVerifier;
use wa_session::receive::ReceiveEvent;
use wa_session::{Event, Session, SessionConfig};
use wa_sim::{Account, ReceivedKind, RunningSimulator, Simulator};
use wa_store::{DeviceId, PnUser, StoreHandle};

mod common;
use common::{companion, expect, paired_device};

/// A companion of `account` whose store the test keeps.
async fn companion_with_store(
    sim: &Simulator,
    running: &RunningSimulator,
    account: &Account,
    seed: u64,
) -> (
    Session,
    tokio::sync::mpsc::UnboundedReceiver<Event>,
    StoreHandle,
    DeviceId,
) {
    let (store, device, _) = paired_device(sim, account).await;
    let mut config =
        SessionConfig::new(running.url(), CertVerifier::new(running.root_public_key()));
    config.seed = Some(seed);
    let (session, mut events) = Session::start(config, store.clone(), device).await.unwrap();
    expect(&mut events, |e| matches!(e, Event::Connected { .. })).await;
    (session, events, store, device)
}

/// The LID the store maps `pn` to.
async fn stored_lid(store: &StoreHandle, device: DeviceId, pn: &Jid) -> Option<String> {
    let user = PnUser::new(pn.user()).unwrap();
    store
        .call(move |store| store.lid_for_pn(device, &user))
        .await
        .unwrap()
        .unwrap()
        .map(|lid| lid.as_str().to_owned())
}

/// Waits until `account`'s phone decrypted `id`.
async fn phone_got(sim: &Simulator, account: &Jid, id: &str) -> wa_sim::Received {
    for _ in 0..1000 {
        if let Some(found) = sim
            .received(account)
            .unwrap()
            .into_iter()
            .find(|r| r.id == id)
        {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{account} never decrypted {id}");
}

#[tokio::test]
async fn mappings_from_received_stanzas_are_kept_and_used() {
    let sim = Simulator::new(51);
    let alice = sim.create_account(Some("15550001111")).unwrap();
    let bob = sim.create_account(Some("15550002222")).unwrap();
    let carol = sim.create_account(Some("15550003333")).unwrap();
    let running = sim.listen("127.0.0.1:0").await.unwrap();
    let (session, mut events, store, device) =
        companion_with_store(&sim, &running, &alice, 51).await;
    assert_eq!(stored_lid(&store, device, &bob.jid).await, None);

    // Bob's phone writes to Alice's LID: the server names his number in `sender_pn`.
    let id = sim.send_text(&bob.jid, &alice.lid, "by lid").unwrap();
    let event = expect(&mut events, |e| matches!(e, Event::Incoming(_))).await;
    let Event::Incoming(incoming) = event else {
        unreachable!()
    };
    let ReceiveEvent::Message(message) = *incoming else {
        panic!("{incoming:?}")
    };
    assert_eq!(
        (message.id.as_str(), &message.chat),
        (id.as_str(), &bob.lid)
    );
    assert_eq!(
        stored_lid(&store, device, &bob.jid).await.as_deref(),
        Some(bob.lid.user())
    );
    // Now a text to Bob's number goes to his LID.
    let sent = session.send_text(&bob.jid, "known lid").await.unwrap();
    let at_bob = phone_got(&sim, &bob.jid, sent.message_id.as_str()).await;
    assert_eq!(
        (at_bob.from, at_bob.chat),
        (alice.lid.clone(), alice.lid.clone())
    );

    // Alice's other companion writes to Carol by number: it sends to Carol's LID with
    // `peer_recipient_pn`, which the server passes on to Alice's own devices with the copy.
    let other = companion(&sim, &running, &alice, 52).await;
    let to_carol = other
        .session
        .send_text(&carol.jid, "hi carol")
        .await
        .unwrap();
    let copy = expect(&mut events, |e| matches!(e, Event::Incoming(_))).await;
    let Event::Incoming(copy) = copy else {
        unreachable!()
    };
    let ReceiveEvent::Message(copy) = *copy else {
        panic!("{copy:?}")
    };
    assert_eq!(copy.id, to_carol.message_id);
    assert!(copy.from_me);
    assert_eq!(copy.chat, carol.lid);
    assert_eq!(
        stored_lid(&store, device, &carol.jid).await.as_deref(),
        Some(carol.lid.user())
    );
    assert_eq!(
        phone_got(&sim, &carol.jid, to_carol.message_id.as_str())
            .await
            .kind,
        ReceivedKind::Text {
            text: "hi carol".into()
        }
    );
}
