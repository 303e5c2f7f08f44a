#!/bin/sh
# 12-c2s-tls-params: what real TLS clients negotiate with the default
# policy.  gnutls-cli --starttls-proto=xmpp and openssl s_client
# -starttls xmpp get TLS 1.3 with an ECDHE, AEAD suite; TLS 1.2 works
# with ECDHE+AEAD only; TLS 1.1, static RSA key transport and CBC are
# refused; a client signalling a version fallback (TLS_FALLBACK_SCSV)
# gets inappropriate_fallback; direct TLS negotiates ALPN xmpp-client and
# refuses a client offering only another protocol.
#
# gnutls-cli puts the host it connects to in the stream's "to", so the
# served domain here is "localhost" (which /etc/hosts maps to loopback).
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
t_setup c2s-tls-params
t_need_portcullis

make_ca "$T/ca"
make_cert "$T/ca" localhost localhost
jport=$(free_port)
start_jabberd2 "$T/jabberd2" localhost "$jport"
c2s=$(free_port)
direct=$(free_port)
gateway_conf "$T/portcullis.conf" localhost "$T/ca" "127.0.0.1:$jport" \
    "$c2s" "$direct"
start_portcullis "$T/pc" "$T/portcullis.conf" "$c2s" "$direct"

# gcli NAME PORT ARGS...: gnutls-cli, then EOF; output in $T/NAME.out.
gcli() {
	_n=$1
	_p=$2
	shift 2
	timeout 20 gnutls-cli --x509cafile "$T/ca/ca.pem" -p "$_p" "$@" \
	    localhost </dev/null >"$T/$_n.out" 2>&1
}

gcli starttls "$c2s" --starttls-proto=xmpp --sni-hostname localhost \
    --verify-hostname localhost ||
    t_fail "gnutls-cli STARTTLS failed: $(tail -5 "$T/starttls.out")"
# "- Description: (TLS1.3-X.509)-(ECDHE-X25519)-(ECDSA-...)-(AES-128-GCM)"
desc() {
	grep -m1 'Description:' "$T/$1.out" | sed 's/.*Description: //'
}
aead='\((AES-128-GCM|AES-256-GCM|CHACHA20-POLY1305)\)$'
desc starttls | grep -qE "^\(TLS1\.3-.*\(ECDHE-.*$aead" ||
    t_fail "gnutls-cli negotiated $(desc starttls)"
grep -q "Status: The certificate is trusted" "$T/starttls.out" ||
    t_fail "gnutls-cli could not verify the certificate"
t_log "gnutls-cli --starttls-proto=xmpp: $(desc starttls)"

gcli tls12 "$c2s" --starttls-proto=xmpp --sni-hostname localhost \
    --priority "NORMAL:-VERS-ALL:+VERS-TLS1.2" ||
    t_fail "TLS 1.2 with ECDHE refused: $(tail -5 "$T/tls12.out")"
desc tls12 | grep -qE "^\(TLS1\.2-.*\(ECDHE-.*$aead" ||
    t_fail "TLS 1.2 client negotiated $(desc tls12)"
t_log "TLS 1.2 client: $(desc tls12)"

for refused in "old NORMAL:-VERS-ALL:+VERS-TLS1.1:+VERS-TLS1.0" \
    "rsa-kx NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+RSA" \
    "cbc NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-CBC:+AES-256-CBC"; do
	n=${refused%% *}
	if gcli "$n" "$c2s" --starttls-proto=xmpp --priority "${refused#* }"; then
		t_fail "$n: handshake succeeded: $(grep Description "$T/$n.out")"
	fi
	# A fatal alert tells the client why, rather than a bare close.
	grep -qE "Received alert|Handshake has failed" "$T/$n.out" ||
	    t_fail "$n: no alert: $(tail -3 "$T/$n.out")"
done
t_log "TLS 1.0/1.1, RSA key transport and CBC refused"

if gcli fallback "$c2s" --starttls-proto=xmpp \
    --priority "NORMAL:-VERS-ALL:+VERS-TLS1.2:%FALLBACK_SCSV"; then
	t_fail "a TLS 1.2 fallback connection was accepted"
fi
pc_log_has tls.failed 'error=GNUTLS_E_INAPPROPRIATE_FALLBACK' ||
    t_fail "no tls.failed record for the fallback"
pc_log_has tls.fallback_scsv 'sni=localhost' ||
    t_fail "no tls.fallback_scsv record"
t_log "TLS_FALLBACK_SCSV answered with inappropriate_fallback"

if command -v openssl >/dev/null 2>&1; then
	timeout 20 openssl s_client -connect "127.0.0.1:$c2s" \
	    -starttls xmpp -xmpphost localhost -servername localhost \
	    -CAfile "$T/ca/ca.pem" -verify_return_error -brief \
	    </dev/null >"$T/openssl.out" 2>&1 ||
	    t_fail "openssl s_client failed: $(tail -5 "$T/openssl.out")"
	grep -q "Protocol version: TLSv1.3" "$T/openssl.out" ||
	    t_fail "openssl did not get TLS 1.3: $(cat "$T/openssl.out")"
	grep -q "Verification: OK" "$T/openssl.out" ||
	    t_fail "openssl could not verify the certificate"
	t_log "openssl s_client -starttls xmpp: TLS 1.3, verified"
fi

gcli alpn "$direct" --alpn xmpp-client --sni-hostname localhost ||
    t_fail "direct TLS with ALPN failed: $(tail -5 "$T/alpn.out")"
pc_log_has tls.established 'mode=direct .*alpn=xmpp-client' ||
    t_fail "ALPN xmpp-client not negotiated"
if gcli alpn-wrong "$direct" --alpn h2 --sni-hostname localhost; then
	t_fail "direct TLS accepted a client offering only ALPN h2"
fi
grep -qi "no_application_protocol\|No supported application protocol\|application protocol" \
    "$T/alpn-wrong.out" ||
    t_fail "ALPN h2: no no_application_protocol: $(tail -3 "$T/alpn-wrong.out")"
t_log "direct TLS: ALPN xmpp-client, other protocols refused"
