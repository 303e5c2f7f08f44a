#!/bin/sh
# Run every libFuzzer binary BUILD/fuzz_<name> for SECONDS, one after the
# other, from its seed corpus test/fuzz/corpus/<name>/ (and the dictionary
# test/fuzz/fuzz_<name>.dict if there is one).  New inputs go to a scratch
# directory, not into the checked-in corpus; grow that with -merge=1 by
# hand.  Prints the executions per target; exits 1 if any target crashed,
# leaked, timed out or ran out of memory, leaving the input that did it in
# BUILD/ and the log in BUILD/fuzz_<name>.log.
#
# Usage: run.sh BUILD SECONDS
set -eu

usage="usage: run.sh BUILD SECONDS"
build=${1:?$usage}
secs=${2:?$usage}
here=$(cd "$(dirname "$0")" && pwd)

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT INT TERM

fail=0
found=0
for bin in "$build"/fuzz_*; do
	if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
		continue
	fi
	found=1
	name=$(basename "$bin")
	target=${name#fuzz_}
	seeds="$here/corpus/$target"
	log="$build/$name.log"
	mkdir -p "$scratch/$target"
	set -- -max_total_time="$secs" -max_len=65536 -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$build/$name-"
	if [ -f "$here/$name.dict" ]; then
		set -- "$@" -dict="$here/$name.dict"
	fi
	set -- "$@" "$scratch/$target"
	if [ -d "$seeds" ]; then
		set -- "$@" "$seeds"
	fi
	if "$bin" "$@" >"$log" 2>&1; then
		status=ok
	else
		status=FAILED
		fail=1
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
	    tail -n 1)
	echo "fuzz: $name: ${execs:-?} executions in ${secs}s: $status"
	if [ "$status" != ok ]; then
		grep -E '^(==[0-9]+==|SUMMARY|artifact_prefix|Test unit written)' \
		    "$log" | head -n 20 || true
	fi
done
if [ "$found" = 0 ]; then
	echo "fuzz: no fuzz_* binaries in $build" >&2
	exit 1
fi
exit $fail
