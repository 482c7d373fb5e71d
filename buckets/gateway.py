"""The one place that talks to S3: builds boto3 clients and translates their errors.

No other module imports boto3 or botocore. Every function takes an endpoint description
(a `Connection` or anything with the same attributes) and raises only `S3Error`
subclasses, whose messages are safe to show to a user: they never contain keys.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
    SSLError,
)
from django.conf import settings

from .netguard import EndpointRefused, install_connect_guard


class Endpoint(Protocol):
    pk: Any
    endpoint_url: str
    region: str
    access_key: str
    secret_key: str
    addressing_style: str
    signature_version: str


# --- errors -------------------------------------------------------------------------


class S3Error(Exception):
    """An S3 call failed; `str(error)` is a message for the user."""

    status = 502

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class NotFound(S3Error):
    status = 404


class AccessDenied(S3Error):
    status = 403


class InvalidCredentials(S3Error):
    status = 403


class NotImplementedByProvider(S3Error):
    status = 501


class Unavailable(S3Error):
    status = 503


class Invalid(S3Error):
    status = 400


class Conflict(S3Error):
    status = 409


class Refused(S3Error):
    """The console itself refused the endpoint (SSRF guard)."""

    status = 400


NOT_FOUND_CODES = {"NoSuchBucket", "NoSuchKey", "NotFound", "404", "NoSuchUpload", "NoSuchVersion"}
DENIED_CODES = {"AccessDenied", "403", "AllAccessDisabled", "AccountProblem"}
CREDENTIAL_CODES = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "InvalidSecurity",
    "AuthorizationHeaderMalformed",
}
NOT_IMPLEMENTED_CODES = {"NotImplemented", "501", "MethodNotAllowed", "405", "UnsupportedOperation"}
# The "nothing configured" answers of the GET subresource calls.
NOT_CONFIGURED_CODES = {
    "NoSuchCORSConfiguration",
    "NoSuchLifecycleConfiguration",
    "NoSuchBucketPolicy",
    "NoSuchTagSet",
    "NoSuchTagSetError",
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchWebsiteConfiguration",
    "ReplicationConfigurationNotFoundError",
    "ObjectLockConfigurationNotFoundError",
    "NoSuchPublicAccessBlockConfiguration",
    "OwnershipControlsNotFoundError",
    "NoSuchObjectLockConfiguration",
}
CONFLICT_CODES = {"BucketNotEmpty", "BucketAlreadyExists", "BucketAlreadyOwnedByYou", "OperationAborted"}


def translate(exc: Exception, *, what: str = "", feature_call: bool = False) -> S3Error:
    """Turn a botocore exception into one of ours, with a message a user can act on."""
    subject = f" ({what})" if what else ""
    if isinstance(exc, S3Error):
        return exc
    if isinstance(exc, EndpointRefused):
        return Refused(str(exc))
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        message = str(error.get("Message", "") or "")
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if code in NOT_FOUND_CODES or (status == 404 and not feature_call):
            if code == "NoSuchBucket":
                return NotFound(f"The bucket does not exist (any more){subject}.", code=code)
            return NotFound(f"Not found{subject}.", code=code or "404")
        if code in CREDENTIAL_CODES:
            return InvalidCredentials(
                "The endpoint rejected the access key or secret key "
                f"({code}). Check the connection's credentials.",
                code=code,
            )
        if code in DENIED_CODES or status == 403:
            return AccessDenied(f"Access denied by the endpoint{subject}.", code=code or "403")
        if code in NOT_IMPLEMENTED_CODES or status in {405, 501}:
            return NotImplementedByProvider(
                f"This provider does not implement this operation{subject}.", code=code
            )
        if feature_call and status == 400 and code in {"InvalidArgument", "MalformedXML"} and not message:
            # RGW answers unsupported subresources with a bare 400 InvalidArgument, not 501.
            # A server that explains itself (AWS, MinIO, moto) sends a message: that one is
            # a real complaint about the request and is shown as such below.
            return NotImplementedByProvider(
                f"This provider does not implement this operation{subject} (it answered {code}).",
                code=code,
            )
        if code in CONFLICT_CODES or status == 409:
            return Conflict(_conflict_message(code, message), code=code)
        if status >= 500:
            return Unavailable(
                f"The endpoint answered {status} {code or 'server error'}{subject}; try again shortly.",
                code=code,
            )
        return Invalid(f"The endpoint refused the request{subject}: {message or code}.", code=code)
    if isinstance(exc, SSLError):
        return Unavailable("TLS handshake with the endpoint failed (certificate or protocol error).")
    if isinstance(exc, ConnectTimeoutError):
        return Unavailable("The endpoint did not answer in time (connection timed out).")
    if isinstance(exc, ReadTimeoutError):
        return Unavailable("The endpoint accepted the connection but did not answer in time.")
    if isinstance(exc, EndpointConnectionError):
        return Unavailable("Could not connect to the endpoint (refused or unreachable).")
    if isinstance(exc, NoCredentialsError):
        return InvalidCredentials("The connection has no credentials.")
    if isinstance(exc, BotoCoreError):
        return Unavailable(f"The request to the endpoint failed: {type(exc).__name__}.")
    if isinstance(exc, OSError):
        return Unavailable("The connection to the endpoint failed.")
    raise exc


def _conflict_message(code: str, message: str) -> str:
    return {
        "BucketNotEmpty": "The bucket is not empty. Delete its objects (and versions) first.",
        "BucketAlreadyExists": "That bucket name is taken (names are global on this endpoint).",
        "BucketAlreadyOwnedByYou": "You already own a bucket with that name.",
    }.get(code, message or code)


# --- clients --------------------------------------------------------------------------

_clients: dict[tuple, Any] = {}
_clients_lock = threading.Lock()


def _cache_key(conn: Endpoint, fast: bool) -> tuple:
    secret_digest = hashlib.sha256(f"{conn.access_key}\0{conn.secret_key}".encode()).hexdigest()
    return (
        conn.endpoint_url,
        conn.region,
        conn.addressing_style,
        conn.signature_version,
        secret_digest,
        fast,
    )


def client(conn: Endpoint, *, fast: bool = False) -> Any:
    """A boto3 S3 client for this endpoint, cached per process.

    `fast` is for interactive checks ("Test connection"): one attempt, short timeouts.
    """
    if not conn.access_key or not conn.secret_key:
        # Without explicit keys boto3 would fall back to the server's own credentials.
        raise InvalidCredentials("The connection has no access key or secret key.")
    key = _cache_key(conn, fast)
    with _clients_lock:
        cached = _clients.get(key)
    if cached is not None:
        return cached
    config = Config(
        region_name=conn.region or "us-east-1",
        signature_version=conn.signature_version or "s3v4",
        s3={"addressing_style": conn.addressing_style or "path"},
        connect_timeout=2.5 if fast else settings.S3_CONNECT_TIMEOUT,
        read_timeout=6 if fast else settings.S3_READ_TIMEOUT,
        # total_max_attempts counts the first try; plain max_attempts would not.
        retries={"mode": "standard", "total_max_attempts": 1 if fast else settings.S3_MAX_ATTEMPTS},
        # Many S3-compatible stores reject or mishandle boto3's default CRC checksums.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        max_pool_connections=20,
        user_agent_extra="s3-console",
    )
    session = boto3.session.Session()
    new = session.client(
        "s3",
        endpoint_url=conn.endpoint_url,
        aws_access_key_id=conn.access_key,
        aws_secret_access_key=conn.secret_key,
        config=config,
    )
    install_connect_guard(new, settings.CONSOLE_ENDPOINT_ALLOWLIST)
    with _clients_lock:
        _clients[key] = new
    return new


def call(conn: Endpoint, method: str, *, what: str = "", feature_call: bool = False, fast: bool = False, **params: Any) -> Any:
    """Run one client method with our error translation."""
    try:
        return getattr(client(conn, fast=fast), method)(**params)
    except S3Error:
        raise
    except Exception as exc:  # noqa: BLE001 - translate() re-raises what it does not know
        raise translate(exc, what=what, feature_call=feature_call) from exc


def get_config(conn: Endpoint, method: str, *, what: str = "", **params: Any) -> dict | None:
    """A GET of a bucket subresource; None when nothing is configured."""
    try:
        return getattr(client(conn), method)(**params)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in NOT_CONFIGURED_CODES:
            return None
        raise translate(exc, what=what, feature_call=True) from exc
    except S3Error:
        raise
    except Exception as exc:  # noqa: BLE001
        raise translate(exc, what=what, feature_call=True) from exc


# --- connections and buckets -------------------------------------------------------------


@dataclass
class BucketInfo:
    name: str
    created: datetime | None = None
    region: str = ""


def test_connection(conn: Endpoint) -> list[BucketInfo]:
    """ListBuckets with short timeouts: proves the endpoint and the keys.

    Some servers (Ceph RGW) answer wrong keys with a plain AccessDenied, the same as keys
    that may not list buckets. A bucket that cannot exist tells them apart: valid keys get
    NoSuchBucket, wrong ones AccessDenied again.
    """
    try:
        response = call(conn, "list_buckets", fast=True, what="ListBuckets")
    except AccessDenied:
        try:
            call(conn, "list_objects_v2", fast=True, Bucket="console-probe-0-no-such-bucket", MaxKeys=1)
        except NotFound:
            raise AccessDenied("These keys are valid but may not list buckets.", code="AccessDenied") from None
        except AccessDenied:
            raise InvalidCredentials(
                "The endpoint rejected the access key or secret key (AccessDenied on every "
                "request). Check the connection's credentials.",
                code="AccessDenied",
            ) from None
        raise
    return [BucketInfo(b["Name"], b.get("CreationDate")) for b in response.get("Buckets", [])]


def list_buckets(conn: Endpoint) -> list[BucketInfo]:
    response = call(conn, "list_buckets", what="ListBuckets")
    return [
        BucketInfo(b["Name"], b.get("CreationDate"), b.get("BucketRegion", ""))
        for b in response.get("Buckets", [])
    ]


def head_bucket(conn: Endpoint, bucket: str) -> None:
    call(conn, "head_bucket", Bucket=bucket, what=bucket)


def create_bucket(
    conn: Endpoint,
    name: str,
    *,
    region: str = "",
    object_lock: bool = False,
    acl: str = "",
) -> None:
    # Many servers answer 200 when you re-create your own bucket: ask first.
    try:
        head_bucket(conn, name)
    except NotFound:
        pass
    except AccessDenied:
        raise Conflict(_conflict_message("BucketAlreadyExists", ""), code="BucketAlreadyExists") from None
    else:
        raise Conflict(_conflict_message("BucketAlreadyOwnedByYou", ""), code="BucketAlreadyOwnedByYou")
    region = region or conn.region
    params: dict[str, Any] = {"Bucket": name}
    if region and region != "us-east-1":
        params["CreateBucketConfiguration"] = {"LocationConstraint": region}
    if object_lock:
        params["ObjectLockEnabledForBucket"] = True
    if acl:
        params["ACL"] = acl
    call(conn, "create_bucket", what=name, **params)


def delete_bucket(conn: Endpoint, bucket: str) -> None:
    call(conn, "delete_bucket", Bucket=bucket, what=bucket)


def bucket_is_empty(conn: Endpoint, bucket: str) -> bool:
    response = call(conn, "list_objects_v2", Bucket=bucket, MaxKeys=1, what=bucket)
    if response.get("KeyCount", 0):
        return False
    try:
        versions = call(conn, "list_object_versions", Bucket=bucket, MaxKeys=1, what=bucket)
    except NotImplementedByProvider:
        return True
    return not (versions.get("Versions") or versions.get("DeleteMarkers"))


def get_versioning(conn: Endpoint, bucket: str) -> str:
    response = get_config(conn, "get_bucket_versioning", Bucket=bucket, what="versioning") or {}
    return response.get("Status", "")


def put_versioning(conn: Endpoint, bucket: str, enabled: bool) -> None:
    status = "Enabled" if enabled else "Suspended"
    call(
        conn,
        "put_bucket_versioning",
        Bucket=bucket,
        VersioningConfiguration={"Status": status},
        what="versioning",
        feature_call=True,
    )


# --- objects ------------------------------------------------------------------------------


@dataclass
class ObjectSummary:
    key: str
    size: int
    last_modified: datetime | None
    etag: str = ""
    storage_class: str = ""
    label: str = ""  # the key relative to the folder shown

    @property
    def name(self) -> str:
        stripped = self.key.rstrip("/")
        return stripped.rsplit("/", 1)[-1] if "/" in stripped else stripped


@dataclass
class Page:
    prefix: str
    folders: list[str] = field(default_factory=list)
    objects: list[ObjectSummary] = field(default_factory=list)
    next_token: str = ""
    truncated: bool = False


def list_page(
    conn: Endpoint,
    bucket: str,
    *,
    prefix: str = "",
    token: str = "",
    page_size: int = 100,
    delimiter: str = "/",
    start_after: str = "",
) -> Page:
    """One page of a listing, never the whole bucket (after `start_after`, when given)."""
    params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": page_size}
    if delimiter:
        params["Delimiter"] = delimiter
    if token:
        params["ContinuationToken"] = token
    elif start_after:
        params["StartAfter"] = start_after
    response = call(conn, "list_objects_v2", what=bucket, **params)
    page = Page(prefix=prefix)
    page.folders = [p["Prefix"] for p in response.get("CommonPrefixes", []) if p.get("Prefix")]
    for item in response.get("Contents", []):
        if item["Key"] == prefix and prefix and delimiter:
            continue  # the folder marker of the folder being shown
        page.objects.append(
            ObjectSummary(
                key=item["Key"],
                size=item.get("Size", 0),
                last_modified=item.get("LastModified"),
                etag=item.get("ETag", "").strip('"'),
                storage_class=item.get("StorageClass", ""),
            )
        )
    page.truncated = bool(response.get("IsTruncated"))
    page.next_token = response.get("NextContinuationToken", "") if page.truncated else ""
    return page


@dataclass
class ObjectDetails:
    key: str
    size: int
    etag: str
    content_type: str
    last_modified: datetime | None
    storage_class: str
    version_id: str
    metadata: dict[str, str]
    cache_control: str = ""
    content_disposition: str = ""
    encryption: str = ""


def head_object(
    conn: Endpoint, bucket: str, key: str, *, version_id: str = "", extra: dict[str, Any] | None = None
) -> ObjectDetails:
    """`extra` carries SSE-C key parameters for objects encrypted with a customer key."""
    params: dict[str, Any] = {"Bucket": bucket, "Key": key, **(extra or {})}
    if version_id:
        params["VersionId"] = version_id
    r = call(conn, "head_object", what=key, **params)
    return ObjectDetails(
        key=key,
        size=r.get("ContentLength", 0),
        etag=r.get("ETag", "").strip('"'),
        content_type=r.get("ContentType", ""),
        last_modified=r.get("LastModified"),
        storage_class=r.get("StorageClass", "STANDARD"),
        version_id=r.get("VersionId", "") or "",
        metadata=dict(r.get("Metadata", {})),
        cache_control=r.get("CacheControl", ""),
        content_disposition=r.get("ContentDisposition", ""),
        encryption=r.get("ServerSideEncryption", "") or r.get("SSECustomerAlgorithm", ""),
    )


@dataclass
class Download:
    body: Iterator[bytes]
    size: int
    content_type: str
    etag: str


def open_object(
    conn: Endpoint,
    bucket: str,
    key: str,
    *,
    version_id: str = "",
    byte_range: str = "",
    extra: dict[str, Any] | None = None,
) -> Download:
    params: dict[str, Any] = {"Bucket": bucket, "Key": key, **(extra or {})}
    if version_id:
        params["VersionId"] = version_id
    if byte_range:
        params["Range"] = byte_range
    r = call(conn, "get_object", what=key, **params)
    stream = r["Body"]

    def chunks() -> Iterator[bytes]:
        try:
            yield from stream.iter_chunks(chunk_size=256 * 1024)
        finally:
            stream.close()

    return Download(chunks(), r.get("ContentLength", 0), r.get("ContentType", ""), r.get("ETag", "").strip('"'))


def read_head(conn: Endpoint, bucket: str, key: str, limit: int) -> bytes:
    """The first `limit` bytes of an object, for previews."""
    download = open_object(conn, bucket, key, byte_range=f"bytes=0-{max(0, limit - 1)}")
    data = b"".join(download.body)
    return data[:limit]


def put_object(
    conn: Endpoint,
    bucket: str,
    key: str,
    body: bytes | BinaryIO,
    *,
    content_type: str = "",
    metadata: dict[str, str] | None = None,
    acl: str = "",
    extra: dict[str, Any] | None = None,
) -> str:
    params: dict[str, Any] = {"Bucket": bucket, "Key": key, "Body": body}
    if content_type:
        params["ContentType"] = content_type
    if metadata:
        params["Metadata"] = metadata
    if acl:
        params["ACL"] = acl
    params.update(extra or {})
    response = call(conn, "put_object", what=key, **params)
    return response.get("ETag", "").strip('"')


def delete_objects(conn: Endpoint, bucket: str, keys: list[str]) -> tuple[list[str], dict[str, str]]:
    """Delete up to any number of keys in batches of 1000; returns (deleted, {key: error})."""
    deleted: list[str] = []
    errors: dict[str, str] = {}
    for start in range(0, len(keys), 1000):
        batch = keys[start : start + 1000]
        response = call(
            conn,
            "delete_objects",
            Bucket=bucket,
            Delete={"Objects": [{"Key": k} for k in batch], "Quiet": False},
            what=bucket,
        )
        deleted += [d["Key"] for d in response.get("Deleted", [])]
        for err in response.get("Errors", []):
            errors[err.get("Key", "")] = err.get("Message") or err.get("Code", "error")
    return deleted, errors


def delete_object(conn: Endpoint, bucket: str, key: str, *, version_id: str = "") -> None:
    params: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if version_id:
        params["VersionId"] = version_id
    call(conn, "delete_object", what=key, **params)


def presigned_get(conn: Endpoint, bucket: str, key: str, *, expires: int, disposition: str = "") -> str:
    """A link anyone can use to GET the object until it expires (signed locally)."""
    params: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if disposition:
        params["ResponseContentDisposition"] = disposition
    try:
        return client(conn).generate_presigned_url("get_object", Params=params, ExpiresIn=expires)
    except Exception as exc:  # noqa: BLE001
        raise translate(exc, what=key) from exc


# --- multipart ----------------------------------------------------------------------------


def multipart_create(
    conn: Endpoint, bucket: str, key: str, *, content_type: str = "", extra: dict[str, Any] | None = None
) -> str:
    params: dict[str, Any] = {"Bucket": bucket, "Key": key, **(extra or {})}
    if content_type:
        params["ContentType"] = content_type
    return call(conn, "create_multipart_upload", what=key, **params)["UploadId"]


def multipart_upload_part(
    conn: Endpoint,
    bucket: str,
    key: str,
    upload_id: str,
    number: int,
    body: bytes,
    *,
    extra: dict[str, Any] | None = None,
) -> str:
    response = call(
        conn,
        "upload_part",
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        PartNumber=number,
        Body=body,
        what=f"{key} part {number}",
        **(extra or {}),
    )
    return response["ETag"]


def multipart_list_parts(conn: Endpoint, bucket: str, key: str, upload_id: str) -> dict[int, str]:
    parts: dict[int, str] = {}
    marker = 0
    while True:
        response = call(
            conn, "list_parts", Bucket=bucket, Key=key, UploadId=upload_id, PartNumberMarker=marker, what=key
        )
        for part in response.get("Parts", []):
            parts[part["PartNumber"]] = part["ETag"]
        if not response.get("IsTruncated"):
            return parts
        marker = response.get("NextPartNumberMarker", 0)


def multipart_complete(
    conn: Endpoint,
    bucket: str,
    key: str,
    upload_id: str,
    parts: dict[int, str],
    *,
    head_extra: dict[str, Any] | None = None,
) -> str:
    call(
        conn,
        "complete_multipart_upload",
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": parts[n]} for n in sorted(parts)]},
        what=key,
    )
    # RGW 16.2 returns an empty ETag from CompleteMultipartUpload: ask again.
    return head_object(conn, bucket, key, extra=head_extra).etag


def multipart_abort(conn: Endpoint, bucket: str, key: str, upload_id: str) -> None:
    try:
        call(conn, "abort_multipart_upload", Bucket=bucket, Key=key, UploadId=upload_id, what=key)
    except NotFound:
        pass  # already completed or aborted: nothing is left behind


@dataclass
class PendingUpload:
    key: str
    upload_id: str
    initiated: datetime | None


def multipart_pending(conn: Endpoint, bucket: str, *, prefix: str = "", limit: int = 1000) -> list[PendingUpload]:
    response = call(conn, "list_multipart_uploads", Bucket=bucket, Prefix=prefix, MaxUploads=limit, what=bucket)
    return [PendingUpload(u["Key"], u["UploadId"], u.get("Initiated")) for u in response.get("Uploads", [])]


@dataclass
class ObjectVersion:
    key: str
    version_id: str
    is_latest: bool
    is_delete_marker: bool
    size: int
    last_modified: datetime | None
    etag: str = ""


def list_versions(conn: Endpoint, bucket: str, key: str, *, limit: int = 100) -> list[ObjectVersion]:
    """The versions and delete markers of one key (one page, newest first)."""
    response = call(conn, "list_object_versions", Bucket=bucket, Prefix=key, MaxKeys=limit, what=key, feature_call=True)
    found = [
        ObjectVersion(v["Key"], v.get("VersionId") or "null", bool(v.get("IsLatest")), False, v.get("Size", 0),
                      v.get("LastModified"), v.get("ETag", "").strip('"'))
        for v in response.get("Versions", [])
        if v["Key"] == key
    ] + [
        ObjectVersion(m["Key"], m.get("VersionId") or "null", bool(m.get("IsLatest")), True, 0, m.get("LastModified"))
        for m in response.get("DeleteMarkers", [])
        if m["Key"] == key
    ]
    return sorted(found, key=lambda v: v.last_modified or datetime.min, reverse=True)
