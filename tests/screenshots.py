"""`make screenshots`: the guides' pictures, taken by Playwright from the running console.

Not part of the suite (the file name does not start with test_); run through pytest for the
live server, the moto S3 server and chromium of the tests. Writes docs/screenshots/*.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from buckets import gateway

pytestmark = pytest.mark.browser
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


@pytest.fixture
def shot_page(playwright_browser, live_server, transactional_db):
    context = playwright_browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def shoot(page, name: str, *, full: bool = False) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=full)


def test_take_the_guides_screenshots(shot_page, admin, connection, bucket):
    for key, body in (("reports/2026/q1.csv", b"a,b\n1,2\n"), ("reports/2026/q2.csv", b"a,b\n3,4\n"),
                      ("photos/lake.jpg", b"\xff\xd8"), ("readme.txt", b"Hello"), ("invoice-0042.pdf", b"%PDF")):
        gateway.put_object(connection, bucket, key, body)
    page = shot_page
    page.goto("/login/")
    shoot(page, "sign-in")
    page.fill("#id_username", admin.username)
    page.fill("#id_password", "pw-" + admin.username)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    base = f"/c/{connection.pk}/b/{bucket}/"
    for name, url in (("connections", "/connections/"), ("bucket-list", f"/c/{connection.pk}/"),
                      ("settings-properties", base + "settings/properties/"),
                      ("settings-permissions", base + "settings/permissions/"),
                      ("settings-management", base + "settings/management/"),
                      ("feature-availability", base + "features/"), ("jobs", "/jobs/"), ("team", "/team/"),
                      ("endpoint-status", "/status/connections/")):
        page.goto(url)
        shoot(page, name, full=name.startswith(("settings", "feature")))
    page.goto(base)
    page.check("#rows input[name=keys] >> nth=1")
    shoot(page, "object-browser-selection")
    page.click("#rows a.object-link >> text=readme.txt")
    page.wait_for_selector("#details >> text=readme.txt")
    shoot(page, "object-details")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base)
    shoot(page, "object-browser-phone")
    assert len(list(OUT.glob("*.png"))) >= 13
