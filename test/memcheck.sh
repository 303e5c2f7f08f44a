#!/bin/sh
# memcheck.sh: run integration scenarios with the daemon under valgrind's
# memcheck, and fail on any error or leak it reports (test/valgrind.supp
# lists the one allowance and why).
#
# Usage: memcheck.sh DAEMON [PATTERN...]
#   Without patterns: a set covering c2s, hostile input, backend faults,
#   events, status and both s2s directions.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
daemon=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
[ $# -gt 0 ] || set -- 10-c2s 13-c2s 14-c2s 15-c2s 16-c2s 17-c2s 24-events \
    25-status 31-s2s 33-s2s 36-s2s 37-s2s
command -v valgrind >/dev/null || { echo "memcheck: no valgrind" >&2; exit 1; }

dir=$(mktemp -d /tmp/portcullis-memcheck.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cat >"$dir/portcullis" <<W
#!/bin/sh
exec valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \\
    --errors-for-leak-kinds=definite,indirect --num-callers=30 \\
    --suppressions="$top/test/valgrind.supp" \\
    --log-file="$dir/vg.%p.log" "$daemon" "\$@"
W
chmod +x "$dir/portcullis"
# Scenarios find the control tool beside the daemon.
ln -s "$(dirname "$daemon")/portcullis-ctl" "$dir/portcullis-ctl"

# valgrind is slow to start and to stop: more time for both.
rc=0
T_TIMEOUT=${T_TIMEOUT:-600} PORTCULLIS=$dir/portcullis \
    sh "$top/test/integration/run.sh" "$@" || rc=1
n=0
for f in "$dir"/vg.*.log; do
	[ -s "$f" ] || continue
	n=$((n + 1))
	echo "----- memcheck: $(basename "$f") -----" >&2
	head -n 200 "$f" >&2
done
runs=$(find "$dir" -name 'vg.*.log' | wc -l)
if [ "$n" -gt 0 ]; then
	echo "memcheck: $n of $runs daemon runs reported errors or leaks" >&2
	exit 1
fi
[ "$rc" -eq 0 ] || exit 1
echo "memcheck: $runs daemon runs, no errors and no leaks"
