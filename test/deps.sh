#!/bin/sh
# Install the Debian packages a make target needs, once: a no-op when they
# are all present.  Usage: deps.sh build|integration|fuzz|lint|memcheck|bench|all
set -eu

build="pkg-config gcc make libuv1-dev libgnutls28-dev libxml2-dev libldns-dev
libidn2-dev libconfig-dev check mandoc"
integration="gnutls-bin openssl jabberd2 prosody python3 python3-slixmpp
libstrophe-dev nsd unbound ldnsutils bind9-dnsutils iproute2 iptables procps
psmisc sslscan python3-prometheus-client"
fuzz="clang libclang-rt-14-dev"
lint="cppcheck clang-tidy"
memcheck="valgrind"
bench="hitch stunnel4 prosody gnutls-bin python3 procps util-linux
linux-perf valgrind"

want=""
for group in "$@"; do
	case "$group" in
	build)		want="$want $build" ;;
	integration)	want="$want $integration" ;;
	fuzz)		want="$want $fuzz" ;;
	lint)		want="$want $lint" ;;
	memcheck)	want="$want $memcheck" ;;
	bench)		want="$want $bench" ;;
	all)		want="$want $build $integration $fuzz $lint $memcheck $bench" ;;
	*)		echo "deps.sh: unknown group $group" >&2; exit 2 ;;
	esac
done

missing=""
for p in $want; do
	# dpkg-query prints "install ok installed" only for a complete install.
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*" installed") ;;
	*) case " $missing " in *" $p "*) ;; *) missing="$missing $p" ;; esac ;;
	esac
done
[ -z "$missing" ] && exit 0

echo "deps.sh: installing:$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=sudo
	else
		echo "deps.sh: not root and no sudo; install:$missing" >&2
		exit 1
	fi
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
# A stale package index makes installs fail on fresh machines; refresh once.
$SUDO apt-get update -qq >/dev/null || true
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
# Debian starts packaged daemons on install where it can; the tests start
# their own instances, so stop the system ones if they came up.
for svc in prosody jabberd2 nsd unbound hitch stunnel4; do
	if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
		$SUDO systemctl stop "$svc" || true
	elif command -v service >/dev/null 2>&1; then
		$SUDO service "$svc" stop >/dev/null 2>&1 || true
	fi
done
