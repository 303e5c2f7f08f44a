#!/bin/sh
# 17-c2s-signals: SIGHUP with a broken file keeps the running
# configuration and says why; SIGHUP with a good one takes effect for new
# connections while an open session carries on; SIGTERM ends every
# stream with <system-shutdown/>, </stream> and TLS close_notify, closes
# the backend's stream with </stream>, and exits within the bound.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
t_setup c2s-signals
t_need_portcullis

rig_c2s legacy.test "timeouts = { shutdown = 5; };"
c2s=$C2S

# A client logged in for the whole scenario, in the background.
"$T_PY" - "$TI" "$c2s" "$T/ca/ca.pem" "$T/live" >"$T/live.log" 2>&1 <<'PY' &
import os, sys, time
sys.path.insert(0, sys.argv[1])
from xmpp import secure
port, ca, flag = int(sys.argv[2]), sys.argv[3], sys.argv[4]
c = secure(port, ca, "legacy.test", timeout=60)
jid = c.login("legacy.test", "alice", "secret-alice", "live")
open(flag + ".up", "w").close()
# Keep talking to ourselves until the gateway shuts the stream.
n = 0
try:
    while not os.path.exists(flag + ".stop"):
        c.send("<message to='%s'><body>m%d</body></message>" % (jid, n))
        c.expect(("<body>m%d</body>" % n).encode(), 10)
        n += 1
        time.sleep(0.05)
    c.expect(rb"<stream:error><system-shutdown "
             rb"xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
             rb"</stream:error></stream:stream>", 15)
    # The TLS layer closes cleanly: close_notify, then EOF.
    while c.sock.recv(4096):
        pass
    print("live: %d messages, then system-shutdown and close_notify" % n)
except Exception as e:
    print("live: FAIL after %d messages: %r" % (n, e))
    sys.exit(1)
PY
live=$!
echo "$live" >"$T/live.pid"
i=0
while [ ! -f "$T/live.up" ]; do
	sleep 0.1
	i=$((i + 1))
	[ $i -lt 100 ] || t_fail "the live client did not log in"
done

cp "$T/portcullis.conf" "$T/good.conf"
printf 'this is not a configuration\n' >"$T/portcullis.conf"
kill -HUP "$PC_PID"
wait_log "$PC_LOG" "reload refused, the running configuration stays" 5
grep -q "reload refused.*portcullis.conf:1: " "$PC_LOG" ||
    t_fail "the refused reload does not say file:line"
"$T_PY" "$TI/chat.py" --port "$c2s" --domain legacy.test \
    --cafile "$T/ca/ca.pem" --count 3 --pings 1 >"$T/after-bad.json" ||
    t_fail "no service after a refused reload"

cp "$T/good.conf" "$T/portcullis.conf"
printf 'log-level = "debug";\n' >>"$T/portcullis.conf"
kill -HUP "$PC_PID"
wait_log "$PC_LOG" "configuration 2 in force" 5
"$T_PY" "$TI/chat.py" --port "$c2s" --domain legacy.test \
    --cafile "$T/ca/ca.pem" --count 3 --pings 1 >"$T/after-good.json" ||
    t_fail "no service after a reload"
kill -0 "$live" 2>/dev/null || t_fail "the live session died on reload"
t_log "reloads: a bad file refused with file:line, a good one in force," \
    "the live session untouched"

touch "$T/live.stop"
sleep 0.3
start=$(date +%s)
kill -TERM "$PC_PID"
rc=0
wait "$live" || rc=$?
cat "$T/live.log" >&2
[ $rc -eq 0 ] || t_fail "the live client did not get a clean shutdown"
i=0
while kill -0 "$PC_PID" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
	[ $i -lt 100 ] || t_fail "portcullis still runs 10 s after SIGTERM"
done
wait "$PC_PID" 2>/dev/null || true
t_log "stopped $(($(date +%s) - start)) s after SIGTERM"
grep -q "stopped" "$PC_LOG" || t_fail "no 'stopped' in the log"
# The backend's side of the live session ended with </stream:stream>.
last=$(ls -t "$T"/backend.*.up | tail -n +1 | while read -r f; do
	grep -l "live" "$f" || true; done | head -1)
[ -n "$last" ] || t_fail "no backend record of the live session"
tail -c 40 "$last" | grep -q '</stream:stream>$' ||
    t_fail "the backend stream did not end with </stream:stream>"
