"""Real rates, not surrogates: every test image written as a real baseline JPEG file
with the learned tables (seed 000, sections 2.3.6 and 2.4).

The tables are rounded and clipped to the baseline range 1..255 (the number of clipped
entries is reported); component i uses table i; chroma is subsampled 4:2:0; Huffman tables
are optimized for each file (libjpeg's ``optimize_coding``, through Pillow). Accuracy is
measured by the classifier on the decoded files, i.e. on what a deployed camera would send.
"""

import numpy as np

from keras_taskadapt.jpeg.files import jpeg_roundtrip
from keras_taskadapt.jpeg.quality_metrics import psnr, ssim
from keras_taskadapt.jpeg.tables import clip_to_baseline

BYTES_PER_KB = 1024


def evaluate_real_jpeg(classifier, qtables, batches):
    """Encode, decode and classify every image of ``batches`` ((uint8 images, labels) pairs).

    Returns the flat metrics ``accuracy``, ``kb_per_image`` (KiB), ``bpp`` (bits per pixel),
    ``psnr`` (dB, mean over images), ``ssim`` (mean), ``clipped_entries``, ``images``.
    """
    tables, clipped = clip_to_baseline(qtables)
    correct = images_seen = pixels = 0
    sizes, psnrs, ssims = [], [], []
    for images, labels in batches:
        images, labels = np.asarray(images), np.asarray(labels)
        decoded, file_sizes = jpeg_roundtrip(images, tables)
        predictions = np.asarray(classifier.predict_on_batch(decoded.astype(np.float32)))
        correct += int(np.sum(np.argmax(predictions, axis=-1) == labels))
        images_seen += len(labels)
        pixels += images.shape[1] * images.shape[2] * len(labels)
        sizes.append(file_sizes)
        psnrs.append(psnr(images, decoded))
        ssims.append(ssim(images, decoded))
    sizes = np.concatenate(sizes)
    finite_psnr = np.concatenate(psnrs)
    finite_psnr = finite_psnr[np.isfinite(finite_psnr)]
    return {
        "accuracy": correct / images_seen,
        "kb_per_image": float(sizes.mean() / BYTES_PER_KB),
        "bpp": float(8.0 * sizes.sum() / pixels),
        "psnr": float(finite_psnr.mean()) if finite_psnr.size else float("inf"),
        "ssim": float(np.concatenate(ssims).mean()),
        "clipped_entries": int(clipped),
        "images": images_seen,
    }
