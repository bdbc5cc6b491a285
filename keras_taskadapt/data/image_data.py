"""The pipelines of one run on one image data set, opened once (every task's "data from options").

:func:`open_image_data` opens a spec and makes the pipelines a training or evaluation run
needs: the training batches (shuffled, seeded, optionally augmented, repeated when an epoch is
a fixed number of steps, optionally in whole batches of their own size), the training split
in stored order (``plain_train``, for fitting what is fitted on training data: entropy coders,
SVMs, Fisher scores) and the test batches.
"""

import math
from functools import cached_property

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.data.sources import DEFAULT_DATASET, open_dataset
from keras_taskadapt.data.splits import canonical_split


def load_dataset(spec=DEFAULT_DATASET, split="train", *, batch_size=128, shuffle=None, seed=0,
                 augment=False, image_size=None, drop_remainder=False, repeat=False, data_dir=None,
                 skip_corrupt=False, source=None):
    """A batched, prefetched pipeline of ``(uint8 images, int64 labels)`` for one split.

    ``shuffle`` defaults to True for ``train``. Pass an already opened ``source`` to avoid
    opening the data set twice.
    """
    from keras_taskadapt.data.pipeline import make_pipeline

    split = canonical_split(split)
    source = source or open_dataset(spec, data_dir=data_dir, skip_corrupt=skip_corrupt)
    shuffle = (split == "train") if shuffle is None else shuffle
    return make_pipeline(source, split, batch_size=batch_size, shuffle=shuffle, seed=seed, augment=augment,
                         image_size=image_size, drop_remainder=drop_remainder, repeat=repeat)


class ImageData:
    """An opened data set and its pipelines (module docstring), each made when first used.

    Args:
        source: the opened :class:`~keras_taskadapt.data.source.ImageSource`.
        image_size: (H, W) every image is resized to (``None``: as stored).
        batch_size: batch size of ``plain_train`` and ``test`` (and of ``train`` by default).
        train_batch_size: batch size of ``train`` when it differs (e.g. the LDR batch of
            hierarchical training); ``train`` then holds whole batches only.
        seed, augment: shuffling and augmentation of ``train``.
        steps_per_epoch: training steps per epoch; with it ``train`` repeats, and without it
            :attr:`steps_per_epoch` is that of one pass where the split's size is known.
    """

    def __init__(self, source, *, image_size=None, batch_size=128, train_batch_size=None, seed=0, augment=False,
                 steps_per_epoch=None):
        self.source = source
        self.image_size = image_size
        self.batch_size = batch_size
        self.whole_batches = train_batch_size is not None
        self.train_batch_size = train_batch_size or batch_size
        self.seed = seed
        self.augment = augment
        self.repeat = bool(steps_per_epoch)
        size = source.size("train")
        if self.whole_batches and size is not None and size < self.train_batch_size:
            raise TaskAdaptError(f"the training split of {source.name} has {size} images, fewer than one batch of "
                                 f"{self.train_batch_size}", parameter="batch_size")
        if steps_per_epoch or not size:
            self.steps_per_epoch = steps_per_epoch
        else:
            self.steps_per_epoch = size // self.train_batch_size if self.whole_batches else math.ceil(
                size / self.train_batch_size)

    def _pipeline(self, split, **options):
        return load_dataset(split=split, source=self.source, seed=self.seed, image_size=self.image_size, **options)

    @cached_property
    def train(self):
        return self._pipeline("train", batch_size=self.train_batch_size, shuffle=True, augment=self.augment,
                              drop_remainder=self.whole_batches, repeat=self.repeat)

    @cached_property
    def plain_train(self):
        return self._pipeline("train", batch_size=self.batch_size, shuffle=False)

    @cached_property
    def test(self):
        return self._pipeline("test", batch_size=self.batch_size, shuffle=False)

    def total_steps(self, epochs):
        """Training steps of ``epochs`` epochs (``None`` where the length of an epoch is not known)."""
        return epochs * self.steps_per_epoch if self.steps_per_epoch else None

    @property
    def input_shape(self):
        """(H, W, 3) a model takes: the resize size if one was asked for, else the data set's."""
        return tuple(self.image_size) + (3,) if self.image_size else tuple(self.source.image_shape)

    @property
    def image_pixels(self):
        height, width = self.input_shape[:2]
        return height * width

    def first_examples(self, split, count):
        """The first ``count`` images (float32) and labels of ``split`` in stored order, as arrays."""
        import numpy as np

        pipeline = self.plain_train if split == "train" else self.test
        batches = [(np.asarray(images), np.asarray(labels))
                   for images, labels in pipeline.unbatch().take(count).batch(500)]
        images, labels = zip(*batches, strict=True)
        return np.concatenate(images).astype(np.float32), np.concatenate(labels)


def open_image_source(spec=DEFAULT_DATASET, *, data_dir=None, image_size=None, skip_corrupt=False):
    """:func:`~keras_taskadapt.data.sources.open_dataset` of ``spec``, its images of another size
    resized to ``image_size`` (H, W) where the source lets the size be chosen."""
    shape = tuple(image_size) + (3,) if image_size else None
    return open_dataset(spec, data_dir=data_dir, image_shape=shape, skip_corrupt=skip_corrupt)


def open_image_data(spec=DEFAULT_DATASET, *, data_dir=None, image_size=None, skip_corrupt=False, source=None,
                    **pipelines):
    """:class:`ImageData` of ``spec`` (or of an already opened ``source``); ``pipelines`` are
    :class:`ImageData`'s options (``batch_size``, ``train_batch_size``, ``seed``, ``augment``,
    ``steps_per_epoch``)."""
    if source is None:
        source = open_image_source(spec, data_dir=data_dir, image_size=image_size, skip_corrupt=skip_corrupt)
    return ImageData(source, image_size=image_size, **pipelines)
