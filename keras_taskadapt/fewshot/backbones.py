"""Instance-embedding backbones of seed 000 section 4.3.2 (:data:`BACKBONES`).

The four ResNets of tables 4.1-4.3 and the 4-layer ConvNet, as FEAT (Sha-Lab/FEAT,
``model/networks``) builds them, each a functional ``keras.Model`` from pixels (float32 in
0..255, normalised inside by FEAT's ImageNet channel statistics) to one embedding vector:

- ``resnet12``: four residual blocks of three 3x3 convolutions (batch norm, leaky ReLU 0.1),
  a 1x1 projection on the shortcut and 2x2 max pooling after each, 64-160-320-640 filters,
  global average pooling (640-d); ``resnet12-thin`` halves every width (section 4.4);
- ``resnet18``: a 3x3 stem without pooling and four stages of two basic blocks,
  64-128-256-512 filters (strides 1-2-2-2), global average pooling; ``resnet18-wide``
  doubles every width;
- ``convnet4``: four blocks of a 3x3 convolution with 64 filters, batch norm, ReLU and 2x2
  max pooling, global max pooling (64-d).

``width`` multiplies every filter count on top (0.25 gives a CPU-sized network). FEAT's
DropBlock is left out.
"""

import keras

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.core.registry import Registry

BACKBONES = Registry("backbone", parameter="backbone")

#: FEAT's channel mean and standard deviation, on the 0..255 scale.
PIXEL_MEAN = (120.39586422, 115.59361427, 104.54012653)
PIXEL_STD = (70.68188272, 68.27635443, 72.54505529)


def _filters(base, width):
    return max(1, int(round(base * width)))


def _normalised(inputs):
    return keras.layers.Normalization(mean=PIXEL_MEAN, variance=[s * s for s in PIXEL_STD], name="pixels")(inputs)


def _conv_bn(x, filters, name, kernel=3, stride=1):
    x = keras.layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False,
                            kernel_initializer="he_normal", name=f"{name}_conv")(x)
    return keras.layers.BatchNormalization(name=f"{name}_bn")(x)


def _resnet12_block(x, filters, name):
    shortcut = _conv_bn(x, filters, f"{name}_shortcut", kernel=1)
    for index in range(3):
        x = _conv_bn(x, filters, f"{name}_{index + 1}")
        if index < 2:
            x = keras.layers.LeakyReLU(0.1, name=f"{name}_{index + 1}_relu")(x)
    x = keras.layers.LeakyReLU(0.1, name=f"{name}_out")(keras.layers.Add(name=f"{name}_add")([x, shortcut]))
    return keras.layers.MaxPooling2D(2, name=f"{name}_pool")(x)


def _basic_block(x, filters, stride, name):
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = _conv_bn(x, filters, f"{name}_shortcut", kernel=1, stride=stride)
    x = keras.layers.ReLU(name=f"{name}_1_relu")(_conv_bn(x, filters, f"{name}_1", stride=stride))
    x = _conv_bn(x, filters, f"{name}_2")
    return keras.layers.ReLU(name=f"{name}_out")(keras.layers.Add(name=f"{name}_add")([x, shortcut]))


def _model(inputs, outputs, name):
    return keras.Model(inputs, outputs, name=name)


def resnet12(input_shape, width=1.0, widths=(64, 160, 320, 640), name="resnet12"):
    inputs = keras.Input(input_shape, name="images")
    x = _normalised(inputs)
    for stage, filters in enumerate(widths):
        x = _resnet12_block(x, _filters(filters, width), f"block{stage + 1}")
    return _model(inputs, keras.layers.GlobalAveragePooling2D(name="embedding")(x), name)


def resnet18(input_shape, width=1.0, widths=(64, 128, 256, 512), name="resnet18"):
    inputs = keras.Input(input_shape, name="images")
    x = keras.layers.ReLU(name="stem_relu")(_conv_bn(_normalised(inputs), _filters(widths[0], width), "stem"))
    for stage, filters in enumerate(widths):
        for block in range(2):
            x = _basic_block(x, _filters(filters, width), 2 if stage and not block else 1,
                             f"stage{stage + 1}_block{block + 1}")
    return _model(inputs, keras.layers.GlobalAveragePooling2D(name="embedding")(x), name)


def _register_resnets():
    """The ResNets of section 4.4: each family at its own width and at the seed's variant's."""
    variants = (
        ("resnet12", resnet12, 1.0, "ResNet-12, 64-160-320-640 filters (FEAT)"),
        ("resnet12-thin", resnet12, 0.5, "thinner ResNet-12, half the filters (section 4.4)"),
        ("resnet18", resnet18, 1.0, "ResNet-18, 64-128-256-512 filters (FEAT)"),
        ("resnet18-wide", resnet18, 2.0, "wider ResNet-18, twice the filters (section 4.4)"),
    )
    for name, family, scale, help in variants:
        def build(input_shape, width=1.0, family=family, scale=scale, name=name):
            return family(input_shape, width * scale, name=name.replace("-", "_"))

        BACKBONES.register(name, help=help)(build)


_register_resnets()


@BACKBONES.register("convnet4", help="4-layer ConvNet, 64 filters (ProtoNet, FEAT)")
def build_convnet4(input_shape, width=1.0):
    inputs = keras.Input(input_shape, name="images")
    x = _normalised(inputs)
    for block in range(4):
        x = keras.layers.ReLU(name=f"block{block + 1}_relu")(_conv_bn(x, _filters(64, width), f"block{block + 1}"))
        x = keras.layers.MaxPooling2D(2, name=f"block{block + 1}_pool")(x)
    return _model(inputs, keras.layers.GlobalMaxPooling2D(name="embedding")(x), "convnet4")


def build_backbone(name, input_shape, width=1.0):
    """The embedding network ``name`` of :data:`BACKBONES` for images of ``input_shape``."""
    if width <= 0:
        raise TaskAdaptError(f"width must be above 0. Received: width={width}", parameter="width")
    return BACKBONES[name](tuple(input_shape), width)
