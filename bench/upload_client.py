"""The browser's upload protocol in Python, as static/console/uploads.js speaks it: start,
parts (through the console's part URL, or straight to the endpoint on presigned URLs),
finish, then poll the job until it ends. Used by bench/uploads.py."""

from __future__ import annotations

import base64
import hashlib
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests


def sign_in(origin: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    page = session.get(origin + "/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(origin + "/login/", data={"csrfmiddlewaretoken": token, "username": username,
                                                   "password": password, "next": ""},
                          headers={"Referer": origin + "/login/"}, timeout=10, allow_redirects=False)
    if answer.status_code != 302:
        raise RuntimeError(f"sign-in failed: {answer.status_code}")
    return session


def _headers(session: requests.Session, origin: str) -> dict[str, str]:
    return {"X-CSRFToken": session.cookies.get("csrftoken", ""), "Accept": "application/json",
            "Origin": origin, "Referer": origin + "/"}


def upload(session: requests.Session, origin: str, connection_id: int, bucket: str, key: str, path: Path, *,
           concurrency: int = 8, checksum: bool = True) -> dict:
    """`checksum`: offer a SHA-256 per part, as a browser does where crypto.subtle exists."""
    size = path.stat().st_size
    base = f"{origin}/c/{connection_id}/b/{bucket}/uploads/"
    started = time.perf_counter()
    offer = {"checksum": "SHA256"} if checksum else {}
    plan = session.post(base + "start/", data={"key": key, "size": size, "fingerprint": f"{key}|{size}", **offer},
                        headers=_headers(session, origin), timeout=30)
    plan.raise_for_status()
    plan = plan.json()
    part_size, count = plan["part_size"], plan["part_count"]
    local = threading.local()
    urls: dict[int, str] = {}
    lock = threading.Lock()

    def presigned(number: int, sha256: str) -> str:
        if sha256:
            # A part with a checksum is signed alone once hashed, as the browser does.
            answer = session.post(origin + plan["sign_url"], data={"n": number, "sha256": sha256, "received": 0},
                                  headers=_headers(session, origin), timeout=30)
            answer.raise_for_status()
            return answer.json()["urls"][str(number)]
        with lock:
            if number not in urls:
                # Batches of 16, as the browser asks for them.
                batch = list(range(number, min(count, number + 15) + 1))
                answer = session.post(origin + plan["sign_url"], data={"n": batch, "received": 0},
                                      headers=_headers(session, origin), timeout=30)
                answer.raise_for_status()
                urls.update({int(n): u for n, u in answer.json()["urls"].items()})
            return urls.pop(number)

    def send(number: int) -> None:
        # One connection per thread, as a browser keeps one per request in flight.
        http = getattr(local, "http", None)
        if http is None:
            http = local.http = requests.Session()
            http.cookies.update(session.cookies)
        with open(path, "rb") as fh:
            fh.seek((number - 1) * part_size)
            body = fh.read(part_size)
        # crypto.subtle.digest in the browser; hashlib here (both native code).
        sha256 = base64.b64encode(hashlib.sha256(body).digest()).decode() if plan.get("checksum") else ""
        for attempt in range(5):
            if plan["route"] == "direct":
                extra = {"x-amz-checksum-sha256": sha256} if sha256 else {}
                answer = http.put(presigned(number, sha256), data=body, headers={"Origin": origin, **extra},
                                  timeout=60)
            else:
                extra = {"X-Checksum-SHA256": sha256} if sha256 else {}
                answer = http.post(origin + plan["part_url"] + f"?n={number}", data=body, timeout=60,
                                   headers={**_headers(session, origin), "Content-Type": "application/octet-stream",
                                            **extra})
            if answer.status_code == 200:
                return
            if 400 <= answer.status_code < 500:
                raise RuntimeError(f"part {number}: {answer.status_code} {answer.text[:200]}")
            time.sleep(0.4 * 2**attempt)
        raise RuntimeError(f"part {number} failed 5 times")

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(send, range(1, count + 1)))
    sent = time.perf_counter()
    done = session.post(origin + plan["finish_url"], headers=_headers(session, origin), timeout=30)
    if done.status_code != 200:
        raise RuntimeError(f"finish: {done.status_code} {done.text[:300]}")
    while True:
        time.sleep(0.1)  # the browser polls every 0.7 s; finer here, so the figure is the server's time
        status = session.get(origin + plan["progress_url"], headers={"X-Job-Status": "1"}, timeout=30).json()
        if status["finished"]:
            if status["state"] != "succeeded":
                raise RuntimeError(f"job {plan['job']} ended {status['state']}: {status['error']}")
            break
    ended = time.perf_counter()
    return {"route": plan["route"], "job": plan["job"], "parts": count, "checksum": plan.get("checksum", ""), "send_s": round(sent - started, 3),
            "complete_s": round(ended - sent, 3)}
