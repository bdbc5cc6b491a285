"""Staging an artifact under a temporary name, and the report written beside it.

An artifact (a file, or a folder of files) is written to a temporary path, checked, and only
then moved into place. An existing artifact is replaced only when asked (``force``), and
then only the entries the export writes: in a folder, the files and sub-folders of the new
artifact replace those of the same names, the entries the previous export of the package
wrote (listed in the folder's :data:`MANIFEST`) and this one does not are removed, and
anything else in the folder (a user's own files) stays where it is.
"""

import json
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.core.files import write_json

#: The file in a folder artifact that lists the entries the package wrote there.
MANIFEST = ".keras-taskadapt-artifact.json"


@dataclass
class ArtifactReport:
    """What ``<artifact>.report.json`` records: size, latency and parity, and the artifact's
    input/output ``contract`` (names, types, shapes and value conventions a device or server
    program needs)."""

    artifact: str
    kind: str
    size_bytes: int = 0
    latency_ms_per_input: float = 0.0
    parity: dict = field(default_factory=dict)
    contract: dict = field(default_factory=dict)

    def write(self, path=None):
        """The report as JSON at ``path`` (default: ``<artifact>.report.json`` beside the artifact)."""
        path = path or f"{self.artifact}.report.json"
        write_json(path, asdict(self))
        return path

    def summary_line(self, what):
        """One line for people: what, where, size, latency and parity."""
        parity = "".join(f", {name} {value:.6g}" for name, value in self.parity.items())
        return (f"{what} in {self.artifact}: {self.size_bytes} bytes, "
                f"{self.latency_ms_per_input:.3f} ms per input (1 thread){parity}")


def artifact_size(path):
    """Bytes of a file, or of every file under a folder."""
    if os.path.isdir(path):
        return sum(os.path.getsize(os.path.join(root, name)) for root, _, names in os.walk(path) for name in names)
    return os.path.getsize(path)


def _remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.remove(path)


def _written_entries(folder):
    """The entries a previous export listed in ``folder``'s manifest (none without one)."""
    try:
        with open(os.path.join(folder, MANIFEST)) as handle:
            return set(json.load(handle)["entries"])
    except (OSError, ValueError, KeyError, TypeError):
        return set()


def _merge_folder(staged, final):
    """Move the entries of ``staged`` into the existing folder ``final`` (module docstring)."""
    entries = sorted(os.listdir(staged))
    for stale in _written_entries(final) - set(entries):
        _remove(os.path.join(final, os.path.basename(stale)))
    for entry in entries:
        _remove(os.path.join(final, entry))
        os.replace(os.path.join(staged, entry), os.path.join(final, entry))
    write_json(os.path.join(final, MANIFEST), {"entries": entries})


@contextmanager
def staged_artifact(path, force=False):
    """Yield a temporary path beside ``path``; move it onto ``path`` when the block succeeds.

    An existing ``path`` is an error unless ``force`` (module docstring for what ``force``
    replaces); a failed block leaves nothing behind.
    """
    path = os.path.abspath(path)
    if os.path.exists(path) and not force:
        raise TaskAdaptError(f"{path} exists; force the export to replace the artifacts it writes there",
                             parameter="out")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".staging-", dir=os.path.dirname(path))
    temporary = os.path.join(staging, os.path.basename(path))
    try:
        yield temporary
        if os.path.isdir(temporary):
            if os.path.isdir(path):
                _merge_folder(temporary, path)
            else:
                _remove(path)
                write_json(os.path.join(temporary, MANIFEST), {"entries": sorted(os.listdir(temporary))})
                os.replace(temporary, path)
        else:
            if os.path.isdir(path):
                raise TaskAdaptError(f"{path} is a folder; the export writes a file there", parameter="out")
            os.replace(temporary, path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def seconds_per_call(function, repeats=20, clock=time.perf_counter):
    """Median time of ``function()`` over ``repeats`` calls, after one warm-up call.

    ``clock`` is wall time by default; ``time.process_time`` counts this process's CPU time
    only, the steadier figure on a machine shared with other jobs.
    """
    function()
    timings = []
    for _ in range(repeats):
        started = clock()
        function()
        timings.append(clock() - started)
    return sorted(timings)[len(timings) // 2]
