//! Binary-node codec on the send path: a 1:1 reaction `<message>` stanza (three devices, one
//! ~150-byte `<enc>` each) encoded into a reused buffer, and decoded (borrowed, and detached
//! with `into_owned`). `copy_frame_baseline` copies the same number of bytes into the same
//! buffer, so the codec's cost can be read as a ratio to a plain copy measured in the same run.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use wa_binary::{decode_frame, encode_frame, Dictionary, Jid, Node};

/// `<message id to type="reaction"><participants><to jid><enc v="2" type="msg"
/// decrypt-fail="hide">` x 3, borrowing the ciphertexts.
fn reaction_stanza(ciphertexts: &[Vec<u8>; 3]) -> Node<'_> {
    let to: Jid = "15550002222@s.whatsapp.net".parse().expect("jid");
    let devices = [
        "15550002222@s.whatsapp.net",
        "15550002222:2@s.whatsapp.net",
        "15550001111@s.whatsapp.net",
    ];
    let participants = devices
        .iter()
        .zip(ciphertexts)
        .map(|(device, ciphertext)| {
            let jid: Jid = device.parse().expect("device jid");
            Node::new("to")
                .with_attr("jid", jid)
                .with_children(vec![Node::new("enc")
                    .with_attr("v", "2")
                    .with_attr("type", "msg")
                    .with_attr("decrypt-fail", "hide")
                    .with_bytes(ciphertext.as_slice())])
        })
        .collect();
    Node::new("message")
        .with_attr("id", "3EB06390102BD4BBEB3532")
        .with_attr("to", to)
        .with_attr("type", "reaction")
        .with_children(vec![Node::new("participants").with_children(participants)])
}

fn node_codec(c: &mut Criterion) {
    // 150 bytes per device, like a `msg` ciphertext of a reaction.
    let ciphertexts: [Vec<u8>; 3] = std::array::from_fn(|d| {
        (0..150u8)
            .map(|i| {
                i.wrapping_mul(31)
                    .wrapping_add(u8::try_from(d).unwrap_or(0))
            })
            .collect()
    });
    let stanza = reaction_stanza(&ciphertexts);

    for dict in [Dictionary::V3, Dictionary::V2] {
        let mut frame = Vec::new();
        encode_frame(&stanza, dict, &mut frame).expect("encodes");
        let mut group = c.benchmark_group(format!("node_codec_{dict}"));
        group.throughput(Throughput::Bytes(frame.len() as u64));

        let mut buf = Vec::with_capacity(4096);
        group.bench_function("copy_frame_baseline", |b| {
            b.iter(|| {
                buf.clear();
                buf.extend_from_slice(black_box(&frame));
                black_box(buf.len())
            });
        });
        group.bench_function("encode_reaction_reused_buffer", |b| {
            b.iter(|| {
                buf.clear();
                encode_frame(black_box(&stanza), dict, &mut buf).expect("encodes");
                black_box(buf.len())
            });
        });
        group.bench_function("decode_reaction_borrowed", |b| {
            b.iter(|| decode_frame(black_box(&frame), dict).expect("decodes"));
        });
        group.bench_function("decode_reaction_into_owned", |b| {
            b.iter(|| {
                decode_frame(black_box(&frame), dict)
                    .expect("decodes")
                    .into_owned()
            });
        });
        group.finish();
    }
}

criterion_group!(benches, node_codec);
criterion_main!(benches);
