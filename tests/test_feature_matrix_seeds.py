"""Every seed row, walked through the settings pages of real buckets on the moto server.

Two sources of truth are checked against the rendered pages: the catalogue itself (every
setting the console has, for every bucket type), and an independent table written from
the two provider documents (IONOS "S3 API Compatibility", DigitalOcean "Spaces S3
Compatibility"), so a catalogue and a page that drift together still fail here.
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import reverse
from django.utils.html import escape

from buckets import bucket_settings, catalogue, gateway
from buckets.catalogue import State

# provider, bucket type, connection region
SEEDED = [
    pytest.param("ionos", "contract-owned", "eu-central-3", id="ionos-contract-owned"),
    pytest.param("ionos", "user-owned", "de", id="ionos-user-owned"),
    pytest.param("digitalocean", "standard", "nyc3", id="digitalocean"),
]

# What the documents say, as the control a person sees: "enabled" (a working form),
# "disabled" (reason + snippet), "absent" (not supported: no control), "api" (the console
# has no form; the row shows the provider's reason and a snippet).
DOCUMENTS = {
    ("ionos", "contract-owned"): {
        "bucket_acl": "enabled",  # "Yes, but without the Logging Group."
        "block_public_access": "disabled",  # "Yes, only through the API."
        "bucket_policy": "enabled",
        "cors": "enabled",
        "versioning": "enabled",
        "replication": "enabled",  # "supported both through the DCD and the API"
        "bucket_tagging": "disabled",
        "lifecycle": "enabled",
        "access_logging": "absent",  # "No"
        "bucket_encryption": "disabled",
        "website": "enabled",
        "inventory": "absent",
        "object_lock": "enabled",
        "object_ownership": "absent",
        "notifications": "absent",
        "request_payment": "enabled",
        "metrics": "absent",
        "analytics": "absent",
        "accelerate": "absent",
        "object_query": "api",  # "Yes", but the console has no SQL form
        "object_acl": "enabled",
        "object_tagging": "disabled",
        "legal_hold": "enabled",
    },
    ("ionos", "user-owned"): {
        "bucket_acl": "enabled",
        "block_public_access": "disabled",
        "bucket_policy": "enabled",
        "cors": "enabled",
        "versioning": "enabled",
        "replication": "enabled",
        "bucket_tagging": "disabled",
        "lifecycle": "enabled",
        "access_logging": "enabled",  # "Yes"
        "bucket_encryption": "disabled",
        "website": "enabled",
        "inventory": "api",  # "Yes, only through the API."
        "object_lock": "enabled",
        "object_ownership": "enabled",
        "notifications": "absent",
        "request_payment": "absent",  # "No"
        "metrics": "absent",
        "analytics": "absent",
        "accelerate": "absent",
        "object_query": "absent",
        "object_acl": "enabled",
        "object_tagging": "disabled",
        "legal_hold": "enabled",
    },
    ("digitalocean", "standard"): {
        "bucket_acl": "enabled",  # private / public-read only
        "bucket_policy": "disabled",  # "Supported only through the API"
        "versioning": "disabled",  # "Supported only through the API"
        "lifecycle": "enabled",
        "access_logging": "disabled",  # "Supported only through the API."
        "bucket_encryption": "absent",  # "Bucket-level encryption settings are not supported."
        "website": "enabled",
        "cors": "enabled",  # the Preflight Requests row
        "block_public_access": "absent",  # not in the table: Spaces answers NotImplemented
        "bucket_tagging": "absent",
        "replication": "absent",
        "object_lock": "absent",
        "object_ownership": "absent",
        "request_payment": "absent",
        "inventory": "absent",
        "object_acl": "enabled",
        "object_tagging": "absent",
        "legal_hold": "absent",
    },
}



_SECTION = re.compile(r'<section class="card setting[^"]*" id="setting-([a-z_]+)".*?</section>',
                      re.S)


def sections_of(html: str) -> dict[str, str]:
    return {m.group(1): m.group(0) for m in _SECTION.finditer(html)}


def control_of(section: str) -> str:
    return re.search(r'data-control="([a-z]+)"', section).group(1)


def expected_control(provider_id: str, bucket_type: str, feature_id: str) -> str:
    """The control the catalogue implies, without asking the page."""
    state = catalogue.availability(provider_id, bucket_type, feature_id).state
    if state == State.UNSUPPORTED:
        return "absent"
    if not bucket_settings.SETTINGS[feature_id].offered:
        return "api"
    return "enabled" if state == State.CONSOLE else "disabled"


@pytest.fixture
def seeded_pages(login, editor, team, make_connection, s3_endpoint):
    """Every settings page of a lock-enabled bucket with one object, per seeded provider."""
    made = []

    def render(provider_id: str, bucket_type: str, region: str) -> dict:
        connection = make_connection(team, endpoint=s3_endpoint, provider=provider_id,
                                     bucket_type=bucket_type, region=region)
        name = f"seed-{uuid.uuid4().hex[:10]}"
        # Object Lock on, so the lock and legal-hold sections show their forms.
        gateway.create_bucket(connection, name, object_lock=True)
        gateway.put_object(connection, name, "report.csv", b"a,b\n")
        made.append((connection, name))
        client = login(editor)
        html = ""
        for group in bucket_settings.GROUPS:
            page = client.get(reverse("bucket_settings_group", args=[connection.pk, name, group]))
            assert page.status_code == 200
            html += page.content.decode()
        page = client.get(reverse("object_settings", args=[connection.pk, name]),
                          {"key": "report.csv"})
        assert page.status_code == 200
        html += page.content.decode()
        return {"connection": connection, "bucket": name, "sections": sections_of(html)}

    yield render
    for connection, name in made:
        remove_bucket(connection, name)


def remove_bucket(connection, name: str) -> None:
    client = gateway.client(connection)
    for page in client.get_paginator("list_object_versions").paginate(Bucket=name):
        for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
            client.delete_object(Bucket=name, Key=item["Key"], VersionId=item["VersionId"],
                                 BypassGovernanceRetention=True)
    client.delete_bucket(Bucket=name)


def assert_control(section: str, control: str, *, feature_id: str, page: dict) -> None:
    connection, bucket = page["connection"], page["bucket"]
    availability = catalogue.availability(connection.provider, connection.bucket_type, feature_id)
    assert control_of(section) == control, feature_id
    if control in ("enabled", "disabled"):
        assert '<form method="post"' in section, feature_id
        fieldset = re.search(r'<fieldset class="setting-fields"([^>]*)>', section).group(1)
        assert ("disabled" in fieldset) == (control == "disabled"), feature_id
        assert ("Save " in section) == (control == "enabled"), feature_id
    if control in ("disabled", "api"):
        assert escape(availability.note) in section, feature_id
        assert escape(availability.source) in section, feature_id
        snippet = re.search(r'<pre class="snippet" id="setting-[a-z_]+-aws">(.*?)</pre>', section,
                            re.S).group(1)
        assert connection.endpoint_url in snippet and bucket in snippet, feature_id
        assert '<pre class="snippet" id="setting-' + feature_id + '-boto3">' in section
        assert 'data-copy="setting-' + feature_id + '-aws"' in section
    if control == "absent":
        assert "<form" not in section and "<fieldset" not in section, feature_id
        provider = catalogue.get_provider(connection.provider)
        phrase = bucket_settings.type_phrase(bucket_settings.shape_for(
            connection, connection.bucket_type, bucket))
        assert f"Not supported by {escape(provider.label)} for {escape(phrase)} buckets." in section
        assert "snippet" not in section, feature_id
    else:
        assert "Not supported by" not in section, feature_id


@pytest.mark.parametrize(("provider_id", "bucket_type", "region"), SEEDED)
def test_every_setting_shows_the_control_its_catalogue_state_implies(
    seeded_pages, provider_id: str, bucket_type: str, region: str
) -> None:
    page = seeded_pages(provider_id, bucket_type, region)
    assert set(page["sections"]) == set(bucket_settings.SETTINGS)
    for feature_id, section in page["sections"].items():
        control = expected_control(provider_id, bucket_type, feature_id)
        assert_control(section, control, feature_id=feature_id, page=page)


@pytest.mark.parametrize(("provider_id", "bucket_type", "region"), SEEDED)
def test_the_settings_pages_say_what_the_provider_documents_say(
    seeded_pages, provider_id: str, bucket_type: str, region: str
) -> None:
    page = seeded_pages(provider_id, bucket_type, region)
    for feature_id, control in DOCUMENTS[(provider_id, bucket_type)].items():
        assert_control(page["sections"][feature_id], control, feature_id=feature_id, page=page)


def test_the_document_table_agrees_with_the_catalogue_row_by_row() -> None:
    for (provider_id, bucket_type), rows in DOCUMENTS.items():
        for feature_id, control in rows.items():
            assert expected_control(provider_id, bucket_type, feature_id) == control, (
                provider_id, bucket_type, feature_id)


def test_a_bucket_recorded_as_contract_owned_is_shaped_as_one_on_a_user_owned_connection(
    login, editor, team, make_connection, s3_endpoint, bucket
) -> None:
    from buckets.models import KnownBucket

    # The region "de" makes user-owned the connection's default; the row recorded at
    # creation wins over it.
    connection = make_connection(team, endpoint=s3_endpoint, provider="ionos", region="de")
    KnownBucket.objects.create(connection=connection, name=bucket, bucket_type="contract-owned")
    html = login(editor).get(reverse("bucket_settings_group",
                                     args=[connection.pk, bucket, "properties"])).content.decode()
    assert control_of(sections_of(html)["access_logging"]) == "absent"
    assert "Contract-owned bucket" in html


def test_the_connection_region_decides_the_bucket_type_when_nothing_else_does(
    login, editor, team, make_connection, s3_endpoint, bucket
) -> None:
    connection = make_connection(team, endpoint=s3_endpoint, provider="ionos", region="de")
    html = login(editor).get(reverse("bucket_settings_group",
                                     args=[connection.pk, bucket, "properties"])).content.decode()
    assert control_of(sections_of(html)["access_logging"]) == "enabled"
    assert control_of(sections_of(html)["request_payment"]) == "absent"


def test_digitalocean_forms_offer_only_what_spaces_accepts(seeded_pages) -> None:
    page = seeded_pages("digitalocean", "standard", "nyc3")
    acl = page["sections"]["bucket_acl"]
    options = re.findall(r'<option value="([a-z-]+)"', acl)
    assert options == ["private", "public-read"]
    assert 'value="grants"' not in acl
    lifecycle = page["sections"]["lifecycle"]
    assert "-tags" not in lifecycle
    assert "expiration_days" in lifecycle and "abort_days" in lifecycle
    for absent in ("noncurrent_days", "transition_days", "noncurrent_transition_days"):
        assert absent not in lifecycle
    logging = page["sections"]["access_logging"]
    assert "must be a different bucket" in logging
    website = page["sections"]["website"]
    assert f"https://{page['bucket']}.nyc3-static.digitaloceanspaces.com" in website


def test_ionos_contract_owned_forms_carry_their_constraints(seeded_pages) -> None:
    page = seeded_pages("ionos", "contract-owned", "eu-central-3")
    acl = page["sections"]["bucket_acl"]
    assert 'name="group-AllUsers"' in acl
    assert 'name="group-LogDelivery"' not in acl
    assert "log-delivery-write" not in acl
    website = page["sections"]["website"]
    assert re.search(r'<fieldset class="sub website-redirects" disabled>', website)
    assert "Redirects are available only through the API." in website
    replication = page["sections"]["replication"]
    types = re.findall(r'<option value="([a-z-]+)"[^>]*>[^<]*bucket</option>', replication)
    assert set(types) == {"contract-owned"}
    assert "only within eu-central-3" in replication


def test_ionos_user_owned_buckets_may_grant_the_logging_group(seeded_pages) -> None:
    page = seeded_pages("ionos", "user-owned", "de")
    assert 'name="group-LogDelivery"' in page["sections"]["bucket_acl"]
    replication = page["sections"]["replication"]
    assert {"user-owned", "contract-owned"} <= set(
        re.findall(r'<option value="([a-z-]+)"[^>]*>[^<]*bucket</option>', replication))
    website = page["sections"]["website"]
    assert not re.search(r'<fieldset class="sub website-redirects" disabled>', website)
