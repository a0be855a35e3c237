//! The honest-error rules for targets (issue 5) and reading decrypted messages.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::HashMap;

use prost::Message as _;
use wa_binary::Jid;
use wa_proto::e2e::{DeviceSentMessage, Message, SenderKeyDistributionMessage};
use wa_session::content::{
    build_reaction, build_revoke, build_text, device_sent, read_decoded, read_message, Content,
    EditAttribute, GroupAddressing, LidLookup, MessageId, NoLidMappings, ReactionEmoji, TargetKey,
    UnixMillis,
};
use wa_session::{ContentError, Error, TargetError};

const GROUP: &str = "120363012345678901@g.us";
const BOB_PN: &str = "15550002222@s.whatsapp.net";
const BOB_LID: &str = "987654321012345@lid";
const TARGET_ID: &str = "3A99887766554433221100";

fn jid(s: &str) -> Jid {
    s.parse().unwrap()
}

fn id() -> MessageId {
    MessageId::parse(TARGET_ID).unwrap()
}

/// PN <-> LID mappings keyed by account JID.
struct Mappings(HashMap<Jid, Jid>);

impl Mappings {
    fn bob() -> Self {
        Self(HashMap::from([(jid(BOB_PN), jid(BOB_LID))]))
    }
}

impl LidLookup for Mappings {
    fn lid_for_pn(&self, pn: &Jid) -> Option<Jid> {
        self.0.get(pn).cloned()
    }
    fn pn_for_lid(&self, lid: &Jid) -> Option<Jid> {
        self.0
            .iter()
            .find(|(_, l)| *l == lid)
            .map(|(pn, _)| pn.clone())
    }
}

fn group_target(
    participant: Option<&str>,
    addressing: GroupAddressing,
    lids: &dyn LidLookup,
) -> Result<TargetKey, Error> {
    TargetKey::resolve(
        jid(GROUP),
        id(),
        false,
        participant.map(jid),
        addressing,
        lids,
    )
}

#[test]
fn another_members_group_message_needs_its_author() {
    for addressing in [GroupAddressing::Pn, GroupAddressing::Lid] {
        assert!(matches!(
            group_target(None, addressing, &NoLidMappings),
            Err(Error::MissingParticipant)
        ));
    }
    // Our own group message needs none, and never carries one (whatsmeow).
    let own = TargetKey::resolve(
        jid(GROUP),
        id(),
        true,
        Some(jid("15550001111@s.whatsapp.net")),
        GroupAddressing::Lid,
        &NoLidMappings,
    )
    .unwrap();
    assert_eq!(own.participant(), None);
    assert!(own.to_proto().participant.is_none());
}

#[test]
fn authors_in_the_groups_form_are_kept_without_device() {
    let pn = group_target(
        Some("15550002222:2@s.whatsapp.net"),
        GroupAddressing::Pn,
        &NoLidMappings,
    )
    .unwrap();
    assert_eq!(pn.participant(), Some(&jid(BOB_PN)));
    let lid = group_target(
        Some("987654321012345:5@lid"),
        GroupAddressing::Lid,
        &NoLidMappings,
    )
    .unwrap();
    assert_eq!(lid.participant(), Some(&jid(BOB_LID)));
    assert_eq!(lid.to_proto().participant.as_deref(), Some(BOB_LID));
}

#[test]
fn a_phone_number_author_in_a_lid_group_is_mapped_or_refused() {
    let mapped = group_target(Some(BOB_PN), GroupAddressing::Lid, &Mappings::bob()).unwrap();
    assert_eq!(mapped.participant(), Some(&jid(BOB_LID)));
    // A device JID maps through its account.
    let mapped = group_target(
        Some("15550002222:2@s.whatsapp.net"),
        GroupAddressing::Lid,
        &Mappings::bob(),
    )
    .unwrap();
    assert_eq!(mapped.participant(), Some(&jid(BOB_LID)));

    let refused = group_target(Some(BOB_PN), GroupAddressing::Lid, &NoLidMappings);
    assert!(matches!(
        refused,
        Err(Error::ParticipantAddressing {
            expected: GroupAddressing::Lid
        })
    ));
    let unknown = group_target(
        Some("15550003333@s.whatsapp.net"),
        GroupAddressing::Lid,
        &Mappings::bob(),
    );
    assert!(matches!(unknown, Err(Error::ParticipantAddressing { .. })));
}

#[test]
fn a_lid_author_in_a_phone_number_group_is_mapped_or_refused() {
    let mapped = group_target(Some(BOB_LID), GroupAddressing::Pn, &Mappings::bob()).unwrap();
    assert_eq!(mapped.participant(), Some(&jid(BOB_PN)));
    assert!(matches!(
        group_target(Some(BOB_LID), GroupAddressing::Pn, &NoLidMappings),
        Err(Error::ParticipantAddressing {
            expected: GroupAddressing::Pn
        })
    ));
}

/// A lookup that answers with the wrong kind of JID is not trusted.
struct Confused;
impl LidLookup for Confused {
    fn lid_for_pn(&self, pn: &Jid) -> Option<Jid> {
        Some(pn.clone())
    }
    fn pn_for_lid(&self, lid: &Jid) -> Option<Jid> {
        Some(lid.clone())
    }
}

#[test]
fn a_mapping_of_the_wrong_kind_is_refused() {
    assert!(matches!(
        group_target(Some(BOB_PN), GroupAddressing::Lid, &Confused),
        Err(Error::ParticipantAddressing { .. })
    ));
    assert!(matches!(
        group_target(Some(BOB_LID), GroupAddressing::Pn, &Confused),
        Err(Error::ParticipantAddressing { .. })
    ));
}

#[test]
fn authors_that_are_not_users_are_refused() {
    for author in [
        GROUP,
        "status@broadcast",
        "s.whatsapp.net",
        "123@newsletter",
    ] {
        assert!(
            matches!(
                group_target(Some(author), GroupAddressing::Pn, &NoLidMappings),
                Err(Error::UnsupportedTarget(TargetError::ParticipantKind))
            ),
            "{author}"
        );
    }
}

#[test]
fn chats_must_be_users_groups_or_channels() {
    let resolve = |chat: &str| {
        TargetKey::resolve(
            jid(chat),
            id(),
            true,
            None,
            GroupAddressing::Pn,
            &NoLidMappings,
        )
    };
    for ok in [BOB_PN, BOB_LID, GROUP, "120363098765432109@newsletter"] {
        assert!(resolve(ok).is_ok(), "{ok}");
    }
    for (chat, why) in [
        ("15550002222:2@s.whatsapp.net", TargetError::ChatIsDevice),
        ("987654321012345:1@lid", TargetError::ChatIsDevice),
        ("status@broadcast", TargetError::ChatKind),
        ("s.whatsapp.net", TargetError::ChatKind),
        ("123@hosted", TargetError::ChatKind),
    ] {
        match resolve(chat) {
            Err(Error::UnsupportedTarget(got)) => assert_eq!(got, why, "{chat}"),
            other => panic!("{chat}: {other:?}"),
        }
    }
}

#[test]
fn one_to_one_targets_never_carry_a_participant() {
    let peer = TargetKey::resolve(
        jid(BOB_LID),
        id(),
        false,
        Some(jid(BOB_LID)),
        GroupAddressing::Lid,
        &NoLidMappings,
    )
    .unwrap();
    assert_eq!(peer.participant(), None);
    let reaction = build_reaction(
        &peer,
        &ReactionEmoji::parse("👍").unwrap(),
        UnixMillis::new(1),
    )
    .unwrap();
    let key = reaction
        .message()
        .reaction_message
        .as_ref()
        .unwrap()
        .key
        .clone()
        .unwrap();
    assert_eq!(key.remote_jid.as_deref(), Some(BOB_LID));
    assert_eq!(key.from_me, Some(false));
    assert!(key.participant.is_none());
}

#[test]
fn channels_take_reactions_only() {
    let post = TargetKey::resolve(
        jid("120363098765432109@newsletter"),
        MessageId::parse("123").unwrap(),
        false,
        None,
        GroupAddressing::Pn,
        &NoLidMappings,
    )
    .unwrap();
    assert!(matches!(
        build_revoke(&post),
        Err(Error::UnsupportedTarget(TargetError::NewsletterRevoke))
    ));
    // Channel reactions are plain stanzas, not encrypted messages.
    assert!(matches!(
        build_reaction(
            &post,
            &ReactionEmoji::parse("👍").unwrap(),
            UnixMillis::new(1)
        ),
        Err(Error::UnsupportedTarget(TargetError::NewsletterReaction))
    ));
}

#[test]
fn admin_revoke_of_a_members_message_is_edit_8() {
    let target = group_target(Some(BOB_LID), GroupAddressing::Lid, &NoLidMappings).unwrap();
    let out = build_revoke(&target).unwrap();
    assert_eq!(out.attrs().edit(), Some(EditAttribute::AdminRevoke));
    let key = out
        .message()
        .protocol_message
        .as_ref()
        .unwrap()
        .key
        .clone()
        .unwrap();
    assert_eq!(key.participant.as_deref(), Some(BOB_LID));
    assert_eq!(key.from_me, Some(false));
}

#[test]
fn text_is_never_empty() {
    assert!(matches!(build_text(""), Err(Error::EmptyText)));
    let out = build_text("hello").unwrap();
    assert_eq!(out.message().conversation.as_deref(), Some("hello"));
    assert_eq!(out.attrs().edit(), None);
    assert!(!out.attrs().decrypt_fail_hide());
}

#[test]
fn device_sent_messages_read_as_their_destination() {
    let chat = jid(BOB_LID);
    let target = TargetKey::resolve(
        chat.clone(),
        id(),
        false,
        None,
        GroupAddressing::Pn,
        &NoLidMappings,
    )
    .unwrap();
    let out = build_reaction(&target, &ReactionEmoji::removal(), UnixMillis::new(5)).unwrap();
    let bytes = out.encode_device_sent(&chat);
    assert_eq!(bytes, device_sent(&chat, out.message()).encode_to_vec());

    let read = read_message(&bytes).unwrap();
    assert_eq!(read.destination(), Some(&chat));
    let Content::Reaction(reaction) = read.content() else {
        panic!("{:?}", read.content())
    };
    assert_eq!(reaction.target(), &target);
    assert_eq!(reaction.emoji(), None, "removal");
    assert_eq!(reaction.sender_timestamp_ms(), Some(5));
}

#[test]
fn nested_or_broken_device_sent_messages_are_malformed() {
    let inner = device_sent(&jid(BOB_PN), build_text("x").unwrap().message());
    let nested = device_sent(&jid(BOB_PN), &inner);
    assert!(matches!(
        read_decoded(nested),
        Err(Error::MalformedContent(ContentError::NestedDeviceSent))
    ));
    for dsm in [
        DeviceSentMessage {
            destination_jid: None,
            message: Some(Box::default()),
            phash: None,
        },
        DeviceSentMessage {
            destination_jid: Some("not a jid".into()),
            message: Some(Box::default()),
            phash: None,
        },
        DeviceSentMessage {
            destination_jid: Some(BOB_PN.into()),
            message: None,
            phash: None,
        },
    ] {
        let message = Message {
            device_sent_message: Some(Box::new(dsm)),
            ..Message::default()
        };
        assert!(matches!(
            read_decoded(message),
            Err(Error::MalformedContent(ContentError::DeviceSent))
        ));
    }
}

#[test]
fn sender_key_distributions_are_kept_apart() {
    let skdm = SenderKeyDistributionMessage {
        group_id: Some(GROUP.into()),
        axolotl_sender_key_distribution_message: Some(vec![0x33, 1, 2, 3]),
    };
    let only = Message {
        sender_key_distribution_message: Some(skdm.clone()),
        ..Message::default()
    };
    let read = read_message(&only.encode_to_vec()).unwrap();
    let got = read.sender_key_distribution().unwrap();
    assert_eq!(got.group(), &jid(GROUP));
    assert_eq!(got.bytes(), [0x33, 1, 2, 3]);
    assert_eq!(read.content(), &Content::Empty);
    assert!(
        !format!("{got:?}").contains("51"),
        "key bytes are not printed"
    );

    // Together with content, both are returned.
    let mut with_text = build_text("hi").unwrap().message().clone();
    with_text.sender_key_distribution_message = Some(skdm.clone());
    let read = read_decoded(with_text).unwrap();
    assert!(read.sender_key_distribution().is_some());
    assert_eq!(read.content(), &Content::Text("hi".into()));

    for bad in [
        SenderKeyDistributionMessage {
            group_id: None,
            ..skdm.clone()
        },
        SenderKeyDistributionMessage {
            group_id: Some("@@".into()),
            ..skdm.clone()
        },
        SenderKeyDistributionMessage {
            axolotl_sender_key_distribution_message: Some(Vec::new()),
            ..skdm
        },
    ] {
        let message = Message {
            sender_key_distribution_message: Some(bad),
            ..Message::default()
        };
        assert!(matches!(
            read_decoded(message),
            Err(Error::MalformedContent(ContentError::SenderKeyDistribution))
        ));
    }
}

#[test]
fn text_content_is_not_printed() {
    let read = read_message(&build_text("secret words").unwrap().encode()).unwrap();
    assert!(!format!("{read:?}").contains("secret"));
}

#[test]
fn unmodelled_content_reads_as_other() {
    // imageMessage (field 3) with an empty body: prost drops it, the reader notices.
    let image = [0x1a, 0x00];
    assert_eq!(read_message(&image).unwrap().content(), &Content::Other);
    assert_eq!(read_message(&[]).unwrap().content(), &Content::Empty);
    assert!(matches!(
        read_message(&[0xff, 0xff]),
        Err(Error::MalformedContent(ContentError::Protobuf))
    ));
}

#[test]
fn malformed_target_keys_are_refused() {
    use wa_proto::common::MessageKey;
    use wa_proto::e2e::ReactionMessage;
    let good = MessageKey {
        remote_jid: Some(BOB_PN.into()),
        from_me: Some(false),
        id: Some(TARGET_ID.into()),
        participant: None,
    };
    let reaction = |key: Option<MessageKey>| Message {
        reaction_message: Some(ReactionMessage {
            key,
            text: Some("👍".into()),
            ..ReactionMessage::default()
        }),
        ..Message::default()
    };
    assert!(read_decoded(reaction(Some(good.clone()))).is_ok());
    let cases = [
        (None, ContentError::MissingKey),
        (
            Some(MessageKey {
                remote_jid: None,
                ..good.clone()
            }),
            ContentError::MissingChat,
        ),
        (
            Some(MessageKey {
                remote_jid: Some("a@b@c".into()),
                ..good.clone()
            }),
            ContentError::KeyJid,
        ),
        (
            Some(MessageKey {
                participant: Some("x y".into()),
                ..good.clone()
            }),
            ContentError::KeyJid,
        ),
        (
            Some(MessageKey {
                id: Some("bad id".into()),
                ..good.clone()
            }),
            ContentError::KeyId,
        ),
        (Some(MessageKey { id: None, ..good }), ContentError::KeyId),
    ];
    for (key, want) in cases {
        match read_decoded(reaction(key)) {
            Err(Error::MalformedContent(got)) => assert_eq!(got, want),
            other => panic!("{want:?}: {other:?}"),
        }
    }
}

#[test]
fn reactions_from_peers_keep_unlisted_emoji() {
    // A newer emoji than our table knows must still be reported, not dropped.
    let key = wa_proto::common::MessageKey {
        remote_jid: Some(BOB_PN.into()),
        from_me: Some(true),
        id: Some(TARGET_ID.into()),
        participant: None,
    };
    let message = Message {
        reaction_message: Some(wa_proto::e2e::ReactionMessage {
            key: Some(key),
            text: Some("\u{1fae9}\u{1fae9}".into()),
            ..Default::default()
        }),
        ..Message::default()
    };
    let read = read_decoded(message).unwrap();
    let Content::Reaction(reaction) = read.content() else {
        panic!()
    };
    assert_eq!(reaction.emoji(), Some("\u{1fae9}\u{1fae9}"));
    assert!(reaction.target().from_me());
}
