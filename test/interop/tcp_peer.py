#!/usr/bin/env python3
"""A TCP peer written with Python's stdlib socket module, to check dsock against.

Bulk data is a deterministic pattern (byte i is (i * 7 + i // 65536) % 251) so both sides can
make and check it without shipping it; digests are SHA-256.

  tcp_peer.py serve HOST [RCVBUF]
                                listen on HOST:0, print "READY <port>", accept one client, read
                                until the client half-closes, then answer with a JSON line
                                {"received": n, "sha256": hex} and b"bye" and close; RCVBUF
                                sets SO_RCVBUF, for a connection whose window stays small
  tcp_peer.py send HOST PORT N  connect, send N pattern bytes, half-close (SHUT_WR), read the
                                answer until end of stream, print it as a JSON line
                                {"answer": text}
  tcp_peer.py push HOST PORT N THEN
                                connect, send N pattern bytes, then as THEN says: "reset"
                                closes with SO_LINGER 0 (the peer gets a reset, and the bytes
                                still unsent are dropped) and prints "RESET"; "hold" prints
                                "SENT" and waits for the peer to close; "settled" does as
                                "hold" once the peer's kernel has acknowledged every byte
                                (all of it waits there), or prints "UNSETTLED" after 10 s
  tcp_peer.py flood HOST PORT N connect, send N zero bytes as fast as sendall goes, print
                                "SENT" and wait for the peer to close
  tcp_peer.py pattern N         print the SHA-256 of the first N pattern bytes
"""
import fcntl
import hashlib
import json
import socket
import struct
import sys
import termios
import time

CHUNK = 65536


# Within one 64 KiB block (i // 65536 fixed at k) byte i is (i * 7 + k) % 251, which repeats
# every 251 bytes: a block is a slice of one 251-byte cycle repeated, made at C speed instead of
# one Python expression per byte (0.7 s of processor time per 10 MiB).
CYCLE = bytes((j * 7) % 251 for j in range(251))
SHIFTED = [bytes((b + k) % 251 for b in range(256)) for k in range(251)]


def pattern(offset, length):
    out = bytearray()
    end = offset + length
    while offset < end:
        block_end = min(end, (offset // 65536 + 1) * 65536)
        cycle = CYCLE.translate(SHIFTED[(offset // 65536) % 251])
        start = offset % 251
        count = block_end - offset
        repeats = (start + count) // 251 + 1
        out += (cycle * repeats)[start : start + count]
        offset = block_end
    return bytes(out)


def pattern_chunks(total):
    sent = 0
    while sent < total:
        size = min(CHUNK, total - sent)
        yield pattern(sent, size)
        sent += size


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def serve(host, receive_buffer=None):
    with socket.socket(family_of(host), socket.SOCK_STREAM) as server:
        server.settimeout(30)
        if receive_buffer is not None:
            # Set before listening, so the connection's window starts (and stays) this small.
            server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        server.bind((host, 0))
        server.listen(1)
        print("READY", server.getsockname()[1], flush=True)
        conn, _ = server.accept()
        with conn:
            conn.settimeout(30)
            digest = hashlib.sha256()
            received = 0
            while True:
                data = conn.recv(CHUNK)
                if not data:
                    break
                received += len(data)
                digest.update(data)
            answer = json.dumps({"received": received, "sha256": digest.hexdigest()})
            conn.sendall(answer.encode("utf-8") + b"\nbye")


def send(host, port, total):
    with socket.create_connection((host, port), timeout=30) as sock:
        for chunk in pattern_chunks(total):
            sock.sendall(chunk)
        sock.shutdown(socket.SHUT_WR)
        parts = []
        while True:
            data = sock.recv(CHUNK)
            if not data:
                break
            parts.append(data)
        print(json.dumps({"answer": b"".join(parts).decode("utf-8")}), flush=True)


def wait_for_close(sock):
    try:
        while sock.recv(CHUNK):
            pass
    except OSError:
        pass


def push(host, port, total, then):
    sock = socket.create_connection((host, port), timeout=30)
    for chunk in pattern_chunks(total):
        sock.sendall(chunk)
    if then == "reset":
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        print("RESET", flush=True)
        return
    if then == "settled" and not acknowledged(sock):
        print("UNSETTLED", flush=True)
    else:
        print("SENT", flush=True)
    wait_for_close(sock)
    sock.close()


def acknowledged(sock, seconds=10):
    """Waits until the peer's kernel has acknowledged every byte sent (Linux); False if not."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        unacknowledged = fcntl.ioctl(sock, termios.TIOCOUTQ, struct.pack("i", 0))
        if struct.unpack("i", unacknowledged)[0] == 0:
            return True
        time.sleep(0.001)
    return False


def flood(host, port, total):
    zeros = bytes(1024 * 1024)
    with socket.create_connection((host, port), timeout=30) as sock:
        for sent in range(0, total, len(zeros)):
            sock.sendall(zeros[: min(len(zeros), total - sent)])
        print("SENT", flush=True)
        wait_for_close(sock)


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "serve":
        serve(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else None)
    elif mode == "send":
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "push":
        push(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    elif mode == "flood":
        flood(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "pattern":
        digest = hashlib.sha256()
        for chunk in pattern_chunks(int(sys.argv[2])):
            digest.update(chunk)
        print(digest.hexdigest())
    else:
        sys.exit("unknown mode " + mode)
