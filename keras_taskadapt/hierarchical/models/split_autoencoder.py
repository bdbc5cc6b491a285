"""The distributed (split) wavelet-domain auto-encoder of seed 000 figure 3.3 (section 3.3.1).

Sensor side, the ``encoder``: the wavelet-domain ResNet front (DWT, first convolution,
ResNet modules 1 and 2; :mod:`~keras_taskadapt.hierarchical.models.wavelet_resnet`) and the latent
encoder, a pooling layer and two dense layers giving the latent ``y`` in R^dy. Between
them the :class:`~keras_taskadapt.hierarchical.latent.LatentQuantizer` (rounding; uniform noise in
[-1, 1] in training). Server side, the ``decoder``: the latent decoder, three transposed
convolutions from ``1 x 1 x dy`` back to the shape of the module-2 feature map, then ResNet
module 3 and the dense softmax classifier. Training only, the ``side_branch``: one dense
layer from ``y`` to the codes ``z`` of the LDR loss (eqs. (3.1)-(3.3)).

Latent decoder shapes: the first transposed convolution has an ``H/16 x W/16`` kernel
(valid) and takes ``1 x 1`` to ``H/16 x W/16``; two more at stride 2 reach the ``H/4 x W/4``
of the module-2 map (8x8 on 32x32 images). Each is followed by batch normalisation and ReLU
and has as many filters as module 2. Image sides must be multiples of 16.

The pooling is global average pooling, so ``hidden_units`` (default: the larger of the
module-2 width and ``latent_dim``) and ``latent_dim`` alone set the latent encoder's size.
"""
import keras
from keras import layers

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.hierarchical.latent.quantizer import SEED_NOISE, LatentQuantizer
from keras_taskadapt.hierarchical.models.parts import HierarchicalParts
from keras_taskadapt.hierarchical.models.wavelet_resnet import (
    MODULE_FILTERS,
    check_count,
    module3_classifier,
    wavelet_front,
)
from keras_taskadapt.models.normalization import batch_normalization
from keras_taskadapt.models.resnet50_cifar import scaled_channels

#: Latent dimensions screened by section 3.3.2 ("Selecting Latent Dimensions").
SCREENED_LATENT_DIMS = (32, 64, 128, 256, 512)


def split_autoencoder(num_classes, input_shape=(32, 32, 3), depth=18, width=1.0, latent_dim=64, hidden_units=None,
                      side_dim=128, noise=SEED_NOISE, wavelet="bior4.4", weight_decay=1e-4, seed=None):
    """The auto-encoder of figure 3.3 as :class:`HierarchicalParts`.

    Args:
        num_classes: classes of the softmax output.
        input_shape: ``(H, W, 3)``, sides multiples of 16 (32x32 CIFAR, 64x64 Tiny ImageNet).
        depth: 18 (ResNet-18 back-bone, the seed's CIFAR-10) or 34 (CIFAR-100).
        width: channel multiplier of the back-bone and latent decoder (1 in the seed).
        latent_dim: ``dy``, the entries of ``y`` (the seed screens 32 ... 512, picks 64).
        hidden_units: units of the first dense layer of the latent encoder.
        side_dim: dimension of the LDR codes ``z``.
        noise: half-width of the quantizer's training noise (the seed's 1).
        seed: seed of the quantizer noise.
    """
    for option, value in (("latent_dim", latent_dim), ("side_dim", side_dim)):
        check_count(option, value)
    if hidden_units is not None:
        check_count("hidden_units", hidden_units)
    height, width_pixels = tuple(input_shape)[:2]
    if height % 16 or width_pixels % 16:
        raise TaskAdaptError(f"the split auto-encoder needs image sides that are multiples of 16, got "
                             f"{height}x{width_pixels}")
    front = wavelet_front(input_shape, depth, width, wavelet, weight_decay)
    encoder = keras.Model(front.input, latent_encoder(front.output, latent_dim, hidden_units, weight_decay),
                          name="encoder")
    module2_filters = scaled_channels(MODULE_FILTERS[1], width)
    latent = keras.Input((latent_dim,), name="latent")
    feature_map = latent_decoder(latent, front.output.shape[1:3], module2_filters, weight_decay)
    decoder = keras.Model(latent, module3_classifier(feature_map, num_classes, depth, width, weight_decay),
                          name="decoder")
    side_input = keras.Input((latent_dim,), name="latent")
    side_branch = keras.Model(side_input, layers.Dense(int(side_dim), name="side_dense")(side_input),
                              name="side_branch")
    quantizer = LatentQuantizer(noise, seed=seed, name="quantizer")
    quantizer.build((None, latent_dim))
    return HierarchicalParts(encoder=encoder, decoder=decoder, side_branch=side_branch, quantizer=quantizer)


def latent_encoder(features, latent_dim, hidden_units=None, weight_decay=1e-4):
    """Pooling and two dense layers: feature map -> latent ``y`` (linear, ``latent_dim`` entries)."""
    hidden_units = hidden_units or max(features.shape[-1], latent_dim)
    regularizer = keras.regularizers.L2(weight_decay) if weight_decay else None
    pooled = layers.GlobalAveragePooling2D(name="latent_pool")(features)
    hidden = layers.Dense(int(hidden_units), activation="relu", kernel_regularizer=regularizer,
                          name="latent_hidden")(pooled)
    return layers.Dense(int(latent_dim), kernel_regularizer=regularizer, name="latent")(hidden)


def latent_decoder(latent, map_size, filters, weight_decay=1e-4):
    """Three transposed convolutions: latent ``(dy,)`` -> feature map of ``map_size`` (module docstring)."""
    regularizer = keras.regularizers.L2(weight_decay) if weight_decay else None
    height, width = map_size
    x = layers.Reshape((1, 1, -1), name="latent_map")(latent)
    shapes = (((height // 4, width // 4), 1, "valid"), (3, 2, "same"), (3, 2, "same"))
    for index, (kernel, stride, padding) in enumerate(shapes, start=1):
        x = layers.Conv2DTranspose(filters, kernel, strides=stride, padding=padding, use_bias=False,
                                   kernel_regularizer=regularizer, name=f"latent_deconv{index}")(x)
        x = batch_normalization(name=f"latent_deconv{index}_bn")(x)
        x = layers.ReLU(name=f"latent_deconv{index}_relu")(x)
    return x
