"""ResNet for CIFAR-size images (He et al., 2016, section 4.2): ResNet-20/32/44/56/110.

Seed 000, section 2.3.2 uses ResNet on CIFAR-10; ResNet-20 (depth 6n + 2, n = 3) is the
CPU-sized member used for the real-data runs here. Three stages of ``n`` basic blocks with
16, 32 and 64 filters (times ``width``), stride 2 at the first block of stages 2 and 3,
1x1 projection shortcuts when the shape changes, global average pooling, softmax.
"""

import keras
from keras import layers

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.models.catalog import CLASSIFIERS
from keras_taskadapt.models.normalization import batch_normalization


def pixel_input(input_shape, name="pixels"):
    """An image input taking pixel values 0..255 (uint8 batches from the data pipelines)."""
    return keras.Input(shape=tuple(input_shape), name=name)


def _basic_block(x, filters, stride, weight_decay, name):
    regularizer = keras.regularizers.L2(weight_decay) if weight_decay else None
    shortcut = x
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False,
                      kernel_regularizer=regularizer, name=f"{name}_conv1")(x)
    y = batch_normalization(name=f"{name}_bn1")(y)
    y = layers.ReLU(name=f"{name}_relu1")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False,
                      kernel_regularizer=regularizer, name=f"{name}_conv2")(y)
    y = batch_normalization(name=f"{name}_bn2")(y)
    if stride != 1 or shortcut.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False,
                                 kernel_regularizer=regularizer, name=f"{name}_proj")(shortcut)
        shortcut = batch_normalization(name=f"{name}_proj_bn")(shortcut)
    return layers.ReLU(name=f"{name}_out")(layers.Add(name=f"{name}_add")([y, shortcut]))


def cifar_resnet_body(x, depth=20, width=1, weight_decay=1e-4, name="resnet"):
    """The convolutional body on a float feature map ``x``; returns pooled features."""
    if depth < 8 or (depth - 2) % 6:
        raise TaskAdaptError(f"ResNet depth must be 6n + 2 (20, 32, 44, 56, 110), got {depth}")
    blocks = (depth - 2) // 6
    regularizer = keras.regularizers.L2(weight_decay) if weight_decay else None
    x = layers.Conv2D(16 * width, 3, padding="same", use_bias=False,
                      kernel_regularizer=regularizer, name=f"{name}_stem")(x)
    x = layers.ReLU(name=f"{name}_stem_relu")(batch_normalization(name=f"{name}_stem_bn")(x))
    for stage, filters in enumerate((16 * width, 32 * width, 64 * width)):
        for block in range(blocks):
            stride = 2 if stage > 0 and block == 0 else 1
            x = _basic_block(x, filters, stride, weight_decay, f"{name}_s{stage + 1}b{block + 1}")
    return layers.GlobalAveragePooling2D(name=f"{name}_pool")(x)


def cifar_resnet(num_classes, input_shape=(32, 32, 3), depth=20, width=1, weight_decay=1e-4, name=None):
    """A complete classifier on 0..255 pixels: scale to [-1, 1], ResNet body, softmax."""
    pixels = pixel_input(input_shape)
    x = layers.Rescaling(1.0 / 127.5, offset=-1.0, name="scale")(pixels)
    features = cifar_resnet_body(x, depth=depth, width=width, weight_decay=weight_decay)
    outputs = layers.Dense(num_classes, activation="softmax", name="classifier")(features)
    return keras.Model(pixels, outputs, name=name or f"resnet{depth}")


@CLASSIFIERS.register("resnet20", help="CIFAR ResNet 6n + 2 (default depth 20; integer width), CPU-sized")
def _registered_cifar_resnet(num_classes, input_shape, *, depth=None, width=1, wrn_k=None, weight_decay=1e-4,
                             name=None):
    if width != int(width):
        raise TaskAdaptError(f"the CIFAR ResNet's width is an integer multiplier. Received: width={width}",
                             parameter="width")
    return cifar_resnet(num_classes, input_shape, depth=depth or 20, width=int(width), weight_decay=weight_decay,
                        name=name)
