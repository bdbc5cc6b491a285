"""Fetching a data set archive, failing within seconds when the network does not allow it."""

import os
import shutil
import socket
import tempfile
import urllib.parse
import urllib.request
import zipfile

from keras_taskadapt.core.errors import TaskAdaptError

PROBE_SECONDS = 5
READ_SECONDS = 30


def download_and_extract(url, destination, dataset):
    """Download the zip at ``url`` and extract it into ``destination``.

    A host that cannot be resolved or reached fails after at most ``PROBE_SECONDS`` with one
    line naming the data set, the folder and what to put there; the extraction happens in a
    temporary folder that is moved into place only when complete.
    """
    hint = f"{dataset}: no local copy in {destination} and {url} cannot be downloaded"
    alternative = "put a local copy of the data set in that folder (or name another one)"
    parts = urllib.parse.urlparse(url)
    try:
        socket.create_connection((parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)),
                                 timeout=PROBE_SECONDS).close()
    except OSError as error:
        raise TaskAdaptError(f"{hint} ({error.__class__.__name__}: {error}); {alternative}",
                             parameter="data_dir") from None
    os.makedirs(destination, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".download-", dir=destination)
    try:
        archive = os.path.join(staging, "archive.zip")
        print(f"downloading {url} ...", flush=True)
        with urllib.request.urlopen(url, timeout=READ_SECONDS) as response, open(archive, "wb") as out:
            shutil.copyfileobj(response, out)
        with zipfile.ZipFile(archive) as bundle:
            bundle.extractall(staging)
        os.remove(archive)
        for entry in os.listdir(staging):
            os.replace(os.path.join(staging, entry), os.path.join(destination, entry))
    except (OSError, zipfile.BadZipFile) as error:
        raise TaskAdaptError(f"{hint} ({error}); {alternative}", parameter="data_dir") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
