"""The course lab's RPC server, the way its Python code is written: one call per connection.

    rpc_server.py server '{}'

Accepts connections on 127.0.0.1:0 and serves each in a thread of its own: reads one frame
(a 2-byte big-endian length, then UTF-8 JSON), turns the tagged JSON into a Request, calls the
method by name (add(a, b)), writes the Response with json.dumps(..., indent=2) in one frame and
closes the connection. A second thread waits for the coordinator's "stop" and ends the
process. It speaks the protocol of bench/lib/process-peer.ts.

Standard library only.
"""

import json
import os
import socket
import struct
import sys
import threading
from dataclasses import dataclass

from peer_io import Channel, params

HOST = "127.0.0.1"
# A client that stalls mid-request loses its connection after this long.
REQUEST_TIMEOUT_SECONDS = 10


@dataclass
class Request:
    name: str
    args: list
    metadata: object = None


@dataclass
class Response:
    result: object
    error: str = None


def to_ast(obj):
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple, set)):
        return [to_ast(item) for item in obj]
    if isinstance(obj, dict):
        return {key: to_ast(value) for key, value in obj.items()}
    if isinstance(obj, (Request, Response)):
        fields = {name: to_ast(getattr(obj, name)) for name in obj.__dataclass_fields__}
        return fields | {"$type": type(obj).__name__}
    raise ValueError(f"cannot serialize {type(obj).__name__}")


def from_ast(data):
    if isinstance(data, list):
        return [from_ast(item) for item in data]
    if not isinstance(data, dict):
        return data
    kind = data.get("$type")
    if kind is None:
        return {key: from_ast(value) for key, value in data.items()}
    if kind == "Request":
        return Request(data["name"], from_ast(data["args"]), from_ast(data.get("metadata")))
    raise ValueError(f"unknown type {kind}")


def receive_exactly(conn, size):
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the client closed the connection mid-frame")
        data += chunk
    return data


def receive_message(conn):
    (length,) = struct.unpack("!H", receive_exactly(conn, 2))
    return from_ast(json.loads(receive_exactly(conn, length).decode("utf-8")))


def send_message(conn, obj):
    data = json.dumps(to_ast(obj), indent=2).encode("utf-8")
    conn.sendall(struct.pack("!H", len(data)) + data)


class Calculator:
    def add(self, a, b):
        return a + b


def handle(conn, service):
    with conn:
        try:
            conn.settimeout(REQUEST_TIMEOUT_SECONDS)
            request = receive_message(conn)
            try:
                method = getattr(service, request.name)
                response = Response(method(*request.args))
            except Exception as error:  # the lab's way: any failure becomes the error text
                response = Response(None, " ".join(str(arg) for arg in error.args))
            send_message(conn, response)
        except (OSError, ValueError, KeyError, ConnectionError):
            pass


def server(channel, _p):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    sock.listen(128)
    channel.post({"type": "ready", "port": sock.getsockname()[1]})

    def control():
        try:
            channel.next("stop")
            os._exit(0)
        except BaseException as error:  # a failure here must still end the process
            print(f"control: {error!r}", file=sys.stderr)
            os._exit(1)

    threading.Thread(target=control, daemon=True).start()
    service = Calculator()
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=handle, args=(conn, service), daemon=True).start()


def main():
    role, p = params()
    if role != "server":
        raise SystemExit(f"unknown role {role}")
    server(Channel(), p)


if __name__ == "__main__":
    main()
