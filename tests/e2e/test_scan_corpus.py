"""`ward scan files --json` on a generated source tree (tests/corpus/
gen_corpus.py, fixed seed): recall and precision against the tree's ground
truth, every planted kind found, exit status 1, and no planted value
anywhere in what ward prints. Scanning needs no vault: ward runs with a
throwaway home and config so nothing of the user's leaks in."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from wardtest import WARD

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus"))
import gen_corpus  # noqa: E402

SIZE = int(os.environ.get("WARD_CORPUS_BYTES", "8000000"))
SEED = 5
MIN_RECALL = 0.95
MIN_PRECISION = 0.95


class ScanCorpus(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ward-corpus-")
        cls.root = os.path.join(cls.tmp, "tree")
        cls.truth = gen_corpus.generate(cls.root, SIZE, SEED, os.path.join(cls.tmp, "truth.json"))
        env = dict(os.environ)
        env.update({
            "WARD_HOME": os.path.join(cls.tmp, "home"),
            "XDG_RUNTIME_DIR": cls.tmp,
            "XDG_CONFIG_HOME": os.path.join(cls.tmp, "config"),
            "XDG_STATE_HOME": os.path.join(cls.tmp, "state"),
            "NO_COLOR": "1",
        })
        cls.proc = subprocess.run([WARD, "scan", "files", "--json", cls.root], env=env, cwd=cls.tmp,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
        try:
            cls.report = json.loads(cls.proc.stdout)
        except ValueError:
            cls.report = None
            return
        cls.result = gen_corpus.score(cls.truth, gen_corpus.ward_findings(cls.report, cls.root))
        gen_corpus.print_score("ward", cls.result, out=sys.stderr)

    @classmethod
    def tearDownClass(cls):
        if not os.environ.get("WARD_KEEP_FAILED"):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.assertIsNotNone(self.report, "stdout is not one JSON object; stderr: %s"
                             % self.proc.stderr.decode(errors="replace")[-2000:])

    def test_exit_status_is_one_when_something_is_found(self):
        self.assertEqual(self.proc.returncode, 1, self.proc.stderr.decode(errors="replace")[-2000:])

    def test_report_shape(self):
        self.assertEqual(self.report["version"], 1)
        stats = self.report["stats"]
        self.assertEqual(stats["findings"], len(self.report["findings"]))
        self.assertEqual(stats["files"], self.truth["files"], "every generated file is scanned")
        self.assertEqual(stats["bytes"], self.truth["bytes"])
        for f in self.report["findings"]:
            self.assertTrue(f["path"].startswith(self.root + "/"), f["path"])
            self.assertGreaterEqual(f["line"], 1)
            self.assertGreaterEqual(f["column"], 1)

    def test_recall(self):
        self.assertGreaterEqual(self.result["recall"], MIN_RECALL, json.dumps(
            {"missed_kinds": self.result["missed_kinds"], "examples": self.result["miss_examples"]},
            indent=1))

    def test_precision(self):
        self.assertGreaterEqual(self.result["precision"], MIN_PRECISION, json.dumps(
            {"by_cause": self.result["false_positives_by_cause"],
             "by_rule": self.result["false_positives_by_rule"],
             "examples": self.result["false_positive_examples"]}, indent=1))

    def test_every_planted_kind_is_found(self):
        rules = gen_corpus.Rules()
        planted = set(self.result["kinds"])
        self.assertEqual(planted, set(r.id for r in rules.rules), "the corpus plants every kind")
        never = sorted(k for k, v in self.result["kinds"].items() if not v["found"])
        self.assertEqual(never, [])

    def test_no_planted_value_is_printed(self):
        printed = self.proc.stdout + self.proc.stderr
        leaked = sorted(set(s["kind"] for s in self.truth["secrets"] if s["secret"].encode() in printed))
        self.assertEqual(leaked, [])


if __name__ == "__main__":
    unittest.main()
