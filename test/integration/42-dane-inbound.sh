#!/bin/sh
# 42-dane-inbound: remote servers authenticated inbound by their own
# TLSA records.  Their certificates come from a CA portcullis does not
# trust, so PKIX cannot vouch for them; the s2s-in rule lists dane (the
# default), so portcullis looks up the SRV and TLSA records of the domain
# in each stream's from, holding the stream until they come:
#  - inb.test publishes a DANE-EE record for its key: its stream is
#    authenticated (verify=dane-ee), its dialback to the backend goes
#    through, and bob's message reaches alice on the backend;
#  - inbbad.test publishes a record for another key: dane.mismatch, the
#    stream is refused, nothing reaches the backend.
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
t_setup dane-inbound
need_root
t_need_portcullis

fed_extra_dns() {
	peers=$(ns_addr peers)
	make_ca "$T/otherca"
	EKU=both make_cert "$T/otherca" inb inb-server.invalid
	EKU=both make_cert "$T/otherca" stranger stranger.invalid
	dane_zone inb.test "$peers" 5269
	dane_zone inbbad.test "$peers" 5279
	dns_rr inb.test "$(dns_tlsa_for_cert "$T/otherca/inb.pem" 5269 \
	    xmpp.inb.test 3 1 1)"
	dns_rr inbbad.test "$(dns_tlsa_for_cert "$T/otherca/inb.pem" 5279 \
	    xmpp.inbbad.test 3 1 1)"
}
fed_world peers
peers=$(ns_addr peers)
ns_resolv peers "$FED_DNS4"
dane_prosody peers "$T/p-inb" "$T/otherca/inb" "$T/ca/ca.pem" 5222 5269 \
    inb.test
dane_prosody peers "$T/p-bad" "$T/otherca/stranger" "$T/ca/ca.pem" 5232 \
    5279 inbbad.test

legacy_prosody legacy "$T/backend" legacy.test 5322 15369
fed_gateway 15369

dane_inbound in "inb.test@$peers:5222:$T/otherca/ca.pem" \
    "!inbbad.test@$peers:5232:$T/otherca/ca.pem" >"$T/in.out"
cat "$T/in.out" >&2

dane_expect "$T/in.out" inb.test delivered
pc_log_has s2s.peer 'direction=in .*from=inb.test .*verify=dane-ee auth=dane' ||
    t_fail "inb.test: its stream was not authenticated by DANE-EE"
t_log "inb.test: authenticated inbound by its own TLSA record, delivered"

dane_expect "$T/in.out" inbbad.test nothing
pc_log_has dane.mismatch 'domain=inbbad.test tlsa="3 1 1" .*action=refused' ||
    t_fail "inbbad.test: no refused dane.mismatch"
pc_log_has stream.error.sent 'condition=policy-violation reason=s2s-unauthenticated' ||
    t_fail "inbbad.test: the stream was not refused"
if pc_log_has s2s.peer 'from=inbbad.test .*auth=dane'; then
	t_fail "inbbad.test was authenticated"
fi
t_log "inbbad.test: TLSA for another key, refused inbound"
