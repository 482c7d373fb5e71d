"""Settings against a real Ceph RGW 16.2: its own answer shapes and its "not implemented".

Skipped (loudly, by the `rgw` fixture) when no RGW runs.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from buckets import gateway

pytestmark = pytest.mark.rgw


@pytest.fixture
def rgw_generic(make_connection, team, rgw):
    """The same RGW as a generic endpoint: the console sends what detection found."""
    return make_connection(team, endpoint=rgw["endpoint"], access_key=rgw["access_key"],
                           secret_key=rgw["secret_key"], provider="generic", name="RGW generic")


def section(html: str, feature_id: str) -> str:
    return re.search(rf'<section class="card setting[^"]*" id="setting-{feature_id}".*?</section>',
                     html, re.S).group(0)


def test_a_lifecycle_rule_with_prefix_and_tags_is_read_back_from_rgws_own_shape(
    login, editor, rgw_connection, rgw_bucket
) -> None:
    client = login(editor)
    target = reverse("settings_lifecycle", args=[rgw_connection.pk, rgw_bucket])
    response = client.post(target, {
        "rule-count": "1", "rule-0-id": "tagged", "rule-0-enabled": "on", "rule-0-prefix": "tmp/",
        "rule-0-tags": "k=v\nk2=v2", "rule-0-expiration_days": "3"})
    assert response.status_code == 302
    raw = gateway.client(rgw_connection).get_bucket_lifecycle_configuration(
        Bucket=rgw_bucket)["Rules"][0]["Filter"]
    assert raw.get("Prefix") == "tmp/"  # beside the And, not inside it as AWS sends it
    page = section(client.get(target).content.decode(), "lifecycle")
    assert 'value="tmp/"' in page
    assert "k=v\nk2=v2</textarea>" in page
    assert 'value="3"' in page


def test_rgw_default_encryption_is_not_offered_and_never_sent_for_the_ceph_provider(
    login, editor, rgw_connection, rgw_bucket
) -> None:
    client = login(editor)
    html = client.get(reverse("bucket_settings_group",
                              args=[rgw_connection.pk, rgw_bucket, "properties"])).content.decode()
    encryption = section(html, "bucket_encryption")
    assert 'data-control="absent"' in encryption
    assert "PutBucketEncryption answers 400 InvalidArgument" in encryption
    response = client.post(reverse("settings_bucket_encryption",
                                   args=[rgw_connection.pk, rgw_bucket]), {"mode": "SSE-S3"})
    assert response.status_code == 400


def test_an_encryption_change_rgw_does_not_implement_is_shown_in_the_section_not_as_an_error(
    login, editor, rgw_generic, rgw_bucket
) -> None:
    client = login(editor)
    client.post(reverse("detect_features", args=[rgw_generic.pk]), {"bucket": rgw_bucket})
    rgw_generic.refresh_from_db()
    # RGW answers GetBucketEncryption with 200 {}: detection cannot tell, the PUT does.
    assert rgw_generic.detected_features["bucket_encryption"] == "console"
    target = reverse("settings_bucket_encryption", args=[rgw_generic.pk, rgw_bucket])
    assert 'value="none" checked' in client.get(target).content.decode()
    response = client.post(target, {"mode": "SSE-S3"})
    assert response.status_code == 200
    html = section(response.content.decode(), "bucket_encryption")
    assert "This provider does not implement default encryption." in html
    fragment = client.post(target, {"mode": "SSE-S3"}, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith("<section") and "does not implement" in fragment


def test_replication_on_rgw_is_shown_as_not_implemented(
    login, editor, rgw_generic, rgw_bucket
) -> None:
    rgw_generic.detected_features = {"replication": "console", "versioning": "console"}
    rgw_generic.save()
    client = login(editor)
    client.post(reverse("settings_versioning", args=[rgw_generic.pk, rgw_bucket]),
                {"status": "Enabled"})
    response = client.post(reverse("settings_replication", args=[rgw_generic.pk, rgw_bucket]), {
        "rule-count": "1", "rule-0-destination": f"{rgw_bucket}-replica",
        "rule-0-enabled": "on", "rule-0-dest_region": "us-east-1"})
    assert response.status_code == 200
    assert "This provider does not implement replication." in response.content.decode()


def test_rgw_block_public_access_without_a_configuration_reads_as_all_off(
    login, editor, rgw_connection, rgw_bucket
) -> None:
    html = login(editor).get(reverse("settings_block_public_access",
                                     args=[rgw_connection.pk, rgw_bucket])).content.decode()
    assert 'name="BlockPublicAcls" checked' not in html
    assert "RestrictPublicBuckets is ignored" in html  # the catalogue's measured note
