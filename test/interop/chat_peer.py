#!/usr/bin/env python3
"""Chat peers written with Python's stdlib socket module, speaking the course's formats:
a chat message is UTF-8 text f"[{datetime.now().isoformat()}] {name}:\\n\\t{text}"; over TCP
each message is framed with a 2-byte big-endian length (struct.pack('>H', n)).

Each mode prints "READY <port>" once bound, then one JSON line per event on stdout:
{"raw": text, "sender": [host, port], "timestamp_ok": bool} for a message (whether
datetime.fromisoformat reads its timestamp), {"closed": true} when a TCP peer left.
Every line of stdin is sent as a chat message; at the end of stdin the peer leaves.

  chat_peer.py udp NAME [HOST:PORT...]   UDP group chat peer bound to 127.0.0.1:0
                                         (CHAT_PEER_HOST=0.0.0.0 binds another address)
  chat_peer.py tcp-server NAME           one-to-one TCP chat, waits for one client
  chat_peer.py tcp-client NAME HOST PORT one-to-one TCP chat, connects
  chat_peer.py echo-client HOST PORT N   sends N pattern bytes to an echo server while
                                         reading the echo; prints {"sent", "received", "same"}
"""
import json
import os
import socket
import struct
import sys
import threading
from datetime import datetime

LEAVE = "<LEAVES THE CHAT>"


def chat_message(name, text):
    return f"[{datetime.now().isoformat()}] {name}:\n\t{text}"


def emit(event):
    print(json.dumps(event), flush=True)


def timestamp_ok(text):
    """True when text starts with a chat header whose timestamp datetime.fromisoformat reads."""
    if not text.startswith("[") or "] " not in text:
        return False
    try:
        datetime.fromisoformat(text[1 : text.index("] ")])
        return True
    except ValueError:
        return False


def parse_peer(text):
    host, port = text.rsplit(":", 1)
    return (host, int(port))


def udp(name, peers):
    peers = [parse_peer(p) for p in peers]
    lock = threading.Lock()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((os.environ.get("CHAT_PEER_HOST", "127.0.0.1"), 0))
        print("READY", sock.getsockname()[1], flush=True)

        def receive():
            while True:
                try:
                    data, sender = sock.recvfrom(65535)
                except OSError:
                    return
                text = data.decode("utf-8")
                with lock:
                    if text.endswith(LEAVE):
                        if sender in peers:
                            peers.remove(sender)
                    elif sender not in peers:
                        peers.append(sender)
                emit({"raw": text, "sender": list(sender), "timestamp_ok": timestamp_ok(text)})

        threading.Thread(target=receive, daemon=True).start()

        def send_all(text):
            data = chat_message(name, text).encode("utf-8")
            with lock:
                targets = list(peers)
            for peer in targets:
                sock.sendto(data, peer)

        for line in sys.stdin:
            line = line.rstrip("\n")
            if line:
                send_all(line)
        send_all(LEAVE)


def recv_exactly(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def tcp_chat(conn, name):
    def receive():
        while True:
            header = recv_exactly(conn, 2)
            if header is None:
                emit({"closed": True})
                return
            (length,) = struct.unpack(">H", header)
            body = recv_exactly(conn, length)
            if body is None:
                emit({"closed": True, "partial": True})
                return
            text = body.decode("utf-8")
            emit({"raw": text, "sender": list(conn.getpeername()[:2]), "timestamp_ok": timestamp_ok(text)})

    reader = threading.Thread(target=receive)
    reader.start()
    for line in sys.stdin:
        line = line.rstrip("\n")
        if line:
            data = chat_message(name, line).encode("utf-8")
            conn.sendall(struct.pack(">H", len(data)) + data)
    conn.shutdown(socket.SHUT_WR)
    reader.join(20)


def tcp_server(name):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(20)
        print("READY", server.getsockname()[1], flush=True)
        conn, _ = server.accept()
        conn.settimeout(None)
        with conn:
            tcp_chat(conn, name)


def tcp_client(name, host, port):
    with socket.create_connection((host, port), timeout=20) as conn:
        conn.settimeout(None)
        print("READY", conn.getsockname()[1], flush=True)
        tcp_chat(conn, name)


def echo_client(host, port, total):
    import hashlib

    sent_digest = hashlib.sha256()
    received_digest = hashlib.sha256()
    received = 0
    with socket.create_connection((host, port), timeout=30) as conn:

        def receive():
            nonlocal received
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                received += len(data)
                received_digest.update(data)

        reader = threading.Thread(target=receive)
        reader.start()
        sent = 0
        block = bytes(range(256)) * 256
        while sent < total:
            chunk = block[: min(len(block), total - sent)]
            conn.sendall(chunk)
            sent_digest.update(chunk)
            sent += len(chunk)
        conn.shutdown(socket.SHUT_WR)
        reader.join(30)
    emit({"sent": sent, "received": received, "same": sent_digest.digest() == received_digest.digest()})


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "udp":
        udp(sys.argv[2], sys.argv[3:])
    elif mode == "tcp-server":
        tcp_server(sys.argv[2])
    elif mode == "tcp-client":
        tcp_client(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif mode == "echo-client":
        echo_client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit("unknown mode " + mode)
