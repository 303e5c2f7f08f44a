#!/bin/sh
# 43-posh: POSH (RFC 7711) for remote servers whose certificates do not
# name their domains: the domains are hosted on hosting.test, whose
# certificate the trust anchors verify but which names only
# hosting.test.  Each domain publishes (or not) its POSH document on an
# HTTPS server of its own name, and the rules for them list posh:
#  - posh.test lists the SHA-256 fingerprint of the hosting certificate:
#    authenticated (verify=posh), the message is delivered; the inbound
#    stream of its dialback finds the document in the cache;
#  - poshdeleg.test delegates with a "url" to posh.test's document:
#    authenticated (verify=posh), delivered;
#  - poshbad.test lists another certificate's fingerprint: refused, the
#    message bounces;
#  - nodoc.test publishes nothing (404): refused.
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
# shellcheck source-path=SCRIPTDIR source=dane.sh
. "$TI/dane.sh"
t_setup posh
need_root
t_need_portcullis

DOMAINS="posh poshdeleg poshbad nodoc"
fed_extra_dns() {
	peers=$(ns_addr peers)
	web=$(ns_addr web)
	EKU=both make_cert "$T/ca" hosting hosting.test
	EKU=both make_cert "$T/ca" other other.test
	make_cert "$T/ca" web posh.test poshdeleg.test poshbad.test \
	    nodoc.test
	for d in $DOMAINS; do
		dns_zone "$d.test"
		dns_host "$d.test" xmpp "$peers"
		dns_host "$d.test" "$d.test." "$web"
		dns_rr "$d.test" "_xmpp-server._tcp IN SRV 0 5 5269 xmpp"
	done
}
fed_world peers web
peers=$(ns_addr peers)
web=$(ns_addr web)
ns_resolv peers "$FED_DNS4"
dane_prosody peers "$T/p-host" "$T/ca/hosting" "$T/ca/ca.pem" 5222 5269 \
    posh.test poshdeleg.test poshbad.test nodoc.test

fp() {
	openssl x509 -in "$1" -outform DER | openssl dgst -sha256 -binary |
	    openssl base64 -A
}
cat >"$T/posh-docs.json" <<EOD
{
  "posh.test": { "fingerprints": [ { "sha-256": "$(fp "$T/ca/hosting.crt")" } ],
                 "expires": 3600 },
  "poshdeleg.test": { "url": "https://posh.test/.well-known/posh/xmpp-server.json",
                      "expires": 3600 },
  "poshbad.test": { "fingerprints": [ { "sha-256": "$(fp "$T/ca/other.crt")" } ],
                    "expires": 3600 }
}
EOD
ns_spawn web "$T" poshd "$T_PY" "$TI/poshd.py" 0.0.0.0 443 \
    "$T/ca/web.pem" "$T/ca/web.key" "$T/posh-docs.json" "$T/posh.log"
ns_with web wait_port 443 10 "$T_PID"

legacy_prosody legacy "$T/backend" legacy.test 5322 15369
ev="$T/events.jsonl"
fed_gateway 15369 "log = { events = \"$ev\"; };"'
rules = ( { match = "*.test";
  direction = [ "s2s-in", "s2s-out" ];
  authentication = [ "dane", "pkix", "posh" ]; } );'

dane_send one "posh.test@$peers:5222:$T/ca/ca.pem" \
    "poshdeleg.test@$peers:5222:$T/ca/ca.pem" poshbad.test nodoc.test \
    >"$T/one.out"
cat "$T/one.out" >&2

dane_expect "$T/one.out" posh.test delivered
pc_log_has tls.established 'direction=out .*to=posh.test .*verify=posh auth=posh' ||
    t_fail "posh.test: not authenticated by POSH"
pc_log_has posh.checked 'domain=posh.test result=match cached=no' ||
    t_fail "posh.test: no fetched, matching POSH check"
pc_log_has posh.checked 'domain=posh.test result=match cached=yes' ||
    t_fail "posh.test: its document was not kept for the next check"
grep -q '^posh.test /.well-known/posh/xmpp-server.json 200$' "$T/posh.log" ||
    t_fail "the web server never served posh.test's document"
t_log "posh.test: the fingerprint matches, authenticated, delivered, kept"

dane_expect "$T/one.out" poshdeleg.test delivered
pc_log_has posh.checked 'domain=poshdeleg.test result=match .*delegated to https://posh.test/' ||
    t_fail "poshdeleg.test: the delegation was not followed"
pc_log_has tls.established 'direction=out .*to=poshdeleg.test .*verify=posh' ||
    t_fail "poshdeleg.test: not authenticated by POSH"
t_log "poshdeleg.test: delegated to posh.test's document, authenticated"

dane_expect "$T/one.out" poshbad.test remote-server
pc_log_has posh.checked 'domain=poshbad.test result=no-match' ||
    t_fail "poshbad.test: the wrong fingerprint was not noticed"
pc_log_has s2s.unauthenticated 'domain=poshbad.test reason="POSH: no fingerprint' ||
    t_fail "poshbad.test: not refused for its POSH document"
dane_expect "$T/one.out" nodoc.test remote-server
pc_log_has posh.checked 'domain=nodoc.test result=none .*HTTP 404' ||
    t_fail "nodoc.test: the missing document was not noticed"
t_log "poshbad.test (another fingerprint), nodoc.test (none): refused"

# The same, as JSON records checked against the catalogue.
"$PORTCULLIS" -E >"$T/catalogue.jsonl" || t_fail "portcullis -E failed"
"$T_PY" - "$TI" "$ev" "$T/catalogue.jsonl" <<'PY' ||
import sys
sys.path.insert(0, sys.argv[1])
from evjson import Events
ev = Events(sys.argv[2], sys.argv[3])
ev.one("posh.checked", domain="posh.test", result="match", cached=False)
ev.one("posh.checked", domain="posh.test", result="match", cached=True)
ev.one("posh.checked", domain="poshbad.test", result="no-match")
r = ev.one("posh.checked", domain="nodoc.test", result="none")
assert "404" in r["detail"], r
r = ev.one("tls.established", to="posh.test", direction="out")
assert r["verify"] == "posh" and r["auth"] == "posh", r
print("43: posh.checked fetched, cached, no-match, none: recorded")
PY
    t_fail "the events file lacks a record (see above)"
