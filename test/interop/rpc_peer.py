#!/usr/bin/env python3
"""Course-style RPC peers written with Python's stdlib, to check dsock's RPC against.

The wire format is the course lab's: each message is a frame, a 2-byte big-endian length and
then UTF-8 JSON written with json.dumps(obj, indent=2); objects carry a "$type" tag. One call
per connection: the client sends one Request and reads one Response, the server closes the
connection after replying. Datetimes are written {"datetime": iso, "$type": "datetime"} here
(a variant dsock reads and must send back unchanged).

  rpc_peer.py serve HOST [--secure]   serve the users service on HOST:0, print "READY <port>",
                                      one thread per connection, until stdin closes
  rpc_peer.py client HOST PORT        run the users scenario against a server, one connection
                                      per call, printing one JSON line per step:
                                      {"step": name, "result": ..., "error": ...}
  rpc_peer.py secure HOST PORT        the same for the secure variant's refusals
  rpc_peer.py wire HOST PORT          send each of WIRE_SAMPLES to the server's "echo" method,
                                      pretty-printed with \\u escapes, and say whether it came
                                      back equal: {"step": "sample N", "same": bool, ...}

The server also answers "wire_samples" (WIRE_SAMPLES as they are) and "same_as_samples"
(whether its argument equals WIRE_SAMPLES), both on the JSON tree, never decoded, so that a
client can be checked to send back exactly what it received.
"""
import hashlib
import json
import secrets
import socket
import struct
import sys
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum


class Role(Enum):
    ADMIN = 1
    USER = 2


@dataclass
class User:
    username: str
    emails: list
    full_name: str
    role: Role
    password: str = None


@dataclass
class Credentials:
    id: str
    password: str


@dataclass
class Token:
    signature: str
    user: User
    expiration: datetime


@dataclass
class Request:
    name: str
    args: list
    metadata: object = None


@dataclass
class Response:
    result: object
    error: str = None


# Values in forms a peer may send: the datetime variants (kept to the microsecond, offsets and
# extra fields included), types dsock does not know, and text outside ASCII, which json.dumps
# writes as \uXXXX escapes (surrogate pairs beyond the BMP).
WIRE_SAMPLES = [
    {"value": "2024-02-03T12:15:00.175104", "$type": "datetime"},
    {"datetime": "2024-02-03T12:15:00.175104+02:00", "$type": "datetime"},
    {"iso": "2024-02-03 12:15:00", "$type": "datetime"},
    {"isoformat": "2024-02-03T12:15:00.000001Z", "$type": "datetime"},
    {"timestamp": 1706962500.175104, "$type": "datetime"},
    {"epoch": 1706962500, "$type": "datetime"},
    {"value": "2024-02-03T12:15:00.100000", "tz": "Europe/Paris", "$type": "datetime"},
    {"name": "gizmo", "parts": [{"size": 3, "$type": "Part"}], "note": None, "$type": "Widget"},
    {"full_name": "J\u00e9r\u00f4me \u0141ukasz \u6771\u4eac \U0001f600",
     "plain": {"a": [1, 2.5, True, None]}},
]

RAW_METHODS = {
    "wire_samples": lambda: WIRE_SAMPLES,
    "same_as_samples": lambda value: value == WIRE_SAMPLES,
}


# --- presentation ------------------------------------------------------------------------

def to_ast(obj):
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple, set)):
        return [to_ast(item) for item in obj]
    if isinstance(obj, dict):
        return {key: to_ast(value) for key, value in obj.items()}
    if isinstance(obj, datetime):
        return {"datetime": obj.isoformat(), "$type": "datetime"}
    if isinstance(obj, timedelta):
        return {"days": obj.days, "seconds": obj.seconds, "microseconds": obj.microseconds,
                "$type": "timedelta"}
    if isinstance(obj, Role):
        return {"name": obj.name, "$type": "Role"}
    if isinstance(obj, (User, Credentials, Token, Request, Response)):
        fields = {name: to_ast(getattr(obj, name)) for name in obj.__dataclass_fields__}
        return fields | {"$type": type(obj).__name__}
    raise ValueError(f"cannot serialize {type(obj).__name__}")


def serialize(obj):
    return json.dumps(to_ast(obj), indent=2)


def from_ast(data):
    if isinstance(data, list):
        return [from_ast(item) for item in data]
    if not isinstance(data, dict):
        return data
    kind = data.get("$type")
    if kind is None:
        return {key: from_ast(value) for key, value in data.items()}
    if kind == "datetime":
        text = data.get("datetime", data.get("value"))
        return datetime.fromisoformat(text)
    if kind == "timedelta":
        return timedelta(days=data.get("days", 0), seconds=data.get("seconds", 0),
                         microseconds=data.get("microseconds", 0))
    if kind == "Role":
        return Role[data["name"]]
    if kind == "User":
        return User(data["username"], list(data["emails"]), data["full_name"],
                    from_ast(data["role"]), data.get("password"))
    if kind == "Credentials":
        return Credentials(data["id"], data["password"])
    if kind == "Token":
        return Token(data["signature"], from_ast(data["user"]), from_ast(data["expiration"]))
    if kind == "Request":
        # Fields it does not know (dsock's "id") are ignored.
        return Request(data["name"], from_ast(data["args"]), from_ast(data.get("metadata")))
    if kind == "Response":
        return Response(from_ast(data["result"]), data["error"])
    raise ValueError(f"unknown type {kind}")


def deserialize(text):
    return from_ast(json.loads(text))


def send_frame(conn, text):
    data = text.encode("utf-8")
    conn.sendall(struct.pack(">H", len(data)) + data)


def recv_exactly(conn, n):
    chunks = b""
    while len(chunks) < n:
        chunk = conn.recv(n - len(chunks))
        if not chunk:
            raise ConnectionError("connection closed mid-frame")
        chunks += chunk
    return chunks


def recv_frame(conn):
    (length,) = struct.unpack(">H", recv_exactly(conn, 2))
    return recv_exactly(conn, length).decode("utf-8")


# --- the users service, course style --------------------------------------------------------

def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class UsersService:
    def __init__(self, secure):
        self.secure = secure
        self.users = {}
        self.secret = secrets.token_hex(16)
        self.lock = threading.Lock()

    def add_user(self, user):
        with self.lock:
            for id in [user.username] + list(user.emails):
                if id in self.users:
                    raise ValueError("User with ID", id, "already exists")
            stored = User(user.username, list(user.emails), user.full_name, user.role,
                          sha256(user.password))
            for id in [user.username] + list(user.emails):
                self.users[id] = stored

    def get_user(self, id, metadata=None):
        if self.secure:
            if metadata is None:
                raise ValueError("Authentication required")
            if not isinstance(metadata, Token) or not self.validate_token(metadata):
                raise ValueError("Invalid token")
            if metadata.user.role != Role.ADMIN:
                raise ValueError("Unauthorized")
        if id not in self.users:
            raise ValueError("User with ID", id, "not found")
        user = self.users[id]
        return User(user.username, user.emails, user.full_name, user.role, None)

    def check_password(self, credentials):
        user = self.users.get(credentials.id)
        return user is not None and user.password == sha256(credentials.password)

    def _sign(self, user, expiration):
        return sha256(serialize(user) + expiration.isoformat() + self.secret)

    def authenticate(self, credentials, duration=None):
        if duration is None:
            duration = timedelta(days=1)
        if not self.check_password(credentials):
            raise ValueError("Invalid credentials")
        user = self.get_user_unchecked(credentials.id)
        expiration = datetime.now() + duration
        return Token(self._sign(user, expiration), user, expiration)

    def get_user_unchecked(self, id):
        user = self.users[id]
        return User(user.username, user.emails, user.full_name, user.role, None)

    def validate_token(self, token):
        return (token.signature == self._sign(token.user, token.expiration)
                and token.expiration > datetime.now())

    def call(self, request):
        method = {
            "add_user": self.add_user,
            "check_password": self.check_password,
            "authenticate": self.authenticate,
            "validate_token": self.validate_token,
        }.get(request.name)
        if request.name == "get_user":
            return self.get_user(*request.args, metadata=request.metadata)
        if method is None:
            raise AttributeError(f"no method {request.name}")
        return method(*request.args)


def handle(conn, service):
    with conn:
        conn.settimeout(30)
        try:
            tree = json.loads(recv_frame(conn))
            raw = RAW_METHODS.get(tree.get("name")) if isinstance(tree, dict) else None
            if raw is not None:
                response = {"result": raw(*tree["args"]), "error": None, "$type": "Response"}
                send_frame(conn, json.dumps(response, indent=2))
                return
            request = from_ast(tree)
            try:
                response = Response(service.call(request), None)
            except Exception as e:  # the course's servers send the error's arguments as text
                response = Response(None, " ".join(map(str, e.args)))
        except Exception as e:
            response = Response(None, f"bad request: {e}")
        send_frame(conn, serialize(response))


def serve(host, secure):
    service = UsersService(secure)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server = socket.socket(family, socket.SOCK_STREAM)
    server.bind((host, 0))
    server.listen(64)
    print("READY", server.getsockname()[1], flush=True)

    def accept_loop():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(conn, service), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    sys.stdin.read()  # until the test closes stdin (or kills the process)
    server.close()


# --- the course-style client ----------------------------------------------------------------

def call(host, port, name, *args, metadata=None):
    with socket.create_connection((host, port), timeout=30) as conn:
        send_frame(conn, serialize(Request(name, list(args), metadata)))
        return json.loads(recv_frame(conn))


def step(name, response):
    print(json.dumps({"step": name, "result": response["result"], "error": response["error"],
                      "type": response.get("$type")}), flush=True)


def run_client(host, port):
    ada = User("ada", ["ada@example.org"], "Ada L.", Role.ADMIN, "engine")
    step("add ada", call(host, port, "add_user", ada))
    step("add ada again", call(host, port, "add_user", ada))
    step("get ada", call(host, port, "get_user", "ada@example.org"))
    step("get nobody", call(host, port, "get_user", "nobody"))
    step("check good", call(host, port, "check_password", Credentials("ada", "engine")))
    step("check bad", call(host, port, "check_password", Credentials("ada", "nope")))
    auth = call(host, port, "authenticate", Credentials("ada", "engine"), timedelta(hours=1))
    step("authenticate", auth)
    step("validate", call(host, port, "validate_token", from_ast(auth["result"])))
    step("wrong password", call(host, port, "authenticate", Credentials("ada", "nope")))


def run_secure(host, port):
    call(host, port, "add_user", User("ada", ["ada@example.org"], "Ada L.", Role.ADMIN, "engine"))
    call(host, port, "add_user", User("bob", ["bob@example.org"], "Bob", Role.USER, "builder"))
    admin = call(host, port, "authenticate", Credentials("ada", "engine"))["result"]
    user = call(host, port, "authenticate", Credentials("bob", "builder"))["result"]
    step("admin token", call(host, port, "get_user", "bob", metadata=from_ast(admin)))
    step("missing token", call(host, port, "get_user", "bob"))
    step("user token", call(host, port, "get_user", "ada", metadata=from_ast(user)))
    # Tokens are edited as JSON, as a forger would: the signature is kept.
    forged = json.loads(json.dumps(user))
    forged["user"]["role"]["name"] = "ADMIN"
    step("forged role", call_raw(host, port, "get_user", ["ada"], forged))
    later = json.loads(json.dumps(admin))
    when = datetime.fromisoformat(later["expiration"]["value"]) + timedelta(days=30)
    later["expiration"]["value"] = when.isoformat()
    step("edited expiry", call_raw(host, port, "get_user", ["bob"], later))
    step("wrong password", call(host, port, "authenticate", Credentials("ada", "nope")))


def call_raw(host, port, name, args, metadata_ast):
    """A call whose metadata is sent as the given JSON tree, untouched."""
    request = {"name": name, "args": args, "metadata": metadata_ast, "$type": "Request"}
    with socket.create_connection((host, port), timeout=30) as conn:
        send_frame(conn, json.dumps(request, indent=2))
        return json.loads(recv_frame(conn))


def run_wire(host, port):
    for i, sample in enumerate(WIRE_SAMPLES):
        response = call_raw(host, port, "echo", [sample], None)
        print(json.dumps({"step": f"sample {i}", "result": response["result"],
                          "error": response["error"], "type": response.get("$type"),
                          "same": response["result"] == sample}), flush=True)


def main(argv):
    if argv[0] == "serve":
        serve(argv[1], "--secure" in argv[2:])
    elif argv[0] == "client":
        run_client(argv[1], int(argv[2]))
    elif argv[0] == "secure":
        run_secure(argv[1], int(argv[2]))
    elif argv[0] == "wire":
        run_wire(argv[1], int(argv[2]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
