# fed.sh: the world of the federation scenarios (3N-*.sh), sourced after
# lib.sh, netns.sh, dns.sh and s2s.sh.
#
#   fed_world [HOST...]  three hosts, and any HOST more: dns (nsd +
#                        unbound, signed zones),
#                        remote (prosody for remote.test, TLS required,
#                        certificates checked against the test CA) and
#                        legacy (where the backend and portcullis run);
#                        DNS sends legacy.test's s2s to portcullis.  A
#                        scenario may define fed_extra_dns to add zones
#                        before the DNS starts; every host resolves
#                        through the test's resolver.
#   fed_gateway BACKEND_S2S_PORT [EXTRA]
#                        portcullis on legacy: inbound s2s STARTTLS on
#                        5269 and direct TLS on 5270, outbound s2s on
#                        127.0.0.1:15270 where an iptables REDIRECT by
#                        owner sends the backend's own s2s; EXTRA goes
#                        into the configuration.  The control socket is
#                        $T/pc/control.sock (portcullis-ctl -s).
#   fed_chat NAME [ARGS]  alice@legacy.test (on the backend's plaintext
#                        c2s port 5322, inside legacy) and bob@remote.test
#                        exchange messages across federation.
#
# shellcheck shell=sh

fed_world() {
	ns_create dns remote legacy "$@"
	FED_DNS4=$(ns_addr dns)
	FED_REMOTE4=$(ns_addr remote)
	FED_REMOTE6=$(ns_addr remote 6)
	FED_LEGACY4=$(ns_addr legacy)
	FED_LEGACY6=$(ns_addr legacy 6)

	make_ca "$T/ca"
	EKU=both make_cert "$T/ca" remote remote.test
	EKU=both make_cert "$T/ca" legacy legacy.test
	# A certificate the CA signed, but for another name.
	EKU=both make_cert "$T/ca" wrongname other.test

	dns_setup "$T/dns"
	dns_zone remote.test
	dns_zone legacy.test
	dns_host remote.test xmpp "$FED_REMOTE4" "$FED_REMOTE6"
	dns_rr remote.test \
	    "_xmpp-client._tcp IN SRV 0 5 5222 xmpp" \
	    "_xmpp-server._tcp IN SRV 0 5 5269 xmpp"
	dns_host legacy.test xmpp "$FED_LEGACY4" "$FED_LEGACY6"
	dns_rr legacy.test \
	    "_xmpp-server._tcp IN SRV 0 5 5269 xmpp" \
	    "_xmpps-server._tcp IN SRV 0 5 5270 xmpp"
	if command -v fed_extra_dns >/dev/null 2>&1; then
		fed_extra_dns
	fi
	ns_with dns dns_start "$FED_DNS4" 5300
	ns_with dns dns_resolver_start "$T/unbound" 53 "$FED_DNS4"
	for _fh in remote legacy "$@"; do
		ns_resolv "$_fh" "$FED_DNS4"
	done

	REMOTE_S2S_PORT=5269
	remote_prosody remote "$T/remote" remote.test "$T/ca/remote" \
	    "$T/ca/ca.pem"
	FED_REMOTE_PID=$T_PID
}

fed_gateway() {
	{
		cat <<EOF
workers = 2;
state-directory = "$T/state";
listen = (
  { role = "s2s"; address = "$FED_LEGACY4:5269"; },
  { role = "s2s"; address = "[$FED_LEGACY6]:5269"; },
  { role = "s2s"; address = "$FED_LEGACY4:5270"; tls = "direct"; },
  { role = "s2s"; address = "[$FED_LEGACY6]:5270"; tls = "direct"; },
  { role = "s2s-out"; address = "127.0.0.1:15270"; },
  { role = "s2s-out"; address = "[::1]:15270"; }
);
domains = ( {
  name = "legacy.test";
  certificate = "$T/ca/legacy.pem";
  key = "$T/ca/legacy.key";
  s2s-backend = "127.0.0.1:$1";
} );
trust = { system = false; ca-files = [ "$T/ca/ca.pem" ]; };
dns = { resolver = "$FED_DNS4:53"; trust-ad = true; };
control = { socket = "$T/pc/control.sock"; };
EOF
		printf '%s\n' "${2:-}"
	} >"$T/portcullis.conf"
	mkdir -p "$T/pc"
	if ! "$PORTCULLIS" -n -f "$T/portcullis.conf" >"$T/pc/check.out" 2>&1
	then
		cat "$T/pc/check.out" >&2
		t_fail "portcullis -n refused the configuration"
	fi
	ns_spawn legacy "$T/pc" portcullis "$PORTCULLIS" -d \
	    -f "$T/portcullis.conf"
	PC_PID=$T_PID
	PC_LOG="$T/pc/portcullis.stderr.log"
	ns_with legacy wait_port 15270 15 "$PC_PID"
	# The backend's own s2s goes to portcullis, whatever it dials.
	ns_redirect legacy "$T_BACKEND_USER" 15270
	t_log "portcullis (pid $PC_PID) on legacy: s2s 5269/5270, out 15270"
}

fed_chat() {
	_fn=$1
	shift
	s2s_chat legacy "$_fn" --port 5322 --domain legacy.test --plaintext \
	    --b-host "$FED_REMOTE4" --b-port 5222 --b-domain remote.test \
	    --b-mode starttls --cafile "$T/ca/ca.pem" --count 10 --pings 5 \
	    --timeout 40 "$@"
}
