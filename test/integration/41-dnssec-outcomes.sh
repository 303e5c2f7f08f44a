#!/bin/sh
# 41-dnssec-outcomes: what portcullis does with each DNSSEC outcome of a
# remote domain's DNS, for the backend's outbound s2s, believing the AD
# bit of the test's validating resolver (dns { trust-ad; }):
#  - bogus.test: its SRV record fails validation: dnssec.bogus, and no
#    connection at all (no attempt is made, the message bounces);
#  - tlsabogus.test: its TLSA record fails validation: dane.bogus, its
#    only server is not used, the message bounces;
#  - insecure.test: an unsigned zone (with a TLSA record that does not
#    match, which is not even asked for): PKIX rules, the message is
#    delivered, verify=pkix; its peer history said "secure" and other
#    SRV targets, so dnssec.insecure_downgrade and dns.srv_changed are
#    logged, and the history then holds what was seen;
#  - require.test: unsigned, under a rule with dnssec = "require":
#    refused before connecting (dnssec.insecure), the message bounces;
#  - report.test: the same in report mode: logged, delivered;
#  - srvid.test: a certificate that names only the SRV target: accepted,
#    as the SRV answer is secure (RFC 7673 section 4, RFC 9525 6.1.1);
#  - srvidin.test: the same in an unsigned zone: refused, as only the
#    domain itself is a reference identity there.
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
# shellcheck source-path=SCRIPTDIR source=dane.sh
. "$TI/dane.sh"
t_setup dnssec-outcomes
need_root
t_need_portcullis

fed_extra_dns() {
	peers=$(ns_addr peers)
	EKU=both make_cert "$T/ca" pkix insecure.test require.test \
	    report.test bogus.test tlsabogus.test
	EKU=both make_cert "$T/ca" srvid xmpp.srvid.test xmpp.srvidin.test
	dane_zone bogus.test "$peers" 5269
	dane_zone tlsabogus.test "$peers" 5269
	dns_bogus tlsabogus.test "$(dns_tlsa_for_cert "$T/ca/pkix.pem" 5269 \
	    xmpp.tlsabogus.test 3 1 1)"
	for d in insecure require report; do
		dane_zone "$d.test" "$peers" 5269 unsigned
	done
	dane_zone srvid.test "$peers" 5279
	dane_zone srvidin.test "$peers" 5279 unsigned
	# Added after signing to the signed SRV RRset of bogus.test: with
	# a record its signature does not cover, the RRset is bogus.
	dns_bogus bogus.test \
	    "_xmpp-server._tcp IN SRV 0 5 5279 xmpp.srvid.test."
	dns_rr insecure.test "$(dns_tlsa_for_cert "$T/ca/remote.pem" 5269 \
	    xmpp.insecure.test 3 1 1)"
}
fed_world peers
peers=$(ns_addr peers)
ns_resolv peers "$FED_DNS4"
[ "$(dns_status _xmpp-server._tcp.bogus.test SRV)" = "SERVFAIL -" ] ||
    t_fail "the resolver does not find bogus.test's SRV bogus"
dane_prosody peers "$T/p-pkix" "$T/ca/pkix" "$T/ca/ca.pem" 5222 5269 \
    insecure.test require.test report.test bogus.test tlsabogus.test
dane_prosody peers "$T/p-srvid" "$T/ca/srvid" "$T/ca/ca.pem" 5232 5279 \
    srvid.test srvidin.test

legacy_prosody legacy "$T/backend" legacy.test 5322 15369
# What the history remembers of insecure.test: signed, other servers.
mkdir -p "$T/state/peers"
chmod 700 "$T/state" "$T/state/peers"
printf 'domain=insecure.test\nsrv=xmpp.old.insecure.test:5269\ndnssec=secure\n' \
    >"$T/state/peers/insecure.test"
ev="$T/events.jsonl"
fed_gateway 15369 "log = { events = \"$ev\"; };"'
rules = (
  { match = "require.test"; direction = [ "s2s-in", "s2s-out" ];
    dnssec = "require"; },
  { match = "report.test"; direction = [ "s2s-in", "s2s-out" ];
    dnssec = "require"; action = "report"; } );'

dane_send one "insecure.test@$peers:5222:$T/ca/ca.pem" \
    "report.test@$peers:5222:$T/ca/ca.pem" \
    "srvid.test@$peers:5232:$T/ca/ca.pem" \
    bogus.test require.test srvidin.test tlsabogus.test >"$T/one.out"
cat "$T/one.out" >&2

dane_expect "$T/one.out" bogus.test remote-server
pc_log_has dnssec.bogus 'domain=bogus.test qname=_xmpp-server._tcp.bogus.test. qtype=SRV .*action=refused' ||
    t_fail "bogus.test: no dnssec.bogus"
pc_log_has s2s.unreachable 'domain=bogus.test from=legacy.test attempts=0' ||
    t_fail "bogus.test: given up otherwise than without an attempt"
if grep -q 's2s.attempt_failed domain=bogus.test' "$PC_LOG"; then
	t_fail "bogus.test: a connection was attempted"
fi
t_log "bogus SRV: dnssec.bogus, no connection, the message bounced"
dane_expect "$T/one.out" tlsabogus.test remote-server
pc_log_has dane.bogus 'domain=tlsabogus.test qname=_5269._tcp.xmpp.tlsabogus.test .*action=target-skipped' ||
    t_fail "tlsabogus.test: no dane.bogus"
pc_log_has s2s.unreachable 'domain=tlsabogus.test from=legacy.test attempts=0 error="_5269._tcp.xmpp.tlsabogus.test: the TLSA answer is bogus' ||
    t_fail "tlsabogus.test: its server was tried"
t_log "bogus TLSA: dane.bogus, the server not used, the message bounced"

dane_expect "$T/one.out" insecure.test delivered
pc_log_has s2s.resolved 'domain=insecure.test srv=yes dnssec=insecure' ||
    t_fail "insecure.test was not resolved as insecure"
pc_log_has tls.established 'direction=out .*to=insecure.test .*verify=pkix auth=pkix' ||
    t_fail "insecure.test: not authenticated by PKIX"
t_log "insecure zone: PKIX rules, the unsigned TLSA record ignored"
pc_log_has dnssec.insecure_downgrade 'domain=insecure.test action=allowed' ||
    t_fail "no dnssec.insecure_downgrade for insecure.test"
pc_log_has dns.srv_changed 'domain=insecure.test old_srv=xmpp.old.insecure.test:5269 new_srv=xmpp.insecure.test:5269 dnssec=insecure' ||
    t_fail "no dns.srv_changed for insecure.test"
i=0
until grep -q '^srv=xmpp.insecure.test:5269$' "$T/state/peers/insecure.test" &&
    grep -q '^dnssec=insecure$' "$T/state/peers/insecure.test"; do
	i=$((i + 1))
	[ $i -lt 50 ] || t_fail "the history of insecure.test was not" \
	    "updated: $(cat "$T/state/peers/insecure.test")"
	sleep 0.1
done
t_log "history: secure before, insecure now; new SRV targets; recorded"

dane_expect "$T/one.out" require.test remote-server
pc_log_has dnssec.insecure 'domain=require.test qtype=SRV action=refused' ||
    t_fail "require.test: no dnssec.insecure refusal"
if grep -q 's2s.attempt_failed domain=require.test' "$PC_LOG"; then
	t_fail "require.test: a connection was attempted"
fi
dane_expect "$T/one.out" report.test delivered
pc_log_has dnssec.insecure 'domain=report.test qtype=SRV action=reported' ||
    t_fail "report.test: no reported dnssec.insecure"
pc_log_has policy.would_have_rejected 'domain=report.test .*DNSSEC required' ||
    t_fail "report.test: no would-have-rejected"
t_log "dnssec = require: refused unsigned; in report mode logged, delivered"

# The same, as JSON records checked against the catalogue.
"$PORTCULLIS" -E >"$T/catalogue.jsonl" || t_fail "portcullis -E failed"
"$T_PY" - "$TI" "$ev" "$T/catalogue.jsonl" <<'PY' ||
import sys
sys.path.insert(0, sys.argv[1])
from evjson import Events
ev = Events(sys.argv[2], sys.argv[3])
r = ev.one("dnssec.bogus", domain="bogus.test")
assert r["qname"] == "_xmpp-server._tcp.bogus.test." and r["qtype"] == "SRV", r
assert r["action"] == "refused" and r["level"] == "error", r
r = ev.one("dane.bogus", domain="tlsabogus.test")
assert r["qname"] == "_5269._tcp.xmpp.tlsabogus.test", r
assert r["action"] == "target-skipped", r
r = ev.one("dnssec.insecure_downgrade", domain="insecure.test")
assert r["action"] == "allowed", r
r = ev.one("dns.srv_changed", domain="insecure.test")
assert r["old_srv"] == "xmpp.old.insecure.test:5269", r
assert r["new_srv"] == "xmpp.insecure.test:5269", r
assert r["dnssec"] == "insecure", r
r = ev.one("dnssec.insecure", domain="require.test")
assert r["qtype"] == "SRV" and r["action"] == "refused", r
r = ev.one("dnssec.insecure", domain="report.test")
assert r["action"] == "reported", r
print("41: dnssec.bogus, dane.bogus, insecure_downgrade, srv_changed,"
      " dnssec.insecure: recorded")
PY
    t_fail "the events file lacks a record (see above)"

dane_expect "$T/one.out" srvid.test delivered
pc_log_has tls.established 'direction=out .*to=srvid.test .*verify=pkix auth=pkix' ||
    t_fail "srvid.test: the secure SRV target was not a reference identity"
dane_expect "$T/one.out" srvidin.test remote-server
pc_log_has cert.identity_mismatch 'domain=srvidin.test .*action=refused' ||
    t_fail "srvidin.test: an insecure SRV target was taken as an identity"
t_log "SRV target as reference identity: only when the SRV answer is secure"
