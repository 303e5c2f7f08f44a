#!/bin/sh
# Run "portcullis -n" over every file in examples/, so examples cannot rot.
# Certificate paths in the examples point at /etc/portcullis/; each file is
# checked in a scratch directory with those paths moved there and a
# throwaway key and self-signed certificate made for each pair it names.
# EXAMPLES_VERBOSE=1 shows what -n printed for each file.
set -eu

daemon=$1
top=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d /tmp/portcullis-examples.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM

fail=0
for f in "$top"/examples/*.conf; do
	name=$(basename "$f")
	mkdir -p "$T/etc"
	sed "s|/etc/portcullis/|$T/etc/|g" "$f" >"$T/$name"
	# One certificate names every domain of the file and every name
	# below it: portcullis refuses a domain no certificate names.
	{
		echo 'cn = "portcullis example"'
		grep -oE '^ *name *= *"[^"]*"' "$T/$name" |
		    sed -E 's/.*"([^"]*)"/dns_name = "\1"\ndns_name = "*.\1"/'
		echo 'expiration_days = 60'
		echo 'signing_key'
		echo 'encryption_key'
		echo 'tls_www_server'
	} >"$T/template"
	# Pair each certificate with the key that follows it.
	grep -oE '(certificate|key) *= *"[^"]*"' "$T/$name" |
	    sed -E 's/^(certificate|key) *= *"([^"]*)"/\1 \2/' |
	    while read -r kind path; do
		case "$kind" in
		certificate) cert=$path ;;
		key)
			kt=ecdsa
			case "$path" in *rsa*) kt=rsa ;; esac
			certtool --generate-privkey --key-type="$kt" \
			    --outfile "$path" >/dev/null 2>&1
			certtool --generate-self-signed --load-privkey "$path" \
			    --template "$T/template" --outfile "$cert" \
			    >/dev/null 2>&1
			;;
		esac
	    done
	# Other files named under /etc/portcullis/ (ca-files) get a copy of
	# one certificate made above, so they are valid PEM anchors.
	first=$(grep -oE 'certificate *= *"[^"]*"' "$T/$name" | head -1 |
	    sed -E 's/.*"([^"]*)"/\1/')
	grep -oE "\"$T/etc/[^\"]*\.pem\"" "$T/$name" | tr -d '"' |
	    while read -r path; do
		[ -f "$path" ] || cp "$first" "$path"
	    done
	if out=$("$daemon" -n -f "$T/$name" 2>&1); then
		echo "examples: ok $name"
		if [ "${EXAMPLES_VERBOSE:-0}" = 1 ]; then
			printf '%s\n' "$out" |
			    sed "s|$T/etc/|/etc/portcullis/|g; s|$T/|/etc/portcullis/|g"
		fi
	else
		echo "examples: FAIL $name: $out" >&2
		fail=1
	fi
done
exit $fail
