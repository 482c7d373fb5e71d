"""SSRF: the connection form and the connect-time guard refuse internal endpoints.

Names resolve through a fake resolver (`buckets.netguard.system_resolver` is replaced),
and the real resolver and every outbound connect are shut for the duration: a test that
went wrong fails loudly instead of sending a packet anywhere but 127.0.0.1.
"""

from __future__ import annotations

import re
import socket

import pytest
from django.urls import reverse

from buckets import gateway, netguard
from buckets.models import Connection

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.215.14"
DNS = {
    "s3.public.test": [PUBLIC],
    "metadata.test": ["169.254.169.254"],
    "private10.test": ["10.1.2.3"],
    "private172.test": ["172.16.5.4"],
    "private192.test": ["192.168.1.20"],
    "cgnat.test": ["100.64.1.1"],
    "loopback.test": ["127.0.0.1"],
    "localhost": ["127.0.0.1", "::1"],
    "mapped.test": ["::ffff:169.254.169.254"],
    "mapped-private.test": ["::ffff:10.0.0.1"],
    "ula.test": ["fd00:ec2::254"],
    "mixed.test": [PUBLIC, "10.0.0.5"],
    "minio.internal.test": ["10.0.0.9"],
}
SECRET = "do-not-echo-this-secret-8f2c"


@pytest.fixture
def dns(monkeypatch):
    """A mutable fake DNS; nothing else may resolve or connect except loopback."""
    answers = {k: list(v) for k, v in DNS.items()}
    lookups: list[str] = []

    def fake_resolver(host, port):
        lookups.append(host)
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(answers[host])

    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def guarded_getaddrinfo(host, *args, **kwargs):
        if host not in {"127.0.0.1", "localhost", "::1", None}:
            raise AssertionError(f"real DNS lookup of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def guarded_connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in {"127.0.0.1", "::1"}:
            raise AssertionError(f"connect to {address!r}")
        return real_connect(sock, address)

    monkeypatch.setattr(netguard, "system_resolver", fake_resolver)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    fake_resolver.answers = answers
    fake_resolver.lookups = lookups
    return fake_resolver


@pytest.fixture
def no_allowlist(settings):
    settings.CONSOLE_ENDPOINT_ALLOWLIST = []


def form_data(endpoint: str, **overrides) -> dict:
    data = {"name": "Endpoint", "provider": "generic", "region": "us-east-1", "bucket_type": "",
            "endpoint_url": endpoint, "access_key": "AKIAEXAMPLEKEY01", "secret_key": SECRET,
            "addressing_style": "path", "signature_version": "s3v4"}
    data.update(overrides)
    return data


REFUSED = [
    ("http://s3.public.test", "must use https"),
    ("https://169.254.169.254", "link-local"),
    ("https://metadata.test", "link-local"),
    ("https://private10.test", "private"),
    ("https://private172.test", "private"),
    ("https://private192.test", "private"),
    ("https://cgnat.test", "carrier-grade NAT"),
    ("https://100.100.100.200", "carrier-grade NAT"),
    ("https://loopback.test", "loopback"),
    ("https://127.0.0.1:9000", "loopback"),
    ("https://localhost", "loopback"),
    ("https://[::1]", "loopback"),
    ("https://[::ffff:127.0.0.1]", "loopback"),
    ("https://[::ffff:169.254.169.254]", "link-local"),
    ("https://mapped.test", "link-local"),
    ("https://mapped-private.test", "private"),
    ("https://ula.test", "unique local"),
    ("https://[fd00:ec2::254]", "unique local"),
    ("https://mixed.test", "private"),
    ("https://0x7f.1", "non-standard IP address"),
    ("https://2130706433", "non-standard IP address"),
    ("https://nowhere.test", "cannot resolve"),
    ("ftp://s3.public.test", "https"),
    ("https://user:hunter2@s3.public.test", "user name or password"),
]


@pytest.mark.parametrize("endpoint, reason", REFUSED, ids=[e for e, _ in REFUSED])
def test_the_connection_form_refuses_internal_endpoints(login, admin, dns, no_allowlist, endpoint, reason):
    response = login(admin).post(reverse("connection_create"), form_data(endpoint))
    html = response.content.decode()
    assert response.status_code == 200
    assert reason in html
    assert not Connection.objects.exists()
    assert SECRET not in html
    errors = " ".join(re.findall(r'<div class="error-text">(.*?)</div>', html))
    assert reason in errors and "hunter2" not in errors
    # The message names a category, never the internal address it found.
    for hidden in ("10.1.2.3", "10.0.0.5", "172.16.5.4", "192.168.1.20"):
        assert hidden not in html


def test_testing_unsaved_values_refuses_internal_endpoints_before_any_request(login, admin, dns, no_allowlist):
    response = login(admin).post(reverse("connection_test_unsaved"), form_data("https://metadata.test"),
                                 headers={"HX-Request": "true"})
    assert "link-local" in response.content.decode()


def test_a_public_https_endpoint_is_accepted(login, admin, dns, no_allowlist):
    response = login(admin).post(reverse("connection_create"), form_data("https://s3.public.test"))
    assert response.status_code == 302
    assert Connection.objects.get().endpoint_url == "https://s3.public.test"
    assert "s3.public.test" in dns.lookups


def test_an_allowlisted_internal_host_may_use_http(login, admin, dns, settings):
    settings.CONSOLE_ENDPOINT_ALLOWLIST = ["minio.internal.test"]
    response = login(admin).post(reverse("connection_create"), form_data("http://minio.internal.test:9000"))
    assert response.status_code == 302
    assert Connection.objects.get().endpoint_url == "http://minio.internal.test:9000"


def test_loopback_is_refused_once_it_is_not_allowlisted(login, admin, dns, no_allowlist):
    response = login(admin).post(reverse("connection_create"), form_data("http://127.0.0.1:7480"))
    assert "must use https" in response.content.decode()
    response = login(admin).post(reverse("connection_create"), form_data("https://127.0.0.1:7480"))
    assert "loopback" in response.content.decode()


@pytest.mark.parametrize("rebound", ["10.0.0.5", "169.254.169.254", "::ffff:127.0.0.1", "100.64.0.1"])
def test_the_connect_time_guard_refuses_after_dns_rebinding(login, admin, dns, no_allowlist, rebound, monkeypatch):
    client = login(admin)
    client.post(reverse("connection_create"), form_data("https://s3.public.test", name=f"rebind {rebound}"))
    connection = Connection.objects.get()
    gateway._clients.clear()
    sent = []
    monkeypatch.setattr("botocore.endpoint.Endpoint._send", lambda *a, **k: sent.append(a) or None)
    dns.answers["s3.public.test"] = [rebound]  # the attacker's DNS now points inside
    response = client.post(reverse("connection_test", args=[connection.pk]), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "not allowed" in html
    assert sent == []
    assert rebound not in html
    with pytest.raises(gateway.Refused):
        gateway.list_buckets(connection)
    assert sent == []


def test_the_guard_rechecks_every_request_not_just_the_first(admin, make_connection, team, dns, no_allowlist, monkeypatch):
    connection = make_connection(team, endpoint="https://s3.public.test", secret_key=SECRET)
    gateway._clients.clear()
    sent = []

    def fake_send(self, request):
        sent.append(request.url)
        raise gateway.Unavailable("stopped before the network")

    monkeypatch.setattr("botocore.endpoint.Endpoint._send", fake_send)
    with pytest.raises(gateway.S3Error):
        gateway.list_buckets(connection)
    assert len(sent) == 1  # public answer: the guard let it through (and the fake stopped it)
    dns.answers["s3.public.test"] = ["10.0.0.5"]
    with pytest.raises(gateway.Refused):
        gateway.list_buckets(connection)
    assert len(sent) == 1
