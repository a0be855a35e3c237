//! A group kept in a `GroupFanout` between sends gives the stanzas `encrypt_group` gives for
//! the same devices and holders, byte for byte, and tracks who holds our sender key.

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;
use wa_binary::{encode_frame_to_vec, Dictionary};

use super::*;

/// Our store and RNG, the same on every call: both paths start from identical state.
fn seeded() -> (InMemoryStore, ChaCha20Rng) {
    let identity = IdentityKeyPair::generate(&mut ChaCha20Rng::seed_from_u64(1));
    (
        InMemoryStore::new(identity, RegistrationId(42)),
        ChaCha20Rng::seed_from_u64(2),
    )
}

#[test]
fn a_kept_group_fanout_sends_what_encrypt_group_sends() {
    let own = own();
    let group = jid("120363000000000001@g.us");
    let me = own.device_jid(Addressing::Lid).unwrap();
    let mut peers: Vec<Peer> = [
        "200000000000002@lid",
        "200000000000002:1@lid",
        "100000000000001@lid",
    ]
    .into_iter()
    .map(Peer::new)
    .collect();
    let mut devices: Vec<Jid> = peers.iter().map(|p| p.jid.clone()).collect();
    devices.push(me.clone());
    let mut bundles = Bundles::new();
    for peer in &mut peers {
        bundles.insert(peer.jid.clone(), peer.bundle());
    }

    let (mut plain_store, mut plain_rng) = seeded();
    let (mut kept_store, mut kept_rng) = seeded();
    let mut holders = HashSet::new();
    let mut fanout = GroupFanout::new(&own, Addressing::Lid, devices.clone()).unwrap();
    assert_eq!(fanout.phash(), wa_sim::participant_hash(&devices));
    let no_bundles = Bundles::new();
    let mut send = |devices: &[Jid],
                    fanout: &mut GroupFanout,
                    holders: &mut HashSet<Jid>,
                    message: &Message,
                    bundles: &Bundles,
                    n: u32| {
        let attrs = StanzaAttrs::for_message(id(n), message);
        let plain = encrypt_group(
            &mut plain_store,
            &own,
            &GroupMessage {
                group: &group,
                addressing: Addressing::Lid,
                devices,
                message,
                attrs: &attrs,
            },
            bundles,
            holders,
            &mut plain_rng,
        )
        .unwrap();
        let kept = encrypt_group_for(
            &mut kept_store,
            &own,
            &group,
            fanout,
            message,
            &attrs,
            bundles,
            &mut kept_rng,
        )
        .unwrap();
        assert_eq!(
            encode_frame_to_vec(&kept.stanza, Dictionary::V3).unwrap(),
            encode_frame_to_vec(&plain.stanza, Dictionary::V3).unwrap(),
            "message {n}"
        );
        assert_eq!(kept.new_holders, plain.new_holders);
        *holders = plain.holders_after(holders);
        fanout.record_sent(&kept);
        assert_eq!(fanout.holders(), &*holders);
        kept
    };

    // The first send gives every other device the key, and then everyone holds it.
    let first = send(
        &devices,
        &mut fanout,
        &mut holders,
        &text("first"),
        &bundles,
        1,
    );
    assert!(first.key_is_new);
    assert_eq!(
        first.stanza.child("participants").unwrap().children().len(),
        3
    );
    assert!(fanout.all_hold());
    let second = reaction("3EB0TARGET", "🎉", &group);
    let steady = send(&devices, &mut fanout, &mut holders, &second, &no_bundles, 2);
    assert!(steady.stanza.child("participants").is_none());
    let skmsg = steady.stanza.child("enc").unwrap().bytes().unwrap();
    for peer in &mut peers {
        let enc = enc_for(&first.stanza, &peer.jid).unwrap();
        let pairwise = peer.decrypt(enc, &me);
        peer.take_sender_key(&pairwise, &group, &me);
        assert_eq!(peer.group_decrypt(skmsg, &group, &me), second);
    }

    // A new device: a new fanout carries the holders over, and only the newcomer gets the key.
    let mut newcomer = Peer::new("300000000000003@lid");
    let mut grown = devices.clone();
    grown.push(newcomer.jid.clone());
    let mut fanout = GroupFanout::new(&own, Addressing::Lid, grown.clone())
        .unwrap()
        .with_holders(fanout.holders().iter().cloned());
    assert!(!fanout.all_hold());
    let mut bundles = Bundles::new();
    bundles.insert(newcomer.jid.clone(), newcomer.bundle());
    let third = text("third");
    let joined = send(&grown, &mut fanout, &mut holders, &third, &bundles, 3);
    assert_eq!(joined.new_holders, [newcomer.jid.clone()]);
    assert!(fanout.all_hold());
    let pairwise = newcomer.decrypt(enc_for(&joined.stanza, &newcomer.jid).unwrap(), &me);
    newcomer.take_sender_key(&pairwise, &group, &me);
    let skmsg = joined.stanza.child("enc").unwrap().bytes().unwrap();
    assert_eq!(newcomer.group_decrypt(skmsg, &group, &me), third);

    // A device in the wrong form is refused when the fanout is built.
    assert!(matches!(
        GroupFanout::new(
            &own,
            Addressing::Lid,
            vec![jid("15550002222@s.whatsapp.net")]
        ),
        Err(Error::WrongAddressing(_))
    ));
}
