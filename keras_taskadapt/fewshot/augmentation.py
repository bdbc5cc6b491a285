"""The training augmentations of seed 000 tables 4.2 and 4.3, as seeded per-image ``tf`` ops.

Each is the setting section 4.4 states:

- ``greyscale``: 20% of the images become greyscale (kept as three equal channels);
- ``jitter``: brightness, contrast and saturation each scaled by a factor drawn from
  [0.8, 1.2] (torchvision's ``ColorJitter(0.2, 0.2, 0.2)``, applied in that order);
- ``flip``: 50% of the images are flipped left to right;
- ``rotation``: a rotation by an angle drawn from [-45, 45] degrees about the centre, the
  corners filled with black (``RandomRotation(45)``).

Every draw is a stateless random op keyed by the image's own seed, so a pipeline that maps
images in parallel gives the same augmented images on every run with the same seed.
"""

import math
from dataclasses import dataclass

from keras_taskadapt.core.errors import TaskAdaptError

AUGMENTATIONS = ("greyscale", "jitter", "flip", "rotation")
GREYSCALE_PROBABILITY = 0.2
JITTER_RANGE = (0.8, 1.2)
FLIP_PROBABILITY = 0.5
MAX_ROTATION_DEGREES = 45.0


@dataclass(frozen=True)
class Augmentation:
    """Which of :data:`AUGMENTATIONS` a training pipeline applies."""

    names: tuple = ()

    @classmethod
    def from_names(cls, names):
        """From option values: augmentation names, ``all`` or ``none``."""
        names = tuple(names or ())
        if "all" in names:
            return cls(AUGMENTATIONS)
        if "none" in names:
            return cls(())
        unknown = [name for name in names if name not in AUGMENTATIONS]
        if unknown:
            raise TaskAdaptError(f"unknown augmentation {unknown[0]!r}; choose from {', '.join(AUGMENTATIONS)}, "
                                 f"all or none", parameter="augment")
        return cls(tuple(name for name in AUGMENTATIONS if name in names))

    def __bool__(self):
        return bool(self.names)

    def label(self):
        return "+".join(self.names) if self.names else "none"

    def __call__(self, image, seed):
        """``image`` (H x W x 3, float32 in 0..255) augmented with the stateless ``seed`` (shape [2])."""
        import tensorflow as tf

        seeds = tf.random.experimental.stateless_split(seed, len(AUGMENTATIONS))
        for index, name in enumerate(AUGMENTATIONS):
            if name in self.names:
                image = _APPLY[name](image, seeds[index])
        return image


def _uniform(seed, shape=(), low=0.0, high=1.0):
    import tensorflow as tf

    return tf.random.stateless_uniform(shape, seed, minval=low, maxval=high)


def _grey(image):
    import tensorflow as tf

    return tf.image.grayscale_to_rgb(tf.image.rgb_to_grayscale(image))


def greyscale(image, seed):
    import tensorflow as tf

    return tf.cond(_uniform(seed) < GREYSCALE_PROBABILITY, lambda: _grey(image), lambda: image)


def jitter(image, seed):
    import tensorflow as tf

    brightness, contrast, saturation = tf.unstack(_uniform(seed, (3,), *JITTER_RANGE))
    image = tf.clip_by_value(image * brightness, 0.0, 255.0)
    mean = tf.reduce_mean(tf.image.rgb_to_grayscale(image))
    image = tf.clip_by_value((image - mean) * contrast + mean, 0.0, 255.0)
    grey = _grey(image)
    return tf.clip_by_value((image - grey) * saturation + grey, 0.0, 255.0)


def flip(image, seed):
    import tensorflow as tf

    return tf.cond(_uniform(seed) < FLIP_PROBABILITY, lambda: tf.image.flip_left_right(image), lambda: image)


def rotation(image, seed):
    """Rotate about the centre by an angle from [-45, 45] degrees (bilinear, black corners)."""
    import tensorflow as tf

    angle = _uniform(seed, (), -MAX_ROTATION_DEGREES, MAX_ROTATION_DEGREES) * (math.pi / 180.0)
    height, width = tf.cast(tf.shape(image)[0], tf.float32), tf.cast(tf.shape(image)[1], tf.float32)
    cos, sin = tf.cos(angle), tf.sin(angle)
    centre_x, centre_y = (width - 1.0) / 2.0, (height - 1.0) / 2.0
    # the output pixel (x, y) reads the input at R(-angle) (x - c) + c
    transform = tf.stack([cos, -sin, centre_x - cos * centre_x + sin * centre_y,
                          sin, cos, centre_y - sin * centre_x - cos * centre_y, 0.0, 0.0])
    rotated = tf.raw_ops.ImageProjectiveTransformV3(
        images=image[None], transforms=transform[None], output_shape=tf.shape(image)[:2],
        fill_value=0.0, interpolation="BILINEAR", fill_mode="CONSTANT")
    return rotated[0]


_APPLY = {"greyscale": greyscale, "jitter": jitter, "flip": flip, "rotation": rotation}
