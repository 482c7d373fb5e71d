"""The PDF preview's viewer: PDF.js in a sandboxed frame of its own.

Chromium shows no PDF in an ``<iframe sandbox>`` (its viewer is a plugin, and sandboxed frames
load none: the frame shows an error page), and it ignores a PDF response's own
``Content-Security-Policy: sandbox`` (the framed PDF keeps the console's origin). So the
preview frame holds this page instead: PDF.js (``buckets/pdfviewer/``, Mozilla's pdfjs-dist,
Apache-2.0) in an opaque origin, scripts on and nothing else, fed the object's bytes by the
console page over postMessage (``static/console/console.js``), which reads them from the
preview URL with HTTP range requests.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.csp import CSP
from django.views.decorators.http import require_GET

PDFJS_VERSION = "5.6.205"
ASSET_DIR = Path(__file__).resolve().parent.parent / "pdfviewer"
# The files the frame loads, beside its page (buckets/urls.py gives each its own fixed URL).
ASSETS = {"pdf.min.mjs": "text/javascript", "pdf.worker.min.mjs": "text/javascript",
          "viewer.mjs": "text/javascript", "viewer.css": "text/css"}
# The frame's own sandbox (the iframe's attribute says the same): scripts in an opaque origin, no
# network at all (the bytes arrive by postMessage), pictures only from what PDF.js draws, and
# framed by the console's own pages only.
VIEWER_CSP = {
    "sandbox": ["allow-scripts"],
    "default-src": [CSP.NONE],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": ["blob:", "data:"],
    "font-src": ["data:"],
    "connect-src": [CSP.NONE],
    "worker-src": [CSP.NONE],
    "object-src": [CSP.NONE],
    "form-action": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.SELF],
}


@require_GET
def pdf_viewer(request: HttpRequest) -> HttpResponse:
    response = render(request, "buckets/pdf_viewer.html")
    response._csp_config = VIEWER_CSP  # what django.views.decorators.csp.csp_override sets
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Cache-Control"] = "private, no-store"
    return response


@login_not_required  # asked from the frame's opaque origin, so without the session cookie; static code
@require_GET
def pdf_viewer_asset(request: HttpRequest, name: str) -> HttpResponse:
    if name not in ASSETS:
        raise Http404("No such file of the PDF viewer.")
    response = FileResponse((ASSET_DIR / name).open("rb"), content_type=ASSETS[name])
    # Module scripts are fetched with CORS, and the frame's origin is opaque ("null").
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-cache" if settings.DEBUG else "public, max-age=3600"
    return response
