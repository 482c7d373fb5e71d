"""The feature availability pages, the team opt-in and Detect features (moto)."""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import reverse
from django.utils.html import escape

from buckets import catalogue, gateway
from buckets.models import AuditEntry


@pytest.fixture
def generic(make_connection, team, s3_endpoint):
    return make_connection(team, endpoint=s3_endpoint, provider="generic")


def cells(html: str, table_id: str) -> dict[tuple[str, str], str]:
    """(feature, bucket type) -> state, from one grid."""
    table = re.search(rf'<table class="table matrix[^"]*" id="{table_id}">.*?</table>', html, re.S)
    found = {}
    for row in re.finditer(r'<tr[^>]*data-feature="([a-z_]+)"[^>]*>(.*?)</tr>', table.group(0),
                           re.S):
        for cell in re.finditer(r'<td class="cell[^"]*"(?: data-provider="([a-z]+)")? '
                                r'data-type="([a-z-]+)" data-state="([a-z_]+)"', row.group(2)):
            key = (row.group(1), f"{cell.group(1)}/{cell.group(2)}" if cell.group(1)
                   else cell.group(2))
            found[key] = cell.group(3)
    return found


def test_the_connection_grid_shows_every_feature_for_every_bucket_type_with_notes_and_sources(
    login, viewer, contract_owned
) -> None:
    html = login(viewer).get(reverse("connection_features", args=[contract_owned.pk])).content.decode()
    grid = cells(html, "feature-matrix")
    for bucket_type in ("contract-owned", "user-owned"):
        for feature_id in catalogue.FEATURES:
            expected = catalogue.availability("ionos", bucket_type, feature_id)
            assert grid[(feature_id, bucket_type)] == expected.state.value, feature_id
            if expected.note:
                assert escape(expected.note) in html
    assert "IONOS Object Storage documentation, “S3 API Compatibility”" in html
    for label in ("Console", "API only", "Unsupported"):
        assert f">{label}</span>" in html
    assert 'id="legend"' in html


def test_the_comparison_grid_covers_every_provider_and_bucket_type(login, viewer, contract_owned) -> None:
    html = login(viewer).get(reverse("connection_features", args=[contract_owned.pk])).content.decode()
    grid = cells(html, "comparison-matrix")
    for provider in catalogue.PROVIDERS.values():
        for bucket_type in provider.bucket_types:
            for feature_id in catalogue.FEATURES:
                state = provider.matrix[bucket_type.id][feature_id].state.value
                assert grid[(feature_id, f"{provider.id}/{bucket_type.id}")] == state


def test_the_bucket_page_highlights_the_bucket_type_and_sits_under_the_bucket_tabs(
    login, viewer, contract_owned
) -> None:
    name = f"feat-{uuid.uuid4().hex[:8]}"
    gateway.create_bucket(contract_owned, name)
    try:
        html = login(viewer).get(reverse("bucket_features", args=[contract_owned.pk, name])).content.decode()
    finally:
        gateway.delete_bucket(contract_owned, name)
    assert re.search(r'<th scope="col" class="type-col highlight" data-type="contract-owned">', html)
    assert not re.search(r'class="type-col highlight" data-type="user-owned"', html)
    assert 'class="active" aria-current="page">Feature availability</a>' in html
    assert "A contract-owned bucket: its column is highlighted." in html


def test_the_comparison_alone_is_reachable_without_a_connection(login, viewer) -> None:
    html = login(viewer).get(reverse("compare_features")).content.decode()
    assert 'id="comparison-matrix"' in html and 'id="feature-matrix"' not in html


# --- team opt-in -----------------------------------------------------------------------------


def test_a_team_admin_opts_the_team_in_to_api_only_features_and_it_is_audited(
    login, admin, team, contract_owned
) -> None:
    client = login(admin)
    back = reverse("connection_features", args=[contract_owned.pk])
    page = client.get(back).content.decode()
    assert "Run API-only features from the console" in page
    response = client.post(reverse("team_options", args=[team.pk]), {"allow_api_only": "on", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    team.refresh_from_db()
    assert team.allow_api_only is True
    entry = AuditEntry.objects.get(action="team.options")
    assert entry.team == team and entry.detail["allow_api_only"] is True
    assert "Stop running API-only features" in client.get(back).content.decode()
    client.post(reverse("team_options", args=[team.pk]), {"next": back})
    team.refresh_from_db()
    assert team.allow_api_only is False


def test_only_a_team_admin_may_change_the_opt_in(login, editor, team, contract_owned) -> None:
    client = login(editor)
    assert "Team admins can change this." in client.get(
        reverse("connection_features", args=[contract_owned.pk])).content.decode()
    assert client.post(reverse("team_options", args=[team.pk]), {"allow_api_only": "on"}).status_code == 403
    team.refresh_from_db()
    assert team.allow_api_only is False


def test_the_opt_in_never_redirects_off_site(login, admin, team) -> None:
    response = login(admin).post(reverse("team_options", args=[team.pk]),
                                 {"allow_api_only": "on", "next": "https://evil.example/"})
    assert response["Location"] == reverse("team_detail", args=[team.pk])


# --- detect features -------------------------------------------------------------------------


@pytest.fixture
def probe_bucket(generic):
    name = f"probe-{uuid.uuid4().hex[:8]}"
    gateway.create_bucket(generic, name)
    yield name
    gateway.delete_bucket(generic, name)


def test_detect_features_probes_with_reads_only_and_stores_the_states(
    login, editor, generic, probe_bucket
) -> None:
    seen = []
    events = gateway.client(generic).meta.events
    events.register("before-send.s3", lambda request, **_: seen.append(request.method),
                    unique_id="detect-test")
    try:
        response = login(editor).post(reverse("detect_features", args=[generic.pk]),
                                      {"bucket": probe_bucket})
    finally:
        events.unregister("before-send.s3", unique_id="detect-test")
    assert response.status_code == 302
    assert set(seen) <= {"GET", "HEAD"} and len(seen) == len(catalogue.DETECT_PROBES)
    generic.refresh_from_db()
    assert generic.detected_at is not None
    assert generic.detected_features["website"] == "console"  # moto answers it
    assert AuditEntry.objects.get(action="connection.features.detect").bucket == probe_bucket
    gateway.head_bucket(generic, probe_bucket)  # no probe touched the bucket


def test_detected_features_widen_a_generic_connection_and_show_in_the_grid(
    login, editor, generic, probe_bucket
) -> None:
    client = login(editor)
    before = client.get(reverse("bucket_settings_group",
                                args=[generic.pk, probe_bucket, "properties"])).content.decode()
    assert re.search(r'id="setting-website"[^>]*data-control="absent"', before)
    client.post(reverse("detect_features", args=[generic.pk]),
                {"bucket": probe_bucket, "scope_bucket": probe_bucket})
    after = client.get(reverse("bucket_settings_group",
                               args=[generic.pk, probe_bucket, "properties"])).content.decode()
    assert re.search(r'id="setting-website"[^>]*data-control="enabled"', after)
    page = client.get(reverse("bucket_features", args=[generic.pk, probe_bucket])).content.decode()
    assert "What the endpoint answered" in page
    assert "Detect features found this endpoint answers it." in page
    assert cells(page, "feature-matrix")[("website", "standard")] == "console"


def test_forgetting_detected_features_returns_to_the_catalogue(login, editor, generic) -> None:
    generic.detected_features = {"website": "console"}
    generic.save()
    response = login(editor).post(reverse("detect_clear", args=[generic.pk]))
    assert response.status_code == 302
    generic.refresh_from_db()
    assert generic.detected_features == {} and generic.detected_at is None


def test_a_viewer_cannot_detect_features(login, viewer, generic, probe_bucket) -> None:
    client = login(viewer)
    assert "Editors of the team that owns" in client.get(
        reverse("connection_features", args=[generic.pk])).content.decode()
    assert client.post(reverse("detect_features", args=[generic.pk]),
                       {"bucket": probe_bucket}).status_code == 403


def test_detecting_on_a_missing_bucket_stores_nothing(login, editor, generic) -> None:
    response = login(editor).post(reverse("detect_features", args=[generic.pk]),
                                  {"bucket": "never-created-here"}, follow=True)
    assert "Features were not detected" in response.content.decode()
    generic.refresh_from_db()
    assert generic.detected_features == {} and generic.detected_at is None


def test_detection_outside_a_named_bucket_grant_is_not_found(
    login, editor, team, make_connection, s3_endpoint, probe_bucket
) -> None:
    narrow = make_connection(team, endpoint=s3_endpoint, buckets=["only-this-one"])
    assert login(editor).post(reverse("detect_features", args=[narrow.pk]),
                              {"bucket": probe_bucket}).status_code == 404


def test_the_detect_command_prints_the_probe_answers(generic, probe_bucket) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("detect_features", str(generic.pk), probe_bucket, "--save", stdout=out)
    assert "website" in out.getvalue() and "Saved on connection" in out.getvalue()
    generic.refresh_from_db()
    assert generic.detected_features["cors"] == "console"
