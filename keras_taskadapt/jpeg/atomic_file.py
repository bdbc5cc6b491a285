"""Write a file so that it is either complete or absent (DESIGN: nothing half-written)."""
import os
import tempfile
from pathlib import Path


def write_atomically(path, data):
    """Write ``data`` (bytes or str) to ``path`` via a temporary file and ``os.replace``."""
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
