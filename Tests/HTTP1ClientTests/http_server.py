#!/usr/bin/env python3
"""An HTTP/1.1 server from CPython's http.server, scripted by path, for HTTP1Client's tests:
a server no one here wrote, with the answers a client must survive.

Usage: http_server.py tcp|unix ADDRESS_FILE [CERT KEY]
Listens on a free loopback port (or a unix socket in ADDRESS_FILE's directory), writes
"127.0.0.1:PORT" (or the socket's path) to ADDRESS_FILE, and serves until killed. With CERT and
KEY it speaks TLS.

  GET|HEAD /bytes/N        N bytes (0, 1, ..., 255, 0, ...), with Content-Length
  GET /chunked/N           the same N bytes, chunked in pieces of 1,000
  GET /until-close/N       the same N bytes, no length: the body ends when the connection closes
  GET /stall               Content-Length 10, 5 bytes sent, then silence for 30 s
  GET /trickle/N           N bytes, one every 50 ms
  GET /then-close          an answer that keeps the connection alive, and then closes it unsaid
  GET /slow/MS             "ok" after MS milliseconds
  GET /stats               {"connections": how many were accepted}
  PUT|POST /echo           {"length": bytes received, "sha256": their digest, "chunked": bool}
  PUT /refuse              413 at once, the body unread, and the connection closed
"""
import hashlib
import http.server
import json
import os
import socketserver
import ssl
import sys
import threading
import time

connections = 0
lock = threading.Lock()


def pattern(n):
    return bytes(i % 256 for i in range(n))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        global connections
        with lock:
            connections += 1
        super().setup()

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", headers=(), length=True):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        parts = self.path.strip("/").split("/")
        name, argument = parts[0], int(parts[1]) if len(parts) > 1 else 0
        if name == "bytes":
            self.answer(200, pattern(argument))
        elif name == "chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            body = pattern(argument)
            for start in range(0, len(body), 1000):
                piece = body[start:start + 1000]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        elif name == "until-close":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(pattern(argument))
            self.close_connection = True
        elif name == "stall":
            self.send_response(200)
            self.send_header("Content-Length", "10")
            self.end_headers()
            self.wfile.write(b"12345")
            self.wfile.flush()
            time.sleep(30)
            self.close_connection = True
        elif name == "trickle":
            self.send_response(200)
            self.send_header("Content-Length", str(argument))
            self.end_headers()
            for byte in pattern(argument):
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.05)
        elif name == "then-close":
            self.answer(200, b"bye")
            self.close_connection = True
        elif name == "slow":
            time.sleep(argument / 1000)
            self.answer(200, b"ok")
        elif name == "stats":
            with lock:
                self.answer(200, json.dumps({"connections": connections}).encode())
        else:
            self.answer(404, b"no such script")

    def do_POST(self):
        self.do_PUT()

    def do_PUT(self):
        if self.path == "/refuse":
            self.answer(413, b"too large", headers=[("Connection", "close")])
            self.close_connection = True
            return
        digest = hashlib.sha256()
        length = 0
        chunked = self.headers.get("Transfer-Encoding", "").lower() == "chunked"
        if chunked:
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                piece = self.rfile.read(size)
                self.rfile.readline()
                digest.update(piece)
                length += len(piece)
        else:
            left = int(self.headers.get("Content-Length", "0"))
            while left > 0:
                piece = self.rfile.read(min(left, 1 << 16))
                if not piece:
                    break
                digest.update(piece)
                length += len(piece)
                left -= len(piece)
        body = json.dumps({"length": length, "sha256": digest.hexdigest(), "chunked": chunked}).encode()
        self.answer(200, body)


class TCPServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):
        request, _ = super().get_request()
        return request, ("unix", 0)


def main():
    kind, address_file = sys.argv[1], sys.argv[2]
    if kind == "unix":
        path = os.path.join(os.path.dirname(address_file), "http.sock")
        server = UnixServer(path, Handler)
        address = path
    else:
        server = TCPServer(("127.0.0.1", 0), Handler)
        address = "127.0.0.1:%d" % server.server_address[1]
    if len(sys.argv) == 5:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[3], sys.argv[4])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    with open(address_file + ".tmp", "w") as f:
        f.write(address)
    os.rename(address_file + ".tmp", address_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
