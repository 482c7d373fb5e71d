"""The form upload's file names, kept whole: the object key's last part is the file name the
browser sends, so it must reach the view as sent, up to S3's 1,024 bytes of UTF-8.

Django's multipart parsing stands in the way three times, each found by sending such a form:

- A part whose headers exceed ``MAX_TOTAL_HEADER_SIZE`` (1 KiB) fails the whole request with
  ``MultiPartParserError``, a bare 400: a file name from about 930 bytes did (its part's headers
  also carry ``Content-Disposition: form-data; name="files"; filename=""`` and a Content-Type).
  The limit is raised to ``PART_HEADER_MAX`` for every form, still a bound: 8 KiB holds a
  1,024-byte name even with every character escaped three-fold (``"`` is sent as ``%22``).
  Django reads this module constant when it parses, and offers no other way to set it.
- ``MultiPartParser.sanitize_file_name`` unescapes HTML entities (``&amp;`` becomes ``&``), drops
  everything up to a ``\\`` and removes characters that are not printable (bidi controls,
  zero-width spaces): all of them are legal in a key. ``KeyNameParser`` keeps the name as sent.
- ``UploadedFile.name`` cuts a name to 255 characters, silently: a 300-character name became a
  255-character key. ``KeyNameMemoryHandler``/``KeyNameTemporaryHandler`` give Django's file a
  fixed local name (no file on disk is ever named after the upload) and keep the name as sent
  in ``key_name``.

Only views marked with ``keeps_file_names`` parse their forms this way
(``buckets.middleware.FileNamesMiddleware``, which runs before the CSRF check reads the form);
everything else keeps Django's sanitising. A name longer than even ``PART_HEADER_MAX`` is
answered by ``buckets.views.errors.bad_request`` with a sentence, in the console's page.
"""

from __future__ import annotations

from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.http import multipartparser

PART_HEADER_MAX = 8 * 1024
LOCAL_NAME = "upload"  # what Django's file object (and a temporary file's suffix) is called

if multipartparser.MAX_TOTAL_HEADER_SIZE < PART_HEADER_MAX:
    multipartparser.MAX_TOTAL_HEADER_SIZE = PART_HEADER_MAX


class KeyNameParser(multipartparser.MultiPartParser):
    """Django's parser, less its file-name sanitising: the name is a key, not a path on disk."""

    def sanitize_file_name(self, file_name):
        return file_name or None  # an empty name is no file (a form sent with no file chosen)


class _KeepsKeyName:
    key_name = ""

    def new_file(self, field_name, file_name, *args, **kwargs):
        self.key_name = file_name
        super().new_file(field_name, LOCAL_NAME, *args, **kwargs)

    def file_complete(self, file_size):
        done = super().file_complete(file_size)
        if done is not None:
            done.key_name = self.key_name
        return done


class KeyNameMemoryHandler(_KeepsKeyName, MemoryFileUploadHandler):
    pass


class KeyNameTemporaryHandler(_KeepsKeyName, TemporaryFileUploadHandler):
    pass


def keeps_file_names(view):
    """Mark a view whose form's file names are object keys (see the module's docstring)."""
    view.keeps_file_names = True
    return view


def uploaded_name(uploaded) -> str:
    """The file name as the browser sent it (Django's own name where the view is not marked)."""
    return getattr(uploaded, "key_name", "") or uploaded.name
