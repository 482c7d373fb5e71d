"""Teams: members and roles, team options, sharing connections (grants), site-admin teams.

Every view resolves the team or connection first: a team the user is not in answers 404
(site admins, `is_superuser`, reach every team page), a too-low role answers 403. The rules
(and their audit entries) live in `buckets.teams`, the forms in `buckets.forms`, the
queries in `buckets.selectors`.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import selectors, teams
from ..access import current_membership, get_connection
from ..forms import GrantForm, MemberAddForm, ShareForm, TeamCreateForm, TeamOptionsForm
from ..models import Connection, Grant, Membership, Role, Team
from .account import next_path

# --- access ---------------------------------------------------------------------------


def _team_for(request: HttpRequest, team_id: int, role: str = Role.VIEWER) -> tuple[Team, Membership | None]:
    """The team if the user is in it with `role`, or is a site admin; otherwise 404 or 403."""
    membership = Membership.objects.select_related("team").filter(user=request.user, team_id=team_id).first()
    if request.user.is_superuser:
        return (membership.team if membership else get_object_or_404(Team, pk=team_id)), membership
    if membership is None:
        raise Http404("No such team.")
    if not membership.has_role(role):
        raise PermissionDenied(f"This needs the {Role(role).label.lower()} role in {membership.team}.")
    return membership.team, membership


def _member_of(team: Team, membership_id: int) -> Membership:
    return get_object_or_404(Membership.objects.select_related("user", "team"), pk=membership_id, team=team)


def _owned_connection(request: HttpRequest, connection_id: int) -> Connection:
    """A connection whose owning team the user administers.

    404 unless the connection is shared with one of the user's teams at all; 403 for
    members of a team it is only shared with, or non-admins of the owning team.
    """
    connection = get_connection(request, connection_id).connection
    if not Membership.objects.filter(user=request.user, team_id=connection.team_id, role=Role.ADMIN).exists():
        raise PermissionDenied(f"Only admins of {connection.team}, the team that owns this connection, manage its sharing.")
    return connection


def _require_site_admin(request: HttpRequest) -> None:
    # 404, not 403: the page does not exist for anyone else.
    if not request.user.is_superuser:
        raise Http404("No such page.")


# --- team page and members --------------------------------------------------------------


@require_GET
def my_team(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    if membership is None:
        if request.user.is_superuser:
            return redirect("site_teams")
        raise Http404("You are not a member of any team.")
    return redirect("team_detail", membership.team_id)


def _team_context(request: HttpRequest, team: Team, membership: Membership | None, **forms_) -> dict:
    can_manage = request.user.is_superuser or bool(membership and membership.has_role(Role.ADMIN))
    members = selectors.team_members(team)
    context = {
        "nav": "team",
        "team": team,
        "my_membership": membership,
        "members": members,
        "admin_count": sum(1 for m in members if m.role == Role.ADMIN),
        "roles": Role.choices,
        "can_manage": can_manage,
        "owned": selectors.team_connections_owned(team),
        "received": selectors.team_grants_received(team),
    }
    if can_manage:
        context["add_form"] = forms_.get("add_form") or MemberAddForm(team=team, can_create_users=request.user.is_superuser)
        context["options_form"] = forms_.get("options_form") or TeamOptionsForm(instance=team)
    return context


@require_GET
def team_detail(request: HttpRequest, team_id: int) -> HttpResponse:
    team, membership = _team_for(request, team_id)
    return render(request, "buckets/team_detail.html", _team_context(request, team, membership))


@require_POST
def member_add(request: HttpRequest, team_id: int) -> HttpResponse:
    team, membership = _team_for(request, team_id, Role.ADMIN)
    form = MemberAddForm(request.POST, team=team, can_create_users=request.user.is_superuser)
    if not form.is_valid():
        return render(request, "buckets/team_detail.html", _team_context(request, team, membership, add_form=form), status=400)
    role = form.cleaned_data["role"]
    user = teams.member_add(request=request, team=team, username=form.cleaned_data["username"], role=role,
                            new_password=form.new_password)
    messages.success(request, f"{user.username} joined {team} as {Role(role).label.lower()}.")
    return redirect("team_detail", team.pk)


@require_POST
def member_role(request: HttpRequest, team_id: int, membership_id: int) -> HttpResponse:
    team, _ = _team_for(request, team_id, Role.ADMIN)
    member = _member_of(team, membership_id)
    role = request.POST.get("role", "")
    if role not in Role.values:
        messages.error(request, "Choose viewer, editor or admin.")
        return redirect("team_detail", team.pk)
    try:
        changed = teams.member_role_set(request=request, member=member, role=role)
    except teams.LastAdmin as exc:
        messages.error(request, str(exc))
        return redirect("team_detail", team.pk)
    if changed:
        messages.success(request, f"{member.user.username} is now {Role(role).label.lower()} in {team}.")
    return redirect("team_detail", team.pk)


@require_POST
def member_remove(request: HttpRequest, team_id: int, membership_id: int) -> HttpResponse:
    team, _ = _team_for(request, team_id, Role.ADMIN)
    member = _member_of(team, membership_id)
    try:
        teams.member_remove(request=request, member=member)
    except teams.LastAdmin as exc:
        messages.error(request, str(exc))
        return redirect("team_detail", team.pk)
    messages.success(request, f"{member.user.username} was removed from {team}.")
    if member.user_id == request.user.pk and not request.user.is_superuser:
        return redirect("home")
    return redirect("team_detail", team.pk)


@require_POST
def team_options(request: HttpRequest, team_id: int) -> HttpResponse:
    team, membership = _team_for(request, team_id, Role.ADMIN)
    form = TeamOptionsForm(request.POST, instance=team)
    if not form.is_valid():
        return render(request, "buckets/team_detail.html", _team_context(request, team, membership, options_form=form), status=400)
    teams.team_options_set(request=request, team=team, allow_api_only=form.cleaned_data["allow_api_only"])
    messages.success(request, "Team options saved.")
    # The availability page posts here too and wants to come back to itself.
    back = next_path(request, request.POST.get("next", ""))
    return HttpResponseRedirect(back) if back else redirect("team_detail", team.pk)


# --- site admins: all teams ------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def site_teams(request: HttpRequest) -> HttpResponse:
    _require_site_admin(request)
    form = TeamCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        team, user = teams.team_create(request=request, name=form.cleaned_data["name"],
                                       admin_username=form.cleaned_data["username"], new_password=form.new_password)
        messages.success(request, f"Team “{team}” created with {user.username} as its admin.")
        return redirect("team_detail", team.pk)
    status = 400 if request.method == "POST" else 200
    context = {"nav": "teams", "rows": selectors.teams_overview(), "form": form}
    return render(request, "buckets/teams.html", context, status=status)


# --- grants: sharing a connection --------------------------------------------------------


def _grants_context(connection: Connection, share_form: ShareForm | None = None, edit_errors: dict | None = None) -> dict:
    grants = selectors.connection_grants(connection)
    for grant in grants:
        grant.errors = (edit_errors or {}).get(grant.pk, [])
        grant.buckets_text = "\n".join(grant.buckets)
    return {"connection": connection, "grants": grants, "share_form": share_form or ShareForm(connection=connection)}


def _grant_of(connection: Connection, grant_id: int) -> Grant:
    grant = get_object_or_404(Grant.objects.select_related("team"), pk=grant_id, connection=connection)
    grant.connection = connection
    return grant


@require_GET
def grant_list(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = _owned_connection(request, connection_id)
    return render(request, "buckets/grants.html", _grants_context(connection))


@require_POST
def grant_create(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = _owned_connection(request, connection_id)
    form = ShareForm(request.POST, connection=connection)
    if not form.is_valid():
        return render(request, "buckets/grants.html", _grants_context(connection, share_form=form), status=400)
    teams.grant_create(request=request, connection=connection, team=form.team, buckets=form.cleaned_data["buckets"])
    messages.success(request, f"“{connection}” is now shared with {form.team}.")
    return redirect("grants", connection.pk)


@require_POST
def grant_update(request: HttpRequest, connection_id: int, grant_id: int) -> HttpResponse:
    connection = _owned_connection(request, connection_id)
    grant = _grant_of(connection, grant_id)
    form = GrantForm(request.POST)
    if not form.is_valid():
        context = _grants_context(connection, edit_errors={grant.pk: form.errors["buckets"]})
        return render(request, "buckets/grants.html", context, status=400)
    buckets = form.cleaned_data["buckets"]
    teams.grant_update(request=request, grant=grant, buckets=buckets)
    scope = ", ".join(buckets) if buckets else "every bucket"
    messages.success(request, f"{grant.team} now reaches {scope} on “{connection}”.")
    return redirect("grants", connection.pk)


@require_POST
def grant_revoke(request: HttpRequest, connection_id: int, grant_id: int) -> HttpResponse:
    connection = _owned_connection(request, connection_id)
    grant = _grant_of(connection, grant_id)
    try:
        teams.grant_revoke(request=request, grant=grant)
    except teams.OwnGrant as exc:
        messages.error(request, str(exc))
        return redirect("grants", connection.pk)
    messages.success(request, f"{grant.team} no longer reaches “{connection}”.")
    return redirect("grants", connection.pk)
