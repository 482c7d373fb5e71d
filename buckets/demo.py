"""The demo workspace of the embedded run: a team, the demo user, three connections."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from . import gateway
from .models import Connection, Grant, KnownBucket, Membership, Role, Team

DEMO_CONNECTIONS = [
    # name, provider, region, bucket_type, port offset, buckets
    ("IONOS Berlin (contract-owned)", "ionos", "eu-central-3", "contract-owned", 0, ["reports-2026", "media-assets"]),
    # "de" is the catalogue's id for Frankfurt: the region the bucket-create form offers, and the
    # one LocationConstraint a Frankfurt endpoint accepts.
    ("IONOS Frankfurt (user-owned)", "ionos", "de", "user-owned", 1, ["team-backups", "website"]),
    ("DigitalOcean Spaces NYC3", "digitalocean", "nyc3", "standard", 2, ["spaces-static", "uploads"]),
]

DEMO_OBJECTS = {
    "README.txt": b"Welcome to the S3 console demo. Browse folders, upload files, download them.\n",
    "docs/guide.md": b"# Guide\n\nThis is a Markdown file in a folder.\n",
    "docs/2026/q1 report.csv": b"month,revenue\njan,100\nfeb,120\nmar,140\n",
    "images/logo.svg": b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
    "odd keys/a+b c%20#?.txt": b"a key with characters that need escaping\n",
}


@transaction.atomic
def seed(*, s3_host: str = "127.0.0.1", base_port: int = 9101) -> list[Connection]:
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username="demo", defaults={"email": "demo@example.test"})
    if created:
        user.set_password("demo")
        user.save()
    team, _ = Team.objects.get_or_create(name="Demo team")
    Membership.objects.update_or_create(user=user, team=team, defaults={"role": Role.ADMIN})
    connections = []
    for name, provider, region, bucket_type, offset, _buckets in DEMO_CONNECTIONS:
        connection, _ = Connection.objects.update_or_create(
            team=team,
            name=name,
            defaults={
                "provider": provider,
                "region": region,
                "bucket_type": bucket_type,
                "endpoint_url": f"http://{s3_host}:{base_port + offset}",
                "access_key": "demo-access-key",
                "secret_key": "demo-secret-key",
                "addressing_style": "path",
                "created_by": user,
            },
        )
        Grant.objects.get_or_create(connection=connection, team=team)
        connections.append(connection)
    return connections


def fill(connections: list[Connection]) -> None:
    """Create the demo buckets and objects on the embedded S3 servers (idempotent)."""
    for connection, spec in zip(connections, DEMO_CONNECTIONS, strict=True):
        existing = {b.name for b in gateway.list_buckets(connection)}
        for bucket in spec[5]:
            if bucket not in existing:
                gateway.create_bucket(connection, bucket, region=connection.region)
            KnownBucket.objects.get_or_create(connection=connection, name=bucket, defaults={"bucket_type": spec[3]})
            for key, body in DEMO_OBJECTS.items():
                content_type = "text/plain" if key.endswith((".txt", ".md", ".csv")) else "image/svg+xml"
                gateway.put_object(connection, bucket, key, body, content_type=content_type)
