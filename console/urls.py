from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from buckets import health, oidc
from buckets.views import health as health_views
from buckets.views.account import LoginView

urlpatterns = [
    path("login/", LoginView.as_view(extra_context={"oidc": oidc.LoginOption()}), name="login"),
    # Single sign-on (buckets/oidc.py): 404 unless CONSOLE_OIDC_ENABLED=1.
    path("oidc/authenticate/", oidc.authenticate, name="oidc_authentication_init"),
    path("oidc/callback/", oidc.callback, name="oidc_authentication_callback"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    # Probes for load balancers and orchestrators; no sign-in (buckets/health.py).
    path("health/live/", health.live, name="health-live"),
    path("health/ready/", health.ready, name="health-ready"),
    path("status/connections/", health_views.connection_health, name="connection_health"),
    path("", include("buckets.urls")),
]

handler400 = "buckets.views.errors.bad_request"
handler404 = "buckets.views.errors.not_found"
handler403 = "buckets.views.errors.forbidden"
handler500 = "buckets.views.errors.server_error"

