"""S3 lifecycle semantics as pure functions: which version, delete marker or unfinished upload
a rule set affects, and when.

No Django, no boto3: the preview job feeds it what the listing found and reads back dated
effects. It follows AWS's documented rules, bent where an endpoint is known to differ
(`Behaviour`, filled from the catalogue):

- Days are counted from the object's creation (LastModified) and the result is rounded up
  to the next midnight UTC; a Date applies from that midnight on.
- NoncurrentDays are counted from when a version became noncurrent, i.e. the LastModified
  of the version (or delete marker) that replaced it; NewerNoncurrentVersions keeps that
  many newer noncurrent versions.
- A delete marker with no versions left behind it (an "expired object delete marker") is
  removed by ExpiredObjectDeleteMarker, and by an Expiration in Days once it is old enough.
- Object size filters are strict (greater than 100 spares an object of exactly 100 bytes) and
  take precedence over the endpoint's default minimum size for transitions (AWS: "Custom
  filters always take precedence over the default transition behavior").
- When rules overlap: permanent deletion wins over transition; a transition wins over the
  creation of a delete marker on the same day; of several transitions on the same day the
  colder class wins; otherwise the earliest action wins.

What it does not chain: a delete marker that the preview itself predicts (a current version
expired in a versioned bucket) is not followed further; the preview reports what the rules
do to what exists now.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

DAY = timedelta(days=1)

# Colder to the right. S3 never transitions an object back to a warmer class.
STORAGE_CLASS_ORDER = ("STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "INTELLIGENT_TIERING",
                       "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE")


class Action(StrEnum):
    EXPIRE = "expire"  # the current version: deleted, or hidden behind a new delete marker
    TRANSITION = "transition"
    EXPIRE_NONCURRENT = "expire_noncurrent"  # a noncurrent version, deleted for good
    TRANSITION_NONCURRENT = "transition_noncurrent"
    REMOVE_DELETE_MARKER = "remove_delete_marker"
    ABORT_UPLOAD = "abort_upload"


ACTION_LABELS = {
    Action.EXPIRE: "Expire current version",
    Action.TRANSITION: "Transition current version",
    Action.EXPIRE_NONCURRENT: "Delete noncurrent version",
    Action.TRANSITION_NONCURRENT: "Transition noncurrent version",
    Action.REMOVE_DELETE_MARKER: "Remove expired delete marker",
    Action.ABORT_UPLOAD: "Abort unfinished upload",
}
# Actions that end an item's life (after them nothing else happens to it).
TERMINAL = frozenset({Action.EXPIRE, Action.EXPIRE_NONCURRENT, Action.REMOVE_DELETE_MARKER,
                      Action.ABORT_UPLOAD})
PERMANENT = frozenset({Action.EXPIRE_NONCURRENT, Action.REMOVE_DELETE_MARKER, Action.ABORT_UPLOAD})


class RuleError(ValueError):
    """A rule set that S3 would refuse, in a sentence."""


@dataclass(frozen=True)
class Filter:
    prefix: str = ""
    tags: tuple[tuple[str, str], ...] = ()
    size_greater_than: int | None = None
    size_less_than: int | None = None

    @property
    def has_size(self) -> bool:
        return self.size_greater_than is not None or self.size_less_than is not None


@dataclass(frozen=True)
class Transition:
    storage_class: str
    days: int | None = None  # Days, or NoncurrentDays for a noncurrent transition
    date: datetime | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    enabled: bool = True
    filter: Filter = Filter()
    expiration_days: int | None = None
    expiration_date: datetime | None = None
    expired_object_delete_marker: bool = False
    noncurrent_days: int | None = None
    newer_noncurrent_versions: int | None = None
    transitions: tuple[Transition, ...] = ()
    noncurrent_transitions: tuple[Transition, ...] = ()
    abort_days: int | None = None

    @property
    def needs_tags(self) -> bool:
        return self.enabled and bool(self.filter.tags)


@dataclass(frozen=True)
class Behaviour:
    """How the endpoint applies rules where it differs from AWS (see catalogue constraints)."""

    size_filters: bool = True  # False: ObjectSizeGreaterThan/LessThan are ignored
    # False: the provider does not offer size filters at all (its document lists none); the
    # preview then assumes the worst for a saved rule that has one: ignored (size_filters False).
    size_filters_offered: bool = True
    days_remove_expired_delete_markers: bool = True
    transition_min_bytes: int = 0  # AWS skips transitions of objects below 128 KiB
    # A lifecycle "day", and whether due times round up to midnight UTC. Only a test server
    # with RGW's rgw_lc_debug_interval has short days, and it does not round.
    day: timedelta = DAY
    round_to_midnight: bool = True


@dataclass
class Entry:
    """One object version or delete marker, as the version listing gives it."""

    key: str
    version_id: str
    last_modified: datetime
    size: int = 0
    is_latest: bool = False
    is_delete_marker: bool = False
    storage_class: str = "STANDARD"
    tags: Mapping[str, str] | None = None  # read only when a rule filters by tags
    # Filled by `key_effects` from the key's other entries.
    noncurrent_since: datetime | None = None
    newer_noncurrent: int = 0


@dataclass(frozen=True)
class Upload:
    key: str
    upload_id: str
    initiated: datetime


@dataclass(frozen=True)
class Effect:
    rule_id: str
    action: Action
    at: datetime
    storage_class: str = ""


# --- reading rules in every shape endpoints send ---------------------------------------------


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _int(value: Any, what: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise RuleError(f"{what} must be a whole number, not {str(value)[:40]!r}.") from None
    if number < 0:
        raise RuleError(f"{what} cannot be negative.")
    return number


def _date(value: Any, what: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), UTC)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise RuleError(f"{what} must be a date (YYYY-MM-DD), not {str(value)[:40]!r}.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _filter(rule: Mapping[str, Any]) -> Filter:
    """AWS sends Filter {Prefix} | {Tag} | {ObjectSize…} | {And: {…}}; RGW 16.2 also sends
    {Prefix, Tag} and {Prefix, And: {Tags}}; old rules carry a top-level Prefix."""
    flt = rule.get("Filter")
    prefix = str(rule.get("Prefix") or "")
    tags: list[tuple[str, str]] = []
    sizes: dict[str, int | None] = {"ObjectSizeGreaterThan": None, "ObjectSizeLessThan": None}
    if isinstance(flt, Mapping):
        both = flt.get("And") if isinstance(flt.get("And"), Mapping) else {}
        prefix = str(flt.get("Prefix") or both.get("Prefix") or prefix)
        for tag in _as_list(flt.get("Tag")) + _as_list(both.get("Tags")) + _as_list(both.get("Tag")):
            if isinstance(tag, Mapping) and "Key" in tag:
                item = (str(tag["Key"]), str(tag.get("Value", "")))
                if item not in tags:
                    tags.append(item)
        for name in sizes:
            for part in (flt, both):
                if part.get(name) not in (None, ""):
                    sizes[name] = _int(part[name], name)
    return Filter(prefix, tuple(tags), sizes["ObjectSizeGreaterThan"], sizes["ObjectSizeLessThan"])


def rule_from_s3(rule: Mapping[str, Any], n: int = 1) -> Rule:
    """One rule as S3 spells it (GetBucketLifecycleConfiguration, or what the editor would PUT)."""
    rid = str(rule.get("ID") or f"rule-{n}")
    expiration = rule.get("Expiration") or {}
    noncurrent = rule.get("NoncurrentVersionExpiration") or {}
    abort = rule.get("AbortIncompleteMultipartUpload") or {}
    transitions = tuple(
        Transition(str(t.get("StorageClass", "")), _int(t.get("Days"), f"{rid}: transition days"),
                   _date(t.get("Date"), f"{rid}: transition date"))
        for t in _as_list(rule.get("Transitions")) + _as_list(rule.get("Transition"))
    )
    nc_transitions = tuple(
        Transition(str(t.get("StorageClass", "")), _int(t.get("NoncurrentDays"), f"{rid}: noncurrent days"))
        for t in _as_list(rule.get("NoncurrentVersionTransitions")) + _as_list(rule.get("NoncurrentVersionTransition"))
    )
    marker = expiration.get("ExpiredObjectDeleteMarker")
    return Rule(
        id=rid,
        enabled=str(rule.get("Status", "Enabled")) == "Enabled",
        filter=_filter(rule),
        expiration_days=_int(expiration.get("Days"), f"{rid}: expiration days"),
        expiration_date=_date(expiration.get("Date"), f"{rid}: expiration date"),
        expired_object_delete_marker=marker is True or str(marker).lower() == "true",
        noncurrent_days=_int(noncurrent.get("NoncurrentDays"), f"{rid}: noncurrent days"),
        newer_noncurrent_versions=_int(noncurrent.get("NewerNoncurrentVersions"), f"{rid}: newer noncurrent versions"),
        transitions=transitions,
        noncurrent_transitions=nc_transitions,
        abort_days=_int(abort.get("DaysAfterInitiation"), f"{rid}: days after initiation"),
    )


def rules_from_s3(rules: Iterable[Mapping[str, Any]]) -> list[Rule]:
    """Raises RuleError for a rule S3 itself would refuse, so the preview never predicts one."""
    parsed = [rule_from_s3(rule, n) for n, rule in enumerate(rules, start=1)]
    for rule in parsed:
        if rule.expired_object_delete_marker and (rule.expiration_days is not None or rule.expiration_date):
            raise RuleError(f"{rule.id}: ExpiredObjectDeleteMarker cannot be combined with Days or Date.")
        if rule.expired_object_delete_marker and rule.filter.tags:
            raise RuleError(f"{rule.id}: ExpiredObjectDeleteMarker cannot be combined with a tag filter.")
        if rule.abort_days is not None and rule.filter.tags:
            raise RuleError(f"{rule.id}: aborting unfinished uploads cannot be combined with a tag filter.")
    return parsed


# --- time ---------------------------------------------------------------------------------


def next_midnight(moment: datetime) -> datetime:
    """`moment` rounded up to midnight UTC (a moment at midnight stays)."""
    # On the epoch's seconds: a version listing's datetimes carry dateutil's tzutc, and
    # astimezone() plus combine() cost more than the rest of a rule's check (profiled).
    whole, fraction = divmod(moment.timestamp(), 86400)
    if fraction or moment.microsecond:
        whole += 1
    return _EPOCH + timedelta(days=whole)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def due(start: datetime, days: int, behaviour: Behaviour) -> datetime:
    """When an action of `days` lifecycle days after `start` becomes due."""
    moment = start + days * behaviour.day
    return next_midnight(moment) if behaviour.round_to_midnight else moment


def _on_date(when: datetime, start: datetime) -> datetime:
    # A Date rule acts from that midnight on; on what is newer, at its next run.
    return max(next_midnight(when), start)


# --- matching -----------------------------------------------------------------------------


def matches(flt: Filter, *, key: str, size: int | None, tags: Mapping[str, str] | None,
            behaviour: Behaviour) -> bool:
    """Whether an item falls under a filter. `size` None (an upload) skips size filters."""
    if not key.startswith(flt.prefix):
        return False
    if flt.tags:
        have = tags or {}
        if any(have.get(k) != v for k, v in flt.tags):
            return False
    if size is not None and behaviour.size_filters:
        if flt.size_greater_than is not None and not size > flt.size_greater_than:
            return False
        if flt.size_less_than is not None and not size < flt.size_less_than:
            return False
    return True


def rule_may_need_tags(rules: Sequence[Rule], key: str) -> bool:
    """Whether reading this key's tags could change the answer (a tagged rule covers it)."""
    return any(r.needs_tags and key.startswith(r.filter.prefix) for r in rules)


def _colder(a: str, b: str) -> bool:
    order = {c: n for n, c in enumerate(STORAGE_CLASS_ORDER)}
    return order.get(a, len(order)) > order.get(b or "STANDARD", 0)


# --- effects ------------------------------------------------------------------------------


def _candidates(rules: Sequence[Rule], e: Entry, *, versioned: bool, behaviour: Behaviour) -> list[Effect]:
    found: list[Effect] = []
    size = 0 if e.is_delete_marker else e.size
    for rule in rules:
        flt = rule.filter
        if not rule.enabled or not e.key.startswith(flt.prefix):
            continue
        # A size filter the endpoint applies replaces its default minimum for transitions.
        min_bytes = 0 if flt.has_size and behaviour.size_filters else behaviour.transition_min_bytes
        if (flt.tags or flt.has_size) and not matches(flt, key=e.key, size=size, tags=e.tags, behaviour=behaviour):
            continue
        if e.is_delete_marker:
            if not e.is_latest and rule.noncurrent_days is not None and e.noncurrent_since is not None:
                if rule.newer_noncurrent_versions is None or e.newer_noncurrent >= rule.newer_noncurrent_versions:
                    found.append(Effect(rule.id, Action.EXPIRE_NONCURRENT,
                                        due(e.noncurrent_since, rule.noncurrent_days, behaviour)))
            continue  # a current marker is judged by `_marker_removal`, once its versions are known
        if e.is_latest:
            if rule.expiration_days is not None:
                found.append(Effect(rule.id, Action.EXPIRE, due(e.last_modified, rule.expiration_days, behaviour)))
            if rule.expiration_date is not None:
                found.append(Effect(rule.id, Action.EXPIRE, _on_date(rule.expiration_date, e.last_modified)))
            for t in rule.transitions:
                if e.size < min_bytes or not _colder(t.storage_class, e.storage_class):
                    continue
                at = (due(e.last_modified, t.days, behaviour) if t.days is not None
                      else _on_date(t.date, e.last_modified) if t.date else None)
                if at is not None:
                    found.append(Effect(rule.id, Action.TRANSITION, at, t.storage_class))
        elif versioned and e.noncurrent_since is not None:
            if rule.noncurrent_days is not None and (
                    rule.newer_noncurrent_versions is None or e.newer_noncurrent >= rule.newer_noncurrent_versions):
                found.append(Effect(rule.id, Action.EXPIRE_NONCURRENT,
                                    due(e.noncurrent_since, rule.noncurrent_days, behaviour)))
            for t in rule.noncurrent_transitions:
                if t.days is None or e.size < min_bytes or not _colder(t.storage_class, e.storage_class):
                    continue
                found.append(Effect(rule.id, Action.TRANSITION_NONCURRENT,
                                    due(e.noncurrent_since, t.days, behaviour), t.storage_class))
    return found


def resolve(candidates: Sequence[Effect], *, storage_class: str = "STANDARD", versioned: bool = True) -> list[Effect]:
    """What really happens to one item, in time order, when several rules want it."""
    if len(candidates) <= 1:  # the common case: one rule wants it, or none
        only = candidates[0] if candidates else None
        if only is None or (only.action not in TERMINAL and not _colder(only.storage_class, storage_class)):
            return []
        return [only]
    permanent = PERMANENT if versioned else PERMANENT | {Action.EXPIRE}
    ending = None
    for c in sorted((c for c in candidates if c.action in TERMINAL), key=lambda c: c.at):
        ending = c
        break  # the earliest wins; on a tie the earlier rule in the configuration
    moves = sorted((c for c in candidates if c.action not in TERMINAL),
                   key=lambda c: (c.at, -STORAGE_CLASS_ORDER.index(c.storage_class)
                                  if c.storage_class in STORAGE_CLASS_ORDER else 0))
    kept: list[Effect] = []
    current = storage_class
    for move in moves:
        if ending is not None and (move.at > ending.at or move.at == ending.at and ending.action in permanent):
            continue  # gone first: permanent deletion wins over a transition on the same day
        if kept and kept[-1].at == move.at:
            continue  # same day: the colder class (sorted first) won
        if _colder(move.storage_class, current):
            kept.append(move)
            current = move.storage_class
    if ending is not None and kept and kept[-1].at == ending.at and ending.action not in permanent:
        # A transition wins over the creation of a delete marker; the marker comes next run.
        ending = replace(ending, at=ending.at + DAY)
    return kept + ([ending] if ending else [])


def _marker_removal(rules: Sequence[Rule], marker: Entry, gone_at: datetime | None, *,
                    behaviour: Behaviour) -> Effect | None:
    """A current delete marker goes once every version behind it is gone (`gone_at`; None:
    never) and a rule removes expired object delete markers."""
    if gone_at is None:
        return None
    best: Effect | None = None
    for rule in rules:
        if not rule.enabled or not matches(rule.filter, key=marker.key, size=0, tags={}, behaviour=behaviour):
            continue
        at = None
        if rule.expired_object_delete_marker:
            at = max(gone_at, marker.last_modified)
        elif rule.expiration_days is not None and behaviour.days_remove_expired_delete_markers:
            at = max(gone_at, due(marker.last_modified, rule.expiration_days, behaviour))
        if at is not None and (best is None or at < best.at):
            best = Effect(rule.id, Action.REMOVE_DELETE_MARKER, at)
    return best


def key_effects(rules: Sequence[Rule], entries: Sequence[Entry], *, versioned: bool,
                behaviour: Behaviour = Behaviour()) -> list[tuple[Entry, list[Effect]]]:
    """Every version and delete marker of one key (any order), each with what happens to it."""
    # Newest first; the sort is stable, so entries of the same second keep the listing's order.
    if len(entries) == 1:
        ordered = list(entries)  # most keys have one version: nothing to order
    else:
        ordered = sorted(entries, key=lambda e: (e.is_latest, e.last_modified), reverse=True)
        ordered = ordered[:1] + sorted(ordered[1:], key=lambda e: e.last_modified, reverse=True)
    noncurrent_seen = 0
    for n, entry in enumerate(ordered):
        entry.noncurrent_since = ordered[n - 1].last_modified if n else None
        if n and not entry.is_latest:
            entry.newer_noncurrent = noncurrent_seen
            noncurrent_seen += 1
    out: list[tuple[Entry, list[Effect]]] = []
    for entry in ordered:
        if entry.is_latest and entry.is_delete_marker:
            continue
        out.append((entry, resolve(_candidates(rules, entry, versioned=versioned, behaviour=behaviour),
                                   storage_class=entry.storage_class, versioned=versioned)))
    head = ordered[0] if ordered else None
    if head is not None and head.is_latest and head.is_delete_marker:
        gone: list[datetime | None] = []
        for _entry, effects in out:
            end = next((e.at for e in effects if e.action in PERMANENT), None)
            gone.append(end)
        gone_at = max((g for g in gone if g is not None), default=head.last_modified) if all(
            g is not None for g in gone) else None
        removal = _marker_removal(rules, head, gone_at, behaviour=behaviour)
        out.insert(0, (head, [removal] if removal else []))
    return out


def upload_effect(rules: Sequence[Rule], upload: Upload, behaviour: Behaviour = Behaviour()) -> Effect | None:
    best: Effect | None = None
    for rule in rules:
        if not rule.enabled or rule.abort_days is None:
            continue
        if not matches(rule.filter, key=upload.key, size=None, tags={}, behaviour=behaviour):
            continue
        at = due(upload.initiated, rule.abort_days, behaviour)
        if best is None or at < best.at:
            best = Effect(rule.id, Action.ABORT_UPLOAD, at)
    return best


# --- what the endpoint will not do as written ------------------------------------------------


def rule_warnings(rules: Sequence[Rule], behaviour: Behaviour, provider_label: str) -> list[str]:
    """Sentences for rules the endpoint applies differently from how they read."""
    notes = []
    for rule in rules:
        if not rule.enabled:
            continue
        where = f"under “{rule.filter.prefix}”" if rule.filter.prefix else "in the bucket"
        if rule.filter.has_size and not behaviour.size_filters_offered:
            notes.append(f"Rule “{rule.id}” filters by object size, but {provider_label} does not offer size "
                         "filters in lifecycle rules: the endpoint may refuse the rule, or ignore the size and "
                         f"apply it to every object {where}, small or large. The preview assumes the worst "
                         "and counts them all.")
        elif rule.filter.has_size and not behaviour.size_filters:
            notes.append(f"Rule “{rule.id}” filters by object size, but {provider_label} ignores size filters: "
                         f"it applies to every object {where}, small or large. The preview counts them all.")
        if rule.expiration_days is not None and not behaviour.days_remove_expired_delete_markers:
            notes.append(f"Rule “{rule.id}” expires by days; {provider_label} does not remove expired delete "
                         "markers under such a rule (AWS does): they stay.")
        if (rule.transitions or rule.noncurrent_transitions) and behaviour.transition_min_bytes and not (
                rule.filter.has_size and behaviour.size_filters):
            notes.append(f"Rule “{rule.id}” transitions objects; {provider_label} does not transition objects "
                         f"smaller than {behaviour.transition_min_bytes:,} bytes.")
    return notes


# --- the horizons of the timeline ---------------------------------------------------------

HORIZONS: tuple[tuple[str, int], ...] = (("now", 0), ("7", 7), ("30", 30), ("90", 90), ("365", 365))


def horizon_of(at: datetime, now: datetime, behaviour: Behaviour = Behaviour()) -> str | None:
    """The first horizon ("now", "7", … "365") an effect at `at` falls within, or None."""
    return horizon_within(at, horizon_cutoffs(now, behaviour))


def horizon_cutoffs(now: datetime, behaviour: Behaviour = Behaviour()) -> tuple[tuple[str, datetime], ...]:
    """Each horizon with the moment it ends: computed once, then `horizon_within` per effect."""
    return tuple((name, now + days * behaviour.day) for name, days in HORIZONS)


def horizon_within(at: datetime, cutoffs: Sequence[tuple[str, datetime]]) -> str | None:
    for name, end in cutoffs:
        if at <= end:
            return name
    return None


@dataclass
class Tally:
    """Counts and bytes per horizon (cumulative: "within 30 days" includes "now")."""

    count: dict[str, int] = field(default_factory=lambda: dict.fromkeys((h for h, _ in HORIZONS), 0))
    bytes: dict[str, int] = field(default_factory=lambda: dict.fromkeys((h for h, _ in HORIZONS), 0))

    def add(self, horizon: str, size: int) -> None:
        reached = False
        for name, _days in HORIZONS:
            reached = reached or name == horizon
            if reached:
                self.count[name] += 1
                self.bytes[name] += size

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {"count": dict(self.count), "bytes": dict(self.bytes)}
