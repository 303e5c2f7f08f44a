#!/bin/sh
# 23-c2s-scan: an outside scanner finds nothing weak in the default
# policy.  sslscan runs through STARTTLS (XMPP) against loopback only and
# must see TLS 1.2 and 1.3 and nothing older, only ECDHE key exchange with
# AEAD ciphers of 128 bits or more, the default groups only, no
# compression, no renegotiation, TLS_FALLBACK_SCSV honoured and no
# Heartbleed; the direct TLS port must show the same.  As a control, the
# same scan of a report-mode policy (which offers old versions and CBC)
# must be judged weak, so the judgement itself is known to bite.  The certificate
# is RSA-2048, so RSA and ECDSA suites would both show if allowed.
#
# The served domain is "localhost": sslscan puts the host it scans in the
# stream's to.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
t_setup c2s-scan
t_need_portcullis
command -v sslscan >/dev/null 2>&1 ||
    t_skip "sslscan is not installed (test/deps.sh integration)"

make_ca "$T/ca"
KEYTYPE=rsa make_cert "$T/ca" localhost localhost
jport=$(free_port)
start_jabberd2 "$T/jabberd2" localhost "$jport"
c2s=$(free_port)
direct=$(free_port)
gateway_conf "$T/portcullis.conf" localhost "$T/ca" "127.0.0.1:$jport" \
    "$c2s" "$direct"
start_portcullis "$T/pc" "$T/portcullis.conf" "$c2s" "$direct"

# scan NAME ARGS...: sslscan's XML report in $T/NAME.xml.
scan() {
	_n=$1
	shift
	timeout 120 sslscan --no-colour --timeout=5 --xml="$T/$_n.xml" \
	    "$@" >"$T/$_n.log" 2>&1 ||
	    t_fail "sslscan $_n failed: $(tail -5 "$T/$_n.log")"
}
# judge NAME: the report's verdicts, or a failure naming what is weak.
judge() {
	"$T_PY" - "$T/$1.xml" <<'PY'
import re, sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
test = root.find("ssltest")
bad = []
protos = {(p.get("type"), p.get("version")): p.get("enabled")
          for p in test.iter("protocol")}
for old in [("ssl", "2"), ("ssl", "3"), ("tls", "1.0"), ("tls", "1.1")]:
    if protos.get(old) != "0":
        bad.append("protocol %s %s: %s" % (old + (protos.get(old),)))
for new in [("tls", "1.2"), ("tls", "1.3")]:
    if protos.get(new) != "1":
        bad.append("protocol %s %s not offered" % new)
ciphers = [c for c in test.iter("cipher") if c.get("status") in
           ("accepted", "preferred")]
if not ciphers:
    bad.append("no cipher accepted at all")
strong = re.compile(r"^(TLS_(AES_(128|256)_GCM_SHA(256|384)|CHACHA20_POLY1305"
                    r"_SHA256)|ECDHE-(RSA|ECDSA)-(AES(128|256)-GCM-SHA(256|384)"
                    r"|CHACHA20-POLY1305))$")
for c in ciphers:
    name, bits = c.get("cipher"), int(c.get("bits", "0"))
    if not strong.match(name) or bits < 128:
        bad.append("cipher %s %s (%d bits)" % (c.get("sslversion"), name,
                                                bits))
groups = {g.get("name") for g in test.iter("group")}
extra = groups - {"x25519", "secp256r1 (NIST P-256)", "secp384r1 (NIST P-384)",
                  "secp256r1", "secp384r1", "prime256v1"}
if extra:
    bad.append("groups beyond the default: %s" % sorted(extra))
for tag, attr, want in [("compression", "supported", "0"),
                        ("fallback", "supported", "1")]:
    el = test.find(tag)
    if el is not None and el.get(attr) != want:
        bad.append("%s %s=%s" % (tag, attr, el.get(attr)))
reneg = test.find("renegotiation")
if reneg is not None and reneg.get("supported") == "1" and \
        reneg.get("secure") != "1":
    bad.append("insecure renegotiation")
for hb in test.iter("heartbleed"):
    if hb.get("vulnerable") != "0":
        bad.append("heartbleed %s" % hb.get("sslversion"))
print("%d ciphers accepted: %s" % (len(ciphers), ", ".join(
    sorted({"%s %s" % (c.get("sslversion"), c.get("cipher"))
            for c in ciphers}))))
print("groups: %s" % ", ".join(sorted(groups)))
for b in bad:
    print("WEAK: " + b)
sys.exit(1 if bad else 0)
PY
}

scan starttls --starttls-xmpp "localhost:$c2s"
judge starttls >"$T/starttls.verdict" ||
    t_fail "STARTTLS: $(cat "$T/starttls.verdict")"
t_log "STARTTLS: $(tr '\n' ' ' <"$T/starttls.verdict")"
scan direct --sni-name=localhost "localhost:$direct"
judge direct >"$T/direct.verdict" ||
    t_fail "direct TLS: $(cat "$T/direct.verdict")"
t_log "direct TLS: $(tr '\n' ' ' <"$T/direct.verdict")"
for f in starttls direct; do
	grep -q "Server supports TLS Fallback SCSV" "$T/$f.log" ||
	    t_fail "$f: sslscan saw no TLS_FALLBACK_SCSV support"
	grep -q '<renegotiation supported="0"' "$T/$f.xml" ||
	    t_fail "$f: sslscan found renegotiation"
done

# The control: report mode offers what the default refuses.
lax=$(free_port)
gateway_conf "$T/lax.conf" localhost "$T/ca" "127.0.0.1:$jport" "$lax" "" \
    'policy = { action = "report"; };'
sed -i 's/^workers = 2;/workers = 1;/' "$T/lax.conf"
start_portcullis "$T/pc-lax" "$T/lax.conf" "$lax"
scan lax --starttls-xmpp "localhost:$lax"
if judge lax >"$T/lax.verdict"; then
	t_fail "the judgement passed a report-mode policy: $(cat "$T/lax.verdict")"
fi
grep -q "WEAK: protocol tls 1.0" "$T/lax.verdict" &&
    grep -q "WEAK: cipher TLSv1.2 ECDHE-RSA-AES128-SHA " "$T/lax.verdict" &&
    grep -q "WEAK: cipher TLSv1.2 AES128-GCM-SHA256 " "$T/lax.verdict" ||
    t_fail "the control was not found weak for the right reasons:" \
    "$(cat "$T/lax.verdict")"
t_log "control: report mode judged weak ($(grep -c WEAK "$T/lax.verdict")" \
    "findings)"
check_loopback_only
