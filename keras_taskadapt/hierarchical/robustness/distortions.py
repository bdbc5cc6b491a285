"""The deployed pipeline on distorted test images (seed 000 section 3.4.2, "Robustness against
Distortive Transformations", figures 3.12-3.13; seed 001 section 4.2).

The seed applies "cropping, flipping, color jitter and uniform noise" (seed 001: rotation,
flipping and colour jitter) to the test images at random and measures accuracy. Each
distortion here is a Keras 3 preprocessing layer (or ``keras.random``) seeded so that a run
repeats, with one strength:

==========  ==========================================================  =========
distortion  what it does to each image                                  strength
==========  ==========================================================  =========
``crop``    ``keras.layers.RandomCrop`` of ``(1 - s)`` of each side at   0.125
            a random place, resized back (bilinear); 0.125 is the 4 of
            32 pixels of the usual CIFAR crop
``flip``    ``keras.layers.RandomFlip``: mirrored left-right with        (none)
            probability 1/2
``jitter``  ``keras.layers.RandomColorJitter``: contrast and saturation  0.2
            by random factors in ``[1 - s, 1 + s]``, brightness shifted
            by up to ``s / 2`` of the range (seed 000 chapter 4: factors
            in [0.8, 1.2])
``noise``   uniform noise in ``[-s, s]`` times 255 added to every pixel  0.1
            (``keras.random.uniform``)
``rotate``  ``keras.layers.RandomRotation`` by up to ``s`` degrees       15
==========  ==========================================================  =========

A distorted image is rounded and clipped back to uint8, the type the encoder reads, so
strength 0 gives back the clean images. The latents of the distorted images go through the
deployed quantizer, the range coder fitted on the clean training latents and the decoder
(:meth:`~keras_taskadapt.hierarchical.latent.SplitCodec.rate`).
"""
import keras
import numpy as np
from keras import ops

from keras_taskadapt.core.errors import TaskAdaptError

DISTORTIONS = ("crop", "flip", "jitter", "noise", "rotate")
#: The default strength of each distortion (module docstring); ``flip`` has none.
DEFAULT_STRENGTHS = {"crop": 0.125, "flip": None, "jitter": 0.2, "noise": 0.1, "rotate": 15.0}
_STRENGTH_LIMITS = {"crop": 1.0, "jitter": 1.0, "noise": float("inf"), "rotate": 360.0}  # strengths lie below


def _saturation_range(strength):
    """RandomSaturation's ``f`` for factors ``[1 - s, 1 + s]`` (it scales saturation by ``f / (1 - f)``)."""
    return tuple(factor / (1.0 + factor) for factor in (max(0.0, 1.0 - strength), 1.0 + strength))


def _uniform_noise(amplitude, seed):
    generator = keras.random.SeedGenerator(seed)

    def add_noise(images):
        return images + keras.random.uniform(ops.shape(images), -255.0 * amplitude, 255.0 * amplitude,
                                             seed=generator)

    return add_noise


def check_strength(name, strength):
    """A :class:`TaskAdaptError` unless ``name`` is a distortion and ``strength`` one of its strengths."""
    if name not in DISTORTIONS:
        raise TaskAdaptError(f"unknown distortion {name!r}: use one of {', '.join(DISTORTIONS)}")
    if name != "flip" and (strength is None or not 0.0 <= strength < _STRENGTH_LIMITS[name]):
        raise TaskAdaptError(f"the {name} strength must be in [0, {_STRENGTH_LIMITS[name]:g}), got {strength}")


def distortion(name, image_shape, strength=None, seed=0):
    """A callable ``float images (N x H x W x 3, 0..255) -> distorted float images`` (module
    docstring); ``strength`` is ignored by ``flip``."""
    check_strength(name, strength)
    height, width = image_shape[:2]
    if name == "flip":
        flip = keras.layers.RandomFlip("horizontal", seed=seed)
        return lambda images: flip(images, training=True)
    if name == "crop":
        crop = keras.layers.RandomCrop(max(1, round(height * (1 - strength))), max(1, round(width * (1 - strength))),
                                       seed=seed)
        resize = keras.layers.Resizing(height, width, interpolation="bilinear")
        return lambda images: resize(crop(images, training=True))
    if name == "jitter":
        jitter = keras.layers.RandomColorJitter(value_range=(0, 255), brightness_factor=strength / 2 or None,
                                                contrast_factor=strength or None,
                                                saturation_factor=_saturation_range(strength) if strength else None,
                                                seed=seed)
        return lambda images: jitter(images, training=True)
    if name == "noise":
        return _uniform_noise(strength, seed)
    rotate = keras.layers.RandomRotation(strength / 360.0, fill_mode="reflect", seed=seed)
    return lambda images: rotate(images, training=True)


def distorted_latents(encoder, dataset, distort):
    """Latents and labels of the images of ``dataset`` after ``distort`` (then back to uint8)."""
    latents, labels = [], []
    for images, batch_labels in dataset:
        distorted = ops.cast(ops.clip(ops.round(distort(ops.cast(images, "float32"))), 0, 255), "uint8")
        latents.append(ops.convert_to_numpy(encoder(distorted, training=False)))
        labels.append(batch_labels.numpy())
    return np.concatenate(latents), np.concatenate(labels)


def distortion_rows(codec, test, strengths, image_pixels, seed=0):
    """One row per distortion in ``strengths`` (name -> strength, ``None`` for ``flip``) and a
    first row ``none``: ``distortion``, ``strength`` and the deployed pipeline's rate and accuracy.

    ``codec``: the deployed :class:`~keras_taskadapt.hierarchical.latent.SplitCodec` (encoder,
    steps, the range coder fitted on the clean training latents, decoder).
    """
    image_shape = tuple(codec.encoder.input.shape[1:])
    cases = [("none", None, lambda images: images)]
    cases += [(name, strength, distortion(name, image_shape, strength, seed)) for name, strength in strengths.items()]
    rows = []
    for name, strength, distort in cases:
        latents, labels = distorted_latents(codec.encoder, test, distort)
        rows.append({"distortion": name, "strength": "" if strength is None else strength,
                     **codec.rate(latents, labels, image_pixels)})
    return rows


def plot_distortions(rows, path):
    """Bar chart of the accuracy under each distortion (figure 3.13 style)."""
    from keras_taskadapt.core.figures import pyplot, save_figure

    figure, axis = pyplot().subplots(figsize=(1.2 * len(rows) + 2, 3.5))
    names = [row["distortion"] if row["strength"] == "" else f"{row['distortion']}\n{row['strength']:g}" for row in rows]
    axis.bar(names, [row["accuracy"] for row in rows], color=["grey"] + ["tab:blue"] * (len(rows) - 1))
    axis.set_ylabel("test accuracy")
    axis.set_ylim(0, 1)
    axis.grid(axis="y", alpha=0.3)
    save_figure(figure, path)
