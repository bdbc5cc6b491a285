"""The ``--out DIR`` contract: every run leaves the same files behind.

``config.json`` (all options, versions, seed, command line), ``metrics.json`` (flat keys),
``history.csv`` (one row per epoch), the model (``model.keras``) and PNG plots. Files are
written under a temporary name and renamed, so an interrupted run never leaves a file that
looks complete.
"""

import csv
import json
import os
import platform
import sys
import tempfile
from contextlib import contextmanager

from keras_taskadapt.errors import UserError


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
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def write_json(path, payload):
    with atomic_path(path) as temporary, open(temporary, "w") as handle:
        json.dump(payload, handle, indent=2, sort_keys=True, default=_jsonable)
        handle.write("\n")


def save_figure(figure, path, dpi=100):
    """Write a matplotlib figure as PNG (staged, renamed when complete) and close it."""
    import matplotlib.pyplot as plt

    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=dpi)
    plt.close(figure)
    return path


def write_csv(path, rows):
    """A CSV table of dict ``rows`` (the first row's keys are the columns)."""
    with atomic_path(path) as temporary, open(temporary, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _jsonable(value):
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


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


class RunDirectory:
    """The output folder of one command."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        try:
            os.makedirs(self.path, exist_ok=True)
        except OSError as error:
            raise UserError(f"--out {path}: cannot create the folder ({error.strerror})") from None

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

    def write_config(self, options):
        """``config.json``: every option, the versions, the seed and the command line."""
        write_json(self.file("config.json"), {
            "options": dict(options),
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

    def finish(self, model, metrics):
        """Write the model, ``metrics.json`` and the history plot of a finished training run."""
        self.save_model(model)
        self.write_metrics(metrics)
        self.plot_history()
        return metrics

    def read_history(self):
        """Rows of ``history.csv`` as dicts of floats (``epoch`` as int; an empty cell, a metric
        the epoch did not log, as NaN)."""
        if not os.path.exists(self.history_path):
            return []
        with open(self.history_path, newline="") as handle:
            return [
                {key: (int(value) if key == "epoch" else float(value or "nan")) for key, value in row.items()}
                for row in csv.DictReader(handle)
            ]

    def write_history(self, rows):
        """Replace ``history.csv`` with ``rows`` (nothing is written for no rows)."""
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
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

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
