"""CORS and settings input against a real Ceph RGW 16.2, which implements CORS but refuses some
origins with a bare MalformedXML.

Skipped (loudly, by the `rgw` fixture) when no RGW runs.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from buckets import gateway
from buckets.bucket_settings import cors

pytestmark = pytest.mark.rgw


def cors_form(origins: str) -> dict:
    return {"rule-TOTAL_FORMS": "1", "rule-INITIAL_FORMS": "0", "rule-0-origins": origins,
            "rule-0-methods": ["GET", "PUT"]}


def test_rgws_answer_to_two_wildcards_is_a_refusal_with_its_code_not_not_implemented(
    rgw_connection, rgw_bucket
) -> None:
    rule = {"AllowedOrigins": ["https://*.*.example.com"], "AllowedMethods": ["GET"]}
    with pytest.raises(gateway.S3Error) as refused:
        gateway.cors_put(rgw_connection, rgw_bucket, [rule])
    assert not isinstance(refused.value, gateway.NotImplementedByProvider)
    assert isinstance(refused.value, gateway.Invalid)
    assert "MalformedXML" in str(refused.value)


def test_the_console_refuses_two_wildcards_itself_and_rgw_takes_one(
    login, editor, rgw_connection, rgw_bucket
) -> None:
    client = login(editor)
    target = reverse("settings_cors", args=[rgw_connection.pk, rgw_bucket])
    refused = client.post(target, cors_form("https://*.*.example.com"))
    assert refused.status_code == 400
    assert "has 2 wildcards" in refused.content.decode()
    assert gateway.cors_get(rgw_connection, rgw_bucket) is None  # nothing was sent
    assert client.post(target, cors_form("https://*.example.com\nhttp://localhost:8080")
                       ).status_code == 302
    rules = gateway.cors_get(rgw_connection, rgw_bucket)["CORSRules"]
    # RGW answers the origins in an order of its own.
    assert sorted(rules[0]["AllowedOrigins"]) == ["http://localhost:8080", "https://*.example.com"]


def test_an_endpoint_refusal_of_cors_rules_is_shown_with_its_message(
    login, editor, rgw_connection, rgw_bucket, monkeypatch
) -> None:
    # Fault injection: a gap in the console's own check lets RGW see the origin, as a
    # rule the console does not know of would; the section must show RGW's refusal.
    monkeypatch.setattr(cors, "origin_problem", lambda origin: "")
    response = login(editor).post(reverse("settings_cors", args=[rgw_connection.pk, rgw_bucket]),
                                  cors_form("https://*.*.example.com"))
    html = response.content.decode()
    assert response.status_code == 400
    assert "The endpoint refused" in html and "MalformedXML" in html
    assert "does not implement" not in html


def test_unicode_digits_never_reach_rgw(login, editor, rgw_connection, rgw_bucket) -> None:
    response = login(editor).post(
        reverse("settings_lifecycle", args=[rgw_connection.pk, rgw_bucket]),
        {"rule-TOTAL_FORMS": "1", "rule-INITIAL_FORMS": "0", "rule-0-prefix": "tmp/",
         "rule-0-enabled": "on", "rule-0-expiration_days": "３"})
    assert response.status_code == 400
    assert "digits 0-9" in response.content.decode()
    assert gateway.lifecycle_get(rgw_connection, rgw_bucket) is None
