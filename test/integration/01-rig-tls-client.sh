#!/bin/sh
# 01-rig-tls-client: the rig's TLS half without portcullis.  Certificates
# from make_ca/make_cert, served by prosody with TLS on, prove that chat.py
# logs in over verified STARTTLS and direct TLS (ECDSA and RSA) and that it
# refuses, before authenticating, a server whose certificate is for another
# name, expired, or from another CA.  Scenarios through the gateway rely
# on exactly these refusals.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
t_setup rig-tls-client

make_ca "$T/ca"
make_ca "$T/otherca"
make_cert "$T/ca" good prosody.test
KEYTYPE=rsa make_cert "$T/ca" rsa prosody.test
make_cert "$T/ca" wrongname other.test
EXPIRED=1 make_cert "$T/ca" expired prosody.test
XMPPADDR=prosody.test SRVNAME=_xmpp-client.prosody.test EKU=both \
    make_cert "$T/ca" ids prosody.test

# The identities make_cert was asked for are in the certificate.
certtool -i --infile "$T/ca/ids.crt" >"$T/ids.txt"
for want in 'XMPP Address: prosody.test' \
    'SRVName: _xmpp-client.prosody.test' \
    'TLS WWW Client' 'TLS WWW Server' 'DNSname: prosody.test'; do
	grep -q -F "$want" "$T/ids.txt" || t_fail "ids.crt lacks $want"
done
certtool -i --infile "$T/ca/rsa.crt" | grep -q 'RSA' ||
    t_fail "KEYTYPE=rsa did not give an RSA key"
certtool --verify --load-ca-certificate "$T/ca/ca.pem" \
    --infile "$T/ca/good.pem" >"$T/verify.txt" 2>&1 ||
    t_fail "good.pem does not verify against its CA: $(cat "$T/verify.txt")"

# tls_prosody NAME [DIRECT_TLS_PORT]: prosody.test serving $T/ca/NAME.*;
# sets $port.
tls_prosody() {
	port=$(free_port)
	PROSODY_TLS_CERT="$T/ca/$1.pem"
	PROSODY_TLS_KEY="$T/ca/$1.key"
	PROSODY_DIRECT_TLS_PORT=${2:-}
	start_prosody_backend "$T/prosody-$1" prosody.test "$port"
	unset PROSODY_TLS_CERT PROSODY_TLS_KEY PROSODY_DIRECT_TLS_PORT
}

# chat NAME PORT [ARGS...]: chat.py with verified TLS against CA ca.pem
# (unless ARGS say otherwise); JSON in $T/NAME.json, log in $T/NAME.log.
chat() {
	_n=$1
	_port=$2
	shift 2
	"$T_PY" "$TI/chat.py" --port "$_port" --domain prosody.test \
	    --cafile "$T/ca/ca.pem" --log "$T/$_n.log" --count 5 --pings 3 \
	    "$@" >"$T/$_n.json"
}

# refused NAME PORT [ARGS...]: chat.py must exit 3 without credentials.
refused() {
	_rc=0
	chat "$@" || _rc=$?
	[ "$_rc" -eq 3 ] || t_fail "$1: chat.py exit $_rc, wanted 3"
	if grep -q 'SEND: <auth' "$T/$1.log"; then
		t_fail "$1: credentials sent to an unverified server"
	fi
	t_log "$1: refused: $(json_get "$T/$1.json" error)"
}

direct=$(free_port)
tls_prosody good "$direct"
chat starttls "$port" || t_fail "STARTTLS: $(cat "$T/starttls.json")"
t_log "STARTTLS: $(json_get "$T/starttls.json" tls.version)" \
    "$(json_get "$T/starttls.json" tls.cipher)" \
    "SASL $(json_get "$T/starttls.json" sasl)"
chat direct "$direct" --direct-tls ||
    t_fail "direct TLS: $(cat "$T/direct.json")"
t_log "direct TLS: $(json_get "$T/direct.json" tls.version)"
refused otherca "$port" --cafile "$T/otherca/ca.pem"
refused otherca-direct "$direct" --direct-tls --cafile "$T/otherca/ca.pem"

tls_prosody rsa
chat rsa "$port" || t_fail "RSA: $(cat "$T/rsa.json")"
t_log "RSA: $(json_get "$T/rsa.json" tls.cipher)"

tls_prosody wrongname
refused wrongname "$port"

tls_prosody expired
refused expired "$port"
