"""One few-shot training run on the training template (:func:`train_fewshot`).

``method="pretrain"`` fits the backbone with a soft-max head on all base classes
(:mod:`~keras_taskadapt.fewshot.pretraining`); ``protonet`` and ``feat`` train episodically on
base-split episodes, one or more episodes per step, from a pre-trained backbone
(``pretrained``: a ``model.keras`` of any few-shot run) or from scratch, validate on seeded
``val`` episodes every epoch and keep the weights of the best validation accuracy (FEAT's model
selection). Every run ends with the evaluation protocol on the novel split at each of
``eval_shots`` (:mod:`~keras_taskadapt.fewshot.evaluation`).

The optimizer is SGD with Nesterov momentum 0.9 and decoupled weight decay, the rate
cosine-decayed over the run (FEAT: SGD, step decay).
"""

import os
from dataclasses import dataclass, field
from typing import Optional

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.core.settings import OptionSettings

#: Images per class whose embeddings make the class means of constrained grouping.
CLASS_MEAN_IMAGES = 50
VALIDATION_SEED = 1


@dataclass
class FewShotSettings(OptionSettings):
    """The options of a few-shot run (the CLI's ``train fewshot``)."""

    dataset: str
    method: str = "protonet"
    backbone: str = "resnet12"
    width: float = 1.0
    image_size: Optional[tuple] = None
    ways: int = 5
    shots: int = 1
    queries: int = 15
    ldr: str = "none"
    ldr_weight: float = 0.01
    ldr_set: str = "episode"
    coarse: str = "random"
    coarse_file: Optional[str] = None
    temperature: float = 64.0
    balance: float = 0.01
    temperature2: float = 64.0
    augment: tuple = ()
    epochs: int = 10
    episodes_per_epoch: int = 100
    episodes_per_step: int = 1
    val_episodes: int = 100
    test_episodes: int = 2000
    episode_seed: int = 0
    eval_shots: tuple = (1, 5)
    batch_size: int = 128
    learning_rate: float = 0.001
    weight_decay: float = 5e-4
    pretrained: Optional[str] = None
    seed: int = 0
    augmentation: object = field(init=False, default=None)

    def check(self):
        from keras_taskadapt.fewshot.augmentation import Augmentation
        from keras_taskadapt.fewshot.classifier import METHODS

        METHODS[self.method]
        self.augmentation = Augmentation.from_names(self.augment)
        if self.pretrained is not None and not os.path.exists(self.pretrained):
            raise TaskAdaptError(f"no such model: {self.pretrained}", parameter="pretrained")
        if self.coarse_file is not None and self.coarse != "manual":
            raise TaskAdaptError("a coarse grouping file is the manual grouping; use it with coarse=manual",
                                 parameter="coarse_file")

    @property
    def episodic(self):
        return self.method != "pretrain"


@dataclass
class FewShotRun:
    """What a run reads: the splits, the image shape, the training and validation streams."""

    data: object
    image_shape: tuple
    train: object
    test: object
    steps_per_epoch: int
    manual_groups: Optional[list] = None


def open_run_data(settings):
    """The :class:`FewShotRun` of ``settings``; every layout and grouping file is checked here,
    before a run folder is touched."""
    from keras_taskadapt.fewshot.coarse import read_grouping, shipped_grouping
    from keras_taskadapt.fewshot.episodes import EpisodeLayout, episode_dataset, image_shape_of, labelled_batches
    from keras_taskadapt.fewshot.splits import open_fewshot_data, split_path

    data = open_fewshot_data(settings.dataset)
    base = data.split("base")
    layout = EpisodeLayout(settings.ways, settings.shots, settings.queries)
    for shots in settings.eval_shots:
        EpisodeLayout(settings.ways, shots, settings.queries).check(data.split("novel"))
    manual = None
    if settings.episodic and settings.ldr == "weak" and settings.coarse == "manual":
        path = settings.coarse_file or shipped_grouping(split_path(settings.dataset))
        if path is None:
            raise TaskAdaptError(f"no manual grouping ships for {settings.dataset}; give one (a wnid,group CSV)",
                                 parameter="coarse_file")
        manual = read_grouping(path, base.classes)
    shape = image_shape_of(base, settings.image_size)
    if settings.episodic:
        layout.check(base)
        train = episode_dataset(base, layout, seed=settings.seed, image_shape=shape,
                                augmentation=settings.augmentation).batch(settings.episodes_per_step)
        validation = None
        if "val" in data.splits:
            validation = episode_dataset(data.split("val"), layout, seed=VALIDATION_SEED,
                                         episodes=settings.val_episodes, image_shape=shape).batch(1)
        steps = settings.episodes_per_epoch
    else:
        train = labelled_batches(base, batch_size=settings.batch_size, seed=settings.seed, image_shape=shape,
                                 augmentation=settings.augmentation)
        validation, steps = None, max(1, sum(base.class_sizes()) // settings.batch_size)
    return FewShotRun(data, shape, train, validation, steps, manual)


def starting_backbone(settings, image_shape):
    """The backbone a run starts from: the ``pretrained`` run's, else a new one."""
    from keras_taskadapt.fewshot.backbones import build_backbone

    if settings.pretrained is None:
        return build_backbone(settings.backbone, image_shape, settings.width)
    import keras

    from keras_taskadapt.core.keras_file import load_model

    backbone = getattr(load_model(settings.pretrained, keras.Model), "backbone", None)
    if backbone is None:
        raise TaskAdaptError(f"{settings.pretrained} is not a few-shot model (it has no backbone)",
                             parameter="pretrained")
    if tuple(backbone.input.shape[1:]) != tuple(image_shape):
        raise TaskAdaptError(f"{settings.pretrained} embeds {tuple(backbone.input.shape[1:3])} images, the data set "
                             f"has {tuple(image_shape[:2])}", parameter="pretrained")
    return backbone


def class_means(backbone, split, image_shape, images_per_class=CLASS_MEAN_IMAGES):
    """The mean embedding of the first ``images_per_class`` images of every class of ``split``."""
    import numpy as np
    import tensorflow as tf

    from keras_taskadapt.fewshot.episodes import image_reader

    read = image_reader(image_shape)
    means = []
    for paths in split.files:
        images = tf.stack([read(path) for path in paths[:images_per_class]])
        means.append(np.mean(backbone.predict_on_batch(images), axis=0))
    return np.stack(means)


def coarse_groups(settings, run_data, backbone):
    """The coarse group of every base class for weak guidance (``None`` otherwise)."""
    from keras_taskadapt.fewshot.coarse import constrained_groups, random_groups

    if settings.ldr != "weak":
        return None
    base = run_data.data.split("base")
    if settings.coarse == "random":
        return random_groups(base.num_classes, settings.seed)
    if settings.coarse == "constrained":
        if settings.pretrained is None:
            raise TaskAdaptError("constrained grouping clusters the class means of a pre-trained backbone; "
                                 "name one (pretrained)", parameter="coarse")
        return constrained_groups(class_means(backbone, base, run_data.image_shape), settings.seed)
    return run_data.manual_groups


def compiled_model(settings, run_data, epochs):
    """The model of ``settings.method`` on its starting backbone, compiled (module docstring)."""
    import keras
    import numpy as np

    from keras_taskadapt.fewshot.classifier import METHODS

    backbone = starting_backbone(settings, run_data.image_shape)
    if settings.episodic:
        options = dict(ways=settings.ways, shots=settings.shots, queries=settings.queries,
                       temperature=settings.temperature, ldr=settings.ldr, ldr_weight=settings.ldr_weight,
                       coarse_groups=coarse_groups(settings, run_data, backbone), ldr_set=settings.ldr_set)
        if settings.method == "feat":
            options.update(balance=settings.balance, temperature2=settings.temperature2)
        model = METHODS[settings.method](backbone, name=settings.method, **options)
        model(np.zeros((1, model.layout.size, *run_data.image_shape), "float32"))  # builds it
        model.compile(optimizer=_optimizer(settings, run_data.steps_per_epoch * epochs))
    else:
        model = METHODS["pretrain"](backbone, run_data.data.split("base").num_classes, name="pretrain")
        model(np.zeros((1, *run_data.image_shape), "float32"))
        model.compile(optimizer=_optimizer(settings, run_data.steps_per_epoch * epochs),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


def _optimizer(settings, total_steps):
    import keras

    from keras_taskadapt.schedules import cosine_decay

    return keras.optimizers.SGD(cosine_decay(settings.learning_rate, total_steps), momentum=0.9, nesterov=True,
                                weight_decay=settings.weight_decay or None)


def novel_metrics(settings, model, run_data):
    """The evaluation protocol at the run's own shots (``accuracy``, ``ci95``, ...) and at each
    of ``eval_shots`` (``accuracy_<K>shot``, ``ci95_<K>shot``), and the run's description keys."""
    from keras_taskadapt.fewshot.evaluation import episode_metrics

    novel = run_data.data.split("novel")
    metrics = {}
    for shots in dict.fromkeys((settings.shots, *settings.eval_shots)):
        scores = episode_metrics(model, novel, ways=settings.ways, shots=shots, queries=settings.queries,
                                 episodes=settings.test_episodes, seed=settings.episode_seed,
                                 image_shape=run_data.image_shape)
        metrics[f"accuracy_{shots}shot"], metrics[f"ci95_{shots}shot"] = scores["accuracy"], scores["ci95"]
        if shots == settings.shots:
            metrics.update(scores)
    return {**metrics, **description(settings, model)}


def description(settings, model):
    """The keys that say what was trained."""
    weak = settings.episodic and settings.ldr == "weak"
    return {"method": settings.method, "ldr": settings.ldr if settings.episodic else "none",
            "coarse": settings.coarse if weak else "none",
            "lambda": settings.ldr_weight if settings.episodic and settings.ldr != "none" else 0.0,
            "backbone": settings.backbone, "width": settings.width, "augment": settings.augmentation.label(),
            "params": int(model.backbone.count_params()), "dataset": settings.dataset,
            "pretrained": os.path.abspath(settings.pretrained) if settings.pretrained else "none"}


def train_fewshot(settings, run_settings, config):
    """Train one few-shot model into ``run_settings.out`` (module docstring); returns its metrics."""
    import dataclasses

    import keras

    from keras_taskadapt.experiment import run_training

    run_data = open_run_data(settings)
    run_settings = dataclasses.replace(run_settings, steps_per_epoch=run_data.steps_per_epoch)
    callbacks = None
    if settings.episodic and run_data.test is not None:
        def callbacks(model):
            return [keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=run_settings.epochs,
                                                  restore_best_weights=True)]
    return run_training(
        run_settings,
        open_data=lambda: run_data,
        build=lambda data: compiled_model(settings, data, run_settings.epochs),
        evaluate=lambda model, data, run: novel_metrics(settings, model, data),
        callbacks=callbacks,
        config=config,
    )
