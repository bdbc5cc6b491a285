"""The encoder's latents of a data set, collected once for the coder, the curves and the SVM."""

import numpy as np


def collect_latents(encoder, dataset, limit=None):
    """Latents ``y`` (float32) and labels of the first ``limit`` images (all by default) of
    ``dataset``, a batched pipeline of ``(images, labels)``."""
    if limit:
        dataset = dataset.unbatch().take(limit).batch(256)
    labels = np.concatenate([batch_labels.numpy() for _, batch_labels in dataset])
    latents = encoder.predict(dataset.map(lambda images, _: images), verbose=0)
    return latents, labels
