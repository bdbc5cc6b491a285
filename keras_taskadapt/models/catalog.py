"""The registry of classifier back-bones on 0..255 pixels (:data:`CLASSIFIERS`).

Each back-bone registers a builder ``(num_classes, input_shape, *, depth, width, wrn_k,
weight_decay, name) -> keras.Model`` in its own module; import :mod:`keras_taskadapt.models`
(which imports them all) before looking one up.
"""

from keras_taskadapt.core.registry import Registry

CLASSIFIERS = Registry("classifier", parameter="classifier")


def build_classifier(name, num_classes, input_shape, *, depth=None, width=1.0, wrn_k=10, weight_decay=1e-4,
                     model_name=None):
    """The back-bone registered as ``name`` (``depth=None``: its default depth)."""
    return CLASSIFIERS[name](num_classes, tuple(input_shape), depth=depth, width=width, wrn_k=wrn_k,
                             weight_decay=weight_decay, name=model_name)
