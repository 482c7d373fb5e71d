"""The same settings pages, seen in chromium, for three provider/bucket-type pairs.

The documents promise different consoles for an IONOS contract-owned bucket, an IONOS
user-owned bucket and a DigitalOcean Space; this walks what a person actually sees, and
takes the screenshots for docs/catalogue.md.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from buckets import gateway

pytestmark = pytest.mark.browser

# The committed screenshots in docs/ are refreshed with UPDATE_SCREENSHOTS=1; ordinary runs
# write theirs under var/ so a test run leaves the work tree clean.
_ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = _ROOT / "docs" / "screenshots" if os.environ.get("UPDATE_SCREENSHOTS") else _ROOT / "var" / "screenshots"


@pytest.fixture
def three_buckets(team, make_connection, s3_endpoint):
    """{label: (connection, bucket)} for the three documented cases, on the moto server."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    made = {}
    for label, provider, bucket_type, region in (
        ("contract", "ionos", "contract-owned", "eu-central-3"),
        ("user", "ionos", "user-owned", "de"),
        ("spaces", "digitalocean", "standard", "nyc3"),
    ):
        connection = make_connection(team, endpoint=s3_endpoint, provider=provider,
                                     bucket_type=bucket_type, region=region,
                                     name=f"{provider} {bucket_type}")
        name = f"{label}-{uuid.uuid4().hex[:8]}"
        gateway.create_bucket(connection, name)
        made[label] = (connection, name)
    yield made
    for connection, name in made.values():
        client = gateway.client(connection)
        for page in client.get_paginator("list_object_versions").paginate(Bucket=name):
            for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
                client.delete_object(Bucket=name, Key=item["Key"], VersionId=item["VersionId"])
        client.delete_bucket(Bucket=name)


def settings_url(case: tuple, group: str) -> str:
    connection, name = case
    return f"/c/{connection.pk}/b/{name}/settings/{group}/"


def test_each_provider_and_bucket_type_gets_the_settings_its_documents_describe(
    browser_page, editor, three_buckets
) -> None:
    page = browser_page(editor)
    contract, user, spaces = (three_buckets[k] for k in ("contract", "user", "spaces"))

    for case in (contract, user):
        page.goto(settings_url(case, "permissions"))
        block = page.locator("#setting-block_public_access")
        expect(block.locator("input[name=BlockPublicAcls]")).to_be_disabled()
        expect(block).to_contain_text("IONOS offers this only through the S3 API")
        expect(block.locator("#setting-block_public_access-aws")).to_be_visible()
        expect(block.locator("#setting-block_public_access-aws")).to_contain_text(
            case[0].endpoint_url)
        expect(block.locator("#setting-block_public_access-aws")).to_contain_text(case[1])
        block.locator("label[for=setting-block_public_access-boto3-tab]").click()
        expect(block.locator("#setting-block_public_access-boto3")).to_be_visible()
        expect(block.locator("#setting-block_public_access-aws")).to_be_hidden()
    page.screenshot(path=str(SCREENSHOTS / "settings-permissions-ionos-user-owned.png"),
                    full_page=True)

    page.goto(settings_url(contract, "properties"))
    logging = page.locator("#setting-access_logging")
    expect(logging).to_contain_text(
        "Not supported by IONOS Object Storage for contract-owned buckets.")
    expect(logging.locator("form")).to_have_count(0)
    page.goto(settings_url(user, "properties"))
    expect(page.locator("#setting-access_logging input[name=target_bucket]")).to_be_enabled()

    page.goto(settings_url(spaces, "permissions"))
    options = page.locator("#bucket-acl-canned option")
    expect(options).to_have_count(2)
    assert options.all_inner_texts() == ["private", "public-read"]
    expect(page.locator("#setting-block_public_access")).to_contain_text(
        "Not supported by DigitalOcean Spaces")
    page.goto(settings_url(spaces, "management"))
    lifecycle = page.locator("#setting-lifecycle")
    expect(lifecycle.locator("textarea[name$='-tags']")).to_have_count(0)
    expect(lifecycle.locator("input[name$='-expiration_days']")).to_have_count(1)
    expect(lifecycle.locator("input[name$='-abort_days']")).to_have_count(1)
    expect(lifecycle.locator("input[name$='-transition_days']")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "settings-management-digitalocean.png"),
                    full_page=True)
    assert page.console_problems == []


def test_a_setting_saved_with_htmx_re_renders_its_section_in_place(
    browser_page, editor, three_buckets
) -> None:
    user = three_buckets["user"]
    page = browser_page(editor)
    page.goto(settings_url(user, "properties"))
    versioning = page.locator("#setting-versioning")
    versioning.get_by_label("Enabled: keep every version").check()
    versioning.get_by_role("button", name="Save versioning").click()
    expect(page.locator("#setting-versioning")).to_contain_text("Saved.")
    expect(page.locator("#setting-versioning")).to_contain_text("Now: Enabled")
    assert page.url.endswith("/settings/properties/")  # no navigation: htmx swapped it
    assert gateway.get_versioning(user[0], user[1]) == "Enabled"

    page.goto(settings_url(user, "management"))
    lifecycle = page.locator("#setting-lifecycle")
    lifecycle.locator("input[name='rule-0-id']").fill("tmp")
    lifecycle.locator("input[name='rule-0-prefix']").fill("tmp/")
    lifecycle.locator("textarea[name='rule-0-tags']").fill("env=dev")
    lifecycle.locator("input[name='rule-0-expiration_days']").fill("7")
    lifecycle.locator("input[name='rule-0-abort_days']").fill("1")
    lifecycle.get_by_role("button", name="Save lifecycle rules").click()
    expect(page.locator("#setting-lifecycle .setting-errors")).to_contain_text(
        "cannot be combined with a tag filter")
    expect(page.locator("#setting-lifecycle textarea[name='rule-0-tags']")).to_have_value("env=dev")
    assert page.console_problems == []


def test_the_availability_page_shows_the_grid_and_is_captured_for_the_docs(
    browser_page, admin, three_buckets
) -> None:
    contract, spaces = three_buckets["contract"], three_buckets["spaces"]
    page = browser_page(admin)
    page.goto(f"/c/{contract[0].pk}/b/{contract[1]}/features/")
    expect(page.locator("#feature-matrix th.highlight")).to_contain_text("Contract-owned bucket")
    expect(page.locator("#feature-matrix tr#feature-access_logging td.highlight")).to_have_attribute(
        "data-state", "unsupported")
    expect(page.locator("#legend")).to_contain_text("API only")
    page.locator("#matrix").screenshot(
        path=str(SCREENSHOTS / "availability-ionos-contract-owned.png"))
    page.screenshot(path=str(SCREENSHOTS / "availability-page-ionos.png"), full_page=True)
    page.locator("#comparison").screenshot(path=str(SCREENSHOTS / "availability-comparison.png"))

    page.get_by_role("button", name="Run API-only features from the console").click()
    expect(page.locator("#api-only-opt-in")).to_contain_text("runs API-only features from the console")
    page.goto(settings_url(contract, "permissions"))
    expect(page.locator("#setting-block_public_access")).to_contain_text(
        "API-only at provider — run from the console")
    expect(page.locator("#setting-block_public_access input[name=BlockPublicAcls]")).to_be_enabled()

    page.goto(f"/c/{spaces[0].pk}/features/")
    page.locator("#matrix").screenshot(path=str(SCREENSHOTS / "availability-digitalocean.png"))
    assert page.console_problems == []
