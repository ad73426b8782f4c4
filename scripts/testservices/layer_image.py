#!/usr/bin/env python3
"""Writes a one-layer OCI image with a hand-made layer into an OCI layout, for the size tests.

    layer_image.py LAYOUT NAME KIND [BASE]

KIND:
  messy         a gzip layer of regular files, a directory, a symlink, a hard link (counted once),
                a long PAX name, and a file of 0 bytes
  no-end        the same tar without its two zero end blocks (Docker accepts it)
  two-members   the tar gzip'd as two concatenated gzip members (as pigz may write)
  zstd          the tar compressed with zstd (media type ...layer.v1.tar+zstd)
  wrong-diffid  a gzip layer whose config diff_id is the hash of other content

With BASE, the name of an image already in LAYOUT, the new image has BASE's layers and its own
on top: images made on one BASE share its layers.

Prints JSON: the layer's expected sizes {"tar", "unpacked", "entries", "compressed"}.
"""
import gzip, hashlib, io, json, os, subprocess, sys, tarfile

layout, name, kind = sys.argv[1:4]
base_name = sys.argv[4] if len(sys.argv) > 4 else None


def make_tar(end_blocks=True):
    buffer = io.BytesIO()
    archive = tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT)
    unpacked = 0
    entries = 0

    def add(info, data=None):
        nonlocal unpacked, entries
        info.mtime = 1700000000
        archive.addfile(info, io.BytesIO(data) if data is not None else None)
        unpacked += info.size
        entries += 1

    directory = tarfile.TarInfo("opt/data")
    directory.type = tarfile.DIRTYPE
    directory.mode = 0o755
    add(directory)
    for index, size in enumerate([1, 511, 512, 513, 70000, 0]):
        info = tarfile.TarInfo(f"opt/data/file{index}")
        info.size = size
        add(info, os.urandom(size))
    long_name = "opt/data/" + "a-rather-long-directory-name/" * 5 + "file-with-a-long-name.txt"
    info = tarfile.TarInfo(long_name)
    data = b"long names need a PAX header\n" * 10
    info.size = len(data)
    add(info, data)
    link = tarfile.TarInfo("opt/data/hardlink")
    link.type = tarfile.LNKTYPE
    link.linkname = "opt/data/file4"
    add(link)
    symlink = tarfile.TarInfo("opt/data/symlink")
    symlink.type = tarfile.SYMTYPE
    symlink.linkname = "file1"
    add(symlink)
    end = archive.offset
    archive.close()
    content = buffer.getvalue()
    return (content if end_blocks else content[:end]), unpacked, entries


tar, unpacked, entries = make_tar(end_blocks=(kind != "no-end"))
media_type = "application/vnd.oci.image.layer.v1.tar+gzip"
if kind == "zstd":
    blob = subprocess.run(["zstd", "-q", "-c"], input=tar, stdout=subprocess.PIPE, check=True).stdout
    media_type = "application/vnd.oci.image.layer.v1.tar+zstd"
elif kind == "two-members":
    half = len(tar) // 2
    blob = gzip.compress(tar[:half], mtime=0) + gzip.compress(tar[half:], mtime=0)
else:
    blob = gzip.compress(tar, mtime=0)
diff_id = hashlib.sha256(tar if kind != "wrong-diffid" else tar + b"other").hexdigest()


def put(data):
    digest = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def read(digest):
    with open(os.path.join(layout, "blobs", *digest.split(":")), "rb") as f:
        return json.load(f)


index_path = os.path.join(layout, "index.json")
index = json.load(open(index_path)) if os.path.exists(index_path) else {"schemaVersion": 2, "manifests": []}
base_layers, base_diff_ids, base_history = [], [], []
if base_name:
    base = next(m for m in index["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == base_name)
    base_manifest = read(base["digest"])
    base_config = read(base_manifest["config"]["digest"])
    base_layers = base_manifest["layers"]
    base_diff_ids = base_config["rootfs"]["diff_ids"]
    base_history = base_config["history"]

layer = put(blob)
config = put(json.dumps({
    "architecture": "amd64", "os": "linux",
    "config": {"Cmd": ["/bin/sh"]},
    "rootfs": {"type": "layers", "diff_ids": base_diff_ids + ["sha256:" + diff_id]},
    "history": base_history + [
        {"created_by": "/bin/sh -c #(nop)  LABEL kind=" + kind, "empty_layer": True},
        {"created_by": "/bin/sh -c make-layer " + kind},
    ],
}).encode())
manifest = put(json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
    "layers": base_layers + [{"mediaType": media_type, **layer}],
}).encode())
with open(os.path.join(layout, "oci-layout"), "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')
index["manifests"] = [m for m in index["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != name]
index["manifests"].append({"mediaType": "application/vnd.oci.image.manifest.v1+json", **manifest,
                           "annotations": {"org.opencontainers.image.ref.name": name}})
with open(index_path, "w") as f:
    json.dump(index, f)
print(json.dumps({"tar": len(tar), "unpacked": unpacked, "entries": entries, "compressed": len(blob)}))
