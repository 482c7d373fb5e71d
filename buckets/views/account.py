"""Signing in and out, and switching teams."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from ..access import TEAM_SESSION_KEY, memberships


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The demo login is shown only in the embedded run, where it exists.
        context["demo_login"] = settings.EMBEDDED
        context["idle"] = self.request.GET.get("idle") == "1"
        return context


@require_POST
def switch_team(request: HttpRequest) -> HttpResponse:
    team_id = request.POST.get("team", "")
    if not any(str(m.team_id) == team_id for m in memberships(request.user)):
        raise Http404("No such team.")
    request.session[TEAM_SESSION_KEY] = int(team_id)
    return HttpResponseRedirect(next_path(request, request.POST.get("next", "")) or "/")


def next_path(request: HttpRequest, target: str) -> str:
    """`target` when it is a path on this site, else "" (the caller picks the fallback).

    Only a path that starts with "/": `redirect()` would take a bare word for a view name and
    fail on it, and anything else could lead off the site.
    """
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    return target
