#!/bin/sh
# 05-cli: the command line.  -n accepts a good file (0, a summary) and
# refuses a bad one (1, "file:line: message"); it grades each listener
# and domain and exits 1 below minimum-grade; it refuses a domain no
# certificate names and an expired certificate; it creates no state
# directory, which the daemon does when it has an s2s listener; -V, -h,
# and a usage error.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
t_setup cli
t_need_portcullis

make_ca "$T/ca"
make_cert "$T/ca" example.org example.org
gateway_conf "$T/good.conf" example.org "$T/ca" 127.0.0.1:1 5999
"$PORTCULLIS" -n -f "$T/good.conf" >"$T/n.out" 2>&1 ||
    t_fail "-n refused a good file: $(cat "$T/n.out")"
grep -q "configuration OK" "$T/n.out" || t_fail "-n printed no verdict"
grep -A1 "^rule c2s (built in)" "$T/n.out" |
    grep -q "enforce, TLS 1.2-1.3, forward secrecy required" ||
    t_fail "-n did not print the effective c2s policy"

# Each mistake: exit 1 and file:line of the mistake.
bad() {
	printf '%s\n' "$2" >"$T/bad.conf"
	rc=0
	"$PORTCULLIS" -n -f "$T/bad.conf" >"$T/bad.out" 2>&1 || rc=$?
	[ $rc -eq 1 ] || t_fail "$1: exit $rc, not 1"
	grep -q "^$T/bad.conf:$3: " "$T/bad.out" ||
	    t_fail "$1: wanted $T/bad.conf:$3:, got: $(cat "$T/bad.out")"
}
head -n 4 "$T/good.conf" >"$T/listen.part"
bad "unknown setting" "$(cat "$T/good.conf")
frobnicate = 1;" 9
bad "syntax" "$(cat "$T/listen.part")
domains = ( { name = \"x\" " 6
bad "missing key file" "$(cat "$T/listen.part")
domains = ( { name = \"example.org\";
  certificate = \"$T/ca/example.org.pem\"; key = \"$T/nope.key\";
  c2s-backend = \"127.0.0.1:1\"; } );" 5
grep -q "nope.key: cannot read" "$T/bad.out" || t_fail "$(cat "$T/bad.out")"
# A certificate that does not name its domain, and an expired one.
make_cert "$T/ca" other other.example
bad "domain not named" "$(cat "$T/listen.part")
domains = ( { name = \"example.org\";
  certificate = \"$T/ca/other.pem\"; key = \"$T/ca/other.key\";
  c2s-backend = \"127.0.0.1:1\"; } );" 5
grep -q "no certificate names it" "$T/bad.out" || t_fail "$(cat "$T/bad.out")"
EXPIRED=1 make_cert "$T/ca" old example.org
bad "expired" "$(cat "$T/listen.part")
domains = ( { name = \"example.org\";
  certificate = \"$T/ca/old.pem\"; key = \"$T/ca/old.key\";
  c2s-backend = \"127.0.0.1:1\"; } );" 5
grep -q "expired on" "$T/bad.out" || t_fail "$(cat "$T/bad.out")"

# Grades: the default policy is A with either key; a 1024-bit RSA key
# (allowed on purpose) caps at B, below a minimum-grade of A.
grep -q "^  example.org: rule c2s (built in), grade A (96.0" "$T/n.out" ||
    t_fail "-n printed no grade A for the default: $(cat "$T/n.out")"
grep -q "TLS_ECDHE_ECDSA_AES_128_GCM_SHA256" "$T/n.out" ||
    t_fail "-n did not list the cipher suites"
KEYTYPE=rsa BITS=1024 make_cert "$T/ca" weak example.org
gateway_conf "$T/weak.conf" example.org "$T/ca" 127.0.0.1:1 5999 "" \
    'min-rsa-bits = 1024;
minimum-grade = "A";'
sed -i "s|$T/ca/example.org.pem|$T/ca/weak.pem|; s|$T/ca/example.org.key|$T/ca/weak.key|" \
    "$T/weak.conf"
rc=0
"$PORTCULLIS" -n -f "$T/weak.conf" >"$T/weak.out" 2>&1 || rc=$?
[ $rc -eq 1 ] || t_fail "grade B under minimum-grade A: exit $rc"
grep -q "grade B (90.0" "$T/weak.out" || t_fail "$(cat "$T/weak.out")"
mg=$(grep -n "^minimum-grade" "$T/weak.conf" | cut -d: -f1)
grep -q "^$T/weak.conf:$mg: grade B on 127.0.0.1:5999 is below minimum-grade A" \
    "$T/weak.out" || t_fail "no file:line verdict: $(tail -2 "$T/weak.out")"
sed -i 's/minimum-grade = "A";/minimum-grade = "B";/' "$T/weak.conf"
"$PORTCULLIS" -n -f "$T/weak.conf" >"$T/weak.out" 2>&1 ||
    t_fail "grade B under minimum-grade B refused: $(cat "$T/weak.out")"
grep -q "minimum-grade B: met, lowest B" "$T/weak.out" ||
    t_fail "$(tail -1 "$T/weak.out")"
# Without min-rsa-bits the 1024-bit key is refused outright.
sed -i '/min-rsa-bits/d' "$T/weak.conf"
bad "rsa-1024" "$(cat "$T/weak.conf")" 5
grep -q "RSA key of 1024 bits, below the minimum of 2048" "$T/bad.out" ||
    t_fail "$(cat "$T/bad.out")"
t_log "-n grades: A by default, B with RSA-1024, minimum-grade enforced"

# -n creates nothing; a daemon with an s2s listener makes the state
# directory, mode 0700.
s2s=$(free_port)
cat >"$T/s2s.conf" <<CONF
listen = ( { role = "s2s"; address = "127.0.0.1:$s2s"; } );
state-directory = "$T/state";
domains = ( { name = "example.org";
  certificate = "$T/ca/example.org.pem"; key = "$T/ca/example.org.key";
  s2s-backend = "127.0.0.1:1"; } );
CONF
"$PORTCULLIS" -n -f "$T/s2s.conf" >"$T/s2s.out" 2>&1 ||
    t_fail "-n refused the s2s file: $(cat "$T/s2s.out")"
[ ! -e "$T/state" ] || t_fail "-n created the state directory"
start_portcullis "$T/pc" "$T/s2s.conf" "$s2s"
[ "$(stat -c %a "$T/state/peers" 2>/dev/null)" = 700 ] ||
    t_fail "the daemon did not create $T/state/peers (0700)"
kill -TERM "$PC_PID"
wait "$PC_PID" 2>/dev/null || true
t_log "-n leaves the state directory alone; the daemon makes it"

rc=0
"$PORTCULLIS" -n -f "$T/does-not-exist.conf" >"$T/bad.out" 2>&1 || rc=$?
[ $rc -eq 1 ] || t_fail "missing file: exit $rc"
grep -q "does-not-exist.conf: cannot read" "$T/bad.out" ||
    t_fail "missing file: $(cat "$T/bad.out")"

"$PORTCULLIS" -V | grep -q "^portcullis [0-9]" || t_fail "-V"
"$PORTCULLIS" -h | grep -q "usage: portcullis" || t_fail "-h"
rc=0
"$PORTCULLIS" -x >/dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || t_fail "a bad flag gave exit $rc, not 2"
# Starting on a bad file fails at once with the same diagnostic.
rc=0
"$PORTCULLIS" -f "$T/bad.conf" >"$T/start.out" 2>&1 || rc=$?
[ $rc -eq 1 ] || t_fail "starting with a bad file gave exit $rc"
t_log "-n, -V, -h and errors behave"
