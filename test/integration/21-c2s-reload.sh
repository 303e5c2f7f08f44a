#!/bin/sh
# 21-c2s-reload: SIGHUP reads everything again.  With a client logged in
# and chatting throughout: a renewed certificate and OCSP staple (same
# paths, new key) are served to the next client while the open session
# carries on; a stricter policy takes effect for new connections; a
# reload whose file names an expired certificate is refused with
# file:line and the reason, and the previous policy and certificate stay
# in force.  Prints how long each reload took.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
t_setup c2s-reload
t_need_portcullis

# ocsp NAME: $T/ca/NAME.ocsp, "good" for NAME.crt, signed by the CA.
ocsp() {
	_serial=$(openssl x509 -in "$T/ca/$1.crt" -noout -serial | cut -d= -f2)
	printf 'V\t%s\t\t%s\tunknown\t/CN=%s\n' \
	    "$(date -u -d '30 days' +%y%m%d%H%M%SZ)" "$_serial" "$1" \
	    >"$T/ca/$1.index"
	openssl ocsp -issuer "$T/ca/ca.pem" -cert "$T/ca/$1.crt" -no_nonce \
	    -reqout "$T/ca/$1.req" >/dev/null 2>&1 &&
	    openssl ocsp -index "$T/ca/$1.index" -rsigner "$T/ca/ca.pem" \
	    -rkey "$T/ca/ca.key" -CA "$T/ca/ca.pem" -reqin "$T/ca/$1.req" \
	    -respout "$T/ca/$1.ocsp" -ndays 1 >/dev/null 2>&1 ||
	    t_fail "openssl ocsp for $1 failed"
	echo "$_serial"
}

make_ca "$T/ca"
make_cert "$T/ca" one legacy.test
make_cert "$T/ca" two legacy.test
EXPIRED=1 make_cert "$T/ca" old legacy.test
serial1=$(ocsp one)
serial2=$(ocsp two)
mkdir -p "$T/live-certs"
cp "$T/ca/one.pem" "$T/live-certs/chain.pem"
cp "$T/ca/one.key" "$T/live-certs/key.pem"
cp "$T/ca/one.ocsp" "$T/live-certs/staple.der"

jport=$(free_port)
start_jabberd2 "$T/jabberd2" legacy.test "$jport"
c2s=$(free_port)
# conf EXTRA [CHAIN KEY]: the gateway's file, with EXTRA appended.
conf() {
	cat >"$T/portcullis.conf" <<CONF
workers = 2;
listen = ( { role = "c2s"; address = "127.0.0.1:$c2s"; } );
domains = ( { name = "legacy.test";
  certificate = "${2:-$T/live-certs/chain.pem}";
  key = "${3:-$T/live-certs/key.pem}";
  ocsp = "$T/live-certs/staple.der";
  c2s-backend = "127.0.0.1:$jport"; } );
$1
CONF
}
conf ""
start_portcullis "$T/pc" "$T/portcullis.conf" "$c2s"

# A client logged in for the whole scenario, counting round trips.
"$T_PY" - "$TI" "$c2s" "$T/ca/ca.pem" "$T/live" >"$T/live.log" 2>&1 <<'PY' &
import os, sys, time
sys.path.insert(0, sys.argv[1])
from xmpp import secure
port, ca, flag = int(sys.argv[2]), sys.argv[3], sys.argv[4]
c = secure(port, ca, "legacy.test", timeout=60)
jid = c.login("legacy.test", "alice", "secret-alice", "live")
n = 0
try:
    while not os.path.exists(flag + ".stop"):
        c.send("<message to='%s'><body>m%d</body></message>" % (jid, n))
        c.expect(("<body>m%d</body>" % n).encode(), 10)
        n += 1
        with open(flag + ".count.tmp", "w") as f:
            f.write(str(n))
        os.rename(flag + ".count.tmp", flag + ".count")
        time.sleep(0.05)
    c.send("</stream:stream>")
    c.expect(rb"</stream:stream>", 10)
    print("live: %d messages, closed cleanly" % n)
except Exception as e:
    print("live: FAIL after %d messages: %r" % (n, e))
    sys.exit(1)
PY
live=$!
echo "$live" >"$T/live.pid"
count() {
	cat "$T/live.count" 2>/dev/null || echo 0
}
# wait_more N: the live client completes more than N round trips.
wait_more() {
	_i=0
	while [ "$(count)" -le "$1" ]; do
		kill -0 "$live" 2>/dev/null || t_fail "the live session died"
		sleep 0.1
		_i=$((_i + 1))
		[ $_i -lt 100 ] || t_fail "the live session stalled at $(count)"
	done
}
wait_more 3

probe() {
	_n=$1
	shift
	"$T_PY" "$TI/tlsprobe.py" --cafile "$T/ca/ca.pem" --port "$c2s" \
	    --to legacy.test "$@" >"$T/$_n.json" 2>"$T/$_n.err"
}
fp() {
	openssl x509 -in "$T/ca/$1.crt" -outform DER | sha256sum | cut -d' ' -f1
}
# staple NAME: the serial of the OCSP response stapled for a new client.
staple() {
	timeout 20 openssl s_client -connect "127.0.0.1:$c2s" -starttls xmpp \
	    -xmpphost legacy.test -status -CAfile "$T/ca/ca.pem" \
	    </dev/null >"$T/$1.ossl" 2>&1 || true
	grep -q "OCSP Response Status: successful" "$T/$1.ossl" ||
	    t_fail "$1: no OCSP staple: $(grep -i ocsp "$T/$1.ossl" | head -3)"
	sed -n 's/^ *Serial Number: *//p' "$T/$1.ossl" | head -1
}
# hup N: SIGHUP, wait for configuration N or a refusal; prints ms taken.
hup() {
	_before=$(grep -c -e "configuration $1 in force" \
	    -e "reload refused" "$PC_LOG" || true)
	_t0=$(date +%s%N)
	kill -HUP "$PC_PID"
	_i=0
	while [ "$(grep -c -e "configuration $1 in force" -e "reload refused" \
	    "$PC_LOG" || true)" -le "$_before" ]; do
		sleep 0.01
		_i=$((_i + 1))
		[ $_i -lt 1000 ] || t_fail "no reload outcome after SIGHUP"
	done
	echo $((($(date +%s%N) - _t0) / 1000000))
}

probe before || t_fail "probe before: $(cat "$T/before.json")"
[ "$(json_get "$T/before.json" fingerprint)" = "$(fp one)" ] ||
    t_fail "the first certificate is not the one served"
[ "$(staple before)" = "$serial1" ] || t_fail "staple before: not $serial1"

# Renewal in place: new key, new chain, new staple, same paths.
cp "$T/ca/two.pem" "$T/live-certs/chain.pem"
cp "$T/ca/two.key" "$T/live-certs/key.pem"
cp "$T/ca/two.ocsp" "$T/live-certs/staple.der"
n=$(count)
ms=$(hup 2)
grep -q "configuration 2 in force" "$PC_LOG" || t_fail "reload 2 refused"
t_log "reload with a renewed certificate and staple: ${ms} ms"
wait_more "$n"
probe renewed || t_fail "probe after renewal: $(cat "$T/renewed.json")"
[ "$(json_get "$T/renewed.json" fingerprint)" = "$(fp two)" ] ||
    t_fail "the renewed certificate is not served after SIGHUP"
[ "$(staple renewed)" = "$serial2" ] ||
    t_fail "the renewed staple is not served after SIGHUP"
t_log "next client gets the new certificate and staple; the open" \
    "session carries on ($(count) round trips)"

# A stricter policy takes effect for new connections only.
conf 'policy = { c2s = { min-version = "1.3"; }; };'
ms=$(hup 3)
grep -q "configuration 3 in force" "$PC_LOG" || t_fail "reload 3 refused"
if probe tls12-strict --max 1.2; then
	t_fail "TLS 1.2 accepted after min-version 1.3 was loaded"
fi
probe tls13 || t_fail "TLS 1.3 refused: $(cat "$T/tls13.json")"
n=$(count)
wait_more "$n"
t_log "min-version 1.3 in force for new connections (${ms} ms)"

# A file naming an expired certificate is refused whole: the old policy
# (TLS 1.3 only) and the old certificate stay.
conf 'policy = { c2s = { min-version = "1.2"; }; };' "$T/ca/old.pem" \
    "$T/ca/old.key"
ms=$(hup 4)
grep -q "reload refused, the running configuration stays:.*portcullis.conf:[0-9]*: domain legacy.test: .*expired" \
    "$PC_LOG" || t_fail "the refused reload does not say file:line and why"
if probe tls12-after-bad --max 1.2; then
	t_fail "a refused reload relaxed the policy"
fi
probe after-bad || t_fail "no service after a refused reload"
[ "$(json_get "$T/after-bad.json" fingerprint)" = "$(fp two)" ] ||
    t_fail "a refused reload changed the certificate"
t_log "a reload naming an expired certificate is refused (${ms} ms);" \
    "TLS 1.3-only and the renewed certificate stay in force"

n=$(count)
wait_more "$n"
touch "$T/live.stop"
rc=0
wait "$live" || rc=$?
cat "$T/live.log" >&2
[ $rc -eq 0 ] || t_fail "the live session did not survive the reloads"
t_log "the live session ran $(count) round trips across three reloads"
