// Scenario "paired": Baileys logs in as a companion registered through the control API, gets a
// text from another account's simulated phone, reacts to it (add, change, remove), sends a text
// and revokes it, then sees the phone react, remove the reaction and revoke its own text.

import { poll } from '../lib/checks.mjs';
import { Connection, memoryKeyStore } from '../lib/client.mjs';

/** One-time prekeys registered with the device (Baileys then sees enough on the server). */
const PRE_KEYS = 30;

export const CHECKS = [
    'register companion via POST /sim/devices',
    'handshake and login (open)',
    'offline queue done (<ib><offline>)',
    'receive a text from the simulated phone',
    'send reactions, a text and a revoke',
    'simulated device decrypted the texts',
    'simulated device recorded the reactions (add, change, remove)',
    'simulated device recorded the revoke (own, admin false)',
    'Baileys emits the phone reaction',
    'Baileys sees the phone remove its reaction',
    'Baileys emits the phone revoke'
];

export async function run({ baileys, control, checks, url, logger }) {
    const { Curve, proto } = baileys;
    const tag = `${baileys.version}-${process.pid}`;
    const keys = memoryKeyStore(baileys);
    const creds = baileys.initAuthCreds();
    let me;
    let peer;

    await checks.run('register companion via POST /sim/devices', async () => {
        me = await control.createAccount();
        peer = await control.createAccount();
        const preKeys = [];
        const stored = {};
        for (let id = 1; id <= PRE_KEYS; id += 1) {
            const pair = Curve.generateKeyPair();
            stored[id] = pair;
            preKeys.push({ id, public_key: b64(pair.public) });
        }
        await keys.set({ 'pre-key': stored });
        creds.nextPreKeyId = PRE_KEYS + 1;
        creds.firstUnuploadedPreKeyId = PRE_KEYS + 1;
        const device = await control.registerDevice({
            account: me.jid,
            noise_key: b64(creds.noiseKey.public),
            identity_key: b64(creds.signedIdentityKey.public),
            registration_id: creds.registrationId,
            signed_pre_key: {
                id: creds.signedPreKey.keyId,
                public_key: b64(creds.signedPreKey.keyPair.public),
                signature: b64(creds.signedPreKey.signature)
            },
            pre_keys: preKeys
        });
        if (!device?.jid || !device?.lid || !device?.device_identity) {
            throw new Error(`expected {jid, lid, device_identity}, got ${JSON.stringify(device)}`);
        }
        creds.account = signedIdentity(baileys, creds, Buffer.from(device.device_identity, 'base64'));
        creds.me = { id: device.jid, lid: device.lid, name: `Baileys ${baileys.version}` };
        creds.registered = true;
        creds.platform = 'web';
        if (baileys.createSignalIdentity) {
            creds.signalIdentities = [baileys.createSignalIdentity(device.lid, creds.account.accountSignatureKey)];
        }
        // 6.x holds every message event back until an app-state key exists (it would come from
        // the phone's history sync, which the simulator does not send); any id releases them.
        creds.myAppStateKeyId = 'AAAAAAAA';
        return `me ${device.jid} / ${device.lid}, peer ${peer.jid}, account signature verified`;
    });

    const conn = new Connection(baileys, { url, creds, keys, logger });
    try {
        await checks.run('handshake and login (open)', async () => {
            await conn.wait('connection.update', u => (u.connection === 'open' ? true : undefined), "connection 'open'");
            return `me.lid = ${creds.me?.lid}`;
        });

        await checks.run('offline queue done (<ib><offline>)', async () => {
            await conn.wait(
                'connection.update',
                u => (u.receivedPendingNotifications ? true : undefined),
                'receivedPendingNotifications (the server must send <ib><offline count=N/></ib> after login; Baileys buffers message events until then)'
            );
        });

        const phoneText = `hello from the simulated phone ${tag}`;
        let incoming;
        await checks.run('receive a text from the simulated phone', async () => {
            const { id } = await control.send(peer.jid, me.jid, phoneText);
            if (!id) {
                throw new Error('POST /sim/send answered no id');
            }
            incoming = await conn.wait('messages.upsert', upsert => findMessage(upsert, id, proto), `messages.upsert with id ${id}`);
            const text = incoming.message?.conversation ?? incoming.message?.extendedTextMessage?.text;
            if (text !== phoneText) {
                throw new Error(`message ${id} decoded as ${JSON.stringify(incoming.message)}`);
            }
            return `${id} from ${incoming.key.remoteJid}`;
        });

        const chat = incoming.key.remoteJid;
        const ourText = `hello from baileys ${tag} (to be revoked)`;
        const keptText = `hello from baileys ${tag} (kept)`;
        let revoked;
        let kept;
        await checks.run('send reactions, a text and a revoke', async () => {
            for (const text of ['👍', '❤️', '']) {
                await conn.send(chat, { react: { text, key: incoming.key } });
            }
            // Snapshot the key: Baileys 7 applies the revoke's own messages.update to the
            // message object it returned, replacing its key with the revoke's.
            const sent = await conn.send(chat, { text: ourText });
            revoked = { key: { ...sent.key } };
            await conn.send(chat, { delete: { ...sent.key } });
            kept = await conn.send(chat, { text: keptText });
            return `to ${chat}: 3 reactions on ${incoming.key.id}, text ${revoked.key.id} revoked, text ${kept.key.id}`;
        });

        const sentIds = () => [revoked.key.id, kept.key.id];
        const ackError = () => {
            for (const { name, data } of conn.events) {
                if (name !== 'messages.update') {
                    continue;
                }
                for (const { key, update } of data) {
                    if (update?.status === 0 && key?.fromMe) {
                        return `the server acked ${key.id} with error ${update.messageStubParameters?.join(',')}`;
                    }
                }
            }
            return conn.closeReason();
        };
        const received = async predicate => {
            const list = await control.received(peer.jid);
            return predicate(list);
        };
        const fromMe = entry => [userOf(me.jid), userOf(me.lid)].includes(userOf(entry.from));

        await checks.run('simulated device decrypted the texts', async () => {
            const texts = await poll(
                `texts ${sentIds().join(', ')} in GET /sim/received?jid=${peer.jid}`,
                () => received(list => {
                    const found = sentIds().map(id => list.find(e => e.kind === 'text' && e.id === id));
                    return found.every(Boolean) ? found : undefined;
                }),
                { abort: ackError }
            );
            const bad = texts.find(e => !fromMe(e));
            if (bad) {
                throw new Error(`text ${bad.id} recorded from ${bad.from}, expected ${me.jid} or ${me.lid}`);
            }
            return texts.map(e => e.id).join(', ');
        });

        await checks.run('simulated device recorded the reactions (add, change, remove)', async () => {
            const reactions = await poll(
                `3 reactions on ${incoming.key.id} in GET /sim/received?jid=${peer.jid}`,
                () => received(list => {
                    const mine = list.filter(e => e.kind === 'reaction' && targetId(e) === incoming.key.id);
                    return mine.length >= 3 ? mine : undefined;
                }),
                { abort: ackError }
            );
            const emojis = reactions.map(e => e.emoji);
            if (JSON.stringify(emojis) !== JSON.stringify(['👍', '❤️', ''])) {
                throw new Error(`recorded emojis ${JSON.stringify(emojis)}, expected ["👍","❤️",""]`);
            }
            const bad = reactions.find(e => !fromMe(e));
            if (bad) {
                throw new Error(`reaction ${bad.id} recorded from ${bad.from}`);
            }
            return `emojis ${JSON.stringify(emojis)} from ${reactions[0].from}`;
        });

        await checks.run('simulated device recorded the revoke (own, admin false)', async () => {
            const revoke = await poll(
                `a revoke of ${revoked.key.id} in GET /sim/received?jid=${peer.jid}`,
                () => received(list => list.find(e => e.kind === 'revoke' && targetId(e) === revoked.key.id)),
                { abort: ackError }
            );
            if (revoke.admin !== false) {
                throw new Error(`revoke recorded with admin ${JSON.stringify(revoke.admin)}, expected false`);
            }
            if (!fromMe(revoke)) {
                throw new Error(`revoke recorded from ${revoke.from}`);
            }
            return `revoke ${revoke.id} of ${revoked.key.id}`;
        });

        const target = { id: kept.key.id, from_me: false };
        await checks.run('Baileys emits the phone reaction', async () => {
            await control.react(peer.jid, me.jid, target, '🔥');
            const { key, reaction } = await conn.wait(
                'messages.reaction',
                list => list.find(r => r.key?.id === kept.key.id && r.reaction?.text === '🔥'),
                `messages.reaction 🔥 on ${kept.key.id}`
            );
            return `on ${key.id} (fromMe ${key.fromMe}) by ${reaction.key?.remoteJid}`;
        });

        await checks.run('Baileys sees the phone remove its reaction', async () => {
            await control.react(peer.jid, me.jid, target, '');
            // A removal only cancels the reaction inside Baileys' event buffer: it surfaces as
            // the upsert of the reaction message, never as `messages.reaction`.
            const message = await conn.wait(
                'messages.upsert',
                upsert => upsert.messages.find(m => {
                    const reaction = m.message?.reactionMessage;
                    return reaction?.key?.id === kept.key.id && !reaction.text ? m : undefined;
                }),
                `messages.upsert of an empty reaction on ${kept.key.id}`
            );
            return `reaction message ${message.key.id}`;
        });

        await checks.run('Baileys emits the phone revoke', async () => {
            await control.revoke(peer.jid, me.jid, { id: incoming.key.id, from_me: true });
            const update = await conn.wait(
                'messages.update',
                list => list.find(u => u.key?.id === incoming.key.id && u.update?.messageStubType === proto.WebMessageInfo.StubType.REVOKE),
                `messages.update REVOKE of ${incoming.key.id}`
            );
            return `messages.update ${update.key.id} messageStubType REVOKE`;
        });
    } finally {
        await conn.close();
    }
}

/**
 * The ADVSignedDeviceIdentity the simulator issued, checked like Baileys checks it at pairing
 * (account signature over 6,0 || details || identity key) and completed with this device's
 * own signature (6,1 || details || identity key || account signature key), as pairing does.
 */
function signedIdentity({ Curve, proto }, creds, bytes) {
    const account = proto.ADVSignedDeviceIdentity.decode(bytes);
    const { details, accountSignatureKey, accountSignature } = account;
    if (!details?.length || !accountSignatureKey?.length || !accountSignature?.length) {
        throw new Error('device_identity lacks details, accountSignatureKey or accountSignature');
    }
    const identity = creds.signedIdentityKey;
    const accountMessage = Buffer.concat([Buffer.from([6, 0]), details, identity.public]);
    if (!Curve.verify(accountSignatureKey, accountMessage, accountSignature)) {
        throw new Error('device_identity account signature does not verify');
    }
    if (!account.deviceSignature?.length) {
        const deviceMessage = Buffer.concat([Buffer.from([6, 1]), details, identity.public, accountSignatureKey]);
        account.deviceSignature = Curve.sign(identity.private, deviceMessage);
    }
    return account;
}

function findMessage(upsert, id, proto) {
    const message = upsert.messages.find(m => m.key?.id === id);
    if (message?.messageStubType === proto.WebMessageInfo.StubType.CIPHERTEXT) {
        throw new Error(`message ${id} failed to decrypt: ${message.messageStubParameters?.join(', ')}`);
    }
    return message;
}

function targetId(entry) {
    return typeof entry.target === 'string' ? entry.target : entry.target?.id;
}

function userOf(jid) {
    return String(jid ?? '').split('@')[0].split(':')[0];
}

function b64(bytes) {
    return Buffer.from(bytes).toString('base64');
}
