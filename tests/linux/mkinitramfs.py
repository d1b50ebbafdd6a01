#!/usr/bin/env python3
"""mkinitramfs.py --busybox BUSYBOX --init INIT -o OUT.cpio.gz

The Linux test guest's initramfs (`make linux`, tests/linux/linux.mk): a
newc cpio archive (Documentation/driver-api/early-userspace/buffer-format.rst),
gzip -9, holding

  /init              INIT (tests/linux/init)
  /bin/busybox       BUSYBOX, which must be statically linked (busybox-static)
  a symlink to /bin/busybox for each applet, where `busybox --list-full` puts it
  /dev/console       character device 5:1, so that init has a console before
                     it mounts devtmpfs (the kernel opens it for init)
  /proc /sys /dev /tmp /root /etc /mnt /run  empty directories

Written directly, like the kernel's usr/gen_init_cpio: no root needed for
the device node, every owner root, every time stamp SOURCE_DATE_EPOCH (0 by
default), the gzip header without a name or time: equal inputs give
byte-identical archives.
"""
import argparse
import gzip
import os
import struct
import subprocess
import sys


def die(msg):
    sys.exit("mkinitramfs: " + msg)


def is_static(path):
    """True when the ELF file has no PT_INTERP (no dynamic loader)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        die(f"{path}: not an ELF64 file")
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        p_type, = struct.unpack_from("<I", data, phoff + i * phentsize)
        if p_type == 3:             # PT_INTERP
            return False
    return True


class Cpio:
    def __init__(self, mtime):
        self.out = bytearray()
        self.ino = 721
        self.mtime = mtime

    def entry(self, name, mode, data=b"", nlink=1, rdev=(0, 0)):
        name = name.lstrip("/").encode() + b"\0"
        hdr = b"070701" + b"".join(b"%08X" % v for v in (
            self.ino, mode, 0, 0, nlink, self.mtime, len(data),
            0, 0, rdev[0], rdev[1], len(name), 0))
        self.ino += 1
        self.out += hdr + name
        self.out += b"\0" * (-len(self.out) % 4)
        self.out += data
        self.out += b"\0" * (-len(self.out) % 4)

    def dir(self, name, perm=0o755):
        self.entry(name, 0o040000 | perm, nlink=2)

    def file(self, name, data, perm):
        self.entry(name, 0o100000 | perm, data)

    def symlink(self, name, target):
        self.entry(name, 0o120000 | 0o777, target.encode())

    def chardev(self, name, perm, major, minor):
        self.entry(name, 0o020000 | perm, rdev=(major, minor))

    def trailer(self):
        self.ino = 0
        self.entry("TRAILER!!!", 0)
        return bytes(self.out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--busybox", default="/bin/busybox")
    ap.add_argument("--init", required=True)
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--file", action="append", default=[], metavar="SRC:DEST",
                    help="also put file SRC at DEST (e.g. a kernel module under lib/modules)")
    a = ap.parse_args()

    if not os.path.isfile(a.busybox):
        die(f"{a.busybox}: no such file (install busybox-static: scripts/deps.sh)")
    if not is_static(a.busybox):
        die(f"{a.busybox} is dynamically linked: install busybox-static (scripts/deps.sh)")
    try:
        applets = subprocess.run([a.busybox, "--list-full"], check=True,
                                 capture_output=True, text=True).stdout.split()
    except (OSError, subprocess.CalledProcessError) as e:
        die(f"{a.busybox} --list-full: {e}")
    applets = [p for p in applets if os.path.basename(p) not in ("busybox", "init", "linuxrc")]
    for must in ("bin/sh", "bin/mount", "bin/dmesg", "sbin/poweroff", "usr/bin/taskset",
                 "bin/cttyhack", "usr/bin/nproc", "usr/bin/awk", "usr/bin/md5sum", "usr/bin/seq"):
        if must not in applets:
            die(f"{a.busybox} has no applet {must}")

    mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    c = Cpio(mtime)
    dirs = {"bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "proc", "sys",
            "tmp", "root", "etc", "mnt", "run"}
    dirs |= {os.path.dirname(p) for p in applets}
    for d in sorted(dirs):
        c.dir(d, 0o1777 if d == "tmp" else 0o755)
    c.chardev("dev/console", 0o600, 5, 1)
    with open(a.busybox, "rb") as f:
        c.file("bin/busybox", f.read(), 0o755)
    for p in sorted(applets):
        c.symlink(p, "/bin/busybox")
    with open(a.init, "rb") as f:
        c.file("init", f.read(), 0o755)
    extra_dirs = set()
    for spec in a.file:
        src, _, dest = spec.partition(":")
        if not dest or not os.path.isfile(src):
            die(f"--file {spec}: want SRC:DEST with SRC an existing file")
        d = os.path.dirname(dest)
        while d and d not in dirs and d not in extra_dirs:
            extra_dirs.add(d)
            d = os.path.dirname(d)
        with open(src, "rb") as f:
            data = f.read()
        for e in sorted(extra_dirs, key=len):
            c.dir(e, 0o755)
        extra_dirs_written = set(extra_dirs)
        dirs |= extra_dirs_written
        extra_dirs.clear()
        c.file(dest, data, 0o755 if os.access(src, os.X_OK) else 0o644)
    archive = c.trailer()

    tmp = a.output + ".tmp"
    with open(tmp, "wb") as f:
        # mtime 0 and no file name in the gzip header: reproducible.
        with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=f, mtime=0) as g:
            g.write(archive)
    os.replace(tmp, a.output)
    print(f"mkinitramfs: {a.output}: {len(applets)} applets, cpio {len(archive)} bytes, "
          f"gzip {os.path.getsize(a.output)} bytes")


if __name__ == "__main__":
    main()
