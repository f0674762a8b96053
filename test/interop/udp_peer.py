#!/usr/bin/env python3
"""A UDP peer written with Python's stdlib socket module, to check dsock against.

  udp_peer.py echo HOST COUNT   bind HOST:0, print "READY <port>", answer COUNT datagrams:
                                each reply is b"echo:" + the datagram, sent back to its sender
  udp_peer.py ask HOST PORT TEXT...  send each TEXT to HOST:PORT from one socket and print
                                each reply as a JSON line {"reply": ..., "sender": [host, port]}
"""
import json
import socket
import sys


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def echo(host, count):
    with socket.socket(family_of(host), socket.SOCK_DGRAM) as sock:
        sock.settimeout(20)
        sock.bind((host, 0))
        print("READY", sock.getsockname()[1], flush=True)
        for _ in range(count):
            data, sender = sock.recvfrom(65535)
            sock.sendto(b"echo:" + data, sender)


def ask(host, port, texts):
    with socket.socket(family_of(host), socket.SOCK_DGRAM) as sock:
        sock.settimeout(20)
        sock.bind((host, 0))
        for text in texts:
            sock.sendto(text.encode("utf-8"), (host, port))
            data, sender = sock.recvfrom(65535)
            print(json.dumps({"reply": data.decode("utf-8"), "sender": list(sender[:2])}), flush=True)


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "echo":
        echo(sys.argv[2], int(sys.argv[3]))
    elif mode == "ask":
        ask(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
    else:
        sys.exit("unknown mode " + mode)
