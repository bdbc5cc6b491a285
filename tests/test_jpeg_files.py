"""Real JPEG files with learned tables, and the PSNR/SSIM of their decoded images."""
import io

import jpeglib
import numpy as np
import pytest
from PIL import Image, JpegImagePlugin

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.jpeg import (
    clip_to_baseline,
    decode_jpeg,
    encode_jpeg,
    jpeg_roundtrip,
    psnr,
    ssim,
    standard_qtables,
    write_jpeg,
)


def learned_tables():
    """Float tables as a trained model exports them: fractional, < 1, > 255 and discarded."""
    tables = standard_qtables(40) * np.linspace(0.7, 1.9, 192).reshape(3, 8, 8)
    tables[0, 0, 0] = 0.3
    tables[1, 7, 7] = 410.0
    tables[2, 6, 7] = np.inf
    return tables


@pytest.fixture
def kodak_crop(kodak_dir):
    return np.asarray(Image.open(kodak_dir / "kodim04.png").convert("RGB"))[300:396, 200:280]


def test_file_carries_the_three_learned_tables(kodak_crop, tmp_path):
    tables, clipped = clip_to_baseline(learned_tables())
    assert clipped == 3
    assert len({table.tobytes() for table in tables}) == 3
    path = tmp_path / "learned.jpg"
    size = write_jpeg(path, kodak_crop, tables)
    assert size == path.stat().st_size
    with Image.open(path) as image:
        assert sorted(image.quantization) == [0, 1, 2]
        for index in range(3):
            np.testing.assert_array_equal(np.reshape(image.quantization[index], (8, 8)), tables[index])
        assert JpegImagePlugin.get_sampling(image) == 2  # 4:2:0
    stored = jpeglib.read_dct(str(path))
    assert stored.quant_tbl_no.tolist() == [0, 1, 2]  # component i uses table i
    np.testing.assert_array_equal(stored.qt, tables)


def test_optimized_huffman_tables_make_smaller_files(kodak_crop):
    tables = standard_qtables(75)
    plain = io.BytesIO()
    Image.fromarray(kodak_crop).save(plain, format="JPEG", qtables=[t.ravel().tolist() for t in tables], subsampling="4:2:0")
    optimized = encode_jpeg(kodak_crop, tables)
    assert len(optimized) < len(plain.getvalue())
    np.testing.assert_array_equal(decode_jpeg(optimized), decode_jpeg(plain.getvalue()))


def test_roundtrip_returns_decoded_images_and_sizes(kodak_crop):
    batch = np.stack([kodak_crop, kodak_crop[::-1]])
    decoded, sizes = jpeg_roundtrip(batch, standard_qtables(50))
    assert decoded.shape == batch.shape and decoded.dtype == np.uint8
    assert sizes.tolist() == [len(encode_jpeg(image, standard_qtables(50))) for image in batch]
    finer, finer_sizes = jpeg_roundtrip(batch, standard_qtables(90))
    assert (finer_sizes > sizes).all()
    assert (psnr(batch, finer) > psnr(batch, decoded)).all() and (psnr(batch, decoded) > 25).all()
    assert (ssim(batch, finer) > ssim(batch, decoded)).all()


def test_psnr_and_ssim_values():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (32, 32, 3)).astype(np.uint8)
    noisy = image.astype(float) + rng.choice([-5.0, 5.0], size=image.shape)  # MSE = 25
    assert psnr(image, noisy)[0] == pytest.approx(10 * np.log10(255**2 / 25))
    assert psnr(image, image)[0] == np.inf
    assert ssim(image, image)[0] == pytest.approx(1.0)
    assert ssim(image, noisy)[0] < 1.0
    with pytest.raises(TaskAdaptError, match="same shape"):
        psnr(image, image[:16])


def test_bad_inputs_are_user_errors(tmp_path):
    image = np.zeros((16, 16, 3), np.uint8)
    with pytest.raises(TaskAdaptError, match="clip_to_baseline"):
        encode_jpeg(image, learned_tables())
    with pytest.raises(TaskAdaptError, match="uint8 RGB image"):
        encode_jpeg(image.astype(float), standard_qtables(50))
    with pytest.raises(TaskAdaptError, match="JPEG"):
        decode_jpeg(b"not a jpeg")
    with pytest.raises(TaskAdaptError):
        write_jpeg(tmp_path / "x.jpg", image, np.ones((3, 8)))
    assert not list(tmp_path.iterdir())
