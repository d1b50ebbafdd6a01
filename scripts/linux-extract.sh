#!/bin/sh
# linux-extract.sh BZIMAGE VMLINUX
#
# Extract the uncompressed kernel (ELF64 vmlinux) from an x86 bzImage whose
# payload is XZ-compressed (Debian's), strip it and check that it can still
# be booted through PVH: ELF64 x86-64 executable, PT_LOAD segments
# unchanged by the strip, and the Xen PHYS32_ENTRY note (type 0x12,
# XEN_ELFNOTE_PHYS32_ENTRY) that QEMU and hv look for. `make linux` runs
# this (tests/linux/linux.mk).
#
# The payload is found through the setup header (boot protocol 2.08+:
# payload_offset at 0x248 and payload_length at 0x24c, relative to the
# protected-mode code at (setup_sects + 1) * 512); if the XZ magic is not
# there, the first XZ stream in the file is used. The decompressed payload
# is vmlinux followed by its relocation table; the strip drops that table.
set -eu
[ $# -eq 2 ] || { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
in=$1 out=$2
die() { echo "linux-extract: $in: $*" >&2; rm -f "$out.raw" "$out.tmp"; exit 1; }
hex() { od -A n -t x1 -j "$1" -N "$2" "$in" 2>/dev/null | tr -d ' \n'; }
u32() { od -A n -t u4 -j "$1" -N 4 "$in" 2>/dev/null | tr -d ' '; }

[ -f "$in" ] || die "no such file"
[ "$(hex 514 4)" = 48647253 ] || die "not a bzImage (no HdrS at 0x202)"
proto=$(od -A n -t u2 -j 518 -N 2 "$in" | tr -d ' ')
setup_sects=$(od -A n -t u1 -j 497 -N 1 "$in" | tr -d ' ')
[ "$setup_sects" -ne 0 ] || setup_sects=4
size=$(stat -c %s "$in")

start="" len=""
if [ "$proto" -ge $((0x208)) ]; then
    start=$(( (setup_sects + 1) * 512 + $(u32 584) ))
    len=$(u32 588)
    if [ "$(hex "$start" 6)" != fd377a585a00 ]; then
        echo "linux-extract: $in: payload at $start is not XZ ($(hex "$start" 6)), searching for an XZ stream" >&2
        start=""
    fi
fi
if [ -z "$start" ]; then
    start=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$in" | head -n 1 | cut -d: -f1)
    if [ -z "$start" ]; then
        p=$(( (setup_sects + 1) * 512 + $(u32 584) ))
        case "$(hex "$p" 4)" in
            1f8b*) what="gzip" ;;
            28b52ffd) what="zstd" ;;
            425a68*) what="bzip2" ;;
            894c5a4f) what="lzo" ;;
            02214c18) what="lz4" ;;
            5d000000) what="lzma" ;;
            *) what="unknown: $(hex "$p" 6)" ;;
        esac
        die "no XZ stream (magic fd 37 7a 58 5a 00) in the file; the payload's compression looks like $what"
    fi
    len=$(( size - start ))
fi
[ $((start + len)) -le "$size" ] || die "payload ($start + $len bytes) runs past the end of the file ($size bytes)"

# --single-stream: the payload ends with the 4-byte uncompressed size
# (and, when found by search, whatever follows): not XZ, ignored.
tail -c +$((start + 1)) "$in" | head -c "$len" | xz -dc --single-stream > "$out.raw" ||
    die "the XZ stream at offset $start does not decompress"

elf_check() {   # elf_check FILE WHAT: ELF64 x86-64 executable with the PVH note
    h=$(readelf -h "$1" 2>/dev/null) || die "$2 is not an ELF file"
    echo "$h" | grep -q 'Class:[[:space:]]*ELF64' || die "$2 is not ELF64"
    echo "$h" | grep -q 'Machine:[[:space:]]*Advanced Micro Devices X86-64' || die "$2 is not for x86-64"
    echo "$h" | grep -q 'Type:[[:space:]]*EXEC' || die "$2 is not an executable"
    readelf -lW "$1" | grep -q '^ *LOAD ' || die "$2 has no PT_LOAD segment"
    readelf -lW "$1" | grep -q '^ *NOTE ' || die "$2 has no PT_NOTE segment"
    readelf -nW "$1" | grep -q '^ *Xen .*(0x00000012)' ||
        die "$2 has no Xen PHYS32_ENTRY note (type 0x12): a kernel without CONFIG_PVH cannot boot by PVH"
}
elf_check "$out.raw" "the decompressed payload"

objcopy --strip-all "$out.raw" "$out.tmp" || die "objcopy --strip-all failed"
elf_check "$out.tmp" "the stripped vmlinux"
[ "$(readelf -lW "$out.raw" | grep -E '^ *(LOAD|NOTE) |Entry point')" = \
  "$(readelf -lW "$out.tmp" | grep -E '^ *(LOAD|NOTE) |Entry point')" ] ||
    die "the strip changed the program headers"
# Every PT_LOAD's bytes are the same after the strip.
readelf -lW "$out.raw" | awk '$1 == "LOAD" { print $2, $5 }' | while read -r off fsz; do
    off=$((off)) fsz=$((fsz))
    a=$(tail -c +$((off + 1)) "$out.raw" | head -c "$fsz" | md5sum)
    b=$(tail -c +$((off + 1)) "$out.tmp" | head -c "$fsz" | md5sum)
    [ "$a" = "$b" ] || die "the strip changed the PT_LOAD segment at file offset $off"
done || exit 1

# The note's value, little-endian: "... (0x00000012)  description data: 50 08 00 01 ..."
entry=$(readelf -nW "$out.tmp" | sed -n 's/^ *Xen .*(0x00000012).*data: *\(..\) \(..\) \(..\) \(..\).*/\4\3\2\1/p' | head -n 1)
raw=$(stat -c %s "$out.raw")
rm -f "$out.raw"
chmod 0644 "$out.tmp"
mv "$out.tmp" "$out"
echo "linux-extract: $out: ELF64 vmlinux, $(stat -c %s "$out") bytes stripped ($raw decompressed, bzImage $size), $(readelf -lW "$out" | grep -c '^ *LOAD ') PT_LOAD, PVH entry 0x$entry"
