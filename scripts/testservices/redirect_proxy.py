#!/usr/bin/env python3
"""A registry front that demands Basic auth and redirects blob downloads to another host,
as registries backed by object storage do.

    redirect_proxy.py FRONT_PORT STORAGE_PORT UPSTREAM USER:PASSWORD

The front (127.0.0.1:FRONT_PORT) answers 401 with a Basic challenge to requests without the
right credentials and forwards the rest to UPSTREAM (a registry without auth). Blob GETs are
answered with a 307 to http://localhost:STORAGE_PORT/… — another origin — which serves the blob
from UPSTREAM and records whether an Authorization header came along. GET /stats (on the
storage port) tells what it saw.
"""
import base64, json, sys, threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

front_port, storage_port, upstream, userpass = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
expected = "Basic " + base64.b64encode(userpass.encode()).decode()
lock = threading.Lock()
stats = {"storage_requests": 0, "storage_requests_with_authorization": 0}


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self, path, head=False):
        request = urllib.request.Request(f"http://{upstream}{path}", method="HEAD" if head else "GET")
        for name in ("Accept", "Range"):
            if self.headers.get(name):
                request.add_header(name, self.headers[name])
        try:
            response = urllib.request.urlopen(request)
        except urllib.error.HTTPError as error:
            response = error
        body = b"" if head else response.read()
        self.send_response(response.status)
        for name, value in response.headers.items():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", response.headers.get("Content-Length", str(len(body))) if head else str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def empty(self, status, headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()


class Front(Proxy):
    def handle_request(self, head):
        if self.headers.get("Authorization") != expected:
            return self.empty(401, [("WWW-Authenticate", 'Basic realm="redirecting registry"')])
        if "/blobs/" in self.path and not head:
            return self.empty(307, [("Location", f"http://localhost:{storage_port}{self.path}")])
        self.forward(self.path, head)

    def do_GET(self):
        self.handle_request(False)

    def do_HEAD(self):
        self.handle_request(True)


class Storage(Proxy):
    def do_GET(self):
        if self.path == "/stats":
            with lock:
                data = json.dumps(stats).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            return self.wfile.write(data)
        with lock:
            stats["storage_requests"] += 1
            if self.headers.get("Authorization"):
                stats["storage_requests_with_authorization"] += 1
        self.forward(self.path)


storage = ThreadingHTTPServer(("127.0.0.1", storage_port), Storage)
threading.Thread(target=storage.serve_forever, daemon=True).start()
ThreadingHTTPServer(("127.0.0.1", front_port), Front).serve_forever()
