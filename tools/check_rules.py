#!/usr/bin/env python3
"""Validate ward's exposure-scanner rules (rules/default.yaml).

What it checks:

1. Schema: version, the global allow-list, and for every rule the required
   fields (id, description, regex, secret_group, keywords, tags, samples),
   the optional ones (entropy, allow), unique kebab-case ids, no unknown
   keys, at least MIN_RULES rules, at least one positive and one negative
   sample per rule.
2. Dialect: every regex (rule regexes and allow-list regexes) is linted for
   the subset shared by Hyperscan and RE2: no lookaround, backreferences,
   named/atomic/conditional groups, possessive quantifiers, inline flags
   other than (?i) / (?i:...), no escapes that differ between engines
   (\\z \\A \\v \\h \\p ...), repeat bounds <= 1000, no nested bounded
   repeats that multiply past 1000, no pattern that can match the empty
   string. It must also compile with Python's re.
3. Samples, through a reference implementation of the scanner's pipeline
   (the same order ward's scanner is meant to use):

     keywords (prefilter on the lower-cased text) -> regex (every match,
     leftmost, non-overlapping) -> secret group -> entropy -> global and
     rule stopwords -> global and rule allow regexes -> rule allow paths

   Every positive sample must yield an unsuppressed finding whose secret
   equals its `secret`; every negative sample must yield none.
4. Keywords: lower-case; every positive sample's *match* (not just its
   text) contains at least one keyword; every keyword is exercised by at
   least one positive sample; and, because keywords are a prefilter, a fuzz
   test draws random strings from each regex and checks that every string
   the regex matches contains one of the rule's keywords in the match.

Regexes are translated to Python re with re.ASCII | re.MULTILINE (the
scanner compiles them with ASCII classes and multi-line ^/$). A (?i) that
is not at the start of a pattern is rewritten to a scoped (?i:...) group
covering the rest of its enclosing group (what PCRE/RE2 do); it is allowed
but reported as a warning.

Optional (--hyperscan): compile every rule with the system Hyperscan
library (libhs, through ctypes) with the flags ward's engine uses
(HS_FLAG_MULTILINE | HS_FLAG_SOM_LEFTMOST, block mode), build the
multi-pattern database, and check that Hyperscan reports each rule on each
of its positive samples. A rule Hyperscan rejects is an error: the engine
would fall back to running it with RE2 alone over every text.

Usage: python3 tools/check_rules.py [RULES_YAML] [--fuzz N] [--seed S]
                                    [--rule ID ...] [--hyperscan] [-v]
Exit status 0 when everything passes, 1 otherwise (2 on a usage error).
Needs Python 3.8+ (3.11+ recommended) and PyYAML.
"""

import argparse
import ctypes
import ctypes.util
import math
import os
import random
import re
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rule_regex import to_python  # noqa: E402

try:  # Python 3.11+
    import re._parser as sre_parse
    import re._constants as sre_c
except ImportError:  # pragma: no cover - older Pythons
    import sre_parse  # type: ignore
    import sre_constants as sre_c  # type: ignore

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.stderr.write("check_rules: PyYAML is required (python3 -m pip install pyyaml)\n")
    sys.exit(2)

MIN_RULES = 150
MAX_REPEAT = 1000
RE_FLAGS = re.ASCII | re.MULTILINE

ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
TOP_KEYS = {"version", "allow", "rules"}
GLOBAL_ALLOW_KEYS = {"stopwords", "regexes", "paths"}
RULE_REQUIRED = {"id", "description", "regex", "secret_group", "keywords", "tags", "samples"}
RULE_OPTIONAL = {"entropy", "allow"}
RULE_ALLOW_KEYS = {"regexes", "stopwords", "paths"}
SAMPLE_KEYS = {"positive", "negative"}
POSITIVE_KEYS = {"text", "secret"}

# Escapes that mean the same thing in Hyperscan (PCRE syntax), RE2 and Python.
PORTABLE_CLASS_ESCAPES = set("dDwWsStnrf")
PORTABLE_ESCAPES = PORTABLE_CLASS_ESCAPES | set("bB")


# --------------------------------------------------------------------------
# Dialect lint


def _hex2(s):
    return re.match(r"[0-9A-Fa-f]{2}\Z", s) is not None


def lint_regex(p):
    """Return (errors, warnings) for pattern p against the shared dialect."""
    errs, warns = [], []
    i, n = 0, len(p)
    state = "start"  # start | assert | atom | quant | lazy
    depth = 0
    while i < n:
        c = p[i]
        if c == "\\":
            if i + 1 >= n:
                errs.append("trailing backslash")
                break
            d = p[i + 1]
            if d == "x":
                if not _hex2(p[i + 2:i + 4]):
                    errs.append("\\x must be followed by exactly two hex digits")
                i += 4
                state = "atom"
                continue
            if d.isalnum():
                if d not in PORTABLE_ESCAPES:
                    errs.append("escape \\%s is not portable across Hyperscan/RE2/Python "
                                "(backreference, \\z, \\A, \\v, \\h, \\p ... are not allowed)" % d)
                state = "assert" if d in "bB" else "atom"
            else:
                state = "atom"
            i += 2
            continue
        if c == "[":
            j = i + 1
            if p[j:j + 1] == "^":
                j += 1
            if p[j:j + 1] == "]":
                errs.append("a ']' first in a character class must be escaped")
                j += 1
            closed = False
            while j < n:
                e = p[j]
                if e == "\\":
                    d = p[j + 1:j + 2]
                    if d == "x":
                        if not _hex2(p[j + 2:j + 4]):
                            errs.append("\\x must be followed by exactly two hex digits")
                        j += 4
                        continue
                    if d.isalnum() and d not in PORTABLE_CLASS_ESCAPES:
                        errs.append("escape \\%s inside a class is not portable" % d)
                    j += 2
                    continue
                if e == "[":
                    if p[j + 1:j + 2] in (":", "=", "."):
                        errs.append("POSIX bracket expressions ([:alpha:]) are not supported by Python re")
                    else:
                        errs.append("escape a literal '[' inside a character class")
                if p[j:j + 2] in ("&&", "||", "~~", "--"):
                    errs.append("'%s' inside a class is a set operation in some engines; escape it" % p[j:j + 2])
                if e == "]":
                    closed = True
                    j += 1
                    break
                j += 1
            if not closed:
                errs.append("unterminated character class")
            i = j
            state = "atom"
            continue
        if c == "(":
            if p.startswith("(?", i):
                r = p[i + 2:]
                if r.startswith(":"):
                    i += 3
                elif r.startswith("i:"):
                    i += 4
                elif r.startswith("i)"):
                    if i != 0:
                        warns.append("(?i) not at the start of the pattern; prefer a scoped (?i:...)")
                    i += 4
                    state = "start"
                    continue
                else:
                    if r[:1] in ("=", "!") or r[:2] in ("<=", "<!"):
                        errs.append("lookaround assertions are not supported")
                    elif r.startswith(">"):
                        errs.append("atomic groups are not supported")
                    elif r.startswith("P=") or r.startswith("P>") or r[:1] in ("R",) or r[:1].isdigit():
                        errs.append("backreferences/recursion are not supported")
                    elif r.startswith("P<") or r.startswith("<") or r.startswith("'"):
                        errs.append("named groups are not allowed (use a plain capturing group)")
                    elif r.startswith("#"):
                        errs.append("comment groups are not allowed")
                    elif r.startswith("("):
                        errs.append("conditional groups are not supported")
                    else:
                        errs.append("unsupported group or inline flag %r (only (?:, (?i: and a leading (?i))"
                                    % p[i:i + 5])
                    i += 2
                depth += 1
                state = "start"
                continue
            depth += 1
            i += 1
            state = "start"
            continue
        if c == ")":
            depth -= 1
            if depth < 0:
                errs.append("unbalanced ')'")
                depth = 0
            i += 1
            state = "atom"
            continue
        if c == "|":
            state = "start"
            i += 1
            continue
        if c in "^$":
            state = "assert"
            i += 1
            continue
        if c in "*+?{":
            length = 1
            if c == "{":
                m = re.match(r"\{(\d+)(,(\d*))?\}", p[i:])
                if not m:
                    errs.append("unescaped '{' (write a literal brace as \\{)")
                    i += 1
                    state = "atom"
                    continue
                lo = int(m.group(1))
                if m.group(2) is None:
                    hi = lo
                elif m.group(3) == "":
                    hi = None
                else:
                    hi = int(m.group(3))
                if lo > MAX_REPEAT or (hi is not None and hi > MAX_REPEAT):
                    errs.append("repeat bound above %d in %s" % (MAX_REPEAT, m.group(0)))
                if hi is not None and hi < lo:
                    errs.append("repeat %s has max < min" % m.group(0))
                length = m.end()
            if state in ("start", "assert"):
                errs.append("quantifier %r with nothing (or an assertion) to repeat" % c)
            elif state == "quant":
                if c == "?":
                    state = "lazy"
                    i += 1
                    continue
                if c == "+":
                    errs.append("possessive quantifiers are not supported")
                else:
                    errs.append("quantifier applied to a quantifier")
            elif state == "lazy":
                errs.append("quantifier after a lazy quantifier")
            state = "quant"
            i += length
            continue
        if c == "}":
            errs.append("unescaped '}' (write a literal brace as \\})")
        state = "atom"
        i += 1
    if depth != 0:
        errs.append("unbalanced parentheses")
    return errs, warns


def nested_repeat_errors(parsed):
    """Bounded repeats nested inside repeats expand multiplicatively in
    Hyperscan's compiler (and RE2's). Flag products above MAX_REPEAT."""
    errs = []
    MAXR = sre_c.MAXREPEAT

    def walk(items, mult):
        for op, av in items:
            if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
                lo, hi, sub = av
                f = hi if hi != MAXR else max(lo, 1)
                m = mult * max(f, 1)
                if mult > 1 and m > MAX_REPEAT:
                    errs.append("nested repeats expand to about %d copies (limit %d)" % (m, MAX_REPEAT))
                walk(sub, m)
            elif op is sre_c.SUBPATTERN:
                walk(av[-1], mult)
            elif op is sre_c.BRANCH:
                for b in av[1]:
                    walk(b, mult)
            elif op in (sre_c.ASSERT, sre_c.ASSERT_NOT):
                walk(av[1], mult)

    walk(parsed, 1)
    return sorted(set(errs))


def compile_pattern(p, where, errors, warnings, allow_empty=False):
    """Lint and compile; returns a compiled Python regex or None."""
    if not isinstance(p, str) or not p:
        errors.append("%s: regex must be a non-empty string" % where)
        return None
    errs, warns = lint_regex(p)
    for e in errs:
        errors.append("%s: dialect: %s" % (where, e))
    for w in warns:
        warnings.append("%s: %s" % (where, w))
    py = to_python(p)
    try:
        rx = re.compile(py, RE_FLAGS)
    except re.error as e:
        errors.append("%s: does not compile in Python re: %s" % (where, e))
        return None
    try:
        for e in nested_repeat_errors(sre_parse.parse(py, RE_FLAGS)):
            errors.append("%s: %s" % (where, e))
    except Exception as e:  # pragma: no cover - parse succeeded above
        errors.append("%s: cannot parse: %s" % (where, e))
    if not allow_empty:
        for probe in ("", " ", "a", "a a", "\n"):
            for m in rx.finditer(probe):
                if m.end() == m.start():
                    errors.append("%s: can match the empty string (Hyperscan rejects such patterns)" % where)
                    break
            else:
                continue
            break
    return rx


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys (PyYAML keeps the last
    one silently; other YAML parsers may not)."""


def _mapping_no_duplicates(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, "duplicate key %r" % (key,), key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_no_duplicates)


# --------------------------------------------------------------------------
# Reference pipeline


def shannon(s):
    """Shannon entropy in bits per character."""
    if not s:
        return 0.0
    n = float(len(s))
    return -sum((k / n) * math.log2(k / n) for k in Counter(s).values())


class AllowList(object):
    def __init__(self, stopwords=(), regexes=(), paths=()):
        self.stopwords = list(stopwords)
        self.regexes = list(regexes)  # (source, compiled)
        self.paths = list(paths)      # (source, compiled)


class Rule(object):
    def __init__(self, rid, rx, group, keywords, entropy, allow):
        self.id = rid
        self.rx = rx
        self.group = group
        self.keywords = keywords
        self.entropy = entropy or 0.0
        self.allow = allow


class Finding(object):
    def __init__(self, match, secret, reason):
        self.match = match
        self.secret = secret
        self.reason = reason  # None when not suppressed

    def __repr__(self):
        return "Finding(%r, suppressed=%r)" % (self.secret, self.reason)


def suppression(rule, secret, glob, path=None):
    """Why a secret is not reported, or None."""
    if rule.entropy and shannon(secret) < rule.entropy:
        return "entropy %.2f < %.2f" % (shannon(secret), rule.entropy)
    low = secret.lower()
    for where, al in (("global", glob), ("rule", rule.allow)):
        for sw in al.stopwords:
            if sw in low:
                return "%s stopword %r" % (where, sw)
        for src, rx in al.regexes:
            if rx.search(secret):
                return "%s allow regex %r" % (where, src)
    if path is not None:
        for where, al in (("global", glob), ("rule", rule.allow)):
            for src, rx in al.paths:
                if rx.search(path):
                    return "%s allow path %r" % (where, src)
    return None


def scan(rule, text, glob, path=None):
    """All regex matches of rule in text, each with its suppression reason.

    Returns (keyword_hit, findings). When no keyword occurs in the text the
    rule is not tried at all (findings is empty)."""
    low = text.lower()
    if not any(k in low for k in rule.keywords):
        return False, []
    out = []
    for m in rule.rx.finditer(text):
        s = m.group(rule.group)
        if not s:
            continue
        out.append(Finding(m, s, suppression(rule, s, glob, path)))
    return True, out


def raw_matches(rule, text):
    return [m for m in rule.rx.finditer(text) if m.group(rule.group)]


# --------------------------------------------------------------------------
# Fuzzing: random strings drawn from a regex, to test the keyword prefilter

ALPHABET = [chr(c) for c in range(32, 127)] + ["\t", "\n", "\r"]


def _in_class(items, ch, icase):
    negate = False
    hit = False
    cands = {ch, ch.lower(), ch.upper()} if icase else {ch}
    for op, av in items:
        if op is sre_c.NEGATE:
            negate = True
        elif op is sre_c.LITERAL:
            if chr(av) in cands:
                hit = True
        elif op is sre_c.RANGE:
            lo, hi = av
            if any(lo <= ord(x) <= hi for x in cands):
                hit = True
        elif op is sre_c.CATEGORY:
            if _in_category(av, ch):
                hit = True
        else:
            raise ValueError("unsupported class item %r" % (op,))
    return hit != negate


def _in_category(cat, ch):
    C = sre_c
    word = ch.isascii() and (ch.isalnum() or ch == "_")
    digit = ch in "0123456789"
    space = ch in " \t\n\r\f\v"
    table = {
        C.CATEGORY_DIGIT: digit, C.CATEGORY_NOT_DIGIT: not digit,
        C.CATEGORY_WORD: word, C.CATEGORY_NOT_WORD: not word,
        C.CATEGORY_SPACE: space, C.CATEGORY_NOT_SPACE: not space,
    }
    if cat not in table:
        raise ValueError("unsupported category %r" % (cat,))
    return table[cat]


def _randcase(rng, ch):
    return ch.upper() if rng.random() < 0.5 else ch.lower()


def _class_choices(av, icase, cache):
    key = (id(av), icase)
    hit = cache.get(key)
    if hit is None:
        choices = [x for x in ALPHABET if _in_class(av, x, icase)]
        if not choices:
            raise ValueError("empty class")
        swappable = {x for x in choices if icase and x.isalpha() and _in_class(av, x.swapcase(), icase)}
        hit = cache[key] = (av, choices, swappable)  # av kept alive so its id stays unique
    return hit[1], hit[2]


def generate(items, rng, icase, out, cache):
    C = sre_c
    for op, av in items:
        if op is C.LITERAL:
            ch = chr(av)
            out.append(_randcase(rng, ch) if icase else ch)
        elif op is C.NOT_LITERAL:
            out.append(rng.choice([x for x in ALPHABET if x != chr(av) and (not icase or x.lower() != chr(av).lower())]))
        elif op is C.ANY:
            out.append(rng.choice([x for x in ALPHABET if x != "\n"]))
        elif op is C.IN:
            choices, swappable = _class_choices(av, icase, cache)
            ch = rng.choice(choices)
            out.append(_randcase(rng, ch) if ch in swappable else ch)
        elif op is C.BRANCH:
            generate(rng.choice(av[1]), rng, icase, out, cache)
        elif op is C.SUBPATTERN:
            add, dele = av[1], av[2]
            ic = (icase or bool(add & re.IGNORECASE)) and not (dele & re.IGNORECASE)
            generate(av[-1], rng, ic, out, cache)
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            lo, hi, sub = av
            top = lo + rng.choice((0, 0, 1, 2, 3, 6, 12))
            if hi != C.MAXREPEAT:
                top = min(top, hi)
            for _ in range(rng.randint(lo, max(lo, top))):
                generate(sub, rng, icase, out, cache)
        elif op is C.AT:
            pass
        else:
            raise ValueError("unsupported construct %r" % (op,))


def fuzz_keywords(rule, pysrc, rng, count):
    """Returns (matched, problems)."""
    parsed = sre_parse.parse(pysrc, RE_FLAGS)
    icase = bool(parsed.state.flags & re.IGNORECASE)
    matched, problems, cache = 0, [], {}
    for _ in range(count):
        out = []
        generate(list(parsed), rng, icase, out, cache)
        s = "".join(out)
        for m in rule.rx.finditer(s):
            matched += 1
            low = m.group(0).lower()
            if not any(k in low for k in rule.keywords):
                problems.append(m.group(0))
    return matched, problems


# --------------------------------------------------------------------------
# Schema and sample checks


def is_lower_str_list(v):
    return isinstance(v, list) and all(isinstance(x, str) and x and x == x.lower() for x in v)


def build_allow(d, where, errors, warnings, keys):
    if d is None:
        return AllowList()
    if not isinstance(d, dict):
        errors.append("%s: must be a mapping" % where)
        return AllowList()
    for k in d:
        if k not in keys:
            errors.append("%s: unknown key %r" % (where, k))
    sw = d.get("stopwords", []) or []
    if not is_lower_str_list(sw):
        errors.append("%s.stopwords: must be a list of non-empty lower-case strings" % where)
        sw = []
    regs, paths = [], []
    for name, dest in (("regexes", regs), ("paths", paths)):
        lst = d.get(name, []) or []
        if not isinstance(lst, list):
            errors.append("%s.%s: must be a list" % (where, name))
            continue
        for i, src in enumerate(lst):
            rx = compile_pattern(src, "%s.%s[%d]" % (where, name, i), errors, warnings, allow_empty=True)
            if rx is not None:
                dest.append((src, rx))
    return AllowList(sw, regs, paths)


def check(path, fuzz_count=300, seed=1, only=None, verbose=False):
    errors, warnings = [], []
    with open(path, "rb") as f:
        raw = f.read()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return ["%s: not UTF-8: %s" % (path, e)], [], {}
    try:
        doc = yaml.load(raw, Loader=StrictLoader)
    except yaml.YAMLError as e:
        return ["%s: YAML error: %s" % (path, e)], [], {}
    if not isinstance(doc, dict):
        return ["%s: top level must be a mapping" % path], [], {}
    for k in doc:
        if k not in TOP_KEYS:
            errors.append("top level: unknown key %r" % k)
    if doc.get("version") != 1:
        errors.append("top level: version must be 1")
    glob = build_allow(doc.get("allow"), "allow", errors, warnings, GLOBAL_ALLOW_KEYS)
    rules = doc.get("rules")
    if not isinstance(rules, list):
        errors.append("top level: rules must be a list")
        rules = []
    if len(rules) < MIN_RULES:
        errors.append("only %d rules (at least %d required)" % (len(rules), MIN_RULES))

    stats = Counter()
    seen = set()
    rng = random.Random(seed)
    for idx, r in enumerate(rules):
        where = "rule #%d" % idx
        if not isinstance(r, dict):
            errors.append("%s: must be a mapping" % where)
            continue
        rid = r.get("id")
        if isinstance(rid, str):
            where = "rule %s" % rid
        if not isinstance(rid, str) or not ID_RE.match(rid):
            errors.append("%s: id must be a kebab-case string" % where)
        elif rid in seen:
            errors.append("%s: duplicate id" % where)
        seen.add(rid)
        if only and rid not in only:
            continue
        stats["rules"] += 1
        for k in r:
            if k not in RULE_REQUIRED and k not in RULE_OPTIONAL:
                errors.append("%s: unknown key %r" % (where, k))
        missing = RULE_REQUIRED - set(r)
        if missing:
            errors.append("%s: missing %s" % (where, ", ".join(sorted(missing))))
            continue
        if not isinstance(r["description"], str) or not r["description"].strip():
            errors.append("%s: description must be a non-empty string" % where)
        tags = r["tags"]
        if not isinstance(tags, list) or not tags or not all(isinstance(t, str) and ID_RE.match(t) for t in tags):
            errors.append("%s: tags must be a non-empty list of kebab-case strings" % where)
        kws = r["keywords"]
        if not is_lower_str_list(kws) or not kws:
            errors.append("%s: keywords must be a non-empty list of lower-case strings" % where)
            continue
        if len(set(kws)) != len(kws):
            errors.append("%s: duplicate keywords" % where)
        ent = r.get("entropy", 0)
        if ent is None:
            ent = 0
        if not isinstance(ent, (int, float)) or isinstance(ent, bool) or not 0 <= ent <= 8:
            errors.append("%s: entropy must be a number in [0, 8]" % where)
            ent = 0
        rx = compile_pattern(r["regex"], where + ": regex", errors, warnings)
        if rx is None:
            continue
        grp = r["secret_group"]
        if not isinstance(grp, int) or isinstance(grp, bool) or grp < 0 or grp > rx.groups:
            errors.append("%s: secret_group %r out of range (regex has %d groups)" % (where, grp, rx.groups))
            continue
        allow = build_allow(r.get("allow"), where + ": allow", errors, warnings, RULE_ALLOW_KEYS)
        rule = Rule(rid, rx, grp, kws, ent, allow)

        samples = r["samples"]
        if not isinstance(samples, dict) or set(samples) - SAMPLE_KEYS:
            errors.append("%s: samples must be a mapping with positive and negative" % where)
            continue
        pos = samples.get("positive") or []
        neg = samples.get("negative") or []
        if not isinstance(pos, list) or not pos:
            errors.append("%s: needs at least one positive sample" % where)
            pos = []
        if not isinstance(neg, list) or not neg:
            errors.append("%s: needs at least one negative sample" % where)
            neg = []

        used_kw = set()
        for i, s in enumerate(pos):
            w = "%s: positive[%d]" % (where, i)
            if not isinstance(s, dict) or "text" not in s or set(s) - POSITIVE_KEYS:
                errors.append("%s: must be a mapping with text (and optional secret)" % w)
                continue
            text, want = s["text"], s.get("secret")
            if not isinstance(text, str) or (want is not None and not isinstance(want, str)):
                errors.append("%s: text and secret must be strings" % w)
                continue
            stats["positive"] += 1
            ms = raw_matches(rule, text)
            if not ms:
                errors.append("%s: regex does not match %r" % (w, text[:120]))
                continue
            kw_hit, fs = scan(rule, text, glob)
            if not kw_hit:
                errors.append("%s: no keyword of %s occurs in the text" % (w, kws))
                continue
            live = [f for f in fs if f.reason is None]
            if want is not None:
                target = [f for f in fs if f.secret == want]
                if not target:
                    errors.append("%s: secret group is %r, expected %r" % (w, [f.secret for f in fs], want))
                    continue
                if all(f.reason for f in target):
                    errors.append("%s: expected secret suppressed: %s" % (w, target[0].reason))
                    continue
                live = [f for f in target if f.reason is None]
            elif not live:
                errors.append("%s: every match suppressed: %s" % (w, fs[0].reason))
                continue
            for f in live:
                low = f.match.group(0).lower()
                inside = [k for k in kws if k in low]
                if not inside:
                    errors.append("%s: no keyword inside the match %r (the prefilter would be unsound)"
                                  % (w, f.match.group(0)[:80]))
                used_kw.update(inside)
        for k in kws:
            if k not in used_kw:
                errors.append("%s: keyword %r is not exercised by any positive sample's match" % (where, k))

        for i, s in enumerate(neg):
            w = "%s: negative[%d]" % (where, i)
            if not isinstance(s, str):
                errors.append("%s: must be a string" % w)
                continue
            stats["negative"] += 1
            _, fs = scan(rule, s, glob)
            live = [f for f in fs if f.reason is None]
            if live:
                errors.append("%s: unexpected finding %r in %r" % (w, live[0].secret[:80], s[:120]))

        if fuzz_count:
            try:
                matched, problems = fuzz_keywords(rule, to_python(r["regex"]), rng, fuzz_count)
            except ValueError as e:
                warnings.append("%s: fuzzing skipped: %s" % (where, e))
                continue
            stats["fuzz_strings"] += fuzz_count
            stats["fuzz_matches"] += matched
            if matched == 0:
                warnings.append("%s: fuzzing produced no matching string" % where)
            if problems:
                errors.append("%s: keyword prefilter unsound; the regex matches %r which contains none of %s"
                              % (where, problems[0][:100], kws))
        if verbose:
            print("ok %s" % rid)
    return errors, warnings, stats


def hyperscan_check(path):
    """Returns (errors, info) from compiling and running the rules in Hyperscan."""
    name = ctypes.util.find_library("hs") or "libhs.so.5"
    try:
        hs = ctypes.CDLL(name)
    except OSError as e:
        return ["--hyperscan: cannot load libhs (%s)" % e], ""

    class HsError(ctypes.Structure):
        _fields_ = [("message", ctypes.c_char_p), ("expression", ctypes.c_int)]

    multiline, block = 4 | 256, 1  # HS_FLAG_MULTILINE | HS_FLAG_SOM_LEFTMOST, HS_MODE_BLOCK
    vp, u = ctypes.c_void_p, ctypes.c_uint
    errp = ctypes.POINTER(HsError)
    hs.hs_compile.argtypes = [ctypes.c_char_p, u, u, vp, ctypes.POINTER(vp), ctypes.POINTER(errp)]
    hs.hs_compile_multi.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(u), ctypes.POINTER(u), u, u,
                                    vp, ctypes.POINTER(vp), ctypes.POINTER(errp)]
    hs.hs_free_compile_error.argtypes = [errp]
    hs.hs_free_database.argtypes = [vp]
    hs.hs_database_size.argtypes = [vp, ctypes.POINTER(ctypes.c_size_t)]
    hs.hs_alloc_scratch.argtypes = [vp, ctypes.POINTER(vp)]
    hs.hs_free_scratch.argtypes = [vp]
    callback_t = ctypes.CFUNCTYPE(ctypes.c_int, u, ctypes.c_ulonglong, ctypes.c_ulonglong, u, vp)
    hs.hs_scan.argtypes = [vp, ctypes.c_char_p, u, u, vp, callback_t, vp]

    import time
    with open(path, "rb") as f:
        rules = [r for r in yaml.load(f.read(), Loader=StrictLoader)["rules"] if isinstance(r, dict)]
    started = time.time()
    errors, good = [], []
    for r in rules:
        db, err = vp(), errp()
        if hs.hs_compile(r["regex"].encode(), multiline, block, None, ctypes.byref(db), ctypes.byref(err)) != 0:
            errors.append("rule %s: Hyperscan (SOM_LEFTMOST) rejects the regex: %s; the engine would run it on RE2 "
                          "alone" % (r.get("id"), err.contents.message.decode()))
            hs.hs_free_compile_error(err)
            continue
        hs.hs_free_database(db)
        good.append(r)
    n = len(good)
    if not n:
        return errors, ""
    exprs = (ctypes.c_char_p * n)(*[r["regex"].encode() for r in good])
    flags = (u * n)(*([multiline] * n))
    ids = (u * n)(*range(n))
    db, err = vp(), errp()
    if hs.hs_compile_multi(exprs, flags, ids, n, block, None, ctypes.byref(db), ctypes.byref(err)) != 0:
        errors.append("Hyperscan multi-pattern compile failed: %s" % err.contents.message.decode())
        hs.hs_free_compile_error(err)
        return errors, ""
    size = ctypes.c_size_t()
    hs.hs_database_size(db, ctypes.byref(size))
    seconds = time.time() - started
    scratch = vp()
    hs.hs_alloc_scratch(db, ctypes.byref(scratch))
    hits = set()

    @callback_t
    def on_match(i, start, end, fl, ctx):
        hits.add(i)
        return 0

    scanned = 0
    for i, r in enumerate(good):
        for s in (r.get("samples") or {}).get("positive") or []:
            hits.clear()
            data = s["text"].encode("utf-8")
            hs.hs_scan(db, data, len(data), 0, scratch, on_match, None)
            scanned += 1
            if i not in hits:
                errors.append("rule %s: Hyperscan does not match positive %r" % (r["id"], s["text"][:100]))
    hs.hs_free_scratch(scratch)
    hs.hs_free_database(db)
    return errors, ("Hyperscan: %d patterns, database %d bytes compiled in %.1fs, %d positives scanned"
                    % (n, size.value, seconds, scanned))


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(os.path.dirname(here), "rules", "default.yaml")
    ap = argparse.ArgumentParser(description="Validate ward scanner rules.")
    ap.add_argument("rules", nargs="?", default=default, help="rules file (default: rules/default.yaml)")
    ap.add_argument("--fuzz", type=int, default=300, metavar="N",
                    help="random strings drawn per rule for the keyword check (0 disables; default 300)")
    ap.add_argument("--seed", type=int, default=1, help="fuzzing seed (default 1)")
    ap.add_argument("--rule", action="append", metavar="ID", help="check only this rule (repeatable)")
    ap.add_argument("--hyperscan", action="store_true",
                    help="also compile the rules with the system Hyperscan library and scan the positive samples")
    ap.add_argument("-v", "--verbose", action="store_true", help="print each rule as it passes and all warnings")
    a = ap.parse_args(argv)
    try:
        errors, warnings, stats = check(a.rules, a.fuzz, a.seed, set(a.rule) if a.rule else None, a.verbose)
    except OSError as e:
        print("check_rules: %s" % e, file=sys.stderr)
        return 2
    hs_info = ""
    if a.hyperscan:
        hs_errors, hs_info = hyperscan_check(a.rules)
        errors.extend(hs_errors)
    for e in errors:
        print("error: %s" % e)
    if a.verbose or errors:
        for w in warnings:
            print("warning: %s" % w)
    summary = ("%d rules, %d positive and %d negative samples, %d fuzz strings (%d matches)"
               % (stats.get("rules", 0), stats.get("positive", 0), stats.get("negative", 0),
                  stats.get("fuzz_strings", 0), stats.get("fuzz_matches", 0)))
    if errors:
        print("check_rules: FAILED: %d error(s), %d warning(s); %s" % (len(errors), len(warnings), summary))
        return 1
    print("check_rules: OK: %s; %d warning(s)%s" % (summary, len(warnings), "; " + hs_info if hs_info else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
