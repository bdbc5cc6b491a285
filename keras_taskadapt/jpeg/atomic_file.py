"""Write a file so that it is either complete or absent (DESIGN: nothing half-written)."""
from pathlib import Path

from keras_taskadapt.run_directory import atomic_path


def write_atomically(path, data):
    """Write ``data`` (bytes or str) to ``path`` via a temporary file and ``os.replace``."""
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    with atomic_path(str(path)) as temporary, open(temporary, "wb") as stream:
        stream.write(payload)
    return Path(path)
