#!/bin/sh
# 30-s2s-rig-selftest: the s2s rig without portcullis.  Three hosts in
# network namespaces of their own on a private LAN: dns (nsd serving
# DNSSEC-signed zones, unbound validating them), remote (prosody for
# remote.test) and legacy (the legacy.test backend).  It proves, so that
# a later scenario that fails through the gateway fails because of it:
#  - the resolver calls signed names secure (AD), the unsigned zone
#    insecure, and records added after signing bogus (SERVFAIL);
#  - TLSA records computed from the test certificates match what gnutls'
#    danetool computes, and what the remote server really presents;
#  - prosody federates with prosody through SRV (XEP-0368 direct TLS one
#    way, STARTTLS the other), TLS required and certificates verified
#    against the test CA, messages both ways;
#  - jabberd2's s2s, with no TLS at all, federates with a prosody that
#    allows it: dialback in the clear, messages both ways;
#  - ROUTE-1 (a): a REDIRECT by owner in the backend's namespace catches
#    the backend user's connections, IPv4 and IPv6, and jabberd2's own
#    outgoing s2s, and SO_ORIGINAL_DST gives where they were going.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=netns.sh
. "$TI/netns.sh"
# shellcheck source-path=SCRIPTDIR source=dns.sh
. "$TI/dns.sh"
# shellcheck source-path=SCRIPTDIR source=s2s.sh
. "$TI/s2s.sh"
t_setup s2s-rig-selftest
need_root
for tool in nsd unbound ldns-signzone dig danetool iptables prosody \
    jabberd2-s2s; do
	command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] ||
	    t_skip "no $tool (sh test/deps.sh integration)"
done

ns_create dns remote legacy
dns4=$(ns_addr dns)
dns6=$(ns_addr dns 6)
remote4=$(ns_addr remote)
remote6=$(ns_addr remote 6)
legacy4=$(ns_addr legacy)
legacy6=$(ns_addr legacy 6)

# Certificates.  EKU=both: a server's certificate is also the client
# certificate of its outgoing s2s streams (prosody 0.12 accepts one with
# serverAuth alone too, but a stricter peer need not).  The stranger's
# key is in no certificate a server here presents.
make_ca "$T/ca"
EKU=both make_cert "$T/ca" remote remote.test xmpp.remote.test
EKU=both make_cert "$T/ca" legacy legacy.test xmpp.legacy.test
make_cert "$T/ca" stranger remote.test

# DNS.  Ports are not the defaults, so a server that ignored SRV and fell
# back to A/AAAA with 5269 would find nothing there.
dns_setup "$T/dns"
dns_zone remote.test
dns_zone legacy.test
dns_zone insecure.test unsigned
dns_host remote.test xmpp "$remote4" "$remote6"
dns_rr remote.test \
    "_xmpp-client._tcp IN SRV 0 5 5222 xmpp" \
    "_xmpp-server._tcp IN SRV 0 5 5299 xmpp" \
    "_xmpps-server._tcp IN SRV 0 5 5270 xmpp" \
    "_xmpp-server._tcp.elsewhere IN SRV 0 5 5399 xmpp" \
    "$(dns_tlsa_for_cert "$T/ca/remote.pem" 5299 xmpp.remote.test 3 1 1)" \
    "$(dns_tlsa_for_cert "$T/ca/remote.pem" 5270 xmpp.remote.test 3 1 1)" \
    "$(dns_tlsa_for_cert "$T/ca/ca.pem" 5270 xmpp.remote.test 2 0 1)" \
    "$(dns_tlsa_for_cert "$T/ca/stranger.pem" 5299 wrong.remote.test 3 1 1)" \
    "forged IN A $remote4" \
    "_xmpp-server._tcp.forged IN SRV 0 5 5299 xmpp"
dns_bogus remote.test "forged IN A $legacy4" \
    "_xmpp-server._tcp.forged IN SRV 0 5 5369 xmpp.legacy.test." \
    "_xmpp-server._tcp.unsigned IN SRV 0 5 5299 xmpp"
dns_host legacy.test xmpp "$legacy4" "$legacy6"
dns_rr legacy.test \
    "_xmpp-client._tcp IN SRV 0 5 5322 xmpp" \
    "_xmpp-server._tcp IN SRV 0 5 5369 xmpp"
dns_host insecure.test xmpp "$legacy4"
dns_rr insecure.test "_xmpp-server._tcp IN SRV 0 5 5369 xmpp"
ns_with dns dns_start "$dns4" 5300
ns_with dns dns_resolver_start "$T/unbound" 53 "$dns4" "$dns6"
ns_resolv remote "$dns4"
ns_resolv legacy "$dns4" "$dns6"

# want NAME TYPE VERDICT: the resolver's verdict (dns_status) on NAME.
want() {
	_got=$(dns_status "$1" "$2")
	[ "$_got" = "$3" ] || t_fail "$1 $2: resolver says '$_got', not '$3'"
}
want _xmpp-server._tcp.remote.test SRV "NOERROR ad"
want _xmpps-server._tcp.remote.test SRV "NOERROR ad"
want xmpp.remote.test A "NOERROR ad"
want xmpp.remote.test AAAA "NOERROR ad"
want _5270._tcp.xmpp.remote.test TLSA "NOERROR ad"
want _xmpp-server._tcp.legacy.test SRV "NOERROR ad"
want nothing.remote.test A "NXDOMAIN ad"
want _xmpp-server._tcp.insecure.test SRV "NOERROR -"
want xmpp.insecure.test A "NOERROR -"
want forged.remote.test A "SERVFAIL -"
want _xmpp-server._tcp.forged.remote.test SRV "SERVFAIL -"
want _xmpp-server._tcp.unsigned.remote.test SRV "SERVFAIL -"
# Bogus, not missing: with checking disabled the data is there.
dns_dig +cd forged.remote.test A >"$T/forged.dig"
grep -q 'status: NOERROR' "$T/forged.dig" ||
    t_fail "forged.remote.test is not served at all"
# Nothing outside the test tree resolves (nor is asked of anyone).
case $(dns_status example.com A) in
SERVFAIL*|REFUSED*) ;;
*) t_fail "example.com resolved: $(cat "$DNS_DIR/status.out")" ;;
esac
# The servers' own resolv.conf reaches the resolver.
srv=$(ns_exec legacy dig +short _xmpp-server._tcp.remote.test SRV)
[ "$srv" = "0 5 5299 xmpp.remote.test." ] ||
    t_fail "legacy's resolv.conf gives SRV '$srv'"
t_log "DNS: signed names secure, insecure.test insecure, forged names" \
    "bogus; trust anchor $DNS_TRUST_ANCHOR"

# tlsa_data NAME "U S M": the data of NAME's TLSA record with usage U,
# selector S and matching type M, from the resolver, lower case.
tlsa_data() {
	dns_dig +short "$1" TLSA | grep "^$2 " | head -n 1 | cut -d' ' -f4- |
	    tr -d ' ' | tr '[:upper:]' '[:lower:]'
}
# danetool_data ARGS...: what gnutls' danetool computes, lower case.
danetool_data() {
	danetool --tlsa-rr --quiet --host h --port 1 "$@" |
	    sed 's/.*( *[0-9]* [0-9]* [0-9]* \([0-9a-f]*\) *).*/\1/'
}
ee=$(tlsa_data _5270._tcp.xmpp.remote.test "3 1 1")
if [ -z "$ee" ] ||
    [ "$ee" != "$(danetool_data --load-certificate "$T/ca/remote.crt")" ]
then
	t_fail "TLSA 3 1 1 differs from danetool's"
fi
ta=$(tlsa_data _5270._tcp.xmpp.remote.test "2 0 1")
if [ -z "$ta" ] || [ "$ta" != "$(danetool_data \
    --load-certificate "$T/ca/ca.pem" --ca --x509)" ]; then
	t_fail "TLSA 2 0 1 differs from danetool's"
fi
[ "$(tlsa_data _5299._tcp.wrong.remote.test "3 1 1")" != "$ee" ] ||
    t_fail "the stranger's TLSA matches remote.test's key"

# Phase 1: prosody and prosody, TLS required by the remote.
REMOTE_S2S_PORT=5299 REMOTE_S2S_DIRECT_TLS_PORT=5270
remote_prosody remote "$T/remote" remote.test "$T/ca/remote" "$T/ca/ca.pem"
remote_pid=$T_PID
# What the remote presents on its XEP-0368 port is what DNS pins.
ns_exec legacy openssl s_client -connect "$remote4:5270" \
    -servername remote.test </dev/null 2>/dev/null |
    sed -n '/BEGIN CERT/,/END CERT/p' >"$T/served.pem"
[ "$(dns_tlsa_for_cert "$T/served.pem" 5270 xmpp.remote.test 3 1 1 |
    cut -d' ' -f7)" = "$ee" ] ||
    t_fail "the remote's certificate does not match its TLSA record"

PROSODY_TLS_CERT=$T/ca/legacy.pem PROSODY_TLS_KEY=$T/ca/legacy.key
PROSODY_TLS_CAFILE=$T/ca/ca.pem
legacy_prosody legacy "$T/legacy-prosody" legacy.test 5322 5369
legacy_pid=$T_PID
unset PROSODY_TLS_CERT PROSODY_TLS_KEY PROSODY_TLS_CAFILE

# fed NAME ARGS...: alice on legacy.test (127.0.0.1:5322 as seen from
# legacy) and bob on remote.test exchange messages across federation.
fed() {
	_fn=$1
	shift
	s2s_chat legacy "$_fn" --port 5322 --domain legacy.test \
	    --b-host "$remote4" --b-port 5222 --b-domain remote.test \
	    --cafile "$T/ca/ca.pem" --count 10 --pings 5 --timeout 40 "$@" ||
	    t_fail "$_fn: chat.py failed: $(cat "$T/$_fn.json")"
	[ "$(json_get "$T/$_fn.json" received)" = 10 ] ||
	    t_fail "$_fn: not every message crossed"
	t_log "$_fn: 10 messages legacy.test -> remote.test intact," \
	    "replies back; rtt median $(json_get "$T/$_fn.json" rtt_ms_median) ms"
}
fed fed-prosody

# How each s2s stream was made.  legacy.test -> remote.test: XEP-0368
# direct TLS to the _xmpps-server target; remote.test -> legacy.test:
# STARTTLS to the _xmpp-server target.  Both ways the certificate
# verified and SASL EXTERNAL authenticated the stream.
rlog="$T/remote/prosody.log"
llog="$T/legacy-prosody/prosody.log"
has() {
	grep -q -e "$2" "$1" || t_fail "${1#"$T"/} has no '$2'"
}
has "$llog" "Next target to try is .*:5270\$"
has "$llog" "SASL EXTERNAL with remote.test succeeded"
has "$rlog" "Accepting SASL EXTERNAL identity from legacy.test"
has "$rlog" "Next target to try is .*:5369\$"
has "$rlog" "Proceeding with TLS on s2sout"
has "$rlog" "SASL EXTERNAL with legacy.test succeeded"
t_log "prosody federation: direct TLS one way, STARTTLS the other," \
    "certificates verified both ways"

# Phase 2: jabberd2's s2s (no TLS) and a prosody that allows plaintext
# s2s, on the same names and ports.
t_stop "$legacy_pid"
t_stop "$remote_pid"
REMOTE_REQUIRE_ENCRYPTION=false REMOTE_SECURE_AUTH=false
remote_prosody remote "$T/remote-open" remote.test "$T/ca/remote" \
    "$T/ca/ca.pem"
unset REMOTE_REQUIRE_ENCRYPTION REMOTE_SECURE_AUTH
legacy_jabberd2 legacy "$T/jabberd2" legacy.test 5322 5369
fed fed-jabberd2 --plaintext --b-mode starttls
rlog="$T/remote-open/prosody.log"
has "$rlog" "Incoming s2s connection legacy.test->remote.test complete"
has "$rlog" "Outgoing s2s connection remote.test->legacy.test complete"
if grep -q "s2s.*Stream encrypted" "$rlog"; then
	t_fail "an s2s stream with jabberd2 was encrypted"
fi
has "$T/jabberd2/s2s.log" "outgoing route 'legacy.test/remote.test' is now valid"
has "$T/jabberd2/s2s.log" "incoming route 'legacy.test/remote.test' is now valid"
t_log "jabberd2 federation: dialback in the clear both ways"

# Phase 3: ROUTE-1 (a).  Inside legacy, TCP from the backend's user to
# anything but loopback goes to origdst.py on port 7777.
origdst_start legacy "$T/route" 7777 --answer
ns_redirect legacy "$T_BACKEND_USER" 7777
# probe USER ADDR: connect to ADDR port 5299 from legacy as USER, send a
# stream header, and print what the far end says first.
probe() {
	ns_exec legacy setpriv --reuid="$(id -u "$1")" --regid="$(id -g "$1")" \
	    --clear-groups "$T_PY" - "$2" <<'EOF'
import socket, sys
c = socket.create_connection((sys.argv[1], 5299), timeout=5)
c.sendall(b"<stream:stream to='probe.test'>")
c.settimeout(3)
try:
    print(c.recv(200).decode(errors="replace"))
except socket.timeout:
    pass
EOF
}
probe "$T_BACKEND_USER" "$remote4" >"$T/probe4.out"
origdst_wait "$T/route" "$remote4:5299" probe.test >/dev/null
probe "$T_BACKEND_USER" "$remote6" >"$T/probe6.out"
origdst_wait "$T/route" "[$remote6]:5299" probe.test >/dev/null
# Other users are left alone: root reaches the remote itself.
probe root "$remote4" >"$T/probe-root.out"
if ! grep -q "xmlns='jabber:server'" "$T/probe-root.out" ||
    grep -q origdst "$T/probe-root.out"; then
	t_fail "root's connection did not reach remote.test's s2s port"
fi
[ "$(grep -c probe.test "$T/route/origdst.jsonl")" -eq 2 ] ||
    t_fail "more than the backend user's two probes were redirected"
t_log "REDIRECT: $T_BACKEND_USER's IPv4 and IPv6 connections caught," \
    "root's not"

# And jabberd2's own outgoing s2s: alice writes to a domain that it has
# no stream to yet; its SRV points at remote's port 5399.  jabberd2's
# header names neither side: the domain shows in its db:result, after
# origdst.py has answered the header.
ns_exec legacy "$T_PY" -B - "$TI" <<'EOF' || t_fail "cannot write as alice"
import sys, time
sys.path.insert(0, sys.argv[1])
import xmpp
c = xmpp.Raw("127.0.0.1", 5322)
c.login("legacy.test", "alice", "secret-alice")
c.send("<message to='carol@elsewhere.remote.test' type='chat'>"
       "<body>through the gateway, one day</body></message>")
time.sleep(0.5)
c.close()
EOF
got=$(origdst_wait "$T/route" "$remote4:5399" "to='elsewhere.remote.test'")
case $got in
*"from='legacy.test'"*) ;;
*) t_fail "jabberd2's dialback does not name legacy.test: $got" ;;
esac
t_log "jabberd2's s2s to $remote4:5399 caught; it sent: $got"
n=$(grep -c ":5399" "$T/route/origdst.jsonl")
[ "$n" -le 3 ] || t_fail "jabberd2 connected $n times to the listener"

exit 0
