#!/usr/bin/env python3
"""Drive a serial console over TCP, expect-style.

    serial-expect.py --listen PORT --log FILE --script SCRIPT
                     [--timeout S] [--port-file F] [--accept-timeout S]
                     [--char-delay S]

Listens on 127.0.0.1:PORT (0: any free port; --port-file then receives the
port actually bound, written once the socket listens), accepts one
connection (the emulator's COM1), appends every byte received to FILE as it
arrives, and runs SCRIPT, one step per line:

    expect TEXT     wait until TEXT appears in the output after the end of
                    the previous match (literal, not a pattern); fail after
                    the step timeout or when the peer closes first
    send TEXT       send TEXT, one byte at a time (--char-delay apart)
    sleep SECONDS   wait (less if the peer closes meanwhile)
    timeout SECONDS the step timeout for the following expects
    # ...           comment; blank lines are ignored

TEXT is the rest of the line after one space, with escapes: \\r \\n \\t \\e
(ESC) \\0 \\\\ \\xHH (e.g. \\x1d; \\x20 makes a trailing space visible).
Nothing else is stripped. A failed step ends the script. Either way the
output is still logged until the peer closes the connection (the emulator
ends), and only then does this program exit.

Exit status: 0 when every step passed; 1 otherwise, with the failed step
(SCRIPT:LINE) and the last 300 bytes seen on stderr; 2 on usage errors.
"""
import argparse
import os
import socket
import sys
import threading
import time

TAIL = 300
QUICKACK = getattr(socket, 'TCP_QUICKACK', None)


def unescape(text, where):
    out = bytearray()
    i = 0
    simple = {'r': b'\r', 'n': b'\n', 't': b'\t', 'e': b'\x1b',
              '0': b'\x00', '\\': b'\\'}
    while i < len(text):
        c = text[i]
        if c != '\\':
            out += c.encode('utf-8')
            i += 1
            continue
        if i + 1 >= len(text):
            raise ValueError(f"{where}: a lone backslash ends the line")
        e = text[i + 1]
        if e in simple:
            out += simple[e]
            i += 2
        elif e == 'x':
            hexdigits = text[i + 2:i + 4]
            try:
                if len(hexdigits) != 2:
                    raise ValueError
                out.append(int(hexdigits, 16))
            except ValueError:
                raise ValueError(f"{where}: \\x needs two hex digits") from None
            i += 4
        else:
            raise ValueError(f"{where}: unknown escape \\{e}")
    return bytes(out)


def parse_script(path):
    steps = []
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip('\n')
            if line.endswith('\r'):
                line = line[:-1]
            where = f"{path}:{n}"
            if not line.strip() or line.lstrip().startswith('#'):
                continue
            line = line.lstrip()
            word, _, arg = line.partition(' ')
            if word in ('expect', 'send'):
                if not arg:
                    raise ValueError(f"{where}: {word} needs TEXT")
                steps.append((where, line, word, unescape(arg, where)))
            elif word in ('sleep', 'timeout'):
                try:
                    secs = float(arg)
                    if secs < 0:
                        raise ValueError
                except ValueError:
                    raise ValueError(f"{where}: {word} needs SECONDS") from None
                steps.append((where, line, word, secs))
            else:
                raise ValueError(f"{where}: unknown step '{word}' "
                                 "(expect, send, sleep, timeout, #)")
    return steps


class Console:
    """The connection: a reader thread logs and buffers what arrives."""

    def __init__(self, conn, logf):
        self.conn = conn
        self.logf = logf
        self.buf = bytearray()
        self.closed = False
        self.error = None
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._reader, daemon=True)
        self.thread.start()

    def _reader(self):
        while True:
            try:
                data = self.conn.recv(4096)
                if QUICKACK:
                    # ACK at once: the emulator's socket has Nagle on, so
                    # unacknowledged output waits in it, and is lost if it
                    # exits with unread input (its close sends a reset).
                    self.conn.setsockopt(socket.IPPROTO_TCP, QUICKACK, 1)
            except OSError as e:
                self.error = e
                data = b''
            if data:
                self.logf.write(data)
                self.logf.flush()
            with self.cond:
                if data:
                    self.buf += data
                else:
                    self.closed = True
                self.cond.notify_all()
            if not data:
                return

    def expect(self, text, start, timeout):
        """Index just past TEXT found at or after START, or None + why."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                i = self.buf.find(text, start)
                if i >= 0:
                    return i + len(text), None
                if self.closed:
                    why = "the connection closed first"
                    if self.error:
                        why += f" ({self.error})"
                    return None, why
                left = deadline - time.monotonic()
                if left <= 0:
                    return None, f"timeout after {timeout:g} s"
                self.cond.wait(left)

    def send(self, data, delay):
        for b in data:
            self.conn.sendall(bytes([b]))
            if delay:
                time.sleep(delay)

    def sleep(self, secs):
        """Wait SECS, or less when the peer closes."""
        deadline = time.monotonic() + secs
        with self.cond:
            while not self.closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)

    def tail(self):
        with self.cond:
            return bytes(self.buf[-TAIL:])

    def wait_closed(self):
        self.thread.join()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--listen', type=int, required=True, metavar='PORT')
    ap.add_argument('--log', required=True, metavar='FILE')
    ap.add_argument('--script', required=True, metavar='SCRIPT')
    ap.add_argument('--timeout', type=float, default=60, metavar='S',
                    help='step timeout for expect (default 60)')
    ap.add_argument('--port-file', metavar='F')
    ap.add_argument('--accept-timeout', type=float, default=60, metavar='S')
    ap.add_argument('--char-delay', type=float, default=0.02, metavar='S')
    args = ap.parse_args()

    try:
        steps = parse_script(args.script)
    except (OSError, ValueError) as e:
        print(f"serial-expect: {e}", file=sys.stderr)
        return 2

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(('127.0.0.1', args.listen))
    srv.listen(1)
    if args.port_file:
        tmp = args.port_file + '.tmp'
        with open(tmp, 'w') as f:
            f.write(f"{srv.getsockname()[1]}\n")
        os.rename(tmp, args.port_file)
    srv.settimeout(args.accept_timeout)
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        print(f"serial-expect: no connection on 127.0.0.1:"
              f"{srv.getsockname()[1]} within {args.accept_timeout:g} s",
              file=sys.stderr)
        return 1
    srv.close()
    conn.settimeout(None)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    with open(args.log, 'ab', buffering=0) as logf:
        con = Console(conn, logf)
        failure = None
        pos = 0
        timeout = args.timeout
        for where, line, word, arg in steps:
            if word == 'expect':
                end, why = con.expect(arg, pos, timeout)
                if end is None:
                    failure = f"{where}: '{line}': {why}"
                    break
                pos = end
            elif word == 'send':
                try:
                    con.send(arg, args.char_delay)
                except OSError as e:
                    failure = f"{where}: '{line}': {e}"
                    break
            elif word == 'sleep':
                con.sleep(arg)
            elif word == 'timeout':
                timeout = arg
        # Keep logging until the emulator goes away.
        con.wait_closed()
        conn.close()

    if failure:
        tail = con.tail().decode('latin-1')
        print(f"serial-expect: failed at {failure}", file=sys.stderr)
        print(f"serial-expect: last {len(con.tail())} bytes seen: {tail!r}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
