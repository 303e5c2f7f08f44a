#!/usr/bin/python3
"""tap.py: record the bytes between portcullis and a real backend.

Part of portcullis's integration rig.  Listens on 127.0.0.1:LISTEN, and
for each connection connects to 127.0.0.1:TARGET and copies bytes both
ways unchanged, appending what went towards the backend to OUT.up and
what came back to OUT.down (connection n writes OUT.n.up / OUT.n.down).
Scenarios point portcullis's backend at the tap to prove what the backend
received, byte for byte; the backend itself is the real server.

Usage: tap.py LISTEN TARGET OUT
"""

import os
import selectors
import socket
import sys


def main():
    listen, target, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", listen))
    srv.listen(64)
    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ, None)
    pairs = {}
    n = 0
    while True:
        for key, _ in sel.select():
            if key.data is None:
                c, _ = srv.accept()
                try:
                    b = socket.create_connection(("127.0.0.1", target))
                except OSError:
                    c.close()
                    continue
                for s in (c, b):
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                n += 1
                up = open("%s.%d.up" % (out, n), "wb", buffering=0)
                down = open("%s.%d.down" % (out, n), "wb", buffering=0)
                pairs[c] = (b, up)
                pairs[b] = (c, down)
                sel.register(c, selectors.EVENT_READ, "c")
                sel.register(b, selectors.EVENT_READ, "b")
                continue
            s = key.fileobj
            if s not in pairs:
                continue
            other, log = pairs[s]
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if data:
                log.write(data)
                try:
                    other.sendall(data)
                except OSError:
                    data = b""
            if not data:
                for x in (s, other):
                    if x in pairs:
                        sel.unregister(x)
                        pairs.pop(x)[1].close()
                        x.close()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        os._exit(0)
