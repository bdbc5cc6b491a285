"""Files that are either complete or absent: staged under a temporary name, then renamed.

Every file the package writes goes through :func:`atomic_path`, so an interrupted run never
leaves a file that looks complete, and every file gets the same permissions (those of a
plain ``open`` under the process's umask, not ``mkstemp``'s 0600).
"""

import csv
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    suffix = os.path.splitext(path)[1]
    handle, temporary = tempfile.mkstemp(prefix=".partial-", suffix=suffix, dir=directory)
    os.close(handle)
    try:
        yield temporary
        if os.path.isfile(temporary):
            os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def write_atomically(path, data):
    """Write ``data`` (bytes or str) to ``path`` through :func:`atomic_path`."""
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    with atomic_path(str(path)) as temporary, open(temporary, "wb") as stream:
        stream.write(payload)
    return Path(path)


def jsonable(value):
    """``json.dump``'s fallback: NumPy scalars and arrays as numbers and lists, else ``str``."""
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def write_json(path, payload):
    """``payload`` as indented JSON with sorted keys."""
    with atomic_path(path) as temporary, open(temporary, "w") as handle:
        json.dump(payload, handle, indent=2, sort_keys=True, default=jsonable)
        handle.write("\n")


def write_csv(path, rows):
    """A CSV table of dict ``rows`` (the first row's keys are the columns)."""
    with atomic_path(path) as temporary, open(temporary, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def read_csv(path):
    """Rows of a CSV file as dicts of strings."""
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))
