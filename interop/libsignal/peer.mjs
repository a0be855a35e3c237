// A libsignal peer (npm `libsignal` 6.0.0 for 1:1, Baileys 6.17.16's `WASignalGroup` for sender
// keys) driven over stdin/stdout: one JSON object per line in, one JSON object per line out.
// One process = one identity. The libraries are used as libraries, wired to an in-memory store
// the way Baileys 6.17.16 wires them (lib/Signal/libsignal.js): records are serialized on store
// and deserialized on load, so a failed decrypt leaves no half-mutated state behind.
//
// See README.md for the command list. Every reply is `{"ok":true,...}` or
// `{"ok":false,"error":"...","log":[...]}`; `log` holds what the libraries printed to the console
// while handling that command (libsignal reports the real cause of a failed `msg` decrypt only
// there). Nothing but replies is written to stdout; library console output goes to stderr only
// with PEER_VERBOSE=1.

import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { format } from 'node:util';

const require = createRequire(import.meta.url);
const libsignal = require('libsignal');
const group = require('baileys/WASignalGroup/index.js');

// ---- console capture: keep stdout for replies only ------------------------------------------
// Library console output goes into the failing command's `log`, and to stderr only with
// PEER_VERBOSE=1 (libsignal prints whole session entries, private keys included, when it
// closes a session).
const verbose = process.env.PEER_VERBOSE === '1';
let captured = null;
for (const level of ['log', 'info', 'warn', 'error', 'debug', 'trace']) {
    console[level] = (...args) => {
        const line = format(...args);
        if (captured) captured.push(`${level}: ${line.length > 2000 ? line.slice(0, 2000) + '...' : line}`);
        if (verbose) process.stderr.write(`[peer ${level}] ${line}\n`);
    };
}

// ---- helpers ---------------------------------------------------------------------------------
// Baileys' BufferJSON, so the store round-trips records exactly as a Baileys auth store does.
const replacer = (_k, v) =>
    Buffer.isBuffer(v) || v instanceof Uint8Array || v?.type === 'Buffer'
        ? { type: 'Buffer', data: Buffer.from(v?.data || v).toString('base64') }
        : v;
const reviver = (_k, v) =>
    typeof v === 'object' && v && v.type === 'Buffer'
        ? typeof v.data === 'string' ? Buffer.from(v.data, 'base64') : Buffer.from(v.data || [])
        : v;
const freeze = (x) => JSON.stringify(x, replacer);
const thaw = (s) => JSON.parse(s, reviver);

// A structural deep copy (own enumerable properties, bytes copied as Buffers). Used for sender
// key records by default, because Baileys 6.17.16's WASignalGroup cannot survive a JSON round
// trip: SenderKeyState.addSenderMessageKey stores each skipped key as a protobuf
// `SenderKeyStateStructure` carrying `iteration`/`seed` as unknown properties, and protobufjs'
// toJSON drops them, so a JSON-persisted record forgets every skipped key ("senderMessageKeys":
// [{},{},...]) and out-of-order group messages fail with "Received message with old counter".
// `init` with `"senderKeyStore":"json"` reproduces that (Baileys with a JSON file auth store).
function clone(v) {
    if (Buffer.isBuffer(v) || v instanceof Uint8Array) return Buffer.from(v);
    if (Array.isArray(v)) return v.map(clone);
    if (v && typeof v === 'object') {
        const o = {};
        for (const k of Object.keys(v)) o[k] = clone(v[k]);
        return o;
    }
    return v;
}

const hex = (b) => Buffer.from(b).toString('hex');

function bytes(value, what) {
    if (typeof value !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(value)) {
        throw new TypeError(`${what}: expected a hex string`);
    }
    return Buffer.from(value, 'hex');
}

// A Curve25519 public key as libsignal wants it: 0x05 || 32 bytes. Accepts 32 or 33 bytes.
function pubKey(value, what) {
    const b = bytes(value, what);
    if (b.length === 32) return Buffer.concat([Buffer.from([5]), b]);
    if (b.length === 33 && b[0] === 5) return b;
    throw new TypeError(`${what}: expected 32 bytes or 0x05 || 32 bytes, got ${b.length} bytes`);
}

// `{"name":"15550001111","deviceId":0}` or libsignal's text form `"15550001111.0"`.
function address(value, what) {
    if (typeof value === 'string') return libsignal.ProtocolAddress.from(value);
    if (value && typeof value.name === 'string') {
        return new libsignal.ProtocolAddress(value.name, Number(value.deviceId ?? 0));
    }
    throw new TypeError(`${what}: expected {"name":..,"deviceId":..} or "name.deviceId"`);
}

function uint(value, what, max = 0xffffffff) {
    if (!Number.isInteger(value) || value < 0 || value > max) {
        throw new TypeError(`${what}: expected an integer in 0..${max}`);
    }
    return value;
}

// ---- the in-memory store ---------------------------------------------------------------------
const state = {
    me: null, // ProtocolAddress
    registrationId: 0,
    identity: null, // {pubKey(33), privKey(32)}
    signedPreKeys: new Map(), // id -> {keyId, keyPair, signature}
    preKeys: new Map(), // id -> {keyId, keyPair}
    sessions: new Map(), // "name.device" -> serialized SessionRecord
    senderKeys: new Map(), // SenderKeyName string -> serialized SenderKeyRecord
    identities: new Map(), // name -> identity key hex (trust on first use, informational)
    nextPreKeyId: 1,
    senderKeyStore: 'clone', // or 'json' (see clone() above)
};

const storage = {
    async loadSession(id) {
        const s = state.sessions.get(id);
        return s ? libsignal.SessionRecord.deserialize(thaw(s)) : undefined;
    },
    async storeSession(id, record) {
        state.sessions.set(id, freeze(record.serialize()));
    },
    // Baileys trusts every identity; we do the same but remember the first one seen.
    async isTrustedIdentity(name, identityKey) {
        if (!state.identities.has(name)) state.identities.set(name, hex(identityKey));
        return true;
    },
    async loadPreKey(id) {
        const k = state.preKeys.get(Number(id));
        return k ? { pubKey: k.keyPair.pubKey, privKey: k.keyPair.privKey } : undefined;
    },
    async removePreKey(id) {
        state.preKeys.delete(Number(id));
    },
    async loadSignedPreKey(id) {
        const k = state.signedPreKeys.get(Number(id));
        return k ? { pubKey: k.keyPair.pubKey, privKey: k.keyPair.privKey } : undefined;
    },
    async getOurRegistrationId() {
        return state.registrationId;
    },
    async getOurIdentity() {
        return state.identity;
    },
    async loadSenderKey(name) {
        const s = state.senderKeys.get(name.toString());
        if (!s) return new group.SenderKeyRecord();
        return new group.SenderKeyRecord(state.senderKeyStore === 'json' ? thaw(s) : clone(s));
    },
    async storeSenderKey(name, record) {
        const r = record.serialize();
        state.senderKeys.set(name.toString(), state.senderKeyStore === 'json' ? freeze(r) : clone(r));
    },
};

function requireInit() {
    if (!state.me) throw new Error('not initialised: send {"cmd":"init",...} first');
}

function newPreKey(id) {
    const k = libsignal.keyhelper.generatePreKey(id);
    state.preKeys.set(id, k);
    state.nextPreKeyId = Math.max(state.nextPreKeyId, id + 1);
    return k;
}

function bundle() {
    requireInit();
    const spk = [...state.signedPreKeys.values()].at(-1);
    const pk = [...state.preKeys.values()].at(-1);
    return {
        name: state.me.id,
        deviceId: state.me.deviceId,
        registrationId: state.registrationId,
        identityKey: hex(state.identity.pubKey),
        signedPreKey: { id: spk.keyId, pub: hex(spk.keyPair.pubKey), signature: hex(spk.signature) },
        preKey: pk ? { id: pk.keyId, pub: hex(pk.keyPair.pubKey) } : null,
    };
}

function senderKeyName(groupId, sender) {
    if (typeof groupId !== 'string' || !groupId) throw new TypeError('groupId: expected a string');
    return new group.SenderKeyName(groupId, sender);
}

// ---- commands --------------------------------------------------------------------------------
const commands = {
    // {name, deviceId?, registrationId?, signedPreKeyId?, preKeyId? (null: none),
    //  senderKeyStore?: "clone" (default) | "json"}
    async init(m) {
        if (state.me) throw new Error('already initialised');
        if (m.senderKeyStore !== undefined) {
            if (m.senderKeyStore !== 'clone' && m.senderKeyStore !== 'json') {
                throw new TypeError('senderKeyStore: expected "clone" or "json"');
            }
            state.senderKeyStore = m.senderKeyStore;
        }
        const me = new libsignal.ProtocolAddress(String(m.name ?? ''), uint(m.deviceId ?? 0, 'deviceId'));
        if (!me.id) throw new TypeError('name: expected a non-empty string');
        state.identity = libsignal.curve.generateKeyPair();
        state.registrationId =
            m.registrationId === undefined
                ? libsignal.keyhelper.generateRegistrationId()
                : uint(m.registrationId, 'registrationId', 0x3fff);
        const spkId = uint(m.signedPreKeyId ?? 1, 'signedPreKeyId', 0xffffff);
        state.signedPreKeys.set(spkId, libsignal.keyhelper.generateSignedPreKey(state.identity, spkId));
        if (m.preKeyId !== null) newPreKey(uint(m.preKeyId ?? 1, 'preKeyId', 0xffffff));
        state.me = me;
        return bundle();
    },

    // Our current bundle again; {"newPreKey":true} first mints a fresh one-time prekey,
    // {"noPreKey":true} leaves it out of the answer (X3DH without a one-time prekey).
    async bundle(m) {
        requireInit();
        if (m.newPreKey) newPreKey(state.nextPreKeyId);
        const b = bundle();
        if (m.noPreKey) b.preKey = null;
        return b;
    },

    // {to, registrationId, identityKey, signedPreKey:{id,pub,signature}, preKey?:{id,pub}|null}
    async process_bundle(m) {
        requireInit();
        const to = address(m.to, 'to');
        const device = {
            registrationId: uint(m.registrationId, 'registrationId'),
            identityKey: pubKey(m.identityKey, 'identityKey'),
            signedPreKey: {
                keyId: uint(m.signedPreKey?.id, 'signedPreKey.id'),
                publicKey: pubKey(m.signedPreKey?.pub, 'signedPreKey.pub'),
                signature: bytes(m.signedPreKey?.signature, 'signedPreKey.signature'),
            },
        };
        if (m.preKey) {
            device.preKey = {
                keyId: uint(m.preKey.id, 'preKey.id'),
                publicKey: pubKey(m.preKey.pub, 'preKey.pub'),
            };
        }
        await new libsignal.SessionBuilder(storage, to).initOutgoing(device);
        return {};
    },

    // {to, plaintextHex} -> {type:"pkmsg"|"msg", ciphertextHex, registrationId}
    async encrypt(m) {
        requireInit();
        const to = address(m.to, 'to');
        const { type, body, registrationId } = await new libsignal.SessionCipher(storage, to).encrypt(
            bytes(m.plaintextHex, 'plaintextHex'),
        );
        return { type: type === 3 ? 'pkmsg' : 'msg', ciphertextHex: hex(Buffer.from(body, 'binary')), registrationId };
    },

    // {from, type:"pkmsg"|"msg", ciphertextHex} -> {plaintextHex}
    async decrypt(m) {
        requireInit();
        const from = address(m.from, 'from');
        const cipher = new libsignal.SessionCipher(storage, from);
        const data = bytes(m.ciphertextHex, 'ciphertextHex');
        let plaintext;
        if (m.type === 'pkmsg') plaintext = await cipher.decryptPreKeyWhisperMessage(data);
        else if (m.type === 'msg') plaintext = await cipher.decryptWhisperMessage(data);
        else throw new TypeError('type: expected "pkmsg" or "msg"');
        return { plaintextHex: hex(plaintext) };
    },

    // {with} -> {open: bool}
    async has_session(m) {
        requireInit();
        return { open: await new libsignal.SessionCipher(storage, address(m.with, 'with')).hasOpenSession() };
    },

    // Group, as Baileys 6.17.16's encryptGroupMessage / processSenderKeyDistributionMessage /
    // decryptGroupMessage do it. The sender of our own group messages is our own address.
    // {groupId} -> {skdmHex}
    async group_create(m) {
        requireInit();
        const name = senderKeyName(m.groupId, state.me);
        const skdm = await new group.GroupSessionBuilder(storage).create(name);
        return { skdmHex: hex(skdm.serialize()) };
    },

    // {groupId, sender, skdmHex}
    async group_process(m) {
        requireInit();
        const name = senderKeyName(m.groupId, address(m.sender, 'sender'));
        const skdm = new group.SenderKeyDistributionMessage(null, null, null, null, bytes(m.skdmHex, 'skdmHex'));
        await new group.GroupSessionBuilder(storage).process(name, skdm);
        return {};
    },

    // {groupId, plaintextHex} -> {skmsgHex, skdmHex} (creating the sender key if there is none)
    async group_encrypt(m) {
        requireInit();
        const name = senderKeyName(m.groupId, state.me);
        const skdm = await new group.GroupSessionBuilder(storage).create(name);
        const skmsg = await new group.GroupCipher(storage, name).encrypt(bytes(m.plaintextHex, 'plaintextHex'));
        return { skmsgHex: hex(skmsg), skdmHex: hex(skdm.serialize()) };
    },

    // {groupId, sender, skmsgHex} -> {plaintextHex}
    async group_decrypt(m) {
        requireInit();
        const name = senderKeyName(m.groupId, address(m.sender, 'sender'));
        const plaintext = await new group.GroupCipher(storage, name).decrypt(bytes(m.skmsgHex, 'skmsgHex'));
        return { plaintextHex: hex(plaintext) };
    },

    async ping() {
        return { pong: true, libsignal: require('libsignal/package.json').version, baileys: require('baileys/package.json').version };
    },

    async exit() {
        setImmediate(() => process.exit(0));
        return {};
    },
};

// ---- the line loop: strictly one command at a time, in order ----------------------------------
function reply(obj) {
    process.stdout.write(JSON.stringify(obj) + '\n');
}

function describe(e) {
    if (e instanceof Error) return `${e.name}: ${e.message}`;
    return String(e);
}

async function handle(line) {
    let m;
    try {
        m = JSON.parse(line);
    } catch (e) {
        return { ok: false, error: `bad JSON: ${describe(e)}` };
    }
    const cmd = commands[m?.cmd];
    const id = m?.id;
    if (!cmd || !Object.prototype.hasOwnProperty.call(commands, m.cmd)) {
        return { ok: false, id, error: `unknown cmd ${JSON.stringify(m?.cmd)}` };
    }
    captured = [];
    try {
        const result = await cmd(m);
        return { ok: true, id, ...result };
    } catch (e) {
        return { ok: false, id, error: describe(e), log: captured };
    } finally {
        captured = null;
    }
}

process.on('uncaughtException', (e) => process.stderr.write(`[peer] uncaught: ${e?.stack || e}\n`));
process.on('unhandledRejection', (e) => process.stderr.write(`[peer] unhandled rejection: ${e?.stack || e}\n`));

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
let chain = Promise.resolve();
rl.on('line', (line) => {
    if (!line.trim()) return;
    chain = chain.then(() => handle(line)).then(reply, (e) => reply({ ok: false, error: describe(e) }));
});
rl.on('close', () => {
    chain.then(() => process.exit(0));
});
