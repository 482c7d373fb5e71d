from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from buckets.views.account import LoginView

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("buckets.urls")),
]

handler404 = "buckets.views.errors.not_found"
handler403 = "buckets.views.errors.forbidden"
handler500 = "buckets.views.errors.server_error"

