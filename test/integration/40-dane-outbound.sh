#!/bin/sh
# 40-dane-outbound: DANE for the backend's outbound s2s through
# portcullis (RFC 6698, RFC 7671, RFC 7673), against prosodies whose
# certificates come from a CA portcullis does not trust, in DNSSEC-signed
# zones with TLSA records at _port._tcp.<SRV target>:
#  - DANE-EE (usage 3) with selectors 0 and 1 and matching types 0, 1
#    and 2 (3 1 1, 3 0 1, 3 1 2, 3 0 0): accepted as authenticated
#    (verify=dane-ee) though no CA vouches for the certificate, which
#    does not even name the domains;
#  - DANE-TA (usage 2) naming the untrusted CA, by certificate and by
#    key (2 0 1, 2 1 1): accepted, verify=dane-ta;
#  - PKIX-TA and PKIX-EE (0 1 1, 1 0 1) with a certificate the trust
#    anchors do verify: verify=dane-pkix-ta, dane-pkix-ee;
#  - a TLSA record for another key: refused (dane.mismatch), the message
#    bounces, though nothing else is wrong with the server;
#  - the same under a report-mode rule: logged as would-have-rejected,
#    delivered;
#  - a key other than the one the peer history holds, under key-change
#    "require-dane": DANE vouches for it, so cert.changed says tlsa=match
#    action=allowed, the history learns it, and the message goes.
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
t_setup dane-outbound
need_root
t_need_portcullis

EE="ee311 ee301 ee312 ee300 mismatch reportdane"
TA="ta201 ta211"
PK="pkixta pkixee"

# peers is host 4: three prosodies, one certificate each.
fed_extra_dns() {
	peers=$(ns_addr peers)
	make_ca "$T/otherca"
	EKU=both make_cert "$T/otherca" ee dane-ee.invalid
	EKU=both make_cert "$T/otherca" ta ta201.test ta211.test
	EKU=both make_cert "$T/otherca" stranger stranger.invalid
	EKU=both make_cert "$T/ca" pk pkixta.test pkixee.test
	for d in $EE; do
		dane_zone "$d.test" "$peers" 5269
	done
	for d in $TA; do
		dane_zone "$d.test" "$peers" 5279
	done
	for d in $PK; do
		dane_zone "$d.test" "$peers" 5289
	done
	ee=$T/otherca/ee.pem
	dns_rr ee311.test "$(dns_tlsa_for_cert "$ee" 5269 xmpp.ee311.test 3 1 1)"
	dns_rr ee301.test "$(dns_tlsa_for_cert "$ee" 5269 xmpp.ee301.test 3 0 1)"
	dns_rr ee312.test "$(dns_tlsa_for_cert "$ee" 5269 xmpp.ee312.test 3 1 2)"
	dns_rr ee300.test "$(dns_tlsa_for_cert "$ee" 5269 xmpp.ee300.test 3 0 0)"
	for d in mismatch reportdane; do
		dns_rr "$d.test" "$(dns_tlsa_for_cert "$T/otherca/stranger.pem" \
		    5269 "xmpp.$d.test" 3 1 1)"
	done
	dns_rr ta201.test "$(dns_tlsa_for_cert "$T/otherca/ca.pem" 5279 \
	    xmpp.ta201.test 2 0 1)"
	dns_rr ta211.test "$(dns_tlsa_for_cert "$T/otherca/ca.pem" 5279 \
	    xmpp.ta211.test 2 1 1)"
	dns_rr pkixta.test "$(dns_tlsa_for_cert "$T/ca/ca.pem" 5289 \
	    xmpp.pkixta.test 0 1 1)"
	dns_rr pkixee.test "$(dns_tlsa_for_cert "$T/ca/pk.pem" 5289 \
	    xmpp.pkixee.test 1 0 1)"
}
fed_world peers
peers=$(ns_addr peers)
ns_resolv peers "$FED_DNS4"
# Each prosody serves a list of domains: word splitting on purpose.
# shellcheck disable=SC2046,SC2086
dane_prosody peers "$T/p-ee" "$T/otherca/ee" "$T/ca/ca.pem" 5222 5269 \
    $(printf '%s.test ' $EE)
# shellcheck disable=SC2046,SC2086
dane_prosody peers "$T/p-ta" "$T/otherca/ta" "$T/ca/ca.pem" 5232 5279 \
    $(printf '%s.test ' $TA)
# shellcheck disable=SC2046,SC2086
dane_prosody peers "$T/p-pk" "$T/ca/pk" "$T/ca/ca.pem" 5242 5289 \
    $(printf '%s.test ' $PK)

legacy_prosody legacy "$T/backend" legacy.test 5322 15369
ev="$T/events.jsonl"
fed_gateway 15369 "log = { events = \"$ev\"; };"'
rules = ( { match = "reportdane.test";
  direction = [ "s2s-in", "s2s-out" ]; action = "report"; },
  { match = "ee311.test"; direction = "s2s-out";
    key-change = "require-dane"; } );'
# ee311.test was last seen with another key (the empty string's digest).
mkdir -p "$T/state/peers"
old_spki=sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=
now=$(date +%s)
printf '%s\n' domain=ee311.test "spki=$old_spki" tls-version=TLS1.3 \
    starttls=yes "first-seen=$((now - 86400))" "last-seen=$((now - 3600))" \
    "spki-since=$((now - 86400))" srv=xmpp.ee311.test:5269 dnssec=secure \
    >"$T/state/peers/ee311.test"

set --
for d in ee311 ee301 ee312 ee300 reportdane; do
	set -- "$@" "$d.test@$peers:5222:$T/otherca/ca.pem"
done
for d in $TA; do
	set -- "$@" "$d.test@$peers:5232:$T/otherca/ca.pem"
done
for d in $PK; do
	set -- "$@" "$d.test@$peers:5242:$T/ca/ca.pem"
done
dane_send one "$@" mismatch.test >"$T/one.out"
cat "$T/one.out" >&2

for d in ee311 ee301 ee312 ee300; do
	dane_expect "$T/one.out" "$d.test" delivered
	pc_log_has tls.established "direction=out .*to=$d.test .*verify=dane-ee auth=dane" ||
	    t_fail "$d.test: not authenticated by DANE-EE"
done
t_log "DANE-EE 3 1 1, 3 0 1, 3 1 2, 3 0 0: untrusted certificate accepted"
# Records give key digests in hex: that of the empty string.
old_hex=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
pc_log_has cert.changed "domain=ee311.test old_spki=$old_hex .*tlsa=match action=allowed" ||
    t_fail "ee311.test: the new key DANE vouches for was not allowed"
grep -q "^prev-spki=$old_spki" "$T/state/peers/ee311.test" ||
    t_fail "ee311.test: the history did not learn the new key"
t_log "key-change require-dane: a new key with a matching TLSA is allowed"
for d in $TA; do
	dane_expect "$T/one.out" "$d.test" delivered
	pc_log_has tls.established "direction=out .*to=$d.test .*verify=dane-ta auth=dane" ||
	    t_fail "$d.test: not authenticated by DANE-TA"
done
t_log "DANE-TA 2 0 1, 2 1 1: the untrusted CA named in DNS is the anchor"
dane_expect "$T/one.out" pkixta.test delivered
pc_log_has tls.established 'direction=out .*to=pkixta.test .*verify=dane-pkix-ta auth=dane' ||
    t_fail "pkixta.test: not authenticated by PKIX-TA"
dane_expect "$T/one.out" pkixee.test delivered
pc_log_has tls.established 'direction=out .*to=pkixee.test .*verify=dane-pkix-ee auth=dane' ||
    t_fail "pkixee.test: not authenticated by PKIX-EE"
t_log "PKIX-TA 0 1 1, PKIX-EE 1 0 1: accepted with PKIX"

dane_expect "$T/one.out" mismatch.test remote-server
pc_log_has dane.mismatch 'domain=mismatch.test tlsa="3 1 1" .*action=refused' ||
    t_fail "the TLSA mismatch of mismatch.test was not logged as refused"
if pc_log_has tls.established 'to=mismatch.test .*auth=dane'; then
	t_fail "mismatch.test was authenticated"
fi
pc_log_has s2s.unreachable 'domain=mismatch.test' ||
    t_fail "mismatch.test was not given up"
t_log "TLSA for another key: refused, dane.mismatch, the message bounced"

dane_expect "$T/one.out" reportdane.test delivered
pc_log_has dane.mismatch 'domain=reportdane.test .*action=reported' ||
    t_fail "reportdane.test: no reported dane.mismatch"
pc_log_has policy.would_have_rejected 'domain=reportdane.test' ||
    t_fail "reportdane.test: no would-have-rejected"
t_log "report mode: the mismatch logged, the message delivered"

# The same, as JSON records checked against the catalogue.
"$PORTCULLIS" -E >"$T/catalogue.jsonl" || t_fail "portcullis -E failed"
"$T_PY" - "$TI" "$ev" "$T/catalogue.jsonl" <<'PY' ||
import sys
sys.path.insert(0, sys.argv[1])
from evjson import Events
ev = Events(sys.argv[2], sys.argv[3])
r = ev.one("dane.mismatch", domain="mismatch.test")
assert r["action"] == "refused" and r["tlsa"] == "3 1 1", r
assert r["level"] == "error" and r["role"] == "s2s-out", r
assert len(r["peer_spki"]) == 64, r
r = ev.one("dane.mismatch", domain="reportdane.test")
assert r["action"] == "reported", r
ev.one("policy.would_have_rejected", domain="reportdane.test")
r = ev.one("cert.changed", domain="ee311.test")
assert r["tlsa"] == "match" and r["action"] == "allowed", r
assert r["old_spki"] != r["new_spki"], r
assert ev.count("cert.changed") == 1, "cert.changed more than once"
r = ev.one("tls.established", to="ee311.test", direction="out")
assert r["verify"] == "dane-ee" and r["auth"] == "dane", r
print("40: dane.mismatch refused and reported, cert.changed tlsa=match")
PY
    t_fail "the events file lacks a record (see above)"
pc_log_has s2s.resolved 'domain=ee311.test srv=yes dnssec=secure .*tlsa="xmpp.ee311.test:5269 secure 1"' ||
    t_fail "s2s.resolved does not show the secure TLSA set"

# portcullis -n prints the TLSA records to publish for our own chain:
# what openssl computes (dns_tlsa_for_cert) for the key and for the CA.
"$PORTCULLIS" -n -f "$T/portcullis.conf" >"$T/n.out" 2>&1 ||
    t_fail "portcullis -n failed: $(cat "$T/n.out")"
for want in "$(dns_tlsa_for_cert "$T/ca/legacy.pem" 5269 legacy.test 3 1 1)" \
    "$(dns_tlsa_for_cert "$T/ca/ca.pem" 5270 legacy.test 2 1 1)"; do
	grep -q -F -x "  $want" "$T/n.out" ||
	    t_fail "-n does not print '$want': $(grep TLSA "$T/n.out")"
done
t_log "-n: the TLSA records to publish for legacy.test are right"
