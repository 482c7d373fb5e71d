"""Who may reach which connection and bucket.

Every view resolves what it touches through these functions first. Anything outside the
user's teams and grants answers 404, so other teams' objects are not even confirmed to
exist; a too-low role in a team that does have access answers 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from . import catalogue, names
from .models import ROLE_RANK, Connection, Grant, KnownBucket, Membership, Role, Team

TEAM_SESSION_KEY = "team_id"


def memberships(user) -> list[Membership]:
    """The user's memberships, read once per request (request.user lives as long)."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_console_memberships", None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).select_related("team"))
        user._console_memberships = cached
    return cached


def current_membership(request: HttpRequest) -> Membership | None:
    """The team the user works in now (switchable; the first one by default)."""
    if hasattr(request, "_console_membership"):
        return request._console_membership
    items = memberships(request.user)
    chosen = None
    wanted = request.session.get(TEAM_SESSION_KEY) if hasattr(request, "session") else None
    for m in items:
        if m.team_id == wanted:
            chosen = m
    if chosen is None and items:
        chosen = items[0]
    request._console_membership = chosen
    return chosen


def require_membership(request: HttpRequest, role: str = Role.VIEWER) -> Membership:
    membership = current_membership(request)
    if membership is None:
        raise Http404("You are not a member of any team.")
    if not membership.has_role(role):
        raise PermissionDenied(f"This needs the {Role(role).label.lower()} role in {membership.team}.")
    return membership


def team_connections(team: Team):
    return Connection.objects.filter(grants__team=team).distinct().order_by("name")


@dataclass
class ConnectionAccess:
    connection: Connection
    membership: Membership
    grant: Grant

    @property
    def team(self) -> Team:
        return self.membership.team

    @property
    def role(self) -> str:
        return self.membership.role

    @property
    def is_owner(self) -> bool:
        return self.connection.team_id == self.membership.team_id

    def can(self, role: str) -> bool:
        return self.membership.has_role(role)

    def require(self, role: str) -> None:
        if not self.can(role):
            raise PermissionDenied(
                f"This needs the {Role(role).label.lower()} role in {self.membership.team}."
            )

    def bucket_allowed(self, bucket: str) -> bool:
        return self.grant.allows(bucket)

    @property
    def granted_buckets(self) -> list[str]:
        return list(self.grant.buckets)


def get_connection(request: HttpRequest, connection_id: int, role: str = Role.VIEWER) -> ConnectionAccess:
    """The connection, reached through one of the user's teams, or 404."""
    items = memberships(request.user)
    by_team = {m.team_id: m for m in items}
    grants = Grant.objects.filter(connection_id=connection_id, team_id__in=by_team).select_related(
        "connection", "connection__team"
    )
    best: ConnectionAccess | None = None
    current = current_membership(request)
    for grant in grants:
        candidate = ConnectionAccess(grant.connection, by_team[grant.team_id], grant)
        if best is None:
            best = candidate
            continue
        # Prefer the team the user is working in, then the higher role.
        if current and grant.team_id == current.team_id:
            best = candidate
        elif ROLE_RANK[Role(candidate.role)] > ROLE_RANK[Role(best.role)] and not (
            current and best.membership.team_id == current.team_id
        ):
            best = candidate
    if best is None:
        raise Http404("No such connection.")
    # The audit log files what happens next under the team that acted.
    request._console_acting_team = best.membership.team
    best.require(role)
    return best


@dataclass
class BucketAccess:
    access: ConnectionAccess
    bucket: str
    bucket_type: str

    @property
    def connection(self) -> Connection:
        return self.access.connection

    def availability(self, feature_id: str) -> catalogue.Availability:
        return feature_availability(self.connection, self.bucket_type, feature_id)

    def can(self, role: str) -> bool:
        return self.access.can(role)

    def require(self, role: str) -> None:
        self.access.require(role)


def get_bucket(request: HttpRequest, connection_id: int, bucket: str, role: str = Role.VIEWER) -> BucketAccess:
    access = get_connection(request, connection_id, Role.VIEWER)
    if _unusable_bucket_name(request, bucket) or not access.bucket_allowed(bucket):
        raise Http404("No such bucket.")
    access.require(role)
    return BucketAccess(access, bucket, bucket_type_of(access.connection, bucket))


def _unusable_bucket_name(request: HttpRequest, bucket: str) -> bool:
    """True for a name in the URL that no bucket can have (300 characters, a NUL): it would
    only fail later, in the database or in reverse(), and no such bucket exists. A name from a
    form is the form's to refuse with a message; only a NUL, which no query can carry, is
    refused here too."""
    from_path = bucket == getattr(getattr(request, "resolver_match", None), "kwargs", {}).get("bucket")
    return "\x00" in bucket or (from_path and bool(names.target_bucket_problem(bucket)))


def bucket_type_of(connection: Connection, bucket: str) -> str:
    known = KnownBucket.objects.filter(connection=connection, name=bucket).values_list("bucket_type", flat=True).first()
    return known or connection.default_bucket_type


def feature_availability(connection: Connection, bucket_type: str, feature_id: str) -> catalogue.Availability:
    return catalogue.availability(
        connection.provider, bucket_type, feature_id, overrides=connection.detected_features or None
    )
