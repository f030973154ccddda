"""Crash safety and concurrency: kill -9 during writes never damages the
vault or loses an acknowledged write; many writers at once all land."""

import json
import os
import random
import signal
import statistics
import subprocess
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

from wardtest import WardTestCase, WARD


class CrashSafety(WardTestCase):
    KILLS = int(os.environ.get("WARD_CRASH_KILLS", "200"))

    def start_set(self, path, value):
        p = subprocess.Popen([WARD, "--passphrase-file", self.passfile, "set", path, "--stdin"],
                             env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        p.stdin.write(value.encode())
        p.stdin.close()
        return p

    def test_kill9_during_set_loop(self):
        # Time a normal write so the kills land across its whole life,
        # including the SQLite transaction at its end.
        durations = []
        for i in range(5):
            t = time.monotonic()
            p = self.start_set(f"warm/k{i}", f"warm-value-{i:06d}")
            p.wait()
            durations.append(time.monotonic() - t)
        typical = statistics.median(durations)
        rng = random.Random(1234)
        acknowledged = {}
        killed_late = 0
        for i in range(self.KILLS):
            path, value = f"crash/k{i}", f"crash-value-{i:06d}-{rng.random():.6f}"
            p = self.start_set(path, value)
            delay = rng.uniform(0.3, 1.2) * typical
            try:
                p.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                p.send_signal(signal.SIGKILL)
                p.wait()
                killed_late += delay > 0.8 * typical
            out = p.stdout.read().decode()
            if p.returncode == 0 and "stored" in out:
                acknowledged[path] = value
            # After every kill the vault opens and lists.
            ls = self.ward("ls", "--json")
            self.assertEqual(ls.returncode, 0, ls.stderr)
        self.assertGreater(len(acknowledged), 0)
        self.assertLess(len(acknowledged), self.KILLS)  # some kills did land
        listed = {r["path"] for r in json.loads(self.ward("ls", "--json", check=True).stdout)}
        self.unlock()
        for path, value in acknowledged.items():
            self.assertIn(path, listed)
            got = self.ward("get", path, "--reveal", check=True).stdout.decode()
            self.assertEqual(got, value)


class Concurrency(WardTestCase):
    WRITERS = 8
    PER_WRITER = int(os.environ.get("WARD_CONCURRENCY_PER_WRITER", "500"))

    def test_eight_writers_through_agent(self):
        self.unlock()

        def writer(w):
            failures = []
            for i in range(self.PER_WRITER):
                p = subprocess.run([WARD, "set", f"w{w}/s{i:04d}", "--stdin"], env=self.env,
                                   input=f"value-{w}-{i:04d}-abcdef".encode(), capture_output=True)
                if p.returncode != 0:
                    failures.append(p.stderr.decode())
            return failures

        with ThreadPoolExecutor(self.WRITERS) as pool:
            failures = sum(pool.map(writer, range(self.WRITERS)), [])
        self.assertEqual(failures, [])
        rows = json.loads(self.ward("ls", "--json", check=True).stdout)
        self.assertEqual(len(rows), self.WRITERS * self.PER_WRITER)
        for w, i in [(0, 0), (7, self.PER_WRITER - 1), (3, self.PER_WRITER // 2)]:
            got = self.ward("get", f"w{w}/s{i:04d}", "--reveal", check=True).stdout.decode()
            self.assertEqual(got, f"value-{w}-{i:04d}-abcdef")


if __name__ == "__main__":
    unittest.main()
