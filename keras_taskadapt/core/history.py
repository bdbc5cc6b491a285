"""``history.csv``: one row per epoch, with fixed columns for training whose epochs log
different metrics (the phases of hierarchical training, say)."""

import csv
import os

import keras

from keras_taskadapt.core.files import write_csv


class HistoryLogger(keras.callbacks.CSVLogger):
    """``keras.callbacks.CSVLogger`` with the columns fixed up front (``columns``; by default
    those of the first epoch), an empty cell where an epoch does not log a column."""

    def __init__(self, filename, columns=None, append=False):
        super().__init__(filename, append=append)
        self.columns = None if columns is None else list(columns)

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.keys = self.columns

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        super().on_epoch_end(epoch, {**dict.fromkeys(self.keys or logs, ""), **logs})


def read_history(path):
    """Rows of a ``history.csv`` as dicts of floats (``epoch`` as int; an empty cell, a metric
    the epoch did not log, as NaN); no rows when the file is absent."""
    if not os.path.exists(path):
        return []
    with open(path, newline="") as handle:
        return [{key: (int(value) if key == "epoch" else float(value or "nan")) for key, value in row.items()}
                for row in csv.DictReader(handle)]


def write_history(path, rows):
    """Replace the ``history.csv`` at ``path`` with ``rows`` (removed for no rows)."""
    if not rows:
        if os.path.exists(path):
            os.remove(path)
        return
    write_csv(path, [{key: "" if value != value else value for key, value in row.items()}
                     for row in rows])  # NaN (value != value) back to an empty cell
