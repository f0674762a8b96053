"""TCP bulk transfer with Python's socket module.

    tcp_bulk.py receiver '{}'
    tcp_bulk.py sender '{"port":P,"chunkSize":65536}'

or the other way round, the sender listening and the receiver connecting:

    tcp_bulk.py sender '{"chunkSize":65536}'
    tcp_bulk.py receiver '{"port":P}'

The sender calls sock.sendall(chunk) per chunk; the receiver loops on
conn.recv_into(buffer) with a buffer of 64 KiB. Both speak the block protocol of
bench/lib/transfer.ts; the receiver knows a block's size from the coordinator, so it simply
reads until it has it all.
"""

import socket

from peer_io import Channel, bound_waits, monotonic_ns, params, thread_cpu_ns

HOST = "127.0.0.1"
# A peer that has vanished ends this one with an error after this long.
STALL_SECONDS = 10
CHUNK = 65536


def listen():
    """A listening socket on an ephemeral loopback port, whose accept is bounded."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind((HOST, 0))
    server.listen(1)
    server.settimeout(STALL_SECONDS)
    return server


def open_end(channel, p, timeout_option):
    """
    This end's connection, made at once when given the other end's port, or a listening socket
    whose connection accepted() takes later; says ready either way. Returns (conn, server).
    """
    if "port" in p:
        conn = socket.create_connection((HOST, p["port"]), timeout=STALL_SECONDS)
        conn.settimeout(None)
        bound_waits(conn, timeout_option, STALL_SECONDS)
        channel.post({"type": "ready"})
        return conn, None
    server = listen()
    channel.post({"type": "ready", "port": server.getsockname()[1]})
    return None, server


def accepted(server, timeout_option):
    """The connection waiting on `server` (the other end connected before it said it was ready)."""
    conn, _ = server.accept()
    conn.settimeout(None)
    server.close()
    bound_waits(conn, timeout_option, STALL_SECONDS)
    return conn


def receiver(channel, p):
    conn, server = open_end(channel, p, socket.SO_RCVTIMEO)
    buffer = bytearray(CHUNK)
    while True:
        message = channel.next("arm", "stop")
        if message["type"] == "stop":
            break
        if conn is None:
            conn = accepted(server, socket.SO_RCVTIMEO)
            server = None
        target = message["target"]
        cpu = thread_cpu_ns()
        count = first = last = 0
        channel.post({"type": "armed"})
        while count < target:
            try:
                n = conn.recv_into(buffer)
            except BlockingIOError:
                raise RuntimeError(f"nothing received for {STALL_SECONDS} s") from None
            if n == 0:
                raise RuntimeError(f"the sender closed the connection after {count} bytes")
            last = monotonic_ns()
            if count == 0:
                first = last
            count += n
        channel.next("sender-done")
        channel.post(
            {
                "type": "block",
                "count": count,
                "firstNs": str(first),
                "lastNs": str(last),
                "cpuMs": (thread_cpu_ns() - cpu) / 1e6,
                "extra": {},
            }
        )
    if conn is not None:
        conn.close()
    if server is not None:
        server.close()


def sender(channel, p):
    sock, server = open_end(channel, p, socket.SO_SNDTIMEO)
    chunk_size = p["chunkSize"]
    chunk = b"a" * chunk_size
    while True:
        message = channel.next("send", "stop")
        if message["type"] == "stop":
            break
        if sock is None:
            sock = accepted(server, socket.SO_SNDTIMEO)
            server = None
        amount = message["amount"]
        cpu = thread_cpu_ns()
        start = monotonic_ns()
        sent = 0
        while sent < amount:
            length = min(chunk_size, amount - sent)
            try:
                sock.sendall(chunk if length == chunk_size else chunk[:length])
            except BlockingIOError:
                raise RuntimeError(f"the receiver took nothing for {STALL_SECONDS} s") from None
            sent += length
        end = monotonic_ns()
        channel.post(
            {
                "type": "sent",
                "startNs": str(start),
                "endNs": str(end),
                "cpuMs": (thread_cpu_ns() - cpu) / 1e6,
            }
        )
    if sock is not None:
        sock.close()
    if server is not None:
        server.close()


if __name__ == "__main__":
    role, p = params()
    {"receiver": receiver, "sender": sender}[role](Channel(), p)
