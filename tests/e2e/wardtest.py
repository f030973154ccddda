"""Shared harness for end-to-end tests: runs the real ward binary in a
throwaway WARD_HOME / XDG_RUNTIME_DIR, never touching the user's vault."""

import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

WARD = os.path.abspath(os.environ.get("WARD_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "ward"))
PASSPHRASE = "correct horse battery staple e2e"

# Environment markers of AI agents: removed so tests start from a clean slate.
AGENT_MARKERS = ["CLAUDECODE", "CLAUDE_CODE_ENTRYPOINT", "CURSOR_TRACE_ID", "CURSOR_AGENT",
                 "GEMINI_CLI", "CODEX_SANDBOX", "CODEX_THREAD_ID", "CLINE_ACTIVE",
                 "AUGMENT_AGENT", "OPENCODE", "GOOSE_PROVIDER", "JUNIE_DATA", "REPL_ID",
                 "COPILOT_MODEL", "AI_AGENT"]


class WardTestCase(unittest.TestCase):
    """Each test gets its own home, runtime dir and passphrase file."""

    kdf = "interactive"
    init_vault = True

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ward-e2e-")
        os.chmod(self.tmp, 0o700)
        self.home = os.path.join(self.tmp, "home")
        self.run_dir = os.path.join(self.tmp, "run")
        os.mkdir(self.run_dir, 0o700)
        self.passfile = os.path.join(self.tmp, "pass")
        with open(self.passfile, "w") as f:
            f.write(PASSPHRASE + "\n")
        os.chmod(self.passfile, 0o600)
        self.env = {k: v for k, v in os.environ.items() if k not in AGENT_MARKERS}
        self.env.update({
            "WARD_HOME": self.home,
            "XDG_RUNTIME_DIR": self.run_dir,
            "XDG_CONFIG_HOME": os.path.join(self.tmp, "config"),
            "XDG_STATE_HOME": os.path.join(self.tmp, "state"),
            "NO_COLOR": "1",
        })
        self.env.pop("WARD_PASSPHRASE_FILE", None)
        if self.init_vault:
            self.ward("init", "--kdf", self.kdf, passphrase=True, check=True)

    def tearDown(self):
        self.ward("lock")
        ok = all(e is None for e in getattr(self._outcome, "errors", [])) \
            if hasattr(self._outcome, "errors") else True
        if ok or not os.environ.get("WARD_KEEP_FAILED"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def ward(self, *args, passphrase=False, input=None, env=None, check=False, timeout=60,
             prefix=()):
        """Runs ward; returns CompletedProcess with bytes stdout/stderr."""
        argv = list(prefix) + [WARD]
        if passphrase:
            argv += ["--passphrase-file", self.passfile]
        argv += list(args)
        full_env = dict(self.env)
        if env:
            full_env.update(env)
        if isinstance(input, str):
            input = input.encode()
        proc = subprocess.run(argv, input=input, capture_output=True, env=full_env,
                              timeout=timeout, stdin=None if input is not None else subprocess.DEVNULL,
                              start_new_session=True)
        if check and proc.returncode != 0:
            self.fail(f"ward {' '.join(args)} exited {proc.returncode}: {proc.stderr.decode()}")
        return proc

    def set_secret(self, path, value, *extra):
        return self.ward("set", path, "--stdin", *extra, input=value, passphrase=True, check=True)

    def unlock(self, *extra):
        self.ward("unlock", *extra, passphrase=True, check=True)

    def agent_pid(self):
        import json
        out = self.ward("status", "--json", check=True).stdout
        return json.loads(out).get("pid")

    def vault_file(self):
        return os.path.join(self.home, "vault.db")

    def assert_error(self, proc, code, fragment):
        err = proc.stderr.decode()
        self.assertEqual(proc.returncode, code, f"stderr: {err}")
        self.assertIn("ward: error: ", err)
        self.assertIn(fragment, err)


def wait_until(predicate, timeout=5.0, step=0.02):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
