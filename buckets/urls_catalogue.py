"""Bucket settings, object settings and the feature availability pages."""

from django.urls import path

from .views import features, settings

bucket = "c/<int:connection_id>/b/<str:bucket>/"
connection = "c/<int:connection_id>/"

_setting_views = {
    "versioning": settings.versioning,
    "bucket_tagging": settings.bucket_tagging,
    "bucket_encryption": settings.bucket_encryption,
    "access_logging": settings.access_logging,
    "object_lock": settings.object_lock,
    "request_payment": settings.request_payment,
    "website": settings.website,
    "block_public_access": settings.block_public_access,
    "bucket_policy": settings.bucket_policy,
    "object_ownership": settings.object_ownership,
    "bucket_acl": settings.bucket_acl,
    "cors": settings.cors,
    "lifecycle": settings.lifecycle,
    "replication": settings.replication,
}
_not_offered = ("notifications", "accelerate", "inventory", "metrics", "analytics", "object_query")

urlpatterns = [
    path(bucket + "settings/", settings.bucket_settings_page, name="bucket_settings"),
    *[
        path(f"{bucket}settings/{feature_id.replace('_', '-')}/", view, name=f"settings_{feature_id}")
        for feature_id, view in _setting_views.items()
    ],
    *[
        path(f"{bucket}settings/{feature_id.replace('_', '-')}/", settings.not_offered,
             {"feature_id": feature_id}, name=f"settings_{feature_id}")
        for feature_id in _not_offered
    ],
    path(bucket + "settings/<slug:group>/", settings.bucket_settings_page, name="bucket_settings_group"),
    path(bucket + "object-settings/", settings.object_settings, name="object_settings"),
    path(bucket + "object-settings/tags/", settings.object_tagging, name="settings_object_tagging"),
    path(bucket + "object-settings/acl/", settings.object_acl, name="settings_object_acl"),
    path(bucket + "object-settings/legal-hold/", settings.legal_hold, name="settings_legal_hold"),
    path(bucket + "features/", features.bucket_features, name="bucket_features"),
    path(connection + "features/", features.connection_features, name="connection_features"),
    path(connection + "features/detect/", features.detect_features, name="detect_features"),
    path(connection + "features/detect/clear/", features.detect_clear, name="detect_clear"),
    path("features/", features.compare_features, name="compare_features"),
]
