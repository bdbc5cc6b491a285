"""Classifier back-bones shared by the chapters, registered by name in :data:`CLASSIFIERS`.

- ``resnet20`` (:func:`cifar_resnet`): ResNet-20/32/44/56/110 for CIFAR-size images (He et
  al., 4.2), the reference network of ``train classify`` and the JCC default.
- ``resnet50`` (:func:`resnet50_cifar`): ResNet-50 with a CIFAR stem (seed 000, figure 2.4).
- ``wrn`` (:func:`wide_resnet`): WRN-d-k (seed 000, figure 2.5).

Every builder takes ``(num_classes, input_shape, *, depth=None, width=1, wrn_k=..., weight_decay, name)``
through :func:`build_classifier`.
"""

from keras_taskadapt.models.catalog import CLASSIFIERS, build_classifier
from keras_taskadapt.models.cifar_resnet import cifar_resnet, pixel_input
from keras_taskadapt.models.resnet50_cifar import resnet50_cifar
from keras_taskadapt.models.wide_resnet import wide_resnet

__all__ = ["CLASSIFIERS", "build_classifier", "cifar_resnet", "pixel_input", "resnet50_cifar", "wide_resnet"]
