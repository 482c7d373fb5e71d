"""NUL (U+0000): refused in any query-string value before a view runs, and by the key rule in
every form (where the view answers in the form, so nothing typed is lost)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from buckets import names


@pytest.mark.parametrize("field", ["prefix", "q", "token", "key"])
def test_a_nul_in_any_query_value_is_a_400_with_a_sentence(login, editor, connection, bucket, field):
    response = login(editor).get(reverse("browse", args=[connection.pk, bucket]), {field: "a\x00b"})
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


@pytest.mark.parametrize("view, data", [
    ("bucket_size", {"prefix": "a\x00b/"}),
    ("delete_objects", {"keys": ["ok", "a\x00b"]}),
])
def test_a_nul_in_a_form_is_refused_by_the_key_rule(login, editor, connection, bucket, view, data):
    response = login(editor).post(reverse(view, args=[connection.pk, bucket]), data)
    assert response.status_code == 400
    assert "U+0000" in response.content.decode()


def test_a_json_client_hears_it_in_json(login, editor, connection, bucket):
    response = login(editor).get(reverse("browse", args=[connection.pk, bucket]), {"prefix": "\x00"},
                                 HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and "NUL" in response.json()["error"]


def test_the_key_rule_itself_refuses_nul():
    assert "NUL" in names.key_problem("a\x00b")
    assert names.prefix_problem("") == ""
