"""Datagram rate with Python's socket module: one system call per datagram.

    udp_rate.py receiver '{"recvBufferSize":4194304}'
    udp_rate.py sender '{"port":P,"size":64,"window":64}'

The sender loops on sock.sendto(payload, address) (a blocking call, so one send outstanding;
the window does not apply); the receiver loops on sock.recv_into(buffer). Both speak the block
protocol of bench/lib/transfer.ts.
"""

import socket

from peer_io import Channel, bound_waits, monotonic_ns, params, thread_cpu_ns

HOST = "127.0.0.1"
# How long nothing must arrive, once the sender is done, before a block is over.
IDLE_SECONDS = 0.05


def receiver(channel, p):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, p["recvBufferSize"])
    sock.bind((HOST, 0))
    # A receive that waits this long means the block has gone quiet.
    bound_waits(sock, socket.SO_RCVTIMEO, IDLE_SECONDS)
    buffer = bytearray(65536)
    channel.post({"type": "ready", "port": sock.getsockname()[1]})
    while True:
        message = channel.next("arm", "stop")
        if message["type"] == "stop":
            break
        target = message["target"]
        cpu = thread_cpu_ns()
        count = first = last = 0
        sender_done = False
        channel.post({"type": "armed"})
        while count < target:
            try:
                sock.recv_into(buffer)
            except BlockingIOError:
                # Quiet for IDLE_SECONDS: the block is over if the sender is done.
                if channel.poll("sender-done") is not None:
                    sender_done = True
                    break
                continue
            last = monotonic_ns()
            if count == 0:
                first = last
            count += 1
        if not sender_done:
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
    sock.close()


def sender(channel, p):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    address = (HOST, p["port"])
    payload = b"a" * p["size"]
    channel.post({"type": "ready"})
    while True:
        message = channel.next("send", "stop")
        if message["type"] == "stop":
            break
        cpu = thread_cpu_ns()
        start = monotonic_ns()
        for _ in range(message["amount"]):
            sock.sendto(payload, address)
        end = monotonic_ns()
        channel.post(
            {
                "type": "sent",
                "startNs": str(start),
                "endNs": str(end),
                "cpuMs": (thread_cpu_ns() - cpu) / 1e6,
            }
        )
    sock.close()


if __name__ == "__main__":
    role, p = params()
    {"receiver": receiver, "sender": sender}[role](Channel(), p)
