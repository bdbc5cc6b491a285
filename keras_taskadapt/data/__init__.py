"""Every data set behind one function.

``load_dataset(spec, split, batch_size=...)`` returns a batched ``tf.data`` pipeline of
``(uint8 images N x H x W x 3, int64 labels)``; ``open_dataset(spec)`` returns the
:class:`ImageSource` (classes, image shape, unbatched splits) it is built from, and
:func:`open_image_data` the source with its training and test pipelines as a training run
needs them (:class:`ImageData`).

Data-set specs, each registered in :data:`SOURCES` by its module:

==================  ==============================================================
``sklearn_digits``  the offline default: scikit-learn's digits as 32x32 RGB (smoke size)
``tiny_imagenet``   the CS231n ``tiny-imagenet-200`` layout from ``--data-dir``
``folder:PATH``     one sub-folder per class (optionally under train/ and test/)
``tfrecord:GLOB``   image records in the common schema, split by file-name prefix
any other name      a TensorFlow Datasets name (``cifar10``, ``imagenet2012``, ...)
==================  ==============================================================
"""

from keras_taskadapt.data import (  # noqa: F401  each registers its source
    image_folder,
    offline_digits,
    tfds_source,
    tfrecord_source,
    tiny_imagenet,
)
from keras_taskadapt.data.image_data import ImageData, load_dataset, open_image_data, open_image_source
from keras_taskadapt.data.source import SPLITS, ImageSource
from keras_taskadapt.data.sources import DEFAULT_DATASET, SOURCES, describe_specs, open_dataset

__all__ = ["DEFAULT_DATASET", "SOURCES", "SPLITS", "ImageData", "ImageSource", "describe_specs", "load_dataset",
           "open_dataset", "open_image_data", "open_image_source"]
