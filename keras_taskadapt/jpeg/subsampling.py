"""4:2:0 chroma subsampling and upsampling with libjpeg's edge padding (seed 000, 2.2.1).

Section 2.2.1 subsamples Cb and Cr by 2 vertically and horizontally; section 2.3.2
upsamples them bilinearly in the reconstruction layer. A 4:2:0 minimum coded unit (MCU)
is 16x16 pixels, so libjpeg pads each component by edge replication before the DCT:

- horizontally, the full-resolution rows are replicated to a multiple of 16 columns;
- vertically, full-resolution rows are replicated to an even count, Cb and Cr are then
  downsampled, and the downsampled rows are replicated to a multiple of 8 (Y's rows are
  replicated to a multiple of 16).

Downsampling is libjpeg's ``h2v2_downsample``: (a + b + c + d + bias) >> 2 with bias 1, 2,
1, 2, ... along each output row. Bilinear upsampling with half-pixel centres and clamped
edges is libjpeg's default "fancy" h2v2 upsampling (3/4, 1/4 triangle weights).
"""
from keras import ops

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.jpeg.rounding import floor_to_integer

#: Side of a 4:2:0 minimum coded unit in full-resolution pixels.
MCU_SIZE = 16


def round_up(size, multiple):
    """``size`` rounded up to a multiple of ``multiple``."""
    return -(-size // multiple) * multiple


def static_image_size(images):
    """(height, width) of a channels-last batch; they must be known when the graph is built."""
    height, width = images.shape[-3], images.shape[-2]
    if height is None or width is None:
        raise TaskAdaptError("the JPEG layers need images of a fixed height and width; give the Input a full shape")
    return int(height), int(width)


def pad_edges(images, height, width):
    """Replicate the last row and column of ``images`` (B, H, W, C) up to ``height`` x ``width``."""
    rows, cols = static_image_size(images)
    if height > rows:
        images = ops.concatenate([images, ops.repeat(images[:, -1:], height - rows, axis=1)], axis=1)
    if width > cols:
        images = ops.concatenate([images, ops.repeat(images[:, :, -1:], width - cols, axis=2)], axis=2)
    return images


def downsample_2x2(planes, round_samples=True):
    """2x2 mean of (B, H, W, C) planes with even H, W; libjpeg's biased integer mean when rounding."""
    mean = ops.average_pool(planes, pool_size=2, strides=2, padding="valid", data_format="channels_last")
    if not round_samples:
        return mean
    bias = ops.tile(ops.convert_to_tensor([[1.0], [2.0]], dtype=mean.dtype), (mean.shape[2] // 2, 1))
    return floor_to_integer(mean + bias / 4.0)


def subsample_420(ycbcr, round_samples=True):
    """Split (B, H, W, 3) samples into MCU-padded luma and 4:2:0 chroma planes.

    Returns ``(luma, chroma)`` shaped (B, H16, W16, 1) and (B, H16/2, W16/2, 2), where H16
    and W16 are H and W rounded up to multiples of 16, padded as libjpeg pads them.
    """
    rows, cols = static_image_size(ycbcr)
    mcu_rows, mcu_cols = round_up(rows, MCU_SIZE), round_up(cols, MCU_SIZE)
    padded = pad_edges(ycbcr, mcu_rows, mcu_cols)
    chroma = downsample_2x2(padded[:, : round_up(rows, 2), :, 1:], round_samples)
    chroma = pad_edges(chroma, mcu_rows // 2, mcu_cols // 2)
    return padded[..., :1], chroma


def upsample_axis(planes, axis):
    """libjpeg's triangle ("fancy") 2x upsampling of (B, H, W, C) planes along ``axis`` (1 or 2).

    Output sample 2i is 3/4 x[i] + 1/4 x[i-1], sample 2i+1 is 3/4 x[i] + 1/4 x[i+1], with x
    clamped at the ends: linear interpolation at half-pixel centres. Computed from shifted
    copies (exact for 8-bit samples, as the weights are powers of two), not a matrix product.
    """
    size = planes.shape[axis]

    def samples(start, stop):
        return planes[:, start:stop] if axis == 1 else planes[:, :, start:stop]

    previous = ops.concatenate([samples(0, 1), samples(0, size - 1)], axis=axis)
    following = ops.concatenate([samples(1, size), samples(size - 1, size)], axis=axis)
    pairs = ops.stack([0.75 * planes + 0.25 * previous, 0.75 * planes + 0.25 * following], axis=axis + 1)
    shape = [-1, *planes.shape[1:]]
    shape[axis] = 2 * size
    return ops.reshape(pairs, shape)


def upsample_420(luma, chroma):
    """Bilinear (libjpeg "fancy") chroma upsampling, rows then columns: planes back to (B, H, W, 3)."""
    static_image_size(chroma)
    return ops.concatenate([luma, upsample_axis(upsample_axis(chroma, 1), 2)], axis=-1)
