"""SSRF guard for endpoint URLs. No test touches the network: every name goes
through a fake resolver, and the botocore test is stopped before sending."""

import socket

import boto3
import pytest

from buckets.netguard import (
    EndpointRefused,
    check_connect_address,
    install_connect_guard,
    validate_endpoint,
)

PUBLIC = "203.0.113.10"  # documentation range, but treated as the "public" answer
DNS = {
    "s3.example.test": ["93.184.215.14"],
    "s3v6.example.test": ["2606:4700::1111"],
    "metadata.example.test": ["169.254.169.254"],
    "mixed.example.test": ["93.184.215.14", "10.0.0.5"],
    "internal.example.test": ["192.168.1.20"],
    "localhost": ["127.0.0.1", "::1"],
    "minio": ["172.18.0.3"],
}


class FakeResolver:
    def __init__(self, answers):
        self.answers = dict(answers)
        self.calls = []

    def __call__(self, host, port):
        self.calls.append((host, port))
        try:
            return list(self.answers[host])
        except KeyError:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None


@pytest.fixture
def resolver():
    return FakeResolver(DNS)


def refused(url, resolver, **kwargs):
    with pytest.raises(EndpointRefused) as excinfo:
        validate_endpoint(url, resolver=resolver, **kwargs)
    return str(excinfo.value)


# --- accepted -------------------------------------------------------------


def test_https_public_host_ok(resolver):
    assert (
        validate_endpoint("https://s3.example.test", resolver=resolver) == "https://s3.example.test"
    )
    assert resolver.calls == [("s3.example.test", 443)]


@pytest.mark.parametrize(
    "url, expected",
    [
        ("HTTPS://S3.Example.TEST/", "https://s3.example.test"),
        ("  https://s3.example.test:8443  ", "https://s3.example.test:8443"),
        ("https://s3.example.test:443", "https://s3.example.test"),
        ("https://s3v6.example.test", "https://s3v6.example.test"),
        ("https://[2606:4700:0::1111]:9000", "https://[2606:4700::1111]:9000"),
        ("https://8.8.8.8", "https://8.8.8.8"),
        # NAT64 of a public v4 address is public too.
        ("https://[64:ff9b::808:808]", "https://[64:ff9b::808:808]"),
    ],
)
def test_normalisation(url, expected, resolver):
    assert validate_endpoint(url, resolver=resolver) == expected


# --- scheme ---------------------------------------------------------------


def test_http_refused_by_default(resolver):
    assert "https://" in refused("http://s3.example.test", resolver)


def test_http_allowed_for_allowlisted_http_host(resolver):
    url = validate_endpoint(
        "http://s3.example.test:9000",
        allow_http_hosts=["S3.example.test"],
        resolver=resolver,
    )
    assert url == "http://s3.example.test:9000"


def test_http_allowlist_with_port_is_port_specific(resolver):
    hosts = ["s3.example.test:9000"]
    validate_endpoint("http://s3.example.test:9000", allow_http_hosts=hosts, resolver=resolver)
    refused("http://s3.example.test:9001", resolver, allow_http_hosts=hosts)


def test_http_allowlist_does_not_allow_private_addresses(resolver):
    # allow_http_hosts only relaxes the scheme, not the address check.
    refused("http://minio:9000", resolver, allow_http_hosts=["minio"])


@pytest.mark.parametrize(
    "url", ["ftp://s3.example.test", "file:///etc/passwd", "s3.example.test", "//s3.example.test"]
)
def test_other_schemes_refused(url, resolver):
    refused(url, resolver)


# --- private, loopback, metadata ------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.254",
        "192.168.0.1",
        "100.64.0.1",
        "100.100.100.200",  # Alibaba metadata (CGNAT range)
        "127.0.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
    ],
)
def test_private_ipv4_literals_refused(address, resolver):
    refused(f"https://{address}", resolver)


@pytest.mark.parametrize(
    "address",
    [
        "::1",
        "::",
        "fd00::1",
        "fd00:ec2::254",  # AWS metadata over IPv6
        "fe80::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    ],
)
def test_private_ipv6_literals_refused(address, resolver):
    refused(f"https://[{address}]", resolver)


@pytest.mark.parametrize(
    "address",
    ["::1", "fd00::1", "fe80::1%eth0", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "169.254.169.254"],
)
def test_names_resolving_to_private_addresses_refused(address):
    resolver = FakeResolver({"evil.example.test": [address]})
    message = refused("https://evil.example.test", resolver)
    assert "evil.example.test" in message
    # The resolved address is not echoed back: the form must not become an
    # oracle for the internal DNS.
    assert address.split("%")[0] not in message


def test_metadata_dns_name_refused(resolver):
    message = refused("https://metadata.example.test", resolver)
    assert "link-local" in message


def test_one_public_one_private_answer_refused(resolver):
    refused("https://mixed.example.test", resolver)


def test_loopback_refused_unless_allowlisted(resolver):
    refused("https://127.0.0.1:9000", resolver)
    refused("https://localhost:9000", resolver)
    assert (
        validate_endpoint("https://127.0.0.1:9000", allowed_hosts=["127.0.0.1"], resolver=resolver)
        == "https://127.0.0.1:9000"
    )
    assert (
        validate_endpoint(
            "http://localhost:9000",
            allowed_hosts=["localhost"],
            allow_http_hosts=["localhost"],
            resolver=resolver,
        )
        == "http://localhost:9000"
    )


def test_allowlist_is_exact_match(resolver):
    resolver.answers["localhost.example.test"] = ["127.0.0.1"]
    refused("https://localhost.example.test", resolver, allowed_hosts=["localhost"])
    refused("https://127.0.0.1:9001", resolver, allowed_hosts=["127.0.0.1:9000"])
    validate_endpoint("https://127.0.0.1:9000", allowed_hosts=["127.0.0.1:9000"], resolver=resolver)


def test_allowlisted_ipv6_literal(resolver):
    validate_endpoint("https://[::1]:9000", allowed_hosts=["[::1]:9000"], resolver=resolver)
    validate_endpoint("https://[::1]:9000", allowed_hosts=["::1"], resolver=resolver)


def test_allowlist_as_plain_string_is_not_split_into_characters(resolver):
    refused("https://minio", resolver, allowed_hosts="minio-other")
    validate_endpoint("https://minio", allowed_hosts="minio", resolver=resolver)


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "0177.0.0.1", "0x7f000001", "127.1"])
def test_non_standard_ip_notations_refused(host):
    # getaddrinfo would turn these into 127.0.0.1; they are refused before that.
    resolver = FakeResolver({host: ["127.0.0.1"]})
    message = refused(f"https://{host}", resolver)
    assert "notation" in message
    assert resolver.calls == []


# --- URL shape ------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://user:hunter2@s3.example.test",
        "https://user@s3.example.test",
        "https://s3.example.test@169.254.169.254",
    ],
)
def test_userinfo_refused_without_echoing_it(url, resolver):
    message = refused(url, resolver)
    assert "hunter2" not in message and "@" not in message and "169.254" not in message
    assert resolver.calls == []


@pytest.mark.parametrize(
    "url",
    [
        "https://s3.example.test/bucket",
        "https://s3.example.test//",
        "https://s3.example.test?x=1",
        "https://s3.example.test/?",
        "https://s3.example.test#frag",
        "https://s3.example.test:99999",
        "https://s3.example.test:0",
        "https://s3.example.test:abc",
        "https://",
        "https://s3.exa mple.test",
        "https://s3.exa\nmple.test",
        "https://s3.exa\tmple.test",
        "https://s3_bad..example.test",
        "https://[fe80::1%25eth0]",
        "https://[not-an-ip]",
        "",
        "   ",
    ],
)
def test_malformed_urls_refused(url, resolver):
    refused(url, resolver)


def test_unresolvable_refused(resolver):
    message = refused("https://nowhere.example.test", resolver)
    assert "cannot resolve" in message


def test_empty_answer_refused():
    assert "cannot resolve" in refused(
        "https://s3.example.test", FakeResolver({"s3.example.test": []})
    )


def test_allowlisted_but_unresolvable_refused(resolver):
    assert "cannot resolve" in refused("https://typo", resolver, allowed_hosts=["typo"])


# --- connect time ---------------------------------------------------------


def test_dns_rebinding_caught_at_connect_time(resolver):
    assert (
        validate_endpoint("https://s3.example.test", resolver=resolver) == "https://s3.example.test"
    )
    resolver.answers["s3.example.test"] = ["127.0.0.1"]
    with pytest.raises(EndpointRefused):
        check_connect_address("s3.example.test", 443, resolver=resolver)


def test_check_connect_address_accepts_public_and_allowlisted(resolver):
    check_connect_address("s3.example.test", 443, resolver=resolver)
    check_connect_address("LOCALHOST", 9000, allowed_hosts=["localhost"], resolver=resolver)
    check_connect_address("127.0.0.1", 9000, allowed_hosts=["127.0.0.1:9000"], resolver=resolver)
    with pytest.raises(EndpointRefused):
        check_connect_address(
            "127.0.0.1", 9001, allowed_hosts=["127.0.0.1:9000"], resolver=resolver
        )
    with pytest.raises(EndpointRefused):
        check_connect_address("nowhere.example.test", 443, resolver=resolver)


def _client(endpoint="https://s3.example.test"):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="x",
        aws_secret_access_key="y",
        region_name="us-east-1",
    )


class _NoNetwork:
    """Fails the test if botocore gets as far as the HTTP layer."""

    def __init__(self, monkeypatch):
        self.sent = []
        monkeypatch.setattr(
            "botocore.httpsession.URLLib3Session.send",
            lambda _session, request: self.sent.append(request) or pytest.fail("request was sent"),
        )


def test_connect_guard_on_botocore_client(monkeypatch):
    no_network = _NoNetwork(monkeypatch)
    resolver = FakeResolver({"s3.example.test": ["10.0.0.7"]})
    client = _client()
    install_connect_guard(client, [], resolver=resolver)
    with pytest.raises(EndpointRefused):
        client.list_buckets()
    assert resolver.calls == [("s3.example.test", 443)]
    assert no_network.sent == []


def test_connect_guard_checks_bucket_host_and_lets_public_through(monkeypatch):
    no_network = _NoNetwork(monkeypatch)
    resolver = FakeResolver({"s3.example.test": ["93.184.215.14"]})
    client = _client()
    install_connect_guard(client, [], resolver=resolver)
    # Public answer: the guard lets the request reach the (stubbed) HTTP layer.
    with pytest.raises(pytest.fail.Exception):
        client.list_buckets()
    assert len(no_network.sent) == 1


def test_connect_guard_respects_allowlist_and_reinstall(monkeypatch):
    no_network = _NoNetwork(monkeypatch)
    resolver = FakeResolver({"localhost": ["127.0.0.1"]})
    client = _client("http://localhost:9000")
    install_connect_guard(client, [], resolver=resolver)
    with pytest.raises(EndpointRefused):
        client.list_buckets()
    # Installing again replaces the earlier guard rather than stacking on it.
    install_connect_guard(client, ["localhost:9000"], resolver=resolver)
    with pytest.raises(pytest.fail.Exception):
        client.list_buckets()
    assert len(no_network.sent) == 1
