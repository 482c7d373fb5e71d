"""Bucket and object settings: one view for every setting, one page per group of settings.

Every control is shaped by the catalogue (see `bucket_settings`): offered, disabled with
the provider's reason and an API snippet, or not offered at all, in which case a POST is
refused here and never reaches the endpoint.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.middleware import HtmxDetails

from .. import bucket_settings, gateway
from ..access import BucketAccess, get_bucket
from ..bucket_settings import Section, Where
from ..models import KnownBucket, Role
from .common import audited, render_page, url_with


class HtmxHttpRequest(HttpRequest):
    """For typing: a request that went through django-htmx's middleware."""

    htmx: HtmxDetails


def _role(request: HttpRequest) -> str:
    return Role.EDITOR if request.method == "POST" else Role.VIEWER


def _shape(target: BucketAccess) -> bucket_settings.Shape:
    known = dict(KnownBucket.objects.filter(connection=target.connection)
                 .values_list("name", "bucket_type"))
    return bucket_settings.shape_for(target.connection, target.bucket_type, target.bucket,
                                     allow_api_only=target.access.team.allow_api_only,
                                     known_bucket_types=known)


def _key(request: HttpRequest) -> tuple[str, str]:
    return request.GET.get("key", ""), request.GET.get("version", "")


def _where(request: HttpRequest, target: BucketAccess) -> Where:
    key, version = _key(request)
    return Where(target.connection, target.bucket, key, version)


def _section(request: HttpRequest, target: BucketAccess, feature_id: str,
             shape: bucket_settings.Shape) -> Section:
    setting = bucket_settings.SETTINGS[feature_id]
    key, version = _key(request) if setting.object_level else ("", "")
    if setting.object_level:
        url = url_with(setting.url_name, target.connection.pk, target.bucket, key=key,
                       version=version)
    else:
        url = reverse(setting.url_name, args=[target.connection.pk, target.bucket])
    return bucket_settings.section_new(
        feature_id, availability=target.availability(feature_id), shape=shape, url=url,
        can_edit=target.can(Role.EDITOR), endpoint=target.connection.endpoint_url, key=key)


def _context(request: HttpRequest, target: BucketAccess, shape: bucket_settings.Shape,
             sections: list[Section], **extra: object) -> dict:
    key, version = _key(request)
    return {
        "target": target,
        "connection": target.connection,
        "bucket": target.bucket,
        "provider": shape.provider,
        "bucket_type": target.bucket_type,
        "bucket_type_label": shape.bucket_type_label,
        "team_api_only": shape.allow_api_only,
        "can_edit": target.can(Role.EDITOR),
        "sections": sections,
        "key": key,
        "version": version,
        **extra,
    }


def _render(request: HtmxHttpRequest, target: BucketAccess, section: Section, *, status: int = 200) -> HttpResponse:
    """One section: the fragment for htmx, else a page holding only that section."""
    context = _context(request, target, section.shape, [section], single=True, section=section)
    if request.htmx:
        # htmx swaps only 2xx answers; refusals travel inside the fragment.
        status = 200
    if section.setting.object_level:
        return render_page(request, "buckets/settings_object.html", "section", context,
                           status=status)
    group = bucket_settings.group_of(section.setting.feature_id)
    return render_page(request, "buckets/settings.html", "section",
                       {**context, "group": group, "tab": group.id}, status=status)


def _after_save(request: HtmxHttpRequest, target: BucketAccess, section: Section) -> HttpResponse:
    if request.htmx:
        section.saved = True
        bucket_settings.section_read(section, _where(request, target))
        return _render(request, target, section)
    messages.success(request, f"{section.feature.label} saved.")
    for warning in section.warnings:
        messages.warning(request, warning)
    if section.setting.object_level:
        key, version = _key(request)
        return redirect(url_with("object_settings", target.connection.pk, target.bucket,
                                 key=key, version=version) + f"#{section.dom_id}")
    group = bucket_settings.group_of(section.setting.feature_id)
    return redirect(reverse("bucket_settings_group",
                            args=[target.connection.pk, target.bucket, group.id])
                    + f"#{section.dom_id}")


def _action(section: Section) -> str:
    fid = section.setting.feature_id
    if section.setting.object_level:
        return f"object.{fid.removeprefix('object_')}.update"
    return f"bucket.{fid}.update"


def _change(request: HtmxHttpRequest, target: BucketAccess, section: Section, where: Where) -> HttpResponse:
    """A POST: refused by the catalogue or the form, or sent, and audited either way."""
    record = {"connection": target.connection, "bucket": target.bucket, "key": where.key}
    try:
        with audited(request, _action(section), **record) as entry:
            refusal = bucket_settings.section_refusal(section)
            try:
                if refusal:
                    raise bucket_settings.Rejected([refusal])
                section.value = bucket_settings.section_parse(section, request.POST)
                bucket_settings.section_write(section, where)
            except bucket_settings.Rejected as exc:
                section.value, section.errors = exc.value, exc.messages
                entry.update(ok=False, message=str(exc))
                if section.value is None and not refusal:
                    # Nothing of the POST can be shown again: show what is stored instead.
                    bucket_settings.section_read(section, where)
                return _render(request, target, section, status=400)
            entry.update(bucket_settings.audit_detail(section.value))
    except gateway.NotImplementedByProvider as exc:
        section.not_implemented = str(exc)
        return _render(request, target, section)
    except gateway.S3Error as exc:
        section.error = str(exc)
        return _render(request, target, section, status=min(exc.status, 502))
    return _after_save(request, target, section)


# --- the views ----------------------------------------------------------------------------


@require_GET
def bucket_settings_page(request: HtmxHttpRequest, connection_id: int, bucket: str,
                         group: str = "properties") -> HttpResponse:
    target = get_bucket(request, connection_id, bucket)
    if group not in bucket_settings.GROUPS:
        raise Http404("No such settings page.")
    shape = _shape(target)
    chosen = bucket_settings.GROUPS[group]
    sections = [_section(request, target, fid, shape) for fid in chosen.feature_ids]
    bucket_settings.sections_read(sections, _where(request, target))
    return render(request, "buckets/settings.html",
                  _context(request, target, shape, sections, group=chosen, tab=chosen.id))


@require_GET
def object_settings(request: HtmxHttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    target = get_bucket(request, connection_id, bucket)
    if not request.GET.get("key"):
        return redirect("browse", connection_id, bucket)
    shape = _shape(target)
    sections = [_section(request, target, fid, shape) for fid in bucket_settings.OBJECT_FEATURES]
    bucket_settings.sections_read(sections, _where(request, target))
    return render(request, "buckets/settings_object.html",
                  _context(request, target, shape, sections))


@require_http_methods(["GET", "POST"])
def setting(request: HtmxHttpRequest, connection_id: int, bucket: str,
            feature_id: str) -> HttpResponse:
    """One setting, named by the URL: GET shows it; POST changes it unless the catalogue or
    the form refuses. Settings the console does not offer are shown with their snippet and
    every POST to them is refused."""
    target = get_bucket(request, connection_id, bucket, _role(request))
    if feature_id not in bucket_settings.SETTINGS:
        raise Http404("No such setting.")
    section = _section(request, target, feature_id, _shape(target))
    where = _where(request, target)
    if section.setting.object_level and not where.key:
        raise Http404("Which object? The key is missing.")
    if request.method == "POST":
        return _change(request, target, section, where)
    bucket_settings.section_read(section, where)
    return _render(request, target, section)
