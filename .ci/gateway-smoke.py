#!/usr/bin/env python3
"""The README's gateway walkthrough, run as a user would: `wa serve --sim` in a fresh data dir,
an API key from `wa keys create`, a webhook receiver, a session paired by a simulated phone,
a text, a reaction that must land on the contact's simulated phone, the contact's reaction
arriving as a signed webhook, unreact, revoke, and the message read back.

Usage: .ci/gateway-smoke.py path/to/wa
Exits non-zero (with what went wrong) on the first failed step. Only the standard library.
"""

import hashlib
import hmac
import http.server
import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

WA = sys.argv[1] if len(sys.argv) > 1 else "target/release/wa"
ALICE, BOB = "15550001111", "15550002222"
BOB_JID = BOB + "@s.whatsapp.net"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fail(step, detail):
    print(f"gateway smoke: FAILED at {step}: {detail}", file=sys.stderr)
    sys.exit(1)


def call(method, url, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if token:
        request.add_header("Authorization", "Bearer " + token)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            raw = answer.read()
            return answer.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, (json.loads(raw) if raw else None)


def expect(step, answer, status):
    if answer[0] != status:
        fail(step, f"HTTP {answer[0]}, expected {status}: {answer[1]}")
    return answer[1]


def wait_for(step, check, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    fail(step, f"not within {timeout} s")


def main():
    data_dir = tempfile.mkdtemp(prefix="wa-smoke-")
    gw_port, sim_port, hook_port = free_port(), free_port(), free_port()
    G = f"http://127.0.0.1:{gw_port}/api/v1"
    S = f"http://127.0.0.1:{sim_port}/sim"

    hooks = queue.Queue()

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            hooks.put((dict(self.headers), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    receiver = http.server.HTTPServer(("127.0.0.1", hook_port), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()

    server = subprocess.Popen(
        [WA, "serve", "--listen", f"127.0.0.1:{gw_port}", "--data", data_dir, "--sim",
         "--sim-listen", f"127.0.0.1:{sim_port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def up():
            try:
                return call("GET", f"http://127.0.0.1:{gw_port}/openapi.json")[0] == 200
            except OSError:
                return False
        wait_for("wa serve listening", up)

        keys = subprocess.run(
            [WA, "keys", "create", "--data", data_dir, "--org", "acme",
             "--capabilities", "send,read,sessions,webhooks"],
            capture_output=True, text=True, check=True)
        token = keys.stdout.strip().splitlines()[-1]

        expect("create account 1", call("POST", S + "/accounts", {"phone": ALICE}), 201)
        expect("create account 2", call("POST", S + "/accounts", {"phone": BOB}), 201)
        sub = expect("subscribe", call("POST", G + "/webhooks", {
            "url": f"http://127.0.0.1:{hook_port}/hook",
            "events": ["message.reaction", "message.revoked", "session.status"]}, token), 201)
        secret = sub["secret"]

        session = expect("create session", call("POST", G + "/sessions", None, token), 201)
        sid = session["id"]
        expect("scan", call("POST", S + "/scan", {"qr": session["qr"], "phone": ALICE + "@s.whatsapp.net"}), 200)
        wait_for("session connected",
                 lambda: call("GET", f"{G}/sessions/{sid}", None, token)[1].get("status") == "connected")

        sent = expect("send text", call("POST", f"{G}/sessions/{sid}/messages",
                                        {"chat": BOB_JID, "text": "hello from the smoke test", "origin": "smoke"}, token), 200)
        mid = sent["waMessageId"]
        expect("react", call("POST", f"{G}/sessions/{sid}/messages/{mid}/reaction",
                             {"chat": BOB_JID, "sender": "", "emoji": "👍"}, token), 200)

        def landed():
            received = call("GET", f"{S}/received?jid={BOB_JID}")[1]
            return [r for r in received if r.get("kind") == "reaction" and r.get("target") == mid and r.get("emoji") == "👍"]
        wait_for("reaction on the contact's phone", landed)

        expect("contact reacts", call("POST", S + "/react", {
            "from": BOB_JID, "chat": ALICE + "@s.whatsapp.net",
            "target": {"id": mid, "from_me": False}, "emoji": "❤️"}), 200)

        def contact_reaction_hook():
            while True:
                try:
                    headers, body = hooks.get(timeout=30)
                except queue.Empty:
                    return None
                event = json.loads(body)
                if event["type"] == "message.reaction" and not event["data"]["fromMe"]:
                    return headers, body, event
        found = contact_reaction_hook()
        if not found:
            fail("webhook for the contact's reaction", "none arrived")
        headers, body, event = found
        lower = {k.lower(): v for k, v in headers.items()}
        expected = "sha256=" + hmac.new(secret.encode(), lower["x-wa-timestamp"].encode() + b"." + body,
                                        hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, lower["x-wa-signature"]):
            fail("webhook signature", f"{lower['x-wa-signature']} != {expected}")
        if event["data"]["targetMessageId"] != mid or event["data"].get("origin") != "smoke":
            fail("webhook payload", event)

        expect("unreact", call("DELETE", f"{G}/sessions/{sid}/messages/{mid}/reaction",
                               {"chat": BOB_JID, "sender": ""}, token), 200)
        expect("revoke", call("DELETE", f"{G}/sessions/{sid}/messages/{mid}",
                              {"chat": BOB_JID, "sender": ""}, token), 200)
        message = expect("read message", call("GET", f"{G}/sessions/{sid}/messages/{mid}", None, token), 200)
        if message["status"] != "deleted" or [r["emoji"] for r in message["reactions"]] != ["❤️"]:
            fail("message after unreact and revoke", message)

        def revoked_on_phone():
            received = call("GET", f"{S}/received?jid={BOB_JID}")[1]
            return [r for r in received if r.get("kind") == "revoke" and r.get("target") == mid]
        wait_for("revoke on the contact's phone", revoked_on_phone)
        print("gateway smoke: ok (pair, text, react landed on the phone, signed webhook, unreact, revoke)")
    finally:
        server.terminate()
        try:
            _, err = server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            _, err = server.communicate()
        receiver.shutdown()
        shutil.rmtree(data_dir, ignore_errors=True)
        if os.environ.get("WA_SMOKE_LOG"):
            sys.stderr.write(err.decode(errors="replace"))


if __name__ == "__main__":
    main()
