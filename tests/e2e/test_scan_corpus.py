"""`ward scan files --json` on a generated source tree (tests/corpus/
gen_corpus.py, fixed seed): recall and precision against the tree's ground
truth, every planted kind found, exit status 1, and no planted value
anywhere in what ward prints. Scanning needs no vault: ward runs with a
throwaway home and config so nothing of the user's leaks in."""

import base64
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
            "XDG_CACHE_HOME": os.path.join(cls.tmp, "cache"),
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


class CorpusScoring(unittest.TestCase):
    """The generator and the scoring themselves, without ward."""

    def test_same_seed_same_tree_and_truth(self):
        def digest(seed):
            tmp = tempfile.mkdtemp(prefix="ward-corpus-")
            try:
                truth = gen_corpus.generate(os.path.join(tmp, "tree"), 200000, seed,
                                            os.path.join(tmp, "truth.json"))
                files = {}
                for dirpath, _, names in os.walk(os.path.join(tmp, "tree")):
                    for n in names:
                        with open(os.path.join(dirpath, n), "rb") as fh:
                            files[os.path.relpath(os.path.join(dirpath, n), tmp)] = fh.read()
                return truth, files
            finally:
                shutil.rmtree(tmp)
        a, b, c = digest(3), digest(3), digest(4)
        self.assertEqual(a, b)
        self.assertNotEqual(a[1], c[1])
        truth, files = a
        self.assertEqual(len(files), truth["files"])
        for s in truth["secrets"]:
            lines = files["tree/" + s["path"]].decode().split("\n")
            block = "\n".join(lines[s["first_line"] - 1:s["end_line"]])
            if s["encoding"] == "base64":
                self.assertIn(base64.b64encode(s["secret"].encode()).decode(), lines[s["line"] - 1])
            else:
                self.assertIn(s["secret"].split("\n")[0], lines[s["line"] - 1])
                self.assertTrue(s["secret"] in block or "\n" in s["secret"], s)

    def test_score_counts_blocks_decoys_and_filler(self):
        truth = {"secrets": [
            {"path": "a.env", "line": 2, "first_line": 2, "end_line": 2, "kind": "github-pat",
             "secret": "s1", "encoding": None},
            {"path": "k.pem", "line": 1, "first_line": 1, "end_line": 5, "kind": "private-key-rsa",
             "secret": "s2", "encoding": None},
            {"path": "a.env", "line": 9, "first_line": 9, "end_line": 9, "kind": "gcp-api-key",
             "secret": "s3", "encoding": None}],
            "decoys": [{"path": "a.env", "line": 4, "first_line": 4, "end_line": 4, "kind": "dummy"}]}
        findings = [("a.env", 2, "generic-api-key"), ("a.env", 2, "github-pat"), ("k.pem", 3, "x"),
                    ("a.env", 4, "generic-api-key"), ("a.env", 5, "generic-api-key"),
                    ("b.env", 2, "github-pat")]
        r = gen_corpus.score(truth, findings)
        self.assertEqual((r["planted"], r["found"], r["true_positives"], r["false_positives"]), (3, 2, 3, 3))
        self.assertEqual(dict(r["false_positives_by_cause"]), {"dummy": 1, "filler": 2})
        self.assertEqual(r["kinds"]["github-pat"], {"planted": 1, "found": 1, "exact": 1})
        self.assertEqual(r["kinds"]["private-key-rsa"], {"planted": 1, "found": 1, "exact": 0})
        self.assertEqual(list(r["missed_kinds"]), ["gcp-api-key"])
        self.assertAlmostEqual(r["recall"], 2 / 3.0)
        self.assertAlmostEqual(r["precision"], 0.5)

    def test_rules_parse_like_the_rules_file_says(self):
        rules = gen_corpus.Rules()
        self.assertGreaterEqual(len(rules.rules), 150)
        for rule in rules.rules:
            for text, secret in rule.positives:
                self.assertTrue(gen_corpus.rule_finds(rules, rule, text, secret), (rule.id, text))
            for text in rule.negatives:
                self.assertEqual(gen_corpus.rule_findings(rules, rule, text), [], (rule.id, text))


if __name__ == "__main__":
    unittest.main()
