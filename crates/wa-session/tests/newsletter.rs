//! Channel (newsletter) reactions: sent unencrypted by the post's server id, acked by the
//! simulator, which keeps each account's current reaction; a removal clears it; bad input
//! is refused before anything is sent.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use wa_binary::Jid;
use wa_session::{Error, TargetError};
use wa_sim::{NewsletterReaction, Simulator};

mod common;
use common::companion;

#[tokio::test]
async fn react_change_and_remove_on_a_channel_post() {
    let sim = Simulator::new(81);
    let alice = sim.create_account(Some("15550001111")).unwrap();
    let running = sim.listen("127.0.0.1:0").await.unwrap();
    let a = companion(&sim, &running, &alice, 81).await;
    let channel: Jid = "120363000000000009@newsletter".parse().unwrap();

    let first = a
        .session
        .react_newsletter(&channel, 118, "👍")
        .await
        .unwrap();
    assert!(first.server_timestamp > 0);
    let reaction = |emoji: &str| NewsletterReaction {
        channel: channel.clone(),
        server_id: 118,
        from: alice.jid.clone(),
        emoji: emoji.to_owned(),
    };
    assert_eq!(sim.newsletter_reactions(&channel), vec![reaction("👍")]);
    let second = a
        .session
        .react_newsletter(&channel, 118, "🔥")
        .await
        .unwrap();
    assert_ne!(first.message_id, second.message_id);
    assert_eq!(sim.newsletter_reactions(&channel), vec![reaction("🔥")]);
    a.session.react_newsletter(&channel, 118, "").await.unwrap();
    assert!(sim.newsletter_reactions(&channel).is_empty());

    assert!(matches!(
        a.session
            .react_newsletter(&channel, 118, "not an emoji")
            .await,
        Err(Error::InvalidEmoji)
    ));
    assert!(matches!(
        a.session.react_newsletter(&alice.jid, 118, "👍").await,
        Err(Error::UnsupportedTarget(TargetError::ChatKind))
    ));
    assert!(sim.newsletter_reactions(&channel).is_empty());
}
