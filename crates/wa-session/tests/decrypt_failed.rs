//! A message that does not decrypt is reported as `Event::DecryptFailed` (with its id, chat,
//! sender and retry count) after the session asked the sender to retry; the sender's resend
//! then arrives as `Event::Incoming`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::Duration;

use wa_noise::CertVerifier;
use wa_session::receive::ReceiveEvent;
use wa_session::{Event, Session, SessionConfig};
use wa_sim::{Fault, Outgoing, Simulator};

mod common;
use common::expect;

#[tokio::test]
async fn a_damaged_message_gives_decrypt_failed_then_the_resend() {
    let sim = Simulator::new(61);
    let alice = sim.create_account(Some("15550001111")).unwrap();
    let bob = sim.create_account(Some("15550002222")).unwrap();
    let running = sim.listen("127.0.0.1:0").await.unwrap();
    let (store, device, info) = common::paired_device(&sim, &alice).await;
    let mut config =
        SessionConfig::new(running.url(), CertVerifier::new(running.root_public_key()));
    config.seed = Some(61);
    config.iq_timeout = Duration::from_secs(10);
    let (_session, mut events) = Session::start(config, store, device).await.unwrap();
    expect(&mut events, |e| matches!(e, Event::Connected { .. })).await;

    // A first message sets up Bob's session with us.
    let first = sim
        .send(&bob.jid, &alice.jid, &Outgoing::Text("one".into()))
        .unwrap();
    expect(
        &mut events,
        |e| matches!(e, Event::Incoming(i) if matches!(&**i, ReceiveEvent::Message(m) if m.id.as_str() == first)),
    )
    .await;

    // The next message reaches us damaged (its MAC no longer checks).
    sim.inject(Fault::CorruptDeliveries {
        device: info.jid.clone(),
        count: 1,
    })
    .unwrap();
    let second = sim
        .send(&bob.jid, &alice.jid, &Outgoing::Text("two".into()))
        .unwrap();
    let failed = expect(&mut events, |e| {
        matches!(e, Event::DecryptFailed { .. } | Event::Incoming(_))
    })
    .await;
    let Event::DecryptFailed {
        chat,
        id,
        sender,
        retry_count,
        retry_sent,
    } = failed
    else {
        panic!("a damaged message decrypted: {failed:?}");
    };
    assert_eq!(id.as_str(), second);
    assert_eq!(retry_count, 1);
    assert!(retry_sent);
    assert_eq!(sender.user(), chat.user(), "Bob's device in Bob's chat");
    assert!(
        sender.user() == bob.jid.user() || sender.user() == bob.lid.user(),
        "{sender}"
    );

    // Bob's phone answers the retry receipt with a resend, which decrypts.
    expect(
        &mut events,
        |e| matches!(e, Event::Incoming(i) if matches!(&**i, ReceiveEvent::Message(m) if m.id.as_str() == second && m.text.as_deref() == Some("two"))),
    )
    .await;
}
