"""Every URL of the project, fed hostile path values and arbitrary query and form values,
answers a page, a redirect or a refusal with a message: never a 500, never Django's
technical error page.

The URL list is walked from the resolver and the parameter names are read from the source,
so a new view or a new parameter is fuzzed without anyone adding it here.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buckets import gateway
from buckets.jobs.delete import delete_prefix_job_create
from buckets.models import AuditEntry, Grant, Membership

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
BIG = 2**63

# Path values that have broken something somewhere, per converter.
HOSTILE_INTS = [BIG, 10**30]
HOSTILE_STRS = ["x\x00y", "evil\u202etxt.exe", "é" * 300, ".."]
HOSTILE_SLUGS = ["a-" * 300]

# Query and form values that have broken something somewhere.
HOSTILE_VALUES = [
    "", " ", "abc", "-1", "0", "1e3", "①", "²", "١٢", "1" * 30, str(BIG), str(BIG - 1), "nan", "inf",
    "\x00", "a\x00b", "\u202eexe.txt", "\ufeff", "../../etc/passwd", "/", "//evil.example/x", "a/b", "home",
    "https://evil.example/", "javascript:alert(1)", "<script>alert(1)</script>", "' OR 1=1 --",
    "[" * 3000 + "]" * 3000, '{"a":' * 2000 + "1" + "}" * 2000, '{"Version": "2012-10-17", "Statement": []}',
    "k" * 2048, "true", "on", "yes", "null", "[]", "{}", "\t", "\r\n", "%00", "%2e%2e",
]
values = st.one_of(st.sampled_from(HOSTILE_VALUES), st.text(max_size=40), st.integers(-BIG, 2 * BIG).map(str))

_PARAM = re.compile(r"""(?:GET|POST|data|query|params|request\.\w+)\.get(?:list)?\(\s*["']([\w.-]+)["']""")
_FIELD = re.compile(r"""^\s+(\w+)\s*=\s*(?:forms\.)?\w*Field\(""", re.M)


def param_names() -> list[str]:
    """Every query or form parameter name the views and forms read."""
    found: set[str] = set()
    for path in (ROOT / "buckets").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        found.update(_PARAM.findall(text))
        found.update(_FIELD.findall(text))
    # Names that Django or htmx read, and form-set management fields.
    found.update({"next", "csrfmiddlewaretoken", "form-TOTAL_FORMS", "form-INITIAL_FORMS", "page", "id", "job"})
    return sorted(found)


def view_param_names(callback) -> list[str]:
    """The parameters one view reads: names in its source, and the fields of forms it builds."""
    view = getattr(callback, "view_class", None) or callback
    while hasattr(view, "__wrapped__"):
        view = view.__wrapped__
    try:
        source = inspect.getsource(view)
    except (OSError, TypeError):
        return []
    namespace = getattr(view, "__globals__", {})
    # One level of the module's own helpers (download -> _stream), where the reading often is.
    for called in set(re.findall(r"\b(\w+)\(", source)):
        helper = namespace.get(called)
        if inspect.isfunction(helper) and helper.__module__ == view.__module__ and helper is not view:
            source += inspect.getsource(helper)
    found = set(_PARAM.findall(source))
    if "key_param(" in source:
        found.add("key")
    for form_name in set(re.findall(r"\b(\w+Form)\(", source)):
        form_class = namespace.get(form_name)
        try:
            found.update(form_class.base_fields)
        except AttributeError:
            pass
    return sorted(found)


def url_patterns() -> list[tuple[str, str, dict, list[str]]]:
    """(route, name, converters, parameter names) for every path() of the project, with includes flattened."""
    found = []

    def walk(resolver: URLResolver, prefix: str, converters: dict) -> None:
        for entry in resolver.url_patterns:
            if not isinstance(entry.pattern, RoutePattern):
                continue  # regex patterns: only Django's admin has them, and it is not ours
            route = prefix + str(entry.pattern)
            found_converters = {**converters, **entry.pattern.converters}
            if isinstance(entry, URLResolver):
                walk(entry, route, found_converters)
            elif isinstance(entry, URLPattern):
                found.append((route, entry.name or route, found_converters, view_param_names(entry.callback)))

    walk(get_resolver(), "/", {})
    return found


PATTERNS = url_patterns()
EXAMPLES_PER_URL = 3
# Pages that wait on their own time-outs by design (a readiness probe pings the broker).
SLOW_URLS = {"health-ready": 1}
# 500s this test found in views other engineers own, reported to them with the input that
# causes each; listed so the rest of the site stays guarded meanwhile. Remove an entry when fixed.
# Views whose 500s are known and owned elsewhere; empty now (NUL anywhere in a request is
# refused by buckets.middleware.RefuseNulMiddleware before a view runs).
KNOWN_ELSEWHERE: set[str] = set()
PARAMS = param_names()
_SLOT = re.compile(r"<(?:(\w+):)?(\w+)>")


def build(route: str, values_by_name: dict[str, object]) -> str:
    return _SLOT.sub(lambda m: quote(str(values_by_name[m.group(2)]), safe=""), route)


def is_server_error(response) -> bool:
    body = response.content[:20000] if not response.streaming else b""
    return response.status_code >= 500 and response.status_code not in (501, 502, 503, 504, 507) or (
        b"technical_500" in body or b"Traceback (most recent call last)" in body
    )


@pytest.fixture
def world(connection, bucket, team, editor, admin, make_user, settings):
    """Real rows for every id a URL can carry, so valid ids reach the views' own code."""
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    gateway.put_object(connection, bucket, "docs/readme.txt", b"hello", content_type="text/plain")
    viewer = make_user("vic", team, "viewer")
    job = delete_prefix_job_create(team=team, user=editor, connection=connection, bucket=bucket, prefix="docs/")
    entry = AuditEntry.objects.create(team=team, user=admin, username=admin.username, action="fuzz.seed")
    ids = {
        "connection_id": connection.pk, "bucket": bucket, "job_id": job.pk, "team_id": team.pk,
        "membership_id": Membership.objects.get(user=viewer).pk,
        "grant_id": Grant.objects.filter(connection=connection).first().pk, "entry_id": entry.pk,
        "group": "access",
    }
    clients = {}
    for user in (editor, admin):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        clients[user.username] = client
    return ids, clients


def test_the_walk_finds_every_kind_of_url_and_the_parameters_views_read():
    routes = [route for route, *_rest in PATTERNS]
    assert any("<int:connection_id>/b/<str:bucket>/object/" in r for r in routes)
    assert any("audit/" in r for r in routes) and any("jobs/<int:job_id>/" in r for r in routes)
    assert {"key", "prefix", "next", "expires", "version"} <= set(PARAMS)
    by_name = {name: params for _route, name, _conv, params in PATTERNS}
    assert {"key", "expires"} <= set(by_name["share_link"])


def hostile_variants(converters: dict, ids: dict) -> list[dict]:
    """The valid values, then each slot hostile in turn (one at a time, so the others resolve)."""
    valid = {name: ids.get(name, "x") for name in converters}
    variants = [valid]
    for name, converter in converters.items():
        kind = type(converter).__name__
        pool = HOSTILE_INTS if kind == "IntConverter" else HOSTILE_SLUGS if kind == "SlugConverter" else HOSTILE_STRS
        variants += [{**valid, name: value} for value in pool]
    return variants


def test_no_url_answers_500_for_hostile_path_values(world):
    ids, clients = world
    failures = []
    for route, name, converters, _params in sorted(PATTERNS, key=_destructive_last):
        if route.startswith("/admin/"):
            continue  # Django's admin: our users are not staff, every admin URL redirects to its login
        for index, path_values in enumerate(hostile_variants(converters, ids)):
            url = build(route, path_values)
            # Both methods with valid values; GET and POST take turns over the hostile ones.
            for method in ("get", "post") if index == 0 else (("get", "post")[index % 2],):
                response = getattr(clients["ada"], method)(url)
                if is_server_error(response):
                    failures.append(f"{method.upper()} {url[:200]} ({name}) -> {response.status_code}")
    assert not failures, "\n".join(failures)


def _destructive_last(pattern) -> tuple[int, str]:
    route = pattern[0]
    return (any(word in route for word in ("delete", "remove", "revoke", "discard", "switch")), route)


def test_no_url_answers_500_for_arbitrary_query_and_form_values(world):
    ids, clients = world
    failures = []
    for route, name, converters, params in sorted(PATTERNS, key=_destructive_last):
        url = build(route, {n: ids.get(n, "x") for n in converters})
        prober(clients, url, name, params, failures)()
    assert not failures, "\n".join(failures)


def prober(clients: dict, url: str, name: str, params: list[str], failures: list[str]):
    """A hypothesis test of one URL (built per URL: @given cannot take the URL as a default).

    Mostly the names this view reads, now and then any name some view reads.
    """
    names = st.sampled_from(params) if params else st.sampled_from(PARAMS)
    if params:
        names = st.one_of(names, names, names, st.sampled_from(PARAMS))

    @settings(max_examples=SLOW_URLS.get(name, EXAMPLES_PER_URL), deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(method=st.sampled_from(["get", "post"]), role=st.sampled_from(sorted(clients)),
           data=st.dictionaries(names, values, min_size=1, max_size=6))
    def probe(method, role, data):
        response = getattr(clients[role], method)(url, data)
        if is_server_error(response) and name not in KNOWN_ELSEWHERE:
            failures.append(f"{method.upper()} {url} as {role} {data!r:.300} ({name}) -> {response.status_code}")

    return probe
