"""What every training command shares: seeding, the strategy, fitting with the run contract."""

import json
import os
import shutil
import sys
import time

from keras_taskadapt.errors import UserError


def seed_everything(seed, deterministic_ops=False):
    """Seed Python, NumPy, TensorFlow and Keras; optionally ask TensorFlow for deterministic kernels."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    if deterministic_ops:
        tf.config.experimental.enable_op_determinism()


def progress_verbosity():
    """Keras ``verbose``: a live progress bar on a terminal, one line per epoch otherwise."""
    return 1 if sys.stdout.isatty() else 2


def resumed_epoch(run):
    """The number of finished epochs in the backup of an interrupted run (0 when there is none)."""
    metadata = os.path.join(run.backup_dir, "training_metadata.json")
    if not os.path.exists(metadata):
        return 0
    with open(metadata) as handle:
        return int(json.load(handle)["epoch"])


def prepare_resume(run, resume):
    """Keep the backup of an interrupted run when resuming; clear it for a fresh run.

    On resume, ``history.csv`` keeps the rows of the epochs the backup holds, so epochs that
    were logged but not backed up before the interruption are not logged twice.
    """
    if resume:
        if not os.path.isdir(run.backup_dir):
            raise UserError(f"--resume: {run.path} holds no interrupted run to continue")
        finished = resumed_epoch(run)
        kept = [row for row in run.read_history() if row["epoch"] < finished]
        run.write_history(kept)
    else:
        shutil.rmtree(run.backup_dir, ignore_errors=True)
        if os.path.exists(run.history_path):
            os.remove(run.history_path)


def fit_with_contract(model, train, validation, *, run, epochs, resume=False, callbacks=(), steps_per_epoch=None):
    """``model.fit`` with the run contract: backup for ``--resume``, ``history.csv``, progress.

    ``keras.callbacks.BackupAndRestore`` saves the model and optimizer after every epoch in
    ``DIR/backup`` (removed when training completes), so a killed run continues from the last
    finished epoch. Returns ``(history, train_seconds)``.
    """
    import keras

    from keras_taskadapt.history_logger import HistoryLogger

    prepare_resume(run, resume)
    contract = [  # the history row is written before the backup that counts its epoch as done
        HistoryLogger(run.history_path, columns=getattr(model, "history_columns", None), append=resume),
        keras.callbacks.BackupAndRestore(run.backup_dir),
    ]
    started = time.perf_counter()
    history = model.fit(
        train,
        validation_data=validation,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        shuffle=False,  # the pipelines shuffle, seeded
        callbacks=list(callbacks) + contract,  # task callbacks first: their logs reach history.csv
        verbose=progress_verbosity(),
    )
    return history, time.perf_counter() - started


def run_bookkeeping(run, source, seconds):
    """The metrics.json keys every training run reports besides its own results."""
    return {
        "train_seconds": seconds,
        "epochs": len(run.read_history()),
        "train_examples": source.size("train"),
        "test_examples": source.size("test"),
        "skipped_records": source.skipped_records,
        "dataset": source.name,
    }
