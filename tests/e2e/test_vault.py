"""ward init/set/get/ls/rm/mv/history/rollback/import/passwd and their errors."""

import hashlib
import json
import os
import stat
import unittest

from wardtest import WardTestCase, PASSPHRASE

VALUE = "sk-ant-api03-e2e-ZYXWVUTSRQPONMLKJIHGFEDCBA0123456789"


class Init(WardTestCase):
    init_vault = False

    def test_creates_private_vault(self):
        self.ward("init", "--kdf", "interactive", passphrase=True, check=True)
        st = os.stat(self.vault_file())
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(self.home).st_mode), 0o700)

    def test_refuses_to_overwrite(self):
        self.ward("init", "--kdf", "interactive", passphrase=True, check=True)
        before = open(self.vault_file(), "rb").read()
        proc = self.ward("init", "--kdf", "interactive", passphrase=True)
        self.assert_error(proc, 1, "already exists")
        self.assertEqual(open(self.vault_file(), "rb").read(), before)

    def test_refuses_weak_passphrases(self):
        for weak in ["short", "password123", "aaaaaaaaaaaaaaa"]:
            with open(self.passfile, "w") as f:
                f.write(weak + "\n")
            proc = self.ward("init", "--kdf", "interactive", passphrase=True)
            self.assert_error(proc, 2, "passphrase")
            self.assertIn("ward: hint:", proc.stderr.decode())
            self.assertFalse(os.path.exists(self.vault_file()))

    def test_no_terminal_and_no_passphrase_source(self):
        proc = self.ward("init")
        self.assertEqual(proc.returncode, 4, proc.stderr)
        self.assertIn("--passphrase-file", proc.stderr.decode())

    def test_unknown_kdf_profile_is_usage_error(self):
        proc = self.ward("init", "--kdf", "fast", passphrase=True)
        self.assert_error(proc, 2, "unknown kdf profile")

    def test_missing_vault_hints_init(self):
        proc = self.ward("ls")
        self.assert_error(proc, 5, "no vault")
        self.assertIn("ward init", proc.stderr.decode())

    def test_passphrase_from_fd(self):
        r, w = os.pipe()
        os.write(w, (PASSPHRASE + "\n").encode())
        os.close(w)
        import subprocess
        from wardtest import WARD
        proc = subprocess.run([WARD, "--passphrase-fd", str(r), "init", "--kdf", "interactive"],
                              env=self.env, pass_fds=(r,), capture_output=True, timeout=60)
        os.close(r)
        self.assertEqual(proc.returncode, 0, proc.stderr)


class SetGet(WardTestCase):
    def test_set_get_masked_never_prints_value(self):
        self.set_secret("llm/anthropic", VALUE)
        proc = self.ward("get", "llm/anthropic", passphrase=True, check=True)
        out = proc.stdout.decode()
        self.assertNotIn(VALUE, out)
        self.assertIn("anthropic-key", out)
        self.assertIn(f"{len(VALUE)} chars", out)
        self.assertIn("sk-a\u2026", out)
        # never more than 4 leading and 2 trailing characters
        self.assertNotIn(VALUE[:5], out)
        self.assertNotIn(VALUE[-3:], out)

    def test_get_json(self):
        self.set_secret("llm/anthropic", VALUE)
        doc = json.loads(self.ward("get", "llm/anthropic", "--json", passphrase=True,
                                   check=True).stdout)
        self.assertEqual(doc["length"], len(VALUE))
        self.assertEqual(doc["version"], 1)

    def test_reveal_prints_exact_value(self):
        self.set_secret("a/b", VALUE)
        proc = self.ward("get", "a/b", "--reveal", passphrase=True, check=True)
        self.assertEqual(proc.stdout, VALUE.encode())

    def test_stdin_strips_one_newline_from_file_keeps_bytes(self):
        self.set_secret("a/stdin", VALUE + "\n")
        self.assertEqual(self.ward("get", "a/stdin", "--reveal", passphrase=True).stdout,
                         VALUE.encode())
        path = os.path.join(self.tmp, "value.pem")
        with open(path, "wb") as f:
            f.write(b"-----BEGIN KEY-----\nabc\n-----END KEY-----\n")
        self.ward("set", "a/file", "--from-file", path, passphrase=True, check=True)
        self.assertEqual(self.ward("get", "a/file", "--reveal", passphrase=True).stdout,
                         open(path, "rb").read())

    def test_generate(self):
        self.ward("set", "gen/a", "--generate", passphrase=True, check=True)
        self.ward("set", "gen/b", "--generate", "64", passphrase=True, check=True)
        a = self.ward("get", "gen/a", "--reveal", passphrase=True).stdout
        b = self.ward("get", "gen/b", "--reveal", passphrase=True).stdout
        self.assertEqual(len(a), 32)
        self.assertEqual(len(b), 64)
        self.assertTrue(a.isalnum() and b.isalnum())
        proc = self.ward("set", "gen/c", "--generate", "4", passphrase=True)
        self.assert_error(proc, 2, "out of range")

    def test_two_value_sources_is_usage_error(self):
        proc = self.ward("set", "x/y", "--stdin", "--generate", input="v" * 20, passphrase=True)
        self.assert_error(proc, 2, "one way")

    def test_no_value_and_no_terminal(self):
        proc = self.ward("set", "x/y", passphrase=True)
        self.assert_error(proc, 2, "no value given")

    def test_invalid_path(self):
        for bad in ["UPPER/case", "a//b", "/lead", "trail/", "a/../b", "sp ace"]:
            proc = self.ward("set", bad, "--stdin", input="value-123456", passphrase=True)
            self.assert_error(proc, 2, "secret path")

    def test_not_found(self):
        proc = self.ward("get", "no/such", passphrase=True)
        self.assert_error(proc, 5, "no secret named no/such")

    def test_wrong_passphrase_changes_nothing(self):
        self.set_secret("a/b", VALUE)
        before = hashlib.sha256(open(self.vault_file(), "rb").read()).hexdigest()
        with open(self.passfile, "w") as f:
            f.write("not the passphrase at all\n")
        proc = self.ward("set", "a/b", "--stdin", input="other-value-123", passphrase=True)
        self.assert_error(proc, 3, "wrong passphrase")
        proc = self.ward("get", "a/b", passphrase=True)
        self.assert_error(proc, 3, "wrong passphrase")
        after = hashlib.sha256(open(self.vault_file(), "rb").read()).hexdigest()
        self.assertEqual(before, after)

    def test_locked_without_terminal_exit_4(self):
        self.set_secret("a/b", VALUE)
        proc = self.ward("get", "a/b")
        self.assert_error(proc, 4, "vault is locked")
        self.assertIn("ward: hint: run 'ward unlock'", proc.stderr.decode())

    def test_metadata_and_ls(self):
        self.set_secret("llm/openai", VALUE, "--owner", "alice", "--tag", "llm", "--tag", "prod",
                        "--note", "team key", "--location", "https://platform.openai.com",
                        "--rotate-every", "90d", "--expires", "2027-01-31")
        self.set_secret("db/url", "postgres://u:p@h/db")
        rows = json.loads(self.ward("ls", "--json", check=True).stdout)
        self.assertEqual([r["path"] for r in rows], ["db/url", "llm/openai"])
        meta = rows[1]
        self.assertEqual(meta["owner"], "alice")
        self.assertEqual(meta["tags"], ["llm", "prod"])
        self.assertEqual(meta["rotate_every"], 90 * 86400)
        self.assertEqual(meta["expires"], "2027-01-31T00:00:00Z")
        self.assertEqual(meta["location"], "https://platform.openai.com")
        human = self.ward("ls", check=True).stdout.decode()
        self.assertIn("llm/openai", human)
        self.assertIn("alice", human)
        self.assertNotIn(VALUE, human)
        only = json.loads(self.ward("ls", "llm", "--json", check=True).stdout)
        self.assertEqual([r["path"] for r in only], ["llm/openai"])

    def test_bad_metadata_is_usage_error(self):
        proc = self.ward("set", "a/b", "--stdin", "--rotate-every", "soon", input=VALUE,
                         passphrase=True)
        self.assert_error(proc, 2, "invalid duration")
        proc = self.ward("set", "a/b", "--stdin", "--expires", "31/01/2027", input=VALUE,
                         passphrase=True)
        self.assert_error(proc, 2, "invalid date")


class Lifecycle(WardTestCase):
    def test_history_and_rollback(self):
        self.set_secret("svc/token", "first-value-1234")
        self.set_secret("svc/token", "second-value-5678")
        hist = json.loads(self.ward("history", "svc/token", "--json", check=True).stdout)
        self.assertEqual([h["version"] for h in hist], [1, 2])
        self.assertTrue(hist[1]["current"])
        self.ward("rollback", "svc/token", "1", passphrase=True, check=True)
        self.assertEqual(self.ward("get", "svc/token", "--reveal", passphrase=True).stdout,
                         b"first-value-1234")
        hist = json.loads(self.ward("history", "svc/token", "--json", check=True).stdout)
        self.assertEqual([h["version"] for h in hist], [1, 2, 3])
        proc = self.ward("rollback", "svc/token", "9", passphrase=True)
        self.assert_error(proc, 5, "no version 9")
        old = self.ward("get", "svc/token", "--version", "2", "--reveal", passphrase=True)
        self.assertEqual(old.stdout, b"second-value-5678")

    def test_mv_keeps_history_and_rm_removes(self):
        self.set_secret("old/name", "value-one-12345")
        self.set_secret("old/name", "value-two-12345")
        self.ward("mv", "old/name", "new/name", passphrase=True, check=True)
        self.assertEqual(self.ward("get", "new/name", "--reveal", passphrase=True).stdout,
                         b"value-two-12345")
        self.assertEqual(self.ward("get", "new/name", "--version", "1", "--reveal",
                                   passphrase=True).stdout, b"value-one-12345")
        self.assert_error(self.ward("get", "old/name", passphrase=True), 5, "no secret")
        self.set_secret("other/name", "value-three-123")
        self.assert_error(self.ward("mv", "new/name", "other/name", passphrase=True), 1,
                          "already exists")
        self.ward("rm", "new/name", passphrase=True, check=True)
        self.assert_error(self.ward("rm", "new/name", passphrase=True), 5, "no secret")
        self.assertEqual(json.loads(self.ward("ls", "--json").stdout)[0]["path"], "other/name")


class Import(WardTestCase):
    ENV = ('# comment\nexport OPENAI_API_KEY="sk-proj-abc123def456ghi789"\n'
           "DATABASE_URL='postgres://user:pa ss@localhost/db'\n"
           'MULTI="line one\nline two"\n'
           "PLAIN=plain-value-xyz # trailing comment\n")

    def write_env(self, text):
        path = os.path.join(self.tmp, "app.env")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_import_stores_values_and_prints_template(self):
        path = self.write_env(self.ENV)
        proc = self.ward("import", path, "--prefix", "app", passphrase=True, check=True)
        template = proc.stdout.decode()
        self.assertIn("OPENAI_API_KEY=${ward:app/openai_api_key}", template)
        self.assertIn("MULTI=${ward:app/multi}", template)
        self.assertNotIn("sk-proj", template + proc.stderr.decode())
        got = lambda p: self.ward("get", p, "--reveal", passphrase=True).stdout
        self.assertEqual(got("app/openai_api_key"), b"sk-proj-abc123def456ghi789")
        self.assertEqual(got("app/database_url"), b"postgres://user:pa ss@localhost/db")
        self.assertEqual(got("app/multi"), b"line one\nline two")
        self.assertEqual(got("app/plain"), b"plain-value-xyz")

    def test_dry_run_stores_nothing(self):
        path = self.write_env(self.ENV)
        proc = self.ward("import", path, "--dry-run", check=True)
        self.assertIn("would import 4", proc.stderr.decode())
        self.assertEqual(json.loads(self.ward("ls", "--json").stdout), [])

    def test_syntax_error_names_line_and_stores_nothing(self):
        path = self.write_env('GOOD=value-1234\nBAD="unterminated\n')
        proc = self.ward("import", path, passphrase=True)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("line 2", proc.stderr.decode())
        self.assertEqual(json.loads(self.ward("ls", "--json").stdout), [])


class Passwd(WardTestCase):
    def test_passwd_rewraps_key(self):
        self.set_secret("a/b", VALUE)
        newfile = os.path.join(self.tmp, "newpass")
        with open(newfile, "w") as f:
            f.write("a brand new passphrase here\n")
        os.chmod(newfile, 0o600)
        self.ward("passwd", "--new-passphrase-file", newfile, passphrase=True, check=True)
        self.assert_error(self.ward("get", "a/b", passphrase=True), 3, "wrong passphrase")
        proc = self.ward("--passphrase-file", newfile, "get", "a/b", "--reveal", check=True)
        self.assertEqual(proc.stdout, VALUE.encode())


class DamagedVault(WardTestCase):
    def test_group_readable_vault_refused(self):
        os.chmod(self.vault_file(), 0o644)
        proc = self.ward("ls")
        self.assert_error(proc, 3, "accessible by group or others")
        self.assertIn("chmod 600", proc.stderr.decode())

    def test_open_directory_refused(self):
        os.chmod(self.home, 0o755)
        self.assert_error(self.ward("ls"), 3, "accessible by group or others")

    def test_garbage_file(self):
        with open(self.vault_file(), "wb") as f:
            f.write(b"this is not a database" * 100)
        proc = self.ward("ls")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("ward: error:", proc.stderr.decode())
        self.assertNotIn("internal", proc.stderr.decode())

    def test_truncated_file(self):
        self.set_secret("a/b", VALUE)
        self.ward("ls", check=True)  # checkpoints nothing, but the file has pages
        for wal in ("-wal", "-shm"):
            try:
                os.unlink(self.vault_file() + wal)
            except FileNotFoundError:
                pass
        data = open(self.vault_file(), "rb").read()
        with open(self.vault_file(), "wb") as f:
            f.write(data[: len(data) // 3])
        for args in (["ls"], ["get", "a/b"]):
            proc = self.ward(*args, passphrase=True)
            self.assertIn(proc.returncode, (1, 5), proc.stderr)
            self.assertIn("ward: error:", proc.stderr.decode())
            self.assertLess(proc.returncode, 128)  # no crash

    def test_deleted_security_setting_is_tampering(self):
        """Deleting the sealed 2fa row must not turn two-factor off."""
        import sqlite3
        db = sqlite3.connect(self.vault_file())
        db.execute("DELETE FROM settings WHERE name = '2fa'")
        db.commit()
        db.close()
        proc = self.ward("unlock", passphrase=True)
        self.assert_error(proc, 1, "two-factor setting is missing")
        self.assertFalse(json.loads(self.ward("status", "--json").stdout)["unlocked"])

    def test_oversized_value_refused_cleanly(self):
        big = "x" * (600 * 1024)
        self.assert_error(self.ward("set", "big/v", "--stdin", input=big, passphrase=True), 2,
                          "larger than")
        self.unlock()
        self.assert_error(self.ward("set", "big/v", "--stdin", input=big), 2, "larger than")

    def test_relative_ward_home_works_with_agent(self):
        rel_env = {"WARD_HOME": os.path.relpath(self.home, self.tmp)}
        import subprocess
        from wardtest import WARD
        env = dict(self.env, **rel_env)
        for args in (["--passphrase-file", self.passfile, "unlock"], ["status", "--json"]):
            proc = subprocess.run([WARD] + args, cwd=self.tmp, env=env, capture_output=True,
                                  timeout=30)
            self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertTrue(json.loads(proc.stdout)["unlocked"])
        # The absolute spelling reaches the same agent.
        self.assertTrue(json.loads(self.ward("status", "--json").stdout)["unlocked"])

    def test_passphrase_file_readable_by_others_refused(self):
        os.chmod(self.passfile, 0o644)
        self.assert_error(self.ward("get", "a/b", passphrase=True), 3, "readable by others")

    def test_empty_file(self):
        open(self.vault_file(), "wb").close()
        proc = self.ward("ls")
        self.assert_error(proc, 1, "not a ward vault")


if __name__ == "__main__":
    unittest.main()
