"""SSRF protection for user-supplied S3 endpoint URLs.

Users may type any endpoint URL into the console and the server then connects to
it with stored credentials, so an unchecked URL would let them probe the internal
network or the cloud metadata service (169.254.169.254, fd00:ec2::254,
100.100.100.200). Every address a host resolves to has to be public, unless an
administrator explicitly allowlisted the host (e.g. a MinIO on localhost).

Settings come in as arguments, not from Django, so this module can be tested in
isolation and reused by the gateway, forms and management commands alike.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "EndpointRefused",
    "Resolver",
    "check_connect_address",
    "install_connect_guard",
    "system_resolver",
    "validate_endpoint",
]

Resolver = Callable[[str, int], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_DEFAULT_PORTS = {"https": 443, "http": 80}
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_ULA = ipaddress.ip_network("fc00::/7")
_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")
# RFC 1035 labels (plus "_", which container service names use); IDNs arrive
# here already punycoded.
_LABEL = r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?"
_HOSTNAME_RE = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*\.?$")
# No TLD is numeric, so a numeric-looking last label means an IPv4 literal in an
# inet_aton() spelling ("2130706433", "0x7f.1", "0177.0.0.1"). Different stacks
# disagree on what those mean, so refuse them instead of guessing.
_NUMERIC_LABEL_RE = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")

_GUARD_UID = "console-netguard-connect-guard"


class EndpointRefused(ValueError):
    """The endpoint is not allowed. The message is shown to users: it never
    contains the URL's userinfo, credentials or resolved internal addresses."""


def system_resolver(host: str, port: int) -> list[str]:
    """Every TCP address the system resolver returns for ``host``."""
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _normalise_hosts(hosts: Iterable[str]) -> frozenset[str]:
    # A bare string would otherwise be iterated character by character.
    if isinstance(hosts, str):
        hosts = [hosts]
    return frozenset(h.strip().lower() for h in hosts if h and h.strip())


def _host_matches(host: str, port: int, hosts: frozenset[str]) -> bool:
    candidates = {host, f"{host}:{port}"}
    if ":" in host:  # IPv6 literal: accept the bracketed spellings too
        candidates |= {f"[{host}]", f"[{host}]:{port}"}
    return not candidates.isdisjoint(hosts)


def _refusal_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` must not be connected to, or None if it is public."""
    if isinstance(ip, ipaddress.IPv6Address):
        # Translation mechanisms carry an IPv4 address that the network will
        # actually reach, so judge that one.
        if ip.ipv4_mapped is not None:
            return _refusal_reason(ip.ipv4_mapped)
        if ip in _NAT64_WELL_KNOWN:
            return _refusal_reason(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip in _NAT64_LOCAL_USE:
            return "a local-use NAT64 address"
        if ip.sixtofour is not None:
            embedded = _refusal_reason(ip.sixtofour)
            if embedded:
                return embedded
        if ip.teredo is not None:
            return "a Teredo tunnel address"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address (this includes cloud metadata services)"
    if ip.is_multicast:
        return "a multicast address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "a carrier-grade NAT (shared) address"
    if isinstance(ip, ipaddress.IPv6Address) and ip in _ULA:
        return "a unique local (private) address"
    if ip.is_private:
        return "a private network address"
    if ip.is_reserved:
        return "a reserved address"
    if not ip.is_global:
        return "an address that is not publicly routable"
    return None


def _parse_ip(value: str) -> IPAddress | None:
    # getaddrinfo appends "%scope" to IPv6 link-local answers.
    try:
        return ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        return None


def _resolve(host: str, port: int, resolver: Resolver | None) -> list[IPAddress]:
    literal = _parse_ip(host)
    if literal is not None:
        return [literal]
    try:
        answers = (resolver or system_resolver)(host, port)
    except (OSError, UnicodeError) as exc:  # socket.gaierror is an OSError
        raise EndpointRefused(f"Endpoint host {host!r}: cannot resolve this host name.") from exc
    addresses: list[IPAddress] = []
    for answer in answers or ():
        ip = _parse_ip(str(answer))
        if ip is None:
            # Something we cannot classify must not be trusted either.
            raise EndpointRefused(f"Endpoint host {host!r}: cannot resolve this host name.")
        addresses.append(ip)
    if not addresses:
        raise EndpointRefused(f"Endpoint host {host!r}: cannot resolve this host name.")
    return addresses


def _check_addresses(host: str, addresses: list[IPAddress]) -> None:
    # ANY bad answer refuses: the HTTP stack may pick any of them, and a mixed
    # answer is the classic way to smuggle an internal address past a check.
    for ip in addresses:
        reason = _refusal_reason(ip)
        if reason:
            # Only the category is reported: echoing the address would turn the
            # form into an oracle for the internal DNS.
            raise EndpointRefused(
                f"Endpoint host {host!r} resolves to {reason}, which is not allowed. "
                "If this endpoint is intended, ask an administrator to allowlist it."
            )


def check_connect_address(
    host: str,
    port: int,
    *,
    allowed_hosts: Iterable[str] = (),
    resolver: Resolver | None = None,
) -> None:
    """Refuse ``host:port`` unless it is allowlisted or resolves only to public
    addresses. Repeat this right before connecting: DNS may have changed since
    :func:`validate_endpoint` ran (DNS rebinding)."""
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host:
        raise EndpointRefused("Endpoint URL has no host.")
    if _host_matches(host, port, _normalise_hosts(allowed_hosts)):
        return
    _check_addresses(host, _resolve(host, port, resolver))


def _idna_host(host: str) -> str:
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise EndpointRefused("Endpoint URL has an invalid host name.") from exc


def validate_endpoint(
    url: str,
    *,
    allowed_hosts: Iterable[str] = (),
    allow_http_hosts: Iterable[str] = (),
    resolver: Resolver | None = None,
) -> str:
    """Validate a user-supplied endpoint and return it as ``scheme://host[:port]``.

    Raises :class:`EndpointRefused` with a user-facing message otherwise.
    """
    if not isinstance(url, str) or not url.strip():
        raise EndpointRefused("Enter an endpoint URL, e.g. https://s3.example.com.")
    url = url.strip()
    # urlsplit silently drops tabs/newlines inside a URL; refuse them instead
    # so what is checked is exactly what the user typed.
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise EndpointRefused("Endpoint URL must not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        port_in_url = parts.port
    except ValueError as exc:
        raise EndpointRefused("Endpoint URL is not a valid URL (check the host and port).") from exc

    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise EndpointRefused("Endpoint URL must start with https://.")
    # The message deliberately does not echo the netloc: it holds the secret.
    if "@" in parts.netloc:
        raise EndpointRefused(
            "Endpoint URL must not contain a user name or password; "
            "enter the credentials in their own fields."
        )
    if "?" in url or "#" in url:
        raise EndpointRefused("Endpoint URL must not contain a query (?…) or fragment (#…).")
    if parts.path not in ("", "/"):
        raise EndpointRefused(
            "Endpoint URL must not contain a path; enter only the scheme, host and port, "
            "e.g. https://s3.example.com."
        )

    raw_host = parts.hostname or ""
    if not raw_host:
        raise EndpointRefused("Endpoint URL has no host.")
    ip_literal: IPAddress | None = None
    # Userinfo was refused above, so a leading bracket means an IPv6 literal.
    if parts.netloc.startswith("["):
        ip_literal = _parse_ip(raw_host) if "%" not in raw_host else None
        if not isinstance(ip_literal, ipaddress.IPv6Address):
            raise EndpointRefused("Endpoint URL has an invalid IPv6 address.")
        host = ip_literal.compressed
        netloc_host = f"[{host}]"
    else:
        host = _idna_host(raw_host.lower())
        if not _HOSTNAME_RE.match(host):
            raise EndpointRefused("Endpoint URL has an invalid host name.")
        ip_literal = _parse_ip(host)
        if ip_literal is None and _NUMERIC_LABEL_RE.match(host.rstrip(".").rsplit(".", 1)[-1]):
            raise EndpointRefused(
                "Endpoint URL uses a non-standard IP address notation; "
                "write IPv4 addresses as four decimal numbers, e.g. 203.0.113.10."
            )
        netloc_host = host

    if port_in_url == 0:
        raise EndpointRefused("Endpoint URL has an invalid port.")
    port = port_in_url or _DEFAULT_PORTS[scheme]

    allowed = _normalise_hosts(allowed_hosts)
    if scheme == "http" and not _host_matches(host, port, _normalise_hosts(allow_http_hosts)):
        raise EndpointRefused(
            "Endpoint URL must use https://; plain http:// is only allowed for hosts "
            "an administrator has allowlisted."
        )

    # Resolve even allowlisted hosts so a typo gets a clear message now rather
    # than a connection error later.
    addresses = _resolve(host, port, resolver)
    if not _host_matches(host, port, allowed):
        _check_addresses(host, addresses)

    netloc = netloc_host
    if port_in_url is not None and port_in_url != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc_host}:{port_in_url}"
    return f"{scheme}://{netloc}"


def install_connect_guard(
    client: Any,
    allowed_hosts: Iterable[str] = (),
    *,
    resolver: Resolver | None = None,
) -> None:
    """Re-check the destination of every request ``client`` (a botocore S3
    client) sends, right before it is sent.

    Redirects cannot take a request elsewhere unchecked: botocore's HTTP layer
    calls urllib3 with ``Retry(False)``, so 3xx responses are returned rather
    than followed; the gateway removes botocore's S3 region redirector and turns
    every 3xx into an error, and retries go through ``before-send`` again. Virtual-hosted
    addressing sends to ``bucket.<endpoint host>``; that full host is what gets
    checked, so allowlisted endpoints should use path-style addressing.

    Limit: urllib3 resolves the name once more when it connects, so a DNS server
    that alternates answers within milliseconds can still win; this narrows the
    rebinding window to the time between the two lookups, it does not pin the
    address. Calling this again on the same client replaces the earlier guard.
    """
    allowed = _normalise_hosts(allowed_hosts)

    def _guard(request: Any, **_kwargs: Any) -> None:
        try:
            parts = urlsplit(request.url)
            port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower(), 443)
        except ValueError as exc:
            raise EndpointRefused("Endpoint URL is not a valid URL.") from exc
        check_connect_address(parts.hostname or "", port, allowed_hosts=allowed, resolver=resolver)
        # Returning None lets botocore send the request normally.

    events = client.meta.events
    events.unregister("before-send.s3", unique_id=_GUARD_UID)
    events.register("before-send.s3", _guard, unique_id=_GUARD_UID)
