#!/usr/bin/env python3
"""Packages built provider binaries the way the Terraform Registry and provider mirrors expect.

For each provider type, into OUT:
  terraform-provider-<type>_<version>_<os>_<arch>.zip   holding terraform-provider-<type>_v<version>
  terraform-provider-<type>_<version>_manifest.json     protocol versions 5.0 and 6.0
  terraform-provider-<type>_<version>_SHA256SUMS        sha256sum format: the zips and the manifest
  terraform-provider-<type>_<version>_SHA256SUMS.sig    binary detached GPG signature (--gpg-key-id)
and a provider network mirror (the protocol of Terraform's `network_mirror`) under OUT/mirror:
  mirror/<host>/<namespace>/<type>/index.json           {"versions": {"<version>": {}}}
  mirror/<host>/<namespace>/<type>/<version>.json       {"archives": {"<os>_<arch>": {"url", "hashes"}}}
  mirror/<host>/<namespace>/<type>/<zip>                the zip the url names (relative)

Only the standard library: a fresh CI machine has Python but not necessarily `zip`.
Called by scripts/release.sh; tests/release_mirror.rs runs it on a dev build.
"""

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile

MANIFEST = {"version": 1, "metadata": {"protocol_versions": ["5.0", "6.0"]}}
# A fixed timestamp in every zip entry, so the same binary always gives the same zip (and hash).
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def h1_hash(member_name, binary_path):
    """Terraform's `h1:` hash of the unpacked package: a sha256 over `<sha256>  <name>\\n` lines."""
    summary = f"{sha256_file(binary_path)}  {member_name}\n".encode()
    return "h1:" + base64.b64encode(hashlib.sha256(summary).digest()).decode()


def write_zip(zip_path, member_name, binary_path):
    info = zipfile.ZipInfo(member_name, date_time=ZIP_DATE)
    info.create_system = 3  # Unix, so the mode below is honoured when unpacking
    info.external_attr = (0o100755 & 0xFFFF) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(zip_path, "w") as zf, open(binary_path, "rb") as src:
        with zf.open(info, "w") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=2, sort_keys=True)
        f.write("\n")


def link_or_copy(src, dest):
    if os.path.exists(dest):
        os.remove(dest)
    try:
        os.link(src, dest)
    except OSError:
        shutil.copyfile(src, dest)


def sign(path, key_id, gpg):
    sig = path + ".sig"
    if os.path.exists(sig):
        os.remove(sig)
    subprocess.run(
        [gpg, "--batch", "--yes", "--local-user", key_id, "--detach-sign", "--output", sig, path],
        check=True,
    )
    return sig


def package_type(args, type_name):
    binary = os.path.join(args.bin_dir, f"terraform-provider-{type_name}")
    if not os.path.isfile(binary) or not os.access(binary, os.X_OK):
        sys.exit(f"package_release.py: {binary} does not exist or is not executable")
    prefix = f"terraform-provider-{type_name}_{args.version}"
    member = f"terraform-provider-{type_name}_v{args.version}"
    zip_name = f"{prefix}_{args.platform}.zip"
    zip_path = os.path.join(args.out, zip_name)
    write_zip(zip_path, member, binary)
    zip_sha = sha256_file(zip_path)

    manifest_name = f"{prefix}_manifest.json"
    with open(os.path.join(args.out, manifest_name), "w") as f:
        json.dump(MANIFEST, f)

    sums_path = os.path.join(args.out, f"{prefix}_SHA256SUMS")
    with open(sums_path, "w") as f:
        for name in sorted([zip_name, manifest_name]):
            f.write(f"{sha256_file(os.path.join(args.out, name))}  {name}\n")
    artifacts = [zip_name, manifest_name, os.path.basename(sums_path)]
    if args.gpg_key_id:
        artifacts.append(os.path.basename(sign(sums_path, args.gpg_key_id, args.gpg)))

    hashes = [h1_hash(member, binary), f"zh:{zip_sha}"]
    for host in args.hosts:
        dir_ = os.path.join(args.out, "mirror", host, args.namespace, type_name)
        os.makedirs(dir_, exist_ok=True)
        link_or_copy(zip_path, os.path.join(dir_, zip_name))
        # A mirror directory reused across releases keeps the versions it already lists.
        index_path = os.path.join(dir_, "index.json")
        index = {"versions": {}}
        if os.path.exists(index_path):
            with open(index_path) as f:
                index = json.load(f)
        index.setdefault("versions", {})[args.version] = {}
        write_json(index_path, index)
        version_path = os.path.join(dir_, f"{args.version}.json")
        archives = {"archives": {}}
        if os.path.exists(version_path):
            with open(version_path) as f:
                archives = json.load(f)
        archives.setdefault("archives", {})[args.platform] = {"url": zip_name, "hashes": hashes}
        write_json(version_path, archives)
    return artifacts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin-dir", required=True, help="directory holding terraform-provider-<type>")
    parser.add_argument("--out", required=True, help="output directory (created)")
    parser.add_argument("--version", required=True)
    parser.add_argument("--platform", required=True, help="os_arch, e.g. linux_amd64")
    parser.add_argument("--namespace", default="clusterform")
    parser.add_argument("--types", nargs="+", default=["instaclustr", "css", "cloudbasic", "redis"])
    parser.add_argument("--hosts", nargs="+", default=["registry.terraform.io", "registry.opentofu.org"])
    parser.add_argument("--gpg-key-id", default="", help="sign each SHA256SUMS with this key")
    parser.add_argument("--gpg", default="gpg")
    args = parser.parse_args()

    os.makedirs(args.out, exist_ok=True)
    for type_name in args.types:
        for name in package_type(args, type_name):
            path = os.path.join(args.out, name)
            print(f"{os.path.getsize(path):>12}  {path}")
    print(f"network mirror: {os.path.join(args.out, 'mirror')}/")


if __name__ == "__main__":
    main()
