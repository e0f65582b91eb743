#!/usr/bin/env bash
# Installs the four providers where a plain `terraform init` finds them: Terraform's implied local
# filesystem mirror, in the unpacked layout, under both registry hosts (Terraform and OpenTofu):
#
#   <plugin dir>/registry.terraform.io/clusterform/<type>/<version>/<os>_<arch>/terraform-provider-<type>_v<version>
#   <plugin dir>/registry.opentofu.org/clusterform/<type>/<version>/<os>_<arch>/terraform-provider-<type>_v<version>
#
# Usage: scripts/install.sh [--plugin-dir DIR] [--bin-dir DIR]
#   --plugin-dir DIR  where to install (default: $PLUGIN_DIR, else ~/.terraform.d/plugins)
#   --bin-dir DIR     install binaries already built there instead of building release ones
# The version is Cargo.toml's.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/release-common.sh
source "${REPO_ROOT}/scripts/release-common.sh"

plugin_dir="${PLUGIN_DIR:-${HOME}/.terraform.d/plugins}"
bin_dir=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --plugin-dir) plugin_dir="$2"; shift 2 ;;
        --bin-dir) bin_dir="$2"; shift 2 ;;
        -h | --help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

version="$(cargo_version)"
platform="$(terraform_platform)"
if [[ -z "${bin_dir}" ]]; then
    bin_dir="$(build_release_providers)"
fi

for type in "${PROVIDER_TYPES[@]}"; do
    src="${bin_dir}/terraform-provider-${type}"
    if [[ ! -x "${src}" ]]; then
        echo "install.sh: ${src} does not exist or is not executable" >&2
        exit 1
    fi
    for host in "${REGISTRY_HOSTS[@]}"; do
        dest_dir="${plugin_dir}/${host}/${PROVIDER_NAMESPACE}/${type}/${version}/${platform}"
        mkdir -p "${dest_dir}"
        # A fresh file rather than an overwrite: a running provider keeps its old inode.
        dest="${dest_dir}/terraform-provider-${type}_v${version}"
        rm -f "${dest}"
        install -m 0755 "${src}" "${dest}"
        echo "installed ${dest}"
    done
done
