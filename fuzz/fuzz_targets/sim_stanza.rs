//! Arbitrary bytes as a stanza a logged-in companion sends to the simulator (decoded with
//! dictionary v3, as the simulator's connections do), and as a pairing QR string.
//!
//! Oracle, for every input that decodes to a node:
//! * handling it never panics (routing, receipts, IQs, the simulated phones that get what it
//!   causes);
//! * an `<iq>` of type get/set, a `<message>` or a `<receipt>` with an `id` is always answered,
//!   and the answer carries that `id`;
//! * the simulator stays usable: a ping afterwards is answered with `type="result"`.
//!
//! The harness is rebuilt every 256 inputs so state accumulated by earlier inputs (ledger
//! entries, mailboxes) is exercised without growing without bound.

#![no_main]

use std::cell::RefCell;

use libfuzzer_sys::fuzz_target;
use wa_binary::{decode_frame, Dictionary, Node};
use wa_sim::fuzzing::{parse_qr, Harness};

thread_local! {
    static HARNESS: RefCell<(Harness, u32)> = RefCell::new((Harness::new(), 0));
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_qr(text);
    }
    let Ok(stanza) = decode_frame(data, Dictionary::V3) else {
        return;
    };
    HARNESS.with(|cell| {
        let mut cell = cell.borrow_mut();
        cell.1 += 1;
        if cell.1 % 256 == 0 {
            cell.0 = Harness::new();
        }
        let harness = &cell.0;
        let reply = harness.stanza(&stanza);
        let answered = match stanza.tag() {
            "iq" => matches!(stanza.attr_str("type"), Some("get" | "set")),
            "message" | "receipt" => true,
            _ => false,
        };
        if answered {
            if let Some(id) = stanza.attr_str("id") {
                let reply = reply.unwrap_or_else(|| panic!("no answer to {stanza:?}"));
                assert_eq!(reply.attr_str("id"), Some(id), "answer {reply:?} to {stanza:?}");
            }
        }
        let ping = Node::new("iq")
            .with_attr("id", "fuzz-ping")
            .with_attr("xmlns", "w:p")
            .with_attr("type", "get")
            .with_children(vec![Node::new("ping")]);
        let pong = harness.stanza(&ping).expect("ping answered");
        assert_eq!(pong.attr_str("type"), Some("result"));
    });
});
