#!/usr/bin/env python3
"""A TLS peer made of Python's standard library only (ssl, socket), for dsock's interop tests.

  tls_peer.py client HOST PORT CAFILE SERVERNAME TEXT
      connects with TLS, verifying the server against CAFILE for SERVERNAME, sends TEXT,
      half-closes, and prints one JSON line: the echo, the TLS version and the server
      certificate's subject common name. A refused certificate prints
      {"error": "certificate", "reason": ...} and exits 3.
  tls_peer.py server CERTFILE KEYFILE
      listens on 127.0.0.1 (port chosen by the system), prints "READY <port>", serves one TLS
      client: answers everything it sends, upper-cased, until end of stream, then prints one JSON
      line with the TLS version and exits.
"""
import json
import socket
import ssl
import sys


def client(host, port, cafile, servername, text):
    context = ssl.create_default_context(cafile=cafile)
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        try:
            conn = context.wrap_socket(raw, server_hostname=servername)
        except ssl.SSLCertVerificationError as error:
            print(json.dumps({"error": "certificate", "reason": error.verify_message}), flush=True)
            sys.exit(3)
        with conn:
            conn.sendall(text.encode("utf-8"))
            received = b""
            expected = len(text.encode("utf-8"))
            while len(received) < expected:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                received += chunk
            subject = dict(pair[0] for pair in conn.getpeercert()["subject"])
            print(
                json.dumps(
                    {
                        "echo": received.decode("utf-8"),
                        "version": conn.version(),
                        "subject": subject.get("commonName"),
                    }
                ),
                flush=True,
            )


def server(certfile, keyfile):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile, keyfile)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(20)
        print(f"READY {listener.getsockname()[1]}", flush=True)
        raw, _ = listener.accept()
        raw.settimeout(20)
        with context.wrap_socket(raw, server_side=True) as conn:
            while True:
                try:
                    chunk = conn.recv(65536)
                except (ssl.SSLEOFError, ConnectionResetError):
                    break
                if not chunk:
                    break
                conn.sendall(chunk.upper())
            print(json.dumps({"version": conn.version()}), flush=True)


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "client":
        client(*sys.argv[2:7])
    elif mode == "server":
        server(*sys.argv[2:4])
    else:
        sys.exit(f"unknown mode {mode}")
