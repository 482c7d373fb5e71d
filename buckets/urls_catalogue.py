"""Bucket settings, object settings and the feature availability pages."""

from django.urls import path

from .bucket_settings import SETTINGS
from .views import features, settings

bucket = "c/<int:connection_id>/b/<str:bucket>/"
connection = "c/<int:connection_id>/"

urlpatterns = [
    path(bucket + "settings/", settings.bucket_settings_page, name="bucket_settings"),
    # One view for every setting; the registry names each one's path (before the group
    # pattern below, which would otherwise take "settings/cors/" for a group).
    *[
        path(bucket + s.path, settings.setting, {"feature_id": s.feature_id}, name=s.url_name)
        for s in SETTINGS.values()
    ],
    path(bucket + "settings/<slug:group>/", settings.bucket_settings_page, name="bucket_settings_group"),
    path(bucket + "object-settings/", settings.object_settings, name="object_settings"),
    path(bucket + "features/", features.bucket_features, name="bucket_features"),
    path(connection + "features/", features.connection_features, name="connection_features"),
    path(connection + "features/detect/", features.detect_features, name="detect_features"),
    path(connection + "features/detect/clear/", features.detect_clear, name="detect_clear"),
    path("features/", features.compare_features, name="compare_features"),
]
