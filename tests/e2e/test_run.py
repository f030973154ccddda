"""ward run, env, shell-init, mask and trust, end to end."""

import base64
import json
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import time
import unittest

from wardtest import WardTestCase, WARD

ANTHROPIC = "sk-ant-api03-RUNtest-0123456789abcdefghijklmnop"
OPENAI = "sk-proj-RUNtestOPENAI-abcdefghijklmnopqrstuv"
DBPASS = "Db-Pa55word-RUN-xyz"
PRINTENV = shutil.which("printenv")
PY = sys.executable


class RunCase(WardTestCase):
    def setUp(self):
        super().setUp()
        self.set_secret("llm/anthropic", ANTHROPIC)
        self.set_secret("llm/openai", OPENAI)
        self.set_secret("prod/db/password", DBPASS)
        self.unlock()
        self.config = os.path.join(self.tmp, "config", "ward")
        os.makedirs(os.path.join(self.config, "templates"), exist_ok=True)

    def run_env(self, *args, env=None, check=True):
        """ward run ... -- python3 -c 'print env as json'; returns the child's env."""
        code = "import os,json;print(json.dumps(dict(os.environ)))"
        proc = self.ward("run", "--mask", "never", *args, "--", PY, "-c", code, env=env)
        if check:
            self.assertEqual(proc.returncode, 0, proc.stderr)
        return json.loads(proc.stdout.decode().split("\n")[0]) if proc.returncode == 0 else proc


class Grants(RunCase):
    def test_secret_grants_only_that_value(self):
        env = self.run_env("--secret", "llm/anthropic")
        self.assertEqual(env["ANTHROPIC"], ANTHROPIC)
        blob = json.dumps(env)
        self.assertNotIn(OPENAI, blob)
        self.assertNotIn(DBPASS, blob)

    def test_secret_with_var_name(self):
        env = self.run_env("--secret", "llm/anthropic=ANTHROPIC_API_KEY",
                           "--secret", "prod/db/password=PGPASSWORD")
        self.assertEqual(env["ANTHROPIC_API_KEY"], ANTHROPIC)
        self.assertEqual(env["PGPASSWORD"], DBPASS)

    def test_nothing_implicit(self):
        env = self.run_env()
        self.assertNotIn(ANTHROPIC, json.dumps(env))

    def test_env_file_forms(self):
        f = os.path.join(self.tmp, "app.env")
        with open(f, "w") as fh:
            fh.write("A=${ward:llm/anthropic}\n"
                     "B=ward://llm/openai\n"
                     "C=${kms:prod/db/password}\n"
                     "D=postgres://app:${ward:prod/db/password}@db:5432/app\n"
                     "E=op://Prod/DB/password\n"
                     "PLAIN=hello\n")
        self.set_secret("prod/db/password", DBPASS)  # op://Prod/DB/password -> prod/db/password
        env = self.run_env("--env-file", f)
        self.assertEqual(env["A"], ANTHROPIC)
        self.assertEqual(env["B"], OPENAI)
        self.assertEqual(env["C"], DBPASS)
        self.assertEqual(env["D"], f"postgres://app:{DBPASS}@db:5432/app")
        self.assertEqual(env["E"], DBPASS)
        self.assertEqual(env["PLAIN"], "hello")

    def test_user_template_for_tool(self):
        with open(os.path.join(self.config, "templates", "python3.env"), "w") as fh:
            fh.write("FROM_TEMPLATE=${ward:llm/openai}\n")
        code = "import os;print(os.environ.get('FROM_TEMPLATE',''))"
        py3 = shutil.which("python3")
        proc = self.ward("run", "--mask", "never", "--", py3, "-c", code)
        self.assertEqual(proc.stdout.decode().strip(), OPENAI, proc.stderr)

    def test_ward_reference_in_environment(self):
        env = self.run_env(env={"MY_KEY": "ward://llm/openai"})
        self.assertEqual(env["MY_KEY"], OPENAI)

    def test_pristine(self):
        env = self.run_env("--pristine", "--secret", "llm/openai", env={"SOMETHING": "else"})
        self.assertNotIn("SOMETHING", env)
        self.assertIn("PATH", env)
        self.assertEqual(env["OPENAI"], OPENAI)

    def test_unknown_secret_and_command(self):
        self.assert_error(self.ward("run", "--secret", "no/such", "--", "true"), 5, "no secret")
        self.assert_error(self.ward("run", "--", "definitely-not-a-command-xyz"), 5, "")

    def test_explicit_secret_beats_template_and_literals_not_masked(self):
        py3 = shutil.which("python3")
        with open(os.path.join(self.config, "templates", "python3.env"), "w") as fh:
            fh.write("KEY=${ward:llm/anthropic}\nMODE=production\n")
        code = "import os;print(os.environ['KEY'] == os.environ.get('EXPECT'), os.environ['MODE'])"
        proc = self.ward("run", "--secret", "llm/openai=KEY", "--", py3, "-c", code,
                         env={"EXPECT": OPENAI})
        self.assertEqual(proc.stdout.decode().strip(), "True production", proc.stderr)

    def test_child_cannot_unlock_with_inherited_passphrase_file(self):
        env = self.run_env(env={"WARD_PASSPHRASE_FILE": self.passfile})
        self.assertNotIn("WARD_PASSPHRASE_FILE", env)

    def test_pristine_drops_environment_grants(self):
        env = self.run_env("--pristine", env={"MY_KEY": "ward://llm/openai"})
        self.assertNotIn("MY_KEY", env)

    def test_global_option_after_run(self):
        proc = self.ward("run", "--passphrase-file", self.passfile, "--mask", "never", "--secret",
                         "llm/openai", "--", PRINTENV, "OPENAI")
        self.assertEqual(proc.stdout.decode().strip(), OPENAI, proc.stderr)

    def test_exit_status_and_signals_pass_through(self):
        self.assertEqual(self.ward("run", "--", "sh", "-c", "exit 7").returncode, 7)
        self.assertEqual(self.ward("run", "--secret", "llm/openai", "--", "sh", "-c",
                                   "exit 9").returncode, 9)
        proc = self.ward("run", "--secret", "llm/openai", "--", "sh", "-c", "kill -TERM $$")
        self.assertEqual(proc.returncode, 128 + 15)

    def test_sigterm_forwarded_to_child(self):
        marker = os.path.join(self.tmp, "got-term")
        script = f"trap 'touch {marker}; exit 3' TERM; echo ready; while :; do sleep 0.05; done"
        p = subprocess.Popen([WARD, "run", "--secret", "llm/openai", "--", "sh", "-c", script],
                             env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.assertEqual(p.stdout.readline().strip(), b"ready")
        p.send_signal(15)
        self.assertEqual(p.wait(timeout=10), 3)
        self.assertTrue(os.path.exists(marker))

    def test_stdin_forwarded(self):
        proc = self.ward("run", "--secret", "llm/openai", "--", "cat", input=b"through stdin\n")
        self.assertEqual(proc.stdout, b"through stdin\n")


class Masking(RunCase):
    def test_output_masked_all_encodings(self):
        code = ("import base64,binascii,json,urllib.parse,os,sys;v=os.environ['OPENAI'];"
                "print(v);print(base64.b64encode(v.encode()).decode());"
                "print(binascii.hexlify(v.encode()).decode());"
                "print(urllib.parse.quote(v,safe=''));print(json.dumps(v));"
                "sys.stderr.write('err:'+v+'\\n')")
        proc = self.ward("run", "--secret", "llm/openai", "--", PY, "-c", code)
        out, err = proc.stdout.decode(), proc.stderr.decode()
        self.assertEqual(proc.returncode, 0, err)
        for enc in (OPENAI, base64.b64encode(OPENAI.encode()).decode(), OPENAI.encode().hex()):
            self.assertNotIn(enc, out + err)
        self.assertEqual(out.count("[masked:OPENAI]"), 5, out)
        self.assertIn("err:[masked:OPENAI]", err)

    def test_value_split_across_writes(self):
        code = ("import os,sys,time;v=os.environ['OPENAI']\n"
                "for c in v:\n sys.stdout.write(c);sys.stdout.flush();time.sleep(0.001)\n")
        proc = self.ward("run", "--secret", "llm/openai", "--", PY, "-c", code)
        self.assertEqual(proc.stdout.decode(), "[masked:OPENAI]")

    def test_mask_never_passes_through(self):
        proc = self.ward("run", "--mask", "never", "--secret", "llm/openai", "--", PRINTENV,
                         "OPENAI")
        self.assertEqual(proc.stdout.decode().strip(), OPENAI)

    def test_short_value_warns(self):
        self.set_secret("short/pin", "12345")
        proc = self.ward("run", "--secret", "short/pin", "--", "true")
        self.assertIn("will not be masked", proc.stderr.decode())

    def test_pty_child_sees_terminal_and_size(self):
        code = ("import os,sys,shutil;print('tty' if sys.stdout.isatty() and sys.stdin.isatty() "
                "else 'notty', shutil.get_terminal_size().columns, os.environ['OPENAI'])")
        pid, fd = pty.fork()
        if pid == 0:
            import fcntl, struct, termios
            fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 111, 0, 0))
            os.execve(WARD, [WARD, "run", "--secret", "llm/openai", "--", PY, "-c", code],
                      self.env)
        out = b""
        deadline = time.time() + 20
        while time.time() < deadline:
            r, _, _ = select.select([fd], [], [], 0.5)
            if r:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
        _, status = os.waitpid(pid, 0)
        text = out.decode(errors="replace")
        self.assertEqual(os.waitstatus_to_exitcode(status), 0, text)
        self.assertIn("tty 111 [masked:OPENAI]", text)
        self.assertNotIn(OPENAI, text)

    def test_pty_window_resize_reaches_child(self):
        code = ("import signal,shutil,sys,time,os\n"
                "got=[]\n"
                "signal.signal(signal.SIGWINCH, lambda *a: got.append(1))\n"
                "print('ready', shutil.get_terminal_size().columns, flush=True)\n"
                "t=time.time()\n"
                "while not got and time.time()-t<10: time.sleep(0.02)\n"
                "print('resized', os.get_terminal_size(0).columns, os.environ['OPENAI'], flush=True)\n")
        import fcntl, struct, termios
        pid, fd = pty.fork()
        if pid == 0:
            fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
            os.execve(WARD, [WARD, "run", "--secret", "llm/openai", "--", PY, "-c", code],
                      self.env)
        out = b""
        deadline = time.time() + 20
        resized = False
        while time.time() < deadline:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            if not resized and b"ready 100" in out:
                fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 132, 0, 0))
                os.kill(pid, signal.SIGWINCH)  # what the terminal does on a resize
                resized = True
        os.waitpid(pid, 0)
        text = out.decode(errors="replace")
        self.assertIn("resized 132 [masked:OPENAI]", text)

    def test_ward_mask_filter(self):
        text = f"log line {ANTHROPIC} and {DBPASS}\n".encode()
        proc = self.ward("mask", input=text)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.decode(),
                         "log line [masked:llm/anthropic] and [masked:prod/db/password]\n")
        proc = self.ward("mask", "--secret", "prod/db/password", input=text)
        self.assertIn(ANTHROPIC, proc.stdout.decode())


class EncryptedEnv(RunCase):
    def write_template(self, name, body):
        path = os.path.join(self.config, "templates", name + ".env")
        with open(path, "w") as fh:
            fh.write(body)
        return path

    def blobs(self, template="shell"):
        proc = self.ward("env", "--from", template, "--output", "json", check=True)
        return json.loads(proc.stdout)

    def test_env_outputs_only_blobs(self):
        self.write_template("shell", "OPENAI_API_KEY=${ward:llm/openai}\n"
                                     "ANTHROPIC_API_KEY=${ward:llm/anthropic}\n")
        blobs = self.blobs()
        self.assertTrue(all(v.startswith("ENC[ward:v1:") for v in blobs.values()))
        for fmt in ("shell", "fish", "dotenv"):
            out = self.ward("env", "--output", fmt, check=True).stdout.decode()
            self.assertNotIn(OPENAI, out)
            self.assertIn("ENC[ward:v1:", out)
        env = self.run_env(env=blobs)
        self.assertEqual(env["OPENAI_API_KEY"], OPENAI)
        self.assertEqual(env["ANTHROPIC_API_KEY"], ANTHROPIC)

    def test_shell_init(self):
        for shell in ("bash", "zsh", "fish"):
            out = self.ward("shell-init", shell, check=True).stdout.decode()
            self.assertIn("ward env --from shell", out)
        self.assert_error(self.ward("shell-init", "tcsh"), 2, "unsupported shell")

    def test_no_secrets_strips_blobs(self):
        self.write_template("shell", "OPENAI_API_KEY=${ward:llm/openai}\n")
        env = self.run_env("--no-secrets", env=dict(self.blobs(), REF="ward://llm/openai"))
        self.assertNotIn("OPENAI_API_KEY", env)
        self.assertNotIn("REF", env)

    def test_blob_useless_after_lock(self):
        self.write_template("shell", "OPENAI_API_KEY=${ward:llm/openai}\n")
        blobs = self.blobs()
        self.ward("lock", check=True)
        self.unlock()
        proc = self.run_env(env=blobs, check=False)
        self.assert_error(proc, 3, "OPENAI_API_KEY")

    def test_edited_or_moved_blob_names_variable(self):
        self.write_template("shell", "OPENAI_API_KEY=${ward:llm/openai}\n")
        blob = self.blobs()["OPENAI_API_KEY"]
        proc = self.run_env(env={"OTHER": blob}, check=False)
        self.assert_error(proc, 1, "OTHER")
        body = blob[:-6] + ("A" if blob[-6] != "A" else "B") + blob[-5:]
        proc = self.run_env(env={"OPENAI_API_KEY": body}, check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("OPENAI_API_KEY", proc.stderr.decode())

    def test_child_cannot_open_ungranted_blob_through_socket(self):
        self.write_template("shell", "OPENAI_API_KEY=${ward:llm/openai}\n"
                                     "ANTHROPIC_API_KEY=${ward:llm/anthropic}\n")
        blobs = self.blobs()
        sock = json.loads(self.ward("status", "--json").stdout)["socket"]
        script = os.path.join(self.tmp, "steal.py")
        with open(script, "w") as fh:
            fh.write("import socket,struct,json,sys\n"
                     "def call(req):\n"
                     " s=socket.socket(socket.AF_UNIX);s.connect(sys.argv[1])\n"
                     " b=json.dumps(dict(req,v=1)).encode();s.sendall(struct.pack('>I',len(b))+b)\n"
                     " n=struct.unpack('>I',s.recv(4))[0];d=b''\n"
                     " while len(d)<n: d+=s.recv(n-len(d))\n"
                     " return json.loads(d)\n"
                     "print(json.dumps([call({'op':'env_open','items':[{'var':'ANTHROPIC_API_KEY',"
                     "'blob':sys.argv[2]}]}), call({'op':'resolve','paths':['prod/db/password']}),"
                     " call({'op':'get','path':'llm/openai','reveal':True}),"
                     " call({'op':'grant','paths':['prod/db/password'],"
                     "'restrict':{'vars':[],'paths':['prod/db/password']}}),"
                     " call({'op':'grant','paths':[],'items':[{'var':'ANTHROPIC_API_KEY',"
                     "'blob':sys.argv[2]}],'restrict':{'vars':['ANTHROPIC_API_KEY'],'paths':[]}})"
                     "]))\n")
        # The child is granted OPENAI_API_KEY only, and is handed the other blob out of band.
        proc = self.ward("run", "--secret", "llm/openai=OPENAI_API_KEY", "--mask", "never", "--",
                         PY, script, sock, blobs["ANTHROPIC_API_KEY"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        answers = json.loads(proc.stdout)
        for a in answers:
            self.assertFalse(a["ok"], a)
            self.assertIn("not", a["error"]["message"])
        self.assertNotIn(ANTHROPIC, proc.stdout.decode())
        self.assertNotIn(DBPASS, proc.stdout.decode())


class Secure(RunCase):
    def allowlist(self, text, where=None):
        path = where or os.path.join(self.config, "allowlist.yaml")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(text)
        return path

    def test_secure_without_allowlist_is_error(self):
        proc = self.ward("run", "--secure", "--secret", "llm/openai", "--", "true")
        self.assert_error(proc, 2, "allow-list")
        self.assertIn("allowlist.yaml", proc.stderr.decode())

    def test_allowlist_filters_by_real_tool(self):
        py_real = os.path.realpath(PY)
        self.allowlist(f"{os.path.basename(py_real)}: [OPENAI, \"ANTH*\"]\n")
        env = self.run_env("--secure", "--secret", "llm/openai", "--secret", "llm/anthropic",
                           "--secret", "prod/db/password")
        self.assertEqual(env["OPENAI"], OPENAI)
        self.assertEqual(env["ANTHROPIC"], ANTHROPIC)
        self.assertNotIn("PASSWORD", env)

    def test_symlink_named_like_allowed_tool_gets_nothing(self):
        self.allowlist("claude: [OPENAI]\n")
        fake = os.path.join(self.tmp, "claude")
        os.symlink(PRINTENV, fake)
        proc = self.ward("run", "--secure", "--secret", "llm/openai", "--", fake, "OPENAI")
        self.assertNotEqual(proc.stdout.decode().strip(), OPENAI)
        self.assertIn("not in", proc.stderr.decode())

    def test_sha256_pin(self):
        import hashlib
        real = os.path.realpath(PRINTENV)
        digest = hashlib.sha256(open(real, "rb").read()).hexdigest()
        self.allowlist(f"{real}:\n  allow: [OPENAI]\n  sha256: {digest}\n")
        proc = self.ward("run", "--secure", "--mask", "never", "--secret", "llm/openai", "--",
                         PRINTENV, "OPENAI")
        self.assertEqual(proc.stdout.decode().strip(), OPENAI, proc.stderr)
        self.allowlist(f"{real}:\n  allow: [OPENAI]\n  sha256: {'0' * 64}\n")
        proc = self.ward("run", "--secure", "--secret", "llm/openai", "--", PRINTENV, "OPENAI")
        self.assert_error(proc, 3, "sha256")

    def test_project_allowlist_needs_trust(self):
        project = os.path.join(self.tmp, "project")
        os.makedirs(os.path.join(project, ".ward"))
        real = os.path.basename(os.path.realpath(PRINTENV))
        self.allowlist(f"{real}: [OPENAI]\n")  # user file: OPENAI
        self.allowlist(f"{real}: [ANTHROPIC]\n", os.path.join(project, ".ward", "allowlist.yaml"))

        def run_in_project():
            return subprocess.run([WARD, "run", "--secure", "--mask", "never", "--secret",
                                   "llm/openai", "--secret", "llm/anthropic", "--", PRINTENV],
                                  cwd=project, env=self.env, capture_output=True, timeout=30)
        proc = run_in_project()
        self.assertIn("ward trust", proc.stderr.decode())
        self.assertIn(f"OPENAI={OPENAI}", proc.stdout.decode())  # project file ignored
        self.assertNotIn("ANTHROPIC=", proc.stdout.decode())
        self.ward("trust", project, check=True)
        listed = json.loads(self.ward("trust", "--list", "--json", check=True).stdout)
        self.assertEqual(len(listed), 1)
        proc = run_in_project()
        self.assertIn(f"ANTHROPIC={ANTHROPIC}", proc.stdout.decode(), proc.stderr)
        self.assertNotIn("OPENAI=", proc.stdout.decode())
        with open(os.path.join(project, ".ward", "allowlist.yaml"), "a") as fh:
            fh.write("other: [X]\n")
        proc = run_in_project()
        self.assertIn("ward trust", proc.stderr.decode())
        self.assertIn(f"OPENAI={OPENAI}", proc.stdout.decode())
        self.ward("trust", "--revoke", project, check=True)
        self.assertEqual(json.loads(self.ward("trust", "--list", "--json").stdout), [])

    def test_trust_refused_under_ai_agent(self):
        project = os.path.join(self.tmp, "project")
        os.makedirs(os.path.join(project, ".ward"))
        self.allowlist("x: [Y]\n", os.path.join(project, ".ward", "allowlist.yaml"))
        proc = self.ward("trust", project, env={"CLAUDECODE": "1"})
        self.assert_error(proc, 3, "AI agent")
        self.assertEqual(json.loads(self.ward("trust", "--list", "--json").stdout), [])

    def test_forged_trust_entry_rejected(self):
        project = os.path.join(self.tmp, "project")
        os.makedirs(os.path.join(project, ".ward"))
        real = os.path.basename(os.path.realpath(PRINTENV))
        self.allowlist(f"{real}: [OPENAI]\n")
        self.allowlist(f"{real}: [ANTHROPIC]\n", os.path.join(project, ".ward", "allowlist.yaml"))
        self.ward("trust", project, check=True)
        store = os.path.join(self.tmp, "state", "ward", "trust.json")
        doc = json.load(open(store))
        text = json.dumps(doc).replace('"mac": "', '"mac": "00')
        with open(store, "w") as fh:
            fh.write(text)
        proc = subprocess.run([WARD, "run", "--secure", "--mask", "never", "--secret",
                               "llm/anthropic", "--", PRINTENV], cwd=project, env=self.env,
                              capture_output=True, timeout=30)
        self.assertNotIn(ANTHROPIC, proc.stdout.decode())


if __name__ == "__main__":
    unittest.main()
