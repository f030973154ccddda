"""Builds ward audit logs for end-to-end tests, without ward.

A line is the canonical JSON of one event: keys sorted, no whitespace,
strings escaped as ward escapes them (which is exactly what
json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False)
does). Its hash is SHA-256(prev bytes || the line without its hash member);
the first prev is 64 zeros. See src/audit/event.hpp for the schema.

    chain = Chain()
    chain.add("get", secrets=["llm/openai"], tool="/usr/bin/curl")
    chain.write(home)                    # $WARD_HOME/audit.jsonl
    chain.write(home, rotate_after=100)  # audit-000000000100.jsonl + audit.jsonl
"""

import hashlib
import json
import os

ZERO_HASH = "0" * 64
T0 = 1_764_000_000_000_000  # 2025-11-24T16:00:00Z in microseconds


def canonical(obj):
    """The canonical bytes of a JSON object."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def line_hash(prev, obj):
    """SHA-256(prev || canonical(obj without hash)), hex."""
    body = {k: v for k, v in obj.items() if k != "hash"}
    return hashlib.sha256(bytes.fromhex(prev) + canonical(body)).hexdigest()


def make_actor(pid=4242, ppid=4200, uid=1000, sid=4100, exe="/usr/bin/bash", comm="bash",
               cwd="/home/dev/project", tty="", ancestry=("zsh", "sshd", "systemd"),
               agent="", via=""):
    return {"agent": {"name": agent, "via": via}, "ancestry": list(ancestry), "comm": comm,
            "cwd": cwd, "exe": exe, "pid": pid, "ppid": ppid, "sid": sid, "tty": tty, "uid": uid}


def make_event(event="get", seq=1, ts=T0, secrets=(), denied=(), outcome="ok", reason="",
               tool="", host="testhost", actor=None, checkpoint=None, prev=ZERO_HASH, **actor_kw):
    """An event object with its hash (prev given)."""
    obj = {"v": 1, "seq": seq, "ts": ts, "event": event, "secrets": list(secrets),
           "outcome": outcome, "reason": reason, "actor": actor or make_actor(**actor_kw),
           "tool": tool, "host": host, "prev": prev}
    if denied:
        obj["denied"] = list(denied)
    if checkpoint is not None:
        obj["checkpoint"] = checkpoint
    obj["hash"] = line_hash(prev, obj)
    return obj


def seal(obj, prev=None):
    """Sets obj's prev (when given) and hash again; returns its line."""
    if prev is not None:
        obj["prev"] = prev
    obj["hash"] = line_hash(obj["prev"], obj)
    return canonical(obj)


class Chain:
    """Events in order, each linked to the one before."""

    def __init__(self, start_ts=T0, step_us=60_000_000):
        self.events = []
        self.next_ts = start_ts
        self.step_us = step_us

    @property
    def head(self):
        return self.events[-1]["hash"] if self.events else ZERO_HASH

    def add(self, event="get", ts=None, **fields):
        """Appends an event (fields as make_event); returns it."""
        if ts is None:
            ts = self.next_ts
        self.next_ts = ts + self.step_us
        obj = make_event(event, seq=len(self.events) + 1, ts=ts, prev=self.head, **fields)
        self.events.append(obj)
        return obj

    def lines(self):
        return [canonical(e) for e in self.events]

    def write(self, home, rotate_after=None, tail=b""):
        """Writes the chain under home: audit.jsonl, or with rotate_after=N the
        first N events in audit-<N>.jsonl and the rest in audit.jsonl. tail is
        appended to the current file as is (a torn line). Returns the paths."""
        lines = self.lines()
        paths = []
        if rotate_after is not None:
            rotated = os.path.join(home, f"audit-{rotate_after:012d}.jsonl")
            write_lines(rotated, lines[:rotate_after])
            paths.append(rotated)
            lines = lines[rotate_after:]
        current = log_path(home)
        write_lines(current, lines, tail)
        paths.append(current)
        return paths


def log_path(home):
    return os.path.join(home, "audit.jsonl")


def write_lines(path, lines, tail=b""):
    """Writes lines (bytes, no newline) to path, mode 0600 in a 0700 directory."""
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    os.chmod(os.path.dirname(path), 0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(b"".join(line + b"\n" for line in lines) + tail)
    os.chmod(path, 0o600)


def read_lines(path):
    with open(path, "rb") as f:
        return f.read().split(b"\n")[:-1]


# One event whose bytes are checked against ward's own encoder in
# tests/unit/audit/query_test.cpp (AuditFixture.PythonWriterMatchesEncodeLine).
GOLDEN_EVENT = dict(event="run", seq=7, ts=1764000000123456, secrets=["llm/openai", "prod/db"],
                    denied=["prod/ssh"], outcome="denied",
                    reason="quote \" backslash \\ nl \n tab \t ctl \x01 utf8 \u00e9 \u2603",
                    tool="/usr/bin/python3", host="box",
                    actor=make_actor(pid=10, ppid=9, uid=1000, sid=8, exe="/usr/bin/node",
                                     comm="node", cwd="/w", tty="/dev/pts/3",
                                     ancestry=["claude", "zsh"], agent="claude-code",
                                     via="env:CLAUDECODE"))

if __name__ == "__main__":
    print(canonical(make_event(**GOLDEN_EVENT)).decode())
