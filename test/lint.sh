#!/bin/sh
# lint.sh: cppcheck and clang-tidy (.clang-tidy's checks) over every C
# file of the daemon, the leaves and the control tool.  Exit 1 on any
# finding.
set -eu
cd "$(dirname "$0")/.."
files=$(ls proxy/*.c xmlstream/*.c policy/*.c certstore/*.c ctl/*.c)
fail=0
cppcheck --quiet --enable=warning,performance,portability --inline-suppr \
    --error-exitcode=1 --std=c11 -D_GNU_SOURCE -I. $files || fail=1
# shellcheck disable=SC2046 # one word per flag
flags="-std=c11 -D_GNU_SOURCE -DPORTCULLIS_VERSION=\"lint\" -I. $(pkg-config \
    --cflags libuv gnutls libxml-2.0 ldns libidn2 libconfig)"
for f in $files; do
	# shellcheck disable=SC2086 # $flags is a list of flags
	clang-tidy --quiet "$f" -- $flags 2>/dev/null || {
		clang-tidy --quiet "$f" -- $flags 2>&1 | grep -E "error:|warning:" >&2
		fail=1
	}
done
[ $fail -eq 0 ] && echo "lint: clean ($(echo $files | wc -w) files)"
exit $fail
