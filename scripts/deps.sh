#!/bin/sh
# Install the Debian packages the build, the runners and the tests need.
# `make run` and `make test` call this; it does nothing when all are present.
# busybox-static and xz-utils: the Linux guest artifacts (`make linux`,
# tests/linux/linux.mk); busybox-static replaces Debian's dynamic busybox.
# Usage: scripts/deps.sh [--check]   (--check: list what is missing, install nothing)
set -eu

PKGS="build-essential binutils nasm gnu-efi libcmocka-dev pkg-config
      qemu-system-x86 ovmf bochs bochsbios vgabios
      grub-pc-bin grub-efi-amd64-bin grub-common xorriso
      mtools dosfstools gdisk coreutils clang libclang-rt-14-dev python3
      busybox-static xz-utils"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done

[ -z "$missing" ] && exit 0

if [ "${1:-}" = "--check" ]; then
    echo "missing Debian packages:$missing"
    exit 1
fi

if [ "$(id -u)" != 0 ]; then
    echo "deps: missing Debian packages:$missing" >&2
    echo "deps: run as root (or: sudo apt-get install$missing)" >&2
    exit 1
fi

echo "deps: installing$missing"
# A fresh machine's package lists may be empty: update first.
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
