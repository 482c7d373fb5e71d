from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from buckets import bucket_settings, catalogue
from buckets.models import Connection


class Command(BaseCommand):
    help = ("Probe one bucket of a connection with read-only calls and show which features the "
            "endpoint answers; --save stores the result as the connection's detected features.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("connection_id", type=int)
        parser.add_argument("bucket")
        parser.add_argument("--save", action="store_true",
                            help="Store the states on the connection (as the Detect button does).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            connection = Connection.objects.get(pk=options["connection_id"])
        except Connection.DoesNotExist as exc:
            raise CommandError(f"no connection {options['connection_id']}") from exc
        try:
            detection = bucket_settings.features_detect(connection=connection,
                                                        bucket=options["bucket"])
        except bucket_settings.DetectionFailed as exc:
            raise CommandError(str(exc)) from exc
        width = max(len(f) for f in catalogue.DETECT_PROBES)
        for feature_id in catalogue.DETECT_PROBES:
            state = detection.states.get(feature_id, "unknown")
            self.stdout.write(f"{feature_id.ljust(width)}  {state.ljust(11)}  "
                              f"{detection.answers.get(feature_id, '')}")
        if options["save"]:
            connection.detected_features = detection.states
            connection.detected_at = timezone.now()
            connection.save(update_fields=["detected_features", "detected_at", "updated_at"])
            self.stdout.write(self.style.SUCCESS(f"Saved on connection “{connection}”."))
