"""The console's own presigned URLs (gateway._presigned): the same URL botocore would make,
or botocore's own where that could not be checked.

The console signs URLs for its hot requests (the zip's GETs, CopyObject) itself, because
botocore's generate_presigned_url costs more CPU than the request. It does so only for a
client, operation and bucket whose first URL, signed again with botocore's timestamp, came
out identical; these tests hold the signer to botocore for keys of every shape, and the real
servers (moto, which accepts any signature, and Ceph RGW, which checks them) to the result."""

from __future__ import annotations

import os
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buckets import gateway

# Keys as users name them: unicode, spaces, reserved and unreserved characters, slashes.
keys = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"),
               min_size=1, max_size=60)


def _endpoint(url: str, style: str = "path", signature: str = "s3v4", region: str = "eu-central-3"):
    return SimpleNamespace(pk=None, endpoint_url=url, region=region, access_key="AKIDEXAMPLE",
                           secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", addressing_style=style,
                           signature_version=signature)


ENDPOINTS = [_endpoint("http://127.0.0.1:7480"), _endpoint("https://s3.example.test"),
             _endpoint("https://s3.example.test:8443", style="virtual"), _endpoint("http://[::1]:9000")]

SHAPES = [  # operation, method, params beyond Bucket/Key, the operation's query, signed headers
    ("get_object", "GET", {}, {}, {}),
    ("copy_object", "PUT", {"CopySource": {"Bucket": "src", "Key": "a b/ü?.txt"}, "MetadataDirective": "COPY",
                            "TaggingDirective": "COPY"},
     {}, {"x-amz-copy-source": "src/a%20b/%C3%BC%3F.txt", "x-amz-metadata-directive": "COPY",
          "x-amz-tagging-directive": "COPY"}),
    ("copy_object", "PUT", {"CopySource": {"Bucket": "src", "Key": "k"}, "MetadataDirective": "COPY",
                            "TaggingDirective": "COPY", "StorageClass": "STANDARD_IA"},
     {}, {"x-amz-copy-source": "src/k", "x-amz-metadata-directive": "COPY", "x-amz-tagging-directive": "COPY",
          "x-amz-storage-class": "STANDARD_IA"}),
    ("upload_part", "PUT", {"UploadId": "2~abc/+=", "PartNumber": 7}, {"partNumber": "7", "uploadId": "2~abc/+="}, {}),
]


def _same_url(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return pa[:3] == pb[:3] and sorted(pa.query.split("&")) == sorted(pb.query.split("&"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=keys, then=keys, endpoint=st.sampled_from(ENDPOINTS), shape=st.sampled_from(SHAPES),
       bucket=st.sampled_from(["bucket", "my.bucket-1", "b" * 63]))
def test_the_console_signs_exactly_the_url_botocore_would(first, then, endpoint, shape, bucket):
    operation, method, extra, query, headers = shape
    api = gateway.client(endpoint)
    learnt = gateway._url_shape_of(api, api.generate_presigned_url(
        operation, Params={"Bucket": bucket, "Key": first, **extra}, ExpiresIn=900), first, method, query, headers, 900)
    assert learnt is not None, "the first URL could not be signed again identically"
    theirs = api.generate_presigned_url(operation, Params={"Bucket": bucket, "Key": then, **extra}, ExpiresIn=900)
    stamp = dict(p.split("=", 1) for p in urlsplit(theirs).query.split("&"))["X-Amz-Date"]
    assert _same_url(gateway._sign_url(learnt, then, method, query, headers, 900, stamp=stamp), theirs)


def test_the_first_url_comes_from_botocore_and_the_next_from_the_console(monkeypatch):
    api = gateway.client(_endpoint("http://127.0.0.1:7481"))
    params = {"Bucket": "b", "Key": "first"}
    calls = []
    real = api.generate_presigned_url
    monkeypatch.setattr(api, "generate_presigned_url", lambda *a, **k: calls.append(a) or real(*a, **k))
    for key in ("first", "second", "third/ü"):
        url = gateway._presigned(api, "get_object", {**params, "Key": key}, method="GET", query={}, headers={},
                                 expires=900)
        assert urlsplit(url).path == "/b/" + gateway.quote(key, safe="/~")
    assert len(calls) == 1


def test_where_botocore_signs_otherwise_it_keeps_signing():
    """SigV2 (signature_version "s3"): the console cannot reproduce it, so botocore signs every URL."""
    api = gateway.client(_endpoint("http://127.0.0.1:7482", signature="s3"))
    for key in ("one", "two"):
        url = gateway._presigned(api, "get_object", {"Bucket": "b", "Key": key}, method="GET", query={}, headers={},
                                 expires=900)
        assert "Signature=" in url and "X-Amz-Signature" not in url
    assert all(shape is None for shape in gateway._url_shapes[api].values())


def test_headers_botocore_would_not_sign_so_keep_botocore():
    """A header set that differs from what botocore signs (here one it never adds) is not learnt."""
    api = gateway.client(_endpoint("http://127.0.0.1:7483"))
    url = api.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"}, ExpiresIn=900)
    assert gateway._url_shape_of(api, url, "k", "GET", {}, {"x-amz-extra": "1"}, 900) is None


def test_on_moto_copies_and_reads_through_console_signed_urls(connection, bucket):
    for i in range(3):
        gateway.put_object(connection, bucket, f"dir/ä {i}+?", f"body {i}".encode())
    for i in range(3):
        gateway.copy_object(connection, bucket, f"copy/ä {i}+?", source_bucket=bucket, source_key=f"dir/ä {i}+?")
        assert b"".join(gateway.stream_object(connection, bucket, f"copy/ä {i}+?").body) == f"body {i}".encode()
    learnt = gateway._url_shapes[gateway.client(connection)]
    assert learnt and all(shape is not None for shape in learnt.values())


@pytest.mark.rgw
def test_on_rgw_which_checks_signatures_console_signed_urls_are_accepted(rgw_connection, rgw_bucket):
    names = ["plain", "with space", "ünïcødé/ß", "a+b=c&d", "per%cent", "tilde~and*star", "x" * 200]
    bodies = {name: os.urandom(1000 + i) for i, name in enumerate(names)}
    for name, body in bodies.items():
        gateway.put_object(rgw_connection, rgw_bucket, name, body)
    for name, body in bodies.items():
        gateway.copy_object(rgw_connection, rgw_bucket, f"copy/{name}", source_bucket=rgw_bucket, source_key=name,
                            storage_class="STANDARD_IA" if name == "plain" else "")
        assert b"".join(gateway.stream_object(rgw_connection, rgw_bucket, f"copy/{name}").body) == body
    assert gateway.head_object(rgw_connection, rgw_bucket, "copy/plain").storage_class == "STANDARD_IA"
    learnt = gateway._url_shapes[gateway.client(rgw_connection)]
    assert {where[0] for where, shape in learnt.items() if shape is not None} == {"copy_object", "get_object"}
