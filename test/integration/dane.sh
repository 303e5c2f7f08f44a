# dane.sh: the pieces the DNSSEC, DANE and POSH scenarios (4N-*.sh) add
# to the federation world of fed.sh.  Source it after fed.sh.
#
#   dane_zone DOMAIN ADDR PORT [signed|unsigned]
#                        a zone for DOMAIN (inside fed_extra_dns): its
#                        server xmpp.DOMAIN at ADDR, an _xmpp-server._tcp
#                        SRV record to it on PORT, and DOMAIN itself at
#                        ADDR (what the backend dials if SRV fails)
#   dane_prosody HOST DIR CERT CAFILE C2S S2S DOMAIN...
#                        one prosody on HOST serving every DOMAIN with
#                        the one chain CERT.pem/CERT.key (as prosody takes
#                        its certificate globally), peers checked against
#                        CAFILE, c2s on C2S and s2s on S2S; users
#                        $XMPP_USERS on each domain
#   dane_send TAG TARGET...
#                        alice@legacy.test writes to bob at each TARGET:
#                        DOMAIN (not expected to arrive) or
#                        DOMAIN@ADDR:C2S:CAFILE (bob logs in there first
#                        to receive it).  Prints "DOMAIN delivered", the
#                        bounce's condition, or "DOMAIN nothing".
#   dane_inbound TAG DOMAIN@ADDR:C2S:CAFILE...
#                        bob on each DOMAIN writes to alice@legacy.test;
#                        prints "DOMAIN delivered" or "DOMAIN nothing"; a
#                        SPEC starting with ! is not expected to arrive,
#                        and waited for only 5 s after the others"
#   dane_expect FILE DOMAIN WORD
#                        dane_send's output FILE says WORD for DOMAIN
#
# shellcheck shell=sh

dane_zone() {
	dns_zone "$1" "${4:-signed}"
	dns_host "$1" xmpp "$2"
	dns_host "$1" "$1." "$2"
	dns_rr "$1" "_xmpp-server._tcp IN SRV 0 5 $3 xmpp"
}

dane_prosody() {
	_dh=$1
	_dd=$2
	_dc2s=$5
	_ds2s=$6
	t__under_t "$_dd"
	mkdir -p "$_dd/data" "$_dd/certs"
	if ! cp "$3.pem" "$_dd/tls.pem" || ! cp "$3.key" "$_dd/tls.key" ||
	    ! cp "$4" "$_dd/tls-ca.pem"; then
		t_fail "dane_prosody: cannot copy $3.pem, $3.key or $4"
	fi
	shift 6
	t__fill "$TI/conf/prosody/remote.cfg.lua.in" "$_dd/prosody.cfg.lua" \
	    DIR="$_dd" DOMAIN="$1" C2S_PORT="$_dc2s" S2S_PORT="$_ds2s" \
	    S2S_DIRECT_TLS_PORT="" S2S_REQUIRE_ENCRYPTION=true \
	    S2S_SECURE_AUTH=true
	shift
	for _dv in "$@"; do
		printf 'VirtualHost "%s"\n' "$_dv" >>"$_dd/prosody.cfg.lua"
	done
	sed -n 's/^VirtualHost "\(.*\)"$/\1/p' "$_dd/prosody.cfg.lua" \
	    >"$_dd/domains"
	while read -r _dv; do
		for _u in $XMPP_USERS; do
			if ! prosodyctl --config "$_dd/prosody.cfg.lua" register \
			    "${_u%%:*}" "$_dv" "${_u#*:}" \
			    >>"$_dd/prosodyctl.out" 2>&1 </dev/null; then
				cat "$_dd/prosodyctl.out" >&2
				t_fail "prosodyctl register ${_u%%:*}@$_dv failed"
			fi
		done
	done <"$_dd/domains"
	ns_spawn "$_dh" "$_dd" prosody prosody --config \
	    "$_dd/prosody.cfg.lua" -F
	_dpid=$T_PID
	for _p in "$_dc2s" "$_ds2s"; do
		ns_with "$_dh" wait_port "$_p" 15 "$_dpid"
	done
	t_log "prosody on $_dh for $(tr '\n' ' ' <"$_dd/domains")(c2s" \
	    "$_dc2s, s2s $_ds2s)"
	T_PID=$_dpid
}

dane_send() {
	_dt=$1
	shift
	ns_exec legacy "$T_PY" - "$TI" "$_dt" "$@" <<'PY'
import re, ssl, sys, time
sys.path.insert(0, sys.argv[1])
from xmpp import Raw
tag, targets = sys.argv[2], sys.argv[3:]
tos, bobs = [], {}
for spec in targets:
    to, _, where = spec.partition("@")
    tos.append(to)
    if not where:
        continue
    host, port, cafile = where.split(":", 2)
    # The servers here name other hosts than the domains they serve (that
    # is the point of DANE and POSH): check the chain, not the name.
    b = Raw(host, int(port), timeout=20)
    b.send(b.header(to))
    b.expect(rb"</stream:features>")
    b.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    b.expect(rb"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False
    b.sock.settimeout(b.timeout)
    b.sock = ctx.wrap_socket(b.sock, server_hostname=to)
    b.buf = b""
    b.login(to, "bob", "secret-bob", "b")
    bobs[to] = b
alice = Raw("127.0.0.1", 5322, timeout=40)
alice.login("legacy.test", "alice", "secret-alice", tag)
for to in tos:
    alice.send("<message to='bob@%s/b' id='%s-%s'><body>%s to %s</body>"
               "</message>" % (to, tag, to, tag, to))
result = {to: None for to in tos}
deadline = time.monotonic() + 35
while None in result.values() and time.monotonic() < deadline:
    for to, b in bobs.items():
        if result[to] is None and ("%s to %s" % (tag, to)).encode() in \
                b.received:
            result[to] = "delivered"
    try:
        alice.sock.settimeout(0.3)
        alice.received += alice.sock.recv(65536)
    except OSError:
        pass
    text = alice.received.decode(errors="replace")
    for m in re.finditer(r"<message\b([^>]*)>(.*?)</message>", text, re.S):
        attrs, inner = m.group(1), m.group(2)
        if not re.search(r"type=['\"]error['\"]", attrs):
            continue
        for to in tos:
            if result[to] is None and re.search(
                    r"id=['\"]%s-%s['\"]" % (tag, re.escape(to)), attrs):
                c = re.search(r"<error[^>]*>\s*<([a-z-]+)", inner)
                result[to] = c.group(1) if c else "error"
    for b in bobs.values():
        try:
            b.sock.settimeout(0.1)
            b.received += b.sock.recv(65536)
        except OSError:
            pass
for to in tos:
    print("%s %s" % (to, result[to] or "nothing"))
PY
}

# dane_expect FILE DOMAIN WORD: the line of DOMAIN in dane_send's output
# FILE says WORD (a bounce condition may be given by its first word).
dane_expect() {
	grep -q "^$2 $3" "$1" || t_fail "$2: wanted '$3', got '$(grep "^$2 " \
	    "$1" | cut -d' ' -f2-)'"
}

# dane_inbound TAG SPEC...: for each SPEC, DOMAIN@ADDR:C2S:CAFILE, bob
# logs in there and writes to alice@legacy.test, who is logged in to the
# backend.  Prints "DOMAIN delivered" or "DOMAIN nothing" for each.
dane_inbound() {
	_it=$1
	shift
	ns_exec legacy "$T_PY" - "$TI" "$_it" "$@" <<'PY'
import ssl, sys, time
sys.path.insert(0, sys.argv[1])
from xmpp import Raw
tag, specs = sys.argv[2], sys.argv[3:]
alice = Raw("127.0.0.1", 5322, timeout=40)
alice.login("legacy.test", "alice", "secret-alice", tag)
bobs, unwanted = {}, set()
for spec in specs:
    if spec.startswith("!"):
        spec = spec[1:]
        unwanted.add(spec.partition("@")[0])
    dom, _, where = spec.partition("@")
    host, port, cafile = where.split(":", 2)
    b = Raw(host, int(port), timeout=20)
    b.send(b.header(dom))
    b.expect(rb"</stream:features>")
    b.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    b.expect(rb"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False
    b.sock.settimeout(b.timeout)
    b.sock = ctx.wrap_socket(b.sock, server_hostname=dom)
    b.buf = b""
    b.login(dom, "bob", "secret-bob", "b")
    b.send("<message to='alice@legacy.test' id='%s-%s'><body>%s from %s"
           "</body></message>" % (tag, dom, tag, dom))
    bobs[dom] = b
result = {d: None for d in bobs}
deadline = time.monotonic() + 30
while None in result.values() and time.monotonic() < deadline:
    try:
        alice.sock.settimeout(0.3)
        alice.received += alice.sock.recv(65536)
    except OSError:
        pass
    for d in bobs:
        if result[d] is None and ("%s from %s" % (tag, d)).encode() in \
                alice.received:
            result[d] = "delivered"
    # What should not arrive gets a few seconds more than what should.
    if all(result[d] for d in bobs if d not in unwanted):
        deadline = min(deadline, time.monotonic() + 5)
for d in bobs:
    print("%s %s" % (d, result[d] or "nothing"))
PY
}
