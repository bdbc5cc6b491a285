"""Augmented views for the self-supervised LDR partition ``Pi_T`` (seed 000 eq. (3.7), seed 001 eq. (2)).

Each image of a batch gives ``n_views`` rows: the image itself and ``n_views - 1`` random
transformations drawn from a fixed family (the distortions of section 3.4.2: translation
with reflection, i.e. a random crop of the padded image, horizontal flip, brightness and
contrast jitter). The rows are image-major, the layout of
:func:`keras_taskadapt.losses.augmentation_groups`, so the views of one image form one
group of the partition.
"""
import numbers

import keras
from keras import layers, ops

from keras_taskadapt.core.errors import TaskAdaptError


@keras.saving.register_keras_serializable(package="keras_taskadapt")
class AugmentedViews(keras.layers.Layer):
    """``(B, H, W, 3)`` images 0..255 -> ``(B * n_views, H, W, 3)`` views, image-major.

    Args:
        n_views: rows per image, the image included (at least 2).
        translation: largest shift as a fraction of the side (0.125: the pad-4 crop of CIFAR).
        brightness, contrast: jitter factors of the colour transformations.
        seed: seed of the random transformations.
    """

    def __init__(self, n_views=4, translation=0.125, brightness=0.2, contrast=0.2, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n_views, numbers.Integral) or isinstance(n_views, bool) or n_views < 2:
            raise TaskAdaptError(f"n_views must be an integer >= 2 (the image and its augmentations), got {n_views!r}")
        self.n_views = int(n_views)
        self.translation = float(translation)
        self.brightness = float(brightness)
        self.contrast = float(contrast)
        self.seed = seed
        seeds = [None if seed is None else seed + offset for offset in range(4)]
        self.transformations = [
            layers.RandomTranslation(self.translation, self.translation, fill_mode="reflect", seed=seeds[0]),
            layers.RandomFlip("horizontal", seed=seeds[1]),
            layers.RandomBrightness(self.brightness, value_range=(0, 255), seed=seeds[2]),
            layers.RandomContrast(self.contrast, value_range=(0, 255), seed=seeds[3]),
        ]

    def call(self, images):
        images = ops.cast(images, self.compute_dtype)
        augmented = ops.repeat(images, self.n_views - 1, axis=0)
        for transformation in self.transformations:
            augmented = transformation(augmented, training=True)
        augmented = ops.reshape(augmented, (-1, self.n_views - 1) + tuple(images.shape[1:]))
        views = ops.concatenate([ops.expand_dims(images, 1), augmented], axis=1)
        return ops.reshape(views, (-1,) + tuple(images.shape[1:]))

    def compute_output_shape(self, input_shape):
        batch = None if input_shape[0] is None else input_shape[0] * self.n_views
        return (batch,) + tuple(input_shape[1:])

    def get_config(self):
        return {**super().get_config(), "n_views": self.n_views, "translation": self.translation,
                "brightness": self.brightness, "contrast": self.contrast, "seed": self.seed}
