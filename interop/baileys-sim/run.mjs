#!/usr/bin/env node
// Drives one installed Baileys version through one scenario against a running wa-sim.
//
//   node run.mjs <v6|v7|DIR> <paired|pair>
//
// DIR (or interop/baileys-sim/v6, v7) holds the installed package. Environment:
//   SIM_WS      the simulator's WebSocket URL (ws://127.0.0.1:PORT/ws/chat)
//   SIM_HTTP    its control base URL (http://127.0.0.1:PORT)
//   SIM_ROOT    its certificate root public key, 32 bytes hex or base64 (7.x verifies the chain
//               against it; when unset, GET SIM_HTTP/sim/info {root_public_key} is tried)
//   SIM_WAIT_MS each bounded wait (default 20000)
//   SIM_VERBOSE=1 streams Baileys' log to stderr (the last lines are printed on failure anyway)
// Prints one line per check; exit code 0 only if every check passed (2 = bad usage or setup).

import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Checks, CheckFailed } from './lib/checks.mjs';
import { dumpLog, key32, loadBaileys, makeLogger } from './lib/client.mjs';
import { Control } from './lib/control.mjs';
import * as pair from './scenarios/pair.mjs';
import * as paired from './scenarios/paired.mjs';

const SCENARIOS = { paired, pair };
const HERE = dirname(fileURLToPath(import.meta.url));

async function main() {
    const [which, scenarioName] = process.argv.slice(2);
    const scenario = SCENARIOS[scenarioName];
    if (!which || !scenario) {
        return usage(`usage: node run.mjs <v6|v7|DIR> <${Object.keys(SCENARIOS).join('|')}>`);
    }
    const url = process.env.SIM_WS;
    const http = process.env.SIM_HTTP;
    if (!url || !http) {
        return usage('SIM_WS and SIM_HTTP must be set');
    }
    const dir = ['v6', 'v7'].includes(which) ? join(HERE, which) : resolve(which);
    const baileys = await loadBaileys(dir);
    const control = new Control(http);
    const checks = new Checks(scenario.CHECKS);
    checks.info(`baileys ${baileys.version} (${dir}), scenario ${scenarioName}, ${url}`);

    const root = await rootKey(control);
    if (root) {
        // 7.x verifies the intermediate certificate against this constant at every handshake
        // (6.x only checks the issuer serial); pointing it at the simulator's root is the
        // whole trust setup, node_modules stay untouched.
        baileys.WA_CERT_DETAILS.PUBLIC_KEY = root;
        checks.info(`trusting the simulator root ${root.toString('hex')}`);
    } else if ('PUBLIC_KEY' in baileys.WA_CERT_DETAILS) {
        return usage(`baileys ${baileys.version} verifies the server certificate: set SIM_ROOT to the simulator's root public key`);
    }

    process.on('unhandledRejection', error => {
        checks.info(`unhandled rejection inside Baileys: ${error?.stack ?? error}`);
    });
    const logger = makeLogger(baileys);
    try {
        await scenario.run({ baileys, control, checks, url, logger });
    } catch (error) {
        if (!(error instanceof CheckFailed)) {
            process.stdout.write(`FAIL ${scenarioName}: ${error?.stack ?? error}\n`);
        }
        checks.skipRest();
        dumpLog();
        return 1;
    }
    checks.info(`${checks.passed} checks passed`);
    return 0;
}

/** The root key from SIM_ROOT, else from GET /sim/info, else undefined. */
async function rootKey(control) {
    if (process.env.SIM_ROOT) {
        return key32(process.env.SIM_ROOT, 'SIM_ROOT');
    }
    try {
        const info = await control.info();
        return info?.root_public_key ? key32(info.root_public_key, '/sim/info root_public_key') : undefined;
    } catch {
        return undefined;
    }
}

function usage(message) {
    process.stderr.write(`${message}\n`);
    return 2;
}

main().then(
    code => process.exit(code),
    error => {
        process.stderr.write(`${error?.stack ?? error}\n`);
        process.exit(2);
    }
);
