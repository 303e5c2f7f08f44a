#!/bin/sh
# demo.sh (make demo): portcullis doing its main job on an embedded
# default.  A real legacy server (jabberd2, TLS off, loopback only),
# portcullis in front of it with certificates from a CA made now, a real
# client (slixmpp) that logs in through portcullis and sends messages,
# the security log lines that produced, and a plaintext client refused.
# Everything started here is stopped and removed at the end.
set -eu
TI=$(cd "$(dirname "$0")/integration" && pwd)
# lib.sh derives its paths from $0; run as if from test/integration/.
# shellcheck source-path=SCRIPTDIR source=integration/lib.sh
. "$TI/lib.sh"
TI=$(cd "$(dirname "$0")/integration" && pwd)
t_setup demo
t_need_portcullis

say() {
	printf '\n== %s\n' "$*"
}

say "Making a test CA and a certificate for legacy.test"
make_ca "$T/ca"
make_cert "$T/ca" legacy.test legacy.test

say "Starting the legacy server: jabberd2, plaintext only, on loopback"
jport=$(free_port)
start_jabberd2 "$T/jabberd2" legacy.test "$jport"

say "Starting portcullis in front of it"
c2s=$(free_port)
direct=$(free_port)
gateway_conf "$T/portcullis.conf" legacy.test "$T/ca" "127.0.0.1:$jport" \
    "$c2s" "$direct"
sed 's/^/    /' "$T/portcullis.conf"
start_portcullis "$T/pc" "$T/portcullis.conf" "$c2s" "$direct"

say "A real client (slixmpp) logs in as alice and bob through portcullis"
"$T_PY" "$TI/chat.py" --port "$c2s" --domain legacy.test \
    --cafile "$T/ca/ca.pem" --count 5 --pings 5 >"$T/chat.json" ||
    t_fail "the chat through portcullis failed: $(cat "$T/chat.json")"
"$T_PY" - "$T/chat.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("    alice sent %d messages to bob; %d arrived intact and in order"
      % (r["sent"], r["received"]))
print("    TLS as the client saw it: %s, %s, certificate verified for %s"
      % (r["tls"]["version"], r["tls"]["cipher"], r["tls"]["verified_for"]))
print("    login %s ms; message round trip through portcullis: median %s ms"
      % (r["login_ms"]["alice"], r["rtt_ms_median"]))
PY

say "A plaintext client tries to log in without TLS"
"$T_PY" - "$TI" "$c2s" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from xmpp import Raw
c = Raw("127.0.0.1", int(sys.argv[2]))
c.send(c.header("legacy.test"))
f = c.expect(rb"<stream:features>.*?</stream:features>").group(0)
print("    portcullis offers: %s" % f.decode())
auth = ("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
        "AGFsaWNlAHNlY3JldC1hbGljZQ==</auth>")
print("    client sends:      %s" % auth)
c.send(auth)
print("    portcullis says:   %s" % c.read_until_closed(5).decode().strip())
PY
# The last record is written as the refused connection closes.
pc_log_has session.close 'reason=plaintext-before-tls' || true

say "The security log (one record per connection milestone)"
grep -E ' (tls\.established|session\.close|plaintext\.before_tls|stream\.error\.sent) ' \
    "$PC_LOG" | grep -v 'version=none bytes_in=0 ' | cut -c 25- |
    sed 's/^/    /'

say "Done; stopping everything"
