#!/usr/bin/python3
"""tlsprobe.py: one TLS handshake with portcullis, reported as JSON.

Part of portcullis's integration rig (run with /usr/bin/python3).  It
owns the client side of the certificate and policy scenarios: STARTTLS
(stream header with --to, <starttls/>, <proceed/>) or direct TLS, an
optional SNI, optional version bounds and OpenSSL cipher string, then
optionally a post-TLS stream header (--header-to) to see what the
gateway answers.  It verifies the chain against --cafile but not the
name, and reports which certificate it was shown, so a scenario can
assert the choice.  One JSON object on stdout:

  {"ok": true, "version": "TLSv1.3", "cipher": "...", "sans": [...],
   "cn": "...", "fingerprint": "sha256 hex of the leaf DER",
   "key": "EC|RSA", "after": "what the gateway sent after --header-to"}

or {"ok": false, "error": "..."}.  Exit 0 when the handshake completed,
1 when it did not, 2 on usage errors.
"""

import argparse
import hashlib
import json
import socket
import ssl
import sys
import time
import warnings

# Old versions are the point of some probes; Python warns about them.
warnings.filterwarnings("ignore", category=DeprecationWarning)

NS = "http://etherx.jabber.org/streams"
VERSIONS = {"1.0": ssl.TLSVersion.TLSv1, "1.1": ssl.TLSVersion.TLSv1_1,
            "1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}


def header(to):
    t = " to='%s'" % to if to else ""
    return ("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
            "xmlns:stream='%s'%s version='1.0'>" % (NS, t)).encode()


def read_until(sock, marker, deadline):
    buf = b""
    while marker not in buf:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed before %r; got %r" % (marker, buf))
        buf += chunk
    return buf


def read_some(sock, deadline):
    """Everything the peer sends until it closes or the deadline."""
    buf = b""
    try:
        while time.monotonic() < deadline:
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            chunk = sock.recv(4096)
            if not chunk:
                break
            buf += chunk
            if b"</stream:stream>" in buf or b"</stream:features>" in buf:
                break
    except (socket.timeout, ssl.SSLError, OSError):
        pass
    return buf.decode(errors="replace")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--direct", action="store_true")
    p.add_argument("--to", help="pre-TLS stream to (STARTTLS)")
    p.add_argument("--sni")
    p.add_argument("--cafile", required=True)
    p.add_argument("--min", choices=VERSIONS)
    p.add_argument("--max", choices=VERSIONS)
    p.add_argument("--ciphers", help="OpenSSL cipher string (TLS <= 1.2)")
    p.add_argument("--header-to", help="send a stream header inside TLS")
    p.add_argument("--timeout", type=float, default=10)
    a = p.parse_args()

    deadline = time.monotonic() + a.timeout
    out = {"ok": False}
    try:
        sock = socket.create_connection(("127.0.0.1", a.port),
                                        timeout=a.timeout)
        if not a.direct:
            sock.sendall(header(a.to))
            read_until(sock, b"</stream:features>", deadline)
            sock.sendall(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
            read_until(sock, b"<proceed", deadline)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cafile=a.cafile)
        if a.min or a.max or a.ciphers:
            # Old versions and suites need OpenSSL's lowest level.
            ctx.set_ciphers((a.ciphers or "DEFAULT") + ":@SECLEVEL=0")
        if a.min:
            ctx.minimum_version = VERSIONS[a.min]
        if a.max:
            ctx.maximum_version = VERSIONS[a.max]
        tls = ctx.wrap_socket(sock, server_hostname=a.sni)
        cert = tls.getpeercert()
        der = tls.getpeercert(binary_form=True)
        out.update(ok=True, version=tls.version(), cipher=tls.cipher()[0],
                   sans=[v for k, v in cert.get("subjectAltName", ())],
                   cn=dict(x[0] for x in cert.get("subject", ())).get(
                       "commonName", ""),
                   fingerprint=hashlib.sha256(der).hexdigest(),
                   key="RSA" if b"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01"
                   in der[:600] else "EC")
        if a.header_to is not None:
            tls.sendall(header(a.header_to))
            out["after"] = read_some(tls, deadline)
        tls.close()
    except (OSError, ssl.SSLError, ConnectionError) as e:
        out["error"] = "%s: %s" % (type(e).__name__, e)
    print(json.dumps(out))
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
