#!/bin/bash
# deploy/deps.sh: install, on Debian 12, whatever buurt needs to build,
# test and run that is not already there.  Safe to run again; needs root
# only when something is missing.
set -euo pipefail

packages=(
	build-essential meson ninja-build pkg-config
	libzmq3-dev libsodium-dev liblmdb-dev libmsgpack-dev libinih-dev
	libjansson-dev libcmocka-dev
	scdoc valgrind python3 python3-zmq python3-msgpack python3-nacl
	clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi

echo "deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: run as root (or install these packages yourself)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
