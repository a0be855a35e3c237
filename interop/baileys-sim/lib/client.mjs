// Loading one installed Baileys version, and one Baileys connection to the simulator with an
// in-memory auth state and a recorder of the events the scenarios wait for.

import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { sleep, WAIT_MS } from './checks.mjs';

/** The Baileys API of the package installed in `dir` (its package.json's directory). */
export async function loadBaileys(dir) {
    const require = createRequire(join(dir, 'package.json'));
    let entry;
    try {
        entry = require.resolve('baileys');
    } catch {
        throw new Error(`baileys is not installed in ${dir} (run \`npm ci --ignore-scripts\` there)`);
    }
    const ns = await import(pathToFileURL(entry).href);
    // 6.x is CommonJS (its exports object arrives as `default`), 7.x is an ES module.
    const api = ns.default && typeof ns.default === 'object' ? { ...ns.default, ...ns } : { ...ns };
    api.makeWASocket = api.makeWASocket ?? ns.default;
    api.version = require('baileys/package.json').version;
    api.pino = require('pino');
    for (const name of ['makeWASocket', 'initAuthCreds', 'Curve', 'proto', 'BufferJSON', 'WA_CERT_DETAILS']) {
        if (!api[name]) {
            throw new Error(`baileys ${api.version} in ${dir} does not export ${name}`);
        }
    }
    return api;
}

/** The last log lines Baileys wrote (all of them go to stderr too with SIM_VERBOSE=1). */
const LOG_LINES = 400;
const logRing = [];

export function makeLogger(baileys) {
    const verbose = process.env.SIM_VERBOSE === '1';
    const stream = {
        write(line) {
            logRing.push(line.length > 4000 ? `${line.slice(0, 4000)}...\n` : line);
            if (logRing.length > LOG_LINES) {
                logRing.shift();
            }
            if (verbose) {
                process.stderr.write(line);
            }
        }
    };
    return baileys.pino({ level: process.env.SIM_LOG_LEVEL || 'debug' }, stream);
}

/** Writes the recent Baileys log to stderr (after a failure). */
export function dumpLog() {
    process.stderr.write(`---- last ${logRing.length} Baileys log lines ----\n`);
    for (const line of logRing) {
        process.stderr.write(line);
    }
    process.stderr.write('---- end of Baileys log ----\n');
}

/** Signal keys in memory, shaped like Baileys' `SignalKeyStore`. */
export function memoryKeyStore(baileys) {
    const data = new Map();
    return {
        async get(type, ids) {
            const found = {};
            for (const id of ids) {
                let value = data.get(`${type}\u0000${id}`);
                if (value !== undefined) {
                    if (type === 'app-state-sync-key') {
                        value = baileys.proto.Message.AppStateSyncKeyData.fromObject(value);
                    }
                    found[id] = value;
                }
            }
            return found;
        },
        async set(update) {
            for (const [type, entries] of Object.entries(update)) {
                for (const [id, value] of Object.entries(entries ?? {})) {
                    const key = `${type}\u0000${id}`;
                    if (value === null || value === undefined) {
                        data.delete(key);
                    } else {
                        data.set(key, value);
                    }
                }
            }
        }
    };
}

/** Creds as a JSON string, the way a real app persists them (and back). */
export const saveCreds = (baileys, creds) => JSON.stringify(creds, baileys.BufferJSON.replacer);
export const loadCreds = (baileys, text) => JSON.parse(text, baileys.BufferJSON.reviver);

/** The events the scenarios look at. */
const RECORDED = ['connection.update', 'creds.update', 'messages.upsert', 'messages.update', 'messages.reaction'];

/**
 * One Baileys socket to the simulator plus a log of its events. `wait(event, probe)` resolves
 * with the first non-undefined `probe(data)` over past and future events of that name, and
 * rejects early if the connection closes (unless `allowClose`).
 */
export class Connection {
    constructor(baileys, { url, creds, keys, logger }) {
        this.events = [];
        this.waiters = new Set();
        this.closed = undefined;
        // What this client sent, by id, so it can answer retry receipts.
        this.sent = new Map();
        this.sock = baileys.makeWASocket({
            auth: { creds, keys },
            waWebSocketUrl: url,
            logger,
            connectTimeoutMs: WAIT_MS,
            defaultQueryTimeoutMs: WAIT_MS,
            qrTimeout: 60_000,
            syncFullHistory: false,
            // No history sync will come: without this 7.x holds events for 20 s after login.
            shouldSyncHistoryMessage: () => false,
            markOnlineOnConnect: true,
            getMessage: async key => this.sent.get(key.id)
        });
        for (const name of RECORDED) {
            this.sock.ev.on(name, data => this.record(name, data));
        }
    }

    record(name, data) {
        if (name === 'connection.update' && data.connection === 'close') {
            const error = data.lastDisconnect?.error;
            this.closed = {
                statusCode: error?.output?.statusCode ?? error?.statusCode,
                message: error?.message ?? 'closed'
            };
        }
        this.events.push({ name, data });
        for (const waiter of this.waiters) {
            waiter();
        }
    }

    closeReason() {
        return this.closed && `the connection closed (${this.closed.statusCode ?? '?'}: ${this.closed.message})`;
    }

    wait(name, probe, what, { timeoutMs = WAIT_MS, allowClose = false } = {}) {
        return new Promise((resolve, reject) => {
            let seen = 0;
            let timer;
            const finish = (outcome, value) => {
                clearTimeout(timer);
                this.waiters.delete(check);
                outcome(value);
            };
            const check = () => {
                for (; seen < this.events.length; seen += 1) {
                    const event = this.events[seen];
                    if (event.name !== name) {
                        continue;
                    }
                    let value;
                    try {
                        value = probe(event.data);
                    } catch (error) {
                        return finish(reject, error);
                    }
                    if (value !== undefined) {
                        return finish(resolve, value);
                    }
                }
                if (!allowClose && this.closed) {
                    return finish(reject, new Error(`${what}: ${this.closeReason()}`));
                }
            };
            timer = setTimeout(
                () => finish(reject, new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
                timeoutMs
            );
            this.waiters.add(check);
            check();
        });
    }

    /** `sock.sendMessage`, remembering the message for retries; resolves with its key. */
    async send(jid, content) {
        const message = await this.sock.sendMessage(jid, content);
        this.sent.set(message.key.id, message.message);
        return message;
    }

    /** Closes the socket (no reconnect), waiting at most 2 s for the close handshake. */
    async close() {
        if (!this.closed) {
            const ending = Promise.resolve()
                .then(() => this.sock.end(undefined))
                .catch(() => undefined);
            await Promise.race([ending, sleep(2_000)]);
        }
    }
}

/** Decodes a key given as 64 hex digits or base64 into 32 bytes. */
export function key32(text, what) {
    const bytes = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
    if (bytes.length !== 32) {
        throw new Error(`${what} must be 32 bytes (hex or base64), got ${bytes.length}`);
    }
    return bytes;
}
