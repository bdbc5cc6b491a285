"""The LDR / MCR^2 coding-rate loss: seed 000 section 3.2.5, eqs. (3.1)-(3.3) and (3.7).

Conventions (rates in nats, natural logarithms, as in the official MCR^2 code):

* ``Z`` holds one code per row, shape ``(m, d)``; :class:`CodingRateReduction` L2-normalises
  every row first, :func:`coding_rate` uses ``Z`` as given.
* eq. (3.2): ``R(Z) = 1/2 logdet(I + d / (m eps^2) Z^T Z)``, with ``d`` the dimension of a code
  (the seed writes it ``D_in``) and ``eps`` the precision.
* eq. (3.3): ``Rc(Z, Pi) = sum_j tr(Pi_j) / (2m) logdet(I + d / (tr(Pi_j) eps^2) Z^T Pi_j Z)``;
  a class absent from the batch (``tr(Pi_j) = 0``) contributes nothing.
* eq. (3.1) / (3.7): the loss to minimise is ``-Delta R = Rc - R``.
* The official MCR^2 code (Ma-Lab-Berkeley/MCR2, ``loss.py``) writes ``p / (m * eps)``: its
  ``eps`` argument is our ``eps ** 2``. Its default setting ``eps=0.5`` is ``eps = sqrt(0.5)``
  here, :data:`MCR2_EPS`, the default.

Cost: by Sylvester's identity ``logdet(I_d + a Z^T Z) = logdet(I_m + a Z Z^T)``, so each rate
uses the smaller Gram matrix, and every log-determinant is ``2 sum log diag(cholesky(.))``.
For ``Rc`` the "features" form factors one ``d x d`` matrix per class
(cost ``K (m d^2 + d^3 / 3)``), the "samples" form one ``m x m`` matrix that keeps only the
within-class entries of ``Z Z^T``: it is block diagonal up to a permutation, its Cholesky
factor has no fill-in between classes, so the log-diagonal entries of the rows of class ``j``
sum to ``1/2 logdet`` of class ``j``'s block (cost ``m^2 d + m^3 / 3``). The cheaper form is
chosen from the static shapes; the samples form needs no ``num_classes`` (any integer ids).
The features form writes its gradient out (``_features_class_rate``), which halves the
``K m d^2`` work of the backward pass. All shapes are static apart from ``m``, so the loss
also compiles with XLA.
"""
import math
import numbers

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from keras_taskadapt.core.errors import TaskAdaptError

MCR2_EPS = math.sqrt(0.5)
"""Precision ``eps`` of the official MCR^2 setting (its ``eps=0.5`` argument is ``eps^2``)."""


def coding_rate(Z, eps=MCR2_EPS, compute_dtype=None):
    """Coding rate ``R(Z)`` of eq. (3.2), in nats, of the rows of ``Z`` (shape ``(m, d)``).

    ``Z`` is used as given (normalise rows first to match :class:`CodingRateReduction`).
    ``compute_dtype`` (e.g. ``"float64"``) sets the precision of the computation; the result
    has ``Z``'s dtype. Works eagerly and inside ``tf.function`` (``m`` may be unknown).
    """
    Z = _as_codes(Z)
    out_dtype = Z.dtype
    Z = ops.cast(Z, compute_dtype or out_dtype)
    m, d = Z.shape
    side = _rate_side(m, d)
    rate = _rate(_gram(Z, side), d / (_eps_squared(eps) * _count(Z)))
    return ops.cast(rate, out_dtype)


def augmentation_groups(num_images, n_views):
    """Group ids of the self-supervised partition ``Pi_T`` of eq. (3.7).

    Layout (image-major, as the official MCR^2 augmentation loader): the ``n_views`` views of
    image ``i`` (the image itself and its augmentations) are the consecutive rows
    ``i * n_views ... (i + 1) * n_views - 1`` and share one id. Returns an int32 vector of
    length ``num_images * n_views``.

    Inside the replica context of a strategy with ``R`` replicas, image ``i`` of replica ``r``
    gets the id ``i * R + r``, so groups stay distinct after :class:`CodingRateReduction`
    gathers all replicas; the ids stay below ``R`` times the largest per-replica number of
    images (the global number of images when the replicas hold equal batches), a valid
    ``num_classes``, or leave ``num_classes`` None. Outside a strategy the ids are
    ``0 ... num_images - 1``.
    """
    if not _is_positive_integer(n_views):
        raise TaskAdaptError(f"n_views must be a positive integer, got {n_views!r}")
    if isinstance(num_images, numbers.Number) and not _is_positive_integer(num_images):
        raise TaskAdaptError(f"num_images must be a positive integer, got {num_images!r}")
    replicas, replica_id = 1, 0
    context = tf.distribute.get_replica_context()
    if context is not None and context.num_replicas_in_sync > 1:
        replicas = context.num_replicas_in_sync
        replica_id = ops.cast(context.replica_id_in_sync_group, "int32")
    ids = ops.arange(num_images, dtype="int32") * replicas + replica_id
    return ops.repeat(ids, int(n_views))


def coarse_labels(fine_labels, fine_to_coarse):
    """Labels of a coarse partition ``Pi_coarse`` (weak supervision, seed 000 eq. (4.1)).

    ``fine_to_coarse[f]`` is the coarse class of fine class ``f`` (a sequence of
    non-negative integers, e.g. CIFAR-100's 100 fine classes onto its 20 super-classes).
    Returns the int32 coarse label of every fine label.
    """
    table = np.asarray(fine_to_coarse)
    if table.ndim != 1 or table.size == 0 or not np.issubdtype(table.dtype, np.integer):
        raise TaskAdaptError("fine_to_coarse must be a non-empty 1-D sequence of integer class ids")
    if (table < 0).any():
        raise TaskAdaptError("fine_to_coarse holds a negative coarse class id")
    return ops.take(ops.convert_to_tensor(table, "int32"), ops.cast(fine_labels, "int32"))


@keras.saving.register_keras_serializable(package="keras_taskadapt")
class CodingRateReduction(keras.losses.Loss):
    """LDR / MCR^2 loss ``Rc(Z, Pi) - R(Z)`` of eqs. (3.1)-(3.3) and (3.7), to minimise.

    Called as ``loss(labels, Z)``: ``Z`` of shape ``(m, d)`` is L2-normalised per row,
    ``labels`` (``m`` integers) define the partition ``Pi``: class labels (supervised),
    :func:`augmentation_groups` (self-supervised, eq. (3.7)) or :func:`coarse_labels` (weak).

    Args:
        eps: precision ``eps`` of eqs. (3.2)-(3.3); the official code's ``eps`` is ``eps**2``.
        num_classes: labels lie in ``[0, num_classes)``. Optional: without it the loss
            always uses the samples form (see the module docstring), which accepts any ids.
        compute_dtype: precision of the rates (e.g. ``"float64"``); the loss still returns
            the loss dtype (``dtype``, default float32), gradients flow through the casts.

    Global batch under ``tf.distribute``: in the replica context of a strategy with ``R > 1``
    replicas the loss all-gathers ``Z`` and the labels, so every replica computes the loss
    of the whole global batch (the coding rates are not sums over samples), and it returns
    that value divided by ``R``, the convention of Keras' built-in losses (their local mean
    divided by ``R``). A train step therefore treats it like any Keras loss: differentiate
    the returned value as it is and let ``optimizer.apply_gradients`` sum the gradients over
    replicas (as ``Model.fit``'s default ``train_step`` does); do not divide by ``R`` again
    and do not average the gradients. To report the global value multiply by ``R``
    (``Model.fit``'s loss tracker does). Why this is exact: the gradient of ``all_gather``
    sums the upstream gradients of all ``R`` replicas, each holding the same global loss, so
    a replica's gradient is ``R`` times its share; the ``1/R`` cancels that and the
    cross-replica sum assembles the full gradient. Inside a cross-replica context, or
    without a strategy, it computes the loss of the batch it is given.
    """

    def __init__(
        self,
        eps=MCR2_EPS,
        num_classes=None,
        compute_dtype=None,
        name="coding_rate_reduction",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        _eps_squared(eps)
        if num_classes is not None and not _is_positive_integer(num_classes):
            raise TaskAdaptError(f"num_classes must be a positive integer or None, got {num_classes!r}")
        self.eps = float(eps)
        self.num_classes = None if num_classes is None else int(num_classes)
        self.compute_dtype = compute_dtype

    def call(self, y_true, y_pred):
        rate, class_rate, replicas = self._global_rates(y_true, y_pred)
        return (class_rate - rate) / replicas

    def rates(self, labels, Z):
        """``(R, Rc)`` of eqs. (3.2)-(3.3) on the normalised, gathered global batch, to log."""
        rate, class_rate, _ = self._global_rates(labels, Z)
        return rate, class_rate

    def _global_rates(self, labels, Z):
        Z = _as_codes(Z)
        out_dtype = Z.dtype
        Z = ops.normalize(ops.cast(Z, self.compute_dtype or out_dtype), axis=-1)
        labels = ops.cast(ops.reshape(labels, (-1,)), "int32")
        if labels.shape[0] is not None and Z.shape[0] is not None and labels.shape[0] != Z.shape[0]:
            raise TaskAdaptError(f"{labels.shape[0]} labels for {Z.shape[0]} codes")
        replicas, (rows, dimension) = 1, Z.shape
        context = tf.distribute.get_replica_context()
        if context is not None and context.num_replicas_in_sync > 1:
            replicas = context.num_replicas_in_sync
            # Two calls: int32 labels live in host memory, the codes on the device.
            labels = context.all_gather(labels, axis=0)
            Z = ops.reshape(context.all_gather(Z, axis=0), (-1, dimension))  # static d again
            rows = None if rows is None else rows * replicas  # to pick the cheaper forms
        rate, class_rate = _rates(Z, labels, self.eps, self.num_classes, rows)
        return ops.cast(rate, out_dtype), ops.cast(class_rate, out_dtype), replicas

    def get_config(self):
        config = super().get_config()
        config.update(eps=self.eps, num_classes=self.num_classes, compute_dtype=self.compute_dtype)
        return config


def _as_codes(Z):
    Z = ops.convert_to_tensor(Z)
    if len(Z.shape) != 2 or Z.shape[1] is None:
        raise TaskAdaptError(f"codes Z must be a matrix (samples, known dimension), got shape {Z.shape}")
    return Z


def _is_positive_integer(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 1


def _eps_squared(eps):
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not eps > 0:
        raise TaskAdaptError(f"eps must be a positive number, got {eps!r}")
    return float(eps) ** 2


def _count(Z):
    """Number of rows of ``Z`` as a float tensor (it may be unknown until run time)."""
    return ops.cast(ops.shape(Z)[0], Z.dtype)


def _rate_side(m, d):
    """Gram side for ``R``: ``Z Z^T`` ("samples") when ``m < d``, else ``Z^T Z`` ("features")."""
    return "samples" if m is not None and m < d else "features"


def _class_rate_side(m, d, num_classes):
    """Cheaper form of ``Rc`` (module docstring) from the static shapes."""
    if num_classes is None:
        return "samples"
    if m is None:
        return "features"
    samples_cost = m * m * d + m**3 / 3
    features_cost = num_classes * (m * d * d + d**3 / 3)
    return "samples" if samples_cost < features_cost else "features"


def _gram(Z, side):
    if side == "samples":
        return ops.matmul(Z, ops.transpose(Z))
    return ops.matmul(ops.transpose(Z), Z)


def _identity_plus(matrices):
    return matrices + ops.eye(ops.shape(matrices)[-1], dtype=matrices.dtype)


def _log_diagonal(factors):
    """``log diag(L)`` of Cholesky factors ``L``: ``logdet(L L^T) = 2 * sum`` of them."""
    return ops.log(ops.diagonal(factors, axis1=-2, axis2=-1))


def _rate(gram, scale):
    """``1/2 logdet(I + scale * gram)``, eq. (3.2)."""
    return ops.sum(_log_diagonal(ops.cholesky(_identity_plus(scale * gram))))


@tf.custom_gradient
def _features_class_rate(Z, member, weights, scales):
    """``Rc`` of eq. (3.3) in the features form, with its gradient written out.

    With ``s_j = d / (tr(Pi_j) eps^2)``, ``A_j = I + s_j Z^T Pi_j Z`` and the weights
    ``w_j = tr(Pi_j) s_j / m``: ``Rc = sum_j w_j / (2 s_j) logdet(A_j)`` and
    ``dRc/dZ = sum_j w_j Pi_j Z A_j^-1``, one ``K m d^2`` product where automatic
    differentiation of the class Gram matrices takes two.
    """
    members = ops.expand_dims(ops.transpose(Z), 0) * ops.expand_dims(ops.transpose(member), 1)
    class_grams = ops.matmul(members, Z)  # (K, d, d): Z^T Pi_j Z
    factors = ops.cholesky(_identity_plus(scales[:, None, None] * class_grams))
    class_rate = ops.sum(weights / scales * ops.sum(_log_diagonal(factors), axis=-1))

    def gradient(upstream):
        m, d = ops.shape(Z)[0], Z.shape[1]
        inverses = weights[:, None, None] * ops.cholesky_inverse(factors)  # (K, d, d)
        inverses = ops.reshape(ops.transpose(inverses, (1, 0, 2)), (d, -1))  # (d, K d)
        per_class = ops.reshape(ops.matmul(Z, inverses), (m, -1, d))  # Z A_j^-1 w_j
        grad = ops.sum(per_class * ops.expand_dims(member, -1), axis=1)  # row i: its class
        return upstream * grad, None, None, None

    return class_rate, gradient


def _rates(Z, labels, eps, num_classes, rows):
    """``(R, Rc)`` of eqs. (3.2)-(3.3) for codes ``Z`` (m, d) and int32 ``labels`` (m,).

    ``rows`` is the static estimate of ``m`` (or None) that picks the cheaper forms.
    """
    m, d = rows, Z.shape[1]
    count = _count(Z)
    eps2 = _eps_squared(eps)
    rate_side = _rate_side(m, d)
    class_side = _class_rate_side(m, d, num_classes)
    if class_side == "features":
        member = ops.one_hot(labels, num_classes, dtype=Z.dtype)  # (m, K): diagonals of Pi_j
        sizes = ops.sum(member, axis=0)  # tr(Pi_j)
        scales = d / (eps2 * ops.maximum(sizes, 1.0))
        class_rate = _features_class_rate(Z, member, sizes * scales / count, scales)
    else:
        gram = _gram(Z, "samples")
        same = ops.cast(ops.equal(labels[:, None], labels[None, :]), Z.dtype)
        sizes = ops.sum(same, axis=1)  # tr(Pi_j) of each row's class
        blocks = gram * same * (d / (eps2 * sizes))[:, None]
        class_rate = ops.sum(sizes * _log_diagonal(ops.cholesky(_identity_plus(blocks)))) / count
    rate_gram = gram if class_side == rate_side == "samples" else _gram(Z, rate_side)
    return _rate(rate_gram, d / (eps2 * count)), class_rate
