#!/usr/bin/env python3
"""A discovery peer written with Python's stdlib only, from docs/discovery-protocol.md.
  discovery_peer.py ROOM NAME PORT [--group G] [--discovery-port P] [--interval MS]
announces NAME's service on PORT in ROOM with a beacon every interval, and prints "READY"
once it listens, then one JSON line per valid beacon of another node:
{"beacon": {...fields...}, "source": [host, port]}. At the end of stdin it says goodbye.
"""
import argparse
import json
import os
import select
import socket
import struct
import sys
import time

MAX_BEACON_SIZE = 512
MAX_LABEL_BYTES = 64


def label(value):
    if not isinstance(value, str) or not value:
        raise ValueError("not a text")
    if len(value.encode("utf-8")) > MAX_LABEL_BYTES or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("too long or control characters")
    return value


def integer(value, low, high):
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError("out of range")
    return value


def parse_beacon(data):
    """The beacon's fields, or None for anything that is not a valid version 1 beacon."""
    if len(data) > MAX_BEACON_SIZE or not data.startswith(b"{"):
        return None
    try:
        fields = json.loads(data.decode("utf-8"))
        if not isinstance(fields, dict) or fields.get("dsock") != 1:
            return None
        if fields.get("type") not in ("announce", "goodbye"):
            return None
        node = fields.get("node")
        if not isinstance(node, str) or len(node) != 16 or any(c not in "0123456789abcdef" for c in node):
            return None
        return {
            "type": fields["type"],
            "room": label(fields.get("room")),
            "service": label(fields.get("service")),
            "name": label(fields.get("name")),
            "port": integer(fields.get("port"), 1, 65535),
            "node": node,
            "incarnation": integer(fields.get("incarnation"), 0, 2**53 - 1),
            "interval": integer(fields.get("interval"), 100, 60000),
        }
    except (ValueError, UnicodeDecodeError):
        return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("room")
    parser.add_argument("name")
    parser.add_argument("port", type=int)
    parser.add_argument("--group", default="239.255.77.77")
    parser.add_argument("--discovery-port", type=int, default=47077)
    parser.add_argument("--interval", type=int, default=1000)
    args = parser.parse_args()
    node = os.urandom(8).hex()
    beacon = {
        "dsock": 1, "type": "announce", "room": args.room, "service": "chat", "name": args.name,
        "port": args.port, "node": node, "incarnation": int(time.time() * 1000),
        "interval": args.interval,
    }

    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    receiver.bind(("0.0.0.0", args.discovery_port))
    membership = struct.pack("4s4s", socket.inet_aton(args.group), socket.inet_aton("0.0.0.0"))
    receiver.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)

    def send(kind):
        sender.sendto(json.dumps(dict(beacon, type=kind)).encode("utf-8"), (args.group, args.discovery_port))

    print("READY", flush=True)
    next_beacon = 0.0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        now = time.monotonic()
        if now >= next_beacon:
            send("announce")
            next_beacon = now + args.interval / 1000
        ready, _, _ = select.select([receiver, sys.stdin], [], [], max(0.0, next_beacon - now))
        if sys.stdin in ready and not sys.stdin.readline():
            break
        if receiver in ready:
            data, source = receiver.recvfrom(MAX_BEACON_SIZE + 1)
            parsed = parse_beacon(data)
            if parsed is not None and parsed["node"] != node:
                print(json.dumps({"beacon": parsed, "source": list(source)}), flush=True)
    send("goodbye")


if __name__ == "__main__":
    main()
