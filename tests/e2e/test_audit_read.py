"""ward audit tail/show/query/verify over logs built by auditlog.py."""

import json
import os
import signal
import subprocess
import time
import unittest

import auditlog
from auditlog import Chain
from wardtest import WardTestCase, WARD, PASSPHRASE

MINUTE = 60_000_000


class AuditCase(WardTestCase):
    init_vault = False

    def setUp(self):
        super().setUp()
        os.makedirs(self.home, mode=0o700, exist_ok=True)
        self.env["TZ"] = "UTC"

    def write(self, chain, **kw):
        return chain.write(self.home, **kw)

    def log(self):
        return auditlog.log_path(self.home)

    def json_lines(self, proc):
        return [line.encode() for line in proc.stdout.decode().splitlines()]

    def assert_one_line_error(self, proc, code, fragment):
        self.assert_error(proc, code, fragment)
        lines = proc.stderr.decode().splitlines()
        self.assertEqual(sum(line.startswith("ward: error:") for line in lines), 1, lines)


def sample_chain(n=30, start_ts=auditlog.T0):
    """n events one minute apart, of several kinds."""
    chain = Chain(start_ts=start_ts)
    for i in range(1, n + 1):
        if i % 3 == 0:
            chain.add("run", secrets=["llm/openai", "prod/db"], denied=["prod/ssh"],
                      outcome="denied", tool="/usr/bin/curl", agent="claude-code",
                      via="env:CLAUDECODE", comm="node", pid=1000 + i)
        elif i % 3 == 1:
            chain.add("get", secrets=["llm/anthropic"], tty="/dev/pts/2", pid=1000 + i)
        else:
            chain.add("set", secrets=["llmx/key"], reason='asked for "llm/openai"',
                      pid=1000 + i)
    return chain


class AuditLogFormatTest(AuditCase):
    def test_python_writer_matches_ward_encoder(self):
        # The same bytes are checked against encode_line in
        # tests/unit/audit/query_test.cpp (AuditFixture.PythonWriterMatchesEncodeLine).
        line = auditlog.canonical(auditlog.make_event(**auditlog.GOLDEN_EVENT))
        self.assertIn(b'"hash":"b171f1cd0d015a11900b967fa44793ff0cdd1697f6115432aa50fdff238a58b7"',
                      line)

    def test_python_built_chain_verifies(self):
        chain = sample_chain(25)
        chain.add("get", secrets=["odd/name"], reason="tab\t nl\n quote\" \u00e9 \u2603 ctl\x02")
        self.write(chain)
        proc = self.ward("audit", "verify", check=True)
        out = proc.stdout.decode()
        self.assertIn("audit log intact", out)
        self.assertRegex(out, r"events\s+26\n")
        self.assertRegex(out, r"head\s+seq 26\n")
        self.assertIn("checkpoint signatures not checked: vault locked "
                      "(run 'ward unlock' for the full check)", out)

    def test_missing_log_verifies_as_intact_with_no_events(self):
        proc = self.ward("audit", "verify", "--json", check=True)
        report = json.loads(proc.stdout)
        self.assertTrue(report["intact"])
        self.assertEqual(report["events"], 0)
        self.assertEqual(report["files"], 0)
        self.assertEqual(report["sealed_head"], "not_checked")
        self.assertFalse(report["anchored"])


class AuditVerifyTamperTest(AuditCase):
    """Each tampering is caught at the right seq and line, exit 1."""

    def tampered(self, edit, n=10):
        lines = sample_chain(n).lines()
        edit(lines)
        auditlog.write_lines(self.log(), lines)
        return self.ward("audit", "verify")

    def assert_caught(self, proc, seq, line, reason, file="audit.jsonl"):
        self.assert_one_line_error(proc, 1, f"audit log fails verification at seq {seq} (")
        err = proc.stderr.decode()
        self.assertIn(f"{file} line {line}): ", err)
        self.assertIn(reason, err)

    def test_edited_field(self):
        def edit(lines):
            lines[4] = lines[4].replace(b'"llmx/key"', b'"llmx/other"')
        self.assert_caught(self.tampered(edit), 5, 5, "hash does not match")

    def test_deleted_line(self):
        def edit(lines):
            del lines[4]
        self.assert_caught(self.tampered(edit), 6, 5, "seq 6 after 4: skips ahead")

    def test_inserted_line(self):
        def edit(lines):
            # A well-formed event linked to seq 5, inserted after it.
            forged = auditlog.make_event("get", seq=6, ts=auditlog.T0 + 5 * MINUTE,
                                         secrets=["x/y"], prev=json.loads(lines[4])["hash"])
            lines.insert(5, auditlog.canonical(forged))
        self.assert_caught(self.tampered(edit), 6, 7, "seq 6 after 6: repeats")

    def test_swapped_lines(self):
        def edit(lines):
            lines[4], lines[5] = lines[5], lines[4]
        self.assert_caught(self.tampered(edit), 6, 5, "seq 6 after 4: skips ahead")

    def test_unknown_key(self):
        def edit(lines):
            obj = json.loads(lines[4])
            obj["extra"] = 1
            lines[4] = auditlog.seal(obj)  # even with a correct hash
        self.assert_caught(self.tampered(edit), 5, 5, "unknown key 'extra'")

    def test_duplicate_key(self):
        def edit(lines):
            lines[4] = lines[4].replace(b'"event":"set"', b'"event":"set","event":"set"')
        self.assert_caught(self.tampered(edit), 5, 5, "duplicate key 'event'")

    def test_changed_whitespace(self):
        def edit(lines):
            lines[4] = lines[4].replace(b',"event":', b', "event":')
        self.assert_caught(self.tampered(edit), 5, 5, "non-canonical formatting")

    def test_truncated_tail_is_a_repairable_torn_line(self):
        lines = sample_chain(10).lines()
        torn = lines[-1][: len(lines[-1]) // 2]
        auditlog.write_lines(self.log(), lines[:-1], tail=torn)
        proc = self.ward("audit", "verify", check=True)
        out = proc.stdout.decode()
        self.assertIn("audit log intact", out)
        self.assertRegex(out, r"events\s+9\n")
        self.assertIn(f"a torn last line of {len(torn)} bytes: repairable, the next write sets "
                      "it aside", out)
        report = json.loads(self.ward("audit", "verify", "--json", check=True).stdout)
        self.assertEqual(report["torn_bytes"], len(torn))
        self.assertEqual(report["head"]["seq"], 9)

    def test_rotated_chain_verifies_across_files(self):
        self.write(sample_chain(150), rotate_after=100)
        self.assertTrue(os.path.exists(os.path.join(self.home, "audit-000000000100.jsonl")))
        report = json.loads(self.ward("audit", "verify", "--json", check=True).stdout)
        self.assertTrue(report["intact"])
        self.assertEqual((report["events"], report["files"], report["head"]["seq"]), (150, 2, 150))
        self.assertEqual(report["bytes"], sum(os.path.getsize(os.path.join(self.home, f))
                                              for f in os.listdir(self.home)))

    def test_break_across_the_rotation_boundary(self):
        chain = sample_chain(150)
        first = chain.events[100]
        auditlog.seal(first, prev="ab" * 32)  # self-consistent, but not linked
        self.write(chain, rotate_after=100)
        self.assert_caught(self.ward("audit", "verify"), 101, 1,
                           "prev does not match the hash of the line before")

    def test_line_missing_at_the_end_of_a_rotated_file(self):
        chain = sample_chain(150)
        paths = self.write(chain, rotate_after=100)
        lines = auditlog.read_lines(paths[0])
        auditlog.write_lines(paths[0], lines[:-1])
        self.assert_caught(self.ward("audit", "verify"), 101, 1, "seq 101 after 99: skips ahead")

    def test_failure_as_json(self):
        def edit(lines):
            lines[2] = lines[2].replace(b'"denied"', b'"ok"')
        lines = sample_chain(10).lines()
        edit(lines)
        auditlog.write_lines(self.log(), lines)
        proc = self.ward("audit", "verify", "--json")
        self.assertEqual(proc.returncode, 1)
        report = json.loads(proc.stdout)
        self.assertFalse(report["intact"])
        self.assertEqual(report["failure"]["seq"], 3)
        self.assertEqual(report["failure"]["line"], 3)
        self.assertTrue(report["failure"]["file"].endswith("audit.jsonl"))
        self.assertIn("ward: error: audit log fails verification at seq 3", proc.stderr.decode())


class AuditVerifyWithAgentTest(AuditCase):
    def test_unlocked_vault_still_verifies(self):
        # The fixture comes first, so whatever ward itself records continues it.
        self.write(sample_chain(5))
        self.ward("init", "--kdf", self.kdf, passphrase=True, check=True)
        self.unlock()
        proc = self.ward("audit", "verify", check=True)
        self.assertIn("audit log intact", proc.stdout.decode())
        report = json.loads(self.ward("audit", "verify", "--json", check=True).stdout)
        self.assertGreaterEqual(report["events"], 5)
        if not report["anchored"]:  # an agent that does not give the anchor yet
            self.assertIn("checkpoint signatures not checked", report["note"])


class AuditTailTest(AuditCase):
    def test_last_events_one_line_each(self):
        chain = sample_chain(30)
        self.write(chain)
        out = self.ward("audit", "tail", check=True).stdout.decode().splitlines()
        self.assertEqual(len(out), 20)
        self.assertTrue(out[0].split()[0] == "11" and out[-1].split()[0] == "30")
        # seq, local time, event, outcome, secrets, actor, agent, tool
        self.assertEqual(out[-1].split(), ["30", "2025-11-24", "16:29:00", "run", "denied",
                                           "llm/openai,prod/db", "denied:prod/ssh", "node/1030",
                                           "claude-code", "/usr/bin/curl"])
        self.assertEqual(out[-2].split(), ["29", "2025-11-24", "16:28:00", "set", "ok",
                                           "llmx/key", "bash/1029", "-", "-"])

    def test_n_and_json_give_the_stored_lines(self):
        chain = sample_chain(30)
        self.write(chain, rotate_after=28)
        proc = self.ward("audit", "tail", "-n", "3", "--json", check=True)
        self.assertEqual(self.json_lines(proc), chain.lines()[-3:])
        proc = self.ward("audit", "tail", "-n", "0", check=True)
        self.assertEqual(proc.stdout, b"")

    def test_local_time_zone(self):
        self.write(sample_chain(1))
        out = self.ward("audit", "tail", env={"TZ": "Asia/Kolkata"}, check=True).stdout.decode()
        self.assertIn("2025-11-24 21:30:00", out)

    def test_empty_log(self):
        out = self.ward("audit", "tail", check=True).stdout.decode()
        self.assertEqual(out, "no audit events yet\n")
        self.assertEqual(self.ward("audit", "tail", "--json", check=True).stdout, b"")

    def test_skips_a_torn_last_line(self):
        lines = sample_chain(5).lines()
        auditlog.write_lines(self.log(), lines, tail=lines[0][:40])
        proc = self.ward("audit", "tail", "--json", check=True)
        self.assertEqual(self.json_lines(proc), lines)

    def test_bad_count(self):
        self.assert_one_line_error(self.ward("audit", "tail", "-n", "-1"), 2, "-n")
        self.assert_one_line_error(self.ward("audit", "tail", "-n", "many"), 2, "")


class AuditFollowTest(AuditCase):
    def start_follow(self, *extra):
        env = dict(self.env)
        proc = subprocess.Popen([WARD, "audit", "tail", "-f", *extra], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, start_new_session=True)
        def stop():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            for stream in (proc.stdout, proc.stderr):
                if not stream.closed:
                    stream.close()
        self.addCleanup(stop)
        return proc

    def read_lines(self, proc, n, timeout=10):
        out = []
        deadline = time.time() + timeout
        while len(out) < n and time.time() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            out.append(line.rstrip(b"\n"))
        return out

    def append(self, path, lines):
        with open(path, "ab") as f:
            for line in lines:
                f.write(line + b"\n")
                f.flush()

    def test_follows_new_lines_and_rotation_then_stops_on_sigterm(self):
        chain = sample_chain(40)
        lines = chain.lines()
        auditlog.write_lines(self.log(), lines[:10])
        proc = self.start_follow("-n", "2", "--json")
        self.assertEqual(self.read_lines(proc, 2), lines[8:10])
        # A line written in two pieces comes out once, whole.
        self.append(self.log(), lines[10:12])
        with open(self.log(), "ab") as f:
            f.write(lines[12][:50])
            f.flush()
            time.sleep(0.4)
            f.write(lines[12][50:] + b"\n")
        self.assertEqual(self.read_lines(proc, 3), lines[10:13])
        # Rotation: the file is renamed away and a new one started.
        os.rename(self.log(), os.path.join(self.home, "audit-000000000013.jsonl"))
        time.sleep(0.3)
        auditlog.write_lines(self.log(), lines[13:20])
        self.assertEqual(self.read_lines(proc, 7), lines[13:20])
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=5), 0)

    def test_human_follow_stops_on_sigint(self):
        chain = sample_chain(3)
        lines = chain.lines()
        auditlog.write_lines(self.log(), lines[:1])
        proc = self.start_follow()
        self.assertEqual(self.read_lines(proc, 1)[0].split()[0], b"1")
        self.append(self.log(), lines[1:3])
        got = self.read_lines(proc, 2)
        self.assertEqual([g.split()[0] for g in got], [b"2", b"3"])
        proc.send_signal(signal.SIGINT)
        self.assertEqual(proc.wait(timeout=5), 0)

    def test_waits_for_a_log_that_does_not_exist_yet(self):
        proc = self.start_follow("--json")
        time.sleep(0.3)
        lines = sample_chain(2).lines()
        auditlog.write_lines(self.log(), lines)
        self.assertEqual(self.read_lines(proc, 2), lines)
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=5), 0)

    def test_exits_when_stdout_closes(self):
        auditlog.write_lines(self.log(), sample_chain(2).lines())
        proc = self.start_follow()
        self.read_lines(proc, 2)
        proc.stdout.close()
        self.assertEqual(proc.wait(timeout=5), 0)


class AuditShowTest(AuditCase):
    def test_every_field(self):
        chain = sample_chain(5)
        self.write(chain)
        out = self.ward("audit", "show", "3", check=True).stdout.decode()
        e = chain.events[2]
        for fragment in ["event 3\n", "time      2025-11-24 16:02:00.000000 +0000 "
                         "(2025-11-24T16:02:00.000000Z)", "event     run\n", "outcome   denied\n",
                         "secrets   llm/openai, prod/db\n", "denied    prod/ssh\n",
                         "tool      /usr/bin/curl\n", "host      testhost\n", "pid       1003\n",
                         "ppid      4200\n", "uid       1000\n", "sid       4100\n",
                         "comm      node\n", "exe       /usr/bin/bash\n",
                         "cwd       /home/dev/project\n", "tty       none\n",
                         "ancestry  zsh < sshd < systemd  (nearest first)\n",
                         "agent     claude-code (env:CLAUDECODE)\n", f"prev      {e['prev']}\n",
                         f"hash      {e['hash']}\n"]:
            self.assertIn(fragment, out)

    def test_json_is_the_stored_line_and_finds_rotated_events(self):
        chain = sample_chain(150)
        self.write(chain, rotate_after=100)
        for seq in (1, 57, 100, 101, 150):
            proc = self.ward("audit", "show", str(seq), "--json", check=True)
            self.assertEqual(proc.stdout, chain.lines()[seq - 1] + b"\n")

    def test_control_bytes_are_not_printed(self):
        chain = Chain()
        chain.add("get", reason="bell\x07 escape\x1b[31m red")
        self.write(chain)
        out = self.ward("audit", "show", "1", check=True).stdout
        self.assertNotIn(b"\x1b", out)
        self.assertIn(b"bell? escape?[31m red", out)

    def test_absent_and_bad_seq(self):
        self.write(sample_chain(5))
        self.assert_one_line_error(self.ward("audit", "show", "6"), 5, "no audit event with seq 6")
        self.assert_one_line_error(self.ward("audit", "show", "0"), 2, "invalid seq '0'")
        self.assert_one_line_error(self.ward("audit", "show", "abc"), 2, "invalid seq 'abc'")
        self.assert_one_line_error(self.ward("audit", "show"), 2, "seq")


class AuditQueryTest(AuditCase):
    def setUp(self):
        super().setUp()
        self.chain = sample_chain(30)
        self.write(self.chain, rotate_after=12)

    def seqs(self, *args):
        proc = self.ward("audit", "query", "--json", *args, check=True)
        return [json.loads(line)["seq"] for line in proc.stdout.decode().splitlines()]

    def test_secret_exact_and_prefix(self):
        runs = list(range(3, 31, 3))
        self.assertEqual(self.seqs("--secret", "llm/openai"), runs)  # not set's reason
        self.assertEqual(self.seqs("--secret", "prod/ssh"), runs)  # a denied name
        self.assertEqual(self.seqs("--secret", "llm/"), [i for i in range(1, 31) if i % 3 != 2])
        self.assertEqual(self.seqs("--secret", "llm"), [])
        self.assertEqual(self.seqs("--secret", "llm/open"), [])
        self.assertEqual(self.seqs("--secret", "llmx/"), list(range(2, 31, 3)))

    def test_field_filters(self):
        self.assertEqual(self.seqs("--event", "get"), list(range(1, 31, 3)))
        self.assertEqual(self.seqs("--agent", "claude-code"), list(range(3, 31, 3)))
        self.assertEqual(self.seqs("--agent", "none", "--event", "run"), [])
        self.assertEqual(len(self.seqs("--agent", "none")), 20)
        self.assertEqual(self.seqs("--tool", "/usr/bin/curl", "--outcome", "denied"),
                         list(range(3, 31, 3)))
        self.assertEqual(self.seqs("--outcome", "error"), [])
        self.assertEqual(self.seqs("--tty", "present"), list(range(1, 31, 3)))
        self.assertEqual(len(self.seqs("--tty", "absent")), 20)

    def test_json_prints_the_stored_lines(self):
        proc = self.ward("audit", "query", "--event", "set", "--json", check=True)
        self.assertEqual(self.json_lines(proc), self.chain.lines()[1::3])

    def test_human_output_and_no_match(self):
        out = self.ward("audit", "query", "--event", "get", "--limit", "2",
                        check=True).stdout.decode().splitlines()
        self.assertEqual([line.split()[0] for line in out], ["25", "28"])  # the most recent two
        self.assertIn("llm/anthropic", out[0])
        out = self.ward("audit", "query", "--event", "nothing", check=True).stdout.decode()
        self.assertEqual(out, "no matching events\n")

    def test_rfc3339_and_dates(self):
        self.assertEqual(self.seqs("--since", "2025-11-24T16:10:00Z", "--until",
                                   "2025-11-24T16:14:00Z"), [11, 12, 13, 14, 15])
        self.assertEqual(self.seqs("--since", "2025-11-24T17:10:00+01:00", "--until",
                                   "2025-11-24T16:11:30Z"), [11, 12])
        self.assertEqual(len(self.seqs("--since", "2025-11-24")), 30)
        self.assertEqual(self.seqs("--until", "2025-11-24"), [])

    def test_durations_back_from_now(self):
        now = int(time.time() * 1_000_000)
        chain = Chain()
        for age in (8 * 86400, 3 * 86400, 5 * 3600, 30 * 60, 10):
            chain.add("get", ts=now - age * 1_000_000, secrets=[f"age/{age}"])
        self.write(chain)  # replaces the rotated fixture's current file
        os.unlink(os.path.join(self.home, "audit-000000000012.jsonl"))
        self.assertEqual(self.seqs("--since", "7d"), [2, 3, 4, 5])
        self.assertEqual(self.seqs("--since", "24h"), [3, 4, 5])
        self.assertEqual(self.seqs("--since", "1h"), [4, 5])
        self.assertEqual(self.seqs("--until", "1h"), [1, 2, 3])
        self.assertEqual(self.seqs("--since", "4d", "--until", "1d"), [2])

    def test_bad_input_is_a_usage_error(self):
        for args, fragment in [(["--tty", "maybe"], "invalid --tty 'maybe'"),
                               (["--since", "yesterday"], "invalid time 'yesterday'"),
                               (["--until", "2025-13-01"], "invalid time '2025-13-01'"),
                               (["--outcome", "nope"], "unknown outcome 'nope'"),
                               (["--since", "1h", "--until", "2h"], "--since is later than"),
                               (["--limit", "-1"], "--limit"),
                               (["--limit", "x"], ""),
                               (["--bogus"], "")]:
            self.assert_one_line_error(self.ward("audit", "query", *args), 2, fragment)

    def test_corrupt_candidate_line(self):
        with open(self.log(), "ab") as f:
            f.write(b'{"secrets":["llm/openai"]}\n')
        proc = self.ward("audit", "query", "--secret", "llm/openai")
        self.assert_one_line_error(proc, 1, "line 19")
        self.assertIn("ward: hint: run 'ward audit verify'", proc.stderr.decode())


if __name__ == "__main__":
    unittest.main()
