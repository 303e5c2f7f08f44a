#!/bin/sh
# 24-events-json: every catalogue event the c2s path can produce, as a
# JSON record in the events file, triggered by a real client: a plaintext
# SASL attempt (plaintext.before_tls), bytes injected after <starttls/>
# (starttls.injection), a TLS 1.2 client signalling a fallback
# (tls.fallback_scsv), an SNI naming another domain (tls.sni_mismatch),
# a comment inside a stanza (xml.restricted), too much before TLS and a
# stanza over the limit (limits.exceeded), and a login whose
# tls.established and session.close records carry the summary.  Every
# record is checked against the catalogue `portcullis -E` prints (known
# event, only listed fields, each of its type); element names and
# namespaces a peer chose come out intact in valid JSON; no password or
# SASL payload appears in the events file or on stderr.  Then log
# rotation: SIGHUP reopens a renamed file, and a file that cannot be
# written is reported once while the daemon carries on.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
t_setup events-json
t_need_portcullis
command -v openssl >/dev/null 2>&1 || t_skip "no openssl"

ev="$T/events.jsonl"
rig_c2s legacy.test "log = { events = \"$ev\"; };
limits = { stanza-bytes = 16384; };"
c2s=$C2S
"$PORTCULLIS" -E >"$T/catalogue.jsonl" || t_fail "portcullis -E failed"

"$T_PY" - "$TI" "$c2s" "$T/ca/ca.pem" <<'PY' || t_fail "a trigger misbehaved"
import socket, ssl, sys
sys.path.insert(0, sys.argv[1])
from xmpp import Raw, secure, STREAM_ERROR as ERR
port, ca = int(sys.argv[2]), sys.argv[3]

# plaintext.before_tls, with a credential that must never be logged and
# an element name and namespace chosen to test the escaping.
c = Raw("127.0.0.1", port)
c.send(c.header("legacy.test"))
c.expect(rb"</stream:features>")
c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
       "AGFsaWNlAHNlY3JldC1hbGljZQ==</auth>")
c.expect(ERR % b"not-authorized")
c.read_until_closed(5)
c = Raw("127.0.0.1", port)
c.send(c.header("legacy.test"))
c.expect(rb"</stream:features>")
c.send("<\u00e9l\u00e9ment xmlns='urn:odd\"quote\\back\u65e5'/>".encode())
c.expect(ERR % b"not-authorized")
c.read_until_closed(5)

# starttls.injection: a message right behind <starttls/>.
c = Raw("127.0.0.1", port)
c.send(c.header("legacy.test"))
c.expect(rb"</stream:features>")
c.send(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
       b"<message to='bob@legacy.test'><body>INJECTED</body></message>")
c.expect(rb"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
c.starttls(ca, "legacy.test")
c.close()

# tls.sni_mismatch: SNI names a domain this gateway does not serve.
c = Raw("127.0.0.1", port)
c.send(c.header("legacy.test"))
c.expect(rb"</stream:features>")
c.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
c.expect(rb"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
c.sock = ctx.wrap_socket(c.sock, server_hostname="other.example")
c.close()

# limits.exceeded before TLS.
c = Raw("127.0.0.1", port)
c.send(c.header("legacy.test"))
c.expect(rb"</stream:features>")
try:
    c.send(b" " * 8192)
except OSError:
    pass
c.expect(ERR % b"policy-violation")
c.read_until_closed(5)

# A login announcing its JID, then xml.restricted, then a stanza over
# the limit (limits.exceeded inside TLS).
c = secure(port, ca, "legacy.test")
c.send(c.header("legacy.test", extra=" from='alice@legacy.test'"))
c.expect(rb"</stream:features>")
c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
       "AGFsaWNlAHNlY3JldC1hbGljZQ==</auth>")
c.expect(rb"<success")
c.send(c.header("legacy.test"))
c.expect(rb"</stream:features>")
c.send("<message to='bob@legacy.test'><!-- hi --><body>x</body></message>")
c.expect(ERR % b"restricted-xml")
c.read_until_closed(5)
c = secure(port, ca, "legacy.test")
c.login("legacy.test", "alice", "secret-alice", "big")
c.send("<message to='bob@legacy.test'><body>" + "A" * 20000 +
       "</body></message>")
c.expect(ERR % b"policy-violation")
c.read_until_closed(5)
print("20: every trigger answered as expected")
PY

# tls.fallback_scsv: a TLS 1.2 client saying it fell back from better.
if timeout 20 openssl s_client -connect "127.0.0.1:$c2s" -starttls xmpp \
    -xmpphost legacy.test -servername legacy.test -tls1_2 -fallback_scsv \
    </dev/null >"$T/fallback.out" 2>&1; then
	t_fail "a TLS 1.2 fallback handshake succeeded"
fi
grep -q "inappropriate fallback\|inappropriate_fallback" "$T/fallback.out" ||
    t_fail "no inappropriate_fallback alert: $(tail -3 "$T/fallback.out")"

# Every record: valid JSON, catalogued, typed; then the expected ones.
"$T_PY" - "$ev" "$T/catalogue.jsonl" <<'PY' || t_fail "events file check failed"
import json, sys, time
path, catpath = sys.argv[1], sys.argv[2]
cat = {}
for line in open(catpath):
    e = json.loads(line)
    cat[e["event"]] = e

def records():
    out = []
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        assert line.endswith("\n"), "line %d: no newline" % n
        out.append(json.loads(line))
    return out

want = ["plaintext.before_tls", "starttls.injection", "tls.sni_mismatch",
        "limits.exceeded", "xml.restricted", "tls.fallback_scsv",
        "tls.established", "session.close"]
deadline = time.time() + 5
while True:
    recs = records()
    names = {r["event"] for r in recs}
    if all(w in names for w in want) or time.time() > deadline:
        break
    time.sleep(0.1)
missing = [w for w in want if w not in names]
assert not missing, "no JSON record for %s" % missing
pytype = {"string": str, "number": int, "boolean": bool}
for r in recs:
    ev = r["event"]
    assert ev in cat, "event %s is not in the catalogue" % ev
    for k in ("ts", "level", "session", "role"):
        assert isinstance(r[k], str), "%s: %s" % (ev, k)
    assert r["level"] == cat[ev]["level"] or ev == "socket.error", r
    assert len(r["session"]) == 16, r
    int(r["session"], 16)
    for k, v in r.items():
        if k in ("ts", "level", "session", "role", "event"):
            continue
        assert k in cat[ev]["fields"], "%s: field %s not catalogued" % (ev, k)
        t = pytype[cat[ev]["fields"][k]]
        assert type(v) is t, "%s: %s=%r is not a %s" % (ev, k, v, t.__name__)

def one(ev, **match):
    for r in recs:
        if r["event"] == ev and all(r.get(k) == v for k, v in match.items()):
            return r
    sys.exit("no %s record with %s" % (ev, match))

one("plaintext.before_tls", element="auth",
    ns="urn:ietf:params:xml:ns:xmpp-sasl")
# The peer's odd names, intact after escaping.
one("plaintext.before_tls", element="\u00e9l\u00e9ment",
    ns="urn:odd\"quote\\back\u65e5")
r = one("starttls.injection")
assert r["discarded"] > 0, r
one("tls.sni_mismatch", sni="other.example", domain="legacy.test")
one("limits.exceeded", limit="pre-tls-bytes", max=4096)
one("limits.exceeded", limit="stanza-bytes", source="peer")
one("xml.restricted", source="peer", error="restricted-xml")
one("tls.fallback_scsv", sni="legacy.test")
r = one("tls.established", mode="starttls", version="TLS1.3")
for k in ("cipher", "group", "peer", "sni", "state"):
    assert r.get(k), (k, r)
assert r["fs"] is True and r["resumed"] is False and r["verify"] == "none"
assert r["state"] == "encrypted" and r["direction"] == "in", r
# The login that announced its JID: closed by restricted XML.
r = one("session.close", reason="restricted-xml")
assert r["from"] == "alice@legacy.test" and r["to"] == "legacy.test", r
assert r["auth"] == "PLAIN" and r["auth_result"] == "ok", r
assert r["state"] == "both" and r["version"] == "TLS1.3", r
assert r["bytes_in"] > 0 and r["bytes_out"] > 0, r
assert isinstance(r["duration_ms"], int), r
r = one("session.close", reason="plaintext-before-tls")
assert r["state"] == "none" and r["version"] == "none", r
print("20: %d records, all catalogued and typed" % len(recs))
PY

# Secrets never reach any log.
for f in "$ev" "$PC_LOG"; do
	if grep -q -e 'AGFsaWNl' -e 'secret-alice' "$f"; then
		t_fail "a credential reached $f"
	fi
done
grep -q INJECTED "$ev" && t_fail "injected content reached the events file"

# Rotation: rename, SIGHUP, the next record goes to a new file.
# plaintext: one more plaintext.before_tls.
plaintext() {
	"$T_PY" - "$TI" "$c2s" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from xmpp import Raw
c = Raw("127.0.0.1", int(sys.argv[2]))
c.send(c.header("legacy.test"))
c.expect(rb"</stream:features>")
c.send("<message to='x@legacy.test'/>")
c.read_until_closed(5)
PY
}
mv "$ev" "$ev.1"
kill -HUP "$PC_PID"
wait_log "$PC_LOG" "configuration 2 in force" 5
plaintext
i=0
until grep -q '"event":"plaintext.before_tls"' "$ev" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 50 ] || t_fail "no record in the reopened events file"
	sleep 0.1
done
n=$(grep -c '"event":"plaintext.before_tls"' "$ev.1")
[ "$n" -eq 2 ] || t_fail "the rotated file got $n plaintext records, not 2"
t_log "SIGHUP reopened the events file; the rotated one is left alone"

# A file that cannot be written: reported once, the daemon carries on.
kill -TERM "$PC_PID"
wait "$PC_PID" 2>/dev/null || true
gateway_conf "$T/full.conf" legacy.test "$T/ca" "127.0.0.1:$TPORT" \
    "$c2s" "" 'log = { events = "/dev/full"; };'
start_portcullis "$T/pcfull" "$T/full.conf" "$c2s"
plaintext
plaintext
plaintext
pc_log_has plaintext.before_tls || t_fail "no stderr record with /dev/full"
n=$(grep -c 'events file /dev/full: No space left on device' "$PC_LOG" ||
    true)
[ "$n" -eq 1 ] || t_fail "the broken events file was reported $n times"
"$(dirname "$PORTCULLIS")/portcullis-ctl" -s "$T/full.sock" metrics |
    grep -q 'portcullis_log_errors_total{sink="events"} [1-9]' ||
    t_fail "the events file's write errors are not counted"
kill -0 "$PC_PID" || t_fail "portcullis died on an unwritable events file"
t_log "an unwritable events file: one warning, errors counted, service on"
