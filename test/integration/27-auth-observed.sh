#!/bin/sh
# 27-auth-observed: portcullis notes how clients authenticate without
# keeping a credential.  An old-style XEP-0078 iq:auth login (what
# jabberd14 clients do) shows as iq-auth-plain in status and in
# session.close, counts in the auth metrics, and counts as authenticated:
# with pre-auth = 2 s it is still chatting after 4 s (it never restarts
# its stream, so only the backend's answer says it is in).  A refused
# SASL attempt shows as failed.  Neither password nor SASL payload
# appears anywhere.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
t_setup auth-observed
t_need_portcullis

ev="$T/events.jsonl"
rig_c2s legacy.test "log = { events = \"$ev\"; };
timeouts = { pre-auth = 2; };"
c2s=$C2S
ctl="$(dirname "$PORTCULLIS")/portcullis-ctl"
sock="$T/portcullis.sock"

"$T_PY" - "$TI" "$c2s" "$T/ca/ca.pem" "$T/flag" >"$T/iq.log" 2>&1 <<'PY' &
import os, sys, time
sys.path.insert(0, sys.argv[1])
from xmpp import secure, STREAM_ERROR as ERR
port, ca, flag = int(sys.argv[2]), sys.argv[3], sys.argv[4]
c = secure(port, ca, "legacy.test", timeout=30)
c.send(c.header("legacy.test"))
c.expect(rb"</stream:features>")
c.send("<iq type='set' id='auth1'><query xmlns='jabber:iq:auth'>"
       "<username>alice</username><password>secret-alice</password>"
       "<resource>old</resource></query></iq>")
m = c.expect(rb"<iq[^>]*id=['\"]auth1['\"][^>]*>")
if b"result" not in m.group(0):
    print("iq:auth refused by the backend: %r" % m.group(0))
    open(flag + ".noiqauth", "w").close()
    sys.exit(0)
open(flag + ".up", "w").close()
# Past the pre-auth deadline, still talking to ourselves.
time.sleep(4)
c.send("<message to='alice@legacy.test/old'><body>still here</body>"
       "</message>")
c.expect(rb"still here", 10)
open(flag + ".alive", "w").close()
while not os.path.exists(flag + ".stop"):
    time.sleep(0.1)
c.send("</stream:stream>")
c.read_until_closed(5)
PY
iq=$!
echo "$iq" >"$T/iq.pid"

# A SASL attempt with a wrong password: failed.
"$T_PY" - "$TI" "$c2s" "$T/ca/ca.pem" <<'PY' || t_fail "bad SASL case"
import sys
sys.path.insert(0, sys.argv[1])
from xmpp import secure
c = secure(int(sys.argv[2]), sys.argv[3], "legacy.test")
c.send(c.header("legacy.test"))
c.expect(rb"</stream:features>")
# "\0alice\0wrong-password"
c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
       "AGFsaWNlAHdyb25nLXBhc3N3b3Jk</auth>")
c.expect(rb"<failure")
c.close()
PY

i=0
while [ ! -f "$T/flag.up" ]; do
	[ ! -f "$T/flag.noiqauth" ] ||
	    t_skip "this jabberd2 does not do iq:auth: $(cat "$T/iq.log")"
	i=$((i + 1))
	kill -0 "$iq" 2>/dev/null || [ -f "$T/flag.up" ] ||
	    t_fail "iq:auth client died: $(cat "$T/iq.log")"
	[ $i -lt 100 ] || t_fail "iq:auth client did not log in"
	sleep 0.1
done
"$ctl" -s "$sock" status >"$T/status.txt"
grep -q " iq-auth-plain  enc+auth " "$T/status.txt" ||
    t_fail "status does not show iq:auth: $(cat "$T/status.txt")"
i=0
while [ ! -f "$T/flag.alive" ]; do
	i=$((i + 1))
	kill -0 "$iq" 2>/dev/null ||
	    t_fail "iq:auth session cut: $(cat "$T/iq.log"; tail -3 "$PC_LOG")"
	[ $i -lt 100 ] || t_fail "iq:auth session did not outlive pre-auth"
	sleep 0.1
done
touch "$T/flag.stop"
wait "$iq" || t_fail "iq:auth client: $(cat "$T/iq.log")"
pc_log_has session.close 'auth=iq-auth-plain auth_result=ok' ||
    t_fail "no close record with the iq:auth method"
pc_log_has session.close 'auth=PLAIN auth_result=failed' ||
    t_fail "no close record of the refused SASL attempt"
"$ctl" -s "$sock" metrics >"$T/metrics.txt"
grep -q 'portcullis_auth_total{role="c2s",direction="in",method="iq-auth-plain",result="ok"} 1' \
    "$T/metrics.txt" || t_fail "iq:auth not counted"
grep -q 'method="PLAIN",result="failed"} 1' "$T/metrics.txt" ||
    t_fail "the failed SASL attempt not counted"
for f in "$ev" "$PC_LOG" "$T/status.txt" "$T/metrics.txt"; do
	if grep -q -e 'secret-alice' -e 'wrong-password' -e 'AGFsaWNl' "$f"
	then
		t_fail "a credential reached $f"
	fi
done
t_log "iq:auth seen, counted, and past the pre-auth deadline; SASL" \
    "failure seen; no credential anywhere"
