"""The encoder's latents of a data set, collected once for the coder, the curves and the SVM."""

import warnings

import numpy as np


def collect_latents(encoder, dataset, limit=None):
    """Latents ``y`` (float32) and labels of the first ``limit`` images (all by default) of
    ``dataset``, a batched pipeline of ``(images, labels)``.

    A cut pipeline (``limit``) has no known length, so Keras' ``predict`` reads it to its end and
    then warns that the "input ran out of data": every image was read, and the warning is
    silenced here.
    """
    if limit:
        dataset = dataset.unbatch().take(limit).batch(256)
    labels = np.concatenate([batch_labels.numpy() for _, batch_labels in dataset])
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Your input ran out of data")
        latents = encoder.predict(dataset.map(lambda images, _: images), verbose=0)
    return latents, labels
