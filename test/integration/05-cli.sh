#!/bin/sh
# 05-cli: the command line.  -n accepts a good file (0, a summary) and
# refuses a bad one (1, "file:line: message"); -V, -h, and a usage error.
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
grep -q "policy c2s: TLS 1.2-1.3, forward secrecy required" "$T/n.out" ||
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
head -n 3 "$T/good.conf" >"$T/listen.part"
bad "unknown setting" "$(cat "$T/good.conf")
frobnicate = 1;" 9
bad "syntax" "$(cat "$T/listen.part")
domains = ( { name = \"x\" " 4
bad "missing key file" "$(cat "$T/listen.part")
domains = ( { name = \"example.org\";
  certificate = \"$T/ca/example.org.pem\"; key = \"$T/nope.key\";
  c2s-backend = \"127.0.0.1:1\"; } );" 4
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
