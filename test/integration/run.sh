#!/bin/sh
# run.sh: run the integration scenarios test/integration/NN-*.sh in order,
# each with sh under a time limit, and report PASS name (Ns), FAIL name or
# SKIP name: reason (a scenario exits 77 to skip).  A scenario's output is
# shown only when it fails, or always with T_VERBOSE=1.  Exit 1 if any
# failed or none matched.
#
# Usage: run.sh [PATTERN...]   run the scenarios whose name (without .sh)
#                              contains one of the PATTERNs (shell globs).
# Environment: PORTCULLIS      the daemon under test (scenarios skip
#                              without it; the rig's own do not need it)
#              T_TIMEOUT       seconds per scenario (default 300)
#              T_VERBOSE=1     show every scenario's output
set -u

here=$(cd "$(dirname "$0")" && pwd)
limit=${T_TIMEOUT:-300}
pass=0
fail=0
skip=0
child=""
out=$(mktemp /tmp/portcullis-run.XXXXXX) || exit 1

# An interrupt reaches run.sh, not the scenario: timeout(1) puts it in a
# process group of its own.  Pass it on, so the scenario's trap cleans up.
stop() {
	if [ -n "$child" ]; then
		kill -TERM "$child" 2>/dev/null
		wait "$child"
		echo "FAIL $name (interrupted)"
		sed 's/^/    /' "$out"
	fi
	rm -f "$out"
	exit 130
}
trap stop INT TERM HUP

matches() {
	[ $# -eq 1 ] && return 0
	_name=$1
	shift
	for _pat in "$@"; do
		# shellcheck disable=SC2254 # the pattern is a glob on purpose.
		case $_name in
		*$_pat*) return 0 ;;
		esac
	done
	return 1
}

for script in "$here"/[0-9][0-9]-*.sh; do
	[ -f "$script" ] || continue
	name=$(basename "$script" .sh)
	matches "$name" "$@" || continue
	start=$(date +%s)
	timeout -k 10 "$limit" sh "$script" >"$out" 2>&1 &
	child=$!
	wait "$child"
	rc=$?
	child=""
	secs=$(($(date +%s) - start))
	case $rc in
	0)	echo "PASS $name (${secs}s)"
		pass=$((pass + 1)) ;;
	77)	reason=$(sed -n 's/^SKIP: //p' "$out" | tail -n 1)
		echo "SKIP $name: ${reason:-no reason given}"
		skip=$((skip + 1)) ;;
	*)	if [ $rc -eq 124 ]; then
			echo "FAIL $name (timed out after ${limit}s)"
		else
			echo "FAIL $name (exit $rc, ${secs}s)"
		fi
		sed 's/^/    /' "$out"
		fail=$((fail + 1)) ;;
	esac
	case $rc in
	0|77)	[ "${T_VERBOSE:-0}" = 1 ] && sed 's/^/    /' "$out" ;;
	esac
done
rm -f "$out"

echo "integration: $pass passed, $fail failed, $skip skipped"
if [ $((pass + fail + skip)) -eq 0 ]; then
	echo "integration: no scenario matches: $*" >&2
	exit 1
fi
[ $fail -eq 0 ]
