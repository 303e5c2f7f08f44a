#!/usr/bin/python3
"""fedsend.py: alice@legacy.test writes to remote users; what became of it.

Part of portcullis's integration rig (run inside the legacy host).  Alice
logs in on the backend's plaintext c2s port and sends one message to
bob@DOMAIN for each DOMAIN given.  A DOMAIN=HOST:CAFILE argument also
logs bob in on HOST's c2s port (STARTTLS, chain checked against CAFILE)
first, so that delivery can be seen.  Prints one line per domain:
"DOMAIN delivered", "DOMAIN CONDITION" (the bounce's error condition) or
"DOMAIN nothing" (neither within the time limit).

Usage: fedsend.py TAG [--timeout S] DOMAIN[=HOST:CAFILE]...
"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from xmpp import Raw, secure  # noqa: E402


def main():
    args = sys.argv[1:]
    tag = args.pop(0)
    limit = 35.0
    if args and args[0] == "--timeout":
        limit = float(args[1])
        args = args[2:]
    tos, bobs = [], {}
    for a in args:
        to, _, where = a.partition("=")
        tos.append(to)
        if where:
            host, cafile = where.split(":", 1)
            b = secure(5222, cafile, to, host=host, timeout=limit + 5)
            b.login(to, "bob", "secret-bob", "b")
            bobs[to] = b
    alice = Raw("127.0.0.1", 5322, timeout=limit + 5)
    alice.login("legacy.test", "alice", "secret-alice", tag)
    for to in tos:
        alice.send("<message to='bob@%s/b' id='%s-%s'><body>%s to %s"
                   "</body></message>" % (to, tag, to, tag, to))
    result = {to: None for to in tos}
    deadline = time.monotonic() + limit
    while None in result.values() and time.monotonic() < deadline:
        for to, b in bobs.items():
            if result[to] is None and \
                    ("%s to %s" % (tag, to)).encode() in b.received:
                result[to] = "delivered"
        try:
            alice.sock.settimeout(0.3)
            alice.received += alice.sock.recv(65536)
        except OSError:
            pass
        text = alice.received.decode(errors="replace")
        # Attribute order is the server's business: look at each bounce.
        for m in re.finditer(r"<message\b([^>]*)>(.*?)</message>", text,
                             re.S):
            attrs, inner = m.group(1), m.group(2)
            if not re.search(r"type=['\"]error['\"]", attrs):
                continue
            for to in tos:
                if result[to] is None and re.search(
                        r"id=['\"]%s-%s['\"]" % (tag, re.escape(to)), attrs):
                    c = re.search(r"<error[^>]*>\s*<([a-z-]+)", inner)
                    result[to] = c.group(1) if c else "error"
        for b in bobs.values():
            try:
                b.sock.settimeout(0.1)
                b.received += b.sock.recv(65536)
            except OSError:
                pass
    for to in tos:
        print("%s %s" % (to, result[to] or "nothing"))


if __name__ == "__main__":
    main()
