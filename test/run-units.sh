#!/bin/sh
# Run each unit test binary given; Check forks every test case, so one
# crash fails that case and not the suite.  Exit 1 if any binary failed.
set -u
fail=0
for t in "$@"; do
	if ! "$t"; then
		echo "unit: FAIL $t" >&2
		fail=1
	fi
done
exit $fail
