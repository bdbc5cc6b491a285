"""Scoring the topology against its base on the test set (seed 004, sections 3.3 and 4.4).

Top-1 and top-5 accuracy (eq. 3.1), and table 4.8's comparison of two classifiers image by
image: type A, the images the topology *fixes* (the base's rank-1 label is wrong, the
topology's is right), and type B, those it *breaks* (the reverse). The accuracy gained is
``(fixed - broken) / images``.
"""

import numpy as np


def top_k_correct(probabilities, labels, k):
    """Per image, whether the label is among the ``k`` highest probabilities."""
    probabilities, labels = np.asarray(probabilities), np.asarray(labels).reshape(-1)
    k = min(k, probabilities.shape[-1])
    top = np.argpartition(-probabilities, k - 1, axis=-1)[:, :k]
    return np.any(top == labels[:, None], axis=-1)


def accuracy_keys(probabilities, labels, prefix=""):
    """``accuracy`` and, with more than 5 classes, ``top5_accuracy`` (each under ``prefix``)."""
    keys = {f"{prefix}accuracy": float(np.mean(top_k_correct(probabilities, labels, 1)))}
    if np.asarray(probabilities).shape[-1] > 5:
        keys[f"{prefix}top5_accuracy"] = float(np.mean(top_k_correct(probabilities, labels, 5)))
    return keys


def fixed_and_broken(base_probabilities, probabilities, labels):
    """Table 4.8: ``{"fixed": type A count, "broken": type B count}``."""
    base_right = top_k_correct(base_probabilities, labels, 1)
    right = top_k_correct(probabilities, labels, 1)
    return {"fixed": int(np.sum(right & ~base_right)), "broken": int(np.sum(base_right & ~right))}
