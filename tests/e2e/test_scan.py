"""ward scan files|git|shell|agents, ward import --scan and the pre-commit
hook, end to end through the real binary. Every value is random per run and
no output byte may contain one."""

import atexit
import base64
import json
import os
import random
import shutil
import stat
import string
import subprocess
import tempfile
import unittest

from wardtest import WardTestCase

ALNUM = string.ascii_letters + string.digits
SHARED_CACHE = tempfile.mkdtemp(prefix="ward-scan-cache-")
atexit.register(shutil.rmtree, SHARED_CACHE, True)


def read(path):
    with open(path) as f:
        return f.read()


def github_pat(rng):
    return "ghp_" + "".join(rng.choice(ALNUM) for _ in range(36))


def aws_key_id(rng):
    return "AKIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))


def stripe_key(rng):
    return "sk_live_" + "".join(rng.choice(ALNUM) for _ in range(32))


class ScanCase(WardTestCase):
    init_vault = False

    def setUp(self):
        super().setUp()
        self.rng = random.Random()
        self.tree = os.path.join(self.tmp, "tree")
        os.mkdir(self.tree)
        self.values = []
        # Compiling the rules takes a second: the tests share one cache.
        self.env["XDG_CACHE_HOME"] = SHARED_CACHE

    def secret(self, make):
        value = make(self.rng)
        self.values.append(value)
        return value

    def write(self, rel, text, mode=0o644):
        path = os.path.join(self.tree, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def scan(self, *args, **kw):
        proc = self.ward("scan", *args, **kw)
        for value in self.values:
            self.assertNotIn(value.encode(), proc.stdout + proc.stderr, "a value was printed")
        return proc

    def scan_json(self, *args, code=1, **kw):
        proc = self.scan(*args, "--json", **kw)
        self.assertEqual(proc.returncode, code, proc.stderr.decode())
        return json.loads(proc.stdout)


class TestScanFiles(ScanCase):
    def test_finds_with_location_and_never_prints_values(self):
        pat = self.secret(github_pat)
        self.write("app/config.py", f"import os\n\nTOKEN = '{pat}'\n")
        key = self.secret(aws_key_id)
        self.write(".env", f"# keys\nAWS_ACCESS_KEY_ID={key}\n")
        report = self.scan_json("files", self.tree)
        got = {(os.path.relpath(f["path"], self.tree), f["line"], f["rule"])
               for f in report["findings"]}
        self.assertEqual(got, {("app/config.py", 3, "github-pat"),
                               (".env", 2, "aws-access-key-id")})
        f = next(f for f in report["findings"] if f["rule"] == "github-pat")
        self.assertEqual(f["column"], 10)
        self.assertEqual(f["length"], 40)
        self.assertEqual(f["source"], "file")
        self.assertRegex(f["fingerprint"], r"^github-pat:app/config\.py:[0-9a-f]{12}$")
        self.assertRegex(f["preview"], r"^github-pat, 40 chars, #[0-9a-f]{6}$")
        self.assertEqual(report["stats"]["files"], 2)
        # The human table says the same, without the value.
        table = self.scan("files", self.tree)
        self.assertEqual(table.returncode, 1)
        self.assertIn(b"app/config.py:3:10", table.stdout)
        self.assertIn(b"2 secrets found in 2 files", table.stderr)

    def test_clean_tree_exits_0_and_placeholders_are_not_findings(self):
        self.write("a.env", "API_KEY=your-api-key-here\nGITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
                   "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nSECRET=${SECRET}\n")
        report = self.scan_json("files", self.tree, code=0)
        self.assertEqual(report["findings"], [])

    def test_gitignore_exclude_max_size_and_binaries(self):
        self.write(".gitignore", "build/\n*.log\n!keep.log\n")
        for rel in ["build/out.txt", "debug.log", "keep.log", "gen/lib.txt", "big.txt",
                    "src/main.go"]:
            self.write(rel, f"token := \"{self.secret(github_pat)}\"\n")
        with open(os.path.join(self.tree, "big.txt"), "a") as f:
            f.write("x" * 200_000 + "\n")
        with open(os.path.join(self.tree, "blob.bin"), "wb") as f:
            f.write(b"\x00\x01" + self.secret(github_pat).encode() + b"\x00")
        report = self.scan_json("files", self.tree, "--exclude", "gen/", "--max-size", "100k")
        paths = sorted(os.path.relpath(f["path"], self.tree) for f in report["findings"])
        self.assertEqual(paths, ["keep.log", "src/main.go"])
        everything = self.scan_json("files", self.tree, "--no-gitignore", "--max-size", "1M")
        paths = sorted(os.path.relpath(f["path"], self.tree) for f in everything["findings"])
        self.assertEqual(paths, ["big.txt", "build/out.txt", "debug.log", "gen/lib.txt",
                                 "keep.log", "src/main.go"])

    def test_encoded_values_are_found_once_decoded(self):
        pat = self.secret(github_pat)
        blob = base64.b64encode(f"GITHUB_TOKEN={pat}\n".encode()).decode()
        self.values.append(blob)
        self.write("k8s/secret.yaml", f"data:\n  env: {blob}\n")
        report = self.scan_json("files", self.tree)
        [f] = report["findings"]
        self.assertEqual((f["rule"], f["encoding"], f["line"]), ("github-pat", "base64", 2))

    def test_suppression_inline_wardignore_and_baseline(self):
        self.write("a.py", f"T = '{self.secret(github_pat)}'  # ward:allow test fixture\n")
        self.write("b.py", f"T = '{self.secret(github_pat)}'\n")
        self.write("c.py", f"T = '{self.secret(github_pat)}'\n")
        report = self.scan_json("files", self.tree)
        self.assertEqual(sorted(os.path.basename(f["path"]) for f in report["findings"]),
                         ["b.py", "c.py"])
        b = next(f for f in report["findings"] if f["path"].endswith("b.py"))
        self.write(".wardignore", f"# reviewed\n{b['fingerprint']}\n")
        report = self.scan_json("files", self.tree)
        self.assertEqual([os.path.basename(f["path"]) for f in report["findings"]], ["c.py"])
        self.assertEqual(report["stats"]["suppressed"], 1)
        # The same fingerprints whichever way the tree is named.
        rel = self.scan_json("files", ".", env={}, prefix=("env", f"--chdir={self.tree}"))
        self.assertEqual([f["fingerprint"] for f in rel["findings"]],
                         [f["fingerprint"] for f in report["findings"]])
        baseline = os.path.join(self.tmp, "baseline.json")
        with open(baseline, "w") as f:
            json.dump(report, f)
        self.write("d.py", f"T = '{self.secret(github_pat)}'\n")
        report = self.scan_json("files", self.tree, "--baseline", baseline)
        self.assertEqual([os.path.basename(f["path"]) for f in report["findings"]], ["d.py"])
        with open(baseline, "w") as f:
            f.write("[1, 2]")
        self.assert_error(self.scan("files", self.tree, "--baseline", baseline), 2,
                          "not a ward scan --json report")

    def test_sarif(self):
        self.write("a.py", f"T = '{self.secret(github_pat)}'\n")
        proc = self.scan("files", self.tree, "--sarif")
        self.assertEqual(proc.returncode, 1)
        sarif = json.loads(proc.stdout)
        self.assertEqual(sarif["version"], "2.1.0")
        run = sarif["runs"][0]
        self.assertEqual(run["tool"]["driver"]["name"], "ward")
        self.assertEqual([r["id"] for r in run["tool"]["driver"]["rules"]], ["github-pat"])
        [result] = run["results"]
        region = result["locations"][0]["physicalLocation"]["region"]
        self.assertEqual((result["ruleId"], region["startLine"], region["startColumn"]),
                         ("github-pat", 1, 6))
        self.assertIn("wardFingerprint/v1", result["partialFingerprints"])

    def test_errors_exit_2(self):
        self.assert_error(self.scan("files", os.path.join(self.tmp, "missing")), 2, "missing")
        self.assert_error(self.scan("files", self.tree, "--max-size", "lots"), 2, "bad size")
        self.assert_error(self.scan("files", self.tree, "--json", "--sarif"), 2, "exclude")
        rules = os.path.join(self.tmp, "rules.yaml")
        with open(rules, "w") as f:
            f.write("version: 1\nrules:\n  - id: x\n    regex: '('\n")
        self.assert_error(self.scan("files", self.tree, "--config", rules), 2, "rule x")

    def test_custom_rules_file(self):
        rules = os.path.join(self.tmp, "rules.yaml")
        with open(rules, "w") as f:
            f.write("version: 1\nrules:\n  - id: acme-token\n    description: ACME internal token\n"
                    "    regex: '\\b(acme_[a-z0-9]{24})\\b'\n    secret_group: 1\n")
        token = "acme_" + "".join(self.rng.choice(string.ascii_lowercase) for _ in range(24))
        self.values.append(token)
        self.write("x.txt", f"use {token}\n")
        report = self.scan_json("files", self.tree, "--config", rules)
        self.assertEqual([f["rule"] for f in report["findings"]], ["acme-token"])

    def test_gitleaks_config(self):
        config = os.path.join(self.tmp, "gitleaks.toml")
        with open(config, "w") as f:
            f.write('title = "team rules"\n\n[extend]\nuseDefault = true\n\n'
                    '[[rules]]\nid = "acme-token"\ndescription = "ACME internal token"\n'
                    'regex = \'\'\'\\b(acme_[a-z0-9]{24})\\b\'\'\'\nsecretGroup = 1\n'
                    'keywords = ["acme_"]\n')
        token = "acme_" + "".join(self.rng.choice(string.ascii_lowercase) for _ in range(24))
        self.values.append(token)
        self.write("x.txt", f"use {token}\nT = '{self.secret(github_pat)}'\n")
        report = self.scan_json("files", self.tree, "--config", config)
        self.assertEqual(sorted(f["rule"] for f in report["findings"]), ["acme-token", "github-pat"])
        with open(config, "w") as f:
            f.write("[[rules]]\nid = 'x'\nregex = 3\n")
        self.assert_error(self.scan("files", self.tree, "--config", config), 2, "gitleaks.toml")

    def test_vault_values_found_where_no_rule_looks(self):
        self.ward("init", "--kdf", self.kdf, passphrase=True, check=True)
        opaque = "".join(self.rng.choice(ALNUM) for _ in range(24))
        token = self.secret(github_pat)
        self.values.append(opaque)
        self.set_secret("app/opaque", opaque)
        self.set_secret("ci/token", token)
        encoded = base64.b64encode(opaque.encode()).decode()
        self.values.append(encoded)
        self.write("notes.md", f"# notes\n\nthe value is {opaque} today\n")
        self.write("blob.txt", f"x\ny\nencoded: {encoded}\n")
        self.write("ci.env", f"TOKEN={token}\n")
        locked = self.scan_json("files", self.tree)
        self.assertEqual([f["rule"] for f in locked["findings"]], ["github-pat"])
        self.assertIsNone(locked["findings"][0]["managed"])
        self.unlock()
        report = self.scan_json("files", self.tree)
        got = sorted((os.path.basename(f["path"]), f["line"], f["rule"], f["managed"])
                     for f in report["findings"])
        self.assertEqual(got, [("blob.txt", 3, "vault-value", "app/opaque"),
                               ("ci.env", 1, "github-pat", "ci/token"),
                               ("notes.md", 3, "vault-value", "app/opaque")])

    def test_compiled_rules_are_cached(self):
        self.env["XDG_CACHE_HOME"] = os.path.join(self.tmp, "cache")
        self.write("a.py", f"T = '{self.secret(github_pat)}'\n")
        self.scan_json("files", self.tree)
        cache = os.path.join(self.tmp, "cache", "ward")
        files = os.listdir(cache)
        self.assertEqual(len(files), 1)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(cache, files[0])).st_mode), 0o600)
        # A damaged cache is rebuilt, never trusted.
        with open(os.path.join(cache, files[0]), "r+b") as f:
            f.seek(40)
            f.write(b"\xff" * 64)
        report = self.scan_json("files", self.tree)
        self.assertEqual(len(report["findings"]), 1)



class TestScanShell(ScanCase):
    def spawn(self, extra_env, argv=("sleep", "30")):
        env = {"PATH": os.environ["PATH"], **extra_env}
        child = subprocess.Popen(list(argv), env=env)
        self.addCleanup(lambda: (child.kill(), child.wait()))
        return child

    def test_finds_planted_secret_in_a_sleeping_child(self):
        token = self.secret(github_pat)
        password = "".join(self.rng.choice(ALNUM) for _ in range(20))
        self.values.append(password)
        child = self.spawn({"DEPLOY_TOKEN": token},
                           ("sh", "-c", "sleep 30; exit 0", "ward-test", f"--password={password}"))
        report = self.scan_json("shell")
        mine = [f for f in report["findings"] if f["pid"] == child.pid]
        self.assertIn(("DEPLOY_TOKEN", "github-pat"),
                      {(f["variable"], f["rule"]) for f in mine})
        self.assertIn(("argv[4]", "password-flag"), {(f["variable"], f["rule"]) for f in mine})
        self.assertTrue(all(f["process"] == "sh" for f in mine))
        table = self.scan("shell")
        self.assertIn(str(child.pid).encode(), table.stdout)
        summary = self.scan("shell", "--summary")
        self.assertEqual(summary.returncode, 1)
        self.assertIn(f"{child.pid}".encode(), summary.stdout)

    def test_vault_values_are_labelled_with_their_path(self):
        self.ward("init", "--kdf", self.kdf, passphrase=True, check=True)
        token = self.secret(github_pat)
        opaque = "".join(self.rng.choice(ALNUM) for _ in range(24))
        self.values.append(opaque)
        self.set_secret("ci/deploy-token", token)
        self.set_secret("db/password", opaque)
        child = self.spawn({"DEPLOY_TOKEN": token, "APP_SETTING": opaque,
                            "SEALED": "ENC[ward:v1:abc:def]"})
        # Locked: found by rule, not labelled.
        report = self.scan_json("shell")
        mine = {f["variable"]: f for f in report["findings"] if f["pid"] == child.pid}
        self.assertIsNone(mine["DEPLOY_TOKEN"]["managed"])
        self.assertNotIn("APP_SETTING", mine)
        self.unlock()
        report = self.scan_json("shell")
        mine = {f["variable"]: f for f in report["findings"] if f["pid"] == child.pid}
        self.assertEqual(mine["DEPLOY_TOKEN"]["managed"], "ci/deploy-token")
        self.assertEqual(mine["APP_SETTING"]["managed"], "db/password")
        self.assertEqual(mine["APP_SETTING"]["rule"], "vault-value")
        self.assertEqual(mine["SEALED"]["managed"], "ENC[ward]")
        # The agent recorded what the scan asked about.
        log = self.ward("audit", "query", "--event", "scan.match", "--json", check=True)
        self.assertIn(b"ci/deploy-token", log.stdout)


class TestScanAgents(ScanCase):
    def transcript(self, token):
        lines = [
            {"type": "user", "message": {"content": "deploy please"}},
            {"type": "tool_result", "content": f"GITHUB_TOKEN={token}\nok"},
            {"type": "assistant", "message": {"content": "done"}},
        ]
        return "".join(json.dumps(line) + "\n" for line in lines)

    def test_finds_and_redacts_transcripts(self):
        home = os.path.join(self.tmp, "agent-home")
        token = self.secret(github_pat)
        path = os.path.join(home, ".claude", "projects", "-work-app", "session.jsonl")
        os.makedirs(os.path.dirname(path))
        with open(path, "w") as f:
            f.write(self.transcript(token))
        os.chmod(path, 0o600)
        hist = os.path.join(home, ".bash_history")
        key = self.secret(aws_key_id)
        with open(hist, "w") as f:
            f.write(f"ls\nexport AWS_ACCESS_KEY_ID={key}\n")
        report = self.scan_json("agents", "--home", home)
        got = {(f["agent"], os.path.basename(f["path"]), f["line"]) for f in report["findings"]}
        self.assertEqual(got, {("claude-code", "session.jsonl", 2),
                               ("shell-history", ".bash_history", 2)})
        proc = self.scan("agents", "--home", home, "--redact")
        self.assertEqual(proc.returncode, 1)
        with open(path) as f:
            text = f.read()
        self.assertNotIn(token, text)
        self.assertIn("[masked:github-pat:", text)
        for line in text.splitlines():
            json.loads(line)  # still valid JSONL
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        self.assertEqual(os.listdir(os.path.dirname(path)), ["session.jsonl"])
        self.scan_json("agents", "--home", home, code=0)


def git(cwd, *args):
    env = {"PATH": os.environ["PATH"], "HOME": cwd, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
           "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, check=False)


@unittest.skipUnless(shutil.which("git"), "needs git")
class TestScanGit(ScanCase):
    def test_history_and_pre_commit_hook(self):
        repo = self.tree
        git(repo, "init", "-q", "-b", "main")
        token = self.secret(github_pat)
        self.write("app.py", "print('hi')\n")
        git(repo, "add", ".")
        git(repo, "commit", "-qm", "first")
        self.write("app.py", f"print('hi')\nTOKEN = '{token}'\n")
        git(repo, "commit", "-qam", "add token")
        added = git(repo, "rev-parse", "HEAD").stdout.decode().strip()
        self.write("app.py", "print('hi')\nTOKEN = os.environ['TOKEN']\n")
        git(repo, "commit", "-qam", "remove token")
        report = self.scan_json("git", repo)
        [f] = report["findings"]
        self.assertEqual((f["commit"], f["path"], f["line"], f["author"]),
                         (added, "app.py", 2, "Dev <dev@example.com>"))
        self.scan_json("git", repo, "--since", added, code=0)

        proc = self.ward("hook", "install", "pre-commit", prefix=("env", f"--chdir={repo}"))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        hook = os.path.join(repo, ".git", "hooks", "pre-commit")
        self.assertTrue(os.access(hook, os.X_OK))
        self.write("new.py", f"KEY = '{self.secret(aws_key_id)}'\n")
        git(repo, "add", "new.py")
        refused = git(repo, "commit", "-qm", "leak")
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn(b"aws-access-key-id", refused.stdout + refused.stderr)
        self.write("new.py", "KEY = os.environ['KEY']\n")
        git(repo, "add", "new.py")
        self.assertEqual(git(repo, "commit", "-qm", "clean").returncode, 0)
        # Not ours: left alone unless forced.
        with open(hook, "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        again = self.ward("hook", "install", "pre-commit", prefix=("env", f"--chdir={repo}"))
        self.assert_error(again, 1, "is not ward's")
        # Husky-style hooks elsewhere: refused with what to do instead.
        git(repo, "config", "core.hooksPath", ".husky")
        husky = self.ward("hook", "install", "pre-commit", "--force",
                          prefix=("env", f"--chdir={repo}"))
        self.assert_error(husky, 1, "core.hooksPath is set to '.husky'")


class TestImportScan(ScanCase):
    init_vault = True

    def test_round_trip_through_ward_run(self):
        token = self.secret(github_pat)
        key = self.secret(stripe_key)
        dotenv = self.write(".env", f"# app\nGITHUB_TOKEN={token}\nDEBUG=1\nSTRIPE_KEY=\"{key}\"\n",
                            mode=0o600)
        yaml_path = self.write("config/app.yaml",
                               f"server:\n  port: 8080\n  github_token: {token}\n")
        original_yaml = read(yaml_path)
        dry = self.ward("import", "--scan", self.tree, "--dry-run", passphrase=True)
        self.assertEqual(dry.returncode, 0, dry.stderr)
        self.assertIn(b"would move 3 secrets", dry.stderr)
        self.assertIn(token, read(dotenv))
        proc = self.ward("import", "--scan", self.tree, "--prefix", "app", passphrase=True)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        for value in self.values:
            self.assertNotIn(value.encode(), proc.stdout + proc.stderr)
        text = read(dotenv)
        self.assertEqual(text, "# app\nGITHUB_TOKEN=${ward:app/github_token}\nDEBUG=1\n"
                               "STRIPE_KEY=\"${ward:app/stripe_key}\"\n")
        self.assertEqual(stat.S_IMODE(os.stat(dotenv).st_mode), 0o600)
        # The same value elsewhere is the same vault secret.
        self.assertEqual(read(yaml_path),
                         original_yaml.replace(token, "${ward:app/github_token}"))
        leftovers = [n for n in os.listdir(self.tree) if n not in (".env", "config")]
        self.assertEqual(leftovers, [])
        self.assertEqual(sorted(os.listdir(os.path.join(self.tree, "config"))), ["app.yaml"])
        # ward run masks the child's output: the child writes what it got to a file.
        seen = os.path.join(self.tmp, "seen")
        run = self.ward("run", "--env-file", dotenv, "--", "sh", "-c",
                        'printf "%s|%s|%s" "$GITHUB_TOKEN" "$STRIPE_KEY" "$DEBUG" > "$0"', seen,
                        passphrase=True)
        self.assertEqual(run.returncode, 0, run.stderr)
        with open(seen) as f:
            self.assertEqual(f.read(), f"{token}|{key}|1")
        with open(self.vault_file(), "rb") as f:
            vault = f.read()
        for value in self.values:
            self.assertNotIn(value.encode(), vault)


if __name__ == "__main__":
    unittest.main()
