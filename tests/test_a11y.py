"""Accessibility: the main pages pass axe-core in Debian's chromium with no serious or
critical violation.

axe-core is vendored from npm (tests/vendor/axe.min.js, MPL-2.0, licence beside it) and added
to each page with Playwright's add_script_tag: nothing is fetched at run time.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from buckets import gateway

pytestmark = pytest.mark.browser
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SERIOUS = {"serious", "critical"}


def violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    return [v for v in found if v["impact"] in SERIOUS]


def assert_accessible(page, where: str) -> None:
    problems = violations(page)
    assert not problems, f"{where}: " + "; ".join(f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in problems)


@pytest.fixture
def axe_page(playwright_browser, live_server, transactional_db):
    """A page whose context lets Playwright add axe's script tag past the console's CSP (the
    pages' own scripts still run under it)."""
    context = playwright_browser.new_context(base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.console_problems = []
    page.on("pageerror", lambda e: page.console_problems.append(str(e)))
    yield page
    context.close()


def sign_in(page, user) -> None:
    page.goto("/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw-" + user.username)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


def test_the_sign_in_page_passes_axe(axe_page):
    axe_page.goto("/login/")
    assert_accessible(axe_page, "sign in")


def test_the_main_pages_pass_axe(axe_page, admin, connection, bucket):
    gateway.put_object(connection, bucket, "docs/readme.txt", b"hello")
    gateway.put_object(connection, bucket, "photo.jpg", b"\xff\xd8")
    page = axe_page
    sign_in(page, admin)
    base = f"/c/{connection.pk}/b/{bucket}/"
    pages = [
        ("connections", "/connections/"),
        ("bucket list", f"/c/{connection.pk}/"),
        ("settings: properties", base + "settings/properties/"),
        ("settings: permissions", base + "settings/permissions/"),
        ("settings: management", base + "settings/management/"),
        ("feature availability", base + "features/"),
        ("jobs", "/jobs/"),
        ("team", "/team/"),
        ("endpoint status", "/status/connections/"),
    ]
    for where, url in pages:
        page.goto(url)
        assert_accessible(page, where)
    page.goto(base)
    page.check("#rows input[name=keys] >> nth=0")
    assert_accessible(page, "object browser with a selection")
    page.click("#rows a.object-link >> text=photo.jpg")
    page.wait_for_selector("#details >> text=photo.jpg")
    assert_accessible(page, "object details")
    assert page.console_problems == []
