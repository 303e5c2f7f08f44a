#!/bin/sh
# 36-s2s-dialback-events: Server Dialback through portcullis in front of
# jabberd2 (no TLS), each event asserted as its JSON record.
#  - remote.test offers SASL EXTERNAL: jabberd2's dialback is answered by
#    portcullis with legacy.test's certificate (s2s.auth_bridged);
#  - nox.test trusts another CA, so it offers no EXTERNAL and allows
#    dialback: jabberd2's db:result goes over TLS, and the remote's
#    db:verify coming back has its stream id mapped to the one jabberd2
#    knows (dialback.id_mapped); the message arrives;
#  - raw.test, a raw remote with a certificate the CA signed for it,
#    sends a dialback request carrying a key, then a "valid" answer
#    nobody asked for on its own stream: dialback.unsolicited,
#    <policy-violation/>, and the key is in no log (OBS-4, SEC-7);
#  - liar.test verifies but sends a db:verify answer that matches no
#    request: dialback.unsolicited on the outbound side.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=netns.sh
. "$TI/netns.sh"
# shellcheck source-path=SCRIPTDIR source=dns.sh
. "$TI/dns.sh"
# shellcheck source-path=SCRIPTDIR source=s2s.sh
. "$TI/s2s.sh"
# shellcheck source-path=SCRIPTDIR source=fed.sh
. "$TI/fed.sh"
t_setup s2s-dialback-events
need_root
t_need_portcullis

# Hosts 4 to 6: nox, raw, liar.
fed_extra_dns() {
	for z in nox liar; do
		dns_zone "$z.test"
		dns_host "$z.test" xmpp "$(ns_addr "$z")"
		dns_rr "$z.test" "_xmpp-server._tcp IN SRV 0 5 5269 xmpp"
	done
}
fed_world nox raw liar
EKU=both make_cert "$T/ca" nox nox.test
EKU=both make_cert "$T/ca" raw raw.test
EKU=both make_cert "$T/ca" liar liar.test
make_ca "$T/otherca"

REMOTE_SECURE_AUTH=false remote_prosody nox "$T/nox" nox.test \
    "$T/ca/nox" "$T/otherca/ca.pem"
ns_spawn liar "$T" fakes2s "$T_PY" "$TI/fakes2s.py" 0.0.0.0 5269 \
    "$T/ca/liar.pem" "$T/ca/liar.key" liar.test "$T/liar.bytes" \
    "<db:verify from='liar.test' to='legacy.test' id='forged' type='valid'/>"
ns_with liar wait_port 5269 10 "$T_PID"

legacy_jabberd2 legacy "$T/backend" legacy.test 5322 15369
ev="$T/events.jsonl"
fed_gateway 15369 "log = { events = \"$ev\"; };"
"$PORTCULLIS" -E >"$T/catalogue.jsonl" || t_fail "portcullis -E failed"

ns_exec legacy "$T_PY" "$TI/fedsend.py" one --timeout 30 \
    "remote.test=$(ns_addr remote):$T/ca/ca.pem" \
    "nox.test=$(ns_addr nox):$T/ca/ca.pem" >"$T/one.out"
cat "$T/one.out" >&2
for d in remote nox; do
	grep -q "^$d.test delivered$" "$T/one.out" ||
	    t_fail "$d.test: not delivered"
done
# Whatever jabberd2 makes of it, liar.test's lie is what matters here.
ns_exec legacy "$T_PY" "$TI/fedsend.py" two --timeout 5 liar.test \
    >"$T/two.out"

# raw.test: a key in a request, then an answer from the initiator.
ns_exec raw "$T_PY" - "$TI" "$FED_LEGACY4" "$T/ca" <<'PY' >"$T/raw.out" ||
import ssl, sys
sys.path.insert(0, sys.argv[1])
from xmpp import Raw, STREAM_ERROR
host, ca = sys.argv[2], sys.argv[3]
c = Raw(host, 5269, timeout=15)
hdr = c.header("legacy.test", ns="jabber:server",
               extra=" xmlns:db='jabber:server:dialback' from='raw.test'")
c.send(hdr)
c.expect(rb"</stream:features>")
c.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
c.expect(rb"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
ctx = ssl.create_default_context(cafile=ca + "/ca.pem")
ctx.load_cert_chain(ca + "/raw.pem", ca + "/raw.key")
c.sock = ctx.wrap_socket(c.sock, server_hostname="legacy.test")
c.buf = b""
c.send(hdr)
c.expect(rb"<stream:stream[^>]*>")
c.send("<db:result from='raw.test' to='legacy.test'>"
       "SECRET-DIALBACK-KEY-5e1f0c</db:result>"
       "<db:result from='raw.test' to='legacy.test' type='valid'/>")
c.expect(STREAM_ERROR % b"policy-violation")
print("raw: refused with policy-violation")
PY
    t_fail "raw.test: $(cat "$T/raw.out")"

"$T_PY" - "$TI" "$ev" "$T/catalogue.jsonl" "$(ns_addr raw)" <<'PY' ||
import sys
sys.path.insert(0, sys.argv[1])
from evjson import Events
ev, raw = Events(sys.argv[2], sys.argv[3]), sys.argv[4]
r = ev.one("s2s.auth_bridged", domain="remote.test")
assert r["from"] == "legacy.test" and r["auth"] == "sasl-external", r
assert r["role"] == "s2s-out", r
# nox.test's db:verify names the id it saw; jabberd2 is shown its own.
r = ev.one("dialback.id_mapped", domain="nox.test", to="legacy.test",
           source="peer")
assert r["stream_id"] and r["mapped_id"] != r["stream_id"], r
assert r["role"] == "s2s", r
back = ev.one("dialback.id_mapped", source="backend", domain="legacy.test",
              to="nox.test", mapped_id=r["stream_id"])
assert back["stream_id"] == r["mapped_id"], (r, back)
ev.one("tls.established", to="nox.test", direction="out", verify="pkix")
r = ev.one("dialback.unsolicited", domain="raw.test",
           peer=lambda p: p.startswith(raw + ":"))
assert r["to"] == "legacy.test" and r["element"] == "result", r
assert r["level"] == "warning" and r["role"] == "s2s", r
r = ev.one("s2s.peer", peer=lambda p: p.startswith(raw + ":"))
assert r["from"] == "raw.test" and r["verify"] == "pkix", r
ev.one("stream.error.sent", condition="policy-violation",
       reason="dialback-unsolicited",
       peer=lambda p: p.startswith(raw + ":"))
r = ev.one("dialback.unsolicited", domain="liar.test")
assert r["to"] == "legacy.test" and r["element"] == "verify", r
assert r["role"] == "s2s-out", r
# Nothing named like a key, a secret or a payload in any record.
for x in ev.load():
    for k in x:
        assert not any(w in k for w in ("key", "secret", "payload")), x
print("36: bridged, mapped, unsolicited both ways: all recorded")
PY
    t_fail "the events file lacks a record (see above)"
for f in "$ev" "$PC_LOG"; do
	if grep -q 'SECRET-DIALBACK-KEY' "$f"; then
		t_fail "a dialback key reached $f"
	fi
done
t_log "dialback: EXTERNAL bridged, ids mapped, unsolicited answers" \
    "refused both ways; no key in any log"
