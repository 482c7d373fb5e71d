"""Keys on the job pages and in the audit log are shown as they are, like everywhere else."""

from __future__ import annotations

import pytest
from django.urls import reverse

from buckets import audit, jobs
from buckets.models import JobKind

TRICKY = "evil\u202etxt.exe"


def test_the_jobs_list_and_a_job_page_show_a_bidi_key_visibly_and_isolated(login, team, editor):
    job = jobs.job_create(JobKind.DELETE_PREFIX, team=team, user=editor, bucket="b", key=TRICKY,
                          params={"prefix": TRICKY})
    client = login(editor)
    for url in (reverse("jobs"), reverse("job_detail", args=[job.pk])):
        page = client.get(url).content.decode()
        assert "\u202e" not in page, url
        assert "U+202E" in page and '<bdi class="key" dir="ltr">' in page, url


def test_the_audit_log_shows_a_bidi_key_visibly(login, team, admin):
    audit.record(None, "object.delete", team=team, key=TRICKY, user=admin)
    page = login(admin).get(reverse("audit_log")).content.decode()
    assert "\u202e" not in page and "U+202E" in page


@pytest.mark.browser
def test_the_upload_list_shows_a_bidi_file_name_visibly(browser_page, editor, connection, bucket):
    page = browser_page(editor)
    page.goto(f"/c/{connection.pk}/b/{bucket}/")
    page.set_input_files("#file-input", [{"name": TRICKY, "mimeType": "text/plain", "buffer": b"x"}])
    row = page.locator("#upload-list li bdi.name")
    row.wait_for()
    assert row.inner_text() == "evil⟨U+202E⟩txt.exe"
    assert row.get_attribute("dir") == "ltr"
    page.wait_for_selector("#upload-list li .status.ok")
