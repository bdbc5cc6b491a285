"""Robustness studies of split auto-encoders (seed 000 section 3.4, seeds 001 and 002).

- :class:`KLDecoderRetraining`: a new decoder trained with KL-divergence on a frozen encoder.
- :func:`linear_svm_decoder`: a linear SVM on the quantized latent as the server's classifier.
- :func:`distortion_rows`, :data:`DISTORTIONS`: the deployed pipeline on distorted test images.

The training-set studies (corrupted labels, imbalanced classes) are data sets:
:mod:`keras_taskadapt.data.label_noise` and :mod:`keras_taskadapt.data.imbalance`.
"""
from keras_taskadapt.hierarchical.robustness.distortions import (
    DEFAULT_STRENGTHS,
    DISTORTIONS,
    check_strength,
    distortion,
    distortion_rows,
    plot_distortions,
)
from keras_taskadapt.hierarchical.robustness.kl_decoder import KLDecoderRetraining, fresh_decoder
from keras_taskadapt.hierarchical.robustness.linear_svm import linear_svm_decoder

__all__ = [
    "DEFAULT_STRENGTHS",
    "DISTORTIONS",
    "KLDecoderRetraining",
    "check_strength",
    "distortion",
    "distortion_rows",
    "fresh_decoder",
    "linear_svm_decoder",
    "plot_distortions",
]
