"""Creating a bucket: the form offers the one region the connection's endpoint creates in."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from buckets import catalogue, demo, gateway
from buckets.models import AuditEntry, KnownBucket
from tests.conftest import empty_and_delete, unique_bucket_name


def _offered(html: str) -> tuple[list[tuple[str, str]], list[str], str]:
    """(region value, option text) pairs, the bucket types offered, and the type checked."""
    select = re.search(r'<select id="id_region" name="region">(.*?)</select>', html, re.S).group(1)
    regions = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)
    radios = re.findall(r'<input type="radio" name="bucket_type" value="([^"]+)"( checked)?', html)
    hidden = re.findall(r'<input type="hidden" name="bucket_type" value="([^"]+)"', html)
    types = [value for value, _ in radios] or hidden
    checked = next((value for value, on in radios if on), hidden[0] if hidden else "")
    return regions, types, checked


@pytest.mark.parametrize("spec", demo.DEMO_CONNECTIONS, ids=[s[0] for s in demo.DEMO_CONNECTIONS])
def test_a_bucket_is_created_through_the_form_on_each_demo_connection(login, editor, make_connection, team,
                                                                      s3_endpoint, spec):
    name_, provider, region, bucket_type, _offset, _buckets = spec
    connection = make_connection(team, endpoint=s3_endpoint, provider=provider, region=region,
                                 bucket_type=bucket_type, name=name_)
    client = login(editor)
    regions, types, checked = _offered(client.get(reverse("bucket_create", args=[connection.pk])).content.decode())
    assert [value for value, _ in regions] == [region]
    assert checked == bucket_type and bucket_type in types
    name = unique_bucket_name("demo")
    try:
        response = client.post(reverse("bucket_create", args=[connection.pk]),
                               {"name": name, "region": regions[0][0], "bucket_type": checked})
        assert response.status_code == 302, response.content.decode()[:2000]
        assert name in {b.name for b in gateway.list_buckets(connection)}
        assert KnownBucket.objects.get(connection=connection, name=name).bucket_type == bucket_type
    finally:
        empty_and_delete(connection, name)


def test_the_demo_seeds_and_fills_its_connections_on_moto(db, s3_endpoint, monkeypatch):
    # Point every demo connection at the one test server, as the embedded run points them at three.
    port = int(s3_endpoint.rsplit(":", 1)[1])
    specs = [(n, p, r, t, 0, [unique_bucket_name("seed")]) for n, p, r, t, _o, _b in demo.DEMO_CONNECTIONS]
    monkeypatch.setattr(demo, "DEMO_CONNECTIONS", specs)
    connections = demo.seed(base_port=port)
    try:
        demo.fill(connections)
        listed = {b.name for b in gateway.list_buckets(connections[0])}
        assert {spec[5][0] for spec in specs} <= listed
    finally:
        for connection, spec in zip(connections, specs, strict=True):
            empty_and_delete(connection, spec[5][0])


def test_a_region_the_endpoint_does_not_serve_is_refused_before_any_call(login, editor, contract_owned):
    name = unique_bucket_name()
    response = login(editor).post(reverse("bucket_create", args=[contract_owned.pk]),
                                  {"name": name, "region": "us-central-1", "bucket_type": "contract-owned"})
    html = response.content.decode()
    assert "creates buckets in Berlin (eu-central-3) only" in html
    assert name not in {b.name for b in gateway.list_buckets(contract_owned)}
    assert not AuditEntry.objects.filter(action="bucket.create", bucket=name).exists()


def test_only_the_bucket_types_the_region_holds_are_offered(login, editor, contract_owned, make_connection, team,
                                                            s3_endpoint):
    client = login(editor)
    _, types, checked = _offered(client.get(reverse("bucket_create", args=[contract_owned.pk])).content.decode())
    assert types == ["contract-owned"] and checked == "contract-owned"
    # A region the catalogue does not know holds any type: both are offered.
    unknown = make_connection(team, endpoint=s3_endpoint, provider="ionos", region="xx-test-1")
    _, types, _ = _offered(client.get(reverse("bucket_create", args=[unknown.pk])).content.decode())
    assert types == ["contract-owned", "user-owned"]


def test_the_chosen_bucket_type_is_kept_when_the_form_comes_back_with_an_error(login, editor, make_connection,
                                                                               team, s3_endpoint):
    connection = make_connection(team, endpoint=s3_endpoint, provider="ionos", region="xx-test-1")
    html = login(editor).post(reverse("bucket_create", args=[connection.pk]),
                              {"name": "Bad..Name", "region": "xx-test-1", "bucket_type": "user-owned"}).content.decode()
    assert _offered(html)[2] == "user-owned"


def test_the_endpoint_of_a_catalogue_region_decides_the_region_offered():
    got = catalogue.creation_region("ionos", endpoint_url="https://s3.eu-central-4.ionoscloud.com", region="whatever")
    assert got.id == "eu-central-4" and got.bucket_type == "contract-owned"
    got = catalogue.creation_region("ionos", endpoint_url="http://127.0.0.1:9000", region="eu-central-2")
    assert got.id == "eu-central-2"
    got = catalogue.creation_region("generic", endpoint_url="http://127.0.0.1:9000", region="zone-a")
    assert (got.id, got.label) == ("zone-a", "zone-a")


@pytest.mark.parametrize("provider_id", list(catalogue.PROVIDERS))
def test_no_region_label_repeats_its_code(login, editor, make_connection, team, s3_endpoint, provider_id):
    client = login(editor)
    for region in catalogue.PROVIDERS[provider_id].regions:
        assert region.label.count(region.id) <= 1, region
        connection = make_connection(team, endpoint=s3_endpoint, provider=provider_id, region=region.id)
        regions, _, _ = _offered(client.get(reverse("bucket_create", args=[connection.pk])).content.decode())
        text = regions[0][1]
        assert text.count(region.id) <= 1, text
        assert f"{region.id} ({region.id})" not in text
