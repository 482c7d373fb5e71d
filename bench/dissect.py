"""Where the console's own time goes on the object browser page, without any S3 server.

The browse view is run in-process with `gateway.list_page` replaced by a synthetic page
(12 folders + 88 objects, like the benchmark's first page), and its parts are timed on
their own: the whole request, the request floor (a signed-in GET /login/ → 302), the
template with and without the rows, the "load more" fragment, single template
operations used per row, and the SQL queries of one request.

    .venv/bin/python bench/dissect.py        # standalone (temporary database)

`bench/run.py` calls `measure()` at the end of its run and puts the result in the report.
"""

from __future__ import annotations

import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _median_ms(fn, n: int) -> float:
    for _ in range(3):
        fn()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def synthetic_page(folders: int = 12, objects: int = 88):
    from buckets.gateway import ObjectSummary, Page

    stamp = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
    page = Page(prefix="")
    page.folders = [f"folder-{i:02d}/" for i in range(folders)]
    page.objects = [
        ObjectSummary(key=f"notes-{i:06d}.csv", size=1000 + 37 * i, last_modified=stamp - dt.timedelta(minutes=i),
                      etag="0123456789abcdef0123456789abcdef", storage_class="STANDARD")
        for i in range(objects)
    ]
    page.truncated = True
    page.next_token = "1/" + "x" * 60
    return page


def measure(user, connection_id: int, bucket: str = "dissect-bucket", n: int = 60) -> dict:
    """Needs Django set up; `user` must reach `connection_id` through a grant."""
    from django.db import connection as db
    from django.shortcuts import render as real_render
    from django.template import defaultfilters
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from buckets import gateway
    from buckets.views import objects as objects_view

    page = synthetic_page()
    captured: dict = {}

    def capture_render(request, template, context, *args, **kwargs):
        captured.setdefault("call", (request, template, dict(context)))
        return real_render(request, template, context, *args, **kwargs)

    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(user)
    url = f"/c/{connection_id}/b/{bucket}/"
    real_list_page = gateway.list_page
    gateway.list_page = lambda *a, **k: page
    objects_view.render = capture_render
    try:
        def view() -> None:
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"browse answered {response.status_code}")

        def more() -> None:
            response = client.get(url, {"token": page.next_token}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="load-more")
            if response.status_code != 200:
                raise RuntimeError(f"load more answered {response.status_code}")

        def floor() -> None:
            response = client.get("/login/")
            if response.status_code != 302:
                raise RuntimeError(f"signed-in GET /login/ answered {response.status_code}")

        view()
        with CaptureQueriesContext(db) as queries:
            view()
        # Read them now: the captured list is a view on the connection's log.
        sql = [q["sql"][:160] for q in queries.captured_queries]
        result = {
            "rows": len(page.folders) + len(page.objects),
            "queries": len(sql),
            "query_sql": sql,
            "view_ms": _median_ms(view, n),
            "more_view_ms": _median_ms(more, n),
            "floor_ms": _median_ms(floor, n),
        }
        request, template, context = captured["call"]
        empty = dict(context, folder_rows=[], page=synthetic_page(0, 0))
        empty["page"].next_token = ""
        result["render_full_ms"] = _median_ms(lambda: real_render(request, template, context), n)
        result["render_no_rows_ms"] = _median_ms(lambda: real_render(request, template, empty), n)
        result["render_rows_fragment_ms"] = _median_ms(lambda: real_render(request, template + "#rows", context), n)
        obj = page.objects[0]
        per = 2000
        result["per_call_us"] = {
            "{% url 'object_detail' pk bucket %}": _median_ms(lambda: [reverse("object_detail", args=(connection_id, bucket)) for _ in range(per)], 5) * 1000 / per,
            "|urlencode:''": _median_ms(lambda: [defaultfilters.urlencode(obj.key, "") for _ in range(per)], 5) * 1000 / per,
            "|date:'c'": _median_ms(lambda: [defaultfilters.date(obj.last_modified, "c") for _ in range(per)], 5) * 1000 / per,
            "|date:'Y-m-d H:i:s'": _median_ms(lambda: [defaultfilters.date(obj.last_modified, "Y-m-d H:i:s") for _ in range(per)], 5) * 1000 / per,
            "|filesizeformat": _median_ms(lambda: [defaultfilters.filesizeformat(obj.size) for _ in range(per)], 5) * 1000 / per,
        }
        result["per_row_ms"] = (result["render_full_ms"] - result["render_no_rows_ms"]) / result["rows"]
        return result
    finally:
        gateway.list_page = real_list_page
        objects_view.render = real_render


def main() -> int:
    import console_app

    tmp = Path(tempfile.mkdtemp(prefix="s3c-dissect-"))
    env = console_app.console_env(tmp)
    console_app.django_setup(env)
    ids = console_app.seed({"fake": {"endpoint": "http://127.0.0.1:9", "access_key": "k", "secret_key": "s"}})
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=console_app.USERNAME)
    try:
        result = measure(user, ids["fake"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for key, value in result.items():
        if key == "query_sql":
            for sql in value:
                print("   ", sql)
        elif isinstance(value, dict):
            for k, v in value.items():
                print(f"{key:24s} {k:36s} {v:7.2f}")
        else:
            print(f"{key:24s} {value:8.2f}" if isinstance(value, float) else f"{key:24s} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
