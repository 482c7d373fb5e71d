"""Object Query (S3 Select) through the console, shaped by the catalogue.

What each server proves: moto 5.2 answers `SELECT *` over CSV (the happy path) and 500 to any
WHERE (the endpoint-error path); Ceph RGW 16.2 filters and projects for real in its own
dialect, and answers AWS's `FROM S3Object` with a failure inside the result payload.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from buckets import gateway

CSV = b"name,city,age\nada,London,36\nalan,Wilmslow,41\ngrace,Arlington,85\n"
HEADERLESS = b"1,ada,3\n2,alan,7\n3,grace,9\n4,linus,5\n"


def run(client, conn, bucket, key, **fields):
    data = {"key": key, "sql": "SELECT * FROM S3Object s", "format": "csv", "compression": "NONE",
            "header": "USE", "delimiter": "comma", "quote": '"', "limit": "1000", **fields}
    return client.post(reverse("object_query", args=[conn.pk, bucket]), data)


@pytest.fixture
def contract_bucket(contract_owned):
    from tests.conftest import empty_and_delete, unique_bucket_name

    name = unique_bucket_name("q")
    gateway.create_bucket(contract_owned, name)
    gateway.put_object(contract_owned, name, "people.csv", CSV, content_type="text/csv")
    yield name
    empty_and_delete(contract_owned, name)


def test_a_query_over_a_csv_object_shows_its_rows_in_a_table(login, viewer, contract_owned, contract_bucket):
    response = run(login(viewer), contract_owned, contract_bucket, "people.csv")
    page = response.content.decode()
    assert response.status_code == 200
    for name in ("ada", "alan", "grace", "Arlington"):
        assert name in page
    assert "3 rows" in page and "Download CSV" in page


def test_the_endpoints_own_sql_error_is_shown_as_it_is(login, viewer, contract_owned, contract_bucket):
    response = run(login(viewer), contract_owned, contract_bucket, "people.csv",
                   sql="SELECT s.name FROM S3Object s WHERE s.age > 40")
    page = response.content.decode()
    assert response.status_code == 200
    assert "The endpoint answered" in page


def test_the_result_pages_and_downloads_as_csv_for_the_team_only(login, viewer, outsider, contract_owned,
                                                                   contract_bucket):
    client = login(viewer)
    rows = "name,n\n" + "".join(f"row{i},{i}\n" for i in range(250))
    gateway.put_object(contract_owned, contract_bucket, "many.csv", rows.encode())
    page = run(client, contract_owned, contract_bucket, "many.csv").content.decode()
    assert "250 rows" in page and "Page 1 of 3" in page
    token = page.split("token=")[1].split("&")[0].split('"')[0]
    second = client.get(reverse("object_query_page", args=[contract_owned.pk, contract_bucket]),
                        {"token": token, "page": "2"}, HTTP_HX_REQUEST="true")
    assert "row100" in second.content.decode() and "row99<" not in second.content.decode()
    download = client.get(reverse("object_query_csv", args=[contract_owned.pk, contract_bucket]), {"token": token})
    assert download["Content-Disposition"].startswith("attachment")
    table = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert len(table) == 251 and table[1] == ["row0", "0"]
    stranger = login(outsider).get(reverse("object_query_csv", args=[contract_owned.pk, contract_bucket]),
                                   {"token": token})
    assert stranger.status_code == 404


@pytest.mark.parametrize("field, value, message", [
    ("limit", "①", "row limit"),
    ("limit", "99999999999999999999", "row limit"),
    ("format", "parquet", "input formats"),
    ("delimiter", "::", "delimiters"),
    ("sql", "", "Write a query"),
])
def test_bad_editor_values_get_a_message_and_never_reach_the_endpoint(login, viewer, contract_owned, contract_bucket,
                                                                       field, value, message):
    response = run(login(viewer), contract_owned, contract_bucket, "people.csv", **{field: value})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_unsupported_buckets_have_no_query_page(login, viewer, make_connection, team, s3_endpoint):
    user_owned = make_connection(team, endpoint=s3_endpoint, provider="ionos", region="de", bucket_type="user-owned")
    response = login(viewer).get(reverse("object_query", args=[user_owned.pk, "any-bucket"]), {"key": "a.csv"})
    assert response.status_code == 404


def test_api_only_shows_a_snippet_in_the_providers_dialect_and_a_forged_post_reaches_no_endpoint(
        login, viewer, make_connection, team):
    # Nothing listens on this port: any S3 call would come back as an endpoint error.
    rgw_like = make_connection(team, endpoint="http://127.0.0.1:9", provider="ceph")
    client = login(viewer)
    page = client.get(reverse("object_query", args=[rgw_like.pk, "data"]), {"key": "logs/2026.csv"}).content.decode()
    assert "available only through" in page
    assert "logs/2026.csv" in page and "from stdin" in page
    snippets = "".join(part.split("</pre>")[0] for part in page.split('class="snippet"')[1:])
    assert "from stdin" in snippets and "S3Object" not in snippets  # no other provider's dialect
    forged = run(client, rgw_like, "data", "logs/2026.csv").content.decode()
    assert "available only through" in forged and "endpoint" not in forged.split("available only through")[0][-200:]
    assert "did not answer" not in forged and "refused" not in forged


@pytest.mark.rgw
def test_rgw_filters_and_projects_a_header_less_csv_in_its_own_dialect(login, viewer, team, rgw_connection,
                                                                        rgw_bucket):
    team.allow_api_only = True
    team.save()
    gateway.put_object(rgw_connection, rgw_bucket, "scores.csv", HEADERLESS, content_type="text/csv")
    response = run(login(viewer), rgw_connection, rgw_bucket, "scores.csv",
                   sql="select _2 from stdin where int(_3) > 6;", header="NONE")
    page = response.content.decode()
    assert response.status_code == 200, page
    assert "API-only at provider" in page
    assert "alan" in page and "grace" in page
    assert "ada" not in page.split("query-table")[-1] and "linus" not in page
    assert "2 rows" in page


@pytest.mark.rgw
def test_rgw_reports_an_aws_dialect_query_as_its_own_failure(login, viewer, team, rgw_connection, rgw_bucket):
    team.allow_api_only = True
    team.save()
    gateway.put_object(rgw_connection, rgw_bucket, "scores.csv", HEADERLESS, content_type="text/csv")
    page = run(login(viewer), rgw_connection, rgw_bucket, "scores.csv", header="NONE").content.decode()
    assert "could not run the query" in page or "The endpoint answered" in page


def test_the_details_panel_links_to_the_query_page_where_it_is_offered(login, viewer, contract_owned, contract_bucket):
    panel = login(viewer).get(reverse("object_detail", args=[contract_owned.pk, contract_bucket]),
                              {"key": "people.csv"}).content.decode()
    assert 'id="query-object"' in panel and reverse("object_query", args=[contract_owned.pk, contract_bucket]) in panel


def test_the_details_panel_has_no_query_link_where_it_is_unsupported(login, viewer, make_connection, team,
                                                                      s3_endpoint):
    from tests.conftest import empty_and_delete, unique_bucket_name

    user_owned = make_connection(team, endpoint=s3_endpoint, provider="ionos", region="de", bucket_type="user-owned")
    name = unique_bucket_name("q")
    gateway.create_bucket(user_owned, name)
    try:
        gateway.put_object(user_owned, name, "people.csv", CSV)
        panel = login(viewer).get(reverse("object_detail", args=[user_owned.pk, name]),
                                  {"key": "people.csv"}).content.decode()
        assert 'id="query-object"' not in panel
    finally:
        empty_and_delete(user_owned, name)
