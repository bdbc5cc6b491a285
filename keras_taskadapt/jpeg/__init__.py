"""JPEG inside the network: joint compression and classification (seed 000, chapter 2).

Layers (Keras 3, serializable): :class:`JpegEncoder`, :class:`JpegDecoder`,
:class:`JpegCodec`, built from :class:`ColorTransform` (sections 2.2.1, 2.4.3), 4:2:0
subsampling, the 8x8 block DCT (2.2.1) and :class:`QuantizationKernels` (2.3.2).
Rate surrogates: :class:`QuantizationRate` (2.3.2-2.3.4). Tables: :func:`standard_qtables`,
:func:`clip_to_baseline`. Real files: :func:`encode_jpeg`, :func:`jpeg_roundtrip` (2.3.6). The DCT-domain classifier of
figure 2.6: :func:`dct_domain_resnet`. The joint model: :class:`JointCompressionClassifier`.
"""
from keras_taskadapt.jpeg.codec import JpegCodec, JpegDecoder, JpegEncoder
from keras_taskadapt.jpeg.coefficients import quantized_coefficients
from keras_taskadapt.jpeg.color import ColorTransform
from keras_taskadapt.jpeg.dct import block_dct, block_idct, dct_matrix
from keras_taskadapt.jpeg.dct_domain import dct_domain_resnet
from keras_taskadapt.jpeg.files import decode_jpeg, encode_jpeg, jpeg_roundtrip, write_jpeg
from keras_taskadapt.jpeg.joint_model import JointCompressionClassifier
from keras_taskadapt.jpeg.quality_metrics import psnr, ssim
from keras_taskadapt.jpeg.quantization import COMPONENTS, QuantizationKernels
from keras_taskadapt.jpeg.rate import QuantizationRate, quantization_rate
from keras_taskadapt.jpeg.real_rate import evaluate_real_jpeg
from keras_taskadapt.jpeg.table_files import (
    plot_qtables,
    read_cjpeg_qtables,
    read_qtables_json,
    write_cjpeg_qtables,
    write_qtables_header,
    write_qtables_json,
)
from keras_taskadapt.jpeg.tables import clip_to_baseline, standard_qtables

__all__ = [
    "JointCompressionClassifier",
    "evaluate_real_jpeg",
    "COMPONENTS",
    "ColorTransform",
    "JpegCodec",
    "JpegDecoder",
    "JpegEncoder",
    "QuantizationKernels",
    "QuantizationRate",
    "block_dct",
    "block_idct",
    "clip_to_baseline",
    "dct_domain_resnet",
    "dct_matrix",
    "decode_jpeg",
    "encode_jpeg",
    "jpeg_roundtrip",
    "plot_qtables",
    "psnr",
    "quantization_rate",
    "quantized_coefficients",
    "read_cjpeg_qtables",
    "read_qtables_json",
    "ssim",
    "standard_qtables",
    "write_cjpeg_qtables",
    "write_jpeg",
    "write_qtables_header",
    "write_qtables_json",
]
