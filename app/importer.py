"""`vigie import`: mentions from JSONL or CSV files, through the same pipeline, with their own timestamps."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.intake import MentionIn

ENGAGEMENT_COLUMNS = ("likes", "shares", "comments", "views", "replies", "reposts")


@dataclass
class ImportFile:
    """The valid mentions of a file and the problems of its invalid lines."""

    mentions: list[MentionIn] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _jsonl_records(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})")


def _csv_records(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            record: dict[str, Any] = {k: v for k, v in row.items() if k and v not in ("", None)}
            engagement = {c: record.pop(c) for c in ENGAGEMENT_COLUMNS if c in record}
            if "engagement" in record:
                try:
                    record["engagement"] = json.loads(record["engagement"])
                except json.JSONDecodeError:
                    yield reader.line_num, ValueError("column engagement: not valid JSON")
                    continue
            elif engagement:
                record["engagement"] = engagement
            yield reader.line_num, record


def read_import_file(path: Path) -> ImportFile:
    """Validate every line of a .jsonl/.ndjson or .csv file; problems name the line and the field."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        records = _jsonl_records(path)
    elif suffix == ".csv":
        records = _csv_records(path)
    else:
        raise ValueError(f"{path}: unknown file type {suffix!r}; use .jsonl (one JSON object per line) or .csv")
    result = ImportFile()
    for number, record in records:
        if isinstance(record, Exception):
            result.problems.append(f"line {number}: {record}")
        elif not isinstance(record, dict):
            result.problems.append(f"line {number}: expected a JSON object")
        else:
            try:
                result.mentions.append(MentionIn(**record))
            except ValidationError as exc:
                for e in exc.errors():
                    where = ".".join(map(str, e["loc"])) or "mention"
                    result.problems.append(f"line {number}: {where}: {e['msg'].removeprefix('Value error, ')}")
    return result
