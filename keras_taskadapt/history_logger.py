"""``history.csv`` with fixed columns, for training whose epochs log different metrics."""
import keras


class HistoryLogger(keras.callbacks.CSVLogger):
    """``keras.callbacks.CSVLogger`` with the columns fixed up front (``columns``; by default
    those of the first epoch), an empty cell where an epoch does not log a column (a phase
    of hierarchical training that computes no CE, say)."""

    def __init__(self, filename, columns=None, append=False):
        super().__init__(filename, append=append)
        self.columns = None if columns is None else list(columns)

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.keys = self.columns

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        super().on_epoch_end(epoch, {**dict.fromkeys(self.keys or logs, ""), **logs})
