#!/bin/sh
# 32-s2s-jabberd2-backend: federation both ways through portcullis, in
# front of jabberd2 with no TLS at all.  jabberd2's outgoing s2s header
# names neither domain, so portcullis answers it, learns the pair from
# jabberd2's first dialback element, opens TLS to the remote and
# authenticates there with legacy.test's certificate (SASL EXTERNAL),
# then tells jabberd2 its dialback succeeded.  jabberd2's own dialback
# verifications (db:verify) are relayed over TLS unchanged.  Messages
# cross both ways intact, every s2s stream is TLS and verified.
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
t_setup s2s-jabberd2-backend
need_root
t_need_portcullis

fed_world
legacy_jabberd2 legacy "$T/backend" legacy.test 5322 15369
fed_gateway 15369

fed_chat fed || t_fail "chat.py failed: $(cat "$T/fed.json")"
[ "$(json_get "$T/fed.json" received)" = 10 ] ||
    t_fail "not every message crossed: $(cat "$T/fed.json")"
t_log "10 messages legacy.test -> remote.test intact, replies back;" \
    "rtt median $(json_get "$T/fed.json" rtt_ms_median) ms"

pc_log_has s2s.auth_bridged 'domain=remote.test from=legacy.test auth=sasl-external' ||
    t_fail "jabberd2's dialback was not answered through SASL EXTERNAL"
pc_log_has tls.established 'direction=out .*to=remote.test from=legacy.test .*verify=pkix .*version=TLS1.3' ||
    t_fail "no verified TLS 1.3 stream to remote.test"
pc_log_has s2s.peer 'direction=in .*to=legacy.test from=remote.test .*verify=pkix' ||
    t_fail "no verified inbound stream from remote.test"
grep -q "outgoing route 'legacy.test/remote.test' is now valid" \
    "$T/backend/s2s.log" || t_fail "jabberd2 never had a valid route out"
grep -q "incoming route 'legacy.test/remote.test' is now valid" \
    "$T/backend/s2s.log" || t_fail "jabberd2 never accepted remote.test"
# jabberd2 must not dial in a loop (it redials at once on a close).
n=$(grep -c ' session.accept .*listener=127.0.0.1:15270' "$PC_LOG" || true)
[ "$n" -le 6 ] || t_fail "jabberd2 opened $n outbound streams"
t_log "jabberd2: outbound answered and bridged, inbound verified;" \
    "$n outbound streams"
