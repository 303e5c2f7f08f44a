# netns.sh: network namespaces for scenarios that need hosts of their
# own (s2s federation, DNS on port 53, iptables REDIRECT).  Source it
# after lib.sh and after t_setup; everything here needs root (need_root).
#
# The hosts of one test share a private LAN: a bridge in a namespace of
# its own (the hub), and for every host a veth pair from the bridge to
# the host's eth0.  Nothing is added to the root namespace, which has no
# route to the LAN, so nothing a test starts here can reach beyond it.
#
#   LAN     10.A.B.0/24 and fd00:A:B::/64 (hex), A.B derived from $$
#   host N  10.A.B.N and fd00:A:B::N, N = 1, 2, ... in creation order
#   names   namespace pc-<suffix of $T>-<host>; links br0 and pN in the
#           hub, eth0 in each host
#
#   need_root                  skip (77) unless root
#   ns_create HOST...          the hosts, on the LAN
#   ns_addr HOST [4|6]         print HOST's LAN address
#   ns_name HOST               print HOST's namespace name
#   ns_resolv HOST NS_ADDR...  HOST's /etc/resolv.conf
#   ns_exec HOST CMD...        CMD inside HOST, in the foreground
#   ns_spawn HOST DIR NAME CMD...
#                              t_spawn inside HOST
#   ns_with HOST FUNCTION ARGS...
#                              a lib.sh function with T_NS set to HOST
#   ns_redirect HOST USER PORT ROUTE-1 (a) REDIRECT rules inside HOST
#   ns_nat_rules HOST          print HOST's nat OUTPUT rules
#
# Each host has lo up (127.0.0.1, ::1) and may have its own resolv.conf
# (ns_resolv), which ip netns exec shows its processes as /etc/resolv.conf.
# iptables rules made inside a host (ns_redirect) live and die with it.
#
# Cleanup is registered with lib.sh's exit trap (t_on_exit): after the
# test's processes have stopped, its namespaces are deleted and their
# /etc/netns directories removed, pass or fail.
#
# Environment: T_NS (the namespace t_spawn and wait_port use, set by
# ns_with), T_RUNAS (the user t_spawn runs as).
#
# shellcheck shell=sh

# need_root: skip the scenario unless it runs as root.
need_root() {
	[ "$(id -u)" -eq 0 ] ||
	    t_skip "needs root (network namespaces, iptables); run as root"
	command -v ip >/dev/null 2>&1 || t_skip "no ip(8) (iproute2)"
}

# ns__lan: this test's LAN prefix A.B (decimal), from $$.
ns__lan() {
	echo "$(($$ / 256 % 256)).$(($$ % 256))"
}

# ns_name HOST: the namespace name of HOST, as ip netns knows it.
ns_name() {
	[ -n "${T:-}" ] || t_fail "ns_name before t_setup"
	echo "pc-${T##*.}-$1"
}

# ns__hosts: the hosts of this test, one per line, in creation order.
ns__hosts() {
	cat "$T/netns/hosts" 2>/dev/null || true
}

# ns_create HOST...: make a namespace for each HOST, with lo up and
# eth0 on the test's LAN (made on first use).  HOST is a word of
# [a-z0-9], not "hub".  Call it from the scenario's own shell, not inside
# $(...): it registers the cleanup.
ns_create() {
	[ -n "${T:-}" ] || t_fail "ns_create before t_setup"
	mkdir -p "$T/netns"
	t_on_exit ns__cleanup
	if [ ! -f "$T/netns/hub" ]; then
		ns__add hub
		_hub=$(ns_name hub)
		ip -n "$_hub" link add br0 type bridge ||
		    t_fail "cannot make the LAN bridge in $_hub"
		ip -n "$_hub" link set br0 up
		echo "$_hub" >"$T/netns/hub"
	fi
	_hub=$(cat "$T/netns/hub")
	_lan=$(ns__lan)
	for _h in "$@"; do
		case $_h in
		hub|*[!a-z0-9]*|"") t_fail "ns_create: bad host name '$_h'" ;;
		esac
		if grep -qx "$_h" "$T/netns/hosts" 2>/dev/null; then
			t_fail "ns_create: $_h exists"
		fi
		_n=$(($(ns__hosts | wc -l) + 1))
		[ "$_n" -le 250 ] || t_fail "ns_create: too many hosts"
		_ns=$(ns_name "$_h")
		ns__add "$_h"
		echo "$_h" >>"$T/netns/hosts"
		# Both ends are made inside namespaces: none touches the root one.
		ip -n "$_hub" link add "p$_n" type veth peer name eth0 \
		    netns "$_ns" || t_fail "cannot make the veth pair for $_h"
		ip -n "$_hub" link set "p$_n" master br0 up
		ip -n "$_ns" addr add "10.$_lan.$_n/24" dev eth0
		# nodad: the address is usable at once, not after DAD.
		ip -n "$_ns" addr add \
		    "$(ns__v6 "$_lan" "$_n")/64" dev eth0 nodad
		ip -n "$_ns" link set eth0 up
		t_log "host $_h: namespace $_ns, 10.$_lan.$_n," \
		    "$(ns__v6 "$_lan" "$_n")"
	done
}

# ns__v6 A.B N: the IPv6 address of host N on LAN A.B.
ns__v6() {
	printf 'fd00:%x:%x::%x\n' "${1%.*}" "${1#*.}" "$2"
}

# ns__add HOST: the namespace itself, with lo up, recorded for cleanup
# before anything else can fail.
ns__add() {
	_an=$(ns_name "$1")
	echo "$_an" >>"$T/netns/names"
	ip netns add "$_an" || t_fail "cannot create network namespace $_an"
	ip -n "$_an" link set lo up
}

# ns_addr HOST [4|6]: the LAN address of HOST (IPv4 unless 6).
ns_addr() {
	_i=$(ns__hosts | grep -n -x "$1" | cut -d: -f1)
	[ -n "$_i" ] || t_fail "ns_addr: no host $1"
	if [ "${2:-4}" = 6 ]; then
		ns__v6 "$(ns__lan)" "$_i"
	else
		echo "10.$(ns__lan).$_i"
	fi
}

# ns_resolv HOST NAMESERVER...: the resolv.conf of HOST's processes
# (/etc/netns/<namespace>/resolv.conf).  Processes started before this
# keep the resolv.conf they saw.
ns_resolv() {
	_rd=/etc/netns/$(ns_name "$1")
	shift
	# A parallel test's cleanup may remove an empty /etc/netns between
	# our mkdir of it and of its child: try twice.
	mkdir -p "$_rd" 2>/dev/null || mkdir -p "$_rd" ||
	    t_fail "cannot create $_rd"
	{
		for _a in "$@"; do
			echo "nameserver $_a"
		done
		echo "options attempts:2 timeout:2"
	} >"$_rd/resolv.conf"
}

# ns_exec HOST CMD...: run CMD inside HOST in the foreground; its exit
# status is CMD's.
ns_exec() {
	_en=$(ns_name "$1")
	shift
	ip netns exec "$_en" "$@"
}

# ns_spawn HOST DIR NAME CMD...: t_spawn inside HOST: CMD in the
# background, output DIR/NAME.stderr.log, pid DIR/NAME.pid and $T_PID.
# From the scenario's own shell only (see t_spawn).
ns_spawn() {
	_sh=$1
	shift
	ns_with "$_sh" t_spawn "$@"
}

# ns_with HOST FUNCTION ARGS...: call a lib.sh function (start_jabberd2,
# start_prosody_backend, wait_port, t_spawn, ...) so that what it runs
# and waits for is inside HOST; in this shell, so that spawned processes
# stay the trap's.
ns_with() {
	_wo=${T_NS:-}
	T_NS=$(ns_name "$1")
	shift
	"$@"
	_wr=$?
	T_NS=$_wo
	return $_wr
}

# ns_redirect HOST USER PORT: ROUTE-1 (a) inside HOST: every TCP
# connection that USER's processes open to an address outside
# 127.0.0.0/8 (::1 for IPv6) goes to PORT on loopback instead, where
# SO_ORIGINAL_DST tells the original destination.  The rules live in
# HOST's own tables and vanish with it; never in the root namespace.
ns_redirect() {
	_xn=$(ns_name "$1")
	_xu=$(id -u "$2") || t_fail "ns_redirect: no user $2"
	for _ipt in "iptables ! -d 127.0.0.0/8" "ip6tables ! -d ::1/128"; do
		# shellcheck disable=SC2086 # the command and its match, split.
		ip netns exec "$_xn" $_ipt -t nat -A OUTPUT -p tcp \
		    -m owner --uid-owner "$_xu" -j REDIRECT --to-ports "$3" ||
		    t_fail "ns_redirect: ${_ipt%% *} failed in $_xn"
	done
	t_log "host $1: TCP from uid $_xu to non-loopback goes to port $3"
}

# ns_nat_rules HOST: the nat OUTPUT rules of HOST, IPv4 then IPv6.
ns_nat_rules() {
	_xn=$(ns_name "$1")
	ip netns exec "$_xn" iptables -t nat -S OUTPUT
	ip netns exec "$_xn" ip6tables -t nat -S OUTPUT
}

# ns__cleanup: delete this test's namespaces and /etc/netns entries
# (registered by ns_create with t_on_exit; the processes are gone by
# now).  Returns non-zero if anything is left.
ns__cleanup() {
	[ -f "$T/netns/names" ] || return 0
	_left=0
	while read -r _cn; do
		rm -rf "/etc/netns/$_cn"
		if [ -e "/run/netns/$_cn" ]; then
			ip netns delete "$_cn" || _left=1
		fi
	done <"$T/netns/names"
	rmdir /etc/netns 2>/dev/null
	rm -f "$T/netns/names"
	return $_left
}
