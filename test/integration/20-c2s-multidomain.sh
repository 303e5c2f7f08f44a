#!/bin/sh
# 20-c2s-multidomain: two served domains, each with its own certificate
# and backend.  The certificate is chosen by SNI on direct TLS, by the
# stream's to on STARTTLS, by SNI over to when both are there, by the
# listener's default domain when neither; a.test serves ECDSA and RSA
# chains side by side and a client that can only verify RSA gets the RSA
# one.  A client of each domain logs in and chats through its own
# backend.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
t_setup c2s-multidomain
t_need_portcullis

make_ca "$T/ca"
make_cert "$T/ca" a.test a.test
KEYTYPE=rsa make_cert "$T/ca" a.test.rsa a.test
make_cert "$T/ca" b.test b.test
ja=$(free_port)
jb=$(free_port)
start_jabberd2 "$T/ja" a.test "$ja"
start_jabberd2 "$T/jb" b.test "$jb"
c2s=$(free_port)
direct=$(free_port)
cat >"$T/portcullis.conf" <<CONF
workers = 2;
listen = (
  { role = "c2s"; address = "127.0.0.1:$c2s"; },
  { role = "c2s"; address = "127.0.0.1:$direct"; tls = "direct";
    domain = "a.test"; }
);
domains = (
  { name = "a.test";
    certificates = (
      { certificate = "$T/ca/a.test.pem"; key = "$T/ca/a.test.key"; },
      { certificate = "$T/ca/a.test.rsa.pem"; key = "$T/ca/a.test.rsa.key"; }
    );
    c2s-backend = "127.0.0.1:$ja"; },
  { name = "b.test";
    certificate = "$T/ca/b.test.pem"; key = "$T/ca/b.test.key";
    c2s-backend = "127.0.0.1:$jb"; }
);
CONF
start_portcullis "$T/pc" "$T/portcullis.conf" "$c2s" "$direct"

# probe NAME ARGS...: tlsprobe.py's JSON in $T/NAME.json.
probe() {
	_n=$1
	shift
	"$T_PY" "$TI/tlsprobe.py" --cafile "$T/ca/ca.pem" "$@" \
	    >"$T/$_n.json" 2>"$T/$_n.err" || t_fail "$_n: $(cat "$T/$_n.json")"
}
sans() {
	json_get "$T/$1.json" sans
}
fp() {
	openssl x509 -in "$T/ca/$1.crt" -outform DER | sha256sum | cut -d' ' -f1
}

probe sni-b --port "$direct" --direct --sni b.test
sans sni-b | grep -q '"b.test"' || t_fail "SNI b.test got $(sans sni-b)"
probe sni-a --port "$direct" --direct --sni a.test
sans sni-a | grep -q '"a.test"' || t_fail "SNI a.test got $(sans sni-a)"
probe nosni --port "$direct" --direct
sans nosni | grep -q '"a.test"' ||
    t_fail "no SNI did not get the listener's default: $(sans nosni)"
t_log "direct TLS: b.test and a.test by SNI, a.test by default"

probe to-b --port "$c2s" --to b.test
[ "$(json_get "$T/to-b.json" fingerprint)" = "$(fp b.test)" ] ||
    t_fail "STARTTLS to=b.test without SNI got $(sans to-b)"
probe to-a --port "$c2s" --to a.test
sans to-a | grep -q '"a.test"' || t_fail "to=a.test got $(sans to-a)"
probe to-a-sni-b --port "$c2s" --to a.test --sni b.test
sans to-a-sni-b | grep -q '"b.test"' ||
    t_fail "SNI did not win over to: $(sans to-a-sni-b)"
pc_log_has tls.sni_mismatch 'sni=b.test to=a.test domain=b.test' ||
    t_fail "no tls.sni_mismatch record for to=a.test, SNI b.test"
t_log "STARTTLS: by to without SNI, SNI over to (logged)"

# The same domain, ECDSA and RSA: each client gets what it can verify.
probe ecdsa --port "$direct" --direct --sni a.test --max 1.2 \
    --ciphers ECDHE-ECDSA-AES128-GCM-SHA256
[ "$(json_get "$T/ecdsa.json" fingerprint)" = "$(fp a.test)" ] ||
    t_fail "ECDHE-ECDSA client did not get the ECDSA chain"
probe rsa --port "$direct" --direct --sni a.test --max 1.2 \
    --ciphers ECDHE-RSA-AES128-GCM-SHA256
[ "$(json_get "$T/rsa.json" fingerprint)" = "$(fp a.test.rsa)" ] ||
    t_fail "ECDHE-RSA client did not get the RSA chain"
[ "$(json_get "$T/rsa.json" key)" = RSA ] || t_fail "rsa: not an RSA key"
t_log "a.test: ECDSA and RSA chains side by side"

# End to end through each domain's own backend.
"$T_PY" "$TI/chat.py" --port "$c2s" --domain a.test \
    --cafile "$T/ca/ca.pem" --count 3 --pings 1 >"$T/chat-a.json" ||
    t_fail "chat on a.test: $(cat "$T/chat-a.json")"
"$T_PY" "$TI/chat.py" --port "$c2s" --domain b.test \
    --cafile "$T/ca/ca.pem" --count 3 --pings 1 >"$T/chat-b.json" ||
    t_fail "chat on b.test: $(cat "$T/chat-b.json")"
pc_log_has tls.established 'domain=b.test' ||
    t_fail "no tls.established for b.test"
check_loopback_only
t_log "chat through a.test and b.test, each on its own backend"
