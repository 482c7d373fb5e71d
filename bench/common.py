"""Small helpers shared by the benchmark: ports, child processes, statistics, machine facts."""

from __future__ import annotations

import math
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_answers(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    with socket.socket() as sock:
        sock.settimeout(timeout)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(port: int, timeout: float = 30, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_answers(port):
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the process for port {port} exited with {proc.returncode}")
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


class Children:
    """The processes this benchmark started; stopped by PID, never by name."""

    def __init__(self) -> None:
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: list[str], **kwargs) -> subprocess.Popen:
        proc = subprocess.Popen(argv, **kwargs)
        self.procs.append((name, proc))
        return proc

    def stop(self, proc: subprocess.Popen, timeout: float = 10) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout)
        self.procs = [(n, p) for n, p in self.procs if p is not proc]

    def stop_all(self) -> None:
        for _name, proc in reversed(list(self.procs)):
            self.stop(proc)


# --- statistics ------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): an observed value, no interpolation."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summarize(samples: list[float]) -> dict:
    """Seconds in, milliseconds out."""
    ms = [s * 1000 for s in samples]
    return {
        "n": len(ms),
        "median_ms": statistics.median(ms),
        "p90_ms": percentile(ms, 90),
        "min_ms": min(ms),
        "max_ms": max(ms),
        "mean_ms": statistics.fmean(ms),
        "samples_ms": [round(v, 3) for v in ms],
    }


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


# --- machine facts -------------------------------------------------------------------------


def _version(module: str) -> str:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:  # noqa: BLE001 - a missing package is reported, not fatal
        return "?"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def mem_total_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def aws_cli_version() -> str:
    try:
        out = subprocess.run([str(BIN / "aws"), "--version"], capture_output=True, text=True, timeout=60)
        return (out.stdout or out.stderr).strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def rgw_version() -> str:
    try:
        out = subprocess.run(["radosgw", "--version"], capture_output=True, text=True, timeout=30)
        return out.stdout.strip().splitlines()[0] if out.stdout.strip() else "?"
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return "?"


def machine_info() -> dict:
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "mem_gib": round(mem_total_gib(), 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "packages": {
            name: _version(name)
            for name in ("boto3", "botocore", "s3transfer", "moto", "Django", "gunicorn", "awscli", "requests")
        },
        "aws_cli": aws_cli_version(),
        "load_average_start": load_average(),
    }


# --- RGW ------------------------------------------------------------------------------------


def rgw_settings(endpoint: str = "http://127.0.0.1:7480") -> dict | None:
    """Keys for the loopback Ceph RGW, when it runs (keys from its data dir's s3-user.env)."""
    env_file = Path(os.environ.get("CEPH_RGW_DATA", "/tmp/ceph-rgw")) / "s3-user.env"  # noqa: S108
    access = os.environ.get("S3_RGW_ACCESS_KEY", "")
    secret = os.environ.get("S3_RGW_SECRET_KEY", "")
    if not (access and secret) and env_file.exists():
        values: dict[str, str] = {}
        for line in env_file.read_text().splitlines():
            line = line.removeprefix("export ").strip()
            if "=" in line:
                k, v = line.split("=", 1)
                values[k.strip()] = v.strip().strip("'\"")
        access = values.get("AK") or values.get("AWS_ACCESS_KEY_ID", "")
        secret = values.get("SK") or values.get("AWS_SECRET_ACCESS_KEY", "")
    if not (access and secret):
        return None
    port = int(endpoint.rsplit(":", 1)[1].split("/")[0])
    if not port_answers(port, timeout=1):
        return None
    return {"endpoint": endpoint, "access_key": access, "secret_key": secret}


# --- PostgreSQL, as compose runs the console -------------------------------------------------


def fresh_database(tmp: Path, stamp: str) -> tuple[str, str]:
    """(DATABASE_URL, PostgreSQL database name or "") for a database nobody else uses."""
    name = f"bench_{stamp}"
    made = subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], capture_output=True, text=True)
    if made.returncode == 0:
        return f"postgres://postgres@127.0.0.1:5432/{name}", name
    log(f"PostgreSQL not available ({made.stderr.strip()}); a fresh SQLite file instead")
    return f"sqlite:///{tmp / 'bench.sqlite3'}", ""


def drop_database(name: str) -> None:
    if name:
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", name],
                       capture_output=True, check=False)
