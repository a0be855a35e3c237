//! The control API's simulated-phone routes against a real listening simulator: scanning a
//! pairing QR (`/sim/scan`), sending texts, reactions and revokes (`/sim/send`, `/sim/react`,
//! `/sim/revoke`), reading what a phone decrypted and the receipts it got (`/sim/received`,
//! `/sim/receipts`), and scripting a phone (`/sim/phones/{jid}`), with their errors.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
mod http_client;

use data_encoding::BASE64;
use rand_core::{OsRng, RngCore as _};
use serde_json::{json, Value};
use wa_binary::{Jid, Server};
use wa_noise::IntroHeader;
use wa_proto::wa6::client_payload::DevicePairingRegistrationData;
use wa_proto::wa6::ClientPayload;
use wa_sim::{unix_now, DeviceKeys, RunningSimulator};
use wa_transport::ClientConnection;

use common::{connect_with, recv};
use http_client::{account, get, post, start, Response};

/// `POST path body` that must answer 200 `{id}`: the id.
async fn sent_id(running: &RunningSimulator, path: &str, body: &Value) -> String {
    let response = post(running, path, body).await;
    assert_eq!(response.status, 200, "{path}: {}", response.json());
    response.json()["id"].as_str().unwrap().to_owned()
}

/// `GET /sim/received?jid=J`, which must answer 200 with an array.
async fn received(running: &RunningSimulator, jid: &str) -> Vec<Value> {
    let response = get(running, &format!("/sim/received?jid={jid}")).await;
    assert_eq!(response.status, 200, "{}", response.json());
    response.json().as_array().unwrap().clone()
}

/// `GET /sim/receipts?jid=J`, which must answer 200 with an array.
async fn receipts(running: &RunningSimulator, jid: &str) -> Vec<Value> {
    let response = get(running, &format!("/sim/receipts?jid={jid}")).await;
    assert_eq!(response.status, 200, "{}", response.json());
    response.json().as_array().unwrap().clone()
}

/// `POST /sim/phones/{jid}`.
async fn phone(running: &RunningSimulator, jid: &str, body: &Value) -> Response {
    post(running, &format!("/sim/phones/{jid}"), body).await
}

/// The texts among what a phone decrypted, in order.
fn texts(received: &[Value]) -> Vec<&str> {
    received
        .iter()
        .filter(|item| item["kind"] == "text")
        .map(|item| item["text"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_text_then_a_reaction_and_a_revoke_go_between_two_phones() {
    let running = start().await;
    let (alice, alice_lid) = account(&running, "15550001111").await;
    let (bob, bob_lid) = account(&running, "15550002222").await;

    let hello = sent_id(
        &running,
        "/sim/send",
        &json!({ "from": alice, "to": bob, "text": "hello" }),
    )
    .await;
    let at_bob = received(&running, &bob).await;
    assert_eq!(at_bob.len(), 1, "{at_bob:?}");
    let text = &at_bob[0];
    assert_eq!(text["kind"], "text");
    assert_eq!(text["id"], hello.as_str());
    assert_eq!(text["from"], alice.as_str());
    assert_eq!(text["chat"], alice.as_str());
    assert_eq!(text["sender"], alice.as_str());
    assert_eq!(text["device"], bob.as_str());
    assert_eq!(text["text"], "hello");
    assert!(text["timestamp"].as_u64().unwrap() > 0);
    for absent in ["target", "emoji", "admin"] {
        assert!(text.get(absent).is_none(), "{text}");
    }
    // Bob's phone acknowledged it with a delivery receipt.
    let seen = receipts(&running, &alice).await;
    assert_eq!(
        seen,
        [json!({ "id": hello, "device": bob, "chat": bob, "kind": "delivery" })]
    );

    // Bob reacts, removes the reaction, then sends a text and revokes it.
    let target = json!({ "id": hello, "from_me": false, "participant": alice });
    let react = sent_id(
        &running,
        "/sim/react",
        &json!({ "from": bob, "chat": alice, "target": target, "emoji": "👍" }),
    )
    .await;
    let unreact = sent_id(
        &running,
        "/sim/react",
        &json!({ "from": bob, "chat": alice, "target": target, "emoji": "" }),
    )
    .await;
    let oops = sent_id(
        &running,
        "/sim/send",
        &json!({ "from": bob, "to": alice_lid, "text": "oops" }),
    )
    .await;
    let revoke = sent_id(
        &running,
        "/sim/revoke",
        &json!({ "from": bob, "chat": alice, "target": { "id": oops, "from_me": true } }),
    )
    .await;

    // Alice's phone, read by its LID, saw all four.
    let at_alice = received(&running, &alice_lid).await;
    let kinds: Vec<&str> = at_alice
        .iter()
        .map(|item| item["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["reaction", "reaction", "text", "revoke"]);
    let ids: Vec<&str> = at_alice
        .iter()
        .map(|item| item["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [&react, &unreact, &oops, &revoke]);
    assert_eq!(at_alice[0]["target"], hello.as_str());
    assert_eq!(at_alice[0]["emoji"], "👍");
    assert_eq!(at_alice[1]["target"], hello.as_str());
    assert_eq!(at_alice[1]["emoji"], "", "a removal is an empty emoji");
    assert_eq!(at_alice[3]["target"], oops.as_str());
    assert_eq!(at_alice[3]["admin"], false);
    assert!(at_alice[3].get("emoji").is_none());
    // The text sent to Alice's LID came from Bob's LID; the rest from his phone number.
    let authors: Vec<&str> = at_alice
        .iter()
        .map(|item| item["from"].as_str().unwrap())
        .collect();
    assert_eq!(authors, [&bob, &bob, &bob_lid, &bob]);
    for item in &at_alice {
        assert_eq!(item["device"], alice.as_str());
    }
}

#[tokio::test]
async fn a_group_admin_revokes_a_members_message() {
    let running = start().await;
    let (alice, _) = account(&running, "15550001111").await;
    let (bob, _) = account(&running, "15550002222").await;
    let (carol, _) = account(&running, "15550003333").await;
    let created = post(
        &running,
        "/sim/groups",
        &json!({ "subject": "Team", "participants": [alice, bob, carol] }),
    )
    .await;
    let group = created.json()["jid"].as_str().unwrap().to_owned();

    let spam = sent_id(
        &running,
        "/sim/send",
        &json!({ "from": carol, "to": group, "text": "spam" }),
    )
    .await;
    let target = json!({ "id": spam, "from_me": false, "participant": carol });
    sent_id(
        &running,
        "/sim/react",
        &json!({ "from": bob, "chat": group, "target": target, "emoji": "😮" }),
    )
    .await;
    // Alice created the group, so she is an admin and may revoke Carol's message.
    sent_id(
        &running,
        "/sim/revoke",
        &json!({ "from": alice, "chat": group, "target": target }),
    )
    .await;

    let at_bob = received(&running, &bob).await;
    assert_eq!(at_bob.len(), 2, "{at_bob:?}");
    assert_eq!(
        (&at_bob[0]["kind"], &at_bob[0]["text"], &at_bob[0]["chat"]),
        (&json!("text"), &json!("spam"), &json!(group))
    );
    assert_eq!(at_bob[0]["from"], carol.as_str());
    let revoke = &at_bob[1];
    assert_eq!(revoke["kind"], "revoke");
    assert_eq!(revoke["from"], alice.as_str());
    assert_eq!(revoke["chat"], group.as_str());
    assert_eq!(revoke["target"], spam.as_str());
    assert_eq!(revoke["admin"], true);

    let at_carol = received(&running, &carol).await;
    let kinds: Vec<&str> = at_carol
        .iter()
        .map(|item| item["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["reaction", "revoke"]);
    assert_eq!(at_carol[0]["emoji"], "😮");
    assert_eq!(at_carol[0]["target"], spam.as_str());
    assert_eq!(at_carol[1]["admin"], true);
}

#[tokio::test]
async fn sending_errors() {
    let running = start().await;
    let (alice, _) = account(&running, "15550001111").await;
    let (bob, _) = account(&running, "15550002222").await;
    let group = post(
        &running,
        "/sim/groups",
        &json!({ "subject": "Solo", "participants": [bob] }),
    )
    .await
    .json()["jid"]
        .as_str()
        .unwrap()
        .to_owned();
    let stranger = "15559999999@s.whatsapp.net";

    let send = |from: &str, to: &str| json!({ "from": from, "to": to, "text": "x" });
    let cases = [
        (send(stranger, &bob), 404, "unknown_account"),
        (send("@@", &bob), 400, "invalid_jid"),
        (send(&alice, "@@"), 400, "invalid_jid"),
        (
            send("15550001111:1@s.whatsapp.net", &bob),
            400,
            "invalid_jid",
        ),
        (send(&alice, "s.whatsapp.net"), 400, "unsupported_chat"),
        (
            send(&alice, "120363000000000000@g.us"),
            404,
            "unknown_group",
        ),
        (send(&alice, &group), 404, "not_in_group"),
        // Nobody has that number.
        (send(&alice, stranger), 404, "unknown_account"),
        (json!({ "from": alice, "to": bob }), 400, "invalid_json"),
        (
            json!({ "from": alice, "to": bob, "text": "x", "extra": 1 }),
            400,
            "invalid_json",
        ),
    ];
    for (body, status, code) in cases {
        post(&running, "/sim/send", &body)
            .await
            .assert_error(status, code);
    }

    let react =
        |target: Value| json!({ "from": alice, "chat": bob, "target": target, "emoji": "x" });
    for (body, code) in [
        (
            react(json!({ "id": "", "from_me": true })),
            "invalid_target",
        ),
        (
            react(json!({ "id": "A", "from_me": false, "participant": "@@" })),
            "invalid_jid",
        ),
        (react(json!({ "id": "A" })), "invalid_json"),
        (
            json!({ "from": alice, "chat": bob, "target": { "id": "A", "from_me": true } }),
            "invalid_json",
        ),
    ] {
        post(&running, "/sim/react", &body)
            .await
            .assert_error(400, code);
    }
    for (body, status, code) in [
        (
            json!({ "from": alice, "chat": bob, "target": { "id": "", "from_me": true } }),
            400,
            "invalid_target",
        ),
        (
            json!({ "from": alice, "chat": bob, "target": { "id": "A", "from_me": true }, "emoji": "" }),
            400,
            "invalid_json",
        ),
        (
            json!({ "from": stranger, "chat": bob, "target": { "id": "A", "from_me": true } }),
            404,
            "unknown_account",
        ),
    ] {
        post(&running, "/sim/revoke", &body)
            .await
            .assert_error(status, code);
    }
    // Nothing reached Bob.
    assert!(received(&running, &bob).await.is_empty());
}

#[tokio::test]
async fn received_and_receipts_query_errors() {
    let running = start().await;
    let (alice, alice_lid) = account(&running, "15550001111").await;
    for route in ["/sim/received", "/sim/receipts"] {
        for (query, status, code) in [
            (String::new(), 400, "invalid_query"),
            ("?who=x".to_owned(), 400, "invalid_query"),
            (format!("?jid={alice}&x=1"), 400, "invalid_query"),
            ("?jid=@@".to_owned(), 400, "invalid_jid"),
            (
                "?jid=15550001111:2@s.whatsapp.net".to_owned(),
                400,
                "invalid_jid",
            ),
            (
                "?jid=15559999999@s.whatsapp.net".to_owned(),
                404,
                "unknown_account",
            ),
            (
                "?jid=120363000000000000@g.us".to_owned(),
                404,
                "unknown_account",
            ),
        ] {
            get(&running, &format!("{route}{query}"))
                .await
                .assert_error(status, code);
        }
        // Percent-encoded, and by LID: an empty list.
        for query in [
            "?jid=15550001111%40s.whatsapp.net".to_owned(),
            format!("?jid={alice_lid}"),
        ] {
            let response = get(&running, &format!("{route}{query}")).await;
            assert_eq!(response.status, 200, "{route}{query}");
            assert_eq!(response.json(), json!([]));
        }
    }
    post(&running, "/sim/received", &json!({ "jid": alice }))
        .await
        .assert_error(405, "method_not_allowed");
}

#[tokio::test]
async fn an_offline_phone_gets_its_messages_when_it_comes_back() {
    let running = start().await;
    let (alice, _) = account(&running, "15550001111").await;
    let (bob, bob_lid) = account(&running, "15550002222").await;
    let response = phone(&running, &bob_lid, &json!({ "online": false })).await;
    assert_eq!(response.status, 204);
    assert!(response.body.is_empty());
    for text in ["one", "two"] {
        sent_id(
            &running,
            "/sim/send",
            &json!({ "from": alice, "to": bob, "text": text }),
        )
        .await;
    }
    assert!(received(&running, &bob).await.is_empty());
    assert!(receipts(&running, &alice).await.is_empty());
    let waiting = get(&running, &format!("/sim/devices/{bob}")).await.json();
    assert_eq!(
        (&waiting["online"], &waiting["waiting"]),
        (&json!(false), &json!(2))
    );

    assert_eq!(
        phone(&running, &bob, &json!({ "online": true }))
            .await
            .status,
        204
    );
    assert_eq!(texts(&received(&running, &bob).await), ["one", "two"]);
    assert_eq!(receipts(&running, &alice).await.len(), 2);
    let waiting = get(&running, &format!("/sim/devices/{bob}")).await.json();
    assert_eq!(waiting["waiting"], 0);
}

#[tokio::test]
async fn failed_decrypts_are_retried_and_given_up_after_five() {
    let running = start().await;
    let (alice, _) = account(&running, "15550001111").await;
    let (bob, _) = account(&running, "15550002222").await;
    let send = |text: &str| json!({ "from": alice, "to": bob, "text": text });

    // One failure: the retry receipt makes Alice's phone resend, and Bob decrypts that.
    let body = json!({ "fail_next_decrypts": 1 });
    assert_eq!(phone(&running, &bob, &body).await.status, 204);
    let first = sent_id(&running, "/sim/send", &send("first")).await;
    assert_eq!(texts(&received(&running, &bob).await), ["first"]);

    // Five: the original and every resend fail, and Bob's phone gives up on the message.
    let body = json!({ "fail_next_decrypts": 5 });
    assert_eq!(phone(&running, &bob, &body).await.status, 204);
    let lost = sent_id(&running, "/sim/send", &send("lost")).await;
    let last = sent_id(&running, "/sim/send", &send("last")).await;
    assert_eq!(texts(&received(&running, &bob).await), ["first", "last"]);
    let delivered: Vec<String> = receipts(&running, &alice)
        .await
        .iter()
        .map(|receipt| receipt["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(delivered, [first, last]);
    assert!(!delivered.contains(&lost));
}

#[tokio::test]
async fn lost_sessions_are_re_established_by_retries() {
    let running = start().await;
    let (alice, _) = account(&running, "15550001111").await;
    let (bob, _) = account(&running, "15550002222").await;
    let send = |text: &str| json!({ "from": alice, "to": bob, "text": text });
    sent_id(&running, "/sim/send", &send("before")).await;
    // Both scripted at once: losing the sessions is applied first.
    let body = json!({ "lose_sessions": true, "online": true });
    assert_eq!(phone(&running, &bob, &body).await.status, 204);
    sent_id(&running, "/sim/send", &send("after")).await;
    assert_eq!(texts(&received(&running, &bob).await), ["before", "after"]);
}

#[tokio::test]
async fn phone_errors() {
    let running = start().await;
    let (alice, _) = account(&running, "15550001111").await;
    let cases = [
        (alice.clone(), json!({}), 400, "nothing_to_do"),
        (
            alice.clone(),
            json!({ "lose_sessions": false }),
            400,
            "nothing_to_do",
        ),
        (
            alice.clone(),
            json!({ "online": "yes" }),
            400,
            "invalid_json",
        ),
        (
            alice.clone(),
            json!({ "fail_next_decrypts": -1 }),
            400,
            "invalid_json",
        ),
        (
            alice.clone(),
            json!({ "offline": true }),
            400,
            "invalid_json",
        ),
        (
            "15550001111:1@s.whatsapp.net".to_owned(),
            json!({ "online": true }),
            400,
            "invalid_jid",
        ),
        (
            "@@".to_owned(),
            json!({ "online": true }),
            400,
            "invalid_jid",
        ),
        (
            "15559999999@s.whatsapp.net".to_owned(),
            json!({ "online": false }),
            404,
            "unknown_account",
        ),
        (
            "15559999999@s.whatsapp.net".to_owned(),
            json!({ "lose_sessions": true }),
            404,
            "unknown_account",
        ),
    ];
    for (jid, body, status, code) in cases {
        phone(&running, &jid, &body)
            .await
            .assert_error(status, code);
    }
    get(&running, &format!("/sim/phones/{alice}"))
        .await
        .assert_error(405, "method_not_allowed");
}

/// A client registering with pairing data, as Baileys and whatsmeow do: its keys and the QR
/// it would show for a ref.
struct NewClient {
    keys: DeviceKeys,
    adv_secret: [u8; 32],
}

impl NewClient {
    fn generate() -> Self {
        let mut adv_secret = [0; 32];
        OsRng.fill_bytes(&mut adv_secret);
        Self {
            keys: DeviceKeys::generate(0, unix_now(), &mut OsRng),
            adv_secret,
        }
    }

    fn identity_public(&self) -> Vec<u8> {
        self.keys
            .identity
            .identity_key()
            .public_key()
            .as_bytes()
            .to_vec()
    }

    fn payload(&self) -> ClientPayload {
        let keys = &self.keys;
        let signed = &keys.signed_pre_key;
        ClientPayload {
            passive: Some(false),
            pull: Some(false),
            device_pairing_data: Some(DevicePairingRegistrationData {
                e_regid: Some(keys.registration_id.0.to_be_bytes().to_vec()),
                e_keytype: Some(vec![5]),
                e_ident: Some(self.identity_public()),
                e_skey_id: Some(signed.id().0.to_be_bytes()[1..].to_vec()),
                e_skey_val: Some(signed.key_pair().public_key().as_bytes().to_vec()),
                e_skey_sig: Some(signed.signature().to_vec()),
                build_hash: Some(vec![0x11; 16]),
                device_props: None,
            }),
            ..ClientPayload::default()
        }
    }

    fn qr(&self, reference: &str) -> String {
        format!(
            "https://wa.me/settings/linked_devices#{reference},{},{},{},1",
            BASE64.encode(self.keys.noise.public_key().as_bytes()),
            BASE64.encode(&self.identity_public()),
            BASE64.encode(&self.adv_secret)
        )
    }

    /// Connects, reads `pair-device`, acknowledges it and returns the first ref.
    async fn register(&self, running: &RunningSimulator) -> (ClientConnection, String) {
        let payload = self.payload();
        let mut conn =
            connect_with(running, self.keys.noise.clone(), IntroHeader::V3, &payload).await;
        let request = recv(&mut conn).await;
        let reference = request
            .child("pair-device")
            .expect("<pair-device>")
            .children_with_tag("ref")
            .next()
            .map(|r| String::from_utf8(r.bytes().unwrap().to_vec()).unwrap())
            .unwrap();
        let result = wa_binary::Node::new("iq")
            .with_attr("to", Jid::server_only(Server::User))
            .with_attr("type", "result")
            .with_attr("id", request.attr_str("id").unwrap().to_owned());
        conn.send(&result).await.unwrap();
        (conn, reference)
    }
}

/// The `<device jid>` of the `pair-success` the client receives next.
async fn pair_success_device(conn: &mut ClientConnection) -> Jid {
    let node = recv(conn).await;
    node.child("pair-success")
        .and_then(|success| success.child("device"))
        .and_then(|device| device.attr_jid("jid"))
        .unwrap_or_else(|| panic!("not pair-success: {node:?}"))
}

#[tokio::test]
async fn a_phone_scans_a_qr_over_http() {
    let running = start().await;
    let (alice, alice_lid) = account(&running, "15550001111").await;

    // Alice's phone (named by its LID) scans: the client becomes her device 1.
    let client = NewClient::generate();
    let (mut conn, reference) = client.register(&running).await;
    let qr = client.qr(&reference);
    let response = post(
        &running,
        "/sim/scan",
        &json!({ "qr": qr, "phone": alice_lid }),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.json());
    let device = response.json();
    assert_eq!(device["jid"], "15550001111:1@s.whatsapp.net");
    assert_eq!(device["lid"], alice_lid.replace("@lid", ":1@lid"));
    assert_eq!(
        pair_success_device(&mut conn).await.to_string(),
        device["jid"].as_str().unwrap()
    );
    // The same QR again is spent.
    post(&running, "/sim/scan", &json!({ "qr": qr, "phone": alice }))
        .await
        .assert_error(409, "pairing_ref_used");

    // Without a phone, a new account's phone scans.
    let other = NewClient::generate();
    let (mut conn, reference) = other.register(&running).await;
    let response = post(
        &running,
        "/sim/scan",
        &json!({ "qr": other.qr(&reference) }),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.json());
    let jid = Jid::parse(response.json()["jid"].as_str().unwrap()).unwrap();
    assert_eq!(jid.device(), 1);
    assert_ne!(jid.user(), "15550001111");
    assert_eq!(pair_success_device(&mut conn).await, jid);
}

#[tokio::test]
async fn scan_errors() {
    let running = start().await;
    let (alice, _) = account(&running, "15550001111").await;
    let client = NewClient::generate();
    let (_conn, reference) = client.register(&running).await;
    let qr = client.qr(&reference);
    // Another client's keys under this connection's ref.
    let impostor = NewClient::generate().qr(&reference);
    let unknown_ref = client.qr("no-such-ref");

    let cases = [
        (json!({ "qr": "not a qr" }), 400, "invalid_qr"),
        (json!({ "qr": impostor }), 400, "qr_key_mismatch"),
        (json!({ "qr": unknown_ref }), 404, "unknown_pairing_ref"),
        (
            json!({ "qr": qr, "phone": "15559999999@s.whatsapp.net" }),
            404,
            "unknown_account",
        ),
        (
            json!({ "qr": qr, "phone": "15550001111:3@s.whatsapp.net" }),
            400,
            "invalid_jid",
        ),
        (json!({ "qr": qr, "phone": "@@" }), 400, "invalid_jid"),
        (json!({ "phone": alice }), 400, "invalid_json"),
        (json!({ "qr": 5 }), 400, "invalid_json"),
    ];
    for (body, status, code) in cases {
        post(&running, "/sim/scan", &body)
            .await
            .assert_error(status, code);
    }
    // None of them used the ref up.
    let response = post(&running, "/sim/scan", &json!({ "qr": qr, "phone": alice })).await;
    assert_eq!(response.status, 200, "{}", response.json());
}
