from django.apps import AppConfig


class BucketsConfig(AppConfig):
    name = "buckets"
    verbose_name = "S3 console"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Raises Django's 1 KiB limit on a form part's headers, so a file name as long as a key
        # can be sent (buckets/formparse.py).
        from . import formparse  # noqa: F401
