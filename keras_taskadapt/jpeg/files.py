"""Real baseline JPEG files with given tables, via Pillow/libjpeg (seed 000, 2.3.6, 2.4).

The rates reported for learned tables are those of real files: three tables in the file so
that component i uses table i (Annex A.3.4, B.2.2), 4:2:0 chroma subsampling, and Huffman
tables optimized for the image (section 2.3.6; the seed builds them per table set from
50k training images, libjpeg's ``optimize`` builds them per image).
"""
import io

import numpy as np
from PIL import Image, UnidentifiedImageError

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.core.files import write_atomically
from keras_taskadapt.jpeg.tables import as_baseline_qtables


def as_rgb_image(image):
    """``image`` checked to be one HxWx3 uint8 RGB array, else a one-line TaskAdaptError."""
    array = np.asarray(image)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[-1] != 3 or min(array.shape[:2]) < 1:
        raise TaskAdaptError(f"expected one H x W x 3 uint8 RGB image, got a {array.dtype} array of shape "
                             f"{array.shape}")
    return array


def encode_jpeg(image, qtables):
    """One HxWx3 uint8 RGB image -> baseline JPEG bytes with the three tables ``qtables``.

    ``qtables`` must be integers in 1..255 (see :func:`clip_to_baseline`). No quality is
    passed to Pillow, so it stores the tables unscaled.
    """
    tables = as_baseline_qtables(qtables)
    buffer = io.BytesIO()
    Image.fromarray(as_rgb_image(image), "RGB").save(
        buffer,
        format="JPEG",
        qtables=[table.ravel().tolist() for table in tables],
        subsampling="4:2:0",
        optimize=True,
    )
    return buffer.getvalue()


def decode_jpeg(data):
    """JPEG bytes -> HxWx3 uint8 RGB array (libjpeg's decoder, fancy upsampling)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return np.asarray(image.convert("RGB"))
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise TaskAdaptError(f"not a readable JPEG stream ({error})") from None


def write_jpeg(path, image, qtables):
    """Write ``image`` as a baseline JPEG with ``qtables`` to ``path``; returns its size in bytes."""
    data = encode_jpeg(image, qtables)
    write_atomically(path, data)
    return len(data)


def jpeg_roundtrip(images, qtables):
    """Encode and decode each image of an (N, H, W, 3) uint8 batch as a real JPEG file.

    Returns ``(decoded, sizes)``: the decoded (N, H, W, 3) uint8 images, what a deployed
    camera would send, and the (N,) file sizes in bytes.
    """
    tables = as_baseline_qtables(qtables)
    encoded = [encode_jpeg(image, tables) for image in images]
    return np.stack([decode_jpeg(data) for data in encoded]), np.array([len(data) for data in encoded])
