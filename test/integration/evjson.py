"""evjson.py: read portcullis's JSON events file as a scenario checks it.

Part of portcullis's integration rig (import it from /usr/bin/python3).
Every record must be one valid JSON line, of an event in the catalogue
`portcullis -E` printed, with only that event's fields, each of its type.
Then a scenario asks for the records it expects:

    ev = Events(events_path, catalogue_path)
    r = ev.one("cert.changed", domain="renew.test")   # waits up to 10 s
    ev.count("cert.changed", domain="renew.test")      # as the file is now
    ev.absent_text(["secret"], [events_path, stderr_log])

A match value that is a callable is called with the field's value.
"""

import json
import sys
import time

HEAD = ("ts", "level", "session", "role", "event")
TYPES = {"string": str, "number": int, "boolean": bool}


class Events:
    def __init__(self, path, catalogue):
        self.path = path
        self.cat = {}
        for line in open(catalogue):
            e = json.loads(line)
            self.cat[e["event"]] = e
        self.recs = []

    def load(self):
        recs = []
        try:
            f = open(self.path, encoding="utf-8")
        except FileNotFoundError:
            return recs
        with f:
            for n, line in enumerate(f, 1):
                if not line.endswith("\n"):
                    break       # being written
                r = json.loads(line)
                self.check(r, n)
                recs.append(r)
        self.recs = recs
        return recs

    def check(self, r, n):
        ev = r.get("event")
        assert ev in self.cat, "line %d: %s is not catalogued" % (n, ev)
        for k in HEAD[:4]:
            assert isinstance(r[k], str), "line %d: %s" % (n, k)
        assert len(r["session"]) == 16, r
        int(r["session"], 16)
        fields = self.cat[ev]["fields"]
        for k, v in r.items():
            if k in HEAD:
                continue
            assert k in fields, "%s: field %s not catalogued" % (ev, k)
            t = TYPES[fields[k]]
            assert type(v) is t, "%s: %s=%r is not a %s" % (
                ev, k, v, t.__name__)

    @staticmethod
    def matches(r, ev, match):
        if r["event"] != ev:
            return False
        for k, want in match.items():
            if callable(want):
                if k not in r or not want(r[k]):
                    return False
            elif r.get(k) != want:
                return False
        return True

    def all(self, ev, **match):
        return [r for r in self.load() if self.matches(r, ev, match)]

    def count(self, ev, **match):
        return len(self.all(ev, **match))

    def one(self, ev, wait=10.0, **match):
        """The first record of ev matching; waits for it to appear."""
        deadline = time.monotonic() + wait
        while True:
            found = self.all(ev, **match)
            if found:
                return found[0]
            if time.monotonic() > deadline:
                near = [r for r in self.recs if r["event"] == ev]
                sys.exit("no %s record with %s; of that event: %s" % (
                    ev, match, near[:3]))
            time.sleep(0.1)

    def none(self, ev, **match):
        found = self.all(ev, **match)
        assert not found, "unexpected %s: %s" % (ev, found[:2])

    @staticmethod
    def absent_text(secrets, paths):
        for p in paths:
            data = open(p, encoding="utf-8", errors="replace").read()
            for s in secrets:
                assert s not in data, "%r reached %s" % (s, p)
