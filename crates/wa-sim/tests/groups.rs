//! Groups over a real WebSocket: the `w:g2` metadata IQ for a phone-number group and a LID
//! group (attributes and participants as whatsmeow's `parseGroupNode` reads them), `403` for a
//! non-member, `404` for an unknown group; and the control API's creation errors, admin
//! changes and deterministic group JIDs.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use rand_core::OsRng;
use wa_binary::{Jid, Node};
use wa_sim::{unix_now, Account, AddressingMode, DeviceKeys, Error, ParticipantRole, Simulator};
use wa_transport::ClientConnection;

mod common;
use common::{error_of, login, recv};

/// Alice (one device, which the tests log in as), Bob and Carol on a listening simulator.
struct Setup {
    sim: Simulator,
    alice: Account,
    bob: Account,
    carol: Account,
    conn: ClientConnection,
    _running: wa_sim::RunningSimulator,
}

async fn setup() -> Setup {
    let sim = Simulator::new(11);
    let alice = sim.create_account(Some("15550001111")).unwrap();
    let bob = sim.create_account(Some("15550002222")).unwrap();
    let carol = sim.create_account(Some("15550003333")).unwrap();
    let keys = DeviceKeys::generate(1, unix_now(), &mut OsRng);
    let device = sim
        .register_device(&alice.jid, keys.registration())
        .unwrap();
    let running = sim.listen("127.0.0.1:0").await.unwrap();
    let conn = login(&running, &device, &keys).await;
    Setup {
        sim,
        alice,
        bob,
        carol,
        conn,
        _running: running,
    }
}

/// whatsmeow's `GetGroupInfo` request: `<iq xmlns="w:g2" type="get" to=GROUP><query
/// request="interactive"/></iq>`. Returns the reply after checking its id and `from`.
async fn group_info(conn: &mut ClientConnection, id: &str, group: &Jid) -> Node<'static> {
    let request = Node::new("iq")
        .with_attr("id", id.to_owned())
        .with_attr("xmlns", "w:g2")
        .with_attr("type", "get")
        .with_attr("to", group.clone())
        .with_children(vec![Node::new("query").with_attr("request", "interactive")]);
    conn.send(&request).await.unwrap();
    let reply = recv(conn).await;
    assert_eq!(reply.tag(), "iq");
    assert_eq!(reply.attr_str("id"), Some(id), "id echoed");
    assert_eq!(
        reply.attr_jid("from").as_ref(),
        Some(group),
        "from the group"
    );
    reply
}

/// A participant as whatsmeow's `parseParticipant` reads it.
#[derive(Debug, PartialEq, Eq)]
struct Parsed {
    jid: Jid,
    phone_number: Option<Jid>,
    lid: Option<Jid>,
    kind: Option<String>,
}

fn participants(group: &Node<'_>) -> Vec<Parsed> {
    group
        .children_with_tag("participant")
        .map(|participant| Parsed {
            jid: participant.attr_jid("jid").expect("participant jid"),
            phone_number: participant.attr_jid("phone_number"),
            lid: participant.attr_jid("lid"),
            kind: participant.attr_str("type").map(str::to_owned),
        })
        .collect()
}

fn pn_entry(account: &Account, kind: Option<&str>) -> Parsed {
    Parsed {
        jid: account.jid.clone(),
        phone_number: None,
        lid: Some(account.lid.clone()),
        kind: kind.map(str::to_owned),
    }
}

fn lid_entry(account: &Account, kind: Option<&str>) -> Parsed {
    Parsed {
        jid: account.lid.clone(),
        phone_number: Some(account.jid.clone()),
        lid: None,
        kind: kind.map(str::to_owned),
    }
}

#[tokio::test]
async fn metadata_of_a_phone_number_group() {
    let mut s = setup().await;
    // Participants may be named by PN or LID; the group lists them in its own form.
    let group = s
        .sim
        .create_group(
            "Weekend",
            &s.alice.jid,
            &[s.bob.jid.clone(), s.carol.lid.clone()],
            AddressingMode::Pn,
        )
        .unwrap();
    s.sim.set_admin(&group, &s.carol.jid, true).unwrap();
    let info = s.sim.group(&group).unwrap();

    let reply = group_info(&mut s.conn, "g1", &group).await;
    assert_eq!(reply.attr_str("type"), Some("result"), "{reply:?}");
    let node = reply.child("group").expect("<group>");
    assert_eq!(node.attr_str("id"), Some(group.user()));
    assert_eq!(node.attr_str("subject"), Some("Weekend"));
    assert_eq!(node.attr_jid("creator"), Some(s.alice.jid.clone()));
    assert_eq!(node.attr_jid("s_o"), Some(s.alice.jid.clone()));
    assert_eq!(node.attr_str("creator_pn"), None);
    let created = info.created.to_string();
    assert_eq!(node.attr_str("creation"), Some(created.as_str()));
    assert_eq!(node.attr_str("s_t"), Some(created.as_str()));
    assert_eq!(node.attr_str("addressing_mode"), Some("pn"));
    assert_eq!(node.attr_str("size"), Some("3"));
    assert_eq!(
        participants(node),
        vec![
            pn_entry(&s.alice, Some("superadmin")),
            pn_entry(&s.bob, None),
            pn_entry(&s.carol, Some("admin")),
        ]
    );
}

#[tokio::test]
async fn metadata_of_a_lid_group() {
    let mut s = setup().await;
    let group = s
        .sim
        .create_group(
            "Launch",
            &s.bob.lid,
            &[s.alice.jid.clone(), s.carol.lid.clone()],
            AddressingMode::Lid,
        )
        .unwrap();

    let reply = group_info(&mut s.conn, "g2", &group).await;
    assert_eq!(reply.attr_str("type"), Some("result"), "{reply:?}");
    let node = reply.child("group").expect("<group>");
    assert_eq!(node.attr_str("id"), Some(group.user()));
    assert_eq!(node.attr_str("subject"), Some("Launch"));
    assert_eq!(node.attr_jid("creator"), Some(s.bob.lid.clone()));
    assert_eq!(node.attr_jid("creator_pn"), Some(s.bob.jid.clone()));
    assert_eq!(node.attr_jid("s_o"), Some(s.bob.lid.clone()));
    assert_eq!(node.attr_jid("s_o_pn"), Some(s.bob.jid.clone()));
    assert_eq!(node.attr_str("addressing_mode"), Some("lid"));
    assert_eq!(node.attr_str("size"), Some("3"));
    assert_eq!(
        participants(node),
        vec![
            lid_entry(&s.bob, Some("superadmin")),
            lid_entry(&s.alice, None),
            lid_entry(&s.carol, None),
        ]
    );
}

#[tokio::test]
async fn non_member_is_forbidden_and_unknown_group_not_found() {
    let mut s = setup().await;
    let group = s
        .sim
        .create_group(
            "Private",
            &s.bob.jid,
            &[s.carol.jid.clone()],
            AddressingMode::Lid,
        )
        .unwrap();
    let reply = group_info(&mut s.conn, "g3", &group).await;
    assert_eq!(reply.attr_str("type"), Some("error"));
    assert_eq!(
        error_of(&reply),
        Some(("403".to_owned(), "forbidden".to_owned()))
    );
    assert!(reply.child("group").is_none(), "nothing leaks");

    let unknown = Jid::parse("120363000000000000@g.us").unwrap();
    let reply = group_info(&mut s.conn, "g4", &unknown).await;
    assert_eq!(reply.attr_str("type"), Some("error"));
    assert_eq!(
        error_of(&reply),
        Some(("404".to_owned(), "item-not-found".to_owned()))
    );

    // The connection still serves: Alice added later can read it.
    let mine = s
        .sim
        .create_group("Mine", &s.alice.lid, &[], AddressingMode::Pn)
        .unwrap();
    let reply = group_info(&mut s.conn, "g5", &mine).await;
    assert_eq!(reply.attr_str("type"), Some("result"), "{reply:?}");
}

#[test]
fn creation_refuses_unknown_accounts() {
    let sim = Simulator::new(3);
    let alice = sim.create_account(Some("15550001111")).unwrap();
    let bob = sim.create_account(Some("15550002222")).unwrap();

    let stranger = Jid::parse("15559999999@s.whatsapp.net").unwrap();
    let err = sim
        .create_group(
            "x",
            &alice.jid,
            &[bob.jid.clone(), stranger.clone()],
            AddressingMode::Pn,
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::UnknownParticipant(ref jid) if *jid == stranger),
        "{err:?}"
    );

    let unknown_lid = Jid::parse("999999999999999@lid").unwrap();
    let err = sim
        .create_group(
            "x",
            &alice.jid,
            std::slice::from_ref(&unknown_lid),
            AddressingMode::Lid,
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::UnknownParticipant(ref jid) if *jid == unknown_lid),
        "{err:?}"
    );

    let not_a_user = Jid::parse("120363000000000000@g.us").unwrap();
    let err = sim
        .create_group("x", &alice.jid, &[not_a_user], AddressingMode::Pn)
        .unwrap_err();
    assert!(matches!(err, Error::UnknownParticipant(_)), "{err:?}");

    let err = sim
        .create_group(
            "x",
            &stranger,
            std::slice::from_ref(&bob.jid),
            AddressingMode::Pn,
        )
        .unwrap_err();
    assert!(matches!(err, Error::UnknownAccount), "{err:?}");

    let err = sim
        .create_group(
            "",
            &alice.jid,
            std::slice::from_ref(&bob.jid),
            AddressingMode::Pn,
        )
        .unwrap_err();
    assert!(matches!(err, Error::InvalidSubject), "{err:?}");
}

#[test]
fn groups_are_deterministic_and_admins_change() {
    let make = || {
        let sim = Simulator::new(5);
        let alice = sim.create_account(Some("15550001111")).unwrap();
        let bob = sim.create_account(Some("15550002222")).unwrap();
        // The creator and duplicates among the participants are ignored.
        let participants = [bob.lid.clone(), bob.jid.clone(), alice.jid.clone()];
        let group = sim
            .create_group("Team", &alice.jid, &participants, AddressingMode::Lid)
            .unwrap();
        (sim, alice, bob, group)
    };
    let (sim, alice, bob, group) = make();
    assert_eq!(make().3, group, "same seed, same group JID");
    assert_eq!(group.server().as_str(), "g.us");
    assert_eq!(group.user().len(), 18);
    assert!(group.user().starts_with("120363"));
    assert!(group.user().bytes().all(|b| b.is_ascii_digit()));

    let roles = |sim: &Simulator| {
        sim.group(&group)
            .unwrap()
            .participants
            .iter()
            .map(|p| (p.account.clone(), p.role))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        roles(&sim),
        vec![
            (alice.clone(), ParticipantRole::SuperAdmin),
            (bob.clone(), ParticipantRole::Member),
        ]
    );
    sim.set_admin(&group, &bob.lid, true).unwrap();
    sim.set_admin(&group, &alice.jid, true).unwrap();
    assert_eq!(
        roles(&sim),
        vec![
            (alice, ParticipantRole::SuperAdmin),
            (bob.clone(), ParticipantRole::Admin),
        ]
    );
    sim.set_admin(&group, &bob.jid, false).unwrap();
    assert_eq!(roles(&sim)[1].1, ParticipantRole::Member);

    let carol = sim.create_account(Some("15550003333")).unwrap();
    assert!(matches!(
        sim.set_admin(&group, &carol.jid, true),
        Err(Error::NotInGroup)
    ));
    let unknown = Jid::parse("120363000000000000@g.us").unwrap();
    assert!(matches!(
        sim.set_admin(&unknown, &bob.jid, true),
        Err(Error::UnknownGroup)
    ));
    assert!(sim.group(&unknown).is_none());
}
