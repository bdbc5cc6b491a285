"""Rate surrogates L_Quan on the compression kernels (seed 000, sections 2.3.2-2.3.4).

Run-length and Huffman coding make the bit rate of a JPEG image hard to predict, so the
seed trains with L = L_CLA + lambda L_Quan and one of three surrogates over all 192 kernel
entries q_i(j, k):

- section 2.3.2 (CIFAR-10) and 2.3.4 (ImageNet): L_Quan = sum q^2;
- section 2.3.3, first form: L_Quan = sum q^2 + lambda1 sum |q|;
- section 2.3.3, second form: L_Quan = sum max(q^2 - c, 0) + lambda1 sum |q|.

The second form of 2.3.3 contains the other two (c = 0 makes max(q^2 - c, 0) = q^2;
lambda1 = 0 drops the l1 term), so one regularizer covers all three.
"""
import keras
from keras import ops

from keras_taskadapt.core.errors import TaskAdaptError


def quantization_rate(kernels, l1=0.0, threshold=0.0):
    """L_Quan = sum max(q^2 - c, 0) + lambda1 sum |q| over all kernel entries (sec. 2.3.3).

    With ``threshold`` c = 0 and ``l1`` = 0 this is sum q^2 (sections 2.3.2, 2.3.4); with
    c = 0 alone, sum q^2 + lambda1 sum |q| (section 2.3.3).
    """
    power = ops.sum(ops.maximum(ops.square(kernels) - threshold, 0.0))
    return power + l1 * ops.sum(ops.abs(kernels))


@keras.saving.register_keras_serializable(package="keras_taskadapt")
class QuantizationRate(keras.regularizers.Regularizer):
    """lambda * L_Quan as a Keras regularizer for :class:`QuantizationKernels` (2.3.2-2.3.4).

    Args:
        weight: lambda, the weight of L_Quan in L = L_CLA + lambda L_Quan.
        l1: lambda1, the weight of the sparsity term sum |q| (0 for sections 2.3.2, 2.3.4).
        threshold: c, the free squared magnitude of each q (0 for sections 2.3.2, 2.3.4 and
            the first form of 2.3.3).
    """

    def __init__(self, weight, l1=0.0, threshold=0.0):
        for name, value in (("weight", weight), ("l1", l1), ("threshold", threshold)):
            if not float(value) >= 0:
                raise TaskAdaptError(f"the rate surrogate's {name} must be >= 0, got {value!r}")
        self.weight = float(weight)
        self.l1 = float(l1)
        self.threshold = float(threshold)

    def __call__(self, kernels):
        return self.weight * quantization_rate(kernels, self.l1, self.threshold)

    def get_config(self):
        return {"weight": self.weight, "l1": self.l1, "threshold": self.threshold}
