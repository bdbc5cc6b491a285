"""Trainable quantization with compression kernels q_i = 1/Q_i (seed 000, section 2.3.2).

The compression layer holds three 8x8 kernels, one per Y, Cb, Cr component (192 weights).
The encoder computes ``round(F / S * q_i)``: the DCT block F, scaled by the constant 1/S of
section 2.3.1, multiplied element-wise by the kernel and rounded with a straight-through
gradient. The dequantization layer multiplies back with the same variables, i.e. divides
by q_i and multiplies by S; an entry q_i(j, k) = 0 discards that coefficient. The JPEG
table the kernels stand for is therefore Q_i = S / q_i.
"""
import keras
import numpy as np
from keras import ops

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.jpeg.rounding import round_half_away_from_zero
from keras_taskadapt.jpeg.tables import as_qtables, standard_qtables

#: The three JPEG components in the order of the kernels and tables.
COMPONENTS = ("y", "cb", "cr")


def initial_qtables(initial_tables, scale):
    """Tables the kernels start from: ``None`` (kernels 1, section 2.3.5), a quality 1..100
    (the standard tables of section 2.4.1), or a (3, 8, 8) table array."""
    if initial_tables is None:
        return np.full((3, 8, 8), float(scale))
    if isinstance(initial_tables, int):
        return standard_qtables(initial_tables).astype(np.float64)
    return as_qtables(initial_tables, "initial quantization tables")


def plain_initial_tables(initial_tables):
    """``initial_tables`` as JSON-friendly config: None, an int quality or nested lists."""
    if initial_tables is None or isinstance(initial_tables, bool):
        return initial_tables
    if isinstance(initial_tables, (int, np.integer)):
        return int(initial_tables)
    return as_qtables(initial_tables, "initial quantization tables").tolist()


@keras.saving.register_keras_serializable(package="keras_taskadapt")
class QuantizationKernels(keras.layers.Layer):
    """Compression kernels q_i = 1/Q_i with straight-through rounding (section 2.3.2).

    Args:
        initial_tables: ``None`` for kernels of ones, an integer quality 1..100 for the
            standard tables, or a (3, 8, 8) array of tables Q (natural order; ``inf``
            discards a coefficient).
        scale: the constant S of section 2.3.1; the coefficients are divided by S before
            quantization, which scales the effective tables up by S.
        rate_penalty: a regularizer on the kernels, e.g. :class:`QuantizationRate`
            (the L_Quan term of sections 2.3.2-2.3.4); it lands in ``model.losses``.

    Calling the layer on ``{"y": ..., "cb": ..., "cr": ...}`` coefficient grids shaped
    (B, h, w, 64) returns the quantized grids (integer values, float dtype).
    """

    def __init__(self, initial_tables=None, scale=1.0, rate_penalty=None, **kwargs):
        super().__init__(**kwargs)
        if not float(scale) > 0:
            raise TaskAdaptError(f"the coefficient scale S must be positive, got {scale!r}")
        self.scale = float(scale)
        self.initial_tables = plain_initial_tables(initial_tables)
        self.rate_penalty = keras.regularizers.get(rate_penalty)
        kernels = self.scale / initial_qtables(self.initial_tables, self.scale)
        self.kernels = self.add_weight(
            name="kernels",
            shape=(3, 8, 8),
            initializer=keras.initializers.Constant(kernels),
            regularizer=self.rate_penalty,
            constraint=keras.constraints.NonNeg(),
        )
        self.built = True

    def _kernel(self, component, dtype):
        return ops.cast(ops.reshape(self.kernels[COMPONENTS.index(component)], (64,)), dtype)

    def quantize_component(self, coefficients, component):
        """round(F / S * q) for one component's (B, h, w, 64) grid; identity gradient."""
        kernel = self._kernel(component, coefficients.dtype)
        return round_half_away_from_zero(coefficients * (kernel / self.scale))

    def dequantize_component(self, quantized, component):
        """Fq * S / q, with the coefficients whose kernel entry is 0 set to 0."""
        kernel = self._kernel(component, quantized.dtype)
        kept = kernel > 0
        return ops.where(kept, quantized * self.scale / ops.where(kept, kernel, 1.0), 0.0)

    def call(self, coefficients):
        return {name: self.quantize_component(coefficients[name], name) for name in COMPONENTS}

    def qtables(self):
        """The tables Q_i = S / q_i as a float (3, 8, 8) array (``inf`` where q = 0)."""
        kernels = np.asarray(keras.ops.convert_to_numpy(self.kernels), dtype=np.float64)
        with np.errstate(divide="ignore"):
            return self.scale / kernels

    def set_qtables(self, tables):
        """Set the kernels so that the layer quantizes with ``tables`` (3, 8, 8)."""
        self.kernels.assign(self.scale / as_qtables(tables))

    def get_config(self):
        return {
            **super().get_config(),
            "initial_tables": self.initial_tables,
            "scale": self.scale,
            "rate_penalty": keras.regularizers.serialize(self.rate_penalty) if self.rate_penalty else None,
        }
