//! Protobuf on the send path: a reaction `Message` and a revoke `Message` encoded into a reused
//! buffer with prost (the bytes are those of the Baileys vectors), and decoded back.
//! `copy_baseline` copies the same number of bytes, measured in the same run.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use prost::Message as _;
use wa_proto::common::MessageKey;
use wa_proto::e2e::{protocol_message::Type, Message, ProtocolMessage, ReactionMessage};

fn reaction() -> Message {
    Message {
        reaction_message: Some(ReactionMessage {
            key: Some(MessageKey {
                remote_jid: Some("120363012345678901@g.us".into()),
                from_me: Some(false),
                id: Some("3A99887766554433221100".into()),
                participant: Some("15550002222@s.whatsapp.net".into()),
            }),
            text: Some("\u{1F44D}".into()),
            grouping_key: None,
            sender_timestamp_ms: Some(1_700_000_000_000),
        }),
        ..Default::default()
    }
}

fn revoke() -> Message {
    Message {
        protocol_message: Some(Box::new(ProtocolMessage {
            key: Some(MessageKey {
                remote_jid: Some("120363012345678901@g.us".into()),
                from_me: Some(false),
                id: Some("3A99887766554433221100".into()),
                participant: Some("15550002222@s.whatsapp.net".into()),
            }),
            r#type: Some(Type::Revoke as i32),
            edited_message: None,
            timestamp_ms: None,
        })),
        ..Default::default()
    }
}

fn proto_codec(c: &mut Criterion) {
    for (name, message) in [("reaction", reaction()), ("revoke", revoke())] {
        let bytes = message.encode_to_vec();
        let mut group = c.benchmark_group(format!("proto_{name}"));
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        let mut buf = Vec::with_capacity(256);
        group.bench_function("copy_baseline", |b| {
            b.iter(|| {
                buf.clear();
                buf.extend_from_slice(black_box(&bytes));
                black_box(buf.len())
            });
        });
        group.bench_function("encode_reused_buffer", |b| {
            b.iter(|| {
                buf.clear();
                black_box(&message).encode(&mut buf).expect("capacity");
                black_box(buf.len())
            });
        });
        group.bench_function("decode", |b| {
            b.iter(|| Message::decode(black_box(bytes.as_slice())).expect("decodes"));
        });
        group.finish();
    }
}

criterion_group!(benches, proto_codec);
criterion_main!(benches);
