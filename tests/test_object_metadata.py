"""Editing an object's content headers and user metadata through the console, read back with boto3.

S3 rewrites the object (CopyObject onto itself, MetadataDirective=REPLACE); these tests check
that what was not edited survives: ACL, tags, storage class, encryption. moto drops the ACL on
a copy, so the ACL test proves the console puts it back.
"""

from __future__ import annotations

import uuid

from django.urls import reverse

from buckets import gateway, object_edit
from buckets.models import AuditEntry


def page_url(connection, bucket: str) -> str:
    return reverse("object_metadata", args=[connection.pk, bucket])


def form(**fields) -> dict:
    """A save of the form: content headers as given, metadata rows as (name, value) pairs."""
    rows = fields.pop("rows", [])
    data = {"action": "save", "meta_name": [n for n, _ in rows], "meta_value": [v for _, v in rows]}
    data.update(fields)
    return data


def copies_seen(connection) -> list[str]:
    seen: list[str] = []
    gateway.client(connection).meta.events.register(
        "before-call.s3.CopyObject", lambda **_: seen.append("copy"), unique_id=f"copies-{id(seen)}")
    return seen


def test_an_editor_rewrites_headers_and_metadata_and_acl_tags_and_storage_class_survive(
        login, editor, connection, bucket) -> None:
    client = gateway.client(connection)
    client.put_object(Bucket=bucket, Key="docs/report.csv", Body=b"a,b\n1,2\n", ContentType="text/plain",
                      Metadata={"owner": "ops", "stale": "yes"}, Tagging="team=blue", ACL="public-read",
                      StorageClass="STANDARD_IA")
    response = login(editor).post(page_url(connection, bucket), form(
        key="docs/report.csv", content_type="text/csv; charset=utf-8", cache_control="max-age=600",
        content_disposition='attachment; filename="report.csv"', content_encoding="identity",
        content_language="en, de-CH", expires="2031-02-03T04:05:06",
        rows=[("owner", "finance"), ("stale", "yes"), ("new-row", "42")], meta_remove=["1"]))
    assert response.status_code == 302
    head = client.head_object(Bucket=bucket, Key="docs/report.csv")
    assert head["ContentType"] == "text/csv; charset=utf-8"
    assert head["CacheControl"] == "max-age=600"
    assert head["ContentDisposition"] == 'attachment; filename="report.csv"'
    assert head["ContentEncoding"] == "identity"
    assert head["ContentLanguage"] == "en, de-CH"
    assert head["ExpiresString"] == "Mon, 03 Feb 2031 04:05:06 GMT"
    assert head["Metadata"] == {"owner": "finance", "new-row": "42"}
    assert head["StorageClass"] == "STANDARD_IA"
    assert client.get_object_tagging(Bucket=bucket, Key="docs/report.csv")["TagSet"] == [
        {"Key": "team", "Value": "blue"}]
    grants = client.get_object_acl(Bucket=bucket, Key="docs/report.csv")["Grants"]
    assert {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"} in [
        g["Grantee"] for g in grants if g["Permission"] == "READ"]
    entry = AuditEntry.objects.get(action="object.metadata.update")
    assert entry.ok and entry.key == "docs/report.csv" and entry.detail["metadata"] == ["new-row", "owner"]


def test_the_form_shows_the_stored_headers_and_the_rules_before_anything_is_sent(
        login, editor, connection, bucket) -> None:
    gateway.client(connection).put_object(Bucket=bucket, Key="a.txt", Body=b"x", ContentType="text/plain",
                                          Metadata={"colour": "=?UTF-8?B?w6lt?="})
    html = login(editor).get(page_url(connection, bucket), {"key": "a.txt"}).content.decode()
    assert 'value="text/plain"' in html
    assert 'value="colour"' in html and 'value="ém"' in html  # the console's RFC 2047 word, decoded
    assert "lowercase letters a–z, digits and hyphens" in html
    assert "at most 2,048 bytes as S3 counts it" in html


def test_a_viewer_can_neither_open_nor_save_the_metadata_form(login, viewer, connection, bucket) -> None:
    gateway.put_object(connection, bucket, "a.txt", b"x", content_type="text/plain")
    client = login(viewer)
    assert client.get(page_url(connection, bucket), {"key": "a.txt"}).status_code == 403
    assert client.post(page_url(connection, bucket), form(key="a.txt", content_type="text/html")).status_code == 403
    assert gateway.head_object(connection, bucket, "a.txt").content_type == "text/plain"


def test_bad_header_values_are_refused_with_a_message_each_and_no_copy_is_sent(
        login, editor, connection, bucket) -> None:
    gateway.put_object(connection, bucket, "a.txt", b"x", content_type="text/plain", metadata={"keep": "1"})
    copies = copies_seen(connection)
    response = login(editor).post(page_url(connection, bucket), form(
        key="a.txt", content_type="täxt/plain", content_language="en_US!", expires="next tuesday",
        cache_control="no-cache\r\nX-Evil: 1", rows=[("Upper", "1"), ("dup", "1"), ("dup", "2"), ("", "orphan")]))
    assert response.status_code == 400
    html = response.content.decode()
    for message in ("Content-Type may hold printable US-ASCII only", "is not a list of language tags",
                    "is not a date", "Cache-Control may hold printable US-ASCII only",
                    "“Upper” may hold only lowercase letters", "“dup” appears twice", "has no name"):
        assert message in html
    assert copies == []
    head = gateway.head_object(connection, bucket, "a.txt")
    assert head.content_type == "text/plain" and head.metadata == {"keep": "1"}


def test_metadata_over_two_kilobytes_as_s3_counts_it_is_refused(login, editor, connection, bucket) -> None:
    gateway.put_object(connection, bucket, "a.txt", b"x")
    response = login(editor).post(page_url(connection, bucket), form(
        key="a.txt", rows=[("big", "x" * 2000), ("more", "y" * 60)]))
    assert response.status_code == 400
    assert "comes to 2,067 bytes as S3 counts it" in response.content.decode()


def test_a_value_that_is_not_ascii_is_stored_rfc2047_encoded_and_the_user_is_told(
        login, editor, connection, bucket) -> None:
    gateway.put_object(connection, bucket, "a.txt", b"x")
    client = login(editor)
    response = client.post(page_url(connection, bucket), form(key="a.txt", rows=[("city", "Zürich")]), follow=True)
    assert "sent RFC 2047-encoded" in response.content.decode()
    stored = gateway.head_object(connection, bucket, "a.txt").metadata["city"]
    assert stored == "=?UTF-8?B?WsO8cmljaA==?="
    assert object_edit.metadata_value_decode(stored) == ("Zürich", True)


def test_an_sse_kms_object_keeps_its_kms_key_when_its_metadata_changes(login, editor, connection, bucket) -> None:
    gateway.client(connection).put_object(Bucket=bucket, Key="k.bin", Body=b"x", ServerSideEncryption="aws:kms",
                                          SSEKMSKeyId="key-1")
    assert login(editor).post(page_url(connection, bucket), form(key="k.bin", content_type="application/x-k")
                              ).status_code == 302
    head = gateway.client(connection).head_object(Bucket=bucket, Key="k.bin")
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == "key-1"
    assert head["ContentType"] == "application/x-k"


def test_ionos_contract_owned_refuses_an_encrypted_object_because_it_copies_only_unencrypted(
        login, editor, contract_owned, s3_endpoint) -> None:
    name = f"co-{uuid.uuid4().hex[:10]}"
    gateway.create_bucket(contract_owned, name)
    gateway.client(contract_owned).put_object(Bucket=name, Key="e.txt", Body=b"x", ServerSideEncryption="AES256",
                                              ContentType="text/plain")
    gateway.client(contract_owned).put_object(Bucket=name, Key="plain.txt", Body=b"x")
    copies = copies_seen(contract_owned)
    client = login(editor)
    page = client.get(page_url(contract_owned, name), {"key": "e.txt"}).content.decode()
    assert "copies objects only in buckets without encryption" in page and "this object is encrypted" in page
    refused = client.post(page_url(contract_owned, name), form(key="e.txt", content_type="text/html"))
    assert refused.status_code == 400 and copies == []
    assert gateway.head_object(contract_owned, name, "e.txt").content_type == "text/plain"
    # The same provider's unencrypted object is rewritten as usual.
    assert client.post(page_url(contract_owned, name), form(key="plain.txt", content_type="text/html")
                       ).status_code == 302
    assert gateway.head_object(contract_owned, name, "plain.txt").content_type == "text/html"


def test_where_detection_found_no_server_side_copy_the_edit_is_refused(login, editor, connection, bucket) -> None:
    connection.detected_features = {"object_copy": "unsupported"}
    connection.save()
    gateway.put_object(connection, bucket, "a.txt", b"x", content_type="text/plain")
    response = login(editor).post(page_url(connection, bucket), form(key="a.txt", content_type="text/html"))
    assert response.status_code == 400
    assert "copying is not offered here" in response.content.decode()


def test_an_object_over_five_gibibytes_is_refused_as_it_needs_a_multipart_copy(connection) -> None:
    huge = gateway.ObjectHeaders(key="big", size=5 * 1024**3 + 1, etag="", version_id="", storage_class="STANDARD",
                                 encryption="", kms_key_id="", customer_algorithm="", headers={}, expires="",
                                 metadata={})
    assert "multipart copy" in object_edit.metadata_refusal(connection, "standard", huge, allow_api_only=False)


def test_a_key_s3_could_not_take_is_a_400_not_a_500(login, editor, connection, bucket) -> None:
    response = login(editor).get(page_url(connection, bucket), {"key": "x" * 1100})
    assert response.status_code == 400


def test_the_details_panel_links_editors_to_metadata_and_retention_and_viewers_to_neither(
        login, editor, viewer, connection, bucket) -> None:
    gateway.put_object(connection, bucket, "a b.txt", b"x")
    detail = reverse("object_detail", args=[connection.pk, bucket])
    metadata, retention = page_url(connection, bucket), reverse("object_retention", args=[connection.pk, bucket])
    as_editor = login(editor).get(detail, {"key": "a b.txt"}).content.decode()
    assert f'{metadata}?key=a%20b.txt' in as_editor and f'{retention}?key=a%20b.txt' in as_editor
    as_viewer = login(viewer).get(detail, {"key": "a b.txt"}).content.decode()
    assert metadata not in as_viewer and retention not in as_viewer
