"""The lifecycle preview and the replication backfill, each against a raw tool on the same bucket.

1. Lifecycle preview over 100,000 object versions and delete markers, run as the console runs
   it: gunicorn (gunicorn.conf.py), a real Celery worker (threads pool, as docker-compose starts
   it) on Redis, a fresh PostgreSQL database. The benchmark signs in over HTTP, POSTs the
   "Preview the saved rules" form and polls the job's status (`X-Job-Status`, what the pages
   poll) until it ends. Against: a raw boto3 `list_object_versions` paginator walk of the same
   bucket (1,000 a page, every page consumed and counted), twice: with plain boto3, and with
   boto3 given the console's timestamp parser (plain botocore spends ~200 us per LastModified
   in dateutil, which the console's gateway does not, so the second is the stricter floor).
   Goal: ≤ 1.3× the walk's time (judged by the plain walk, as the issue measures; the stricter
   ratio is reported beside it), and the worker's peak RSS below 200 MB.
2. Replication backfill of 10,000 small objects from one bucket to another on the same
   endpoint: the backfill step of the replication setup job (`_Setup.backfill` in
   buckets/jobs/replication.py, which copies with buckets/jobs/transfer.py's copier), called in
   this process on a job claimed through the engine, with its lease kept by the engine's
   heartbeat as a worker would. Only the step, not the whole job: Ceph RGW 16.2 answers
   PutBucketReplication with 405 (the job refuses the pair before any copy), and on moto the
   rest of the job (a rule write, then a probe that moto never replicates) is not copying.
   Against: `s5cmd cp 's3://src/p/*' 's3://dst/p/'`. Goal: ≥ 0.8× s5cmd's throughput.

Every case runs once per round, the console and the raw tool in a shuffled order, so load on
the shared machine falls on both alike; medians of the rounds. Raw JSON goes to
bench/results/ (git-ignored).

    .venv/bin/python bench/lifecycle.py [--rounds 3] [--no-moto] [--no-rgw] [--quick]
                                        [--only preview|backfill]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bulk  # noqa: E402 - reused read-only: console processes, sessions, RSS sampling, s5cmd
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

REDIS_DB = 14  # the suite uses 2..13 (tests/testenv.py), bench/bulk.py 15
GOALS = {"preview_time_ratio_max": 1.3, "worker_rss_mb": 200, "backfill_throughput_ratio_min": 0.8}

# The saved rule set the preview runs: what a tidy bucket might carry. No tag filter: that
# would add a GetObjectTagging per version, which no listing walk pays (see the docs).
RULES = [
    {"ID": "logs-30d", "Status": "Enabled", "Filter": {"Prefix": "logs/"},
     "Expiration": {"Days": 30}, "NoncurrentVersionExpiration": {"NoncurrentDays": 7}},
    {"ID": "images-cold", "Status": "Enabled", "Filter": {"Prefix": "images/"},
     "Transitions": [{"Days": 60, "StorageClass": "GLACIER"}]},
    {"ID": "noncurrent-90d", "Status": "Enabled", "Filter": {"Prefix": ""},
     "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
     "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}},
]


# --- building the versioned bucket ---------------------------------------------------------------


def version_layout(total: int) -> tuple[list[str], list[str], list[str]]:
    """(keys put once, keys put again, keys then deleted): total entries in all.

    Half the entries are first versions, 35 % second versions, 15 % delete markers placed on
    keys with two versions (a marker over two noncurrent versions)."""
    first = total // 2
    again = total * 35 // 100
    markers = total - first - again
    keys = s3fill.layout(first, seed=total)
    return keys, keys[:again], keys[again - markers:again]


def build_versions(ep: dict, s3, bucket: str, total: int) -> dict:
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    keys, again, deleted = version_layout(total)
    t0 = time.perf_counter()
    s3fill.fill(ep["endpoint"], ep["access_key"], ep["secret_key"], bucket, keys, threads=16)
    s3fill.fill(ep["endpoint"], ep["access_key"], ep["secret_key"], bucket, again, threads=16)
    batches = [deleted[i:i + 1000] for i in range(0, len(deleted), 1000)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda b: s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in b],
                                                                           "Quiet": True}), batches))
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": RULES})
    return {"seconds": time.perf_counter() - t0, "first_versions": len(keys), "second_versions": len(again),
            "delete_markers": len(deleted)}


def empty_versions(s3, bucket: str) -> None:
    batches = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        items = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                 for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        if items:
            batches.append(items)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda b: s3.delete_objects(Bucket=bucket, Delete={"Objects": b, "Quiet": True}), batches))
    s3.delete_bucket(Bucket=bucket)


def raw_walk(s3, bucket: str) -> dict:
    t0 = time.perf_counter()
    versions = markers = pages = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket,
                                                                   PaginationConfig={"PageSize": 1000}):
        versions += len(page.get("Versions", []))
        markers += len(page.get("DeleteMarkers", []))
        pages += 1
    return {"seconds": time.perf_counter() - t0, "versions": versions, "delete_markers": markers, "pages": pages}


# --- the console's two paths ----------------------------------------------------------------------


def preview_over_http(web: bulk.Session, console: bulk.Console, cid: int, bucket: str) -> dict:
    """POST "Preview the saved rules" as the page does, then poll the job until it ends."""
    from buckets.models import Job

    path = f"/c/{cid}/b/{bucket}/lifecycle/preview/"
    with bulk.RssSampler([console.worker.pid]) as rss:
        t0 = time.perf_counter()
        response = web.post_form(path, {"source": "saved"})
        if response.status_code != 200 or "/lifecycle/preview/" not in response.url:
            raise RuntimeError(f"POST {path} answered {response.status_code} at {response.url}: {response.text[:400]}")
        job_id = int(response.url.rstrip("/").rsplit("/", 1)[1])
        while True:
            status = web.http.get(f"{web.base}/jobs/{job_id}/", headers={"X-Job-Status": "1"}, timeout=30).json()
            if status["finished"]:
                break
            time.sleep(0.1)
        seconds = time.perf_counter() - t0
    if status["state"] != "succeeded":
        raise RuntimeError(f"preview #{job_id} ended {status['state']}: {status['error'] or status['message']}")
    job = Job.objects.get(pk=job_id)
    scanned = job.result.get("scanned", {})
    return {"seconds": seconds, "job": job_id, "worker_rss": rss.summary(), "message": job.message,
            "job_seconds": (job.finished_at - job.started_at).total_seconds(),
            "queue_seconds": (job.started_at - job.created_at).total_seconds(),
            "versions": scanned.get("versions", 0), "delete_markers": scanned.get("delete_markers", 0),
            "csv_rows": job.result.get("csv_rows", 0)}


def backfill_step(cid: int, src: str, dst: str) -> dict:
    """The replication job's backfill step on a job the engine claimed, its lease renewed by
    the engine's heartbeat thread as in a worker."""
    from buckets import gateway
    from buckets.jobs import engine, replication
    from buckets.models import Connection, JobState, Membership

    gateway.use_patient_defaults()  # what a worker process does at start (console/celery.py)
    conn = Connection.objects.get(pk=cid)
    member = Membership.objects.select_related("user", "team").filter(team=conn.team).first()
    job = replication.replication_job_create(
        team=member.team, user=member.user, source=replication.End(conn, src, "standard"),
        destination=replication.End(conn, dst, "standard"), filter_kind=replication.FilterKind.PREFIX,
        prefix="copy/", delete_markers=False, backfill=True, enable_versioning=False, probe_seconds=1)
    run = engine.job_claim(job.pk)
    stop = threading.Event()
    beat = threading.Thread(target=run._beat, args=(stop,), daemon=True)
    beat.start()
    try:
        setup = replication._Setup(run)
        t0 = time.perf_counter()
        setup.backfill()
        seconds = time.perf_counter() - t0
    finally:
        stop.set()
        beat.join(timeout=5)
    engine._finish(run, JobState.SUCCEEDED, message=f"Backfill only: {setup.result.get('copied', 0)} copied")
    if setup.result.get("failed_count"):
        reasons = sorted({f.reason for f in job.failures.all()[:50]})
        raise RuntimeError(f"the backfill failed {setup.result['failed_count']} objects: {reasons}")
    return {"seconds": seconds, "job": job.pk, "copied": setup.result.get("copied", 0),
            "server_side": job.params["server_side"]}


# --- one endpoint --------------------------------------------------------------------------------


def bench_endpoint(label: str, ep: dict, cid: int, console: bulk.Console, web: bulk.Session, args,
                   rng: random.Random) -> dict:
    s3 = bulk.boto(ep)
    tag = f"{os.getpid() % 10000}-{random.randrange(1000):03d}"
    buckets = {"versions": f"bl-ver-{tag}", "src": f"bl-src-{tag}", "dst": f"bl-dst-{tag}"}
    # The console's timestamp parser: plain botocore spends ~200 us per LastModified in dateutil,
    # which the console does not, so this walk is the stricter floor, reported beside the plain one.
    fast_s3 = bulk.boto(ep, fast_times=True)
    samples: dict[str, dict[str, list[dict]]] = {"preview": {"console": [], "raw": [], "raw_fast": []},
                                                 "backfill": {"console": [], "s5cmd": []}}
    # The samples are in the result as they come: a run that fails half-way keeps what it measured.
    out: dict = {"endpoint": ep["endpoint"], "buckets": buckets, "order": [], "raw": samples}
    cases = [c for c in ("preview", "backfill") if args.only in ("", c)]
    made: list[str] = []
    try:
        if "preview" in cases:
            made.append(buckets["versions"])
            out["build"] = build_versions(ep, s3, buckets["versions"], args.versions)
            log(f"{label}: built {args.versions:,} versions and markers in {out['build']['seconds']:.1f} s")
        if "backfill" in cases:
            for name in ("src", "dst"):
                s3.create_bucket(Bucket=buckets[name])
                made.append(buckets[name])
            out["fill_src_s"] = bulk.fill_small(ep, buckets["src"], "copy/", args.objects)
            log(f"{label}: filled {args.objects:,} small objects in {out['fill_src_s']:.1f} s")
        for rnd in range(args.rounds):
            for case in cases:
                tools = ["console", "raw", "raw_fast"] if case == "preview" else ["console", "s5cmd"]
                rng.shuffle(tools)
                for tool in tools:
                    if case == "preview":
                        result = (preview_over_http(web, console, cid, buckets["versions"]) if tool == "console"
                                  else raw_walk(s3 if tool == "raw" else fast_s3, buckets["versions"]))
                        found = result["versions"] + result["delete_markers"]
                        if found != args.versions:
                            raise RuntimeError(f"{tool} saw {found} entries, not {args.versions}")
                    else:
                        bulk.drop_prefix(s3, buckets["dst"], "copy/")
                        result = (backfill_step(cid, buckets["src"], buckets["dst"]) if tool == "console"
                                  else {"seconds": bulk.s5cmd(ep, "cp", f"s3://{buckets['src']}/copy/*",
                                                              f"s3://{buckets['dst']}/copy/")})
                        copied = bulk.count_keys(s3, buckets["dst"], "copy/")
                        if copied != args.objects:
                            raise RuntimeError(f"{tool} copied {copied} of {args.objects}")
                        result["objects_per_s"] = args.objects / result["seconds"]
                    samples[case][tool].append(result)
                    out["order"].append(f"{rnd}:{case}:{tool}")
                    log(f"{label} round {rnd + 1} {case:8} {tool:7} {result['seconds']:7.2f} s"
                        + (f" (worker peak {result['worker_rss']['peak_mb']:.0f} MB)" if "worker_rss" in result else ""))
    finally:
        for name in made:
            try:
                if name == buckets["versions"]:
                    empty_versions(s3, name)
                else:
                    s3fill.empty_and_delete(s3, name)
            except Exception as exc:  # noqa: BLE001 - go on with the other buckets, say so
                log(f"{label}: could not remove {name}: {exc}")
    out["summary"] = summarize(samples)
    return out


def _stats(runs: list[dict]) -> dict:
    times = [r["seconds"] for r in runs]
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
            "seconds": [round(t, 3) for t in times]}


def summarize(samples: dict) -> dict:
    summary: dict = {}
    if samples["preview"]["console"]:
        console, raw = samples["preview"]["console"], samples["preview"]["raw"]
        summary["preview"] = {
            "console": {**_stats(console), "job_seconds": [round(r["job_seconds"], 3) for r in console],
                        "queue_seconds": [round(r["queue_seconds"], 3) for r in console],
                        "csv_rows": console[0]["csv_rows"]},
            "raw": _stats(raw),
            "raw_fast": _stats(samples["preview"]["raw_fast"]),
            "worker_peak_rss_mb": max(r["worker_rss"]["peak_mb"] for r in console),
            "worker_start_rss_mb": [next(iter(r["worker_rss"]["per_pid"].values()))["start_mb"] for r in console],
        }
        summary["preview"]["ratio_plain"] = summary["preview"]["console"]["median_s"] / summary["preview"]["raw"]["median_s"]
        # The measure is the plain boto3 walk; the walk that parses times as fast as the
        # console does is the stricter one, reported beside it.
        summary["preview"]["ratio"] = summary["preview"]["ratio_plain"]
        summary["preview"]["ratio_fast"] = (summary["preview"]["console"]["median_s"]
                                            / summary["preview"]["raw_fast"]["median_s"])
    if samples["backfill"]["console"]:
        console, s5 = samples["backfill"]["console"], samples["backfill"]["s5cmd"]
        summary["backfill"] = {"console": {**_stats(console), "server_side": console[0]["server_side"],
                                           "median_objects_per_s": statistics.median(r["objects_per_s"] for r in console)},
                               "s5cmd": {**_stats(s5), "median_objects_per_s": statistics.median(
                                   r["objects_per_s"] for r in s5)}}
        # throughput console / s5cmd: the same objects, so the ratio of the median times
        summary["backfill"]["ratio"] = summary["backfill"]["s5cmd"]["median_s"] / summary["backfill"]["console"]["median_s"]
    return summary


def report(results: dict) -> str:
    lines = ["| endpoint | case | console median s | raw median s | ratio | goal |", "|---|---|---:|---:|---:|---|"]
    for label, data in results.get("endpoints", {}).items():
        if "failed" in data:
            lines.append(f"| {label} | the run failed: {data['failed'][:120]} | | | | |")
        s = data.get("summary", {})
        if "preview" in s:
            p = s["preview"]
            ok = p["ratio"] <= GOALS["preview_time_ratio_max"]
            lines.append(f"| {label} | preview vs list_object_versions walk (plain boto3) | "
                         f"{p['console']['median_s']:.2f} | {p['raw']['median_s']:.2f} | {p['ratio']:.2f}× time | "
                         f"≤ 1.3× {'PASS' if ok else 'MISS'} |")
            strict = p["ratio_fast"] <= GOALS["preview_time_ratio_max"]
            lines.append(f"| {label} | preview vs the walk with the console's timestamp parser (stricter) | "
                         f"{p['console']['median_s']:.2f} | {p['raw_fast']['median_s']:.2f} | {p['ratio_fast']:.2f}× time | "
                         f"≤ 1.3× {'PASS' if strict else 'MISS'} |")
            ok = p["worker_peak_rss_mb"] < GOALS["worker_rss_mb"]
            lines.append(f"| {label} | preview worker peak RSS | {p['worker_peak_rss_mb']:.0f} MB | | | "
                         f"< 200 MB {'PASS' if ok else 'MISS'} |")
        if "backfill" in s:
            b = s["backfill"]
            ok = b["ratio"] >= GOALS["backfill_throughput_ratio_min"]
            lines.append(f"| {label} | backfill vs s5cmd cp ({b['console']['median_objects_per_s']:.0f} vs "
                         f"{b['s5cmd']['median_objects_per_s']:.0f} obj/s) | {b['console']['median_s']:.2f} | "
                         f"{b['s5cmd']['median_s']:.2f} | {b['ratio']:.2f}× throughput | ≥ 0.8× "
                         f"{'PASS' if ok else 'MISS'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--versions", type=int, default=100_000)
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--no-rgw", action="store_true")
    parser.add_argument("--no-moto", action="store_true")
    parser.add_argument("--only", choices=("", "preview", "backfill"), default="")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2,000 versions, 500 objects, 1 round")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.versions, args.objects = 1, 2000, 500
    stamp = time.strftime("%Y%m%d-%H%M%S")
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench-lifecycle-"))
    children = Children()
    db_name = ""
    queue = f"bench-lifecycle-{os.getpid()}"
    results: dict = {"started": stamp, "machine": machine_info(), "args": vars(args), "goals": GOALS, "rules": RULES}
    try:
        env = console_app.console_env(tmp)
        database_url, db_name = fresh_database(tmp, "lc_" + stamp.replace("-", "_"))
        env.update({"DATABASE_URL": database_url, "CELERY_BROKER_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
                    "CONSOLE_CELERY_QUEUE": queue, "CONSOLE_LOG_LEVEL": "WARNING"})
        results["console"] = {"database": database_url.split("://")[0], "broker": env["CELERY_BROKER_URL"],
                              "gunicorn": "gunicorn.conf.py (gthread)",
                              "worker": "celery --pool threads --concurrency 4"}
        console_app.django_setup(env)
        endpoints: dict[str, dict] = {}
        if not args.no_rgw and (rgw := rgw_settings()):
            endpoints["rgw"] = rgw
        if not args.no_moto:
            port = free_port()
            moto = children.start("moto", [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_for_port(port, proc=moto)
            endpoints["moto"] = {"endpoint": f"http://127.0.0.1:{port}", "access_key": "bench-key",
                                 "secret_key": "bench-secret"}
        ids = console_app.seed(endpoints)
        console = bulk.Console(children, env, tmp)
        console.start()
        web = bulk.Session(console.url)
        web.login()
        rng = random.Random(20261202)
        results["endpoints"] = {}
        for label, ep in endpoints.items():
            try:
                results["endpoints"][label] = bench_endpoint(label, ep, ids[label], console, web, args, rng)
            except Exception as exc:  # noqa: BLE001 - recorded; the other endpoint still runs
                log(f"{label}: the run failed: {type(exc).__name__}: {exc}")
                results["endpoints"][label] = {"failed": f"{type(exc).__name__}: {exc}"}
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
        out = results_dir / f"lifecycle-{stamp}.json"
        out.write_text(json.dumps(results, indent=2, default=str))
        log(f"raw results in {out}")
        shutil.rmtree(tmp, ignore_errors=True)
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
