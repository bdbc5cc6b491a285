"""The base network the topology is built on (seed 004, chapter 4): a classifier the package
trained (a ``.keras`` file: ResNet-20 and the other CIFAR ResNets, ResNet-50, WRN) or one of
``keras.applications``' ImageNet networks with the user's weights file (the thesis's frozen
Inception V3 and ResNet-50 V2; :data:`APPLICATIONS`).

An application takes the package's 0..255 pixels: a ``Rescaling`` to [-1, 1] (the inputs both
networks were trained on, ``keras.applications.inception_v3.preprocess_input``) is its first
layer. The base's ``fingerprint`` (a SHA-256 of its files) ties a bottleneck cache to it.
"""

import hashlib
import os
from dataclasses import dataclass

from keras_taskadapt.core.errors import TaskAdaptError

APPLICATIONS = {"inception_v3": "InceptionV3", "resnet50_v2": "ResNet50V2"}
"""``--base`` names of the ``keras.applications`` networks (the thesis's two)."""


@dataclass
class BaseNetwork:
    """A loaded base: the Keras ``model``, how it was named (``spec``) and its ``fingerprint``."""

    model: object
    spec: str
    fingerprint: str


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_base(spec, weights=None, *, input_shape=None, num_classes=None):
    """The :class:`BaseNetwork` named by ``spec``: a ``.keras`` path, or a name of
    :data:`APPLICATIONS` with ``weights`` (a weights file; the ImageNet set-up) built for
    ``input_shape`` and ``num_classes``."""
    import keras

    from keras_taskadapt.core.keras_file import load_model

    if spec in APPLICATIONS:
        if weights is None:
            raise TaskAdaptError(f"{spec} needs its weights file (base weights), e.g. Keras's ImageNet "
                                 f"{APPLICATIONS[spec]} weights", parameter="base_weights")
        if not os.path.isfile(weights):
            raise TaskAdaptError(f"{weights}: no such file", parameter="base_weights")
        pixels = keras.Input(tuple(input_shape), name="pixels")
        scaled = keras.layers.Rescaling(1.0 / 127.5, offset=-1.0, name="scale")(pixels)
        try:
            model = getattr(keras.applications, APPLICATIONS[spec])(weights=weights, input_tensor=scaled,
                                                                   classes=num_classes)
        except ValueError as error:
            raise TaskAdaptError(f"{weights}: not {APPLICATIONS[spec]} weights for {num_classes} classes and "
                                 f"{tuple(input_shape)} images ({str(error).splitlines()[0]})",
                                 parameter="base_weights") from None
        return BaseNetwork(model, spec, f"{spec}:{file_sha256(weights)}")
    if weights is not None:
        raise TaskAdaptError(f"base weights go with an application base ({', '.join(APPLICATIONS)}); {spec} is "
                             f"a .keras file that holds its weights", parameter="base_weights")
    model = load_model(spec, keras.Model, what="a Keras classifier")
    if type(model).__name__ != "Functional":
        raise TaskAdaptError(f"{spec}: a {type(model).__name__}; the base must be a functional classifier "
                             f"(written by train classify)", parameter="base")
    return BaseNetwork(model, os.path.abspath(spec), f"keras:{file_sha256(spec)}")
