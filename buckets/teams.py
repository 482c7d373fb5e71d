"""Team rules: members and roles, team options, sharing connections (grants).

Every change writes its audit entry here, so no view can change a team without one. Two
rules live nowhere else: a team never loses its last admin (the refused attempt is audited
too), and a grant is logged in both teams' logs (the owner shared it; the other team can
now reach the connection).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest

from . import audit
from .models import Connection, Grant, Membership, Role, Team

LAST_ADMIN_REFUSAL = "Refused: the team would have no admin."


class LastAdmin(Exception):
    """The change would leave the team without an admin; the message says what to do."""


class OwnGrant(Exception):
    """The owning team's own grant cannot be revoked."""


def user_resolve(*, request: HttpRequest, team: Team, username: str, new_password: str = ""):
    """The user called `username`; with `new_password`, a new account created now (and audited).

    Call inside the caller's transaction, so a failed membership leaves no stray account.
    """
    User = get_user_model()
    if not new_password:
        return User.objects.get(username=username)
    user = User.objects.create_user(username=username, password=new_password)
    audit.record(request, "user.create", team=team, member=user.username)
    return user


@transaction.atomic
def team_create(*, request: HttpRequest, name: str, admin_username: str, new_password: str = "") -> tuple[Team, object]:
    """A new team with its first admin: a team is never created without one."""
    team = Team.objects.create(name=name)
    user = user_resolve(request=request, team=team, username=admin_username, new_password=new_password)
    Membership.objects.create(user=user, team=team, role=Role.ADMIN)
    audit.record(request, "team.create", team=team, first_admin=user.username)
    return team, user


@transaction.atomic
def member_add(*, request: HttpRequest, team: Team, username: str, role: str, new_password: str = ""):
    user = user_resolve(request=request, team=team, username=username, new_password=new_password)
    Membership.objects.create(user=user, team=team, role=role)
    audit.record(request, "member.add", team=team, member=user.username, role=role)
    return user


def _other_admins(member: Membership) -> int:
    """Admins besides `member`; call inside a transaction. Locking the team row makes two
    admins demoting each other at once take turns, so one of them stays admin."""
    Team.objects.select_for_update().filter(pk=member.team_id).first()
    return Membership.objects.filter(team_id=member.team_id, role=Role.ADMIN).exclude(pk=member.pk).count()


def _refuse_last_admin(request: HttpRequest, action: str, member: Membership, **detail) -> LastAdmin:
    # Recorded outside the change's transaction: the refusal is itself worth keeping.
    audit.record(request, action, team=member.team, ok=False, member=member.user.username,
                 message=LAST_ADMIN_REFUSAL, **detail)
    return LastAdmin(f"{member.user.username} is the last admin of {member.team}. Make someone else admin first.")


def member_role_set(*, request: HttpRequest, member: Membership, role: str) -> bool:
    """Give `member` the role; False when it was theirs already. Raises LastAdmin."""
    old = member.role
    if role == old:
        return False
    with transaction.atomic():
        if old != Role.ADMIN or _other_admins(member):
            Membership.objects.filter(pk=member.pk).update(role=role)
            audit.record(request, "member.role", team=member.team, member=member.user.username, role=role, old_role=old)
            return True
    raise _refuse_last_admin(request, "member.role", member, role=role, old_role=old)


def member_remove(*, request: HttpRequest, member: Membership) -> None:
    """Take `member` out of the team. Raises LastAdmin."""
    with transaction.atomic():
        if member.role != Role.ADMIN or _other_admins(member):
            member.delete()
            audit.record(request, "member.remove", team=member.team, member=member.user.username, role=member.role)
            return
    raise _refuse_last_admin(request, "member.remove", member, role=member.role)


def team_options_set(*, request: HttpRequest, team: Team, allow_api_only: bool) -> None:
    # From the row, not `team`: a bound ModelForm has already written the new value onto it.
    before = Team.objects.filter(pk=team.pk).values_list("allow_api_only", flat=True).get()
    Team.objects.filter(pk=team.pk).update(allow_api_only=allow_api_only)
    team.allow_api_only = allow_api_only
    if before != allow_api_only:
        audit.record(request, "team.options", team=team, allow_api_only=allow_api_only, was=before)


@transaction.atomic
def grant_create(*, request: HttpRequest, connection: Connection, team: Team, buckets: list[str]) -> Grant:
    grant = Grant.objects.create(connection=connection, team=team, buckets=buckets)
    # In both teams' logs: the owner shared it, the other team can now reach it.
    audit.record(request, "grant.create", connection=connection, grantee=team.name, buckets=buckets)
    audit.record(request, "grant.create", team=team, connection=connection, grantee=team.name, buckets=buckets)
    return grant


@transaction.atomic
def grant_update(*, request: HttpRequest, grant: Grant, buckets: list[str]) -> bool:
    """Narrow or widen the grant to `buckets` (empty: every bucket); False when unchanged."""
    before = list(grant.buckets)
    if before == buckets:
        return False
    connection = grant.connection
    Grant.objects.filter(pk=grant.pk).update(buckets=buckets)
    grant.buckets = buckets
    audit.record(request, "grant.update", connection=connection, grantee=grant.team.name, buckets=buckets, was=before)
    if grant.team_id != connection.team_id:
        audit.record(request, "grant.update", team=grant.team, connection=connection, grantee=grant.team.name,
                     buckets=buckets, was=before)
    return True


def grant_revoke(*, request: HttpRequest, grant: Grant) -> None:
    """End the grant. Raises OwnGrant for the owning team's own one."""
    connection = grant.connection
    if grant.team_id == connection.team_id:
        raise OwnGrant("The owning team's own grant cannot be revoked; narrow it, or delete the connection.")
    with transaction.atomic():
        grant.delete()
        audit.record(request, "grant.revoke", connection=connection, grantee=grant.team.name)
        audit.record(request, "grant.revoke", team=grant.team, connection=connection, grantee=grant.team.name)
