//! Replays a recorded Noise handshake: both roles are driven with the recorded keys and every
//! message, the handshake hash and chaining key at each phase, the split keys, the certificate
//! chain and every transport frame of the session are compared byte for byte. Each transport
//! plaintext is also decoded as a binary node and re-encoded.

use prost::Message as _;
use serde_json::Value;
use wa_binary::{decode_frame, encode_frame, Dictionary};
use wa_noise::{
    frame::write_frame, CertVerifier, ClientHandshake, FrameDecoder, FrameEncoder, IntroHeader,
    KeyPair, PublicKey, ServerHandshake, Transport,
};
use wa_proto::{cert::cert_chain::noise_certificate::Details, cert::CertChain, wa6::ClientPayload};

use crate::json::{array, hex_at, same_bytes, str_field, CaseResult};
use crate::report::Cases;

pub(crate) fn replay(doc: &Value) -> Cases {
    let mut cases = Cases::default();
    let setup = match Setup::read(doc) {
        Ok(setup) => setup,
        Err(why) => {
            cases.record("setup", Err(why));
            return cases;
        }
    };
    cases.record("client_payload_protobuf", client_payload(doc));
    cases.record("cert_chain", setup.cert_chain(doc));
    let client = setup.client_role(doc);
    let server = setup.server_role(doc);
    let handshake_ok = client.is_ok() && server.is_ok();
    let (client, server) = match (client, server) {
        (Ok(c), Ok(s)) => (Some(c), Some(s)),
        (c, s) => {
            cases.record("initiator", c.map(drop));
            cases.record("responder", s.map(drop));
            (None, None)
        }
    };
    if handshake_ok {
        cases.record("initiator", Ok(()));
        cases.record("responder", Ok(()));
    }
    cases.record("transport_keys", transport_keys(doc));
    if doc.get("routingInfoIntroVariant").is_some() {
        cases.record("routing_info_intro", routing_variant(doc, setup.header));
    }
    if let (Some(client), Some(server)) = (client, server) {
        transport_frames(doc, &setup, client, server, &mut cases);
    }
    cases
}

/// Keys and parameters every role needs.
struct Setup {
    header: IntroHeader,
    dictionary: Dictionary,
    client_static: KeyPair,
    client_ephemeral: KeyPair,
    server_static: KeyPair,
    server_ephemeral: KeyPair,
    root: PublicKey,
    /// The moment the chain is checked at: when its last certificate became valid (the vectors
    /// are historical recordings, so the wall clock is not the right reference).
    now: u64,
}

impl Setup {
    fn read(doc: &Value) -> CaseResult<Self> {
        let header_bytes = hex_at(doc, "/constants/NOISE_WA_HEADER")?;
        let [w, a, six, version] = header_bytes.as_slice() else {
            return Err("NOISE_WA_HEADER is not 4 bytes".into());
        };
        if [*w, *a, *six] != IntroHeader::MAGIC {
            return Err("NOISE_WA_HEADER does not start with WA 06".into());
        }
        let dictionary = Dictionary::from_header_version(*version)
            .map_err(|e| format!("intro header dictionary: {e}"))?;
        let chain = hex_at(doc, "/certChain/hex")?;
        Ok(Self {
            header: IntroHeader::new(*version),
            dictionary,
            client_static: key_pair(doc, "clientStatic")?,
            client_ephemeral: key_pair(doc, "clientEphemeral")?,
            server_static: key_pair(doc, "serverStatic")?,
            server_ephemeral: key_pair(doc, "serverEphemeral")?,
            root: PublicKey::from_bytes(key32(doc, "/keys/testCertRoot/public")?),
            now: chain_valid_from(&chain)?,
        })
    }

    fn verifier(&self) -> CertVerifier {
        CertVerifier::new(self.root)
    }

    fn cert_chain(&self, doc: &Value) -> CaseResult<()> {
        let chain = hex_at(doc, "/certChain/hex")?;
        self.verifier()
            .verify(&chain, self.server_static.public_key(), self.now)
            .map_err(|e| format!("recorded chain rejected: {e}"))?;
        if CertVerifier::whatsapp()
            .verify(&chain, self.server_static.public_key(), self.now)
            .is_ok()
        {
            return Err("a test chain verified against WhatsApp's root".into());
        }
        Ok(())
    }

    fn client_role(&self, doc: &Value) -> CaseResult<Transport> {
        let wire = wire_messages(doc)?;
        let hello_ws = hex_at(doc, "/messages/clientHello/wsMessageHex")?;
        let client = ClientHandshake::with_fixed_ephemeral_for_testing(
            self.client_static.clone(),
            self.header,
            self.client_ephemeral.clone(),
        );
        let (client, hello) = client.write_client_hello();
        same_bytes(
            "client hello",
            &hello,
            &hex_at(doc, "/messages/clientHello/handshakeMessageHex")?,
        )?;
        let mut out = FrameEncoder::new(self.header);
        let mut ws = Vec::new();
        out.encode(&hello, &mut ws).map_err(|e| e.to_string())?;
        same_bytes("client hello WebSocket message", &ws, &hello_ws)?;
        if let Some((_, first)) = wire.first() {
            same_bytes("wire[0]", &ws, first)?;
        }

        let server_hello = hex_at(doc, "/messages/serverHello/handshakeMessageHex")?;
        let mut input = FrameDecoder::new();
        input
            .push(&hex_at(doc, "/messages/serverHello/wsMessageHex")?)
            .map_err(|e| e.to_string())?;
        let framed = input
            .next_frame()
            .map_err(|e| e.to_string())?
            .ok_or("server hello WebSocket message holds no whole frame")?;
        same_bytes("server hello deframed", framed, &server_hello)?;
        let client = client
            .read_server_hello(&server_hello, &self.verifier(), self.now)
            .map_err(|e| format!("reading the server hello: {e}"))?;
        if client.server_static() != self.server_static.public_key() {
            return Err("decrypted server static differs from the recorded key".into());
        }
        check_trace(
            doc,
            "after server hello (client)",
            7,
            client.handshake_hash_for_testing(),
            client.chaining_key_for_testing(),
        )?;

        let payload = hex_at(doc, "/messages/clientFinish/decryptedClientPayloadHex")?;
        let (transport, finish) = client
            .write_client_finish(&payload)
            .map_err(|e| format!("writing the client finish: {e}"))?;
        same_bytes(
            "client finish",
            &finish,
            &hex_at(doc, "/messages/clientFinish/handshakeMessageHex")?,
        )?;
        let mut ws = Vec::new();
        out.encode(&finish, &mut ws).map_err(|e| e.to_string())?;
        same_bytes(
            "client finish WebSocket message",
            &ws,
            &hex_at(doc, "/messages/clientFinish/wsMessageHex")?,
        )?;
        Ok(transport)
    }

    fn server_role(&self, doc: &Value) -> CaseResult<Transport> {
        let mut input = FrameDecoder::server();
        input
            .push(&hex_at(doc, "/messages/clientHello/wsMessageHex")?)
            .map_err(|e| e.to_string())?;
        let hello = input
            .next_frame()
            .map_err(|e| e.to_string())?
            .ok_or("client hello WebSocket message holds no whole frame")?
            .to_vec();
        if input.intro_header() != Some(self.header) {
            return Err("intro header not recognised by the server-side deframer".into());
        }
        let server = ServerHandshake::with_fixed_ephemeral_for_testing(
            self.server_static.clone(),
            self.header,
            self.server_ephemeral.clone(),
        );
        let server = server
            .read_client_hello(&hello)
            .map_err(|e| format!("reading the client hello: {e}"))?;
        let (server, server_hello) = server
            .write_server_hello(&hex_at(doc, "/certChain/hex")?)
            .map_err(|e| format!("writing the server hello: {e}"))?;
        same_bytes(
            "server hello",
            &server_hello,
            &hex_at(doc, "/messages/serverHello/handshakeMessageHex")?,
        )?;
        let mut ws = Vec::new();
        write_frame(&server_hello, &mut ws).map_err(|e| e.to_string())?;
        same_bytes(
            "server hello WebSocket message",
            &ws,
            &hex_at(doc, "/messages/serverHello/wsMessageHex")?,
        )?;
        check_trace(
            doc,
            "after server hello (server)",
            7,
            server.handshake_hash_for_testing(),
            server.chaining_key_for_testing(),
        )?;

        input
            .push(&hex_at(doc, "/messages/clientFinish/wsMessageHex")?)
            .map_err(|e| e.to_string())?;
        let finish = input
            .next_frame()
            .map_err(|e| e.to_string())?
            .ok_or("client finish WebSocket message holds no whole frame")?
            .to_vec();
        let outcome = server
            .read_client_finish(&finish)
            .map_err(|e| format!("reading the client finish: {e}"))?;
        same_bytes(
            "decrypted client static",
            outcome.client_static.as_bytes(),
            &hex_at(doc, "/messages/clientFinish/decryptedClientStaticHex")?,
        )?;
        same_bytes(
            "decrypted ClientPayload",
            &outcome.client_payload,
            &hex_at(doc, "/messages/clientFinish/decryptedClientPayloadHex")?,
        )?;
        if let Some(last) = array(doc, "responderTrace").last() {
            same_bytes(
                "final handshake hash",
                outcome.transport.handshake_hash(),
                &hex_at(last, "/h")?,
            )?;
        }
        Ok(outcome.transport)
    }
}

/// Every transport frame of `wire[]`: deframed, decrypted by its receiver, re-encrypted by its
/// sender to the same bytes, and its plaintext decoded as a node and re-encoded byte for byte.
fn transport_frames(
    doc: &Value,
    setup: &Setup,
    mut client: Transport,
    mut server: Transport,
    cases: &mut Cases,
) {
    let Ok(wire) = wire_messages(doc) else {
        return;
    };
    let mut to_server = FrameDecoder::new();
    let mut to_client = FrameDecoder::new();
    let mut plaintexts: Vec<(String, Vec<u8>, Vec<u8>)> = Vec::new();
    for (index, (dir, bytes)) in wire.iter().enumerate().skip(3) {
        let name = format!("wire[{index}] {dir}");
        let (receiver, sender, decoder) = match dir.as_str() {
            "client->server" => (&mut server, &mut client, &mut to_server),
            "server->client" => (&mut client, &mut server, &mut to_client),
            other => {
                cases.record(name, Err(format!("unknown direction {other:?}")));
                continue;
            }
        };
        let result = (|| -> CaseResult<()> {
            decoder.push(bytes).map_err(|e| e.to_string())?;
            let mut again = Vec::new();
            while let Some(frame) = decoder.next_frame().map_err(|e| e.to_string())? {
                let ciphertext = frame.to_vec();
                let plaintext = receiver
                    .decrypt_in_place(frame)
                    .map_err(|e| format!("decrypt: {e}"))?
                    .to_vec();
                sender
                    .encrypt_frame(&plaintext, &mut again)
                    .map_err(|e| format!("encrypt: {e}"))?;
                let node = decode_frame(&plaintext, setup.dictionary)
                    .map_err(|e| format!("node decode: {e}"))?;
                let mut reencoded = Vec::new();
                encode_frame(&node, setup.dictionary, &mut reencoded)
                    .map_err(|e| format!("node encode: {e}"))?;
                if plaintext.first() == Some(&0) {
                    same_bytes("re-encoded node", &reencoded, &plaintext)?;
                }
                plaintexts.push((dir.clone(), plaintext, ciphertext));
            }
            same_bytes("re-encrypted frames", &again, bytes)
        })();
        cases.record(name, result);
    }
    for (i, expected) in array(doc, "firstTransportFrames").iter().enumerate() {
        let result = (|| -> CaseResult<()> {
            let dir = str_field(expected, "dir")?;
            let counter = expected
                .get("counter")
                .and_then(Value::as_u64)
                .and_then(|c| usize::try_from(c).ok())
                .ok_or("counter missing")?;
            let (_, plaintext, ciphertext) = plaintexts
                .iter()
                .filter(|(d, _, _)| d == dir)
                .nth(counter)
                .ok_or("no such frame on the wire")?;
            same_bytes("plaintext", plaintext, &hex_at(expected, "/plaintextHex")?)?;
            same_bytes(
                "ciphertext",
                ciphertext,
                &hex_at(expected, "/ciphertextHex")?,
            )
        })();
        cases.record(format!("firstTransportFrames[{i}]"), result);
    }
}

/// The recorded split keys open the first transport frame of each direction on the wire (the
/// handshake's own transports must open every frame: see the `wire[...]` cases). AES-GCM's tag
/// makes that a check of the keys themselves, without reading keys out of a `Transport`.
fn transport_keys(doc: &Value) -> CaseResult<()> {
    let c2s = key32(doc, "/transportKeys/clientToServer")?;
    let s2c = key32(doc, "/transportKeys/serverToClient")?;
    let wire = wire_messages(doc)?;
    for (dir, mut receiver) in [
        (
            "client->server",
            Transport::from_split_keys_for_testing(&s2c, &c2s),
        ),
        (
            "server->client",
            Transport::from_split_keys_for_testing(&c2s, &s2c),
        ),
    ] {
        let (_, first) = wire
            .iter()
            .skip(3)
            .find(|(d, _)| d == dir)
            .ok_or_else(|| format!("no {dir} transport frame on the wire"))?;
        let mut decoder = FrameDecoder::new();
        decoder.push(first).map_err(|e| e.to_string())?;
        let frame = decoder
            .next_frame()
            .map_err(|e| e.to_string())?
            .ok_or("no whole frame")?;
        receiver
            .decrypt_in_place(frame)
            .map_err(|_| format!("the recorded {dir} key does not open the first {dir} frame"))?;
    }
    Ok(())
}

fn routing_variant(doc: &Value, header: IntroHeader) -> CaseResult<()> {
    let routing = hex_at(doc, "/routingInfoIntroVariant/routingInfoHex")?;
    let hello = hex_at(doc, "/messages/clientHello/handshakeMessageHex")?;
    let expected = hex_at(doc, "/routingInfoIntroVariant/firstWsMessageHex")?;
    let mut encoder =
        FrameEncoder::with_routing_info(header, &routing).map_err(|e| e.to_string())?;
    let mut ws = Vec::new();
    encoder.encode(&hello, &mut ws).map_err(|e| e.to_string())?;
    same_bytes("first WebSocket message with routing info", &ws, &expected)?;
    let mut decoder = FrameDecoder::server();
    decoder.push(&expected).map_err(|e| e.to_string())?;
    if decoder.routing_info() != Some(routing.as_slice()) {
        return Err("server-side deframer did not report the routing info".into());
    }
    let frame = decoder
        .next_frame()
        .map_err(|e| e.to_string())?
        .ok_or("no frame after the routing prefix")?;
    same_bytes("client hello after the routing prefix", frame, &hello)
}

fn client_payload(doc: &Value) -> CaseResult<()> {
    let bytes = hex_at(doc, "/messages/clientFinish/decryptedClientPayloadHex")?;
    let payload = ClientPayload::decode(bytes.as_slice()).map_err(|e| e.to_string())?;
    same_bytes("re-encoded ClientPayload", &payload.encode_to_vec(), &bytes)?;
    if let Some(username) = doc
        .pointer("/messages/clientFinish/clientPayloadDecoded/username")
        .and_then(Value::as_str)
    {
        if payload.username.map(|u| u.to_string()).as_deref() != Some(username) {
            return Err("username differs from the decoded form".into());
        }
    }
    Ok(())
}

/// Compares h and ck with `responderTrace[step]` when the file has that step.
fn check_trace(doc: &Value, what: &str, step: usize, h: [u8; 32], ck: [u8; 32]) -> CaseResult<()> {
    let Some(entry) = array(doc, "responderTrace").get(step) else {
        return Ok(());
    };
    same_bytes(&format!("h {what}"), &h, &hex_at(entry, "/h")?)?;
    same_bytes(&format!("ck {what}"), &ck, &hex_at(entry, "/ck")?)
}

fn key32(doc: &Value, pointer: &str) -> CaseResult<[u8; 32]> {
    hex_at(doc, pointer)?
        .try_into()
        .map_err(|_| format!("`{pointer}` is not 32 bytes"))
}

/// A recorded key pair; its private key must give its recorded public key.
fn key_pair(doc: &Value, name: &str) -> CaseResult<KeyPair> {
    let pair = KeyPair::from_private_bytes(key32(doc, &format!("/keys/{name}/private"))?);
    let public = key32(doc, &format!("/keys/{name}/public"))?;
    if pair.public_key().as_bytes() != &public {
        return Err(format!(
            "{name}: private key does not give the recorded public key"
        ));
    }
    Ok(pair)
}

fn wire_messages(doc: &Value) -> CaseResult<Vec<(String, Vec<u8>)>> {
    array(doc, "wire")
        .iter()
        .map(|m| Ok((str_field(m, "dir")?.to_owned(), hex_at(m, "/hex")?)))
        .collect()
}

/// The latest `notBefore` in the chain.
fn chain_valid_from(chain: &[u8]) -> CaseResult<u64> {
    let chain = CertChain::decode(chain).map_err(|e| format!("CertChain: {e}"))?;
    [chain.intermediate, chain.leaf]
        .into_iter()
        .flatten()
        .map(|cert| {
            Details::decode(cert.details.unwrap_or_default().as_slice())
                .map(|d| d.not_before.unwrap_or(0))
                .map_err(|e| format!("certificate details: {e}"))
        })
        .try_fold(0, |latest, nb| nb.map(|nb| latest.max(nb)))
}
