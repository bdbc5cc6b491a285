"""Models of seed 000 chapter 3: the wavelet-domain ResNet (figure 3.1), the split auto-encoder
(figure 3.3) and its quantizer."""
import keras
import numpy as np
import pytest
import pywt

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.hierarchical.latent import LatentQuantizer
from keras_taskadapt.hierarchical.models.split_autoencoder import split_autoencoder
from keras_taskadapt.hierarchical.models.wavelet_resnet import wavelet_resnet_classifier
from keras_taskadapt.hierarchical.pruning import count_flops

# Counts by hand from section 3.3.1: 12 sub-bands in, a 64-filter 3x3 stem, ResNet-18 modules of
# 64, 128, 256 filters (two basic blocks each, strides 1, 2, 2), the 512 module removed.


def trainable(*models):
    return sum(int(np.prod(weight.shape)) for model in models for weight in model.trainable_weights)


def basic_block(inputs, outputs, positions):
    """(trainable parameters, FLOPs) of a basic block; ``positions`` = output H x W."""
    params = 9 * inputs * outputs + 9 * outputs * outputs + 4 * outputs
    macs = (9 * inputs * outputs + 9 * outputs * outputs) * positions
    if inputs != outputs:
        params += inputs * outputs + 2 * outputs
        macs += inputs * outputs * positions
    return params, 2 * macs


def test_wavelet_resnet18_matches_the_hand_count_of_table_3_1():
    parts = wavelet_resnet_classifier(10, (32, 32, 3), depth=18, width=1, side_dim=128)
    blocks = [(64, 64, 256), (64, 64, 256), (64, 128, 64), (128, 128, 64), (128, 256, 16), (256, 256, 16)]
    params = 12 * 64 * 9 + 2 * 64 + sum(basic_block(*block)[0] for block in blocks) + 256 * 10 + 10
    flops = 2 * 12 * 64 * 9 * 256 + sum(basic_block(*block)[1] for block in blocks) + 2 * 256 * 10
    assert trainable(parts.encoder, parts.decoder) == params
    assert count_flops(parts.encoder) + count_flops(parts.decoder) == flops
    assert abs(flops - 214e6) / 214e6 < 0.01  # table 3.1: 214 M FLOPs
    assert trainable(parts.side_branch) == 128 * 128 + 128
    assert parts.encoder.output.shape[1:] == (8, 8, 128) and parts.quantizer is None


def test_split_autoencoder_shapes_and_separate_parts():
    for shape in ((32, 32, 3), (64, 64, 3)):
        parts = split_autoencoder(7, shape, depth=34, width=0.125, latent_dim=24, side_dim=16)
        module2 = parts.encoder.get_layer("m2b4_out").output.shape  # ResNet-34: 4 blocks in module 2
        assert parts.decoder.get_layer("latent_deconv3_relu").output.shape == module2
        assert module2[1:3] == (shape[0] // 4, shape[1] // 4)
        assert parts.encoder.output.shape == (None, 24) and parts.decoder.output.shape == (None, 7)
        assert parts.side_branch.output.shape == (None, 16)
        shared = {id(weight) for weight in parts.encoder.weights} & {id(weight) for weight in parts.decoder.weights}
        assert not shared
    images = np.random.default_rng(0).integers(0, 256, (3, 64, 64, 3)).astype(np.float32)
    probabilities = parts.decoder(parts.quantizer(parts.encoder(images)))
    np.testing.assert_allclose(np.sum(probabilities, axis=1), 1.0, rtol=1e-5)


def test_wavelet_front_sees_the_dwt_subbands():
    parts = split_autoencoder(3, (16, 16, 3), width=0.125, latent_dim=4, wavelet="haar")
    subbands = keras.Model(parts.encoder.input, parts.encoder.get_layer("subband_scale").output)
    image = np.random.default_rng(1).integers(0, 256, (1, 16, 16, 3)).astype(np.float32)
    luma = (image[0] - 128.0) @ np.array([0.299, 0.587, 0.114])
    approximation, _ = pywt.dwt2(luma, "haar", mode="periodization")
    np.testing.assert_allclose(np.asarray(subbands(image))[0, :, :, 0] * 128.0, approximation, atol=2e-3)


@pytest.mark.parametrize("build", [
    lambda: split_autoencoder(10, (30, 30, 3)),
    lambda: split_autoencoder(10, (32, 32, 3), depth=20),
    lambda: split_autoencoder(10, (32, 32, 3), latent_dim=0),
    lambda: split_autoencoder(10, (32, 32, 1)),
    lambda: wavelet_resnet_classifier(10, side_dim=-1),
])
def test_bad_model_options_are_user_errors(build):
    with pytest.raises(TaskAdaptError):
        build()


def test_quantizer_rounds_at_inference_and_adds_bounded_uniform_noise_in_training():
    quantizer = LatentQuantizer(noise=1.0, seed=3)
    quantizer.build((None, 4))
    latent = np.random.default_rng(2).normal(0, 5, (20000, 4)).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(quantizer(latent)), np.round(latent))
    noise = np.asarray(quantizer(latent, training=True)) - latent
    assert np.abs(noise).max() <= 1.0 + 1e-5 and np.abs(noise).max() > 0.99
    assert abs(noise.mean()) < 0.02 and abs(noise.var() - 1 / 3) < 0.01  # U(-1, 1)
    quantizer.set_step_sizes([0.5, 1.0, 2.0, 4.0])
    steps = np.array([0.5, 1.0, 2.0, 4.0], np.float32)
    symbols = np.asarray(quantizer.to_symbols(latent))
    np.testing.assert_array_equal(symbols, np.round(latent / steps))
    np.testing.assert_array_equal(np.asarray(quantizer(latent)), symbols * steps)
    scaled_noise = np.abs(np.asarray(quantizer(latent, training=True)) - latent).max(axis=0)
    assert (scaled_noise <= steps + 1e-5).all() and (scaled_noise > 0.99 * steps).all()
    with pytest.raises(TaskAdaptError):
        quantizer.set_step_sizes([1.0, 0.0, 1.0, 1.0])
    with pytest.raises(TaskAdaptError):
        LatentQuantizer(noise=-1)


def test_quantizer_steps_travel_with_a_saved_model(tmp_path):
    inputs = keras.Input((3,))
    quantizer = LatentQuantizer(name="quantizer")
    model = keras.Model(inputs, quantizer(inputs))
    quantizer.set_step_sizes([1.0, 2.0, 3.0])
    model.save(tmp_path / "q.keras")
    loaded = keras.models.load_model(tmp_path / "q.keras")
    latent = np.array([[2.6, 2.6, 2.6]], np.float32)
    np.testing.assert_allclose(np.asarray(loaded(latent)), [[3.0, 2.0, 3.0]])
