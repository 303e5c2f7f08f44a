#!/usr/bin/python3
"""chat.py: two real XMPP clients (slixmpp) talk through one server port.

Part of portcullis's integration rig; run it with /usr/bin/python3 (the
Debian interpreter that has slixmpp).  It owns the client side of a chat
scenario: log in users A and B through HOST:PORT, A sends --count message
stanzas with varied bodies (ASCII, non-ASCII, XML specials, ~8 KB) to B's
bare JID, B checks that every body arrives intact and in order and sends
one reply, then A and B play --pings rounds of ping-pong to time a message
round trip.  One JSON object goes to stdout, pass or fail.

Federation: with --b-port (and --b-host, --b-domain, --b-mode) B logs in
to another server, so every message crosses server-to-server links: A's
server to B's for the messages and pings, B's to A's for the reply and
pongs.  The JSON then also names B's server and domain.

TLS (the default, --require-tls): STARTTLS, or TLS from the first byte
with --direct-tls.  Before any credentials are sent, chat.py itself checks
that the stream is TLS and that the server certificate verified against
--cafile (and nothing else) for --domain: slixmpp 1.8 does not enforce
force_starttls, so without this check it would send PLAIN in the clear.
--plaintext allows no TLS at all; it is only for checking the rig against
a bare backend.

Exit status: 0 all messages intact and in order; 1 a message was lost,
changed, reordered or late; 2 usage; 3 the TLS requirement was not met
(no credentials were sent); 4 could not connect or log in.
"""

import argparse
import asyncio
import json
import logging
import socket
import ssl
import statistics
import sys
import time
from pathlib import Path

# Configure logging before slixmpp is imported: it warns at import time.
logging.basicConfig(level=logging.ERROR, stream=sys.stderr,
                    format="chat.py: %(name)s: %(message)s")

try:
    import slixmpp  # noqa: E402
except ImportError:
    print("chat.py: no slixmpp in %s; run it with /usr/bin/python3 "
          "(Debian's python3-slixmpp)" % sys.executable, file=sys.stderr)
    sys.exit(2)

EXIT_OK, EXIT_DELIVERY, EXIT_USAGE, EXIT_TLS, EXIT_LOGIN = 0, 1, 2, 3, 4


def bodies(count):
    """The N message bodies A sends, each starting with its index."""
    printable = "".join(chr(0x20 + (k * 7) % 95) for k in range(95))
    variants = [
        "hello, plain ASCII",
        "Grüße 日本 🎉 café e\u0301 Ω ≠ 𝄞",
        "<b>not markup</b> & 'single' \"double\" ]]> &amp; &lt;x&gt; <![CDATA[",
        "two\nlines\twith a tab, and trailing spaces   ",
        # About 8 KB: every printable ASCII character, some multi-byte.
        ("long " + printable + " Grüße 日本 🎉 ") * 70,
    ]
    return ["%d: %s" % (i, variants[i % len(variants)]) for i in range(count)]


class Failure(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class Client(slixmpp.ClientXMPP):
    """One logged-in user; records TLS facts and incoming messages.

    side: the server this user logs in to (host, port, domain, plaintext,
    direct_tls)."""

    def __init__(self, jid, password, args, side):
        plaintext = side.plaintext
        super().__init__(jid, password, plugin_config={
            "feature_mechanisms": {"unencrypted_plain": plaintext},
        })
        self.args = args
        self.side = side
        self.whitespace_keepalive = False
        self.failure = None
        self.errors = []
        self.closing = False
        self.tls = None
        self.ready = asyncio.Event()
        self.inbox = asyncio.Queue()
        self.login_ms = None
        self.t_connect = None
        # How far the login got, for the message when it stalls.
        self.stage = "not connected"
        for event, stage in (("connected", "TCP connected"),
                             ("tls_success", "TLS up"),
                             ("auth_success", "authenticated"),
                             ("session_bind", "resource bound")):
            self.add_event_handler(
                event, lambda _e, stage=stage: setattr(self, "stage", stage))
        if not plaintext:
            # Trust only --cafile: no system store, name checked.
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.load_verify_locations(cafile=args.cafile)
            self.ssl_context = ctx
            self.ca_certs = Path(args.cafile)
            handler, restart = self._stream_feature_handlers["mechanisms"]
            self._stream_feature_handlers["mechanisms"] = (
                self._guarded(handler), restart)
        self.add_event_handler("session_start", self.on_session_start)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("failed_auth", self.on_failed_auth)
        self.add_event_handler("connection_failed", self.on_connection_failed)
        self.add_event_handler("ssl_invalid_chain", self.on_invalid_chain)
        self.add_event_handler("stream_error", self.on_stream_error)
        self.add_event_handler("disconnected", self.on_disconnected)

    def fail(self, code, message):
        if self.failure is None:
            self.failure = Failure(code, "%s: %s" % (self.boundjid.bare,
                                                     message))
        self.ready.set()

    def connection_made(self, transport):
        super().connection_made(transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def tls_problem(self):
        """Why this stream may not carry credentials, or None if it may."""
        obj = self.transport.get_extra_info("ssl_object") \
            if self.transport else None
        if obj is None:
            return ("the stream is not TLS (no STARTTLS offered, or it was "
                    "skipped); refusing to send credentials")
        if obj.context.verify_mode != ssl.CERT_REQUIRED or \
                not obj.context.check_hostname:
            return "TLS is up but the certificate was not checked"
        if obj.server_hostname != self.side.domain or not obj.getpeercert():
            return "TLS is up but the certificate was not verified for %s" \
                % self.side.domain
        cipher = obj.cipher()
        cert = obj.getpeercert()
        self.tls = {
            "version": obj.version(),
            "cipher": cipher[0],
            "bits": cipher[2],
            "verified_for": obj.server_hostname,
            "peer_subject": ",".join("%s=%s" % kv for rdn in
                                     cert.get("subject", ()) for kv in rdn),
            "peer_dns": [v for k, v in cert.get("subjectAltName", ())
                         if k == "DNS"],
        }
        return None

    def _guarded(self, handler):
        """Wrap SASL so it runs only on a verified TLS stream."""
        def guarded(features):
            problem = self.tls_problem()
            if problem:
                self.fail(EXIT_TLS, problem)
                self.abort()
                return True
            return handler(features)
        return guarded

    async def get_dns_records(self, domain, port=None):
        # Never resolve: slixmpp would look up the server name even with
        # an explicit address, and prefer what DNS says over --host.
        return []

    def start(self):
        self.t_connect = time.perf_counter()
        self.connect(address=(self.side.host, self.side.port),
                     use_ssl=self.side.direct_tls,
                     force_starttls=not self.side.plaintext,
                     disable_starttls=self.side.plaintext)
        # The name for SNI and for the certificate check.  connect() only
        # schedules the connection; it leaves this empty for an IP address,
        # and Python then checks no name at all.
        self.default_domain = self.side.domain

    async def on_session_start(self, _event):
        self.send_presence()
        # The roster result also tells us the server has processed our
        # initial presence, so messages to our bare JID reach us.
        await self.get_roster()
        self.login_ms = round((time.perf_counter() - self.t_connect) * 1e3, 1)
        self.ready.set()

    def on_message(self, msg):
        if msg["type"] == "error":
            # A bounce: the server could not deliver something we sent.
            self.errors.append("%s from %s" % (msg["error"]["condition"],
                                               msg["from"]))
        else:
            self.inbox.put_nowait((time.perf_counter(), msg["from"],
                                   msg["body"]))

    def on_failed_auth(self, _event):
        self.fail(EXIT_LOGIN, "authentication failed")
        self.disconnect(0)

    def on_connection_failed(self, error):
        # Stop slixmpp's reconnect loop: one attempt is the test.
        self.cancel_connection_attempt()
        code = EXIT_TLS if isinstance(error, ssl.SSLError) else EXIT_LOGIN
        self.fail(code, "cannot connect to %s:%d: %s"
                  % (self.side.host, self.side.port, error))

    def on_invalid_chain(self, error):
        self.fail(EXIT_TLS, "TLS handshake or certificate check failed: %s"
                  % error)
        self.abort()

    def on_stream_error(self, error):
        self.fail(EXIT_LOGIN, "stream error from server: %s %s"
                  % (error["condition"], error["text"]))

    def on_disconnected(self, reason):
        if self.failure or self.closing:
            return
        if not self.ready.is_set():
            self.fail(EXIT_LOGIN, "disconnected before the session started"
                      + (": %s" % reason if reason else ""))
        else:
            # A drop mid-test shows up as missing messages; say why.
            logging.getLogger("chat").error("%s disconnected: %s",
                                            self.boundjid.bare, reason)


async def next_message(client, deadline, what):
    left = deadline - time.monotonic()
    if left <= 0:
        raise Failure(EXIT_DELIVERY, "timed out waiting for " + what)
    try:
        return await asyncio.wait_for(client.inbox.get(), left)
    except asyncio.TimeoutError:
        raise Failure(EXIT_DELIVERY, "timed out waiting for " + what) \
            from None


async def scenario(args, a, b, result):
    deadline = time.monotonic() + args.timeout
    for c in (a, b):
        c.start()
    try:
        await asyncio.wait_for(
            asyncio.gather(a.ready.wait(), b.ready.wait()), args.timeout)
    except asyncio.TimeoutError:
        raise Failure(EXIT_LOGIN, "no session within %g s (%s)" % (
            args.timeout, ", ".join("%s: %s" % (c.boundjid.bare, c.stage)
                                    for c in (a, b) if not c.ready.is_set()))
        ) from None
    for c in (a, b):
        if c.failure:
            raise c.failure
    result["login_ms"] = {a.boundjid.user: a.login_ms,
                          b.boundjid.user: b.login_ms}
    result["tls"] = a.tls
    mech = a["feature_mechanisms"].mech
    result["sasl"] = mech.name if mech else None
    if b.tls != a.tls:
        result["tls_b"] = b.tls

    # A sends everything at once; B checks each body in arrival order.
    expected = bodies(args.count)
    for body in expected:
        a.send_message(mto=b.boundjid.bare, mbody=body, mtype="chat")
    result["sent"] = len(expected)
    result["body_bytes"] = sum(len(x.encode()) for x in expected)
    got = []
    while len(got) < len(expected):
        try:
            _, sender, body = await next_message(
                b, deadline, "message %d of %d" % (len(got) + 1,
                                                   len(expected)))
        except Failure:
            break
        if sender.bare != a.boundjid.bare:
            result.setdefault("unexpected_from", []).append(str(sender))
            continue
        got.append(body)
    result["received"] = len(got)
    result["intact"] = sum(1 for x in got if x in expected)
    result["in_order"] = got == expected[:len(got)]
    if got != expected:
        for i, (want, have) in enumerate(zip(expected, got)):
            if want != have:
                result["first_mismatch"] = {"index": i, "want": want[:200],
                                            "got": have[:200]}
                break
        raise Failure(EXIT_DELIVERY, "B received %d of %d bodies, %d intact, "
                      "in order: %s" % (len(got), len(expected),
                                        result["intact"], result["in_order"]))

    reply = "reply: Grüße & <ok/> from %s" % b.boundjid.user
    b.send_message(mto=a.boundjid.bare, mbody=reply, mtype="chat")
    _, _, body = await next_message(a, deadline, "B's reply")
    result["reply_ok"] = body == reply
    if not result["reply_ok"]:
        raise Failure(EXIT_DELIVERY, "A got %r instead of B's reply"
                      % (body,))

    # Ping-pong: B echoes each "ping k" back to its sender as "pong k".
    def echo(msg):
        if msg["body"].startswith("ping "):
            b.send_message(mto=msg["from"], mtype="chat",
                           mbody="pong " + msg["body"][5:])
    b.del_event_handler("message", b.on_message)
    b.add_event_handler("message", echo)
    rtts = []
    for k in range(args.pings):
        t0 = time.perf_counter()
        a.send_message(mto=b.boundjid.bare, mbody="ping %d" % k, mtype="chat")
        t1, _, body = await next_message(a, deadline, "pong %d" % k)
        if body != "pong %d" % k:
            raise Failure(EXIT_DELIVERY, "ping %d answered by %r" % (k, body))
        rtts.append((t1 - t0) * 1e3)
    if rtts:
        result["rtt_ms_median"] = round(statistics.median(rtts), 2)
        result["rtt_ms"] = {"n": len(rtts), "min": round(min(rtts), 2),
                            "max": round(max(rtts), 2)}


async def run(args):
    side_a, side_b = args.sides
    result = {"ok": False, "server": "%s:%d" % (side_a.host, side_a.port),
              "domain": side_a.domain, "mode": side_a.mode,
              "sent": 0, "received": 0, "in_order": False, "tls": None,
              "error": None}
    if side_b != side_a:
        result.update({"b_server": "%s:%d" % (side_b.host, side_b.port),
                       "b_domain": side_b.domain, "b_mode": side_b.mode})
    users = []
    for spec, side in ((args.a, side_a), (args.b, side_b)):
        user, _, password = spec.partition(":")
        users.append(Client("%s@%s/chat" % (user, side.domain), password,
                            args, side))
    a, b = users
    code = EXIT_OK
    try:
        await scenario(args, a, b, result)
        result["ok"] = True
    except Failure as f:
        code = f.code
        result["error"] = str(f)
        bounces = a.errors + b.errors
        if bounces:
            result["bounces"] = bounces
    finally:
        for c in users:
            c.closing = True
            c.cancel_connection_attempt()
            if c.transport and code == EXIT_OK:
                try:
                    await asyncio.wait_for(c.disconnect(1), 3)
                except Exception:
                    c.abort()
            elif c.transport:
                c.abort()
    return code, result


class Side:
    """Where one user logs in, and how."""

    def __init__(self, host, port, domain, mode):
        self.host, self.port, self.domain, self.mode = host, port, domain, mode
        self.plaintext = mode == "plaintext"
        self.direct_tls = mode == "direct-tls"

    def __eq__(self, other):
        return vars(self) == vars(other)


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Two slixmpp clients exchange messages through one "
        "server port and check them.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--domain", required=True)
    p.add_argument("--a", default="alice:secret-alice", metavar="USER:PASS")
    p.add_argument("--b", default="bob:secret-bob", metavar="USER:PASS")
    p.add_argument("--count", type=int, default=20,
                   help="messages A sends to B (default 20)")
    p.add_argument("--pings", type=int, default=10,
                   help="ping-pong round trips to time (default 10)")
    p.add_argument("--cafile", help="the only trust anchor for TLS")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--require-tls", action="store_true",
                      help="verified TLS before credentials (the default)")
    mode.add_argument("--plaintext", action="store_true",
                      help="no TLS at all (only for a bare backend)")
    p.add_argument("--direct-tls", action="store_true",
                   help="TLS from the first byte (XEP-0368), not STARTTLS")
    p.add_argument("--b-host", metavar="HOST",
                   help="B's server, if not A's (default --host)")
    p.add_argument("--b-port", type=int, metavar="PORT",
                   help="B's server port, if not A's: federation")
    p.add_argument("--b-domain", metavar="DOMAIN",
                   help="B's domain (default --domain)")
    p.add_argument("--b-mode", choices=("plaintext", "starttls",
                                        "direct-tls"),
                   help="how B connects (default: as A)")
    p.add_argument("--timeout", type=float, default=30,
                   help="seconds for the whole exchange (default 30)")
    p.add_argument("--log", metavar="FILE",
                   help="write slixmpp's debug log, every byte sent and "
                   "received, to FILE")
    args = p.parse_args(argv)
    if args.plaintext and args.direct_tls:
        p.error("--plaintext and --direct-tls exclude each other")
    mode_a = "plaintext" if args.plaintext else \
        ("direct-tls" if args.direct_tls else "starttls")
    side_a = Side(args.host, args.port, args.domain, mode_a)
    side_b = Side(args.b_host or args.host, args.b_port or args.port,
                  args.b_domain or args.domain, args.b_mode or mode_a)
    args.sides = (side_a, side_b)
    if any(not side.plaintext for side in args.sides) and not args.cafile:
        p.error("TLS needs --cafile (or use --plaintext against a bare "
                "backend)")
    if args.cafile and not Path(args.cafile).is_file():
        p.error("--cafile %s: no such file" % args.cafile)
    if args.count < 1:
        p.error("--count must be at least 1")
    return args


def main(argv):
    args = parse_args(argv)
    if args.log:
        h = logging.FileHandler(args.log, mode="w", encoding="utf-8")
        h.setFormatter(logging.Formatter(
            "%(asctime)s %(name)s %(levelname)s %(message)s"))
        h.setLevel(logging.DEBUG)
        root = logging.getLogger()
        root.addHandler(h)
        root.setLevel(logging.DEBUG)
        root.handlers[0].setLevel(logging.ERROR)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    code, result = loop.run_until_complete(run(args))
    # slixmpp leaves its filter tasks running; end them before the loop.
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.close()
    print(json.dumps(result, ensure_ascii=False))
    if code:
        print("chat.py: exit %d: %s" % (code, result["error"]),
              file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
