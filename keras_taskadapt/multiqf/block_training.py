"""Block-by-block transfer learning (seed 004, section 3.4.1, figure 3.4 and algorithm 2).

The schedule is a list of :class:`Stage`: the first trains only the new head at the starting
rate (the seed's 0.01) with the whole base frozen; each later stage unfreezes one more block
from the top, divides the rate by 10, starts from the best checkpoint of the stage before,
and ends when the validation accuracy has not improved for ``patience`` evaluations (the
seed evaluates every 2,000 steps: an epoch of ``steps_per_epoch`` steps here). Batch
normalisation layers stay in inference mode with their statistics frozen, in unfrozen blocks
too (as Keras's transfer-learning guide advises: the statistics of the base's data are kept).
The seed trains with plain SGD, batches of 100.

:func:`train_block_by_block` runs the stages into a run folder: each stage is one ``fit``
through the run contract (``history.csv`` with a ``stage`` column, epochs numbered across
stages, ``--resume`` within a stage), and a finished stage leaves its best weights
(``stage<k>.weights.h5``) and its row in ``stages.csv``, so ``--resume`` continues from the
last finished stage.
"""

import math
import os
from dataclasses import dataclass

import keras

from keras_taskadapt.core.files import read_csv, write_csv, write_json
from keras_taskadapt.multiqf.topology import HEAD, trunk_of

SEED_RATE, RATE_DIVISOR = 0.01, 10
"""Algorithm 2: the head's starting rate; each later stage starts at the rate before / 10."""
STAGES_FILE = "stages.csv"


@dataclass(frozen=True)
class Stage:
    """One training run of algorithm 2: its 1-based ``index``, ``name`` ("head" or the block it
    unfroze), the ``blocks`` trainable in it (:class:`~keras_taskadapt.multiqf.blocks.Block`)
    and its starting ``rate``."""

    index: int
    name: str
    blocks: tuple
    rate: float


def stage_plan(blocks, rate=SEED_RATE, divisor=RATE_DIVISOR):
    """Algorithm 2's stages: the head at ``rate``, then one more of ``blocks`` (top first) per
    stage at the rate divided by ``divisor`` each time."""
    stages = [Stage(1, "head", (), rate)]
    for position, block in enumerate(blocks):
        stages.append(Stage(position + 2, block.name, tuple(blocks[:position + 1]), rate / divisor ** (position + 1)))
    return stages


def freeze_for(topology, stage):
    """Make the head and ``stage``'s blocks trainable and every other layer of the trunk frozen
    (batch normalisation always frozen, module docstring)."""
    trainable = {name for block in stage.blocks for name in block.layers}
    for layer in trunk_of(topology).layers:
        layer.trainable = layer.name in trainable and not isinstance(layer, keras.layers.BatchNormalization)
    topology.get_layer(HEAD).trainable = True


class StageColumn(keras.callbacks.Callback):
    """Logs ``stage`` (its index) with every epoch, a ``history.csv`` column."""

    def __init__(self, index):
        super().__init__()
        self.index = index

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["stage"] = self.index


@dataclass(frozen=True)
class StageBudget:
    """How long a stage may run: at most ``max_epochs`` evaluations of ``steps_per_epoch`` steps
    (None: a pass over the training data), ended after ``patience`` evaluations without a
    better validation accuracy."""

    max_epochs: int = 20
    patience: int = 1
    steps_per_epoch: int = None


def compile_stage(model, stage, top5):
    """``model`` compiled for ``stage``: plain SGD at the stage's rate, cross-entropy, accuracy
    (and top-5 accuracy)."""
    metrics = ["accuracy"] + ([keras.metrics.SparseTopKCategoricalAccuracy(5, name="top5_accuracy")] if top5 else [])
    model.compile(optimizer=keras.optimizers.SGD(stage.rate), loss="sparse_categorical_crossentropy",
                  metrics=metrics)


def finished_stages(run):
    """The rows of the stages a run folder holds as finished (``stages.csv``)."""
    path = run.file(STAGES_FILE)
    return read_csv(path) if os.path.exists(path) else []


def stage_weights_path(run, index):
    return run.file(f"stage{index}.weights.h5")


def train_block_by_block(topology, stages, *, stream, evaluate, run, budget, resume=False, top5=False):
    """Run ``stages`` on ``topology`` into ``run`` (module docstring); returns ``(rows, seconds)``.

    Args:
        stream: ``(stage) -> (model, train, validation)``: the model ``fit`` trains for the
            stage (``topology`` or its twin on cached activations, sharing its layers) and its
            data.
        evaluate: ``(stage) -> metrics`` of ``topology`` after the stage (on the test split).
        budget: a :class:`StageBudget`.
    """
    from keras_taskadapt.experiment import fit_with_contract

    rows = finished_stages(run) if resume else []
    if rows:
        topology.load_weights(stage_weights_path(run, int(rows[-1]["stage"])))
    seconds = sum(float(row["train_seconds"]) for row in rows)
    for stage in stages[len(rows):]:
        freeze_for(topology, stage)
        model, train, validation = stream(stage)
        compile_stage(model, stage, top5)
        first_epoch = len(run.read_history())
        stopping = keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=budget.patience,
                                                 restore_best_weights=True)
        _, stage_seconds = fit_with_contract(
            model, train, validation, run=run, epochs=first_epoch + budget.max_epochs, initial_epoch=first_epoch,
            resume=resume, callbacks=[StageColumn(stage.index), stopping], steps_per_epoch=budget.steps_per_epoch)
        _mark_resumable(run, first_epoch)  # until its row is written, a stage is to be run again
        last_epoch = len(run.read_history())
        topology.save_weights(stage_weights_path(run, stage.index))
        seconds += stage_seconds
        trainable = sum(math.prod(weight.shape) for weight in model.trainable_weights)
        rows.append({"stage": stage.index, "block": stage.name, "rate": stage.rate, "trainable_params": trainable,
                     "epochs": last_epoch - first_epoch,
                     "best_epoch": stopping.best_epoch + 1,
                     "val_accuracy": float(stopping.best), "train_seconds": stage_seconds, **evaluate(stage)})
        write_csv(run.file(STAGES_FILE), rows)
        _mark_resumable(run, last_epoch)
        resume = True  # the history so far belongs to this run: later stages append to it
    return rows, seconds


def _mark_resumable(run, epochs):
    """Between stages Keras has removed its backup; leave the folder marked as an interrupted run
    that has finished ``epochs`` epochs, so ``--resume`` continues from the stages written."""
    os.makedirs(run.backup_dir, exist_ok=True)
    write_json(os.path.join(run.backup_dir, "training_metadata.json"), {"epoch": epochs})
