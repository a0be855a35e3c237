// Checks and bounded waits: every check prints exactly one line ("ok NAME (detail)" or
// "FAIL NAME: why"); the first failure stops the scenario and the remaining checks are
// listed as "skip".

/** Thrown by a failed check; the runner turns it into exit code 1. */
export class CheckFailed extends Error {
    constructor(name, cause) {
        super(`${name}: ${cause?.message ?? cause}`);
        this.name = 'CheckFailed';
        this.check = name;
    }
}

/** How long each bounded wait lasts (SIM_WAIT_MS overrides it). */
export const WAIT_MS = Number(process.env.SIM_WAIT_MS) > 0 ? Number(process.env.SIM_WAIT_MS) : 20_000;

/** Runs named checks in order and remembers which ones are still to come. */
export class Checks {
    /** @param {string[]} planned every check name the scenario will run, in order */
    constructor(planned) {
        this.pending = [...planned];
        this.passed = 0;
    }

    /** An informational line that is not a check. */
    info(text) {
        process.stdout.write(`# ${text}\n`);
    }

    /**
     * Runs one check: `body` returns a short detail string (or nothing) on success and throws
     * with a clear message on failure.
     */
    async run(name, body) {
        const index = this.pending.indexOf(name);
        if (index >= 0) {
            this.pending.splice(index, 1);
        }
        try {
            const detail = await body();
            process.stdout.write(`ok   ${name}${detail ? ` (${detail})` : ''}\n`);
            this.passed += 1;
            return detail;
        } catch (error) {
            process.stdout.write(`FAIL ${name}: ${oneLine(error?.message ?? String(error))}\n`);
            throw new CheckFailed(name, error);
        }
    }

    /** Lists the checks that never ran (after a failure). */
    skipRest() {
        for (const name of this.pending) {
            process.stdout.write(`skip ${name}\n`);
        }
        this.pending = [];
    }
}

/**
 * Polls `probe` (sync or async) until it returns something other than `undefined`, every
 * `intervalMs`, for at most `timeoutMs`. `abort()` may return a reason to give up early.
 */
export async function poll(what, probe, { timeoutMs = WAIT_MS, intervalMs = 200, abort } = {}) {
    const deadline = Date.now() + timeoutMs;
    let lastError;
    for (;;) {
        const reason = abort?.();
        if (reason) {
            throw new Error(`${what}: gave up, ${reason}`);
        }
        try {
            const value = await probe();
            if (value !== undefined) {
                return value;
            }
        } catch (error) {
            lastError = error;
        }
        if (Date.now() >= deadline) {
            const tail = lastError ? ` (last error: ${lastError.message})` : '';
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${tail}`);
        }
        await sleep(intervalMs);
    }
}

export function sleep(ms) {
    return new Promise(resolve => setTimeout(resolve, ms));
}

function oneLine(text) {
    return text.replace(/\s+/g, ' ').trim();
}
