#!/bin/sh
# 33-s2s-refusals: what portcullis does when a remote server cannot be
# trusted, has no TLS, or sits behind an attacker, with a legacy prosody
# (TLS off) behind portcullis.
#  - untrusted.test presents a certificate from a CA portcullis does not
#    trust: refused (the message bounces), then, once a reload allows
#    dialback for that domain, accepted as encrypted but dialback-only;
#  - plain.test has no TLS at all: refused, nothing sent in plaintext
#    past <starttls/>;
#  - stripped.test sits behind an on-path attacker that removes
#    <starttls/> from its features: portcullis asks anyway and gets TLS
#    end to end (starttls.absent is logged, the message arrives);
#  - refused.test is an attacker that also answers <starttls/> with
#    <failure/>: refused, and not one byte of dialback or of the message
#    leaves in plaintext (STANDARDS.md STARTTLS-14, SEC-2).
# Each of these is also checked as its JSON record in the events file.
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
t_setup s2s-refusals
need_root
t_need_portcullis

# The extra hosts are created with the world, so their addresses are
# known here: evil, plain, mitm, fake, remote2 are hosts 4 to 8.
fed_extra_dns() {
	for z in untrusted plain stripped refused; do
		dns_zone "$z.test"
	done
	dns_host untrusted.test xmpp "$(ns_addr evil)"
	dns_host plain.test xmpp "$(ns_addr plain)"
	dns_host stripped.test xmpp "$(ns_addr mitm)"
	dns_host refused.test xmpp "$(ns_addr fake)"
	for z in untrusted plain stripped refused; do
		dns_rr "$z.test" "_xmpp-server._tcp IN SRV 0 5 5269 xmpp"
	done
}
fed_world evil plain mitm fake remote2
make_ca "$T/otherca"
EKU=both make_cert "$T/otherca" untrusted untrusted.test
EKU=both make_cert "$T/ca" stripped stripped.test

REMOTE_SECURE_AUTH=false remote_prosody evil "$T/evil" untrusted.test \
    "$T/otherca/untrusted" "$T/ca/ca.pem"
legacy_prosody plain "$T/plain" plain.test 5222 5269
remote_prosody remote2 "$T/remote2" stripped.test "$T/ca/stripped" \
    "$T/ca/ca.pem"
ns_spawn mitm "$T" mitm "$T_PY" "$TI/mitm.py" strip 0.0.0.0 5269 \
    "$(ns_addr remote2)" 5269 "$T/mitm-strip.bytes"
ns_with mitm wait_port 5269 10 "$T_PID"
ns_spawn fake "$T" fake "$T_PY" "$TI/mitm.py" fail 0.0.0.0 5269 - 0 \
    "$T/mitm-fail.bytes"
ns_with fake wait_port 5269 10 "$T_PID"

legacy_prosody legacy "$T/backend" legacy.test 5322 15369
ev="$T/events.jsonl"
fed_gateway 15369 "log = { events = \"$ev\"; };"
"$PORTCULLIS" -E >"$T/catalogue.jsonl" || t_fail "portcullis -E failed"

# send NAME TO... : alice (legacy.test) writes to each TO; each bob that
# can be reached logs in first.  Output: one line per TO, "delivered" or
# the bounce's error condition.
send() {
	_sn=$1
	shift
	ns_exec legacy "$T_PY" - "$TI" "$T" "$(ns_addr evil)" \
	    "$(ns_addr remote2)" "$_sn" "$@" <<'PY'
import re, sys, time
sys.path.insert(0, sys.argv[1])
from xmpp import Raw, secure
T, evil, remote2, tag, tos = sys.argv[2], sys.argv[3], sys.argv[4], \
    sys.argv[5], sys.argv[6:]
bobs = {}
for to in tos:
    host = {"untrusted.test": (evil, T + "/otherca/ca.pem"),
            "stripped.test": (remote2, T + "/ca/ca.pem")}.get(to)
    if host is None:
        continue
    b = secure(5222, host[1], to, host=host[0])
    b.login(to, "bob", "secret-bob", "b")
    bobs[to] = b
alice = Raw("127.0.0.1", 5322, timeout=40)
alice.login("legacy.test", "alice", "secret-alice", tag)
for to in tos:
    alice.send("<message to='bob@%s/b' id='%s-%s'><body>%s to %s</body>"
               "</message>" % (to, tag, to, tag, to))
result = {to: None for to in tos}
deadline = time.monotonic() + 35
while None in result.values() and time.monotonic() < deadline:
    for to, b in bobs.items():
        if result[to] is None and ("%s to %s" % (tag, to)).encode() in \
                b.received:
            result[to] = "delivered"
    try:
        alice.sock.settimeout(0.5)
        d = alice.sock.recv(65536)
        alice.received += d
    except OSError:
        pass
    text = alice.received.decode(errors="replace")
    # Attribute order is the server's business: look at each bounce.
    for m in re.finditer(r"<message\b([^>]*)>(.*?)</message>", text, re.S):
        attrs, inner = m.group(1), m.group(2)
        if not re.search(r"type=['\"]error['\"]", attrs):
            continue
        for to in tos:
            if result[to] is None and re.search(
                    r"id=['\"]%s-%s['\"]" % (tag, re.escape(to)), attrs):
                c = re.search(r"<error[^>]*>\s*<([a-z-]+)", inner)
                result[to] = c.group(1) if c else "error"
    for b in bobs.values():
        try:
            b.sock.settimeout(0.1)
            b.received += b.sock.recv(65536)
        except OSError:
            pass
for to in tos:
    print("%s %s" % (to, result[to] or "nothing"))
PY
}

send one untrusted.test plain.test stripped.test refused.test \
    >"$T/one.out"
cat "$T/one.out" >&2
grep -q "^stripped.test delivered$" "$T/one.out" ||
    t_fail "stripped.test: not delivered through the attacker"
for d in untrusted plain refused; do
	grep -q "^$d.test remote-server" "$T/one.out" ||
	    t_fail "$d.test: no bounce"
done
pc_log_has s2s.unauthenticated 'domain=untrusted.test' ||
    t_fail "untrusted.test was not refused as unauthenticated"
pc_log_has starttls.absent 'domain=stripped.test' ||
    t_fail "the stripped STARTTLS offer was not noticed"
pc_log_has starttls.absent 'domain=plain.test' ||
    t_fail "plain.test offering no STARTTLS was not noticed"
pc_log_has s2s.unreachable 'domain=plain.test' ||
    t_fail "plain.test was not given up"
pc_log_has starttls.failure_received 'domain=refused.test' ||
    t_fail "the attacker's <failure/> was not noticed"
pc_log_has tls.established 'direction=out .*to=stripped.test .*verify=pkix' ||
    t_fail "no verified TLS to stripped.test"
# Before TLS, only a header and <starttls/> ever left: no dialback key,
# no stanza, nothing after the attacker's <failure/>.
f=$T/mitm-fail.bytes
if grep -q -e '<db:' -e '<message' -e 'jabber:server:dialback.*>[^<]' "$f"
then
	t_fail "plaintext reached the attacker: $(cat "$f")"
fi
tail -c 60 "$f" | grep -q "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\$" ||
    t_fail "the attacker saw more than <starttls/>: $(tail -c 200 "$f")"
t_log "refused: untrusted.test, plain.test, refused.test;" \
    "stripped.test: STARTTLS asked anyway, TLS end to end"

# The same as JSON records, checked against the catalogue.
"$T_PY" - "$TI" "$ev" "$T/catalogue.jsonl" "$(ns_addr mitm)" \
    "$(ns_addr fake)" "$(ns_addr plain)" "$(ns_addr evil)" \
    "$FED_LEGACY4" <<'PY' ||
import sys
sys.path.insert(0, sys.argv[1])
from evjson import Events
ev = Events(sys.argv[2], sys.argv[3])
mitm, fake, plain, evil, legacy = sys.argv[4:9]
r = ev.one("starttls.absent", domain="stripped.test")
assert r["action"] == "starttls-sent" and r["peer"] == mitm + ":5269", r
assert r["level"] == "error" and r["role"] == "s2s-out", r
r = ev.one("starttls.absent", domain="plain.test")
assert r["peer"] == plain + ":5269", r
r = ev.one("starttls.failure_received", domain="refused.test")
assert r["action"] == "refused" and r["peer"] == fake + ":5269", r
r = ev.one("s2s.attempt_failed", domain="refused.test")
assert r["error"] == "STARTTLS refused", r
assert r["target"] == "xmpp.refused.test(%s):5269" % fake, r
r = ev.one("s2s.unreachable", domain="refused.test")
assert r["from"] == "legacy.test" and r["attempts"] == 1, r
assert "STARTTLS refused" in r["error"], r
ev.one("s2s.unreachable", domain="plain.test")
r = ev.one("s2s.unauthenticated", domain="untrusted.test")
assert r["action"] == "refused" and r["rule"] == "s2s-out", r
assert r["reason"] and r["line"] == 0, r
ev.one("s2s.unreachable", domain="untrusted.test")
for d in ("untrusted.test", "plain.test", "stripped.test", "refused.test"):
    r = ev.one("s2s.resolved", domain=d)
    assert r["srv"] is True and r["dnssec"] == "secure", r
    assert r["targets"] == 1 and "error" not in r, r
# The backend dialled the remote itself; iptables brought it to us.
for a in (mitm, fake, plain, evil):
    r = ev.one("s2s.redirected", original_dst=a + ":5269")
    assert r["peer"].startswith(legacy + ":"), r
r = ev.one("tls.established", to="stripped.test", direction="out")
assert r["verify"] == "pkix" and r["mode"] == "starttls", r
print("33: refusals recorded as JSON")
PY
    t_fail "the events file lacks a record (see above)"

# Allow dialback for untrusted.test (both directions) and reload.
cat >>"$T/portcullis.conf" <<'CONF'
rules = ( { match = "untrusted.test"; direction = [ "s2s-in", "s2s-out" ];
            authentication = [ "pkix", "dialback" ]; } );
CONF
kill -HUP "$PC_PID"
wait_log "$PC_LOG" "configuration 2 in force" 5
send two untrusted.test >"$T/two.out"
cat "$T/two.out" >&2
grep -q "^untrusted.test delivered$" "$T/two.out" ||
    t_fail "untrusted.test: not delivered with dialback allowed"
pc_log_has tls.established 'direction=out .*to=untrusted.test .*state=encrypted verify=none auth=dialback' ||
    t_fail "the stream to untrusted.test is not marked dialback-only"
t_log "untrusted.test with dialback allowed: encrypted, dialback-only," \
    "delivered"
