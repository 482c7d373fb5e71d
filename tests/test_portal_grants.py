"""Sharing a connection with other teams, narrowing grants to buckets, revoking them."""

from __future__ import annotations

import uuid
from unittest import mock

import pytest
from django.urls import reverse

from buckets import gateway
from buckets.forms import parse_bucket_names
from buckets.models import AuditEntry, Grant, Membership, Role

pytestmark = pytest.mark.django_db
FAKE_ENDPOINT = "https://s3.unused.test"  # never contacted: these views make no S3 calls


def remove_bucket(connection, name: str) -> None:
    client = gateway.client(connection)
    for obj in client.list_objects_v2(Bucket=name).get("Contents", []):
        client.delete_object(Bucket=name, Key=obj["Key"])
    client.delete_bucket(Bucket=name)


@pytest.fixture
def no_s3():
    with mock.patch("buckets.gateway.client", side_effect=AssertionError("no S3 call expected")) as patched:
        yield patched


@pytest.fixture
def owned(make_connection, team):
    return make_connection(team, endpoint=FAKE_ENDPOINT, name="Shared store")


def test_the_sharing_page_lists_every_grant_of_the_connection(login, admin, owned, other_team, no_s3):
    Grant.objects.create(connection=owned, team=other_team, buckets=["reports"])
    html = login(admin).get(reverse("grants", args=[owned.pk])).content.decode()
    assert "Blue team" in html and "Red team" in html and "reports" in html


def test_a_team_admin_shares_a_connection_with_another_team_narrowed_to_buckets(login, admin, owned, other_team, no_s3):
    response = login(admin).post(
        reverse("grant_create", args=[owned.pk]), {"team_name": "red TEAM", "buckets": "reports, logs\nreports\n"}
    )
    assert response.status_code == 302
    grant = Grant.objects.get(connection=owned, team=other_team)
    assert grant.buckets == ["reports", "logs"]
    # Recorded in the owner's log and in the log of the team that gained access.
    entries = AuditEntry.objects.filter(action="grant.create")
    assert {e.team for e in entries} == {owned.team, other_team}
    assert all(e.detail == {"grantee": "Red team", "buckets": ["reports", "logs"]} for e in entries)


def test_sharing_with_an_unknown_team_or_twice_is_refused(login, admin, owned, other_team, no_s3):
    client = login(admin)
    assert client.post(reverse("grant_create", args=[owned.pk]), {"team_name": "Nobody"}).status_code == 400
    Grant.objects.create(connection=owned, team=other_team)
    response = client.post(reverse("grant_create", args=[owned.pk]), {"team_name": "Red team"})
    assert response.status_code == 400
    assert Grant.objects.filter(connection=owned).count() == 2


def test_invalid_bucket_names_are_refused_and_echoed_escaped(login, admin, owned, other_team, no_s3):
    response = login(admin).post(
        reverse("grant_create", args=[owned.pk]), {"team_name": "Red team", "buckets": "ok-name, <script>x</script>"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Not a valid bucket name" in html
    assert "<script>x</script>" not in html
    assert not Grant.objects.filter(team=other_team).exists()


@pytest.mark.parametrize("text, names", [
    ("", []),
    ("a1b", ["a1b"]),
    ("one,two three\nfour;one", ["one", "two", "three", "four"]),
    ("Legacy_Bucket.Name", ["Legacy_Bucket.Name"]),
])
def test_bucket_lists_are_split_on_commas_spaces_and_lines(text, names):
    assert parse_bucket_names(text) == names


@pytest.mark.parametrize("bad", ["ab", "a/b/c", "-leading", "trailing-", "two..dots", "x" * 256, "ünï"])
def test_names_that_cannot_be_buckets_are_refused(bad):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        parse_bucket_names(bad)


def test_a_team_admin_narrows_and_widens_a_grant_and_it_is_audited(login, admin, owned, other_team, no_s3):
    grant = Grant.objects.create(connection=owned, team=other_team)
    client = login(admin)
    client.post(reverse("grant_update", args=[owned.pk, grant.pk]), {"buckets": "alpha beta"})
    assert Grant.objects.get(pk=grant.pk).buckets == ["alpha", "beta"]
    client.post(reverse("grant_update", args=[owned.pk, grant.pk]), {"buckets": ""})
    assert Grant.objects.get(pk=grant.pk).buckets == []
    owner_entries = AuditEntry.objects.filter(action="grant.update", team=owned.team).order_by("at")
    assert [e.detail["buckets"] for e in owner_entries] == [["alpha", "beta"], []]
    assert AuditEntry.objects.filter(action="grant.update", team=other_team).count() == 2


def test_the_owning_teams_own_grant_can_be_narrowed_but_not_revoked(login, admin, owned, no_s3):
    own = Grant.objects.get(connection=owned, team=owned.team)
    client = login(admin)
    client.post(reverse("grant_update", args=[owned.pk, own.pk]), {"buckets": "only-this"})
    assert Grant.objects.get(pk=own.pk).buckets == ["only-this"]
    client.post(reverse("grant_revoke", args=[owned.pk, own.pk]))
    assert Grant.objects.filter(pk=own.pk).exists()


def test_a_team_admin_revokes_a_grant_and_the_other_team_loses_access(login, admin, outsider, owned, other_team, no_s3):
    grant = Grant.objects.create(connection=owned, team=other_team)
    response = login(admin).post(reverse("grant_revoke", args=[owned.pk, grant.pk]))
    assert response.status_code == 302
    assert not Grant.objects.filter(pk=grant.pk).exists()
    assert AuditEntry.objects.filter(action="grant.revoke").count() == 2
    assert login(outsider).get(reverse("bucket_list", args=[owned.pk])).status_code == 404


def test_editors_and_admins_of_a_team_the_connection_is_only_shared_with_cannot_manage_it(
    login, editor, outsider, owned, other_team, no_s3
):
    grant = Grant.objects.create(connection=owned, team=other_team)
    for user in (editor, outsider):
        client = login(user)
        assert client.get(reverse("grants", args=[owned.pk])).status_code == 403
        assert client.post(reverse("grant_create", args=[owned.pk]), {"team_name": "Red team"}).status_code == 403
        assert client.post(reverse("grant_update", args=[owned.pk, grant.pk]), {"buckets": ""}).status_code == 403
        assert client.post(reverse("grant_revoke", args=[owned.pk, grant.pk])).status_code == 403
    assert Grant.objects.get(pk=grant.pk).buckets == []


def test_the_owner_admin_manages_sharing_even_while_working_in_another_team(login, make_user, owned, other_team, no_s3):
    both = make_user("bo", owned.team, "admin")
    Membership.objects.create(user=both, team=other_team, role=Role.VIEWER)
    Grant.objects.create(connection=owned, team=other_team)
    client = login(both)
    session = client.session
    session["team_id"] = other_team.pk
    session.save()
    assert client.get(reverse("grants", args=[owned.pk])).status_code == 200


def test_a_grant_of_another_connection_answers_404(login, admin, owned, make_connection, team, other_team, no_s3):
    second = make_connection(team, endpoint=FAKE_ENDPOINT, name="Second")
    grant = Grant.objects.create(connection=second, team=other_team)
    client = login(admin)
    assert client.post(reverse("grant_update", args=[owned.pk, grant.pk]), {"buckets": "x-y-z"}).status_code == 404
    assert client.post(reverse("grant_revoke", args=[owned.pk, grant.pk])).status_code == 404


def test_the_team_page_shows_what_is_shared_with_the_team_and_by_whom(login, outsider, owned, other_team, no_s3):
    Grant.objects.create(connection=owned, team=other_team, buckets=["reports"])
    html = login(outsider).get(reverse("team_detail", args=[other_team.pk])).content.decode()
    assert "Shared store" in html and "Blue team" in html and "reports" in html


def test_the_bucket_list_shows_the_granted_buckets_when_the_keys_may_not_list(login, outsider, owned, other_team):
    Grant.objects.create(connection=owned, team=other_team, buckets=["granted-one", "granted-two"])
    with mock.patch("buckets.gateway.list_buckets", side_effect=gateway.AccessDenied("Access denied by the endpoint.")):
        response = login(outsider).get(reverse("bucket_list", args=[owned.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "granted-one" in html and "granted-two" in html
    assert "Cannot list buckets" not in html


@pytest.mark.rgw
def test_on_rgw_a_narrowed_grant_hides_every_other_bucket_and_their_urls_answer_404(
    login, outsider, rgw_connection, rgw_bucket, other_team
):
    hidden = f"rgw-hidden-{uuid.uuid4().hex[:10]}"
    gateway.create_bucket(rgw_connection, hidden)
    try:
        gateway.put_object(rgw_connection, hidden, "secret.txt", b"not for the red team", content_type="text/plain")
        gateway.put_object(rgw_connection, rgw_bucket, "shared.txt", b"for everyone", content_type="text/plain")
        Grant.objects.create(connection=rgw_connection, team=other_team, buckets=[rgw_bucket])
        client = login(outsider)
        listing = client.get(reverse("bucket_list", args=[rgw_connection.pk])).content.decode()
        # The keys see both buckets; the grant shows only one.
        assert {b.name for b in gateway.list_buckets(rgw_connection)} >= {hidden, rgw_bucket}
        assert rgw_bucket in listing and hidden not in listing
        assert "shared.txt" in client.get(reverse("browse", args=[rgw_connection.pk, rgw_bucket])).content.decode()
        with mock.patch("buckets.gateway.client", side_effect=AssertionError("no S3 call for a hidden bucket")):
            for name in ("browse", "object_detail", "download", "preview", "bucket_delete"):
                url = reverse(name, args=[rgw_connection.pk, hidden]) + "?key=secret.txt"
                assert client.get(url).status_code == 404, name
            for name in ("upload", "delete_objects", "create_folder", "bucket_delete"):
                assert client.post(reverse(name, args=[rgw_connection.pk, hidden]), {"keys": "secret.txt"}).status_code == 404
        assert gateway.read_head(rgw_connection, hidden, "secret.txt", 100) == b"not for the red team"
    finally:
        remove_bucket(rgw_connection, hidden)
