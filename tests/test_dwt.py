"""DWT2D / InverseDWT2D against PyWavelets (seed 000 section 3.3.1)."""
import numpy as np
import pytest
import pywt

keras = pytest.importorskip("keras")

from keras_taskadapt.core.errors import TaskAdaptError  # noqa: E402
from keras_taskadapt.hierarchical.transforms import DWT2D, SUBBANDS, InverseDWT2D  # noqa: E402

WAVELETS = ["haar", "bior2.2", "bior4.4"]
SIZES = [(32, 32), (64, 48), (2, 4), (6, 10)]  # the last two wrap the periodic pad around


def pywt_bands(images, wavelet):
    """pywt.dwt2 sub-bands in the layer's band-grouped channel order."""
    approx, details = pywt.dwt2(images, wavelet, mode="periodization", axes=(1, 2))
    return np.concatenate([approx, *details], axis=-1)


def pywt_inverse(bands, wavelet):
    approx, horizontal, vertical, diagonal = np.split(bands, 4, axis=-1)
    return pywt.idwt2(
        (approx, (horizontal, vertical, diagonal)), wavelet, mode="periodization", axes=(1, 2)
    )


@pytest.mark.parametrize("wavelet", WAVELETS)
@pytest.mark.parametrize("size", SIZES)
def test_dwt_equals_pywt_and_inverts(wavelet, size):
    rng = np.random.default_rng(0)
    images = rng.random((2, *size, 3)).astype(np.float32)
    bands = np.asarray(DWT2D(wavelet)(images))
    assert bands.shape == (2, size[0] // 2, size[1] // 2, 12)
    np.testing.assert_allclose(bands, pywt_bands(images.astype(np.float64), wavelet), atol=1e-4)
    np.testing.assert_allclose(np.asarray(InverseDWT2D(wavelet)(bands)), images, atol=1e-4)


@pytest.mark.parametrize("wavelet", WAVELETS)
def test_inverse_equals_pywt_idwt2_on_any_coefficients(wavelet):
    coefficients = np.random.default_rng(1).normal(size=(2, 16, 12, 8))
    expected = pywt_inverse(coefficients, wavelet)
    np.testing.assert_allclose(
        np.asarray(InverseDWT2D(wavelet)(coefficients.astype(np.float32))), expected, atol=1e-4
    )
    # In float64 the only difference left is rounding: the filter alignment is exact.
    np.testing.assert_allclose(
        np.asarray(InverseDWT2D(wavelet, dtype="float64")(coefficients)), expected, atol=1e-12
    )


def test_float64_forward_is_exact_and_bands_are_grouped():
    images = np.random.default_rng(2).random((1, 8, 6, 2))
    bands = np.asarray(DWT2D("bior4.4", dtype="float64")(images))
    np.testing.assert_allclose(bands, pywt_bands(images, "bior4.4"), atol=1e-12)
    approx = pywt.dwt2(images[0, :, :, 1], "bior4.4", mode="periodization")[0]
    assert SUBBANDS[0] == "cA"
    np.testing.assert_allclose(bands[0, :, :, 1], approx, atol=1e-12)  # band 0, channel 1


def test_unknown_image_size_and_save_reload(tmp_path):
    inputs = keras.Input((None, None, 3))
    bands = DWT2D("bior2.2")(inputs)
    assert tuple(bands.shape) == (None, None, None, 12)
    model = keras.Model(inputs, [bands, InverseDWT2D("bior2.2")(bands)])
    path = tmp_path / "dwt.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path)
    assert [layer.get_config()["wavelet"] for layer in reloaded.layers[1:]] == ["bior2.2"] * 2
    images = np.random.default_rng(3).random((2, 32, 48, 3)).astype(np.float32)
    for before, after in zip(model(images), reloaded(images)):
        np.testing.assert_array_equal(np.asarray(before), np.asarray(after))
    np.testing.assert_allclose(np.asarray(reloaded(images)[1]), images, atol=1e-4)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: DWT2D("no-such-wavelet"), "not a discrete PyWavelets wavelet"),
        (lambda: InverseDWT2D("morl"), "not a discrete PyWavelets wavelet"),
        (lambda: DWT2D()(np.zeros((1, 31, 32, 3))), "even image height and width"),
        (lambda: DWT2D()(np.zeros((1, 32, 9, 3))), "even image height and width"),
        (lambda: DWT2D()(np.zeros((32, 32, 3))), "expects images"),
        (lambda: InverseDWT2D()(np.zeros((1, 4, 4, 6))), "multiple of 4"),
    ],
)
def test_bad_input_raises_user_error(make, message):
    with pytest.raises(TaskAdaptError, match=message) as error:
        make()
    assert "\n" not in str(error.value)
