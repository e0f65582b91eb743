#!/usr/bin/env bash
# The project's one test command: installs the Terraform CLIs the acceptance tests need (see
# scripts/install-terraform.sh), builds every binary, then runs every test. Extra arguments go to
# `cargo test` (e.g. `scripts/test.sh --test acceptance_instaclustr -- apply_then`).
#
# Useful environment (see tests/support/mod.rs):
#   CLUSTERFORM_TF_VERSIONS=1.0.3,0.13.5   only these Terraform versions
#   CLUSTERFORM_TF_LOG=TRACE               TF_LOG for Terraform, log kept in each work dir
#   CLUSTERFORM_KEEP_WORKDIRS=1            keep every Terraform work dir
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ "${CI:-}" == "true" ]]; then
    export CARGO_TERM_COLOR=never
fi
# Here a missing 0.13.5 or 1.0.3 is a failure, not a skip.
export CLUSTERFORM_REQUIRE_TERRAFORM="${CLUSTERFORM_REQUIRE_TERRAFORM:-1}"

bash scripts/install-terraform.sh
cargo build --bins
# --no-fail-fast: one failing test binary must not hide the results of the others.
if [[ $# -gt 0 ]]; then
    exec cargo test --no-fail-fast "$@"
fi
# Everything `cargo test` runs, doc-tests first: cargo prints the doc-test summary last, and with
# few or no doc-tests that "0 passed" line would close the output and read as "no test ran".
status=0
cargo test --no-fail-fast --doc || status=$?
cargo test --no-fail-fast --lib --bins --tests --examples || status=$?

# The quick start as a user runs it (scripts/demo.sh): its one apply must activate both
# CloudBasic instances and cluster them, next to everything else, and its second plan is clean.
echo "== scripts/demo.sh"
demo_log=target/demo.log
if bash scripts/demo.sh >"${demo_log}" 2>&1; then
    apply=$(sed 's/\x1b\[[0-9;]*m//g' "${demo_log}" | sed -n '/^==> terraform apply$/,/^Apply complete!/p')
    for want in 'module.ha_pair.cloudbasic_instance.local: Creation complete' \
        'module.ha_pair.cloudbasic_instance.remote: Creation complete' \
        'module.ha_pair.cloudbasic_cluster.this: Creation complete' \
        'Apply complete! Resources: 8 added'; do
        if ! grep -qF "${want}" <<<"${apply}"; then
            echo "demo: the apply output lacks \"${want}\" (see ${demo_log})"
            status=1
        fi
    done
    grep -F 'ha_pair' <<<"${apply}" | grep -F 'Creation complete' || true
    echo "demo: passed (log in ${demo_log})"
else
    echo "demo: scripts/demo.sh failed; its output:"
    cat "${demo_log}"
    status=1
fi
exit "${status}"
