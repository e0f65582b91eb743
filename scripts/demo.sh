#!/usr/bin/env bash
# The demo: start the bundled API simulator, then `terraform apply` examples/quickstart (the
# modules of examples/modules, every provider) with the freshly built providers, show the
# result and a clean second plan, and destroy it again.
#   scripts/demo.sh            # apply, plan, destroy
#   scripts/demo.sh --keep     # leave the cluster and the simulator running
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
keep=false
[ "${1:-}" = "--keep" ] && keep=true

echo "==> building the providers and the simulator"
cargo build --quiet --bins

bash scripts/install-terraform.sh >/dev/null
if [ -x /usr/local/bin/terraform ]; then
  tf=/usr/local/bin/terraform
else
  tf="$root/.tools/terraform/1.0.3/terraform"
fi
echo "==> using $(TF_CLI_CONFIG_FILE=/dev/null "$tf" version | head -n1)"

# A copy of the quick start next to a copy of the modules it calls (`../modules/...`).
demo="$root/examples/.demo"
work="$demo/quickstart"
rm -rf "$demo"
mkdir -p "$work" "$demo/modules"
cp examples/quickstart/*.tf "$work/"
cp -R examples/modules/. "$demo/modules/"

echo "==> starting clusterform-sim"
"$root/target/debug/clusterform-sim" --listen 127.0.0.1:0 --pace 500ms >"$work/sim.url" 2>"$work/sim.log" &
sim_pid=$!
for _ in $(seq 1 50); do
  grep -q listening "$work/sim.url" 2>/dev/null && break
  sleep 0.1
done
sim_url=$(sed -n 's/.*listening on //p' "$work/sim.url")
[ -n "$sim_url" ] || { echo "simulator did not start:"; cat "$work/sim.log"; exit 1; }
echo "    simulator at $sim_url"
$keep || trap 'kill $sim_pid 2>/dev/null || true' EXIT

# dev_overrides points Terraform straight at target/debug: no registry, no `terraform init`.
cat >"$work/cli.tfrc" <<CFG
provider_installation {
  dev_overrides {
    "clusterform/instaclustr" = "$root/target/debug"
    "clusterform/css"         = "$root/target/debug"
    "clusterform/cloudbasic"  = "$root/target/debug"
    "clusterform/redis"       = "$root/target/debug"
  }
  direct {}
}
CFG
export TF_CLI_CONFIG_FILE="$work/cli.tfrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
# Every provider reads its settings from the environment; these point at the simulator's demo
# accounts (see the module docs in src/sim/).
export IC_USERNAME=demo IC_API_KEY=demo-key IC_API_HOSTNAME="$sim_url/instaclustr" IC_REQUEST_INTERVAL=0s
export CSS_REGION=demo-region CSS_IAM_ENDPOINT="$sim_url/iam" CSS_ENDPOINT="$sim_url/css" \
  CSS_PROJECT_ID=demo-project CSS_DOMAIN_NAME=demo-domain CSS_USER_NAME=demo CSS_PASSWORD=demo-password
# The simulator serves a fleet of CloudBasic instances behind one URL, and Redis nodes under
# <url>/redis/<node>.
export TF_VAR_cloudbasic_local_endpoint="$sim_url/cloudbasic" \
  TF_VAR_cloudbasic_remote_endpoint="$sim_url/cloudbasic"
export TF_VAR_redis_nodes_url="$sim_url/redis"
cd "$work"

echo "==> terraform get (the modules; dev_overrides serves the providers, so no init)"
"$tf" get >/dev/null
echo "==> terraform apply"
"$tf" apply -auto-approve -input=false
echo "==> the CloudBasic HA pair, activated and clustered by that one apply"
"$tf" output ha_pair
echo "==> terraform plan (expect: no changes)"
"$tf" plan -input=false -detailed-exitcode
if $keep; then
  echo "==> kept: simulator pid $sim_pid at $sim_url, working directory $work"
  echo "    (TF_CLI_CONFIG_FILE=$work/cli.tfrc, and the TF_VAR_*/IC_*/CSS_* exports of this script)"
  exit 0
fi
echo "==> terraform destroy"
"$tf" destroy -auto-approve -input=false
echo "==> demo finished"
