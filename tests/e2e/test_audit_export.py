"""ward audit export: OTLP/HTTP JSON against a real local receiver.

The log is written here, in Python, the way ward writes it (canonical JSON,
SHA-256 chain), so the test does not depend on which commands record events.
"""

import hashlib
import http.server
import json
import os
import re
import threading
import unittest

from wardtest import WardTestCase, pid_alive, wait_until

ZERO = "0" * 64
SECRET_NAMES = ["prod/db/password", "llm/openai", "prod/stripe/key"]
CWD = "/home/tester/very-secret-project"
HOST = "export-test-host.example"
TOKEN = "Bearer tok-e2e-9f8e7d6c5b4a39281706"


class Receiver:
    """An HTTP server on 127.0.0.1 that records requests and answers from a
    script of statuses (the last one repeats)."""

    def __init__(self, statuses=(200,)):
        self.statuses = list(statuses)
        self.requests = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                i = min(len(receiver.requests), len(receiver.statuses) - 1)
                status = receiver.statuses[i]
                receiver.requests.append({"path": self.path, "headers": dict(self.headers),
                                          "body": body, "status": status})
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/v1/logs"

    def ok_requests(self):
        return [r for r in self.requests if r["status"] == 200]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def make_event(seq, name, secrets=(), outcome="ok", denied=(), tty="/dev/pts/9", tool="",
               agent=("", ""), checkpoint=None):
    e = {
        "v": 1, "seq": seq, "ts": 1764000000000000 + seq * 1000, "event": name,
        "secrets": list(secrets), "outcome": outcome, "reason": f"reason naming {CWD}",
        "actor": {"pid": 4000 + seq, "ppid": 3999, "uid": os.getuid(), "sid": 3000,
                  "exe": "/home/tester/.local/bin/helper-tool", "comm": "helper",
                  "cwd": CWD, "tty": tty, "ancestry": ["zsh", "tmux"],
                  "agent": {"name": agent[0], "via": agent[1]}},
        "tool": tool, "host": HOST,
    }
    if denied:
        e["denied"] = list(denied)
    if checkpoint:
        e["checkpoint"] = checkpoint
    return e


def chain_lines(events, prev=ZERO):
    lines = []
    for e in events:
        e = dict(e)
        e["prev"] = prev
        e.pop("hash", None)
        h = hashlib.sha256(bytes.fromhex(prev) + canonical(e).encode()).hexdigest()
        e["hash"] = h
        lines.append(canonical(e))
        prev = h
    return lines, prev


def fixture_events():
    return [
        make_event(1, "get", secrets=["prod/db/password"], tool="/opt/tools/bin/psql",
                   agent=("claude-code", "env:CLAUDECODE")),
        make_event(2, "run", secrets=["llm/openai"], denied=["prod/stripe/key"], outcome="denied",
                   tty=""),
        make_event(3, "audit.checkpoint",
                   checkpoint={"head": "ab" * 32, "key": "cd" * 32, "seq": 2,
                               "sig": "ef" * 64, "ts": 1764000000003000}),
        make_event(4, "audit.repair"),
        make_event(5, "set", secrets=["llm/openai"]),
    ]


class ExportTestCase(WardTestCase):
    init_vault = False

    def setUp(self):
        super().setUp()
        self.env["NO_PROXY"] = "127.0.0.1,localhost"
        for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
            self.env.pop(var, None)
        self.receivers = []
        self.hashes = []
        self.prev = ZERO

    def tearDown(self):
        for r in self.receivers:
            r.close()
        super().tearDown()

    def receiver(self, statuses=(200,)):
        r = Receiver(statuses)
        self.receivers.append(r)
        return r

    def log_path(self):
        return os.path.join(self.home, "audit.jsonl")

    def write_log(self, events):
        """Appends events to the chain, renumbered after what ward wrote."""
        os.makedirs(self.home, mode=0o700, exist_ok=True)
        last_seq = 0
        if os.path.exists(self.log_path()):
            with open(self.log_path()) as f:
                lines = f.read().splitlines()
            if lines:
                last = json.loads(lines[-1])
                last_seq, self.prev = last["seq"], last["hash"]
        events = [dict(e, seq=last_seq + i + 1) for i, e in enumerate(events)]
        lines, self.prev = chain_lines(events, self.prev)
        self.hashes += [json.loads(line)["hash"] for line in lines]
        fd = os.open(self.log_path(), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("".join(line + "\n" for line in lines))

    def config_path(self):
        return os.path.join(self.env["XDG_CONFIG_HOME"], "ward", "config.yaml")

    def write_config(self, url, extra="", mode=0o600):
        os.makedirs(os.path.dirname(self.config_path()), mode=0o700, exist_ok=True)
        with open(self.config_path(), "w") as f:
            f.write("audit:\n  suspicious:\n    burst: {events: 5}\n"
                    f"  export:\n    otlp:\n      endpoint: {url}\n      batch: 2\n{extra}")
        os.chmod(self.config_path(), mode)

    def cursor(self):
        path = os.path.join(self.env["XDG_STATE_HOME"], "ward", "export-cursor")
        with open(path) as f:
            return int(f.read().strip())

    @staticmethod
    def records(requests):
        out = []
        for r in requests:
            payload = json.loads(r["body"])
            for rl in payload["resourceLogs"]:
                for sl in rl["scopeLogs"]:
                    out += sl["logRecords"]
        return out

    @staticmethod
    def attrs(record):
        return {a["key"]: a["value"] for a in record["attributes"]}


class Export(ExportTestCase):
    def test_payload_shape_and_redaction(self):
        recv = self.receiver()
        self.write_config(recv.url)
        events = fixture_events()
        self.write_log(events)
        proc = self.ward("audit", "export", check=True)
        self.assertIn("sent 3 events", proc.stdout.decode())
        self.assertEqual(len(recv.requests), 2)  # batch: 2
        for r in recv.requests:
            self.assertEqual(r["path"], "/v1/logs")
            self.assertEqual(r["headers"]["Content-Type"], "application/json")
            payload = json.loads(r["body"])
            resource = {a["key"]: a["value"]
                        for a in payload["resourceLogs"][0]["resource"]["attributes"]}
            self.assertEqual(resource["service.name"], {"stringValue": "ward"})
            self.assertRegex(resource["host.id"]["stringValue"], r"^[0-9a-f]{12}$")
            self.assertEqual(payload["resourceLogs"][0]["scopeLogs"][0]["scope"]["name"],
                             "ward.audit")
        records = self.records(recv.requests)
        self.assertEqual([self.attrs(r)["ward.seq"]["intValue"] for r in records],
                         ["1", "2", "5"])
        first = records[0]
        self.assertEqual(first["timeUnixNano"], str(events[0]["ts"] * 1000))
        self.assertEqual(first["body"], {"stringValue": "get"})
        a = self.attrs(first)
        self.assertEqual(a["ward.actor.tty_present"], {"boolValue": True})
        self.assertEqual(self.attrs(records[1])["ward.actor.tty_present"], {"boolValue": False})
        self.assertEqual(a["process.executable.name"], {"stringValue": "helper-tool"})
        self.assertEqual(a["ward.tool"], {"stringValue": "psql"})
        self.assertEqual(a["ward.agent.name"], {"stringValue": "claude-code"})
        self.assertEqual(a["process.pid"], {"intValue": "4001"})
        hashed = a["ward.secrets"]["arrayValue"]["values"][0]["stringValue"]
        self.assertRegex(hashed, r"^[0-9a-f]{12}$")
        # The same name hashes the same way in another record (same salt).
        self.assertEqual(self.attrs(records[1])["ward.secrets"],
                         self.attrs(records[2])["ward.secrets"])
        self.assertEqual(records[1]["severityText"], "WARN")

        raw = b"".join(r["body"] for r in recv.requests)
        for leak in SECRET_NAMES + [CWD, "very-secret-project", "/dev/pts", HOST, "tester",
                                    "audit.checkpoint", "audit.repair", "reason naming",
                                    "ab" * 32, "ef" * 64] + self.hashes:
            self.assertNotIn(leak.encode(), raw, leak)
        self.assertNotIn(b'"cwd"', raw)
        self.assertNotIn(b'"prev"', raw)
        self.assertNotIn(b'"hash"', raw)

        salt = os.path.join(self.env["XDG_STATE_HOME"], "ward", "export-salt")
        self.assertEqual(os.stat(salt).st_mode & 0o777, 0o600)
        self.assertEqual(os.path.getsize(salt), 32)

    def test_retry_after_503(self):
        recv = self.receiver([503, 200])
        self.write_config(recv.url)
        self.write_log(fixture_events()[:1])
        # A proxy in the environment is not used for plain http to loopback.
        proxy = {"http_proxy": "http://127.0.0.1:1", "NO_PROXY": "", "no_proxy": ""}
        self.ward("audit", "export", env=proxy, check=True)
        self.assertEqual([r["status"] for r in recv.requests], [503, 200])
        self.assertEqual(recv.requests[0]["body"], recv.requests[1]["body"])
        self.assertEqual(len(self.records(recv.ok_requests())), 1)

    def test_nothing_sent_for_audit_events(self):
        recv = self.receiver()
        self.write_config(recv.url)
        self.write_log(fixture_events()[2:4])
        proc = self.ward("audit", "export", "--json", check=True)
        out = json.loads(proc.stdout)
        self.assertEqual(out["sent"], 0)
        self.assertEqual(out["kept_local"], 2)
        self.assertEqual(recv.requests, [])
        self.assertEqual(self.cursor(), 2)

    def test_cursor_advances(self):
        recv = self.receiver()
        self.write_config(recv.url)
        self.write_log(fixture_events())
        self.ward("audit", "export", check=True)
        self.assertEqual(self.cursor(), 5)
        sent = len(recv.requests)
        out = json.loads(self.ward("audit", "export", "--json", check=True).stdout)
        self.assertEqual(out["sent"], 0)
        self.assertEqual(len(recv.requests), sent)
        self.write_log([make_event(6, "get", secrets=["llm/openai"])])
        out = json.loads(self.ward("audit", "export", "--json", check=True).stdout)
        self.assertEqual(out["sent"], 1)
        self.assertEqual([self.attrs(r)["ward.seq"]["intValue"]
                          for r in self.records(recv.requests[sent:])], ["6"])
        self.assertEqual(self.cursor(), 6)
        # --since ignores the cursor.
        out = json.loads(self.ward("audit", "export", "--since", "2020-01-01", "--json",
                                   check=True).stdout)
        self.assertEqual(out["sent"], 4)

    def test_dry_run_prints_the_redacted_payload(self):
        recv = self.receiver()
        self.write_config(recv.url)
        self.write_log(fixture_events())
        proc = self.ward("audit", "export", "--dry-run", check=True)
        out = proc.stdout
        payloads = [json.loads(line) for line in out.decode().splitlines()]
        self.assertEqual(len(payloads), 2)
        self.assertEqual(len(self.records([{"body": json.dumps(p)} for p in payloads])), 3)
        for leak in SECRET_NAMES + [CWD]:
            self.assertNotIn(leak.encode(), out)
        self.assertEqual(recv.requests, [])
        self.assertFalse(os.path.exists(
            os.path.join(self.env["XDG_STATE_HOME"], "ward", "export-cursor")))

    def test_failure_is_recorded_and_the_cursor_stays(self):
        recv = self.receiver([400])
        self.write_config(recv.url)
        self.write_log(fixture_events())
        proc = self.ward("audit", "export")
        self.assert_error(proc, 1, "not exported")
        self.assertIn("400", proc.stderr.decode())
        self.assertEqual(len(recv.requests), 1)  # a 400 is not retried; the rest stop
        with open(self.log_path()) as f:
            last = json.loads(f.read().splitlines()[-1])
        self.assertEqual(last["event"], "audit.export_dropped")
        self.assertEqual(last["seq"], 6)
        self.assertTrue(last["reason"].startswith("3 events not exported"), last["reason"])
        self.assertFalse(os.path.exists(
            os.path.join(self.env["XDG_STATE_HOME"], "ward", "export-cursor")))
        # The next run, against a working endpoint, sends them; the drop
        # event itself stays local.
        recv.statuses = [200]
        out = json.loads(self.ward("audit", "export", "--json", check=True).stdout)
        self.assertEqual(out["sent"], 3)
        self.assertEqual(self.cursor(), 6)

    def test_unreachable_endpoint_fails_cleanly(self):
        recv = self.receiver()
        port = recv.port
        recv.close()
        self.receivers.remove(recv)
        self.write_config(f"http://127.0.0.1:{port}/v1/logs")
        self.write_log(fixture_events()[:1])
        proc = self.ward("audit", "export", timeout=120)
        self.assert_error(proc, 1, "not exported")

    def test_config_is_checked(self):
        recv = self.receiver()
        self.write_log(fixture_events()[:1])
        self.write_config(recv.url, mode=0o666)
        self.assert_error(self.ward("audit", "export"), 3, "writable by others")
        self.write_config("http://example.com:4318/v1/logs")
        self.assert_error(self.ward("audit", "export"), 2, "loopback")
        self.write_config(recv.url, extra="      token: abc\n")
        self.assert_error(self.ward("audit", "export"), 2, "unknown key 'token'")
        os.unlink(self.config_path())
        self.assert_error(self.ward("audit", "export"), 5, "no audit.export.otlp section")
        self.assertEqual(recv.requests, [])


class ExportWithVaultHeaders(ExportTestCase):
    init_vault = True

    def test_authorization_header_comes_from_the_vault(self):
        recv = self.receiver()
        self.set_secret("otel/headers", f"Authorization: {TOKEN}\r\nX-Scope-OrgID: team-a\n")
        self.unlock()
        self.write_config(recv.url, extra="      headers_secret: otel/headers\n")
        self.write_log(fixture_events())
        proc = self.ward("audit", "export", check=True)
        self.assertTrue(recv.requests)
        for r in recv.requests:
            self.assertEqual(r["headers"].get("Authorization"), TOKEN)
            self.assertEqual(r["headers"].get("X-Scope-OrgID"), "team-a")
        token = TOKEN.split()[1].encode()
        self.assertNotIn(token, proc.stdout + proc.stderr)
        with open(self.config_path(), "rb") as f:
            self.assertNotIn(token, f.read())
        self.assertNotIn(b"otel/headers", b"".join(r["body"] for r in recv.requests))

    def test_locked_vault_fails_without_sending(self):
        recv = self.receiver()
        self.set_secret("otel/headers", f"Authorization: {TOKEN}\n")
        self.write_config(recv.url, extra="      headers_secret: otel/headers\n")
        self.write_log(fixture_events()[:1])
        proc = self.ward("audit", "export")
        self.assertEqual(proc.returncode, 1, proc.stderr.decode())
        self.assertRegex(proc.stderr.decode(), r"\d+ events? not exported: vault is locked")
        self.assertEqual(recv.requests, [])
        self.assertNotIn(TOKEN.encode(), proc.stdout + proc.stderr)

    def test_malformed_header_secret_is_not_quoted(self):
        recv = self.receiver()
        self.set_secret("otel/headers", "just-a-token-value-zz9\n")
        self.unlock()
        self.write_config(recv.url, extra="      headers_secret: otel/headers\n")
        self.write_log(fixture_events()[:1])
        proc = self.ward("audit", "export")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("not 'Name: value'", proc.stderr.decode())
        self.assertNotIn(b"zz9", proc.stdout + proc.stderr)
        self.assertEqual(recv.requests, [])


if __name__ == "__main__":
    unittest.main()


class LiveExport(ExportTestCase):
    """The agent exports each event it records as it goes, with the header
    lines from the vault, and nothing of audit.* leaves."""
    init_vault = True

    def test_agent_exports_what_it_records(self):
        recv = self.receiver()
        self.set_secret("otel/headers", f"Authorization: {TOKEN}\n")
        self.set_secret("llm/openai", "sk-live-export-0123456789abcdef")
        self.write_config(recv.url, extra="      headers_secret: otel/headers\n")
        self.unlock()
        for _ in range(3):
            self.ward("get", "llm/openai", check=True)
        pid = self.agent_pid()
        self.ward("lock", check=True)  # flushes the exporter
        self.assertTrue(wait_until(lambda: not pid_alive(pid), timeout=10))
        records = self.records(recv.ok_requests())
        events = [self.attrs(r)["ward.event"]["stringValue"] for r in records]
        self.assertEqual(events, ["get", "get", "get", "lock"])
        for r in recv.requests:
            self.assertEqual(r["headers"].get("Authorization"), TOKEN)
        body = b"".join(r["body"] for r in recv.requests)
        self.assertNotIn(b"llm/openai", body)
        self.assertNotIn(b"sk-live-export", body)
        self.assertNotIn(b"audit.checkpoint", body)

    def test_bad_export_config_stops_unlock(self):
        self.write_config("http://example.com/v1/logs")  # plain http off loopback
        proc = self.ward("unlock", passphrase=True)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn(b"ward: error:", proc.stderr)
