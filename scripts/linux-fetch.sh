#!/bin/sh
# linux-fetch.sh CACHE-DIR BZIMAGE [ABI]
#
# Fetch Debian 12's Linux kernel package and extract its bzImage
# (/boot/vmlinuz-ABI-amd64) to BZIMAGE; `make linux` runs this
# (tests/linux/linux.mk). ABI is what follows "linux-image-" in the package
# name without "-amd64", e.g. 6.1.0-57; by default the one the meta-package
# linux-image-amd64 depends on today (as `apt-cache depends` names it). The .deb, as
# `apt-get download` fetches it (hash-checked against the signed archive),
# is kept in CACHE-DIR and fetched again only when missing. BZIMAGE and
# BZIMAGE's directory's `version` file are rewritten only when they change.
set -eu
[ $# -ge 2 ] || { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
say() { echo "linux-fetch: $*"; }
die() { echo "linux-fetch: $*" >&2; exit 1; }

mkdir -p "$1" "$(dirname "$2")"
cache=$(cd "$1" && pwd)
out=$2
abi=${3:-}
abi=${abi#linux-image-}
abi=${abi%-amd64}

candidate() {          # "ABI VERSION" of the package linux-image-amd64 depends on
    # The meta-package's candidate: "Depends: linux-image-6.1.0-57-amd64 (= 6.1.192-3)",
    # what `apt-cache depends linux-image-amd64` names, with the version.
    apt-cache show --no-all-versions linux-image-amd64 2>/dev/null |
        sed -n 's/^Depends:.*linux-image-\([0-9][^ ,]*\)-amd64 *(= *\([^) ]*\)).*/\1 \2/p' | head -n 1
}
candidate_version() {   # the Debian version apt would fetch for package $1
    apt-cache show --no-all-versions "$1" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1
}
newest_cached() {       # newest cached .deb matching glob $1
    # shellcheck disable=SC2012,SC2086 # $1 is a glob
    ls "$cache"/$1 2>/dev/null | sort -V | tail -n 1
}

# A fresh machine may have no package lists yet: update once (root only).
updated=""
apt_update() {
    [ -z "$updated" ] && [ "$(id -u)" = 0 ] || return 1
    updated=1
    say "no package information: apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
}

want=""
if [ -z "$abi" ]; then
    c=$(candidate)
    if [ -z "$c" ] && apt_update; then c=$(candidate); fi
    abi=${c% *} want=${c#* }
    if [ -z "$abi" ]; then
        deb=$(newest_cached 'linux-image-[0-9]*-amd64_*_amd64.deb')
        [ -n "$deb" ] || die "apt-cache names no linux-image-*-amd64 for linux-image-amd64 and nothing is cached in $cache; run apt-get update, or set LINUX_VERSION (e.g. 6.1.0-57)"
        abi=$(basename "$deb" | sed 's/^linux-image-\(.*\)-amd64_.*/\1/')
        say "apt-cache names no kernel: using the cached $abi"
    fi
fi
case "$abi" in
    [0-9]*.[0-9]*-[0-9]*) ;;
    *) die "'$abi' is not a kernel ABI name such as 6.1.0-57" ;;
esac
pkg=linux-image-$abi-amd64

[ -n "$want" ] || want=$(candidate_version "$pkg")
if [ -z "$want" ] && [ -z "$(newest_cached "${pkg}_*_amd64.deb")" ] && apt_update; then
    want=$(candidate_version "$pkg")
fi
if [ -n "$want" ]; then
    deb=$cache/${pkg}_$(echo "$want" | sed 's/:/%3a/')_amd64.deb
else
    deb=$(newest_cached "${pkg}_*_amd64.deb")
    [ -n "$deb" ] || die "no package $pkg in the archive (apt-cache show) and none cached in $cache"
    say "$pkg unknown to apt: using the cached $(basename "$deb")"
fi

if [ ! -s "$deb" ]; then
    say "downloading $pkg $want into $cache"
    # apt-get download writes into the current directory; as root it fetches
    # as the user _apt, who must be able to write there. A temporary
    # directory also keeps an interrupted download out of the cache.
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/linux-fetch.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi
    (cd "$tmp" && apt-get download -q "$pkg=$want") ||
        die "apt-get download $pkg=$want failed"
    got=$(find "$tmp" -name '*.deb' | head -n 1)
    [ -n "$got" ] || die "apt-get download $pkg=$want left no .deb"
    cp "$got" "$deb.tmp"
    mv "$deb.tmp" "$deb"
    rm -rf "$tmp"
    trap - EXIT
fi

ver=$(dpkg-deb -f "$deb" Version) || die "$deb: not a Debian package (remove it to fetch it again)"
# tar stops at the member (the package lists /boot first): no need to
# decompress the modules; dpkg-deb then complains of the broken pipe.
dpkg-deb --fsys-tarfile "$deb" 2>/dev/null |
    tar -xO --occurrence=1 "./boot/vmlinuz-$abi-amd64" > "$out.tmp" ||
    { rm -f "$out.tmp"; die "$deb holds no ./boot/vmlinuz-$abi-amd64"; }
# Linux boot protocol: "HdrS" at 0x202 (Documentation/arch/x86/boot.rst).
[ "$(od -A n -t x1 -j 514 -N 4 "$out.tmp" | tr -d ' \n')" = 48647253 ] ||
    { rm -f "$out.tmp"; die "$deb: /boot/vmlinuz-$abi-amd64 is not a bzImage (no HdrS at 0x202)"; }
if cmp -s "$out.tmp" "$out"; then rm -f "$out.tmp"; else mv "$out.tmp" "$out"; fi

# The pvpanic driver (a module in Debian's kernel): the initramfs loads it
# so a panic reaches the hypervisor's pvpanic device (docs/linux.md).
moddir=$(dirname "$out")/modules
mkdir -p "$moddir"
pv=./lib/modules/$abi-amd64/kernel/drivers/misc/pvpanic
dpkg-deb --fsys-tarfile "$deb" 2>/dev/null |
    tar -x -C "$moddir" --strip-components=8 "$pv/pvpanic.ko" "$pv/pvpanic-mmio.ko" ||
    die "$deb holds no $pv/pvpanic.ko and pvpanic-mmio.ko"

verfile=$(dirname "$out")/version
printf 'package=%s\nversion=%s\nrelease=%s-amd64\ndeb=%s\n' "$pkg" "$ver" "$abi" "$deb" > "$verfile.tmp"
if cmp -s "$verfile.tmp" "$verfile"; then rm -f "$verfile.tmp"; else mv "$verfile.tmp" "$verfile"; fi
say "kernel $pkg $ver (uname -r: $abi-amd64), $(stat -c %s "$out") bytes -> $out; .deb cached in $deb"
