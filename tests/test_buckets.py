"""The bucket list: list, create with live name checks, delete with a confirmation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from buckets import gateway
from buckets.models import KnownBucket
from tests.conftest import empty_and_delete, unique_bucket_name


@pytest.fixture
def new_name(connection):
    name = unique_bucket_name("new")
    yield name
    empty_and_delete(connection, name)


def test_the_bucket_list_shows_name_creation_date_and_region(login, viewer, connection, bucket):
    html = login(viewer).get(reverse("bucket_list", args=[connection.pk])).content.decode()
    assert bucket in html
    assert connection.region in html


def test_the_bucket_list_shows_the_bucket_type_badge_for_ionos(login, viewer, make_connection, team, s3_endpoint):
    connection = make_connection(team, endpoint=s3_endpoint, provider="ionos", region="eu-central-3", bucket_type="contract-owned")
    name = unique_bucket_name()
    gateway.create_bucket(connection, name)
    KnownBucket.objects.create(connection=connection, name=name, bucket_type="user-owned")
    try:
        html = login(viewer).get(reverse("bucket_list", args=[connection.pk])).content.decode()
        assert "type-user-owned" in html
    finally:
        empty_and_delete(connection, name)


def test_an_editor_creates_a_bucket_with_versioning(login, editor, connection, new_name):
    response = login(editor).post(
        reverse("bucket_create", args=[connection.pk]),
        {"name": new_name, "region": "us-east-1", "bucket_type": "standard", "versioning": "on"},
    )
    assert response.status_code == 302
    assert gateway.get_versioning(connection, new_name) == "Enabled"
    assert KnownBucket.objects.get(connection=connection, name=new_name).bucket_type == "standard"


def test_an_editor_creates_a_bucket_with_object_lock(login, editor, make_connection, team, s3_endpoint, new_name):
    connection = make_connection(team, endpoint=s3_endpoint, provider="aws")
    response = login(editor).post(
        reverse("bucket_create", args=[connection.pk]),
        {"name": new_name, "region": "us-east-1", "object_lock": "on"},
    )
    assert response.status_code == 302
    lock = gateway.call(connection, "get_object_lock_configuration", Bucket=new_name)
    assert lock["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"


@pytest.mark.parametrize(
    "name, problem",
    [
        ("ab", "3 to 63"),
        ("Upper", "lowercase"),
        ("-start", "Start and end"),
        ("a..b", "two dots"),
        ("192.168.1.1", "IP address"),
        ("under_score", "lowercase"),
    ],
)
def test_the_name_check_explains_each_broken_rule_as_the_user_types(login, editor, connection, name, problem):
    html = login(editor).post(reverse("bucket_name_check", args=[connection.pk]), {"name": name}, HTTP_HX_REQUEST="true").content.decode()
    assert problem in html


def test_a_bad_name_is_refused_without_calling_the_endpoint(login, editor, connection):
    response = login(editor).post(reverse("bucket_create", args=[connection.pk]), {"name": "Bad_Name..x"})
    assert response.status_code == 200
    assert "lowercase" in response.content.decode()
    assert "bad_name..x" not in [b.name.lower() for b in gateway.list_buckets(connection)]


def test_an_api_only_option_is_refused_for_digitalocean(login, editor, make_connection, team, s3_endpoint):
    # DigitalOcean offers versioning only through its API (seeds/003).
    connection = make_connection(team, endpoint=s3_endpoint, provider="digitalocean", region="nyc3")
    name = unique_bucket_name()
    response = login(editor).post(reverse("bucket_create", args=[connection.pk]), {"name": name, "versioning": "on"})
    assert response.status_code == 200
    assert "only through the provider" in response.content.decode()
    assert name not in [b.name for b in gateway.list_buckets(connection)]


def test_a_non_empty_bucket_cannot_be_deleted_and_says_so(login, editor, connection, bucket):
    gateway.put_object(connection, bucket, "keep.txt", b"x")
    client = login(editor)
    dialog = client.get(reverse("bucket_delete", args=[connection.pk, bucket]), HTTP_HX_REQUEST="true").content.decode()
    assert "is not empty" in dialog
    assert "Delete bucket</button>" not in dialog
    client.post(reverse("bucket_delete", args=[connection.pk, bucket]))
    assert bucket in [b.name for b in gateway.list_buckets(connection)]


def test_an_empty_bucket_is_deleted_after_confirmation(login, editor, connection, new_name):
    gateway.create_bucket(connection, new_name)
    client = login(editor)
    dialog = client.get(reverse("bucket_delete", args=[connection.pk, new_name])).content.decode()
    assert "Delete bucket</button>" in dialog
    response = client.post(reverse("bucket_delete", args=[connection.pk, new_name]))
    assert response.status_code == 302
    assert new_name not in [b.name for b in gateway.list_buckets(connection)]


def test_a_grant_narrowed_to_named_buckets_shows_only_those(login, viewer, make_connection, team, s3_endpoint):
    shown, hidden = unique_bucket_name(), unique_bucket_name()
    connection = make_connection(team, endpoint=s3_endpoint, buckets=[shown])
    for name in (shown, hidden):
        gateway.create_bucket(connection, name)
    try:
        client = login(viewer)
        html = client.get(reverse("bucket_list", args=[connection.pk])).content.decode()
        assert shown in html and hidden not in html
        assert client.get(reverse("browse", args=[connection.pk, hidden])).status_code == 404
    finally:
        for name in (shown, hidden):
            empty_and_delete(connection, name)


@pytest.mark.rgw
def test_a_bucket_that_exists_elsewhere_on_rgw_gives_a_clear_conflict(login, editor, rgw_connection, rgw_bucket):
    response = login(editor).post(reverse("bucket_create", args=[rgw_connection.pk]), {"name": rgw_bucket})
    html = response.content.decode()
    assert response.status_code == 200
    assert "already own" in html or "taken" in html


def test_a_bucket_type_must_match_the_region_that_holds_it(login, editor, make_connection, team, s3_endpoint):
    # IONOS: contract-owned buckets live in eu-central-3/4 and us-central-1, user-owned elsewhere.
    connection = make_connection(team, endpoint=s3_endpoint, provider="ionos", region="eu-central-3", bucket_type="contract-owned")
    name = unique_bucket_name()
    response = login(editor).post(reverse("bucket_create", args=[connection.pk]),
                                  {"name": name, "region": "eu-central-3", "bucket_type": "user-owned"})
    assert response.status_code == 200
    assert "holds contract-owned buckets" in response.content.decode()
    assert name not in [b.name for b in gateway.list_buckets(connection)]
