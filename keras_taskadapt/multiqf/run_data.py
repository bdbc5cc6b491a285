"""The data of a topology run: training, validation and test batches of image versions.

The validation images are held out from the training split (``val_images`` drawn at random
with a fixed seed, :mod:`~keras_taskadapt.data.held_out`): they pick each stage's best checkpoint,
so the test split the stages are reported on is never used to choose. Every pipeline carries
the versions stage (:func:`~keras_taskadapt.multiqf.versions.with_versions`); training
batches are shuffled, seeded, without augmentation (as the seed, and as the cache must be).
"""

from dataclasses import dataclass
from functools import cached_property
from typing import Optional


@dataclass
class VersionsData:
    """The sources and the batches ``(versions B x V x H x W x 3, labels)`` of one run."""

    source: object
    validation_source: object
    qualities: tuple
    batch_size: int
    seed: int = 0
    test_images: Optional[int] = None

    def _images(self, source, split, shuffle, limit=None):
        from keras_taskadapt.data.image_data import load_dataset

        batches = load_dataset(split=split, source=source, batch_size=self.batch_size, shuffle=shuffle, seed=self.seed)
        return batches if limit is None else first_images(batches, limit, self.batch_size, source.size(split))

    def _batches(self, source, split, shuffle, limit=None):
        from keras_taskadapt.multiqf.versions import with_versions

        return with_versions(self._images(source, split, shuffle, limit), self.qualities)

    @property
    def test_originals(self):
        """The test images scored, as they are (no versions): what the base classifies."""
        return self._images(self.source, "test", shuffle=False, limit=self.test_images)

    @cached_property
    def test_labels(self):
        """The labels of the test images scored, in order (read once, without making versions)."""
        import numpy as np

        return np.concatenate([np.asarray(labels) for _, labels in self.test_originals])

    @property
    def train(self):
        return self._batches(self.source, "train", shuffle=True)

    @property
    def plain_train(self):
        return self._batches(self.source, "train", shuffle=False)

    @property
    def validation(self):
        return self._batches(self.validation_source, "test", shuffle=False)

    @property
    def test(self):
        return self._batches(self.source, "test", shuffle=False, limit=self.test_images)

    @property
    def versions(self):
        return 1 + len(self.qualities)

    @property
    def input_shape(self):
        return tuple(self.source.image_shape)


def first_images(batches, limit, batch_size, size=None):
    """The first ``limit`` images of ``batches`` (a split of ``size`` images, ``None`` where
    unknown) in batches of ``batch_size``; with the size known, the result has a known length
    (Keras then knows when a pass ends)."""
    import math

    import tensorflow as tf

    taken = batches.unbatch().take(limit).batch(batch_size)
    if size is None:
        return taken
    return taken.apply(tf.data.experimental.assert_cardinality(math.ceil(min(limit, size) / batch_size)))


def open_versions_data(spec, *, qualities, val_images, train_images=None, test_images=None, batch_size=100, seed=0,
                       data_dir=None, image_size=None, skip_corrupt=False):
    """:class:`VersionsData` of the data set ``spec`` (module docstring)."""
    from keras_taskadapt.data.held_out import held_out_sources
    from keras_taskadapt.data.image_data import open_image_source
    from keras_taskadapt.multiqf.versions import check_qualities

    source = open_image_source(spec, data_dir=data_dir, image_size=image_size, skip_corrupt=skip_corrupt)
    training, validation = held_out_sources(source, val_images, train_images)
    return VersionsData(training, validation, check_qualities(qualities), batch_size, seed, test_images)
