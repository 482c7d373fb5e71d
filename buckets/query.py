"""Object Query (S3 Select): the editor's settings, the endpoint's dialect, and the result.

A query runs once, within the page's time; its rows are kept as a CSV file under
`QUERY_RESULT_DIR` (shared by web hosts like the staging volume), so that paging and the CSV
download read the same rows without asking the endpoint again. Results older than an hour
are removed by the sweep.
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from . import catalogue, gateway

FORMATS = {"csv": "CSV", "json_lines": "JSON (one document per line)", "json_document": "JSON (one document)"}
COMPRESSIONS = {"NONE": "None", "GZIP": "GZIP", "BZIP2": "BZIP2"}
HEADERS = {"USE": "First row names the columns", "IGNORE": "Skip the first row", "NONE": "No header row"}
DELIMITERS = {"comma": "Comma (,)", "semicolon": "Semicolon (;)", "tab": "Tab", "pipe": "Pipe (|)"}
_DELIMITER_CHARS = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}
MAX_ROWS = 10_000
MAX_RESULT_BYTES = 8 * 1024 * 1024
PAGE_ROWS = 100
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


@dataclass(frozen=True)
class Dialect:
    id: str
    label: str
    example: str
    help: str


DIALECTS = {
    "aws": Dialect("aws", "S3 Select SQL", "SELECT * FROM S3Object s LIMIT 10",
                   "The table is S3Object; with a header row, columns go by name (s.\"name\"), "
                   "without one by position (s._1, s._2)."),
    "rgw": Dialect("rgw", "Ceph RGW s3select", "select _1, _2 from stdin where int(_3) > 6;",
                   "RGW reads the object as the table stdin and columns by position (_1, _2, ...); "
                   "cast with int() or float() to compare numbers; end the query with a semicolon."),
}


def dialect_for(provider: str, bucket_type: str) -> Dialect:
    return DIALECTS.get(str(catalogue.constraint(provider, bucket_type, "select_dialect", "aws")), DIALECTS["aws"])


class QueryRefused(Exception):
    """The form's values cannot make a query (a sentence for the user)."""


@dataclass
class QueryForm:
    sql: str
    format: str = "csv"
    compression: str = "NONE"
    header: str = "USE"
    delimiter: str = "comma"
    quote: str = '"'
    limit: int = 1000

    @classmethod
    def parse(cls, data: Any, dialect: Dialect) -> QueryForm:
        problems = []
        sql = (data.get("sql") or "").strip()
        if not sql:
            problems.append("Write a query.")
        elif len(sql) > 256 * 1024:
            problems.append("The query is longer than S3 allows (256 KB).")
        fmt = data.get("format", "csv")
        if fmt not in FORMATS:
            problems.append("Choose one of the offered input formats.")
        compression = data.get("compression", "NONE")
        if compression not in COMPRESSIONS:
            problems.append("Choose one of the offered compressions.")
        header = data.get("header", "USE")
        if header not in HEADERS:
            problems.append("Choose how the first row is read.")
        delimiter = data.get("delimiter", "comma")
        if delimiter not in DELIMITERS:
            problems.append("Choose one of the offered delimiters.")
        quote = data.get("quote", '"')
        if quote not in ('"', "'"):
            problems.append("The quote character is \" or '.")
        raw_limit = (data.get("limit") or "1000").strip()
        if not (raw_limit.isascii() and raw_limit.isdigit()) or not 1 <= int(raw_limit) <= MAX_ROWS:
            problems.append(f"The row limit is a whole number from 1 to {MAX_ROWS:,}.")
            limit = 1000
        else:
            limit = int(raw_limit)
        if problems:
            raise QueryRefused(" ".join(problems))
        return cls(sql=sql, format=fmt, compression=compression, header=header, delimiter=delimiter,
                   quote=quote, limit=limit)

    def input_serialization(self) -> dict[str, Any]:
        if self.format == "csv":
            shape: dict[str, Any] = {"CSV": {"FileHeaderInfo": self.header, "FieldDelimiter": _DELIMITER_CHARS[self.delimiter],
                                             "QuoteCharacter": self.quote, "RecordDelimiter": "\n"}}
        else:
            shape = {"JSON": {"Type": "LINES" if self.format == "json_lines" else "DOCUMENT"}}
        return {**shape, "CompressionType": self.compression}

    def output_serialization(self) -> dict[str, Any]:
        return {"CSV": {}} if self.format == "csv" else {"JSON": {"RecordDelimiter": "\n"}}


@dataclass
class QueryResult:
    token: str
    columns: list[str]
    rows: list[list[str]]
    row_count: int
    truncated: bool
    scanned: int
    returned: int
    seconds: float
    endpoint_error: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


# RGW 16.2 reports a failed query as text inside the records: "failure -->...<---".
_RGW_FAILURE = re.compile(r"failure\s*-->(.*?)<---", re.S)


# RGW 16.2 wraps its records in XML-looking text: <Payload><Records><Payload>rows</Payload>...
_RGW_WRAPPER = re.compile(r"</?(?:Payload|Records)>")


def _records_text(answer: bytes) -> str:
    text = answer.decode("utf-8", errors="replace")
    if text.lstrip().startswith("<Payload>"):
        text = _RGW_WRAPPER.sub("", text)
    return text


def _rows_from(text: str, form: QueryForm) -> tuple[list[str], list[list[str]]]:
    if form.format == "csv":
        rows = [row for row in csv.reader(io.StringIO(text)) if row]
        # RGW ends every row with the delimiter: drop the empty last column it makes.
        if rows and all(row and row[-1] == "" for row in rows):
            rows = [row[:-1] for row in rows]
        width = max((len(r) for r in rows), default=0)
        return [f"_{i}" for i in range(1, width + 1)], rows
    columns: list[str] = []
    records = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except (ValueError, RecursionError):
            value = {"_1": line}
        if not isinstance(value, dict):
            value = {"_1": value}
        records.append(value)
        for name in value:
            if name not in columns:
                columns.append(name)
    rows = [[_cell(r.get(c, "")) for c in columns] for r in records]
    return columns, rows


def _cell(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def result_dir() -> Path:
    path = Path(settings.QUERY_RESULT_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def query_run(*, conn, bucket: str, key: str, form: QueryForm, owner: dict[str, Any],
              extra: dict[str, Any] | None = None) -> QueryResult:
    """Run the query and keep its rows for paging and the CSV download."""
    started = time.monotonic()
    answer = gateway.select_object(conn, bucket, key, expression=form.sql,
                                   input_serialization=form.input_serialization(),
                                   output_serialization=form.output_serialization(),
                                   max_bytes=MAX_RESULT_BYTES, seconds=settings.QUERY_READ_SECONDS, extra=extra)
    seconds = time.monotonic() - started
    text = _records_text(answer.records)
    failure = _RGW_FAILURE.search(text[:4096])
    token = secrets.token_urlsafe(24)
    if failure:
        return QueryResult(token, [], [], 0, False, answer.scanned, answer.returned, seconds,
                           endpoint_error=failure.group(1).strip())
    columns, rows = _rows_from(text, form)
    truncated = answer.truncated or len(rows) > form.limit
    rows = rows[: form.limit]
    meta = {**owner, "bucket": bucket, "key": key, "columns": columns, "rows": len(rows), "truncated": truncated,
            "scanned": answer.scanned, "returned": answer.returned, "seconds": round(seconds, 3), "sql": form.sql}
    directory = result_dir()
    with open(directory / f"{token}.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        writer.writerows(rows)
    (directory / f"{token}.json").write_text(json.dumps(meta))
    return QueryResult(token, columns, rows[:PAGE_ROWS], len(rows), truncated, answer.scanned, answer.returned,
                       seconds, meta=meta)


def result_meta(token: str) -> dict[str, Any] | None:
    if not _TOKEN.match(token or ""):
        return None
    path = result_dir() / f"{token}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def result_path(token: str) -> Path:
    return result_dir() / f"{token}.csv"


def result_page(token: str, page: int) -> tuple[list[str], list[list[str]]]:
    """The columns and one page of rows (page 1 is the first)."""
    with open(result_path(token), newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        columns = next(reader, [])
        start = (page - 1) * PAGE_ROWS
        rows = [row for i, row in enumerate(reader) if start <= i < start + PAGE_ROWS]
    return columns, rows


def sweep_query_results(max_age_seconds: int = 3600) -> int:
    removed = 0
    cutoff = time.time() - max_age_seconds
    for entry in result_dir().iterdir():
        if entry.suffix in {".csv", ".json"} and entry.stat().st_mtime < cutoff:
            entry.unlink(missing_ok=True)
            removed += 1
    return removed
