"""Sweep tables: the merged rows of a sweep in CSV, JSONL and Parquet, each written
atomically and on its own (:func:`write_tables`), and read back (:func:`read_table`)."""
import csv
import io
import json
import numbers
import os

import numpy as np

from ..._io import write_binary
from .kinds import KINDS

__all__ = ["FORMATS", "LEAD", "TAIL", "JSON_COLUMN", "columns", "write_tables", "read_table",
           "arrow_field"]

#: table formats
FORMATS = ("csv", "jsonl", "parquet")
#: columns every row starts with (then the kind's parameters, then the result fields)
LEAD = ("point", "kind", "replicate", "seed")
TAIL = ("device", "status", "error", "seconds")


def columns(rows, kind):
    """Table columns: :data:`LEAD`, the kind's parameters, :data:`TAIL`, then every result
    field in the order first seen."""
    cols = list(LEAD) + list(KINDS[kind].params) + list(TAIL)
    seen = set(cols)
    for r in rows:
        for k in r:
            if k not in seen:
                seen.add(k)
                cols.append(k)
    return cols


def write_tables(rows, out, sweep):
    """The merged table in each format of the sweep, each written atomically and on its own:
    ``({format: path}, {format: error})``.  A writer that fails (e.g. a broken pyarrow)
    leaves no file of its format and is recorded in ``errors``; the other formats are
    written all the same."""
    cols = columns(rows, sweep.kind)
    writers = {"csv": _csv_bytes, "jsonl": _jsonl_bytes, "parquet": _parquet_bytes}
    paths, errors = {}, {}
    for fmt in sweep.formats:
        path = os.path.join(out, f"{sweep.table}.{fmt}")
        try:
            data = writers[fmt](rows, cols)
            write_binary(path, lambda fh, d=data: fh.write(d))
        except Exception as exc:          # noqa: BLE001 -- recorded; the other tables go on
            errors[fmt] = f"{type(exc).__name__}: {exc}"
            continue
        paths[fmt] = path
    return paths, errors


def _csv_bytes(rows, cols):
    """CSV: None as the empty cell, lists and dicts as JSON text, the rest as ``str`` (floats
    by ``repr``, so they read back exactly; booleans as True/False)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow(["" if r.get(c) is None else
                    json.dumps(r[c]) if isinstance(r[c], (list, dict)) else r[c]
                    for c in cols])
    return buf.getvalue().encode()


def _jsonl_bytes(rows, cols):
    return "".join(json.dumps({c: r.get(c) for c in cols}, allow_nan=False) + "\n"
                   for r in rows).encode()


#: field metadata of a Parquet column whose cells are JSON text (lists, dicts, mixed types)
JSON_COLUMN = {b"rmtland.encoding": b"json"}


def arrow_field(name, values):
    """The Arrow field of one table column, from its values (None is a null cell).

    ``seed``: uint64 (point seeds are unsigned 64-bit, about half >= 2**63).  Otherwise, over
    the non-null values: all booleans -> bool; all integers -> int64, else uint64 when they
    fit it; all real numbers -> float64 when each integer among them is exactly a double;
    all strings -> string; none at all -> string (all null).  Anything else (lists, dicts,
    integers beyond 64 bits, mixed kinds) -> a string column of JSON text, marked by
    :data:`JSON_COLUMN` in the field's metadata."""
    import pyarrow as pa
    present = [v for v in values if v is not None]
    if name == "seed":
        return pa.field(name, pa.uint64())
    if all(isinstance(v, (bool, np.bool_)) for v in present):
        return pa.field(name, pa.bool_() if present else pa.string())
    if not any(isinstance(v, (bool, np.bool_)) for v in present):
        if all(isinstance(v, numbers.Integral) for v in present):
            if all(-2**63 <= v < 2**63 for v in present):
                return pa.field(name, pa.int64())
            if all(0 <= v < 2**64 for v in present):
                return pa.field(name, pa.uint64())
        elif all(isinstance(v, numbers.Real) for v in present) and all(
                _is_double(v) for v in present if isinstance(v, numbers.Integral)):
            return pa.field(name, pa.float64())
        if all(isinstance(v, str) for v in present):
            return pa.field(name, pa.string())
    return pa.field(name, pa.string(), metadata=JSON_COLUMN)


def _is_double(i):
    """Whether the integer ``i`` is exactly a double."""
    try:
        return float(i) == i
    except OverflowError:
        return False


def _parquet_bytes(rows, cols):
    """Parquet with an explicit schema (:func:`arrow_field` per column)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    arrays, fields = [], []
    for c in cols:
        values = [r.get(c) for r in rows]
        f = arrow_field(c, values)
        if f.metadata == JSON_COLUMN:
            values = [None if v is None else json.dumps(v, allow_nan=False) for v in values]
        elif pa.types.is_floating(f.type):
            values = [None if v is None else float(v) for v in values]
        arrays.append(pa.array(values, type=f.type))
        fields.append(f)
    buf = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_arrays(arrays, schema=pa.schema(fields)), buf)
    return buf.getvalue().to_pybytes()


def read_table(path):
    """The rows of a table written by :func:`write_tables`, as dicts, from any format: the
    Parquet and JSONL tables give back the values written (JSON-text columns decoded); the
    CSV gives strings, with None as ``""``."""
    path = os.fspath(path)
    if path.endswith(".parquet"):
        import pyarrow.parquet as pq
        table = pq.read_table(path)
        rows = table.to_pylist()
        for f in table.schema:
            if f.metadata == JSON_COLUMN:
                for r in rows:
                    if r[f.name] is not None:
                        r[f.name] = json.loads(r[f.name])
        return rows
    with open(path, newline="") as fh:
        if path.endswith(".jsonl"):
            return [json.loads(line) for line in fh]
        return list(csv.DictReader(fh))
