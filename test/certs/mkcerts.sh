#!/bin/sh
# mkcerts.sh DIR: the certificates the certstore and policy unit tests
# need, made with certtool at test time into DIR (created).  Everything
# is signed by an ECDSA root (ca) through an intermediate (int), so a
# chain file NAME.pem is leaf then intermediate and ca.pem is the only
# anchor.  Each leaf has NAME.key, NAME.crt (leaf alone), NAME.pem.
#
#   good        DNS example.org, conference.example.org; serverAuth+clientAuth
#   serveronly  DNS example.org; EKU serverAuth only (the Let's Encrypt shape)
#   clientonly  DNS example.org; EKU clientAuth only
#   noeku       DNS example.org; no EKU extension at all
#   wrongname   DNS other.example
#   expired     DNS example.org; ended yesterday
#   future      DNS example.org; starts in 10 days
#   soon        DNS example.org; ends in 10 days
#   selfsigned  DNS example.org; its own issuer
#   wildcard    DNS *.example.org
#   badwild     DNS f*.example.org, *.*.example.org, *.org
#   srvserver   SRVName _xmpp-server.example.org only (CN example.org)
#   srvclient   SRVName _xmpp-client.example.org only (CN example.org)
#   xmppaddr    XmppAddr example.org only (CN example.org)
#   idn         DNS xn--bcher-kva.example (bücher.example)
#   cnonly      CN example.org, no subjectAltName
#   rsa1024     RSA 1024-bit key, DNS example.org
#   rsa2048     RSA 2048-bit key, DNS example.org
#
# TLSA data (RFC 6698 2.1) made with openssl, as lower-case hex with no
# newline, so DANE tests compare with a second implementation:
#   NAME.s<S>m<M>  for good, expired, wrongname, int and ca: selector S
#                  (0 certificate, 1 SPKI), matching type M (0 the DER
#                  itself, 1 SHA-256, 2 SHA-512)
#
# OCSP responses (DER, made with openssl ocsp, valid for one day):
#   good.ocsp       good: status good, signed by the intermediate
#   wrongname.ocsp  wrongname: status revoked
#   badsig.ocsp     good: status good, but signed by the root instead
#
# Keys are ECDSA P-256 unless named rsa*.  Runs in about a second.
set -eu

D=$1
mkdir -p "$D"
cd "$D"

day() {
	date -u -d "$1" '+%Y-%m-%d %H:%M:%S'
}

# DER of an IA5String, in hex, for certtool's other_name.
ia5() {
	printf '16%02x%s' "$(printf '%s' "$1" | wc -c)" \
	    "$(printf '%s' "$1" | od -A n -t x1 | tr -d ' \n')"
}

key() {
	case $1 in
	rsa1024)	certtool --generate-privkey --key-type=rsa --bits=1024 \
			    --no-text --outfile "$1.key" 2>/dev/null ;;
	rsa*)		certtool --generate-privkey --key-type=rsa --bits=2048 \
			    --no-text --outfile "$1.key" 2>/dev/null ;;
	*)		certtool --generate-privkey --key-type=ecdsa \
			    --curve=secp256r1 --no-text --outfile "$1.key" \
			    2>/dev/null ;;
	esac
}

cat >ca.tmpl <<T
cn = "portcullis unit root"
activation_date = "$(day '3 years ago')"
expiration_days = 3650
ca
cert_signing_key
T
key ca
certtool --generate-self-signed --load-privkey ca.key --template ca.tmpl \
    --no-text --outfile ca.pem 2>/dev/null

cat >int.tmpl <<T
cn = "portcullis unit intermediate"
activation_date = "$(day '2 years ago')"
expiration_days = 2000
ca
cert_signing_key
T
key int
certtool --generate-certificate --load-privkey int.key \
    --load-ca-certificate ca.pem --load-ca-privkey ca.key \
    --template int.tmpl --no-text --outfile int.pem 2>/dev/null

# leaf NAME CN: the template on stdin adds SANs, EKU and dates.
leaf() {
	{
		echo "cn = \"$2\""
		cat
		echo "signing_key"
		case $1 in rsa*) echo "encryption_key" ;; esac
	} >"$1.tmpl"
	grep -q _date "$1.tmpl" || echo "expiration_days = 90" >>"$1.tmpl"
	key "$1"
	certtool --generate-certificate --load-privkey "$1.key" \
	    --load-ca-certificate int.pem --load-ca-privkey int.key \
	    --template "$1.tmpl" --no-text --outfile "$1.crt" 2>/dev/null
	cat "$1.crt" int.pem >"$1.pem"
}

printf 'dns_name = "example.org"\ndns_name = "conference.example.org"\ntls_www_server\ntls_www_client\n' |
    leaf good example.org
printf 'dns_name = "example.org"\ntls_www_server\n' | leaf serveronly example.org
printf 'dns_name = "example.org"\ntls_www_client\n' | leaf clientonly example.org
printf 'dns_name = "example.org"\n' | leaf noeku example.org
printf 'dns_name = "other.example"\ntls_www_server\n' | leaf wrongname other.example
printf 'dns_name = "example.org"\ntls_www_server\nactivation_date = "%s"\nexpiration_date = "%s"\n' \
    "$(day '400 days ago')" "$(day '1 day ago')" | leaf expired example.org
printf 'dns_name = "example.org"\ntls_www_server\nactivation_date = "%s"\nexpiration_date = "%s"\n' \
    "$(day '10 days')" "$(day '100 days')" | leaf future example.org
printf 'dns_name = "example.org"\ntls_www_server\nactivation_date = "%s"\nexpiration_date = "%s"\n' \
    "$(day '80 days ago')" "$(day '10 days')" | leaf soon example.org
printf 'dns_name = "*.example.org"\ntls_www_server\n' | leaf wildcard wildcard
printf 'dns_name = "f*.example.org"\ndns_name = "*.*.example.org"\ndns_name = "*.org"\ntls_www_server\n' |
    leaf badwild badwild
printf 'other_name = "1.3.6.1.5.5.7.8.7 %s"\ntls_www_server\n' \
    "$(ia5 _xmpp-server.example.org)" | leaf srvserver example.org
printf 'other_name = "1.3.6.1.5.5.7.8.7 %s"\ntls_www_server\n' \
    "$(ia5 _xmpp-client.example.org)" | leaf srvclient example.org
printf 'xmpp_name = "example.org"\ntls_www_server\n' | leaf xmppaddr example.org
printf 'dns_name = "xn--bcher-kva.example"\ntls_www_server\n' | leaf idn idn
printf 'tls_www_server\n' | leaf cnonly example.org
printf 'dns_name = "example.org"\ntls_www_server\n' | leaf rsa1024 example.org
printf 'dns_name = "example.org"\ntls_www_server\n' | leaf rsa2048 example.org

cat >selfsigned.tmpl <<T
cn = "example.org"
dns_name = "example.org"
expiration_days = 90
signing_key
tls_www_server
T
key selfsigned
certtool --generate-self-signed --load-privkey selfsigned.key \
    --template selfsigned.tmpl --no-text --outfile selfsigned.crt 2>/dev/null
cp selfsigned.crt selfsigned.pem

# tlsa NAME: NAME.s<S>m<M> for the first certificate of NAME.crt (or
# NAME.pem for int and ca).
tlsa() {
	_src=$1.crt
	[ -f "$_src" ] || _src=$1.pem
	openssl x509 -in "$_src" -outform DER -out "$1.s0.der"
	openssl x509 -in "$_src" -noout -pubkey |
	    openssl pkey -pubin -outform DER -out "$1.s1.der"
	for _s in 0 1; do
		od -A n -v -t x1 "$1.s$_s.der" | tr -d ' \n' >"$1.s${_s}m0"
		openssl dgst -sha256 -binary "$1.s$_s.der" |
		    od -A n -v -t x1 | tr -d ' \n' >"$1.s${_s}m1"
		openssl dgst -sha512 -binary "$1.s$_s.der" |
		    od -A n -v -t x1 | tr -d ' \n' >"$1.s${_s}m2"
	done
}
for n in good expired wrongname int ca; do
	tlsa "$n"
done

# ocsp NAME OUT STATUS SIGNER: a response for NAME.crt saying STATUS (V
# good, R revoked), signed by SIGNER (int or ca).
ocsp() {
	_serial=$(openssl x509 -in "$1.crt" -noout -serial | cut -d= -f2)
	_exp=$(date -u -d '90 days' +%y%m%d%H%M%SZ)
	_rev=""
	[ "$3" = R ] && _rev=$(date -u -d '1 day ago' +%y%m%d%H%M%SZ)
	printf '%s\t%s\t%s\t%s\tunknown\t/CN=%s\n' "$3" "$_exp" "$_rev" \
	    "$_serial" "$1" >"$2.index"
	openssl ocsp -issuer int.pem -cert "$1.crt" -no_nonce \
	    -reqout "$2.req" >/dev/null 2>&1
	openssl ocsp -index "$2.index" -rsigner "$4.pem" -rkey "$4.key" \
	    -CA int.pem -reqin "$2.req" -respout "$2.ocsp" -ndays 1 \
	    >/dev/null 2>&1
}
ocsp good good V int
ocsp wrongname wrongname R int
ocsp good badsig V ca
