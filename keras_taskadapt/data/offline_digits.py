"""The offline default: scikit-learn's handwritten digits as 32 x 32 RGB images.

A smoke-size data set (1,797 images of 10 digits, 8 x 8 grey, 0..16) shipped inside
scikit-learn, so the main job runs on a machine with no network and no data. The images are
scaled to 0..255, upsampled bilinearly to 32 x 32 and repeated over three channels; a fixed
permutation (seed 0) puts 1,437 images in ``train`` and 360 in ``test``.
"""

import numpy as np

from keras_taskadapt.data.source import ImageSource
from keras_taskadapt.data.sources import SOURCES

NAME = "sklearn_digits"
TEST_SIZE = 360


def digits_arrays():
    """``{split: (uint8 images N x 32 x 32 x 3, int64 labels)}`` from scikit-learn's digits."""
    import tensorflow as tf
    from sklearn.datasets import load_digits

    digits = load_digits()
    grey = (digits.images.astype(np.float32) * (255.0 / 16.0))[..., None]
    large = tf.image.resize(grey, (32, 32), method="bilinear").numpy()
    images = np.repeat(np.clip(np.rint(large), 0, 255).astype(np.uint8), 3, axis=-1)
    labels = digits.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(labels))
    test, train = order[:TEST_SIZE], order[TEST_SIZE:]
    return {"train": (images[train], labels[train]), "test": (images[test], labels[test])}


@SOURCES.register(NAME, help="sklearn_digits, the offline smoke-size default (scikit-learn's digits as 32x32 RGB)")
def open_digits(argument="", **_):
    import tensorflow as tf

    arrays = digits_arrays()
    return ImageSource(
        name=NAME,
        num_classes=10,
        class_names=[str(d) for d in range(10)],
        image_shape=(32, 32, 3),
        records=lambda split: tf.data.Dataset.from_tensor_slices(arrays[split]),
        decode_batch=lambda images, labels: (images, labels),
        sizes={split: len(labels) for split, (_, labels) in arrays.items()},
    )
