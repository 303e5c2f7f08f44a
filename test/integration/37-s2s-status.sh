#!/bin/sh
# 37-s2s-status: portcullis-ctl against live s2s sessions of the
# federation rig (prosody, TLS off, behind portcullis; remote.test a
# well-run prosody).  After a chat both ways the s2s streams stay open:
# `status` lists the one out to remote.test and the one in from it with
# their role, our domain, the remote domain, TLS 1.3, PKIX verification
# and enc+auth; `status json` says the same with the summary fields,
# `show` one in full with the remote's certificate, and each listed
# session is the one whose tls.established record the events file has.
# Once the remote stops, the table empties and each stream's
# session.close record carries its summary, bytes and reason.  The table
# is printed for the record.
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
t_setup s2s-status
need_root
t_need_portcullis

fed_world
legacy_prosody legacy "$T/backend" legacy.test 5322 15369
ev="$T/events.jsonl"
fed_gateway 15369 "log = { events = \"$ev\"; };"
"$PORTCULLIS" -E >"$T/catalogue.jsonl" || t_fail "portcullis -E failed"
ctl="$(dirname "$PORTCULLIS")/portcullis-ctl"
sock="$T/pc/control.sock"

fed_chat fed || t_fail "chat.py failed: $(cat "$T/fed.json")"
[ "$(json_get "$T/fed.json" received)" = 10 ] ||
    t_fail "not every message crossed: $(cat "$T/fed.json")"

"$ctl" -s "$sock" status >"$T/status.txt" || t_fail "status failed"
"$ctl" -s "$sock" status json >"$T/status.json" ||
    t_fail "status json failed"
t_log "status with the s2s streams of a finished chat:"
sed 's/^/    /' "$T/status.txt" >&2
"$T_PY" - "$TI" "$T/status.txt" "$T/status.json" "$ev" \
    "$T/catalogue.jsonl" "$FED_REMOTE4" "$FED_REMOTE6" <<'PY' ||
import json, re, sys
sys.path.insert(0, sys.argv[1])
from evjson import Events
lines = open(sys.argv[2]).read().splitlines()
doc = json.load(open(sys.argv[3]))
ev = Events(sys.argv[4], sys.argv[5])
remote = (sys.argv[6], "[%s]" % sys.argv[7])
m = re.match(r"portcullis \S+, up \S+, 2 workers, configuration 1, "
             r"(\d+) connections?$", lines[0])
assert m, lines[0]
cols = ["ID", "ROLE", "PEER", "DOMAIN", "REMOTE", "TLS", "CIPHER", "FS",
        "VERIFY", "AUTH", "STATE", "AGE", "IN", "OUT"]
head = lines[1]
assert head.split() == cols, head
rows = [dict(zip(cols, r.split())) for r in lines[2:]]
assert len(rows) == int(m.group(1)) >= 2, lines
for r, line in zip(rows, lines[2:]):
    assert len(line) == len(head), (line, head)
out = [r for r in rows if r["ROLE"] == "s2s-out"]
inb = [r for r in rows if r["ROLE"] == "s2s-in"]
assert out and inb, rows
for r in out + inb:
    assert r["DOMAIN"] == "legacy.test" and r["REMOTE"] == "remote.test", r
    assert r["TLS"] == "1.3" and r["FS"] == "yes", r
    assert r["VERIFY"] == "pkix" and r["STATE"] == "enc+auth", r
    assert r["PEER"].rsplit(":", 1)[0] in remote, r
    assert r["IN"] != "0" and r["OUT"] != "0", r
for r in out:
    assert r["PEER"].endswith(":5269"), r
# The JSON: the same sessions, with the summary's fields.
s = {x["session"]: x for x in doc["sessions"]}
assert sorted(s) == sorted(r["ID"] for r in rows), (s.keys(), rows)
for r in out:
    x = s[r["ID"]]
    assert x["role"] == "s2s-out" and x["direction"] == "out", x
    assert x["to"] == "remote.test" and x["from"] == "legacy.test", x
    assert x["remote"] == "remote.test" and x["sni"] == "remote.test", x
    assert x["state"] == "both" and x["phase"] == "relay", x
    assert x["peer_san"] == "dns:remote.test", x
for r in inb:
    x = s[r["ID"]]
    assert x["role"] == "s2s" and x["direction"] == "in", x
    assert x["from"] == "remote.test" and x["to"] == "legacy.test", x
    assert x["remote"] == "remote.test" and x["verify"] == "pkix", x
    assert x["alpn"] in ("xmpp-server", "none"), x
# Each row is a session the events file saw come up, with that key.
for r in rows:
    x = s[r["ID"]]
    e = ev.one("tls.established", session=r["ID"])
    assert e["peer"] == x["peer"] and e["version"] == x["version"], (e, x)
    if r["ROLE"] == "s2s-out":
        assert e["peer_spki"] == x["peer_spki"], (e, x)
    else:
        ev.one("s2s.peer", session=r["ID"], peer_spki=x["peer_spki"])
    ev.none("session.close", session=r["ID"])
print("37: %d live s2s sessions, table and JSON agree with the events"
      % len(rows))
PY
    t_fail "status does not show the live s2s sessions as they are"

id=$(awk 'NR > 2 && $2 == "s2s-out" { print $1; exit }' "$T/status.txt")
"$ctl" -s "$sock" show "$id" >"$T/show.txt" || t_fail "show $id failed"
for k in "role  *s2s-out" "remote  *remote.test" "verify  *pkix" \
    "peer_issuer  *CN=portcullis test CA" "peer_spki  *[0-9a-f]\{64\}"; do
	grep -q "^$k" "$T/show.txt" || t_fail "show $id lacks $k"
done
"$ctl" -s "$sock" metrics >"$T/metrics.txt" || t_fail "metrics failed"
for d in in out; do
	grep -q "^portcullis_sessions{role=\"s2s\",direction=\"$d\"} [1-9]" \
	    "$T/metrics.txt" || t_fail "no live s2s session $d counted"
done

# The remote goes away: the streams end, each with its summary.
t_stop "$FED_REMOTE_PID"
i=0
until "$ctl" -s "$sock" status | grep -q ", 0 connections$"; do
	i=$((i + 1))
	[ $i -lt 100 ] || t_fail "s2s sessions still listed after the remote left"
	sleep 0.1
done
"$T_PY" - "$TI" "$ev" "$T/catalogue.jsonl" "$T/status.json" <<'PY' ||
import json, sys
sys.path.insert(0, sys.argv[1])
from evjson import Events
ev = Events(sys.argv[2], sys.argv[3])
for x in json.load(open(sys.argv[4]))["sessions"]:
    r = ev.one("session.close", session=x["session"])
    assert r["direction"] == x["direction"] and r["verify"] == "pkix", r
    assert r["state"] == "both" and r["version"] == "TLS1.3", r
    assert r["bytes_in"] >= x["bytes_in"] > 0, (r, x)
    assert r["duration_ms"] >= x["age_ms"], (r, x)
    assert r["reason"], r
print("37: every listed session closed with its summary")
PY
    t_fail "the closed sessions' records are not as expected"
t_log "the remote left: no connections listed, every close recorded"
