#!/usr/bin/env python3
"""poshd.py: an HTTPS server for POSH tests (RFC 7711), serving one
document per Host at /.well-known/posh/xmpp-server.json.

Usage: poshd.py ADDR PORT CERT KEY DOCS LOG

DOCS is a JSON object {"host": document, ...}; a document is served as
JSON.  Any other path or host gets 404.  One line per request goes to
LOG: the host, the path and the status.
"""
import http.server
import json
import ssl
import sys

PATH = "/.well-known/posh/xmpp-server.json"


def main():
    addr, port, cert, key, docs, log = sys.argv[1:7]
    with open(docs) as f:
        table = json.load(f)
    logf = open(log, "a", buffering=1)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            host = (self.headers.get("Host") or "").split(":")[0].lower()
            doc = table.get(host) if self.path == PATH else None
            status = 200 if doc is not None else 404
            body = json.dumps(doc).encode() if doc is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            logf.write("%s %s %d\n" % (host, self.path, status))

        def log_message(self, fmt, *args):
            pass

    srv = http.server.ThreadingHTTPServer((addr, int(port)), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
