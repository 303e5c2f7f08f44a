#!/bin/sh
# 26-syslog: with syslog on, each event reaches the syslog socket as one
# datagram "<PRI>Mmm dd hh:mm:ss portcullis[PID]: {JSON}" with the
# configured facility and the event's severity, and daemon messages as
# text; while the syslog daemon is gone, portcullis says so once, keeps
# serving, and resumes when it is back.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
t_setup syslog
t_need_portcullis

# A syslog daemon: every datagram on its own line of $T/syslog.txt.  The
# first one dozes for a second after binding, as a busy daemon would, so
# the start-up burst overflows the socket's queue (ten datagrams on Linux)
# and has to wait in portcullis's backlog.
cat >"$T/syslogd.py" <<'PY'
import os, socket, sys, time
path, out = sys.argv[1], sys.argv[2]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
if len(sys.argv) > 3:
    time.sleep(float(sys.argv[3]))
with open(out, "ab", buffering=0) as f:
    while True:
        d = s.recv(65536)
        f.write(d.replace(b"\n", b"\\n") + b"\n")
PY
t_spawn "$T" syslogd "$T_PY" "$T/syslogd.py" "$T/syslog.sock" \
    "$T/syslog.txt" 1
i=0
until [ -S "$T/syslog.sock" ]; do
	i=$((i + 1))
	[ $i -lt 50 ] || t_fail "the syslog listener did not start"
	sleep 0.1
done

rig_c2s legacy.test "log = { syslog = true; syslog-facility = \"local3\";
  syslog-socket = \"$T/syslog.sock\"; };"
c2s=$C2S

plaintext() {
	"$T_PY" - "$TI" "$c2s" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from xmpp import Raw
c = Raw("127.0.0.1", int(sys.argv[2]))
c.send(c.header("legacy.test"))
c.expect(rb"</stream:features>")
c.send("<message to='bob@legacy.test'><body>clear</body></message>")
c.read_until_closed(5)
PY
}
plaintext
wait_log "$T/syslog.txt" '"event":"plaintext.before_tls"' 5

"$T_PY" - "$T/syslog.txt" "$PC_PID" <<'PY' || t_fail "syslog records are wrong"
import json, re, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
pid = sys.argv[2]
rx = re.compile(r"^<(\d+)>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d "
                r"portcullis\[(\d+)\]: (.*)$")
events, text = [], []
for l in lines:
    m = rx.match(l)
    assert m, "not a syslog line: %r" % l
    assert m.group(2) == pid, l
    pri, msg = int(m.group(1)), m.group(3)
    assert pri >> 3 == 19, "facility %d, not local3" % (pri >> 3)
    if msg.startswith("{"):
        events.append((pri & 7, json.loads(msg)))
    else:
        text.append(msg)
# The whole start-up burst, in order, though the daemon dozed through it.
assert text[0].startswith("portcullis ") and "starting" in text[0], text
assert any("listening on" in t for t in text), text
assert [t for t in text if "starting" in t or "listening on" in t][-1] \
    .startswith("listening on"), text
sev = {"error": 3, "warning": 4, "info": 6, "debug": 7}
for p, e in events:
    assert p == sev[e["level"]], (p, e)
pt = [e for _, e in events if e["event"] == "plaintext.before_tls"]
assert len(pt) == 1 and pt[0]["element"] == "message", pt
assert any(e["event"] == "session.close" for _, e in events)
print("22: %d events and %d messages in syslog" % (len(events), len(text)))
PY

# The syslog daemon goes away: one warning, service goes on.
kill -TERM "$(cat "$T/syslogd.pid")"
rm -f "$T/syslogd.pid"
sleep 0.3
rm -f "$T/syslog.sock"
plaintext
plaintext
pc_log_has plaintext.before_tls || t_fail "no stderr record"
n=$(grep -c "syslog socket $T/syslog.sock: " "$PC_LOG" || true)
[ "$n" -eq 1 ] || t_fail "the missing syslog was reported $n times"
"$T_PY" "$TI/chat.py" --port "$c2s" --domain legacy.test \
    --cafile "$T/ca/ca.pem" --count 2 --pings 1 >"$T/chat.json" ||
    t_fail "no service while syslog is down"

# Back again: records flow and the recovery is said.
: >"$T/syslog.txt"
t_spawn "$T" syslogd "$T_PY" "$T/syslogd.py" "$T/syslog.sock" \
    "$T/syslog.txt"
i=0
until [ -S "$T/syslog.sock" ]; do
	i=$((i + 1))
	[ $i -lt 50 ] || t_fail "the syslog listener did not restart"
	sleep 0.1
done
plaintext
wait_log "$T/syslog.txt" '"event":"plaintext.before_tls"' 5
grep -q "syslog works again" "$PC_LOG" || t_fail "no recovery message"
t_log "syslog: JSON events and text messages; an outage reported once"
