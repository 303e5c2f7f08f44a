#!/bin/sh
# 10-c2s-jabberd2: the main job.  A real jabberd2 with TLS off, portcullis
# in front with certificates from a CA made now, and two real clients
# (slixmpp) that log in through portcullis with STARTTLS and with direct
# TLS and exchange messages, every body intact and in order.  The
# handshake and close records are checked, and a tap between portcullis
# and jabberd2 shows that jabberd2 only ever saw plaintext XML that
# started inside TLS.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
t_setup c2s-jabberd2
t_need_portcullis

rig_c2s legacy.test
c2s=$C2S
direct=$DIRECT
check_loopback_only

for mode in starttls direct; do
	port=$c2s
	extra=""
	if [ $mode = direct ]; then
		port=$direct
		extra=--direct-tls
	fi
	rc=0
	# shellcheck disable=SC2086 # $extra is one flag or none.
	"$T_PY" "$TI/chat.py" --port "$port" --domain legacy.test \
	    --cafile "$T/ca/ca.pem" --count 20 --pings 20 $extra \
	    --log "$T/chat-$mode.log" >"$T/chat-$mode.json" || rc=$?
	[ $rc -eq 0 ] || t_fail "$mode: chat.py exit $rc: $(cat "$T/chat-$mode.json")"
	[ "$(json_get "$T/chat-$mode.json" received)" = 20 ] ||
	    t_fail "$mode: not every message arrived"
	v=$(json_get "$T/chat-$mode.json" tls.version)
	[ "$v" = TLSv1.3 ] || t_fail "$mode: client saw $v, not TLSv1.3"
	t_log "$mode: 20 messages intact and in order over $v" \
	    "($(json_get "$T/chat-$mode.json" tls.cipher)), login" \
	    "$(json_get "$T/chat-$mode.json" login_ms) ms, round trip median" \
	    "$(json_get "$T/chat-$mode.json" rtt_ms_median) ms"
done

# One handshake record per connection with the negotiated parameters...
pc_log_has tls.established 'mode=starttls .*version=TLS1.3 .*fs=yes' ||
    t_fail "no tls.established record for STARTTLS"
pc_log_has tls.established 'mode=direct .*version=TLS1.3 .*fs=yes' ||
    t_fail "no tls.established record for direct TLS"
grep ' tls.established ' "$PC_LOG" | head -1 | sed 's/^/  /' >&2
# ...and one close record each, with bytes, duration and reason.  (The
# probes of wait_port are sessions too, closed before TLS.)
closed() {
	grep ' session.close .*version=TLS1.3' "$PC_LOG" | grep -c . || true
}
i=0
while [ "$(closed)" -lt 4 ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ "$(closed)" -eq 4 ] || t_fail "$(closed) TLS close records, not 4"
pc_log_has session.close 'bytes_in=[1-9][0-9]* bytes_out=[1-9][0-9]* duration_ms=[0-9]+ reason=closed' ||
    t_fail "close record lacks bytes, duration or a clean reason"
grep ' session.close ' "$PC_LOG" | head -1 | sed 's/^/  /' >&2

# jabberd2 saw four connections, each beginning with the client's own
# stream header sent inside TLS: nothing from before STARTTLS.
n=$(backend_streams | wc -l)
[ "$n" -eq 4 ] || t_fail "the backend saw $n streams, not 4"
for f in $(backend_streams); do
	head -c 200 "$f" | grep -q "<stream:stream" ||
	    t_fail "$f does not start with a stream header"
	if grep -q "starttls" "$f"; then
		t_fail "$f: STARTTLS reached the backend"
	fi
done
t_log "jabberd2 received 4 streams, none with pre-TLS bytes"
