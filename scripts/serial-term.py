#!/usr/bin/env python3
"""Connect the terminal to an emulator's serial port over TCP.

    serial-term.py --listen PORT --log FILE [--port-file F]
                   [--accept-timeout S]

Listens on 127.0.0.1:PORT (0: any free port; --port-file then receives the
port actually bound, written once the socket listens) and accepts one
connection: the emulator's COM1 (Bochs `com1: mode=socket-client`, QEMU
`-serial tcp:`). What the machine sends goes to the terminal and is
appended to FILE; what is typed goes to the machine, byte for byte.

When stdin is a terminal it is put in raw mode (no echo, no line editing,
no signals: Ctrl-C, Ctrl-Z and Ctrl-] reach the machine); output keeps the
terminal's newline handling. The one key kept here is Ctrl-a, as in QEMU:

    Ctrl-a x        quit (the caller, scripts/boot.sh, stops the emulator)
    Ctrl-a Ctrl-a   send one Ctrl-a
    Ctrl-a h        this list

Keys typed before the emulator connects are sent once it does. The program
ends when the emulator closes the connection (the machine powered off) or
on Ctrl-a x; the terminal is restored either way, also on SIGTERM/SIGHUP.

Exit status: 0 when the emulator closed the line, 10 on Ctrl-a x,
1 when no connection came within --accept-timeout, 2 on usage errors.
"""
import argparse
import os
import select
import signal
import socket
import sys
import termios
import tty

CTRL_A = 0x01
QUICKACK = getattr(socket, 'TCP_QUICKACK', None)
QUIT = 10
HELP = (b"\r\n[serial-term: Ctrl-a x quit, Ctrl-a Ctrl-a send Ctrl-a, "
        b"Ctrl-a h this help]\r\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--listen', type=int, required=True, metavar='PORT')
    ap.add_argument('--log', required=True, metavar='FILE')
    ap.add_argument('--port-file', metavar='F')
    ap.add_argument('--accept-timeout', type=float, default=120, metavar='S')
    args = ap.parse_args()

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(('127.0.0.1', args.listen))
    srv.listen(1)
    if args.port_file:
        tmp = args.port_file + '.tmp'
        with open(tmp, 'w') as f:
            f.write(f"{srv.getsockname()[1]}\n")
        os.rename(tmp, args.port_file)

    fin = sys.stdin.fileno()
    out = sys.stdout.fileno()
    saved = None
    if os.isatty(fin):
        saved = termios.tcgetattr(fin)
        tty.setraw(fin, termios.TCSANOW)   # keep keys typed already
        # Raw input, but output as before: a bare LF still starts a line.
        mode = termios.tcgetattr(fin)
        mode[1] = saved[1]
        termios.tcsetattr(fin, termios.TCSANOW, mode)

    def restore(*_):
        if saved is not None:
            termios.tcsetattr(fin, termios.TCSADRAIN, saved)
        raise SystemExit(QUIT)
    signal.signal(signal.SIGTERM, restore)
    signal.signal(signal.SIGHUP, restore)

    status = 0
    try:
        status = bridge(srv, fin, out, args)
    finally:
        if saved is not None:
            termios.tcsetattr(fin, termios.TCSADRAIN, saved)
    if status == QUIT:
        print("serial-term: quit (Ctrl-a x)", file=sys.stderr)
    return status


def bridge(srv, fin, out, args):
    conn = None
    pending = bytearray()           # typed before the connection, or to send
    escape = False
    stdin_open = True
    with open(args.log, 'ab', buffering=0) as logf:
        waited = 0.0
        while True:
            rlist = [conn if conn else srv]
            if stdin_open:
                rlist.append(fin)
            ready, _, _ = select.select(rlist, [], [], 0.5)
            if not ready and conn is None:
                waited += 0.5
                if waited >= args.accept_timeout:
                    os.write(out, b"\r\nserial-term: the emulator did not "
                             b"connect within %d s\r\n" % args.accept_timeout)
                    return 1
            if srv in ready:
                conn, _ = srv.accept()
                srv.close()
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if conn is not None and conn in ready:
                try:
                    data = conn.recv(4096)
                except OSError:
                    data = b''
                if not data:
                    return 0
                if QUICKACK:
                    # As in serial-expect.py: ACK at once, so that no output
                    # waits unacknowledged in the emulator when it exits.
                    conn.setsockopt(socket.IPPROTO_TCP, QUICKACK, 1)
                logf.write(data)
                os.write(out, data)
            if fin in ready:
                keys = os.read(fin, 1024)
                if not keys:
                    stdin_open = False
                for k in keys:
                    if escape:
                        escape = False
                        if k in (ord('x'), ord('X')):
                            return QUIT
                        if k == CTRL_A:
                            pending.append(CTRL_A)
                        elif k in (ord('h'), ord('H'), ord('?')):
                            os.write(out, HELP)
                    elif k == CTRL_A:
                        escape = True
                    else:
                        pending.append(k)
            if conn is not None and pending:
                try:
                    conn.sendall(pending)
                except OSError:
                    return 0
                pending.clear()


if __name__ == '__main__':
    sys.exit(main())
