"""Discriminative power (eqs. 3.4-3.6), structured pruning and complexity counts (table 3.1)."""
import keras
import numpy as np
import pytest
from keras import layers

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.hierarchical.models.wavelet_resnet import wavelet_resnet_classifier
from keras_taskadapt.hierarchical.pruning import (
    ChannelGroups,
    ScatterAccumulator,
    count_flops,
    layer_discriminative_power,
    plot_best_filter_power,
    prune_lowest,
    slice_channels,
)


def direct_fisher(features, labels):
    """eqs. (3.4)-(3.6) written out per channel, from the grouped samples."""
    vectors = features.reshape(len(features), -1, features.shape[-1])
    scores = []
    for channel in range(features.shape[-1]):
        x = vectors[:, :, channel]
        mean = x.mean(axis=0)
        within = np.zeros((x.shape[1], x.shape[1]))
        between = np.zeros_like(within)
        for label in np.unique(labels):
            members = x[labels == label]
            class_mean = members.mean(axis=0)
            within += (members - class_mean).T @ (members - class_mean)
            between += len(members) * np.outer(mean - class_mean, mean - class_mean)
        scores.append(np.trace(np.linalg.pinv(within, rtol=1e-9, hermitian=True) @ between))
    return np.array(scores)


def test_streamed_fisher_scores_equal_the_direct_computation():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 300)
    features = rng.normal(size=(300, 3, 3, 5)) + labels[:, None, None, None] * np.array([0, 0.2, 0.5, 1, 3])
    features[:, 0, 0, 2] = 1.5  # a constant position: S_w is singular, the pseudo-inverse applies
    accumulator = ScatterAccumulator(num_classes=6)  # classes 4 and 5 never occur
    for start in range(0, 300, 64):
        accumulator.update(features[start:start + 64], labels[start:start + 64])
    scores = accumulator.scores()
    np.testing.assert_allclose(scores, direct_fisher(features, labels), rtol=1e-8)
    assert np.all(np.diff(scores[[0, 1, 3, 4]]) > 0)  # stronger class offsets score higher
    neurons = rng.normal(size=(300, 2)) + labels[:, None] * np.array([0.0, 1.0])
    accumulator = ScatterAccumulator(4)
    accumulator.update(neurons, labels)
    within, between = accumulator.scatter_matrices()
    np.testing.assert_allclose(accumulator.scores(), between[:, 0, 0] / within[:, 0, 0])
    with pytest.raises(TaskAdaptError):
        accumulator.update(neurons, labels + 4)


def _classifier():
    keras.utils.set_random_seed(0)
    return wavelet_resnet_classifier(3, (16, 16, 3), width=0.25, side_dim=4)


def test_pruned_filters_give_a_smaller_model_that_computes_the_same_without_them(tmp_path):
    back = _classifier().decoder  # ResNet module 3 (64 filters at width 0.25) and the classifier
    rng = np.random.default_rng(1)
    features = rng.normal(size=(40, 4, 4, 32)).astype(np.float32)
    labels = rng.integers(0, 3, 40)
    scores = layer_discriminative_power(back, ["m3b1_conv1", "m3b2_conv1"], [(features[:20], labels[:20]),
                                                                              (features[20:], labels[20:])], 3)
    assert {name: values.shape for name, values in scores.items()} == {"m3b1_conv1": (64,), "m3b2_conv1": (64,)}
    pruned = prune_lowest(back, scores, {"m3b1_conv1": 40, "m3b2_conv1": 24})
    # each removed inner filter: its 3x3 kernel over the block input (32 or 64 channels), two
    # batch-norm parameters and two statistics, and its 3x3 input slice of the block's conv2
    expected = back.count_params() - (24 * (9 * 32 + 4 + 9 * 64) + 40 * (9 * 64 + 4 + 9 * 64))
    assert pruned.count_params() == expected
    # 2x2 output positions; 3x3 kernels; conv1 loses output filters, conv2 the same input channels
    assert count_flops(back) - count_flops(pruned) == 2 * 4 * 9 * (32 * 24 + 24 * 64 + 64 * 40 + 40 * 64)
    # the original with the removed filters switched off (batch norm scale and offset 0)
    kept = {name: np.sort(np.argsort(-scores[name])[:count]) for name, count in (("m3b1_conv1", 40),
                                                                                 ("m3b2_conv1", 24))}
    for name, keep in kept.items():
        norm = back.get_layer(name.replace("conv1", "bn1"))
        gamma, beta, mean, variance = norm.get_weights()
        off = np.setdiff1d(np.arange(64), keep)
        gamma[off], beta[off] = 0.0, 0.0
        norm.set_weights([gamma, beta, mean, variance])
    np.testing.assert_allclose(np.asarray(pruned(features)), np.asarray(back(features)), atol=1e-5)
    pruned.save(tmp_path / "pruned.keras")
    assert keras.models.load_model(tmp_path / "pruned.keras").count_params() == expected
    plot_best_filter_power({"model": scores}, tmp_path / "best.png")
    assert (tmp_path / "best.png").stat().st_size > 0


def test_residual_channels_are_pruned_together():
    front = _classifier().encoder
    groups = ChannelGroups(front)
    module1 = {"stem_conv", "m1b1_conv2", "m1b2_conv2"}
    assert len({groups.output_group[name] for name in module1}) == 1  # identity shortcuts tie them
    assert groups.output_group["m2b1_conv2"] == groups.output_group["m2b1_proj"]
    assert groups.output_group["m1b1_conv1"] != groups.output_group["m1b1_conv2"]
    pruned = slice_channels(front, {"m1b1_conv2": np.arange(0, 16, 2)})
    for name in module1 | {"m1b1_bn2", "m1b2_bn2"}:
        assert pruned.get_layer(name).output.shape[-1] == 8
    assert pruned.get_layer("m1b2_conv1").kernel.shape[2] == 8
    images = np.random.default_rng(2).integers(0, 256, (2, 16, 16, 3)).astype(np.float32)
    assert pruned(images).shape == (2, 4, 4, 32)


def test_flop_count_of_known_layers():
    inputs = keras.Input((8, 8, 3))
    x = layers.Conv2D(4, 3, strides=2, padding="same")(inputs)  # 4x4 out
    x = layers.Conv2DTranspose(5, 2, strides=2)(x)  # 4x4 in
    x = layers.Dense(6)(x)  # per 8x8 position
    model = keras.Model(inputs, x)
    assert count_flops(model) == 2 * (9 * 3 * 4 * 16 + 4 * 4 * 5 * 16 + 5 * 6 * 64)


@pytest.mark.parametrize("keep", [
    {"m3b1_conv1": []},
    {"m3b1_conv1": [0, 0, 1]},
    {"m3b1_conv1": [64]},
    {"no_such_layer": [0]},
])
def test_bad_pruning_requests_are_user_errors(keep):
    with pytest.raises(TaskAdaptError):
        slice_channels(_classifier().decoder, keep)


def test_channels_tied_to_a_fixed_layer_cannot_be_pruned():
    inputs = keras.Input((4, 4, 3))
    x = layers.Add()([inputs, layers.Conv2D(3, 1)(inputs)])
    with pytest.raises(TaskAdaptError, match="cannot be pruned"):
        slice_channels(keras.Model(inputs, x), {x._keras_history.operation.name: [0, 1]})
