"""The pre-processing of the Delta inputs as a Keras layer (seed 000, section 5.3, eq. 5.3).

Eq. (5.3) turns the ``T = 118`` daily values of input ``m`` into ``Tr = 18`` features through
per-input weights ``f[j, m, i]``: ``x[n, m, i] = sum_j z[n - j + 1, m] f[j, m, i]``.
:class:`AntecedentConvolution` holds those weights for all M inputs at once (a depthwise
"valid" Conv1D whose kernel spans the whole 118-day window, computed as one einsum).

- With :class:`AntecedentInitializer` ("P") the kernel starts as the fixed pre-processing of
  eqs. (5.1)-(5.2): 8 daily values and 10 non-overlapping 11-day means. Frozen
  (``trainable=False``) it *is* that pre-processing (STL, 3-MTL, section 5.2); trainable it is
  the 4-MTL-P pre-processing of section 5.3.
- With a random initializer ("R", Keras's ``glorot_uniform``, what a Conv1D gets by default)
  it is the 4-MTL-R pre-processing.
- ``shared=True`` keeps one ``(T, Tr)`` bank for all M inputs (``f[j, i]`` in place of
  ``f[j, m, i]``) and ``use_bias=True`` adds one bias per feature: the seed's parameter count
  for 4-MTL-P, 16,962 = 118 x 18 + 18 + 14,820 (section 5.3), is that layer's 2,142 weights
  plus the MLP's.

Every "P" filter sums to 1, so the features of affinely scaled inputs are the affinely scaled
features: scaling each raw input by eq. (5.4) before the layer keeps the "P" output exactly
the fixed pre-processing of the scaled inputs.
"""
import keras
import numpy as np

from keras_taskadapt.salinity.antecedent import (FEATURES_PER_INPUT, WINDOW_DAYS,
                                                 antecedent_weights)


@keras.saving.register_keras_serializable(package="keras_taskadapt")
class AntecedentInitializer(keras.initializers.Initializer):
    """Kernel ``(T, M, Tr) = (118, M, 18)`` reproducing eqs. (5.1)-(5.2) for each of M inputs."""

    def __call__(self, shape, dtype=None):
        days, inputs, filters = shape
        if (days, filters) != (WINDOW_DAYS, FEATURES_PER_INPUT):
            raise ValueError(f"the fixed pre-processing needs a ({WINDOW_DAYS}, M, "
                             f"{FEATURES_PER_INPUT}) kernel, not {tuple(shape)}")
        kernel = np.repeat(antecedent_weights()[:, None, :], inputs, axis=1)
        return keras.ops.convert_to_tensor(kernel, dtype=dtype or "float32")

    def get_config(self):
        return {}


@keras.saving.register_keras_serializable(package="keras_taskadapt")
class AntecedentConvolution(keras.layers.Layer):
    """Eq. (5.3): raw windows ``(batch, T, M)`` (oldest day first) to features ``(batch, M, Tr)``.

    ``kernel_initializer``: :class:`AntecedentInitializer` ("P", the default) or any Keras
    initializer ("R": ``"glorot_uniform"``). ``shared``: one filter bank for every input
    (kernel ``(T, 1, Tr)``) instead of one per input (``(T, M, Tr)``, eq. 5.3 as written).
    ``use_bias``: one bias per feature, zero at the start (eq. 5.3 has none; the seed's
    parameter count has 18). The output's feature ``[m, i]`` is feature ``i`` of input ``m``,
    the layout of :attr:`keras_taskadapt.salinity.antecedent.Windows.features`.
    """

    def __init__(self, filters=FEATURES_PER_INPUT, kernel_initializer=None, shared=False, use_bias=False,
                 **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.shared = bool(shared)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(
            kernel_initializer if kernel_initializer is not None else AntecedentInitializer())

    def build(self, input_shape):
        banks = 1 if self.shared else input_shape[2]
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[1], banks, self.filters),
                                      initializer=self.kernel_initializer)
        self.bias = (self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")
                     if self.use_bias else None)

    def call(self, windows):
        kernel = keras.ops.cast(self.kernel, windows.dtype)
        if self.shared:
            features = keras.ops.einsum("btm,tf->bmf", windows, kernel[:, 0, :])
        else:
            features = keras.ops.einsum("btm,tmf->bmf", windows, kernel)
        if self.bias is not None:
            features = features + keras.ops.cast(self.bias, windows.dtype)
        return features

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2], self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "shared": self.shared, "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}
