"""Static website: index and error documents, or a redirect of every request, and routing
rules where the provider lets the console set them."""

from __future__ import annotations

import json
from typing import Any

from django.http import QueryDict

from .. import gateway
from .inputs import json_document
from .model import Rejected, Setting, Shape, Where

# S3's RoutingRule: every part is a string, and a rule without a Redirect means nothing.
ROUTING_CONDITION_KEYS = ("HttpErrorCodeReturnedEquals", "KeyPrefixEquals")
ROUTING_REDIRECT_KEYS = ("HostName", "HttpRedirectCode", "Protocol", "ReplaceKeyPrefixWith",
                         "ReplaceKeyWith")


def website_read(where: Where) -> dict[str, Any]:
    answer = gateway.website_get(where.connection, where.bucket)
    if answer is None:
        return {"enabled": False, "index": "index.html", "error": "", "redirect_host": "",
                "redirect_protocol": "", "routing_rules": ""}
    redirect_all = answer.get("RedirectAllRequestsTo") or {}
    rules = answer.get("RoutingRules")
    return {
        "enabled": True,
        "index": (answer.get("IndexDocument") or {}).get("Suffix", ""),
        "error": (answer.get("ErrorDocument") or {}).get("Key", ""),
        "redirect_host": redirect_all.get("HostName", ""),
        "redirect_protocol": redirect_all.get("Protocol", ""),
        "routing_rules": json.dumps(rules, indent=2) if rules else "",
    }


def website_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    value = {
        "enabled": data.get("enabled") == "on",
        "index": str(data.get("index", "")).strip(),
        "error": str(data.get("error", "")).strip(),
        "redirect_host": str(data.get("redirect_host", "")).strip(),
        "redirect_protocol": str(data.get("redirect_protocol", "")).strip(),
        "routing_rules": str(data.get("routing_rules", "")).strip(),
    }
    if not value["enabled"]:
        return value
    errors = []
    wants_redirects = value["redirect_host"] or value["routing_rules"]
    if wants_redirects and not shape.redirects_editable:
        errors.append(f"{shape.provider.label} offers website redirects for "
                      f"{shape.bucket_type_label.lower()}s only through its API.")
    if value["redirect_protocol"] not in ("", "http", "https"):
        errors.append("The redirect protocol is http or https.")
    if not value["redirect_host"] and not value["index"]:
        errors.append("Name an index document (such as index.html).")
    if "/" in value["index"]:
        errors.append("The index document is a name without slashes (such as index.html).")
    if value["routing_rules"]:
        rules, problem = json_document(value["routing_rules"], "Routing rules")
        errors += [problem] if problem else routing_rules_problems(rules)
    if errors:
        raise Rejected(errors, value)
    return value


def routing_rules_problems(rules: Any) -> list[str]:
    """What keeps `rules` from being S3 routing rules (which boto3 would refuse unsent)."""
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        return ["Routing rules are a JSON list of rules."]
    problems = []
    for n, rule in enumerate(rules, start=1):
        unknown = set(rule) - {"Condition", "Redirect"}
        if unknown:
            problems.append(f"Routing rule {n}: a rule has only a Condition and a Redirect, "
                            f"not {', '.join(sorted(unknown))[:80]}.")
        if not isinstance(rule.get("Redirect"), dict):
            problems.append(f"Routing rule {n} needs a Redirect object.")
        for part, allowed in (("Condition", ROUTING_CONDITION_KEYS),
                              ("Redirect", ROUTING_REDIRECT_KEYS)):
            body = rule.get(part)
            if body is None or (part == "Redirect" and not isinstance(body, dict)):
                continue
            if not isinstance(body, dict) or set(body) - set(allowed) or not all(
                    isinstance(v, str) for v in body.values()):
                problems.append(f"Routing rule {n}: the {part} takes text values for "
                                f"{', '.join(allowed)} only.")
    return problems


def website_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    if not value["enabled"]:
        gateway.website_delete(where.connection, where.bucket)
        return
    config: dict[str, Any] = {}
    if value["redirect_host"]:
        config["RedirectAllRequestsTo"] = {"HostName": value["redirect_host"]}
        if value["redirect_protocol"]:
            config["RedirectAllRequestsTo"]["Protocol"] = value["redirect_protocol"]
    else:
        config["IndexDocument"] = {"Suffix": value["index"]}
        if value["error"]:
            config["ErrorDocument"] = {"Key": value["error"]}
        if value["routing_rules"]:
            config["RoutingRules"] = json.loads(value["routing_rules"])
        elif not shape.redirects_editable:
            # Redirects set through the provider's API must survive a save from a form
            # that cannot show them.
            current = gateway.website_get(where.connection, where.bucket) or {}
            if current.get("RedirectAllRequestsTo"):
                raise Rejected(["This bucket redirects every request (set through the API); "
                                "change it through the API."], value)
            if current.get("RoutingRules"):
                config["RoutingRules"] = current["RoutingRules"]
    gateway.website_put(where.connection, where.bucket, config)


SETTING = Setting("website", website_read, website_parse, website_write,
                  save_label="Save website settings")
