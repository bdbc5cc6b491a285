"""Fetching a data set archive, failing within seconds when the network does not allow it."""

import os
import shutil
import socket
import tempfile
import urllib.parse
import urllib.request
import zipfile

from keras_taskadapt.errors import UserError

PROBE_SECONDS = 5
READ_SECONDS = 30


def download_and_extract(url, destination, dataset):
    """Download the zip at ``url`` and extract it into ``destination``.

    A host that cannot be resolved or reached fails after at most ``PROBE_SECONDS`` with one
    line naming the data set and the ``--data-dir`` alternative; the extraction happens in a
    temporary folder that is moved into place only when complete.
    """
    hint = f"{dataset}: cannot download {url}"
    alternative = "put a local copy in a folder and pass --data-dir FOLDER"
    parts = urllib.parse.urlparse(url)
    try:
        socket.create_connection((parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)),
                                 timeout=PROBE_SECONDS).close()
    except OSError as error:
        raise UserError(f"{hint} ({error.__class__.__name__}: {error}); {alternative}") from None
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
        raise UserError(f"{hint} ({error}); {alternative}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
