"""Benchmark: the console's object browser and uploads against raw boto3 and the aws CLI.

    .venv/bin/python bench/run.py [--keys 100000] [--quick] [--no-rgw] [--docs PATH]
    .venv/bin/python bench/run.py --render-only bench/results/bench-....json

In one run, on the same endpoints: starts its own moto server (and uses the Ceph RGW on
127.0.0.1:7480 when it answers, in its own bucket), grows one bucket per endpoint to
1,000, 10,000 and N keys, starts the console under gunicorn on a fresh SQLite database,
signs in over HTTP, and times at every size (interleaved, each call after a short pause):

- the object browser's first page and its htmx "load more" fragment over HTTP,
- the same view in-process (Django test client), the view with the S3 call replaced by a
  cached page (Django alone), a signed-in GET /login/ (the HTTP floor) and
  `gateway.list_page` in-process,
- one raw boto3 `list_objects_v2(Delimiter="/", MaxKeys=100)` on a warm client,
- `aws s3api list-objects-v2 ... --max-items 100` (process start included).

Then per endpoint: a pyinstrument profile of the view, a keep-alive probe (back-to-back
GETs, to catch delayed-ACK stalls). Uploads moved to bench/uploads.py (1 GiB through the
console's job path (in-process, and end to end through the HTTP chunk endpoints), boto3
`upload_file` and `aws s3 cp`. Finally `dissect.measure()` splits the console's own time
on the page without any S3 server.

Writes raw JSON to bench/results/ and the report to docs/benchmarks.md (a --quick run
writes its report next to the JSON unless --docs says otherwise). Stops what it started
(by PID) and deletes its buckets.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import console_app  # noqa: E402
import dissect  # noqa: E402
import report  # noqa: E402
import s3fill  # noqa: E402
from common import (  # noqa: E402
    BIN,
    ROOT,
    Children,
    free_port,
    load_average,
    log,
    machine_info,
    rgw_settings,
    rgw_version,
    summarize,
    wait_for_port,
)

PAGE_SIZE = 100
GOAL_FACTOR = 1.3
GOAL_SLACK_MS = 50.0
MIB = 1024 * 1024


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys", type=int, default=None, help="largest bucket size (default 100000; 5000 with --quick)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 5,000 keys, 5 repetitions")
    parser.add_argument("--reps", type=int, default=None, help="timed repetitions per page measurement (default 15; 5 with --quick)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds before the page measurements")
    parser.add_argument("--gap-ms", type=float, default=100, help="untimed pause before every timed page call (see measure_round_robin)")
    parser.add_argument("--no-rgw", action="store_true", help="measure moto only, even when RGW answers")
    parser.add_argument("--rgw-endpoint", default="http://127.0.0.1:7480")
    parser.add_argument("--no-profile", action="store_true", help="skip the pyinstrument profile of the browse view")
    parser.add_argument("--render-only", metavar="JSON", default=None, help="only write the report again from a results file")
    parser.add_argument("--docs", default=None, help="where the Markdown report goes (default docs/benchmarks.md; quick runs: bench/results/)")
    args = parser.parse_args(argv)
    args.keys = args.keys or (5000 if args.quick else 100_000)
    args.reps = args.reps or (5 if args.quick else 15)
    args.sizes = [s for s in (1000, 10_000) if s < args.keys] + [args.keys]
    return args


# --- clients -------------------------------------------------------------------------------------


def raw_client(ep: dict):
    """A plain boto3 client, as a script would make it: defaults, path style for loopback."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3",
        endpoint_url=ep["endpoint"],
        aws_access_key_id=ep["access_key"],
        aws_secret_access_key=ep["secret_key"],
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, max_pool_connections=32),
    )


def cli_env(ep: dict, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "AWS_ACCESS_KEY_ID": ep["access_key"],
        "AWS_SECRET_ACCESS_KEY": ep["secret_key"],
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    })
    return env


def run_cli(argv: list[str], env: dict[str, str]) -> str:
    out = subprocess.run([str(BIN / "aws"), *argv], env=env, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"aws {' '.join(argv[:3])} failed: {out.stderr.strip()[:400]}")
    return out.stdout


# --- measuring -------------------------------------------------------------------------------------


def measure_round_robin(ops: dict, *, reps: int, warmup: int, gap: float, slow: frozenset = frozenset()) -> dict:
    """Time every operation `reps` times, interleaved in a shuffled order per round, so a
    burst of load on the (shared) machine hits all of them alike. `slow` ones (process
    starts) get a single warm-up round. Each call starts after an untimed pause of `gap`
    seconds, from an idle connection, as a user's click would: back to back, a server with
    Nagle on (Ceph RGW's beast) stalls every response ~40 ms on the client's delayed ACK,
    and whether a call hits that would depend on what ran just before it. The keep-alive
    probe measures that case on its own."""
    rng = random.Random(1)
    names = list(ops)
    for round_no in range(warmup):
        for name in names:
            if round_no == 0 or name not in slow:
                time.sleep(gap)
                ops[name]()
    samples: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(reps):
        rng.shuffle(names)
        for name in names:
            time.sleep(gap)
            start = time.perf_counter()
            ops[name]()
            samples[name].append(time.perf_counter() - start)
    return {name: summarize(values) for name, values in samples.items()}


def page_ops(ctx: dict, bucket: str, *, with_cli: bool = True) -> tuple[dict, dict]:
    """The operations timed at one bucket size, and what their first answers looked like."""
    from django.test import Client

    from buckets import gateway

    client: console_app.ConsoleClient = ctx["client"]
    cid = ctx["connection_id"]
    raw = ctx["raw"]
    conn = ctx["connection"]
    first = client.browse(cid, bucket)
    rows = console_app.count_rows(first.text)
    token = console_app.next_token(first.text)
    if not token:
        raise RuntimeError("the first page has no 'load more' link: the bucket is too small for the benchmark")
    more = client.browse(cid, bucket, token=token)
    raw_first = raw.list_objects_v2(Bucket=bucket, Delimiter="/", MaxKeys=PAGE_SIZE)
    raw_token = raw_first["NextContinuationToken"]
    check = {
        "console_rows": rows,
        "console_more_rows": console_app.count_rows(more.text),
        "console_first_bytes": len(first.content),
        "console_more_bytes": len(more.content),
        "raw_entries": raw_first.get("KeyCount", 0),
        "raw_folders": len(raw_first.get("CommonPrefixes", [])),
        "raw_objects": len(raw_first.get("Contents", [])),
    }
    if rows != check["raw_entries"]:
        log(f"  note: console shows {rows} rows, list_objects_v2 returned {check['raw_entries']} entries")
    in_process = Client(SERVER_NAME="127.0.0.1")
    in_process.force_login(ctx["user"])
    url = f"/c/{cid}/b/{bucket}/"
    env = ctx["cli_env"]
    ep = ctx["endpoint"]["endpoint"]

    def view_in_process():
        response = in_process.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"in-process browse answered {response.status_code}")

    cached_page = gateway.list_page(conn, bucket, page_size=PAGE_SIZE)
    real_list_page = gateway.list_page

    def view_in_process_cached():
        # The same request with the S3 call replaced by an already fetched page: what
        # Django alone costs (middleware, session, access checks, DB, template).
        gateway.list_page = lambda *a, **k: cached_page
        try:
            view_in_process()
        finally:
            gateway.list_page = real_list_page

    def floor():
        # A signed-in GET of /login/ answers 302: gunicorn, middleware, session, auth, no S3, no template.
        response = client.http.get(f"{client.base}/login/", allow_redirects=False, timeout=30)
        if response.status_code != 302:
            raise RuntimeError(f"signed-in GET /login/ answered {response.status_code}, not 302")

    ops = {
        "console_first": lambda: client.browse(cid, bucket),
        "console_more": lambda: client.browse(cid, bucket, token=token),
        "view_in_process_first": view_in_process,
        "view_in_process_cached": view_in_process_cached,
        "console_floor": floor,
        "gateway_first": lambda: gateway.list_page(conn, bucket, page_size=PAGE_SIZE),
        "boto3_first": lambda: raw.list_objects_v2(Bucket=bucket, Delimiter="/", MaxKeys=PAGE_SIZE),
        "boto3_more": lambda: raw.list_objects_v2(Bucket=bucket, Delimiter="/", MaxKeys=PAGE_SIZE, ContinuationToken=raw_token),
    }
    if with_cli:
        base = ["s3api", "list-objects-v2", "--bucket", bucket, "--delimiter", "/", "--max-items", str(PAGE_SIZE), "--endpoint-url", ep]
        ops["cli_first"] = lambda: run_cli(base, env)
        ops["cli_first_page100"] = lambda: run_cli([*base, "--page-size", str(PAGE_SIZE)], env)
    return ops, check


def verdict(stats: dict) -> dict:
    console = stats["console_first"]["median_ms"]
    raw = stats["boto3_first"]["median_ms"]
    limit = GOAL_FACTOR * raw + GOAL_SLACK_MS
    more_limit = GOAL_FACTOR * stats["boto3_more"]["median_ms"] + GOAL_SLACK_MS
    return {
        "ratio_first": console / raw,
        "ratio_more": stats["console_more"]["median_ms"] / stats["boto3_more"]["median_ms"],
        "overhead_first_ms": console - raw,
        "limit_ms": limit,
        "pass_first": console <= limit,
        "more_limit_ms": more_limit,
        "pass_more": stats["console_more"]["median_ms"] <= more_limit,
    }


def growth_verdict(sizes: dict) -> dict:
    """'No growth': the console's own overhead (its median minus boto3's) at the largest
    size stays within max(10 ms, 25 %) of the overhead at the smallest size."""
    keys = sorted(sizes, key=int)
    small, large = sizes[keys[0]], sizes[keys[-1]]
    o_small = small["verdict"]["overhead_first_ms"]
    o_large = large["verdict"]["overhead_first_ms"]
    allowed = o_small + max(10.0, 0.25 * abs(o_small))
    return {
        "smallest": int(keys[0]),
        "largest": int(keys[-1]),
        "overhead_smallest_ms": o_small,
        "overhead_largest_ms": o_large,
        "overhead_allowed_ms": allowed,
        "overhead_ok": o_large <= allowed,
        "console_growth_ms": large["stats"]["console_first"]["median_ms"] - small["stats"]["console_first"]["median_ms"],
        "boto3_growth_ms": large["stats"]["boto3_first"]["median_ms"] - small["stats"]["boto3_first"]["median_ms"],
    }


def keepalive_probe(raw, bucket: str, n: int = 30) -> dict:
    """Back-to-back GETs of a 100-byte object: on one keep-alive connection, the same with
    TCP_QUICKACK set on the client socket before each response, and a new connection each
    time. A server that writes headers and body separately with Nagle on stalls ~40 ms per
    response on a reused connection (the client delays its ACK); QUICKACK hides that."""
    key = "bench-probe/small.txt"
    raw.put_object(Bucket=bucket, Key=key, Body=b"x" * 100)
    url = urlsplit(raw.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=900))
    path = f"{url.path}?{url.query}"
    quickack = getattr(socket, "TCP_QUICKACK", None)
    out: dict = {}
    for mode in ("keepalive", "keepalive_quickack", "new_connection"):
        if mode == "keepalive_quickack" and quickack is None:
            continue
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        samples = []
        for i in range(n + 1):
            if mode == "new_connection":
                conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
            start = time.perf_counter()
            conn.request("GET", path)
            if mode == "keepalive_quickack" and conn.sock is not None:
                conn.sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"probe GET answered {response.status}")
            if i:
                samples.append(time.perf_counter() - start)
            if mode == "new_connection":
                conn.close()
        conn.close()
        out[mode] = summarize(samples)
        out[mode]["server_keeps_alive"] = (response.getheader("Connection") or "").lower() != "close"
    raw.delete_object(Bucket=bucket, Key=key)
    return out


# --- profile ---------------------------------------------------------------------------------------


def profile_view(ctx: dict, bucket: str, out_dir: Path, label: str, stamp: str, n: int = 40) -> dict | None:
    try:
        from pyinstrument import Profiler
    except ImportError:
        log("  pyinstrument is not installed: no profile (.venv/bin/pip install pyinstrument)")
        return None
    from django.test import Client

    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(ctx["user"])
    url = f"/c/{ctx['connection_id']}/b/{bucket}/"
    for _ in range(3):
        client.get(url)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(n):
        client.get(url)
    profiler.stop()
    text_path = out_dir / f"profile-{label}-{stamp}.txt"
    text_path.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
    html_path = out_dir / f"profile-{label}-{stamp}.html"
    html_path.write_text(profiler.output_html())
    return summarize_profile(profiler.last_session, n) | {"text": str(text_path.relative_to(ROOT)), "html": str(html_path.relative_to(ROOT))}


# Inclusive time of these (module part, function) pairs, outermost occurrence only.
PROFILE_BUCKETS = [
    ("total request (test client)", "django/test/client.py", "get"),
    ("browse view", "buckets/views/objects.py", "browse"),
    ("get_bucket (access checks, DB)", "buckets/access.py", "get_bucket"),
    ("gateway.list_page", "buckets/gateway.py", "list_page"),
    ("  botocore _make_api_call", "botocore/client.py", "_make_api_call"),
    ("    HTTP send + wait (urllib3)", "botocore/httpsession.py", "send"),
    ("    response parsing (botocore parsers)", "botocore/parsers.py", "parse"),
    ("    request signing (SigV4)", "botocore/signers.py", "sign"),
    ("template render", "django/shortcuts.py", "render"),
    ("middleware: sessions (load/save)", "django/contrib/sessions/backends/db.py", "load"),
    ("middleware: CSP nonce/headers", "django/middleware/csp.py", "process_response"),
    ("context processor: memberships", "buckets/context_processors.py", "console"),
    ("Fernet decrypt (connection secrets)", "buckets/crypto.py", "decrypt"),
]


def summarize_profile(session, n: int) -> dict:
    root = session.root_frame()
    inclusive: dict[str, float] = {label: 0.0 for label, _, _ in PROFILE_BUCKETS}
    self_time: dict[tuple[str, str], float] = {}

    def walk(frame, active: frozenset) -> None:
        path = (frame.file_path or "").replace("\\", "/")
        func = frame.function or ""
        now_active = set(active)
        for label, module, name in PROFILE_BUCKETS:
            if func == name and path.endswith(module) and label not in active:
                inclusive[label] += frame.time
                now_active.add(label)
        if frame.total_self_time and not frame.is_synthetic and not func.startswith("["):
            where = path.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
            key = (f"{where}:{frame.line_no}", func)
            self_time[key] = self_time.get(key, 0.0) + frame.total_self_time
        for child in frame.children:
            walk(child, frozenset(now_active))

    if root is not None:
        walk(root, frozenset())
    top_self = sorted(self_time.items(), key=lambda kv: kv[1], reverse=True)[:15]
    return {
        "requests": n,
        "duration_s": session.duration,
        "per_request_ms": {label: t * 1000 / n for label, t in inclusive.items()},
        "top_self_ms": [{"where": k[0], "function": k[1], "ms_per_request": t * 1000 / n} for k, t in top_self],
    }


# Uploads are measured by bench/uploads.py (1 GiB through gunicorn and a Celery worker).


# --- one endpoint ----------------------------------------------------------------------------------------


def bench_endpoint(label: str, ep: dict, ctx: dict, args, tmp: Path, cleanup: list) -> dict:
    from buckets.models import Connection

    raw = raw_client(ep)
    bucket = f"bench-{label}-{uuid.uuid4().hex[:10]}"
    raw.create_bucket(Bucket=bucket)
    if label != "moto":  # moto's buckets die with the server
        cleanup.append((label, raw, bucket))
    log(f"[{label}] bucket {bucket} on {ep['endpoint']}")
    ctx = dict(ctx, raw=raw, endpoint=ep, connection=Connection.objects.get(pk=ctx["connection_ids"][label]),
               connection_id=ctx["connection_ids"][label], cli_env=cli_env(ep, tmp))
    keys = s3fill.layout(args.keys)
    threads = 8 if label == "moto" else 32
    out: dict = {"endpoint": ep["endpoint"], "bucket": bucket, "sizes": {}, "fill": []}
    filled = 0
    for size in args.sizes:
        batch = keys[filled:size]
        log(f"[{label}] filling {filled:,} -> {size:,} keys with {threads} threads")

        def progress(done: int, total: int, elapsed: float, base: int = filled) -> None:
            log(f"[{label}]   {base + done:>7,} keys  {done / elapsed:6.0f} PUT/s")

        seconds = s3fill.fill(ep["endpoint"], ep["access_key"], ep["secret_key"], bucket, batch,
                              threads=threads, progress=progress)
        out["fill"].append({"from": filled, "to": size, "seconds": seconds, "puts_per_s": len(batch) / seconds})
        filled = size
        log(f"[{label}] {size:,} keys: timing pages ({args.warmup} warm-up rounds, {args.reps} timed, interleaved)")
        ops, check = page_ops(ctx, bucket)
        stats = measure_round_robin(ops, reps=args.reps, warmup=args.warmup, gap=args.gap_ms / 1000,
                                    slow=frozenset({"cli_first", "cli_first_page100"}))
        entry = {"keys": size, "check": check, "stats": stats}
        entry["verdict"] = verdict(stats)
        out["sizes"][str(size)] = entry
        v = entry["verdict"]
        log(f"[{label}] {size:,} keys: console {stats['console_first']['median_ms']:.1f} ms "
            f"(p90 {stats['console_first']['p90_ms']:.1f}), boto3 {stats['boto3_first']['median_ms']:.1f} ms, "
            f"ratio {v['ratio_first']:.2f}, limit {v['limit_ms']:.1f} ms -> {'PASS' if v['pass_first'] else 'MISS'}; "
            f"load more {stats['console_more']['median_ms']:.1f} vs {stats['boto3_more']['median_ms']:.1f} ms; "
            f"CLI {stats['cli_first']['median_ms']:.0f} ms")
    out["growth"] = growth_verdict(out["sizes"])
    if not args.no_profile:
        log(f"[{label}] profiling the browse view in-process at {args.sizes[-1]:,} keys")
        out["profile"] = profile_view(ctx, bucket, ROOT / "bench" / "results", label, ctx["stamp"])
    out["keepalive_probe"] = keepalive_probe(raw, bucket)
    kp = out["keepalive_probe"]
    log(f"[{label}] keep-alive probe: " + ", ".join(f"{m} {v['median_ms']:.1f} ms" for m, v in kp.items()))
    return out


def cli_startup(reps: int, tmp: Path) -> dict:
    env = cli_env({"access_key": "x", "secret_key": "y"}, tmp)
    run_cli(["--version"], env)
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        run_cli(["--version"], env)
        samples.append(time.perf_counter() - start)
    return summarize(samples)


# --- main ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render_only:
        source = Path(args.render_only).resolve()
        results = json.loads(source.read_text())
        docs = Path(args.docs) if args.docs else ROOT / "docs" / "benchmarks.md"
        docs.write_text(report.render(results, source.relative_to(ROOT) if source.is_relative_to(ROOT) else source))
        print(report.summary_text(results))
        return 0
    stamp = time.strftime("%Y%m%d-%H%M%S")
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="s3c-bench-"))
    children = Children()
    cleanup: list = []
    server = None

    def on_term(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    results: dict = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "args": {k: v for k, v in vars(args).items()},
        "goal": f"console first page median <= {GOAL_FACTOR} x boto3 median + {GOAL_SLACK_MS:.0f} ms, and no growth with bucket size",
        "machine": machine_info(),
        "endpoints": {},
    }
    try:
        port = free_port()
        moto = children.start("moto", [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(port, proc=moto)
        log(f"moto server on 127.0.0.1:{port}, pid {moto.pid}")
        endpoints = {"moto": {"endpoint": f"http://127.0.0.1:{port}", "access_key": "bench-key", "secret_key": "bench-secret"}}
        rgw = None if args.no_rgw else rgw_settings(args.rgw_endpoint)
        if rgw:
            endpoints["rgw"] = rgw
            results["machine"]["rgw"] = rgw_version()
            log(f"Ceph RGW answers on {rgw['endpoint']} ({results['machine']['rgw']})")
        else:
            log("Ceph RGW: not measured" + (" (--no-rgw)" if args.no_rgw else f" (nothing answers on {args.rgw_endpoint} or no keys)"))

        env = console_app.console_env(tmp)
        console_app.django_setup(env)
        ids = console_app.seed(endpoints)
        from django.contrib.auth import get_user_model

        from buckets.models import Team

        server = console_app.ConsoleServer(children, env, tmp / "gunicorn.log")
        server.start()
        client = console_app.ConsoleClient(server.url)
        client.login()
        log("signed in over HTTP")
        ctx = {
            "client": client,
            "connection_ids": ids,
            "user": get_user_model().objects.get(username=console_app.USERNAME),
            "team": Team.objects.get(name="Bench team"),
            "stamp": stamp,
        }
        log("timing aws CLI start-up (aws --version)")
        results["cli_startup"] = cli_startup(args.reps, tmp)
        for label, ep in endpoints.items():
            results["endpoints"][label] = bench_endpoint(label, ep, ctx, args, tmp, cleanup)
        log("dissecting the console's own time on the browse page (in-process, synthetic page, no S3)")
        results["dissect"] = dissect.measure(ctx["user"], ids["moto"])
    except KeyboardInterrupt:
        log("interrupted: cleaning up")
        results["interrupted"] = True
    finally:
        if server is not None:
            server.stop()
        for label, raw, bucket in cleanup:
            log(f"[{label}] deleting bucket {bucket} and its objects")
            try:
                n = s3fill.empty_and_delete(raw, bucket)
                log(f"[{label}] deleted {n:,} objects and the bucket")
            except Exception as exc:  # noqa: BLE001 - report, keep cleaning
                log(f"[{label}] cleanup of {bucket} failed: {exc}")
        children.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    results["machine"]["load_average_end"] = load_average()
    suffix = "-quick" if args.quick else ""
    json_path = results_dir / f"bench-{stamp}{suffix}.json"
    json_path.write_text(json.dumps(results, indent=2, default=str))
    log(f"raw results: {json_path.relative_to(ROOT)}")
    if results.get("interrupted") or not results["endpoints"]:
        return 1
    docs = Path(args.docs) if args.docs else (results_dir / f"benchmarks{suffix}-{stamp}.md" if args.quick else ROOT / "docs" / "benchmarks.md")
    docs.parent.mkdir(parents=True, exist_ok=True)
    docs.write_text(report.render(results, json_path.relative_to(ROOT)))
    log(f"report: {docs}")
    print()
    print(report.summary_text(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
