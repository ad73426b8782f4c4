#!/usr/bin/env python3
"""Fronts for a real registry that change one thing about it, for the tests.

    proxy.py redirect FRONT_PORT STORAGE_PORT UPSTREAM USER:PASSWORD
        The front (127.0.0.1:FRONT_PORT) answers 401 with a Basic challenge to requests without
        the right credentials and forwards the rest to UPSTREAM (a registry without auth). Blob
        GETs get a 307 to http://localhost:STORAGE_PORT/… — another origin, as object storage
        behind a registry is — which serves the blob from UPSTREAM and counts whether an
        Authorization header came along. GET /stats on the storage port tells the counts.

    proxy.py throttle PORT UPSTREAM BYTES_PER_SECOND
        Forwards everything to UPSTREAM, and writes blob bodies at BYTES_PER_SECOND, so that a
        test can act in the middle of a download.

    proxy.py count UPSTREAM
        Listens on a free port, prints it, and forwards everything to UPSTREAM, counting every
        request it receives; GET /_stats answers {"requests": N, "agents": [each distinct
        User-Agent]} (not counted). A test starts its own, so that no other test's requests mix in.

    proxy.py fault UPSTREAM ACTION TIMES [PATH_PART]
        Listens on a free port, prints it, and forwards everything to UPSTREAM, except that the
        first TIMES requests whose path contains PATH_PART (default /blobs/) get ACTION (the
        actions on bodies only hit bodies of 100 kB or more, so layers rather than configs):
          reset      half the body, then a TCP reset
          truncate   half the body (Content-Length says all of it), then the connection closed
          stall      half the body, then nothing for 60 s
          flip       the whole body with one byte changed
          500, 503   that status, with a distribution error body
          503-later  503 with Retry-After: 3600
          429        429 Too Many Requests with Retry-After: 1
          exhausted  429 with RateLimit-Remaining: 0;w=21600 and Retry-After: 3600
          patch-reset  a PATCH of an upload's chunk after the first (Content-Range not from 0):
                     its body read, nothing forwarded, then a TCP reset
          503-put    503 to PUT requests only (manifests, the end of uploads)
        (500 and 503 hit POST, PUT and PATCH too, after reading their body.)
        POST, PUT and PATCH go to UPSTREAM with their bodies and the Host header, so that the
        upload locations the registry gives point back at this front. Every answer carries RateLimit-Limit: 100;w=21600 and RateLimit-Remaining: 42;w=21600.
        GET /_stats answers {"requests": N, "faults": N, "ranges": [Range headers received],
        "gaps": [seconds from each fault to the next matching request], "methods": {METHOD: N}}.

    proxy.py hold UPSTREAM
        Listens on a free port, prints it, and forwards everything to UPSTREAM, except that GETs
        of blobs of 100 kB or more (layers, not configs) wait until GET /_release arrives;
        GET /_stats answers {"requests": N, "held": N} (held: GETs that have waited or are
        waiting). A test can so be sure that a pull is still running while it looks at what the
        pull has already done.
"""
import base64, json, socket, struct, sys, threading, time
import urllib.error, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PIECE = 64 * 1024


class Relay(BaseHTTPRequestHandler):
    """Forwards a request to the upstream registry and streams the answer back."""
    protocol_version = "HTTP/1.1"
    upstream = None
    forwarded_headers = ("Accept", "Range")
    blob_rate = None  # bytes per second for blob bodies; None: full speed

    def log_message(self, *args):
        pass

    def answer(self, head):
        """What this front does with a GET or HEAD: by default, forwards it."""
        self.relay(head)

    def do_GET(self):
        try:
            self.answer(False)
        except OSError:  # the client went away
            pass

    def do_HEAD(self):
        try:
            self.answer(True)
        except OSError:
            pass

    def open_upstream(self, head=False):
        """The upstream's answer to this request (an error status is an answer too)."""
        request = urllib.request.Request(f"http://{self.upstream}{self.path}", method="HEAD" if head else "GET")
        for name in self.forwarded_headers:
            if self.headers.get(name):
                request.add_header(name, self.headers[name])
        try:
            return urllib.request.urlopen(request)
        except urllib.error.HTTPError as error:
            return error

    def relay(self, head=False, response=None):
        """Sends the upstream's answer (`response` when already opened) back."""
        if response is None:
            response = self.open_upstream(head)
        self.send_response(response.status)
        for name, value in response.headers.items():
            if name.lower() not in ("transfer-encoding", "connection"):
                self.send_header(name, value)
        self.end_headers()
        if head:
            return
        pace = self.blob_rate if "/blobs/" in self.path else None
        while data := response.read(PIECE):
            try:
                self.wfile.write(data)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                return
            if pace:
                time.sleep(len(data) / pace)

    def forward_with_body(self):
        """Forwards a POST, PUT or PATCH with its body (read whole: test uploads are small)."""
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length) if length else b""
        request = urllib.request.Request(f"http://{self.upstream}{self.path}", data=body, method=self.command)
        for name in self.forwarded_headers + ("Content-Type", "Content-Range", "Host"):
            if self.headers.get(name):
                request.add_header(name, self.headers[name])
        try:
            response = urllib.request.urlopen(request)
        except urllib.error.HTTPError as error:
            response = error
        self.relay(response=response)

    def reset(self):
        """Ends the connection with a TCP reset."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def reply(self, status, headers=(), body=b""):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def redirect(front_port, storage_port, upstream, userpass):
    expected = "Basic " + base64.b64encode(userpass.encode()).decode()
    lock = threading.Lock()
    stats = {"storage_requests": 0, "storage_requests_with_authorization": 0}

    class Front(Relay):
        def answer(self, head):
            if self.headers.get("Authorization") != expected:
                return self.reply(401, [("WWW-Authenticate", 'Basic realm="redirecting registry"')])
            if "/blobs/" in self.path and not head:
                return self.reply(307, [("Location", f"http://localhost:{storage_port}{self.path}")])
            self.relay(head)

    class Storage(Relay):
        def do_GET(self):
            if self.path == "/stats":
                with lock:
                    return self.reply(200, body=json.dumps(stats).encode())
            with lock:
                stats["storage_requests"] += 1
                if self.headers.get("Authorization"):
                    stats["storage_requests_with_authorization"] += 1
            self.relay()

    Front.upstream = Storage.upstream = upstream
    storage = ThreadingHTTPServer(("127.0.0.1", int(storage_port)), Storage)
    threading.Thread(target=storage.serve_forever, daemon=True).start()
    ThreadingHTTPServer(("127.0.0.1", int(front_port)), Front).serve_forever()


def throttle(port, upstream, rate):
    class Throttle(Relay):
        forwarded_headers = ("Accept", "Authorization", "Range")
        blob_rate = int(rate)

    Throttle.upstream = upstream
    ThreadingHTTPServer(("127.0.0.1", int(port)), Throttle).serve_forever()


def count(upstream):
    lock = threading.Lock()
    stats = {"requests": 0, "agents": []}

    class Counter(Relay):
        forwarded_headers = ("Accept", "Authorization", "Range")

        def answer(self, head):
            if self.path == "/_stats":
                with lock:
                    return self.reply(200, body=json.dumps(stats).encode())
            with lock:
                stats["requests"] += 1
                agent = self.headers.get("User-Agent", "")
                if agent not in stats["agents"]:
                    stats["agents"].append(agent)
            self.relay(head)

    Counter.upstream = upstream
    server = ThreadingHTTPServer(("127.0.0.1", 0), Counter)
    print(server.server_address[1], flush=True)
    server.serve_forever()


def fault(upstream, action, times, path_part="/blobs/"):
    lock = threading.Lock()
    stats = {"requests": 0, "faults": 0, "ranges": [], "gaps": [], "methods": {}}
    state = {"left": int(times), "last_fault": None}

    class Faulty(Relay):
        forwarded_headers = ("Accept", "Authorization", "Range", "Host")

        def upstream_response(self, head):
            response = self.open_upstream(head)
            return response.status, [(n, v) for n, v in response.headers.items()
                                     if n.lower() not in ("transfer-encoding", "connection")], response.read()

        def send_head(self, status, headers, remaining=42):
            self.send_response(status)
            for name, value in headers + [("RateLimit-Limit", "100;w=21600"),
                                          ("RateLimit-Remaining", f"{remaining};w=21600")]:
                self.send_header(name, value)
            self.end_headers()

        def answer(self, head):
            if self.path == "/_stats":
                with lock:
                    body = json.dumps(stats).encode()
                self.send_head(200, [("Content-Length", str(len(body)))])
                return self.wfile.write(body)
            matching = path_part in self.path and action not in ("503-put", "patch-reset")  # those are for uploads
            status, headers, body = (None, [], b"")
            if matching and action in ("reset", "truncate", "stall", "flip"):
                status, headers, body = self.upstream_response(head)
                matching = len(body) >= 100_000
            with lock:
                stats["requests"] += 1
                stats["methods"][self.command] = stats["methods"].get(self.command, 0) + 1
                if self.headers.get("Range"):
                    stats["ranges"].append(self.headers["Range"])
                if matching and state["last_fault"] is not None:
                    stats["gaps"].append(time.monotonic() - state["last_fault"])
                    state["last_fault"] = None
                inject = matching and state["left"] > 0
                if inject:
                    state["left"] -= 1
                    stats["faults"] += 1
                    state["last_fault"] = time.monotonic()
            if inject and action in ("500", "503", "503-later", "429", "exhausted"):
                body = b"" if head else json.dumps({"errors": [{"code": "UNAVAILABLE", "message": "injected fault"}]}).encode()
                status = {"500": 500, "503": 503, "503-later": 503}.get(action, 429)
                retry_after = {"429": [("Retry-After", "1")], "exhausted": [("Retry-After", "3600")],
                               "503-later": [("Retry-After", "3600")]}.get(action, [])
                self.send_head(status, [("Content-Length", str(len(body)))] + retry_after,
                               remaining=0 if action == "exhausted" else 42)
                return self.wfile.write(body)
            if status is None:
                status, headers, body = self.upstream_response(head)
            if not inject or head or status not in (200, 206) or not body:
                self.send_head(status, headers)
                return None if head else self.wfile.write(body)
            if action == "flip":
                middle = len(body) // 2
                body = body[:middle] + bytes([body[middle] ^ 0xFF]) + body[middle + 1:]
                self.send_head(status, headers)
                return self.wfile.write(body)
            self.send_head(status, headers)
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            if action == "reset":
                time.sleep(0.3)  # so that the half arrives before the reset does
                self.reset()
            elif action == "truncate":
                self.connection.shutdown(socket.SHUT_RDWR)
            elif action == "stall":
                time.sleep(60)

        def with_body(self):
            with lock:
                stats["requests"] += 1
                stats["methods"][self.command] = stats["methods"].get(self.command, 0) + 1
                later_chunk = self.command == "PATCH" and not self.headers.get("Content-Range", "0-").startswith("0-")
                inject = (path_part in self.path and state["left"] > 0
                          and (action in ("500", "503") or (action == "503-put" and self.command == "PUT")
                               or (action == "patch-reset" and later_chunk)))
                if inject:
                    state["left"] -= 1
                    stats["faults"] += 1
            if not inject:
                return self.forward_with_body()
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if action == "patch-reset":
                return self.reset()
            body = json.dumps({"errors": [{"code": "UNAVAILABLE", "message": "injected fault"}]}).encode()
            self.send_head(int(action[:3]), [("Content-Length", str(len(body)))])
            self.wfile.write(body)

        do_POST = do_PUT = do_PATCH = with_body

    Faulty.upstream = upstream
    server = ThreadingHTTPServer(("127.0.0.1", 0), Faulty)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


def hold(upstream):
    lock = threading.Lock()
    stats = {"requests": 0, "held": 0}
    released = threading.Event()

    class Holder(Relay):
        forwarded_headers = ("Accept", "Authorization", "Range")

        def answer(self, head):
            if self.path in ("/_stats", "/_release"):
                if self.path == "/_release":
                    released.set()
                with lock:
                    return self.reply(200, body=json.dumps(stats).encode())
            with lock:
                stats["requests"] += 1
            response = self.open_upstream(head)
            if "/blobs/" in self.path and not head and int(response.headers.get("Content-Length", 0)) >= 100_000:
                with lock:
                    stats["held"] += 1
                released.wait()
            self.relay(head, response)

    Holder.upstream = upstream
    server = ThreadingHTTPServer(("127.0.0.1", 0), Holder)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    {"redirect": redirect, "throttle": throttle, "count": count, "fault": fault,
     "hold": hold}[sys.argv[1]](*sys.argv[2:])
