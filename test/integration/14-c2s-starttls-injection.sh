#!/bin/sh
# 14-c2s-starttls-injection: bytes after <starttls/> never reach a parser
# or the backend (the CVE-2011-0411 class, STANDARDS.md STARTTLS-7).
# A client sends <starttls/> and a <message/> in one write: the message
# is discarded and logged as starttls.injection, the handshake proceeds,
# and Bob, logged in on another connection, never receives it while a
# message sent properly inside TLS arrives.  A client that pipelines its
# header, <starttls/> and its TLS ClientHello in one write (XEP-0305
# style) gets its handshake.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
t_setup c2s-injection
t_need_portcullis

rig_c2s legacy.test
c2s=$C2S

"$T_PY" - "$TI" "$c2s" "$T/ca/ca.pem" <<'PY' || t_fail "injection case failed"
import socket, ssl, sys, time
sys.path.insert(0, sys.argv[1])
from xmpp import Raw, secure, STREAM_ERROR as ERR
port, ca = int(sys.argv[2]), sys.argv[3]

bob = secure(port, ca, "legacy.test")
bob.login("legacy.test", "bob", "secret-bob", "b")

# The attack: header, <starttls/> and a message, one write.
c = Raw("127.0.0.1", port)
c.send(c.header("legacy.test"))
c.expect(rb"</stream:features>")
c.send(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
       b"<message to='bob@legacy.test' type='chat'>"
       b"<body>INJECTED</body></message>")
m = c.expect(rb"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
# Nothing may follow <proceed/> (STARTTLS-6).
if c.buf:
    sys.exit("bytes after <proceed/>: %r" % c.buf)
c.starttls(ca, "legacy.test")
c.login("legacy.test", "alice", "secret-alice", "a")
c.send("<message to='bob@legacy.test/b' type='chat'><body>AFTER</body>"
       "</message>")
bob.expect(rb"<body>AFTER</body>", 10)
time.sleep(0.5)
if b"INJECTED" in bob.received:
    sys.exit("the injected message was delivered")

# XEP-0305 pipelining: header + <starttls/> + ClientHello in one write.
ctx = ssl.create_default_context(cafile=ca)
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
obj = ctx.wrap_bio(inc, out, server_hostname="legacy.test")
try:
    obj.do_handshake()
except ssl.SSLWantReadError:
    pass
hello = out.read()
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(Raw.header(None, "legacy.test") +
          b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" + hello)
got = b""
while b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" not in got:
    d = s.recv(65536)
    if not d:
        sys.exit("closed before <proceed/>")
    got += d
rest = got.split(b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")[1]
if rest:
    inc.write(rest)
deadline = time.time() + 10
while True:
    try:
        obj.do_handshake()
        break
    except ssl.SSLWantReadError:
        o = out.read()
        if o:
            s.sendall(o)
        if time.time() > deadline:
            sys.exit("pipelined handshake timed out")
        d = s.recv(65536)
        if not d:
            sys.exit("closed during the pipelined handshake")
        inc.write(d)
o = out.read()
if o:
    s.sendall(o)
print("14: injection dropped; pipelined handshake: %s" % obj.version())
PY

pc_log_has starttls.injection 'discarded=[0-9]+' ||
    t_fail "no starttls.injection record"
if grep -q INJECTED "$T"/backend.*.up 2>/dev/null; then
	t_fail "the injected bytes reached the backend"
fi
t_log "$(grep ' starttls.injection ' "$PC_LOG" | head -1 | cut -d' ' -f3-)"
