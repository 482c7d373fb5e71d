"""Detect features: the catalogue's read-only probes against one bucket, mapped to states."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .. import catalogue, gateway
from ..catalogue import State

# Listing probes only need to know the call is answered; one item is enough.
_PROBE_PARAMS: dict[str, dict[str, int]] = {
    "list_objects_v2": {"MaxKeys": 1},
    "list_multipart_uploads": {"MaxUploads": 1},
}


@dataclass
class Detection:
    states: dict[str, str]  # feature id -> state, only for features with an answer
    answers: dict[str, str]  # feature id -> what the endpoint said
    at: datetime | None = None


class DetectionFailed(Exception):
    """The bucket or the endpoint could not be probed at all; nothing should be stored."""


def features_detect(*, connection: gateway.Endpoint, bucket: str) -> Detection:
    """Run the catalogue's read-only probes against one bucket and map the answers to states.

    Answered or "not configured" means the console can offer it; "not implemented" means
    unsupported; access denied proves nothing, so the feature stays unknown.
    """
    states: dict[str, str] = {}
    answers: dict[str, str] = {}
    for feature_id, method in catalogue.DETECT_PROBES.items():
        if not method.startswith(("get_", "list_", "head_")):
            raise ValueError(f"probe {method} is not a read")  # never a put or a delete
        try:
            # The probes are data (the catalogue names the boto3 call), hence no typed
            # gateway function per probe.
            answer = gateway.get_config(connection, method, Bucket=bucket, what=method,
                                        **_PROBE_PARAMS.get(method, {}))
        except gateway.NotImplementedByProvider as exc:
            states[feature_id] = State.UNSUPPORTED.value
            answers[feature_id] = f"not implemented ({exc.code or 'refused'})"
        except gateway.AccessDenied:
            answers[feature_id] = "access denied: left unknown"
        except gateway.NotFound as exc:
            if method == "head_bucket" or exc.code == "NoSuchBucket":
                raise DetectionFailed(f"The bucket “{bucket}” does not exist.") from exc
            states[feature_id] = State.CONSOLE.value
            answers[feature_id] = f"not configured ({exc.code})"
        except (gateway.Unavailable, gateway.InvalidCredentials, gateway.Refused) as exc:
            raise DetectionFailed(str(exc)) from exc
        except gateway.S3Error as exc:
            answers[feature_id] = f"unclear answer, left unknown: {exc}"
        else:
            states[feature_id] = State.CONSOLE.value
            answers[feature_id] = "not configured" if answer is None else "answered"
    return Detection(states, answers)
