# lib.sh: what every integration scenario shares.  A scenario NN-name.sh
# runs under `set -eu`, sources this file and calls t_setup first.  This
# file owns the per-test work directory $T, its cleanup, loopback port
# allocation, the test CA and certificates, and the legacy backends
# (jabberd2, prosody) with their own configs, data, pids and logs in $T.
# Nothing here touches system config or data directories, starts system
# services, or listens beyond 127.0.0.1.
#
# Start processes with t_spawn (or write their pid to a *.pid file under
# $T yourself) from the scenario's own shell.  Pass or fail, the exit trap
# stops those, everything this shell started, and anything whose command
# line names a path in $T: TERM, then KILL after about 3 s.
#
# Environment: T_PY (default /usr/bin/python3), XMPP_USERS (user:password
# pairs every backend gets), T_PORTS_DIR (port reservations).
#
# shellcheck shell=sh

# The Debian interpreter: `python3` on PATH may be a build without slixmpp.
T_PY=${T_PY:-/usr/bin/python3}
# The directory of the scenarios, lib.sh, chat.py and conf/.
TI=$(cd "$(dirname "$0")" && pwd)
# Port reservations shared by every test on this machine (see free_port).
T_PORTS_DIR=${T_PORTS_DIR:-/tmp/portcullis-ports}
# Users created on every backend, as user:password pairs.
XMPP_USERS=${XMPP_USERS:-alice:secret-alice bob:secret-bob}

t_log() {
	echo "[${T_NAME:-test}] $*" >&2
}

# Fail the scenario with a message.  Inside $(...) this ends only the
# subshell, whose non-zero status then fails the caller under set -e.
t_fail() {
	echo "[${T_NAME:-test}] FAIL: $*" >&2
	exit 1
}

# Skip the scenario: run.sh prints the reason after "SKIP name:".
t_skip() {
	echo "SKIP: $*" >&2
	exit 77
}

# t_setup NAME: make the work directory $T and install the cleanup trap.
t_setup() {
	T_NAME=$1
	T=$(mktemp -d "/tmp/portcullis-$1.XXXXXX") || exit 1
	export T T_NAME
	trap t_cleanup EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# t_need_portcullis: skip unless $PORTCULLIS names the daemon binary.
t_need_portcullis() {
	[ -n "${PORTCULLIS:-}" ] || t_skip "PORTCULLIS is not set"
	[ -x "$PORTCULLIS" ] || t_skip "$PORTCULLIS is not executable"
}

# t__alive PID: true while PID runs and is not a zombie.
t__alive() {
	_s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	case ${_s##*) } in
	Z*|X*)	return 1 ;;
	esac
	return 0
}

# t__pids [quiet]: every live process this test owns, once: the pids in
# *.pid files under $T, every descendant of this shell or of those, and
# any process whose command line names a path in $T (a daemon that
# detached).  Unless quiet, it names each one that no pidfile lists: a
# scenario should record what it starts.
t__pids() {
	"$T_PY" - "$T" "$$" "${1:-}" <<'EOF'
import os, sys
top, shell, quiet = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "quiet"
procs = {}
for d in os.listdir("/proc"):
    if not d.isdigit():
        continue
    try:
        with open("/proc/%s/stat" % d) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open("/proc/%s/cmdline" % d, "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        continue
    if fields[0] not in ("Z", "X"):
        procs[int(d)] = (int(fields[1]), cmd.strip())
# This helper and the subshell that runs it are not the test's processes.
mine, p = set(), os.getpid()
while p and p != shell:
    mine.add(p)
    p = procs.get(p, (0,))[0]
recorded = set()
for root, _, files in os.walk(top):
    for name in files:
        if name.endswith(".pid"):
            try:
                with open(os.path.join(root, name)) as f:
                    pid = int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                continue
            if pid in procs:
                recorded.add(pid)
named = {p for p, (_, cmd) in procs.items() if top + "/" in cmd}
children = {}
for p, (pp, _) in procs.items():
    children.setdefault(pp, []).append(p)

def below(roots):
    seen, todo = set(), list(roots)
    while todo:
        for c in children.get(todo.pop(), ()):
            if c not in seen:
                seen.add(c)
                todo.append(c)
    return seen

owned = recorded | below(recorded)
found = (below({shell}) | named | below(named)) - mine - {shell}
for p in sorted(found - owned):
    if not quiet:
        print("[%s] cleanup: pid %d was in no pidfile: %s"
              % (os.environ.get("T_NAME", "test"), p, procs[p][1]),
              file=sys.stderr)
print(" ".join(str(p) for p in sorted(owned | found)))
EOF
}

# t_stop_all: TERM every process of this test, KILL what is left after
# about 3 s, and reap them (PID 1 may not reap orphans on every machine).
t_stop_all() {
	_pids=$(t__pids)
	for _p in $_pids; do
		t__alive "$_p" && kill -TERM "$_p" 2>/dev/null
	done
	_i=0
	while [ $_i -lt 30 ]; do
		_left=""
		for _p in $_pids; do
			t__alive "$_p" && _left="$_left $_p"
		done
		[ -z "$_left" ] && break
		sleep 0.1
		_i=$((_i + 1))
	done
	for _p in $_pids; do
		if t__alive "$_p"; then
			t_log "cleanup: pid $_p ignored TERM; sending KILL"
			kill -KILL "$_p" 2>/dev/null
		fi
	done
	for _p in $_pids; do
		wait "$_p" 2>/dev/null
	done
	return 0
}

# dump_logs: the tail of every non-empty *.log under $T, to stderr,
# long lines (a client log holds 8 KB stanzas) cut at 500 bytes.
dump_logs() {
	find "$T" -name '*.log' -type f 2>/dev/null | sort |
	    while read -r _f; do
		[ -s "$_f" ] || continue
		echo "----- ${_f#"$T"/}" \
		    "(last 80 of $(wc -l <"$_f") lines) -----"
		tail -n 80 "$_f" | cut -b 1-500
	done >&2
	echo "----- end of logs -----" >&2
}

# t__release_ports: drop this test's port reservations.
t__release_ports() {
	[ -f "$T/ports.reserved" ] || return 0
	while read -r _p; do
		rm -rf "${T_PORTS_DIR:?}/$_p"
	done <"$T/ports.reserved"
}

# t_on_exit FUNCTION: have the exit trap call FUNCTION (once, however
# often it is registered) after every process of the test has stopped
# and before $T is removed: for what is not a process, such as the
# network namespaces of netns.sh.  Functions run in registration order,
# must not exit, and return non-zero to fail a test that had passed
# (something could not be cleaned up).
t_on_exit() {
	case " ${T_ON_EXIT:-} " in
	*" $1 "*) ;;
	*) T_ON_EXIT="${T_ON_EXIT:-} $1" ;;
	esac
}

# The exit trap: stop everything, run the t_on_exit functions, then keep
# $T and show the logs if the scenario failed, or remove $T if it passed
# or skipped (77).
t_cleanup() {
	_rc=$?
	trap - EXIT HUP INT TERM
	set +e
	t_stop_all
	# Under make sanitize a report may come only at exit (leaks).
	_san=$(find "$T" -name '*.stderr.log' -type f -exec grep -l -E \
	    'SUMMARY: [A-Za-z]+Sanitizer|^==[0-9]+==ERROR: ' {} + 2>/dev/null)
	if [ -n "$_san" ]; then
		t_log "sanitizer report in: $_san"
		[ "$_rc" -eq 0 ] || [ "$_rc" -eq 77 ] && _rc=1
	fi
	for _h in ${T_ON_EXIT:-}; do
		if ! "$_h" && [ "$_rc" -eq 0 ]; then
			t_log "cleanup: $_h failed"
			_rc=1
		fi
	done
	t__release_ports
	if [ "$_rc" -eq 0 ] || [ "$_rc" -eq 77 ]; then
		rm -rf "$T"
	else
		dump_logs
		t_log "failed (exit $_rc); files kept in $T"
	fi
	exit "$_rc"
}

# t__under_t DIR: refuse directories outside $T, whose pids the trap
# would never see.
t__under_t() {
	case $1 in
	"$T"/*) ;;
	*) t_fail "$1 is not under \$T ($T)" ;;
	esac
}

# free_port: print a free TCP port on 127.0.0.1.  Ports come from below
# the kernel's ephemeral range, so no outgoing connection (sm to router,
# say) can take one before its daemon binds it.  The first candidate
# depends on $$ (each test starts in its own block), and each port is
# reserved by an atomic mkdir in $T_PORTS_DIR (its "owner" file names
# $T), so neither this test nor a parallel one gets it again until this
# test's cleanup.  A test killed with SIGKILL leaks its reservations;
# the ports are merely skipped until someone removes the directories.
free_port() {
	[ -n "${T:-}" ] || t_fail "free_port before t_setup"
	if [ ! -d "$T_PORTS_DIR" ]; then
		mkdir -p "$T_PORTS_DIR" && chmod 1777 "$T_PORTS_DIR" 2>/dev/null
	fi
	# Not `read`: dash reads a byte at a time, which sysctl files garble.
	_lo=$(cat /proc/sys/net/ipv4/ip_local_port_range) || _lo=32768
	_lo=${_lo%%[!0-9]*}
	_base=10000
	_top=$((_lo - 1))
	if [ "$_top" -lt $((_base + 1000)) ]; then
		_top=29999
	fi
	_n=$((_top - _base + 1))
	_p=$((_base + ($$ * 20) % _n))
	_i=0
	while [ $_i -lt "$_n" ]; do
		if mkdir "$T_PORTS_DIR/$_p" 2>/dev/null; then
			echo "$T" >"$T_PORTS_DIR/$_p/owner"
			if "$T_PY" -c '
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)' "$_p"; then
				echo "$_p" >>"$T/ports.reserved"
				echo "$_p"
				return 0
			fi
			rm -rf "${T_PORTS_DIR:?}/$_p"
		fi
		_p=$((_p + 1))
		[ "$_p" -gt "$_top" ] && _p=$_base
		_i=$((_i + 1))
	done
	t_fail "free_port: no free port in $_base-$_top"
}

# wait_port PORT [SECONDS [PID]]: wait until 127.0.0.1:PORT accepts a
# connection; fail after SECONDS (default 15), or as soon as PID exits.
# With T_NS set, the 127.0.0.1 of that network namespace.
wait_port() {
	_wp=$1
	if [ -n "${T_NS:-}" ]; then
		set -- ip netns exec "$T_NS" "$T_PY" - "$1" "${2:-15}" "${3:-0}"
	else
		set -- "$T_PY" - "$1" "${2:-15}" "${3:-0}"
	fi
	"$@" <<'EOF' ||
import os, socket, sys, time
port, secs, pid = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])

def alive(p):
    try:
        with open("/proc/%d/stat" % p) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False

deadline = time.monotonic() + secs
while True:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        sys.exit(0)
    except OSError:
        pass
    if pid and not alive(pid):
        sys.exit("wait_port: pid %d exited before 127.0.0.1:%d accepted "
                 "connections" % (pid, port))
    if time.monotonic() > deadline:
        sys.exit("wait_port: nothing accepted connections on 127.0.0.1:%d "
                 "within %g s" % (port, secs))
    time.sleep(0.05)
EOF
	    t_fail "wait_port $_wp failed${T_NS:+ in $T_NS}"
}

# wait_log FILE STRING [SECONDS [PID]]: wait until FILE contains STRING
# (fixed, not a pattern); fail after SECONDS (default 15) or if PID exits.
wait_log() {
	_i=0
	_max=$((${3:-15} * 10))
	while ! grep -q -F -e "$2" "$1" 2>/dev/null; do
		if [ -n "${4:-}" ] && ! t__alive "$4"; then
			t_fail "wait_log: pid $4 exited before $1 had '$2'"
		fi
		if [ $_i -ge $_max ]; then
			t_fail "wait_log: $1 had no '$2' after ${3:-15} s"
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
}

# check_loopback_only: fail if any process of this test listens on an
# address outside 127.0.0.0/8.
check_loopback_only() {
	_pids=$(t__pids quiet)
	ss -H -t -l -n -p >"$T/listeners.txt" || t_fail "ss failed"
	for _p in $_pids; do
		grep "pid=$_p," "$T/listeners.txt" |
		    while read -r _st _rq _sq _local _rest; do
			case $_local in
			127.*) ;;
			*) echo "pid $_p listens on $_local" ;;
			esac
		done
	done >"$T/listeners.bad"
	if [ -s "$T/listeners.bad" ]; then
		cat "$T/listeners.bad" >&2
		t_fail "a test process listens beyond loopback"
	fi
	rm -f "$T/listeners.txt" "$T/listeners.bad"
}

# t__fill TEMPLATE OUT KEY=VALUE...: copy TEMPLATE to OUT replacing each
# @KEY@ by VALUE; fail if any @KEY@ is left unfilled.
t__fill() {
	_in=$1
	_out=$2
	shift 2
	_script=""
	for _kv in "$@"; do
		_k=${_kv%%=*}
		_v=$(printf '%s' "${_kv#*=}" | sed 's/[|&\\]/\\&/g')
		_script="$_script
s|@${_k}@|${_v}|g"
	done
	sed -e "$_script" "$_in" >"$_out" || t_fail "cannot write $_out"
	if grep -n '@[A-Z0-9_]*@' "$_out" >&2; then
		t_fail "$_out: placeholders left unfilled"
	fi
}

# t__secret: 16 random hex digits.
t__secret() {
	od -A n -N 8 -t x1 /dev/urandom | tr -d ' \n'
}

# t__date WHEN: a certtool template date for WHEN ("400 days ago"), UTC.
t__date() {
	date -u -d "$1" '+%Y-%m-%d %H:%M:%S'
}

# make_ca DIR: an ECDSA P-256 test CA, DIR/ca.pem and DIR/ca.key.  Its
# validity starts three years back so that expired leaves still nest.
make_ca() {
	mkdir -p "$1"
	cat >"$1/ca.tmpl" <<EOF
cn = "portcullis test CA"
organization = "portcullis tests"
activation_date = "$(t__date '3 years ago')"
expiration_days = 3650
ca
cert_signing_key
crl_signing_key
EOF
	if ! certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 \
	    --no-text --outfile "$1/ca.key" >"$1/certtool.out" 2>&1 ||
	    ! certtool --generate-self-signed --load-privkey "$1/ca.key" \
	    --template "$1/ca.tmpl" --no-text --outfile "$1/ca.pem" \
	    >>"$1/certtool.out" 2>&1; then
		cat "$1/certtool.out" >&2
		t_fail "make_ca $1 failed"
	fi
}

# t__der_ia5 STRING: hex DER of an IA5String (for SRVName otherName).
t__der_ia5() {
	_len=$(printf '%s' "$1" | wc -c)
	[ "$_len" -lt 128 ] || t_fail "SRVNAME longer than 127 bytes"
	printf '16%02x%s' "$_len" \
	    "$(printf '%s' "$1" | od -A n -t x1 | tr -d ' \n')"
}

# make_cert DIR NAME [DNSNAME...]: a leaf signed by the CA in DIR.
# Writes DIR/NAME.key, DIR/NAME.crt (leaf only) and DIR/NAME.pem (leaf
# then CA: the full chain to serve).  Environment:
#   KEYTYPE=ecdsa|rsa (ecdsa is P-256; rsa uses BITS, default 2048)
#   DAYS=N       validity from now (default 30)
#   EXPIRED=1    validity ended yesterday (started 400 days ago)
#   XMPPADDR=J   add id-on-xmppAddr J (RFC 6120 13.7.1.4)
#   SRVNAME=S    add id-on-dnsSRV S, e.g. _xmpp-server.example.test
#   EKU=serverAuth|both   extended key usage (default serverAuth)
# The subject CN is the first DNSNAME, else NAME.
make_cert() {
	_dir=$1
	_name=$2
	shift 2
	[ -f "$_dir/ca.key" ] || t_fail "make_cert: no CA in $_dir (make_ca)"
	_tmpl="$_dir/$_name.tmpl"
	{
		echo "cn = \"${1:-$_name}\""
		echo "organization = \"portcullis tests\""
		for _dns in "$@"; do
			echo "dns_name = \"$_dns\""
		done
		[ -n "${XMPPADDR:-}" ] && echo "xmpp_name = \"$XMPPADDR\""
		[ -n "${SRVNAME:-}" ] && echo "other_name =" \
		    "\"1.3.6.1.5.5.7.8.7 $(t__der_ia5 "$SRVNAME")\""
		if [ "${EXPIRED:-0}" = 1 ]; then
			echo "activation_date = \"$(t__date '400 days ago')\""
			echo "expiration_date = \"$(t__date '1 day ago')\""
		else
			echo "expiration_days = ${DAYS:-30}"
		fi
		echo "signing_key"
		case ${EKU:-serverAuth} in
		serverAuth) echo "tls_www_server" ;;
		both) echo "tls_www_server"; echo "tls_www_client" ;;
		*) t_fail "make_cert: EKU must be serverAuth or both" ;;
		esac
	} >"$_tmpl"
	case ${KEYTYPE:-ecdsa} in
	ecdsa)	_keyopts="--key-type=ecdsa --curve=secp256r1" ;;
	rsa)	_keyopts="--key-type=rsa --bits=${BITS:-2048}"
		echo "encryption_key" >>"$_tmpl" ;;
	*)	t_fail "make_cert: KEYTYPE must be ecdsa or rsa" ;;
	esac
	# shellcheck disable=SC2086 # _keyopts is two words on purpose.
	if ! certtool --generate-privkey $_keyopts --no-text \
	    --outfile "$_dir/$_name.key" >"$_dir/certtool.out" 2>&1 ||
	    ! certtool --generate-certificate \
	    --load-privkey "$_dir/$_name.key" \
	    --load-ca-certificate "$_dir/ca.pem" \
	    --load-ca-privkey "$_dir/ca.key" --template "$_tmpl" --no-text \
	    --outfile "$_dir/$_name.crt" >>"$_dir/certtool.out" 2>&1; then
		cat "$_dir/certtool.out" >&2
		t_fail "make_cert $_name failed"
	fi
	cat "$_dir/$_name.crt" "$_dir/ca.pem" >"$_dir/$_name.pem"
}

# t__jabberd2_libdir: where Debian installs jabberd2's modules.
t__jabberd2_libdir() {
	for _d in /usr/lib/*/jabberd2 /usr/lib/jabberd2; do
		[ -f "$_d/authreg_sqlite.so" ] && { echo "$_d"; return 0; }
	done
	t_fail "jabberd2 modules not found (test/deps.sh integration)"
}

# t_spawn DIR NAME CMD...: run CMD in the background with its output in
# DIR/NAME.stderr.log and its pid in DIR/NAME.pid and $T_PID.  Call it
# from the scenario's own shell, never inside $(...): the process must be
# a child of the shell whose trap stops and reaps it.  If T_NS names a
# network namespace (see netns.sh), CMD runs inside it; if T_RUNAS names
# a user, CMD runs as that user's uid and gid without supplementary
# groups.  Both keep the pid: ip netns exec and setpriv exec CMD.
t_spawn() {
	_sd=$1
	_sn=$2
	shift 2
	t__under_t "$_sd/"
	if [ -n "${T_RUNAS:-}" ]; then
		set -- setpriv --reuid="$(id -u "$T_RUNAS")" \
		    --regid="$(id -g "$T_RUNAS")" --clear-groups -- "$@"
	fi
	if [ -n "${T_NS:-}" ]; then
		set -- ip netns exec "$T_NS" "$@"
	fi
	"$@" </dev/null >"$_sd/$_sn.stderr.log" 2>&1 &
	T_PID=$!
	echo "$T_PID" >"$_sd/$_sn.pid"
}

# t_stop PID: stop one process of this test now (TERM, KILL after about
# 3 s) and reap it; for a scenario that restarts a server.  Processes it
# started stay for the exit trap.
t_stop() {
	t__alive "$1" && kill -TERM "$1" 2>/dev/null
	_i=0
	while t__alive "$1" && [ $_i -lt 30 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	if t__alive "$1"; then
		t_log "t_stop: pid $1 ignored TERM; sending KILL"
		kill -KILL "$1" 2>/dev/null
	fi
	# Killed by the signal, it exits non-zero: not an error under set -e.
	wait "$1" 2>/dev/null || true
	return 0
}

# t__own DIR: when T_RUNAS is set, give DIR to that user and let it
# pass through every directory from $T down to DIR (mode o+x: $T itself
# is 0700 from mktemp).
t__own() {
	[ -n "${T_RUNAS:-}" ] || return 0
	chown -R "$(id -u "$T_RUNAS"):$(id -g "$T_RUNAS")" "$1" ||
	    t_fail "cannot give $1 to $T_RUNAS"
	_od=$1
	while [ "$_od" != "$T" ] && [ "$_od" != / ]; do
		_od=$(dirname "$_od")
		chmod o+x "$_od"
	done
}

# start_jabberd2 DIR DOMAIN C2S_PORT [S2S_PORT]: a jabberd2 (router, sm,
# c2s, and s2s if S2S_PORT is given) run entirely from DIR, which must be
# under $T: configs from conf/jabberd2/*.in, a sqlite database holding
# the users of $XMPP_USERS, logs DIR/*.log, pids DIR/jabberd2-*.pid.
# No TLS anywhere, SASL PLAIN on the plaintext c2s port.  Returns when
# the session manager serves DOMAIN and c2s accepts connections.
# JABBERD2_IP (default 127.0.0.1) is the address c2s and s2s listen on,
# and s2s connects from; the router stays on 127.0.0.1.  With T_NS and
# T_RUNAS (see t_spawn) it runs in a namespace as another user.
start_jabberd2() {
	_jd=$1
	_dom=$2
	_c2s=$3
	_s2s=${4:-}
	t__under_t "$_jd"
	mkdir -p "$_jd"
	_rp=$(free_port)
	_lib=$(t__jabberd2_libdir)
	_sec=$(t__secret)
	_comps="router-users router sm c2s"
	[ -n "$_s2s" ] && _comps="$_comps s2s"
	for _c in $_comps; do
		t__fill "$TI/conf/jabberd2/$_c.xml.in" "$_jd/$_c.xml" \
		    DIR="$_jd" DOMAIN="$_dom" LIBDIR="$_lib" SECRET="$_sec" \
		    ROUTER_PORT="$_rp" C2S_PORT="$_c2s" S2S_PORT="$_s2s" \
		    LISTEN_IP="${JABBERD2_IP:-127.0.0.1}"
	done
	# shellcheck disable=SC2086 # one argument per user:password pair.
	"$T_PY" - "$_jd/jabberd2.db" "$TI/conf/jabberd2/schema.sql" "$_dom" \
	    $XMPP_USERS <<'EOF' || t_fail "cannot create $_jd/jabberd2.db"
import sqlite3, sys, time
path, schema, domain, *users = sys.argv[1:]
db = sqlite3.connect(path)
with open(schema) as f:
    db.executescript(f.read())
for pair in users:
    user, _, password = pair.partition(":")
    # c2s checks the password; sm refuses a session to a user that is not
    # "active" (it would auto-create one only with <auto-create/>).
    db.execute('INSERT INTO "authreg" ("username", "realm", "password") '
               'VALUES (?, ?, ?)', (user, domain, password))
    db.execute('INSERT INTO "active" ("collection-owner", "time") '
               'VALUES (?, ?)', ("%s@%s" % (user, domain), int(time.time())))
db.commit()
EOF
	t__own "$_jd"
	t_spawn "$_jd" jabberd2-router /usr/sbin/jabberd2-router \
	    -c "$_jd/router.xml"
	wait_port "$_rp" 15 "$T_PID"
	t_spawn "$_jd" jabberd2-sm /usr/sbin/jabberd2-sm -c "$_jd/sm.xml"
	_smpid=$T_PID
	t_spawn "$_jd" jabberd2-c2s /usr/sbin/jabberd2-c2s -c "$_jd/c2s.xml"
	# The router logs the domain once sm has bound it: from then on a
	# session can start.
	wait_log "$_jd/router.log" "[$_dom] online" 15 "$_smpid"
	wait_port "$_c2s" 15 "$T_PID"
	if [ -n "$_s2s" ]; then
		t_spawn "$_jd" jabberd2-s2s /usr/sbin/jabberd2-s2s \
		    -c "$_jd/s2s.xml"
		wait_port "$_s2s" 15 "$T_PID"
	fi
	_msg="jabberd2 $_dom: c2s ${JABBERD2_IP:-127.0.0.1}:$_c2s"
	[ -z "$_s2s" ] || _msg="$_msg, s2s ${JABBERD2_IP:-127.0.0.1}:$_s2s"
	_msg="$_msg, router 127.0.0.1:$_rp${T_NS:+ in $T_NS}"
	t_log "$_msg${T_RUNAS:+ as $T_RUNAS}"
}

# start_prosody_backend DIR DOMAIN C2S_PORT [S2S_PORT]: a prosody run
# entirely from DIR, which must be under $T: config DIR/prosody.cfg.lua
# from conf/prosody/prosody.cfg.lua.in, data in DIR/data, log
# DIR/prosody.log, pid DIR/prosody.pid, the users of $XMPP_USERS.  TLS
# is off unless PROSODY_TLS_CERT and PROSODY_TLS_KEY name a certificate
# chain and key for DOMAIN: STARTTLS is then offered (still not required),
# and PROSODY_DIRECT_TLS_PORT may add a direct TLS (XEP-0368) c2s port;
# PROSODY_TLS_CAFILE is then the CA that s2s peers are checked against.
# PROSODY_INTERFACES (default "127.0.0.1") is the body of prosody's
# interfaces list, such as '"*"; "::"'.  With T_NS and T_RUNAS (see
# t_spawn) it runs in a namespace as another user.  Returns when c2s
# (and s2s) accept connections.
start_prosody_backend() {
	_pd=$1
	_dom=$2
	_c2s=$3
	_s2s=${4:-}
	t__under_t "$_pd"
	mkdir -p "$_pd/data" "$_pd/certs"
	_tlsmod=""
	_tlscfg=""
	_dtls=""
	if [ -n "${PROSODY_TLS_CERT:-}" ]; then
		if [ ! -f "$PROSODY_TLS_CERT" ] ||
		    [ ! -f "${PROSODY_TLS_KEY:-}" ]; then
			t_fail "PROSODY_TLS_CERT and _KEY must name files"
		fi
		_tlsmod='"tls";'
		# A copy the server's user can read.
		cp "$PROSODY_TLS_CERT" "$_pd/tls.pem"
		cp "$PROSODY_TLS_KEY" "$_pd/tls.key"
		_tlscfg="ssl = { certificate = \"$_pd/tls.pem\";"
		_tlscfg="$_tlscfg key = \"$_pd/tls.key\";"
		if [ -n "${PROSODY_TLS_CAFILE:-}" ]; then
			cp "$PROSODY_TLS_CAFILE" "$_pd/tls-ca.pem"
			_tlscfg="$_tlscfg cafile = \"$_pd/tls-ca.pem\";"
		fi
		_tlscfg="$_tlscfg }"
		_dtls=${PROSODY_DIRECT_TLS_PORT:-}
	elif [ -n "${PROSODY_DIRECT_TLS_PORT:-}" ]; then
		t_fail "PROSODY_DIRECT_TLS_PORT needs PROSODY_TLS_CERT"
	fi
	t__fill "$TI/conf/prosody/prosody.cfg.lua.in" "$_pd/prosody.cfg.lua" \
	    DIR="$_pd" DOMAIN="$_dom" C2S_PORT="$_c2s" S2S_PORT="$_s2s" \
	    C2S_DIRECT_TLS_PORT="$_dtls" TLS_MODULE="$_tlsmod" \
	    TLS_CONFIG="$_tlscfg" \
	    INTERFACES="${PROSODY_INTERFACES:-\"127.0.0.1\"}"
	for _u in $XMPP_USERS; do
		if ! prosodyctl --config "$_pd/prosody.cfg.lua" register \
		    "${_u%%:*}" "$_dom" "${_u#*:}" \
		    >>"$_pd/prosodyctl.out" 2>&1; then
			cat "$_pd/prosodyctl.out" >&2
			t_fail "prosodyctl register ${_u%%:*}@$_dom failed"
		fi
	done
	t__own "$_pd"
	t_spawn "$_pd" prosody prosody --config "$_pd/prosody.cfg.lua" -F
	wait_port "$_c2s" 15 "$T_PID"
	[ -z "$_s2s" ] || wait_port "$_s2s" 15 "$T_PID"
	[ -z "$_dtls" ] || wait_port "$_dtls" 15 "$T_PID"
	_msg="prosody $_dom: c2s port $_c2s"
	[ -z "$_s2s" ] || _msg="$_msg, s2s port $_s2s"
	[ -z "$_dtls" ] || _msg="$_msg, direct TLS port $_dtls"
	[ -z "$_tlsmod" ] || _msg="$_msg, TLS on"
	_msg="$_msg; interfaces ${PROSODY_INTERFACES:-127.0.0.1}${T_NS:+ in $T_NS}"
	t_log "$_msg${T_RUNAS:+ as $T_RUNAS}"
}

# json_get FILE KEY: print one value of a JSON object in FILE; KEY may
# be dotted (tls.version).  Strings print bare, others as JSON.
json_get() {
	"$T_PY" - "$1" "$2" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[k]
print(v if isinstance(v, str) else json.dumps(v))
EOF
}

# gateway_conf FILE DOMAIN CERTDIR BACKEND C2S_PORT [DIRECT_PORT [EXTRA]]:
# write a portcullis.conf serving DOMAIN with CERTDIR/DOMAIN.pem and
# .key, clients on 127.0.0.1:C2S_PORT (STARTTLS) and, if given,
# DIRECT_PORT (direct TLS), the backend at BACKEND (host:port or
# unix:/path), and the control socket FILE without .conf, plus .sock
# (never the system's /run/portcullis).  EXTRA is appended verbatim
# (more settings).
gateway_conf() {
	_gf=$1
	_gd=$2
	_gc=$3
	_gb=$4
	_gp=$5
	_gt=${6:-}
	{
		echo "workers = 2;"
		echo "listen = ("
		printf '  { role = "c2s"; address = "127.0.0.1:%s"; }' "$_gp"
		if [ -n "$_gt" ]; then
			printf ',\n  { role = "c2s"; address = "127.0.0.1:%s";' \
			    "$_gt"
			printf ' tls = "direct"; }'
		fi
		printf '\n);\n'
		printf 'domains = ( { name = "%s";\n' "$_gd"
		printf '  certificate = "%s/%s.pem"; key = "%s/%s.key";\n' \
		    "$_gc" "$_gd" "$_gc" "$_gd"
		printf '  c2s-backend = "%s"; } );\n' "$_gb"
		printf 'control = { socket = "%s.sock"; };\n' "${_gf%.conf}"
		printf '%s\n' "${7:-}"
	} >"$_gf"
}

# start_portcullis DIR CONF PORT...: run $PORTCULLIS -d -f CONF from DIR
# (under $T; log DIR/portcullis.stderr.log, pid DIR/portcullis.pid and
# $PC_PID), after checking CONF with -n; returns when every PORT accepts.
start_portcullis() {
	_pcd=$1
	_pcf=$2
	shift 2
	t__under_t "$_pcd"
	mkdir -p "$_pcd"
	if ! "$PORTCULLIS" -n -f "$_pcf" >"$_pcd/check.out" 2>&1; then
		cat "$_pcd/check.out" >&2
		t_fail "portcullis -n refused $_pcf"
	fi
	t_spawn "$_pcd" portcullis "$PORTCULLIS" -d -f "$_pcf"
	PC_PID=$T_PID
	PC_LOG="$_pcd/portcullis.stderr.log"
	for _p in "$@"; do
		wait_port "$_p" 15 "$PC_PID"
	done
	t_log "portcullis (pid $PC_PID) on $*"
}

# pc_log_has EVENT [PATTERN]: true once portcullis logged EVENT (and
# PATTERN, a grep -E regex, on the same line); waits up to 5 s.
pc_log_has() {
	_i=0
	while [ $_i -lt 50 ]; do
		if grep -E " $1( |\$)" "$PC_LOG" 2>/dev/null |
		    grep -q -E -e "${2:-.}"; then
			return 0
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# pc_log_count EVENT: how many records of EVENT portcullis has logged.
pc_log_count() {
	grep -c -E " $1( |\$)" "$PC_LOG" 2>/dev/null || true
}

# rig_c2s DOMAIN [EXTRA]: the usual c2s rig.  A CA and a certificate for
# DOMAIN in $T/ca; jabberd2 serving DOMAIN ($JPORT); a tap recording
# what jabberd2 receives and sends ($T/backend.N.up, .down); portcullis
# in front (log $PC_LOG) with STARTTLS on $C2S and direct TLS on
# $DIRECT.  EXTRA is appended to portcullis.conf.
rig_c2s() {
	make_ca "$T/ca"
	make_cert "$T/ca" "$1" "$1"
	JPORT=$(free_port)
	start_jabberd2 "$T/jabberd2" "$1" "$JPORT"
	TPORT=$(free_port)
	t_spawn "$T" tap "$T_PY" "$TI/tap.py" "$TPORT" "$JPORT" "$T/backend"
	wait_port "$TPORT" 10 "$T_PID"
	C2S=$(free_port)
	DIRECT=$(free_port)
	gateway_conf "$T/portcullis.conf" "$1" "$T/ca" "127.0.0.1:$TPORT" \
	    "$C2S" "$DIRECT" "${2:-}"
	start_portcullis "$T/pc" "$T/portcullis.conf" "$C2S" "$DIRECT"
}

# backend_streams: the non-empty records of what the backend received
# (wait_port's probe of the tap makes an empty one).
backend_streams() {
	find "$T" -maxdepth 1 -name 'backend.*.up' -size +0 | sort
}
