#!/bin/sh
# 22-c2s-report-mode: per-domain rules and action = "report".
#
# report.test reports: a TLS 1.1 client, an RSA key transport client and
# a CBC client all complete the handshake (the TLS 1.1 one logs in and
# chats), each logged as policy.would_have_rejected with the rule, its
# line and the reason; a modern client is not reported.  enforce.test
# refuses the same clients.  strict.test requires TLS 1.3, by the
# stream's to on STARTTLS and by SNI on direct TLS (where the rule must
# be chosen before GnuTLS negotiates the version).  A client that picks
# the lax domain by SNI and then names the strict one in its stream is
# refused with tls.version_below_policy; one that gets RSA key transport
# that way and names enforce.test, with tls.cipher_below_policy.  The
# records are checked as JSON too.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
t_setup c2s-report-mode
t_need_portcullis

make_ca "$T/ca"
KEYTYPE=rsa make_cert "$T/ca" all report.test enforce.test strict.test
jport=$(free_port)
start_jabberd2 "$T/jabberd2" report.test "$jport"
c2s=$(free_port)
direct=$(free_port)
ev="$T/events.jsonl"
cat >"$T/portcullis.conf" <<CONF
workers = 2;
log = { events = "$ev"; };
listen = (
  { role = "c2s"; address = "127.0.0.1:$c2s"; },
  { role = "c2s"; address = "127.0.0.1:$direct"; tls = "direct";
    domain = "enforce.test"; }
);
rules = (
  { match = "report.test"; direction = "c2s"; action = "report"; },
  { match = "strict.test"; direction = "c2s"; min-version = "1.3"; }
);
domains = (
  { name = "enforce.test"; certificate = "$T/ca/all.pem";
    key = "$T/ca/all.key"; c2s-backend = "127.0.0.1:$jport"; },
  { name = "report.test"; certificate = "$T/ca/all.pem";
    key = "$T/ca/all.key"; c2s-backend = "127.0.0.1:$jport"; },
  { name = "strict.test"; certificate = "$T/ca/all.pem";
    key = "$T/ca/all.key"; c2s-backend = "127.0.0.1:$jport"; }
);
CONF
start_portcullis "$T/pc" "$T/portcullis.conf" "$c2s" "$direct"
line=$(grep -n 'match = "report.test"' "$T/portcullis.conf" | cut -d: -f1)
strict_line=$(grep -n 'match = "strict.test"' "$T/portcullis.conf" |
    cut -d: -f1)

probe() {
	_n=$1
	shift
	"$T_PY" "$TI/tlsprobe.py" --cafile "$T/ca/ca.pem" "$@" \
	    >"$T/$_n.json" 2>"$T/$_n.err"
}
reports() {
	pc_log_count policy.would_have_rejected
}

# Below policy on report.test: let in, and reported.
probe tls11 --port "$c2s" --to report.test --min 1.1 --max 1.1 ||
    t_fail "report mode refused TLS 1.1: $(cat "$T/tls11.json")"
[ "$(json_get "$T/tls11.json" version)" = TLSv1.1 ] ||
    t_fail "TLS 1.1 client got $(json_get "$T/tls11.json" version)"
pc_log_has policy.would_have_rejected \
    "rule=report.test line=$line reason=version enforce_event=tls.version_below_policy .*version=TLS1.1" ||
    t_fail "no would-have-rejected record for TLS 1.1"
probe rsakx --port "$c2s" --to report.test --max 1.2 \
    --ciphers AES128-GCM-SHA256 ||
    t_fail "report mode refused RSA key transport: $(cat "$T/rsakx.json")"
pc_log_has policy.would_have_rejected \
    "rule=report.test line=$line reason=no-forward-secrecy .*fs=no" ||
    t_fail "no would-have-rejected record for RSA key transport"
probe cbc --port "$c2s" --to report.test --max 1.2 \
    --ciphers ECDHE-RSA-AES128-SHA ||
    t_fail "report mode refused CBC: $(cat "$T/cbc.json")"
pc_log_has policy.would_have_rejected \
    "rule=report.test line=$line reason=cipher .*cipher=AES-128-CBC" ||
    t_fail "no would-have-rejected record for CBC"
n=$(reports)
[ "$n" -eq 3 ] || t_fail "$n would-have-rejected records, wanted 3"
probe modern --port "$c2s" --to report.test ||
    t_fail "modern client refused: $(cat "$T/modern.json")"
sleep 0.3
[ "$(reports)" -eq 3 ] || t_fail "a modern client was reported"
t_log "report.test: TLS 1.1, RSA key transport and CBC let in, each" \
    "reported with rule=report.test line=$line; TLS 1.3 not reported"

# A below-policy client really gets service in report mode.
"$T_PY" - "$TI" "$c2s" "$T/ca/ca.pem" >"$T/login11.log" 2>"$T/login11.err" <<'PY' ||
import ssl, sys
sys.path.insert(0, sys.argv[1])
from xmpp import Raw
c = Raw("127.0.0.1", int(sys.argv[2]))
c.send(c.header("report.test"))
c.expect(rb"</stream:features>")
c.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
c.expect(rb"<proceed")
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(cafile=sys.argv[3])
ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_1
c.sock = ctx.wrap_socket(c.sock, server_hostname="report.test")
c.buf = b""
assert c.sock.version() == "TLSv1.1", c.sock.version()
jid = c.login("report.test", "alice", "secret-alice", "old")
c.send("<message to='%s'><body>still here</body></message>" % jid)
c.expect(rb"<body>still here</body>")
print("logged in over TLS 1.1 as", jid)
PY
    t_fail "TLS 1.1 login through report.test: $(cat "$T/login11.log" "$T/login11.err")"
t_log "$(cat "$T/login11.log")"

# The same clients on an enforcing domain are refused.
if probe e-tls11 --port "$c2s" --to enforce.test --min 1.1 --max 1.1; then
	t_fail "enforce.test accepted TLS 1.1"
fi
if probe e-rsakx --port "$c2s" --to enforce.test --max 1.2 \
    --ciphers AES128-GCM-SHA256; then
	t_fail "enforce.test accepted RSA key transport"
fi
probe e-modern --port "$c2s" --to enforce.test ||
    t_fail "enforce.test refused a modern client"
t_log "enforce.test: TLS 1.1 and RSA key transport refused"

# strict.test: TLS 1.3 only, by to and by SNI.
if probe s-tls12 --port "$c2s" --to strict.test --max 1.2; then
	t_fail "strict.test accepted TLS 1.2 over STARTTLS"
fi
probe s-tls13 --port "$c2s" --to strict.test ||
    t_fail "strict.test refused TLS 1.3: $(cat "$T/s-tls13.json")"
if probe sd-tls12 --port "$direct" --direct --sni strict.test --max 1.2; then
	t_fail "strict.test accepted TLS 1.2 by SNI on direct TLS"
fi
probe d-tls12 --port "$direct" --direct --max 1.2 ||
    t_fail "the default domain refused TLS 1.2: $(cat "$T/d-tls12.json")"
t_log "strict.test: TLS 1.2 refused by to and by SNI; TLS 1.3 served"

# SNI picks the reporting domain, the stream then names the strict one.
probe sneaky --port "$direct" --direct --sni report.test --min 1.1 \
    --max 1.1 --header-to strict.test ||
    t_fail "the sneaky handshake failed: $(cat "$T/sneaky.json")"
json_get "$T/sneaky.json" after | grep -q "policy-violation" ||
    t_fail "no <policy-violation/>: $(json_get "$T/sneaky.json" after)"
pc_log_has tls.version_below_policy \
    "rule=strict.test line=$strict_line reason=version" ||
    t_fail "no tls.version_below_policy for the stream's strict domain"
t_log "SNI report.test then to=strict.test over TLS 1.1: refused"

# SNI picks the reporting domain, RSA key transport, then enforce.test.
probe sneaky2 --port "$direct" --direct --sni report.test --max 1.2 \
    --ciphers AES128-GCM-SHA256 --header-to enforce.test ||
    t_fail "the second sneaky handshake failed: $(cat "$T/sneaky2.json")"
json_get "$T/sneaky2.json" after | grep -q "policy-violation" ||
    t_fail "no <policy-violation/>: $(json_get "$T/sneaky2.json" after)"
"$PORTCULLIS" -E >"$T/catalogue.jsonl" || t_fail "portcullis -E failed"
"$T_PY" - "$TI" "$ev" "$T/catalogue.jsonl" "$line" "$strict_line" <<'PY' ||
import sys
sys.path.insert(0, sys.argv[1])
from evjson import Events
ev, line, strict = Events(sys.argv[2], sys.argv[3]), int(sys.argv[4]), \
    int(sys.argv[5])
r = ev.one("policy.would_have_rejected", rule="report.test", line=line,
           reason="version", enforce_event="tls.version_below_policy")
assert r["version"] == "TLS1.1" and r["domain"] == "report.test", r
r = ev.one("tls.version_below_policy", rule="strict.test", line=strict)
assert r["reason"] == "version" and r["version"] == "TLS1.1", r
assert r["domain"] == "strict.test", r
r = ev.one("tls.cipher_below_policy", rule="c2s")
assert r["reason"] == "no-forward-secrecy" and r["domain"] == "enforce.test"
assert r["version"] == "TLS1.2" and r["fs"] is False, r
assert r["suite"] == "RSA_AES_128_GCM_SHA256", r
print("22: below-policy records as JSON")
PY
    t_fail "the events file lacks a record (see above)"
t_log "SNI report.test, RSA key transport, then to=enforce.test: refused"
