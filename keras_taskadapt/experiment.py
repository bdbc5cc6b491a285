"""One training template for every ``train`` task (:func:`run_training`).

A training run is always the same sequence, written here once: claim the run folder (refuse
one that holds a run unless resumed or forced), seed everything, open the data, build and
compile the model under the ``tf.distribute`` strategy, write ``config.json``, fit with the
run contract (``history.csv``, ``BackupAndRestore`` for ``--resume``, TensorBoard logs when
asked), evaluate, add the bookkeeping keys and write the model, ``metrics.json`` and the
training plot. A chapter supplies the parts that differ as hooks::

    metrics = run_training(
        RunSettings.from_options(options),
        open_data=lambda: open_image_data(...),                       # -> data
        build=lambda data: compiled_model(data.input_shape, ...),     # under the strategy scope
        evaluate=lambda model, data, run: {"accuracy": ...},          # -> its metrics
        callbacks=lambda model: [PhaseSchedule()],                    # optional
        config=vars(options),
    )
"""

import os
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Optional

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.core.settings import OptionSettings


@dataclass
class RunSettings(OptionSettings):
    """What every training run is told besides its chapter's own options."""

    out: str
    epochs: int = 1
    steps_per_epoch: Optional[int] = None
    seed: int = 0
    deterministic_ops: bool = False
    strategy: str = "default"
    resume: bool = False
    force: bool = False
    tensorboard: bool = False

    def check(self):
        for name in ("epochs", "steps_per_epoch"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise TaskAdaptError(f"{name.replace('_', ' ')} must be 1 or more. Received: {name}={value}",
                                     parameter=name)


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


def backup_and_restore(backup_dir, restore_dir=None):
    """``keras.callbacks.BackupAndRestore`` saving to ``backup_dir``; with ``restore_dir`` it
    restores from there instead (a worker that is not the chief restores the chief's backup,
    on storage the workers share, and saves its own to its scratch folder)."""
    import keras
    from keras.src.utils import file_utils

    callback = keras.callbacks.BackupAndRestore(backup_dir)
    if restore_dir is not None:
        load = callback._load_model

        def load_from_restore_dir():
            paths = callback._weights_path, callback._training_metadata_path
            callback._weights_path = file_utils.join(restore_dir, "latest.weights.h5")
            callback._training_metadata_path = file_utils.join(restore_dir, "training_metadata.json")
            try:
                load()
            finally:
                callback._weights_path, callback._training_metadata_path = paths

        callback._load_model = load_from_restore_dir
    return callback


def fit_with_contract(model, train, validation, *, run, epochs, resume=False, callbacks=(), steps_per_epoch=None,
                      tensorboard=False, restore_dir=None, initial_epoch=0):
    """``model.fit`` with the run contract: backup for ``--resume``, ``history.csv``, progress.

    ``keras.callbacks.BackupAndRestore`` saves the model and optimizers after every epoch in
    ``DIR/backup`` (removed when training completes), so a killed run continues from the last
    finished epoch; on resume ``history.csv`` keeps the rows of the epochs the backup holds.
    ``restore_dir``: the backup to restore from when it is not ``run``'s (:func:`backup_and_restore`).
    ``initial_epoch``: the epoch count this ``fit`` continues (training in stages, each a ``fit``).
    Returns ``(history, train_seconds)``.
    """
    import keras

    from keras_taskadapt.core.history import HistoryLogger

    contract = [  # the history row is written before the backup that counts its epoch as done
        HistoryLogger(run.history_path, columns=getattr(model, "history_columns", None), append=resume),
        backup_and_restore(run.backup_dir, restore_dir),
    ]
    if tensorboard:
        contract.append(keras.callbacks.TensorBoard(run.file("logs")))
    started = time.perf_counter()
    history = model.fit(
        train,
        validation_data=validation,
        epochs=epochs,
        initial_epoch=initial_epoch,
        steps_per_epoch=steps_per_epoch,
        shuffle=False,  # the pipelines shuffle, seeded
        callbacks=list(callbacks) + contract,  # task callbacks first: their logs reach history.csv
        verbose=progress_verbosity(),
    )
    return history, time.perf_counter() - started


def data_bookkeeping(source):
    """The metrics.json keys that describe the data a run read."""
    return {
        "train_examples": source.size("train"),
        "test_examples": source.size("test"),
        "skipped_records": source.skipped_records,
        "resized_images": source.resized_images,
        "dataset": source.name,
    }


def run_training(settings, *, open_data, build, evaluate, callbacks=None, epochs=None, fit=None, config=None,
                 plot_history=True):
    """Train one model into ``settings.out`` (module docstring); returns its metrics.

    Args:
        open_data: ``() -> data``; the data object is passed to the other hooks (an
            :class:`~keras_taskadapt.data.ImageData`, or whatever the chapter reads; it needs
            ``train``, ``test`` and ``source`` for the default ``fit`` and bookkeeping).
        build: ``(data) -> compiled model``, called under the strategy's scope.
        evaluate: ``(model, data, run) -> metrics`` of the trained model.
        callbacks: ``(model) -> [callbacks]`` added to the run contract's.
        epochs: ``(model) -> epochs`` when the model decides (default ``settings.epochs``).
        fit: ``(model, data, run) -> train seconds`` in place of the default
            :func:`fit_with_contract` (also under the strategy's scope), for models trained
            otherwise (a fitted SVM, one network per station).
        config: the options ``config.json`` records (with the data set the run read as
            ``dataset``, which evaluations and exports of the model default to).
        plot_history: draw ``training.png`` from ``history.csv`` (``False`` where ``evaluate``
            draws its own).
    """
    from keras_taskadapt.core.distribute import make_strategy

    strategy = make_strategy(settings.strategy)
    with worker_run_directory(settings, strategy) as (run, restore_dir):
        seed_everything(settings.seed, settings.deterministic_ops)
        data = open_data()
        with strategy.scope():
            model = build(data)
        source = getattr(data, "source", None)
        recorded = {"dataset": source.name} if source is not None else {}
        run.write_config({**(config or {}), **recorded, "out": settings.out})
        with strategy.scope():
            if fit is None:
                _, seconds = fit_with_contract(model, data.train, data.test, run=run,
                                               epochs=epochs(model) if epochs else settings.epochs,
                                               resume=settings.resume, callbacks=callbacks(model) if callbacks else (),
                                               steps_per_epoch=settings.steps_per_epoch,
                                               tensorboard=settings.tensorboard, restore_dir=restore_dir)
            else:
                seconds = fit(model, data, run)
        metrics = {**evaluate(model, data, run), "train_seconds": seconds, "epochs": len(run.read_history())}
        if source is not None:
            metrics.update(data_bookkeeping(source))
        run.save_model(model)
        run.write_metrics(metrics)
        if plot_history:
            run.plot_history()
        return metrics


@contextmanager
def worker_run_directory(settings, strategy):
    """``(run folder, backup to restore from)`` of this process: the chief's is ``settings.out``
    (claimed); another worker's is a scratch folder, removed when the run ends, that restores
    from the chief's backup."""
    from keras_taskadapt.core.distribute import is_chief
    from keras_taskadapt.core.run_directory import RunDirectory

    if is_chief(strategy):
        run = RunDirectory(settings.out)
        run.claim(resume=settings.resume, force=settings.force)
        yield run, None
        return
    scratch = tempfile.mkdtemp(prefix="keras-taskadapt-worker-")
    try:
        yield RunDirectory(scratch), os.path.join(os.path.abspath(settings.out), "backup")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
