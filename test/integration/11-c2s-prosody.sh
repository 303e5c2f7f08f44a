#!/bin/sh
# 11-c2s-prosody: the same chat through portcullis in front of a real
# prosody with TLS switched off (SASL SCRAM/PLAIN on its plaintext leg),
# with STARTTLS; prosody's features arrive minus what cannot cross the
# gateway, and its stream id reaches the client untouched.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
t_setup c2s-prosody
t_need_portcullis

make_ca "$T/ca"
make_cert "$T/ca" prosody.test prosody.test
pport=$(free_port)
start_prosody_backend "$T/prosody" prosody.test "$pport"
tport=$(free_port)
t_spawn "$T" tap "$T_PY" "$TI/tap.py" "$tport" "$pport" "$T/backend"
wait_port "$tport" 10 "$T_PID"
c2s=$(free_port)
gateway_conf "$T/portcullis.conf" prosody.test "$T/ca" "127.0.0.1:$tport" \
    "$c2s"
start_portcullis "$T/pc" "$T/portcullis.conf" "$c2s"

rc=0
"$T_PY" "$TI/chat.py" --port "$c2s" --domain prosody.test \
    --cafile "$T/ca/ca.pem" --count 20 --pings 20 --log "$T/chat.log" \
    >"$T/chat.json" || rc=$?
[ $rc -eq 0 ] || t_fail "chat.py exit $rc: $(cat "$T/chat.json")"
t_log "20 messages intact and in order through prosody," \
    "SASL $(json_get "$T/chat.json" sasl), round trip median" \
    "$(json_get "$T/chat.json" rtt_ms_median) ms"

# The stream id the client saw after TLS is the one prosody sent.
"$T_PY" - "$T" <<'PY' || t_fail "stream id or features differ"
import glob, os, re, sys
T = sys.argv[1]
downs = [f for f in glob.glob(T + "/backend.*.down") if os.path.getsize(f)]
ids = set()
for f in downs:
    ids |= set(re.findall(rb"<stream:stream [^>]*id=['\"]([^'\"]+)",
                          open(f, "rb").read()))
log = open(T + "/chat.log", "rb").read()
seen = set(re.findall(rb"RECV: <stream:stream [^>]*id=['\"]([^'\"]+)", log))
# Every id prosody sent reached a client; the others the clients saw are
# portcullis's own, one per connection, from before TLS.
if not ids or not ids <= seen or len(seen - ids) != 2:
    sys.exit("client saw ids %r, prosody sent %r" % (seen, ids))
print("11: %d stream ids passed through untouched" % len(ids))
PY
