"""Every data set behind one function.

``load_dataset(spec, split, batch_size=...)`` returns a batched ``tf.data`` pipeline of
``(uint8 images N x H x W x 3, int64 labels)``; ``open_dataset(spec)`` returns the
:class:`ImageSource` (classes, image shape, unbatched splits) it is built from.

Data-set specs:

==================  ==============================================================
``sklearn_digits``  the offline default: scikit-learn's digits as 32x32 RGB (smoke size)
``tiny_imagenet``   the CS231n ``tiny-imagenet-200`` layout from ``--data-dir``
``folder:PATH``     one sub-folder per class (optionally under train/ and test/)
``tfrecord:GLOB``   image records in the common schema, split by file-name prefix
any other name      a TensorFlow Datasets name (``cifar10``, ``imagenet2012``, ...)
==================  ==============================================================
"""

import os

from keras_taskadapt.data.source import SPLITS, ImageSource
from keras_taskadapt.data.splits import canonical_split

DEFAULT_DATASET = "sklearn_digits"
DEFAULT_DATA_DIR = os.path.join(os.path.expanduser("~"), ".keras-taskadapt", "datasets")


def open_dataset(spec=DEFAULT_DATASET, *, data_dir=None, image_shape=None, skip_corrupt=False):
    """The :class:`ImageSource` named by ``spec`` (see the module docstring)."""
    data_dir = data_dir or os.environ.get("KERAS_TASKADAPT_DATA", DEFAULT_DATA_DIR)
    if spec == DEFAULT_DATASET:
        from keras_taskadapt.data.offline_digits import open_digits

        return open_digits()
    if spec == "tiny_imagenet":
        from keras_taskadapt.data.tiny_imagenet import open_tiny_imagenet

        return open_tiny_imagenet(data_dir)
    if spec.startswith("folder:"):
        from keras_taskadapt.data.image_folder import open_image_folder

        return open_image_folder(spec[len("folder:"):], image_shape)
    if spec.startswith("tfrecord:"):
        from keras_taskadapt.data.tfrecord_source import open_tfrecords

        return open_tfrecords(spec[len("tfrecord:"):], skip_corrupt=skip_corrupt)
    from keras_taskadapt.data.tfds_source import open_tfds

    return open_tfds(spec, data_dir)


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
    return make_pipeline(
        source,
        split,
        batch_size=batch_size,
        shuffle=(split == "train") if shuffle is None else shuffle,
        seed=seed,
        augment=augment,
        image_size=image_size,
        drop_remainder=drop_remainder,
        repeat=repeat,
    )


__all__ = ["DEFAULT_DATASET", "SPLITS", "ImageSource", "load_dataset", "open_dataset"]
