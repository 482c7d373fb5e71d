"""Teams: members and roles, team options, sharing connections (grants), site-admin teams.

Every view resolves the team or connection first: a team the user is not in answers 404
(site admins, `is_superuser`, reach every team page), a too-low role answers 403. Every
change, and every refused attempt to remove a team's last admin, goes to the audit log.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import audit
from ..access import current_membership, get_connection
from ..models import Connection, Grant, Membership, Role, Team
from ..names import grant_bucket_problem

MAX_GRANT_BUCKETS = 500


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


# --- forms ----------------------------------------------------------------------------


class NewMemberFields(forms.Form):
    """Who joins a team: an existing user, or (site admins only) a new one."""

    username = forms.CharField(max_length=150)
    create_user = forms.BooleanField(required=False, label="Create this user (site admins)")
    password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Only for a new user; they sign in with it.",
    )

    def __init__(self, *args, can_create_users: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.can_create_users = can_create_users
        self.user = None
        self.created_user = False
        if not can_create_users:
            del self.fields["create_user"]
            del self.fields["password"]

    def clean(self):
        data = super().clean()
        username = (data.get("username") or "").strip()
        if not username:
            return data
        User = get_user_model()
        existing = User.objects.filter(username=username).first()
        if data.get("create_user"):
            if existing is not None:
                self.add_error("username", "This user exists already; leave “Create this user” unticked.")
                return data
            try:
                User.username_validator(username)
            except ValidationError as exc:
                self.add_error("username", exc)
                return data
            password = data.get("password") or ""
            if not password:
                self.add_error("password", "A new user needs a password.")
                return data
            try:
                validate_password(password, user=User(username=username))
            except ValidationError as exc:
                self.add_error("password", exc)
        elif existing is None:
            hint = " Tick “Create this user” to add a new account." if self.can_create_users else " Ask a site admin to create the account."
            self.add_error("username", "There is no user with this username." + hint)
        else:
            self.user = existing
        data["username"] = username
        return data

    def resolve_user(self):
        """The existing user, or the new one (created now, inside the caller's transaction)."""
        if self.user is None:
            self.user = get_user_model().objects.create_user(
                username=self.cleaned_data["username"], password=self.cleaned_data["password"]
            )
            self.created_user = True
        return self.user


class MemberAddForm(NewMemberFields):
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)

    def __init__(self, *args, team: Team, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = team

    def clean(self):
        data = super().clean()
        if self.user is not None and Membership.objects.filter(team=self.team, user=self.user).exists():
            self.add_error("username", f"{self.user.username} is already a member of {self.team}.")
        return data


class TeamCreateForm(NewMemberFields):
    name = forms.CharField(max_length=100, label="Team name")
    field_order = ["name", "username", "create_user", "password"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, can_create_users=True, **kwargs)
        self.fields["username"].label = "First admin (username)"

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if Team.objects.filter(name__iexact=name).exists():
            raise ValidationError("A team with this name exists already.")
        return name


class TeamOptionsForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["allow_api_only"]
        labels = {"allow_api_only": "Let this team use features its provider offers only through the API"}


def parse_bucket_names(text: str) -> list[str]:
    """Comma-, space- or line-separated bucket names, validated, in order, without repeats."""
    names = list(dict.fromkeys(part for part in re.split(r"[\s,;]+", text or "") if part))
    bad = [n for n in names if grant_bucket_problem(n)]
    if bad:
        shown = ", ".join(f"“{n[:70]}”" for n in bad[:5])
        raise ValidationError(f"Not a valid bucket name: {shown}. Use 3–255 letters, digits, dots, hyphens or underscores.")
    if len(names) > MAX_GRANT_BUCKETS:
        raise ValidationError(f"Name at most {MAX_GRANT_BUCKETS} buckets, or leave the field empty for all buckets.")
    return names


class GrantBucketsField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 3, "placeholder": "Empty: every bucket the keys can see"})

    def to_python(self, value):
        return parse_bucket_names(super().to_python(value))


class GrantForm(forms.Form):
    buckets = GrantBucketsField(
        required=False,
        label="Only these buckets",
        help_text="Bucket names separated by commas or new lines. Empty: every bucket the connection's keys can see.",
    )


class ShareForm(GrantForm):
    team_name = forms.CharField(max_length=100, label="Team", help_text="The exact name of the team to share with.")
    field_order = ["team_name", "buckets"]

    def __init__(self, *args, connection: Connection, **kwargs):
        super().__init__(*args, **kwargs)
        self.connection = connection
        self.team = None

    def clean_team_name(self) -> str:
        name = self.cleaned_data["team_name"].strip()
        team = Team.objects.filter(name__iexact=name).first()
        if team is None:
            raise ValidationError("There is no team with this name.")
        if Grant.objects.filter(connection=self.connection, team=team).exists():
            raise ValidationError(f"The connection is already shared with {team}; change that grant below.")
        self.team = team
        return name


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
    members = list(team.memberships.select_related("user").order_by("user__username"))
    admins = sum(1 for m in members if m.role == Role.ADMIN)
    context = {
        "nav": "team",
        "team": team,
        "my_membership": membership,
        "members": members,
        "admin_count": admins,
        "roles": Role.choices,
        "can_manage": can_manage,
        "owned": Connection.objects.filter(team=team).prefetch_related("grants__team").order_by("name"),
        "received": Grant.objects.filter(team=team).exclude(connection__team=team)
        .select_related("connection", "connection__team").order_by("connection__name"),
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
        context = _team_context(request, team, membership, add_form=form)
        return render(request, "buckets/team_detail.html", context, status=400)
    with transaction.atomic():
        user = form.resolve_user()
        Membership.objects.create(user=user, team=team, role=form.cleaned_data["role"])
        if form.created_user:
            audit.record(request, "user.create", team=team, member=user.username)
        audit.record(request, "member.add", team=team, member=user.username, role=form.cleaned_data["role"])
    messages.success(request, f"{user.username} joined {team} as {Role(form.cleaned_data['role']).label.lower()}.")
    return redirect("team_detail", team.pk)


def _other_admins(team: Team, membership: Membership) -> int:
    """Admins besides `membership`; call inside a transaction. Locking the team row makes
    two admins demoting each other at once take turns, so one of them stays admin."""
    Team.objects.select_for_update().filter(pk=team.pk).first()
    return Membership.objects.filter(team=team, role=Role.ADMIN).exclude(pk=membership.pk).count()


@require_POST
def member_role(request: HttpRequest, team_id: int, membership_id: int) -> HttpResponse:
    team, _ = _team_for(request, team_id, Role.ADMIN)
    member = _member_of(team, membership_id)
    role = request.POST.get("role", "")
    if role not in Role.values:
        messages.error(request, "Choose viewer, editor or admin.")
        return redirect("team_detail", team.pk)
    old = member.role
    if role == old:
        return redirect("team_detail", team.pk)
    with transaction.atomic():
        if old == Role.ADMIN and not _other_admins(team, member):
            audit.record(request, "member.role", team=team, ok=False, member=member.user.username, role=role, old_role=old,
                         message="Refused: the team would have no admin.")
            messages.error(request, f"{member.user.username} is the last admin of {team}. Make someone else admin first.")
            return redirect("team_detail", team.pk)
        Membership.objects.filter(pk=member.pk).update(role=role)
        audit.record(request, "member.role", team=team, member=member.user.username, role=role, old_role=old)
    messages.success(request, f"{member.user.username} is now {Role(role).label.lower()} in {team}.")
    return redirect("team_detail", team.pk)


@require_POST
def member_remove(request: HttpRequest, team_id: int, membership_id: int) -> HttpResponse:
    team, _ = _team_for(request, team_id, Role.ADMIN)
    member = _member_of(team, membership_id)
    username = member.user.username
    with transaction.atomic():
        if member.role == Role.ADMIN and not _other_admins(team, member):
            audit.record(request, "member.remove", team=team, ok=False, member=username, role=member.role,
                         message="Refused: the team would have no admin.")
            messages.error(request, f"{username} is the last admin of {team}. Make someone else admin first.")
            return redirect("team_detail", team.pk)
        member.delete()
        audit.record(request, "member.remove", team=team, member=username, role=member.role)
    messages.success(request, f"{username} was removed from {team}.")
    if member.user_id == request.user.pk and not request.user.is_superuser:
        return redirect("home")
    return redirect("team_detail", team.pk)


@require_POST
def team_options(request: HttpRequest, team_id: int) -> HttpResponse:
    team, membership = _team_for(request, team_id, Role.ADMIN)
    before = team.allow_api_only
    form = TeamOptionsForm(request.POST, instance=team)
    if not form.is_valid():
        return render(request, "buckets/team_detail.html", _team_context(request, team, membership, options_form=form), status=400)
    form.save()
    if form.has_changed():
        audit.record(request, "team.options", team=team, allow_api_only=team.allow_api_only, was=before)
    messages.success(request, "Team options saved.")
    # The availability page posts here too and wants to come back to itself.
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(back)
    return redirect("team_detail", team.pk)


# --- site admins: all teams ------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def site_teams(request: HttpRequest) -> HttpResponse:
    _require_site_admin(request)
    form = TeamCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            team = Team.objects.create(name=form.cleaned_data["name"])
            user = form.resolve_user()
            Membership.objects.create(user=user, team=team, role=Role.ADMIN)
            if form.created_user:
                audit.record(request, "user.create", team=team, member=user.username)
            audit.record(request, "team.create", team=team, first_admin=user.username)
        messages.success(request, f"Team “{team}” created with {user.username} as its admin.")
        return redirect("team_detail", team.pk)
    teams = Team.objects.order_by("name").prefetch_related("memberships__user")
    rows = [
        {"team": t, "members": len(t.memberships.all()),
         "admins": [m.user.username for m in t.memberships.all() if m.role == Role.ADMIN]}
        for t in teams
    ]
    status = 400 if request.method == "POST" else 200
    return render(request, "buckets/teams.html", {"nav": "teams", "rows": rows, "form": form}, status=status)


# --- grants: sharing a connection --------------------------------------------------------


def _grants_context(connection: Connection, share_form: ShareForm | None = None, edit_errors: dict | None = None) -> dict:
    grants = list(connection.grants.select_related("team").order_by("created_at"))
    grants.sort(key=lambda g: (g.team_id != connection.team_id, g.team.name.lower()))
    for grant in grants:
        grant.errors = (edit_errors or {}).get(grant.pk, [])
        grant.buckets_text = "\n".join(grant.buckets)
    return {"connection": connection, "grants": grants, "share_form": share_form or ShareForm(connection=connection)}


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
    buckets = form.cleaned_data["buckets"]
    with transaction.atomic():
        Grant.objects.create(connection=connection, team=form.team, buckets=buckets)
        # In both teams' logs: the owner shared it, the other team can now reach it.
        audit.record(request, "grant.create", connection=connection, grantee=form.team.name, buckets=buckets)
        audit.record(request, "grant.create", team=form.team, connection=connection, grantee=form.team.name, buckets=buckets)
    messages.success(request, f"“{connection}” is now shared with {form.team}.")
    return redirect("grants", connection.pk)


@require_POST
def grant_update(request: HttpRequest, connection_id: int, grant_id: int) -> HttpResponse:
    connection = _owned_connection(request, connection_id)
    grant = get_object_or_404(Grant.objects.select_related("team"), pk=grant_id, connection=connection)
    form = GrantForm(request.POST)
    if not form.is_valid():
        context = _grants_context(connection, edit_errors={grant.pk: form.errors["buckets"]})
        return render(request, "buckets/grants.html", context, status=400)
    before = list(grant.buckets)
    after = form.cleaned_data["buckets"]
    if before != after:
        with transaction.atomic():
            Grant.objects.filter(pk=grant.pk).update(buckets=after)
            audit.record(request, "grant.update", connection=connection, grantee=grant.team.name, buckets=after, was=before)
            if grant.team_id != connection.team_id:
                audit.record(request, "grant.update", team=grant.team, connection=connection, grantee=grant.team.name,
                             buckets=after, was=before)
    scope = ", ".join(after) if after else "every bucket"
    messages.success(request, f"{grant.team} now reaches {scope} on “{connection}”.")
    return redirect("grants", connection.pk)


@require_POST
def grant_revoke(request: HttpRequest, connection_id: int, grant_id: int) -> HttpResponse:
    connection = _owned_connection(request, connection_id)
    grant = get_object_or_404(Grant.objects.select_related("team"), pk=grant_id, connection=connection)
    if grant.team_id == connection.team_id:
        messages.error(request, "The owning team's own grant cannot be revoked; narrow it, or delete the connection.")
        return redirect("grants", connection.pk)
    with transaction.atomic():
        grant.delete()
        audit.record(request, "grant.revoke", connection=connection, grantee=grant.team.name)
        audit.record(request, "grant.revoke", team=grant.team, connection=connection, grantee=grant.team.name)
    messages.success(request, f"{grant.team} no longer reaches “{connection}”.")
    return redirect("grants", connection.pk)
