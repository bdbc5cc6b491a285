"""Training a Delta emulator (seed 000, sections 5.3.1 and 5.4.3).

- Loss: the MSE of the outputs scaled by eq. (5.5), missing targets masked
  (:func:`~keras_taskadapt.salinity.metrics.masked_mse`); its validation value is the mean NMSE
  of table 5.3.
- Adam with a :class:`~keras_taskadapt.salinity.recipes.Recipe`: section 5.3.1's step
  schedule, section 5.4.3's constant rate, or a cosine or plateau schedule; each configuration
  names its default (:mod:`keras_taskadapt.salinity.catalog`). The step is compiled with XLA
  (Keras leaves XLA off, with a warning, where it cannot: with TensorFlow's deterministic
  kernels on, ``--deterministic-ops`` and the tests) and runs several batches per call
  (``steps_per_execution``); on several workers neither (Keras's multi-step loop fails under
  ``MultiWorkerMirroredStrategy``).
- Levenberg-Marquardt (``optimizer="lm"``): :class:`~keras_taskadapt.salinity.levenberg_marquardt.
  LevenbergMarquardt`, whole training set per step, 150 epochs.
- Early stopping (section 5.4.3): stop when the validation MSE has not improved for
  ``patience`` epochs and keep the best epoch's weights. As in the seed, the validation set is
  the 20% held out by the split, the set the metrics are reported on. With the step schedule it
  watches (and picks the best weights) only from the last step on (epoch 180 of 200).

Each network writes ``history.csv`` through the run contract of
:func:`keras_taskadapt.experiment.fit_with_contract` (:class:`EmulatorTraining`), with the
training seconds at each epoch's end (``seconds``): with ``val_loss`` the time-to-NMSE curve.
"""
import math
import os
import time

import keras
import numpy as np
import tensorflow as tf

from keras_taskadapt.core.distribute import worker_position
from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.core.history import ElapsedSeconds
from keras_taskadapt.core.run_directory import RunDirectory
from keras_taskadapt.experiment import fit_with_contract
from keras_taskadapt.salinity.emulator import physical_emulator
from keras_taskadapt.salinity.fitted_scalings import EmulatorScalings
from keras_taskadapt.salinity.levenberg_marquardt import LM_EPOCHS, LevenbergMarquardt
from keras_taskadapt.salinity.metrics import masked_mse
from keras_taskadapt.salinity.recipes import Recipe, recipe

PATIENCE = 50
VALIDATION_BATCH = 4096
STEPS_PER_EXECUTION = 8
"""Adam batches per compiled call on one worker: the networks are small, so the per-call
overhead counts."""


def training_recipe(configuration, schedule=None, **options):
    """The :class:`~keras_taskadapt.salinity.recipes.Recipe` ``configuration`` trains with:
    its own schedule's (or ``schedule``'s) defaults with ``options`` (``rate``, ``epochs``,
    ``batch_size``; None keeps a default). Levenberg-Marquardt has no rate, schedule or batch:
    its recipe holds only the epochs (default 150)."""
    if configuration.optimizer != "lm":
        return recipe(schedule or configuration.schedule, **options)
    given = [name for name, value in (("schedule", schedule), ("rate", options.get("rate")),
                                      ("batch_size", options.get("batch_size"))) if value is not None]
    if given:
        raise TaskAdaptError(f"{configuration.label} trains with Levenberg-Marquardt on the whole training set: "
                             f"it takes no {given[0].replace('_', ' ')}")
    return Recipe("lm", rate=0.0, epochs=options.get("epochs") or LM_EPOCHS, batch_size=0)


def batches(windows, targets, batch_size, seed=None):
    """``(windows, targets)`` in batches; shuffled anew every epoch (seeded) when ``seed`` is
    given. Samples are gathered by index, so an epoch costs one gather per batch; ``windows``
    may be a tensor already, shared by several pipelines."""
    windows, targets = tf.convert_to_tensor(windows), tf.convert_to_tensor(targets)
    order = tf.data.Dataset.range(len(targets))
    if seed is not None:
        order = order.shuffle(len(targets), seed=seed, reshuffle_each_iteration=True)
    return order.batch(batch_size).map(
        lambda index: (tf.gather(windows, index), tf.gather(targets, index)),
        num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


class EmulatorTraining:
    """The networks of one configuration and the physical-unit emulator that joins them.

    :meth:`build` fits the scalings on the training windows and builds the networks of
    ``configuration`` (a :class:`~keras_taskadapt.salinity.catalog.Configuration`) and the
    emulator around them (it shares their weights, so it is trained when they are);
    :meth:`fit` trains the networks: STL networks one after another, each in
    ``run/stations/<station>/`` (its own history.csv), the others in ``run`` itself.
    ``network_seconds`` and ``network_epochs`` record what each network's training cost.
    """

    def __init__(self, configuration, scalings, networks, emulator):
        self.configuration = configuration
        self.scalings = scalings
        self.networks = networks
        self.emulator = emulator
        self.network_seconds, self.network_epochs = [], []

    @classmethod
    def build(cls, configuration, train, **network_options):
        """Scalings fitted on ``train``, the networks (with ``network_options``, those of
        ``configuration.network_options`` that are not None) and the emulator."""
        unknown = [name for name, value in network_options.items()
                   if value is not None and name not in configuration.network_options]
        if unknown:
            raise TaskAdaptError(f"{configuration.label} takes no {unknown[0].replace('_', ' ')} option")
        scalings = EmulatorScalings.fit(train)
        networks = configuration.networks(scalings, train.stations, **{
            name: value for name, value in network_options.items() if value is not None})
        emulator = physical_emulator(networks, scalings, train.inputs, train.stations, train.lead)
        return cls(configuration, scalings, networks, emulator)

    @property
    def train_seconds(self):
        return float(sum(self.network_seconds))

    def fit(self, train, test, *, run, recipe=None, patience=PATIENCE, seed=0, tensorboard=False):
        """Train every network with early stopping on ``test`` by ``recipe`` (default: the
        configuration's, :func:`training_recipe`); returns the seconds spent.
        ``tensorboard``: TensorBoard logs in each network's run folder (``logs/``)."""
        configuration = self.configuration
        recipe = recipe or training_recipe(configuration)
        targets = self.scalings.scale_targets(train.targets), self.scalings.scale_targets(test.targets)
        train_windows, test_windows = tf.constant(train.raw), tf.constant(test.raw)  # one copy each
        runs = []
        for index, network in enumerate(self.networks):
            columns = slice(index, index + 1) if configuration.per_station else slice(None)
            if configuration.per_station:
                runs.append(RunDirectory(os.path.join(run.path, "stations", train.stations[index])))
                runs[-1].claim(force=True)
            else:
                runs.append(run)
            spent, ran = fit_network(
                network, (train_windows, targets[0][:, columns]), (test_windows, targets[1][:, columns]),
                recipe=recipe, patience=patience, seed=seed, run=runs[-1], tensorboard=tensorboard)
            self.network_seconds.append(spent)
            self.network_epochs.append(ran)
        if configuration.per_station:
            run.write_history(_side_by_side(runs, train.stations))
        return self.train_seconds


def fit_network(network, train, test, *, recipe, patience, seed, run, tensorboard=False):
    """Train one network (raw windows in, scaled EC out) on ``train = (windows, targets)``
    with early stopping on ``test`` by ``recipe`` (schedule ``"lm"``: Levenberg-Marquardt);
    returns ``(seconds, epochs run)``."""
    if recipe.schedule == "lm":
        model = LevenbergMarquardt(network, name=f"lm_{network.name}")
        model.compile(loss=masked_mse)
        batch_size = len(train[1])
    else:
        batch_size = recipe.batch_size
        rate = recipe.learning_rate(steps_per_epoch=-(-len(train[1]) // batch_size))
        alone = worker_position()[0] == 1  # Keras's multi-step loop fails across workers
        network.compile(optimizer=keras.optimizers.Adam(rate), loss=masked_mse, jit_compile=alone,
                        steps_per_execution=STEPS_PER_EXECUTION if alone else 1)
        model = network
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True,
                                         start_from_epoch=recipe.watch_from)
    callbacks = [stop, *recipe.callbacks(), ElapsedSeconds()]
    _, seconds = fit_with_contract(
        model, batches(*train, batch_size, seed), batches(*test, VALIDATION_BATCH),
        run=run, epochs=recipe.epochs, callbacks=callbacks, tensorboard=tensorboard)
    return seconds, len(run.read_history())


def train_emulator(configuration, train, test, *, run, schedule=None, rate=None, epochs=None, batch_size=None,
                   patience=PATIENCE, seed=0, strategy=None, **network_options):
    """:meth:`EmulatorTraining.build` (with ``network_options``) and :meth:`EmulatorTraining.fit`
    by :func:`training_recipe` (``schedule``, ``rate``, ``epochs``, ``batch_size``) under
    ``strategy`` (default: the current one); returns the :class:`EmulatorTraining`."""
    recipe = training_recipe(configuration, schedule, rate=rate, epochs=epochs, batch_size=batch_size)
    strategy = strategy or tf.distribute.get_strategy()
    with strategy.scope():
        training = EmulatorTraining.build(configuration, train, **network_options)
        training.fit(train, test, run=run, recipe=recipe, patience=patience, seed=seed)
    return training


def _side_by_side(runs, stations):
    """One history row per epoch with every station's columns suffixed ``_<station>``; NaN
    where a station had already stopped."""
    histories = [station_run.read_history() for station_run in runs]
    keys = [key for key in histories[0][0] if key != "epoch"]
    rows = []
    for epoch in range(max(len(history) for history in histories)):
        row = {"epoch": epoch}
        for station, history in zip(stations, histories):
            row.update({f"{key}_{station}": history[epoch][key] if epoch < len(history)
                        else math.nan for key in keys})
        rows.append(row)
    return rows


def inference_seconds_per_sample(model, windows, batch_size=VALIDATION_BATCH, repeats=3):
    """Best of ``repeats`` timed batched ``predict`` passes over ``windows`` (after a warm-up
    pass), divided by the number of samples: the time per day for all the model's stations."""
    model.predict(windows[:batch_size], batch_size=batch_size, verbose=0)
    best = np.inf
    for _ in range(repeats):
        started = time.perf_counter()
        model.predict(windows, batch_size=batch_size, verbose=0)
        best = min(best, time.perf_counter() - started)
    return best / len(windows)
