"""Training a Delta emulator (seed 000, sections 5.3.1 and 5.4.3).

- Loss: the MSE of the outputs scaled by eq. (5.5), missing targets masked
  (:func:`~keras_taskadapt.salinity.metrics.masked_mse`); its validation value is the mean NMSE
  of table 5.3.
- Adam, section 5.3.1 (``schedule="steps"``): learning rate 0.01, scaled by 0.1, 0.01, 0.001
  and 0.0005 at epochs 80, 120, 160 and 180 of 200. With another epoch budget the steps keep
  their place relative to it (at 40%, 60%, 80% and 90% of ``epochs``).
- Adam, section 5.4.3 (``schedule="constant"``): a constant 0.001, up to 5000 epochs.
- Levenberg-Marquardt (``optimizer="lm"``): :class:`~keras_taskadapt.salinity.levenberg_marquardt.
  LevenbergMarquardt`, whole training set per step, 150 epochs.
- Early stopping (section 5.4.3): stop when the validation MSE has not improved for
  ``patience`` epochs and keep the best epoch's weights. As in the seed, the validation set is
  the 20% held out by the split, the set the metrics are reported on. Section 5.3.1 runs its
  whole schedule, so with ``schedule="steps"`` early stopping watches (and picks the best
  weights) only from the last step on (epoch 180 of 200).

Each network writes ``history.csv`` through the run contract of
:func:`keras_taskadapt.experiment.fit_with_contract` (:class:`EmulatorTraining`).
"""
import math
import os
import time

import keras
import numpy as np
import tensorflow as tf

from keras_taskadapt.core.run_directory import RunDirectory
from keras_taskadapt.experiment import fit_with_contract
from keras_taskadapt.salinity.emulator import physical_emulator
from keras_taskadapt.salinity.fitted_scalings import EmulatorScalings
from keras_taskadapt.salinity.levenberg_marquardt import LM_EPOCHS, LevenbergMarquardt
from keras_taskadapt.salinity.metrics import masked_mse

PAPER_STEPS = {"epochs": 200, "rate": 0.01, "at": (80, 120, 160, 180),
               "scale": (0.1, 0.01, 0.001, 0.0005)}
"""Section 5.3.1's Adam schedule."""
CONSTANT_RATE = 0.001
"""Section 5.4.3's Adam learning rate."""
PATIENCE = 50
EPOCH_CAP = 5000
DEFAULT_EPOCHS = {"steps": PAPER_STEPS["epochs"], "constant": EPOCH_CAP, "lm": LM_EPOCHS}
VALIDATION_BATCH = 4096


def default_epochs(configuration):
    """The seed's training length for ``configuration``: 150 (LM), 200 (steps), 5000 (cap)."""
    return DEFAULT_EPOCHS["lm" if configuration.optimizer == "lm" else configuration.schedule]


def step_epochs(epochs):
    """The epochs at which section 5.3.1's rate steps down, for a budget of ``epochs``."""
    return [max(1, round(epochs * at / PAPER_STEPS["epochs"])) for at in PAPER_STEPS["at"]]


def learning_rate(schedule, epochs, steps_per_epoch):
    """Adam's learning rate: section 5.3.1's steps fitted to ``epochs``, or 5.4.3's constant."""
    if schedule == "constant":
        return CONSTANT_RATE
    if schedule != "steps":
        raise ValueError(f"unknown schedule {schedule!r}")
    # PiecewiseConstantDecay keeps a rate up to and including its boundary step.
    boundaries = [epoch * steps_per_epoch - 1 for epoch in step_epochs(epochs)]
    rates = [PAPER_STEPS["rate"]] + [PAPER_STEPS["rate"] * s for s in PAPER_STEPS["scale"]]
    return keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, rates)


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
    def build(cls, configuration, train):
        scalings = EmulatorScalings.fit(train)
        networks = configuration.networks(scalings, train.stations)
        emulator = physical_emulator(networks, scalings, train.inputs, train.stations, train.lead)
        return cls(configuration, scalings, networks, emulator)

    @property
    def train_seconds(self):
        return float(sum(self.network_seconds))

    def fit(self, train, test, *, run, epochs=None, patience=PATIENCE, batch_size=128, seed=0, tensorboard=False):
        """Train every network with early stopping on ``test``; returns the seconds spent.
        ``tensorboard``: TensorBoard logs in each network's run folder (``logs/``)."""
        configuration = self.configuration
        epochs = epochs or default_epochs(configuration)
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
                optimizer=configuration.optimizer, schedule=configuration.schedule,
                epochs=epochs, patience=patience, batch_size=batch_size, seed=seed, run=runs[-1],
                tensorboard=tensorboard)
            self.network_seconds.append(spent)
            self.network_epochs.append(ran)
        if configuration.per_station:
            run.write_history(_side_by_side(runs, train.stations))
        return self.train_seconds


def fit_network(network, train, test, *, optimizer, schedule, epochs, patience, batch_size,
                seed, run, tensorboard=False):
    """Train one network (raw windows in, scaled EC out) on ``train = (windows, targets)``
    with early stopping on ``test``; returns ``(seconds, epochs run)``."""
    if optimizer == "lm":
        model = LevenbergMarquardt(network, name=f"lm_{network.name}")
        model.compile(loss=masked_mse)
        batch_size = len(train[1])
    else:
        steps = -(-len(train[1]) // batch_size)
        network.compile(optimizer=keras.optimizers.Adam(learning_rate(schedule, epochs, steps)),
                        loss=masked_mse)
        model = network
    watch_from = step_epochs(epochs)[-1] if optimizer != "lm" and schedule == "steps" else 0
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
                                         restore_best_weights=True, start_from_epoch=watch_from)
    _, seconds = fit_with_contract(
        model, batches(*train, batch_size, seed), batches(*test, VALIDATION_BATCH),
        run=run, epochs=epochs, callbacks=[stop], tensorboard=tensorboard)
    return seconds, len(run.read_history())


def train_emulator(configuration, train, test, *, run, epochs=None, patience=PATIENCE, batch_size=128, seed=0,
                   strategy=None):
    """:meth:`EmulatorTraining.build` and :meth:`EmulatorTraining.fit` under ``strategy``
    (default: the current one); returns the :class:`EmulatorTraining`."""
    strategy = strategy or tf.distribute.get_strategy()
    with strategy.scope():
        training = EmulatorTraining.build(configuration, train)
        training.fit(train, test, run=run, epochs=epochs, patience=patience, batch_size=batch_size, seed=seed)
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
