"""Bulk jobs as users run them, against s5cmd on the same endpoint, in one interleaved run.

The console runs as in production: gunicorn from the project's `gunicorn.conf.py` (gthread
workers), a real Celery worker (threads pool, as docker-compose starts it) on Redis, a
fresh PostgreSQL database made for this run (SQLite when PostgreSQL does not answer). The
benchmark signs in over HTTP and starts every job with the POST the page's form sends, then
polls the job's status endpoint (`X-Job-Status`, what the pages poll) until it ends.

Measured per endpoint (a fresh moto server, and the loopback Ceph RGW when it answers):
1. delete 10,000 objects of a prefix: console "Delete" job vs `s5cmd rm 's3://b/p/*'`;
2. copy a prefix of 10,000 small objects to another bucket: console "Copy" job vs
   `s5cmd cp 's3://src/p/*' 's3://dst/p/'`;
3. the zip download of 1,000 objects (1 GiB) through the console, written to disk as a
   browser would, vs `s5cmd cp 's3://b/z/*' dir/`, with the RSS growth of the gunicorn worker;
4. the Celery worker's peak RSS during each console job.

Each round runs every case once, the console and s5cmd in a shuffled order, so load on the
shared machine falls on both alike. Raw JSON goes to bench/results/ (git-ignored).

    .venv/bin/python bench/bulk.py [--rounds 3] [--no-rgw] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import console_app  # noqa: E402
import s3fill  # noqa: E402
from common import (  # noqa: E402
    BIN,
    ROOT,
    Children,
    drop_database,
    free_port,
    fresh_database,
    log,
    machine_info,
    rgw_settings,
    wait_for_port,
)

MiB = 1024 * 1024
REDIS_DB = 15  # the suite uses 2..13 (tests/testenv.py); the queue name is this run's own too
GOALS = {"delete": 0.8, "copy": 0.8, "zip": 0.7, "web_rss_mb": 50, "worker_rss_mb": 200}


# --- processes and memory --------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system, all threads) a live process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds each process spent during a measurement, and the tool's own (its children)."""

    def __init__(self, pids: dict[str, list[int]]) -> None:
        self.pids = {name: [p for p in ps if p] for name, ps in pids.items()}

    def __enter__(self) -> CpuMeter:
        self.before = {name: sum(cpu_s(p) for p in ps) for name, ps in self.pids.items()}
        self.children_before = _children_cpu()
        return self

    def __exit__(self, *exc) -> None:
        self.used = {name: round(sum(cpu_s(p) for p in ps) - self.before[name], 2) for name, ps in self.pids.items()}
        self.used["tool"] = round(_children_cpu() - self.children_before, 2)  # s5cmd: waited-for children


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def child_pids(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


class RssSampler:
    """RSS of some processes every 20 ms while a measurement runs: the start and the peak."""

    def __init__(self, pids: list[int], interval: float = 0.02) -> None:
        self.pids = pids
        self.interval = interval
        self.start = {p: rss_mb(p) for p in pids}
        self.peak = dict(self.start)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for p in self.pids:
                self.peak[p] = max(self.peak[p], rss_mb(p))
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        for p in self.pids:
            self.peak[p] = max(self.peak[p], rss_mb(p))

    def summary(self) -> dict:
        per = {str(p): {"start_mb": round(self.start[p], 1), "peak_mb": round(self.peak[p], 1),
                        "growth_mb": round(self.peak[p] - self.start[p], 1)} for p in self.pids}
        return {"per_pid": per, "peak_mb": round(max(self.peak.values()), 1),
                "max_growth_mb": round(max(v["growth_mb"] for v in per.values()), 1)}


# --- the console: database, gunicorn, worker -------------------------------------------------


class Console:
    def __init__(self, children: Children, env: dict[str, str], tmp: Path) -> None:
        self.children, self.env, self.tmp = children, env, tmp
        self.web = self.worker = None
        self.port = 0

    def start(self) -> None:
        self.port = free_port()
        env = {**self.env, "CONSOLE_BIND": f"127.0.0.1:{self.port}"}
        self.web = self.children.start(
            "gunicorn", [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "console.wsgi"],
            cwd=str(ROOT), env=env, stdout=open(self.tmp / "gunicorn.log", "ab"), stderr=subprocess.STDOUT)  # noqa: SIM115
        wait_for_port(self.port, timeout=60, proc=self.web)
        worker_log = self.tmp / "worker.log"
        if env.get("BENCH_WORKER_ENDPOINT_CONCURRENCY"):
            env["CONSOLE_S3_ENDPOINT_CONCURRENCY"] = env["BENCH_WORKER_ENDPOINT_CONCURRENCY"]
        self.worker = self.children.start(
            "celery", [str(BIN / "celery"), "-A", "console", "worker", "--pool", "threads", "--concurrency", "4",
                       "--loglevel", "INFO", "--without-gossip", "--without-mingle", "-n", f"bench-{os.getpid()}@%h"],
            cwd=str(ROOT), env=env, stdout=worker_log.open("ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while "ready." not in worker_log.read_text():
            if self.worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the worker did not start:\n" + worker_log.read_text()[-3000:])
            time.sleep(0.1)
        time.sleep(1)  # gunicorn's workers fork after the master binds
        log(f"console on http://127.0.0.1:{self.port} (gunicorn pid {self.web.pid}, workers "
            f"{self.web_workers()}), celery worker pid {self.worker.pid}")

    def web_workers(self) -> list[int]:
        return child_pids(self.web.pid)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class Session(console_app.ConsoleClient):
    def post_form(self, path: str, data: dict, **kwargs):
        headers = {"Referer": self.base + path}
        return self.http.post(self.base + path, data={**data, "csrfmiddlewaretoken": self.csrf},
                              headers=headers, timeout=600, **kwargs)

    def run_job(self, path: str, data: dict, worker_pid: int) -> dict:
        """POST the form that starts a job, then poll its status until it ends."""
        with RssSampler([worker_pid]) as rss:
            t0 = time.perf_counter()
            response = self.post_form(path, data)
            if response.status_code != 200 or "/jobs/" not in response.url:
                raise RuntimeError(f"POST {path} answered {response.status_code} at {response.url}: "
                                   f"{response.text[:500]}")
            job_id = int(response.url.rstrip("/").rsplit("/", 1)[1])
            started = time.perf_counter() - t0
            polls = 0
            while True:
                status = self.http.get(f"{self.base}/jobs/{job_id}/", headers={"X-Job-Status": "1"}, timeout=30).json()
                polls += 1
                if status["finished"]:
                    break
                time.sleep(0.1)
            seconds = time.perf_counter() - t0
        if status["state"] != "succeeded":
            failed = self.http.get(f"{self.base}/jobs/{job_id}/failures.csv", timeout=30).text
            raise RuntimeError(f"job #{job_id} ended {status['state']}: {status['error'] or status['message']}\n"
                               f"{failed[:3000]}")
        from buckets.models import Job

        row = Job.objects.get(pk=job_id)
        return {"seconds": seconds, "post_s": started, "job": job_id, "polls": polls, "message": status["message"],
                "queued_s": (row.started_at - row.created_at).total_seconds(),
                "job_run_s": (row.finished_at - row.started_at).total_seconds(),
                "worker_rss": rss.summary()}


# --- S3 side -----------------------------------------------------------------------------------


def boto(ep: dict, *, fast_times: bool = False):
    """A raw boto3 client; `fast_times`: with the console's timestamp parser (gateway.fast_timestamp)."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session()
    if fast_times:
        from buckets.gateway import fast_timestamp

        session._session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=fast_timestamp)
    return session.client("s3", endpoint_url=ep["endpoint"], aws_access_key_id=ep["access_key"],
                          aws_secret_access_key=ep["secret_key"], region_name="us-east-1",
                          config=Config(s3={"addressing_style": "path"}, max_pool_connections=32,
                                        request_checksum_calculation="when_required",
                                        response_checksum_validation="when_required",
                                        retries={"mode": "standard", "max_attempts": 5}))


def count_keys(s3, bucket: str, prefix: str) -> int:
    return sum(page.get("KeyCount", 0) for page in
               s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix))


def drop_prefix(s3, bucket: str, prefix: str) -> None:
    batches = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        batch = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if batch:
            batches.append(batch)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda b: s3.delete_objects(Bucket=bucket, Delete={"Objects": b, "Quiet": True}), batches))


def fill_small(ep: dict, bucket: str, prefix: str, n: int) -> float:
    keys = [prefix + k for k in s3fill.layout(n, seed=n)]
    return s3fill.fill(ep["endpoint"], ep["access_key"], ep["secret_key"], bucket, keys, threads=16)


def fill_large(s3, bucket: str, prefix: str, n: int, size: int) -> float:
    """n objects of `size` random bytes each, by parallel boto3 PutObject calls."""
    blobs = [random.Random(i).randbytes(size) for i in range(4)]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: s3.put_object(Bucket=bucket, Key=f"{prefix}{i:05d}.bin", Body=blobs[i % 4]),
                      range(n)))
    return time.perf_counter() - t0


def s5cmd(ep: dict, *args: str) -> float:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": ep["access_key"], "AWS_SECRET_ACCESS_KEY": ep["secret_key"],
           "AWS_REGION": "us-east-1"}
    env.pop("AWS_PROFILE", None)
    t0 = time.perf_counter()
    done = subprocess.run([str(BIN / "s5cmd"), "--endpoint-url", ep["endpoint"], *args], env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"s5cmd {' '.join(args)} failed: {done.stderr[-2000:]}")
    return seconds


# --- the cases -----------------------------------------------------------------------------------


class Cases:
    def __init__(self, label: str, ep: dict, cid: int, console: Console, web: Session, tmp: Path, args) -> None:
        self.label, self.ep, self.cid, self.console, self.web, self.tmp, self.args = (
            label, ep, cid, console, web, tmp, args)
        self.s3 = boto(ep)
        tag = f"{os.getpid() % 10000}-{random.randrange(1000):03d}"
        self.buckets = {name: f"bb-{name}-{tag}" for name in ("del", "src", "dst", "zip")}
        self.fills: dict[str, list[float]] = {"delete": [], "copy": [], "zip": []}

    def setup(self) -> None:
        for name in self.buckets.values():
            self.s3.create_bucket(Bucket=name)
        if "copy" in self.args.cases:
            self.fills["copy"].append(fill_small(self.ep, self.buckets["src"], "copy/", self.args.objects))
            log(f"{self.label}: filled {self.args.objects} small objects in {self.fills['copy'][0]:.1f} s")
        if "zip" in self.args.cases:
            self.fills["zip"].append(fill_large(self.s3, self.buckets["zip"], "zip/", self.args.zip_objects,
                                                self.args.zip_object_bytes))
            log(f"{self.label}: filled {self.args.zip_objects} × {self.args.zip_object_bytes // 1024} KiB in "
                f"{self.fills['zip'][0]:.1f} s")

    def teardown(self) -> None:
        for name in self.buckets.values():
            try:
                s3fill.empty_and_delete(self.s3, name)
            except Exception as exc:  # noqa: BLE001 - go on with the other buckets, say so
                log(f"{self.label}: could not remove {name}: {exc}")

    def cpu(self) -> CpuMeter:
        """Where the CPU went: the Celery worker, the gunicorn workers, the S3 server (moto's
        process; RGW's is not ours to read), and s5cmd (the tool, a waited-for child)."""
        return CpuMeter({"worker": [self.console.worker.pid], "web": self.console.web_workers(),
                         "server": [self.ep.get("pid", 0)]})

    # 1. delete
    def delete(self, tool: str) -> dict:
        bucket = self.buckets["del"]
        self.fills["delete"].append(fill_small(self.ep, bucket, "del/", self.args.objects))
        with self.cpu() as cpu:
            if tool == "console":
                result = self.web.run_job(f"/c/{self.cid}/b/{bucket}/bulk/delete/",
                                          {"keys": "del/", "prefix": "", "confirm": "yes", "versions": "current"},
                                          self.console.worker.pid)
            else:
                result = {"seconds": s5cmd(self.ep, "rm", f"s3://{bucket}/del/*")}
        result["cpu_s"] = cpu.used
        left = count_keys(self.s3, bucket, "del/")
        if left:
            raise RuntimeError(f"{tool} delete left {left} objects")
        return result | {"objects_per_s": self.args.objects / result["seconds"]}

    # 2. copy
    def copy(self, tool: str) -> dict:
        src, dst = self.buckets["src"], self.buckets["dst"]
        drop_prefix(self.s3, dst, "copy/")
        with self.cpu() as cpu:
            if tool == "console":
                result = self.web.run_job(f"/c/{self.cid}/b/{src}/bulk/transfer/", {
                    "keys": "copy/", "prefix": "", "confirm": "yes", "op": "copy", "target_connection": str(self.cid),
                    "target_bucket": dst, "target_prefix": "", "conflict": "overwrite"}, self.console.worker.pid)
            else:
                result = {"seconds": s5cmd(self.ep, "cp", f"s3://{src}/copy/*", f"s3://{dst}/copy/")}
        result["cpu_s"] = cpu.used
        copied = count_keys(self.s3, dst, "copy/")
        if copied != self.args.objects:
            raise RuntimeError(f"{tool} copy made {copied} of {self.args.objects} objects")
        drop_prefix(self.s3, dst, "copy/")
        return result | {"objects_per_s": self.args.objects / result["seconds"]}

    # 3. zip
    def zip(self, tool: str) -> dict:
        bucket = self.buckets["zip"]
        total = self.args.zip_objects * self.args.zip_object_bytes
        out = self.tmp / "out"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        if tool == "console":
            pids = self.console.web_workers()
            with RssSampler(pids) as rss:
                # curl, a native client as a browser is, saves the zip: a Python client reading
                # 1 GiB would spend the shared cores that the web process needs.
                cookies = "; ".join(f"{k}={v}" for k, v in self.web.http.cookies.items())
                t0 = time.perf_counter()
                done = subprocess.run(
                    ["curl", "-sS", "-o", str(out / "download.zip"), "-w", "%{http_code} %{content_type}",
                     "-H", f"Cookie: {cookies}", "-H", f"Referer: {self.web.base}/",
                     "--data-urlencode", f"csrfmiddlewaretoken={self.web.csrf}", "--data-urlencode", "keys=zip/",
                     "--data-urlencode", "prefix=", f"{self.web.base}/c/{self.cid}/b/{bucket}/bulk/zip/"],
                    capture_output=True, text=True)
                seconds = time.perf_counter() - t0
                if done.returncode != 0 or not done.stdout.startswith("200 application/zip"):
                    raise RuntimeError(f"zip answered {done.stdout} {done.stderr[-500:]}")
                written = (out / "download.zip").stat().st_size
            with zipfile.ZipFile(out / "download.zip") as archive:
                members = archive.infolist()
                if len(members) != self.args.zip_objects or sum(m.file_size for m in members) != total:
                    raise RuntimeError(f"the zip holds {len(members)} members")
            result = {"seconds": seconds, "zip_bytes": written, "web_rss": rss.summary()}
        else:
            seconds = s5cmd(self.ep, "cp", f"s3://{bucket}/zip/*", f"{out}/")
            files = list(out.iterdir())
            if len(files) != self.args.zip_objects or sum(f.stat().st_size for f in files) != total:
                raise RuntimeError(f"s5cmd wrote {len(files)} files")
            result = {"seconds": seconds}
        shutil.rmtree(out, ignore_errors=True)
        return result | {"mib_per_s": total / MiB / result["seconds"]}


def summarize_case(samples: dict[str, list[dict]], metric: str) -> dict:
    out: dict = {}
    for tool, runs in samples.items():
        times = [r["seconds"] for r in runs]
        out[tool] = {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
                     "seconds": [round(t, 3) for t in times],
                     f"median_{metric}": statistics.median(r[metric] for r in runs)}
    out["ratio"] = out["s5cmd"]["median_s"] / out["console"]["median_s"]  # throughput console / s5cmd
    runs = samples["console"]
    if "worker_rss" in runs[0]:
        out["worker_peak_rss_mb"] = max(r["worker_rss"]["peak_mb"] for r in runs)
        out["worker_start_rss_mb"] = [r["worker_rss"]["per_pid"][next(iter(r["worker_rss"]["per_pid"]))]["start_mb"]
                                      for r in runs]
    if "web_rss" in runs[0]:
        out["web_rss_growth_mb"] = max(r["web_rss"]["max_growth_mb"] for r in runs)
        out["web_rss_peak_mb"] = max(r["web_rss"]["peak_mb"] for r in runs)
    return out


def bench_endpoint(label: str, ep: dict, cid: int, console: Console, web: Session, tmp: Path, args,
                   rng: random.Random) -> dict:
    cases = Cases(label, ep, cid, console, web, tmp, args)
    metrics = {c: m for c, m in {"delete": "objects_per_s", "copy": "objects_per_s", "zip": "mib_per_s"}.items()
               if c in args.cases}
    samples: dict[str, dict[str, list[dict]]] = {c: {"console": [], "s5cmd": []} for c in metrics}
    order_log = []
    try:
        cases.setup()
        for rnd in range(args.rounds):
            for case in metrics:
                tools = ["console", "s5cmd"]
                rng.shuffle(tools)
                for tool in tools:
                    result = getattr(cases, case)(tool)
                    samples[case][tool].append(result)
                    order_log.append(f"{rnd}:{case}:{tool}")
                    inside = (f", queued {result['queued_s']:.2f} s, ran {result['job_run_s']:.2f} s"
                              if "job_run_s" in result else "")
                    if "cpu_s" in result:
                        inside += ", CPU s " + " ".join(f"{k} {v:.1f}" for k, v in result["cpu_s"].items())
                    log(f"{label} round {rnd + 1} {case:6} {tool:7} {result['seconds']:7.2f} s "
                        f"({result[metrics[case]]:.0f} {metrics[case].replace('_per_s', '/s')}{inside})")
    finally:
        cases.teardown()
    return {"endpoint": ep["endpoint"], "buckets": cases.buckets, "order": order_log,
            "fill_seconds": cases.fills, "raw": samples,
            "summary": {c: summarize_case(samples[c], m) for c, m in metrics.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--zip-objects", type=int, default=1000)
    parser.add_argument("--zip-object-bytes", type=int, default=MiB)
    parser.add_argument("--cases", type=lambda v: v.split(","), default=["delete", "copy", "zip"],
                        help="comma-separated: delete,copy,zip")
    parser.add_argument("--no-rgw", action="store_true")
    parser.add_argument("--no-moto", action="store_true")
    parser.add_argument("--worker-endpoint-concurrency", type=int, default=0,
                        help="CONSOLE_S3_ENDPOINT_CONCURRENCY for the worker only (default: the project's, 8)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 500 objects, 50 zip members, 1 round")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.objects, args.zip_objects = 1, 500, 50
    stamp = time.strftime("%Y%m%d-%H%M%S")
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench-bulk-"))
    children = Children()
    db_name = ""
    queue = f"bench-bulk-{os.getpid()}"
    results: dict = {"started": stamp, "machine": machine_info(), "args": vars(args), "goals": GOALS}
    try:
        env = console_app.console_env(tmp)
        database_url, db_name = fresh_database(tmp, "bulk_" + stamp.replace("-", "_"))
        env.update({"DATABASE_URL": database_url, "CELERY_BROKER_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
                    "CONSOLE_CELERY_QUEUE": queue, "CONSOLE_LOG_LEVEL": "WARNING"})
        results["console"] = {"database": database_url.split("://")[0], "broker": env["CELERY_BROKER_URL"],
                              "gunicorn": "gunicorn.conf.py (gthread)", "worker": "celery --pool threads --concurrency 4"}
        console_app.django_setup(env)
        endpoints: dict[str, dict] = {}
        rgw = None if args.no_rgw else rgw_settings()
        if rgw:
            endpoints["rgw"] = rgw
        if not args.no_moto:
            port = free_port()
            moto = children.start("moto", [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_for_port(port, proc=moto)
            endpoints["moto"] = {"endpoint": f"http://127.0.0.1:{port}", "access_key": "bench-key",
                                 "secret_key": "bench-secret", "pid": moto.pid}
        ids = console_app.seed(endpoints)
        if args.worker_endpoint_concurrency:
            env["BENCH_WORKER_ENDPOINT_CONCURRENCY"] = str(args.worker_endpoint_concurrency)
        console = Console(children, env, tmp)
        console.start()
        results["console"]["web_workers"] = len(console.web_workers())
        web = Session(console.url)
        web.login()
        rng = random.Random(20261201)
        results["endpoints"] = {}
        for label, ep in endpoints.items():
            results["endpoints"][label] = bench_endpoint(label, ep, ids[label], console, web, tmp, args, rng)
            if label == "rgw":
                subprocess.run(["radosgw-admin", "--conf", os.environ.get("CEPH_CONF", "/tmp/ceph-rgw/ceph.conf"),  # noqa: S108
                                "gc", "process", "--include-all"], capture_output=True, check=False, timeout=600)
    finally:
        results["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
        children.stop_all()
        drop_database(db_name)
        try:
            import redis

            r = redis.Redis.from_url(f"redis://127.0.0.1:6379/{REDIS_DB}")
            for name in r.scan_iter(f"*{queue}*"):
                r.delete(name)
        except Exception:  # noqa: BLE001, S110 - leftovers of a queue nobody reads are harmless
            pass
        out = results_dir / f"bulk-{stamp}.json"
        out.write_text(json.dumps(results, indent=2, default=str))
        log(f"raw results in {out}")
        shutil.rmtree(tmp, ignore_errors=True)
    print(report(results))
    return 0


def report(results: dict) -> str:
    lines = ["| endpoint | case | console median s | s5cmd median s | console | s5cmd | ratio | goal |",
             "|---|---|---:|---:|---:|---:|---:|---|"]
    for label, data in results.get("endpoints", {}).items():
        for case, s in data["summary"].items():
            unit = "MiB/s" if case == "zip" else "obj/s"
            metric = "median_mib_per_s" if case == "zip" else "median_objects_per_s"
            goal = GOALS[case]
            lines.append(f"| {label} | {case} | {s['console']['median_s']:.2f} | {s['s5cmd']['median_s']:.2f} | "
                         f"{s['console'][metric]:.0f} {unit} | {s['s5cmd'][metric]:.0f} {unit} | "
                         f"{s['ratio']:.2f}× | ≥ {goal}× {'PASS' if s['ratio'] >= goal else 'MISS'} |")
    lines += ["", "| endpoint | case | worker peak RSS MB | web RSS growth MB |", "|---|---|---:|---:|"]
    for label, data in results.get("endpoints", {}).items():
        for case, s in data["summary"].items():
            lines.append(f"| {label} | {case} | {s.get('worker_peak_rss_mb', '—')} | {s.get('web_rss_growth_mb', '—')} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
