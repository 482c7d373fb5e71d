"""Single sign-on with OpenID Connect (mozilla-django-oidc), optional and off by default.

With CONSOLE_OIDC_ENABLED=1 the sign-in page offers "Sign in with <provider>"; the
provider's users are created on their first sign-in and, when the ID token or userinfo
carries the teams claim (CONSOLE_OIDC_TEAMS_CLAIM, e.g. ["Storage team:editor"] or
{"Storage team": "editor"}), they are put into those existing teams with those roles. Local
accounts keep signing in with their passwords.

Users are matched on the username claim (CONSOLE_OIDC_USERNAME_CLAIM), not on e-mail: an
address is not proof of an account. A local account (one with a password) is never taken
over by a provider's user of the same name unless CONSOLE_OIDC_LINK_LOCAL=1.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import Http404
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from . import audit
from .models import Membership, Role, Team

log = logging.getLogger(__name__)


def team_roles(value) -> dict[str, str]:
    """The teams claim as {team name: role}; entries with an unknown role are dropped."""
    pairs: Iterable[tuple[str, str]]
    if isinstance(value, dict):
        pairs = ((str(k), str(v)) for k, v in value.items())
    elif isinstance(value, list | tuple):
        pairs = (tuple(str(item).rsplit(":", 1)) if ":" in str(item) else (str(item), Role.VIEWER) for item in value)
    else:
        return {}
    roles = {}
    for team, role in pairs:
        if role.strip().lower() in Role.values and team.strip():
            roles[team.strip()] = role.strip().lower()
    return roles


class ConsoleOIDCBackend(OIDCAuthenticationBackend):
    def username_of(self, claims: dict) -> str:
        return str(claims.get(settings.OIDC_USERNAME_CLAIM) or claims.get("sub") or "")[:150]

    def verify_claims(self, claims: dict) -> bool:
        return bool(self.username_of(claims))

    def filter_users_by_claims(self, claims: dict):
        return get_user_model().objects.filter(username=self.username_of(claims))

    def update_user(self, user, claims: dict):
        if user.has_usable_password() and not settings.OIDC_LINK_LOCAL:
            # A local account of the same name: the provider does not get to sign in as it.
            log.warning("OIDC sign-in refused: a local account has that username")
            return None
        if settings.OIDC_TEAMS_CLAIM in claims:
            memberships_sync(user, team_roles(claims[settings.OIDC_TEAMS_CLAIM]))
        return user

    def create_user(self, claims: dict):
        user = get_user_model().objects.create_user(self.username_of(claims), email=claims.get("email", ""))
        user.set_unusable_password()  # signs in only through the provider
        user.save(update_fields=["password"])
        return self.update_user(user, claims)


@transaction.atomic
def memberships_sync(user, roles: dict[str, str]) -> None:
    """Add the user to the named existing teams with the named roles (teams are created by a
    site admin, never by a claim); a role the claim changed is updated."""
    for team in Team.objects.filter(name__in=list(roles)):
        role = roles[team.name]
        membership, created = Membership.objects.get_or_create(user=user, team=team, defaults={"role": role})
        changed = not created and membership.role != role
        if changed:
            membership.role = role
            membership.save(update_fields=["role"])
        if created or changed:
            audit.record(None, "member.sso", team=team, user=user, member=user.username, role=role)


def _enabled_only(view):
    def wrapped(request, *args, **kwargs):
        if not settings.OIDC_ENABLED:
            raise Http404("Single sign-on is not configured.")
        return view(request, *args, **kwargs)

    return login_not_required(wrapped)


authenticate = _enabled_only(OIDCAuthenticationRequestView.as_view())
callback = _enabled_only(OIDCAuthenticationCallbackView.as_view())


class LoginOption:
    """For the sign-in page: read at render time, so the settings decide."""

    @property
    def enabled(self) -> bool:
        return settings.OIDC_ENABLED

    @property
    def label(self) -> str:
        return settings.OIDC_PROVIDER_LABEL
