// Scenario "pair": Baileys starts with empty creds, shows the pairing QR, a simulated phone
// scans it, Baileys checks the signed device identity in pair-success, the server asks for a
// restart (515), and Baileys logs in again with the creds it saved.

import { Connection, loadCreds, memoryKeyStore, saveCreds } from '../lib/client.mjs';

export const CHECKS = [
    'QR shown after registration',
    'POST /sim/scan accepted',
    'pair-success accepted (signatures verified, creds.me set)',
    'server closes with 515 (restart required)',
    'login with the saved creds (open)'
];

export async function run({ baileys, control, checks, url, logger }) {
    const keys = memoryKeyStore(baileys);
    const creds = baileys.initAuthCreds();
    let saved = saveCreds(baileys, creds);
    const first = new Connection(baileys, { url, creds, keys, logger });
    first.sock.ev.on('creds.update', () => {
        saved = saveCreds(baileys, creds);
    });
    let qr;
    let paired;
    try {
        await checks.run('QR shown after registration', async () => {
            qr = await first.wait('connection.update', u => u.qr || undefined, 'a QR (connection.update qr) after pair-device');
            return `${qr.split(',').length} comma-separated fields${qr.startsWith('https://') ? ', URL form' : ''}`;
        });

        await checks.run('POST /sim/scan accepted', async () => {
            const answer = await control.scan(qr);
            return JSON.stringify(answer);
        });

        await checks.run('pair-success accepted (signatures verified, creds.me set)', async () => {
            paired = await first.wait('creds.update', u => u.me?.id ? u.me : undefined, 'creds.update with me (Baileys accepted pair-success)');
            if (!creds.account?.deviceSignature?.length) {
                throw new Error('creds.account has no device signature after pairing');
            }
            return `me ${paired.id}${paired.lid ? ` / ${paired.lid}` : ''}`;
        });

        await checks.run('server closes with 515 (restart required)', async () => {
            await first.wait('connection.update', u => (u.connection === 'close' ? true : undefined), 'the server to close the connection', { allowClose: true });
            const { statusCode, message } = first.closed;
            if (statusCode !== baileys.DisconnectReason.restartRequired) {
                throw new Error(`closed with ${statusCode} (${message}), expected 515`);
            }
            return message;
        });
    } finally {
        await first.close();
    }

    const second = new Connection(baileys, { url, creds: loadCreds(baileys, saved), keys, logger });
    try {
        await checks.run('login with the saved creds (open)', async () => {
            await second.wait('connection.update', u => (u.connection === 'open' ? true : undefined), "connection 'open' after the restart");
            const me = second.sock.user;
            if (me?.id !== paired.id) {
                throw new Error(`logged in as ${me?.id}, paired as ${paired.id}`);
            }
            return `as ${me.id}${me.lid ? ` / ${me.lid}` : ''}`;
        });
    } finally {
        await second.close();
    }
}
