#!/usr/bin/python3
"""fakes2s.py: a receiving XMPP server that lies once TLS is up.

Part of portcullis's integration rig.  Listens on ADDR:PORT; to each
initiating server it answers like a well-run peer: its own header and
features offering STARTTLS, <proceed/>, TLS with CERT and KEY (a chain
the test CA signed, so it verifies).  Then, inside TLS, it answers the
initiator's header with a header whose from is FROM, whatever domain
was asked for, and features with dialback, followed by EXTRA if given
(say, a dialback answer nobody asked for); what comes next is recorded.

Everything each initiator sent (plaintext, then decrypted) is appended to
OUT.

Usage: fakes2s.py ADDR PORT CERT KEY FROM OUT [EXTRA]
"""

import re
import socket
import ssl
import sys
import threading

NS = ("xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/"
      "streams' xmlns:db='jabber:server:dialback'")


def read_until(sock, log, pattern, buf=b""):
    rx = re.compile(pattern, re.S)
    while not rx.search(buf):
        data = sock.recv(65536)
        if not data:
            raise EOFError
        log.write(data)
        buf += data
    return buf


def serve(c, ctx, frm, log, extra):
    try:
        c.settimeout(30)
        read_until(c, log, rb"<stream:stream[^>]*>")
        c.sendall(("<?xml version='1.0'?><stream:stream %s id='fake1' "
                   "version='1.0'><stream:features><starttls xmlns='urn:"
                   "ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
                   "</stream:features>" % NS).encode())
        read_until(c, log, rb"<starttls[^>]*>")
        c.sendall(b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        t = ctx.wrap_socket(c, server_side=True)
        read_until(t, log, rb"<stream:stream[^>]*>")
        t.sendall(("<?xml version='1.0'?><stream:stream %s from='%s' "
                   "id='fake2' version='1.0'><stream:features><dialback "
                   "xmlns='urn:xmpp:features:dialback'/></stream:features>"
                   "%s" % (NS, frm, extra)).encode())
        while True:
            data = t.recv(65536)
            if not data:
                break
            log.write(data)
    except (OSError, EOFError, ssl.SSLError):
        pass
    finally:
        c.close()


def main():
    addr, port, cert, key, frm, out = sys.argv[1:7]
    extra = sys.argv[7] if len(sys.argv) > 7 else ""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    log = open(out, "ab", buffering=0)
    srv = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, int(port)))
    srv.listen(16)
    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c, ctx, frm, log, extra),
                         daemon=True).start()


if __name__ == "__main__":
    main()
