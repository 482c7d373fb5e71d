"""Reading what a person typed into a settings form: lines, whole numbers, JSON documents,
bucket names and the rule editors' formsets.

Every reader answers a value or a sentence saying what is wrong, so that nothing a browser
can send turns into a server error.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.forms.formsets import INITIAL_FORM_COUNT, TOTAL_FORM_COUNT, BaseFormSet
from django.http import QueryDict

from .. import names
from .model import Rejected

# S3's XML schemas carry days, seconds and counts as 32-bit integers.
S3_INT_MAX = 2**31 - 1
# Policies and routing rules are a few levels deep; anything deeper is not a real document,
# and Python's own JSON reader and boto3's serializer recurse on each level.
JSON_MAX_DEPTH = 32
RULE_PREFIX = "rule"

_ASCII_DIGITS = re.compile(r"[0-9]+")
# Characters XML 1.0 cannot carry at all: S3 would answer MalformedXML, or worse, fail.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def unsendable_field(data: Any) -> str:
    """Why some field of a form cannot travel to S3 at all (a control character); "" if none."""
    lists = data.lists() if hasattr(data, "lists") else ((k, [v]) for k, v in data.items())
    for name, values in lists:
        for value in values:
            found = _NOT_XML.search(str(value))
            if found:
                return (f"The field {name[:60]} contains the control character "
                        f"U+{ord(found.group()):04X}, which S3 requests cannot carry; remove it.")
    return ""


def whole_number(raw: object, *, minimum: int = 1, maximum: int = S3_INT_MAX) -> tuple[int | None, str]:
    """(number, "") or (None, why not) for a field of days, seconds or years; (None, "") if empty.

    Only the ASCII digits count: ``str.isdigit()`` accepts "²" and "①", and ``int()`` reads
    "٣" as 3, but S3 expects 0-9 and a person typing "²" meant something else.
    """
    text = str(raw if raw is not None else "").strip()
    if not text:
        return None, ""
    if not _ASCII_DIGITS.fullmatch(text):
        return None, "must be a whole number written with the digits 0-9"
    if len(text) > len(str(maximum)) or int(text) > maximum:
        return None, f"must be at most {maximum:,}"
    number = int(text)
    if number < minimum:
        return None, f"must be at least {minimum}"
    return number, ""


def number_field(raw: object, label: str, errors: list[str], *, minimum: int = 1,
                 maximum: int = S3_INT_MAX) -> int | None:
    """`whole_number`, with the refusal added to `errors` as "<label> must be ..."."""
    number, problem = whole_number(raw, minimum=minimum, maximum=maximum)
    if problem:
        errors.append(f"{label} {problem}.")
    return number


def json_document(text: str, what: str) -> tuple[Any, str]:
    """(document, "") or (None, why not) for JSON typed into a text area."""
    try:
        document = json.loads(text)
    except RecursionError:
        return None, f"{what} is nested too deeply to read (at most {JSON_MAX_DEPTH} levels)."
    except ValueError as exc:
        return None, f"{what} is not valid JSON: {exc}."
    if json_depth(document) > JSON_MAX_DEPTH:
        return None, f"{what} is nested too deeply (at most {JSON_MAX_DEPTH} levels)."
    return document, ""


def json_depth(document: Any) -> int:
    """How many arrays and objects deep a parsed document goes, without recursing."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def as_list(value: Any) -> list:
    """S3 and policies write one item bare and several as a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def pretty_json(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2)
    except (ValueError, RecursionError):
        return text


def bucket_from(text: str) -> str:
    """A bucket name from a name or an S3 bucket ARN."""
    text = text.strip()
    return text.rsplit(":", 1)[-1] if text.startswith("arn:") else text


def target_bucket_problem(name: str) -> str:
    """Why `name` cannot be a bucket the setting points at (a log target, a destination)."""
    return names.target_bucket_problem(name)


# --------------------------------------------------------------------------------------
# Rule editors: one Django form per rule, in a formset with the prefix "rule"
# --------------------------------------------------------------------------------------


class TextListField(forms.Field):
    """The values of a group of checkboxes (every value posted under the name), as text."""

    widget = forms.CheckboxSelectMultiple

    def to_python(self, value: Any) -> list[str]:
        return [str(item) for item in value or []]


def rule_formset(form: type[forms.Form], *, limit: int) -> type[BaseFormSet]:
    """The formset of a rule editor: the rules shown plus one blank, at most `limit` read."""
    return forms.formset_factory(form, extra=1, max_num=limit, absolute_max=limit)


def rule_forms(formset: type[BaseFormSet], data: QueryDict) -> list[forms.Form]:
    """The bound rule forms of a POST, refused when its management form is missing or bad."""
    bound = formset(_with_legacy_count(data), prefix=RULE_PREFIX)
    counts = bound.management_form
    if not counts.is_valid() or counts.cleaned_data[TOTAL_FORM_COUNT] < 0:
        raise Rejected(["The form arrived without a valid count of its rules "
                        f"({RULE_PREFIX}-{TOTAL_FORM_COUNT}); reload the page and try again."],
                       {"rules": []})
    return bound.forms


def rule_raw(form: forms.Form) -> dict[str, Any]:
    """What was typed into one rule form, field by field, before any cleaning."""
    return {name: form[name].value() for name in form.fields}


def _with_legacy_count(data: QueryDict) -> QueryDict:
    # Pages and scripts from before the formsets post `rule-count`; it means TOTAL_FORMS. The
    # console reads every rule form alike, so a missing INITIAL_FORMS is no reason to refuse.
    total, initial = f"{RULE_PREFIX}-{TOTAL_FORM_COUNT}", f"{RULE_PREFIX}-{INITIAL_FORM_COUNT}"
    legacy = f"{RULE_PREFIX}-count"
    if initial in data or (total not in data and legacy not in data):
        return data
    data = data.copy()
    if total not in data:
        data[total] = data[legacy]
    data[initial] = "0"
    return data
