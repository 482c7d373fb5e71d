"""Filling and emptying benchmark buckets fast.

boto3 spends about a millisecond of CPU per call; with 100,000 PUTs and the S3 server on
the same two cores that is most of the fill time. The filler therefore sends plain
HTTP/1.1 PUTs over keep-alive connections (one per thread), signed with a minimal SigV4
signer (moto ignores the signature, Ceph RGW checks it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import random
import threading
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from urllib.parse import quote, urlsplit

# --- the key layout ---------------------------------------------------------------------------

# Top-level folders with a weight (share of the folder keys) and a sub-folder scheme.
FOLDERS = [
    ("logs", 30, "date"),
    ("images", 12, "user"),
    ("backups", 8, "date"),
    ("data", 8, "table"),
    ("exports", 5, "date"),
    ("media", 5, "user"),
    ("reports", 4, "date"),
    ("uploads", 4, "user"),
    ("archive", 3, "date"),
    ("assets", 3, "table"),
    ("cache", 3, "table"),
    ("docs", 2, "table"),
    ("invoices", 2, "date"),
    ("models", 2, "table"),
    ("raw", 2, "date"),
    ("static", 2, "table"),
    ("tmp", 1, "user"),
    ("videos", 1, "user"),
    ("website", 1, "table"),
    ("zz-old", 1, "date"),
]
TOP_LEVEL_SHARE = 0.12  # keys directly at the top, among the folders
# Names of the keys at the top sort after "logs/", so the first page shows the first
# dozen folders and then files at every bucket size, not only files once the top grows.
TOP_WORDS = ["notes", "photo", "plan", "report", "scan", "summary", "table", "upload", "video"]
WORDS = ["alpha", "budget", "contract", "draft", "export", "forecast", "invoice", "notes",
         "photo", "plan", "report", "scan", "summary", "table", "upload", "video"]
EXTS = ["csv", "json", "txt", "pdf", "png", "jpg", "gz", "parquet"]
TABLES = ["customers", "orders", "events", "products", "sessions", "metrics"]


def layout(total: int, seed: int = 20261121) -> list[str]:
    """`total` distinct keys, shuffled, so every prefix of the list has the same shape.

    Filling the first 1,000, then the next 9,000, ... grows one bucket whose layout looks
    the same at every size: about 12 % of the keys at the top, the rest in 20 top-level
    folders of very different sizes, each with one or two levels of sub-folders.
    """
    rng = random.Random(seed)
    keys: list[str] = []
    top = int(total * TOP_LEVEL_SHARE)
    for i in range(top):
        keys.append(f"{rng.choice(TOP_WORDS)}-{i:06d}.{rng.choice(EXTS)}")
    weights = [w for _, w, _ in FOLDERS]
    day0 = dt.date(2024, 1, 1)
    for i in range(total - top):
        name, _w, scheme = rng.choices(FOLDERS, weights=weights)[0]
        if scheme == "date":
            day = day0 + dt.timedelta(days=rng.randrange(0, 700))
            sub = f"{day:%Y}/{day:%m}/{day:%d}"
        elif scheme == "user":
            sub = f"user-{rng.randrange(0, 500):04d}"
        else:
            sub = f"{rng.choice(TABLES)}/part-{rng.randrange(0, 64):03d}"
        keys.append(f"{name}/{sub}/{rng.choice(WORDS)}-{i:07d}.{rng.choice(EXTS)}")
    rng.shuffle(keys)
    return keys


# --- SigV4 for plain PUTs -----------------------------------------------------------------------


class Signer:
    def __init__(self, access_key: str, secret_key: str, region: str = "us-east-1") -> None:
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self._keys: dict[str, bytes] = {}

    def _signing_key(self, datestamp: str) -> bytes:
        key = self._keys.get(datestamp)
        if key is None:
            key = ("AWS4" + self.secret_key).encode()
            for part in (datestamp, self.region, "s3", "aws4_request"):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            self._keys = {datestamp: key}
        return key

    def headers(self, method: str, host: str, path: str, body: bytes, extra: dict[str, str]) -> dict[str, str]:
        now = dt.datetime.now(dt.UTC)
        amzdate = now.strftime("%Y%m%dT%H%M%SZ")
        datestamp = amzdate[:8]
        payload = hashlib.sha256(body).hexdigest()
        headers = {k.lower(): v for k, v in extra.items()}
        headers.update({"host": host, "x-amz-date": amzdate, "x-amz-content-sha256": payload})
        names = sorted(headers)
        canonical = "\n".join([
            method, path, "",
            "".join(f"{n}:{headers[n].strip()}\n" for n in names),
            ";".join(names), payload,
        ])
        scope = f"{datestamp}/{self.region}/s3/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amzdate, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        signature = hmac.new(self._signing_key(datestamp), to_sign.encode(), hashlib.sha256).hexdigest()
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self.access_key}/{scope}, "
            f"SignedHeaders={';'.join(names)}, Signature={signature}"
        )
        return headers


def fill(
    endpoint: str,
    access_key: str,
    secret_key: str,
    bucket: str,
    keys: list[str],
    *,
    threads: int = 16,
    progress: Callable[[int, int, float], None] | None = None,
) -> float:
    """PUT every key (small bodies, 0-2 KiB) with a thread pool; returns the seconds taken."""
    parts = urlsplit(endpoint)
    host = parts.netloc
    hostname, port = parts.hostname or "127.0.0.1", parts.port or 80
    signer = Signer(access_key, secret_key)
    payload = random.Random(7).randbytes(2048)
    local = threading.local()
    done = 0
    done_lock = threading.Lock()
    start = time.perf_counter()
    last_report = [start]

    def conn() -> http.client.HTTPConnection:
        c = getattr(local, "conn", None)
        if c is None:
            c = local.conn = http.client.HTTPConnection(hostname, port, timeout=60)
        return c

    def put(key: str) -> None:
        body = payload[: zlib.crc32(key.encode()) & 0x7FF]
        path = f"/{bucket}/" + quote(key, safe="/-_.~")
        headers = signer.headers("PUT", host, path, body, {"content-type": "application/octet-stream"})
        headers["content-length"] = str(len(body))
        for attempt in range(5):
            c = conn()
            try:
                c.request("PUT", path, body=body, headers=headers)
                response = c.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                c.close()
                local.conn = None
                if attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))
                continue
            if response.status == 200:
                return
            if response.status in {500, 503} and attempt < 4:
                time.sleep(0.2 * (attempt + 1))
                continue
            raise RuntimeError(f"PUT {key} answered {response.status} {response.reason}")

    def batch(items: list[str]) -> int:
        nonlocal done
        for key in items:
            put(key)
        with done_lock:
            done += len(items)
            now = time.perf_counter()
            if progress and (now - last_report[0] > 2 or done == len(keys)):
                last_report[0] = now
                progress(done, len(keys), now - start)
        return len(items)

    step = 100
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(batch, keys[i : i + step]) for i in range(0, len(keys), step)]
        for future in as_completed(futures):
            future.result()
    return time.perf_counter() - start


def empty_and_delete(client, bucket: str, *, threads: int = 4, progress: Callable[[int], None] | None = None) -> int:
    """Remove every object (and version) of a bucket this benchmark created, then the bucket."""
    deleted = 0

    def drop(batch: list[dict]) -> int:
        client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        return len(batch)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 1000}):
            batch = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if batch:
                futures.append(pool.submit(drop, batch))
        for future in as_completed(futures):
            deleted += future.result()
            if progress:
                progress(deleted)
    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket):
        items = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        if items:
            client.delete_objects(Bucket=bucket, Delete={"Objects": items, "Quiet": True})
    for upload in client.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
        client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    client.delete_bucket(Bucket=bucket)
    return deleted
