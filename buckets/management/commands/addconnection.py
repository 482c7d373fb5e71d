"""`manage.py addconnection TEAM NAME --endpoint URL --access-key KEY ...`: an S3 connection
from a shell, with the same checks as the Connections page (endpoint guard, provider,
region, bucket type).

The secret key is read from standard input (`--secret-stdin`, the default when stdin is not
a terminal) or from a file (`--secret-file`), never from an argument: arguments are visible
to every user of the host in the process list and end up in shell histories.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from buckets import audit, gateway
from buckets.forms import ConnectionForm
from buckets.models import AddressingStyle, Grant, SignatureVersion, Team


class Command(BaseCommand):
    help = "Add an S3 connection to a team; the secret key comes from stdin or a file."

    def add_arguments(self, parser):
        parser.add_argument("team", help="The owning team's name.")
        parser.add_argument("name", help="The connection's name, unique in the team.")
        parser.add_argument("--endpoint", required=True, help="https:// URL of the S3 endpoint.")
        parser.add_argument("--access-key", required=True)
        parser.add_argument("--provider", default="generic", help="A catalogue provider id (ionos, digitalocean, aws, minio, ceph, generic).")
        parser.add_argument("--region", default="us-east-1")
        parser.add_argument("--bucket-type", default="", help="For providers with several bucket types (IONOS).")
        parser.add_argument("--addressing-style", default=AddressingStyle.PATH, choices=AddressingStyle.values)
        parser.add_argument("--signature-version", default=SignatureVersion.V4, choices=SignatureVersion.values)
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--secret-file", type=Path, help="Read the secret key from this file (first line).")
        source.add_argument("--secret-stdin", action="store_true", help="Read the secret key from standard input.")
        parser.add_argument("--test", action="store_true", help="List buckets with the new keys before saving.")

    def handle(self, *args, team: str, name: str, **options):
        owner = Team.objects.filter(name__iexact=team.strip()).first()
        if owner is None:
            raise CommandError(f"There is no team {team!r} (manage.py createteam makes one).")
        secret = self.read_secret(options["secret_file"], options["secret_stdin"])
        form = ConnectionForm({
            "name": name, "provider": options["provider"], "region": options["region"],
            "bucket_type": options["bucket_type"], "endpoint_url": options["endpoint"],
            "access_key": options["access_key"], "secret_key": secret,
            "addressing_style": options["addressing_style"], "signature_version": options["signature_version"],
        }, team=owner)
        if not form.is_valid():
            problems = "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items())
            raise CommandError(f"Not added: {problems}")
        connection = form.save(commit=False)
        connection.team = owner
        if options["test"]:
            try:
                buckets = gateway.test_connection(connection)
            except gateway.S3Error as exc:
                raise CommandError(f"Not added: the endpoint answered: {exc}") from None
            self.stdout.write(f"The keys work: {len(buckets)} bucket(s) listed.")
        with transaction.atomic():
            connection.save()
            Grant.objects.create(connection=connection, team=owner)
            audit.record(None, "connection.create", team=owner, connection=connection,
                         provider=connection.provider, via="manage.py addconnection")
        self.stdout.write(self.style.SUCCESS(f"Connection {connection.name!r} (#{connection.pk}) added to {owner.name}."))

    def read_secret(self, path: Path | None, from_stdin: bool) -> str:
        if path is not None:
            try:
                lines = path.read_text().splitlines()
            except OSError as exc:
                raise CommandError(f"Cannot read the secret file: {exc.strerror}") from None
            secret = lines[0].strip() if lines else ""
        elif from_stdin or not sys.stdin.isatty():
            secret = sys.stdin.readline().strip()
        else:
            raise CommandError("Give the secret key on standard input (--secret-stdin) or in a file (--secret-file); never as an argument.")
        if not secret:
            raise CommandError("The secret key is empty.")
        return secret
