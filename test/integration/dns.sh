# dns.sh: DNSSEC-signed test DNS for scenarios that resolve XMPP
# domains (SRV, XEP-0368, DANE).  Source it after lib.sh (and netns.sh
# if the servers run in namespaces); call dns_setup after t_setup.
#
# One apex zone (default test.), signed, is the root of everything the
# test resolves: its DS is the trust anchor.  Child zones are delegated
# from it (or from each other), signed with their own keys and a DS in
# the parent, or unsigned (no DS: provably insecure).  Keys are made at
# test time (ldns-keygen, ECDSA P-256, a KSK and a ZSK per zone) and the
# zones signed with ldns-signzone, valid from a day ago for 30 days.
#
#   dns_setup DIR [APEX]         work in DIR (under $T); APEX is signed
#   dns_zone ZONE [signed|nsec3|unsigned]
#                                nsec3: signed, with NSEC3 (RFC 5155)
#                                denials instead of NSEC
#   dns_rr ZONE RR...            records, names relative to ZONE or with
#                                a final dot ("_xmpp-server._tcp SRV ...")
#   dns_host ZONE NAME ADDR...   A or AAAA records, by address family
#   dns_bogus ZONE RR...         records added after signing: the RRset
#                                they join fails validation (bogus)
#   dns_tlsa_for_cert CERT PORT HOST USAGE SELECTOR MTYPE
#                                print the TLSA record for CERT
#   dns_start [ADDR [PORT]]      sign and serve (nsd)
#   dns_resolver_start DIR PORT ADDR...
#                                a validating resolver (unbound)
#   dns_dig ARGS...              dig at the resolver
#   dns_status NAME TYPE         "RCODE ad" or "RCODE -" from the resolver
#
# Outputs (shell variables, set in the scenario's shell):
#   DNS_AUTH_ADDR DNS_AUTH_PORT  where nsd answers (authoritative only)
#   DNS_TRUST_ANCHOR             file: the DS record of the apex KSK
#   DNS_TRUST_DNSKEY             file: the DNSKEY record of the apex KSK
#   DNS_RESOLVER_ADDR DNS_RESOLVER_PORT
#                                the last resolver started (first ADDR)
# Files: DIR/zones/<zone>zone (source), DIR/zones/<zone>signed (served),
# DIR/keys/, DIR/nsd/nsd.log, RESOLVERDIR/unbound.log (why a name is
# bogus: val-log-level 2).
#
# nsd and unbound run where T_NS says (ns_with HOST dns_start ...), and
# dns_dig runs where that resolver runs.  Each answers only what the
# test's zones hold: the resolver knows no root servers (a stub for "."
# points at nsd, which refuses other names), so no query leaves the test.
#
# shellcheck shell=sh

# dns__fqdn NAME: NAME with one final dot, lower case.
dns__fqdn() {
	printf '%s.\n' "${1%.}" | tr '[:upper:]' '[:lower:]'
}

# dns__file ZONE EXT: the path of ZONE's file with extension EXT.
dns__file() {
	echo "$DNS_DIR/zones/$(dns__fqdn "$1")$2"
}

# dns__in CMD...: run CMD where T_NS says (or here).
dns__in() {
	if [ -n "${T_NS:-}" ]; then
		ip netns exec "$T_NS" "$@"
	else
		"$@"
	fi
}

# dns_setup DIR [APEX]: start describing the test's DNS in DIR.
dns_setup() {
	t__under_t "$1"
	DNS_DIR=$1
	DNS_APEX=$(dns__fqdn "${2:-test}")
	mkdir -p "$DNS_DIR/zones" "$DNS_DIR/keys"
	: >"$DNS_DIR/zones.list"
	dns_zone "$DNS_APEX" signed
}

# dns_zone ZONE [signed|unsigned]: a zone inside the apex, delegated
# from the nearest enclosing zone when dns_start runs.
dns_zone() {
	[ -n "${DNS_DIR:-}" ] || t_fail "dns_zone before dns_setup"
	_z=$(dns__fqdn "$1")
	case ${2:-signed} in
	signed|nsec3|unsigned) ;;
	*) t_fail "dns_zone $_z: say signed, nsec3 or unsigned" ;;
	esac
	case $_z in
	"$DNS_APEX"|*".$DNS_APEX") ;;
	*) t_fail "dns_zone: $_z is not inside $DNS_APEX" ;;
	esac
	if grep -q "^$_z " "$DNS_DIR/zones.list"; then
		t_fail "dns_zone: $_z twice"
	fi
	echo "$_z ${2:-signed}" >>"$DNS_DIR/zones.list"
	cat >"$(dns__file "$_z" zone)" <<EOF
\$ORIGIN $_z
\$TTL 60
@	IN SOA ns.$DNS_APEX hostmaster.$DNS_APEX 1 3600 600 86400 60
@	IN NS ns.$DNS_APEX
EOF
}

# dns_rr ZONE RR...: add records to ZONE's source, one per argument.
dns_rr() {
	_f=$(dns__file "$1" zone)
	[ -f "$_f" ] || t_fail "dns_rr: no zone $1 (dns_zone first)"
	shift
	for _rr in "$@"; do
		printf '%s\n' "$_rr" >>"$_f"
	done
}

# dns_host ZONE NAME ADDR...: A records for IPv4 ADDRs, AAAA for IPv6.
dns_host() {
	_hz=$1
	_hn=$2
	shift 2
	for _ha in "$@"; do
		case $_ha in
		*:*) dns_rr "$_hz" "$_hn IN AAAA $_ha" ;;
		*) dns_rr "$_hz" "$_hn IN A $_ha" ;;
		esac
	done
}

# dns_bogus ZONE RR...: records served but not signed.  Added to an
# RRset that has a signature, they make it fail validation; alone at a
# name, they have none while the zone's NSEC denies them: bogus either
# way (SERVFAIL from a validating resolver).
dns_bogus() {
	_f=$(dns__file "$1" bogus)
	grep -q -E "^$(dns__fqdn "$1") (signed|nsec3)\$" \
	    "$DNS_DIR/zones.list" || t_fail "dns_bogus: $1 is not a signed zone"
	[ -f "$_f" ] || printf '\044ORIGIN %s\n\044TTL 60\n' \
	    "$(dns__fqdn "$1")" >"$_f"
	shift
	for _rr in "$@"; do
		printf '%s\n' "$_rr" >>"$_f"
	done
}

# dns__hex: stdin as lower-case hex on one line.
dns__hex() {
	od -A n -v -t x1 | tr -d ' \n'
}

# dns_tlsa_for_cert CERT PORT HOST USAGE SELECTOR MTYPE: print the TLSA
# record "_PORT._tcp.HOST. IN TLSA USAGE SELECTOR MTYPE DATA" for the
# first certificate in the PEM file CERT (RFC 6698 2.1: selector 0 the
# whole certificate, 1 its SubjectPublicKeyInfo; matching type 0 the DER
# itself, 1 its SHA-256, 2 its SHA-512).  For USAGE 0 or 2 pass the CA
# certificate, for 1 or 3 the server's.  A TLSA that does not match is
# this record for another certificate.
dns_tlsa_for_cert() {
	[ $# -eq 6 ] || t_fail "dns_tlsa_for_cert CERT PORT HOST U S M"
	case $4$5$6 in
	[0-3][01][0-2]) ;;
	*) t_fail "dns_tlsa_for_cert: usage 0-3, selector 0-1, type 0-2" ;;
	esac
	_tder="$T/tlsa.$$.der"
	if [ "$5" = 0 ]; then
		openssl x509 -in "$1" -outform DER -out "$_tder"
	else
		openssl x509 -in "$1" -noout -pubkey |
		    openssl pkey -pubin -outform DER -out "$_tder"
	fi
	[ -s "$_tder" ] || t_fail "dns_tlsa_for_cert: cannot read $1"
	case $6 in
	0) _data=$(dns__hex <"$_tder") ;;
	1) _data=$(openssl dgst -sha256 -binary "$_tder" | dns__hex) ;;
	2) _data=$(openssl dgst -sha512 -binary "$_tder" | dns__hex) ;;
	esac
	rm -f "$_tder"
	echo "_$2._tcp.$(dns__fqdn "$3") IN TLSA $4 $5 $6 $_data"
}

# dns__keys ZONE: make ZONE's KSK and ZSK; print their base names.
dns__keys() {
	_kd="$DNS_DIR/keys/$1"
	mkdir -p "$_kd"
	(
		cd "$_kd" &&
		    ldns-keygen -a ECDSAP256SHA256 -k "$1" &&
		    ldns-keygen -a ECDSAP256SHA256 "$1"
	) >"$_kd/keygen.out" 2>&1 || {
		cat "$_kd/keygen.out" >&2
		t_fail "ldns-keygen for $1 failed"
	}
	sed "s|^|$_kd/|" "$_kd/keygen.out"
}

# dns__parent ZONE: the nearest enclosing zone of ZONE.
dns__parent() {
	_pz=${1#*.}
	while [ -n "$_pz" ]; do
		if grep -q "^$_pz " "$DNS_DIR/zones.list"; then
			echo "$_pz"
			return 0
		fi
		_pz=${_pz#*.}
	done
	t_fail "dns__parent: no zone above $1"
}

# dns__sign_all ADDR: delegate and sign every zone, deepest first.
dns__sign_all() {
	dns_rr "$DNS_APEX" "ns IN $(case $1 in *:*) echo AAAA ;; *) echo A ;;
	    esac) $1"
	_inc=$(date -u -d '1 day ago' +%Y%m%d%H%M%S)
	_exp=$(date -u -d '30 days' +%Y%m%d%H%M%S)
	awk '{ print gsub(/\./, "."), $1, $2 }' "$DNS_DIR/zones.list" |
	    sort -rn >"$DNS_DIR/zones.order"
	while read -r _depth _z _how; do
		: "$_depth"
		_src=$(dns__file "$_z" zone)
		_out=$(dns__file "$_z" signed)
		if [ "$_how" != unsigned ]; then
			# shellcheck disable=SC2046 # two key base names.
			set -- $(dns__keys "$_z")
			_n3=""
			[ "$_how" = nsec3 ] && _n3="-n"
			# shellcheck disable=SC2086 # _n3 is empty or one word.
			ldns-signzone $_n3 -i "$_inc" -e "$_exp" -o "$_z" \
			    -f "$_out" "$_src" "$@" >"$DNS_DIR/sign.out" 2>&1 || {
				cat "$DNS_DIR/sign.out" >&2
				t_fail "ldns-signzone $_z failed"
			}
			for _k in "$@"; do
				[ -f "$_k.ds" ] && _ksk=$_k
			done
		else
			cp "$_src" "$_out"
		fi
		if [ -f "$(dns__file "$_z" bogus)" ]; then
			cat "$(dns__file "$_z" bogus)" >>"$_out"
		fi
		if [ "$_z" = "$DNS_APEX" ]; then
			cp "$_ksk.ds" "$DNS_DIR/trust-anchor.ds"
			grep -v '^;' "$_ksk.key" >"$DNS_DIR/trust-anchor.dnskey"
			continue
		fi
		_p=$(dns__parent "$_z")
		dns_rr "$_p" "$_z IN NS ns.$DNS_APEX"
		if [ "$_how" != unsigned ]; then
			dns_rr "$_p" "$(cat "$_ksk.ds")"
		fi
	done <"$DNS_DIR/zones.order"
	DNS_TRUST_ANCHOR="$DNS_DIR/trust-anchor.ds"
	# shellcheck disable=SC2034 # an output, for the scenario.
	DNS_TRUST_DNSKEY="$DNS_DIR/trust-anchor.dnskey"
}

# dns__wait ADDR PORT ZONE PID [+norecurse]: wait up to 10 s until
# ADDR:PORT answers ZONE's SOA (with T_NS as it is).
dns__wait() {
	_i=0
	while [ $_i -lt 100 ]; do
		t__alive "$4" || return 1
		if dns__in dig +tries=1 +time=1 "${5:-+recurse}" -p "$2" "@$1" \
		    SOA "$3" 2>/dev/null | grep -q 'status: NOERROR'; then
			return 0
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# dns_start [ADDR [PORT]]: delegate, sign and serve every zone with nsd
# on ADDR (default 127.0.0.1) and PORT (default free_port), in T_NS if
# set.  Sets DNS_AUTH_ADDR, DNS_AUTH_PORT, DNS_TRUST_ANCHOR and
# DNS_TRUST_DNSKEY.  Zones cannot change once served.
dns_start() {
	[ -n "${DNS_DIR:-}" ] || t_fail "dns_start before dns_setup"
	DNS_AUTH_ADDR=${1:-127.0.0.1}
	DNS_AUTH_PORT=${2:-$(free_port)}
	dns__sign_all "$DNS_AUTH_ADDR"
	_nd="$DNS_DIR/nsd"
	mkdir -p "$_nd"
	{
		echo "server:"
		echo "  ip-address: $DNS_AUTH_ADDR@$DNS_AUTH_PORT"
		echo "  port: $DNS_AUTH_PORT"
		echo "  username: \"\""
		echo "  chroot: \"\""
		echo "  database: \"\""
		echo "  zonesdir: \"$DNS_DIR/zones\""
		echo "  zonelistfile: \"$_nd/zone.list\""
		echo "  xfrdfile: \"$_nd/xfrd.state\""
		echo "  xfrdir: \"$_nd\""
		echo "  pidfile: \"$_nd/nsd.pidfile\""
		echo "  logfile: \"$_nd/nsd.log\""
		echo "  verbosity: 1"
		echo "  server-count: 1"
		echo "  reuseport: no"
		echo "  hide-version: yes"
		echo "remote-control:"
		echo "  control-enable: no"
		while read -r _z _how; do
			echo "zone:"
			echo "  name: \"$_z\""
			echo "  zonefile: \"${_z}signed\""
		done <"$DNS_DIR/zones.list"
	} >"$_nd/nsd.conf"
	nsd-checkconf "$_nd/nsd.conf" >&2 ||
	    t_fail "nsd-checkconf refused $_nd/nsd.conf"
	t_spawn "$_nd" nsd nsd -d -c "$_nd/nsd.conf"
	dns__wait "$DNS_AUTH_ADDR" "$DNS_AUTH_PORT" "$DNS_APEX" "$T_PID" \
	    +norecurse ||
	    t_fail "nsd does not answer on $DNS_AUTH_ADDR port $DNS_AUTH_PORT"
	t_log "nsd: $(wc -l <"$DNS_DIR/zones.list") zones under $DNS_APEX" \
	    "on $DNS_AUTH_ADDR port $DNS_AUTH_PORT${T_NS:+ in $T_NS}"
}

# dns_resolver_start DIR PORT ADDR...: a validating unbound in DIR
# (under $T) answering on each ADDR at PORT, in T_NS if set, trusting
# only DNS_TRUST_ANCHOR and asking only nsd.  Sets DNS_RESOLVER_ADDR
# (the first ADDR) and DNS_RESOLVER_PORT.  Call after dns_start.
dns_resolver_start() {
	[ -n "${DNS_AUTH_PORT:-}" ] || t_fail "dns_resolver_start before dns_start"
	t__under_t "$1"
	_ud=$1
	_up=$2
	shift 2
	[ $# -ge 1 ] || t_fail "dns_resolver_start DIR PORT ADDR..."
	mkdir -p "$_ud"
	_auth="$DNS_AUTH_ADDR@$DNS_AUTH_PORT"
	{
		echo "server:"
		for _ua in "$@"; do
			echo "  interface: $_ua@$_up"
		done
		echo "  port: $_up"
		echo "  access-control: 0.0.0.0/0 allow"
		echo "  access-control: ::/0 allow"
		echo "  username: \"\""
		echo "  chroot: \"\""
		echo "  directory: \"$_ud\""
		echo "  pidfile: \"$_ud/unbound.pidfile\""
		echo "  logfile: \"$_ud/unbound.log\""
		echo "  use-syslog: no"
		echo "  verbosity: 1"
		echo "  val-log-level: 2"
		echo "  log-servfail: yes"
		echo "  num-threads: 1"
		echo "  so-reuseport: no"
		echo "  do-not-query-localhost: no"
		echo "  qname-minimisation: no"
		# Otherwise a name that dns_bogus adds where the signed NSEC
		# chain says nothing exists would be answered NXDOMAIN from
		# the cache, without asking, once a neighbour was looked up.
		echo "  aggressive-nsec: no"
		echo "  module-config: \"validator iterator\""
		echo "  trust-anchor-file: \"$DNS_TRUST_ANCHOR\""
		# .test is a special-use name (RFC 6761) unbound would answer
		# itself; here it is the test's DNS tree.
		echo "  local-zone: \"test.\" nodefault"
		echo "remote-control:"
		echo "  control-enable: no"
		# Every zone straight from nsd (its port is not 53, so
		# referrals alone could not reach it), and "." too: nsd
		# refuses names outside the test, and no root server is asked.
		echo "stub-zone:"
		echo "  name: \".\""
		echo "  stub-addr: $_auth"
		while read -r _z _how; do
			echo "stub-zone:"
			echo "  name: \"$_z\""
			echo "  stub-addr: $_auth"
		done <"$DNS_DIR/zones.list"
	} >"$_ud/unbound.conf"
	unbound-checkconf "$_ud/unbound.conf" >"$_ud/checkconf.out" 2>&1 || {
		cat "$_ud/checkconf.out" >&2
		t_fail "unbound-checkconf refused $_ud/unbound.conf"
	}
	t_spawn "$_ud" unbound unbound -d -c "$_ud/unbound.conf"
	DNS_RESOLVER_ADDR=$1
	DNS_RESOLVER_PORT=$_up
	DNS_RESOLVER_NS=${T_NS:-}
	dns__wait "$1" "$_up" "$DNS_APEX" "$T_PID" ||
	    t_fail "unbound does not answer on $1 port $_up"
	t_log "unbound: validating for $DNS_APEX on $* port $_up${T_NS:+ in $T_NS}"
}

# dns_dig ARGS...: dig ARGS at the last resolver started, from where it
# runs (+dnssec, one try of 3 s).
dns_dig() {
	[ -n "${DNS_RESOLVER_PORT:-}" ] || t_fail "dns_dig before dns_resolver_start"
	set -- dig +dnssec +tries=1 +time=3 -p "$DNS_RESOLVER_PORT" \
	    "@$DNS_RESOLVER_ADDR" "$@"
	if [ -n "$DNS_RESOLVER_NS" ]; then
		ip netns exec "$DNS_RESOLVER_NS" "$@"
	else
		"$@"
	fi
}

# dns_status NAME TYPE: the resolver's verdict on NAME/TYPE: its RCODE
# and "ad" if the answer is authenticated, "-" if not.  "NOERROR ad" is
# secure, "NOERROR -" insecure, "SERVFAIL -" bogus (or unreachable).
dns_status() {
	dns_dig "$1" "$2" >"$DNS_DIR/status.out" 2>&1
	_rc=$(sed -n 's/.*status: \([A-Z]*\).*/\1/p' "$DNS_DIR/status.out")
	if grep -q '^;; flags:[^;]* ad[ ;]' "$DNS_DIR/status.out"; then
		echo "${_rc:-NONE} ad"
	else
		echo "${_rc:-NONE} -"
	fi
}
