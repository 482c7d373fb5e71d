"""A selection or prefixes as one zip, streamed from the web process as it is made.

Memory stays bounded whatever the size: objects are read in chunks and written out as
they arrive (stream-zip, ZIP64 members, so objects and archives above 4 GiB work), and
listings go one page at a time. Nothing is compressed: objects are mostly compressed
already, and the CPU of a web process is shared by every user. An object of at most
WHOLE_BYTES is read whole by a read-ahead thread, which also takes its CRC-32, and goes in
as a stored member (its size and CRC in the header, no deflate pass at all); a larger one
streams through deflate at level 0 ("stored" blocks, with a data descriptor), because its
CRC is known only at its end.

A zip holds one thread of the web server for as long as the download lasts, so a process
streams at most ZIP_CONCURRENCY at once; the next one hears "try again" instead of taking
the threads other users' pages need.
"""

from __future__ import annotations

import contextvars
import itertools
import threading
import unicodedata
import zlib
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from stream_zip import NO_COMPRESSION_64, ZIP_64, stream_zip

from .. import gateway

ZIP_CONCURRENCY = 2
# Objects opened ahead of the one being written, and how much of each is read ahead: a zip
# holds at most READ_AHEAD × READ_AHEAD_BYTES besides the chunk in hand.
READ_AHEAD = 8
READ_AHEAD_BYTES = 1024 * 1024
WHOLE_BYTES = READ_AHEAD_BYTES
_slots = threading.BoundedSemaphore(ZIP_CONCURRENCY)


def zip_slot_take() -> bool:
    return _slots.acquire(blocking=False)


def safe_member_name(key: str, base: str) -> str:
    """The name inside the zip: the key below the folder shown, without '..', '.', empty or
    absolute segments, backslashes or control characters (a zip-slip cannot come out)."""
    relative = key[len(base):] if base and key.startswith(base) else key
    parts = []
    for part in relative.replace("\\", "/").split("/"):
        part = "".join(ch for ch in part if unicodedata.category(ch)[0] != "C").strip()
        if part and part not in {".", ".."}:
            parts.append(part)
    return "/".join(parts) or "unnamed"


def zip_name(bucket: str, keys: list[str], base: str) -> str:
    if len(keys) == 1:
        return safe_member_name(keys[0], base).rstrip("/").rsplit("/", 1)[-1] + ".zip"
    return f"{bucket}.zip"


@dataclass
class _Ahead:
    first: list[bytes]
    rest: Iterator[bytes]
    size: int = -1  # known, with crc, when the object was read whole
    crc: int = 0


def _read_ahead(conn, bucket: str, key: str) -> _Ahead:
    """Open one object and read its first READ_AHEAD_BYTES (all of it, with its CRC-32, when
    it is at most WHOLE_BYTES long); the rest streams later."""
    download = gateway.stream_object(conn, bucket, key)
    body = download.body
    first: list[bytes] = []
    size = 0
    while size < READ_AHEAD_BYTES and (chunk := next(body, None)) is not None:
        first.append(chunk)
        size += len(chunk)
    if size <= WHOLE_BYTES:
        more = next(body, None)
        if more is None:
            crc = 0
            for chunk in first:
                crc = zlib.crc32(chunk, crc)  # releases the GIL for large chunks
            return _Ahead(first, iter(()), size, crc)
        first.append(more)
    return _Ahead(first, body)


def _objects(conn, bucket: str, keys: list[str]) -> Iterator[gateway.ObjectSummary]:
    for key in sorted(k for k in keys if not k.endswith("/")):
        yield gateway.ObjectSummary(key, 0, None)
    for prefix in sorted(k for k in keys if k.endswith("/")):
        token = ""
        while True:
            page = gateway.list_page(conn, bucket, prefix=prefix, token=token, page_size=1000, delimiter="")
            yield from page.objects
            if not page.next_token:
                break
            token = page.next_token


class ZipStream:
    """The zip's bytes. The caller has taken a slot (`zip_slot_take`); `close()`, which Django
    calls when the response ends or the client goes away, gives it back exactly once."""

    def __init__(self, conn, bucket: str, keys: list[str], *, base: str = ""):
        self.conn, self.bucket, self.keys, self.base = conn, bucket, keys, base
        self._released = False
        self._chunks = stream_zip(self._members(), chunk_size=256 * 1024,
                                  get_compressobj=lambda: zlib.compressobj(level=0, wbits=-zlib.MAX_WBITS))

    def _members(self):
        # The next objects are opened while one is written: one GET after another made a zip of
        # 1,000 small objects wait for 1,000 first bytes in a row (measured: bench/bulk.py).
        pool = ThreadPoolExecutor(max_workers=READ_AHEAD, thread_name_prefix="zip-ahead")
        ahead: deque[tuple[gateway.ObjectSummary, Future]] = deque()
        objects = (o for o in _objects(self.conn, self.bucket, self.keys) if not o.key.endswith("/"))
        seen: set[str] = set()
        try:
            while True:
                while len(ahead) < READ_AHEAD and (obj := next(objects, None)) is not None:
                    ahead.append((obj, pool.submit(contextvars.copy_context().run, _read_ahead, self.conn,
                                                   self.bucket, obj.key)))
                if not ahead:
                    return
                obj, future = ahead.popleft()
                name = safe_member_name(obj.key, self.base)
                while name in seen:  # 'a/../b' and 'b' would collide once made safe
                    name += "_"
                seen.add(name)
                got = future.result()
                modified = (obj.last_modified or datetime.now(UTC)).replace(tzinfo=None)
                if got.size >= 0:
                    yield name, modified, 0o600, NO_COMPRESSION_64(got.size, got.crc), iter(got.first)
                else:
                    yield name, modified, 0o600, ZIP_64, itertools.chain(got.first, got.rest)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            for _obj, future in ahead:
                if future.done() and not future.exception():
                    rest = future.result().rest
                    if hasattr(rest, "close"):
                        rest.close()

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._chunks)

    def close(self) -> None:
        if not self._released:
            self._released = True
            self._chunks.close()
            _slots.release()
