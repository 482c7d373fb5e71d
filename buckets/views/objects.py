"""The object browser: folders, paging, upload, download, details and delete.

Keys are bytes the user owns: they travel as query parameters (never in the URL path),
are escaped by the templates, and reach S3 exactly as typed.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import unicodedata
from dataclasses import dataclass
from itertools import islice

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import audit, catalogue, encryption, gateway, jobs, names
from ..access import get_bucket
from ..forms import FolderForm
from ..jobs.delete import delete_prefix_job_create
from ..models import Role
from ..templatetags.keys import key_text
from .common import (
    audited,
    bad_input,
    breadcrumbs,
    key_param,
    key_problem,
    parent_prefix,
    s3_error_response,
    url_with,
)
from .uploads import allow_direct_uploads, encryption_choices

# Served inline (for previews) only these, and only sandboxed; everything else downloads.
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp"}
MEDIA_TYPES = {"video/mp4", "video/webm", "video/ogg", "audio/mpeg", "audio/mp4", "audio/ogg", "audio/wav",
               "audio/x-wav", "audio/webm", "audio/flac", "audio/aac"}
PDF_TYPE = "application/pdf"
INLINE_TYPES = IMAGE_TYPES | MEDIA_TYPES | {PDF_TYPE}
# One byte range (what a media element or PDF viewer asks for); anything else is answered whole.
_RANGE = re.compile(r"bytes=(?:\d{1,19}-\d{0,19}|-\d{1,19})")
PREVIEW_TABLE_ROWS = 50
PREVIEW_TABLE_COLUMNS = 50
PREVIEW_PRETTY_MAX = 256 * 1024  # deep nesting indents quadratically: past this the text is shown as it is
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-yaml", "application/yaml")
PREVIEW_BYTES = 16 * 1024
# Offered in the details panel when the guess is wrong; the codec name is what Python calls it.
PREVIEW_ENCODINGS = {
    "utf-8": "UTF-8", "cp1252": "Windows-1252 (Western European)", "latin-1": "ISO-8859-1 (Latin-1)",
    "iso-8859-15": "ISO-8859-15 (Latin-9)", "cp1250": "Windows-1250 (Central European)",
    "cp1251": "Windows-1251 (Cyrillic)", "koi8-r": "KOI8-R (Cyrillic)", "iso-8859-7": "ISO-8859-7 (Greek)",
    "shift_jis": "Shift JIS (Japanese)", "euc-jp": "EUC-JP (Japanese)", "gb18030": "GB18030 (Chinese)",
    "big5": "Big5 (Chinese)", "euc-kr": "EUC-KR (Korean)", "utf-16": "UTF-16",
}
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_ENCODING_LABELS = {codecs.lookup(codec).name: label for codec, label in PREVIEW_ENCODINGS.items()}
LIST_PARAM_MAX = 4096


@require_GET
def browse(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    target = get_bucket(request, connection_id, bucket)
    prefix = request.GET.get("prefix", "")
    search = request.GET.get("q", "")
    token = request.GET.get("token", "")
    if len((prefix + search).encode("utf-8")) > names.MAX_KEY_BYTES:
        return bad_input(request, f"A prefix has at most {names.MAX_KEY_BYTES} bytes in UTF-8, as a key does.",
                         title="Cannot list this folder")
    if len(token) > LIST_PARAM_MAX:
        return bad_input(request, "This page token is not one the endpoint gave out; start again from the folder.",
                         title="Cannot list this folder")
    show_versions = request.GET.get("versions") == "1"
    key_marker, version_marker = request.GET.get("kmarker", ""), request.GET.get("vmarker", "")
    if len(key_marker.encode("utf-8")) > names.MAX_KEY_BYTES or len(version_marker) > LIST_PARAM_MAX:
        return bad_input(request, "This page marker is not one the endpoint gave out; start again from the folder.",
                         title="Cannot list this folder")
    try:
        if show_versions:
            page, version_rows = None, None
            vpage = gateway.list_versions_page(target.connection, bucket, prefix=prefix + search, key_marker=key_marker,
                                               version_marker=version_marker, page_size=settings.BROWSER_PAGE_SIZE,
                                               delimiter="/")
            version_rows = _version_rows(vpage.versions, prefix, vpage.storage_classes)
            folders = vpage.folders
            more_url = url_with("browse", connection_id, bucket, prefix=prefix, q=search, versions="1",
                                kmarker=vpage.next_key_marker, vmarker=vpage.next_version_marker) if vpage.truncated else ""
        else:
            page = gateway.list_page(
                target.connection,
                bucket,
                prefix=prefix + search,
                token=token,
                page_size=settings.BROWSER_PAGE_SIZE,
            )
            version_rows, folders = None, page.folders
            more_url = url_with("browse", connection_id, bucket, prefix=prefix, q=search,
                                token=page.next_token) if page.next_token else ""
    except gateway.S3Error as exc:
        return s3_error_response(request, exc, title=f"Cannot list “{bucket}”")
    for obj in page.objects if page else ():
        obj.label = obj.key[len(prefix):] or obj.key
    context = {
        "target": target,
        "connection": target.connection,
        "bucket": bucket,
        "prefix": prefix,
        "token": token,
        "folder_rows": [{"key": f, "label": f[len(prefix):] or f} for f in folders],
        "show_versions": show_versions,
        "version_rows": version_rows,
        "first_page": not (token or key_marker),
        "versioned": show_versions or (not request.htmx and _ever_versioned(target)),
        "versions_toggle_url": url_with("browse", connection_id, bucket, prefix=prefix, q=search,
                                        versions="" if show_versions else "1"),
        "restore_base": reverse("restore_deleted", args=[connection_id, bucket]),
        # Reversed once here rather than for every row of the listing.
        "detail_base": reverse("object_detail", args=[connection_id, bucket]),
        "browse_base": reverse("browse", args=[connection_id, bucket]),
        "search": search,
        "page": page,
        "crumbs": breadcrumbs(prefix),
        "parent": parent_prefix(prefix) if prefix else None,
        "can_edit": target.can(Role.EDITOR),
        "more_url": more_url,
        "direct_max": settings.UPLOAD_DIRECT_MAX_BYTES,
        "encryption": encryption_choices(target) if target.can(Role.EDITOR) else None,
        "encryption_snippets": _encryption_snippets(target),
        "folder_form": FolderForm(),
    }
    if request.htmx and (token or key_marker):
        return render(request, "buckets/browse.html#rows", context)
    if request.htmx and request.htmx.target == "listing":
        return render(request, "buckets/browse.html#listing", context)
    response = render(request, "buckets/browse.html", context)
    return allow_direct_uploads(response, target) if context["can_edit"] else response


@dataclass
class VersionRow:
    key: str
    label: str
    version: gateway.ObjectVersion
    storage_class: str
    first_of_key: bool  # the first row of its key on this page: the key is shown, later rows are indented
    deleted: bool  # the latest of this key is a delete marker: the row offers "Restore"


def _version_rows(versions: list[gateway.ObjectVersion], prefix: str,
                  storage_classes: dict[tuple[str, str], str]) -> list[VersionRow]:
    """Versions and delete markers under their key, newest first, keys in listing order."""
    by_key: dict[str, list[gateway.ObjectVersion]] = {}
    for v in versions:
        if v.key == prefix and prefix:
            continue  # the folder marker of the folder being shown
        by_key.setdefault(v.key, []).append(v)
    rows = []
    for key, found in by_key.items():
        found.sort(key=lambda v: (not v.is_latest, -(v.last_modified.timestamp() if v.last_modified else 0)))
        for i, v in enumerate(found):
            rows.append(VersionRow(key, key[len(prefix):] or key, v, storage_classes.get((key, v.version_id), ""),
                                   first_of_key=i == 0, deleted=v.is_latest and v.is_delete_marker))
    return rows


def _ever_versioned(target) -> bool:
    """Whether the bucket has (or had) versioning on: only then is "Show versions" offered."""
    if not target.availability("versioning").usable(target.access.team.allow_api_only):
        return False
    try:
        return gateway.ever_versioned(target.connection, target.bucket)
    except gateway.S3Error:
        return False


@require_GET
def object_detail(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    target = get_bucket(request, connection_id, bucket)
    key, problem = key_param(request.GET)
    version_id = request.GET.get("version", "")
    chosen = request.GET.get("encoding", "")
    if problem:
        return bad_input(request, problem, title="Cannot read the object")
    if chosen and chosen not in PREVIEW_ENCODINGS:
        return bad_input(request, "Choose one of the offered encodings.", title="Cannot preview the object")
    try:
        details = gateway.head_object(target.connection, bucket, key, version_id=version_id)
    except gateway.Invalid as exc:
        if exc.code != "400":
            return s3_error_response(request, exc, title="Cannot read the object")
        # A bare 400 to HEAD is how S3 says the object needs its customer key (SSE-C).
        context = {"connection": target.connection, "bucket": bucket, "key": key, "folder": parent_prefix(key),
                   "version": version_id, "sse_c_required": True, "can_edit": target.can(Role.EDITOR)}
        template = "buckets/object_detail.html#sse_c" if request.htmx else "buckets/object_detail.html"
        return render(request, template, context)
    except gateway.S3Error as exc:
        return s3_error_response(request, exc, title="Cannot read the object")
    preview = None
    media_type = details.content_type.split(";")[0].strip().lower()
    preview_image = media_type in IMAGE_TYPES and details.size > 0
    preview_media = ("video" if media_type.startswith("video/") else "audio") if media_type in MEDIA_TYPES else ""
    preview_pdf = media_type == PDF_TYPE and details.size > 0
    # Bounded: the browser reads an image whole, so a large one is not previewed at all.
    preview_too_large = settings.PREVIEW_IMAGE_MAX_BYTES if preview_image and details.size > settings.PREVIEW_IMAGE_MAX_BYTES else 0
    if details.content_type.startswith(TEXT_TYPES) and 0 < details.size:
        try:
            # The version's own first bytes (gateway.read_head reads the latest only).
            head = gateway.open_object(target.connection, bucket, key, version_id=version_id,
                                       byte_range=f"bytes=0-{PREVIEW_BYTES - 1}")
            raw = b"".join(head.body)[:PREVIEW_BYTES]
        except gateway.S3Error:
            raw = None
        if raw is not None:
            preview = preview_decode(raw, truncated=details.size > PREVIEW_BYTES, chosen=chosen,
                                     declared=declared_charset(details.content_type))
            preview.shape(preview_kind(media_type, key), truncated=details.size > PREVIEW_BYTES)
    context = {
        "target": target,
        "connection": target.connection,
        "bucket": bucket,
        "details": details,
        "key": key,
        "folder": parent_prefix(key),
        "preview": preview,
        "preview_text": preview.text if preview else None,
        "preview_encodings": PREVIEW_ENCODINGS,
        "version": version_id,
        "preview_truncated": details.size > PREVIEW_BYTES,
        "preview_image": preview_image,
        "preview_media": preview_media,
        "preview_pdf": preview_pdf,
        "preview_pdf_max": settings.PREVIEW_PDF_MAX_BYTES,
        "preview_too_large": preview_too_large,
        "can_edit": target.can(Role.EDITOR),
        "download_url": url_with("download", connection_id, bucket, key=key, version=version_id),
        "preview_url": url_with("preview", connection_id, bucket, key=key, version=version_id),
        "versions_url": url_with("versions", connection_id, bucket, key=key),
        "share_expiries": SHARE_EXPIRIES,
        # Object Query where the catalogue offers it at all (API-only: the page explains it).
        "query_url": url_with("object_query", connection_id, bucket, key=key)
        if target.availability("object_query").state != catalogue.State.UNSUPPORTED else "",
    }
    if request.htmx:
        return render(request, "buckets/object_detail.html#panel", context)
    return render(request, "buckets/object_detail.html", context)


@dataclass
class Preview:
    text: str
    encoding: str  # a Python codec name
    how: str  # why this encoding: "chosen", "bom", "declared", "utf-8", "assumed"

    @property
    def label(self) -> str:
        return _ENCODING_LABELS.get(codecs.lookup(self.encoding).name, self.encoding)

    pretty: str = ""  # JSON, indented
    rows: list[list[str]] | None = None  # CSV, the first rows
    note: str = ""  # why JSON or CSV is shown as plain text

    def shape(self, kind: str, *, truncated: bool) -> None:
        """Pretty-print JSON or split CSV into rows; on any failure the text stays as it is, with a note."""
        if kind == "json":
            if truncated:
                self.note = "Shown as text: only the first 16 KiB are read, and JSON cut off there does not parse."
                return
            try:
                pretty = json.dumps(json.loads(self.text), indent=2, ensure_ascii=False)
            except (ValueError, RecursionError) as exc:
                self.note = f"Shown as text: this is not valid JSON ({exc})."
                return
            if len(pretty) > PREVIEW_PRETTY_MAX:
                self.note = "Shown as text: indented, it would be too long to show."
                return
            self.pretty = pretty
        elif kind == "csv":
            lines = self.text.splitlines()
            if truncated and len(lines) > 1:
                lines = lines[:-1]  # the last line is cut off at 16 KiB
            try:
                rows = [row[:PREVIEW_TABLE_COLUMNS] for row in islice(csv.reader(lines), PREVIEW_TABLE_ROWS)]
            except csv.Error as exc:
                self.note = f"Shown as text: this does not read as CSV ({exc})."
                return
            self.rows = rows

    def choices(self) -> list[tuple[str, str, bool]]:
        """(codec, label, selected) for the encoding picker."""
        current = codecs.lookup(self.encoding).name
        return [(codec, label, codecs.lookup(codec).name == current) for codec, label in PREVIEW_ENCODINGS.items()]


def preview_kind(media_type: str, key: str) -> str:
    """"json", "csv" or "" (plain text), from the Content-Type, or a text type and the key's extension."""
    name = key.lower()
    if media_type == "application/json" or media_type.endswith("+json") or (
            media_type.startswith("text/plain") and name.endswith(".json")):
        return "json"
    if media_type == "text/csv" or (media_type.startswith("text/plain") and name.endswith(".csv")):
        return "csv"
    return ""


def declared_charset(content_type: str) -> str:
    """The charset= parameter of a Content-Type, when Python knows the codec; "" otherwise."""
    for param in content_type.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "charset" and value:
            try:
                return codecs.lookup(value.strip().strip('"')).name
            except LookupError:
                return ""
    return ""


def preview_decode(raw: bytes, *, truncated: bool, chosen: str = "", declared: str = "") -> Preview:
    """The text of the first bytes of an object, in the encoding it most likely has.

    In order: the user's choice, a byte order mark, the declared charset if the bytes fit it,
    UTF-8 if the bytes are valid UTF-8, else Windows-1252 (Latin-1 where 1252 has holes), which
    is what most non-UTF-8 text in the wild is. The label says which rule decided, so a wrong
    guess reads as a guess, never as mojibake with no explanation. A multibyte character cut
    off at the preview's end is not an error.
    """
    if chosen:
        return Preview(_decode(raw, chosen, truncated), chosen, "chosen")
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            return Preview(_decode(raw, codec if codec != "utf-8" else "utf-8-sig", truncated), codec, "bom")
    for codec, how in ((declared, "declared"), ("utf-8", "utf-8")):
        if codec:
            try:
                return Preview(_decode(raw, codec, truncated, errors="strict"), codec, how)
            except UnicodeDecodeError:
                pass
    try:
        return Preview(raw.decode("cp1252"), "cp1252", "assumed")
    except UnicodeDecodeError:
        return Preview(raw.decode("latin-1"), "latin-1", "assumed")


def _decode(raw: bytes, codec: str, truncated: bool, errors: str = "replace") -> str:
    # An incremental decoder keeps a sequence cut at the end instead of failing on it.
    return codecs.getincrementaldecoder(codec)(errors=errors).decode(raw, final=not truncated)


def download_name(key: str) -> str:
    """A file name for Content-Disposition: the last segment, without control characters."""
    name = key.rstrip("/").rsplit("/", 1)[-1] or "download"
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    return name.strip() or "download"


def _stream(request: HttpRequest, connection_id: int, bucket: str, *, inline_types: set[str]) -> HttpResponse:
    """Stream an object's bytes: inline only for `inline_types`, sandboxed, never sniffed.

    An SSE-C object's key arrives in a POST body, never in the URL, and is not kept.
    """
    target = get_bucket(request, connection_id, bucket)
    data = request.POST if request.method == "POST" else request.GET
    key, problem = key_param(data)
    if problem:
        return bad_input(request, problem, title="Cannot read the object")
    extra: dict = {}
    if request.method == "POST":
        try:
            extra = encryption.Encryption("SSE-C", customer_key=encryption.parse_customer_key(
                data.get("sse_customer_key", ""))).key_params()
        except encryption.EncryptionRefused as exc:
            return s3_error_response(request, gateway.Invalid(str(exc)), title="Cannot decrypt the object")
    asked = request.headers.get("Range", "").strip()
    byte_range = asked if _RANGE.fullmatch(asked) else ""
    try:
        obj = gateway.open_object(target.connection, bucket, key, version_id=data.get("version", ""), extra=extra,
                                  byte_range=byte_range)
    except gateway.Invalid as exc:
        if byte_range and exc.code == "InvalidRange":
            return _range_not_satisfiable(target, bucket, key, data.get("version", ""), extra)
        if extra:
            exc = gateway.Invalid(f"The endpoint refused the key: it is not the one this object was encrypted with ({exc}).")
        return s3_error_response(request, exc, title="Cannot read the object")
    except gateway.S3Error as exc:
        return s3_error_response(request, exc, title="Cannot read the object")
    inline = obj.content_type.split(";")[0].strip().lower() in inline_types
    response = StreamingHttpResponse(obj.body, content_type=obj.content_type if inline else "application/octet-stream",
                                     status=206 if obj.content_range else 200)
    response["Content-Length"] = str(obj.size)
    if obj.content_range:
        response["Content-Range"] = obj.content_range
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = content_disposition_header(not inline, download_name(key))
    _sandbox(response, framed=inline and response["Content-Type"].startswith(PDF_TYPE))
    return response


def _sandbox(response: HttpResponse, *, framed: bool = False) -> None:
    """Sandboxed, no scripts, never sniffed; only a PDF may be framed, and only by this console's pages."""
    response["X-Content-Type-Options"] = "nosniff"
    ancestors = "'self'" if framed else "'none'"
    response["Content-Security-Policy"] = f"sandbox; default-src 'none'; img-src 'self'; media-src 'self'; frame-ancestors {ancestors}"
    response["X-Frame-Options"] = "SAMEORIGIN" if framed else "DENY"
    response["Cache-Control"] = "private, no-store"


def _range_not_satisfiable(target, bucket: str, key: str, version_id: str, extra: dict) -> HttpResponse:
    """416, with the object's length so the client can ask again (RFC 9110 15.5.17)."""
    response = HttpResponse("The requested byte range is not within the object.", status=416,
                            content_type="text/plain; charset=utf-8")
    try:
        size = gateway.head_object(target.connection, bucket, key, version_id=version_id, extra=extra).size
        response["Content-Range"] = f"bytes */{size}"
    except gateway.S3Error:
        pass  # the 416 stands without the length
    _sandbox(response)
    return response


@require_http_methods(["GET", "POST"])
def download(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    return _stream(request, connection_id, bucket, inline_types=set())


@require_GET
def preview(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    """Raster images, audio, video and PDF inline for the details panel; anything else as an attachment."""
    return _stream(request, connection_id, bucket, inline_types=INLINE_TYPES)


@require_POST
def create_folder(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    target = get_bucket(request, connection_id, bucket, Role.EDITOR)
    prefix = request.POST.get("prefix", "")
    form = FolderForm(request.POST)
    back = url_with("browse", connection_id, bucket, prefix=prefix)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["name"]))
        return redirect(back)
    key = f"{prefix}{form.cleaned_data['name']}/"
    problem = names.key_problem(key)
    if problem:
        messages.error(request, problem)
        return redirect(back)
    try:
        gateway.put_object(target.connection, bucket, key, b"", content_type="application/x-directory")
    except gateway.S3Error as exc:
        audit.record(request, "folder.create", connection=target.connection, bucket=bucket, key=key, ok=False, message=str(exc))
        return s3_error_response(request, exc, title="The folder was not created")
    audit.record(request, "folder.create", connection=target.connection, bucket=bucket, key=key)
    messages.success(request, f"Folder “{key_text(form.cleaned_data['name'])}” created.")
    return redirect(url_with("browse", connection_id, bucket, prefix=key))


@require_http_methods(["POST"])
def delete_objects(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    """Confirm, then delete the selected objects; selected folders become a bulk job."""
    target = get_bucket(request, connection_id, bucket, Role.EDITOR)
    prefix = request.POST.get("prefix", "")
    keys = [k for k in request.POST.getlist("keys") if k]
    folders = [k for k in keys if k.endswith("/")]
    objects = [k for k in keys if not k.endswith("/")]
    back = url_with("browse", connection_id, bucket, prefix=prefix)
    if not keys:
        messages.error(request, "Select at least one object to delete.")
        return redirect(back)
    problem = next((key_problem(k) for k in keys if key_problem(k)), "")
    if problem:
        return bad_input(request, problem, title="Nothing was deleted")
    if request.POST.get("confirm") != "yes":
        context = {"connection": target.connection, "bucket": bucket, "prefix": prefix, "objects": objects, "folders": folders, "count": len(keys)}
        template = "buckets/delete_confirm.html#dialog" if request.htmx else "buckets/delete_confirm.html"
        return render(request, template, context)
    if objects:
        try:
            deleted, errors = gateway.delete_objects(target.connection, bucket, objects)
        except gateway.S3Error as exc:
            audit.record(request, "object.delete", connection=target.connection, bucket=bucket, ok=False, message=str(exc), keys=objects[:100])
            return s3_error_response(request, exc, title="Nothing was deleted")
        audit.record(request, "object.delete", connection=target.connection, bucket=bucket, ok=not errors,
                     key=objects[0] if len(objects) == 1 else "", keys=objects[:100], count=len(deleted), errors=len(errors))
        if deleted:
            messages.success(request, f"Deleted {len(deleted)} object(s).")
        for key, message in list(errors.items())[:10]:
            messages.error(request, f"{key_text(key)}: {message}")
    for folder in folders:
        job = delete_prefix_job_create(team=target.access.team, user=request.user, connection=target.connection,
                                       bucket=bucket, prefix=folder)
        audit.record(request, "folder.delete", connection=target.connection, bucket=bucket, key=folder, job=job.pk)
        try:
            jobs.job_enqueue(job)
        except jobs.BrokerUnavailable as exc:
            messages.error(request, f"Folder “{key_text(folder)}”: job #{job.pk} was saved, but not started. {exc}")
        else:
            messages.info(request, f"Deleting folder “{key_text(folder)}” and everything in it as job #{job.pk}.")
    if request.htmx:
        from django_htmx.http import HttpResponseClientRedirect

        return HttpResponseClientRedirect(back)
    return redirect(back)


SHARE_EXPIRIES = {"3600": "1 hour", "86400": "1 day", "604800": "7 days (the SigV4 maximum)"}


@require_POST
def share_link(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    """A presigned GET link; viewers may share what they may download."""
    target = get_bucket(request, connection_id, bucket)
    key, problem = key_param(request.POST)
    expires = request.POST.get("expires", "3600")
    context = {"connection": target.connection, "bucket": bucket, "key": key, "expiries": SHARE_EXPIRIES}
    availability = target.availability("presigned_url")
    status = 200
    if problem:
        context["error"], status = problem, 400
    elif not availability.usable(target.access.team.allow_api_only):
        context["error"] = f"Share links are not available here. {availability.note}"
    elif expires not in SHARE_EXPIRIES:
        context["error"], status = "Choose one of the offered expiry times.", 400
    else:
        try:
            context["url"] = gateway.presigned_get(
                target.connection, bucket, key, expires=int(expires),
                disposition=content_disposition_header(True, download_name(key)),
            )
            context["expires_label"] = SHARE_EXPIRIES[expires]
            audit.record(request, "object.share", connection=target.connection, bucket=bucket, key=key, expires=int(expires))
        except gateway.S3Error as exc:
            context["error"] = str(exc)
    template = "buckets/share.html#result" if request.htmx else "buckets/share.html"
    # htmx swaps only 2xx answers; the refusal must still appear in the panel.
    return render(request, template, context, status=200 if request.htmx else status)


@require_GET
def versions(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    target = get_bucket(request, connection_id, bucket)
    key, problem = key_param(request.GET)
    if problem:
        return bad_input(request, problem, title="Cannot list versions")
    availability = target.availability("versioning")
    allowed = availability.usable(target.access.team.allow_api_only)
    context = {
        "target": target, "connection": target.connection, "bucket": bucket, "key": key,
        "folder": parent_prefix(key), "availability": availability, "allowed": allowed,
        "can_edit": target.can(Role.EDITOR), "versions": [], "error": None,
    }
    if allowed:
        try:
            context["versions"] = gateway.list_versions(target.connection, bucket, key)
        except gateway.S3Error as exc:
            context["error"] = exc
    # The file is deleted when its latest version is a delete marker: removing that marker
    # (restore_deleted, as in the browser's "Show versions" list) brings it back.
    context["deleted_marker"] = next((v for v in context["versions"] if v.is_latest and v.is_delete_marker), None)
    context["restore_base"] = reverse("restore_deleted", args=[connection_id, bucket])
    template = "buckets/versions.html#list" if request.htmx else "buckets/versions.html"
    return render(request, template, context)


@require_POST
def delete_version(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    target = get_bucket(request, connection_id, bucket, Role.EDITOR)
    key, problem = key_param(request.POST)
    version_id = request.POST.get("version", "")
    if problem:
        return bad_input(request, problem, title="The version was not deleted")
    back = url_with("versions", connection_id, bucket, key=key)
    if not version_id:
        messages.error(request, "Choose a version to delete.")
        return redirect(back)
    if request.POST.get("confirm") != "yes":
        # The same confirmation dialog as every other delete (a page of its own without JavaScript).
        context = {"connection": target.connection, "bucket": bucket, "key": key, "version": version_id, "back": back}
        template = "buckets/delete_confirm.html#version_dialog" if request.htmx else "buckets/delete_confirm.html"
        return render(request, template, context)
    try:
        gateway.delete_object(target.connection, bucket, key, version_id=version_id)
    except gateway.S3Error as exc:
        audit.record(request, "object.version.delete", connection=target.connection, bucket=bucket, key=key,
                     ok=False, message=str(exc), version=version_id)
        return s3_error_response(request, exc, title="The version was not deleted")
    audit.record(request, "object.version.delete", connection=target.connection, bucket=bucket, key=key, version=version_id)
    messages.success(request, f"Version {key_text(version_id)} of “{key_text(key)}” deleted permanently.")
    return redirect(back)


@require_http_methods(["GET", "POST"])
def restore_deleted(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    """Bring a deleted file back by removing its delete marker (asked first, like every change)."""
    target = get_bucket(request, connection_id, bucket, Role.EDITOR)
    data = request.POST if request.method == "POST" else request.GET
    key, problem = key_param(data)
    marker = data.get("version", "")
    if problem:
        return bad_input(request, problem, title="Nothing was restored")
    if not marker or len(marker) > LIST_PARAM_MAX:
        return bad_input(request, "Choose the delete marker to remove.", title="Nothing was restored")
    # Asked from the browser's "Show versions" list or from the key's versions page: back to it.
    # One fixed choice, never a URL, so the parameter cannot send anyone elsewhere.
    came_from = "versions" if data.get("from") == "versions" else ""
    if came_from:
        back = url_with("versions", connection_id, bucket, key=key)
    else:
        back = url_with("browse", connection_id, bucket, prefix=parent_prefix(key), versions="1")
    if request.method == "GET" or data.get("confirm") != "yes":
        context = {"connection": target.connection, "bucket": bucket, "key": key, "version": marker, "back": back,
                   "came_from": came_from}
        template = "buckets/restore_confirm.html#dialog" if request.htmx else "buckets/restore_confirm.html"
        return render(request, template, context)
    try:
        with audited(request, "object.restore", connection=target.connection, bucket=bucket, key=key, version=marker):
            gateway.delete_object(target.connection, bucket, key, version_id=marker)
    except gateway.S3Error as exc:
        return s3_error_response(request, exc, title="Nothing was restored")
    messages.success(request, f"“{key_text(key)}” is restored: its delete marker was removed.")
    if request.htmx:
        from django_htmx.http import HttpResponseClientRedirect

        return HttpResponseClientRedirect(back)
    return redirect(back)


def _encryption_snippets(target) -> dict[str, str]:
    connection = target.connection
    return catalogue.api_snippets("object_encryption", endpoint=connection.endpoint_url, bucket=target.bucket,
                                  region=connection.region, key="path/to/object")
