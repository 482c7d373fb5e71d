"""gunicorn for the console: the Dockerfile and docker-compose.yml start it with this file.

Why these values (docs/operator-guide.md, "Sizing"):
- gthread workers: a page waits on an S3 endpoint most of its time, and a download or a
  streamed listing can last minutes. With threads, one slow request holds one thread, not
  a whole process, and the other threads of that process keep serving. A sync worker
  would be stuck for the length of the stream.
- The worker timeout is the heartbeat of the process (the main thread of a gthread worker
  beats while its threads serve), so long streams are not killed by it; it only catches a
  process that is wedged as a whole.
- Upload chunks are 8 MiB (CONSOLE_UPLOAD_CHUNK_BYTES): a browser on a slow line needs
  tens of seconds to send one, which is within the keep-alive and the proxy's timeouts,
  and gunicorn itself sets no body-size limit.
- A graceful timeout long enough for a running download or upload chunk to finish when a
  deploy restarts the web containers.
- Proxied upload parts stream through (buckets/gateway.py, multipart_upload_part_stream): a
  part holds one thread and one endpoint slot while its bytes flow, so threads = slots still
  fits. gunicorn reads a body from a blocking socket without a timeout; the part view bounds a
  browser's silence itself (CONSOLE_UPLOAD_PART_TIMEOUT).
- glibc gives every thread that allocates a large buffer an arena of its own and keeps what
  it freed there: 8 streamed parts grew a process by 47 MiB with its default (8 per core), by
  15 MiB with 2 arenas (docs/benchmarks.md). An explicit MALLOC_ARENA_MAX still wins.
"""

import ctypes
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


# Loopback unless told: the image sets CONSOLE_BIND=0.0.0.0:8000 for its own network.
bind = os.environ.get("CONSOLE_BIND", "127.0.0.1:" + os.environ.get("PORT", "8000"))
worker_class = "gthread"
# One process per core is enough with threads: the GIL is released while S3 answers.
workers = _int("CONSOLE_WEB_WORKERS", max(2, min(os.cpu_count() or 1, 8)))
# Matches the per-process, per-endpoint limit of concurrent S3 calls
# (CONSOLE_S3_ENDPOINT_CONCURRENCY, 8): more threads would only wait in the gateway.
threads = _int("CONSOLE_WEB_THREADS", 8)
timeout = _int("CONSOLE_WEB_TIMEOUT", 60)
graceful_timeout = _int("CONSOLE_WEB_GRACEFUL_TIMEOUT", 120)
# Above a load balancer's idle timeout would keep dead sockets; below it wastes handshakes.
keepalive = _int("CONSOLE_WEB_KEEPALIVE", 15)
# Recycle processes now and then (slow leaks in any library), staggered so that not all
# processes restart at once.
max_requests = _int("CONSOLE_WEB_MAX_REQUESTS", 5000)
max_requests_jitter = max_requests // 10
# The heartbeat file on tmpfs: on a container's overlay filesystem a write can stall and
# make gunicorn kill a healthy worker.
if os.path.isdir("/dev/shm"):  # noqa: S108 - gunicorn's own advice for containers
    worker_tmp_dir = "/dev/shm"  # noqa: S108
# The request log is Django's (one JSON line per request, with user and team); gunicorn's
# access log would only repeat it without them.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("CONSOLE_LOG_LEVEL", "INFO").lower()
# Import the app once in the master, so workers fork with it loaded (faster start, shared
# memory pages).
preload_app = True


def _cap_malloc_arenas(arenas: int) -> None:
    if "MALLOC_ARENA_MAX" in os.environ:
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return  # not glibc (musl, macOS): nothing to cap
    libc.mallopt(-8, arenas)  # M_ARENA_MAX; workers inherit it when they fork


_cap_malloc_arenas(2)
