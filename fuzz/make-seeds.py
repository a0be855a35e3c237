#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora, fuzz/seeds/<target>/, from the golden vectors in fixtures/.

Run from anywhere: `python3 fuzz/make-seeds.py`. The output is deterministic; the script first
empties each seeds/<target>/ directory it writes. Seeds are small (the whole set is well under
1 MB) and committed; the corpora libFuzzer grows from them go to fuzz/corpus/ (git-ignored).

Each seed file is named `<fixture>-<case>.bin`, and laid out as its target reads input (see the
doc comment at the top of each fuzz_targets/*.rs):

* decode_node:    a frame payload (flag byte, node): every `encoded.hex` / `input.hex` of
                  binary_nodes.json (v2 and v3), every captured stanza, the transport plaintexts
                  of noise_handshake.json and the pre-key bundle nodes of the Signal fixtures.
* deframe:        [config][cut count][cuts: u16 BE]* then a byte stream: the recorded client and
                  server WebSocket streams of noise_handshake.json, cut at the recorded message
                  boundaries, with and without the edge-routing prefix and with a small limit.
* noise_messages: [selector] then the body: the recorded handshake messages (which fail at
                  AES-GCM: other keys), plus crafted bodies: certificate chains issued by the
                  fuzzing module's fixed test root (XEdDSA-signed here), one that passes every
                  check and one failing each check behind the signatures, and a client finish
                  with a valid static key and the recorded ClientPayload.
* proto_decode:   raw protobuf: Message, ReactionMessage, ProtocolMessage, MessageKey,
                  HandshakeMessage, CertChain and Details, ClientPayload, and the Signal wire
                  messages (version byte, MAC and signature stripped).
"""

import hashlib
import json
import pathlib
import shutil
import struct

ROOT = pathlib.Path(__file__).resolve().parent
FIXTURES = ROOT.parent / "fixtures"
V6 = FIXTURES / "baileys-6.17.16"
V7 = FIXTURES / "baileys-7.0.0-rc14"
SEEDS = ROOT / "seeds"


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def unhex(s):
    return bytes.fromhex(s)


class Seeds:
    """Collects one target's seeds, dropping duplicate contents."""

    def __init__(self, target):
        self.dir = SEEDS / target
        self.files = {}
        self.seen = set()

    def add(self, name, data):
        if data in self.seen:
            return
        self.seen.add(data)
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        assert safe not in self.files, safe
        self.files[safe] = data

    def write(self):
        if self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True)
        for name, data in sorted(self.files.items()):
            (self.dir / f"{name}.bin").write_bytes(data)
        return len(self.files), sum(map(len, self.files.values()))


# --- Curve25519 / XEdDSA, just enough to issue a certificate chain (not constant time: test
# keys only). Mirrors crates/wa-curve25519 `sign` (the spec's signer: sign bit of A forced to 0).

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
I = pow(2, (P - 1) // 4, P)


def _recover_x(y, sign):
    xx = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    x = pow(xx, (P + 3) // 8, P)
    if (x * x - xx) % P:
        x = x * I % P
    if x & 1 != sign:
        x = P - x
    return x


B_Y = 4 * pow(5, P - 2, P) % P
B = (_recover_x(B_Y, 0), B_Y)


def _add(p1, p2):
    (x1, y1), (x2, y2) = p1, p2
    t = D * x1 * x2 * y1 * y2 % P
    x3 = (x1 * y2 + x2 * y1) * pow(1 + t, P - 2, P) % P
    y3 = (y1 * y2 + x1 * x2) * pow(1 - t, P - 2, P) % P
    return (x3, y3)


def _mul(k, point):
    result = (0, 1)
    while k:
        if k & 1:
            result = _add(result, point)
        point = _add(point, point)
        k >>= 1
    return result


def _compress(point):
    x, y = point
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def _clamp(private):
    k = bytearray(private)
    k[0] &= 248
    k[31] &= 127
    k[31] |= 64
    return int.from_bytes(k, "little")


def x25519_public(private):
    """The Montgomery u of the clamped scalar times the base point."""
    _, y = _mul(_clamp(private), B)
    u = (1 + y) * pow(1 - y, P - 2, P) % P
    return u.to_bytes(32, "little")


def xeddsa_sign(private, message, random=bytes(64)):
    a = _clamp(private) % L
    big_a = _mul(a, B)
    if big_a[0] & 1:
        a = (L - a) % L
        big_a = (P - big_a[0], big_a[1])
    a_compressed = _compress(big_a)
    prefix = b"\xfe" + b"\xff" * 31
    r = int.from_bytes(
        hashlib.sha512(prefix + a.to_bytes(32, "little") + message + random).digest(), "little"
    ) % L
    big_r = _compress(_mul(r, B))
    h = int.from_bytes(hashlib.sha512(big_r + a_compressed + message).digest(), "little") % L
    s = (r + h * a) % L
    return big_r + s.to_bytes(32, "little")


# --- Protobuf, just enough for CertChain.


def _varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field_varint(number, value):
    return _varint(number << 3) + _varint(value)


def _field_bytes(number, value):
    return _varint(number << 3 | 2) + _varint(len(value)) + value


def cert_details(serial, issuer_serial, key, not_before, not_after):
    return (
        _field_varint(1, serial)
        + _field_varint(2, issuer_serial)
        + _field_bytes(3, key)
        + _field_varint(4, not_before)
        + _field_varint(5, not_after)
    )


def noise_certificate(details, signature):
    return _field_bytes(1, details) + _field_bytes(2, signature)


def cert_chain(leaf, intermediate):
    return _field_bytes(1, leaf) + _field_bytes(2, intermediate)


# The fixed keys of crates/wa-noise/src/fuzzing.rs.
FUZZ_CLIENT_STATIC = bytes([0x11] * 32)
FUZZ_SERVER_STATIC = bytes([0x33] * 32)
FUZZ_ROOT = bytes([0x55] * 32)
FUZZ_INTERMEDIATE = bytes([0x66] * 32)
NOT_BEFORE, NOT_AFTER, NOW = 1_700_000_000, 1_900_000_000, 1_750_000_000


def fuzz_root_chain(server_static_public, intermediate_issuer=0, intermediate_key=None,
                    leaf_issuer=1):
    """A chain issued by the fuzzing module's root, which CertVerifier accepts at NOW unless a
    field is overridden. The details are signed, so the fuzzer cannot change them without
    breaking a signature: a seed per check gives it a start past each one."""
    if intermediate_key is None:
        intermediate_key = x25519_public(FUZZ_INTERMEDIATE)
    intermediate = cert_details(1, intermediate_issuer, intermediate_key, NOT_BEFORE, NOT_AFTER)
    leaf = cert_details(2, leaf_issuer, server_static_public, NOT_BEFORE, NOT_AFTER)
    return cert_chain(
        noise_certificate(leaf, xeddsa_sign(FUZZ_INTERMEDIATE, leaf)),
        noise_certificate(intermediate, xeddsa_sign(FUZZ_ROOT, intermediate)),
    )


# --- Targets.


def decode_node_seeds():
    seeds = Seeds("decode_node")
    for label, path in (("v2", V6 / "binary_nodes.json"), ("v3", V7 / "binary_nodes.json")):
        vectors = load(path)
        for case in vectors["cases"]:
            if "hex" in case["encoded"]:
                seeds.add(f"binary_nodes_{label}-{case['name']}", unhex(case["encoded"]["hex"]))
        for case in vectors["decodeOnly"]:
            seeds.add(f"binary_nodes_{label}-{case['name']}", unhex(case["input"]["hex"]))
        for case in vectors["quirks"]:
            seeds.add(f"binary_nodes_{label}-{case['name']}", unhex(case["encoded"]["hex"]))
    stanzas = load(V6 / "stanzas_send.json")
    for scenario in stanzas["scenarios"]:
        seeds.add(f"stanzas_send-{scenario['name']}", unhex(scenario["capturedHex"]))
        for i, stanza in enumerate(scenario.get("precedingClientStanzas", [])):
            seeds.add(f"stanzas_send-{scenario['name']}-preceding{i}", unhex(stanza["hex"]))
    for i, stanza in enumerate(stanzas.get("otherClientStanzas", [])):
        seeds.add(f"stanzas_send-other{i}", unhex(stanza["hex"]))
    for i, reply in enumerate(stanzas.get("peerRepliesDelivered", [])):
        seeds.add(f"stanzas_send-peer_reply{i}", unhex(reply["stanza"]["hex"]))
    noise = load(V6 / "noise_handshake.json")
    for i, frame in enumerate(noise["firstTransportFrames"]):
        seeds.add(f"noise_handshake-transport{i}", unhex(frame["plaintextHex"]))
    signal = load(V6 / "signal_1to1.json")
    for i, peer in enumerate(signal["peers"]):
        seeds.add(f"signal_1to1-prekey_bundle{i}", unhex(peer["preKeyBundleNode"]["hex"]))
    group = load(V6 / "signal_group.json")
    seeds.add("signal_group-prekey_bundle_carol", unhex(group["carol"]["preKeyBundleNode"]["hex"]))
    return seeds


def deframe_input(server, max_index, messages):
    """[config][cut count][cuts] then the messages concatenated, cut between messages."""
    stream = b"".join(messages)
    assert len(stream) < 0x10000
    offsets, at = [], 0
    for message in messages[:-1]:
        at += len(message)
        offsets.append(at)
    offsets = offsets[:15]
    config = (1 if server else 0) | (max_index << 1)
    return (
        bytes([config, len(offsets)])
        + b"".join(struct.pack(">H", o) for o in offsets)
        + stream
    )


def deframe_seeds():
    seeds = Seeds("deframe")
    noise = load(V6 / "noise_handshake.json")
    client = [unhex(w["hex"]) for w in noise["wire"] if w["dir"] == "client->server"]
    server = [unhex(w["hex"]) for w in noise["wire"] if w["dir"] == "server->client"]
    routed = [unhex(noise["routingInfoIntroVariant"]["firstWsMessageHex"])] + client[1:]
    unlimited, small = 7, 5  # MAX_FRAMES[7] = 2^24 - 1, MAX_FRAMES[5] = 1000
    seeds.add("noise_handshake-client_stream", deframe_input(True, unlimited, client))
    seeds.add("noise_handshake-client_stream_routed", deframe_input(True, unlimited, routed))
    seeds.add("noise_handshake-client_stream_limit1000", deframe_input(True, small, client))
    seeds.add("noise_handshake-server_stream", deframe_input(False, unlimited, server))
    seeds.add("noise_handshake-server_stream_limit1000", deframe_input(False, small, server))
    seeds.add("noise_handshake-client_hello", deframe_input(True, unlimited, client[:1]))
    seeds.add("noise_handshake-server_hello", deframe_input(False, unlimited, server[:1]))
    seeds.add("handmade-empty_frames", deframe_input(False, 0, [b"\0\0\0", b"\0\0\0\0"]))
    return seeds


def noise_messages_seeds():
    seeds = Seeds("noise_messages")
    noise = load(V6 / "noise_handshake.json")
    messages = noise["messages"]
    seeds.add("noise_handshake-server_hello", b"\0" + unhex(messages["serverHello"]["handshakeMessageHex"]))
    seeds.add("noise_handshake-client_hello", b"\1" + unhex(messages["clientHello"]["handshakeMessageHex"]))
    seeds.add("noise_handshake-client_finish", b"\2" + unhex(messages["clientFinish"]["handshakeMessageHex"]))

    def crafted_hello(server_static, now, chain):
        return b"\3" + bytes([len(server_static)]) + server_static + struct.pack(">Q", now) + chain

    # The recorded chain and server key: fails at the intermediate's signature (another root).
    fixture_static = unhex(noise["keys"]["serverStatic"]["public"])
    seeds.add("noise_handshake-crafted_hello_fixture_chain",
              crafted_hello(fixture_static, NOW, unhex(noise["certChain"]["hex"])))
    # Chains from the fuzzing module's root: one accepted, then one failing each signed check.
    server_static = x25519_public(FUZZ_SERVER_STATIC)
    valid_chain = fuzz_root_chain(server_static)
    seeds.add("handmade-crafted_hello_valid_chain", crafted_hello(server_static, NOW, valid_chain))
    seeds.add("handmade-crafted_hello_not_yet_valid",
              crafted_hello(server_static, NOT_BEFORE - 1, valid_chain))
    seeds.add("handmade-crafted_hello_expired", crafted_hello(server_static, NOT_AFTER + 1, valid_chain))
    seeds.add("handmade-crafted_hello_intermediate_issuer",
              crafted_hello(server_static, NOW, fuzz_root_chain(server_static, intermediate_issuer=5)))
    seeds.add("handmade-crafted_hello_intermediate_key_length",
              crafted_hello(server_static, NOW,
                            fuzz_root_chain(server_static, intermediate_key=bytes(31))))
    seeds.add("handmade-crafted_hello_leaf_issuer",
              crafted_hello(server_static, NOW, fuzz_root_chain(server_static, leaf_issuer=7)))
    payload = unhex(messages["clientFinish"]["decryptedClientPayloadHex"])
    client_static = x25519_public(FUZZ_CLIENT_STATIC)
    seeds.add("noise_handshake-crafted_finish_client_payload",
              b"\4" + bytes([len(client_static)]) + client_static + payload)
    return seeds


def proto_decode_seeds():
    seeds = Seeds("proto_decode")
    for name in ("proto_reaction", "proto_revoke"):
        for case in load(V6 / f"{name}.json")["cases"]:
            for key in ("messageHex", "reactionMessageHex", "protocolMessageHex", "messageKeyHex"):
                if key in case:
                    seeds.add(f"{name}-{case['name']}-{key}", unhex(case[key]))
    noise = load(V6 / "noise_handshake.json")
    for step, message in noise["messages"].items():
        seeds.add(f"noise_handshake-{step}", unhex(message["handshakeMessageHex"]))
    seeds.add("noise_handshake-client_payload",
              unhex(noise["messages"]["clientFinish"]["decryptedClientPayloadHex"]))
    chain = noise["certChain"]
    seeds.add("noise_handshake-cert_chain", unhex(chain["hex"]))
    seeds.add("noise_handshake-cert_intermediate_details", unhex(chain["intermediateDetailsHex"]))
    seeds.add("noise_handshake-cert_leaf_details", unhex(chain["leafDetailsHex"]))
    for fixture in ("signal_1to1", "signal_group"):
        vectors = load(V6 / f"{fixture}.json")
        for m, message in enumerate(vectors["messages"]):
            for r, recipient in enumerate(message["recipients"]):
                label = f"{fixture}-m{m}r{r}"
                seeds.add(f"{label}-message", unhex(recipient["messageHex"]))
                wire = unhex(recipient["ciphertextHex"])
                if recipient.get("encType") == "msg":
                    wire = wire[:-8]  # the truncated MAC
                elif recipient.get("encType") == "skmsg":
                    wire = wire[:-64]  # the signature
                seeds.add(f"{label}-{recipient.get('encType', 'enc')}", wire[1:])
                skdm = recipient.get("senderKeyDistributionMessage")
                if skdm:
                    seeds.add(f"{label}-skdm", unhex(skdm["hex"])[1:])
    return seeds


def main():
    total = 0
    for seeds in (decode_node_seeds(), deframe_seeds(), noise_messages_seeds(), proto_decode_seeds()):
        count, size = seeds.write()
        total += size
        print(f"{seeds.dir.relative_to(ROOT)}: {count} files, {size} bytes")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
