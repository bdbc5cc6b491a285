"""ResNet-50 for CIFAR-size images (seed 000, section 2.3.2, figure 2.4).

Architecture: He, Zhang, Ren and Sun, "Deep Residual Learning for Image Recognition",
CVPR 2016, table 1 (50-layer column): bottleneck blocks (1x1 reduce, 3x3, 1x1 expand to
four times the bottleneck channels) in four stages of 3, 4, 6 and 3 blocks with 64, 128,
256 and 512 bottleneck channels, a 1x1 projection shortcut at the first block of every
stage, global average pooling and softmax.

Figure 2.4 of the seed feeds 32x32 CIFAR-10 images to ResNet-50. The ImageNet stem (7x7
convolution at stride 2 and 3x3 max-pool at stride 2) would leave 8x8 after the stem, so
it is replaced by one 3x3 convolution at stride 1 and no max-pool; the stages then run at
32, 16, 8 and 4 pixels (64, 32, 16, 8 for 64x64 input). A down-sampling block strides in
its 3x3 convolution (the "v1.5" placement of torchvision); the parameter count does not
depend on where the stride sits. At width 1 with 10 classes the network has 23,520,842
trainable parameters: torchvision's ImageNet ResNet-50 (25,557,032) with the 3x3 stem and
a 10-way head.

``width`` scales every channel count (0.125 gives a CPU-sized network with an 8-channel
stem). The bottleneck pieces here also form the body of the DCT-domain classifier
(:mod:`keras_taskadapt.jpeg.dct_domain`).
"""
from numbers import Integral, Real

import keras
from keras import layers

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.models.catalog import CLASSIFIERS
from keras_taskadapt.models.cifar_resnet import pixel_input
from keras_taskadapt.models.normalization import batch_normalization

#: Bottleneck blocks per stage of ResNet-50 (He et al., table 1).
RESNET50_BLOCKS = (3, 4, 6, 3)
#: Output channels of a bottleneck block per bottleneck channel.
EXPANSION = 4


def scaled_channels(base, width):
    """``base`` channels times ``width``, rounded; at least one channel."""
    channels = round(base * width) if isinstance(width, Real) and width > 0 else 0
    if channels < 1:
        raise TaskAdaptError(f"width must be a positive number giving at least one channel ({base} x width), "
                             f"got {width!r}")
    return channels


def conv_bn(x, filters, kernel_size, stride, weight_decay, name, relu=True):
    """Convolution (no bias, L2 ``weight_decay``), batch normalisation and optionally ReLU."""
    regularizer = keras.regularizers.L2(weight_decay) if weight_decay else None
    x = layers.Conv2D(filters, kernel_size, strides=stride, padding="same", use_bias=False,
                      kernel_regularizer=regularizer, name=f"{name}_conv")(x)
    x = batch_normalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x) if relu else x


def bottleneck_block(x, filters, kernel_size, stride, weight_decay, name):
    """1x1 to ``filters``, ``kernel_size`` square at ``stride``, 1x1 to ``EXPANSION * filters``.

    The shortcut is a strided 1x1 projection where the stride or channel count changes.
    """
    y = conv_bn(x, filters, 1, 1, weight_decay, f"{name}_reduce")
    y = conv_bn(y, filters, kernel_size, stride, weight_decay, f"{name}_middle")
    y = conv_bn(y, EXPANSION * filters, 1, 1, weight_decay, f"{name}_expand", relu=False)
    shortcut = x
    if stride != 1 or x.shape[-1] != EXPANSION * filters:
        shortcut = conv_bn(x, EXPANSION * filters, 1, stride, weight_decay, f"{name}_projection", relu=False)
    return layers.ReLU(name=f"{name}_out")(layers.Add(name=f"{name}_add")([y, shortcut]))


def bottleneck_stage(x, filters, kernel_sizes, stride, weight_decay, name):
    """One bottleneck block per entry of ``kernel_sizes`` (its middle kernel); the first strides."""
    for index, kernel_size in enumerate(kernel_sizes):
        x = bottleneck_block(x, filters, kernel_size, stride if index == 0 else 1, weight_decay, f"{name}b{index + 1}")
    return x


def softmax_classifier(num_classes):
    """The head: global average pooling of a feature map and a softmax over ``num_classes``.

    Checks ``num_classes`` before a body is built; returns a function of the feature map.
    """
    if not isinstance(num_classes, Integral) or num_classes < 1:
        raise TaskAdaptError(f"the number of classes must be a positive integer, got {num_classes!r}")
    pool = layers.GlobalAveragePooling2D(name="pool")
    dense = layers.Dense(int(num_classes), activation="softmax", name="classifier")
    return lambda features: dense(pool(features))


def resnet50_cifar(num_classes, input_shape=(32, 32, 3), width=1.0, weight_decay=1e-4, name="resnet50_cifar"):
    """ResNet-50 with a 3x3 stride-1 stem on 0..255 pixels of ``input_shape`` (figure 2.4).

    Args:
        num_classes: size of the softmax output.
        input_shape: (height, width, channels); any size, 32x32 (CIFAR) and 64x64 included.
        width: multiplier of every channel count (1 is ResNet-50; 0.125 a CPU-sized net).
        weight_decay: L2 coefficient on the convolution kernels (0 for none).
    """
    head = softmax_classifier(num_classes)
    base = scaled_channels(64, width)
    pixels = pixel_input(input_shape)
    x = layers.Rescaling(1.0 / 127.5, offset=-1.0, name="scale")(pixels)
    x = conv_bn(x, base, 3, 1, weight_decay, "stem")
    for stage, blocks in enumerate(RESNET50_BLOCKS):
        x = bottleneck_stage(x, base * 2**stage, (3,) * blocks, 1 if stage == 0 else 2, weight_decay, f"s{stage + 1}")
    return keras.Model(pixels, head(x), name=name)


@CLASSIFIERS.register("resnet50", help="ResNet-50 with a CIFAR stem, any width (fig. 2.4)")
def _registered_resnet50(num_classes, input_shape, *, depth=None, width=1.0, wrn_k=None, weight_decay=1e-4,
                         name=None):
    if depth not in (None, 50):
        raise TaskAdaptError(f"ResNet-50 has depth 50. Received: depth={depth}", parameter="depth")
    return resnet50_cifar(num_classes, input_shape, width=width, weight_decay=weight_decay,
                          name=name or "resnet50_cifar")
