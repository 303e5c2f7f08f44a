#!/bin/sh
# 16-c2s-backend-failure: a backend that is down gets the client a
# stream header and <internal-server-error/> right after its post-TLS
# header, not a hang; a backend that dies mid-stream does the same for
# the clients it served, and portcullis keeps serving others.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
t_setup c2s-backend-failure
t_need_portcullis

make_ca "$T/ca"
make_cert "$T/ca" legacy.test legacy.test
dead=$(free_port)		# reserved, nothing listens there
c2s=$(free_port)
gateway_conf "$T/down.conf" legacy.test "$T/ca" "127.0.0.1:$dead" "$c2s"
start_portcullis "$T/pc" "$T/down.conf" "$c2s"

"$T_PY" - "$TI" "$c2s" "$T/ca/ca.pem" <<'PY' || t_fail "backend down: wrong answer"
import sys, time
sys.path.insert(0, sys.argv[1])
from xmpp import secure, STREAM_ERROR
port, ca = int(sys.argv[2]), sys.argv[3]
c = secure(port, ca, "legacy.test")
t0 = time.monotonic()
c.send(c.header("legacy.test"))
c.expect(rb"<stream:stream [^>]*from='legacy.test'[^>]*>", 5)
c.expect(STREAM_ERROR % b"internal-server-error", 5)
c.read_until_closed(5)
print("16: backend down answered in %.0f ms" % ((time.monotonic() - t0) * 1000))
PY
pc_log_has backend.unreachable 'error=ECONNREFUSED' ||
    t_fail "no backend.unreachable record"
kill -TERM "$PC_PID"
wait "$PC_PID" 2>/dev/null || true

# Now a backend that dies under a logged-in client.
jport=$(free_port)
start_jabberd2 "$T/jabberd2" legacy.test "$jport"
c2s2=$(free_port)
gateway_conf "$T/up.conf" legacy.test "$T/ca" "127.0.0.1:$jport" "$c2s2"
start_portcullis "$T/pc2" "$T/up.conf" "$c2s2"
"$T_PY" - "$TI" "$c2s2" "$T/ca/ca.pem" "$T/jabberd2/jabberd2-c2s.pid" \
    <<'PY' || t_fail "backend death: wrong answer"
import os, signal, sys
sys.path.insert(0, sys.argv[1])
from xmpp import secure, STREAM_ERROR
port, ca, pidfile = int(sys.argv[2]), sys.argv[3], sys.argv[4]
c = secure(port, ca, "legacy.test")
c.login("legacy.test", "alice", "secret-alice")
os.kill(int(open(pidfile).read()), signal.SIGKILL)
c.expect(STREAM_ERROR % b"internal-server-error", 5)
c.read_until_closed(5)
print("16: backend death reported to the client")
PY
pc_log_has session.close 'reason=backend-(closed|reset)' ||
    t_fail "no close record saying the backend went away"
kill -0 "$PC_PID" || t_fail "portcullis died with its backend"
