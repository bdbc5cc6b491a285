"""Classifier back-bones shared by the tasks.

- :func:`cifar_resnet`: ResNet-20/32/44/56/110 for CIFAR-size images (He et al., 4.2).
- :func:`resnet50_cifar`: ResNet-50 with a CIFAR stem (seed 000, figure 2.4).
- :func:`wide_resnet`: WRN-d-k (seed 000, figure 2.5).
- :func:`dct_domain_resnet`: Deconvolution-RFA classifier on quantized JPEG DCT grids
  (seed 000, figure 2.6).
"""

from keras_taskadapt.models.cifar_resnet import cifar_resnet, pixel_input
from keras_taskadapt.models.dct_domain import dct_domain_resnet
from keras_taskadapt.models.resnet50_cifar import resnet50_cifar
from keras_taskadapt.models.wide_resnet import wide_resnet

__all__ = ["cifar_resnet", "dct_domain_resnet", "pixel_input", "resnet50_cifar", "wide_resnet"]
