// The simulator's HTTP control API (`/sim/...` on SIM_HTTP), as the scenarios use it.

const REQUEST_TIMEOUT_MS = 10_000;

export class Control {
    /** @param {string} base e.g. `http://127.0.0.1:PORT` */
    constructor(base) {
        this.base = base.replace(/\/+$/, '');
    }

    /** `POST /sim/accounts {phone?}` -> `{jid, lid}` */
    createAccount(phone) {
        return this.post('/sim/accounts', phone ? { phone } : {});
    }

    /**
     * `POST /sim/devices {account, noise_key, identity_key, registration_id, signed_pre_key,
     * pre_keys}` (keys base64) -> `{jid, lid, device_identity}`: an already-paired companion.
     */
    registerDevice(body) {
        return this.post('/sim/devices', body);
    }

    /** `POST /sim/send {from, to, text}` -> `{id}` */
    send(from, to, text) {
        return this.post('/sim/send', { from, to, text });
    }

    /** `POST /sim/react {from, chat, target: {id, from_me, participant?}, emoji}` */
    react(from, chat, target, emoji) {
        return this.post('/sim/react', { from, chat, target, emoji });
    }

    /** `POST /sim/revoke {from, chat, target: {id, from_me, participant?}}` */
    revoke(from, chat, target) {
        return this.post('/sim/revoke', { from, chat, target });
    }

    /** `POST /sim/scan {qr, phone?}`: a simulated phone scans a pairing QR. */
    scan(qr, phone) {
        return this.post('/sim/scan', phone ? { qr, phone } : { qr });
    }

    /** `GET /sim/received?jid=J` -> what J's simulated devices decrypted, oldest first. */
    async received(jid) {
        const body = await this.request('GET', `/sim/received?jid=${encodeURIComponent(jid)}`);
        const list = Array.isArray(body) ? body : body?.received ?? body?.messages;
        if (!Array.isArray(list)) {
            throw new Error(`GET /sim/received answered ${JSON.stringify(body)}, not a list`);
        }
        return list;
    }

    /** `GET /sim/info` (optional): `{root_public_key, ...}` if the simulator offers it. */
    async info() {
        return this.request('GET', '/sim/info');
    }

    post(path, body) {
        return this.request('POST', path, body);
    }

    async request(method, path, body) {
        const url = `${this.base}${path}`;
        let response;
        try {
            response = await fetch(url, {
                method,
                headers: body === undefined ? {} : { 'content-type': 'application/json' },
                body: body === undefined ? undefined : JSON.stringify(body),
                signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
            });
        } catch (error) {
            throw new Error(`${method} ${path}: ${error.cause?.message ?? error.message}`);
        }
        const text = await response.text();
        if (!response.ok) {
            throw new Error(`${method} ${path} -> HTTP ${response.status}: ${text.slice(0, 500)}`);
        }
        if (!text) {
            return {};
        }
        try {
            return JSON.parse(text);
        } catch {
            throw new Error(`${method} ${path} answered non-JSON: ${text.slice(0, 200)}`);
        }
    }
}
