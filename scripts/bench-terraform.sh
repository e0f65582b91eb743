#!/usr/bin/env bash
# End-to-end figure for BENCHMARKS.md: wall time of `terraform plan` for N instaclustr_cluster
# resources (no refresh, no API calls: schema, validation, planning over the real protocol) and
# the provider's peak memory. Usage: scripts/bench-terraform.sh [N] [terraform binary]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-500}
tf=$(realpath "${2:-$root/.tools/terraform/1.0.3/terraform}")
cd "$root"
cargo build --quiet --release --bin terraform-provider-instaclustr
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A wrapper records each provider process's peak RSS (GNU time) without touching stdout.
cat >"$work/terraform-provider-instaclustr" <<WRAP
#!/bin/sh
exec /usr/bin/time -a -o "$work/rss.txt" -f "%M" "$root/target/release/terraform-provider-instaclustr" "\$@"
WRAP
chmod +x "$work/terraform-provider-instaclustr"
cat >"$work/cli.tfrc" <<CFG
provider_installation {
  dev_overrides { "clusterform/instaclustr" = "$work" }
  direct {}
}
CFG
{
  echo 'terraform {'
  echo '  required_providers {'
  echo '    instaclustr = { source = "clusterform/instaclustr" }'
  echo '  }'
  echo '}'
  echo 'provider "instaclustr" {'
  echo '  username = "bench"'
  echo '  api_key  = "bench"'
  echo '}'
  echo 'resource "instaclustr_cluster" "c" {'
  echo "  count        = $n"
  echo '  cluster_name = "bench_${count.index}"'
  echo '  node_size    = "t3.small-v2"'
  echo '  data_centre  = "US_WEST_2"'
  echo '  cluster_provider { name = "AWS_VPC" }'
  echo '  bundle {'
  echo '    bundle  = "APACHE_CASSANDRA"'
  echo '    version = "4.0.1"'
  echo '  }'
  echo '}'
} >"$work/main.tf"
cd "$work"
export TF_CLI_CONFIG_FILE="$work/cli.tfrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
echo "terraform: $("$tf" version | head -n1), resources: $n"
for run in 1 2 3; do
  start=$EPOCHREALTIME
  "$tf" plan -refresh=false -input=false -no-color >/dev/null
  end=$EPOCHREALTIME
  awk -v a="$start" -v b="$end" -v r="$run" 'BEGIN { printf "run %d: plan %.2f s\n", r, b - a }'
done
echo "provider processes: $(wc -l <rss.txt), peak RSS max $(sort -n rss.txt | tail -n1) KiB"
