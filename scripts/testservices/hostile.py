#!/usr/bin/env python3
"""A hostile registry and a hostile unix-socket listener, for the tests of what the tool refuses.

    hostile.py SOCKET_PATH

Listens on a free loopback port and prints it, and listens on the unix socket SOCKET_PATH,
where it counts every connection (nothing should ever reach it). Each repository SCENARIO/app
(tag 1) misbehaves in one way:

    good            a sound one-layer image (gzip layer, OCI manifest)
    lying           a manifest naming good's layer with another size
    unix-realm      401 with a Bearer realm of http+unix://SOCKET/token
    unix-redirect   blob GETs answered 307 to http+unix://SOCKET/…
    unix-upload     pushes (to a repository under unix-upload/, where no manifest is yet): the
                    upload's Location is http+unix://SOCKET/…
    html            the manifest served as text/html
    dribble         the manifest's body, one byte a second
    dribble-token   401 to a token service that sends one byte a second
    escape          404 whose message holds terminal escape sequences
    escape-history  a sound image whose config's history commands hold terminal escape sequences
    negative-size   a layer of size -1
    huge-size       a layer of size near Int64.max
    dup-keys        a manifest with "config" twice
    semicolon-type  a sound image whose manifest comes with Content-Type ';'
    empty-type      a sound image whose manifest comes with an empty Content-Type
    expires         a token service answering expires_in 9223372036854775807
    tar-KIND        an image whose (plain tar) layer is hand-made, diff_id right; KIND is one of
                    base256-huge, base256-negative, pax-negative, pax-huge, pax-short-record,
                    longname-huge, sizes-overflow, no-padding, cut-padding (the last two valid, as
                    Go's archive/tar reads them)
    zstd-long       an image whose layer is zstd with a 2 GiB window (zstd --long=31)

GET /_stats answers {"requests": N, "socket_connections": N}.
"""
import gzip, hashlib, io, json, os, socket, subprocess, sys, tarfile, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

SOCKET_PATH = sys.argv[1]
UNIX_BASE = "http+unix://" + quote(SOCKET_PATH, safe="")
state = {"requests": 0, "socket_connections": 0}
lock = threading.Lock()


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def header(name, size_field, typeflag=b"0", raw_size=None):
    """A ustar header; size_field is written as octal unless raw_size (12 bytes) is given."""
    block = bytearray(512)
    block[0:len(name)] = name
    block[100:108] = b"0000644\0"
    block[108:116] = b"0000000\0"
    block[116:124] = b"0000000\0"
    block[124:136] = raw_size if raw_size is not None else b"%011o\0" % size_field
    block[136:148] = b"00000000000\0"
    block[156:157] = typeflag
    block[257:263] = b"ustar\0"
    block[263:265] = b"00"
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    return bytes(block)


def pad(data):
    return data + b"\0" * (-len(data) % 512)


def pax(records):
    body = b""
    for key, value in records:
        record = b" %s=%s\n" % (key, value)
        length = len(record)
        length += len(str(length + len(str(length))))
        body += str(length).encode() + record
    return header(b"pax", len(body), b"x") + pad(body)


def base256(value):
    return (value & ((1 << 96) - 1)).to_bytes(12, "big", signed=False) if value < 0 else bytes([0x80]) + value.to_bytes(11, "big")


def hostile_tar(kind):
    end = b"\0" * 1024
    hello = header(b"hello.txt", 5) + pad(b"hello")
    if kind == "base256-huge":
        return hello + header(b"big", 0, raw_size=base256((1 << 62) + 7)) + b"x" * 512 + end
    if kind == "base256-negative":
        return hello + header(b"neg", 0, raw_size=base256(-1024)) + end
    if kind == "pax-negative":
        return hello + pax([(b"size", b"-5")]) + header(b"neg", 0) + end
    if kind == "pax-huge":
        return hello + pax([(b"size", b"9223372036854775807")]) + header(b"big", 0) + b"x" * 512 + end
    if kind == "pax-short-record":
        body = b"1 size=5\n"  # a length shorter than its own "1 " prefix
        return hello + header(b"pax", len(body), b"x") + pad(body) + header(b"short", 0) + end
    if kind == "longname-huge":
        return hello + header(b"././@LongLink", 0, b"L", raw_size=base256(1 << 40)) + b"x" * 512 + end
    if kind == "sizes-overflow":
        # Hard links carry no data, but their sizes count (as Docker counts them).
        link = lambda name: header(name, 0, b"1", raw_size=base256((1 << 63) - 1000))
        return hello + link(b"a") + link(b"b") + end
    if kind == "no-padding":
        return header(b"hello.txt", 5) + b"hello"
    if kind == "cut-padding":
        return header(b"hello.txt", 5) + b"hello" + b"\0" * 100
    raise SystemExit("unknown tar kind " + kind)


def image(layer, layer_type, tar_bytes, layer_size=None, duplicate_config=False, created_by="hostile.py"):
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [digest(tar_bytes)]},
        "history": [{"created_by": created_by}],
    }, sort_keys=True).encode()
    config_descriptor = '{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d}' % (
        digest(config), len(config))
    layer_descriptor = '{"mediaType":"%s","digest":"%s","size":%d}' % (
        layer_type, digest(layer), len(layer) if layer_size is None else layer_size)
    manifest = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":%s,%s"layers":[%s]}' % (
        config_descriptor, ('"config":%s,' % config_descriptor) if duplicate_config else "", layer_descriptor)
    return manifest.encode(), {digest(config): config, digest(layer): layer}


def good_layer():
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        data = b"hello from a hostile registry\n" * 100
        info = tarfile.TarInfo("hello.txt")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    tar_bytes = buffer.getvalue()
    return gzip.compress(tar_bytes, mtime=0), tar_bytes


GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
TAR = "application/vnd.oci.image.layer.v1.tar"
ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
layer, tar_bytes = good_layer()
images = {}
blobs = {}


def add(scenario, manifest_and_blobs):
    manifest, its_blobs = manifest_and_blobs
    images[scenario] = manifest
    blobs.update(its_blobs)


add("good", image(layer, GZIP, tar_bytes))
for scenario in ("unix-realm", "unix-redirect", "unix-upload", "html", "dribble", "dribble-token", "escape",
                 "semicolon-type", "empty-type", "expires"):
    add(scenario, image(layer, GZIP, tar_bytes))
add("lying", image(layer, GZIP, tar_bytes, layer_size=len(layer) + 1000))
add("escape-history", image(layer, GZIP, tar_bytes, created_by="RUN \x1b]0;pwned\x07\x1b[2Kmake"))
add("negative-size", image(layer, GZIP, tar_bytes, layer_size=-1))
add("huge-size", image(layer, GZIP, tar_bytes, layer_size=9223372036854775000))
add("dup-keys", image(layer, GZIP, tar_bytes, duplicate_config=True))
for kind in ("base256-huge", "base256-negative", "pax-negative", "pax-huge", "pax-short-record", "longname-huge",
             "sizes-overflow", "no-padding", "cut-padding"):
    crafted = hostile_tar(kind)
    add("tar-" + kind, image(crafted, TAR, crafted))
zstd_tar = pad(header(b"zstd.txt", 5) + b"hello") + b"\0" * 1024
zstd_layer = subprocess.run(["zstd", "-q", "--long=31", "-c"], input=zstd_tar, capture_output=True, check=True).stdout
add("zstd-long", image(zstd_layer, ZSTD, zstd_tar))
TOKEN = "hostile-token"


class Registry(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body=b"", headers=(), head=False):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def error(self, status, code, message, headers=()):
        body = json.dumps({"errors": [{"code": code, "message": message}]}).encode()
        self.send(status, body, [("Content-Type", "application/json")] + list(headers))

    def do_GET(self):
        self.handle_request(head=False)

    def do_HEAD(self):
        self.handle_request(head=True)

    def do_POST(self):
        with lock:
            state["requests"] += 1
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        scenario = self.path.split("/")[2] if self.path.startswith("/v2/") else ""
        if scenario == "unix-upload" and "/blobs/uploads/" in self.path:
            return self.send(202, headers=[("Location", UNIX_BASE + "/containers/x/kill")])
        self.error(404, "NAME_UNKNOWN", "no uploads here")

    def challenge(self, realm):
        self.error(401, "UNAUTHORIZED", "authentication required",
                   [("WWW-Authenticate", 'Bearer realm="%s",service="hostile"' % realm)])

    def handle_request(self, head):
        path = self.path.split("?")[0]
        if path == "/_stats":
            with lock:
                return self.send(200, json.dumps(state).encode())
        with lock:
            state["requests"] += 1
        base = "http://127.0.0.1:%d" % self.server.server_address[1]
        if path == "/token" or path == "/dribble-token":
            body = json.dumps({"token": TOKEN, "expires_in": 9223372036854775807}).encode()
            if path == "/dribble-token":
                return self.dribble(body, "application/json")
            return self.send(200, body, [("Content-Type", "application/json")])
        if path == "/v2/" or path == "/v2":
            return self.send(200, b"{}", [("Content-Type", "application/json")])
        parts = path.split("/")
        if len(parts) < 6 or parts[1] != "v2":
            return self.error(404, "NOT_FOUND", "no such path")
        scenario, kind, reference = parts[2], parts[-2], parts[-1]
        if scenario == "unix-realm":
            return self.challenge(UNIX_BASE + "/token")
        if scenario in ("expires", "dribble-token") and self.headers.get("Authorization") != "Bearer " + TOKEN:
            return self.challenge(base + ("/token" if scenario == "expires" else "/dribble-token"))
        if scenario == "escape":
            return self.error(404, "MANIFEST_UNKNOWN", "\x1b]0;pwned\x07\x1b[2K\r\x1b[32mall good\x1b[0m")
        if kind == "manifests":
            if scenario == "unix-upload" and len(parts) > 6:
                return self.error(404, "MANIFEST_UNKNOWN", "nothing pushed here yet")
            manifest = images.get(scenario)
            if manifest is None or (reference != "1" and reference != digest(manifest)):
                return self.error(404, "MANIFEST_UNKNOWN", "unknown manifest")
            content_type = {"html": "text/html", "semicolon-type": ";", "empty-type": ""}.get(
                scenario, "application/vnd.oci.image.manifest.v1+json")
            if scenario == "dribble":
                return self.dribble(manifest, content_type, head)
            return self.send(200, manifest, [("Content-Type", content_type), ("Docker-Content-Digest", digest(manifest))],
                             head)
        if kind == "blobs" or parts[-2] == "blobs":
            blob = blobs.get(reference)
            if blob is None:
                return self.error(404, "BLOB_UNKNOWN", "unknown blob")
            if scenario == "unix-upload":
                return self.error(404, "BLOB_UNKNOWN", "not here yet")
            if scenario == "unix-redirect" and not head:
                return self.send(307, headers=[("Location", UNIX_BASE + "/containers/x/kill")])
            return self.send(200, blob, [("Content-Type", "application/octet-stream")], head)
        self.error(404, "NOT_FOUND", "no such path")

    def dribble(self, body, content_type, head=False):
        """Headers at once (no digest, so that a GET is needed), then a byte a second."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if head:
            return
        try:
            for index in range(len(body)):
                self.wfile.write(body[index:index + 1])
                self.wfile.flush()
                time.sleep(1)
        except OSError:
            pass


def listen_on_socket():
    if os.path.exists(SOCKET_PATH):
        os.unlink(SOCKET_PATH)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(SOCKET_PATH)
    listener.listen(16)
    while True:
        connection, _ = listener.accept()
        with lock:
            state["socket_connections"] += 1
        connection.close()


threading.Thread(target=listen_on_socket, daemon=True).start()
server = ThreadingHTTPServer(("127.0.0.1", 0), Registry)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
