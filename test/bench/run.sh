#!/bin/sh
# Run the benchmarks, one section each, and append their results, with
# the date and the machine, to test/bench/results.md.
#
# Usage: run.sh [BUILD [SECTION...]]
# BUILD defaults to build/release; with no SECTION, every section runs.
# A section is a function section_<name> below that builds what it needs
# and prints Markdown; add one per thing measured.
set -eu

build=${1:-build/release}
[ $# -gt 0 ] && shift
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
results="$here/results.md"
all_sections="xmlstream"

# xmlstream against the bare libxml2 push parser; see bench_xs.c.
section_xmlstream() {
	make -s -C "$root" -f test/bench/bench.mk B="$build" >&2
	"$root/$build/bench/bench_xs"
}

machine() {
	cpu=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo |
	    head -n 1)
	ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')
	echo "$(uname -m), ${cpu:-unknown CPU}, $ncpu CPUs, $(uname -sr)"
}

out=$(mktemp)
trap 'rm -f "$out"' EXIT INT TERM

[ $# -gt 0 ] || set -- $all_sections
for s in "$@"; do
	echo "bench: $s" >&2
	{
		echo
		echo "## $s, $(date -u '+%Y-%m-%d %H:%M UTC')"
		echo
		echo "Machine: $(machine)."
		echo
		"section_$s"
	} >"$out"
	cat "$out"
	cat "$out" >>"$results"
done
