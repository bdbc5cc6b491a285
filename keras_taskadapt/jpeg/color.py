"""Level shift and RGB <-> YCbCr conversion (seed 000, sections 2.2.1, 2.3.1 and 2.4.3).

Section 2.3.1 level-shifts the pixels by 128 before the colour conversion of section 2.2.1
(JFIF, Y = 0.299 R + 0.587 G + 0.114 B, Cb = 128 - 0.1687 R - 0.3313 G + 0.5 B,
Cr = 128 + 0.5 R - 0.4187 G - 0.0813 B). Shifting first removes the 128 offsets of Cb and
Cr (their rows sum to zero) and shifts Y by 128 (its row sums to one), so the layer maps
RGB in 0..255 to centred samples in -128..127, exactly libjpeg's DCT input.

Section 2.4.3 lets the coefficients train under constraints that keep the transform
invertible:  theta_RY + theta_GY + theta_BY = 1 with all three >= 0;  theta_B,Cb = 0.5,
theta_R,Cb + theta_G,Cb = -0.5 with both <= 0;  theta_R,Cr = 0.5, theta_G,Cr + theta_B,Cr
= -0.5 with both <= 0. The constraints hold by construction: the free coefficients are
softmax weights of three logit vectors, initialised at the JFIF values. The determinant is
multilinear in the three rows and is 0 or 1/4 at the 12 vertices of the constraint set, so
it is positive wherever all weights are positive, as softmax keeps them: the transform is
always invertible. (The closed constraints of the seed admit singular boundary points,
e.g. Y = R, Cb = (B - R)/2, Cr = (R - B)/2.)
"""
import keras
import numpy as np
from keras import ops

from keras_taskadapt.jpeg.rounding import floor_to_integer

#: Offset between 8-bit samples (0..255) and the centred samples the DCT sees.
LEVEL_SHIFT = 128.0

#: JFIF (ITU-T T.871) RGB -> YCbCr coefficients (rows Y, Cb, Cr; columns R, G, B) at the
#: 16-bit fixed-point precision libjpeg applies them (``FIX(x) = round(x * 2**16)`` in
#: ``jccolor.c``); they differ from the decimal JFIF values by less than 1e-5 and make the
#: 8-bit samples equal libjpeg's. They satisfy the constraints of section 2.4.3 exactly.
JFIF_RGB_TO_YCBCR = (
    np.array(
        [
            [19595, 38470, 7471],
            [-11059, -21709, 32768],
            [32768, -27439, -5329],
        ]
    )
    / 65536.0
)

#: Bias added before flooring to 8-bit samples: ONE_HALF for Y, ONE_HALF - 1 for Cb, Cr.
COLOR_ROUNDING_BIAS = np.array([0.5, 0.5 - 2.0**-16, 0.5 - 2.0**-16])


@keras.saving.register_keras_serializable(package="keras_taskadapt")
class ColorTransform(keras.layers.Layer):
    """RGB (0..255) to level-shifted YCbCr and back (sections 2.2.1, 2.3.1 and 2.4.3).

    Args:
        learn_coefficients: whether the coefficients train under the constraints of 2.4.3.
            They are created non-trainable otherwise, so that unfreezing an enclosing
            layer (``codec.trainable = True``) does not make them train.
    """

    def __init__(self, learn_coefficients=False, **kwargs):
        super().__init__(**kwargs)
        self.learn_coefficients = bool(learn_coefficients)
        self.luma_logits = self._logits("luma_logits", np.log(JFIF_RGB_TO_YCBCR[0]))
        self.cb_logits = self._logits("cb_logits", np.log(-2.0 * JFIF_RGB_TO_YCBCR[1, :2]))
        self.cr_logits = self._logits("cr_logits", np.log(-2.0 * JFIF_RGB_TO_YCBCR[2, 1:]))
        self.built = True

    def _logits(self, name, values):
        return self.add_weight(
            name=name,
            shape=values.shape,
            initializer=keras.initializers.Constant(values),
            trainable=self.learn_coefficients,
        )

    def matrix(self):
        """The 3x3 RGB -> YCbCr matrix (rows Y, Cb, Cr), satisfying section 2.4.3."""
        luma = ops.softmax(self.luma_logits)
        cb_rg = -0.5 * ops.softmax(self.cb_logits)
        cr_gb = -0.5 * ops.softmax(self.cr_logits)
        half = ops.full((1,), 0.5, dtype=luma.dtype)
        return ops.stack([luma, ops.concatenate([cb_rg, half]), ops.concatenate([half, cr_gb])])

    def call(self, rgb):
        """RGB in 0..255, channels last -> centred YCbCr (float, not rounded)."""
        return mix_channels(ops.cast(rgb, self.compute_dtype) - LEVEL_SHIFT, self.matrix())

    def inverse(self, ycbcr):
        """Centred YCbCr -> RGB in 0..255 (not clipped) by the exact inverse matrix."""
        return mix_channels(ycbcr, ops.inv(self.matrix())) + LEVEL_SHIFT

    def get_config(self):
        return {**super().get_config(), "learn_coefficients": self.learn_coefficients}


def mix_channels(samples, matrix):
    """``samples @ matrix.T`` for (..., 3) samples and a 3x3 ``matrix``, as a per-pixel sum.

    The broadcast product and its sum over three terms fuse into one pass over the pixels; a
    matrix product with an inner dimension of 3 runs about twice as slow on a CPU.
    """
    return ops.sum(samples[..., None, :] * matrix, axis=-1)


def round_color_samples(ycbcr):
    """Round centred YCbCr to 8-bit samples exactly as libjpeg's ``rgb_ycc_convert`` does.

    libjpeg computes (N + ONE_HALF) >> 16 for Y and (N + ONE_HALF - 1) >> 16 for Cb and Cr,
    N being the sample times 2^16: floor(x + 1/2) and floor(x + 1/2 - 2^-16), i.e. Y rounds
    ties up, Cb and Cr down. The result is clipped to -128..127. Straight-through gradient.
    """
    return clip_samples(floor_to_integer(ycbcr + ops.convert_to_tensor(COLOR_ROUNDING_BIAS, ycbcr.dtype)))


def clip_samples(samples):
    """Clip centred samples to the 8-bit range -128..127 (libjpeg's range limit)."""
    return ops.clip(samples, -LEVEL_SHIFT, LEVEL_SHIFT - 1.0)
