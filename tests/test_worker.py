"""Jobs through a real Celery worker on a real Redis, against PostgreSQL.

The worker is a separate process that sees the test database, so these tests commit
(transactional_db). A slow TCP proxy in front of the S3 server stretches an upload long
enough to kill the worker in the middle of it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.urls import reverse

from buckets import gateway, jobs
from buckets.jobs import upload
from buckets.models import Job, JobState
from tests.conftest import ROOT

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
MB = 1024 * 1024


def redis_up() -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", 6379)) == 0


@pytest.fixture
def worker_env(tmp_path, settings):
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("NO POSTGRESQL: the worker tests need the test database on PostgreSQL")
    if not settings.CELERY_BROKER_URL.startswith("redis://") or not redis_up():
        pytest.skip("NO REDIS: the worker tests need a Redis broker on 127.0.0.1:6379")
    import redis

    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    settings.UPLOAD_STAGING_DIR = tmp_path / "staging"
    settings.UPLOAD_PART_BYTES = 5 * MB
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CONSOLE_STAGING_DIR": str(settings.UPLOAD_STAGING_DIR),
        "CONSOLE_UPLOAD_PART_BYTES": str(5 * MB),
        # Few parts at once, so the throttled endpoint keeps a staged upload going long
        # enough to kill its worker in the middle.
        "CONSOLE_UPLOAD_WORKER_CONCURRENCY": "2",
        "CONSOLE_BROKER_VISIBILITY_TIMEOUT": os.environ.get("CONSOLE_BROKER_VISIBILITY_TIMEOUT", "4"),
        # A short lease and a beat that looks for lapsed leases every second, so a killed
        # worker's job is handed over within seconds (production: 60 s and 30 s).
        "CONSOLE_JOB_LEASE_SECONDS": "3",
        "CONSOLE_JOB_RECOVER_SECONDS": "1",
    })
    return env


class Workers:
    def __init__(self, env: dict, log_dir: Path):
        self.env = env
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        log = self.log_dir / f"worker-{len(self.procs)}.log"
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "console", "worker", "--pool=threads", "--concurrency=2",
             "--loglevel=INFO", "--without-gossip", "--without-mingle", "-n", f"test{len(self.procs)}@%h",
             "-B", "--schedule", str(self.log_dir / f"beat-{len(self.procs)}")],
            cwd=ROOT, env=self.env, stdout=log.open("w"), stderr=subprocess.STDOUT,
            # Its own process group: `-B` runs beat in a child process, which must end with it.
            start_new_session=True,
        )
        self.procs.append(proc)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if "ready." in log.read_text():
                return proc
            if proc.poll() is not None:
                raise RuntimeError(log.read_text())
            time.sleep(0.1)
        raise RuntimeError("worker did not start:\n" + log.read_text())

    @staticmethod
    def kill(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        """Signal the worker and its beat child, as a host going away would."""
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                self.kill(proc, signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    pass
            self.kill(proc)  # whatever is left of the group, the beat child included


@pytest.fixture
def workers(worker_env, tmp_path):
    pool = Workers(worker_env, tmp_path)
    yield pool
    pool.stop_all()


class SlowProxy:
    """A TCP proxy on loopback that forwards at a limited rate."""

    def __init__(self, target_port: int, bytes_per_second: int):
        self.target_port = target_port
        self.rate = bytes_per_second
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(32)
        self.port = self.server.getsockname()[1]
        self.stopped = threading.Event()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while not self.stopped.is_set():
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self.pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self.pipe, args=(upstream, client, False), daemon=True).start()

    def pipe(self, source: socket.socket, sink: socket.socket, slow: bool) -> None:
        try:
            while data := source.recv(64 * 1024):
                if slow:
                    time.sleep(len(data) / self.rate)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.stopped.set()
        self.server.close()


def send_upload(client, connection, bucket, key: str, data: bytes) -> int:
    """The browser's part protocol (static/console/uploads.js): start, parts, finish."""
    plan = client.post(reverse("upload_start", args=[connection.pk, bucket]), {"key": key, "size": len(data)}).json()
    size = plan["part_size"]
    for number in range(1, plan["part_count"] + 1):
        sent = client.post(plan["part_url"] + f"?n={number}", data[(number - 1) * size : number * size],
                           content_type="application/octet-stream")
        assert sent.status_code == 200, sent.content
    finish = client.post(plan["finish_url"])
    assert finish.status_code == 200, finish.content
    return plan["job"]


def stage_upload(client, connection, bucket, key: str, data: bytes) -> int:
    """The form upload without JavaScript: the file is staged and a worker sends its parts."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(reverse("upload", args=[connection.pk, bucket]),
                           {"prefix": "", "files": SimpleUploadedFile(key, data)})
    assert response.status_code == 302
    return Job.objects.get(kind="upload", key=key).pk


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_worker_runs_an_upload_job_to_the_end(login, editor, connection, bucket, workers):
    workers.start()
    data = os.urandom(11 * MB)
    job_id = send_upload(login(editor), connection, bucket, "worker/big.bin", data)
    job = wait_for(lambda: Job.objects.filter(pk=job_id, state__in=[JobState.SUCCEEDED, JobState.FAILED]).first(), 60, "the job")
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.bytes_done == len(data)
    assert b"".join(gateway.open_object(connection, bucket, "worker/big.bin").body) == data


def test_the_progress_fragment_stops_polling_when_the_job_ends(login, editor, connection, bucket, workers):
    workers.start()
    client = login(editor)
    job_id = send_upload(client, connection, bucket, "poll.bin", os.urandom(6 * MB))
    wait_for(lambda: Job.objects.get(pk=job_id).finished, 60, "the job")
    response = client.get(reverse("job_detail", args=[job_id]), HTTP_HX_REQUEST="true")
    assert response.status_code == 286  # htmx's "stop polling"
    assert "Succeeded" in response.content.decode()


def test_a_worker_killed_mid_upload_is_replaced_and_the_upload_resumes(login, editor, make_connection, team, s3_endpoint, workers):
    proxy = SlowProxy(int(s3_endpoint.rsplit(":", 1)[1]), bytes_per_second=2 * MB)
    try:
        connection = make_connection(team, endpoint=f"http://127.0.0.1:{proxy.port}")
        bucket = "killed-" + os.urandom(4).hex()
        gateway.create_bucket(connection, bucket)
        data = os.urandom(30 * MB)
        first = workers.start()
        job_id = stage_upload(login(editor), connection, bucket, "killed.bin", data)
        wait_for(lambda: Job.objects.get(pk=job_id).bytes_done >= 5 * MB, 60, "the first part")
        killed_at = time.monotonic()
        workers.kill(first)
        first.wait()
        job = Job.objects.get(pk=job_id)
        assert job.state == JobState.RUNNING and job.params.get("upload_id")
        upload_id = job.params["upload_id"]
        workers.start()  # takes the job over once its lease lapses
        job = wait_for(lambda: Job.objects.filter(pk=job_id, state__in=[JobState.SUCCEEDED, JobState.FAILED]).first(), 120, "the resumed job")
        assert job.state == JobState.SUCCEEDED, job.error
        print(f"resumed and finished {time.monotonic() - killed_at:.1f} s after the kill")
        assert job.params["upload_id"] == upload_id  # resumed, not restarted
        assert b"".join(gateway.open_object(connection, bucket, "killed.bin").body) == data
        assert gateway.multipart_pending(connection, bucket) == []
        assert not upload.staging_path(job).exists()
    finally:
        proxy.close()


def test_a_folder_delete_runs_as_a_bulk_job(login, editor, connection, bucket, workers):
    workers.start()
    for i in range(25):
        gateway.put_object(connection, bucket, f"old/{i}.txt", b"x")
    gateway.put_object(connection, bucket, "keep.txt", b"x")
    response = login(editor).post(reverse("delete_objects", args=[connection.pk, bucket]),
                                  {"keys": ["old/"], "confirm": "yes", "prefix": ""})
    assert response.status_code == 302
    job = wait_for(lambda: Job.objects.filter(kind="delete_prefix", state=JobState.SUCCEEDED).first(), 60, "the delete job")
    assert job.result["deleted"] == 25
    assert [o.key for o in gateway.list_page(connection, bucket).objects] == ["keep.txt"]


@pytest.mark.browser
def test_a_large_file_dropped_in_the_browser_travels_in_parts_through_a_worker(browser_page, editor, connection, bucket, workers, settings):
    settings.UPLOAD_DIRECT_MAX_BYTES = 1 * MB
    workers.start()
    data = os.urandom(7 * MB + 5)
    page = browser_page(editor)
    page.goto(f"/c/{connection.pk}/b/{bucket}/")
    page.set_input_files("#file-input", [{"name": "big video.bin", "mimeType": "application/octet-stream", "buffer": data}])
    page.wait_for_selector("#upload-list li .status.ok", timeout=60_000)
    page.wait_for_selector("#rows a.object-link >> text=big video.bin")
    job = Job.objects.get(kind="upload", key="big video.bin")
    assert job.state == JobState.SUCCEEDED and job.result["parts"] == 2
    assert b"".join(gateway.open_object(connection, bucket, "big video.bin").body) == data
    assert page.console_problems == []


class AnswerDelayProxy(SlowProxy):
    """Forwards at full speed, but holds every answer from the endpoint for `delay` seconds."""

    def __init__(self, target_port: int, delay: float):
        self.delay = delay
        super().__init__(target_port, bytes_per_second=1 << 40)

    def pipe(self, source: socket.socket, sink: socket.socket, slow: bool) -> None:
        if not slow:  # the endpoint's side: every answer (on a kept-alive connection too) waits
            try:
                while data := source.recv(64 * 1024):
                    time.sleep(self.delay)
                    sink.sendall(data)
            except OSError:
                pass
            return
        super().pipe(source, sink, slow)


def test_a_worker_gives_slow_s3_calls_the_long_deadline_the_site_does_not(login, editor, make_connection, team,
                                                                           s3_endpoint, worker_env, workers, settings):
    """Web requests get a short deadline per S3 call; a worker's job must not (its calls copy
    gigabytes or complete large uploads). Here the site's deadline is 1 s and every answer of
    the endpoint takes 1.5 s: the job still finishes."""
    worker_env["CONSOLE_S3_DEADLINE"] = "1"
    proxy = AnswerDelayProxy(int(s3_endpoint.rsplit(":", 1)[1]), delay=1.5)
    try:
        connection = make_connection(team, endpoint=f"http://127.0.0.1:{proxy.port}")
        direct = make_connection(team, endpoint=s3_endpoint)
        bucket = "patient-" + os.urandom(4).hex()
        gateway.create_bucket(direct, bucket)
        for i in range(3):
            gateway.put_object(direct, bucket, f"old/{i}.txt", b"x")
        settings.S3_DEADLINE = 1
        page = login(editor).get(reverse("browse", args=[connection.pk, bucket]), {"prefix": "old/"})
        assert "did not answer in time" in page.content.decode()  # the site's deadline holds
        gateway.reset_limits()
        workers.start()
        from buckets.jobs.delete import delete_prefix_job_create

        job = delete_prefix_job_create(team=team, user=editor, connection=connection, bucket=bucket, prefix="old/")
        jobs.job_enqueue(job)
        job = wait_for(lambda: Job.objects.filter(pk=job.pk, state__in=[JobState.SUCCEEDED, JobState.FAILED]).first(),
                       60, "the job")
        assert job.state == JobState.SUCCEEDED, job.error
        assert gateway.list_page(direct, bucket, prefix="old/").objects == []
    finally:
        proxy.close()
