"""The JPEG layers: DCT, colour transform, quantization kernels, gradients, saving."""
import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.jpeg import (
    ColorTransform,
    JpegCodec,
    JpegDecoder,
    JpegEncoder,
    QuantizationKernels,
    QuantizationRate,
    block_dct,
    block_idct,
    dct_matrix,
    decode_jpeg,
    encode_jpeg,
    psnr,
    quantization_rate,
    standard_qtables,
)
from keras_taskadapt.jpeg.color import JFIF_RGB_TO_YCBCR


def test_dct_matrix_is_orthonormal_and_matches_the_definition():
    d = dct_matrix()
    np.testing.assert_allclose(d @ d.T, np.eye(8), atol=1e-12)
    block = np.random.default_rng(0).normal(size=(8, 8))
    # F(m, n) = a_m a_n sum_k sum_l I(k, l) cos((2k+1) m pi / 16) cos((2l+1) n pi / 16), section 2.2.1
    alpha = np.sqrt(np.where(np.arange(8) == 0, 1.0, 2.0) / 8)
    cos = np.cos(np.outer(np.arange(8), 2 * np.arange(8) + 1) * np.pi / 16)
    definition = np.einsum("m,n,mk,nl,kl->mn", alpha, alpha, cos, cos, block)
    np.testing.assert_allclose(d @ block @ d.T, definition, atol=1e-12)


def test_block_dct_then_idct_reconstructs():
    plane = np.random.default_rng(1).uniform(-128, 127, (2, 16, 24, 1)).astype("float32")
    coefficients = block_dct(plane)
    assert tuple(coefficients.shape) == (2, 2, 3, 64)
    block = plane[1, 8:16, 16:24, 0]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(coefficients)[1, 1, 2].reshape(8, 8), dct_matrix() @ block @ dct_matrix().T, atol=1e-3)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(block_idct(coefficients)), plane, atol=1e-3)


def test_color_transform_starts_at_jfif_and_keeps_the_constraints():
    color = ColorTransform(learn_coefficients=True)
    decimal = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(color.matrix()), decimal, atol=2e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(color.matrix()), JFIF_RGB_TO_YCBCR, atol=1e-6)
    rng = np.random.default_rng(2)
    for weight in color.trainable_weights:
        weight.assign(rng.normal(size=weight.shape) * 3)
    m = keras.ops.convert_to_numpy(color.matrix())
    np.testing.assert_allclose(m.sum(axis=1), [1.0, 0.0, 0.0], atol=1e-6)  # section 2.4.3
    assert (m[0] >= 0).all() and (m[1, :2] <= 0).all() and (m[2, 1:] <= 0).all()
    assert m[1, 2] == 0.5 and m[2, 0] == 0.5
    rgb = rng.uniform(0, 255, (1, 4, 4, 3)).astype("float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(color.inverse(color(rgb))), rgb, atol=1e-2)


def test_color_stays_frozen_unless_asked_even_when_the_codec_is_unfrozen():
    codec = JpegCodec()
    codec.trainable = False
    codec.trainable = True
    assert len(codec.trainable_weights) == 1 and codec.trainable_weights[0] is codec.quantization.kernels
    assert len(JpegCodec(learn_color=True).trainable_weights) == 4


def test_straight_through_gradient_of_the_quantizer():
    layer = QuantizationKernels(initial_tables=standard_qtables(75), scale=2.0)
    rng = np.random.default_rng(3)
    grids = {name: tf.constant(rng.normal(0, 50, (2, 3, 3, 64)).astype("float32")) for name in ("y", "cb", "cr")}
    with tf.GradientTape() as tape:
        quantized = layer(grids)
        total = sum(tf.reduce_sum(q) for q in quantized.values())
    gradient = tape.gradient(total, layer.kernels).numpy()
    # d/dq sum round(F q / S) := sum F / S (identity in place of round's derivative)
    expected = np.stack([grids[name].numpy().sum(axis=(0, 1, 2)).reshape(8, 8) / 2.0 for name in ("y", "cb", "cr")])
    np.testing.assert_allclose(gradient, expected, rtol=1e-4, atol=1e-3)
    values = quantized["y"].numpy()
    np.testing.assert_array_equal(values, np.round(values))


def test_zero_kernel_entries_discard_coefficients():
    tables = np.full((3, 8, 8), 4.0)
    tables[0, 7, 7] = np.inf
    layer = QuantizationKernels(initial_tables=tables)
    assert layer.kernels.numpy()[0, 7, 7] == 0.0
    grid = tf.fill((1, 1, 1, 64), 100.0)
    quantized = layer.quantize_component(grid, "y")
    assert quantized.numpy()[0, 0, 0, 63] == 0 and quantized.numpy()[0, 0, 0, 0] == 25
    restored = layer.dequantize_component(quantized, "y").numpy()
    assert restored[0, 0, 0, 63] == 0 and restored[0, 0, 0, 0] == 100
    assert np.isinf(layer.qtables()[0, 7, 7]) and layer.qtables()[1, 0, 0] == pytest.approx(4.0)


def test_kernels_initialise_at_ones_or_standard_tables():
    np.testing.assert_array_equal(QuantizationKernels().kernels.numpy(), np.ones((3, 8, 8)))
    np.testing.assert_allclose(QuantizationKernels(initial_tables=30, scale=10.0).qtables(), standard_qtables(30), rtol=1e-6)
    with pytest.raises(TaskAdaptError, match="quality"):
        QuantizationKernels(initial_tables=0)
    with pytest.raises(TaskAdaptError, match="scale"):
        QuantizationKernels(scale=0.0)


def test_encoder_layout_pads_to_whole_mcus():
    grids = JpegEncoder(initial_tables=50)(np.zeros((3, 40, 24, 3), "float32"))
    assert {name: tuple(grid.shape) for name, grid in grids.items()} == {
        "y": (3, 6, 4, 64),
        "cb": (3, 3, 2, 64),
        "cr": (3, 3, 2, 64),
    }


def test_codec_reconstruction_is_close_to_libjpegs(kodak_dir):
    image = np.asarray(Image.open(kodak_dir / "kodim05.png").convert("RGB"))[100:228, 200:328]
    decoded_file = decode_jpeg(encode_jpeg(image, standard_qtables(75)))
    ours = keras.ops.convert_to_numpy(JpegCodec(initial_tables=75)(image[None].astype("float32")))[0]
    assert ours.shape == image.shape
    assert abs(psnr(image, ours)[0] - psnr(image, decoded_file)[0]) < 0.2
    assert np.mean(np.abs(ours - decoded_file)) < 1.0


def test_decoder_crops_and_reads_the_encoders_grids():
    image = np.random.default_rng(4).integers(0, 256, (1, 20, 30, 3)).astype("float32")
    encoder = JpegEncoder(initial_tables=90)
    decoder = JpegDecoder(initial_tables=90, image_size=(20, 30))
    decoded = keras.ops.convert_to_numpy(decoder(encoder(image)))
    codec = keras.ops.convert_to_numpy(JpegCodec(initial_tables=90)(image))
    assert decoded.shape == image.shape
    np.testing.assert_array_equal(decoded, codec)


def small_jcc_model(**codec_options):
    inputs = keras.Input((32, 32, 3))
    x = JpegCodec(**codec_options)(inputs)
    x = keras.layers.Rescaling(1 / 255.0)(x)
    x = keras.layers.Conv2D(4, 3, strides=2, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(3)(x))


def test_gradients_reach_kernels_colour_and_classifier():
    model = small_jcc_model(scale=8.0, learn_color=True, rate_penalty=QuantizationRate(1e-3, l1=0.5))
    images = tf.constant(np.random.default_rng(5).uniform(0, 255, (4, 32, 32, 3)).astype("float32"))
    labels = tf.constant([0, 1, 2, 0])
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    with tf.GradientTape() as tape:
        loss = loss_fn(labels, model(images, training=True))
    gradients = dict(zip([w.path for w in model.trainable_weights], tape.gradient(loss, model.trainable_weights)))
    assert len(gradients) == 8  # kernels, 3 colour logit vectors, conv and dense kernels and biases
    for path, gradient in gradients.items():
        assert gradient is not None and float(tf.reduce_max(tf.abs(gradient))) > 0, path


def test_rate_surrogates_of_sections_2_3_2_to_2_3_4():
    q = np.linspace(-0.2, 1.0, 192).reshape(3, 8, 8).astype("float32")
    assert float(quantization_rate(q)) == pytest.approx(np.sum(q**2), rel=1e-5)
    assert float(quantization_rate(q, l1=0.3)) == pytest.approx(np.sum(q**2) + 0.3 * np.sum(np.abs(q)), rel=1e-5)
    hinge = np.sum(np.maximum(q**2 - 0.25, 0)) + 0.3 * np.sum(np.abs(q))
    assert float(quantization_rate(q, l1=0.3, threshold=0.25)) == pytest.approx(hinge, rel=1e-5)
    assert float(QuantizationRate(2.0, l1=0.3, threshold=0.25)(q)) == pytest.approx(2 * hinge, rel=1e-5)
    layer = QuantizationKernels(rate_penalty=QuantizationRate(0.5))
    assert float(layer.losses[0]) == pytest.approx(0.5 * 192)
    with pytest.raises(TaskAdaptError):
        QuantizationRate(-1.0)


def test_model_with_codec_saves_and_reloads(tmp_path):
    model = small_jcc_model(initial_tables=50, learn_color=True, rate_penalty=QuantizationRate(1e-3, l1=1.0, threshold=0.01))
    codec = model.layers[1]
    learned = standard_qtables(30).astype(float) * np.linspace(0.5, 1.5, 192).reshape(3, 8, 8)
    codec.quantization.set_qtables(learned)
    codec.color.luma_logits.assign([-1.0, -0.4, -2.0])
    path = tmp_path / "jcc.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    images = np.random.default_rng(6).uniform(0, 255, (5, 32, 32, 3)).astype("float32")
    np.testing.assert_array_equal(model.predict(images, verbose=0), reloaded.predict(images, verbose=0))
    np.testing.assert_allclose(reloaded.layers[1].quantization.qtables(), learned, rtol=1e-6)
    assert isinstance(reloaded.layers[1].quantization.rate_penalty, QuantizationRate)
    assert float(sum(reloaded.losses)) == pytest.approx(float(sum(model.losses)))


def test_images_need_a_fixed_size():
    with pytest.raises(TaskAdaptError, match="fixed height and width"):
        JpegCodec()(keras.Input((None, None, 3)))


def test_the_xla_default_computes_what_the_op_by_op_layers_compute():
    """``jit_compile=True`` (the default) changes the speed, not the integers or the gradient."""
    images = tf.constant(np.random.default_rng(7).integers(0, 256, (3, 24, 40, 3)).astype("float32"))
    fused, op_by_op = (JpegCodec(initial_tables=60, learn_color=True, jit_compile=flag) for flag in (True, False))
    assert fused.get_config()["jit_compile"] and not op_by_op.get_config()["jit_compile"]
    results = []
    for codec in (fused, op_by_op):
        with tf.GradientTape() as tape:
            decoded = codec(images)
            loss = tf.reduce_mean(tf.square(decoded - images))
        grids = JpegEncoder(initial_tables=60, jit_compile=codec.jit_compile)(images)
        results.append((decoded, tape.gradient(loss, codec.trainable_weights), grids))
    (decoded, gradients, grids), (decoded_plain, gradients_plain, grids_plain) = results
    np.testing.assert_array_equal(decoded.numpy(), decoded_plain.numpy())
    for name in grids:
        np.testing.assert_array_equal(grids[name].numpy(), grids_plain[name].numpy())
    for gradient, gradient_plain in zip(gradients, gradients_plain):
        np.testing.assert_allclose(gradient.numpy(), gradient_plain.numpy(), rtol=1e-3, atol=1e-6)  # summation order
