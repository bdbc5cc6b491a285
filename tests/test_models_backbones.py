"""Classifier back-bones of seed 000, chapter 2: ResNet-50 for CIFAR (figure 2.4), WRN-28-k
(figure 2.5) and the Deconvolution-RFA DCT-domain classifier (figure 2.6)."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.jpeg import JpegEncoder, dct_domain_resnet
from keras_taskadapt.models import resnet50_cifar, wide_resnet

# Parameter counts by hand from the papers' layer tables, independent of the Keras code.
# Convolutions have no bias; batch normalisation trains a scale and an offset per channel.


def conv(inputs, outputs, kernel):
    return kernel * kernel * inputs * outputs


def batch_norm(channels):
    return 2 * channels


def dense(inputs, classes):
    return inputs * classes + classes


def bottleneck_stages_count(channels, stages):
    """Bottleneck stages given as (bottleneck channels, middle kernel of each block); the first
    block of every stage has a projection shortcut. Returns (parameters, output channels)."""
    total = 0
    for middle, kernels in stages:
        for index, kernel in enumerate(kernels):
            total += conv(channels, middle, 1) + conv(middle, middle, kernel) + conv(middle, 4 * middle, 1)
            total += batch_norm(middle) * 2 + batch_norm(4 * middle)
            if index == 0:
                total += conv(channels, 4 * middle, 1) + batch_norm(4 * middle)
            channels = 4 * middle
    return total, channels


def resnet50_cifar_count(classes, base):
    stages = [(base * 2**stage, (3,) * blocks) for stage, blocks in enumerate((3, 4, 6, 3))]
    body, channels = bottleneck_stages_count(base, stages)
    return conv(3, base, 3) + batch_norm(base) + body + dense(channels, classes)


def wrn_count(classes, depth, k):
    total, channels = conv(3, 16, 3), 16
    for group, filters in enumerate((16 * k, 32 * k, 64 * k)):
        for block in range((depth - 4) // 6):
            total += batch_norm(channels) + conv(channels, filters, 3) + batch_norm(filters) + conv(filters, filters, 3)
            if channels != filters or (group > 0 and block == 0):
                total += conv(channels, filters, 1)
            channels = filters
    return total + batch_norm(channels) + dense(channels, classes)


def dct_resnet50_count(classes):
    stages = [(128, (1, 2, 3, 3)), (256, (3,) * 6), (512, (3,) * 3)]
    body, channels = bottleneck_stages_count(192, stages)
    return 3 * batch_norm(64) + 2 * conv(64, 64, 2) + body + dense(channels, classes)


def trainable_count(model):
    return sum(int(np.prod(weight.shape)) for weight in model.trainable_weights)


def pixels(batch, side, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (batch, side, side, 3)).astype("float32")


def test_resnet50_cifar_parameter_count_matches_the_reference():
    model = resnet50_cifar(10)
    # torchvision's ImageNet ResNet-50 has 25,557,032 parameters; swap its 7x7 stem for a
    # 3x3 one and its 1000-way head for a 10-way one.
    published = 25_557_032 - conv(3, 64, 7) + conv(3, 64, 3) - dense(2048, 1000) + dense(2048, 10)
    assert trainable_count(model) == published == resnet50_cifar_count(10, 64) == 23_520_842
    assert trainable_count(resnet50_cifar(100, width=0.25)) == resnet50_cifar_count(100, 16)


@pytest.mark.parametrize("side", [32, 64])
def test_resnet50_cifar_keeps_the_resolution_of_small_images(side):
    model = resnet50_cifar(10, (side, side, 3), width=0.125)
    assert tuple(model.get_layer("s4b3_out").output.shape[1:]) == (side // 8, side // 8, 256)
    probabilities = keras.ops.convert_to_numpy(model(pixels(2, side), training=False))
    assert probabilities.shape == (2, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_wide_resnet_parameter_counts_match_the_paper():
    wrn_28_10 = trainable_count(wide_resnet(100, k=10))  # CIFAR-100 in the seed
    assert wrn_28_10 == wrn_count(100, 28, 10)
    assert abs(wrn_28_10 - 36.5e6) < 0.05e6  # Zagoruyko & Komodakis, table 4
    wrn_28_1 = trainable_count(wide_resnet(10, k=1))
    assert wrn_28_1 == wrn_count(10, 28, 1)
    assert abs(wrn_28_1 - 0.37e6) < 0.005e6


@pytest.mark.parametrize("side", [32, 64])
def test_wide_resnet_takes_cifar_and_tiny_imagenet_sizes(side):
    model = wide_resnet(200, (side, side, 3), depth=10, k=2, dropout=0.3)
    assert tuple(model.get_layer("final_relu").output.shape[1:]) == (side // 4, side // 4, 128)
    assert trainable_count(model) == wrn_count(200, 10, 2)
    assert keras.ops.convert_to_numpy(model(pixels(2, side), training=False)).shape == (2, 200)


def test_dct_domain_resnet_full_size_parameter_count_and_grid():
    model = dct_domain_resnet(1000, image_size=(224, 224))
    assert tuple(model.input["y"].shape[1:]) == (28, 28, 64)
    assert tuple(model.input["cb"].shape[1:]) == (14, 14, 64)
    assert tuple(model.get_layer("s5b3_out").output.shape[1:]) == (7, 7, 2048)
    assert trainable_count(model) == dct_resnet50_count(1000)


@pytest.mark.parametrize("side", [32, 56, 64])
def test_dct_domain_resnet_takes_the_encoder_grids(side):
    grids = JpegEncoder(initial_tables=50)(pixels(2, side))
    fixed = dct_domain_resnet(5, image_size=(side, side), depth=14, width=0.125)
    assert {key: tuple(fixed.input[key].shape[1:]) for key in grids} == {key: tuple(grid.shape[1:]) for key, grid in grids.items()}
    any_size = dct_domain_resnet(5, depth=26, width=0.125)
    for model in (fixed, any_size):
        probabilities = keras.ops.convert_to_numpy(model(grids, training=False))
        assert probabilities.shape == (2, 5)
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def first_layer_weights(model):
    names = {"resnet50_cifar": ["stem_conv"], "wrn10_1": ["stem"], "dct_resnet14": ["y_bn", "cb_bn", "cr_deconvolution"]}
    return [weight for name in names[model.name] for weight in model.get_layer(name).trainable_weights]


@pytest.mark.parametrize("build, inputs", [
    (lambda: resnet50_cifar(10, width=0.125), lambda: pixels(4, 32)),
    (lambda: wide_resnet(10, (64, 64, 3), depth=10, k=1, dropout=0.3), lambda: pixels(4, 64)),
    (lambda: dct_domain_resnet(10, depth=14, width=0.125), lambda: JpegEncoder(initial_tables=50)(pixels(4, 64))),
], ids=["resnet50_cifar", "wide_resnet", "dct_domain_resnet"])
def test_one_training_step_is_finite_and_reaches_the_first_layer(build, inputs):
    model, batch = build(), inputs()
    labels = np.array([0, 1, 2, 3])
    first = first_layer_weights(model)
    before = [keras.ops.convert_to_numpy(weight).copy() for weight in first]
    with tf.GradientTape() as tape:
        loss = keras.ops.mean(keras.losses.sparse_categorical_crossentropy(labels, model(batch, training=True)))
        loss = loss + keras.ops.sum(model.losses)
    gradients = tape.gradient(loss, model.trainable_weights)
    assert np.isfinite(float(loss)) and all(np.isfinite(keras.ops.convert_to_numpy(g)).all() for g in gradients)
    by_weight = {id(weight): gradient for weight, gradient in zip(model.trainable_weights, gradients)}
    for weight in first:
        assert np.abs(keras.ops.convert_to_numpy(by_weight[id(weight)])).max() > 0, weight.path
    keras.optimizers.Adam(1e-3).apply_gradients(zip(gradients, model.trainable_weights))
    assert all(np.isfinite(keras.ops.convert_to_numpy(weight)).all() for weight in model.weights)
    assert all(not np.array_equal(keras.ops.convert_to_numpy(weight), old) for weight, old in zip(first, before))


@pytest.fixture(scope="module")
def jcc_on_dct():
    """JpegEncoder (quality-50 tables) feeding the CPU-sized DCT-domain classifier, one fit step."""
    images = keras.Input((64, 64, 3), name="images")
    encoder = JpegEncoder(initial_tables=50, name="jpeg")
    model = keras.Model(images, dct_domain_resnet(4, depth=14, width=0.125)(encoder(images)))
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy", jit_compile=False)
    kernels = [keras.ops.convert_to_numpy(weight).copy() for weight in encoder.trainable_weights]
    history = model.fit(pixels(8, 64, seed=3), np.arange(8) % 4, batch_size=8, epochs=1, verbose=0)
    return model, encoder, kernels, history.history["loss"][0]


def test_dct_domain_resnet_composes_with_the_jpeg_encoder_and_trains(jcc_on_dct):
    model, encoder, kernels_before, loss = jcc_on_dct
    assert np.isfinite(loss)
    assert all(np.isfinite(keras.ops.convert_to_numpy(weight)).all() for weight in model.weights)
    kernels_after = [keras.ops.convert_to_numpy(weight) for weight in encoder.trainable_weights]
    assert kernels_after and any(not np.array_equal(a, b) for a, b in zip(kernels_after, kernels_before))


def test_dct_domain_model_round_trips_through_a_keras_file(jcc_on_dct, tmp_path):
    model = jcc_on_dct[0]
    path = tmp_path / "jcc_dct.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    batch = pixels(3, 64, seed=5)
    expected = model.predict(batch, verbose=0)
    assert not np.allclose(expected[0], expected[1])  # the predictions depend on the image
    np.testing.assert_array_equal(reloaded.predict(batch, verbose=0), expected)


@pytest.mark.parametrize("build", [
    lambda: resnet50_cifar(10, width=0),
    lambda: resnet50_cifar(10, width=0.001),
    lambda: resnet50_cifar(10, width="wide"),
    lambda: resnet50_cifar(0),
    lambda: wide_resnet(10, depth=27),
    lambda: wide_resnet(10, depth=4),
    lambda: wide_resnet(10, k=0),
    lambda: wide_resnet(10, k=2.5),
    lambda: wide_resnet(10, dropout=1.0),
    lambda: wide_resnet("ten"),
    lambda: dct_domain_resnet(10, depth=34),
    lambda: dct_domain_resnet(10, width=-1),
    lambda: dct_domain_resnet(10, image_size=(64,)),
    lambda: dct_domain_resnet(10, image_size=(0, 64)),
])
def test_bad_arguments_raise_one_line_user_errors(build):
    with pytest.raises(TaskAdaptError) as error:
        build()
    message = str(error.value)
    assert message and "\n" not in message
