#!/usr/bin/env python3
"""A length-prefixed message peer written with Python's stdlib, to check dsock's framing against.

  framed_peer.py echo HOST PREFIX   listen on HOST:0, print "READY <port>", accept one client,
                                    read frames until the client half-closes, answer each with
                                    the same message reversed, framed the same way, then print
                                    "DONE <count>" and close. PREFIX is uint16be (struct '>H'),
                                    uint32be (struct '>I') or varint (unsigned LEB128).
"""
import socket
import struct
import sys


def read_exactly(conn, n):
    parts = []
    while n > 0:
        data = conn.recv(min(n, 65536))
        if not data:
            return None
        parts.append(data)
        n -= len(data)
    return b"".join(parts)


def read_length(conn, prefix):
    if prefix == "uint16be":
        head = read_exactly(conn, 2)
        return None if head is None else struct.unpack(">H", head)[0]
    if prefix == "uint32be":
        head = read_exactly(conn, 4)
        return None if head is None else struct.unpack(">I", head)[0]
    value, shift = 0, 0
    while True:
        byte = read_exactly(conn, 1)
        if byte is None:
            return None
        value |= (byte[0] & 0x7F) << shift
        if byte[0] < 0x80:
            return value
        shift += 7


def frame(message, prefix):
    n = len(message)
    if prefix == "uint16be":
        return struct.pack(">H", n) + message
    if prefix == "uint32be":
        return struct.pack(">I", n) + message
    head = bytearray()
    while n >= 0x80:
        head.append((n & 0x7F) | 0x80)
        n >>= 7
    head.append(n)
    return bytes(head) + message


def echo(host, prefix):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as server:
        server.settimeout(30)
        server.bind((host, 0))
        server.listen(1)
        print("READY", server.getsockname()[1], flush=True)
        conn, _ = server.accept()
        count = 0
        with conn:
            conn.settimeout(30)
            while True:
                n = read_length(conn, prefix)
                if n is None:
                    break
                message = read_exactly(conn, n)
                if message is None:
                    break
                conn.sendall(frame(message[::-1], prefix))
                count += 1
        print("DONE", count, flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "echo":
        echo(sys.argv[2], sys.argv[3])
    else:
        sys.exit("unknown mode " + sys.argv[1])
