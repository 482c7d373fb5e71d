"""Small helpers every view module shares."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from .. import audit, names
from ..gateway import Invalid, S3Error


def for_htmx(request: HttpRequest, template: str, part: str) -> str:
    """The named partial of `template` for htmx requests, the whole page otherwise."""
    return f"{template}#{part}" if request.htmx else template


def render_page(request: HttpRequest, template: str, part: str, context: dict, **kwargs) -> HttpResponse:
    """Render the page, or only its `part` partial when htmx asked for it."""
    return render(request, for_htmx(request, template, part), context, **kwargs)


@contextmanager
def audited(request: HttpRequest | None, action: str, **fields: Any) -> Iterator[dict]:
    """Record `action` in the audit log once the block ends: failed with the endpoint's message
    when it raises S3Error (which propagates), succeeded otherwise.

    The block may add detail to the yielded dict (or set ``ok``/``message``) before it ends.
    """
    extra: dict[str, Any] = {}
    try:
        yield extra
    except S3Error as exc:
        audit.record(request, action, **{**fields, **extra, "ok": False, "message": str(exc)})
        raise
    audit.record(request, action, **{**fields, **extra})


def s3_error_response(request: HttpRequest, error: S3Error, *, title: str = "The endpoint refused") -> HttpResponse:
    """Show an S3 failure as a message in the page, never as a 500."""
    status = error.status if error.status < 500 else 502
    context = {"title": title, "error": error}
    if request.htmx:
        # htmx does not swap 4xx/5xx bodies by default; the message must still arrive.
        response = render(request, "buckets/error.html#message", context)
        response["HX-Retarget"] = "#flash"
        response["HX-Reswap"] = "innerHTML"
        return response
    return render(request, "buckets/error.html", context, status=status)


def url_with(name: str, *args, **query) -> str:
    """A URL with query parameters; keys travel as query values, never in the path."""
    base = reverse(name, args=args)
    query = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{base}?{urlencode(query)}" if query else base


def parent_prefix(prefix: str) -> str:
    stripped = prefix[:-1] if prefix.endswith("/") else prefix
    return stripped.rsplit("/", 1)[0] + "/" if "/" in stripped else ""


def breadcrumbs(prefix: str) -> list[tuple[str, str]]:
    """(label, prefix) pairs for each folder level of `prefix`."""
    if not prefix:
        return []
    crumbs = []
    acc = ""
    for part in prefix.split("/")[:-1] if prefix.endswith("/") else prefix.split("/"):
        acc += part + "/"
        crumbs.append((part or "(empty)", acc))
    return crumbs


def bad_input(request: HttpRequest, message: str, *, title: str = "This cannot be done") -> HttpResponse:
    """Refuse a request whose input no endpoint could act on: a 400 with a sentence, never a 500."""
    return s3_error_response(request, Invalid(message), title=title)


def key_param(data, name: str = "key") -> tuple[str, str]:
    """(key, problem) for an object key sent as `name`: the problem is "" when S3 could take it."""
    key = data.get(name, "")
    return key, key_problem(key)


def key_problem(key: str) -> str:
    """Why the console cannot act on this key, as a sentence; empty when it can."""
    return names.key_problem(key)
