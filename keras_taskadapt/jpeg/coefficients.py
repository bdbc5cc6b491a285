"""The quantized DCT coefficients of one image, as a JPEG file would store them (seed 000, 2.2.1).

Computed by the same :class:`JpegEncoder` layers that train, so that tests and users can
compare them with the coefficients libjpeg writes (e.g. read back with ``jpeglib``).
"""
import numpy as np
from keras import ops

from keras_taskadapt.jpeg.codec import JpegEncoder
from keras_taskadapt.jpeg.dct import BLOCK
from keras_taskadapt.jpeg.files import as_rgb_image
from keras_taskadapt.jpeg.quantization import COMPONENTS
from keras_taskadapt.jpeg.subsampling import round_up
from keras_taskadapt.jpeg.tables import as_qtables

#: Pixels per block side of Y and of the 4:2:0 chroma components.
BLOCK_PIXELS = {"y": BLOCK, "cb": 2 * BLOCK, "cr": 2 * BLOCK}


def quantized_coefficients(image, qtables):
    """Quantized DCT coefficients of ``image`` under ``qtables``, per component.

    Args:
        image: one H x W x 3 uint8 RGB array.
        qtables: (3, 8, 8) tables for Y, Cb, Cr in natural row-major order.

    Returns:
        ``(y, cb, cr)`` int32 arrays shaped (block_rows, block_cols, 8, 8) in natural
        order: Y has ceil(H/8) x ceil(W/8) blocks, Cb and Cr ceil(H/16) x ceil(W/16), the
        blocks that cover the image (libjpeg's extra MCU padding blocks are left out).
    """
    image = as_rgb_image(image)
    encoder = JpegEncoder(initial_tables=as_qtables(qtables), round_samples=True)
    grids = encoder(ops.convert_to_tensor(image[None], dtype="float32"))
    height, width = image.shape[:2]
    result = []
    for name in COMPONENTS:
        rows = round_up(height, BLOCK_PIXELS[name]) // BLOCK_PIXELS[name]
        cols = round_up(width, BLOCK_PIXELS[name]) // BLOCK_PIXELS[name]
        grid = ops.convert_to_numpy(grids[name])[0, :rows, :cols]
        result.append(np.rint(grid).astype(np.int32).reshape(rows, cols, BLOCK, BLOCK))
    return tuple(result)
