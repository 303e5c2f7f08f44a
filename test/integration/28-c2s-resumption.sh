#!/bin/sh
# 28-c2s-resumption: TLS session tickets (STANDARDS.md TLS-7).  A client
# that comes back with its ticket resumes, and the gateway logs the
# resumed handshake like any other, with resumed=yes, after the same
# policy checks.  Tickets are bound to the domain they were issued for:
# a.test's ticket offered under SNI b.test gets a full handshake.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
t_setup c2s-resumption
t_need_portcullis
command -v gnutls-cli >/dev/null 2>&1 || t_skip "no gnutls-cli"
command -v openssl >/dev/null 2>&1 || t_skip "no openssl"

make_ca "$T/ca"
make_cert "$T/ca" a.test a.test
make_cert "$T/ca" b.test b.test
c2s=$(free_port)
direct=$(free_port)
# No backend is reached: a handshake is all these clients do.
nobody=$(free_port)
cat >"$T/portcullis.conf" <<CONF
workers = 2;
listen = (
  { role = "c2s"; address = "127.0.0.1:$c2s"; },
  { role = "c2s"; address = "127.0.0.1:$direct"; tls = "direct";
    domain = "a.test"; }
);
domains = (
  { name = "a.test";
    certificate = "$T/ca/a.test.pem"; key = "$T/ca/a.test.key";
    c2s-backend = "127.0.0.1:$nobody"; },
  { name = "b.test";
    certificate = "$T/ca/b.test.pem"; key = "$T/ca/b.test.key";
    c2s-backend = "127.0.0.1:$nobody"; }
);
CONF
start_portcullis "$T/pc" "$T/portcullis.conf" "$c2s" "$direct"

# TLS 1.3 and 1.2: the second connection resumes with the first's ticket.
for v in 1.3 1.2; do
	gnutls-cli --resume --x509cafile="$T/ca/ca.pem" --sni-hostname=a.test \
	    --verify-hostname=a.test \
	    --alpn=xmpp-client --priority="NORMAL:-VERS-ALL:+VERS-TLS$v" \
	    --port="$direct" 127.0.0.1 </dev/null >"$T/resume-$v.out" 2>&1 ||
	    true
	grep -q "This is a resumed session" "$T/resume-$v.out" ||
	    t_fail "TLS $v: no resumption: $(tail -n 20 "$T/resume-$v.out")"
done
pc_log_has tls.established 'resumed=yes' ||
    t_fail "no tls.established record with resumed=yes"
n=$(grep -E ' tls.established .*domain=a.test' "$PC_LOG" |
    grep -c 'resumed=yes' || true)
[ "$n" -ge 2 ] || t_fail "$n resumed tls.established records, want 2"
t_log "resumed under TLS 1.3 and 1.2, logged with resumed=yes"

# A ticket of a.test, offered under SNI b.test, and under a.test again.
# OpenSSL offers a session's ticket whatever the SNI (its ClientHello
# carries the pre_shared_key extension; see it with -msg).
ossl() {
	openssl s_client -connect "127.0.0.1:$direct" -CAfile "$T/ca/ca.pem" \
	    -alpn xmpp-client "$@" </dev/null 2>&1
}
ossl -tls1_3 -servername a.test -sess_out "$T/a.sess" >"$T/a1.out" ||
    true
grep -q '^New, TLSv1.3' "$T/a1.out" ||
    t_fail "first a.test handshake: $(tail -n 20 "$T/a1.out")"
[ -s "$T/a.sess" ] || t_fail "no ticket from a.test"
ossl -tls1_3 -servername b.test -sess_in "$T/a.sess" >"$T/b.out" || true
grep -q 'subject=.*CN = b.test' "$T/b.out" ||
    t_fail "SNI b.test did not get b.test: $(tail -n 20 "$T/b.out")"
if grep -q '^Reused' "$T/b.out"; then
	t_fail "a.test's ticket resumed a session under SNI b.test"
fi
grep -q '^New, TLSv1.3' "$T/b.out" ||
    t_fail "SNI b.test: no full handshake: $(tail -n 20 "$T/b.out")"
ossl -tls1_3 -servername a.test -sess_in "$T/a.sess" >"$T/a2.out" || true
grep -q '^Reused, TLSv1.3' "$T/a2.out" ||
    t_fail "a.test's ticket did not resume under a.test"
pc_log_has tls.established 'sni=b.test.*resumed=no' ||
    t_fail "no full handshake logged for SNI b.test"
t_log "a.test's ticket: full handshake under b.test, resumed under a.test"
