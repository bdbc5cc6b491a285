"""Wavelet-domain ResNet-18/34 of the hierarchical models (seed 000 section 3.3.1, figure 3.1).

Input as JPEG 2000 prepares it (section 3.3.1): level shift by 128, colour conversion to
YCbCr (the irreversible colour transform, the JFIF matrix of
:class:`~keras_taskadapt.jpeg.ColorTransform`) and a level-1 2-D DWT
(:class:`~keras_taskadapt.hierarchical.transforms.DWT2D`, CDF 9/7 by default), so an ``H x W x 3`` image
enters the network as ``H/2 x W/2 x 12`` sub-bands, scaled by 1/128.

Back-bone: the CIFAR ResNet-18 (two basic blocks per module) or ResNet-34 (3, 4, 6 blocks)
of He et al. with the two changes of section 3.3.1: the first convolution has 64 filters
and the last ResNet module (512 filters) is removed, leaving modules of 64, 128 and 256
filters at strides 1, 2 and 2. On 32x32 images the modules run at 16x16, 8x8 and 4x4; at
``width=1`` ResNet-18 has about 2.8M parameters and 0.21 GFLOPs, the "Proposed Baseline"
of table 3.1. ``width`` scales every channel count (0.125 gives a CPU-sized network).

The hierarchical split of figure 3.1 is returned as :class:`HierarchicalParts`: the front
(DWT, modules 1 and 2, trained by the LDR loss in phase 1), the side branch (global pooling
and one dense layer giving the codes ``z`` of eqs. (3.1)-(3.3)) and the back (module 3 and
the dense softmax classifier, trained by cross-entropy in phase 2).
"""
from numbers import Integral

import keras
from keras import layers

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.hierarchical.models.parts import HierarchicalParts
from keras_taskadapt.hierarchical.transforms import DWT2D
from keras_taskadapt.jpeg import ColorTransform
from keras_taskadapt.models.cifar_resnet import _basic_block, pixel_input
from keras_taskadapt.models.normalization import batch_normalization
from keras_taskadapt.models.resnet50_cifar import scaled_channels, softmax_classifier

#: Basic blocks per kept ResNet module (He et al., table 1, the last module removed).
MODULE_BLOCKS = {18: (2, 2, 2), 34: (3, 4, 6)}
#: Filters of the kept modules at width 1, and their strides (section 3.3.1).
MODULE_FILTERS = (64, 128, 256)
MODULE_STRIDES = (1, 2, 2)
#: Scale of the DWT sub-bands of level-shifted 8-bit samples.
SUBBAND_SCALE = 1.0 / 128.0


def module_blocks(depth):
    """Basic blocks per module of the wavelet-domain ResNet ``depth`` (18 or 34)."""
    if depth not in MODULE_BLOCKS:
        raise TaskAdaptError(f"the wavelet-domain ResNet depth must be 18 or 34, got {depth!r}")
    return MODULE_BLOCKS[depth]


def wavelet_subbands(pixels, wavelet="bior4.4"):
    """0..255 RGB pixels -> scaled level-1 DWT sub-bands of level-shifted YCbCr (section 3.3.1)."""
    x = ColorTransform(name="color")(pixels)
    x = DWT2D(wavelet, name="dwt")(x)
    return layers.Rescaling(SUBBAND_SCALE, name="subband_scale")(x)


def resnet_module(x, depth, index, width=1.0, weight_decay=1e-4):
    """ResNet module ``index`` (1, 2 or 3) of the wavelet-domain ResNet: its basic blocks."""
    filters = scaled_channels(MODULE_FILTERS[index - 1], width)
    for block in range(module_blocks(depth)[index - 1]):
        stride = MODULE_STRIDES[index - 1] if block == 0 else 1
        x = _basic_block(x, filters, stride, weight_decay, f"m{index}b{block + 1}")
    return x


def wavelet_front(input_shape=(32, 32, 3), depth=18, width=1.0, wavelet="bior4.4", weight_decay=1e-4,
                  name="front"):
    """Pixels -> the feature map ``f`` after ResNet modules 1 and 2 (the sensor-side front)."""
    _check_input_shape(input_shape)
    module_blocks(depth)
    pixels = pixel_input(input_shape)
    x = wavelet_subbands(pixels, wavelet)
    regularizer = keras.regularizers.L2(weight_decay) if weight_decay else None
    x = layers.Conv2D(scaled_channels(MODULE_FILTERS[0], width), 3, padding="same", use_bias=False,
                      kernel_regularizer=regularizer, name="stem_conv")(x)
    x = layers.ReLU(name="stem_relu")(batch_normalization(name="stem_bn")(x))
    for index in (1, 2):
        x = resnet_module(x, depth, index, width, weight_decay)
    return keras.Model(pixels, x, name=name)


def module3_classifier(features, num_classes, depth=18, width=1.0, weight_decay=1e-4):
    """ResNet module 3, global average pooling and the dense softmax classifier on ``features``."""
    head = softmax_classifier(num_classes)
    return head(resnet_module(features, depth, 3, width, weight_decay))


def wavelet_resnet_classifier(num_classes, input_shape=(32, 32, 3), depth=18, width=1.0, side_dim=128,
                              wavelet="bior4.4", weight_decay=1e-4):
    """The lightweight wavelet-domain classifier of figure 3.1 as :class:`HierarchicalParts`.

    ``encoder``: pixels -> modules 1-2 feature map; ``side_branch``: global average pooling
    and a dense layer to ``side_dim`` codes for the LDR loss; ``decoder``: module 3 and the
    softmax classifier; no quantizer.
    """
    check_count("side_dim", side_dim)
    front = wavelet_front(input_shape, depth, width, wavelet, weight_decay, name="encoder")
    features = keras.Input(front.output.shape[1:], name="features")
    back = keras.Model(features, module3_classifier(features, num_classes, depth, width, weight_decay),
                       name="decoder")
    side_input = keras.Input(front.output.shape[1:], name="features")
    pooled = layers.GlobalAveragePooling2D(name="side_pool")(side_input)
    side = keras.Model(side_input, layers.Dense(int(side_dim), name="side_dense")(pooled), name="side_branch")
    return HierarchicalParts(encoder=front, decoder=back, side_branch=side)


def check_count(option, value):
    """Raise a :class:`TaskAdaptError` unless ``value`` (the option ``option``) is a positive integer."""
    if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
        raise TaskAdaptError(f"{option} must be a positive integer, got {value!r}")


def _check_input_shape(input_shape):
    shape = tuple(input_shape)
    if len(shape) != 3 or shape[2] != 3:
        raise TaskAdaptError(f"the wavelet-domain models take RGB images (height, width, 3), got {shape}")
    if any(side % 8 for side in shape[:2]):
        raise TaskAdaptError(f"image height and width must be multiples of 8 (DWT and two strided modules), "
                             f"got {shape[0]}x{shape[1]}")
