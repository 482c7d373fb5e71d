import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect, resolve_url
from django_htmx.http import HttpResponseClientRedirect

from . import gateway


class IdleTimeoutMiddleware:
    """Signs a user out after CONSOLE_SESSION_IDLE_SECONDS without a request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get("last_seen", now)
            if now - last > settings.SESSION_IDLE_SECONDS:
                logout(request)
                target = f"{resolve_url(settings.LOGIN_URL)}?idle=1"
                if request.headers.get("HX-Request") == "true":
                    # A 302 would make htmx swap the sign-in page into a fragment.
                    return HttpResponseClientRedirect(target)
                return redirect(target)
            if now - last > 30:  # avoid writing the session on every request
                request.session["last_seen"] = now
            elif "last_seen" not in request.session:
                request.session["last_seen"] = now
        return self.get_response(request)


class S3BudgetMiddleware:
    """All S3 calls of one request share CONSOLE_S3_REQUEST_BUDGET seconds, so a page that asks
    a silent endpoint several times still answers within 10 s."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with gateway.request_budget(settings.S3_REQUEST_BUDGET):
            return self.get_response(request)


class RefuseNulMiddleware:
    """No query-string value may hold U+0000: S3 cannot list such a key (its listings are
    XML), PostgreSQL cannot store it in a job or the audit log, and no link of the console
    carries one. One guard for every view's URL parameters, so a new view cannot forget it.
    Form fields are the views' to refuse, in the form, so the user loses nothing they typed
    (`names.key_problem` refuses NUL in every key and prefix)."""

    MESSAGE = "A value in this address contains the NUL character (U+0000), which the console does not accept."

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # (A NUL in the path is a bucket name no bucket can have: access.get_bucket answers 404.)
        if any("\x00" in v for _, vs in request.GET.lists() for v in vs):
            from .views.errors import bad_request_page

            return bad_request_page(request, self.MESSAGE)  # the console's 400 page, or JSON
        return self.get_response(request)


class FileNamesMiddleware:
    """Views marked `formparse.keeps_file_names` get their form's file names whole (the upload's
    keys); set here, before CsrfViewMiddleware reads the form, so it must stay above it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "keeps_file_names", False) and not hasattr(request, "_files"):
            from . import formparse

            request.multipart_parser_class = formparse.KeyNameParser
            request.upload_handlers = [formparse.KeyNameMemoryHandler(request),
                                       formparse.KeyNameTemporaryHandler(request)]
        return None
