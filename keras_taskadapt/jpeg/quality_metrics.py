"""Perceptual quality of reconstructed images: PSNR and SSIM (seed 000, section 2.4).

Both compare RGB images in 0..255 and return one value per image.
"""
import numpy as np
import tensorflow as tf

from keras_taskadapt.core.errors import TaskAdaptError


def _as_batches(reference, distorted):
    reference = np.asarray(reference, dtype=np.float64)
    distorted = np.asarray(distorted, dtype=np.float64)
    if reference.shape != distorted.shape or reference.ndim not in (3, 4) or reference.shape[-1] != 3:
        raise TaskAdaptError(
            f"PSNR/SSIM need two RGB images or batches of the same shape, got {reference.shape} and {distorted.shape}"
        )
    if reference.ndim == 3:
        return reference[None], distorted[None]
    return reference, distorted


def psnr(reference, distorted):
    """Peak signal-to-noise ratio in dB, 10 log10(255^2 / MSE), per image; inf if identical."""
    reference, distorted = _as_batches(reference, distorted)
    mse = np.mean((reference - distorted) ** 2, axis=(1, 2, 3))
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(255.0**2 / mse)


def ssim(reference, distorted):
    """Structural similarity per image, ``tf.image.ssim`` (11x11 Gaussian window) on RGB 0..255."""
    reference, distorted = _as_batches(reference, distorted)
    return tf.image.ssim(tf.constant(reference, tf.float32), tf.constant(distorted, tf.float32), max_val=255.0).numpy()
