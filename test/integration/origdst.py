#!/usr/bin/python3
"""origdst.py: where was a redirected connection going?

Part of portcullis's integration rig.  It stands where the gateway's
outbound s2s listener will stand under ROUTE-1 (a): an iptables REDIRECT
in the nat OUTPUT chain sends a backend's outgoing connections to PORT on
loopback, and the kernel still knows the destination the backend asked
for.  For each connection accepted on 127.0.0.1:PORT and [::1]:PORT this
writes one JSON line to --out (default stdout):

  {"peer": "127.0.0.1:40000", "family": 4,
   "original_dst": "10.1.2.3:5269", "first_bytes": "<?xml ..."}

original_dst comes from getsockopt(SOL_IP, SO_ORIGINAL_DST) for IPv4 and
getsockopt(SOL_IPV6, IP6T_SO_ORIGINAL_DST) for IPv6 (both option 80).
For a connection made straight to PORT, not redirected, it is this
listener's own address; it is null, with "error", when the kernel
tracks no connection at all.  first_bytes is what the client sent within --read seconds (up to 4 KB).
An XMPP server's s2s stream header need not say whom it is for (jabberd2
sends neither to nor from), so with --answer this replies with a stream
header of its own (and empty features to a version='1.0' header), and
reads on until the client's first dialback element, which does.  Then it
holds the connection open, reading and dropping, until the client closes
it or --hold seconds pass: a server whose connection is closed at once
may retry at once, and forever (jabberd2 does).  Runs until killed.
"""

import argparse
import json
import re
import select
import socket
import struct
import sys
import threading
import time

SO_ORIGINAL_DST = 80        # linux/netfilter_ipv4.h
IP6T_SO_ORIGINAL_DST = 80   # linux/netfilter_ipv6/ip6_tables.h
SOL_IPV6 = getattr(socket, "SOL_IPV6", 41)
LIMIT = 4096

HEADER = re.compile(rb"<stream:stream\b[^>]*>")
DIALBACK = re.compile(rb"<db:(result|verify)\b[^>]*(/>|>[^<]*</db:\1>)")


def original_dst(conn, family):
    """The pre-NAT destination of conn as "addr:port" (IPv6 bracketed)."""
    if family == socket.AF_INET:
        raw = conn.getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)
        port, addr = struct.unpack_from("!H4s", raw, 2)
        return "%s:%d" % (socket.inet_ntop(socket.AF_INET, addr), port)
    raw = conn.getsockopt(SOL_IPV6, IP6T_SO_ORIGINAL_DST, 28)
    port, _flow, addr = struct.unpack_from("!HI16s", raw, 2)
    return "[%s]:%d" % (socket.inet_ntop(socket.AF_INET6, addr), port)


def read_until(conn, data, deadline, done):
    """Read onto data until done(data), the deadline, LIMIT or EOF.
    Returns (data, closed)."""
    while len(data) < LIMIT and not done(data):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([conn], [], [], left)[0]:
            return data, False
        chunk = conn.recv(LIMIT - len(data))
        if not chunk:
            return data, True
        data += chunk
    return data, False


def serve(conn, family, peer, n, args, out):
    rec = {"peer": ("%s:%d" if family == socket.AF_INET else "[%s]:%d")
           % peer[:2], "family": 4 if family == socket.AF_INET else 6}
    try:
        rec["original_dst"] = original_dst(conn, family)
    except OSError as e:
        rec["original_dst"] = None
        rec["error"] = str(e)
    deadline = time.monotonic() + args.read
    closed = False
    try:
        data, closed = read_until(conn, b"", deadline,
                                  lambda d: HEADER.search(d))
        header = HEADER.search(data)
        if args.answer and header and not closed:
            v1 = re.search(rb"version=['\"]1\.0['\"]", header.group(0))
            conn.sendall(
                b"<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
                b"xmlns:stream='http://etherx.jabber.org/streams' "
                b"xmlns:db='jabber:server:dialback' id='origdst-%d'%s>%s"
                % (n, b" version='1.0'" if v1 else b"",
                   b"<stream:features/>" if v1 else b""))
            data, closed = read_until(conn, data, deadline,
                                      lambda d: DIALBACK.search(d))
    except OSError as e:
        data, closed = b"", True
        rec["error"] = str(e)
    rec["first_bytes"] = data.decode("utf-8", "replace")
    with out["lock"]:
        print(json.dumps(rec), file=out["file"], flush=True)
    # Hold: read and drop until the client closes or --hold passes.
    deadline = time.monotonic() + args.hold
    try:
        while not closed:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([conn], [], [], left)[0]:
                break
            closed = not conn.recv(65536)
    except OSError:
        pass
    conn.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("port", type=int)
    p.add_argument("--read", type=float, default=3.0,
                   help="seconds to wait for what is recorded (default 3)")
    p.add_argument("--answer", action="store_true",
                   help="answer an XMPP stream header, to see dialback")
    p.add_argument("--hold", type=float, default=30.0,
                   help="seconds to keep a connection open (default 30)")
    p.add_argument("--out", type=argparse.FileType("a"), default=sys.stdout,
                   help="append the JSON lines to this file")
    args = p.parse_args()
    out = {"lock": threading.Lock(), "file": args.out}
    listeners = []
    for family, addr in ((socket.AF_INET, "127.0.0.1"),
                         (socket.AF_INET6, "::1")):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((addr, args.port))
        s.listen(64)
        listeners.append(s)
    n = 0
    while True:
        for s in select.select(listeners, [], [])[0]:
            conn, peer = s.accept()
            n += 1
            threading.Thread(target=serve, daemon=True,
                             args=(conn, s.family, peer, n, args, out)).start()


if __name__ == "__main__":
    sys.exit(main())
