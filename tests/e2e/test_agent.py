"""ward unlock/lock/status and the agent: lifetime, socket, protocol."""

import json
import os
import socket
import stat
import struct
import subprocess
import time
import unittest

from wardtest import WardTestCase, WARD, wait_until, pid_alive

VALUE = "ghp_agentTestToken0123456789abcdefABCDEF"


def sock_path(case):
    status = json.loads(case.ward("status", "--json", check=True).stdout)
    return status["socket"]


def raw_call(path, payload: bytes):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    s.sendall(payload)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            if len(data) >= 4 and len(data) >= 4 + struct.unpack(">I", data[:4])[0]:
                break
    except socket.timeout:
        pass
    s.close()
    return data


def frame(obj) -> bytes:
    body = json.dumps(obj).encode() if not isinstance(obj, bytes) else obj
    return struct.pack(">I", len(body)) + body


class Unlock(WardTestCase):
    def test_unlock_status_lock(self):
        self.assertFalse(json.loads(self.ward("status", "--json").stdout)["unlocked"])
        self.unlock("--ttl", "1h", "--idle", "10m")
        st = json.loads(self.ward("status", "--json", check=True).stdout)
        self.assertTrue(st["unlocked"])
        self.assertGreater(st["ttl_left_s"], 3500)
        self.assertLessEqual(st["idle_left_s"], 600)
        pid = st["pid"]
        self.assertTrue(pid_alive(pid))
        human = self.ward("status", check=True).stdout.decode()
        self.assertIn("unlocked", human)
        self.assertIn(str(pid), human)
        self.ward("lock", check=True)
        self.assertTrue(wait_until(lambda: not pid_alive(pid)))
        self.assertFalse(os.path.exists(st["socket"]))
        self.assertFalse(json.loads(self.ward("status", "--json").stdout)["unlocked"])
        self.assertIn("already locked", self.ward("lock", check=True).stdout.decode())

    def test_lock_then_unlock_immediately(self):
        for _ in range(5):
            self.unlock()
            self.ward("lock", check=True)
            self.assertFalse(json.loads(self.ward("status", "--json", check=True).stdout)["unlocked"])
        self.unlock()
        self.assertTrue(json.loads(self.ward("status", "--json").stdout)["unlocked"])

    def test_status_does_not_reset_idle_timer(self):
        self.unlock("--idle", "3s")
        pid = self.agent_pid()
        deadline = time.time() + 8
        while pid_alive(pid) and time.time() < deadline:
            self.ward("status")
            time.sleep(0.3)
        self.assertFalse(pid_alive(pid))

    def test_rm_needs_the_key(self):
        self.set_secret("a/b", VALUE)
        self.assert_error(self.ward("rm", "a/b"), 4, "vault is locked")
        self.unlock()
        self.ward("rm", "a/b", check=True)

    def test_commands_use_agent_without_passphrase(self):
        self.unlock()
        self.ward("set", "a/b", "--stdin", input=VALUE, check=True)
        self.assertIn("github-token", self.ward("get", "a/b", check=True).stdout.decode())
        self.assertEqual(self.ward("get", "a/b", "--reveal", check=True).stdout, VALUE.encode())
        self.ward("mv", "a/b", "a/c", check=True)
        self.ward("set", "a/c", "--stdin", input="second-value-xyz", check=True)
        self.ward("rollback", "a/c", "1", check=True)
        self.assertEqual(self.ward("get", "a/c", "--reveal").stdout, VALUE.encode())

    def test_unlock_twice_reports_already_unlocked(self):
        self.unlock()
        proc = self.ward("unlock", passphrase=True, check=True)
        self.assertIn("already unlocked", proc.stdout.decode())

    def test_wrong_passphrase_starts_no_agent(self):
        with open(self.passfile, "w") as f:
            f.write("definitely the wrong one\n")
        self.assert_error(self.ward("unlock", passphrase=True), 3, "wrong passphrase")
        self.assertFalse(json.loads(self.ward("status", "--json").stdout)["unlocked"])

    def test_unlock_without_terminal_or_source(self):
        proc = self.ward("unlock")
        self.assert_error(proc, 4, "no terminal")

    def test_bad_durations(self):
        self.assert_error(self.ward("unlock", "--ttl", "forever", passphrase=True), 2,
                          "invalid duration")

    def test_socket_dir_and_file_modes(self):
        self.unlock()
        path = sock_path(self)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode), 0o700)
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode) & 0o077, 0)

    def test_idle_timeout_locks(self):
        self.unlock("--idle", "2s")
        pid = self.agent_pid()
        self.assertTrue(wait_until(lambda: not pid_alive(pid), timeout=8))
        self.assert_error(self.ward("get", "x/y"), 4, "vault is locked")

    def test_ttl_locks_even_when_busy(self):
        self.unlock("--ttl", "3s", "--idle", "1h")
        pid = self.agent_pid()
        deadline = time.time() + 8
        while pid_alive(pid) and time.time() < deadline:
            self.ward("status")
            time.sleep(0.2)
        self.assertFalse(pid_alive(pid))

    def test_sigterm_cleans_up(self):
        self.unlock()
        path = sock_path(self)
        pid = self.agent_pid()
        os.kill(pid, 15)
        self.assertTrue(wait_until(lambda: not pid_alive(pid)))
        self.assertFalse(os.path.exists(path))

    def test_stale_socket_replaced(self):
        self.unlock()
        path = sock_path(self)
        pid = self.agent_pid()
        os.kill(pid, 9)
        self.assertTrue(wait_until(lambda: not pid_alive(pid)))
        self.assertTrue(os.path.exists(path))  # left behind by the crash
        self.assertFalse(json.loads(self.ward("status", "--json").stdout)["unlocked"])
        self.unlock()
        self.assertTrue(json.loads(self.ward("status", "--json").stdout)["unlocked"])

    def test_foreground_agent_refuses_second_instance(self):
        self.unlock()
        proc = self.ward("agent", passphrase=True, timeout=30)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("already running", proc.stderr.decode())


class Protocol(WardTestCase):
    def setUp(self):
        super().setUp()
        self.unlock()
        self.path = sock_path(self)

    def response(self, data):
        self.assertGreaterEqual(len(data), 4)
        n = struct.unpack(">I", data[:4])[0]
        return json.loads(data[4:4 + n])

    def test_unknown_request(self):
        r = self.response(raw_call(self.path, frame({"v": 1, "op": "steal_everything"})))
        self.assertFalse(r["ok"])
        self.assertIn("unknown request", r["error"]["message"])

    def test_malformed_requests_get_errors_agent_survives(self):
        cases = [frame(b"not json"), frame(b"[1,2,3]"), frame({"op": "status"}),
                 frame({"v": 99, "op": "status"}), frame({"v": 1, "op": "get"}),
                 frame({"v": 1, "op": "get", "path": 7}),
                 frame({"v": 1, "op": "set", "path": "a/b"}),
                 frame({"v": 1, "op": "set", "path": "a/b", "payload": "x"}),
                 struct.pack(">I", 2 * 1024 * 1024) + b"{}", b"\x00\x00"]
        for payload in cases:
            data = raw_call(self.path, payload)
            if data:
                self.assertFalse(self.response(data)["ok"], payload)
        self.assertTrue(json.loads(self.ward("status", "--json").stdout)["unlocked"])

    def test_several_clients_at_once(self):
        procs = [subprocess.Popen([WARD, "set", f"many/s{i}", "--stdin"], env=self.env,
                                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE) for i in range(16)]
        for i, p in enumerate(procs):
            p.communicate(f"value-number-{i:04d}".encode(), timeout=30)
            self.assertEqual(p.returncode, 0)
        rows = json.loads(self.ward("ls", "many", "--json").stdout)
        self.assertEqual(len(rows), 16)


    def test_stalled_client_does_not_hold_up_others(self):
        # Half a frame header, then silence: the agent must go on serving.
        stalled = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stalled.connect(self.path)
        stalled.sendall(b"\x00\x00")
        try:
            start = time.monotonic()
            r = self.response(raw_call(self.path, frame({"v": 1, "op": "status"})))
            self.assertTrue(r["ok"])
            self.assertLess(time.monotonic() - start, 3)
        finally:
            stalled.close()

    def test_pipelined_requests_answered_in_order(self):
        self.ward("set", "pipe/one", "--stdin", input=VALUE.encode(), check=True)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(self.path)
        s.sendall(frame({"v": 1, "op": "get", "path": "pipe/one", "reveal": False}) +
                  frame({"v": 1, "op": "status"}) +
                  frame({"v": 1, "op": "get", "path": "pipe/none", "reveal": False}))
        data = b""
        answers = []
        while len(answers) < 3:
            chunk = s.recv(65536)
            self.assertTrue(chunk, "agent closed early")
            data += chunk
            while len(data) >= 4 and len(data) >= 4 + struct.unpack(">I", data[:4])[0]:
                n = struct.unpack(">I", data[:4])[0]
                answers.append(json.loads(data[4:4 + n]))
                data = data[4 + n:]
        s.close()
        self.assertEqual(answers[0].get("path"), "pipe/one")
        self.assertNotIn(VALUE, json.dumps(answers[0]))
        self.assertIn("unlocked", answers[1])
        self.assertFalse(answers[2]["ok"])

    def test_client_gone_before_answer_is_still_recorded(self):
        self.ward("set", "gone/one", "--stdin", input=VALUE.encode(), check=True)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.path)
        s.sendall(frame({"v": 1, "op": "get", "path": "gone/one", "reveal": False}))
        s.close()
        def recorded():
            out = self.ward("audit", "query", "--secret", "gone/one", "--event", "get",
                            "--json").stdout
            return [json.loads(l) for l in out.splitlines() if l.strip()]
        self.assertTrue(wait_until(lambda: len(recorded()) == 1, timeout=10))
        self.assertTrue(json.loads(self.ward("status", "--json").stdout)["unlocked"])
        self.assertEqual(self.ward("audit", "verify").returncode, 0)


if __name__ == "__main__":
    unittest.main()
