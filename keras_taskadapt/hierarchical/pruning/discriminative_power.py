"""Discriminative power of filters and neurons: Fisher's LDA score (seed 000 eqs. (3.4)-(3.6), seed 002 section 3.2).

For one filter of a convolutional layer its feature map of ``d = H x W`` values is a
vector ``x`` per image (a dense neuron: ``d = 1``). With ``m_j`` the mean of class ``j``
(``n_j`` images), ``m`` the mean of all:

* within-class scatter, eq. (3.4): ``S_w = sum_j sum_{x in class j} (x - m_j)(x - m_j)^T``;
* between-class scatter, eq. (3.5): ``S_b = sum_j n_j (m - m_j)(m - m_j)^T``;
* discriminative power, eq. (3.6): ``D = trace(S_w^-1 S_b)``, with the Moore-Penrose
  pseudo-inverse where ``S_w`` is singular (singular values below ``1e-9`` of the largest
  count as zero; a constant feature scores 0).

(Seed 002 writes ``trace(S_b) / trace(S_w)``; eq. (3.6) of the dissertation, used here, is
the matrix form; they agree for a neuron.) :class:`ScatterAccumulator` gathers the class
sums and the second moments batch by batch (``S_w = sum x x^T - sum_j n_j m_j m_j^T``), in
float64, so a training set streams through once; its memory is ``C d^2`` numbers per
layer of ``C`` filters. The "best" filter of a layer is its highest score (figures 3.2, 3.5).
"""
import numbers

import numpy as np

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.core.figures import pyplot, save_figure

#: Relative cut-off (``rtol``) of the singular values of ``S_w`` in its pseudo-inverse.
PINV_RTOL = 1e-9


class ScatterAccumulator:
    """Class sums and second moments of per-channel features for eqs. (3.4)-(3.6).

    ``update(features, labels)`` with ``features`` of shape ``(N, ..., C)`` (channels last,
    every channel's ``...`` values flattened into its vector) and integer ``labels`` in
    ``[0, num_classes)``; :meth:`scores` gives ``D`` of every channel.
    """

    def __init__(self, num_classes):
        if not isinstance(num_classes, numbers.Integral) or num_classes < 2:
            raise TaskAdaptError(f"discriminative power needs at least 2 classes, got {num_classes!r}")
        self.num_classes = int(num_classes)
        self.counts = np.zeros(self.num_classes)
        self.class_sums = None  # (K, C, d)
        self.second_moments = None  # (C, d, d)

    def update(self, features, labels):
        features = np.asarray(features, dtype=np.float64)
        labels = np.asarray(labels).reshape(-1).astype(np.int64)
        if features.ndim < 2 or features.shape[0] != labels.shape[0]:
            raise TaskAdaptError(f"features {features.shape} and labels {labels.shape} do not match")
        if labels.size and (labels.min() < 0 or labels.max() >= self.num_classes):
            raise TaskAdaptError(f"labels must lie in 0..{self.num_classes - 1}")
        flat = features.reshape(features.shape[0], -1, features.shape[-1])  # (N, d, C)
        vectors = np.ascontiguousarray(np.moveaxis(flat, -1, 0))  # (C, N, d), contiguous for BLAS
        if self.second_moments is None:
            channels, _, size = vectors.shape
            self.class_sums = np.zeros((self.num_classes, channels, size))
            self.second_moments = np.zeros((channels, size, size))
        elif vectors.shape[0] != self.second_moments.shape[0] or vectors.shape[2] != self.second_moments.shape[1]:
            raise TaskAdaptError(f"features of shape {features.shape[1:]} differ from the earlier batches")
        self.second_moments += np.matmul(vectors.transpose(0, 2, 1), vectors)  # (C, d, d), by BLAS
        one_hot = np.eye(self.num_classes)[labels]  # (N, K)
        self.class_sums += np.einsum("nk,cnd->kcd", one_hot, vectors)
        self.counts += one_hot.sum(axis=0)

    def scatter_matrices(self):
        """``(S_w, S_b)`` of eqs. (3.4)-(3.5), each ``(C, d, d)``."""
        if self.second_moments is None:
            raise TaskAdaptError("no features were accumulated")
        present = self.counts > 0
        counts = self.counts[present][:, None, None]
        class_means = self.class_sums[present] / counts  # (K', C, d)
        mean = self.class_sums.sum(axis=0) / self.counts.sum()
        weighted = counts[..., None] * np.einsum("kcd,kce->kcde", class_means, class_means)
        within = self.second_moments - weighted.sum(axis=0)
        offsets = class_means - mean
        between = (counts[..., None] * np.einsum("kcd,kce->kcde", offsets, offsets)).sum(axis=0)
        return within, between

    def scores(self):
        """``D = trace(pinv(S_w) S_b)`` of every channel, eq. (3.6)."""
        return fisher_scores(*self.scatter_matrices())


def fisher_scores(within, between):
    """``trace(pinv(S_w) S_b)`` for stacks ``(C, d, d)`` of scatter matrices."""
    inverse = np.linalg.pinv(within, hermitian=True, rtol=PINV_RTOL)
    return np.einsum("cij,cji->c", inverse, between)


def layer_discriminative_power(model, layer_names, batches, num_classes):
    """``D`` of every channel of the outputs of ``layer_names`` of ``model`` over ``batches``.

    ``batches`` yields ``(inputs, labels)`` for ``model`` (a training split, section 3.3.1);
    the layers run in inference mode. Returns ``{layer_name: scores}``.
    """
    import keras

    names = list(layer_names)
    unknown = [name for name in names if name not in {layer.name for layer in model.layers}]
    if unknown:
        raise TaskAdaptError(f"the model has no layers {unknown}")
    probe = keras.Model(model.input, [model.get_layer(name).output for name in names])
    accumulators = {name: ScatterAccumulator(num_classes) for name in names}
    for inputs, labels in batches:
        outputs = probe(inputs, training=False)
        for name, features in zip(names, outputs if len(names) > 1 else [outputs]):
            accumulators[name].update(keras.ops.convert_to_numpy(features), labels)
    return {name: accumulator.scores() for name, accumulator in accumulators.items()}


def plot_best_filter_power(curves, path, title="discriminative power of the best filter"):
    """Figure 3.2/3.5: the highest ``D`` of every layer, one line per model.

    ``curves`` maps a model's label to its ``{layer_name: scores}`` in layer order.
    """
    from matplotlib.ticker import MaxNLocator

    figure, axis = pyplot().subplots(figsize=(6, 3.5))
    for label, scores in curves.items():
        axis.plot(range(1, len(scores) + 1), [float(np.max(values)) for values in scores.values()],
                  marker="o", label=label)
    axis.set_xlabel("layer")
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.set_ylabel("best filter's D = trace(S_w^-1 S_b)")
    axis.set_title(title)
    axis.grid(alpha=0.3)
    axis.legend()
    save_figure(figure, path)
