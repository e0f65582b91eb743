#!/usr/bin/env bash
# End-to-end benchmark (`make bench`): builds the release binaries unless --bin-dir names ready
# ones, makes sure GNU time is there, then hands over to scripts/bench.py, which runs Terraform
# against clusterform-sim and HashiCorp's Go null provider and prints (--update: writes into
# BENCHMARKS.md) the tables. BENCHMARKS.md says what each figure means.
#
# Usage: scripts/bench.sh [--sections handshake,plan,apply,refresh,floor,css,processes,kill]
#          [--runs N] [--wait-runs N] [--terraform PATH] [--bin-dir DIR] [--label TEXT] [--update]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bin_dir=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
	case ${args[i]} in
	--bin-dir) bin_dir=${args[i + 1]:-} ;;
	--bin-dir=*) bin_dir=${args[i]#--bin-dir=} ;;
	-h | --help) exec python3 "$root/scripts/bench.py" --help ;;
	esac
done

extra=()
if [[ -z $bin_dir ]]; then
	# What users install: the providers without the simulator feature, with the release
	# profile's fat LTO (10+ minutes from clean); the simulator needs its default feature.
	target=${CARGO_TARGET_DIR:-$root/target}
	echo "bench: building the release binaries into $target/release (fat LTO: 10+ minutes from clean)" >&2
	cargo build --quiet --release --no-default-features --bins
	cargo build --quiet --release --bin clusterform-sim
	extra=(--bin-dir "$target/release" --profile "release (fat LTO; providers built with --no-default-features)")
fi

if [[ ! -x /usr/bin/time ]]; then
	if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
		apt-get install -y time >/dev/null
	else
		echo "bench: GNU time is missing at /usr/bin/time: install the 'time' package" >&2
		exit 1
	fi
fi

command_line="scripts/bench.sh"
for arg in "$@"; do
	if [[ $arg =~ ^[A-Za-z0-9_./,=:+-]+$ ]]; then
		command_line+=" $arg"
	else
		command_line+=" '${arg//\'/\'\\\'\'}'"
	fi
done
exec python3 "$root/scripts/bench.py" "${extra[@]}" "$@" --command-line "$command_line"
