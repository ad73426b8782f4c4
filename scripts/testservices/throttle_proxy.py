#!/usr/bin/env python3
"""A pass-through front for a registry that sends blob bodies slowly, so that tests can act
in the middle of a download (kill the client, say).

    throttle_proxy.py PORT UPSTREAM BYTES_PER_SECOND

Every request is forwarded to UPSTREAM as is (method, path, Accept, Authorization, Range);
blob bodies are written in 64 KiB pieces at BYTES_PER_SECOND, everything else at full speed.
"""
import sys, time
import urllib.request, urllib.error
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, upstream, rate = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
piece = 64 * 1024


class Throttle(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def relay(self, head):
        request = urllib.request.Request(f"http://{upstream}{self.path}", method="HEAD" if head else "GET")
        for name in ("Accept", "Authorization", "Range"):
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
        slow = "/blobs/" in self.path
        while True:
            data = response.read(piece)
            if not data:
                break
            try:
                self.wfile.write(data)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                return
            if slow:
                time.sleep(len(data) / rate)

    def do_GET(self):
        self.relay(False)

    def do_HEAD(self):
        self.relay(True)


ThreadingHTTPServer(("127.0.0.1", port), Throttle).serve_forever()
