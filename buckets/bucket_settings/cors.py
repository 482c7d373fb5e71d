"""CORS: which origins may use the bucket from a browser, with which methods and headers."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.http import QueryDict

from .. import gateway
from .inputs import TextListField, lines, number_field, rule_forms, rule_formset, rule_raw
from .model import CORS_METHODS, Rejected, Setting, Shape, Where

CORS_RULE_LIMIT = 100  # S3 keeps at most 100 CORS rules per bucket

# What a browser sends as Origin: scheme://host[:port], with no path. S3 allows one * in it.
_ORIGIN = re.compile(r"https?://(?:[A-Za-z0-9*._-]+|\[[0-9A-Fa-f:.]+\])(?::(?P<port>[0-9]{1,5}|\*))?",
                     re.ASCII | re.IGNORECASE)


class CorsRuleForm(forms.Form):
    id = forms.CharField(required=False)
    origins = forms.CharField(required=False)
    methods = TextListField(required=False)
    headers = forms.CharField(required=False)
    expose = forms.CharField(required=False)
    max_age = forms.CharField(required=False)
    remove = forms.BooleanField(required=False)


CorsRules = rule_formset(CorsRuleForm, limit=CORS_RULE_LIMIT)


def cors_rule(origins: list[str], methods: list[str], headers: list[str], expose: list[str],
              max_age: object, rule_id: str) -> dict[str, Any]:
    return {"id": rule_id, "origins": origins, "methods": methods, "headers": headers,
            "expose": expose, "max_age": max_age, "origins_text": "\n".join(origins),
            "headers_text": "\n".join(headers), "expose_text": "\n".join(expose)}


def cors_read(where: Where) -> dict[str, Any]:
    answer = gateway.cors_get(where.connection, where.bucket) or {}
    rules = [
        cors_rule(rule.get("AllowedOrigins", []), rule.get("AllowedMethods", []),
                  rule.get("AllowedHeaders", []), rule.get("ExposeHeaders", []),
                  rule.get("MaxAgeSeconds", ""), rule.get("ID", ""))
        for rule in answer.get("CORSRules", [])
    ]
    return {"rules": rules}


def origin_problem(origin: str) -> str:
    """Why S3 (or a browser) would not take `origin` as an allowed origin; "" when fine."""
    shown = origin if len(origin) <= 80 else origin[:80] + "…"
    if origin == "*":
        return ""
    if origin.count("*") > 1:
        return (f"the origin “{shown}” has {origin.count('*')} wildcards; S3 allows at most one * "
                "in an origin.")
    found = _ORIGIN.fullmatch(origin)
    if not found:
        return (f"“{shown}” is not an origin. Write scheme://host[:port] with http or https, "
                "such as https://app.example.com, or * for any origin.")
    port = found.group("port")
    if port and port != "*" and not 1 <= int(port) <= 65535:
        return f"the port of “{shown}” is not between 1 and 65535."
    return ""


def cors_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    rules, errors = [], []
    for form in rule_forms(CorsRules, data):
        raw = rule_raw(form)
        rule = cors_rule(lines(raw["origins"]), raw["methods"], lines(raw["headers"]),
                         lines(raw["expose"]), str(raw["max_age"] or "").strip(),
                         str(raw["id"] or "").strip())
        if raw["remove"] or not (rule["origins"] or rule["methods"] or rule["headers"]):
            continue
        n = len(rules) + 1
        if not rule["origins"]:
            errors.append(f"Rule {n}: name at least one allowed origin (or * for any).")
        errors += [f"Rule {n}: {problem}" for problem in map(origin_problem, rule["origins"])
                   if problem]
        if not rule["methods"]:
            errors.append(f"Rule {n}: choose at least one method.")
        if set(rule["methods"]) - set(CORS_METHODS):
            errors.append(f"Rule {n}: methods are limited to {', '.join(CORS_METHODS)}.")
        max_age = number_field(rule["max_age"], f"Rule {n}: max age (seconds)", errors,
                               minimum=0)
        rules.append(rule)
        if max_age is not None:
            rule["max_age"] = max_age
    value = {"rules": rules}
    if errors:
        raise Rejected(errors, value)
    return value


def cors_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    if not value["rules"]:
        gateway.cors_delete(where.connection, where.bucket)
        return
    rules = []
    for rule in value["rules"]:
        item: dict[str, Any] = {"AllowedOrigins": rule["origins"], "AllowedMethods": rule["methods"]}
        if rule["id"]:
            item["ID"] = rule["id"]
        if rule["headers"]:
            item["AllowedHeaders"] = rule["headers"]
        if rule["expose"]:
            item["ExposeHeaders"] = rule["expose"]
        if isinstance(rule["max_age"], int):
            item["MaxAgeSeconds"] = rule["max_age"]
        rules.append(item)
    gateway.cors_put(where.connection, where.bucket, rules)


SETTING = Setting("cors", cors_read, cors_parse, cors_write, save_label="Save CORS rules",
                  rule_formset=CorsRules)
