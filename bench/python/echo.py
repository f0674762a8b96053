"""Echo round trips with Python's socket module: a plain blocking ping-pong.

    echo.py tcp|udp server '{}'
    echo.py tcp|udp client '{"port":P,"size":64,"warmup":W,"iterations":N}'

The server loops on data = conn.recv(65536); conn.sendall(data) (UDP: data, sender =
sock.recvfrom(65536); sock.sendto(data, sender)); a second thread waits for the
coordinator's "stop", so that the serving loop makes no other call, then reports the serving
thread's CPU time and ends the process. The client (TCP with TCP_NODELAY) sends with
sendall() (UDP: sendto()), reads until the whole reply is back, and times each round trip
with time.perf_counter_ns(). They speak the protocol of bench/lib/latency.ts.
"""

import math
import os
import socket
import sys
import threading
import time

from peer_io import Channel, bound_waits, params, thread_cpu_ns

HOST = "127.0.0.1"
# A reply that takes this long means the server is gone: fail rather than hang.
REPLY_TIMEOUT_SECONDS = 5


def serve_tcp(server):
    while True:
        conn, _ = server.accept()
        with conn:
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                conn.sendall(data)


def serve_udp(sock):
    while True:
        data, sender = sock.recvfrom(65536)
        sock.sendto(data, sender)


def server(channel, tcp, _p):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM)
    sock.bind((HOST, 0))
    if tcp:
        sock.listen(16)
    clock = time.pthread_getcpuclockid(threading.get_ident())
    channel.post({"type": "ready", "port": sock.getsockname()[1]})
    start = time.clock_gettime_ns(clock)

    def control():
        try:
            channel.next("stop")
            cpu_ms = (time.clock_gettime_ns(clock) - start) / 1e6
            channel.post({"type": "usage", "cpuMs": cpu_ms})
            os._exit(0)
        except BaseException as error:  # a failure here must still end the process
            print(f"control: {error!r}", file=sys.stderr)
            os._exit(1)

    threading.Thread(target=control, daemon=True).start()
    (serve_tcp if tcp else serve_udp)(sock)


def percentile(ordered, p):
    """The nearest-rank percentile, as bench/lib/stats.ts computes it."""
    rank = min(len(ordered), max(1, math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


def client(channel, tcp, p):
    size, warmup, iterations = p["size"], p["warmup"], p["iterations"]
    address = (HOST, p["port"])
    if tcp:
        sock = socket.create_connection(address, timeout=REPLY_TIMEOUT_SECONDS)
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((HOST, 0))
    bound_waits(sock, socket.SO_RCVTIMEO, REPLY_TIMEOUT_SECONDS)
    payload = b"a" * size
    reply = bytearray(65536)
    view = memoryview(reply)
    clock = time.perf_counter_ns
    samples = []
    calls = 0
    cpu_ms = 0.0
    channel.post({"type": "ready"})
    while True:
        message = channel.next("block", "finish")
        if message["type"] == "finish":
            break
        cpu = thread_cpu_ns()
        try:
            for _ in range(message["trips"]):
                start = clock()
                if tcp:
                    sock.sendall(payload)
                    got = 0
                    while got < size:
                        n = sock.recv_into(view[got:size])
                        if n == 0:
                            raise RuntimeError("the server closed the connection")
                        got += n
                else:
                    sock.sendto(payload, address)
                    sock.recvfrom_into(reply)
                elapsed = clock() - start
                if warmup <= calls < warmup + iterations:
                    samples.append(elapsed / 1000)
                calls += 1
        except BlockingIOError:
            raise RuntimeError(f"no reply within {REPLY_TIMEOUT_SECONDS} s") from None
        cpu_ms += (thread_cpu_ns() - cpu) / 1e6
        channel.post({"type": "block-done"})
    if not samples:
        raise RuntimeError("no timed round trips")
    samples.sort()
    channel.post(
        {
            "type": "result",
            "p50": percentile(samples, 50),
            "p99": percentile(samples, 99),
            "mean": sum(samples) / len(samples),
            "max": samples[-1],
            "cpuMs": cpu_ms,
        }
    )
    sock.close()


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("tcp", "udp"):
        raise SystemExit(f"usage: {sys.argv[0]} tcp|udp server|client PARAMS-JSON")
    transport = sys.argv.pop(1)
    role, p = params()
    {"server": server, "client": client}[role](Channel(), transport == "tcp", p)
