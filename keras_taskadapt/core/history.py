"""Writing ``history.csv`` (one row per epoch) with fixed columns, for training whose epochs
log different metrics (the phases of hierarchical training, say); the run folder reads it back
(:meth:`~keras_taskadapt.core.run_directory.RunDirectory.read_history`)."""

import time

import keras


class HistoryLogger(keras.callbacks.CSVLogger):
    """``keras.callbacks.CSVLogger`` with the columns fixed up front (``columns``; by default
    those of the first epoch, and no ``val_`` columns for training without validation), an
    empty cell where an epoch does not log a column."""

    def __init__(self, filename, columns=None, append=False):
        super().__init__(filename, append=append)
        self.columns = None if columns is None else list(columns)

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.keys = self.columns

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:  # CSVLogger would add val_ columns (of "NA") to a run without validation
            self.keys = sorted(logs)
        super().on_epoch_end(epoch, {**dict.fromkeys(self.keys or logs, ""), **logs})



class ElapsedSeconds(keras.callbacks.Callback):
    """Logs ``seconds``: the wall time since ``fit`` began, at the end of every epoch (placed
    before the :class:`HistoryLogger`, it becomes a ``history.csv`` column: the time-to-loss
    curve)."""

    def on_train_begin(self, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["seconds"] = time.perf_counter() - self.started
