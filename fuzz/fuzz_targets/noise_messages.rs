//! Arbitrary bytes as Noise handshake messages, through `wa_noise::fuzzing` (fixed keys, fixed
//! test root).
//!
//! Input layout: `[selector] [body...]`, the selector taken mod 5:
//! * 0: `body` is a server hello read by a client that sent its hello;
//! * 1: `body` is a client hello read by a fresh server (which then writes its hello);
//! * 2: `body` is a client finish read by a server that completed the first two messages;
//! * 3: `body` = `[static len: u8] [static] [now: u64 BE] [cert chain]`, encrypted correctly into
//!   a server hello, so the fuzzer reaches the static-key checks and the certificate parser;
//! * 4: `body` = `[static len: u8] [static] [payload]`, encrypted correctly into a client finish.
//!
//! Oracle, beyond "no panic": the fuzzer cannot forge AES-GCM, so uncrafted server hellos and
//! client finishes (0, 2) are never accepted; a crafted server hello (3) is accepted only with a
//! 32-byte key and a chain that `CertVerifier` accepts on its own, and a certificate error from
//! the handshake is exactly the error `CertVerifier::verify` gives for the same chain, key and
//! time; a crafted client finish (4) is accepted only with a 32-byte key.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wa_noise::{fuzzing, CertVerifier, Error, KeyPair, PublicKey};

/// The time for uncrafted server hellos (they never get as far as the certificate).
const NOW: u64 = 1_750_000_000;
/// The test root's private key in `wa_noise::fuzzing`.
const ROOT_PRIVATE: [u8; 32] = [0x55; 32];

fn take<'a>(data: &mut &'a [u8], len: usize) -> &'a [u8] {
    let (head, tail) = data.split_at(len.min(data.len()));
    *data = tail;
    head
}

fn take_static<'a>(body: &mut &'a [u8]) -> &'a [u8] {
    let len = take(body, 1).first().copied().unwrap_or(0);
    take(body, usize::from(len))
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, mut body)) = data.split_first() else {
        return;
    };
    match selector % 5 {
        0 => assert!(
            fuzzing::client_read_server_hello(body, NOW).is_err(),
            "accepted a server hello it cannot authenticate"
        ),
        1 => drop(fuzzing::server_read_client_hello(body)),
        2 => assert!(
            fuzzing::server_read_client_finish(body).is_err(),
            "accepted a client finish it cannot authenticate"
        ),
        3 => {
            let server_static = take_static(&mut body);
            let mut now = [0u8; 8];
            let now_bytes = take(&mut body, 8);
            now[..now_bytes.len()].copy_from_slice(now_bytes);
            let now = u64::from_be_bytes(now);
            let cert_chain = body;
            let result = fuzzing::client_read_crafted_server_hello(server_static, cert_chain, now);
            let key = PublicKey::from_slice(server_static);
            let root = *KeyPair::from_private_bytes(ROOT_PRIVATE).public_key();
            let direct = key.map(|key| CertVerifier::new(root).verify(cert_chain, &key, now));
            match (&result, &direct) {
                (Ok(()), Some(Ok(_))) => {}
                (Ok(()), _) => panic!("accepted a server hello whose chain does not verify"),
                (Err(Error::Cert(from_handshake)), Some(Err(from_verifier))) => assert_eq!(
                    from_handshake, from_verifier,
                    "handshake and verifier disagree on the chain"
                ),
                (Err(Error::Cert(e)), _) => panic!("certificate error {e:?} for a chain that verifies"),
                (Err(_), _) => {}
            }
        }
        _ => {
            let client_static = take_static(&mut body);
            let result = fuzzing::server_read_crafted_client_finish(client_static, body);
            if result.is_ok() {
                assert!(
                    PublicKey::from_slice(client_static).is_some(),
                    "accepted a client static key of {} bytes",
                    client_static.len()
                );
            }
        }
    }
});
