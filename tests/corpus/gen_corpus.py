#!/usr/bin/env python3
"""A deterministic corpus for ward's exposure scanner, and its scoring.

Generate (python3 standard library only):

    gen_corpus.py --out DIR --size BYTES --seed N [--truth FILE] [--rules YAML]

writes a tree of source-like files under DIR (Python, JS/TS, Go, Java, .env,
YAML, JSON, TOML, INI, shell, Dockerfiles, logs, Markdown, key files) and the
ground truth to FILE (default DIR/../truth.json, outside the tree). The same
seed and size always give the same bytes.

Secrets of every kind rules/default.yaml supports are planted: each rule's
positive samples, with the secret's characters re-drawn within their class
(digit, lower, upper; hexadecimal runs stay hexadecimal; punctuation and the
characters the regex needs literally are kept). Which positions may change
is learnt per sample by mutating them and re-running the rule, and every
planted value is verified, in the lines it is planted as, against the rule
through a reference implementation of the scanner's pipeline (the one in
tools/check_rules.py: keywords, regex, secret group, entropy, allow-lists);
when no mutation passes, the sample's own secret is planted. Every kind is
planted at least once; common kinds (cloud keys, VCS and chat tokens, AI
keys, private keys, passwords, connection strings) are drawn more often.
A few self-identifying secrets are planted base64-encoded (Kubernetes Secret
data), recorded with "encoding": "base64".

Decoys, which must not be reported: the rules' negative samples (those no
rule reports: some are another rule's positives, e.g. a truncated token
under a *_TOKEN name), dummy values (your-api-key-here, runs of x, the AWS
documentation keys, sk-...abcd, <token>, changeme), references (${VAR},
${{ secrets.X }}, {{ template }}, os.environ, secretKeyRef, op://) and
high-entropy values that are not secrets where they usually are (git SHAs,
UUIDs, checksums, image digests, Subresource Integrity hashes, public keys,
certificates, publishable keys). The filler around them is code and
configuration with the same kinds of values.

truth.json:
    {"version": 1, "seed": N, "size": BYTES, "files": N, "bytes": N,
     "kinds": N, "stats": {...},
     "secrets": [{"path": relative, "line": 1-based line of the secret,
                  "first_line": N, "end_line": N (the planted block),
                  "kind": rule id, "secret": value,
                  "encoding": null | "base64"}],
     "decoys":  [{"path", "line", "first_line", "end_line",
                  "kind": "negative:RULE" | "dummy" | "reference" | "entropy"}]}

Score a scanner's report against it:

    gen_corpus.py score --truth FILE --root DIR (--ward REPORT.json |
                        --secretlint REPORT.json) [--name NAME] [--json OUT]

A planted secret is found when a finding has its path and a line within
its planted block; a finding is a true positive when it finds a planted
secret, otherwise a false positive (classified by the decoy on its line, or
"filler"). The rule id need not match: per kind, the report shows how many
were found by the rule of that id. Prints recall, precision, the kinds
missed and the false positives by cause; --json writes the same as JSON.
The module's generate() and score() are importable (tests/e2e and bench/).
"""

import argparse
import base64
import json
import math
import os
import random
import re
import sys
from collections import Counter, OrderedDict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from rule_regex import to_python  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_RULES = os.path.normpath(os.path.join(HERE, "..", "..", "rules", "default.yaml"))
RE_FLAGS = re.ASCII | re.MULTILINE

# ---------------------------------------------------------------------------
# The rules file: the subset of YAML rules/default.yaml is written in (block
# mappings and sequences, flow sequences, plain, single- and double-quoted
# scalars, | block scalars, comments), parsed without PyYAML.

_KEY_RE = re.compile(r"([A-Za-z_][\w.-]*):(?:[ \t]|$)")
_INT_RE = re.compile(r"[-+]?[0-9]+\Z")
_FLOAT_RE = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\Z")


class YamlError(ValueError):
    pass


class _Yaml(object):
    def __init__(self, text):
        self.lines = text.split("\n")
        self.i = 0

    def parse(self):
        if not self._skip():
            return None
        node = self._node(self._indent())
        if self._skip():
            raise YamlError("line %d: unexpected content" % (self.i + 1))
        return node

    def _skip(self):
        while self.i < len(self.lines):
            s = self.lines[self.i].strip()
            if s and not s.startswith("#"):
                return True
            self.i += 1
        return False

    def _indent(self):
        line = self.lines[self.i]
        return len(line) - len(line.lstrip(" "))

    def _is_item(self, col):
        line = self.lines[self.i]
        return line[col:col + 1] == "-" and line[col + 1:col + 2] in (" ", "")

    def _node(self, col):
        if self._is_item(col):
            return self._seq(col)
        if _KEY_RE.match(self.lines[self.i], col):
            return self._map(col)
        return self._value(self.lines[self.i][col:], col - 1)

    def _seq(self, col):
        items = []
        while self._skip() and self._indent() == col and self._is_item(col):
            line = self.lines[self.i]
            rest = line[col + 1:]
            if not rest.strip() or rest.strip().startswith("#"):
                self.i += 1
                if not self._skip() or self._indent() <= col:
                    items.append(None)
                    continue
                items.append(self._node(self._indent()))
            else:
                inner = col + 1 + len(rest) - len(rest.lstrip(" "))
                self.lines[self.i] = " " * inner + line[inner:]
                items.append(self._node(inner))
        return items

    def _map(self, col):
        out = OrderedDict()
        while self._skip() and self._indent() == col:
            line = self.lines[self.i]
            m = _KEY_RE.match(line, col)
            if not m:
                break
            key = m.group(1)
            if key in out:
                raise YamlError("line %d: duplicate key %r" % (self.i + 1, key))
            rest = line[m.end():].strip()
            if not rest or rest.startswith("#"):
                self.i += 1
                if self._skip() and (self._indent() > col or
                                     (self._indent() == col and self._is_item(col))):
                    out[key] = self._node(self._indent())
                else:
                    out[key] = None
            else:
                out[key] = self._value(rest, col)
        return out

    def _value(self, rest, col):
        """A scalar or flow sequence starting at rest (on line self.i)."""
        rest = rest.strip()
        if rest.startswith("|"):
            return self._block(rest, col)
        if rest.startswith("[") or rest.startswith("'") or rest.startswith('"'):
            text = rest
            while True:
                try:
                    value, end = _flow(text, 0)
                    break
                except IndexError:
                    self.i += 1
                    if self.i >= len(self.lines):
                        raise YamlError("unterminated flow value")
                    text += "\n" + self.lines[self.i]
            tail = text[end:].strip()
            if tail and not tail.startswith("#"):
                raise YamlError("line %d: trailing text %r" % (self.i + 1, tail))
            self.i += 1
            return value
        self.i += 1
        return _plain(re.split(r"\s#", rest, 1)[0].strip())

    def _block(self, header, col):
        chomp = header[1:2]
        self.i += 1
        body, ind = [], None
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if not line.strip():
                body.append("")
                self.i += 1
                continue
            n = len(line) - len(line.lstrip(" "))
            if ind is None:
                if n <= col:
                    break
                ind = n
            if n < ind:
                break
            body.append(line[ind:])
            self.i += 1
        while body and body[-1] == "":
            body.pop()
        text = "\n".join(body)
        if chomp == "-":
            return text
        return text + "\n" if text else ""


def _plain(s):
    if s in ("null", "~", ""):
        return None
    if s in ("true", "True"):
        return True
    if s in ("false", "False"):
        return False
    if _INT_RE.match(s):
        return int(s)
    if _FLOAT_RE.match(s):
        return float(s)
    return s


def _fold(s):
    """YAML line folding inside a quoted scalar: a line break is a space,
    an empty line a newline, indentation dropped."""
    if "\n" not in s:
        return s
    parts = s.split("\n")
    out = parts[0].rstrip(" \t")
    blank = 0
    for p in parts[1:]:
        p = p.strip(" \t")
        if not p:
            blank += 1
            continue
        out += ("\n" * blank) if blank else " "
        out += p
        blank = 0
    return out


_DQ_ESC = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "/": "/", " ": " ",
           "a": "\a", "b": "\b", "e": "\x1b", "f": "\f", "v": "\v"}


def _flow(s, i):
    """Parses a quoted scalar or flow sequence at s[i]; IndexError when s ends first."""
    c = s[i]
    if c == "'":
        j, out = i + 1, []
        while True:
            k = s.index("'", j)
            out.append(s[j:k])
            if s[k + 1:k + 2] == "'":
                out.append("'")
                j = k + 2
                continue
            return _fold("".join(out)), k + 1
    if c == '"':
        j, out = i + 1, []
        while True:
            ch = s[j]
            if ch == '"':
                return _fold("".join(out)), j + 1
            if ch == "\\":
                e = s[j + 1]
                if e == "x":
                    out.append(chr(int(s[j + 2:j + 4], 16)))
                    j += 4
                elif e == "u":
                    out.append(chr(int(s[j + 2:j + 6], 16)))
                    j += 6
                elif e in _DQ_ESC:
                    out.append(_DQ_ESC[e])
                    j += 2
                else:
                    raise YamlError("unknown escape \\%s" % e)
                continue
            out.append(ch)
            j += 1
    if c == "[":
        items, j = [], i + 1
        while True:
            while s[j] in " \t\n":
                j += 1
            if s[j] == "]":
                return items, j + 1
            if s[j] in "'\"[":
                v, j = _flow(s, j)
            else:
                k = j
                while s[k] not in ",]":
                    k += 1
                v, j = _plain(s[j:k].strip()), k
            items.append(v)
            while s[j] in " \t\n":
                j += 1
            if s[j] == ",":
                j += 1
            elif s[j] != "]":
                raise YamlError("bad flow sequence near %r" % s[j:j + 20])
    raise YamlError("not a flow value: %r" % s[i:i + 20])


def load_yaml(text):
    return _Yaml(text).parse()


# ---------------------------------------------------------------------------
# Rules and the reference pipeline (rules/default.yaml's header; the same as
# tools/check_rules.py's).


class Allow(object):
    def __init__(self, d):
        d = d or {}
        self.stopwords = list(d.get("stopwords") or [])
        self.regexes = [re.compile(to_python(x), RE_FLAGS) for x in d.get("regexes") or []]
        self.paths = [re.compile(to_python(x), RE_FLAGS) for x in d.get("paths") or []]


class Rule(object):
    def __init__(self, d):
        self.id = d["id"]
        self.rx = re.compile(to_python(d["regex"]), RE_FLAGS)
        self.group = int(d.get("secret_group") or 0)
        self.keywords = list(d.get("keywords") or [])
        self.entropy = float(d.get("entropy") or 0.0)
        self.tags = list(d.get("tags") or [])
        self.allow = Allow(d.get("allow"))
        samples = d.get("samples") or {}
        self.positives = [(s["text"], s["secret"]) for s in samples.get("positive") or []
                          if s.get("secret")]
        self.negatives = list(samples.get("negative") or [])


class Rules(object):
    def __init__(self, path=DEFAULT_RULES):
        with open(path, encoding="utf-8") as f:
            doc = load_yaml(f.read())
        self.allow = Allow(doc.get("allow"))
        self.rules = [Rule(d) for d in doc["rules"]]
        self.by_id = OrderedDict((r.id, r) for r in self.rules)


def shannon(s):
    if not s:
        return 0.0
    n = float(len(s))
    return -sum((k / n) * math.log2(k / n) for k in Counter(s).values())


def suppressed(rules, rule, secret, path):
    if rule.entropy and shannon(secret) < rule.entropy:
        return True
    low = secret.lower()
    for al in (rules.allow, rule.allow):
        if any(w in low for w in al.stopwords):
            return True
        if any(rx.search(secret) for rx in al.regexes):
            return True
    if path is not None:
        for al in (rules.allow, rule.allow):
            if any(rx.search(path) for rx in al.paths):
                return True
    return False


def rule_findings(rules, rule, text, path=None):
    """(start, end) of every secret rule reports in text."""
    out = []
    low = text.lower()
    if not any(k in low for k in rule.keywords):
        return out
    for m in rule.rx.finditer(text):
        s = m.group(rule.group)
        if not s:
            continue
        whole = m.group(0).lower()
        if not any(k in whole for k in rule.keywords):
            continue
        if not suppressed(rules, rule, s, path):
            out.append((m.start(rule.group), m.end(rule.group)))
    return out


def rule_finds(rules, rule, text, secret, path=None):
    """Whether rule reports exactly secret somewhere in text."""
    return any(text[a:b] == secret for a, b in rule_findings(rules, rule, text, path))


# ---------------------------------------------------------------------------
# Secrets to plant: a rule's positive sample with the positions of its secret
# that may be re-drawn. Learnt by mutating chunks of positions and re-running
# the rule (a chunk that keeps matching is free; one that breaks it is split
# down to single positions); a single position that breaks it keeps only the
# characters that still match (so "AKIA" keeps its literal letters and a
# [A-Z2-7] run loses 0, 1, 8, 9).

DIGITS = "0123456789"
LOWER = "abcdefghijklmnopqrstuvwxyz"
UPPER = LOWER.upper()
_ALNUM_RUN = re.compile(r"[A-Za-z0-9]+")


def _is_hex(s):
    return len(s) >= 8 and all(c in "abcdefABCDEF" for c in s if c.isalpha())


def _pools(secret):
    """The characters each position may become; None where it stays."""
    pools = [None] * len(secret)
    all_hex = _is_hex("".join(_ALNUM_RUN.findall(secret)))  # UUIDs, hex digests
    for m in _ALNUM_RUN.finditer(secret):
        run = m.group(0)
        hexrun = all_hex or _is_hex(run)
        for k, c in enumerate(run, m.start()):
            if c.isdigit():
                pools[k] = DIGITS
            elif c.islower():
                pools[k] = "abcdef" if hexrun else LOWER
            else:
                pools[k] = "ABCDEF" if hexrun else UPPER
    return pools


class Template(object):
    """A positive sample: text, secret, and what each free position may be."""

    def __init__(self, rules, rule, text, secret, seed):
        self.rule, self.text, self.secret = rule, text, secret
        self.free = OrderedDict()  # position -> characters it may take
        self.self_identifying = "\n" not in secret and rule_finds(rules, rule, secret, secret)
        rng = random.Random("%s/%s/%s" % (seed, rule.id, secret))
        pools = _pools(secret)

        def passes(changes):
            # The regex alone (the allow-lists rarely care about one class-
            # preserving change); draw() results are verified in full.
            s = list(secret)
            for k, c in changes:
                s[k] = c
            m = "".join(s)
            return any(x.group(rule.group) == m for x in rule.rx.finditer(text.replace(secret, m)))

        def chunk_ok(chunk):
            return len(chunk) > 4 and all(passes([(k, rng.choice(pools[k])) for k in chunk])
                                          for _ in range(12))

        cands = [k for k in range(len(secret)) if pools[k]]
        stack = [cands[i:i + 16] for i in range(0, len(cands), 16)][::-1]
        while stack:
            chunk = stack.pop()
            if chunk_ok(chunk):
                for k in chunk:
                    self.free[k] = pools[k]
            elif len(chunk) > 4:
                half = len(chunk) // 2
                stack.append(chunk[half:])
                stack.append(chunk[:half])
            else:
                for k in chunk:
                    keep = "".join(c for c in pools[k] if c == secret[k] or passes([(k, c)]))
                    if len(keep) > 1:
                        self.free[k] = keep
        self.free = OrderedDict(sorted(self.free.items()))

    def draw(self, rng):
        s = list(self.secret)
        for k, pool in self.free.items():
            s[k] = rng.choice(pool)
        return "".join(s)


# ---------------------------------------------------------------------------
# Where a line is natural. A sample `NAME=value`, `NAME: value`, `"name":
# "value"` or `name = value` is an assignment, rewritten into the syntax of
# the file it lands in; any other line goes where its shape says (commands
# to shell scripts and Markdown, headers and JSON lines to logs, code to
# source files). Each placement is kept only when the rule still reports
# the secret in it.

_KV_RE = re.compile(r"""^\s*(export\s+)?"?([A-Za-z_][A-Za-z0-9_.-]*)"?(\s*)(=|:)(\s*)(?:'([^']*)'|"([^"]*)"|([^\s'"]+))\s*,?\s*$""")

# (file type, form, weight): {N} the name as written, {n} in lower case,
# {V} the value, {ts} a timestamp.
KV_FORMS = [
    ("env", "{N}={V}", 10), ("env", '{N}="{V}"', 4),
    ("sh", "export {N}={V}", 4), ("sh", "export {N}='{V}'", 2),
    ("dockerfile", "ENV {N}={V}", 2),
    ("yaml", "{N}: {V}", 5), ("yaml", "  {N}: \"{V}\"", 4), ("yaml", "      - {N}={V}", 3),
    ("json", '  "{N}": "{V}"', 7),
    ("py", '{N} = "{V}"', 6), ("py", "os.environ.setdefault(\"{N}\", \"{V}\")", 2),
    ("py", '    {n}="{V}",', 2),
    ("js", "const {N} = '{V}';", 4), ("js", "  {n}: '{V}',", 3),
    ("ts", 'export const {N} = "{V}";', 4),
    ("go", '\t{N} = "{V}"', 3),
    ("java", '    private static final String {N} = "{V}";', 4),
    ("toml", '{n} = "{V}"', 3), ("ini", "{n} = {V}", 2), ("properties", "{n}={V}", 2),
    ("log", "{ts} DEBUG config loaded {N}={V}", 2),
    ("md", "```bash\nexport {N}={V}\n```", 2),
]

_CMD_RE = re.compile(r"^(?:curl|wget|git|docker|mysql\w*|psql|sshpass|npm|npx|pip|dotnet|oc|echo|helm|"
                     r"kubectl|aws|gcloud|az|heroku|terraform|ssh|scp|redis-cli|mongosh|http|--set)\b")
_HEADER_RE = re.compile(r"^(?:Authorization|Cookie|Set-Cookie|X-[\w-]+|[A-Za-z]+-[\w-]+):\s")
_URL_RE = re.compile(r"^[a-z][\w+.-]*://|^jdbc:|^Driver=|^[A-Za-z]+=[^;]*;")

LINE_FORMS = {
    "json_line": [("log", "{L}", 6), ("log", "{ts} {L}", 2)],
    "json_member": [("json", "  {L}", 8), ("js", "  {L}", 2)],
    "command": [("sh", "{L}", 6), ("md", "```bash\n{L}\n```", 4), ("log", "{ts} INFO exec: {L}", 1),
                ("dockerfile", "RUN {L}", 1)],
    "header": [("log", "{ts} DEBUG > {L}", 6), ("md", "```http\nGET /v1/items HTTP/1.1\n{L}\n```", 3)],
    "url": [("env", "DATABASE_URL={L}", 3), ("yaml", "url: {L}", 3), ("py", 'DSN = "{L}"', 3),
            ("log", "{ts} INFO connecting to {L}", 2), ("properties", "spring.datasource.url={L}", 1)],
    "npmrc": [("npmrc", "{L}", 1)],
    "netrc": [("netrc", "{L}", 3), ("txt", "{L}", 1)],
    "code": [("py", "{L}", 4), ("js", "{L}", 4), ("ts", "{L}", 2), ("go", "\t{L}", 1), ("java", "        {L}", 1)],
    "other": [("log", "{ts} INFO {L}", 3), ("md", "```\n{L}\n```", 2), ("txt", "{L}", 2),
              ("yaml", "{L}", 2), ("env", "{L}", 2)],
}
LINE_FALLBACK = [("txt", "{L}", 1)]
# Multi-line samples: own files, or blocks in YAML, .env and Markdown.
BLOCK_FORMS = {
    "pem": [("key", "{B}", 8), ("yaml", "private_key: |\n{B2}", 2), ("env", 'PRIVATE_KEY="{B}"', 1),
            ("md", "```\n{B}\n```", 1)],
    "yaml": [("yaml", "{B}", 1)],
    "netrc": [("netrc", "{B}", 1)],
    "other": [("key", "{B}", 2), ("txt", "{B}", 1)],
}


def _shape(text):
    if "\n" in text.strip("\n"):
        t = text.lstrip()
        if t.startswith("-----BEGIN") or t.startswith("---- BEGIN") or t.startswith("PuTTY"):
            return "pem"
        if t.startswith("machine "):
            return "netrc"
        if re.match(r"[a-z]+:\s*$", t.split("\n", 1)[0]):
            return "yaml"
        return "other"
    s = text.strip()
    if s.startswith("//") and ":_" in s:
        return "npmrc"
    if s.startswith("machine "):
        return "netrc"
    if s.startswith("{"):
        return "json_line"
    if s.startswith('"'):
        return "json_member"
    if _CMD_RE.match(s):
        return "command"
    if _HEADER_RE.match(s):
        return "header"
    if _URL_RE.match(s):
        return "url"
    if re.search(r"[(){};]|\bconst\b|\bnew\b|:=", s):
        return "code"
    return "other"


def _fill_form(form, text, ts):
    if "{B2}" in form:
        return form.replace("{B2}", "\n".join("  " + x for x in text.strip("\n").split("\n")))
    return form.replace("{B}", text.strip("\n")).replace("{L}", text.strip()).replace("{ts}", ts)


def placements(text):
    """(file type, function(text, ts) -> lines, weight) for a sample text."""
    out = []
    m = _KV_RE.match(text) if "\n" not in text else None
    if m:
        name = m.group(2)
        value = next(v for v in (m.group(6), m.group(7), m.group(8)) if v is not None)
        for ftype, form, w in KV_FORMS:
            if ('"' in form and '"' in value) or ("'" in form and "'" in value):
                continue

            def render(t, ts, form=form, name=name):
                v = next(x for x in _KV_RE.match(t).group(6, 7, 8) if x is not None)
                return form.replace("{N}", name).replace("{n}", name.lower()) \
                    .replace("{V}", v).replace("{ts}", ts).split("\n")
            out.append((ftype, render, w))
        return out
    shape = _shape(text)
    forms = BLOCK_FORMS.get(shape) if "\n" in text.strip("\n") else LINE_FORMS[shape]
    for ftype, form, w in forms + (LINE_FALLBACK if "\n" not in text.strip("\n") else []):
        out.append((ftype, lambda t, ts, form=form: _fill_form(form, t, ts).split("\n"), w))
    return out


# ---------------------------------------------------------------------------
# Filler: code and configuration around the plants. Templates are written
# with {=field} markers (any other brace is literal); every field is
# drawn afresh where it appears.

WORDS = """account address admin agent alert alias amount archive asset audit backup balance batch
billing blob block body bucket buffer build bundle cache callback campaign cart catalog category
channel chart check child client cluster code column comment commit config connection consumer
contact container content context controller count country coupon credit cron cursor customer
dashboard data database dataset date debug default delivery deploy device diff digest directory
discount dispatch document domain draft driver email employee endpoint engine entry environment
error event export feature feed field file filter flag folder form format frame gateway group
handler header health history host image import index input instance interval invoice item job
journal label language layer layout lead ledger level limit link listener locale location manager
manifest map market media member menu message metadata metric migration mode model module monitor
node note notification offset order owner package page parser partner patch path payload payment
peer period permission pipeline plan platform plugin policy pool port post preference price
product profile project property provider proxy queue quota range rate reader record region
registry release report repository request resource response result retry review role route rule
scheduler schema scope score search section segment sender sequence server service session setting
shard shipment signal snapshot source span stage state status step storage store stream
subscription summary supplier table tag task team template tenant thread ticket timeline timer
topic trace tracker transaction transfer trigger type unit update upload usage user validator value
variant version view visitor volume warehouse webhook widget window worker workflow workspace zone""".split()
VERBS = """add apply build check clean close collect compute convert copy create decode delete deliver
detect emit encode enqueue ensure fetch filter find flush format get handle index init load lookup
merge migrate normalize notify open parse patch poll prepare process publish read refresh register
reload remove render replace reset resolve restore retry return run save scan schedule send
serialize set sort split start stop store sync track transform trim update upload validate verify
wait wrap write""".split()
ADJS = """active archived async cached current default deleted disabled empty enabled expired external
failed first global hidden initial internal last latest local main missing new next old optional
pending primary private public raw ready remote required retired shared stale temporary unique
upstream valid visible""".split()
PREPS = ["for", "from", "into", "with", "before", "after", "when", "unless", "per", "across"]
TLDS = ["com", "io", "dev", "net", "org", "cloud", "internal"]
MODULES = ["os", "sys", "json", "time", "logging", "hashlib", "base64", "uuid", "datetime", "typing",
           "asyncio", "pathlib", "functools", "itertools", "collections", "dataclasses", "requests",
           "sqlalchemy", "pydantic", "fastapi", "django.db", "flask", "boto3", "redis", "celery"]
NPM = ["react", "react-dom", "axios", "lodash", "express", "zod", "vitest", "jest", "next", "vue",
       "dayjs", "uuid", "pino", "ioredis", "pg", "knex", "prisma", "graphql", "rxjs", "yup"]
IMAGES = ["nginx", "redis", "postgres", "node", "python", "golang", "alpine", "debian", "busybox",
          "grafana/grafana", "prom/prometheus", "envoyproxy/envoy", "bitnami/kafka", "rabbitmq"]
LEVELS = ["INFO", "INFO", "INFO", "DEBUG", "DEBUG", "WARN", "ERROR"]
METHODS = ["GET", "GET", "GET", "POST", "PUT", "DELETE", "PATCH"]
STATUSES = ["200", "200", "200", "201", "204", "301", "304", "400", "401", "403", "404", "409",
            "429", "500", "502", "503"]
AGENTS = ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
          "curl/8.5.0", "python-requests/2.31.0", "Go-http-client/2.0", "kube-probe/1.29",
          "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Version/17.4 Safari/605.1.15"]


ALNUM = DIGITS + LOWER + UPPER


class Fields(dict):
    """A format_map source: each {field} is drawn afresh."""

    def __init__(self, rng):
        dict.__init__(self)
        rand, bits = rng.random, rng.getrandbits
        W, V, A = WORDS, VERBS, ADJS

        def ch(seq):
            return seq[int(rand() * len(seq))]

        def ri(lo, hi):
            return lo + int(rand() * (hi - lo + 1))

        def b64(lo, hi):
            n = ri(lo, hi)
            return base64.b64encode(bits(8 * n).to_bytes(n, "little")).decode()

        def sentence():
            s = "%s the %s %s %s %s the %s" % (ch(V), ch(A), ch(W), ch(W), ch(PREPS), ch(W))
            if rand() < 0.3:
                s += " so the %s %s can %s it" % (ch(W), ch(W), ch(V))
            return s

        nums = ("0", "1", "2", "3", "5", "8", "10", "16", "30", "32", "60", "64", "100", "128", "256",
                "500", "1000", "1024", "3600", "8080")
        self.fns = {
            "id": lambda: "%s_%s" % (ch(V) if rand() < 0.5 else ch(A), ch(W)),
            "Id": lambda: (ch(A) if rand() < 0.4 else ch(W)).capitalize() + ch(W).capitalize(),
            "iD": lambda: ch(V) + ch(W).capitalize() + (ch(W).capitalize() if rand() < 0.3 else ""),
            "w": lambda: ch(W), "v": lambda: ch(V),
            "CONST": lambda: ("%s_%s" % (ch(W), ch(W))).upper(),
            "sentence": sentence, "Sentence": lambda: sentence().capitalize() + ".",
            "num": lambda: ch(nums) if rand() < 0.8 else str(ri(2, 9999)),
            "big": lambda: str(ri(10 ** 5, 10 ** 12)),
            "uuid": lambda: "%08x-%04x-4%03x-%04x-%012x" % (bits(32), bits(16), bits(12),
                                                           0x8000 | bits(14), bits(48)),
            "sha": lambda: "%040x" % bits(160),
            "sha256": lambda: "%064x" % bits(256),
            "md5": lambda: "%032x" % bits(128),
            "short": lambda: "%07x" % bits(28),
            "oid": lambda: "%024x" % bits(96),
            "b64": lambda: b64(24, 90),
            "b64s": lambda: b64(12, 30),
            "b64l": lambda: b64(120, 300),
            "alnum": lambda: "".join(ch(ALNUM) for _ in range(ri(24, 34))),
            "host": lambda: "%s.%s.%s" % (ch(W), ch(W), ch(TLDS)),
            "url": lambda: "https://%s.%s.%s/%s/%s" % (ch(("api", "www", "cdn", "docs", ch(W))), ch(W),
                                                       ch(TLDS), ch(W), ch(W)),
            "email": lambda: "%s.%s@%s.com" % (ch(W), ch(W), ch(W)),
            "ip": lambda: "10.%d.%d.%d" % (ri(0, 255), ri(0, 255), ri(1, 254)),
            "ts": lambda: "2024-%02d-%02dT%02d:%02d:%02d.%03dZ" % (ri(1, 12), ri(1, 28), ri(0, 23),
                                                                ri(0, 59), ri(0, 59), ri(0, 999)),
            "date": lambda: "2024-%02d-%02d" % (ri(1, 12), ri(1, 28)),
            "ver": lambda: "%d.%d.%d" % (ri(0, 9), ri(0, 30), ri(0, 40)),
            "level": lambda: ch(LEVELS), "method": lambda: ch(METHODS), "status": lambda: ch(STATUSES),
            "ms": lambda: str(ri(1, 2500)), "agent": lambda: ch(AGENTS),
            "mod": lambda: ch(MODULES), "npm": lambda: ch(NPM), "image": lambda: ch(IMAGES),
            "bool": lambda: ch(("true", "false")), "Bool": lambda: ch(("True", "False")),
        }

    def __missing__(self, key):
        return self.fns[key]()


def _compile(template):
    """{=field} marks a field; every other brace is literal."""
    t = template.replace("{", "{{").replace("}", "}}")
    return re.sub(r"\{\{=(\w+)\}\}", r"{\1}", t)


def _templates(*items):
    """(weight, template) pairs -> (cumulative weights, compiled)."""
    weights, out, acc = [], [], 0
    for w, t in items:
        acc += w
        weights.append(acc)
        out.append(_compile(t))
    return weights, out


# Per file type: a head, weighted blocks (each a chunk plants may go
# between), and a tail.
FILLER = {}

FILLER["py"] = (
    ['"""{=Sentence}\n\n{=Sentence}\n"""\nfrom __future__ import annotations\n\nimport {=mod}\n'
     'import {=mod}\nfrom {=mod} import {=Id}, {=id}\n\nlogger = logging.getLogger(__name__)\n',
     '# {=Sentence}\nimport os\nimport {=mod}\n\nfrom .{=w} import {=Id}\n'],
    _templates(
        (10, 'def {=id}({=id}, {=id}: int = {=num}) -> {=Id}:\n    """{=Sentence}"""\n'
             '    {=id} = {=id}.get("{=id}", {=num})\n    if not {=id}:\n'
             '        logger.debug("{=sentence}: %s", {=id})\n        return None\n'
             '    for {=id} in {=id}:\n        {=id}.{=id}({=id}, timeout={=num})\n'
             '    return {=Id}({=id}={=id}, {=id}="{=w}")\n'),
        (8, 'class {=Id}({=Id}):\n    """{=Sentence}\n\n    {=Sentence}\n    """\n\n'
            '    {=id}: str = "{=w}"\n    {=id}: int = {=num}\n\n    def __init__(self, {=id}, {=id}=None):\n'
            '        super().__init__()\n        self.{=id} = {=id}\n        self._{=id} = {=id} or {}\n\n'
            '    def {=id}(self, {=id}):\n        # {=Sentence}\n'
            '        return self._{=id}.get({=id}, "{=w}")\n'),
        (3, '{=CONST} = "{=uuid}"\n{=CONST} = {=num}\n{=CONST}_URL = "{=url}"\n'),
        (2, '# Generated from {=npm} at commit {=sha}\nREVISION = "{=sha}"\nBUILD_ID = "{=uuid}"\n'),
        (3, 'DEFAULTS = {\n    "{=id}": {=num},\n    "timeout": {=num},\n    "endpoint": "{=url}",\n'
            '    "region": "eu-west-1",\n    "{=id}": "{=w}",\n    "{=id}": {=Bool},\n}\n'),
        (4, 'def test_{=id}():\n    {=id} = {=Id}("{=w}")\n    assert {=id}.{=id}() == {=num}\n'
            '    assert {=id}.checksum == "{=sha256}"\n'),
        (3, 'class {=Id}(Base):\n    __tablename__ = "{=w}s"\n\n    id = Column(Integer, primary_key=True)\n'
            '    {=id} = Column(String({=num}), nullable=False)\n    created_at = Column(DateTime)\n'),
        (2, 'TOKEN_TTL_SECONDS = {=num}\nPASSWORD_MIN_LENGTH = 12\nAPI_KEY_HEADER = "X-Api-Key"\n'
            'secret_name = f"{env}-{=w}-credentials"\ncache_key = f"{=w}:{user_id}:{=w}"\n'),
        (2, 'password = os.environ.get("{=CONST}_PASSWORD")\napi_key = settings.{=CONST}_API_KEY\n'
            'token = request.headers.get("Authorization", "").removeprefix("Bearer ")\n'),
        (3, 'resp = requests.get("{=url}", params={"{=w}": {=num}}, timeout={=num})\n'
            'resp.raise_for_status()\n{=id} = resp.json()["{=w}"]\n'),
        (2, 'digest = hashlib.sha256({=id}).hexdigest()\nassert digest == "{=sha256}", digest\n'),
        (1, 'PIXEL_PNG = base64.b64decode(\n    "{=b64}"\n)\n'),
        (2, '{=CONST}_ID = uuid.UUID("{=uuid}")\n'),
        (2, '@pytest.mark.parametrize("{=id}", [{=num}, {=num}, {=num}])\ndef test_{=id}({=id}):\n'
            '    assert {=id}({=id}) is not None\n'),
    ),
    'if __name__ == "__main__":\n    {=id}()\n')

FILLER["js"] = (
    ["import {=iD} from '{=npm}';\nimport { {=iD}, {=iD} } from './{=w}';\n",
     "'use strict';\n\nconst {=iD} = require('{=npm}');\nconst { {=iD} } = require('../{=w}/{=w}');\n"],
    _templates(
        (10, "export function {=iD}({=iD}, options = {}) {\n  // {=Sentence}\n"
             "  const {=iD} = options.{=iD} ?? {=num};\n  if (!{=iD}) {\n"
             "    throw new Error('{=sentence}');\n  }\n  return {=iD}.map((item) => item.{=iD});\n}\n"),
        (6, "export const {=iD} = async ({=iD}) => {\n  const res = await fetch(`{=url}/${{=iD}}`, {\n"
            "    method: '{=method}',\n    headers: { 'Content-Type': 'application/json' },\n  });\n"
            "  return res.json();\n};\n"),
        (4, "const config = {\n  {=iD}: {=num},\n  timeout: {=num},\n  baseUrl: '{=url}',\n"
            "  region: 'us-east-1',\n  {=iD}: {=bool},\n};\n"),
        (3, "describe('{=iD}', () => {\n  it('{=sentence}', () => {\n"
            "    expect({=iD}('{=w}')).toBe({=num});\n    expect(hash).toEqual('{=sha}');\n  });\n});\n"),
        (2, "const BUILD = { commit: '{=sha}', id: '{=uuid}', version: '{=ver}' };\n"),
        (2, "const apiKey = process.env.{=CONST}_API_KEY;\nconst token = localStorage.getItem('{=w}Token');\n"),
        (1, "const script = document.createElement('script');\nscript.src = 'https://cdn.{=w}.com/{=w}.min.js';\n"
            "script.integrity = 'sha384-{=b64}';\nscript.crossOrigin = 'anonymous';\n"),
        (1, "!function(e,t){var n=t.{=w},r={=num},o=\"{=iD}\";function i(e){return e&&e.__esModule?e.default:e}"
            "e.exports={{=iD}:function(t){return n(t,r)},{=iD}:o,img:\"data:image/png;base64,{=b64l}\","
            "v:\"{=ver}\",h:\"{=md5}\"}}(module,{{=w}:require(\"{=npm}\")});\n"),
        (3, "export default function {=Id}({ {=iD}, {=iD} }) {\n  const [{=iD}, set{=Id}] = useState(null);\n"
            "  useEffect(() => {\n    {=iD}({=iD}).then(set{=Id});\n  }, [{=iD}]);\n"
            "  return <div className=\"{=w}-{=w}\">{{=iD}}</div>;\n}\n"),
    ),
    "")

FILLER["ts"] = (
    ["import type { {=Id} } from './{=w}';\nimport { {=iD} } from '{=npm}';\n"],
    _templates(
        (8, "export interface {=Id} {\n  id: string;\n  {=iD}: number;\n  {=iD}?: string;\n  createdAt: Date;\n}\n"),
        (10, "export async function {=iD}({=iD}: string, limit = {=num}): Promise<{=Id}[]> {\n"
             "  // {=Sentence}\n  const rows = await db.{=iD}.findMany({ where: { {=iD} }, take: limit });\n"
             "  return rows.filter((r) => r.{=iD} !== undefined);\n}\n"),
        (3, "export const {=CONST} = '{=uuid}' as const;\nexport const {=CONST}_HASH = '{=sha256}';\n"),
        (3, "export class {=Id}Service {\n  constructor(private readonly {=iD}: {=Id}) {}\n\n"
            "  {=iD}(id: string): Promise<void> {\n    return this.{=iD}.{=iD}(id);\n  }\n}\n"),
        (2, "const secretName = `${env}-{=w}-credentials`;\nconst tokenUrl = '{=url}';\n"),
    ),
    "")

FILLER["go"] = (
    ["// Package {=w} {=sentence}.\npackage {=w}\n\nimport (\n\t\"context\"\n\t\"fmt\"\n\t\"net/http\"\n\t\"time\"\n)\n"],
    _templates(
        (10, "// {=Id} {=sentence}.\nfunc {=Id}(ctx context.Context, {=iD} string) (*{=Id}, error) {\n"
             "\t{=iD}, err := {=iD}(ctx, {=iD})\n\tif err != nil {\n"
             "\t\treturn nil, fmt.Errorf(\"{=v} {=w}: %w\", err)\n\t}\n"
             "\tctx, cancel := context.WithTimeout(ctx, {=num}*time.Second)\n\tdefer cancel()\n"
             "\treturn &{=Id}{ {=Id}: {=iD} }, nil\n}\n"),
        (6, "type {=Id} struct {\n\tID        string    `json:\"id\"`\n\t{=Id}      int       `json:\"{=id}\"`\n"
            "\t{=Id}      string    `json:\"{=id},omitempty\"`\n\tCreatedAt time.Time `json:\"created_at\"`\n}\n"),
        (2, "const (\n\tdefault{=Id} = {=num}\n\tbuildCommit = \"{=sha}\"\n\tschemaID = \"{=uuid}\"\n)\n"),
        (3, "func Test{=Id}(t *testing.T) {\n\tgot := {=Id}(\"{=w}\")\n\tif got != \"{=md5}\" {\n"
            "\t\tt.Fatalf(\"{=Id}() = %q\", got)\n\t}\n}\n"),
        (2, "var client = &http.Client{Timeout: {=num} * time.Second}\n\n"
            "func tokenFromEnv() string { return os.Getenv(\"{=CONST}_TOKEN\") }\n"),
    ),
    "")

FILLER["java"] = (
    ["package com.{=w}.{=w};\n\nimport java.util.List;\nimport java.util.Map;\nimport java.util.UUID;\n"
     "import org.slf4j.Logger;\nimport org.slf4j.LoggerFactory;\n\n/** {=Sentence} */\npublic class {=Id} {\n"
     "    private static final Logger log = LoggerFactory.getLogger({=Id}.class);\n"],
    _templates(
        (10, "    /** {=Sentence} */\n    public {=Id} {=iD}(String {=iD}, int {=iD}) {\n"
             "        if ({=iD} == null) {\n            throw new IllegalArgumentException(\"{=sentence}\");\n"
             "        }\n        log.debug(\"{=v} {} {}\", {=iD}, {=iD});\n"
             "        return {=iD}.stream().filter(x -> x.{=iD}() > {=num}).findFirst().orElse(null);\n    }\n"),
        (5, "    private final Map<String, {=Id}> {=iD} = new java.util.HashMap<>();\n"
            "    private int {=iD} = {=num};\n"),
        (2, "    private static final String SCHEMA_ID = \"{=uuid}\";\n"
            "    private static final String BUILD_COMMIT = \"{=sha}\";\n"),
        (3, "    @Test\n    void {=iD}() {\n        assertEquals({=num}, {=iD}.{=iD}(\"{=w}\"));\n"
            "        assertEquals(\"{=sha256}\", digest);\n    }\n"),
        (2, "    @Value(\"${{=w}.api-key}\")\n    private String apiKey;\n"),
    ),
    "}\n")

FILLER["yaml"] = (
    ["# {=Sentence}\n", "---\n", "# yaml-language-server: $schema={=url}.json\n"],
    _templates(
        (6, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {=w}-{=w}\n  labels:\n"
            "    app: {=w}\nspec:\n  replicas: {=num}\n  template:\n    spec:\n      containers:\n"
            "        - name: {=w}\n          image: ghcr.io/{=w}/{=w}@sha256:{=sha256}\n          env:\n"
            "            - name: {=CONST}\n              value: \"{=w}\"\n"
            "            - name: {=CONST}_PASSWORD\n              valueFrom:\n                secretKeyRef:\n"
            "                  name: {=w}-credentials\n                  key: password\n"),
        (5, "jobs:\n  {=w}:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: actions/checkout@{=sha}\n      - uses: actions/setup-node@{=sha}\n"
            "      - run: npm ci && npm test\n        env:\n          NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}\n"),
        (5, "{=w}:\n  enabled: {=bool}\n  replicas: {=num}\n  endpoint: {=url}\n  timeout: {=num}s\n"
            "  labels:\n    team: {=w}\n    tier: {=w}\n"),
        (4, "services:\n  {=w}:\n    image: {=image}:{=ver}\n    ports:\n      - \"{=num}:{=num}\"\n"
            "    environment:\n      - LOG_LEVEL=info\n      - {=CONST}_HOST={=w}\n"),
        (3, "{=id}:\n  - id: {=uuid}\n    name: {=w}\n    checksum: {=sha256}\n  - id: {=uuid}\n"
            "    name: {=w}\n    checksum: {=sha256}\n"),
        (2, "secrets:\n  provider: vault\n  path: secret/data/{=w}/{=w}\n  passwordKey: password\n"
            "  tokenTTL: {=num}m\n"),
    ),
    "")

FILLER["toml"] = (
    ["# {=Sentence}\n[project]\nname = \"{=w}-{=w}\"\nversion = \"{=ver}\"\n"],
    _templates(
        (5, "[tool.{=w}]\n{=id} = {=num}\n{=id} = \"{=w}\"\n{=id} = [\"{=w}\", \"{=w}\"]\n"),
        (3, "[dependencies]\n{=w} = \"{=ver}\"\n{=w} = { version = \"{=ver}\", features = [\"{=w}\"] }\n"),
        (2, "[[package]]\nname = \"{=w}\"\nversion = \"{=ver}\"\nsource = \"git+{=url}#{=sha}\"\n"),
    ),
    "")

FILLER["ini"] = (
    ["; {=Sentence}\n"],
    _templates(
        (5, "[{=w}]\n{=id} = {=num}\n{=id} = {=w}\nhost = {=host}\nport = {=num}\n"),
        (2, "[database]\nhost = db.{=w}.internal\nname = {=w}\nuser = {=w}\npassword_file = /run/secrets/db\n"),
    ),
    "")

FILLER["properties"] = (
    ["# {=Sentence}\n"],
    _templates(
        (5, "{=w}.{=w}.{=w}={=num}\n{=w}.{=w}.enabled={=bool}\n{=w}.{=w}.url={=url}\n"),
        (2, "spring.datasource.username={=w}\nspring.datasource.password=${DB_PASSWORD}\n"),
    ),
    "")

FILLER["env"] = (
    ["# {=Sentence}\n"],
    _templates(
        (6, "{=CONST}={=w}\n"), (4, "{=CONST}_PORT={=num}\n"), (3, "{=CONST}_URL={=url}\n"),
        (1, "LOG_LEVEL=info\nNODE_ENV=production\n"), (2, "{=CONST}_ENABLED={=bool}\n"),
        (1, "REDIS_URL=redis://localhost:6379/0\n"), (1, "# {=Sentence}\n"),
    ),
    "")

FILLER["sh"] = (
    ["#!/usr/bin/env bash\n# {=Sentence}\nset -euo pipefail\n\nROOT=$(cd \"$(dirname \"$0\")/..\" && pwd)\n"],
    _templates(
        (6, "{=id}() {\n  local {=id}=\"$1\"\n  echo \"{=v} ${{=id}}\"\n"
            "  curl -fsS \"{=url}?{=w}=${{=id}}\" -o \"$ROOT/{=w}.json\"\n}\n"),
        (4, "if [[ -z \"${{=CONST}:-}\" ]]; then\n  echo \"{=sentence}\" >&2\n  exit 1\nfi\n"),
        (3, "docker build -t {=image}:{=short} --build-arg COMMIT={=sha} .\n"),
        (2, "git rev-parse HEAD > build/COMMIT  # {=sha}\nsha256sum dist/*.tar.gz > dist/SHA256SUMS\n"),
        (2, "export PATH=\"$HOME/.local/bin:$PATH\"\nexport {=CONST}_TOKEN=\"$(cat /run/secrets/{=w})\"\n"),
    ),
    "")

FILLER["dockerfile"] = (
    ["# syntax=docker/dockerfile:1\nFROM {=image}@sha256:{=sha256} AS build\nWORKDIR /src\n"],
    _templates(
        (4, "RUN apt-get update && apt-get install -y --no-install-recommends {=w} {=w} \\\n"
            "    && rm -rf /var/lib/apt/lists/*\n"),
        (3, "COPY {=w}/ ./{=w}/\nRUN make {=w}\n"), (2, "ENV {=CONST}={=w} {=CONST}_PORT={=num}\n"),
        (1, "ARG GIT_COMMIT={=sha}\nLABEL org.opencontainers.image.revision=$GIT_COMMIT\n"),
    ),
    "CMD [\"/usr/local/bin/{=w}\"]\n")

FILLER["log"] = (
    [""],
    _templates(
        (10, "{=ts} {=level} [{=w}-{=num}] {=sentence} request_id={=uuid} duration_ms={=ms}\n"),
        (6, "{=ip} - - [{=date}:10:{=num}] \"{=method} /{=w}/{=w}?id={=num} HTTP/1.1\" {=status} {=big} "
            "\"-\" \"{=agent}\"\n"),
        (5, "{\"time\":\"{=ts}\",\"level\":\"{=level}\",\"msg\":\"{=sentence}\",\"trace_id\":\"{=md5}\","
            "\"span_id\":\"{=short}\",\"{=w}\":{=num}}\n"),
        (2, "commit {=sha}\nAuthor: {=w} <{=email}>\nDate:   {=date}\n\n    {=Sentence}\n"),
        (2, "{=ts} ERROR [{=w}] {=Sentence}\nTraceback (most recent call last):\n"
            "  File \"/srv/app/{=w}.py\", line {=num}, in {=id}\n    {=id}({=id})\n"
            "{=Id}Error: {=sentence}\n"),
        (2, "{=ts} INFO pulled image {=image}@sha256:{=sha256} in {=ms}ms\n"),
    ),
    "")

FILLER["md"] = (
    ["# {=Id}\n\n{=Sentence} {=Sentence}\n"],
    _templates(
        (6, "## {=Id}\n\n{=Sentence} {=Sentence} {=Sentence}\n"),
        (4, "- {=Sentence}\n- {=Sentence}\n- See [{=w}]({=url}).\n"),
        (3, "```bash\n{=w} {=v} --{=w} {=num}\n```\n"),
        (2, "| {=w} | {=w} | {=w} |\n| --- | --- | --- |\n| {=num} | {=w} | `{=short}` |\n"),
        (2, "Set `API_KEY` in your environment (see `.env.{=w}`), then run `make {=w}`.\n"),
        (1, "Released in {=ver} ({=short}); checksums in `SHA256SUMS` ({=sha256}).\n"),
    ),
    "")

FILLER["txt"] = (
    ["{=Sentence}\n"],
    _templates((5, "{=Sentence} {=Sentence}\n"), (2, "- {=sentence}\n")),
    "")

FILLER["json"] = None  # structured: see _json_members
FILLER["key"] = ([""], _templates((1, "")), "")
FILLER["netrc"] = ([""], _templates((1, "")), "")
FILLER["npmrc"] = (["registry=https://registry.npmjs.org/\n"],
                   _templates((1, "@{=w}:registry=https://npm.{=w}.internal/\n")), "")
FILLER = {k: v and ([_compile(h) for h in v[0]], v[1], _compile(v[2])) for k, v in FILLER.items()}


def _json_value(f, rng, depth):
    r = rng.random()
    if depth < 2 and r < 0.15:
        return [_json_value(f, rng, depth + 1) for _ in range(rng.randint(1, 3))]
    if depth < 2 and r < 0.35:
        return OrderedDict((f["id"], _json_value(f, rng, depth + 1)) for _ in range(rng.randint(2, 5)))
    return rng.choice((lambda: int(f["num"]), lambda: f["w"], lambda: f["uuid"], lambda: f["url"],
                       lambda: f["ts"], lambda: f["sha"], lambda: rng.random() < 0.5,
                       lambda: f["email"], lambda: f["Sentence"]))()


def _json_members(f, rng, seen):
    """One top-level member, pretty-printed (no trailing comma); its name not
    in seen."""
    name = rng.choice(("id", "uuid", "commit", "sha", "etag", "created_at", "node_id", "checksum"))
    while name in seen:
        name = f["id"]
    seen.add(name)
    value = {"id": f["uuid"], "uuid": f["uuid"], "commit": f["sha"], "sha": f["sha"],
             "etag": '"%s"' % f["md5"], "created_at": f["ts"], "node_id": f["b64s"],
             "checksum": "sha256:" + f["sha256"]}.get(name)
    if value is None:
        value = _json_value(f, rng, 0)
    text = json.dumps({name: value}, indent=2)
    return text.split("\n")[1:-1]


# ---------------------------------------------------------------------------
# Decoys: what a scanner must not report. Dummy values and references are
# rendered as assignments in every file type; high-entropy non-secrets sit
# where they usually do.

DUMMY_NAMES = ["API_KEY", "SECRET_KEY", "AUTH_TOKEN", "GITHUB_TOKEN", "OPENAI_API_KEY", "DB_PASSWORD",
               "AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "STRIPE_SECRET_KEY", "SLACK_BOT_TOKEN",
               "password", "api_key", "client_secret", "access_token", "ANTHROPIC_API_KEY",
               "SENDGRID_API_KEY", "JWT_SECRET", "ADMIN_PASSWORD", "private_token", "webhook_secret"]
DUMMY_VALUES = ["your-api-key-here", "your_api_key", "<your-api-key>", "<token>", "<password>",
                "x" * 24, "X" * 32, "********", "changeme",
                "REPLACE_ME", "sk-...abcd", "sk-proj-...", "ghp_" + "x" * 36,
                "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "insert-your-token",
                "your_token_goes_here", "REDACTED", "[redacted]", "dummy-secret-for-tests",
                "0000000000000000000000000000000000000000", "not-a-real-secret", "sk_test_" + "x" * 20,
                "example-password", "secret", "none", "null", "TBD", "<set in vault>"]
REFERENCE_VALUES = ["${API_KEY}", "${DB_PASSWORD:?required}", "${{ secrets.DEPLOY_TOKEN }}",
                    "{{ .Values.apiKey }}", "{{ vault_db_password }}", "$GITHUB_TOKEN", "%(password)s",
                    "op://Engineering/Stripe/secret-key", "ward://llm/openai", "vault://secret/data/app#token",
                    "$(cat /run/secrets/api_token)", "ENC[AES256_GCM,data:Tm90aGluZw==,type:str]",
                    "[masked:OPENAI_API_KEY]", "/run/secrets/db_password", "./secrets/token.txt"]
REFERENCE_CODE = {
    "py": ['api_key = os.environ["OPENAI_API_KEY"]', "password = getpass.getpass()",
           'token = keyring.get_password("{=w}", "token")', 'SECRET_KEY = env("DJANGO_SECRET_KEY")',
           "client = OpenAI(api_key=os.getenv(\"OPENAI_API_KEY\"))"],
    "js": ["const apiKey = process.env.STRIPE_SECRET_KEY;", "  token: process.env.GITHUB_TOKEN,",
           "const { password } = await getSecret('{=w}/db');"],
    "ts": ["const secret: string = config.get<string>('auth.jwtSecret');"],
    "go": ['\ttoken := os.Getenv("GITHUB_TOKEN")', '\tpassword, err := vault.Read(ctx, "secret/{=w}")'],
    "java": ['        String password = System.getenv("DB_PASSWORD");'],
    "sh": ['export AWS_SECRET_ACCESS_KEY="$(aws configure get aws_secret_access_key)"',
           'docker login -u "$REGISTRY_USER" --password-stdin < "$HOME/.registry-token"',
           'curl -H "Authorization: Bearer $API_TOKEN" {=url}'],
    "yaml": ["            - name: API_TOKEN\n              valueFrom:\n                secretKeyRef:\n"
             "                  name: {=w}-token\n                  key: token"],
    "md": ["export OPENAI_API_KEY=<your key>", "Pass the token as `Authorization: Bearer <token>`."],
}
# High-entropy values that are not secrets, in their usual places.
ENTROPY = {
    "yaml": ["image: ghcr.io/{=w}/{=w}@sha256:{=sha256}", "commit: {=sha}", "checksum: sha256:{=sha256}",
             "      - uses: {=w}/{=w}-action@{=sha}", "resourceVersion: \"{=big}\"\nuid: {=uuid}"],
    "json": ['  "integrity": "sha512-{=b64}"', '  "etag": "W/\\"{=md5}\\""', '  "public_key": "{=b64s}"',
             '  "fingerprint": "SHA256:{=b64s}"', '  "node_id": "{=b64s}"', '  "_id": "{=oid}"'],
    "py": ['PUBLIC_KEY_PEM = """-----BEGIN PUBLIC KEY-----\n{=b64}\n{=b64}\n-----END PUBLIC KEY-----\n"""',
           'STRIPE_PUBLISHABLE_KEY = "pk_live_{=alnum}"', 'SENTRY_DSN = "https://{=md5}@o{=num}.ingest.sentry.io/{=big}"',
           'EXPECTED_DIGEST = "{=sha256}"', 'FIXTURE_ID = "{=uuid}"'],
    "js": ["const vapidPublicKey = 'B{=b64}';", "const integrity = 'sha384-{=b64}';",
           "const commit = '{=sha}';", "const recaptchaSiteKey = '6L{=alnum}';"],
    "log": ["{=ts} INFO trace_id={=md5} span_id={=short} session={=uuid}",
            "{=ts} INFO deployed {=w} revision {=sha} digest sha256:{=sha256}",
            "{=sha256}  {=w}-{=ver}.tar.gz"],
    "key": ["-----BEGIN CERTIFICATE-----\n{=b64}\n{=b64}\n{=b64}\n-----END CERTIFICATE-----",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{=b64s} {=w}@{=w}",
            "-----BEGIN PUBLIC KEY-----\n{=b64}\n{=b64}\n-----END PUBLIC KEY-----"],
    "md": ["Verify with `sha256sum -c`: `{=sha256}`.", "Fixed in {=short} ({=sha})."],
    "env": ["BUILD_SHA={=sha}", "DEPLOYMENT_ID={=uuid}", "PUBLIC_KEY_FINGERPRINT=SHA256:{=b64s}"],
}
ENTROPY = {k: [_compile(t) for t in v] for k, v in ENTROPY.items()}
REFERENCE_CODE = {k: [_compile(t) for t in v] for k, v in REFERENCE_CODE.items()}


# ---------------------------------------------------------------------------
# Layout: files of each type with a byte budget, plants and decoys spread
# over the files of their type, the tree written file by file.

PLANT_EVERY = 16 * 1024   # one planted secret per this many bytes (at least one per kind)
DECOYS_PER_PLANT = 0.8
ENCODED_RATE = 0.02       # self-identifying secrets planted base64-encoded
COMMON_WEIGHT = 4         # how much more often common kinds are planted
COMMON_TAGS = {"aws", "gcp", "azure", "github", "gitlab", "slack", "stripe", "openai", "anthropic",
               "private-key", "database", "generic", "jwt", "npm", "docker", "twilio", "sendgrid"}

# type: (share of the bytes, mean file size)
TYPE_MIX = OrderedDict([
    ("py", (17, 12000)), ("js", (9, 9000)), ("ts", (8, 8000)), ("go", (8, 10000)), ("java", (8, 12000)),
    ("json", (10, 8000)), ("yaml", (8, 4000)), ("log", (14, 120000)), ("md", (7, 6000)), ("sh", (3, 3000)),
    ("env", (1.5, 800)), ("toml", (1.5, 1500)), ("ini", (1, 1200)), ("properties", (1, 1500)),
    ("dockerfile", (0.5, 900)), ("txt", (1.5, 2500)),
])
OWN_FILE = {"key", "netrc"}  # one file per plant
TOP_DIRS = ["services", "apps", "packages", "libs", "infra", "deploy", "scripts", "docs", "tools",
            "config", "ops", "web", "api", "internal", "cmd", "src", "platform", "jobs"]


def _file_name(ftype, f, rng, rule_id=None):
    ch = rng.choice
    if ftype == "key":
        by_rule = {"putty-private-key": "%s.ppk", "pgp-private-key-block": "%s.asc",
                   "age-secret-key": "%s-age-keys.txt", "private-key-openssh": "id_ed25519_%s"}
        return by_rule.get(rule_id, ch(("%s.pem", "%s.key", "%s_rsa", "%s-tls.key"))) % f["w"]
    names = {
        "py": lambda: ch(("%s.py" % f["id"], "test_%s.py" % f["id"], "%s.py" % f["w"])),
        "js": lambda: "%s.%s" % (f["iD"], ch(("js", "js", "jsx", "mjs"))),
        "ts": lambda: "%s.%s" % (f["iD"], ch(("ts", "ts", "tsx"))),
        "go": lambda: ch(("%s.go" % f["id"], "%s_test.go" % f["id"])),
        "java": lambda: "%s.java" % f["Id"],
        "env": lambda: ch((".env", ".env.local", ".env.production", ".env.%s" % f["w"], "%s.env" % f["w"])),
        "yaml": lambda: ch(("%s.yaml" % f["w"], "%s.yml" % f["w"], "values.yaml", "docker-compose.yml",
                            "%s-deployment.yaml" % f["w"])),
        "json": lambda: ch(("%s.json" % f["w"], "%s.%s.json" % (f["w"], f["w"]), "package.json")),
        "toml": lambda: ch(("pyproject.toml", "%s.toml" % f["w"], "Cargo.toml")),
        "ini": lambda: ch(("setup.cfg", "tox.ini", "%s.ini" % f["w"], "%s.cfg" % f["w"])),
        "properties": lambda: ch(("application.properties", "application-%s.properties" % f["w"])),
        "sh": lambda: "%s-%s.sh" % (f["v"], f["w"]),
        "dockerfile": lambda: ch(("Dockerfile", "Dockerfile.%s" % f["w"])),
        "log": lambda: ch(("%s-%s.log" % (f["w"], f["date"]), "%s.log" % f["w"], "build-%s.log" % f["num"])),
        "md": lambda: ch(("README.md", "%s.md" % f["Id"], "CHANGELOG.md", "%s.md" % f["w"])),
        "txt": lambda: "%s-notes.txt" % f["w"],
        "netrc": lambda: ch((".netrc", "%s.netrc" % f["w"])),
        "npmrc": lambda: ".npmrc",
    }
    return names[ftype]()


class _Tree(object):
    """Unique relative paths, grouped in directories of a few files each."""

    def __init__(self, rules, rng, f):
        self.rules, self.rng, self.f = rules, rng, f
        self.paths = set()
        self.dir, self.left = None, 0

    def _new_dir(self):
        r, f = self.rng, self.f
        parts = [r.choice(TOP_DIRS), f["w"] + ("-" + f["w"] if r.random() < 0.4 else "")]
        if r.random() < 0.5:
            parts.append(r.choice(("src", "lib", "config", "internal", "handlers", "models", f["w"])))
        self.dir = "/".join(parts)
        self.left = r.randint(3, 25)

    def path(self, ftype, rule_id=None):
        while True:
            if self.left <= 0:
                self._new_dir()
            self.left -= 1
            p = self.dir + "/" + _file_name(ftype, self.f, self.rng, rule_id)
            if ftype == "yaml" and self.rng.random() < 0.1:
                p = self.dir + "/.github/workflows/" + _file_name(ftype, self.f, self.rng)
            if p in self.paths or any(rx.search(p) for rx in self.rules.allow.paths):
                continue
            if any(rx.search(p) for r in self.rules.rules for rx in r.allow.paths):
                continue
            self.paths.add(p)
            return p


class Chunk(object):
    """Lines to insert into a file; `truth` entries point into them by index."""
    __slots__ = ("lines", "truth")

    def __init__(self, lines, truth):
        self.lines, self.truth = lines, truth  # truth: list of (dict, line index, lo index, hi index)


def _weighted(rng, items):
    """items: (value, weight) pairs."""
    total = sum(w for _, w in items)
    x = rng.random() * total
    for v, w in items:
        x -= w
        if x < 0:
            return v
    return items[-1][0]


class Planter(object):
    def __init__(self, rules, seed):
        self.rules = rules
        self.templates = OrderedDict()
        for rule in rules.rules:
            ts = []
            for text, secret in rule.positives:
                t = Template(rules, rule, text, secret, seed)
                t.forms = [(ft, fn, w) for ft, fn, w in placements(text)
                           if self._verify(rule, fn(text, "2024-01-01T00:00:00.000Z"), ft)]
                if t.forms:
                    ts.append(t)
            if ts:
                self.templates[rule.id] = ts
        self.stats = Counter()

    def _verify(self, rule, lines, ftype):
        block = "\n".join(lines) + ("," if ftype == "json" else "")
        return bool(rule_findings(self.rules, rule, block))

    def plant(self, t, rng, f, encode=True):
        """(file type, Chunk) planting template t, its secret re-drawn;
        base64-encoded now and then when encode allows it."""
        rule = t.rule
        if encode and t.self_identifying and rng.random() < ENCODED_RATE:
            secret = t.draw(rng)
            if rule_finds(self.rules, rule, secret, secret):
                self.stats["encoded"] += 1
                name = rng.choice(("value", "payload", re.sub(r"[^A-Z0-9]+", "_", rule.id.upper())))
                lines = ["apiVersion: v1", "kind: Secret", "metadata:", "  name: %s-%s" % (f["w"], f["w"]),
                         "type: Opaque", "data:",
                         "  HOST: " + base64.b64encode(f["host"].encode()).decode(),
                         "  %s: %s" % (name, base64.b64encode(secret.encode()).decode()),
                         "  PORT: " + base64.b64encode(f["num"].encode()).decode()]
                return "yaml", Chunk(lines, [({"kind": rule.id, "secret": secret, "encoding": "base64"},
                                              7, 7, 7)])
        for attempt in range(12):
            secret = t.draw(rng) if attempt < 11 else t.secret
            text = t.text.replace(t.secret, secret)
            ftype, fn, _ = _weighted(rng, [((ft, fn, w), w) for ft, fn, w in t.forms])
            lines = fn(text, f["ts"])
            if self._verify(rule, lines, ftype):
                break
            self.stats["retries"] += 1
        else:
            raise AssertionError("%s: its own sample no longer verifies" % rule.id)
        if attempt == 11:
            self.stats["unmutated"] += 1
        first = secret.split("\n", 1)[0]
        idx = next((i for i, line in enumerate(lines) if first in line), 0)
        return ftype, Chunk(lines, [({"kind": rule.id, "secret": secret, "encoding": None},
                                     idx, 0, len(lines) - 1)])


def _decoy(rng, f, negatives):
    """(ftype, Chunk) for one decoy."""
    x = rng.random()
    if x < 0.5 and negatives:
        rid, text = rng.choice(negatives)
        kind = "negative:" + rid
    elif x < 0.75:
        kind = "dummy"
        text = "%s=%s" % (rng.choice(DUMMY_NAMES), rng.choice(DUMMY_VALUES))
    elif x < 0.87 and rng.random() < 0.5:
        kind = "reference"
        text = "%s=%s" % (rng.choice(DUMMY_NAMES), rng.choice(REFERENCE_VALUES))
    else:
        kind = "reference" if x < 0.87 else "entropy"
        table = REFERENCE_CODE if x < 0.87 else ENTROPY
        ftype = rng.choice(sorted(table))
        lines = rng.choice(table[ftype]).format_map(f).split("\n")
        return ftype, Chunk(lines, [({"kind": kind}, 0, 0, len(lines) - 1)])
    forms = [(ft, fn, w) for ft, fn, w in placements(text) if ft not in OWN_FILE]
    if not forms:
        forms = [("txt", lambda t, ts: t.strip("\n").split("\n"), 1)]
    ftype, fn, _ = _weighted(rng, [((ft, fn, w), w) for ft, fn, w in forms])
    lines = fn(text, f["ts"])
    return ftype, Chunk(lines, [({"kind": kind}, 0, 0, len(lines) - 1)])


_SPACED = {"py", "js", "ts", "go", "java", "yaml", "md", "ini", "toml", "sh", "dockerfile", "txt"}


def _render(ftype, budget, inserts, rng, f):
    """A file's lines and its truth entries [(entry, line, first, last)], 1-based."""
    if ftype == "json":
        body, size, seen = [], 0, set()
        while size < budget:
            m = _json_members(f, rng, seen)
            body.append(m)
            size += sum(len(x) + 1 for x in m)
        head, tail = ["{"], ["}"]
    else:
        heads, (cum, blocks), tail_t = FILLER[ftype]
        head = [x for x in rng.choice(heads).format_map(f).rstrip("\n").split("\n") if x] if budget else []
        tail = [x for x in tail_t.format_map(f).rstrip("\n").split("\n") if x] if budget else []
        body, size = [], 0
        spaced = ftype in _SPACED
        top = cum[-1]
        while size < budget:
            x = rng.random() * top
            i = 0
            while cum[i] <= x:
                i += 1
            lines = blocks[i].format_map(f).rstrip("\n").split("\n")
            if spaced:
                lines.append("")
            body.append(lines)
            size += sum(len(y) + 1 for y in lines)
        if head and spaced:
            head.append("")
    marked = [(c, None) for c in body]
    for chunk in inserts:
        lines = list(chunk.lines)
        if ftype in _SPACED and ftype != "yaml":
            lines.append("")
        marked.insert(rng.randint(0, len(marked)), (lines, chunk))
    out, truth = list(head), []
    for n, (lines, chunk) in enumerate(marked):
        if ftype == "json":
            lines = list(lines)
            lines[-1] = lines[-1].rstrip().rstrip(",") + ("," if n + 1 < len(marked) else "")
        if chunk is not None:
            base = len(out) + 1
            for entry, idx, lo, hi in chunk.truth:
                truth.append((entry, base + idx, base + lo, base + hi))
        out.extend(lines)
    out.extend(tail)
    return out, truth


def negative_decoys(rules):
    """Negative samples no rule reports (some rules' negatives are another
    rule's positives, e.g. a truncated token under a *_TOKEN name): (rule id, text)."""
    out = []
    for rule in rules.rules:
        for text in rule.negatives:
            if not any(rule_findings(rules, r, text) for r in rules.rules):
                out.append((rule.id, text))
    return out


def generate(out, size, seed, truth_path=None, rules_path=DEFAULT_RULES):
    """Writes the tree under out and the truth file; returns the truth dict."""
    if os.path.isdir(out) and os.listdir(out):
        raise ValueError("%s is not empty" % out)
    rules = Rules(rules_path)
    planter = Planter(rules, seed)
    negatives = negative_decoys(rules)
    rng = random.Random(seed)
    f = Fields(rng)
    tree = _Tree(rules, rng, f)

    kinds = list(planter.templates)
    weights = [(k, COMMON_WEIGHT if set(rules.by_id[k].tags) & COMMON_TAGS else 1) for k in kinds]
    n_plants = max(len(kinds), size // PLANT_EVERY)
    n_decoys = int(n_plants * DECOYS_PER_PLANT)
    order = list(kinds)
    rng.shuffle(order)
    order += [_weighted(rng, weights) for _ in range(n_plants - len(kinds))]

    files, by_type, total = [], {}, 0
    target = max(0, int(size * 0.97) - (n_plants + n_decoys) * 150)
    type_items = [(t, share / float(mean)) for t, (share, mean) in TYPE_MIX.items()]
    while total < target:
        t = _weighted(rng, type_items)
        budget = max(200, int(TYPE_MIX[t][1] * rng.uniform(0.3, 1.7)))
        by_type.setdefault(t, []).append(len(files))
        files.append([t, tree.path(t), budget, []])
        total += budget

    def route(ftype, chunk, rule_id=None):
        """Into a random file of its type, or a file of its own."""
        if ftype in OWN_FILE or (ftype not in TYPE_MIX and rng.random() < 0.5) or not by_type.get(ftype):
            by_type.setdefault(ftype, []).append(len(files))
            files.append([ftype, tree.path(ftype, rule_id), 0 if ftype in OWN_FILE else 1, [chunk]])
        else:
            files[rng.choice(by_type[ftype])][3].append(chunk)

    for n, kind in enumerate(order):
        t = rng.choice(planter.templates[kind])
        ftype, chunk = planter.plant(t, rng, f, encode=n >= len(kinds))
        route(ftype, chunk, kind)
    for _ in range(n_decoys):
        ftype, chunk = _decoy(rng, f, negatives)
        route(ftype, chunk)

    secrets, decoys, nbytes = [], [], 0
    for ftype, path, budget, inserts in files:
        lines, truth = _render(ftype, budget, inserts, rng, f)
        data = ("\n".join(lines) + "\n").encode("utf-8")
        full = os.path.join(out, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as fh:
            fh.write(data)
        nbytes += len(data)
        for entry, line, lo, hi in truth:
            e = OrderedDict([("path", path), ("line", line), ("first_line", lo), ("end_line", hi)])
            e.update(entry)
            (secrets if "secret" in entry else decoys).append(e)
    doc = OrderedDict([("version", 1), ("seed", seed), ("size", size), ("files", len(files)),
                       ("bytes", nbytes), ("kinds", len(kinds)), ("stats", dict(sorted(planter.stats.items()))),
                       ("secrets", secrets), ("decoys", decoys)])
    if truth_path is None:
        truth_path = os.path.join(os.path.dirname(os.path.abspath(out.rstrip("/"))), "truth.json")
    with open(truth_path, "w") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")
    return doc


# ---------------------------------------------------------------------------
# Scoring


def _relative(path, root):
    root = root.rstrip("/")
    if path.startswith(root + "/"):
        return path[len(root) + 1:]
    return os.path.relpath(os.path.abspath(path), os.path.abspath(root))


def ward_findings(report, root):
    """Findings of `ward scan files --json` (its parsed output) as
    (relative path, line, rule)."""
    return [(_relative(x["path"], root), int(x["line"]), x["rule"]) for x in report["findings"]]


def secretlint_findings(report, root):
    """Findings of `secretlint --format json`: one entry per file, its
    messages with ruleId and loc.start.line."""
    out = []
    for entry in report:
        path = _relative(entry["filePath"], root)
        for m in entry.get("messages", []):
            line = m.get("line") or m.get("loc", {}).get("start", {}).get("line") or 0
            out.append((path, int(line), m.get("ruleId") or ""))
    return out


def score(truth, findings, examples=20):
    """Recall and precision of findings [(path, line, rule)] against truth."""
    by_path = {}
    for i, s in enumerate(truth["secrets"]):
        by_path.setdefault(s["path"], []).append((s["first_line"], s["end_line"], i))
    decoy_at = {}
    for d in truth["decoys"]:
        for line in range(d["first_line"], d["end_line"] + 1):
            decoy_at[(d["path"], line)] = d["kind"]
    found = [set() for _ in truth["secrets"]]
    tp, fp_cause, fp_rule, fp_examples = 0, Counter(), Counter(), []
    for path, line, rule in findings:
        hits = [i for lo, hi, i in by_path.get(path, ()) if lo <= line <= hi]
        if hits:
            tp += 1
            for i in hits:
                found[i].add(rule)
            continue
        cause = decoy_at.get((path, line), "filler")
        fp_cause[cause.split(":")[0]] += 1
        fp_rule[rule] += 1
        if len(fp_examples) < examples:
            fp_examples.append(OrderedDict([("path", path), ("line", line), ("rule", rule),
                                            ("cause", cause)]))
    kinds = OrderedDict()
    misses = []
    for s, rules_found in zip(truth["secrets"], found):
        k = kinds.setdefault(s["kind"], OrderedDict([("planted", 0), ("found", 0), ("exact", 0)]))
        k["planted"] += 1
        if rules_found:
            k["found"] += 1
            k["exact"] += s["kind"] in rules_found
        elif len(misses) < examples:
            misses.append(OrderedDict([("path", s["path"]), ("line", s["line"]), ("kind", s["kind"]),
                                       ("encoding", s.get("encoding"))]))
    planted = len(truth["secrets"])
    nfound = sum(1 for x in found if x)
    detected = [k for k, v in kinds.items() if v["found"]]
    in_detected = sum(kinds[k]["planted"] for k in detected)
    enc = [bool(x) for s, x in zip(truth["secrets"], found) if s.get("encoding")]
    fp = sum(fp_cause.values())
    return OrderedDict([
        ("planted", planted), ("found", nfound), ("recall", nfound / float(planted) if planted else 1.0),
        ("findings", tp + fp), ("true_positives", tp), ("false_positives", fp),
        ("precision", tp / float(tp + fp) if tp + fp else 1.0),
        ("kinds_planted", len(kinds)), ("kinds_detected", len(detected)),
        ("recall_on_detected_kinds",
         sum(kinds[k]["found"] for k in detected) / float(in_detected) if in_detected else 0.0),
        ("encoded", OrderedDict([("planted", len(enc)), ("found", sum(enc))])),
        ("missed_kinds", OrderedDict((k, v) for k, v in kinds.items() if v["found"] < v["planted"])),
        ("false_positives_by_cause", OrderedDict(fp_cause.most_common())),
        ("false_positives_by_rule", OrderedDict(fp_rule.most_common())),
        ("miss_examples", misses), ("false_positive_examples", fp_examples),
        ("kinds", kinds),
    ])


def print_score(name, res, out=sys.stdout, top=25):
    w = out.write
    w("%s: recall %.1f%% (%d of %d planted), precision %.1f%% (%d false of %d findings)\n" % (
        name, 100 * res["recall"], res["found"], res["planted"], 100 * res["precision"],
        res["false_positives"], res["findings"]))
    w("%s: kinds detected %d of %d; recall on those kinds %.1f%%; base64-encoded found %d of %d\n" % (
        name, res["kinds_detected"], res["kinds_planted"], 100 * res["recall_on_detected_kinds"],
        res["encoded"]["found"], res["encoded"]["planted"]))
    missed = sorted(res["missed_kinds"].items(), key=lambda kv: (kv[1]["found"] - kv[1]["planted"], kv[0]))
    if missed:
        w("%s: kinds missed (found/planted, by the same rule): %s%s\n" % (name, ", ".join(
            "%s %d/%d (%d)" % (k, v["found"], v["planted"], v["exact"]) for k, v in missed[:top]),
            " ... and %d more" % (len(missed) - top) if len(missed) > top else ""))
    if res["false_positives"]:
        w("%s: false positives by cause: %s\n" % (name, ", ".join(
            "%s %d" % kv for kv in res["false_positives_by_cause"].items())))
        w("%s: false positives by rule: %s\n" % (name, ", ".join(
            "%s %d" % kv for kv in list(res["false_positives_by_rule"].items())[:top])))


def _size(s):
    m = re.match(r"(\d+(?:\.\d+)?)\s*([kKmMgG]?)i?[bB]?\Z", s.strip())
    if not m:
        raise argparse.ArgumentTypeError("not a size: %r" % s)
    mult = {"": 1, "k": 1000, "m": 1000 ** 2, "g": 1000 ** 3}[m.group(2).lower()]
    return int(float(m.group(1)) * mult)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["score"]:
        ap = argparse.ArgumentParser(prog="gen_corpus.py score")
        ap.add_argument("--truth", required=True)
        ap.add_argument("--root", required=True, help="the directory that was scanned")
        g = ap.add_mutually_exclusive_group(required=True)
        g.add_argument("--ward", metavar="REPORT", help="output of `ward scan files --json`")
        g.add_argument("--secretlint", metavar="REPORT", help="output of `secretlint --format json`")
        ap.add_argument("--name", help="the tool's name in the printout")
        ap.add_argument("--json", metavar="OUT", help="write the full result as JSON")
        a = ap.parse_args(argv[1:])
        with open(a.truth) as fh:
            truth = json.load(fh)
        with open(a.ward or a.secretlint) as fh:
            report = json.load(fh)
        findings = ward_findings(report, a.root) if a.ward else secretlint_findings(report, a.root)
        res = score(truth, findings)
        print_score(a.name or ("ward" if a.ward else "secretlint"), res)
        if a.json:
            with open(a.json, "w") as fh:
                json.dump(res, fh, indent=1)
        return 0
    ap = argparse.ArgumentParser(prog="gen_corpus.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="directory to create (must be empty or absent)")
    ap.add_argument("--size", required=True, type=_size, help="bytes, e.g. 8000000 or 100M")
    ap.add_argument("--seed", required=True, type=int)
    ap.add_argument("--truth", help="where to write truth.json (default: next to --out)")
    ap.add_argument("--rules", default=DEFAULT_RULES)
    a = ap.parse_args(argv)
    try:
        doc = generate(a.out, a.size, a.seed, a.truth, a.rules)
    except (ValueError, OSError) as e:
        sys.stderr.write("gen_corpus: %s\n" % e)
        return 2
    sys.stderr.write("gen_corpus: %d files, %d bytes, %d secrets of %d kinds, %d decoys %s\n" % (
        doc["files"], doc["bytes"], len(doc["secrets"]), doc["kinds"], len(doc["decoys"]),
        json.dumps(doc["stats"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
