"""Editing one object in place: content headers and user metadata, and Object Lock retention.

S3 cannot change an object's metadata: the console copies the object onto itself with
MetadataDirective=REPLACE, which writes a new object (a new version in a versioned bucket).
Everything the user did not edit must survive that copy: tags (TaggingDirective=COPY),
storage class, encryption (the same SSE-S3/KMS settings; an SSE-C object needs its key as
both the copy source's and the destination's), a website redirect, and the ACL, which a
copy resets to private, so it is read first and put back. Where the provider's copy rule
forbids the copy (catalogue `object_copy` and its constraints), nothing is sent.

A selection of objects gets one `MetadataChange` (headers to keep, set or remove; metadata
to set or remove, or all replaced), applied to each object's own headers by the metadata job
(buckets/jobs/metadata.py) through the same `metadata_rewrite` as one object's page.

Retention is PutObjectRetention on one version. Extending is an editor's right; shortening
governance retention needs the bypass header, which only an admin may send and only when
asked; compliance retention is never shortened (S3 refuses it too, but the console says so
before anything is sent).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from django import forms
from django.http import QueryDict

from . import catalogue, gateway
from .models import Connection

# S3 counts user metadata as the UTF-8 bytes of every name and value (without "x-amz-meta-").
METADATA_MAX_BYTES = 2 * 1024
# S3 takes at most 8 KB of request headers in all; one content header longer than this is a
# mistake, and refusing it here keeps the whole request under the limit.
HEADER_MAX_BYTES = 1024
# A single CopyObject copies at most 5 GiB; larger objects need a multipart copy.
COPY_MAX_BYTES = 5 * 1024**3
# S3 caps a bucket's default retention at 100 years; the console holds one object to the same.
RETENTION_MAX_DAYS = 36500
METADATA_ROWS_FREE = 3  # empty rows offered below the existing ones (no JavaScript needed)

CONTENT_HEADERS: tuple[tuple[str, str, str], ...] = (
    # (form field, header, CopyObject parameter)
    ("content_type", "Content-Type", "ContentType"),
    ("cache_control", "Cache-Control", "CacheControl"),
    ("content_disposition", "Content-Disposition", "ContentDisposition"),
    ("content_encoding", "Content-Encoding", "ContentEncoding"),
    ("content_language", "Content-Language", "ContentLanguage"),
)
LOCK_MODES = (("GOVERNANCE", "Governance"), ("COMPLIANCE", "Compliance"))
_TICKED = ("yes", "on")

_NAME = re.compile(r"[a-z0-9-]+")
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MEDIA_TYPE = re.compile(rf"{_TOKEN}/{_TOKEN}(\s*;.*)?")
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*")
_ENCODED_WORD = re.compile(r"=\?utf-8\?b\?([A-Za-z0-9+/=]*)\?=", re.I)

# What S3 takes, shown before sending on the one-object page and on the selection's form.
HEADER_RULES_COMMON = (
    "User metadata names: lowercase letters a–z, digits and hyphens; S3 stores them as "
    "x-amz-meta-<name>.",
    "Values travel as HTTP headers, which carry US-ASCII only: a value with other characters is "
    "sent RFC 2047-encoded (=?UTF-8?B?…?=) and shown decoded here; other programs see the "
    "encoded form.",
    f"All user metadata together: at most {METADATA_MAX_BYTES:,} bytes as S3 counts it (the UTF-8 "
    "bytes of every name and value, after encoding).",
    f"Content headers: printable US-ASCII, at most {HEADER_MAX_BYTES:,} bytes each. A file name "
    "with other characters goes into Content-Disposition as filename*=UTF-8''… (percent-encoded).",
    "Content-Type is type/subtype with optional parameters; Content-Language is a list of "
    "language tags (en, de-CH); Expires is a date and time (UTC).",
)
HEADER_RULES = (*HEADER_RULES_COMMON, "An empty field removes that header.")


class EditRefused(ValueError):
    """The request cannot be sent as it is; `errors` says why, in sentences."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(" ".join(errors))
        self.errors = errors


# --- metadata and content headers ---------------------------------------------------------


@dataclass
class MetadataRow:
    name: str
    value: str  # as the user reads and types it (decoded)
    encoded: bool = False


@dataclass
class MetadataEdit:
    headers: dict[str, Any] = field(default_factory=dict)  # CopyObject parameters, only those set
    metadata: dict[str, str] = field(default_factory=dict)  # as sent (encoded where needed)
    encoded: list[str] = field(default_factory=list)  # names whose values were RFC 2047-encoded


def metadata_value_decode(value: str) -> tuple[str, bool]:
    """(text, was_encoded) for a stored value: the console's own RFC 2047 words read back."""
    found = _ENCODED_WORD.fullmatch(value)
    if not found:
        return value, False
    try:
        return base64.b64decode(found.group(1), validate=True).decode("utf-8"), True
    except ValueError:
        return value, False


def metadata_value_encode(text: str) -> str:
    return f"=?UTF-8?B?{base64.b64encode(text.encode('utf-8')).decode('ascii')}?="


def metadata_rows(stored: dict[str, str]) -> list[MetadataRow]:
    rows = [MetadataRow(name, *metadata_value_decode(value)) for name, value in sorted(stored.items())]
    return rows + [MetadataRow("", "") for _ in range(METADATA_ROWS_FREE)]


def _printable_ascii(value: str) -> bool:
    return all(" " <= ch <= "~" for ch in value)


def expires_parse(text: str) -> datetime | None:
    """A date and time from the form (ISO, taken as UTC) or an HTTP date; None when empty."""
    text = text.strip()
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            raise EditRefused([f"Expires “{text[:60]}” is not a date: give it as 2030-01-31T12:00 "
                               "(UTC) or as an HTTP date."]) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if not 1970 <= when.year <= 9999:
        raise EditRefused(["Expires must lie between the years 1970 and 9999."])
    return when.astimezone(UTC)


def expires_form_value(stored: str) -> str:
    """The stored Expires header as the form's datetime-local value ("" if none or unreadable)."""
    try:
        return parsedate_to_datetime(stored).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") if stored else ""
    except (TypeError, ValueError, IndexError):
        return ""


def _header_problem(label: str, value: str) -> str:
    if not _printable_ascii(value):
        return (f"{label} may hold printable US-ASCII only; “{value[:60]}” has other characters "
                "(or line breaks).")
    if len(value) > HEADER_MAX_BYTES:
        return f"{label} has {len(value):,} bytes; the console sends at most {HEADER_MAX_BYTES:,}."
    if label == "Content-Type" and not _MEDIA_TYPE.fullmatch(value):
        return f"Content-Type “{value[:60]}” is not type/subtype, such as text/plain or image/png."
    if label == "Content-Language" and not all(
            _LANGUAGE_TAG.fullmatch(tag.strip()) for tag in value.split(",")):
        return f"Content-Language “{value[:60]}” is not a list of language tags such as en, de-CH."
    return ""


def metadata_parse(data: QueryDict) -> MetadataEdit:
    """The headers and metadata a form asks for, or EditRefused listing every problem."""
    edit = MetadataEdit()
    errors: list[str] = []
    for name, label, param in CONTENT_HEADERS:
        value = str(data.get(name, "")).strip()
        if value:
            problem = _header_problem(label, value)
            if problem:
                errors.append(problem)
            edit.headers[param] = value
    try:
        expires = expires_parse(str(data.get("expires", "")))
    except EditRefused as exc:
        errors += exc.errors
    else:
        if expires is not None:
            edit.headers["Expires"] = expires
    edit.metadata, edit.encoded = _metadata_rows_parse(data, errors, removed=set(data.getlist("meta_remove")))
    if problem := _metadata_size_problem(edit.metadata, "The user metadata comes to"):
        errors.append(problem)
    if errors:
        raise EditRefused(errors)
    return edit


def _metadata_rows_parse(data: QueryDict, errors: list[str], *, removed: set[str]) -> tuple[dict[str, str], list[str]]:
    """The form's metadata rows (meta_name/meta_value) as sent, encoded where needed, and the
    names whose values were encoded; each problem is added to `errors`."""
    metadata: dict[str, str] = {}
    encoded: list[str] = []
    names, values = data.getlist("meta_name"), data.getlist("meta_value")
    if len(names) != len(values):
        errors.append("The metadata rows arrived incomplete; reload the page and try again.")
    for index, (raw_name, text) in enumerate(zip(names, values, strict=False)):
        name = raw_name.strip()
        if str(index) in removed or (not name and not text):
            continue
        if not name:
            errors.append(f"The metadata value “{text[:40]}” has no name.")
            continue
        if problem := _metadata_name_problem(name):
            errors.append(problem)
            continue
        if name in metadata:
            errors.append(f"The metadata name “{name}” appears twice.")
            continue
        if any(ch in text for ch in "\r\n\0"):
            errors.append(f"The value of “{name}” holds a line break or a NUL character.")
            continue
        if _printable_ascii(text) and not _ENCODED_WORD.fullmatch(text):
            metadata[name] = text
        else:
            metadata[name] = metadata_value_encode(text)
            encoded.append(name)
    return metadata, encoded


def _metadata_name_problem(name: str) -> str:
    if not _NAME.fullmatch(name):
        return f"The metadata name “{name[:60]}” may hold only lowercase letters a–z, digits and hyphens."
    return ""


def _metadata_size_problem(metadata: dict[str, str], what: str) -> str:
    size = sum(len(k.encode()) + len(v.encode()) for k, v in metadata.items())
    if size > METADATA_MAX_BYTES:
        return f"{what} {size:,} bytes as S3 counts it; S3 takes at most {METADATA_MAX_BYTES:,}."
    return ""


# --- the same change for many objects (a job: buckets/jobs/metadata.py) ------------------------

HEADER_CHOICES = (("keep", "Keep as is"), ("set", "Set to"), ("remove", "Remove"))
EXPIRES = ("expires", "Expires", "Expires")


@dataclass
class MetadataChange:
    """What a selection's form asks for, applied to each object's own headers in turn: headers
    to set or remove (the others stay as each object has them), user metadata to set and names
    to remove, or all user metadata replaced by the rows given. JSON-safe, for a job's params."""

    headers: dict[str, str] = field(default_factory=dict)  # CopyObject parameter -> value (Expires: ISO)
    remove: list[str] = field(default_factory=list)  # CopyObject parameters
    metadata: dict[str, str] = field(default_factory=dict)  # as sent (encoded where needed)
    metadata_remove: list[str] = field(default_factory=list)
    replace_metadata: bool = False
    encoded: list[str] = field(default_factory=list)

    def as_params(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> MetadataChange:
        return cls(**params)

    def apply(self, source: gateway.ObjectHeaders) -> MetadataEdit:
        """This object's headers and metadata after the change; EditRefused when it cannot take it."""
        headers: dict[str, Any] = {p: v for p, v in source.headers.items() if p not in self.remove}
        if source.expires and "Expires" not in self.remove and "Expires" not in self.headers:
            try:
                headers["Expires"] = parsedate_to_datetime(source.expires)
            except (TypeError, ValueError, IndexError):
                raise EditRefused([f"Its stored Expires header “{source.expires[:60]}” is not a date, so it cannot "
                                   "be kept as it is: choose to set or to remove Expires."]) from None
        for param, value in self.headers.items():
            headers[param] = datetime.fromisoformat(value) if param == "Expires" else value
        metadata = {} if self.replace_metadata else {
            name: value for name, value in source.metadata.items() if name not in self.metadata_remove}
        # Kept values travel back as headers: one that is not printable US-ASCII (written by
        # another program) would not arrive as it was, so this object is left alone instead.
        labels = {param: label for _, label, param in CONTENT_HEADERS}
        unsendable = [labels[p] for p, v in headers.items() if p in labels and p not in self.headers
                      and not _printable_ascii(v)]
        unsendable += [f"x-amz-meta-{n}" for n, v in metadata.items() if n not in self.metadata and not _printable_ascii(v)]
        if unsendable:
            raise EditRefused([f"Its stored {', '.join(unsendable)} holds characters other than printable US-ASCII, "
                               "which cannot be sent back unchanged: set or remove it in this change."])
        metadata.update(self.metadata)
        if problem := _metadata_size_problem(metadata, "Its user metadata would come to"):
            raise EditRefused([problem])
        return MetadataEdit(headers=headers, metadata=metadata, encoded=list(self.encoded))


def metadata_change_parse(data: QueryDict) -> MetadataChange:
    """The change a selection's form asks for, or EditRefused listing every problem."""
    change = MetadataChange()
    errors: list[str] = []
    for name, label, param in (*CONTENT_HEADERS, EXPIRES):
        choice = str(data.get(f"{name}_choice", "keep"))
        value = str(data.get(name, "")).strip()
        if choice not in dict(HEADER_CHOICES):
            errors.append(f"Choose keep, set or remove for {label}.")
        elif choice == "remove":
            change.remove.append(param)
        elif choice == "set" and not value:
            errors.append(f"{label} is to be set, but no value is given: type one, or choose “Remove”.")
        elif choice == "set" and param == "Expires":
            try:
                change.headers[param] = expires_parse(value).isoformat()  # type: ignore[union-attr]
            except EditRefused as exc:
                errors += exc.errors
        elif choice == "set":
            if problem := _header_problem(label, value):
                errors.append(problem)
            change.headers[param] = value
    change.metadata, change.encoded = _metadata_rows_parse(data, errors, removed=set())
    change.replace_metadata = data.get("meta_replace_all") in _TICKED
    if not change.replace_metadata:
        for raw in re.split(r"[\s,]+", str(data.get("meta_remove_names", ""))):
            name = raw.strip().removeprefix("x-amz-meta-")
            if not name or name in change.metadata_remove:
                continue
            if problem := _metadata_name_problem(name):
                errors.append(problem)
            elif name in change.metadata:
                errors.append(f"The metadata name “{name}” is both set and removed: choose one.")
            else:
                change.metadata_remove.append(name)
    if problem := _metadata_size_problem(change.metadata, "The user metadata to set comes to"):
        errors.append(problem)
    if not errors and not (change.headers or change.remove or change.metadata or change.metadata_remove
                           or change.replace_metadata):
        errors.append("Nothing would change: choose a header to set or remove, fill a metadata row, name "
                      "metadata to remove, or tick “Replace all user metadata”.")
    if errors:
        raise EditRefused(errors)
    return change


def _copy_offer(connection: Connection, bucket_type: str) -> catalogue.Availability:
    return catalogue.availability(connection.provider, bucket_type, "object_copy",
                                  overrides=connection.detected_features or None)


def _copy_not_offered(copy: catalogue.Availability) -> str:
    return ("Changing metadata rewrites the object with a server-side copy, and copying is not "
            f"offered here. {copy.note}").strip()


def _unencrypted_only(connection: Connection, copy: catalogue.Availability, what: str) -> str:
    label = catalogue.get_provider(connection.provider).label
    return (f"Changing metadata rewrites the object with a server-side copy, and {label} copies objects "
            f"only in buckets without encryption ({copy.source}); {what}.")


def metadata_refusal(connection: Connection, bucket_type: str, source: gateway.ObjectHeaders, *,
                     allow_api_only: bool, bucket_encrypted: bool = False) -> str:
    """Why this object's metadata cannot be rewritten here ("" when it can), from the catalogue."""
    copy = _copy_offer(connection, bucket_type)
    if not copy.usable(allow_api_only):
        return _copy_not_offered(copy)
    encrypted = bool(source.encryption or source.customer_algorithm)
    if catalogue.constraint(connection.provider, bucket_type, "copy_requires_unencrypted") and (
            encrypted or bucket_encrypted):
        return _unencrypted_only(connection, copy, "this object is encrypted" if encrypted
                                 else "this bucket encrypts its objects")
    if source.customer_algorithm and (refusal := sse_c_refusal(connection, bucket_type)):
        return refusal
    if source.size > COPY_MAX_BYTES:
        return (f"This object has {source.size:,} bytes; rewriting its metadata needs a multipart copy, "
                "because one CopyObject copies at most 5 GiB. The console does not do that yet: set the "
                "headers when uploading it.")
    return ""


def sse_c_refusal(connection: Connection, bucket_type: str) -> str:
    """Why no object encrypted with a customer key (SSE-C) can be rewritten here ("" when it can, with its key)."""
    if catalogue.constraint(connection.provider, bucket_type, "copy_sse_c_objects") is False:
        return ("Changing metadata rewrites the object with a server-side copy, and this endpoint does not "
                f"copy objects encrypted with a customer key (SSE-C). {_copy_offer(connection, bucket_type).note}"
                ).strip()
    return ""


def bucket_refusal(connection: Connection, bucket_type: str, *, allow_api_only: bool,
                   bucket_encrypted: bool = False) -> str:
    """Why no object of this bucket can have its metadata rewritten here ("" when some can)."""
    copy = _copy_offer(connection, bucket_type)
    if not copy.usable(allow_api_only):
        return _copy_not_offered(copy)
    if bucket_encrypted and catalogue.constraint(connection.provider, bucket_type, "copy_requires_unencrypted"):
        return _unencrypted_only(connection, copy, "this bucket encrypts its objects")
    return ""


def bucket_encrypts(connection: Connection, bucket: str, bucket_type: str) -> bool:
    """Whether the bucket has default encryption; asked only where the copy rule depends on it."""
    if not catalogue.constraint(connection.provider, bucket_type, "copy_requires_unencrypted"):
        return False
    try:
        answer = gateway.default_encryption_get(connection, bucket) or {}
    except gateway.S3Error:
        return False  # unknown: the object's own encryption still decides
    return bool((answer.get("ServerSideEncryptionConfiguration") or {}).get("Rules"))


def _at_once[R](call: Callable[..., R], *args: Any, **kwargs: Any) -> R:
    return call(*args, **kwargs)


def metadata_set(*, connection: Connection, bucket: str, bucket_type: str, key: str, edit: MetadataEdit,
                 allow_api_only: bool, customer_key: bytes = b"") -> str:
    """Rewrite the object with `edit`'s headers and metadata, keeping everything else.

    Answers the new version id ("" when unversioned). Raises EditRefused where the provider's
    copy rule forbids it, gateway.S3Error where the endpoint refuses.
    """
    extra = ({"SSECustomerAlgorithm": "AES256", "SSECustomerKey": customer_key} if customer_key else {})
    source = gateway.object_headers_get(connection, bucket, key, extra=extra)
    return metadata_rewrite(connection=connection, bucket=bucket, bucket_type=bucket_type, source=source,
                            edit=edit, allow_api_only=allow_api_only, customer_key=customer_key,
                            bucket_encrypted=bucket_encrypts(connection, bucket, bucket_type))


def metadata_rewrite(*, connection: Connection, bucket: str, bucket_type: str, source: gateway.ObjectHeaders,
                     edit: MetadataEdit, allow_api_only: bool, bucket_encrypted: bool, customer_key: bytes = b"",
                     attempt: Callable[..., Any] = _at_once) -> str:
    """The object `source` (as HEAD read it) copied onto itself with `edit`'s headers and
    metadata; its ACL, tags, storage class, encryption and website redirect kept. One object
    edited on its page and each object of a job (`attempt` = bulk.persist: every call tried
    again on a transient answer, one by one, so the tags read before the copy are never read
    again after RGW dropped them). Answers the new version id."""
    key = source.key
    refusal = metadata_refusal(connection, bucket_type, source, allow_api_only=allow_api_only,
                               bucket_encrypted=bucket_encrypted)
    if refusal:
        raise EditRefused([refusal])
    acl = attempt(_acl_to_keep, connection, bucket, bucket_type, key)
    canned = acl_as_canned(acl) if acl is not None else ""
    tags = attempt(_tags_to_keep, connection, bucket, bucket_type, key)
    version = attempt(gateway.copy_object_in_place, connection, bucket, key, source=source, headers=edit.headers,
                      metadata=edit.metadata, customer_key=customer_key, acl=canned)
    try:
        if acl is not None and not canned:
            attempt(gateway.object_acl_restore, connection, bucket, key, acl)
        if tags:
            # RGW loses them on the copy; elsewhere this writes the same tags again.
            attempt(gateway.object_tags_put, connection, bucket, key,
                    [{"Key": k, "Value": v} for k, v in tags.items()], version_id=version)
    except gateway.S3Error as exc:
        kept = ", ".join(f"{k}={v}" for k, v in tags.items()) if tags else "none"
        raise type(exc)(f"The new headers were saved, but putting back the object's ACL and tags failed: {exc} "
                        f"(its tags were: {kept}).", code=exc.code) from exc
    return version


_ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
_AUTHENTICATED = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
_CANNED_GRANTS = {
    frozenset(): "private",
    frozenset({(_ALL_USERS, "READ")}): "public-read",
    frozenset({(_ALL_USERS, "READ"), (_ALL_USERS, "WRITE")}): "public-read-write",
    frozenset({(_AUTHENTICATED, "READ")}): "authenticated-read",
}


def acl_as_canned(acl: dict) -> str:
    """The canned ACL an ACL amounts to, or "" when it holds other grants.

    A canned ACL travels with the copy itself, so the object is never private in between, and
    it survives servers that drop group grants from an AccessControlPolicy (moto) or take only
    canned ACLs (Spaces).
    """
    owner = (acl.get("Owner") or {}).get("ID")
    others = set()
    for grant in acl.get("Grants", []):
        grantee, permission = grant.get("Grantee") or {}, grant.get("Permission", "")
        if grantee.get("Type") == "CanonicalUser" and grantee.get("ID") == owner and permission == "FULL_CONTROL":
            continue
        if grantee.get("Type") != "Group":
            return ""
        others.add((grantee.get("URI", ""), permission))
    return _CANNED_GRANTS.get(frozenset(others), "")


def _tags_to_keep(connection: Connection, bucket: str, bucket_type: str, key: str) -> dict[str, str] | None:
    """The object's tags, read before the copy; None where the provider has no object tags (the
    copy then asks for TaggingDirective=COPY, which is all such a server can do)."""
    state = catalogue.availability(connection.provider, bucket_type, "object_tagging",
                                   overrides=connection.detected_features or None).state
    if state == catalogue.State.UNSUPPORTED:
        return None
    try:
        return gateway.object_tag_map(connection, bucket, key)
    except gateway.NotImplementedByProvider:
        return None


def _acl_to_keep(connection: Connection, bucket: str, bucket_type: str, key: str) -> dict | None:
    """The object's ACL, read before the copy resets it; None where the provider has no ACLs."""
    acl_state = catalogue.availability(connection.provider, bucket_type, "object_acl",
                                       overrides=connection.detected_features or None).state
    if acl_state == catalogue.State.UNSUPPORTED:
        return None
    try:
        return gateway.object_acl_get(connection, bucket, key)
    except gateway.NotImplementedByProvider:
        return None


class ContentHeadersForm(forms.Form):
    """Renders the content header fields; `metadata_parse` judges what is sent."""

    content_type = forms.CharField(label="Content-Type", required=False,
                                   help_text="type/subtype, e.g. text/plain; charset=utf-8 or image/png.")
    cache_control = forms.CharField(label="Cache-Control", required=False,
                                    help_text="e.g. max-age=3600, public or no-cache.")
    content_disposition = forms.CharField(label="Content-Disposition", required=False,
                                          help_text="e.g. attachment; filename=\"report.pdf\" or inline.")
    content_encoding = forms.CharField(label="Content-Encoding", required=False,
                                       help_text="How the stored bytes are encoded, e.g. gzip or br.")
    content_language = forms.CharField(label="Content-Language", required=False,
                                       help_text="Language tags, e.g. en or de-CH, fr.")
    expires = forms.CharField(label="Expires (UTC)", required=False,
                              widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1"}),
                              help_text="When caches should stop using their copy.")


class RetentionForm(forms.Form):
    """Renders the retention fields; `retention_parse` judges what is sent."""

    mode = forms.ChoiceField(label="Mode", choices=LOCK_MODES, widget=forms.RadioSelect,
                             help_text="Governance: an admin can shorten it with the bypass header. "
                                       "Compliance: nobody can shorten or remove it until the date.")
    retain_until = forms.CharField(label="Retain until (UTC)",
                                   widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1"}))
    confirm_compliance = forms.BooleanField(
        label="I understand that compliance retention cannot be shortened or removed by anyone until this "
              "date, not even by an admin.", required=False)
    bypass_governance = forms.BooleanField(
        label="Bypass governance retention (admins only): send x-amz-bypass-governance-retention, so "
              "the date may be earlier than the current one.", required=False)

    def __init__(self, *args: Any, can_bypass: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can_bypass:
            del self.fields["bypass_governance"]


# --- Object Lock retention ---------------------------------------------------------------------


@dataclass
class RetentionRequest:
    mode: str
    until: datetime
    bypass_governance: bool


def retention_max_days(connection: Connection, bucket_type: str) -> int:
    """A provider that documents a limit for retention set in its console carries it in the
    catalogue; otherwise S3's own 100 years."""
    value = catalogue.constraint(connection.provider, bucket_type, "retention_max_days", RETENTION_MAX_DAYS)
    return int(value) if isinstance(value, int) else RETENTION_MAX_DAYS


def retention_parse(data: QueryDict, *, now: datetime, max_days: int) -> RetentionRequest:
    errors: list[str] = []
    mode = str(data.get("mode", ""))
    if mode not in dict(LOCK_MODES):
        errors.append("Choose governance or compliance mode.")
    text = str(data.get("retain_until", "")).strip()
    until = None
    if not text:
        errors.append("Give the date and time until which the object is retained.")
    else:
        try:
            until = datetime.fromisoformat(text)
        except ValueError:
            errors.append(f"“{text[:40]}” is not a date and time; give it as 2030-01-31T12:00 (UTC).")
    if until is not None:
        until = (until if until.tzinfo else until.replace(tzinfo=UTC)).astimezone(UTC)
        if until <= now:
            errors.append("The retain-until date must lie in the future.")
        elif until > now + timedelta(days=max_days):
            errors.append(f"Retention is set for at most {max_days:,} days ({max_days // 365} years) from now.")
    if mode == "COMPLIANCE" and data.get("confirm_compliance") not in _TICKED:
        errors.append("Compliance retention cannot be shortened or removed by anyone, an admin or the "
                      "provider's support included, until that date: tick the box to confirm it.")
    if errors:
        raise EditRefused(errors)
    return RetentionRequest(mode, until, data.get("bypass_governance") in _TICKED)  # type: ignore[arg-type]


def retention_shortens(current: gateway.Retention, wanted: RetentionRequest) -> bool:
    """Whether the request weakens the current retention (an earlier date, or compliance to governance)."""
    if not current.mode or current.until is None:
        return False
    floor = current.until.astimezone(UTC).replace(microsecond=0)
    return wanted.until < floor or (current.mode == "COMPLIANCE" and wanted.mode != "COMPLIANCE")


def retention_set(*, connection: Connection, bucket: str, key: str, version_id: str, wanted: RetentionRequest,
                  current: gateway.Retention | None, is_admin: bool) -> bool:
    """Set the retention; answers whether the governance bypass header was sent.

    `current` is None when the endpoint would not say (moto answers GetObjectRetention with
    500): then the endpoint decides, and the bypass header is sent only if asked for.
    """
    if wanted.bypass_governance and not is_admin:
        raise EditRefused(["Only an admin may bypass governance retention."])
    bypass = False
    if current is not None and retention_shortens(current, wanted):
        if current.mode == "COMPLIANCE":
            raise EditRefused([f"This version is under compliance retention until {_when(current.until)}: "
                               "nothing can shorten it or change it to governance."])
        if not is_admin:
            raise EditRefused([f"This version is under governance retention until {_when(current.until)}. "
                               "Only an admin can shorten it, by bypassing governance retention."])
        if not wanted.bypass_governance:
            raise EditRefused([f"This shortens governance retention (until {_when(current.until)}): tick "
                               "“Bypass governance retention” to send it with the bypass header."])
        bypass = True
    elif current is None:
        bypass = wanted.bypass_governance
    gateway.object_retention_put(connection, bucket, key, mode=wanted.mode, until=wanted.until,
                                 version_id=version_id, bypass_governance=bypass)
    return bypass


def _when(moment: datetime | None) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True) if moment else "an unknown date"
