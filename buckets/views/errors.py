"""Error pages in the console's layout, with no stack trace for anyone."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.template import loader
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme

from .. import formparse, names


def bad_request_message(exception) -> str:
    """A sentence for what Django refused before any view ran (the form could not be read)."""
    if isinstance(exception, TooManyFilesSent):
        return (f"Without JavaScript one upload sends at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files; "
                "choose fewer at a time, or upload with JavaScript on, which sends them one by one.")
    if isinstance(exception, TooManyFieldsSent):
        return f"This form has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields, more than the console reads."
    if isinstance(exception, RequestDataTooBig):
        return "This form's fields are larger than the console reads (files do not count); send less at a time."
    if isinstance(exception, MultiPartParserError):
        if "header size" in str(exception):
            # A part's headers carry the file's name, and nothing else grows that long.
            return (f"A file name in this upload is longer than the console reads ({formparse.PART_HEADER_MAX // 1024} KiB "
                    f"with its form headers); an object key has at most {names.MAX_KEY_BYTES} bytes of UTF-8, its "
                    "folder included. Rename the file and upload it again.")
        return "The console could not read this form: it arrived cut off or malformed. Send it again."
    return "The console could not read this request. Go back and try again."


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    """handler400: what Django refused before a view ran (an unreadable form, too many files)."""
    return bad_request_page(request, bad_request_message(exception))


def bad_request_page(request: HttpRequest, message: str) -> HttpResponse:
    """A 400 with a sentence: the console's page, or JSON for a JSON client. Also for requests
    refused before the user is known (the layout then has no navigation)."""
    if "json" in request.headers.get("Accept", ""):
        return JsonResponse({"error": message}, status=400)  # the upload script reads this
    try:
        # "Go back" to the page the form was on, when that page is the console's own.
        back = request.headers.get("Referer", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
            back = ""
        return render(request, "errors/400.html", {"message": message, "back": back}, status=400)
    except Exception:  # noqa: BLE001 - a request this broken must still get its sentence
        return HttpResponse(f"<!doctype html><title>Bad request</title><h1>Bad request</h1><p>{escape(message)}</p>",
                            status=400)


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def forbidden(request: HttpRequest, exception=None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else "You do not have permission for this."
    return render(request, "errors/403.html", {"message": message}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: the failure may be in one of them.
    return HttpResponse(loader.get_template("errors/500.html").render({}), status=500)
