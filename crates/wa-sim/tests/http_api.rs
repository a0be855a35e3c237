//! The control API under `/sim/` against a real listening simulator, through a minimal
//! HTTP/1.1 client on a raw `TcpStream`: the info, account, group and device routes' happy
//! paths and error statuses, routing on the shared port (404 elsewhere, 405, keep-alive), and a
//! WebSocket login on the same port. The phone and fault routes are in `http_phones.rs` and
//! `http_faults.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
mod http_client;

use data_encoding::BASE64;
use prost::Message as _;
use rand_core::OsRng;
use serde_json::{json, Value};
use wa_binary::Jid;
use wa_proto::adv::{AdvDeviceIdentity, AdvSignedDeviceIdentity};
use wa_signal::keys::serialize_public_key;
use wa_sim::{unix_now, DeviceKeys, RunningSimulator};

use http_client::{self as client, account, b64, device_body, get, post, post_raw, request, start};
#[tokio::test]
async fn info_names_the_websocket_url_and_the_keys() {
    let running = start().await;
    let response = get(&running, "/sim/info").await;
    assert_eq!(response.status, 200);
    assert!(response
        .header("content-type")
        .is_some_and(|value| value.starts_with("application/json")));
    let body = response.json();
    assert_eq!(body["ws_url"], running.url());
    let sim = running.simulator();
    assert_eq!(
        body["root_public_key"],
        b64(sim.root_public_key().as_bytes())
    );
    assert_eq!(
        body["server_static_key"],
        b64(sim.server_static_public_key().as_bytes())
    );
    assert_eq!(
        running.control_url(),
        format!("http://{}/sim/", running.local_addr())
    );
}

#[tokio::test]
async fn accounts_are_created_with_or_without_a_phone() {
    let running = start().await;
    let (jid, lid) = account(&running, "15550001111").await;
    assert_eq!(jid, "15550001111@s.whatsapp.net");
    let lid = Jid::parse(&lid).unwrap();
    assert_eq!(lid.user().len(), 15);
    assert_eq!(lid.server().as_str(), "lid");

    // No body at all, and an empty object: a random number each.
    let empty = post_raw(&running, "/sim/accounts", "").await;
    assert_eq!(empty.status, 201);
    let object = post(&running, "/sim/accounts", &json!({})).await;
    assert_eq!(object.status, 201);
    assert_ne!(empty.json()["jid"], object.json()["jid"]);
    assert!(empty.json()["jid"].as_str().unwrap().starts_with("999"));
}

#[tokio::test]
async fn account_errors() {
    let running = start().await;
    account(&running, "15550001111").await;
    post(
        &running,
        "/sim/accounts",
        &json!({ "phone": "15550001111" }),
    )
    .await
    .assert_error(409, "phone_taken");
    for phone in ["12", "0555000111", "1555abc0111"] {
        post(&running, "/sim/accounts", &json!({ "phone": phone }))
            .await
            .assert_error(400, "invalid_phone");
    }
    for body in [
        "{",
        "[]",
        r#"{"phone": 15550002222}"#,
        r#"{"phon": "1"}"#,
        "\u{0}",
    ] {
        post_raw(&running, "/sim/accounts", body)
            .await
            .assert_error(400, "invalid_json");
    }
}

#[tokio::test]
async fn devices_register_read_and_remove_and_log_in_on_the_same_port() {
    let running = start().await;
    let (jid, lid) = account(&running, "15550001111").await;
    let keys = DeviceKeys::generate(3, unix_now(), &mut OsRng);
    // The account named by its LID works as well as by its phone number.
    let response = post(&running, "/sim/devices", &device_body(&lid, &keys)).await;
    assert_eq!(response.status, 201, "{}", response.json());
    let created = response.json();
    assert_eq!(created["jid"], "15550001111:1@s.whatsapp.net");
    let device_lid = created["lid"].as_str().unwrap();
    assert_eq!(device_lid, lid.replace("@lid", ":1@lid"));

    for path in [
        "/sim/devices/15550001111:1@s.whatsapp.net".to_owned(),
        format!("/sim/devices/{device_lid}"),
        // Percent-encoded, as careful clients write it.
        "/sim/devices/15550001111%3A1%40s.whatsapp.net".to_owned(),
    ] {
        let response = get(&running, &path).await;
        assert_eq!(response.status, 200, "{path}");
        let info = response.json();
        assert_eq!(info["jid"], created["jid"]);
        assert_eq!(info["lid"], device_lid);
        assert_eq!(
            info["identity_key"],
            b64(keys.identity.identity_key().public_key().as_bytes())
        );
        assert_eq!(info["registration_id"], keys.registration_id.0);
        assert_eq!(info["signed_pre_key"]["id"], 1);
        assert_eq!(info["pre_key_count"], 3);
        assert_eq!(info["removed"], false);
        assert_eq!(
            (&info["online"], &info["waiting"]),
            (&json!(false), &json!(0))
        );
    }

    // The answer carried the account-signed identity the simulator holds for the device.
    let sim = running.simulator();
    let device_jid = Jid::parse("15550001111:1@s.whatsapp.net").unwrap();
    let identity = BASE64
        .decode(created["device_identity"].as_str().unwrap().as_bytes())
        .unwrap();
    assert_eq!(identity, sim.device_identity(&device_jid).unwrap());
    let signed = AdvSignedDeviceIdentity::decode(identity.as_slice()).unwrap();
    let message = [
        &[6, 0][..],
        signed.details(),
        keys.identity.identity_key().public_key().as_bytes(),
    ]
    .concat();
    wa_curve25519::try_verify(
        signed.account_signature_key(),
        &message,
        signed.account_signature(),
    )
    .expect("account signature");
    let details = AdvDeviceIdentity::decode(signed.details()).unwrap();
    assert_eq!(details.key_index(), 1);

    // The device registered over HTTP logs in over the WebSocket on the same port, and shows
    // as online while it is connected.
    let path = format!("/sim/devices/{}", created["jid"].as_str().unwrap());
    let info = sim.device(&device_jid).unwrap();
    let conn = common::login(&running, &info, &keys).await;
    assert_eq!(get(&running, &path).await.json()["online"], true);
    drop(conn);
    wait_until_offline(&running, &path).await;

    // What is sent to it while it is offline waits for it.
    let (other, _) = account(&running, "15550002222").await;
    let sent = post(
        &running,
        "/sim/send",
        &json!({ "from": other, "to": jid, "text": "while you were out" }),
    )
    .await;
    assert_eq!(sent.status, 200, "{}", sent.json());
    assert_eq!(get(&running, &path).await.json()["waiting"], 1);

    let removed = request(running.local_addr(), "DELETE", &path, None).await;
    assert_eq!(removed.status, 204);
    assert!(removed.body.is_empty());
    assert_eq!(get(&running, &path).await.json()["removed"], true);
    assert!(sim.device(&device_jid).unwrap().removed);
    assert_eq!(jid, "15550001111@s.whatsapp.net");
}

/// Polls the device until its closed connection is noticed.
async fn wait_until_offline(running: &RunningSimulator, path: &str) {
    let deadline = tokio::time::Instant::now() + common::TIMEOUT;
    while get(running, path).await.json()["online"] == true {
        assert!(tokio::time::Instant::now() < deadline, "still online");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn devices_accept_33_byte_signal_keys() {
    let running = start().await;
    let (jid, _) = account(&running, "15550001111").await;
    let keys = DeviceKeys::generate(1, unix_now(), &mut OsRng);
    let mut body = device_body(&jid, &keys);
    body["identity_key"] = b64(&keys.identity.identity_key().serialize()).into();
    let signed = keys.signed_pre_key.key_pair().public_key();
    body["signed_pre_key"]["public_key"] = b64(&serialize_public_key(signed)).into();
    let response = post(&running, "/sim/devices", &body).await;
    assert_eq!(response.status, 201, "{}", response.json());
}

#[tokio::test]
async fn device_errors() {
    let running = start().await;
    let (jid, _) = account(&running, "15550001111").await;
    let keys = DeviceKeys::generate(1, unix_now(), &mut OsRng);
    let good = device_body(&jid, &keys);

    let with = |pointer: &str, value: Value| {
        let mut body = good.clone();
        *body.pointer_mut(pointer).unwrap() = value;
        body
    };
    let cases = [
        (with("/account", "not a jid@@".into()), 400, "invalid_jid"),
        (with("/noise_key", "%%%".into()), 400, "invalid_base64"),
        (
            with("/identity_key", b64(&[1; 31]).into()),
            400,
            "invalid_key",
        ),
        (
            with("/signed_pre_key/signature", b64(&[1; 63]).into()),
            400,
            "invalid_signature",
        ),
        (
            with("/signed_pre_key/signature", b64(&[1; 64]).into()),
            400,
            "bad_signature",
        ),
        (
            with("/pre_keys/0/id", 0x0100_0000.into()),
            400,
            "prekey_id_range",
        ),
        (with("/registration_id", "one".into()), 400, "invalid_json"),
        (
            with("/account", "15559999999@s.whatsapp.net".into()),
            404,
            "unknown_account",
        ),
    ];
    for (body, status, code) in cases {
        post(&running, "/sim/devices", &body)
            .await
            .assert_error(status, code);
    }
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("noise_key");
    post(&running, "/sim/devices", &missing)
        .await
        .assert_error(400, "invalid_json");
    // Nothing was registered by the refused requests.
    get(&running, "/sim/devices/15550001111:1@s.whatsapp.net")
        .await
        .assert_error(404, "unknown_device");

    get(&running, "/sim/devices/15559999999:1@s.whatsapp.net")
        .await
        .assert_error(404, "unknown_account");
    get(&running, "/sim/devices/a@b@c")
        .await
        .assert_error(400, "invalid_jid");
    request(
        running.local_addr(),
        "DELETE",
        "/sim/devices/15550001111:7@s.whatsapp.net",
        None,
    )
    .await
    .assert_error(404, "unknown_device");
}

#[tokio::test]
async fn too_many_devices_is_a_conflict() {
    let running = start().await;
    let (jid, _) = account(&running, "15550001111").await;
    let keys = DeviceKeys::generate(0, unix_now(), &mut OsRng);
    let body = device_body(&jid, &keys);
    for _ in 1..=99 {
        let response = post(&running, "/sim/devices", &body).await;
        assert_eq!(response.status, 201);
    }
    post(&running, "/sim/devices", &body)
        .await
        .assert_error(409, "too_many_devices");
}

#[tokio::test]
async fn groups_are_created_read_and_administered() {
    let running = start().await;
    let (alice, alice_lid) = account(&running, "15550001111").await;
    let (bob, bob_lid) = account(&running, "15550002222").await;
    let (carol, _) = account(&running, "15550003333").await;

    // Creator defaults to the first participant; LID and PN JIDs mix.
    let body =
        json!({ "subject": "Team", "participants": [alice_lid, bob, carol], "addressing": "lid" });
    let response = post(&running, "/sim/groups", &body).await;
    assert_eq!(response.status, 201, "{}", response.json());
    let group = response.json()["jid"].as_str().unwrap().to_owned();
    assert!(
        group.starts_with("120363") && group.ends_with("@g.us"),
        "{group}"
    );

    let metadata = get(&running, &format!("/sim/groups/{group}")).await;
    assert_eq!(metadata.status, 200);
    let metadata = metadata.json();
    assert_eq!(metadata["jid"], group);
    assert_eq!(metadata["subject"], "Team");
    assert_eq!(metadata["addressing"], "lid");
    assert_eq!(metadata["creator"]["jid"], alice);
    assert_eq!(metadata["creator"]["lid"], alice_lid);
    assert!(metadata["created"].as_u64().unwrap() > 0);
    let roles: Vec<(&str, &str)> = metadata["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["jid"].as_str().unwrap(), p["role"].as_str().unwrap()))
        .collect();
    assert_eq!(
        roles,
        [
            (alice.as_str(), "superadmin"),
            (bob.as_str(), "member"),
            (carol.as_str(), "member")
        ]
    );
    assert_eq!(metadata["participants"][1]["lid"], bob_lid);

    let admins = format!("/sim/groups/{group}/admins");
    let promoted = post(
        &running,
        &admins,
        &json!({ "participant": bob_lid, "admin": true }),
    )
    .await;
    assert_eq!(promoted.status, 200);
    assert_eq!(promoted.json()["participants"][1]["role"], "admin");
    let demoted = post(
        &running,
        &admins,
        &json!({ "participant": bob, "admin": false }),
    )
    .await;
    assert_eq!(demoted.json()["participants"][1]["role"], "member");

    // An explicit creator, default (PN) addressing.
    let body = json!({ "subject": "Pair", "participants": [bob], "creator": carol });
    let response = post(&running, "/sim/groups", &body).await;
    assert_eq!(response.status, 201);
    let pair = response.json()["jid"].as_str().unwrap().to_owned();
    let metadata = get(&running, &format!("/sim/groups/{pair}")).await.json();
    assert_eq!(metadata["addressing"], "pn");
    assert_eq!(metadata["creator"]["jid"], carol);
    assert_eq!(metadata["participants"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn group_errors() {
    let running = start().await;
    let (alice, _) = account(&running, "15550001111").await;
    let (bob, _) = account(&running, "15550002222").await;
    let body = json!({ "subject": "Team", "participants": [alice] });
    let group = post(&running, "/sim/groups", &body).await.json()["jid"]
        .as_str()
        .unwrap()
        .to_owned();

    let cases = [
        (
            json!({ "subject": "", "participants": [alice] }),
            400,
            "invalid_subject",
        ),
        (
            json!({ "subject": "x", "participants": [] }),
            400,
            "missing_creator",
        ),
        (
            json!({ "subject": "x", "participants": ["@@"] }),
            400,
            "invalid_jid",
        ),
        (
            json!({ "subject": "x", "participants": [alice], "creator": "@@" }),
            400,
            "invalid_jid",
        ),
        (
            json!({ "subject": "x", "participants": [alice], "addressing": "email" }),
            400,
            "invalid_json",
        ),
        (json!({ "participants": [alice] }), 400, "invalid_json"),
        (
            json!({ "subject": "x", "participants": [alice, "15559999999@s.whatsapp.net"] }),
            404,
            "unknown_participant",
        ),
        (
            json!({ "subject": "x", "participants": [alice], "creator": "15559999999@s.whatsapp.net" }),
            404,
            "unknown_account",
        ),
    ];
    for (body, status, code) in cases {
        post(&running, "/sim/groups", &body)
            .await
            .assert_error(status, code);
    }

    get(&running, "/sim/groups/120363000000000000@g.us")
        .await
        .assert_error(404, "unknown_group");
    // A JID that is not a group's names no group.
    get(&running, &format!("/sim/groups/{alice}"))
        .await
        .assert_error(404, "unknown_group");
    get(&running, "/sim/groups/@@")
        .await
        .assert_error(400, "invalid_jid");
    let admins = format!("/sim/groups/{group}/admins");
    post(
        &running,
        &admins,
        &json!({ "participant": bob, "admin": true }),
    )
    .await
    .assert_error(404, "not_in_group");
    post(&running, &admins, &json!({ "participant": alice }))
        .await
        .assert_error(400, "invalid_json");
    post(
        &running,
        "/sim/groups/120363000000000000@g.us/admins",
        &json!({ "participant": alice, "admin": true }),
    )
    .await
    .assert_error(404, "unknown_group");
}

#[tokio::test]
async fn other_paths_and_methods_get_json_errors() {
    let running = start().await;
    for path in ["/", "/sim/", "/sim/nothing", "/favicon.ico", "/ws/other"] {
        get(&running, path).await.assert_error(404, "not_found");
    }
    request(running.local_addr(), "PUT", "/sim/accounts", None)
        .await
        .assert_error(405, "method_not_allowed");
    request(running.local_addr(), "DELETE", "/sim/info", None)
        .await
        .assert_error(405, "method_not_allowed");
}

#[tokio::test]
async fn garbage_is_refused_without_a_server_error() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let running = start().await;
    let mut stream = tokio::net::TcpStream::connect(running.local_addr())
        .await
        .unwrap();
    stream
        .write_all(b"\x16\x03\x01 not http at all\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(common::TIMEOUT, stream.read_to_end(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&answer);
    assert!(text.is_empty() || text.starts_with("HTTP/1.1 4"), "{text}");
}

#[tokio::test]
async fn one_connection_carries_several_requests() {
    let running = start().await;
    let mut stream = tokio::net::TcpStream::connect(running.local_addr())
        .await
        .unwrap();
    client::send(
        &mut stream,
        "POST",
        "/sim/accounts",
        Some(r#"{"phone":"15550001111"}"#),
        false,
    )
    .await;
    let first = client::read(&mut stream).await;
    assert_eq!(first.status, 201);
    client::send(&mut stream, "GET", "/sim/info", None, false).await;
    let second = client::read(&mut stream).await;
    assert_eq!(second.status, 200);
    client::send(
        &mut stream,
        "POST",
        "/sim/accounts",
        Some(r#"{"phone":"15550001111"}"#),
        true,
    )
    .await;
    client::read(&mut stream)
        .await
        .assert_error(409, "phone_taken");
}

#[tokio::test]
async fn websocket_and_http_clients_share_the_port_concurrently() {
    let running = start().await;
    let sim = running.simulator();
    let account = sim.create_account(Some("15550001111")).unwrap();
    let keys = DeviceKeys::generate(1, unix_now(), &mut OsRng);
    let device = sim
        .register_device(&account.jid, keys.registration())
        .unwrap();
    let mut conn = common::login(&running, &device, &keys).await;
    // While the WebSocket is open, the API answers on the same port and sees the same state.
    let path = format!("/sim/devices/{}", device.jid);
    assert_eq!(get(&running, &path).await.json()["removed"], false);
    let ping = wa_binary::Node::new("iq")
        .with_attr("id", "p1")
        .with_attr("type", "get")
        .with_attr("xmlns", "w:p")
        .with_attr("to", Jid::server_only(wa_binary::Server::User))
        .with_children(vec![wa_binary::Node::new("ping")]);
    conn.send(&ping).await.unwrap();
    let pong = common::recv(&mut conn).await;
    assert_eq!(pong.attr_str("type"), Some("result"));
}

#[tokio::test]
async fn a_request_head_arriving_in_pieces_is_still_routed() {
    use tokio::io::AsyncWriteExt as _;
    let running = start().await;
    let mut stream = tokio::net::TcpStream::connect(running.local_addr())
        .await
        .unwrap();
    stream.set_nodelay(true).unwrap();
    for piece in [
        "GE",
        "T /sim/in",
        "fo HTTP/1.1\r\nHost: sim\r\n",
        "Connection: close\r\n\r\n",
    ] {
        stream.write_all(piece.as_bytes()).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    }
    let response = client::read(&mut stream).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["ws_url"], running.url());
}
