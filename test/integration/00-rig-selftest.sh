#!/bin/sh
# 00-rig-selftest: the rig without portcullis.  Starts a jabberd2 and a
# prosody backend (TLS off, loopback only) and drives two real clients
# straight at each, so a later scenario that fails through the gateway
# fails because of the gateway.  Also checks that chat.py notices a wrong
# password, and that in its default TLS mode it refuses a plaintext
# server without sending credentials.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
t_setup rig-selftest

j_c2s=$(free_port)
j_s2s=$(free_port)
start_jabberd2 "$T/jabberd2" legacy.test "$j_c2s" "$j_s2s"
p_c2s=$(free_port)
p_s2s=$(free_port)
start_prosody_backend "$T/prosody" prosody.test "$p_c2s" "$p_s2s"
check_loopback_only

# chat PORT DOMAIN NAME [ARGS...]: run chat.py, JSON in $T/NAME.json,
# slixmpp's log in $T/NAME.log; returns chat.py's exit status.
chat() {
	_port=$1
	_dom=$2
	_n=$3
	shift 3
	"$T_PY" "$TI/chat.py" --port "$_port" --domain "$_dom" \
	    --log "$T/$_n.log" "$@" >"$T/$_n.json"
}

for backend in "jabberd2 legacy.test $j_c2s" "prosody prosody.test $p_c2s"; do
	# shellcheck disable=SC2086 # split "name domain port" on purpose.
	set -- $backend
	chat "$3" "$2" "chat-$1" --plaintext --count 20 --pings 10 ||
	    t_fail "$1: chat.py failed: $(cat "$T/chat-$1.json")"
	[ "$(json_get "$T/chat-$1.json" received)" = 20 ] ||
	    t_fail "$1: not every message arrived"
	t_log "$1: 20 messages intact and in order," \
	    "login $(json_get "$T/chat-$1.json" login_ms) ms," \
	    "rtt median $(json_get "$T/chat-$1.json" rtt_ms_median) ms"

	rc=0
	chat "$3" "$2" "badpass-$1" --plaintext --a alice:wrong --count 1 ||
	    rc=$?
	[ $rc -eq 4 ] || t_fail "$1: a wrong password gave exit $rc, not 4"
done

# Default mode wants verified TLS: against a server that offers no
# STARTTLS, chat.py must give up before SASL, so no <auth/> leaves it.
make_ca "$T/ca"
rc=0
chat "$j_c2s" legacy.test notls --cafile "$T/ca/ca.pem" --count 1 || rc=$?
[ $rc -eq 3 ] || t_fail "TLS required against plaintext gave exit $rc, not 3"
if grep -q 'SEND: <auth' "$T/notls.log"; then
	t_fail "chat.py sent credentials on a plaintext stream"
fi
if grep -q 'SEND: <presence\|SEND: <message' "$T/notls.log"; then
	t_fail "chat.py sent stanzas on a plaintext stream"
fi
t_log "TLS required: plaintext server refused before authentication"
