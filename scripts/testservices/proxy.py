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
        request it receives; GET /_stats answers {"requests": N} (not counted). A test starts
        its own, so that no other test's requests mix in.
"""
import base64, json, sys, threading, time
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

    def relay(self, head=False):
        request = urllib.request.Request(f"http://{self.upstream}{self.path}", method="HEAD" if head else "GET")
        for name in self.forwarded_headers:
            if self.headers.get(name):
                request.add_header(name, self.headers[name])
        try:
            response = urllib.request.urlopen(request)
        except urllib.error.HTTPError as error:
            response = error
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

        def do_GET(self):
            self.answer(False)

        def do_HEAD(self):
            self.answer(True)

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

        def do_GET(self):
            self.relay()

        def do_HEAD(self):
            self.relay(True)

    Throttle.upstream = upstream
    ThreadingHTTPServer(("127.0.0.1", int(port)), Throttle).serve_forever()


def count(upstream):
    lock = threading.Lock()
    stats = {"requests": 0}

    class Counter(Relay):
        forwarded_headers = ("Accept", "Authorization", "Range")

        def answer(self, head):
            if self.path == "/_stats":
                with lock:
                    return self.reply(200, body=json.dumps(stats).encode())
            with lock:
                stats["requests"] += 1
            self.relay(head)

        def do_GET(self):
            self.answer(False)

        def do_HEAD(self):
            self.answer(True)

    Counter.upstream = upstream
    server = ThreadingHTTPServer(("127.0.0.1", 0), Counter)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    {"redirect": redirect, "throttle": throttle, "count": count}[sys.argv[1]](*sys.argv[2:])
