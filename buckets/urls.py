from django.urls import include, path

from .views import account, bucketlist, connections, jobs, objects, uploads
from .views import object_edit as object_edit_views
from .views import bulk as bulk_views

bucket = "c/<int:connection_id>/b/<str:bucket>/"

urlpatterns = [
    path("", connections.home, name="home"),
    path("team/switch/", account.switch_team, name="switch_team"),
    path("connections/", connections.connection_list, name="connections"),
    path("connections/new/", connections.connection_create, name="connection_create"),
    path("connections/test/", connections.connection_test_unsaved, name="connection_test_unsaved"),
    path("c/<int:connection_id>/edit/", connections.connection_edit, name="connection_edit"),
    path("c/<int:connection_id>/delete/", connections.connection_delete, name="connection_delete"),
    path("c/<int:connection_id>/test/", connections.connection_test, name="connection_test"),
    path("c/<int:connection_id>/", bucketlist.bucket_list, name="bucket_list"),
    path("c/<int:connection_id>/buckets/new/", bucketlist.bucket_create, name="bucket_create"),
    path("c/<int:connection_id>/buckets/check-name/", bucketlist.bucket_name_check, name="bucket_name_check"),
    path(bucket, objects.browse, name="browse"),
    path(bucket + "delete-bucket/", bucketlist.bucket_delete, name="bucket_delete"),
    path(bucket + "object/", objects.object_detail, name="object_detail"),
    path(bucket + "download/", objects.download, name="download"),
    path(bucket + "preview/", objects.preview, name="preview"),
    path(bucket + "folder/", objects.create_folder, name="create_folder"),
    path(bucket + "upload/", uploads.upload, name="upload"),
    path(bucket + "uploads/start/", uploads.upload_start, name="upload_start"),
    path(bucket + "uploads/<int:job_id>/chunk/", uploads.upload_chunk, name="upload_chunk"),
    path(bucket + "uploads/<int:job_id>/finish/", uploads.upload_finish, name="upload_finish"),
    path(bucket + "uploads/<int:job_id>/discard/", uploads.discard_upload, name="upload_discard"),
    path(bucket + "delete/", objects.delete_objects, name="delete_objects"),
    path(bucket + "share/", objects.share_link, name="share_link"),
    path(bucket + "versions/", objects.versions, name="versions"),
    path(bucket + "versions/delete/", objects.delete_version, name="delete_version"),
    path(bucket + "object/metadata/", object_edit_views.object_metadata, name="object_metadata"),
    path(bucket + "object/retention/", object_edit_views.object_retention, name="object_retention"),
    path(bucket + "bulk/transfer/", bulk_views.bulk_transfer, name="bulk_transfer"),
    path(bucket + "bulk/delete/", bulk_views.bulk_delete, name="bulk_delete"),
    path(bucket + "bulk/zip/", bulk_views.bulk_zip, name="bulk_zip"),
    path(bucket + "empty/", bulk_views.bucket_empty, name="bucket_empty"),
    path(bucket + "multipart/", bulk_views.multipart_uploads, name="multipart_uploads"),
    path(bucket + "multipart/abort/", bulk_views.multipart_abort, name="multipart_abort"),
    path(bucket + "size/", bulk_views.bucket_size, name="bucket_size"),
    path("jobs/", jobs.job_list, name="jobs"),
    path("jobs/<int:job_id>/failures.csv", jobs.job_failures_csv, name="job_failures_csv"),
    path("jobs/<int:job_id>/retry-failed/", jobs.job_retry_failed, name="job_retry_failed"),
    path("jobs/<int:job_id>/", jobs.job_detail, name="job_detail"),
    path("jobs/<int:job_id>/cancel/", jobs.job_cancel, name="job_cancel"),
    path("jobs/<int:job_id>/retry/", jobs.job_retry, name="job_retry"),
    path("jobs/<int:job_id>/discard/", jobs.job_discard, name="job_discard"),
    path("", include("buckets.urls_catalogue")),
    path("", include("buckets.urls_portal")),
]
