#!/usr/bin/env python3
"""Pushes COUNT tiny images to the registry at REGISTRY (plain HTTP, loopback), for
Benchmarks/scale.sh, and prints their references, one per line.

    scale-images.py REGISTRY COUNT

Image i is `REGISTRY/scale/image-<i>:1`, each in a repository of its own, linux/amd64, OCI media
types: one base layer every image shares (mounted from the first repository, as a registry
holds it once) and one layer of its own (a file naming the image), each a gzip'd tar of a few
hundred bytes. Images already in the registry (by tag) are not pushed again, so a registry whose
storage is kept holds the set for every later run.
"""
import concurrent.futures
import gzip
import hashlib
import http.client
import io
import json
import sys
import tarfile
import threading

registry, count = sys.argv[1], int(sys.argv[2])
host, port = registry.rsplit(":", 1)


def layer(files):
    """A gzip'd tar of FILES (name → bytes), reproducible: returns (blob, diff_id)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            archive.addfile(info, io.BytesIO(data))
    tar = buffer.getvalue()
    return gzip.compress(tar, mtime=0), "sha256:" + hashlib.sha256(tar).hexdigest()


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


base, base_diff_id = layer({"etc/os-release": b"NAME=scale\n", "etc/hostname": b"scale\n"})
local = threading.local()


def request(method, path, body=None, headers=None):
    """One request on this thread's keep-alive connection: (status, headers)."""
    if not hasattr(local, "connection"):
        local.connection = http.client.HTTPConnection(host, int(port), timeout=60)
    local.connection.request(method, path, body=body, headers=headers or {})
    response = local.connection.getresponse()
    response.read()
    return response.status, response.headers


def put_blob(repository, data, mount_from=None):
    blob = digest(data)
    status, _ = request("HEAD", f"/v2/{repository}/blobs/{blob}")
    if status == 200:
        return
    if mount_from:
        status, headers = request("POST", f"/v2/{repository}/blobs/uploads/?mount={blob}&from={mount_from}")
        if status == 201:
            return
    else:
        status, headers = request("POST", f"/v2/{repository}/blobs/uploads/")
    if status != 202:
        raise SystemExit(f"POST upload to {repository}: {status}")
    location = headers["Location"]
    location = location.split(registry, 1)[1] if location.startswith("http") else location
    separator = "&" if "?" in location else "?"
    status, _ = request("PUT", f"{location}{separator}digest={blob}", body=data,
                        headers={"Content-Type": "application/octet-stream"})
    if status != 201:
        raise SystemExit(f"PUT {blob} to {repository}: {status}")


def push(index):
    repository = f"scale/image-{index:05d}"
    reference = f"{registry}/{repository}:1"
    status, _ = request("HEAD", f"/v2/{repository}/manifests/1",
                        headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    if status == 200:
        return reference
    own, own_diff_id = layer({f"srv/image-{index:05d}": f"image {index}\n".encode()})
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["/bin/sh"], "Labels": {"scale.index": str(index)}},
        "rootfs": {"type": "layers", "diff_ids": [base_diff_id, own_diff_id]},
        "history": [{"created_by": "scale base"}, {"created_by": f"scale image {index}"}],
    }, sort_keys=True).encode()
    put_blob(repository, base, mount_from=None if index == 0 else "scale/image-00000")
    put_blob(repository, own)
    put_blob(repository, config)
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": digest(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": digest(data), "size": len(data)} for data in (base, own)],
    }, sort_keys=True).encode()
    status, _ = request("PUT", f"/v2/{repository}/manifests/1", body=manifest,
                        headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    if status != 201:
        raise SystemExit(f"PUT manifest of {reference}: {status}")
    return reference


# The first image holds the base layer the others mount.
references = [push(0)]
with concurrent.futures.ThreadPoolExecutor(8) as pool:
    references += list(pool.map(push, range(1, count)))
print("\n".join(references))
