"""Real rates, not surrogates: every test image written as a real baseline JPEG file
with the learned tables (seed 000, sections 2.3.6 and 2.4).

The tables are rounded and clipped to the baseline range 1..255 (the number of clipped
entries is reported); component i uses table i; chroma is subsampled 4:2:0; Huffman tables
are optimized for each file (libjpeg's ``optimize_coding``, through Pillow). Accuracy is
measured by the classifier on the decoded files, i.e. on what a deployed camera would send.
"""

import os
import tempfile

import numpy as np

from keras_taskadapt.core.distribute import local_inference
from keras_taskadapt.jpeg.files import decode_jpeg, encode_jpeg
from keras_taskadapt.jpeg.quality_metrics import psnr, ssim
from keras_taskadapt.jpeg.tables import clip_to_baseline

BYTES_PER_KB = 1024
INPUT_DOMAINS = ("pixels", "dct")


def stored_coefficient_grids(files):
    """The quantized coefficients libjpeg stored in each JPEG file, as the encoder's grids.

    Returns ``{"y": (N, rows, cols, 64), "cb": ..., "cr": ...}`` float32, read with
    ``jpeglib`` (MCU-padded block counts, which is the :class:`JpegEncoder` layout).
    """
    import jpeglib

    grids = {"y": [], "cb": [], "cr": []}
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "image.jpg")
        for data in files:
            with open(path, "wb") as handle:
                handle.write(data)
            stored = jpeglib.read_dct(path)
            for name, blocks in (("y", stored.Y), ("cb", stored.Cb), ("cr", stored.Cr)):
                grids[name].append(blocks.reshape(blocks.shape[0], blocks.shape[1], 64))
    return {name: np.stack(values).astype(np.float32) for name, values in grids.items()}


def evaluate_real_jpeg(classifier, qtables, batches, input_domain="pixels"):
    """Encode, decode and classify every image of ``batches`` ((uint8 images, labels) pairs).

    ``input_domain`` says what the classifier reads: ``pixels`` (the decoded files) or
    ``dct`` (the quantized coefficients stored in the files, for DCT-domain classifiers,
    section 2.3.4). Returns the flat metrics ``accuracy``, ``kb_per_image`` (KiB), ``bpp``
    (bits per pixel), ``psnr`` (dB, mean over images), ``ssim`` (mean), ``clipped_entries``,
    ``images``.
    """
    if input_domain not in INPUT_DOMAINS:
        raise ValueError(f"input_domain must be one of {INPUT_DOMAINS}, got {input_domain!r}")
    tables, clipped = clip_to_baseline(qtables)
    classify = local_inference(classifier)
    correct = images_seen = pixels = 0
    sizes, psnrs, ssims = [], [], []
    for images, labels in batches:
        images, labels = np.asarray(images), np.asarray(labels)
        files = [encode_jpeg(image, tables) for image in images]
        decoded = np.stack([decode_jpeg(data) for data in files])
        file_sizes = np.array([len(data) for data in files])
        inputs = decoded.astype(np.float32) if input_domain == "pixels" else stored_coefficient_grids(files)
        predictions = classify(inputs)
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
