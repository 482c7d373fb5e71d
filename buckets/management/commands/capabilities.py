import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from buckets import catalogue


class Command(BaseCommand):
    help = "Print the provider catalogue: every feature's state per provider and bucket type."

    # The catalogue is plain data: running it must work before migrations, or with no
    # database configured at all.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--format", choices=("table", "json"), default="table")
        parser.add_argument(
            "--provider",
            choices=tuple(catalogue.PROVIDERS),
            help="Only this provider (default: all).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        provider_id = options.get("provider")
        if provider_id and provider_id not in catalogue.PROVIDERS:
            # call_command() skips argparse's choices check.
            raise CommandError(f"unknown provider {provider_id!r}")
        if options["format"] == "json":
            data = catalogue.as_json()
            if provider_id:
                data = {provider_id: data[provider_id]}
            self.stdout.write(json.dumps(data, indent=2))
        else:
            self.stdout.write(catalogue.as_table(provider_id), ending="")
