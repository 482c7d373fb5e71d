"""Benchmark: large uploads through the console against aws s3 cp, boto3 upload_file, s5cmd.

    .venv/bin/python bench/uploads.py [--mib 1024] [--reps 3] [--no-moto] [--no-rgw] [--json PATH]

In one run, on the same endpoints (a fresh moto server on loopback, and the Ceph RGW on
127.0.0.1:7480 when it answers), with one random file:

- the console for real: gunicorn with gunicorn.conf.py (gthread, 2 processes x 8 threads here) on a fresh PostgreSQL
  database, a Celery worker (threads pool, 4) on Redis, signed in over HTTP;
- `console-proxy`: bench/upload_client.py speaks the browser's protocol (start, parts
  through the console's part URL with 8 in flight, finish, poll the job until it
  succeeded) -- what static/console/uploads.js sends, at the concurrency it climbs to,
  with a SHA-256 per part where the endpoint keeps part checksums (the page hashes with
  crypto.subtle, this client with hashlib: native code both, on the client's own time);
- `console-direct`: the same with the bucket's CORS allowing the console's origin, so the
  parts go to the endpoint on presigned URLs and the console only creates and completes;
- `aws s3 cp`, boto3 `upload_file` (default TransferConfig: 8 MiB parts, 10 threads) and
  `s5cmd cp` on the same file and endpoint.

Runs are interleaved (round 1: every method once in a shuffled order, then round 2, ...);
each is timed from the first request to the object complete (the console: until its job
says succeeded), the object is HEADed for its size and deleted. On moto every run starts on
a fresh moto server (same port, buckets made again): moto slows with every GiB it has held.
On RGW the garbage collector runs after each delete. Peak RSS of the gunicorn
worker and of the Celery worker is sampled every 50 ms during each run. Writes JSON to
bench/results/ and prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import boto3  # noqa: E402
import upload_client  # noqa: E402
from botocore.config import Config  # noqa: E402
from common import (  # noqa: E402
    BIN,
    ROOT,
    Children,
    drop_database,
    free_port,
    fresh_database,
    load_average,
    log,
    rgw_settings,
    wait_for_port,
)

MIB = 1024 * 1024
USERNAME, PASSWORD = "bench", "bench-password-not-secret-9f3a"


def rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children_of(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class Sampler:
    """Peak RSS of some processes while a run lasts."""

    def __init__(self, pids: dict[str, list[int]]):
        self.pids = pids
        self.peak = {name: 0.0 for name in pids}
        self.start = {name: sum(rss_mib(p) for p in ps) for name, ps in pids.items()}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stop.wait(0.05):
            for name, ps in self.pids.items():
                self.peak[name] = max(self.peak[name], sum(rss_mib(p) for p in ps))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def rgw_gc() -> None:
    conf = os.environ.get("CEPH_CONF") or str(Path(os.environ.get("CEPH_RGW_DATA", "/tmp/ceph-rgw")) / "ceph.conf")  # noqa: S108
    if Path(conf).exists():
        subprocess.run(["radosgw-admin", "--conf", conf, "gc", "process", "--include-all"],
                       capture_output=True, check=False, timeout=600)


def make_file(path: Path, mib: int) -> None:
    with open(path, "wb") as fh:
        block = os.urandom(MIB)
        for i in range(mib):
            # Every MiB differs (no dedup anywhere), cheaply.
            fh.write(i.to_bytes(8, "little") + block[8:])


def console_env(tmp: Path, database_url: str, queue: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CONSOLE_", "DJANGO_", "AWS_", "CELERY_")) and k != "DATABASE_URL"}
    env.update({
        "DJANGO_SETTINGS_MODULE": "console.settings", "CONSOLE_EMBEDDED": "1", "CONSOLE_VAR_DIR": str(tmp / "var"),
        "CONSOLE_STATIC_ROOT": str(tmp / "var" / "static"), "CONSOLE_STAGING_DIR": str(tmp / "var" / "staging"),
        "DATABASE_URL": database_url, "CELERY_BROKER_URL": "redis://127.0.0.1:6379/14", "CONSOLE_CELERY_QUEUE": queue,
        "CONSOLE_LOG_LEVEL": "WARNING", "PYTHONDONTWRITEBYTECODE": "1",
        "CONSOLE_ENDPOINT_ALLOWLIST": "127.0.0.1,localhost",
    })
    return env


def seed(env: dict[str, str], endpoints: dict[str, dict]) -> dict[str, int]:
    """Migrate, and create the user, team and one connection per endpoint (in a child
    process, so this one never holds Django state)."""
    code = """
import json, os, sys, django
django.setup()
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
from django.contrib.auth import get_user_model
from buckets.models import Connection, Grant, Membership, Team
eps = json.loads(sys.argv[1])
user = get_user_model().objects.create_user(sys.argv[2], password=sys.argv[3])
team = Team.objects.create(name="bench")
Membership.objects.create(team=team, user=user, role="admin")
out = {}
for label, ep in eps.items():
    c = Connection.objects.create(team=team, name=label, provider="generic", region="us-east-1",
                                  endpoint_url=ep["endpoint"], access_key=ep["access_key"], secret_key=ep["secret_key"])
    Grant.objects.create(connection=c, team=team, buckets=[])
    out[label] = c.pk
print(json.dumps(out))
"""
    done = subprocess.run([sys.executable, "-c", code, json.dumps(endpoints), USERNAME, PASSWORD], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def s3_client(ep: dict):
    return boto3.client("s3", endpoint_url=ep["endpoint"], aws_access_key_id=ep["access_key"],
                        aws_secret_access_key=ep["secret_key"], region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"}, retries={"mode": "standard"}))


def tool_env(ep: dict) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"AWS_ACCESS_KEY_ID": ep["access_key"], "AWS_SECRET_ACCESS_KEY": ep["secret_key"],
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"})
    env.pop("AWS_ENDPOINT_URL", None)
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--no-moto", action="store_true")
    parser.add_argument("--no-rgw", action="store_true")
    parser.add_argument("--concurrency", type=int, default=8, help="parts in flight for the console client")
    parser.add_argument("--methods", default="console-proxy,console-direct,aws-s3-cp,boto3-upload-file,s5cmd-cp")
    parser.add_argument("--json", default="")
    parser.add_argument("--warmup-mib", type=int, default=32,
                        help="one untimed proxy and direct upload of this size first, so the RSS start of the "
                             "timed runs is a warm process, not one that has served nothing but the sign-in")
    parser.add_argument("--web-env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for gunicorn (e.g. MALLOC_ARENA_MAX=2)")
    args = parser.parse_args(argv)
    # A SIGTERM still stops what this run started (the finally below), by PID.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    methods = args.methods.split(",")
    tmp = Path(tempfile.mkdtemp(prefix="bench-uploads-"))
    children = Children()
    db_name = ""
    results: dict = {"started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "mib": args.mib,
                     "reps": args.reps, "concurrency": args.concurrency, "load_start": load_average(),
                     "warmup_mib": args.warmup_mib, "web_env": args.web_env, "runs": []}
    try:
        endpoints: dict[str, dict] = {}
        moto_port = 0

        def fresh_moto() -> int:
            """A new moto server on the same port (its state, and what slows it, gone): moto got
            slower with every 1 GiB object it had held, deleted or not, so a run on a used moto
            measured the runs before it. Every moto run starts on a fresh one."""
            for name, proc in list(children.procs):
                if name == "moto":
                    children.stop(proc)
            moto = children.start("moto", [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_for_port(moto_port, proc=moto)
            return moto.pid

        if not args.no_moto:
            moto_port = free_port()
            endpoints["moto"] = {"endpoint": f"http://127.0.0.1:{moto_port}", "access_key": "bench",
                                 "secret_key": "bench", "pid": fresh_moto()}
        rgw = None if args.no_rgw else rgw_settings()
        if rgw:
            endpoints["rgw"] = {"endpoint": rgw["endpoint"], "access_key": rgw["access_key"],
                                "secret_key": rgw["secret_key"]}
        database_url, db_name = fresh_database(tmp, f"uploads_{os.getpid()}")
        env = console_env(tmp, database_url, f"bench-{uuid.uuid4().hex[:8]}")
        ids = seed(env, {k: {x: v[x] for x in ("endpoint", "access_key", "secret_key")} for k, v in endpoints.items()})
        web_port = free_port()
        web_env = dict(env, **dict(item.split("=", 1) for item in args.web_env))
        # As the Dockerfile and compose run it: gunicorn.conf.py (gthread; 2 processes x 8 threads here).
        web = children.start("gunicorn", [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", "console.wsgi"],
                             cwd=ROOT, env=dict(web_env, CONSOLE_BIND=f"127.0.0.1:{web_port}"),
                             stdout=(tmp / "web.log").open("w"), stderr=subprocess.STDOUT)
        wait_for_port(web_port, proc=web)
        worker = children.start("celery", [str(BIN / "celery"), "-A", "console", "worker", "--pool=threads", "--concurrency=4",
                                 "-Q", env["CONSOLE_CELERY_QUEUE"], "--without-gossip", "--without-mingle",
                                 "--loglevel=WARNING"], cwd=ROOT, env=env,
                                stdout=(tmp / "worker.log").open("w"), stderr=subprocess.STDOUT)
        time.sleep(4)
        origin = f"http://127.0.0.1:{web_port}"
        session = upload_client.sign_in(origin, USERNAME, PASSWORD)
        path = tmp / f"upload-{args.mib}MiB.bin"
        log(f"making a {args.mib} MiB file")
        make_file(path, args.mib)
        size = path.stat().st_size
        time.sleep(1)
        web_pids = children_of(web.pid) or [web.pid]
        for label, ep in endpoints.items():
            raw = s3_client(ep)
            bucket = f"bench-up-{uuid.uuid4().hex[:8]}"
            direct_bucket = bucket + "-cors"

            def make_buckets(raw=raw, bucket=bucket, direct_bucket=direct_bucket) -> None:
                raw.create_bucket(Bucket=bucket)
                raw.create_bucket(Bucket=direct_bucket)
                raw.put_bucket_cors(Bucket=direct_bucket, CORSConfiguration={"CORSRules": [
                    {"AllowedOrigins": [origin], "AllowedMethods": ["PUT"], "AllowedHeaders": ["*"],
                     "ExposeHeaders": ["ETag"]}]})

            make_buckets()

            def console(route: str, key: str, label=label, ep=ep, bucket=bucket, direct_bucket=direct_bucket) -> dict:
                target = direct_bucket if route == "direct" else bucket
                out = upload_client.upload(session, origin, ids[label], target, key, path, concurrency=args.concurrency)
                if out["route"] != route:
                    raise RuntimeError(f"expected the {route} route, the console chose {out['route']}")
                return out

            def run(name: str, key: str, label=label, ep=ep, raw=raw, bucket=bucket, direct_bucket=direct_bucket) -> tuple[str, dict]:
                extra: dict = {}
                target = bucket
                if name == "console-proxy":
                    extra = console("proxy", key)
                elif name == "console-direct":
                    target = direct_bucket
                    extra = console("direct", key)
                elif name == "aws-s3-cp":
                    subprocess.run([str(BIN / "aws"), "s3", "cp", str(path), f"s3://{bucket}/{key}", "--endpoint-url",
                                    ep["endpoint"], "--only-show-errors"], env=tool_env(ep), check=True)
                elif name == "boto3-upload-file":
                    raw.upload_file(str(path), bucket, key)
                elif name == "s5cmd-cp":
                    subprocess.run([str(BIN / "s5cmd"), "--endpoint-url", ep["endpoint"], "cp", str(path),
                                    f"s3://{bucket}/{key}"], env=tool_env(ep), check=True, stdout=subprocess.DEVNULL)
                return target, extra

            if args.warmup_mib:
                warm = tmp / "warm-up.bin"
                make_file(warm, args.warmup_mib)
                for route, target in (("proxy", bucket), ("direct", direct_bucket)):
                    upload_client.upload(session, origin, ids[label], target, f"warm-up-{route}.bin", warm,
                                         concurrency=args.concurrency)
                    raw.delete_object(Bucket=target, Key=f"warm-up-{route}.bin")
                warm.unlink()
                log(f"[{label}] warmed up: web {sum(rss_mib(p) for p in web_pids):.0f} MiB, "
                    f"worker {rss_mib(worker.pid):.0f} MiB")
            for round_no in range(args.reps):
                order = methods[:]
                random.shuffle(order)
                for name in order:
                    if label == "moto":
                        ep["pid"] = fresh_moto()
                        make_buckets()
                    key = f"bench/{name}-{round_no}-{uuid.uuid4().hex[:6]}.bin"
                    pids = {"web": web_pids, "worker": [worker.pid]}
                    if "pid" in ep:
                        pids["s3_server"] = [ep["pid"]]
                    with Sampler(pids) as rss:
                        started = time.perf_counter()
                        target, extra = run(name, key)
                        elapsed = time.perf_counter() - started
                    stored = raw.head_object(Bucket=target, Key=key)["ContentLength"]
                    if stored != size:
                        raise RuntimeError(f"{name}: stored {stored} of {size} bytes")
                    raw.delete_object(Bucket=target, Key=key)
                    if label == "rgw":
                        rgw_gc()  # give the space back now: 5 GiB runs would fill the test cluster
                    row = {"endpoint": label, "method": name, "round": round_no, "seconds": round(elapsed, 3),
                           "mib_s": round(size / MIB / elapsed, 1),
                           "rss_start": {k: round(v) for k, v in rss.start.items()},
                           "rss_peak": {k: round(v) for k, v in rss.peak.items()}, **extra}
                    results["runs"].append(row)
                    log(f"[{label}] {name:18s} {elapsed:6.2f} s {row['mib_s']:7.1f} MiB/s  web {rss.start['web']:.0f}"
                        f"->{rss.peak['web']:.0f} MiB  worker {rss.start['worker']:.0f}->{rss.peak['worker']:.0f} MiB")
            for b in (bucket, direct_bucket):
                for up in raw.list_multipart_uploads(Bucket=b).get("Uploads", []):
                    raw.abort_multipart_upload(Bucket=b, Key=up["Key"], UploadId=up["UploadId"])
                raw.delete_bucket(Bucket=b)
        results["load_end"] = load_average()
    finally:
        children.stop_all()
        drop_database(db_name)
        shutil.rmtree(tmp, ignore_errors=True)
    out = Path(args.json or ROOT / "bench" / "results" / f"uploads-{time.strftime('%Y%m%d-%H%M%S')}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    log(f"wrote {out}")
    print(table(results))
    return 0


def table(results: dict) -> str:
    lines = ["| endpoint | method | median s | MiB/s | vs aws CLI | runs (s) | web RSS start→peak MiB | worker RSS start→peak MiB |",
             "|---|---|---:|---:|---:|---|---|---|"]
    by: dict[tuple[str, str], list[dict]] = {}
    for r in results["runs"]:
        by.setdefault((r["endpoint"], r["method"]), []).append(r)
    for (endpoint, method), runs in sorted(by.items()):
        med = statistics.median(r["seconds"] for r in runs)
        cli = by.get((endpoint, "aws-s3-cp"))
        ratio = statistics.median(r["seconds"] for r in cli) / med if cli else float("nan")
        web = f"{min(r['rss_start']['web'] for r in runs)}→{max(r['rss_peak']['web'] for r in runs)}"
        worker = f"{min(r['rss_start']['worker'] for r in runs)}→{max(r['rss_peak']['worker'] for r in runs)}"
        lines.append(f"| {endpoint} | {method} | {med:.2f} | {results['mib'] / med:.0f} | {ratio:.2f}× | "
                     f"{', '.join(str(r['seconds']) for r in runs)} | {web} | {worker} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
