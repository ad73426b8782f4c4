#!/usr/bin/env python3
"""A token service for distribution's `auth: token` mode (the Docker token auth protocol).

    token_server.py PORT KEY.pem CERT.pem SERVICE USER:PASSWORD

GET /token?service=…&scope=repository:NAME:ACTIONS answers {"token", "access_token", "expires_in"}
with an RS256 JWT that carries the certificate in its `x5c` header, which the registry checks
against its `rootcertbundle`. Anonymous callers get `pull`; callers with USER:PASSWORD (Basic)
get every action they ask for; wrong credentials get 401. GET /stats counts token requests.

POST /token with the OAuth2 form grant_type=refresh_token&refresh_token=identity-PASSWORD (an
identity token, as `docker login` keeps for some registries) gets every action too; another
refresh token gets 401.

The first pull-only token for each repository under `expiring/` says `expires_in: 300` but the
registry stops taking it after about 3 seconds (distribution allows 60 s of clock skew past
`exp`), so that a client meets a 401 for a token it believes valid; the tokens after it live
their 300 s, so that a renewed token never runs out under a slow, loaded machine.
"""
import base64, json, sys, threading, time, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

port, key_path, cert_path, service, userpass = sys.argv[1:6]
key = serialization.load_pem_private_key(open(key_path, "rb").read(), password=None)
cert = x509.load_pem_x509_certificate(open(cert_path, "rb").read())
cert_der = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
lock = threading.Lock()
stats = {"token_requests": 0, "by_scope": {}, "refresh_grants": 0, "expiring_tokens": 0}
short_lived_given = set()  # the `expiring/` repositories whose short-lived token went out


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(claims):
    header = {"typ": "JWT", "alg": "RS256", "x5c": [cert_der]}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64url(signature)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/stats":
            with lock:
                return self.reply(200, stats)
        if url.path != "/token":
            return self.reply(404, {"error": "not found"})
        authorization = self.headers.get("Authorization", "")
        authenticated = False
        if authorization.startswith("Basic "):
            if base64.b64decode(authorization[6:]).decode() != userpass:
                return self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "wrong username or password"}]})
            authenticated = True
        self.issue(parse_qs(url.query), authenticated)

    def do_POST(self):
        if urlparse(self.path).path != "/token":
            return self.reply(404, {"error": "not found"})
        form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode())
        if form.get("grant_type") != ["refresh_token"] or form.get("refresh_token") != ["identity-" + userpass.split(":", 1)[1]]:
            return self.reply(401, {"error": "invalid_grant", "error_description": "unknown refresh token"})
        with lock:
            stats["refresh_grants"] += 1
        self.issue(form, True)

    def issue(self, query, authenticated):
        access = []
        short_lived = False
        for scope in query.get("scope", []):
            for item in scope.split(" "):
                kind, _, rest = item.partition(":")
                name, _, actions = rest.rpartition(":")
                granted = [a for a in actions.split(",") if authenticated or a == "pull"]
                access.append({"type": kind, "name": name, "actions": granted})
                if name.startswith("expiring/") and granted == ["pull"]:
                    with lock:
                        short_lived = short_lived or name not in short_lived_given
                        short_lived_given.add(name)
                        stats["expiring_tokens"] += 1
                with lock:
                    stats["by_scope"][item] = stats["by_scope"].get(item, 0) + 1
        with lock:
            stats["token_requests"] += 1
        now = int(time.time())
        token = sign({
            "iss": "swift-images-test-issuer", "sub": userpass.split(":")[0] if authenticated else "",
            "aud": query.get("service", [service])[0], "exp": now - 57 if short_lived else now + 300, "nbf": now - 10,
            "iat": now, "jti": str(uuid.uuid4()), "access": access,
        })
        self.reply(200, {"token": token, "access_token": token, "expires_in": 300})


ThreadingHTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()
