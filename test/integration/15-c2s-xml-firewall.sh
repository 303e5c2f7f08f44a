#!/bin/sh
# 15-c2s-xml-firewall: inside TLS, restricted XML never reaches the
# backend.  A DOCTYPE with a billion-laughs entity set before the stream
# header gets <restricted-xml/> and no backend connection at all; an
# entity reference, a comment or a processing instruction inside a stanza
# of a logged-in client gets <restricted-xml/>, an over-limit stanza
# <policy-violation/>, and none of their bytes reach jabberd2 while Bob,
# on another connection, keeps chatting.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
t_setup c2s-xml-firewall
t_need_portcullis

rig_c2s legacy.test "limits = { stanza-bytes = 16384; };"
c2s=$C2S

"$T_PY" - "$TI" "$c2s" "$T/ca/ca.pem" <<'PY' || t_fail "a firewall case failed"
import sys
sys.path.insert(0, sys.argv[1])
from xmpp import secure, STREAM_ERROR as ERR
port, ca = int(sys.argv[2]), sys.argv[3]

def tls():
    return secure(port, ca, "legacy.test")

bob = tls()
bob.login("legacy.test", "bob", "secret-bob", "b")
alice2 = tls()
alice2.login("legacy.test", "alice", "secret-alice", "keep")

def bob_still_chats(tag):
    alice2.send("<message to='bob@legacy.test/b'><body>%s</body></message>"
                % tag)
    bob.expect(("<body>%s</body>" % tag).encode(), 10)

laughs = ("<!DOCTYPE lolz [<!ENTITY lol 'lol'>" +
          "".join("<!ENTITY lol%d '%s'>" % (i, ("&lol%d;" % (i - 1) if i > 1
                  else "&lol;") * 10) for i in range(1, 10)) + "]>")
c = tls()
c.send("<?xml version='1.0'?>" + laughs +
       c.header("legacy.test", decl=False).decode())
c.expect(ERR % b"restricted-xml")
c.read_until_closed(5)
bob_still_chats("one")

stanzas = {
    "entity": (b"restricted-xml",
               "<message to='bob@legacy.test'><body>&lol9;</body></message>"),
    "comment": (b"restricted-xml",
                "<message to='bob@legacy.test'><!-- hi --><body>x</body>"
                "</message>"),
    "pi": (b"restricted-xml",
           "<message to='bob@legacy.test'><?evil x?><body>x</body>"
           "</message>"),
    "big": (b"policy-violation",
            "<message to='bob@legacy.test'><body>" + "A" * 20000 +
            "</body></message>"),
    "badns": (b"not-well-formed",
              "<message to='bob@legacy.test'><x:body>x</x:body></message>"),
}
for name, (cond, data) in stanzas.items():
    c = tls()
    c.login("legacy.test", "alice", "secret-alice", name)
    c.send(data.replace("<body>", "<body>FORBIDDEN-%s " % name, 1))
    c.expect(ERR % cond)
    c.read_until_closed(5)
    bob_still_chats("after-" + name)
if b"FORBIDDEN" in bob.received:
    sys.exit("a refused stanza reached Bob")
print("15: every restricted or oversized input refused")
PY

if grep -l -e FORBIDDEN -e 'ENTITY' -e '<!--' "$T"/backend.*.up 2>/dev/null; then
	t_fail "refused bytes reached the backend"
fi
[ "$(pc_log_count xml.restricted)" -ge 4 ] ||
    t_fail "$(pc_log_count xml.restricted) xml.restricted records, not 4"
pc_log_has limits.exceeded 'limit=stanza-bytes' ||
    t_fail "no limits.exceeded record for the big stanza"
t_log "restricted XML and oversized stanzas stopped at the gateway"
