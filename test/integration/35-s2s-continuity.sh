#!/bin/sh
# 35-s2s-continuity: what the peer history tells about a remote server
# from one contact to the next, as JSON records (STANDARDS.md OBS-3),
# with a legacy prosody (TLS off) behind portcullis.
#  - remote.test renews its certificate with a new key: exactly one
#    cert.changed, with both fingerprints, issuers and validity periods,
#    and no other on the two contacts after it;
#  - a rule then keeps our side to TLS 1.2 for it: tls.version_lowered;
#  - with key-change = "require-dane" and no DANE, another new key is
#    refused outbound (cert.changed action=refused, the message bounces),
#    still refused on a second try (the history kept the old key), and
#    refused inbound when the remote dials us (the stream waits for the
#    history, then gets <policy-violation/>);
#  - strip.test is first reached through an honest path, then through
#    one that removes <starttls/>: starttls.stripping_suspected names
#    when STARTTLS was last offered;
#  - a history file that cannot be parsed: peer.history_error, and the
#    stream goes on.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=netns.sh
. "$TI/netns.sh"
# shellcheck source-path=SCRIPTDIR source=dns.sh
. "$TI/dns.sh"
# shellcheck source-path=SCRIPTDIR source=s2s.sh
. "$TI/s2s.sh"
# shellcheck source-path=SCRIPTDIR source=fed.sh
. "$TI/fed.sh"
t_setup s2s-continuity
need_root
t_need_portcullis

# Hosts 4 and 5: mitm, remote2.
fed_extra_dns() {
	dns_zone strip.test
	dns_host strip.test xmpp "$(ns_addr mitm)"
	dns_rr strip.test "_xmpp-server._tcp IN SRV 0 5 5269 xmpp"
}
fed_world mitm remote2
EKU=both make_cert "$T/ca" strip strip.test
EKU=both DAYS=90 make_cert "$T/ca" renewed remote.test
EKU=both DAYS=60 make_cert "$T/ca" third remote.test
remote_prosody remote2 "$T/remote2" strip.test "$T/ca/strip" "$T/ca/ca.pem"
ns_spawn mitm "$T" mitm "$T_PY" "$TI/mitm.py" pass 0.0.0.0 5269 \
    "$(ns_addr remote2)" 5269 "$T/mitm-pass.bytes"
MITM_PID=$T_PID
ns_with mitm wait_port 5269 10 "$MITM_PID"

legacy_prosody legacy "$T/backend" legacy.test 5322 15369
ev="$T/events.jsonl"
: >"$T/rules.conf"
fed_gateway 15369 "log = { events = \"$ev\"; };
@include \"rules.conf\""
"$PORTCULLIS" -E >"$T/catalogue.jsonl" || t_fail "portcullis -E failed"
conf=1

# check PYTHON: run the checks in PYTHON against the events file.
check() {
	"$T_PY" - "$TI" "$ev" "$T/catalogue.jsonl" "$T" <<EOF
import sys
sys.path.insert(0, sys.argv[1])
from evjson import Events
ev, T = Events(sys.argv[2], sys.argv[3]), sys.argv[4]
$1
EOF
}

# send NAME WANT DOMAIN[=HOST:CAFILE]...: fedsend, and each domain's fate
# must be WANT (delivered, or the start of a bounce's condition).
send() {
	_n=$1
	_w=$2
	shift 2
	ns_exec legacy "$T_PY" "$TI/fedsend.py" "$_n" --timeout 25 "$@" \
	    >"$T/$_n.out"
	for _d in "$@"; do
		_d=${_d%%=*}
		grep -q "^$_d $_w" "$T/$_n.out" ||
		    t_fail "$_n: $_d not $_w: $(cat "$T/$_n.out")"
	done
}

# restart_remote DIR CERT: remote.test again, from DIR, with CERT; every
# s2s stream to and from it ends, so the next message is a new contact.
restart_remote() {
	t_stop "$FED_REMOTE_PID"
	remote_prosody remote "$1" remote.test "$2" "$T/ca/ca.pem"
	FED_REMOTE_PID=$T_PID
}

# reload RULES: the rules list in force after a SIGHUP.
reload() {
	printf '%s\n' "$1" >"$T/rules.conf"
	conf=$((conf + 1))
	kill -HUP "$PC_PID"
	wait_log "$PC_LOG" "configuration $conf in force" 5
}

bob="remote.test=$(ns_addr remote):$T/ca/ca.pem"
send first delivered "$bob" "strip.test=$(ns_addr remote2):$T/ca/ca.pem"
check '
r = ev.one("tls.established", to="remote.test", direction="out")
assert r["verify"] == "pkix" and r["version"] == "TLS1.3", r
open(T + "/spki-a", "w").write(r["peer_spki"])
ev.one("tls.established", to="strip.test", direction="out")
ev.none("cert.changed")
' || t_fail "the first contacts are not as expected"
t_log "first contact with remote.test and strip.test (honest path)"

# The renewed certificate: a new key, a later end.
restart_remote "$T/remote-b" "$T/ca/renewed"
send renewed delivered "$bob"
check '
import time
a = open(T + "/spki-a").read()
r = ev.one("cert.changed", domain="remote.test")
assert r["old_spki"] == a and r["new_spki"] != a, r
assert r["action"] == "allowed" and r["tlsa"] == "none", r
assert r["old_issuer"] == r["new_issuer"] == \
    "CN=portcullis test CA,O=portcullis tests", r
assert r["new_not_after"] > r["old_not_after"], r
for k in ("old_not_before", "new_not_before"):
    assert r[k].endswith("Z") and r[k][:2] == "20", r
open(T + "/spki-b", "w").write(r["new_spki"])
' || t_fail "no cert.changed for the renewed certificate"
# Two more contacts with the renewed key.
for n in 2 3; do
	restart_remote "$T/remote-b$n" "$T/ca/renewed"
	send "again$n" delivered "$bob"
done
check '
b = open(T + "/spki-b").read()
n = len([r for r in ev.all("tls.established", to="remote.test")
         if r["peer_spki"] == b])
assert n >= 3, "%d contacts with the renewed key" % n
assert ev.count("cert.changed", domain="remote.test") == 1, \
    ev.all("cert.changed")
ev.none("tls.version_lowered")
' || t_fail "the renewal was not reported exactly once"
t_log "renewed certificate: one cert.changed over three contacts"

# Our side keeps to TLS 1.2 for remote.test: lower than last time.
reload '
rules = ( { match = "remote.test"; direction = "s2s-out";
            max-version = "1.2"; } );'
restart_remote "$T/remote-b4" "$T/ca/renewed"
send lowered delivered "$bob"
check '
r = ev.one("tls.version_lowered", domain="remote.test")
assert r["version"] == "TLS1.2" and r["level"] == "warning", r
assert r["role"] == "s2s-out", r
ev.one("tls.established", to="remote.test", version="TLS1.2")
assert ev.count("cert.changed") == 1
' || t_fail "no tls.version_lowered"
t_log "TLS 1.2 after 1.3: tls.version_lowered"

# A new key is refused unless DANE vouches for it (there is no TLSA).
reload '
rules = ( { match = "remote.test"; key-change = "require-dane"; } );'
restart_remote "$T/remote-c" "$T/ca/third"
send refused remote-server "remote.test"
send refused2 remote-server "remote.test"
check '
b = open(T + "/spki-b").read()
refused = ev.all("cert.changed", domain="remote.test", action="refused",
                 role="s2s-out")
assert len(refused) >= 2, refused
for r in refused:
    assert r["old_spki"] == b and r["new_spki"] != b, r
r = ev.one("s2s.attempt_failed", domain="remote.test",
           error=lambda e: "DANE" in e)
assert ev.count("cert.changed", action="allowed") == 1
' || t_fail "the unvouched key was not refused"
grep -q "^spki=sha256/" "$T/state/peers/remote.test" ||
    t_fail "no key in remote.test's history"
t_log "key-change require-dane: a new key without DANE refused, twice;" \
    "the history kept the old one"
# Inbound: bob writes to alice, the remote dials us with the new key.
ns_exec legacy "$T_PY" - "$TI" "$(ns_addr remote)" "$T/ca/ca.pem" <<'PY' ||
import sys, time
sys.path.insert(0, sys.argv[1])
from xmpp import secure
b = secure(5222, sys.argv[3], "remote.test", host=sys.argv[2], timeout=20)
b.login("remote.test", "bob", "secret-bob", "in")
b.send("<message to='alice@legacy.test' id='in1'><body>hi</body></message>")
time.sleep(3)
b.close()
PY
    t_fail "bob could not write to alice"
check '
r = ev.one("cert.changed", domain="remote.test", action="refused",
           role="s2s")
ev.one("stream.error.sent", session=r["session"],
       condition="policy-violation", reason="key-changed")
' || t_fail "the unvouched key was not refused inbound"
t_log "inbound too: the stream waited for the history and was refused"

# strip.test: reached before with STARTTLS, now through a stripper.
t_stop "$MITM_PID"
ns_spawn mitm "$T" mitm2 "$T_PY" "$TI/mitm.py" strip 0.0.0.0 5269 \
    "$(ns_addr remote2)" 5269 "$T/mitm-strip.bytes"
MITM_PID=$T_PID
ns_with mitm wait_port 5269 10 "$MITM_PID"
send stripped delivered "strip.test=$(ns_addr remote2):$T/ca/ca.pem"
check '
r = ev.one("starttls.stripping_suspected", domain="strip.test")
assert r["action"] == "allowed" and r["level"] == "error", r
assert r["last_tls"].startswith("20") and r["last_tls"].endswith("Z"), r
r2 = ev.one("starttls.absent", domain="strip.test")
assert r2["session"] == r["session"], (r, r2)
ev.one("tls.established", to="strip.test", direction="out",
       verify="pkix")
assert ev.count("starttls.stripping_suspected") == 1
' || t_fail "the lost STARTTLS offer was not suspected"
t_log "strip.test: STARTTLS offered before, stripped now: suspected," \
    "asked anyway, delivered over TLS"

# A history file broken behind our back: reported, and the
# stream goes on.
printf 'domain=strip.test\nspki=not-a-key\n' >"$T/state/peers/strip.test"
t_stop "$MITM_PID"
ns_spawn mitm "$T" mitm3 "$T_PY" "$TI/mitm.py" pass 0.0.0.0 5269 \
    "$(ns_addr remote2)" 5269 "$T/mitm-pass2.bytes"
ns_with mitm wait_port 5269 10 "$T_PID"
send broken delivered "strip.test=$(ns_addr remote2):$T/ca/ca.pem"
check '
r = ev.one("peer.history_error", domain="strip.test")
assert "peers/strip.test" in r["error"] and "bad line" in r["error"], r
assert r["level"] == "warning", r
' || t_fail "the broken history file was not reported"
t_log "a broken history file: peer.history_error, delivered all the same"
