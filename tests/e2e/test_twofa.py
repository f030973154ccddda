"""ward 2fa enable/disable and the TOTP second factor (RFC 6238: SHA1, 6 digits,
30 s) asked for by unlock and by direct commands.

`ward 2fa enable` talks to the controlling terminal, so it runs here with a fresh
pseudo-terminal as its ctty. Codes are computed in Python from the secret in the
otpauth:// URI. ward accepts the steps now-1, now and now+1 and refuses any
step at or below the last one it accepted, so a test gets three distinct valid
codes per 30 s window without sleeping: each code uses the lowest step that is
still fresh (see fresh_code)."""

import base64
import fcntl
import hashlib
import hmac
import json
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time
import unittest
from urllib.parse import parse_qs, unquote, urlsplit

from wardtest import WARD, WardTestCase, pid_alive, wait_until

STEP = 30
DIGITS = 6
PROMPT = b"Two-factor code: "
URI_RE = re.compile(rb"otpauth://totp/[!-~]+")
VALUE = "sk-2fa-e2e-0123456789abcdefghijklmnopqrstuvwxyz"


def b32decode(text):
    text = text.upper().rstrip("=")
    return base64.b32decode(text + "=" * (-len(text) % 8))


def hotp(key, counter, digits=DIGITS):
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    binary = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(binary % 10 ** digits).zfill(digits)


def now_step():
    return int(time.time()) // STEP


def leave_window_edge(margin=3.0):
    """Sleeps past the next step boundary when fewer than margin seconds of the
    current step remain, so a code chosen now is still valid when ward checks it."""
    left = STEP - time.time() % STEP
    if left < margin:
        time.sleep(left + 0.2)


class Rfc6238Vectors(unittest.TestCase):
    """The test's own TOTP implementation, against RFC 6238 appendix B (SHA1)."""

    def test_vectors(self):
        key = b"12345678901234567890"
        for t, want in [(59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"),
                        (1234567890, "89005924"), (2000000000, "69279037")]:
            self.assertEqual(hotp(key, t // STEP, 8), want)


class TwoFactorCase(WardTestCase):
    """Helpers: running ward on a pseudo-terminal, enabling 2FA, making codes."""

    def setUp(self):
        super().setUp()
        self.key = None            # raw TOTP secret, once enabled
        self.b32 = None            # its base32 text from the URI
        self.uri = None
        self.last_counter = -1     # highest step handed out as a valid code
        self.code_files = 0

    # -- terminal ---------------------------------------------------------

    def ward_tty(self, *args, passphrase=True, answer=None, env=None, timeout=60):
        """Runs ward with a new pty as its controlling terminal (stdin is the pty,
        stdout and stderr are pipes). When PROMPT shows on the terminal, types
        answer(stdout_so_far) + newline; answer None means nothing is typed and the
        prompt fails the test. Returns (returncode, stdout, stderr, terminal)."""
        argv = [WARD]
        if passphrase:
            argv += ["--passphrase-file", self.passfile]
        argv += list(args)
        full_env = dict(self.env)
        if env:
            full_env.update(env)
        master, slave = os.openpty()

        def make_controlling_terminal():
            # Runs in the child after setsid (start_new_session) and the dup2 of
            # the slave onto fd 0.
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        try:
            proc = subprocess.Popen(argv, stdin=slave, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, env=full_env, start_new_session=True,
                                    preexec_fn=make_controlling_terminal)
        finally:
            os.close(slave)
        out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
        out = {out_fd: b"", err_fd: b"", master: b""}
        open_fds = set(out)
        answered = False
        deadline = time.time() + timeout
        try:
            while out_fd in open_fds or err_fd in open_fds:
                left = deadline - time.time()
                if left <= 0:
                    self.fail(f"ward {' '.join(args)} timed out; terminal: {out[master]!r}")
                ready, _, _ = select.select(list(open_fds), [], [], min(left, 0.5))
                for fd in ready:
                    try:
                        data = os.read(fd, 65536)
                    except OSError:  # EIO on the master once the slave is gone
                        data = b""
                    if not data:
                        open_fds.discard(fd)
                    out[fd] += data
                if not answered and PROMPT in out[master]:
                    if answer is None:
                        self.fail(f"ward {' '.join(args)} unexpectedly asked for a code")
                    reply = answer(out[out_fd])
                    os.write(master, reply.encode() + b"\n")
                    answered = True
            rc = proc.wait(timeout=max(1, deadline - time.time()))
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            proc.stdout.close()
            proc.stderr.close()
            os.close(master)
        return rc, out[out_fd], out[err_fd], out[master]

    # -- codes --------------------------------------------------------------

    def fresh_code(self, late=False):
        """A code ward will accept now: the lowest step above the last one used and
        within now-1..now+1 (late: now+1, valid for the longest). Waits only when
        all steps of the window are used up, which the tests avoid."""
        while True:
            leave_window_edge()
            s = now_step()
            counter = max(self.last_counter + 1, s + 1 if late else s - 1)
            if counter <= s + 1:
                break
            time.sleep(STEP - time.time() % STEP + 0.2)
        self.last_counter = counter
        return hotp(self.key, counter)

    def wrong_code(self):
        valid = {hotp(self.key, s) for s in range(now_step() - 3, now_step() + 4)}
        return next(c for c in (f"{n:06d}" for n in range(0, 10 ** 6, 7919)) if c not in valid)

    def code_file(self, code):
        self.code_files += 1
        path = os.path.join(self.tmp, f"totp{self.code_files}")
        with open(path, "w") as f:
            f.write(code + "\n")
        os.chmod(path, 0o600)
        return path

    def parse_uri(self, stdout):
        m = URI_RE.search(stdout)
        self.assertIsNotNone(m, f"no otpauth URI in {stdout!r}")
        uri = m.group(0).decode()
        query = parse_qs(urlsplit(uri).query)
        return uri, query

    def answer_with_secret(self, stdout):
        """answer for ward_tty: takes the secret from the URI, returns a valid code."""
        self.uri, query = self.parse_uri(stdout)
        self.b32 = query["secret"][0]
        self.key = b32decode(self.b32)
        return self.fresh_code()

    # -- steps --------------------------------------------------------------

    def enable(self):
        rc, out, err, term = self.ward_tty("2fa", "enable", answer=self.answer_with_secret)
        if rc == 3 and b"AI agent" in err:
            self.skipTest("running under an AI agent: 'ward 2fa enable' refuses here "
                          f"({err.decode().strip()})")
        self.assertEqual(rc, 0, err)
        self.assertIn(b"two-factor authentication enabled", out)
        return out, err, term

    def unlocked(self):
        return json.loads(self.ward("status", "--json", check=True).stdout)["unlocked"]

    def lock(self):
        """ward lock, then waits for the agent to be gone: `ward lock` returns while
        the agent still accepts connections for up to ~270 ms, and a `ward unlock`
        in that gap answers "already unlocked" (or fails with a reset connection)."""
        pid = self.agent_pid()
        self.ward("lock", check=True)
        if pid:
            self.assertTrue(wait_until(lambda: not pid_alive(pid)), "agent survived lock")

    def with_code(self, *args, code=None, **kw):
        """ward with the passphrase file and --totp-file holding code (default: fresh)."""
        path = self.code_file(self.fresh_code() if code is None else code)
        return self.ward("--totp-file", path, *args, passphrase=True, **kw)


class Enable(TwoFactorCase):
    def test_shows_qr_and_uri_then_confirms_on_terminal(self):
        out, err, term = self.enable()
        self.assertIn(PROMPT, term)
        self.assertNotIn(PROMPT, out)
        uri, query = self.parse_uri(out)
        parts = urlsplit(uri)
        self.assertEqual(parts.scheme, "otpauth")
        self.assertEqual(parts.netloc, "totp")
        self.assertTrue(unquote(parts.path).startswith("/ward:"), uri)
        self.assertEqual(query["issuer"], ["ward"])
        self.assertEqual(query["algorithm"], ["SHA1"])
        self.assertEqual(query["digits"], ["6"])
        self.assertEqual(query["period"], ["30"])
        self.assertEqual(len(self.key), 20)
        self.assertRegex(self.b32, r"^[A-Z2-7]{32}$")
        # The QR code comes first, drawn with half blocks.
        qr = out[:out.index(b"otpauth://")].decode()
        self.assertGreater(qr.count("\n"), 10)
        self.assertTrue({"\u2588", "\u2580", "\u2584"} & set(qr))
        self.assertEqual(len({len(line) for line in qr.splitlines()}), 1)
        # Nothing about the secret on stderr.
        self.assertNotIn(self.b32.encode(), err)

    def test_enable_twice_is_refused(self):
        self.enable()
        proc = self.with_code("2fa", "enable")
        self.assert_error(proc, 1, "already enabled")
        self.assertNotIn(b"otpauth", proc.stdout + proc.stderr)
        # The old secret still works.
        self.with_code("unlock", check=True)

    def test_wrong_confirmation_code_leaves_it_off(self):
        def wrong(stdout):
            self.answer_with_secret(stdout)
            return self.wrong_code()

        rc, out, err, _ = self.ward_tty("2fa", "enable", answer=wrong)
        if rc == 3 and b"AI agent" in err:
            self.skipTest("running under an AI agent")
        self.assertEqual(rc, 3, err)
        self.assertIn(b"wrong code", err)
        self.assertNotIn(b"enabled", out)
        self.unlock()  # no code needed
        self.assertTrue(self.unlocked())

    def test_malformed_confirmation_code(self):
        def malformed(stdout):
            self.answer_with_secret(stdout)
            return "12ab56"

        rc, out, err, _ = self.ward_tty("2fa", "enable", answer=malformed)
        if rc == 3 and b"AI agent" in err:
            self.skipTest("running under an AI agent")
        self.assertEqual(rc, 2, err)
        self.assertIn(b"6 digits", err)
        self.unlock()

    def test_refused_under_ai_agent(self):
        for marker in ("CLAUDECODE", "CURSOR_AGENT"):
            rc, out, err, term = self.ward_tty("2fa", "enable", env={marker: "1"})
            self.assertEqual(rc, 3, err)
            self.assertIn(b"AI agent", err)
            self.assertNotIn(b"otpauth", out + err + term)
            self.assertNotIn(b"secret=", out + err + term)
        proc = self.ward("2fa", "enable", passphrase=True, env={"CLAUDECODE": "1"})
        self.assert_error(proc, 3, "AI agent")
        self.assertNotIn(b"otpauth", proc.stdout + proc.stderr)
        self.unlock()  # still off

    def test_no_terminal_to_confirm(self):
        proc = self.ward("2fa", "enable", passphrase=True)
        self.assertEqual(proc.returncode, 4, proc.stderr)
        self.assertIn(b"--totp-file", proc.stderr)
        self.unlock()  # not enabled

    def test_needs_the_passphrase(self):
        with open(self.passfile, "w") as f:
            f.write("not the passphrase at all\n")
        rc, out, err, term = self.ward_tty("2fa", "enable")
        self.assertNotEqual(rc, 0)
        self.assertNotIn(b"otpauth", out + err + term)


class SecondFactor(TwoFactorCase):
    """With 2FA on: unlock, direct commands, disable."""

    def setUp(self):
        super().setUp()
        self.set_secret("svc/token", VALUE)
        self.enable()

    def test_unlock_with_code_file_then_replay_refused(self):
        path = self.code_file(self.fresh_code(late=True))  # valid for >= 30 s
        self.ward("--totp-file", path, "unlock", passphrase=True, check=True)
        self.assertTrue(self.unlocked())
        self.lock()
        self.assertFalse(self.unlocked())
        proc = self.ward("--totp-file", path, "unlock", passphrase=True)
        self.assert_error(proc, 3, "already used")
        self.assertFalse(self.unlocked())

    def test_earlier_code_refused_after_later_one(self):
        late = self.fresh_code(late=True)
        self.with_code("unlock", code=late, check=True)
        self.lock()
        # now-1 / now are inside the window but below the step just used.
        earlier = hotp(self.key, self.last_counter - 1)
        proc = self.with_code("unlock", code=earlier)
        self.assert_error(proc, 3, "already used")
        self.assertFalse(self.unlocked())

    def test_wrong_code_stays_locked(self):
        proc = self.with_code("unlock", code=self.wrong_code())
        self.assert_error(proc, 3, "wrong code")
        self.assertFalse(self.unlocked())
        # A wrong code burns nothing: a valid one still works afterwards.
        self.with_code("unlock", check=True)
        self.assertTrue(self.unlocked())

    def test_malformed_code(self):
        for bad in ("12345", "1234567", "12a456", ""):
            proc = self.with_code("unlock", code=bad)
            self.assert_error(proc, 2, "6 digits")
        self.assertFalse(self.unlocked())

    def test_no_terminal_and_no_code_file(self):
        proc = self.ward("unlock", passphrase=True)
        self.assert_error(proc, 4, "two-factor code")
        self.assertIn(b"--totp-file", proc.stderr)
        self.assertFalse(self.unlocked())

    def test_missing_code_file(self):
        proc = self.ward("--totp-file", os.path.join(self.tmp, "nope"), "unlock",
                         passphrase=True)
        self.assert_error(proc, 5, "no such file")
        self.assertFalse(self.unlocked())

    def test_code_typed_at_terminal(self):
        rc, out, err, term = self.ward_tty("unlock", answer=lambda _: self.fresh_code())
        self.assertEqual(rc, 0, err)
        self.assertIn(PROMPT, term)
        self.assertTrue(self.unlocked())
        # Unlocked: commands go to the agent and ask for no code.
        proc = self.ward("get", "svc/token", "--reveal", check=True)
        self.assertEqual(proc.stdout, VALUE.encode())

    def test_wrong_code_typed_at_terminal(self):
        rc, out, err, term = self.ward_tty("unlock", answer=lambda _: self.wrong_code())
        self.assertEqual(rc, 3, err)
        self.assertIn(b"wrong code", err)
        self.assertFalse(self.unlocked())

    def test_direct_commands_ask_for_the_code(self):
        proc = self.with_code("get", "svc/token", check=True)
        self.assertIn(b"chars", proc.stdout)
        self.assertNotIn(VALUE.encode(), proc.stdout)

        proc = self.ward("get", "svc/token", passphrase=True)
        self.assert_error(proc, 4, "two-factor code")
        self.assertIn(b"--totp-file", proc.stderr)
        self.assertNotIn(b"chars", proc.stdout)

        proc = self.with_code("get", "svc/token", code=self.wrong_code())
        self.assert_error(proc, 3, "wrong code")
        self.assertNotIn(b"chars", proc.stdout)

        proc = self.ward("set", "svc/other", "--stdin", input="x" * 20, passphrase=True)
        self.assertEqual(proc.returncode, 4, proc.stderr)
        self.with_code("set", "svc/other", "--stdin", input="y" * 20, check=True)
        self.assertFalse(self.unlocked())

    def test_disable(self):
        proc = self.with_code("2fa", "disable", check=True)
        self.assertIn(b"two-factor authentication disabled", proc.stdout)
        self.unlock()  # no code asked
        self.assertTrue(self.unlocked())
        self.lock()
        proc = self.ward("2fa", "disable", passphrase=True, check=True)
        self.assertIn(b"not enabled", proc.stdout)
        # Each change is one audit event, and so is the refused attempt.
        with open(os.path.join(self.home, "audit.jsonl")) as f:
            events = [json.loads(line) for line in f]
        changes = [(e["event"], e["outcome"]) for e in events if e["event"].startswith("2fa.")]
        self.assertEqual(changes, [("2fa.enable", "ok"), ("2fa.disable", "ok"),
                                   ("2fa.disable", "ok")])

    def test_disable_needs_the_code(self):
        proc = self.ward("2fa", "disable", passphrase=True)
        self.assertEqual(proc.returncode, 4, proc.stderr)
        proc = self.with_code("2fa", "disable", code=self.wrong_code())
        self.assert_error(proc, 3, "wrong code")
        # Still on.
        proc = self.ward("unlock", passphrase=True)
        self.assertEqual(proc.returncode, 4, proc.stderr)
        self.assertFalse(self.unlocked())

    def test_enable_again_after_disable_uses_new_secret(self):
        old_key = self.key
        self.with_code("2fa", "disable", check=True)
        self.last_counter = -1
        self.enable()
        self.assertNotEqual(self.key, old_key)
        self.with_code("unlock", check=True)

    def test_secret_never_in_files(self):
        self.with_code("unlock", check=True)  # stores the new last counter too
        self.lock()
        needles = [self.b32.encode(), self.b32.lower().encode(), self.key,
                   self.key.hex().encode(), base64.b64encode(self.key), self.uri.encode()]
        blobs = []
        for root, _, files in os.walk(self.tmp):
            for name in files:
                path = os.path.join(root, name)
                if os.path.isfile(path) and not os.path.islink(path):
                    with open(path, "rb") as f:
                        blobs.append((path, f.read()))
        self.assertTrue(any(p.startswith(self.home) and b for p, b in blobs))
        for path, blob in blobs:
            for needle in needles:
                self.assertNotIn(needle, blob, f"TOTP secret found in {path}")


if __name__ == "__main__":
    unittest.main()
