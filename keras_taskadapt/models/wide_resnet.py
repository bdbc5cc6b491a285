"""Wide residual network WRN-d-k (seed 000, section 2.3.3, figure 2.5).

Architecture: Zagoruyko and Komodakis, "Wide Residual Networks", BMVC 2016 (table 1 and
the authors' code): a 3x3 convolution with 16 filters, three groups of n = (d - 4) / 6
pre-activation basic blocks of 16k, 32k and 64k filters, then batch normalisation, ReLU,
global average pooling and softmax. A block is BN-ReLU-conv3x3-BN-ReLU-[dropout]-conv3x3
added to its input; where the width or stride changes (the first block of a group) the
shortcut is a 1x1 convolution of the pre-activated input. Groups 2 and 3 start at stride 2.

The seed uses WRN-28-10 for CIFAR-100 (36.5M parameters) and WRN-28-1 for Tiny ImageNet
(0.37M parameters). Up to the pooling the network is convolutional, so 32x32 and 64x64
inputs both work; images arrive as 0..255 pixels and are scaled to [-1, 1] inside.
"""
from numbers import Integral, Real

import keras
from keras import layers

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.models.catalog import CLASSIFIERS
from keras_taskadapt.models.cifar_resnet import pixel_input
from keras_taskadapt.models.normalization import batch_normalization
from keras_taskadapt.models.resnet50_cifar import softmax_classifier


def _bn_relu(x, name):
    return layers.ReLU(name=f"{name}_relu")(batch_normalization(name=f"{name}_bn")(x))


def _conv(x, filters, kernel_size, stride, weight_decay, name):
    regularizer = keras.regularizers.L2(weight_decay) if weight_decay else None
    return layers.Conv2D(filters, kernel_size, strides=stride, padding="same", use_bias=False,
                         kernel_regularizer=regularizer, name=name)(x)


def _wide_block(x, filters, stride, dropout, weight_decay, name):
    activated = _bn_relu(x, f"{name}_pre1")
    y = _conv(activated, filters, 3, stride, weight_decay, f"{name}_conv1")
    y = _bn_relu(y, f"{name}_pre2")
    if dropout:
        y = layers.Dropout(dropout, name=f"{name}_dropout")(y)
    y = _conv(y, filters, 3, 1, weight_decay, f"{name}_conv2")
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = _conv(activated, filters, 1, stride, weight_decay, f"{name}_projection")
    return layers.Add(name=f"{name}_add")([y, shortcut])


def wide_resnet(num_classes, input_shape=(32, 32, 3), depth=28, k=10, dropout=0.0, weight_decay=2.5e-4, name=None):
    """WRN-``depth``-``k`` on 0..255 pixels of ``input_shape`` (figure 2.5).

    Args:
        num_classes: size of the softmax output (100 for CIFAR-100, 200 for Tiny ImageNet).
        input_shape: (height, width, channels), e.g. (32, 32, 3) or (64, 64, 3).
        depth: 6n + 4 for n blocks per group (28: four blocks per group).
        k: the width multiplier (10 for CIFAR-100 and 1 for Tiny ImageNet in the seed).
        dropout: rate between the two convolutions of a block (Zagoruyko & Komodakis use 0.3).
        weight_decay: L2 coefficient on the convolution kernels; the Keras penalty
            lambda * |w|^2 with lambda = 2.5e-4 equals the paper's SGD weight decay of 5e-4.
    """
    head = softmax_classifier(num_classes)
    if not isinstance(depth, Integral) or depth < 10 or (depth - 4) % 6:
        raise TaskAdaptError(f"WRN depth must be 6n + 4 with n >= 1 (10, 16, 22, 28, 40, ...), got {depth!r}")
    if not isinstance(k, Integral) or k < 1:
        raise TaskAdaptError(f"the WRN width multiplier k must be a positive integer, got {k!r}")
    if not isinstance(dropout, Real) or not 0 <= dropout < 1:
        raise TaskAdaptError(f"dropout must be a rate in [0, 1), got {dropout!r}")
    blocks = (depth - 4) // 6
    pixels = pixel_input(input_shape)
    x = layers.Rescaling(1.0 / 127.5, offset=-1.0, name="scale")(pixels)
    x = _conv(x, 16, 3, 1, weight_decay, "stem")
    for group, filters in enumerate((16 * k, 32 * k, 64 * k)):
        for block in range(blocks):
            stride = 2 if group > 0 and block == 0 else 1
            x = _wide_block(x, filters, stride, dropout, weight_decay, f"g{group + 1}b{block + 1}")
    x = _bn_relu(x, "final")
    return keras.Model(pixels, head(x), name=name or f"wrn{depth}_{k}")


@CLASSIFIERS.register("wrn", help="wide ResNet WRN-depth-k (default WRN-28-k; fig. 2.5)")
def _registered_wide_resnet(num_classes, input_shape, *, depth=None, width=None, wrn_k=10, weight_decay=1e-4,
                            name=None):
    return wide_resnet(num_classes, input_shape, depth=depth or 28, k=wrn_k, weight_decay=weight_decay, name=name)
