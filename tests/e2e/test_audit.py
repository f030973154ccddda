"""The audit trail from the outside: every command that touches the vault or a
secret writes exactly one event, with the process that asked as its actor (the
socket peer when the agent serves it), names and never values, and nothing is
released when the event cannot be written."""

import glob
import json
import os
import shutil
import subprocess
import time

from wardtest import WardTestCase, WARD, wait_until, pid_alive

VALUE = "sk-audit-e2e-4f9c2a7b1d0e8c6a5b3f"
OTHER = "ghp_otherSecretValue1234567890abcd"


class AuditCase(WardTestCase):
    def log_path(self):
        return os.path.join(self.home, "audit.jsonl")

    def events(self):
        out = []
        for path in sorted(glob.glob(os.path.join(self.home, "audit-*.jsonl"))) + [self.log_path()]:
            if os.path.exists(path):
                with open(path, "rb") as f:
                    out += [json.loads(line) for line in f.read().splitlines() if line]
        return out

    def named(self, name):
        return [e for e in self.events() if e["event"] == name]

    def last(self, name):
        found = self.named(name)
        self.assertTrue(found, f"no {name} event in {[e['event'] for e in self.events()]}")
        return found[-1]

    def all_log_bytes(self):
        data = b""
        for path in glob.glob(os.path.join(self.home, "audit*")):
            with open(path, "rb") as f:
                data += f.read()
        return data


class Coverage(AuditCase):
    def test_direct_commands_record_one_event_each(self):
        self.assertEqual(self.last("init")["outcome"], "ok")
        self.set_secret("llm/openai", VALUE)
        self.ward("get", "llm/openai", passphrase=True, check=True)
        self.ward("get", "llm/openai", "--reveal", passphrase=True, check=True)
        self.ward("mv", "llm/openai", "llm/main", passphrase=True, check=True)
        self.set_secret("llm/main", OTHER)
        self.ward("rollback", "llm/main", "1", passphrase=True, check=True)
        self.ward("rm", "llm/main", passphrase=True, check=True)
        kinds = [e["event"] for e in self.events()]
        self.assertEqual(kinds, ["init", "set", "get", "get", "mv", "set", "rollback", "rm"])
        gets = self.named("get")
        self.assertEqual([g["reason"] for g in gets], ["masked", "revealed"])
        self.assertEqual(self.last("mv")["secrets"], ["llm/openai", "llm/main"])
        for e in self.events():
            self.assertEqual(e["actor"]["comm"], "ward")
            self.assertEqual(e["actor"]["uid"], os.getuid())
        data = self.all_log_bytes()
        self.assertNotIn(VALUE.encode(), data)
        self.assertNotIn(OTHER.encode(), data)

    def test_wrong_passphrase_is_recorded_as_denied(self):
        bad = os.path.join(self.tmp, "bad")
        with open(bad, "w") as f:
            f.write("not the passphrase at all\n")
        os.chmod(bad, 0o600)
        proc = self.ward("--passphrase-file", bad, "unlock")
        self.assertNotEqual(proc.returncode, 0)
        e = self.last("unlock")
        self.assertEqual(e["outcome"], "denied")
        self.assertIn("passphrase", e["reason"])
        # A direct ward run that cannot unlock records the failed unlock, and no run.
        self.set_secret("llm/openai", VALUE)
        before = len(self.events())
        proc = self.ward("--passphrase-file", bad, "run", "--secret", "llm/openai", "--", "true")
        self.assertNotEqual(proc.returncode, 0)
        added = self.events()[before:]
        self.assertEqual([(e["event"], e["outcome"]) for e in added], [("unlock", "denied")])
        self.unlock()
        self.assertEqual(self.last("unlock")["outcome"], "ok")

    def test_agent_records_with_the_peer_as_actor(self):
        self.set_secret("llm/openai", VALUE)
        self.set_secret("gh/token", OTHER)
        self.unlock()
        # The child of ward run asks the agent itself: the actor is that
        # process (its pid, and ward run among its ancestors), not ward run.
        script = f'echo $$; exec "{WARD}" get llm/openai'
        proc = self.ward("run", "--secret", "llm/openai", "--", "/bin/sh", "-c", script, check=True)
        child_pid = int(proc.stdout.split()[0])
        run = self.last("run")
        self.assertEqual(run["secrets"], ["llm/openai"])
        self.assertEqual(run["tool"], "/bin/sh" if os.path.realpath("/bin/sh") == "/bin/sh"
                         else os.path.realpath("/bin/sh"))
        get = self.last("get")
        self.assertEqual(get["actor"]["pid"], child_pid)
        self.assertEqual(get["actor"]["comm"], "ward")
        self.assertIn("ward", get["actor"]["ancestry"][:2])
        self.assertEqual(get["outcome"], "ok")
        # A restricted child asking for more is refused, and that is recorded.
        proc = self.ward("run", "--secret", "llm/openai", "--", WARD, "get", "gh/token")
        self.assertEqual(proc.returncode, 3)
        denied = self.last("get")
        self.assertEqual(denied["outcome"], "denied")
        self.assertEqual(denied["secrets"], ["gh/token"])
        self.assertIn("not granted", denied["reason"])
        self.assertNotIn(VALUE.encode(), self.all_log_bytes())

    def test_agent_refused_reveal_is_recorded(self):
        self.set_secret("llm/openai", VALUE)
        self.unlock()
        proc = self.ward("get", "llm/openai", "--reveal", env={"CLAUDECODE": "1"})
        self.assertEqual(proc.returncode, 3)
        e = self.last("get")
        self.assertEqual(e["outcome"], "denied")
        self.assertIn("AI agent", e["reason"])
        self.assertNotIn(VALUE.encode(), proc.stdout)

    def test_run_records_tool_granted_and_denied_names(self):
        self.set_secret("llm/openai", VALUE)
        self.set_secret("gh/token", OTHER)
        cfg = os.path.join(self.tmp, "config", "ward")
        os.makedirs(cfg, exist_ok=True)
        env_tool = os.path.realpath(shutil.which("env"))
        with open(os.path.join(cfg, "allowlist.yaml"), "w") as f:
            f.write(f"{env_tool}: [OPENAI]\n")
        self.unlock()
        self.ward("run", "--secure", "--secret", "llm/openai=OPENAI", "--secret",
                  "gh/token=GH", "--", "env", check=True)
        run = self.last("run")
        self.assertEqual(run["tool"], env_tool)
        self.assertEqual(run["secrets"], ["llm/openai"])
        self.assertEqual(run["denied"], ["GH"])
        self.assertEqual(len(self.named("run")), 1)

    def test_env_mask_import_trust_and_lock(self):
        self.set_secret("llm/openai", VALUE)
        self.unlock()
        tmpl = os.path.join(self.tmp, "t.env")
        with open(tmpl, "w") as f:
            f.write("OPENAI_API_KEY=${ward:llm/openai}\n")
        out = self.ward("env", "--from", tmpl, check=True).stdout.decode()
        self.assertEqual(self.last("env")["secrets"], ["llm/openai"])
        blob = out.split("OPENAI_API_KEY=", 1)[1].split()[0].strip("'\"")
        self.ward("run", "--", "/bin/true", env={"OPENAI_API_KEY": blob}, check=True)
        self.assertEqual(self.last("run")["secrets"], ["env:OPENAI_API_KEY"])
        self.ward("mask", input=VALUE + "\n", check=True)
        self.assertIn("llm/openai", self.last("mask.values")["secrets"])
        dotenv = os.path.join(self.tmp, "app.env")
        with open(dotenv, "w") as f:
            f.write("STRIPE_KEY=sk_test_abcdefghijklmnop\n")
        self.ward("import", dotenv, "--prefix", "app", check=True)
        self.assertEqual(self.last("import")["secrets"], ["app/stripe_key"])
        project = os.path.join(self.tmp, "proj")
        os.makedirs(os.path.join(project, ".ward"))
        with open(os.path.join(project, ".ward", "allowlist.yaml"), "w") as f:
            f.write("env: [X]\n")
        self.ward("trust", project, check=True)
        self.assertEqual(self.last("trust")["tool"], os.path.realpath(project))
        pid = self.agent_pid()
        self.ward("lock", check=True)
        self.assertTrue(wait_until(lambda: not pid_alive(pid)))
        events = self.events()
        kinds = [e["event"] for e in events]
        self.assertEqual(kinds[-2:], ["lock", "audit.checkpoint"])
        cp = events[-1]["checkpoint"]
        self.assertEqual(cp["seq"], events[-2]["seq"])
        self.assertEqual(cp["head"], events[-2]["hash"])
        self.assertNotIn(b"sk_test_abcdefghijklmnop", self.all_log_bytes())

    def test_auto_lock_is_recorded_with_a_checkpoint(self):
        self.unlock("--idle", "1s")
        pid = self.agent_pid()
        self.assertTrue(wait_until(lambda: not pid_alive(pid), timeout=10))
        kinds = [e["event"] for e in self.events()]
        self.assertEqual(kinds[-2:], ["auto-lock", "audit.checkpoint"])
        self.assertEqual(self.last("auto-lock")["reason"], "idle")

    def test_passwd_is_recorded(self):
        newpass = os.path.join(self.tmp, "new")
        with open(newpass, "w") as f:
            f.write("another long passphrase for e2e\n")
        os.chmod(newpass, 0o600)
        self.ward("passwd", "--new-passphrase-file", newpass, passphrase=True, check=True)
        self.assertEqual(self.last("passwd")["outcome"], "ok")


class FailsClosed(AuditCase):
    def break_log(self):
        if os.path.exists(self.log_path()):
            os.remove(self.log_path())
        os.mkdir(self.log_path())  # no file can be opened there, even by root

    def test_direct_reveal_refused_when_the_log_cannot_be_written(self):
        self.set_secret("llm/openai", VALUE)
        self.break_log()
        proc = self.ward("get", "llm/openai", "--reveal", passphrase=True)
        self.assert_error(proc, 1, "cannot write the audit log")
        self.assertNotIn(VALUE.encode(), proc.stdout + proc.stderr)

    def test_agent_releases_nothing_unrecorded(self):
        self.set_secret("llm/openai", VALUE)
        self.unlock()
        self.break_log()
        proc = self.ward("run", "--secret", "llm/openai=K", "--mask", "never", "--",
                         "/bin/sh", "-c", 'echo "$K"')
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn(b"audit log cannot be written", proc.stderr)
        self.assertNotIn(VALUE.encode(), proc.stdout + proc.stderr)
        proc = self.ward("get", "llm/openai", "--reveal")
        self.assertEqual(proc.returncode, 1)
        self.assertNotIn(VALUE.encode(), proc.stdout + proc.stderr)

    def test_agent_does_not_start_without_a_log(self):
        self.break_log()
        proc = self.ward("unlock", passphrase=True)
        self.assert_error(proc, 1, "audit log")


if __name__ == "__main__":
    import unittest
    unittest.main()
