#!/bin/sh
# Sanity checks on the linked core image, run by the build:
# the multiboot2 header must lie in the first 32 KiB (multiboot2 spec 3.1.1).
set -eu
img=$1
off=$(od -A d -t x4 -v -w4 "$img" | awk '$2 == "e85250d6" { print $1; exit }')
if [ -z "$off" ] || [ "$off" -ge 32768 ]; then
    echo "check-image: $img: multiboot2 header missing or beyond 32 KiB" >&2
    exit 1
fi
