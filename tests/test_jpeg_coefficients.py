"""Quantized coefficients of the training layers against those libjpeg stores in real files."""
import jpeglib
import numpy as np
import pytest
from PIL import Image

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.jpeg import quantized_coefficients, standard_qtables, write_jpeg


def three_different_tables():
    """A non-standard set of three different, asymmetric tables (catches transposed blocks)."""
    rows, cols = np.mgrid[0:8, 0:8]
    return np.stack([3 + rows + 3 * cols, 4 + 6 * rows + 2 * cols, standard_qtables(60)[0].T])


TABLE_SETS = {"q50": standard_qtables(50), "q90": standard_qtables(90), "three": three_different_tables()}
IMAGES = ["kodim01", "kodim05", "kodim04"]  # two landscape images, one portrait


def agreement(image, tables, path):
    write_jpeg(path, image, tables)
    stored = jpeglib.read_dct(str(path))
    ours = quantized_coefficients(image, tables)
    for theirs, mine in zip((stored.Y, stored.Cb, stored.Cr), ours):
        assert mine.shape == theirs.shape
    equal = sum(int(np.sum(mine == theirs)) for mine, theirs in zip(ours, (stored.Y, stored.Cb, stored.Cr)))
    total = sum(mine.size for mine in ours)
    largest = max(int(np.abs(mine.astype(int) - theirs).max()) for mine, theirs in zip(ours, (stored.Y, stored.Cb, stored.Cr)))
    return equal / total, largest


@pytest.mark.parametrize("table_set", sorted(TABLE_SETS))
@pytest.mark.parametrize("name", IMAGES)
def test_coefficients_agree_with_libjpeg(kodak_dir, tmp_path, name, table_set):
    image = np.asarray(Image.open(kodak_dir / f"{name}.png").convert("RGB"))
    fraction, largest = agreement(image, TABLE_SETS[table_set], tmp_path / "image.jpg")
    assert fraction >= 0.99
    assert largest <= 2


@pytest.mark.parametrize("table_set", sorted(TABLE_SETS))
def test_coefficients_agree_when_sides_are_not_multiples_of_16(kodak_dir, tmp_path, table_set):
    image = np.asarray(Image.open(kodak_dir / "kodim05.png").convert("RGB"))[200:300, 300:377]
    assert image.shape == (100, 77, 3)
    fraction, largest = agreement(image, TABLE_SETS[table_set], tmp_path / "crop.jpg")
    assert fraction >= 0.99
    assert largest <= 2


@pytest.mark.parametrize("window", [(slice(None), slice(None)), (slice(200, 300), slice(300, 377)), (slice(201, 300), slice(300, 379))])
def test_samples_are_bit_exact_with_libjpeg(kodak_dir, tmp_path, window):
    """With tables of ones the DC coefficient is the block sum / 8, exactly, in libjpeg's
    integer DCT and in ours; equal DCs mean equal 8-bit samples: colour rounding, the 1, 2
    bias of 2x2 downsampling and the MCU edge padding all match, for odd sides too."""
    image = np.asarray(Image.open(kodak_dir / "kodim04.png").convert("RGB"))[window]
    ones = np.ones((3, 8, 8), dtype=int)
    write_jpeg(tmp_path / "ones.jpg", image, ones)
    stored = jpeglib.read_dct(str(tmp_path / "ones.jpg"))
    for mine, theirs in zip(quantized_coefficients(image, ones), (stored.Y, stored.Cb, stored.Cr)):
        np.testing.assert_array_equal(mine[..., 0, 0], theirs[..., 0, 0])


def test_coefficient_layout_and_dc_of_a_flat_image():
    image = np.full((20, 40, 3), 200, dtype=np.uint8)
    tables = np.full((3, 8, 8), 2)
    y, cb, cr = quantized_coefficients(image, tables)
    assert y.shape == (3, 5, 8, 8) and cb.shape == (2, 3, 8, 8) and cr.shape == (2, 3, 8, 8)
    # Y = 200 -> centred 72 -> DC = 8 * 72 = 576 -> 576 / 2 = 288; no AC; grey has Cb = Cr = 128.
    assert (y[..., 0, 0] == 288).all() and np.count_nonzero(y) == y[..., 0, 0].size
    assert np.count_nonzero(cb) == 0 and np.count_nonzero(cr) == 0


def test_vertical_frequency_is_the_row_index():
    ramp = np.repeat(np.linspace(0, 255, 16)[:, None], 16, axis=1).astype(np.uint8)
    y, _, _ = quantized_coefficients(np.stack([ramp] * 3, axis=-1), np.ones((3, 8, 8)))
    assert y[0, 0, 1, 0] != 0 and (y[0, 0, :, 1:] == 0).all()


@pytest.mark.parametrize(
    "image", [np.zeros((8, 8, 3), np.float32), np.zeros((8, 8), np.uint8), np.zeros((1, 8, 8, 3), np.uint8), np.zeros((8, 8, 4), np.uint8)]
)
def test_bad_images_are_user_errors(image):
    with pytest.raises(TaskAdaptError, match="uint8 RGB image"):
        quantized_coefficients(image, standard_qtables(50))


def test_bad_tables_are_user_errors():
    with pytest.raises(TaskAdaptError, match=r"\(3, 8, 8\)"):
        quantized_coefficients(np.zeros((8, 8, 3), np.uint8), np.ones((2, 8, 8)))
