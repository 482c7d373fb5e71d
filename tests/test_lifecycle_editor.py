"""The lifecycle editor and object size filters (ObjectSizeGreaterThan / ObjectSizeLessThan).

Written into the rule's Filter exactly as S3 wants it (alone, or in an And with the prefix and
tags), read back into the form in the unit that holds them, checked before anything is sent;
refused where the catalogue says the endpoint ignores them (Ceph RGW 16.2 expires the small
objects too) and absent from the form where the provider offers none (DigitalOcean Spaces).

moto drops size filters when it answers GetBucketLifecycleConfiguration, so the round trips
that read a rule back run against `tests/moto_lifecycle_sizes.py`: the same moto server,
keeping the sizes as AWS does. The canary below says when moto itself has caught up.
"""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.http import QueryDict
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buckets import bucket_settings, catalogue, gateway, lifecycle
from buckets.models import Job
from tests.conftest import empty_and_delete, free_port, unique_bucket_name, wait_for_port

pytestmark = pytest.mark.django_db

KiB, MiB, GiB = 1024, 1024**2, 1024**3
SIZE_RULE = {"rule-count": "1", "rule-0-id": "big-only", "rule-0-enabled": "on", "rule-0-prefix": "logs/",
             "rule-0-size_greater_than": "1048576", "rule-0-expiration_days": "30"}
CEPH_REFUSAL = ("Ceph RADOS Gateway ignores object size filters (ObjectSizeGreaterThan, ObjectSizeLessThan): a "
                "rule that seems to spare small objects expires every object under its prefix, small ones too "
                "(Measured on Ceph RGW 16.2).")
SPACES_REFUSAL = ("DigitalOcean Spaces does not offer object size filters in lifecycle rules (DigitalOcean "
                  "documentation, “Spaces S3 Compatibility”: “Only time-based expiration and removing incomplete "
                  "multipart uploads. Tag-based lifecycle rules are not supported.”).")


@pytest.fixture(scope="module")
def sizes_endpoint():
    """moto, keeping lifecycle size filters on read as AWS does (its own process, real HTTP)."""
    port = free_port()
    script = Path(__file__).with_name("moto_lifecycle_sizes.py")
    proc = subprocess.Popen([sys.executable, str(script), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _bucket_on(make_connection, team, endpoint, **kw):
    connection = make_connection(team, endpoint=endpoint, **kw)
    name = unique_bucket_name("lc-ed")
    gateway.create_bucket(connection, name)
    return connection, name


@pytest.fixture
def aws_bucket(make_connection, team, sizes_endpoint):
    connection, name = _bucket_on(make_connection, team, sizes_endpoint, provider="aws", region="us-east-1")
    yield connection, name
    empty_and_delete(connection, name)


@pytest.fixture
def ceph_on_moto(make_connection, team, sizes_endpoint):
    """The Ceph RGW profile (its catalogue cells) in front of moto, so a refusal that reached
    the endpoint would show as a stored rule."""
    connection, name = _bucket_on(make_connection, team, sizes_endpoint, provider="ceph")
    yield connection, name
    empty_and_delete(connection, name)


@pytest.fixture
def spaces_on_moto(make_connection, team, sizes_endpoint):
    connection, name = _bucket_on(make_connection, team, sizes_endpoint, provider="digitalocean", region="nyc3",
                                  bucket_type="standard")
    yield connection, name
    empty_and_delete(connection, name)


def _rules(**fields: str) -> dict[str, str]:
    """A one-rule editor POST: fields without a "rule-0-" prefix, as the page names them."""
    return {"rule-TOTAL_FORMS": "1", "rule-INITIAL_FORMS": "0", "rule-0-enabled": "on",
            **{f"rule-0-{name}": value for name, value in fields.items()}}


def _post(client, connection, bucket, data):
    return client.post(reverse("settings_lifecycle", args=[connection.pk, bucket]), data)


def _management(client, connection, bucket) -> str:
    html = client.get(reverse("bucket_settings_group", args=[connection.pk, bucket, "management"])).content.decode()
    found = re.search(r'<section class="card setting[^"]*" id="setting-lifecycle".*?</section>', html, re.S)
    assert found, "no lifecycle section"
    return found.group(0)


def _size_inputs(section: str) -> list[str]:
    return re.findall(r'<input[^>]*name="rule-\d+-size_(?:greater|less)_than"[^>]*>', section)


def _selected_unit(section: str, n: int, name: str) -> str:
    select = re.search(rf'<select name="rule-{n}-{name}_unit".*?</select>', section, re.S)
    assert select, f"no unit for rule {n} {name}"
    chosen = re.findall(r'<option value="([^"]+)" selected>', select.group(0))
    return chosen[0] if chosen else "B"


# --- the catalogue ----------------------------------------------------------------------------


def test_the_catalogue_says_who_applies_ignores_or_offers_no_size_filters():
    assert catalogue.constraint("ceph", "standard", "lifecycle_size_filters") is False
    assert catalogue.constraint("ceph", "standard", "lifecycle_size_filters_offered") is True
    assert catalogue.constraint("digitalocean", "standard", "lifecycle_size_filters_offered") is False
    for provider, bucket_type in (("aws", "general-purpose"), ("ionos", "user-owned"), ("minio", "standard")):
        assert catalogue.constraint(provider, bucket_type, "lifecycle_size_filters") is True
        assert catalogue.constraint(provider, bucket_type, "lifecycle_size_filters_offered") is True


# --- round trips on moto over HTTP ------------------------------------------------------------


def test_a_prefix_and_size_range_round_trip_through_the_endpoint_and_back_into_the_form(login, editor,
                                                                                       aws_bucket):
    connection, bucket = aws_bucket
    client = login(editor)
    data = {"rule-TOTAL_FORMS": "4", "rule-INITIAL_FORMS": "0"}
    for n, fields in enumerate([
        {"id": "range", "prefix": "logs/", "size_greater_than": "1", "size_greater_than_unit": "KiB",
         "size_less_than": "5", "size_less_than_unit": "MiB", "expiration_days": "30"},
        {"id": "not-empty", "size_greater_than": "0", "expiration_days": "7"},
        {"id": "tagged-small", "tags": "tier=cold", "size_less_than": "1000", "expiration_days": "9"},
        {"id": "odd", "prefix": "p/", "size_greater_than": "1025", "size_greater_than_unit": "B",
         "size_less_than": "2", "size_less_than_unit": "GiB", "expiration_days": "1"},
    ]):
        data.update({f"rule-{n}-enabled": "on", **{f"rule-{n}-{k}": v for k, v in fields.items()}})
    response = _post(client, connection, bucket, data)
    assert response.status_code == 302, response.content.decode()[:3000]

    # What boto3 reads back: the Filter S3 requires (one element, or an And of two or more).
    stored = gateway.client(connection).get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert {r["ID"]: r["Filter"] for r in stored} == {
        "range": {"And": {"Prefix": "logs/", "ObjectSizeGreaterThan": 1024, "ObjectSizeLessThan": 5 * MiB}},
        "not-empty": {"ObjectSizeGreaterThan": 0},
        "tagged-small": {"And": {"Tags": [{"Key": "tier", "Value": "cold"}], "ObjectSizeLessThan": 1000}},
        "odd": {"And": {"Prefix": "p/", "ObjectSizeGreaterThan": 1025, "ObjectSizeLessThan": 2 * GiB}},
    }

    # The page shows them again, each in the unit that holds it exactly.
    section = _management(client, connection, bucket)
    assert "parts the console does not edit" not in section
    shown = {re.search(r'name="([^"]+)"', i).group(1): re.search(r'value="([^"]*)"', i).group(1)
             for i in _size_inputs(section)}
    assert shown == {"rule-0-size_greater_than": "1", "rule-0-size_less_than": "5",
                     "rule-1-size_greater_than": "0", "rule-1-size_less_than": "",
                     "rule-2-size_greater_than": "", "rule-2-size_less_than": "1000",
                     "rule-3-size_greater_than": "1025", "rule-3-size_less_than": "2",
                     "rule-4-size_greater_than": "", "rule-4-size_less_than": ""}  # rule 4: the blank one
    assert [_selected_unit(section, 0, "size_greater_than"), _selected_unit(section, 0, "size_less_than")] == [
        "KiB", "MiB"]
    assert [_selected_unit(section, 3, "size_greater_than"), _selected_unit(section, 3, "size_less_than")] == [
        "B", "GiB"]
    assert not any("disabled" in i for i in _size_inputs(section))

    # Saving the page as it is shown changes nothing.
    resaved = {"rule-TOTAL_FORMS": "4", "rule-INITIAL_FORMS": "4"}
    for name, value in re.findall(r'<input[^>]*name="(rule-\d-(?:id|prefix|size_\w+|expiration_days))"'
                                  r'[^>]*value="([^"]*)"', section):
        resaved[name] = value
    for n in range(4):
        resaved[f"rule-{n}-enabled"] = "on"
        resaved[f"rule-{n}-size_greater_than_unit"] = _selected_unit(section, n, "size_greater_than")
        resaved[f"rule-{n}-size_less_than_unit"] = _selected_unit(section, n, "size_less_than")
    resaved["rule-2-tags"] = "tier=cold"
    assert _post(client, connection, bucket, resaved).status_code == 302
    again = gateway.client(connection).get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert [r["Filter"] for r in again] == [r["Filter"] for r in stored]


def test_the_request_itself_carries_the_and_as_s3_documents_it(login, editor, aws_bucket):
    connection, bucket = aws_bucket
    sent: list[bytes] = []
    events = gateway.client(connection).meta.events
    events.register("before-send.s3.PutBucketLifecycleConfiguration",
                    lambda request, **_: sent.append(request.body), unique_id="lc-editor-size")
    try:
        response = _post(login(editor), connection, bucket, SIZE_RULE)
    finally:
        events.unregister("before-send.s3.PutBucketLifecycleConfiguration", unique_id="lc-editor-size")
    assert response.status_code == 302
    ns = {"s3": "http://s3.amazonaws.com/doc/2006-03-01/"}
    flt = ET.fromstring(sent[0]).find("s3:Rule/s3:Filter", ns)
    assert [child.tag.split("}")[1] for child in flt] == ["And"]
    assert {child.tag.split("}")[1]: child.text for child in flt.find("s3:And", ns)} == {
        "ObjectSizeGreaterThan": "1048576", "Prefix": "logs/"}


def test_canary_stock_moto_still_drops_size_filters_on_read(connection, bucket):
    """If this fails, moto keeps size filters itself: tests/moto_lifecycle_sizes.py can go."""
    gateway.lifecycle_put(connection, bucket, [{"ID": "r", "Status": "Enabled", "Expiration": {"Days": 1},
                                                "Filter": {"And": {"Prefix": "a/", "ObjectSizeGreaterThan": 5}}}])
    assert gateway.lifecycle_get(connection, bucket)["Rules"][0]["Filter"] == {"And": {"Prefix": "a/"}}


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "message"), [
    ({"size_greater_than": "-1"}, "Rule “r”: Only objects larger than (bytes) must be a whole number written with "
                                  "the digits 0-9."),
    ({"size_greater_than": "lots"}, "Only objects larger than (bytes) must be a whole number"),
    ({"size_greater_than": "1e9"}, "Only objects larger than (bytes) must be a whole number"),
    ({"size_greater_than": "٣"}, "Only objects larger than (bytes) must be a whole number"),
    ({"size_greater_than": "1.5", "size_greater_than_unit": "MiB"},
     "Only objects larger than (MiB) must be a whole number"),
    ({"size_less_than": "0"}, "Rule “r”: Only objects smaller than (bytes) must be at least 1."),
    ({"size_less_than": "9" * 19}, "Only objects smaller than (bytes) must be at most 9,223,372,036,854,775,807."),
    ({"size_greater_than": "8589934592", "size_greater_than_unit": "GiB"},
     "Only objects larger than (GiB) must be at most 8,589,934,591."),
    ({"size_greater_than": "5", "size_greater_than_unit": "TiB"},
     "Rule “r”: the unit of “Only objects larger than” must be one of bytes, KiB, MiB, GiB, not “TiB”."),
    ({"size_greater_than": "1", "size_greater_than_unit": "MiB", "size_less_than": "1024",
      "size_less_than_unit": "KiB"},
     "Rule “r”: no object is larger than 1,048,576 bytes and smaller than 1,048,576 bytes, so the rule would "
     "match nothing; “Only objects smaller than” must be above “Only objects larger than” (by more than one "
     "byte)."),
    ({"size_greater_than": "10", "size_less_than": "5"}, "no object is larger than 10 bytes and smaller than 5"),
    ({"size_greater_than": "5", "size_less_than": "6"}, "no object is larger than 5 bytes and smaller than 6"),
])
def test_a_size_the_endpoint_should_not_get_is_a_400_naming_the_field(login, editor, aws_bucket, fields, message):
    connection, bucket = aws_bucket
    response = _post(login(editor), connection, bucket, _rules(id="r", expiration_days="30", **fields))
    body = response.content.decode()
    assert response.status_code == 400 and message in body, body[:3000]
    assert gateway.lifecycle_get(connection, bucket) is None
    # What was typed stays in the form.
    typed = fields.get("size_greater_than") or fields.get("size_less_than")
    assert f'value="{typed}"' in body


def test_a_size_alone_is_a_rule_that_needs_an_action_not_a_blank_row(login, editor, aws_bucket):
    connection, bucket = aws_bucket
    response = _post(login(editor), connection, bucket, _rules(size_less_than="10"))
    assert response.status_code == 400 and "Rule 1: choose at least one action." in response.content.decode()


def test_the_smallest_ranges_that_match_something_are_accepted():
    shape = bucket_settings.shape_for(SimpleNamespace(provider="aws", region="us-east-1"), "general-purpose", "b")

    def parse(**fields):
        data = QueryDict(mutable=True)
        data.update(_rules(expiration_days="1", **fields))
        return bucket_settings.lifecycle_parse(data, shape)["rules"][0]

    rule = parse(size_greater_than="5", size_less_than="7")
    assert (rule["size_greater_than"], rule["size_less_than"]) == (5, 7)
    assert bucket_settings.lifecycle_s3_filter(rule) == {"And": {"ObjectSizeGreaterThan": 5, "ObjectSizeLessThan": 7}}
    rule = parse(size_less_than="1")  # the empty objects only
    assert bucket_settings.lifecycle_s3_filter(rule) == {"ObjectSizeLessThan": 1}
    rule = parse(size_greater_than="8589934591", size_greater_than_unit="GiB")
    assert rule["size_greater_than"] == 8589934591 * GiB <= 2**63 - 1


SIZE_TEXT = st.one_of(
    st.sampled_from(["", " ", "0", "1", "-1", "1.5", "1e3", "①", "٣", "３", "9" * 19, "9" * 30, "1" * 5000,
                     "<b>1</b>", "\x00", "0x10", " 7 ", "1024", "1048576"]),
    st.integers(min_value=-10, max_value=2**64).map(str),
    st.text(max_size=20),
)
UNIT_TEXT = st.one_of(st.sampled_from(["", "B", "KiB", "MiB", "GiB", "TiB", "kib", "\x00", "B B"]),
                      st.text(max_size=8))


def test_no_size_or_unit_makes_a_server_error_and_what_is_accepted_is_what_is_sent(login, editor, aws_bucket):
    connection, bucket = aws_bucket
    client = login(editor)
    answers: set[int] = set()

    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(above=SIZE_TEXT, above_unit=UNIT_TEXT, below=SIZE_TEXT, below_unit=UNIT_TEXT)
    def post(above: str, above_unit: str, below: str, below_unit: str) -> None:
        data = _rules(id="fuzz", prefix="f/", expiration_days="3", size_greater_than=above,
                      size_greater_than_unit=above_unit, size_less_than=below, size_less_than_unit=below_unit)
        response = _post(client, connection, bucket, data)
        body = response.content.decode(errors="replace")
        assert response.status_code in (302, 400), (data, body[:2000])
        answers.add(response.status_code)
        if response.status_code == 302:
            flt = gateway.client(connection).get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]["Filter"]
            both = flt.get("And", flt)
            for typed, unit, s3_name in ((above, above_unit, "ObjectSizeGreaterThan"),
                                         (below, below_unit, "ObjectSizeLessThan")):
                if not typed.strip():
                    assert s3_name not in both, (data, flt)
                    continue
                factor = {"": 1, "B": 1, "KiB": KiB, "MiB": MiB, "GiB": GiB}[unit.strip()]
                assert both[s3_name] == int(typed) * factor, (data, flt)

    post()
    assert answers == {302, 400}


# --- where the provider ignores or offers no size filters ---------------------------------------


def test_a_size_filter_is_refused_for_ceph_rgw_with_the_reason_and_nothing_is_written(login, editor,
                                                                                      ceph_on_moto):
    connection, bucket = ceph_on_moto
    response = _post(login(editor), connection, bucket, SIZE_RULE)
    body = response.content.decode()
    assert response.status_code == 400
    assert f"Rule “big-only”: {CEPH_REFUSAL} Remove the size from this rule (filter by prefix instead)." in body
    assert gateway.lifecycle_get(connection, bucket) is None


def test_the_preview_of_such_a_draft_is_refused_too_with_the_reason(login, editor, ceph_on_moto):
    connection, bucket = ceph_on_moto
    response = login(editor).post(reverse("lifecycle_preview_start", args=[connection.pk, bucket]),
                                  {"source": "draft", **SIZE_RULE})
    body = response.content.decode()
    assert response.status_code == 400 and "The rules cannot be previewed" in body and CEPH_REFUSAL in body
    assert not Job.objects.exists()


def test_ceph_rgw_shows_the_size_inputs_disabled_with_the_reason(login, editor, ceph_on_moto):
    connection, bucket = ceph_on_moto
    section = _management(login(editor), connection, bucket)
    inputs = _size_inputs(section)
    assert len(inputs) == 2 and all(" disabled" in i and 'aria-describedby="lc-size-refused"' in i for i in inputs)
    assert f'<p class="help constraint" id="lc-size-refused">No object size filters: {CEPH_REFUSAL}</p>' in section


def test_a_saved_ceph_rule_with_a_size_says_saving_drops_it(login, editor, ceph_on_moto):
    connection, bucket = ceph_on_moto
    gateway.lifecycle_put(connection, bucket, [{"ID": "api", "Status": "Enabled", "Expiration": {"Days": 3},
                                                "Filter": {"And": {"Prefix": "a/", "ObjectSizeGreaterThan": 2048}}}])
    section = _management(login(editor), connection, bucket)
    assert "This rule filters by object size (larger than 2,048 bytes)." in section
    assert "Saving this form writes the rule without the size." in section
    assert 'value="2"' in section and _selected_unit(section, 0, "size_greater_than") == "KiB"


def test_spaces_offers_no_size_inputs_and_refuses_a_forged_one(login, editor, spaces_on_moto):
    connection, bucket = spaces_on_moto
    client = login(editor)
    section = _management(client, connection, bucket)
    assert all(" disabled" in i for i in _size_inputs(section))
    assert SPACES_REFUSAL in section
    response = _post(client, connection, bucket, _rules(id="s", expiration_days="3", size_greater_than="10"))
    assert response.status_code == 400 and f"Rule “s”: {SPACES_REFUSAL}" in response.content.decode()
    assert gateway.lifecycle_get(connection, bucket) is None
    # Without a size the same rule is written.
    assert _post(client, connection, bucket, _rules(id="s", expiration_days="3")).status_code == 302


def test_the_saved_rules_preview_warns_where_spaces_offers_no_size_filters(spaces_on_moto, team, editor):
    from buckets import jobs
    from buckets.jobs import lifecycle_preview

    connection, bucket = spaces_on_moto
    gateway.put_object(connection, bucket, "s/tiny", b"1")
    gateway.lifecycle_put(connection, bucket, [{"ID": "big", "Status": "Enabled", "Expiration": {"Days": 1},
                                                "Filter": {"And": {"Prefix": "s/", "ObjectSizeGreaterThan": 100}}}])
    job = lifecycle_preview.lifecycle_preview_job_create(team=team, user=editor, connection=connection,
                                                         bucket=bucket, source="saved")
    jobs.job_run(job.pk)
    job.refresh_from_db()
    assert job.result["warnings"] == [
        "Rule “big” filters by object size, but DigitalOcean Spaces does not offer size filters in lifecycle "
        "rules: the endpoint may refuse the rule, or ignore the size and apply it to every object under “s/”, "
        "small or large. The preview assumes the worst and counts them all."]
    assert job.result["effects"]["big"]["expire"]["count"]["7"] == 1  # the 1-byte object too


def test_the_behaviour_the_preview_uses_follows_the_catalogue():
    from buckets.jobs.lifecycle_preview import behaviour_for

    assert behaviour_for("aws", "general-purpose").size_filters is True
    assert behaviour_for("ceph", "standard").size_filters is False
    spaces = behaviour_for("digitalocean", "standard")
    assert (spaces.size_filters, spaces.size_filters_offered) == (False, False)
    assert lifecycle.Behaviour().size_filters_offered is True
