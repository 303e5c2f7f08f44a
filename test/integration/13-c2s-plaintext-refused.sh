#!/bin/sh
# 13-c2s-plaintext-refused: before TLS portcullis offers exactly
# <starttls><required/></starttls> and nothing else; SASL, iq:auth or a
# stanza in the clear gets <not-authorized/>, one log record and a closed
# stream, and the backend never hears of it.  Header mistakes get their
# RFC 6120 errors: an unknown domain <host-unknown/>, a pre-1.0 stream
# <unsupported-version/>, a wrong namespace <invalid-namespace/>.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
t_setup c2s-plaintext
t_need_portcullis

rig_c2s legacy.test
c2s=$C2S

"$T_PY" - "$TI" "$c2s" <<'PY' || t_fail "a plaintext case misbehaved"
import re, sys
sys.path.insert(0, sys.argv[1])
from xmpp import Raw, STREAM_ERROR as ERR
port = int(sys.argv[2])

def check(name, cond):
    if not cond:
        sys.exit("13: %s" % name)

# The features before TLS, byte for byte (STARTTLS-2).
c = Raw("127.0.0.1", port)
c.send(c.header("legacy.test"))
m = c.expect(rb"<stream:stream [^>]*>")
hdr = m.group(0)
check("header from", b"from='legacy.test'" in hdr)
check("header version", b"version='1.0'" in hdr)
pre_id = re.search(rb"id='([^']+)'", hdr).group(1)
check("stream id of 128 bits", len(pre_id) >= 32)
f = c.expect(rb"<stream:features>.*?</stream:features>").group(0)
check("features exactly STARTTLS required", f ==
      b"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"
      b"<required/></starttls></stream:features>")
c.close()

attempts = {
    "sasl": "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
            "mechanism='PLAIN'>AGFsaWNlAHNlY3JldC1hbGljZQ==</auth>",
    "iqauth": "<iq type='set' id='a1'><query xmlns='jabber:iq:auth'>"
              "<username>alice</username><password>secret-alice</password>"
              "<resource>x</resource></query></iq>",
    "message": "<message to='bob@legacy.test'><body>in the clear</body>"
               "</message>",
    "dialback": "<db:result xmlns:db='jabber:server:dialback' "
                "from='evil.example' to='legacy.test'>key</db:result>",
}
for name, data in attempts.items():
    c = Raw("127.0.0.1", port)
    c.send(c.header("legacy.test"))
    c.expect(rb"</stream:features>")
    c.send(data)
    c.expect(ERR % b"not-authorized")
    rest = c.read_until_closed(5)
    check(name + " stream closed", rest.endswith(b"</stream:stream>")
          or b"</stream:stream>" in c.received)
    c.close()

# Header errors: an unknown domain, a pre-1.0 stream, bad namespaces.
c = Raw("127.0.0.1", port)
c.send(c.header("nope.example"))
c.expect(ERR % b"host-unknown")
check("host-unknown header has no from",
      b"from=" not in c.received.split(b"<stream:error>")[0])
c.read_until_closed(5)

c = Raw("127.0.0.1", port)
c.send(c.header("legacy.test", version=None))
m = c.expect(rb"<stream:stream [^>]*>")
check("pre-1.0 answer without version", b"version=" not in m.group(0))
c.expect(ERR % b"unsupported-version")
c.read_until_closed(5)

c = Raw("127.0.0.1", port)
c.send(c.header("legacy.test", ns="jabber:server"))
c.expect(ERR % b"invalid-namespace")
c.read_until_closed(5)

c = Raw("127.0.0.1", port)
c.send(b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
       b"xmlns:stream='urn:not:streams' to='legacy.test' version='1.0'>")
c.expect(ERR % b"invalid-namespace")
c.read_until_closed(5)

# Too much before TLS: a policy-violation, not a buffer that grows.
c = Raw("127.0.0.1", port)
c.send(c.header("legacy.test"))
c.expect(rb"</stream:features>")
try:
    c.send(b" " * 8192)
except OSError:
    pass
c.expect(ERR % b"policy-violation")
c.read_until_closed(5)
print("13: all plaintext attempts refused")
PY

for el in auth iq message result; do
	pc_log_has plaintext.before_tls "element=$el " ||
	    t_fail "no plaintext.before_tls record for <$el/>"
done
pc_log_has stream.host_unknown 'to=nope.example' ||
    t_fail "no host-unknown record"
pc_log_has limits.exceeded 'limit=pre-tls-bytes' ||
    t_fail "no record of the pre-TLS byte limit"
# Secrets never reach the log: not the SASL blob, not the password.
if grep -q -e 'AGFsaWNl' -e 'secret-alice' "$PC_LOG"; then
	t_fail "a credential reached the log"
fi
n=$(backend_streams | wc -l)
[ "$n" -eq 0 ] || t_fail "the backend received $n connections' bytes"
t_log "refused in the clear: SASL, iq:auth, message, dialback;" \
    "header errors answered; the backend saw nothing"
