"""Security properties, each with a test that fails if the property goes:
no plaintext in the vault file, argv or environment; an undumpable agent;
other users refused; reveal refused under an AI agent."""

import glob
import json
import os
import pwd
import shutil
import socket
import stat
import struct
import subprocess
import tempfile
import time
import unittest

from wardtest import WardTestCase, WARD, PASSPHRASE, wait_until

VALUES = ["sk-ant-api03-SECURITYtestVALUE-0123456789abcdefghij",
          "postgres://admin:Sup3rS3cretPassw0rd@db.internal:5432/prod",
          "AKIAIOSFODNN7SECURITY"]
IS_ROOT = os.geteuid() == 0


def frame(obj):
    body = json.dumps(obj).encode()
    return struct.pack(">I", len(body)) + body


def read_response(s):
    header = b""
    while len(header) < 4:
        chunk = s.recv(4 - len(header))
        if not chunk:
            return None
        header += chunk
    n = struct.unpack(">I", header)[0]
    body = b""
    while len(body) < n:
        body += s.recv(n - len(body))
    return json.loads(body)


class AtRest(WardTestCase):
    def test_values_never_in_vault_files(self):
        for i, v in enumerate(VALUES):
            self.set_secret(f"sec/v{i}", v)
        self.set_secret("sec/v0", "a-replacement-value-000")
        self.ward("rm", "sec/v2", passphrase=True, check=True)
        files = glob.glob(os.path.join(self.home, "**"), recursive=True)
        blob = b"".join(open(f, "rb").read() for f in files if os.path.isfile(f))
        self.assertGreater(len(blob), 0)
        for v in VALUES:
            self.assertNotIn(v.encode(), blob)
            self.assertNotIn(v[:16].encode(), blob)
        self.assertNotIn(PASSPHRASE.encode(), blob)


class ProcessExposure(WardTestCase):
    def scan_processes(self, needles):
        """Checks argv and environment of every ward process for the needles."""
        hits = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                exe = os.readlink(f"/proc/{pid}/exe")
            except OSError:
                continue
            if os.path.basename(exe) != "ward":
                continue
            for name in ("cmdline", "environ"):
                try:
                    data = open(f"/proc/{pid}/{name}", "rb").read()
                except OSError:
                    continue
                for n in needles:
                    if n.encode() in data:
                        hits.append((pid, name))
        return hits

    def test_value_not_in_argv_or_environ_of_any_ward_process(self):
        self.unlock()
        # A set that blocks on stdin: its value is in flight while we look.
        p = subprocess.Popen([WARD, "set", "live/one", "--stdin"], env=self.env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p.stdin.write(VALUES[0][:20].encode())
        p.stdin.flush()
        time.sleep(0.2)
        hits = self.scan_processes([VALUES[0][:20]])
        p.stdin.write(VALUES[0][20:].encode())
        p.stdin.close()
        p.wait(timeout=10)
        self.assertEqual(p.returncode, 0)
        self.assertEqual(hits, [])
        # The agent now holds values; its argv and environ do not.
        self.ward("get", "live/one", check=True)
        self.assertEqual(self.scan_processes(VALUES[:1]), [])


class AgentMemory(WardTestCase):
    """The agent's memory cannot be read by a process of its own user."""
    init_vault = False

    def setUp(self):
        super().setUp()
        self.prefix = []
        if IS_ROOT:
            # Root may read anything; run agent and attacker as an ordinary user.
            nobody = pwd.getpwnam("nobody")
            for root, dirs, files in os.walk(self.tmp):
                for p in [root] + [os.path.join(root, x) for x in dirs + files]:
                    os.chown(p, nobody.pw_uid, nobody.pw_gid)
            os.chmod(os.path.dirname(self.tmp), os.stat(os.path.dirname(self.tmp)).st_mode)
            self.prefix = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                           "--clear-groups"]
            self.env["HOME"] = self.tmp
        self.ward("init", "--kdf", "interactive", passphrase=True, check=True, prefix=self.prefix)
        self.ward("set", "m/v", "--stdin", input=VALUES[0], passphrase=True, check=True,
                  prefix=self.prefix)
        self.ward("unlock", passphrase=True, check=True, prefix=self.prefix)
        self.pid = json.loads(self.ward("status", "--json", prefix=self.prefix).stdout)["pid"]

    def tearDown(self):
        self.ward("lock", prefix=self.prefix)
        super().tearDown()

    def attacker(self, code):
        return subprocess.run(self.prefix + ["python3", "-c", code], capture_output=True,
                              timeout=30, env=self.env)

    def test_proc_mem_and_environ_unreadable(self):
        for name in ("mem", "environ"):
            proc = self.attacker(
                f"import sys\ntry:\n open('/proc/{self.pid}/{name}','rb').read(64)\n"
                f" print('READ')\nexcept OSError as e:\n print('DENIED', e.errno)")
            self.assertIn("DENIED", proc.stdout.decode(), proc.stderr)

    def test_ptrace_attach_refused(self):
        proc = self.attacker(
            "import ctypes,sys\nlibc=ctypes.CDLL(None,use_errno=True)\n"
            f"r=libc.ptrace(16,{self.pid},0,0)\nprint('ATTACHED' if r==0 else 'DENIED')")
        self.assertIn("DENIED", proc.stdout.decode(), proc.stderr)

    def test_no_core_dumps(self):
        limits = open(f"/proc/{self.pid}/limits").read()
        line = [l for l in limits.splitlines() if l.startswith("Max core file size")][0]
        self.assertEqual(line.split()[4:6], ["0", "0"], line)
        # A crash leaves no core file behind.
        cwd_files = set(os.listdir("/"))
        os.kill(self.pid, 11)
        self.assertTrue(wait_until(lambda: not os.path.exists(f"/proc/{self.pid}")))
        new = set(os.listdir("/")) - cwd_files
        self.assertFalse([f for f in new if f.startswith("core")])


@unittest.skipUnless(IS_ROOT, "needs root to act as another user")
class OtherUser(WardTestCase):
    def test_other_uid_refused_by_peer_check(self):
        self.set_secret("o/v", VALUES[0])
        self.unlock()
        path = json.loads(self.ward("status", "--json").stdout)["socket"]
        # Open the door the directory normally keeps shut, so the peer check
        # itself is what stops the other user.
        os.chmod(os.path.dirname(path), 0o711)
        os.chmod(path, 0o777)
        os.chmod(self.tmp, 0o711)
        os.chmod(self.run_dir, 0o711)
        code = ("import socket,struct,json,sys\n"
                "s=socket.socket(socket.AF_UNIX);s.connect(sys.argv[1])\n"
                "b=json.dumps({'v':1,'op':'get','path':'o/v','reveal':True}).encode()\n"
                "try:\n s.sendall(struct.pack('>I',len(b))+b)\n"
                "except (BrokenPipeError, ConnectionResetError):\n pass\n"
                "d=s.recv(65536);print(d[4:].decode())\n")
        proc = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                               "python3", "-c", code, path], capture_output=True, timeout=30)
        out = proc.stdout.decode()
        self.assertIn("another user", out, proc.stderr)
        self.assertNotIn(VALUES[0], out)
        # The refusal is in the audit log, with the other user's uid.
        with open(os.path.join(self.home, "audit.jsonl")) as f:
            refused = [json.loads(line) for line in f if '"peer.refused"' in line]
        self.assertEqual(len(refused), 1)
        self.assertEqual(refused[0]["outcome"], "denied")
        self.assertEqual(refused[0]["actor"]["uid"], pwd.getpwnam("nobody").pw_uid)
        # And the normal layout keeps them out before that.
        os.chmod(os.path.dirname(path), 0o700)
        proc = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                               "python3", "-c", code, path], capture_output=True, timeout=30)
        self.assertIn("Permission", proc.stderr.decode())


class RevealUnderAgent(WardTestCase):
    def setUp(self):
        super().setUp()
        self.set_secret("r/v", VALUES[0])
        self.fake_bin = os.path.join(self.tmp, "bin")
        os.mkdir(self.fake_bin)
        self.claude = os.path.join(self.fake_bin, "claude")
        shutil.copy("/bin/sh", self.claude)

    def test_refused_with_env_marker(self):
        for marker in ("CLAUDECODE", "CURSOR_AGENT", "CODEX_SANDBOX"):
            proc = self.ward("get", "r/v", "--reveal", passphrase=True, env={marker: "1"})
            self.assert_error(proc, 3, "AI agent")
            self.assertNotIn(VALUES[0].encode(), proc.stdout + proc.stderr)

    def test_refused_when_parent_is_claude(self):
        proc = subprocess.run([self.claude, "-c", f"'{WARD}' --passphrase-file '{self.passfile}' "
                               f"get r/v --reveal; exit $?"],
                              env=self.env, capture_output=True, timeout=60)
        self.assertEqual(proc.returncode, 3, proc.stderr)
        self.assertIn("claude", proc.stderr.decode())
        self.assertNotIn(VALUES[0].encode(), proc.stdout)

    def test_masked_get_still_allowed_under_agent(self):
        proc = self.ward("get", "r/v", passphrase=True, env={"CLAUDECODE": "1"})
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_agent_itself_refuses_peer_under_claude(self):
        """A client that skips the CLI check is still refused by the agent."""
        self.unlock()
        path = json.loads(self.ward("status", "--json").stdout)["socket"]
        script = os.path.join(self.tmp, "raw.py")
        with open(script, "w") as f:
            f.write("import socket,struct,json,sys\n"
                    "s=socket.socket(socket.AF_UNIX);s.connect(sys.argv[1])\n"
                    "b=json.dumps({'v':1,'op':'get','path':'r/v','reveal':True}).encode()\n"
                    "s.sendall(struct.pack('>I',len(b))+b)\n"
                    "def frame():\n"
                    " n=b''\n"
                    " while len(n)<4:\n"
                    "  c=s.recv(4-len(n))\n"
                    "  if not c: return b''\n"
                    "  n+=c\n"
                    " want=struct.unpack('>I',n)[0];d=b''\n"
                    " while len(d)<want:\n"
                    "  c=s.recv(want-len(d))\n"
                    "  if not c: break\n"
                    "  d+=c\n"
                    " return d\n"
                    "d=frame()\n"
                    "if b'\"payload\"' in d: d+=frame()\n"
                    "sys.stdout.write(repr(d))\n")
        proc = subprocess.run([self.claude, "-c", f"python3 '{script}' '{path}'; exit $?"],
                              env=self.env, capture_output=True, timeout=30)
        out = proc.stdout.decode()
        self.assertIn("AI agent", out, proc.stderr)
        self.assertNotIn(VALUES[0], out)
        env = dict(self.env, CLAUDECODE="1")
        proc = subprocess.run(["python3", script, path], env=env, capture_output=True, timeout=30)
        self.assertIn("AI agent", proc.stdout.decode())
        # Without an agent around, the same raw request is served.
        proc = subprocess.run(["python3", script, path], env=self.env, capture_output=True,
                              timeout=30)
        self.assertIn(VALUES[0], proc.stdout.decode())


if __name__ == "__main__":
    unittest.main()
