#!/usr/bin/env bash
# Builds the four providers with the release profile (stripped, LTO; see Cargo.toml) and packages
# them for the Terraform Registry and for provider mirrors (see scripts/package_release.py):
# zips, manifest, SHA256SUMS (+ .sig with a GPG key), and a network mirror under <out>/mirror.
#
# Usage: scripts/release.sh [--version X.Y.Z] [--out DIR] [--bin-dir DIR]
#   --version X.Y.Z  must equal Cargo.toml's version, which is the one place it is set
#   --out DIR        output directory (default: dist/); an earlier release's files there go first
#   --bin-dir DIR    package binaries already built there (e.g. target/debug) instead of building
# Environment: GPG_KEY_ID=<key> signs each SHA256SUMS with that key (binary detached signature);
#              GPG=<path> another gpg binary.
# Only this machine's platform is packaged: other targets need Rust toolchains that cannot be
# fetched here.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/release-common.sh
source "${REPO_ROOT}/scripts/release-common.sh"

want_version=""
out="${REPO_ROOT}/dist"
bin_dir=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --version) want_version="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --bin-dir) bin_dir="$2"; shift 2 ;;
        -h | --help) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "release.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

version="$(cargo_version)"
if [[ -n "${want_version}" && "${want_version#v}" != "${version}" ]]; then
    echo "release.sh: VERSION=${want_version} but Cargo.toml says ${version}; the version is set in" \
        "one place: change [package] version in Cargo.toml (and the CHANGELOG), then release" >&2
    exit 1
fi
platform="$(terraform_platform)"
if [[ -z "${bin_dir}" ]]; then
    bin_dir="$(build_release_providers)"
fi

# Only what an earlier run left: --out may name a directory that holds other things.
mkdir -p "${out}"
rm -rf "${out}/mirror" "${out}"/terraform-provider-*
python3 "${REPO_ROOT}/scripts/package_release.py" \
    --bin-dir "${bin_dir}" --out "${out}" --version "${version}" --platform "${platform}" \
    --namespace "${PROVIDER_NAMESPACE}" --types "${PROVIDER_TYPES[@]}" --hosts "${REGISTRY_HOSTS[@]}" \
    --gpg-key-id "${GPG_KEY_ID:-}" --gpg "${GPG:-gpg}"
