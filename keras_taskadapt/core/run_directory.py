"""The ``--out DIR`` contract: every run leaves the same files behind.

``config.json`` (all options, versions, seed, command line), ``metrics.json`` (flat keys),
``history.csv`` (one row per epoch), the model (``model.keras``) and PNG plots, each written
through :func:`~keras_taskadapt.core.files.atomic_path`. A folder that already holds a run
is not written over unless the caller says so (:meth:`RunDirectory.claim`).
"""

import csv
import os
import platform
import shutil
import sys

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.core.figures import pyplot, save_figure
from keras_taskadapt.core.files import atomic_path, write_csv, write_json

#: Files a run writes that mark the folder as holding a run.
RUN_MARKERS = ("metrics.json", "backup")


def versions():
    """Versions of the components a result depends on."""
    import keras
    import numpy
    import tensorflow

    from keras_taskadapt import __version__

    return {
        "keras_taskadapt": __version__,
        "tensorflow": tensorflow.__version__,
        "keras": keras.__version__,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
    }


def plain_options(options):
    """The options that are data (numbers, strings, lists of them), not functions or objects."""
    def plain(value):
        if value is None or isinstance(value, (bool, int, float, str)):
            return True
        if isinstance(value, (list, tuple)):
            return all(plain(item) for item in value)
        return False

    return {key: list(value) if isinstance(value, tuple) else value
            for key, value in dict(options).items() if plain(value)}


def recorded_options(model_path):
    """The options recorded in the ``config.json`` beside a model a run wrote (``{}`` without one)."""
    import json

    path = os.path.join(os.path.dirname(os.path.abspath(model_path)), "config.json")
    try:
        with open(path) as handle:
            options = json.load(handle).get("options", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return options if isinstance(options, dict) else {}


class RunDirectory:
    """The output folder of one command."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        try:
            os.makedirs(self.path, exist_ok=True)
        except OSError as error:
            raise TaskAdaptError(f"cannot create the output folder {path} ({error.strerror})",
                                 parameter="out") from None

    def file(self, name):
        return os.path.join(self.path, name)

    @property
    def model_path(self):
        return self.file("model.keras")

    @property
    def backup_dir(self):
        return self.file("backup")

    @property
    def history_path(self):
        return self.file("history.csv")

    def holds_run(self):
        """Whether the folder holds a finished run (``metrics.json``) or an interrupted one (a backup)."""
        return any(os.path.exists(self.file(name)) for name in RUN_MARKERS)

    def claim(self, resume=False, force=False):
        """Make the folder ready for a training run.

        ``resume``: keep the backup of an interrupted run (and ``history.csv``'s rows of the
        epochs it holds). Otherwise a folder that already holds a run is refused unless
        ``force``, which removes the previous run's backup and history (other files are
        overwritten as the new run writes them; files the package did not write stay).
        """
        if resume:
            if not os.path.isdir(self.backup_dir):
                raise TaskAdaptError(f"{self.path} holds no interrupted run to continue", parameter="resume")
            finished = self.resumed_epoch()
            self.write_history([row for row in self.read_history() if row["epoch"] < finished])
            return
        if self.holds_run() and not force:
            raise TaskAdaptError(f"{self.path} already holds a run; continue it (resume) or replace it (force)",
                                 parameter="out")
        shutil.rmtree(self.backup_dir, ignore_errors=True)
        self.write_history([])

    def resumed_epoch(self):
        """The number of finished epochs in the backup of an interrupted run (0 when there is none)."""
        import json

        metadata = os.path.join(self.backup_dir, "training_metadata.json")
        if not os.path.exists(metadata):
            return 0
        with open(metadata) as handle:
            return int(json.load(handle)["epoch"])

    def write_config(self, options):
        """``config.json``: every option, the versions, the seed and the command line."""
        options = plain_options(options)
        write_json(self.file("config.json"), {
            "options": options,
            "versions": versions(),
            "seed": options.get("seed"),
            "command": sys.argv,
        })

    def write_metrics(self, metrics):
        """``metrics.json``: a flat mapping of documented keys to numbers or strings."""
        nested = [key for key, value in metrics.items() if isinstance(value, dict) and key != "stations"]
        if nested:
            raise ValueError(f"metrics.json stays flat; nested keys: {nested}")
        write_json(self.file("metrics.json"), metrics)

    def save_model(self, model, name="model.keras"):
        with atomic_path(self.file(name)) as temporary:
            model.save(temporary)
        return self.file(name)

    def read_history(self):
        """Rows of ``history.csv`` as dicts of floats (``epoch`` as int; an empty cell, a metric the
        epoch did not log, as NaN); no rows when the file is absent."""
        if not os.path.exists(self.history_path):
            return []
        with open(self.history_path, newline="") as handle:
            return [{key: (int(value) if key == "epoch" else float(value or "nan")) for key, value in row.items()}
                    for row in csv.DictReader(handle)]

    def write_history(self, rows):
        """Replace ``history.csv`` with ``rows`` (removed for no rows)."""
        if not rows:
            if os.path.exists(self.history_path):
                os.remove(self.history_path)
            return
        write_csv(self.history_path, [{key: "" if value != value else value for key, value in row.items()}
                                      for row in rows])  # NaN (value != value) back to an empty cell

    def plot_history(self, name="training.png"):
        """A PNG of every logged curve (train and validation side by side per metric)."""
        rows = self.read_history()
        if not rows:
            return None
        plt = pyplot()
        metrics = sorted({key for key in rows[0] if key != "epoch" and not key.startswith("val_")})
        figure, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.5), squeeze=False)
        epochs = [row["epoch"] + 1 for row in rows]
        for axis, metric in zip(axes[0], metrics):
            axis.plot(epochs, [row[metric] for row in rows], marker="o", label="train")
            if f"val_{metric}" in rows[0]:
                axis.plot(epochs, [row[f"val_{metric}"] for row in rows], marker="o", label="validation")
            axis.set_xlabel("epoch")
            axis.set_title(metric)
            axis.grid(alpha=0.3)
            axis.legend()
        return save_figure(figure, self.file(name))
