#!/bin/sh
# run.sh BUILD_DIR: portcullis side by side with its peers, on loopback.
#
# Every measurement is a section: a shell function named section_NAME,
# run in the order they appear in this file (BENCH_SECTIONS="a b" picks
# some).  A section starts what it needs, measures, adds rows to the
# table with `row`, and stops its servers.  At the end the table is
# printed and appended to test/bench/results.md with the date and the
# machine.  Ratios are portcullis / peer, medians of BENCH_RUNS runs.
#
# Server CPU is utime+stime of the server's processes (all threads and
# children) from /proc/PID/stat over the measured interval, so the load
# generator's share of the machine does not count.  With two or more
# cores, servers run on CPU 0 and the load generator and backends on
# CPU 1 ("per server core").  RSS is VmRSS from /proc/PID/status.
#
# Environment: BENCH_RUNS (5), BENCH_SECS (3, seconds per run),
# BENCH_IDLE (9000 idle connections), BENCH_SECTIONS, BENCH_RESULTS
# (results file; "-" for none).  BENCH_SECTIONS=profile records
# portcullis with perf under the handshake and bulk loads instead, into
# build/profile/ (units in the summary: µs per handshake, s per GiB).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
B=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
BD=$B/test/bench
PORTCULLIS=$B/portcullis
RUNS=${BENCH_RUNS:-5}
SECS=${BENCH_SECS:-3}
IDLE_N=${BENCH_IDLE:-9000}
RESULTS=${BENCH_RESULTS:-$here/results.md}
DOMAIN=bench.test

# lib.sh: $T, its cleanup trap, free_port, wait_port, make_ca/make_cert,
# t_spawn and start_prosody_backend.  Its helpers find their files in $TI.
# shellcheck source=../integration/lib.sh
. "$top/test/integration/lib.sh"
TI=$top/test/integration
t_setup bench
TABLE=$T/table

# Servers on CPU 0, load on CPU 1, when there are two CPUs to split.
if [ "$(nproc)" -ge 2 ]; then
	SRV="taskset -c 0"
	LOAD="taskset -c 1"
else
	SRV=""
	LOAD=""
fi
HZ=$(getconf CLK_TCK)

log() {
	echo "bench: $*" >&2
}

# ---- measuring -----------------------------------------------------------

# tree PID: PID and its descendants.
tree() {
	echo "$1"
	for _c in $(pgrep -P "$1" 2>/dev/null || true); do
		tree "$_c"
	done
}

# cpu_ticks PID: utime+stime of PID's tree, in clock ticks.
cpu_ticks() {
	_sum=0
	for _p in $(tree "$1"); do
		_st=$(cat "/proc/$_p/stat" 2>/dev/null) || continue
		_st=${_st##*) }
		# shellcheck disable=SC2086 # split the fields on purpose
		set -- $_st
		_sum=$((_sum + ${12} + ${13}))
	done
	echo "$_sum"
}

# rss_kb PID: VmRSS of PID's tree, in KB.
rss_kb() {
	_sum=0
	for _p in $(tree "$1"); do
		_r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$_p/status" \
		    2>/dev/null) || continue
		_sum=$((_sum + ${_r:-0}))
	done
	echo "$_sum"
}

# kv KEY LINE: the value of KEY=... in a loadgen result line.
kv() {
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# load PID ARGS...: run the load generator against server PID; prints
# its result line plus cpu=<server CPU seconds>.
load() {
	_pid=$1
	shift
	_c0=$(cpu_ticks "$_pid")
	_out=$($LOAD "$BD/loadgen" "$@") || { log "loadgen $* failed"; return 1; }
	_c1=$(cpu_ticks "$_pid")
	echo "$_out cpu=$(echo "$_c0 $_c1 $HZ" |
	    awk '{ printf "%.3f", ($2 - $1) / $3 }')"
}

# median: the median of the numbers on stdin.
median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2];
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# calc EXPR: awk arithmetic, "nan" when it cannot be done.
calc() {
	awk "BEGIN { x = $1; printf \"%.6g\", x }" 2>/dev/null || echo nan
}

# fmt NUMBER DIGITS
fmt() {
	case $1 in
	nan|inf|-inf|"") echo "-" ;;
	*) awk "BEGIN { printf \"%.${2}f\", $1 }" ;;
	esac
}

# ratio A B: A / B to two decimals, "-" if B is zero or unknown.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "nan" || b == "nan" || b + 0 == 0 || a == "-" ||
		    b == "-") print "-"; else printf "%.2f", a / b }'
}

# row WHAT PORTCULLIS PEER PEERVALUE RATIO GOAL
row() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$TABLE"
}

# ---- servers -------------------------------------------------------------

# stop PID: TERM, wait up to 5 s, KILL.
stop() {
	kill -TERM "$1" 2>/dev/null || return 0
	_i=0
	while t__alive "$1" && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# backend MODE [-x]: start test/bench/backend; sets BPORT, BPID.  BWRAP
# is put before the command (the stanza section's real-time priority).
backend() {
	BPORT=$(free_port)
	t_spawn "$T" "backend-$BPORT" $LOAD ${BWRAP:-} "$BD/backend" "$1" ${2:-} \
	    -d "$DOMAIN" -p "$BPORT"
	BPID=$T_PID
	wait_port "$BPORT" 10 "$BPID"
}

# The priority string portcullis uses for c2s, given to the minimal relay
# (`portcullis -n` prints "rule c2s ..." and, indented, "priority ...").
prio() {
	"$PORTCULLIS" -n -f "$1" 2>/dev/null | awk '
	    /^rule c2s/ { r = 1; next }
	    /^[^ ]/ { r = 0 }
	    r && $1 == "priority" { print $2; exit }'
}

# pc_start BACKEND_PORT [WORKERS]: portcullis at its default log level;
# sets SPID, PORT (direct TLS) and STLS (STARTTLS).
pc_start() {
	STLS=$(free_port)
	PORT=$(free_port)
	mkdir -p "$T/pc-$PORT"
	gateway_conf "$T/pc-$PORT/portcullis.conf" "$DOMAIN" "$CERTS" \
	    "127.0.0.1:$1" "$STLS" "$PORT"
	sed -i "s/^workers = 2;/workers = ${2:-1};/" \
	    "$T/pc-$PORT/portcullis.conf"
	PRIO=$(prio "$T/pc-$PORT/portcullis.conf")
	if [ "${2:-1}" -gt 1 ]; then
		t_spawn "$T/pc-$PORT" portcullis "$PORTCULLIS" \
		    -f "$T/pc-$PORT/portcullis.conf"
	else
		t_spawn "$T/pc-$PORT" portcullis $SRV "$PORTCULLIS" \
		    -f "$T/pc-$PORT/portcullis.conf"
	fi
	SPID=$T_PID
	wait_port "$PORT" 10 "$SPID"
	wait_port "$STLS" 10 "$SPID"
}

# minrelay_start BACKEND_PORT: the GnuTLS floor; sets SPID, PORT.
minrelay_start() {
	PORT=$(free_port)
	t_spawn "$T" "minrelay-$PORT" $SRV "$BD/minrelay" -p "$PORT" -b "$1" \
	    -c "$CERTS/$DOMAIN.pem" -k "$CERTS/$DOMAIN.key" -P "$PRIO"
	SPID=$T_PID
	wait_port "$PORT" 10 "$SPID"
}

# hitch_start BACKEND_PORT: one worker; sets SPID, PORT.
hitch_start() {
	PORT=$(free_port)
	_d=$T/hitch-$PORT
	mkdir -p "$_d"
	cat "$CERTS/$DOMAIN.key" "$CERTS/$DOMAIN.pem" >"$_d/pem"
	cat >"$_d/hitch.conf" <<EOF
frontend = "[127.0.0.1]:$PORT"
backend = "[127.0.0.1]:$1"
pem-file = "$_d/pem"
workers = 1
daemon = off
tls-protos = TLSv1.2 TLSv1.3
backlog = 4096
EOF
	# hitch refuses to run its workers as root.
	if [ "$(id -u)" -eq 0 ]; then
		printf 'user = "nobody"\ngroup = "nogroup"\n' >>"$_d/hitch.conf"
	fi
	t_spawn "$_d" hitch $SRV /usr/sbin/hitch --config="$_d/hitch.conf"
	SPID=$T_PID
	wait_port "$PORT" 10 "$SPID"
}

# stunnel_start BACKEND_PORT: sets SPID, PORT.
stunnel_start() {
	PORT=$(free_port)
	_d=$T/stunnel-$PORT
	mkdir -p "$_d"
	cat >"$_d/stunnel.conf" <<EOF
foreground = yes
pid =
output = $_d/stunnel.log
[bench]
accept = 127.0.0.1:$PORT
connect = 127.0.0.1:$1
cert = $CERTS/$DOMAIN.pem
key = $CERTS/$DOMAIN.key
sslVersionMin = TLSv1.2
; Debian builds stunnel with TCP wrappers, checked in helper processes
; on every connection: not part of the TLS work being compared.
libwrap = no
EOF
	t_spawn "$_d" stunnel $SRV /usr/bin/stunnel4 "$_d/stunnel.conf"
	SPID=$T_PID
	wait_port "$PORT" 10 "$SPID"
}

# prosody_start: prosody with STARTTLS on c2s; sets SPID, STLS.
prosody_start() {
	STLS=$(free_port)
	PROSODY_TLS_CERT=$CERTS/$DOMAIN.pem PROSODY_TLS_KEY=$CERTS/$DOMAIN.key \
	    start_prosody_backend "$T/prosody-$STLS" "$DOMAIN" "$STLS" \
	    >/dev/null 2>&1
	SPID=$(cat "$T/prosody-$STLS/prosody.pid")
	taskset -a -p -c 0 "$SPID" >/dev/null 2>&1 || true
	# prosody logs every stanza at debug level: keep to its default.
	sed -i 's/min = "debug"/min = "info"/' \
	    "$T/prosody-$STLS/prosody.cfg.lua"
	kill -HUP "$SPID" 2>/dev/null || true
	sleep 0.5
}

# peer_start NAME RAWBACKEND_PORT XMPPBACKEND_PORT: start one server of
# the direct-TLS comparisons; sets SPID, PORT and XOPT (loadgen flags).
peer_start() {
	XOPT=""
	case $1 in
	portcullis)	pc_start "$3"; XOPT=-x ;;
	minrelay)	minrelay_start "$2" ;;
	hitch)		hitch_start "$2" ;;
	stunnel)	stunnel_start "$2" ;;
	esac
}

# certs KEYTYPE: the CA and a leaf for $DOMAIN in $T/certs-KEYTYPE.
certs() {
	CERTS=$T/certs-$1
	if [ ! -f "$CERTS/$DOMAIN.pem" ]; then
		make_ca "$CERTS"
		KEYTYPE=$1 make_cert "$CERTS" "$DOMAIN" "$DOMAIN"
	fi
}

# runs PID ARGS...: BENCH_RUNS runs of load; one result line each in $RUNF.
runs() {
	_rp=$1
	shift
	: >"$RUNF"
	_r=0
	while [ $_r -lt "$RUNS" ]; do
		load "$_rp" "$@" >>"$RUNF"
		_r=$((_r + 1))
	done
}

# med KEY: the median of KEY over the lines of $RUNF; "cpu/ops" etc.
# divide two keys per run first.
med() {
	case $1 in
	*/*)	_a=${1%/*}
		_b=${1#*/}
		while read -r _l; do
			calc "$(kv "$_a" "$_l") / $(kv "$_b" "$_l")"
			echo
		done <"$RUNF" | median ;;
	*)	while read -r _l; do kv "$1" "$_l"; done <"$RUNF" | median ;;
	esac
}

RUNF=$T/runs

# ---- sections ------------------------------------------------------------

# (1) Full direct-TLS handshakes: connect, handshake, close, 32 at a time.
# Server CPU per handshake, as handshakes per second of one server core.
handshakes() {
	_kt=$1
	certs "$_kt"
	backend echo
	_raw=$BPORT
	_rawpid=$BPID
	backend echo -x
	_xp=$BPORT
	_xpid=$BPID
	PRIO=""
	for sv in portcullis minrelay hitch stunnel; do
		peer_start "$sv" "$_raw" "$_xp"
		# A first connection warms caches and lazy initialisation.
		load "$SPID" hs -p "$PORT" -c 1 -n 20 -t 5 >/dev/null
		runs "$SPID" hs -p "$PORT" -c 32 -t "$SECS" -d "$DOMAIN"
		_us=$(med cpu/ops)
		eval "HS_$sv=\$(calc \"1 / \$_us\")"
		eval "HSUS_$sv=\$(calc \"\$_us * 1000000\")"
		log "handshake $_kt $sv: $(fmt "$(calc "$_us * 1e6")" 0) us" \
		    "server CPU each, $(med ops/secs) /s wall," \
		    "errors $(med errors)"
		stop "$SPID"
	done
	stop "$_rawpid"
	stop "$_xpid"
	_kl=$(echo "$_kt" | tr a-z A-Z)
	for sv in minrelay hitch stunnel; do
		case $sv.$_kt in
		minrelay.ecdsa) _g="≥ 0.87 (CPU ≤ 1.15×)" ;;
		hitch.ecdsa) _g="≥ 1.35" ;;
		*) _g="" ;;
		esac
		eval "_p=\$HS_$sv _pu=\$HSUS_$sv"
		row "$_kl handshakes/s per core (µs CPU)" \
		    "$(fmt "$HS_portcullis" 0) ($(fmt "$HSUS_portcullis" 0))" \
		    "$sv" "$(fmt "$_p" 0) ($(fmt "$_pu" 0))" \
		    "$(ratio "$HS_portcullis" "$_p")" "$_g"
	done
}

section_handshake_ecdsa() {
	handshakes ecdsa
}

section_handshake_rsa() {
	_saved=$RUNS
	RUNS=3
	handshakes rsa
	RUNS=$_saved
}

# (2) c2s STARTTLS negotiations: header, features, <starttls/>,
# <proceed/>, handshake, header, the backend's header and features.
section_starttls() {
	certs ecdsa
	backend echo -x
	_xpid=$BPID
	pc_start "$BPORT"
	load "$SPID" hs -s -p "$STLS" -c 1 -n 20 -t 5 >/dev/null
	runs "$SPID" hs -s -p "$STLS" -c 32 -t "$SECS" -d "$DOMAIN"
	_pc=$(calc "1 / $(med cpu/ops)")
	runs "$SPID" hs -s -p "$STLS" -c 1 -t "$SECS" -d "$DOMAIN"
	_pcl=$(med p50_us)
	stop "$SPID"
	stop "$_xpid"
	prosody_start
	load "$SPID" hs -s -p "$STLS" -c 1 -n 20 -t 5 >/dev/null
	runs "$SPID" hs -s -p "$STLS" -c 32 -t "$SECS" -d "$DOMAIN"
	_pr=$(calc "1 / $(med cpu/ops)")
	runs "$SPID" hs -s -p "$STLS" -c 1 -t "$SECS" -d "$DOMAIN"
	_prl=$(med p50_us)
	stop "$SPID"
	row "STARTTLS negotiations/s per core" "$(fmt "$_pc" 0)" prosody \
	    "$(fmt "$_pr" 0)" "$(ratio "$_pc" "$_pr")" "≥ 5"
	row "STARTTLS negotiation ms, p50, one at a time" \
	    "$(fmt "$(calc "$_pcl / 1000")" 2)" prosody \
	    "$(fmt "$(calc "$_prl / 1000")" 2)" "$(ratio "$_pcl" "$_prl")" \
	    "portcullis ≤ 5 ms"
}

# (2b) Direct TLS handshakes with a stream header and the backend's
# features (so that a TLS 1.3 ticket has arrived), 32 at a time: full
# handshakes, then each client thread offering the ticket of its last
# one.  Server CPU per handshake, as handshakes per second of a core.
section_resumption() {
	certs ecdsa
	backend echo -x
	_xpid=$BPID
	pc_start "$BPORT"
	load "$SPID" hs -x -p "$PORT" -c 1 -n 20 -t 5 >/dev/null
	runs "$SPID" hs -x -p "$PORT" -c 32 -t "$SECS" -d "$DOMAIN"
	_full=$(med cpu/ops)
	runs "$SPID" hs -x -R -p "$PORT" -c 32 -t "$SECS" -d "$DOMAIN"
	_res=$(med cpu/ops)
	log "resumption: full $(fmt "$(calc "$_full * 1e6")" 0) us," \
	    "resumed $(fmt "$(calc "$_res * 1e6")" 0) us server CPU each;" \
	    "$(med resumed) of $(med ops) resumed"
	stop "$SPID"
	stop "$_xpid"
	row "ECDSA handshakes/s per core with stream, resumed (µs CPU)" \
	    "$(fmt "$(calc "1 / $_res")" 0) ($(fmt "$(calc "$_res * 1e6")" 0))" \
	    "full" \
	    "$(fmt "$(calc "1 / $_full")" 0) ($(fmt "$(calc "$_full * 1e6")" 0))" \
	    "$(ratio "$(calc "1 / $_res")" "$(calc "1 / $_full")")" ""
}

# (3) Bulk relay through one tunnel for BENCH_SECS: server CPU seconds
# per GiB of plaintext, and GiB/s on the wall clock.
section_bulk() {
	certs ecdsa
	for _dir in up down; do
		if [ $_dir = up ]; then _m=sink; else _m=source; fi
		backend $_m
		_raw=$BPORT
		_rawpid=$BPID
		backend $_m -x
		_xp=$BPORT
		_xpid=$BPID
		PRIO=""
		for sv in portcullis minrelay hitch stunnel; do
			peer_start "$sv" "$_raw" "$_xp"
			# shellcheck disable=SC2086 # XOPT is one flag or none
			runs "$SPID" $_dir $XOPT -p "$PORT" -c 1 -t "$SECS" \
			    -d "$DOMAIN"
			eval "BK_$sv=\$(calc \"\$(med cpu/bytes) * 1073741824\")"
			eval "BW_$sv=\$(calc \"\$(med bytes/secs) / 1073741824\")"
			stop "$SPID"
			eval "_k=\$BK_$sv _w=\$BW_$sv"
			log "bulk $_dir $sv: $(fmt "$_k" 2) CPU s per GiB," \
			    "$(fmt "$_w" 2) GiB/s"
		done
		stop "$_rawpid"
		stop "$_xpid"
		for sv in minrelay hitch stunnel; do
			case $sv in
			minrelay) _g="≤ 1.05" ;;
			*) _g="" ;;
			esac
			eval "_p=\$BK_$sv"
			row "bulk $_dir CPU s per GiB" "$(fmt "$BK_portcullis" 2)" \
			    "$sv" "$(fmt "$_p" 2)" \
			    "$(ratio "$BK_portcullis" "$_p")" "$_g"
		done
		for sv in minrelay hitch stunnel; do
			case $sv in
			minrelay) _g="" ;;
			*) _g="≥ 1.1" ;;
			esac
			eval "_p=\$BW_$sv"
			row "bulk $_dir GiB/s (wall, one tunnel)" \
			    "$(fmt "$BW_portcullis" 2)" "$sv" "$(fmt "$_p" 2)" \
			    "$(ratio "$BW_portcullis" "$_p")" "$_g"
		done
	done
}

# idle_kb PID LOADGEN_ARGS...: KB of RSS per idle connection.
idle_kb() {
	_ip=$1
	shift
	# Warm up: lazily allocated state is not per connection.
	$LOAD "$BD/loadgen" idle "$@" -n 50 -t 20 </dev/null >/dev/null || true
	sleep 0.5
	_r0=$(rss_kb "$_ip")
	rm -f "$T/idle.fifo" "$T/idle.out"
	mkfifo "$T/idle.fifo"
	$LOAD "$BD/loadgen" idle "$@" -n "$IDLE_N" -t 180 <"$T/idle.fifo" \
	    >"$T/idle.out" &
	_lg=$!
	exec 3>"$T/idle.fifo"
	_i=0
	while ! grep -q '^ready' "$T/idle.out" 2>/dev/null && [ $_i -lt 1800 ]
	do
		sleep 0.1
		_i=$((_i + 1))
	done
	# Long enough for portcullis to find its sessions quiet (2 s).
	sleep 3
	_r1=$(rss_kb "$_ip")
	_n=$(sed -n 's/^ready //p' "$T/idle.out")
	exec 3>&-
	wait "$_lg" || true
	log "idle: $_n of $IDLE_N up, RSS $_r0 KB -> $_r1 KB;" \
	    "$(tail -n 1 "$T/idle.out")"
	[ -n "$_n" ] && [ "$_n" -gt 0 ] || { echo nan; return 0; }
	calc "($_r1 - $_r0) / $_n"
}

# (4) Memory per idle connection (TLS up, backend connected, nothing
# moving), BENCH_IDLE of them, as RSS growth over a warmed-up server.
section_idle() {
	certs ecdsa
	backend echo
	_raw=$BPORT
	_rawpid=$BPID
	backend echo -x
	_xp=$BPORT
	_xpid=$BPID
	PRIO=""
	for sv in portcullis minrelay hitch stunnel; do
		peer_start "$sv" "$_raw" "$_xp"
		# shellcheck disable=SC2086 # XOPT is one flag or none
		eval "ID_$sv=\$(idle_kb \"\$SPID\" $XOPT -p \"\$PORT\" \
		    -d \"\$DOMAIN\")"
		stop "$SPID"
	done
	stop "$_rawpid"
	stop "$_xpid"
	prosody_start
	ID_prosody=$(idle_kb "$SPID" -s -A -p "$STLS" -d "$DOMAIN")
	stop "$SPID"
	for sv in minrelay hitch stunnel prosody; do
		case $sv in
		hitch) _g="≤ 0.4; portcullis ≤ 16 KB" ;;
		*) _g="" ;;
		esac
		eval "_p=\$ID_$sv"
		row "KB RSS per idle TLS connection ($IDLE_N)" \
		    "$(fmt "$ID_portcullis" 1)" "$sv" "$(fmt "$_p" 1)" \
		    "$(ratio "$ID_portcullis" "$_p")" "$_g"
	done
}

# (5) 100-byte message stanzas through portcullis to an echo backend and
# back, against the same stanzas sent straight to the backend.  The echo
# backend is the bench's own: a real server's routing (jabberd2 passes a
# message through c2s, router, sm, router, c2s) would swamp what the
# gateway adds.
section_stanza() {
	certs ecdsa
	backend echo -x
	_xp=$BPORT
	_xpid=$BPID
	pc_start "$_xp"
	# Pipelined: 8 streams with 16 stanzas in flight each.
	runs "$SPID" rate -x -p "$PORT" -c 8 -w 16 -t "$SECS" -d "$DOMAIN"
	_rate=$(med ops/secs)
	_core=$(calc "1 / $(med cpu/ops)")
	# One stanza in flight on each of 64 streams: the most the whole
	# loop (load generator included) does, and half of it for latency.
	runs "$SPID" rate -x -p "$PORT" -c 64 -w 1 -t "$SECS" -d "$DOMAIN"
	_one=$(med ops/secs)
	_half=$(calc "$_one / 2")
	runs "$SPID" lat -x -p "$PORT" -c 64 -r "$_half" -t "$SECS" \
	    -d "$DOMAIN"
	_p50=$(med p50_us)
	_p99=$(med p99_us)
	runs "$_xpid" lat -x -N -p "$_xp" -c 64 -r "$_half" -t "$SECS" \
	    -d "$DOMAIN"
	_d50=$(med p50_us)
	_d99=$(med p99_us)
	stop "$SPID"
	stop "$_xpid"
	row "stanzas/s relayed, pipelined (wall; per core)" \
	    "$(fmt "$_rate" 0); $(fmt "$_core" 0)" "" "" "" ""
	row "stanzas/s relayed, one in flight per stream (wall)" \
	    "$(fmt "$_one" 0)" "" "" "" ""
	row "stanza round trip µs p50 at $(fmt "$_half" 0)/s" \
	    "$(fmt "$_p50" 0)" "direct" "$(fmt "$_d50" 0)" \
	    "+$(fmt "$(calc "$_p50 - $_d50")" 0) µs" ""
	row "stanza round trip µs p99 at $(fmt "$_half" 0)/s" \
	    "$(fmt "$_p99" 0)" "direct" "$(fmt "$_d99" 0)" \
	    "+$(fmt "$(calc "$_p99 - $_d99")" 0) µs" "added ≤ 100 µs"

	# The echo backend shares CPU 1 with the load generator, which
	# paces its sends in a loop; through the gateway an echo has to
	# wait for the loop's time slice, where straight to the backend
	# the two simply take turns.  Run again with the backend at a
	# real-time priority, so that what is left is the gateway's.
	chrt -f 10 true 2>/dev/null || return 0
	BWRAP="chrt -f 10"
	backend echo -x
	BWRAP=""
	_xp=$BPORT
	_xpid=$BPID
	pc_start "$_xp"
	runs "$SPID" lat -x -p "$PORT" -c 64 -r "$_half" -t "$SECS" \
	    -d "$DOMAIN"
	_p50=$(med p50_us)
	_p99=$(med p99_us)
	runs "$_xpid" lat -x -N -p "$_xp" -c 64 -r "$_half" -t "$SECS" \
	    -d "$DOMAIN"
	_d50=$(med p50_us)
	_d99=$(med p99_us)
	stop "$SPID"
	stop "$_xpid"
	row "same, echo backend at real-time priority, p50" \
	    "$(fmt "$_p50" 0)" "direct" "$(fmt "$_d50" 0)" \
	    "+$(fmt "$(calc "$_p50 - $_d50")" 0) µs" ""
	row "same, echo backend at real-time priority, p99" \
	    "$(fmt "$_p99" 0)" "direct" "$(fmt "$_d99" 0)" \
	    "+$(fmt "$(calc "$_p99 - $_d99")" 0) µs" "added ≤ 100 µs"
}

# (6) Handshakes per second (wall) with one worker and with two,
# unpinned.  The load generator shares the same two cores, so this uses
# RSA keys: signing costs the server several times what verifying costs
# the client, which leaves the server as the bottleneck.  (With ECDSA
# the client's verification costs more than the server's signature and
# the load generator saturates first.)
section_scaling() {
	certs rsa
	backend echo -x
	_xpid=$BPID
	_saved=$LOAD
	LOAD=""
	for _w in 1 2; do
		pc_start "$BPORT" "$_w"
		load "$SPID" hs -x -p "$PORT" -c 1 -n 20 -t 5 >/dev/null
		runs "$SPID" hs -x -p "$PORT" -c 64 -T 2 -t "$SECS" \
		    -d "$DOMAIN"
		eval "SC_$_w=\$(med ops/secs)"
		eval "SU_$_w=\$(med cpu/secs)"
		stop "$SPID"
	done
	LOAD=$_saved
	stop "$_xpid"
	row "RSA handshakes/s wall, 2 workers vs 1 (server cores used)" \
	    "$(fmt "$SC_2" 0) ($(fmt "$SU_2" 2))" "1 worker" \
	    "$(fmt "$SC_1" 0) ($(fmt "$SU_1" 2))" "$(ratio "$SC_2" "$SC_1")" \
	    "≥ 1.8"
	# The wall rate is capped by the load generator, which shares the
	# two cores.  What the server does per handshake is not: 2 workers
	# would reach twice the rate of 1 on cores of their own if each
	# handshake costs them no more CPU (the ratio is 2 x that share).
	row "RSA handshakes per server CPU second, 2 workers vs 1 (x 2)" \
	    "$(fmt "$(calc "$SC_2 / $SU_2")" 0)" "1 worker" \
	    "$(fmt "$(calc "$SC_1 / $SU_1")" 0)" \
	    "$(ratio "$(calc "2 * $SC_2 / $SU_2")" "$(calc "$SC_1 / $SU_1")")" \
	    "≥ 1.8 (derived)"
}

# ---- profile (not a default section: BENCH_SECTIONS=profile) -------------

# perf_top LABEL OPS_KEY SCALE LOADGEN_ARGS...: while the load runs, record
# portcullis ($SPID) with perf for BENCH_SECS, then print its hottest
# symbols with their cost per operation (SCALE: operations per unit).
perf_top() {
	_lbl=$1
	_key=$2
	_unit=$3
	shift 3
	_pd=$top/build/profile
	mkdir -p "$_pd"
	$LOAD "$BD/loadgen" "$@" -t $((SECS + 2)) >"$T/prof.out" &
	_lg=$!
	sleep 1
	_c0=$(cpu_ticks "$SPID")
	perf record -q -g -F 1999 -o "$_pd/$_lbl.data" -p "$SPID" \
	    -- sleep "$SECS" >/dev/null 2>&1 || log "perf record failed"
	_c1=$(cpu_ticks "$SPID")
	wait "$_lg" || true
	_ops=$(kv "$_key" "$(cat "$T/prof.out")")
	_secs=$(kv secs "$(cat "$T/prof.out")")
	# CPU per operation over the recorded interval (rate held steady).
	_per=$(calc "($_c1 - $_c0) / $HZ / ($_ops / $_secs * $SECS) * $_unit")
	perf report -i "$_pd/$_lbl.data" --stdio --no-children \
	    --sort dso,symbol -g none --percent-limit 1.5 2>/dev/null |
	    grep '%' | grep -v '^#' >"$_pd/$_lbl.top" || true
	{
		echo "profile $_lbl: $(fmt "$_per" 3) server CPU per op" \
		    "(${_unit} = $_key scale); top symbols, share and cost:"
		awk -v per="$_per" '{ p = $1; sub("%", "", p);
		    $1 = ""; printf "  %6.2f%%  %10.4f  %s\n", p,
		    p / 100 * per, $0 }' "$_pd/$_lbl.top" | head -n 25
	} | tee -a "$_pd/summary.txt" >&2
}

profile_run() {
	command -v perf >/dev/null 2>&1 || { log "no perf; skipped"; return 0; }
	certs ecdsa
	mkdir -p "$top/build/profile"
	: >"$top/build/profile/summary.txt"
	backend echo -x
	_xpid=$BPID
	pc_start "$BPORT"
	perf_top handshake ops 1000000 hs -x -p "$PORT" -c 32 -d "$DOMAIN"
	stop "$SPID"
	stop "$_xpid"
	for _dir in up down; do
		if [ $_dir = up ]; then _m=sink; else _m=source; fi
		backend $_m -x
		_xpid=$BPID
		pc_start "$BPORT"
		perf_top "bulk-$_dir" bytes 1073741824 $_dir -x -p "$PORT" \
		    -c 1 -d "$DOMAIN"
		stop "$SPID"
		stop "$_xpid"
	done
}

# xmlstream against a bare libxml2 SAX push parse of the same bytes, in
# the same process (bench_xs.c): MB/s per chunk size, and the memory of
# an idle parser.
section_xmlstream() {
	"$BD/bench_xs" >"$T/xs.md"
	awk -F'|' '/^\| [0-9]+ B \|/ {
		gsub(/ /, "", $2); gsub(/ MB\/s/, "", $3); gsub(/ MB\/s/, "", $4)
		gsub(/ /, "", $3); gsub(/ /, "", $4); gsub(/ /, "", $5)
		printf "xmlstream MB/s, %s chunks\t%s\tlibxml2 SAX\t%s\t%s\t>= 0.8\n",
		    $2, $4, $3, $5 }' "$T/xs.md" >>"$TABLE"
	awk -F'|' '/after that and xs_idle/ { gsub(/ /, "", $3)
		printf "bytes per idle parser (after xs_idle)\t%s\tlibxml2 context\t-\t-\t\n", $3 }' \
	    "$T/xs.md" >>"$TABLE"
}

# ---- main ----------------------------------------------------------------

all_sections=$(sed -n 's/^section_\([a-z0-9_]*\)() {$/\1/p' "$0")
sections=${BENCH_SECTIONS:-$all_sections}
: >"$TABLE"
started=$(date +%s)
for s in $sections; do
	log "section $s"
	case $s in
	profile)	profile_run ;;
	*)		"section_$s" ;;
	esac
done
elapsed=$(($(date +%s) - started))

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
{
	echo "### $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -n)"
	echo
	echo "$(nproc) CPUs ($cpu), Linux $(uname -r);" \
	    "portcullis $("$PORTCULLIS" -V | cut -d' ' -f2-);" \
	    "$(/usr/sbin/hitch --version 2>&1 | head -n 1);" \
	    "stunnel $(dpkg-query -W -f='${Version}' stunnel4 2>/dev/null);" \
	    "prosody $(dpkg-query -W -f='${Version}' prosody 2>/dev/null)."
	echo "Medians of $RUNS runs of ${SECS} s; ratios are portcullis / peer;" \
	    "${elapsed} s in all."
	echo
	echo "| measurement | portcullis | peer | peer's | ratio | goal |"
	echo "|---|---|---|---|---|---|"
	awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s |\n",
	    $1, $2, $3, $4, $5, $6 }' "$TABLE"
	echo
} >"$T/results"
cat "$T/results"
if [ "$RESULTS" != "-" ]; then
	cat "$T/results" >>"$RESULTS"
	log "appended to $RESULTS"
fi
