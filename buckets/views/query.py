"""Object Query (S3 Select): a query editor on one CSV or JSON object, and its result."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from .. import catalogue, encryption, gateway, query, snippets
from ..access import BucketAccess, get_bucket
from .common import parent_prefix, render_page, url_with

FEATURE = "object_query"


def _context(target: BucketAccess, key: str) -> dict:
    connection = target.connection
    availability = target.availability(FEATURE)
    dialect = query.dialect_for(connection.provider, target.bucket_type)
    return {
        "target": target, "connection": connection, "bucket": target.bucket, "key": key,
        "folder": parent_prefix(key), "availability": availability, "dialect": dialect,
        "usable": availability.usable(target.access.team.allow_api_only),
        "opted_in": availability.state == catalogue.State.API_ONLY,
        "formats": query.FORMATS, "compressions": query.COMPRESSIONS, "headers": query.HEADERS,
        "delimiters": query.DELIMITERS,
        "max_rows": query.MAX_ROWS,
        "snippets": snippets.api_snippets(FEATURE, endpoint=connection.endpoint_url, bucket=target.bucket,
                                          region=connection.region, key=key or "data.csv",
                                          select_dialect=dialect.id),
        "form": {"sql": dialect.example, "format": _guess_format(key), "compression": _guess_compression(key),
                 "header": "NONE" if dialect.id == "rgw" else "USE", "delimiter": "comma", "quote": '"',
                 "limit": "1000"},
    }


def _guess_format(key: str) -> str:
    name = key.lower().removesuffix(".gz").removesuffix(".bz2")
    return "json_lines" if name.endswith((".json", ".jsonl", ".ndjson")) else "csv"


def _guess_compression(key: str) -> str:
    lowered = key.lower()
    return "GZIP" if lowered.endswith(".gz") else "BZIP2" if lowered.endswith(".bz2") else "NONE"


@require_http_methods(["GET", "POST"])
def object_query(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    target = get_bucket(request, connection_id, bucket)
    data = request.POST if request.method == "POST" else request.GET
    key = data.get("key", "")
    context = _context(target, key)
    if context["availability"].state == catalogue.State.UNSUPPORTED:
        raise Http404("Object Query is not offered for this bucket.")
    if request.method == "GET" or not context["usable"]:
        # A forged POST where the feature is API-only and the team did not opt in never
        # reaches the endpoint: it gets the page with the reason and the snippet.
        return render_page(request, "buckets/object_query.html", "result", context)
    form_values = {name: data.get(name, default) for name, default in context["form"].items()}
    context["form"] = form_values
    try:
        form = query.QueryForm.parse(form_values, context["dialect"])
        extra = _customer_key(data)
    except (query.QueryRefused, encryption.EncryptionRefused) as exc:
        context["error"] = str(exc)
        return render_page(request, "buckets/object_query.html", "result", context, status=400)
    if not key:
        context["error"] = "Choose the object to query."
        return render_page(request, "buckets/object_query.html", "result", context, status=400)
    owner = {"team": target.access.team.pk, "connection": target.connection.pk, "user": request.user.pk}
    try:
        context["result"] = query.query_run(conn=target.connection, bucket=bucket, key=key, form=form,
                                            owner=owner, extra=extra)
    except gateway.S3Error as exc:
        # The endpoint's own words (a SQL error, a missing object) are what the user needs.
        context["endpoint_error"] = str(exc)
        return render_page(request, "buckets/object_query.html", "result", context, status=200)
    context["page"] = 1
    _page_links(context, target, context["result"].token, 1, context["result"].row_count)
    return render_page(request, "buckets/object_query.html", "result", context)


def _customer_key(data) -> dict:
    raw = data.get("sse_customer_key", "")
    if not raw:
        return {}
    return encryption.Encryption("SSE-C", customer_key=encryption.parse_customer_key(raw)).key_params()


def _result_meta(request: HttpRequest, target: BucketAccess, token: str) -> dict:
    meta = query.result_meta(token)
    if (meta is None or meta.get("team") != target.access.team.pk or meta.get("connection") != target.connection.pk
            or meta.get("bucket") != target.bucket):
        raise Http404("This result is gone (results are kept for an hour); run the query again.")
    return meta


def _page_links(context: dict, target: BucketAccess, token: str, page: int, rows: int) -> None:
    pages = max(1, -(-rows // query.PAGE_ROWS))
    args = (target.connection.pk, target.bucket)
    context.update({
        "pages": pages, "page": page,
        "prev_url": url_with("object_query_page", *args, token=token, page=page - 1) if page > 1 else "",
        "next_url": url_with("object_query_page", *args, token=token, page=page + 1) if page < pages else "",
        "csv_url": url_with("object_query_csv", *args, token=token),
    })


@require_GET
def object_query_page(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    target = get_bucket(request, connection_id, bucket)
    token = request.GET.get("token", "")
    meta = _result_meta(request, target, token)
    raw_page = request.GET.get("page", "1")
    page = int(raw_page) if raw_page.isascii() and raw_page.isdigit() and 0 < int(raw_page) < 10**6 else 1
    columns, rows = query.result_page(token, page)
    context = {**_context(target, meta["key"]), "table": {"columns": columns, "rows": rows}, "meta": meta}
    _page_links(context, target, token, page, meta["rows"])
    return render_page(request, "buckets/object_query.html", "table", context)


@require_GET
def object_query_csv(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    target = get_bucket(request, connection_id, bucket)
    token = request.GET.get("token", "")
    meta = _result_meta(request, target, token)
    name = (meta["key"].rsplit("/", 1)[-1] or "query") + ".result.csv"
    response = FileResponse(open(query.result_path(token), "rb"), content_type="text/csv; charset=utf-8")  # noqa: SIM115
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
