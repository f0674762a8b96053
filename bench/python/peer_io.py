"""What every Python benchmark peer shares: the coordinator's protocol as JSON lines.

The coordinator (bench/lib/process-peer.ts) writes one JSON object per line on stdin and reads
the peer's messages, one per line, on stdout. Timestamps go back as decimal strings of
CLOCK_MONOTONIC nanoseconds (time.monotonic_ns), the clock process.hrtime reads. The end of
stdin means the coordinator is gone: the peer ends.

Standard library only.
"""

import json
import os
import select
import socket
import struct
import sys
import time

# CPU time of the calling thread: the same figure as /proc/thread-self/schedstat.
thread_cpu_ns = time.thread_time_ns
monotonic_ns = time.monotonic_ns


class Channel:
    """Messages to and from the coordinator."""

    def __init__(self):
        self._buffer = b""

    def post(self, message):
        # One write per line, so that lines from two threads never interleave.
        os.write(1, (json.dumps(message, separators=(",", ":")) + "\n").encode())

    def next(self, *types):
        """The next message, waiting for it; it must be of one of `types`."""
        while b"\n" not in self._buffer:
            self._read()
        return self._take(types)

    def poll(self, *types):
        """The next message if one has arrived (it must be of one of `types`), else None."""
        while b"\n" not in self._buffer:
            ready, _, _ = select.select([0], [], [], 0)
            if not ready:
                return None
            self._read()
        return self._take(types)

    def _read(self):
        data = os.read(0, 65536)
        if not data:
            os._exit(0)
        self._buffer += data

    def _take(self, types):
        line, self._buffer = self._buffer.split(b"\n", 1)
        message = json.loads(line)
        if message.get("type") not in types:
            wanted = " or ".join(f'"{t}"' for t in types)
            raise RuntimeError(f"expected a {wanted} message, got {line.decode()}")
        return message


def params():
    """The peer's role and parameters, from the command line."""
    if len(sys.argv) != 3:
        raise SystemExit(f"usage: {sys.argv[0]} ROLE PARAMS-JSON")
    return sys.argv[1], json.loads(sys.argv[2])


def bound_waits(sock, option, seconds):
    """Bounds the blocking calls of `sock` with SO_RCVTIMEO or SO_SNDTIMEO.

    Unlike settimeout(), which makes Python poll() before every call, this keeps each call a
    single blocking system call; a call that times out raises BlockingIOError.
    """
    whole = int(seconds)
    limit = struct.pack("@ll", whole, int((seconds - whole) * 1_000_000))
    sock.setsockopt(socket.SOL_SOCKET, option, limit)
