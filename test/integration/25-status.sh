#!/bin/sh
# 25-status: portcullis-ctl against live sessions of the rig.  Alice is
# logged in over STARTTLS and Bob over direct TLS (ALPN xmpp-client),
# chatting; a third client sits before TLS.  `status` shows one aligned
# row for each with the right TLS, cipher, authentication and state,
# `status json` the same with the summary fields, `show ID` one of them
# in full; `metrics` parses as OpenMetrics and counts what happened.  The
# socket is root-only, an unknown command is an error, -f finds the
# socket from the configuration, and once the clients leave, status says
# so.  The socket goes with the daemon; a second daemon leaves a live one
# alone, and a stale one is replaced.  The table is printed for the
# record.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
t_setup status
t_need_portcullis

rig_c2s legacy.test
c2s=$C2S
direct=$DIRECT
ctl="$(dirname "$PORTCULLIS")/portcullis-ctl"
sock="$T/portcullis.sock"
[ -x "$ctl" ] || t_fail "no $ctl (make builds it)"

# The socket is the daemon's, root-only.
[ "$(stat -c '%a %U' "$sock")" = "600 root" ] ||
    t_fail "control socket is $(stat -c '%a %U' "$sock"), not 600 root"
if command -v setpriv >/dev/null 2>&1; then
	if setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$ctl" -s "$sock" status >"$T/nobody.out" 2>&1; then
		t_fail "an unprivileged user read the status"
	fi
	grep -q "Permission denied" "$T/nobody.out" ||
	    t_fail "nobody: $(cat "$T/nobody.out")"
fi

# Three clients that stay until told to go.
"$T_PY" - "$TI" "$c2s" "$direct" "$T/ca/ca.pem" "$T/live" \
    >"$T/live.log" 2>&1 <<'PY' &
import os, socket, ssl, sys, time
sys.path.insert(0, sys.argv[1])
from xmpp import Raw, secure
port, dport, ca, flag = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], \
    sys.argv[5]
alice = secure(port, ca, "legacy.test", timeout=60)
ajid = alice.login("legacy.test", "alice", "secret-alice", "status")
# Bob: XEP-0368 direct TLS with ALPN.
ctx = ssl.create_default_context(cafile=ca)
ctx.set_alpn_protocols(["xmpp-client"])
bob = Raw("127.0.0.1", dport, timeout=60)
bob.sock = ctx.wrap_socket(bob.sock, server_hostname="legacy.test")
bjid = bob.login("legacy.test", "bob", "secret-bob", "status")
idle = Raw("127.0.0.1", port, timeout=60)
idle.send(idle.header("legacy.test"))
idle.expect(rb"</stream:features>")
alice.send("<message to='%s'><body>hello bob</body></message>" % bjid)
bob.expect(rb"hello bob")
open(flag + ".up", "w").close()
while not os.path.exists(flag + ".stop"):
    time.sleep(0.1)
for c in (alice, bob):
    c.send("</stream:stream>")
    c.read_until_closed(5)
idle.close()
print("live: done")
PY
live=$!
echo "$live" >"$T/live.pid"
i=0
while [ ! -f "$T/live.up" ]; do
	sleep 0.1
	i=$((i + 1))
	kill -0 "$live" 2>/dev/null || t_fail "the clients died: $(cat "$T/live.log")"
	[ $i -lt 150 ] || t_fail "the clients did not log in"
done

"$ctl" -s "$sock" status >"$T/status.txt" || t_fail "status failed"
"$ctl" -s "$sock" status json >"$T/status.json" ||
    t_fail "status json failed"
"$T_PY" - "$T/status.txt" "$T/status.json" <<'PY' || t_fail "status is wrong"
import json, re, sys
lines = open(sys.argv[1]).read().splitlines()
doc = json.load(open(sys.argv[2]))
assert re.match(r"portcullis \S+, up \S+, 2 workers, configuration 1, "
                r"3 connections$", lines[0]), lines[0]
head = lines[1]
cols = ["ID", "ROLE", "PEER", "DOMAIN", "REMOTE", "TLS", "CIPHER", "FS",
        "VERIFY", "AUTH", "STATE", "AGE", "IN", "OUT"]
assert head.split() == cols, head
rows = lines[2:]
assert len(rows) == 3, lines
# Aligned: each left-aligned cell starts under its heading.
starts = [head.index(c) for c in cols]
cells = []
for r in rows:
    assert len(r) == len(head), (r, head)
    for k in range(11):
        assert r[starts[k]] != " " and (starts[k] == 0 or
                                        r[starts[k] - 1] == " "), (k, r)
    cells.append(dict(zip(cols, r.split())))
by_state = {c["STATE"]: c for c in cells}
assert set(by_state) == {"enc+auth", "pre-tls"} or len(by_state) == 2, cells
authed = [c for c in cells if c["STATE"] == "enc+auth"]
assert len(authed) == 2, cells
for c in authed:
    assert c["TLS"] == "1.3" and c["FS"] == "yes", c
    assert c["AUTH"] == "PLAIN" and c["DOMAIN"] == "legacy.test", c
    assert c["REMOTE"] == "-" and c["VERIFY"] == "-", c
    assert re.match(r"^(AES-(128|256)-GCM|CHACHA20-POLY1305)$",
                    c["CIPHER"]), c
    assert c["IN"] != "0" and c["OUT"] != "0", c
pre = by_state["pre-tls"]
assert pre["TLS"] == "-" and pre["CIPHER"] == "-" and pre["AUTH"] == "-"
# The JSON says the same, with the summary's fields.
s = doc["sessions"]
assert doc["workers"] == 2 and doc["workers_answered"] == 2, doc
assert len(s) == 3, s
assert sorted(x["session"] for x in s) == sorted(c["ID"] for c in cells)
alpn = [x for x in s if x.get("alpn") == "xmpp-client"]
assert len(alpn) == 1 and alpn[0]["version"] == "TLS1.3", s
for x in s:
    assert x["role"] == "c2s" and x["direction"] == "in", x
    assert isinstance(x["bytes_in"], int) and isinstance(x["age_ms"], int)
    if x["state"] == "both":
        assert x["auth"] == "PLAIN" and x["auth_result"] == "ok", x
        assert x["fs"] is True and x["verify"] == "none", x
        assert x["phase"] == "relay", x
    else:
        assert x["state"] == "none" and x["phase"] == "pre-tls", x
print("21: status lists the three live sessions")
PY
t_log "status with three live clients:"
sed 's/^/    /' "$T/status.txt" >&2

id=$(awk 'NR > 2 && $11 == "enc+auth" { print $1; exit }' "$T/status.txt")
"$ctl" -s "$sock" show "$id" >"$T/show.txt" || t_fail "show $id failed"
grep -q "^session  *$id\$" "$T/show.txt" || t_fail "show: $(cat "$T/show.txt")"
grep -q "^auth_result  *ok\$" "$T/show.txt" || t_fail "show lacks auth"
grep -q "^group  *" "$T/show.txt" || t_fail "show lacks the group"
rc=0
"$ctl" -s "$sock" show 0123456789abcdef >"$T/nosuch.out" 2>&1 || rc=$?
if [ $rc -ne 1 ] ||
    ! grep -q "error: no session 0123456789abcdef" "$T/nosuch.out"; then
	t_fail "show of a missing id: rc $rc"
fi
rc=0
"$ctl" -s "$sock" frobnicate >"$T/bad.out" 2>&1 || rc=$?
if [ $rc -ne 1 ] ||
    ! grep -q "error: unknown command 'frobnicate'" "$T/bad.out"; then
	t_fail "unknown command: rc $rc $(cat "$T/bad.out")"
fi
# -f: the socket named by the configuration.
"$ctl" -f "$T/portcullis.conf" status | grep -q "3 connections" ||
    t_fail "-f did not find the socket"

"$ctl" -s "$sock" metrics >"$T/metrics.txt" || t_fail "metrics failed"
"$T_PY" - "$T/metrics.txt" <<'PY' || t_fail "metrics are wrong"
import sys
from prometheus_client.openmetrics.parser import \
    text_string_to_metric_families as parse
text = open(sys.argv[1]).read()
fam = {f.name: f for f in parse(text)}
def value(name, **labels):
    for smp in fam[name].samples:
        if all(smp.labels.get(k) == v for k, v in labels.items()) and \
                smp.name.startswith(name):
            return smp.value
    sys.exit("no sample %s %s" % (name, labels))
assert value("portcullis_sessions", role="c2s") == 3
# The rig's port probes are connections too.
assert value("portcullis_connections", role="c2s") >= 3
tls = [s for s in fam["portcullis_tls_handshakes"].samples
       if s.labels["version"] == "TLS1.3"]
assert sum(s.value for s in tls) == 2, tls
assert value("portcullis_auth", method="PLAIN", result="ok") == 2
assert value("portcullis_events", event="tls.established") == 2
assert value("portcullis_events", event="plaintext.before_tls") == 0
assert fam["portcullis_build"].type == "info"
print("21: metrics parse as OpenMetrics and count the sessions")
PY

touch "$T/live.stop"
wait "$live" || t_fail "the clients failed: $(cat "$T/live.log")"
i=0
until "$ctl" -s "$sock" status | grep -q ", 0 connections$"; do
	i=$((i + 1))
	[ $i -lt 50 ] || t_fail "sessions still listed after the clients left"
	sleep 0.1
done
"$ctl" -s "$sock" status json | "$T_PY" -c '
import json, sys
d = json.load(sys.stdin)
assert d["sessions"] == [], d' || t_fail "status json after close"
t_log "after the clients left: no connections listed"

# SIGTERM removes the socket.
kill -TERM "$PC_PID"
wait "$PC_PID" 2>/dev/null || true
[ ! -e "$sock" ] || t_fail "the control socket outlived the daemon"

# A second daemon on the same socket leaves the live one's alone; one
# killed hard leaves a stale socket that the next start replaces.
p1=$(free_port)
p2=$(free_port)
gateway_conf "$T/one.conf" legacy.test "$T/ca" "127.0.0.1:$TPORT" "$p1"
sed 's|127.0.0.1:'"$p1"'";|127.0.0.1:'"$p2"'";|' \
    "$T/one.conf" >"$T/two.conf"
start_portcullis "$T/one" "$T/one.conf" "$p1"
one=$PC_PID
start_portcullis "$T/two" "$T/two.conf" "$p2"
wait_log "$T/two/portcullis.stderr.log" "another portcullis answers there" 5
"$ctl" -s "$T/one.sock" status >/dev/null || t_fail "the first lost its socket"
kill -TERM "$PC_PID"
wait "$PC_PID" 2>/dev/null || true
kill -KILL "$one"
wait "$one" 2>/dev/null || true
[ -S "$T/one.sock" ] || t_fail "no stale socket after SIGKILL"
start_portcullis "$T/three" "$T/one.conf" "$p1"
"$ctl" -s "$T/one.sock" status | grep -q "0 connections" ||
    t_fail "the stale socket was not replaced"
t_log "a live socket is left alone, a stale one replaced"
