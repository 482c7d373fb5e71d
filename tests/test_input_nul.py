"""NUL (U+0000) in any query or form value is refused before a view runs, for every view."""

from __future__ import annotations

import pytest
from django.urls import reverse

from buckets import names


@pytest.mark.parametrize("method, field", [("get", "prefix"), ("get", "q"), ("post", "prefix"), ("post", "keys")])
def test_a_nul_anywhere_in_a_request_is_a_400_with_a_sentence(login, editor, connection, bucket, method, field):
    client = login(editor)
    url = reverse("bucket_size", args=[connection.pk, bucket]) if method == "post" else \
        reverse("browse", args=[connection.pk, bucket])
    response = getattr(client, method)(url, {field: "a\x00b"})
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


def test_a_json_client_hears_it_in_json(login, editor, connection, bucket):
    response = login(editor).get(reverse("browse", args=[connection.pk, bucket]), {"prefix": "\x00"},
                                 HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and "NUL" in response.json()["error"]


def test_the_key_rule_itself_refuses_nul():
    assert "NUL" in names.key_problem("a\x00b")
    assert names.prefix_problem("") == ""
