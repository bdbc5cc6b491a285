"""A classifier on quantized JPEG DCT coefficients, Deconvolution-RFA style (seed 000, section 2.3.4, figure 2.6).

Architecture: Gueguen, Sergeev, Kadlec, Liu and Yosinski, "Faster Neural Networks Straight
from JPEG", NeurIPS 2018 (the "Deconvolution-RFA" network of their figure 4), a ResNet-50
(He et al., CVPR 2016) modified for DCT input. Figure 2.6 of the seed feeds it the quantized
coefficients of the JPEG encoder directly, skipping reconstruction.

Input: the grids :class:`keras_taskadapt.jpeg.JpegEncoder` returns, ``{"y": (H16/8, W16/8,
64), "cb": (H16/16, W16/16, 64), "cr": ...}`` (64 coefficients per 8x8 block; H16, W16 the
image sides rounded up to 16), so ``classifier(encoder(images))`` composes.

1. Batch normalisation of the raw coefficients of each component: the 64 frequencies have
   ranges that differ by orders of magnitude (Gueguen et al. normalise the DCT input too).
2. One transposed convolution per chroma component (64 filters, 2x2, stride 2) brings Cb
   and Cr to the Y grid; concatenated with Y this gives 192 channels at 1/8 resolution.
3. A ResNet body without the stem: a grid cell already stands for an 8x8 pixel block,
   the stride ResNet-50 reaches only after its stem, max-pool, stage 2 and the first block
   of stage 3. The body is therefore stages 3 to 5 of the chosen ResNet (for ResNet-50:
   4, 6 and 3 bottleneck blocks of 128, 256 and 512 channels times ``width``, expanded
   four times), the first stage at stride 1. Receptive-field aware (RFA): as a grid cell
   already covers 8x8 pixels, the first two blocks use 1x1 and 2x2 middle kernels instead
   of 3x3 (the "CB (k=1, s=1), IB (k=2)" of Gueguen et al.), so the receptive field grows
   layer by layer as in ResNet-50.
4. Global average pooling and softmax.

At 224x224 (28x28 Y grid) the body ends at 7x7, as ResNet-50 does; ``depth=14,
width=0.125`` is a CPU-sized member that trains on 64x64 images (8x8 Y grid).
"""
from numbers import Integral

import keras
from keras import layers

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.jpeg.quantization import COMPONENTS
from keras_taskadapt.jpeg.subsampling import MCU_SIZE, round_up
from keras_taskadapt.models.normalization import batch_normalization
from keras_taskadapt.models.resnet50_cifar import bottleneck_stage, scaled_channels, softmax_classifier

#: Bottleneck blocks of stages 3, 4 and 5 of the ResNet of each depth (He et al., table 1;
#: depths 14 and 26 are the one- and two-blocks-per-stage members).
BODY_BLOCKS = {14: (1, 1, 1), 26: (2, 2, 2), 50: (4, 6, 3), 101: (4, 23, 3), 152: (8, 36, 3)}
#: Coefficients per 8x8 block, the channels of each grid and of each chroma deconvolution.
COEFFICIENTS = 64


def _coefficient_inputs(image_size):
    """Named inputs shaped like the encoder's grids; any spatial size when ``image_size`` is None."""
    if image_size is None:
        luma = chroma = (None, None)
    else:
        sides = tuple(image_size)
        if len(sides) != 2 or not all(isinstance(side, Integral) and side >= 1 for side in sides):
            raise TaskAdaptError(f"image_size must be (height, width) in pixels or None, got {image_size!r}")
        padded = [round_up(int(side), MCU_SIZE) for side in sides]
        luma = tuple(side // 8 for side in padded)
        chroma = tuple(side // 16 for side in padded)
    return {name: keras.Input(shape=(*(luma if name == "y" else chroma), COEFFICIENTS), name=name) for name in COMPONENTS}


def dct_domain_resnet(num_classes, image_size=None, depth=50, width=1.0, weight_decay=1e-4, name=None):
    """Deconvolution-RFA classifier on the ``{"y", "cb", "cr"}`` quantized DCT grids (figure 2.6).

    Args:
        num_classes: size of the softmax output.
        image_size: (height, width) of the images the grids come from, fixing the input
            shapes; ``None`` accepts grids of any size.
        depth: the ResNet whose stages 3-5 form the body: 14, 26, 50, 101 or 152.
        width: multiplier of the body's channel counts (1 for the full-size network).
        weight_decay: L2 coefficient on the convolution kernels (0 for none).
    """
    head = softmax_classifier(num_classes)
    if not isinstance(depth, Integral) or depth not in BODY_BLOCKS:
        raise TaskAdaptError(f"DCT-domain ResNet depth must be one of {', '.join(map(str, BODY_BLOCKS))}, "
                             f"got {depth!r}")
    base = scaled_channels(128, width)
    inputs = _coefficient_inputs(image_size)
    normalized = {key: batch_normalization(name=f"{key}_bn")(inputs[key]) for key in COMPONENTS}
    regularizer = keras.regularizers.L2(weight_decay) if weight_decay else None
    chroma = [
        layers.Conv2DTranspose(COEFFICIENTS, 2, strides=2, use_bias=False, kernel_regularizer=regularizer,
                               name=f"{key}_deconvolution")(normalized[key])
        for key in COMPONENTS[1:]
    ]
    x = layers.Concatenate(name="concatenate")([normalized["y"], *chroma])
    for stage, blocks in enumerate(BODY_BLOCKS[depth]):
        # receptive-field aware: middle kernels 1, 2, 3, 3, ... in the first stage
        kernel_sizes = tuple(min(index + 1, 3) for index in range(blocks)) if stage == 0 else (3,) * blocks
        x = bottleneck_stage(x, base * 2**stage, kernel_sizes, 1 if stage == 0 else 2, weight_decay, f"s{stage + 3}")
    return keras.Model(inputs, head(x), name=name or f"dct_resnet{depth}")
