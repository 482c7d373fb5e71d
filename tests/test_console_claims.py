"""Every "Console" cell of the feature pages is backed by something the console really does.

For each provider, bucket type and feature whose catalogue state is `console`, there must be
a registered view that does it: a URL name below (checked with reverse() against the URLconf),
or, for a bucket or object setting, a setting of the settings registry that has a form (a
read, parse and write) and whose URL reverses. A claim that maps to nothing fails with its name.
"""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse

from buckets import catalogue
from buckets.bucket_settings import SETTINGS

# Feature id -> the URL names of the views that do it (all of them must exist).
VIEWS: dict[str, tuple[str, ...]] = {
    "bucket_crud": ("bucket_list", "bucket_create", "bucket_delete"),
    "object_crud": ("browse", "upload", "download", "object_detail", "delete_objects"),
    "object_copy": ("bulk_transfer",),
    # Large files upload in parts; unfinished uploads are listed and aborted.
    "multipart_upload": ("upload_start", "upload_part", "upload_finish", "multipart_uploads", "multipart_abort"),
    "presigned_url": ("share_link",),
    # The upload form offers the bucket's encryption choices; downloads take an SSE-C key.
    "object_encryption": ("upload", "upload_start", "download"),
    # The bucket's default retention is a setting (below); one object's retention has its page.
    "object_lock": ("object_retention",),
    "object_query": ("object_query",),
}

# Path arguments tried for a URL name: none, a connection, a connection and a bucket, and one
# more id below a bucket (an upload's job).
_ARGS = ((), (1,), (1, "bucket"), (1, "bucket", 1))


def url_exists(name: str) -> bool:
    for args in _ARGS:
        try:
            reverse(name, args=args)
        except NoReverseMatch:
            continue
        return True
    return False


def backing(feature_id: str) -> list[str]:
    """What backs a console claim for this feature; empty when nothing does."""
    found = []
    setting = SETTINGS.get(feature_id)
    if setting is not None and setting.read and setting.parse and setting.write and url_exists(setting.url_name):
        found.append(f"setting {setting.url_name}")
    names = VIEWS.get(feature_id, ())
    if names and all(url_exists(name) for name in names):
        found += names
    return found


CLAIMS = sorted(
    (provider.id, bucket_type, feature_id)
    for provider in catalogue.PROVIDERS.values()
    for bucket_type, column in provider.matrix.items()
    for feature_id, cell in column.items()
    if cell.state == catalogue.State.CONSOLE
)


def test_the_claims_cover_every_provider_and_the_features_both_documents_call_console() -> None:
    providers = {claim[0] for claim in CLAIMS}
    assert providers == set(catalogue.PROVIDERS)
    assert ("ionos", "contract-owned", "object_query") in CLAIMS
    assert ("digitalocean", "standard", "object_copy") in CLAIMS


def test_a_url_name_that_does_not_exist_backs_nothing() -> None:
    assert not url_exists("no_such_view_anywhere")
    assert url_exists("browse")


@pytest.mark.parametrize(("provider", "bucket_type", "feature_id"), CLAIMS,
                         ids=[f"{p}-{t}-{f}" for p, t, f in CLAIMS])
def test_every_console_cell_is_backed_by_a_registered_view(provider: str, bucket_type: str, feature_id: str) -> None:
    missing = [name for name in VIEWS.get(feature_id, ()) if not url_exists(name)]
    assert backing(feature_id), (
        f"{catalogue.get_provider(provider).label}, {bucket_type}: “{catalogue.FEATURES[feature_id].label}” "
        f"({feature_id}) says Console, but no view does it"
        + (f" (missing URL names: {', '.join(missing)})" if missing else " (no view or settings form maps to it)"))
