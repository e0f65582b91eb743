#!/usr/bin/env bash
# A long fuzzing run: every target of tests/fuzz_smoke.rs (see src/fuzzing/) in release mode,
# one process per target, so a stack overflow or a refused allocation aborts only that target.
#
#   scripts/fuzz.sh [seconds-per-target] [target ...]
#
# Default: 60 seconds for every target. Built with optimisations plus overflow checks and debug
# assertions. Prints per target the inputs run, the time, and the
# crashes; crashing inputs are kept in <target dir>/fuzz-crashes/<target>/ (minimised, with the
# message beside them). Fix the parser, then add the input to tests/fuzz/corpus/<target>/.
#
# The seed is random per run unless CLUSTERFORM_FUZZ_SEED is set; it is printed, and a run is
# deterministic for a seed. Other knobs: CLUSTERFORM_FUZZ_MAX_LEN (default 65536 bytes),
# CLUSTERFORM_FUZZ_HANG_SECS (default 60), CLUSTERFORM_FUZZ_TRACE=1 (writes every input to
# fuzz-crashes/<target>/in-flight before running it: after an abort, rerun the target with the
# same seed and this set to catch the input that aborted).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds="${1:-60}"
shift || true
export CLUSTERFORM_FUZZ_SECONDS="${seconds}"
export CLUSTERFORM_FUZZ_SEED="${CLUSTERFORM_FUZZ_SEED:-$(( $(date +%s) ^ $$ ))}"
target_dir="${CARGO_TARGET_DIR:-target}"
# Optimised, but with the checks a fuzzer is for: integer overflow and debug assertions panic.
export CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=true
export CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS=true

if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    # The fuzz targets are the tests named after them, the ones with a corpus.
    mapfile -t targets < <(cargo test --release --quiet --test fuzz_smoke -- --list 2>/dev/null |
        sed -n 's/: test$//p' | while read -r name; do
            [[ -d "tests/fuzz/corpus/${name}" ]] && echo "${name}"
        done)
fi
if [[ ${#targets[@]} -eq 0 ]]; then
    echo "fuzz.sh: no targets (does tests/fuzz_smoke.rs build?)" >&2
    cargo test --release --test fuzz_smoke --no-run
    exit 1
fi

echo "fuzz.sh: ${#targets[@]} targets, ${seconds} s each, seed ${CLUSTERFORM_FUZZ_SEED}"
logs="$(mktemp -d)"
failed=0
summary=()
for target in "${targets[@]}"; do
    log="${logs}/${target}.log"
    cargo test --release --quiet --test fuzz_smoke -- --exact "${target}" --nocapture \
        >"${log}" 2>&1
    status=$?
    # The engine's report line: "<target> <n> inputs <s> s ... crashes <k>".
    line="$(grep -E "^${target} +[0-9]+ inputs" "${log}" | tail -n 1)"
    if [[ -n "${line}" ]]; then
        echo "${line}"
        inputs="$(awk '{print $2}' <<<"${line}")"
        secs="$(awk '{print $4}' <<<"${line}")"
        crashes="$(awk '{print $NF}' <<<"${line}")"
    else
        inputs="?"
        secs="?"
        crashes="abort"
    fi
    if [[ ${status} -ne 0 ]]; then
        failed=1
        grep -E "^CRASH|^  input|overflowed|memory allocation|fuzz: hang" "${log}" | sed 's/^/    /'
        if [[ -z "${line}" ]]; then
            echo "    ${target} aborted; its log: ${log}"
            echo "    rerun: CLUSTERFORM_FUZZ_SEED=${CLUSTERFORM_FUZZ_SEED} CLUSTERFORM_FUZZ_TRACE=1 scripts/fuzz.sh 100000 ${target}"
            echo "    then the input is ${target_dir}/fuzz-crashes/${target}/in-flight"
        fi
    fi
    summary+=("$(printf '%-22s %12s %8s %8s' "${target}" "${inputs}" "${secs}" "${crashes}")")
done

echo
printf '%-22s %12s %8s %8s\n' target inputs seconds crashes
printf '%s\n' "${summary[@]}"
if [[ ${failed} -ne 0 ]]; then
    echo "fuzz.sh: crashes found; inputs in ${target_dir}/fuzz-crashes/, logs in ${logs}"
    exit 1
fi
rm -rf "${logs}"
