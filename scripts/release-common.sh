# Shared by scripts/install.sh and scripts/release.sh (sourced, not run): where the version comes
# from, which platform this is, and how the four provider binaries are built.

PROVIDER_TYPES=(instaclustr css cloudbasic redis)
PROVIDER_NAMESPACE=clusterform
REGISTRY_HOSTS=(registry.terraform.io registry.opentofu.org)

# The crate's version, from Cargo.toml's [package] section: the one place it is written.
cargo_version() {
    cargo metadata --no-deps --format-version 1 --manifest-path "${REPO_ROOT}/Cargo.toml" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["packages"][0]["version"])'
}

# Whether Cargo.toml declares a feature (the simulator may sit behind `simulator`).
cargo_has_feature() {
    cargo metadata --no-deps --format-version 1 --manifest-path "${REPO_ROOT}/Cargo.toml" |
        python3 -c 'import json, sys; sys.exit(0 if sys.argv[1] in json.load(sys.stdin)["packages"][0]["features"] else 1)' "$1"
}

# Terraform's name for this machine's platform: linux_amd64, linux_arm64, darwin_arm64, ...
terraform_platform() {
    local os arch
    case "$(uname -s)" in
        Linux) os=linux ;;
        Darwin) os=darwin ;;
        FreeBSD) os=freebsd ;;
        *) echo "unsupported OS $(uname -s)" >&2; return 1 ;;
    esac
    case "$(uname -m)" in
        x86_64 | amd64) arch=amd64 ;;
        aarch64 | arm64) arch=arm64 ;;
        i386 | i686) arch=386 ;;
        armv7l | armv6l) arch=arm ;;
        *) echo "unsupported architecture $(uname -m)" >&2; return 1 ;;
    esac
    echo "${os}_${arch}"
}

# Builds the four provider binaries with the release profile into <target dir>/release and
# prints that directory. When Cargo.toml has a `simulator` feature it is left off, so the
# providers do not link the simulator.
build_release_providers() {
    local args=(build --release)
    if cargo_has_feature simulator; then
        args+=(--no-default-features)
    fi
    local t
    for t in "${PROVIDER_TYPES[@]}"; do
        args+=(--bin "terraform-provider-${t}")
    done
    echo "+ cargo ${args[*]}" >&2
    (cd "${REPO_ROOT}" && cargo "${args[@]}") >&2
    echo "$(cargo_target_dir)/release"
}

# Where cargo puts its outputs (CARGO_TARGET_DIR, .cargo/config or target/).
cargo_target_dir() {
    cargo metadata --no-deps --format-version 1 --manifest-path "${REPO_ROOT}/Cargo.toml" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'
}
