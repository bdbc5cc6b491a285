"""How the Adam-trained emulators are trained: rate schedule, rate, epochs, batch size.

- ``steps``: section 5.3.1. Rate 0.01, scaled by 0.1, 0.01, 0.001 and 0.0005 at epochs 80,
  120, 160 and 180 of 200; with another epoch budget the steps keep their place relative to it
  (40%, 60%, 80% and 90% of ``epochs``). Early stopping watches only from the last step on.
- ``constant``: section 5.4.3. A constant 0.001, up to 5000 epochs (early stopping ends it).
- ``cosine``: the rate decays from ``rate`` to 0 along a half cosine over ``epochs`` epochs
  (``keras.optimizers.schedules.CosineDecay``, Loshchilov & Hutter's SGDR without restarts).
- ``plateau``: ``rate`` halved whenever the validation MSE has not improved for 10 epochs
  (``keras.callbacks.ReduceLROnPlateau``), down to ``rate / 100``.

Every recipe stops early on the validation MSE (``patience`` epochs, best weights kept;
section 5.4.3). :data:`RECIPES` holds each schedule's defaults; the command line overrides any
of them (``--schedule``, ``--learning-rate``, ``--epochs``, ``--batch-size``).
"""
import dataclasses
from dataclasses import dataclass

import keras

from keras_taskadapt.core.errors import TaskAdaptError

PAPER_STEPS = {"epochs": 200, "at": (80, 120, 160, 180), "scale": (0.1, 0.01, 0.001, 0.0005)}
"""Section 5.3.1's steps: the epochs of 200 where the rate is scaled, and the scales."""
PLATEAU = {"factor": 0.5, "patience": 10, "floor": 0.01}


@dataclass(frozen=True)
class Recipe:
    """One Adam training recipe (module docstring): ``schedule``, initial ``rate``, ``epochs``
    (the cap) and ``batch_size``."""

    schedule: str
    rate: float
    epochs: int
    batch_size: int

    def with_options(self, rate=None, epochs=None, batch_size=None):
        """This recipe with the given values in place of its own (None keeps them)."""
        given = {"rate": rate, "epochs": epochs, "batch_size": batch_size}
        return dataclasses.replace(self, **{key: value for key, value in given.items() if value is not None})

    def learning_rate(self, steps_per_epoch):
        """Adam's ``learning_rate``: a float or a Keras schedule over optimizer steps."""
        if self.schedule == "steps":
            # PiecewiseConstantDecay keeps a rate up to and including its boundary step.
            boundaries = [epoch * steps_per_epoch - 1 for epoch in step_epochs(self.epochs)]
            rates = [self.rate] + [self.rate * scale for scale in PAPER_STEPS["scale"]]
            return keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, rates)
        if self.schedule == "cosine":
            return keras.optimizers.schedules.CosineDecay(self.rate, decay_steps=self.epochs * steps_per_epoch)
        return self.rate

    def callbacks(self):
        """The callbacks the schedule needs besides early stopping."""
        if self.schedule != "plateau":
            return []
        return [keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=PLATEAU["factor"],
                                                  patience=PLATEAU["patience"],
                                                  min_lr=self.rate * PLATEAU["floor"])]

    @property
    def watch_from(self):
        """The first epoch early stopping watches: the last step of ``steps``, else 0."""
        return step_epochs(self.epochs)[-1] if self.schedule == "steps" else 0


def step_epochs(epochs):
    """The epochs at which section 5.3.1's rate steps down, for a budget of ``epochs``."""
    return [max(1, round(epochs * at / PAPER_STEPS["epochs"])) for at in PAPER_STEPS["at"]]


RECIPES = {
    "steps": Recipe("steps", rate=0.01, epochs=PAPER_STEPS["epochs"], batch_size=128),
    "constant": Recipe("constant", rate=0.001, epochs=5000, batch_size=128),
    "cosine": Recipe("cosine", rate=0.003, epochs=600, batch_size=128),
    "plateau": Recipe("plateau", rate=0.003, epochs=1000, batch_size=128),
}
"""Each schedule's defaults (module docstring)."""

SCHEDULES = tuple(RECIPES)


def recipe(schedule, **options):
    """The recipe of ``schedule`` with ``options`` (``rate``, ``epochs``, ``batch_size``) in
    place of its defaults."""
    if schedule not in RECIPES:
        raise TaskAdaptError(f"schedule must be one of {SCHEDULES}. Received: schedule={schedule!r}",
                             parameter="schedule")
    return RECIPES[schedule].with_options(**options)
