"""Training the compressed-input topology block by block on the run template (seed 004, chapters 3-4).

:func:`train_multiqf` loads the base (:mod:`~keras_taskadapt.multiqf.base_network`), builds
the topology over the original and its JPEG versions (:mod:`~keras_taskadapt.multiqf.topology`),
and runs algorithm 2's stages (:mod:`~keras_taskadapt.multiqf.block_training`) through
:func:`~keras_taskadapt.experiment.run_training`. With a bottleneck cache
(:mod:`~keras_taskadapt.multiqf.bottleneck_cache`) every stage trains the layers above the
cached block from the stored activations. After every stage the topology is scored on the
test split against the base (top-1, top-5, table 4.8's fixed and broken images); the model
kept is the stage with the best validation accuracy.
"""

import os
import shutil
from dataclasses import dataclass, field
from typing import Optional

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.core.settings import OptionSettings
from keras_taskadapt.multiqf.block_training import RATE_DIVISOR, SEED_RATE
from keras_taskadapt.multiqf.versions import SEED_QUALITIES


@dataclass
class MultiQFSettings(OptionSettings):
    """A topology run's own options (the run's folder, seed and epochs are its ``RunSettings``)."""

    base: str
    dataset: str
    base_weights: Optional[str] = None
    data_dir: Optional[str] = None
    image_size: Optional[tuple] = None
    skip_corrupt: bool = False
    qualities: tuple = SEED_QUALITIES
    blocks: tuple = field(default_factory=tuple)
    val_images: int = 5000
    train_images: Optional[int] = None
    test_images: Optional[int] = None
    batch_size: int = 100
    learning_rate: float = SEED_RATE
    rate_divisor: float = RATE_DIVISOR
    patience: int = 1
    head_init: str = "random"
    cache: Optional[str] = None


def cache_expectations(base, settings, block):
    """What a bottleneck cache must have been written for to serve this run."""
    from keras_taskadapt.data.held_out import HOLD_OUT_SEED

    return {"fingerprint": base.fingerprint, "block": block, "qualities": list(settings.qualities),
            "dataset": settings.dataset, "val_images": settings.val_images, "train_images": settings.train_images,
            "hold_out_seed": HOLD_OUT_SEED}


def open_base_and_data(settings, seed):
    """``(base, data)`` of a run or a cache: the :class:`~keras_taskadapt.multiqf.run_data.VersionsData`
    of ``settings.dataset`` and the base network, checked to fit each other."""
    from keras_taskadapt.multiqf.base_network import load_base
    from keras_taskadapt.multiqf.run_data import open_versions_data

    data = open_versions_data(settings.dataset, qualities=settings.qualities, val_images=settings.val_images,
                              train_images=settings.train_images, test_images=settings.test_images,
                              batch_size=settings.batch_size, seed=seed, data_dir=settings.data_dir,
                              image_size=settings.image_size, skip_corrupt=settings.skip_corrupt)
    base = load_base(settings.base, settings.base_weights, input_shape=data.input_shape,
                     num_classes=data.source.num_classes)
    model = base.model
    if tuple(model.input_shape[1:]) != data.input_shape:
        raise TaskAdaptError(f"the base takes images of {tuple(model.input_shape[1:])}, the data set's are "
                             f"{data.input_shape}", parameter="dataset")
    if model.layers[-1].units != data.source.num_classes:
        raise TaskAdaptError(f"the base classifies {model.layers[-1].units} classes, the data set has "
                             f"{data.source.num_classes}", parameter="dataset")
    return base, data


def cache_bottlenecks(settings, block, out, *, seed=0, sparsity_images=256, force=False):
    """Write the bottleneck cache of ``block``'s input for ``settings``'s run into ``out``
    (:func:`~keras_taskadapt.multiqf.bottleneck_cache.write_cache`) and ``sparsity.csv``, the
    zero fraction at every block's output on the first ``sparsity_images`` training images
    (table 4.1); returns ``cache.json``'s content."""
    from keras_taskadapt.core.files import write_csv
    from keras_taskadapt.multiqf.blocks import base_blocks, feature_layer_index
    from keras_taskadapt.multiqf.bottleneck_cache import block_sparsity, cache_point, claim_cache_folder, write_cache
    from keras_taskadapt.multiqf.topology import multi_quality_topology, trunk_below

    base, data = open_base_and_data(settings, seed)
    blocks = base_blocks(base.model)
    end = cache_point(blocks, block, base.model.layers[feature_layer_index(base.model)].name)
    topology = multi_quality_topology(base.model, data.versions)
    sample = data.plain_train.unbatch().take(sparsity_images).batch(settings.batch_size)
    claim_cache_folder(out, force)
    write_csv(os.path.join(out, "sparsity.csv"), block_sparsity(topology, blocks, sample))
    description = {**cache_expectations(base, settings, block), "end": end, "base": base.spec}
    streams = {"train": data.plain_train, "val": data.validation}  # stored order; runs shuffle what they read
    return write_cache(trunk_below(topology, end), streams, out, description)


class TopologyRun:
    """One run's base, data, topology and stages, and the hooks it gives the run template."""

    def __init__(self, settings, run_settings):
        from keras_taskadapt.multiqf.block_training import stage_plan
        from keras_taskadapt.multiqf.blocks import base_blocks, blocks_to_unfreeze

        self.settings, self.run_settings = settings, run_settings
        self.base, self.data = open_base_and_data(settings, run_settings.seed)
        self.blocks = base_blocks(self.base.model)
        self.stages = stage_plan(blocks_to_unfreeze(self.base.model, settings.blocks), settings.learning_rate,
                                 settings.rate_divisor)
        self.cache = self._open_cache() if settings.cache else None
        self.topology = None
        self.rows = []
        self._cached_twin = None
        self._base_probabilities = None

    def _open_cache(self):
        from keras_taskadapt.multiqf.bottleneck_cache import check_cache, read_cache_description

        cached = read_cache_description(self.settings.cache).get("block")
        described = check_cache(self.settings.cache, cache_expectations(self.base, self.settings, cached))
        from_top = ["head"] + [block.name for block in reversed(self.blocks)]
        lowest = self.stages[-1].name
        if from_top.index(lowest) > from_top.index(cached):
            raise TaskAdaptError(f"{self.settings.cache} holds the input of block {cached}, but the run unfreezes "
                                 f"{lowest}, below it; cache the input of {lowest} or a lower block",
                                 parameter="cache")
        return described

    # -- the run template's hooks -------------------------------------------------------------

    def build(self, data):
        """The topology, on the base loaded again under the run's ``tf.distribute`` scope (the
        variables a strategy trains must be made in it)."""
        from keras_taskadapt.multiqf.base_network import load_base
        from keras_taskadapt.multiqf.topology import multi_quality_topology

        self.base = load_base(self.settings.base, self.settings.base_weights, input_shape=data.input_shape,
                              num_classes=data.source.num_classes)
        self.topology = multi_quality_topology(self.base.model, data.versions, seed=self.run_settings.seed,
                                               head_init=self.settings.head_init)
        return self.topology

    def stream(self, stage):
        from keras_taskadapt.multiqf.bottleneck_cache import cache_stream
        from keras_taskadapt.multiqf.topology import topology_from_cache

        if self.cache is None:
            return self.topology, self.data.train, self.data.validation
        if self._cached_twin is None:
            self._cached_twin = topology_from_cache(self.topology, self.cache["end"])
        batch = self.settings.batch_size
        return (self._cached_twin,
                cache_stream(self.settings.cache, "train", batch_size=batch, shuffle=True, seed=self.run_settings.seed),
                cache_stream(self.settings.cache, "val", batch_size=batch))

    def base_probabilities(self):
        """The base's outputs on the original test images (computed once)."""
        if self._base_probabilities is None:
            originals = self.data.test_originals.map(lambda images, _: images)  # no JPEG versions needed
            self._base_probabilities = self.base.model.predict(originals, verbose=0)
        return self._base_probabilities

    def score(self, stage=None):
        """Test metrics of the topology against the base (module docstring)."""
        from keras_taskadapt.multiqf.analysis import accuracy_keys, fixed_and_broken

        probabilities = self.topology.predict(self.data.test.map(lambda versions, _: versions), verbose=0)
        labels = self.data.test_labels
        return {**accuracy_keys(probabilities, labels), **fixed_and_broken(self.base_probabilities(), probabilities,
                                                                           labels)}

    def fit(self, model, data, run):
        from keras_taskadapt.multiqf.block_training import StageBudget, stage_weights_path, train_block_by_block

        budget = StageBudget(self.run_settings.epochs, self.settings.patience, self.run_settings.steps_per_epoch)
        self.rows, seconds = train_block_by_block(
            self.topology, self.stages, stream=self.stream, evaluate=self.score, run=run, budget=budget,
            resume=self.run_settings.resume, top5=data.source.num_classes > 5)
        self.topology.load_weights(stage_weights_path(run, int(self.kept_stage()["stage"])))
        shutil.rmtree(run.backup_dir, ignore_errors=True)
        return seconds

    def kept_stage(self):
        """The row of the stage with the best validation accuracy (the model kept)."""
        return max(self.rows, key=lambda row: float(row["val_accuracy"]))

    def metrics(self, model, data, run):
        """metrics.json (the task's docstring lists the keys)."""
        from keras_taskadapt.multiqf.analysis import accuracy_keys

        labels = self.data.test_labels
        best = self.kept_stage()
        metrics = {key: float(best[key]) for key in ("accuracy", "top5_accuracy") if key in best}
        metrics.update(accuracy_keys(self.base_probabilities(), labels, prefix="base_"))
        metrics.update({"fixed": int(float(best["fixed"])), "broken": int(float(best["broken"])),
                        "best_stage": int(best["stage"]), "best_block": best["block"], "stages": len(self.rows),
                        "test_images": int(len(labels)), "versions": data.versions,
                        "qualities": " ".join(str(quality) for quality in data.qualities),
                        "base": self.base.spec, "cache": os.path.abspath(self.settings.cache) if self.cache else "none",
                        "params": int(self.topology.count_params())})
        if self.cache:
            metrics["cache_zero_fraction"] = float(self.cache["zero_fraction"])
        for row in self.rows:
            prefix = f"stage{row['stage']}_"
            metrics[prefix + "block"] = row["block"]
            for key in ("val_accuracy", "accuracy", "top5_accuracy", "fixed", "broken", "epochs", "train_seconds",
                        "trainable_params"):
                if key in row:
                    metrics[prefix + key] = float(row[key])
        return metrics


def train_multiqf(settings, run_settings, config):
    """Train the topology into ``run_settings.out`` (module docstring); returns its metrics."""
    from keras_taskadapt.experiment import run_training

    run = TopologyRun(settings, run_settings)
    return run_training(run_settings, open_data=lambda: run.data, build=run.build, evaluate=run.metrics,
                        fit=run.fit, config=config)
