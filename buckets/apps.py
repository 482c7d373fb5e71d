from django.apps import AppConfig


class BucketsConfig(AppConfig):
    name = "buckets"
    verbose_name = "S3 console"
    default_auto_field = "django.db.models.BigAutoField"
