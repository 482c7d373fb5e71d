"""A property of every settings form: whatever text arrives in whichever of its fields, the
answer is a page or a message, never a server error.

The fields are read from the form each setting's page renders, so a new field is fuzzed
without touching this file. Runs against the moto server; bounded to stay a few seconds.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buckets import bucket_settings
from tests.test_bucket_settings_views import aws, make_bucket, section  # noqa: F401

OFFERED = [fid for fid, s in bucket_settings.SETTINGS.items() if s.offered]
EXAMPLES = 20

# What people and attackers actually send, beside arbitrary text: choices the forms offer,
# digits that are not ASCII, numbers past every limit, markup, deep JSON, control characters.
INTERESTING = [
    "", " ", "on", "1", "0", "-1", "①", "²", "٣", "３", "9" * 30, "1" * 5000, "1e9", "GLACIER",
    "Enabled", "Suspended", "ON", "OFF", "canned", "grants", "READ", "FULL_CONTROL",
    "public-read", "GOVERNANCE", "COMPLIANCE", "BucketOwner", "Requester", "SSE-S3", "SSE-KMS",
    "BucketOwnerEnforced", "*", "https://*.*.x", "ftp://x", "not a url", "https://app.example",
    "arn:aws:s3:::other-bucket", "a/b", "..", "aws:reserved", "k=v\n=v\nk2", "[" * 3000,
    '{"Statement": [{"Resource": "arn:aws:s3:::elsewhere/*"}]}', '[{"Redirect": {}}]',
    '[{"Redirect": {"HostName": 1}}]', "<script>alert(1)</script>", "{{ value }}", "%s%n",
    "\x00", "a\x01b", "\ufffe", "é" * 300, "x" * 2000,
]
TEXT = st.one_of(st.sampled_from(INTERESTING), st.text(max_size=60))


def form_fields(html: str, feature_id: str) -> list[str]:
    names = re.findall(r'name="([^"]+)"', section(html, feature_id))
    return sorted({n for n in names if n != "csrfmiddlewaretoken"})


@pytest.mark.parametrize("feature_id", OFFERED)
def test_no_text_in_any_field_of_a_settings_form_gives_a_server_error(
    login, editor, aws, make_bucket, feature_id: str  # noqa: F811
) -> None:
    setting = bucket_settings.SETTINGS[feature_id]
    bucket = make_bucket(aws, lock=feature_id in ("object_lock", "legal_hold"),
                         objects=("fuzz/key.txt",))
    client = login(editor)
    target = reverse(setting.url_name, args=[aws.pk, bucket])
    if setting.object_level:
        target += "?key=fuzz%2Fkey.txt"
    fields = form_fields(client.get(target).content.decode(), feature_id)
    assert fields, f"no form fields found for {feature_id}"
    answers: set[int] = set()
    # Mostly as htmx sends it (the fragment is cheaper to render); a full page now and then.

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=st.fixed_dictionaries({name: st.one_of(st.none(), TEXT) for name in fields}),
           htmx=st.sampled_from([True, True, True, False]))
    def post(data: dict[str, str | None], htmx: bool) -> None:
        sent = {name: value for name, value in data.items() if value is not None}
        extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        response = client.post(target, sent, **extra)
        body = response.content.decode(errors="replace")
        assert response.status_code != 500, (sent, body[:2000])
        # boto3 refusing a request unsent means a check of the console's own is missing.
        assert "ParamValidationError" not in body, sent
        answers.add(response.status_code)

    post()
    assert answers <= {200, 302, 400, 502, 503, 504}, answers
