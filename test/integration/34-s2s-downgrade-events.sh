#!/bin/sh
# 34-s2s-downgrade-events: attacks on portcullis's outbound s2s, each
# against a real prosody, each asserted as its JSON record in the events
# file (checked against `portcullis -E`), with a legacy prosody (TLS off)
# behind portcullis.
#  - downgrade.test sits behind an on-path attacker that rewrites our
#    ClientHello so the server sees no TLS 1.3; the server answers TLS
#    1.2 with the RFC 8446 sentinel in its random, GnuTLS aborts:
#    tls.downgrade_sentinel, the message bounces, nothing but a header,
#    <starttls/> and the ClientHello reached the attacker (TLS-11);
#  - inject.test sits behind an attacker that appends a stanza to the
#    server's <proceed/>: starttls.injection, the bytes are dropped
#    unread, TLS goes on end to end and the message arrives (STARTTLS-7,
#    SEC-1, outbound direction);
#  - wrongname.test presents a certificate the CA signed for another
#    name: cert.identity_mismatch, refused; after a reload with a report
#    rule for it, the same is reported and policy.would_have_rejected
#    names the event;
#  - fakefrom.test verifies but answers for impostor.test inside TLS:
#    remote.from_mismatch, the backend gets remote-connection-failed.
# The injected text never reaches a log.
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
t_setup s2s-downgrade-events
need_root
t_need_portcullis

# Hosts 4 to 8: mitm, rinj, rdown, wrong, fake.
fed_extra_dns() {
	for z in downgrade inject wrongname fakefrom; do
		dns_zone "$z.test"
	done
	dns_host downgrade.test xmpp "$(ns_addr mitm)"
	dns_rr downgrade.test "_xmpp-server._tcp IN SRV 0 5 5270 xmpp"
	dns_host inject.test xmpp "$(ns_addr mitm)"
	dns_rr inject.test "_xmpp-server._tcp IN SRV 0 5 5269 xmpp"
	dns_host wrongname.test xmpp "$(ns_addr wrong)"
	dns_rr wrongname.test "_xmpp-server._tcp IN SRV 0 5 5269 xmpp"
	dns_host fakefrom.test xmpp "$(ns_addr fake)"
	dns_rr fakefrom.test "_xmpp-server._tcp IN SRV 0 5 5269 xmpp"
}
fed_world mitm rinj rdown wrong fake
EKU=both make_cert "$T/ca" inject inject.test
EKU=both make_cert "$T/ca" downgrade downgrade.test
EKU=both make_cert "$T/ca" fakefrom fakefrom.test

remote_prosody rinj "$T/rinj" inject.test "$T/ca/inject" "$T/ca/ca.pem"
remote_prosody rdown "$T/rdown" downgrade.test "$T/ca/downgrade" \
    "$T/ca/ca.pem"
# fed_world's certificate for other.test, served as wrongname.test.
remote_prosody wrong "$T/wrong" wrongname.test "$T/ca/wrongname" \
    "$T/ca/ca.pem"
ns_spawn mitm "$T" mitm-inject "$T_PY" "$TI/mitm.py" inject 0.0.0.0 5269 \
    "$(ns_addr rinj)" 5269 "$T/mitm-inject.bytes"
ns_with mitm wait_port 5269 10 "$T_PID"
ns_spawn mitm "$T" mitm-down "$T_PY" "$TI/mitm.py" downgrade 0.0.0.0 5270 \
    "$(ns_addr rdown)" 5269 "$T/mitm-down.bytes"
ns_with mitm wait_port 5270 10 "$T_PID"
ns_spawn fake "$T" fakes2s "$T_PY" "$TI/fakes2s.py" 0.0.0.0 5269 \
    "$T/ca/fakefrom.pem" "$T/ca/fakefrom.key" impostor.test \
    "$T/fakes2s.bytes"
ns_with fake wait_port 5269 10 "$T_PID"

legacy_prosody legacy "$T/backend" legacy.test 5322 15369
ev="$T/events.jsonl"
fed_gateway 15369 "log = { events = \"$ev\"; };"
"$PORTCULLIS" -E >"$T/catalogue.jsonl" || t_fail "portcullis -E failed"

ns_exec legacy "$T_PY" "$TI/fedsend.py" one downgrade.test \
    "inject.test=$(ns_addr rinj):$T/ca/ca.pem" wrongname.test \
    fakefrom.test >"$T/one.out"
cat "$T/one.out" >&2
grep -q "^inject.test delivered$" "$T/one.out" ||
    t_fail "inject.test: not delivered through the injecting attacker"
for d in downgrade wrongname fakefrom; do
	grep -q "^$d.test remote-server" "$T/one.out" || t_fail "$d.test: no bounce"
done

# The downgrade attacker saw a header, <starttls/> and a ClientHello:
# no dialback, no stanza, and the server no stream inside TLS.
if grep -a -q -e '<db:' -e '<message' "$T/mitm-down.bytes"; then
	t_fail "plaintext reached the downgrade attacker"
fi
grep -a -q "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" \
    "$T/mitm-down.bytes" || t_fail "no <starttls/> went to downgrade.test"
if grep -q "legacy.test.*authenticated" "$T/rdown/prosody.log"; then
	t_fail "downgrade.test accepted a stream from legacy.test"
fi

"$T_PY" - "$TI" "$ev" "$T/catalogue.jsonl" "$(ns_addr mitm)" <<'PY' ||
import sys
sys.path.insert(0, sys.argv[1])
from evjson import Events
ev, mitm = Events(sys.argv[2], sys.argv[3]), sys.argv[4]
r = ev.one("tls.downgrade_sentinel", domain="downgrade.test")
assert r["version"] == "TLS1.2" and r["action"] == "refused", r
assert r["peer"] == mitm + ":5270" and r["level"] == "error", r
assert r["role"] == "s2s-out", r
r = ev.one("tls.failed", session=r["session"])
assert r["stage"] == "handshake" and r["sni"] == "downgrade.test", r
assert r["error"] == "GNUTLS_E_RECEIVED_ILLEGAL_PARAMETER", r
ev.one("s2s.attempt_failed", domain="downgrade.test",
       target=lambda t: t.endswith(":5270"))
r = ev.one("s2s.unreachable", domain="downgrade.test")
assert r["from"] == "legacy.test" and r["attempts"] == 1, r
ev.none("tls.established", to="downgrade.test")
r = ev.one("starttls.injection", peer=mitm + ":5269")
assert r["discarded"] > 0 and r["level"] == "warning", r
r = ev.one("tls.established", to="inject.test", direction="out")
assert r["verify"] == "pkix" and r["version"] == "TLS1.3", r
r = ev.one("cert.identity_mismatch", domain="wrongname.test")
assert r["action"] == "refused" and "dns:other.test" in r["peer_san"], r
assert "CN=other.test" in r["peer_subject"], r
r = ev.one("remote.from_mismatch", domain="fakefrom.test")
assert r["from"] == "impostor.test", r
print("34: downgrade sentinel, injection, identity, from: all recorded")
PY
    t_fail "the events file lacks a record (see above)"
t_log "downgrade.test refused on the sentinel, inject.test delivered past" \
    "the injection, wrongname.test and fakefrom.test refused"

# Report mode for wrongname.test: the mismatch is reported, not refused.
cat >>"$T/portcullis.conf" <<'CONF'
rules = ( { match = "wrongname.test"; action = "report"; } );
CONF
kill -HUP "$PC_PID"
wait_log "$PC_LOG" "configuration 2 in force" 5
ns_exec legacy "$T_PY" "$TI/fedsend.py" two --timeout 10 wrongname.test \
    >"$T/two.out"
cat "$T/two.out" >&2
"$T_PY" - "$TI" "$ev" "$T/catalogue.jsonl" <<'PY' ||
import sys
sys.path.insert(0, sys.argv[1])
from evjson import Events
ev = Events(sys.argv[2], sys.argv[3])
r = ev.one("cert.identity_mismatch", domain="wrongname.test",
           action="reported")
r = ev.one("policy.would_have_rejected", domain="wrongname.test",
           enforce_event="cert.identity_mismatch")
assert r["rule"] == "wrongname.test" and r["line"] > 0, r
assert "does not name" in r["reason"], r
r = ev.one("tls.established", to="wrongname.test", direction="out")
assert r["verify"] == "none" and r["state"] == "encrypted", r
print("34: report mode: identity mismatch reported, stream went on")
PY
    t_fail "report mode for wrongname.test is not as expected"

# What the attacker injected never reached a record.
for f in "$ev" "$PC_LOG"; do
	if grep -q INJECTED "$f"; then
		t_fail "injected content reached $f"
	fi
done
t_log "report mode: wrongname.test reported and let through"
