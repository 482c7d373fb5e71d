"""Sections: what one setting's control looks like for this user, provider and bucket type.

Views decide nothing about providers: they ask `section_new` what the control looks like
and `section_refusal` whether a POST may reach the endpoint at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .. import catalogue, gateway
from ..catalogue import State
from .inputs import RULE_PREFIX, unsendable_field
from .model import Rejected, Setting, Shape, Where
from .registry import SETTINGS

OPTED_IN_LABEL = "API-only at provider — run from the console"
STATE_LABELS = {State.CONSOLE: "Console", State.API_ONLY: "API only",
                State.UNSUPPORTED: "Unsupported"}
STATE_CSS = {State.CONSOLE: "console", State.API_ONLY: "api-only", State.UNSUPPORTED: "unsupported"}


def control_mode(availability: catalogue.Availability, allow_api_only: bool) -> str:
    """console | opted_in | api_only | unsupported."""
    if availability.state == State.API_ONLY:
        return "opted_in" if allow_api_only else "api_only"
    return availability.state.value


def type_phrase(shape: Shape) -> str:
    """"contract-owned" for "Contract-owned bucket", the id where the label says nothing."""
    label = shape.bucket_type_label.removesuffix(" bucket")
    if label.lower() == "bucket":
        return shape.bucket_type
    return label[0].lower() + label[1:] if len(shape.provider.bucket_types) > 1 else label


@dataclass(frozen=True)
class RuleRow:
    index: int
    prefix: str  # "rule-0": the start of every field name of this rule
    rule: Mapping[str, Any]  # the rule as read or as typed; empty for the blank row
    blank: bool


@dataclass(frozen=True)
class RuleEditor:
    management_form: Any  # rule-TOTAL_FORMS and the formset's other counts
    rows: list[RuleRow]


@dataclass
class Section:
    setting: Setting
    availability: catalogue.Availability
    shape: Shape
    mode: str
    url: str
    can_edit: bool
    snippets: dict[str, str] | None = None
    value: dict[str, Any] | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # saved, but worth a second look
    error: str = ""
    not_implemented: str = ""
    saved: bool = False

    @property
    def feature(self) -> catalogue.Feature:
        return self.setting.feature

    @property
    def dom_id(self) -> str:
        return f"setting-{self.setting.feature_id}"

    @property
    def offered(self) -> bool:
        return self.setting.offered and self.mode != "unsupported"

    @property
    def enabled(self) -> bool:
        return self.can_edit and self.mode in ("console", "opted_in") and not self.not_implemented

    @property
    def control(self) -> str:
        """What a person sees: enabled | readonly | disabled | absent | api (no form here)."""
        if self.mode == "unsupported":
            return "absent"
        if not self.setting.offered:
            return "api"
        if self.mode == "api_only":
            return "disabled"
        return "enabled" if self.can_edit else "readonly"

    @property
    def save_label(self) -> str:
        return self.setting.save_label or f"Save {self.feature.label}"

    @property
    def rule_editor(self) -> RuleEditor | None:
        """The rule editor's formset: one form per rule shown, plus a blank one to add."""
        if self.setting.rule_formset is None or self.value is None:
            return None
        formset = self.setting.rule_formset(initial=self.value.get("rules") or [],
                                            prefix=RULE_PREFIX,
                                            auto_id=f"{self.setting.feature_id}-%s")
        last = len(formset.forms) - 1
        # Plain rows, because a template reads form.prefix of a rule form with a field
        # called "prefix" as that field.
        rows = [RuleRow(i, form.prefix, form.initial, i == last)
                for i, form in enumerate(formset.forms)]
        return RuleEditor(formset.management_form, rows)

    @property
    def unsupported_text(self) -> str:
        return f"Not supported by {self.shape.provider.label} for {type_phrase(self.shape)} buckets."

    @property
    def unsupported_note(self) -> str:
        """The catalogue's note, unless it only repeats `unsupported_text` in other words."""
        note = self.availability.note
        return "" if note.lower().startswith("not supported by") else note

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.availability.state]

    @property
    def opted_in_label(self) -> str:
        return OPTED_IN_LABEL


def section_new(
    feature_id: str,
    *,
    availability: catalogue.Availability,
    shape: Shape,
    url: str,
    can_edit: bool,
    endpoint: str,
    key: str = "",
) -> Section:
    """A section before anything is read: the catalogue alone decides its control."""
    mode = control_mode(availability, shape.allow_api_only)
    snippets = None
    if mode != "unsupported" and (mode == "api_only" or not SETTINGS[feature_id].offered):
        snippets = catalogue.api_snippets(feature_id, endpoint=endpoint, bucket=shape.bucket,
                                          region=shape.region, key=key)
    return Section(SETTINGS[feature_id], availability, shape, mode, url, can_edit, snippets)


def section_read(section: Section, where: Where) -> None:
    """Fill the section from the endpoint: one S3 call, never one for what is not offered."""
    if not section.offered or section.setting.read is None:
        return
    try:
        section.value = section.setting.read(where)
    except gateway.NotImplementedByProvider as exc:
        section.not_implemented = str(exc)
    except gateway.S3Error as exc:
        section.error = str(exc)


def sections_read(sections: list[Section], where: Where) -> None:
    """Fill several sections at once: their S3 reads are independent, so they overlap.

    A settings page reads up to five subresources; one after another they cost five round
    trips (and, on Ceph RGW's keep-alive connections, a delayed-ACK stall of ~40 ms each).
    The reads touch no database, so threads are safe here.
    """
    readable = [s for s in sections if s.offered and s.setting.read is not None]
    if len(readable) <= 1:
        for section in readable:
            section_read(section, where)
        return
    with ThreadPoolExecutor(max_workers=min(6, len(readable))) as pool:
        list(pool.map(lambda section: section_read(section, where), readable))


def section_refusal(section: Section) -> str:
    """Why a change may not reach the endpoint at all, or ""."""
    label = section.feature.label
    if section.mode == "unsupported":
        note = f" {section.unsupported_note}" if section.unsupported_note else ""
        return f"{label}: {section.unsupported_text}{note}"
    if not section.setting.offered:
        return f"{label} is not managed in this console; use the provider's API."
    if section.mode == "api_only":
        return (f"{label}: {section.shape.provider.label} offers this only through its API, and "
                "your team has not opted in to running API-only features from the console.")
    return ""


def section_parse(section: Section, data: Any) -> dict[str, Any]:
    """The submitted form as the setting's value, or `Rejected` with the reasons."""
    assert section.setting.parse is not None
    problem = unsendable_field(data)
    if problem:
        raise Rejected([problem])
    return section.setting.parse(data, section.shape)


def section_write(section: Section, where: Where) -> None:
    assert section.setting.write is not None and section.value is not None
    section.setting.write(where, section.value, section.shape)
    section.warnings = list(section.value.get("warnings") or [])


def audit_detail(value: Mapping[str, Any] | None) -> dict[str, Any]:
    """A short record of what was asked for: scalars as they are, lists by their length."""
    detail: dict[str, Any] = {}
    for name, item in (value or {}).items():
        if isinstance(item, bool | int) or (isinstance(item, str) and len(item) <= 200):
            detail[name] = item
        elif isinstance(item, list | dict | str):
            detail[f"{name}_count" if not isinstance(item, str) else f"{name}_length"] = len(item)
    return detail
