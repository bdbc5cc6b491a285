"""Staging an artifact under a temporary name, and the report written beside it."""

import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

from keras_taskadapt.errors import UserError
from keras_taskadapt.run_directory import write_json


@dataclass
class ArtifactReport:
    """What ``<artifact>.report.json`` records."""

    artifact: str
    kind: str
    size_bytes: int = 0
    latency_ms_per_input: float = 0.0
    parity: dict = field(default_factory=dict)

    def write(self):
        path = f"{self.artifact}.report.json"
        write_json(path, asdict(self))
        return path


def artifact_size(path):
    """Bytes of a file, or of every file under a folder."""
    if os.path.isdir(path):
        return sum(os.path.getsize(os.path.join(root, name)) for root, _, names in os.walk(path) for name in names)
    return os.path.getsize(path)


@contextmanager
def staged_artifact(path, force=False):
    """Yield a temporary path beside ``path``; move it onto ``path`` when the block succeeds.

    An existing ``path`` is an error unless ``force``; a failed block leaves nothing behind.
    """
    path = os.path.abspath(path)
    if os.path.exists(path) and not force:
        raise UserError(f"{path} exists; pass --force to overwrite it")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".staging-", dir=os.path.dirname(path))
    temporary = os.path.join(staging, os.path.basename(path))
    try:
        yield temporary
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.remove(path)
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
