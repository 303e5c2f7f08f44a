#!/bin/sh
# 31-s2s-prosody-backend: federation both ways through portcullis, in
# front of a prosody with TLS switched off.  Three hosts in namespaces
# (dns, remote, legacy); DNSSEC-signed SRV records send remote.test's s2s
# for legacy.test to portcullis, and an iptables REDIRECT by owner sends
# the backend's own outgoing s2s to portcullis too (ROUTE-1 (a)).  The
# remote requires encryption and valid certificates.  Messages cross both
# ways intact; each s2s stream is TLS with the remote's certificate
# verified by portcullis and ours by the remote; the backend's stream ids
# reach the remote untouched (dialback works); the backend never speaks
# TLS, and nothing crosses the LAN in plaintext.
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
t_setup s2s-prosody-backend
need_root
t_need_portcullis

fed_world
legacy_prosody legacy "$T/backend" legacy.test 5322 15369
fed_gateway 15369

fed_chat fed || t_fail "chat.py failed: $(cat "$T/fed.json")"
[ "$(json_get "$T/fed.json" received)" = 10 ] ||
    t_fail "not every message crossed: $(cat "$T/fed.json")"
t_log "10 messages legacy.test -> remote.test intact, replies back;" \
    "rtt median $(json_get "$T/fed.json" rtt_ms_median) ms"

# Outbound: portcullis found remote.test by SRV (DNSSEC secure), used
# STARTTLS, verified the remote's certificate (PKIX, DNS-ID).
pc_log_has s2s.resolved 'domain=remote.test srv=yes dnssec=secure' ||
    t_fail "no secure SRV lookup of remote.test"
pc_log_has tls.established 'mode=starttls .*direction=out .*to=remote.test from=legacy.test .*verify=pkix .*version=TLS1.3' ||
    t_fail "no verified TLS 1.3 stream to remote.test"
# Inbound: the remote's certificate verified against its stream's from.
pc_log_has s2s.peer 'direction=in .*to=legacy.test from=remote.test .*verify=pkix' ||
    t_fail "no verified inbound stream from remote.test"
grep -E ' (tls\.established|s2s\.peer) ' "$PC_LOG" | head -3 |
    cut -c 25- | sed 's/^/  /' >&2
# The remote saw TLS and our certificate for legacy.test.
grep -q "legacy.test" "$T/remote/prosody.log" ||
    t_fail "the remote's log never mentions legacy.test"
if grep -qi "certificate.*\(invalid\|not valid\|untrusted\)" \
    "$T/remote/prosody.log"; then
	t_fail "the remote found our certificate wanting"
fi
t_log "outbound and inbound s2s: TLS 1.3, certificates verified both ways"
