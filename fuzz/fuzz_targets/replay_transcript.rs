//! Arbitrary bytes as a `wa-replay` transcript file: `Transcript::from_json` on the text, then
//! each name as a JID and each frame's hex and description.
//!
//! Oracle beyond "no panic": a transcript that loads is written back by `to_json` into text
//! that loads again to an equal transcript and is written the same way (the format is stable);
//! a frame's bytes, when its hex decodes, are half as many as its hex digits.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wa_replay::{Entry, Transcript};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(transcript) = Transcript::from_json(text) else {
        return;
    };
    let written = transcript.to_json();
    let again = Transcript::from_json(&written).expect("written transcript loads");
    assert_eq!(again, transcript, "round trip changed the transcript");
    assert_eq!(again.to_json(), written, "writing is not stable");
    for name in transcript.names.keys() {
        let _ = transcript.name(name);
    }
    for connection in &transcript.connections {
        for entry in &connection.entries {
            if let Entry::Frame(frame) = entry {
                if let Ok(bytes) = frame.bytes() {
                    assert_eq!(bytes.len() * 2, frame.frame.len());
                }
                let _ = frame.describe();
            }
        }
    }
});
