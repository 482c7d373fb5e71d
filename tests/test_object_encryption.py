"""Server-side encryption of uploads, shaped by the catalogue.

IONOS (seeds/000): "server-side encryption is used by default in the web interface; the
encryption with customer-managed keys is available through the API". DigitalOcean
(seeds/003): "Supported with SSE-C". Customer keys are tested on Ceph RGW, which enforces
them; moto accepts any key.
"""

from __future__ import annotations

import base64
import os
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from buckets import gateway, jobs
from buckets.models import Job, JobState
from tests.conftest import empty_and_delete, unique_bucket_name

KEY = os.urandom(32)
KEY_B64 = base64.b64encode(KEY).decode()


@pytest.fixture
def ionos(contract_owned):
    connection = contract_owned
    name = unique_bucket_name()
    gateway.create_bucket(connection, name)
    yield connection, name
    empty_and_delete(connection, name)


@pytest.fixture
def spaces_on_rgw(make_connection, team, rgw):
    """A DigitalOcean profile pointed at the real RGW, which enforces SSE-C keys."""
    connection = make_connection(team, endpoint=rgw["endpoint"], access_key=rgw["access_key"],
                                 secret_key=rgw["secret_key"], provider="digitalocean", region="nyc3")
    name = unique_bucket_name("ssec")
    gateway.create_bucket(connection, name, region="us-east-1")
    yield connection, name
    empty_and_delete(connection, name)


def options(html: str) -> list[str]:
    select = re.search(r'<select id="sse".*?</select>', html, re.S)
    return re.findall(r'<option value="([^"]*)"', select.group(0)) if select else []


def test_ionos_uploads_default_to_sse_s3_and_offer_customer_keys_only_through_the_api(login, editor, ionos):
    connection, bucket = ionos
    html = login(editor).get(reverse("browse", args=[connection.pk, bucket])).content.decode()
    assert options(html) == ["", "SSE-S3"]
    assert '<option value="SSE-S3" selected>' in html
    assert "available only through the IONOS Object Storage API" in html
    assert "--sse-c AES256" in html and connection.endpoint_url in html  # the API snippet


def test_an_ionos_upload_through_the_console_is_encrypted_by_default(login, editor, ionos):
    connection, bucket = ionos
    login(editor).post(reverse("upload", args=[connection.pk, bucket]),
                       {"prefix": "", "files": SimpleUploadedFile("a.txt", b"x"), "sse": "SSE-S3"})
    assert gateway.head_object(connection, bucket, "a.txt").encryption == "AES256"


def test_a_forged_sse_c_upload_to_ionos_never_reaches_the_endpoint(login, editor, ionos):
    connection, bucket = ionos
    response = login(editor).post(reverse("upload", args=[connection.pk, bucket]),
                                  {"prefix": "", "files": SimpleUploadedFile("c.txt", b"x"), "sse": "SSE-C",
                                   "sse_customer_key": KEY_B64}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert "only through the provider's API" in response.json()["results"][0]["message"]
    assert gateway.list_page(connection, bucket).objects == []


def test_digitalocean_offers_only_sse_c(login, editor, spaces, bucket):
    connection = spaces
    client = login(editor)
    assert options(client.get(reverse("browse", args=[connection.pk, bucket])).content.decode()) == ["", "SSE-C"]
    response = client.post(reverse("upload", args=[connection.pk, bucket]),
                           {"prefix": "", "files": SimpleUploadedFile("s3.txt", b"x"), "sse": "SSE-S3"},
                           HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and "not offered" in response.json()["results"][0]["message"]
    assert gateway.list_page(connection, bucket).objects == []


@pytest.mark.parametrize("bad", ["short", base64.b64encode(b"x" * 31).decode(), "z" * 64])
def test_a_malformed_customer_key_is_refused_with_a_clear_message(login, editor, spaces, bucket, bad):
    connection = spaces
    response = login(editor).post(reverse("upload", args=[connection.pk, bucket]),
                                  {"prefix": "", "files": SimpleUploadedFile("k.txt", b"x"), "sse": "SSE-C",
                                   "sse_customer_key": bad}, HTTP_ACCEPT="application/json")
    assert "32 bytes" in response.json()["results"][0]["message"]


@pytest.mark.rgw
def test_an_sse_c_object_asks_for_its_key_and_downloads_only_with_it(login, editor, spaces_on_rgw):
    connection, bucket = spaces_on_rgw
    client = login(editor)
    client.post(reverse("upload", args=[connection.pk, bucket]),
                {"prefix": "", "files": SimpleUploadedFile("secret.txt", b"top secret"), "sse": "SSE-C",
                 "sse_customer_key": KEY_B64})
    detail = client.get(reverse("object_detail", args=[connection.pk, bucket]) + "?key=secret.txt",
                        HTTP_HX_REQUEST="true").content.decode()
    assert "customer-provided key" in detail
    url = reverse("download", args=[connection.pk, bucket])
    good = client.post(url, {"key": "secret.txt", "sse_customer_key": KEY.hex()})
    assert b"".join(good.streaming_content) == b"top secret"
    wrong = client.post(url, {"key": "secret.txt", "sse_customer_key": base64.b64encode(os.urandom(32)).decode()})
    assert wrong.status_code == 400
    assert "not the one this object was encrypted with" in wrong.content.decode()
    assert client.get(url + "?key=secret.txt").status_code == 400  # no key, no bytes


@pytest.mark.rgw
def test_a_large_sse_c_upload_runs_as_a_job_and_forgets_the_key_afterwards(login, editor, spaces_on_rgw, settings, tmp_path):
    settings.UPLOAD_STAGING_DIR = tmp_path
    connection, bucket = spaces_on_rgw
    data = os.urandom(6 * 1024 * 1024)
    client = login(editor)
    start = client.post(reverse("upload_start", args=[connection.pk, bucket]),
                        {"key": "big.bin", "size": len(data), "sse": "SSE-C", "sse_customer_key": KEY_B64})
    job_id = start.json()["job"]
    stored = Job.objects.get(pk=job_id).params["sse"]
    assert stored["mode"] == "SSE-C" and KEY_B64 not in str(stored)  # encrypted at rest
    plan = start.json()
    assert plan["route"] == "proxy"  # a customer key never goes into URLs the browser holds
    part = client.post(plan["part_url"] + "?n=1", data, content_type="application/octet-stream")
    assert part.status_code == 200, part.content
    assert client.post(plan["finish_url"]).status_code == 200
    jobs.job_run(job_id)
    job = Job.objects.get(pk=job_id)
    assert job.state == JobState.SUCCEEDED, job.error
    assert "customer_key" not in job.params["sse"]
    body = client.post(reverse("download", args=[connection.pk, bucket]), {"key": "big.bin", "sse_customer_key": KEY_B64})
    assert b"".join(body.streaming_content) == data
