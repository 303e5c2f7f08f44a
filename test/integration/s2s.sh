# s2s.sh: servers and clients for federation scenarios, each server in a
# network namespace of its own (netns.sh).  Source it after lib.sh and
# netns.sh; the servers resolve each other through the resolv.conf that
# ns_resolv gives their host, so normally through dns.sh's resolver.
#
#   remote_prosody HOST DIR DOMAIN CERT CAFILE
#                        a well-run remote server: TLS required, the test
#                        CA its only trust anchor
#   legacy_jabberd2 HOST DIR DOMAIN C2S_PORT S2S_PORT
#   legacy_prosody HOST DIR DOMAIN C2S_PORT S2S_PORT
#                        a legacy backend (TLS off unless PROSODY_TLS_*),
#                        listening on every address of HOST, running as
#                        $T_BACKEND_USER for ROUTE-1's REDIRECT by owner
#   s2s_chat HOST NAME CHAT_ARGS...
#                        chat.py from inside HOST
#   origdst_start HOST DIR PORT [ARGS...]
#                        origdst.py on HOST's loopback PORT
#   origdst_wait DIR DST [TEXT [SECONDS]]
#                        wait for its record of a connection to DST
#
# shellcheck shell=sh

# The uid the legacy backends run as: ns_redirect's --uid-owner.  It
# needs no home and no files of its own: the backends' directories are
# given to it (t__own).
T_BACKEND_USER=${T_BACKEND_USER:-nobody}

# remote_prosody HOST DIR DOMAIN CERT CAFILE: a prosody serving DOMAIN
# from DIR (under $T) inside HOST, listening on all of HOST's addresses,
# with the chain CERT.pem and key CERT.key (make_cert's DIR/NAME; with
# EKU=both, as it is also the client certificate of its outgoing s2s
# streams) and CAFILE as the only CA for peers' certificates.  Users:
# $XMPP_USERS.  Config DIR/prosody.cfg.lua from conf/prosody/remote.cfg.lua.in,
# log DIR/prosody.log, pid DIR/prosody.pid.  Environment:
#   REMOTE_C2S_PORT (5222), REMOTE_S2S_PORT (5269)
#   REMOTE_S2S_DIRECT_TLS_PORT  XEP-0368 s2s port (default none)
#   REMOTE_REQUIRE_ENCRYPTION   s2s_require_encryption (default true)
#   REMOTE_SECURE_AUTH          s2s_secure_auth (default true): peers
#                               must present a certificate that verifies
# c2s always requires TLS.  Returns when every port accepts connections.
remote_prosody() {
	_rh=$1
	_rd=$2
	_rdom=$3
	_rc2s=${REMOTE_C2S_PORT:-5222}
	_rs2s=${REMOTE_S2S_PORT:-5269}
	_rdtls=${REMOTE_S2S_DIRECT_TLS_PORT:-}
	t__under_t "$_rd"
	mkdir -p "$_rd/data" "$_rd/certs"
	if ! cp "$4.pem" "$_rd/tls.pem" || ! cp "$4.key" "$_rd/tls.key" ||
	    ! cp "$5" "$_rd/tls-ca.pem"; then
		t_fail "remote_prosody: cannot copy $4.pem, $4.key or $5"
	fi
	t__fill "$TI/conf/prosody/remote.cfg.lua.in" "$_rd/prosody.cfg.lua" \
	    DIR="$_rd" DOMAIN="$_rdom" C2S_PORT="$_rc2s" S2S_PORT="$_rs2s" \
	    S2S_DIRECT_TLS_PORT="$_rdtls" \
	    S2S_REQUIRE_ENCRYPTION="${REMOTE_REQUIRE_ENCRYPTION:-true}" \
	    S2S_SECURE_AUTH="${REMOTE_SECURE_AUTH:-true}"
	for _u in $XMPP_USERS; do
		if ! prosodyctl --config "$_rd/prosody.cfg.lua" register \
		    "${_u%%:*}" "$_rdom" "${_u#*:}" \
		    >>"$_rd/prosodyctl.out" 2>&1; then
			cat "$_rd/prosodyctl.out" >&2
			t_fail "prosodyctl register ${_u%%:*}@$_rdom failed"
		fi
	done
	ns_spawn "$_rh" "$_rd" prosody prosody --config "$_rd/prosody.cfg.lua" -F
	_rpid=$T_PID
	for _p in "$_rc2s" "$_rs2s" $_rdtls; do
		ns_with "$_rh" wait_port "$_p" 15 "$_rpid"
	done
	t_log "remote prosody $_rdom on host $_rh: c2s $_rc2s," \
	    "s2s $_rs2s${_rdtls:+, s2s direct TLS $_rdtls}," \
	    "require_encryption ${REMOTE_REQUIRE_ENCRYPTION:-true}," \
	    "secure_auth ${REMOTE_SECURE_AUTH:-true}"
	T_PID=$_rpid
}

# legacy_jabberd2 HOST DIR DOMAIN C2S_PORT S2S_PORT: start_jabberd2 in
# HOST as $T_BACKEND_USER, c2s and s2s on all of HOST's IPv4 addresses.
legacy_jabberd2() {
	_lh=$1
	shift
	# shellcheck disable=SC2034 # read by lib.sh's start_jabberd2.
	T_RUNAS=$T_BACKEND_USER JABBERD2_IP=0.0.0.0
	ns_with "$_lh" start_jabberd2 "$@"
	unset T_RUNAS JABBERD2_IP
}

# legacy_prosody HOST DIR DOMAIN C2S_PORT S2S_PORT: start_prosody_backend
# in HOST as $T_BACKEND_USER on all of HOST's addresses (PROSODY_TLS_*
# as there).
legacy_prosody() {
	_lh=$1
	shift
	# shellcheck disable=SC2034 # read by lib.sh's start_prosody_backend.
	T_RUNAS=$T_BACKEND_USER PROSODY_INTERFACES='"*"; "::"'
	ns_with "$_lh" start_prosody_backend "$@"
	unset T_RUNAS PROSODY_INTERFACES
}

# s2s_chat HOST NAME CHAT_ARGS...: run chat.py inside HOST with
# CHAT_ARGS (--port, --domain, --b-port ... as chat.py takes them);
# JSON in $T/NAME.json, slixmpp's log in $T/NAME.log.  Returns chat.py's
# exit status.
s2s_chat() {
	_ch=$1
	_cn=$2
	shift 2
	ns_exec "$_ch" "$T_PY" "$TI/chat.py" --log "$T/$_cn.log" "$@" \
	    >"$T/$_cn.json"
}

# origdst_start HOST DIR PORT [ARGS...]: origdst.py inside HOST on
# 127.0.0.1 and ::1 at PORT (with ARGS such as --answer), one JSON line
# per connection in DIR/origdst.jsonl (see origdst.py); pid
# DIR/origdst.pid.
origdst_start() {
	_oh=$1
	_od=$2
	_op=$3
	shift 3
	t__under_t "$_od"
	mkdir -p "$_od"
	ns_spawn "$_oh" "$_od" origdst "$T_PY" "$TI/origdst.py" \
	    --out "$_od/origdst.jsonl" "$@" "$_op"
	ns_with "$_oh" wait_port "$_op" 10 "$T_PID"
}

# origdst_wait DIR DST [TEXT [SECONDS]]: wait until origdst.py (started
# with DIR) has recorded a connection whose original destination was DST
# ("10.1.2.3:5269", "[fd00::3]:5269") and whose first bytes contain TEXT;
# print that record's first bytes.  Fails after SECONDS (default 10).
origdst_wait() {
	"$T_PY" - "$1/origdst.jsonl" "$2" "${3:-}" "${4:-10}" <<'EOF' ||
import json, sys, time
path, dst, text, secs = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
deadline = time.monotonic() + secs
while True:
    try:
        with open(path) as f:
            for line in f:
                rec = json.loads(line)
                if rec["original_dst"] == dst and text in rec["first_bytes"]:
                    print(rec["first_bytes"])
                    sys.exit(0)
    except FileNotFoundError:
        pass
    if time.monotonic() > deadline:
        sys.exit("origdst_wait: no connection to %s%s recorded in %s within "
                 "%g s" % (dst, " sending %r" % text if text else "", path,
                          secs))
    time.sleep(0.1)
EOF
	    t_fail "origdst_wait $2 failed"
}
