"""Scan every file under the lake's warehouse on HDFS for a string, decoding what is encoded.

Parquet data files are decoded (every value of every column, and each column chunk's min/max
statistics); Avro files (manifests, manifest lists) are decoded record by record (the column bounds of
a manifest are binary values); anything else (metadata JSON, ...) is searched as bytes. Compression
would hide a plain byte search, which is why decoding matters.
"""

from __future__ import annotations

import io
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import fastavro
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tests.integration.conftest import webhdfs

WAREHOUSE = "/warehouse"


def list_files(path: str = WAREHOUSE) -> list[str]:
    """Every file under `path` (recursively), by WebHDFS."""
    answer = webhdfs("GET", path, "LISTSTATUS")
    if answer.status_code == 404:
        return []
    answer.raise_for_status()
    out: list[str] = []
    for status in answer.json()["FileStatuses"]["FileStatus"]:
        child = f"{path}/{status['pathSuffix']}"
        out.extend(list_files(child) if status["type"] == "DIRECTORY" else [child])
    return out


def _in_value(value: Any, needle: str, raw: bytes) -> bool:
    if isinstance(value, str):
        return needle in value
    if isinstance(value, bytes | bytearray):
        return raw in value
    if isinstance(value, dict):
        return any(_in_value(k, needle, raw) or _in_value(v, needle, raw) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_in_value(v, needle, raw) for v in value)
    return False


def _parquet_holds(data: bytes, needle: str) -> bool:
    parquet = pq.ParquetFile(io.BytesIO(data))
    meta = parquet.metadata
    for g in range(meta.num_row_groups):
        for c in range(meta.num_columns):
            stats = meta.row_group(g).column(c).statistics
            if stats is not None and stats.has_min_max and _in_value([stats.min, stats.max], needle, needle.encode()):
                return True
    for column in parquet.read().columns:
        kind = column.type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            hit = pc.any(pc.match_substring(column, needle)).as_py()
        elif pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
            hit = pc.any(pc.match_substring(column.cast(pa.string()), needle)).as_py()
        elif pa.types.is_nested(kind):
            hit = _in_value(column.to_pylist(), needle, needle.encode())
        else:  # numbers, times, booleans: no text in them
            hit = False
        if hit:
            return True
    return False


def _avro_holds(data: bytes, needle: str) -> bool:
    reader = fastavro.reader(io.BytesIO(data))
    if _in_value(dict(reader.metadata), needle, needle.encode()):
        return True
    return any(_in_value(record, needle, needle.encode()) for record in reader)


def kind_of(path: str) -> str:
    if path.endswith(".parquet"):
        return "parquet"
    if path.endswith(".avro"):
        return "avro"
    return "bytes"


def holds(path: str, needle: str) -> bool:
    """Whether the file at `path` holds `needle` once decoded."""
    answer = webhdfs("GET", path, "OPEN")
    if answer.status_code == 404:
        return False  # deleted since it was listed (old metadata, expired files): it holds nothing now
    answer.raise_for_status()
    data = answer.content
    kind = kind_of(path)
    if kind == "parquet":
        return _parquet_holds(data, needle)
    if kind == "avro":
        return _avro_holds(data, needle)
    return needle.encode() in data


def scan(needle: str, path: str = WAREHOUSE) -> tuple[list[str], Counter[str]]:
    """Return the files that hold `needle`, and how many files of each kind were decoded."""
    files = list_files(path)
    with ThreadPoolExecutor(max_workers=8) as pool:
        found = [f for f, hit in zip(files, pool.map(lambda f: holds(f, needle), files), strict=True) if hit]
    return found, Counter(kind_of(f) for f in files)
