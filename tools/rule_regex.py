"""The rules' regex dialect (the common subset of Hyperscan and RE2, see
rules/default.yaml) in Python's re: shared by tools/check_rules.py and the
test corpus generator (tests/corpus/gen_corpus.py). Standard library only."""


def _skip_class(p, j):
    """p[j] is '['; return the index just past the class."""
    j += 1
    if p[j:j + 1] == "^":
        j += 1
    if p[j:j + 1] == "]":
        j += 1
    while j < len(p):
        if p[j] == "\\":
            j += 2
            continue
        if p[j] == "]":
            return j + 1
        j += 1
    return len(p)


def to_python(p):
    """Translate a dialect pattern to Python re syntax.

    Python accepts a global inline flag only at the very start; PCRE and RE2
    apply a (?i) met later to the rest of its enclosing group. Rewrite each
    such (?i) to a scoped (?i:...) covering exactly that span.
    """
    while True:
        pos, i = None, 0
        while i < len(p):
            c = p[i]
            if c == "\\":
                i += 2
                continue
            if c == "[":
                i = _skip_class(p, i)
                continue
            if p.startswith("(?i)", i) and i != 0:
                pos = i
                break
            i += 1
        if pos is None:
            return p
        depth, j, end = 0, pos + 4, len(p)
        while j < len(p):
            c = p[j]
            if c == "\\":
                j += 2
                continue
            if c == "[":
                j = _skip_class(p, j)
                continue
            if c == "(":
                depth += 1
            elif c == ")":
                if depth == 0:
                    end = j
                    break
                depth -= 1
            j += 1
        p = p[:pos] + "(?i:" + p[pos + 4:end] + ")" + p[end:]
