"""ward audit suspicious and ward audit report over fixture logs written here."""

import glob
import hashlib
import json
import os
import re
import stat
import unittest
from datetime import datetime, timezone

from wardtest import WardTestCase

ZERO = "0" * 64


def us(text):
    """RFC 3339 UTC ("2026-01-15T10:00:00") -> unix microseconds."""
    dt = datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
    return int(dt.timestamp()) * 1_000_000


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def actor(comm="ward", tty="/dev/pts/1", agent="", via="", ancestry=None, sid=500, pid=4242):
    return {"agent": {"name": agent, "via": via}, "ancestry": ancestry or [], "comm": comm,
            "cwd": "/home/dev/project", "exe": "/usr/bin/ward", "pid": pid, "ppid": pid - 1,
            "sid": sid, "tty": tty, "uid": 1000}


def event(ts, name, secrets=(), outcome="ok", reason="", tool="", **who):
    return {"ts": ts, "event": name, "secrets": list(secrets), "outcome": outcome,
            "reason": reason, "tool": tool, "actor": actor(**who)}


def write_log(path, events):
    """Writes a valid chain: seq from 1, each hash over prev + the line without it."""
    for old in glob.glob(os.path.join(os.path.dirname(path), "audit*.jsonl")):
        os.remove(old)
    prev = ZERO
    lines = []
    for seq, e in enumerate(events, 1):
        obj = dict(e, v=1, seq=seq, host="devbox", prev=prev)
        digest = hashlib.sha256(bytes.fromhex(prev) + canonical(obj).encode()).hexdigest()
        obj["hash"] = digest
        lines.append(canonical(obj) + "\n")
        prev = digest
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(lines)
    os.chmod(path, 0o600)


EVIL = "<script>alert(\"x\")</script>'"

# Working hours are 08:00-20:00 in TZ=UTC0 (the default config).
FIXTURE = [
    # 1: a human at a terminal: new_parent (first bash)
    event(us("2026-01-15T10:00:00"), "get", ["llm/openai"], reason="masked", ancestry=["bash"]),
    # 2: claude-code runs node with a sensitive secret: new_tool, new_parent, agent_read_sensitive
    event(us("2026-01-15T10:05:00"), "run", ["prod/db/url"], tool="/usr/bin/node",
          agent="claude-code", via="env:CLAUDECODE", ancestry=["node", "claude"], sid=600),
    # 3: the log's own bookkeeping, at night: ignored
    event(us("2026-01-16T02:00:00"), "audit.repair", reason="torn tail", tty=""),
    # 4: cron at 03:00, no tty, no agent: outside_hours, new_parent, non_interactive_no_agent
    event(us("2026-01-16T03:00:00"), "run", ["llm/openai"], tool="/usr/bin/node", tty="",
          ancestry=["cron"], sid=700),
] + [
    # 5..10: six denied requests within a minute from an evil comm: denied_spike at 10
    event(us("2026-01-16T12:00:00") + i * 5_000_000, "get", ["prod/db/url"], outcome="denied",
          reason=f"refused \"reveal\" {EVIL}", comm=EVIL, ancestry=["bash"], sid=800)
    for i in range(6)
]


class AuditAnalysis(WardTestCase):
    def setUp(self):
        super().setUp()
        self.env["TZ"] = "UTC0"
        self.log = os.path.join(self.home, "audit.jsonl")

    def write_config(self, text, mode=0o600):
        cfg_dir = os.path.join(self.env["XDG_CONFIG_HOME"], "ward")
        os.makedirs(cfg_dir, mode=0o700, exist_ok=True)
        path = os.path.join(cfg_dir, "config.yaml")
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def suspicious(self, *args):
        proc = self.ward("audit", "suspicious", "--json", *args)
        self.assertIn(proc.returncode, (0, 1), proc.stderr.decode())
        return proc, json.loads(proc.stdout)

    def ids_by_seq(self, findings):
        out = {}
        for f in findings:
            out.setdefault(f["seq"], []).append(f["detector"])
        return out

    def test_detectors_fire_with_stable_ids_and_exit_1(self):
        self.set_secret("prod/db/url", "postgres://u:pw@db/prod", "--tag", "sensitive")
        write_log(self.log, FIXTURE)
        proc, out = self.suspicious()
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(out["events"], len(FIXTURE) - 1)  # audit.* events are not counted
        self.assertEqual(self.ids_by_seq(out["findings"]), {
            1: ["new_parent"],
            2: ["new_tool", "new_parent", "agent_read_sensitive"],
            4: ["outside_hours", "new_parent", "non_interactive_no_agent"],
            10: ["denied_spike"],
        })
        for f in out["findings"]:
            self.assertEqual(set(f), {"detector", "seq", "ts", "time", "summary"})
        sensitive = [f for f in out["findings"] if f["detector"] == "agent_read_sensitive"][0]
        self.assertIn("prod/db/url", sensitive["summary"])
        self.assertIn("claude-code", sensitive["summary"])

    def test_human_table(self):
        write_log(self.log, FIXTURE)
        proc = self.ward("audit", "suspicious")
        self.assertEqual(proc.returncode, 1, proc.stderr.decode())
        text = proc.stdout.decode()
        self.assertTrue(text.startswith("SEQ"), text)
        self.assertIn("denied_spike", text)
        self.assertRegex(text, r"\d+ findings in 9 events")
        self.assertNotIn("\x1b", text)

    def test_untagged_secret_is_not_sensitive(self):
        write_log(self.log, FIXTURE)
        _, out = self.suspicious()
        self.assertNotIn("agent_read_sensitive", [f["detector"] for f in out["findings"]])

    def test_nothing_found_exits_0(self):
        write_log(self.log, [])  # an empty log (init has written one)
        os.remove(self.log)  # and none at all
        proc, out = self.suspicious()
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(out, {"events": 0, "findings": []})
        write_log(self.log, [event(us("2026-01-15T10:00:00"), "get", ["llm/openai"])])
        proc = self.ward("audit", "suspicious")
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertIn("nothing suspicious in 1 event", proc.stdout.decode())

    def test_since_limits_reports_but_history_still_counts(self):
        write_log(self.log, FIXTURE)
        proc, out = self.suspicious("--since", "2026-01-16T00:00:00Z")
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(out["events"], 7)  # 4..10
        by_seq = self.ids_by_seq(out["findings"])
        self.assertEqual(sorted(by_seq), [4, 10])
        # node was seen on the 15th: not new on the 16th
        self.assertNotIn("new_tool", by_seq[4])
        proc, out = self.suspicious("--since", "1h")  # the fixture is long past
        self.assertEqual((proc.returncode, out["findings"]), (0, []))
        proc = self.ward("audit", "suspicious", "--since", "yesterday")
        self.assert_error(proc, 2, "invalid --since 'yesterday'")

    def test_thresholds_from_the_user_config(self):
        self.write_config("audit:\n  suspicious:\n"
                          "    working_hours: \"22:00-06:00\"\n"
                          "    burst: {events: 2, window: 60s}\n"
                          "    denied_spike: {events: 100, window: 1m}\n"
                          "    lookback: 1h\n")
        write_log(self.log, FIXTURE)
        _, out = self.suspicious()
        by_seq = self.ids_by_seq(out["findings"])
        self.assertIn("outside_hours", by_seq[1])  # 10:00 is outside 22:00-06:00
        self.assertNotIn("outside_hours", by_seq.get(4, []))  # 03:00 is inside
        self.assertIn("burst", by_seq[7])  # the third event of session 800 within a minute
        self.assertIn("new_tool", by_seq[4])  # node last seen 17h ago, lookback 1h
        self.assertNotIn("denied_spike", [f["detector"] for f in out["findings"]])

    def test_config_with_an_unknown_key_is_refused(self):
        write_log(self.log, FIXTURE)
        path = self.write_config("audit:\n  suspicious:\n    burts: {events: 2, window: 60s}\n")
        proc = self.ward("audit", "suspicious")
        self.assert_error(proc, 2, f"{path}:3: unknown key 'audit.suspicious.burts'")
        self.assertIn("working_hours, burst, lookback", proc.stderr.decode())
        proc = self.ward("audit", "report", "--html", os.path.join(self.tmp, "r.html"))
        self.assert_error(proc, 2, "unknown key")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "r.html")))

    def test_config_others_can_write_is_denied(self):
        write_log(self.log, FIXTURE)
        self.write_config("audit: {suspicious: {lookback: 1d}}\n", mode=0o666)
        proc = self.ward("audit", "suspicious")
        self.assert_error(proc, 3, "writable by others")
        self.assertIn("chmod go-w", proc.stderr.decode())

    def test_config_in_a_project_dir_is_not_read(self):
        write_log(self.log, FIXTURE)
        project = os.path.join(self.tmp, "project")
        os.makedirs(os.path.join(project, ".ward"))
        with open(os.path.join(project, ".ward", "config.yaml"), "w") as f:
            f.write("audit: {suspicious: {denied_spike: {events: 100, window: 1m}}}\n")
        proc = self.ward("audit", "suspicious", "--json", prefix=("env", "-C", project))
        out = json.loads(proc.stdout)
        self.assertIn("denied_spike", [f["detector"] for f in out["findings"]])

    def test_events_written_by_ward_itself(self):
        self.write_config("audit: {suspicious: {working_hours: \"00:00-24:00\"}}\n")
        self.set_secret("prod/db/url", "postgres://u:pw@db/prod", "--tag", "sensitive")
        # no terminal, no agent: the release is flagged (the CLI's check before it is not)
        self.ward("get", "prod/db/url", "--reveal", passphrase=True, check=True)
        # under an AI agent: a sensitive secret reached it
        self.ward("get", "prod/db/url", passphrase=True, env={"CLAUDECODE": "1"}, check=True)
        proc, out = self.suspicious()
        self.assertEqual(proc.returncode, 1)
        ids = [f["detector"] for f in out["findings"]]
        self.assertEqual(ids.count("non_interactive_no_agent"), 1, out)
        self.assertEqual(ids.count("agent_read_sensitive"), 1, out)
        for f in out["findings"]:
            if f["detector"] in ("non_interactive_no_agent", "agent_read_sensitive"):
                self.assertIn("prod/db/url", f["summary"])
        self.assertNotIn("postgres://", proc.stdout.decode())

    def test_corrupt_line_is_an_error(self):
        write_log(self.log, FIXTURE)
        with open(self.log, "a") as f:
            f.write("{\"not\":\"an event\"}\n")
        proc = self.ward("audit", "suspicious")
        self.assert_error(proc, 1, "line 11")


class AuditReport(WardTestCase):
    def setUp(self):
        super().setUp()
        self.env["TZ"] = "UTC0"
        self.log = os.path.join(self.home, "audit.jsonl")
        self.out = os.path.join(self.tmp, "report.html")

    def report(self, *args):
        proc = self.ward("audit", "report", "--html", self.out, *args)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        with open(self.out, encoding="utf-8") as f:
            return proc, f.read()

    def test_self_contained_escaped_page(self):
        self.set_secret("prod/db/url", "postgres://u:pw@db/prod", "--tag", "sensitive")
        write_log(self.log, FIXTURE)
        proc, page = self.report()
        self.assertIn("chain intact", proc.stdout.decode())
        self.assertEqual(stat.S_IMODE(os.stat(self.out).st_mode), 0o600)
        self.assertTrue(page.startswith("<!DOCTYPE html>"))
        # verify status first, at the top
        self.assertIn("chain intact: 10 events in 1 file, head seq 10", page)
        self.assertLess(page.index("chain intact"), page.index("Suspicious"))
        # nothing loaded from anywhere, nothing executable
        self.assertNotRegex(page, r"(?i)https?://")
        self.assertNotRegex(page, r"(?i)<script|<img|<link|<iframe|src=|url\(|@import")
        self.assertIn("default-src 'none'", page)
        # the evil comm and reason arrive escaped
        self.assertIn("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;", page)
        # findings highlighted, timelines per secret, tool and agent
        for detector in ("denied_spike", "agent_read_sensitive", "non_interactive_no_agent"):
            self.assertRegex(page, rf'<tr class="hit">.*{detector}')
        for section in ("Accesses per secret", "Accesses per tool", "Accesses per agent"):
            self.assertIn(section, page)
        self.assertIn("prod/db/url", page)
        self.assertIn("/usr/bin/node", page)
        self.assertIn("claude-code", page)
        self.assertIn("<svg", page)
        self.assertFalse(glob.glob(self.out + ".tmp*"))

    def test_since_and_a_broken_chain(self):
        write_log(self.log, FIXTURE)
        with open(self.log, encoding="utf-8") as f:
            lines = f.readlines()
        lines[4] = lines[4].replace("\"devbox\"", "\"evilbox\"")  # seq 5's hash no longer holds
        with open(self.log, "w", encoding="utf-8") as f:
            f.writelines(lines)
        proc, page = self.report("--since", "2026-01-16T00:00:00Z")
        self.assertIn("chain BROKEN", proc.stdout.decode())
        self.assertRegex(page, r"chain verification FAILED at seq 5 \(.*audit\.jsonl line 5\)")
        self.assertIn("since 2026-01-16T00:00:00Z", page)
        # events of the 15th (and the audit.repair) are left out of the counts
        self.assertRegex(page, r'<div class="card"><b>7</b>events</div>')

    def test_requires_html_and_leaves_no_file_on_error(self):
        proc = self.ward("audit", "report")
        self.assertEqual(proc.returncode, 2)
        proc = self.ward("audit", "report", "--html", os.path.join(self.tmp, "no", "r.html"))
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("ward: error:", proc.stderr.decode())
        self.assertEqual(os.listdir(self.tmp).count("no"), 0)

    def test_overwrites_an_existing_file_with_0600(self):
        write_log(self.log, FIXTURE[:2])
        with open(self.out, "w") as f:
            f.write("old")
        os.chmod(self.out, 0o644)
        _, page = self.report()
        self.assertIn("ward audit report", page)
        self.assertEqual(stat.S_IMODE(os.stat(self.out).st_mode), 0o600)


if __name__ == "__main__":
    unittest.main()
