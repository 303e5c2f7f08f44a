#!/bin/sh
# 44-dnssec-trust-anchor: portcullis validating DNSSEC itself, with ldns,
# from the test zone's trust anchor, rather than believing a resolver's
# AD bit.  portcullis starts believing the AD bit; a reload switches it
# to dns { trust-anchor; } (and forgets what it had cached); from then on
# it asks the resolver with checking disabled, so the resolver's own
# validation hides nothing, and must find bogus answers itself:
#  - ee.test (NSEC) and n3.test (NSEC3, with its absent _xmpps-server
#    record proved by NSEC3): DANE-EE with an untrusted certificate,
#    accepted, the answers secure;
#  - insecure.test, an unsigned zone below the NSEC-signed test., and
#    insec.n3.test, an unsigned zone below the NSEC3-signed n3.test: the
#    missing DS is proved, the answers insecure, PKIX rules;
#  - mismatch.test: a TLSA record for another key: refused;
#  - bogus.test: an SRV RRset with a record its signature does not cover,
#    and stripped.test: an SRV record with no signature in a signed zone:
#    dnssec.bogus, with the validator's own reason, no connection.
# portcullis -n takes a DNSKEY anchor file as well as a DS one, and
# refuses a file without either.
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
t_setup dnssec-trust-anchor
need_root
t_need_portcullis

fed_extra_dns() {
	peers=$(ns_addr peers)
	make_ca "$T/otherca"
	EKU=both make_cert "$T/otherca" ee dane-ee.invalid
	EKU=both make_cert "$T/otherca" stranger stranger.invalid
	EKU=both make_cert "$T/ca" pkix insecure.test insec.n3.test \
	    bogus.test stripped.test
	dane_zone ee.test "$peers" 5269
	dane_zone mismatch.test "$peers" 5269
	dane_zone n3.test "$peers" 5269 nsec3
	dane_zone insecure.test "$peers" 5279 unsigned
	dane_zone insec.n3.test "$peers" 5279 unsigned
	dane_zone bogus.test "$peers" 5279
	dns_zone stripped.test
	dns_host stripped.test xmpp "$peers"
	dns_host stripped.test stripped.test. "$peers"
	for d in ee n3; do
		dns_rr "$d.test" "$(dns_tlsa_for_cert "$T/otherca/ee.pem" 5269 \
		    "xmpp.$d.test" 3 1 1)"
	done
	dns_rr mismatch.test "$(dns_tlsa_for_cert "$T/otherca/stranger.pem" \
	    5269 xmpp.mismatch.test 3 1 1)"
	dns_bogus bogus.test "_xmpp-server._tcp IN SRV 0 9 5279 xmpp"
	dns_bogus stripped.test "_xmpp-server._tcp IN SRV 0 5 5279 xmpp"
}
fed_world peers
peers=$(ns_addr peers)
ns_resolv peers "$FED_DNS4"
dane_prosody peers "$T/p-ee" "$T/otherca/ee" "$T/ca/ca.pem" 5222 5269 \
    ee.test mismatch.test n3.test
dane_prosody peers "$T/p-pkix" "$T/ca/pkix" "$T/ca/ca.pem" 5232 5279 \
    insecure.test insec.n3.test bogus.test stripped.test

legacy_prosody legacy "$T/backend" legacy.test 5322 15369
fed_gateway 15369

# Validate here from the anchor: a reload switches the mode.
sed "s|^dns = .*|dns = { resolver = \"$FED_DNS4:53\"; trust-anchor = \"$DNS_TRUST_ANCHOR\"; };|" \
    "$T/portcullis.conf" >"$T/portcullis.conf.new"
mv "$T/portcullis.conf.new" "$T/portcullis.conf"
kill -HUP "$PC_PID"
wait_log "$PC_LOG" "configuration 2 in force" 5 ||
    t_fail "the reload to trust-anchor was not taken"
grep -q "dns: DNSSEC validated here from 1 trust anchor record(s) in $DNS_TRUST_ANCHOR" \
    "$PC_LOG" || t_fail "the validation mode is not reported"

dane_send one "ee.test@$peers:5222:$T/otherca/ca.pem" \
    "n3.test@$peers:5222:$T/otherca/ca.pem" \
    "insecure.test@$peers:5232:$T/ca/ca.pem" \
    "insec.n3.test@$peers:5232:$T/ca/ca.pem" \
    mismatch.test bogus.test stripped.test >"$T/one.out"
cat "$T/one.out" >&2

for d in ee n3; do
	dane_expect "$T/one.out" "$d.test" delivered
	pc_log_has s2s.resolved "domain=$d.test srv=yes dnssec=secure .*tlsa=\"xmpp.$d.test:5269 secure 1\"" ||
	    t_fail "$d.test: not resolved as secure, with its TLSA"
	pc_log_has tls.established "direction=out .*to=$d.test .*verify=dane-ee auth=dane" ||
	    t_fail "$d.test: not authenticated by DANE-EE"
done
t_log "validated here: NSEC and NSEC3 zones secure, DANE-EE accepted"
for d in insecure insec.n3; do
	dane_expect "$T/one.out" "$d.test" delivered
	pc_log_has s2s.resolved "domain=$d.test srv=yes dnssec=insecure" ||
	    t_fail "$d.test: not resolved as (provably) insecure"
	pc_log_has tls.established "direction=out .*to=$d.test .*verify=pkix auth=pkix" ||
	    t_fail "$d.test: not authenticated by PKIX"
done
t_log "unsigned zones below NSEC and NSEC3 parents: insecure, PKIX rules"
dane_expect "$T/one.out" mismatch.test remote-server
pc_log_has dane.mismatch 'domain=mismatch.test .*action=refused' ||
    t_fail "mismatch.test: no refused dane.mismatch"
for d in bogus stripped; do
	dane_expect "$T/one.out" "$d.test" remote-server
	pc_log_has dnssec.bogus "domain=$d.test qname=_xmpp-server._tcp.$d.test. qtype=SRV" ||
	    t_fail "$d.test: no dnssec.bogus"
	if pc_log_has dnssec.bogus "domain=$d.test .*the resolver found it bogus"; then
		t_fail "$d.test: judged by the resolver, not here"
	fi
	pc_log_has s2s.unreachable "domain=$d.test from=legacy.test attempts=0" ||
	    t_fail "$d.test: a connection was attempted"
done
pc_log_has dnssec.bogus 'domain=stripped.test .*reason="an unsigned answer in a signed zone' ||
    t_fail "stripped.test: the missing signature was not the reason"
pc_log_has dnssec.bogus 'domain=bogus.test .*reason="signatures that do not verify' ||
    t_fail "bogus.test: the bad signature was not the reason"
t_log "bogus and stripped SRV answers: found here, no connection"

# -n: a DNSKEY anchor file too; a file with neither is refused.
sed "s|$DNS_TRUST_ANCHOR|$DNS_TRUST_DNSKEY|" "$T/portcullis.conf" \
    >"$T/dnskey.conf"
"$PORTCULLIS" -n -f "$T/dnskey.conf" >"$T/dnskey.out" 2>&1 ||
    t_fail "-n refused the DNSKEY anchor: $(cat "$T/dnskey.out")"
grep -q "validated here from 1 trust anchor record(s) in $DNS_TRUST_DNSKEY" \
    "$T/dnskey.out" || t_fail "-n did not take the DNSKEY anchor"
echo "; nothing here" >"$T/empty.key"
sed "s|$DNS_TRUST_ANCHOR|$T/empty.key|" "$T/portcullis.conf" >"$T/empty.conf"
if "$PORTCULLIS" -n -f "$T/empty.conf" >"$T/empty.out" 2>&1; then
	t_fail "-n took an anchor file without an anchor"
fi
grep -q "trust-anchor $T/empty.key: no DS or DNSKEY record" "$T/empty.out" ||
    t_fail "-n did not say why: $(cat "$T/empty.out")"
t_log "-n: DS and DNSKEY anchors taken, an empty file refused"
