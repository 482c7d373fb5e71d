"""Metadata edits on Ceph RGW, which stores and enforces ACLs and customer keys as AWS does."""

from __future__ import annotations

import base64
import os

import requests
from django.urls import reverse

from buckets import gateway


def page_url(connection, bucket: str) -> str:
    return reverse("object_metadata", args=[connection.pk, bucket])


def test_a_public_object_stays_public_and_tagged_after_its_content_type_changes_on_rgw(
        login, editor, rgw_connection, rgw_bucket) -> None:
    client = gateway.client(rgw_connection)
    client.put_object(Bucket=rgw_bucket, Key="site/index.htm", Body=b"<p>hi</p>", ContentType="text/plain",
                      ACL="public-read", Tagging="stage=live", Metadata={"build": "7"})
    response = login(editor).post(page_url(rgw_connection, rgw_bucket), {
        "action": "save", "key": "site/index.htm", "content_type": "text/html", "cache_control": "no-cache",
        "meta_name": ["build"], "meta_value": ["8"]})
    assert response.status_code == 302
    head = client.head_object(Bucket=rgw_bucket, Key="site/index.htm")
    assert (head["ContentType"], head["CacheControl"], head["Metadata"]) == ("text/html", "no-cache", {"build": "8"})
    assert client.get_object_tagging(Bucket=rgw_bucket, Key="site/index.htm")["TagSet"] == [
        {"Key": "stage", "Value": "live"}]
    # RGW enforces ACLs: an anonymous GET proves the object is still public.
    anonymous = requests.get(f"{rgw_connection.endpoint_url}/{rgw_bucket}/site/index.htm", timeout=5)
    assert anonymous.status_code == 200 and anonymous.headers["Content-Type"] == "text/html"


def test_an_sse_c_object_asks_for_its_key_and_rgw_which_cannot_copy_it_is_refused_before_sending(
        login, editor, rgw_connection, rgw_bucket) -> None:
    key = os.urandom(32)
    gateway.client(rgw_connection).put_object(Bucket=rgw_bucket, Key="secret.bin", Body=b"x",
                                              SSECustomerAlgorithm="AES256", SSECustomerKey=key)
    client = login(editor)
    asked = client.get(page_url(rgw_connection, rgw_bucket), {"key": "secret.bin"}).content.decode()
    assert "encrypted with a customer-provided key" in asked and 'name="sse_customer_key"' in asked
    given = client.post(page_url(rgw_connection, rgw_bucket), {
        "key": "secret.bin", "sse_customer_key": base64.b64encode(key).decode()}).content.decode()
    assert "does not copy objects encrypted with a customer key" in given
    refused = client.post(page_url(rgw_connection, rgw_bucket), {
        "action": "save", "key": "secret.bin", "content_type": "text/plain",
        "sse_customer_key": base64.b64encode(key).decode(), "meta_name": [], "meta_value": []})
    assert refused.status_code == 400
    wrong = client.post(page_url(rgw_connection, rgw_bucket), {
        "key": "secret.bin", "sse_customer_key": base64.b64encode(os.urandom(32)).decode()})
    assert wrong.status_code == 400 and "refused this key" in wrong.content.decode()
