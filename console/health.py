"""`python -m console.health [live|ready]`: the image's HEALTHCHECK, without Django.

A probe every few seconds should not start Django (about a second of CPU each time); this
asks the running gunicorn instead. It sends the first allowed host as Host, so a production
ALLOWED_HOSTS (not localhost) still answers; the health URLs are exempt from the HTTPS
redirect, so plain http on the container's own port is enough.
"""

from __future__ import annotations

import http.client
import os
import sys


def probe(kind: str = "live", timeout: float = 4.0) -> int:
    bind = os.environ.get("CONSOLE_BIND", "127.0.0.1:" + os.environ.get("PORT", "8000"))
    port = int(bind.rsplit(":", 1)[1])
    hosts = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost").split(",") if h.strip()]
    host = hosts[0].lstrip(".") if hosts and hosts[0] != "*" else "localhost"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", f"/health/{kind}/", headers={"Host": host, "Accept": "text/plain"})
        response = connection.getresponse()
        body = response.read(2000).decode("utf-8", "replace")
    except OSError as exc:
        print(f"unreachable: {exc}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    print(body.strip() or response.status)
    return 0 if response.status == 200 else 1


if __name__ == "__main__":
    sys.exit(probe(sys.argv[1] if len(sys.argv) > 1 else "live"))
