"""S3 names: one module holds the creation rule, the looser rule for existing buckets, and the key rule."""

from __future__ import annotations

import pytest
from django.urls import reverse

from buckets import gateway, names
from buckets.models import KnownBucket


@pytest.mark.parametrize("name", ["abc", "a" * 63, "my.bucket-1", "9lives", "a-b.c-d"])
def test_names_that_follow_the_creation_rule_have_no_problem(name):
    assert names.bucket_name_problem(name) == ""
    assert names.bucket_name_problems(name) == []


@pytest.mark.parametrize(
    "name, words",
    [
        ("ab", "3 to 63"),
        ("a" * 64, "3 to 63 characters (this name has 64)"),
        ("Upper", "lowercase"),
        ("under_score", "lowercase"),
        ("-start", "Start and end"),
        ("end.", "Start and end"),
        ("é-bucket", "Start and end"),
        ("a..b", "two dots"),
        ("a.-b", "dot next to a hyphen"),
        ("10.0.0.1", "IP address"),
        ("xn--bucket", "reserved"),
        ("mybucket-s3alias", "reserved"),
        ("a/b", "lowercase"),
        ("", "3 to 63"),
    ],
)
def test_each_broken_creation_rule_is_named_in_a_sentence(name, words):
    assert words in names.bucket_name_problem(name)


@pytest.mark.parametrize("name", ["abc", "Legacy_Bucket.Name", "a" * 255, "UPPER", "my-bucket"])
def test_an_existing_bucket_may_carry_a_legacy_name(name):
    assert names.target_bucket_problem(name) == ""
    assert names.grant_bucket_problem(name) == ""


@pytest.mark.parametrize("name", ["", "ab", "a" * 256, "a/b", "-lead", "trail-", "two..dots", "ünï", "a b", "x①y"])
def test_a_name_that_no_bucket_can_carry_is_refused_as_a_target(name):
    assert names.target_bucket_problem(name)
    assert names.grant_bucket_problem(name)


def test_a_key_is_refused_when_empty_or_longer_than_1024_utf8_bytes():
    assert names.key_problem("") == "The object key is empty."
    assert names.key_problem("a" * names.MAX_KEY_BYTES) == ""
    assert "1026 bytes" in names.key_problem("é" * 513)


def test_a_64_character_name_is_refused_with_a_message_and_never_cut_to_63(login, editor, connection):
    name = "n" * 64
    client = login(editor)
    page = client.get(reverse("bucket_create", args=[connection.pk])).content.decode()
    # The browser would silently cut a pasted name to 63 characters with maxlength="63".
    assert 'maxlength="63"' not in page
    response = client.post(reverse("bucket_create", args=[connection.pk]), {"name": name, "region": "us-east-1"})
    assert "3 to 63 characters (this name has 64)" in response.content.decode()
    existing = {b.name for b in gateway.list_buckets(connection)}
    assert name not in existing and name[:63] not in existing
    assert not KnownBucket.objects.filter(connection=connection, name__startswith="n" * 63).exists()
    check = client.post(reverse("bucket_name_check", args=[connection.pk]), {"name": name}, HTTP_HX_REQUEST="true")
    assert "this name has 64" in check.content.decode()
