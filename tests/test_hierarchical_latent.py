"""Latent rate control: Gaussian entropies, eq. (3.8) steps, range-coded bit streams and truncation."""
import keras
import numpy as np
import pytest
from scipy.stats import norm

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.hierarchical.latent import (
    FORMAT_VERSION,
    LatentEntropyCoder,
    SplitCodec,
    bits_of_stream,
    decode_image_stream,
    decode_streams,
    encode_image_stream,
    entries_to_keep,
    entropy_accuracy_curve,
    entropy_scaled_steps,
    entry_entropies,
    rounded_gaussian_entropy,
    total_entropy_bits,
    truncate_latent,
)
from keras_taskadapt.hierarchical.models.split_autoencoder import split_autoencoder

MEANS = np.array([0.0, 0.4, -3.0, 10.0, 0.0, 2.0, 1.0, -50.0])
STDS = np.array([0.3, 1.0, 2.0, 5.0, 20.0, 0.0, 3.0, 100.0])


def _symbols(count, seed):
    return np.round(np.random.default_rng(seed).normal(MEANS, STDS, (count, MEANS.size)))


def test_rounded_gaussian_entropy_equals_a_direct_sum_over_symbols():
    for mean, std in [(0.0, 0.3), (0.4, 1.0), (-3.2, 2.5), (7.0, 9.0), (0.0, 40.0)]:
        symbols = np.arange(np.floor(mean - 40 * std), np.ceil(mean + 40 * std) + 1)
        mass = norm.cdf(symbols + 0.5, mean, std) - norm.cdf(symbols - 0.5, mean, std)
        mass = mass[mass > 0]
        assert rounded_gaussian_entropy(mean, std) == pytest.approx(-(mass * np.log2(mass)).sum(), abs=1e-9)
    assert rounded_gaussian_entropy(3.0, 0.0) == 0.0
    assert rounded_gaussian_entropy(0.0, 1e4) == pytest.approx(0.5 * np.log2(2 * np.pi * np.e * 1e8))
    below, above = rounded_gaussian_entropy(0.3, [999.999, 1000.0])  # the exact sum meets the expansion
    assert above - below == pytest.approx(np.log2(1000.0 / 999.999), abs=1e-9)


def test_entropy_scaled_steps_follow_eq_3_8_and_lower_the_total_entropy():
    latents = np.random.default_rng(0).normal(MEANS, STDS + 0.5, (5000, MEANS.size))
    entropies = entry_entropies(latents)
    np.testing.assert_allclose(entropy_scaled_steps(entropies, 0.5), 0.5 * np.maximum(entropies, 0.1))
    totals = [total_entropy_bits(latents, entropy_scaled_steps(entropies, scale)) for scale in (0.25, 0.5, 1, 2)]
    assert all(np.diff(totals) < 0)
    assert total_entropy_bits(latents) == pytest.approx(entropies.sum())
    with pytest.raises(TaskAdaptError):
        entropy_scaled_steps(entropies, 0.0)


@pytest.mark.parametrize("model", ["histogram", "gaussian"])
def test_range_coded_latents_decode_bit_exactly_within_one_percent_of_the_ideal_size(model, tmp_path):
    coder = LatentEntropyCoder.fit(_symbols(4000, 0), model)
    test = _symbols(3000, 1)
    test[5, 2], test[7, 4], test[9, 0] = 1000, -70000, 2**31 - 1  # outside the training support: escapes
    words = coder.encode(test)
    np.testing.assert_array_equal(coder.decode(words, len(test)), test)
    ideal = coder.information_content(test)
    assert ideal <= bits_of_stream(words) <= 1.01 * ideal
    coder.save(tmp_path / "coder.npz")
    np.testing.assert_array_equal(LatentEntropyCoder.load(tmp_path / "coder.npz").encode(test), words)


def test_histogram_model_is_the_smoothed_training_histogram():
    train = np.array([[0], [0], [1], [3]])
    coder = LatentEntropyCoder.fit(train, "histogram")
    counts = np.array([2, 1, 0, 1]) + 0.5  # support 0..3, then the escape's count of 1
    probabilities = np.append(counts, 1.0) / (counts.sum() + 1.0)
    test = np.array([[0], [2], [3], [7]])  # 7 escapes: its probability and 32 payload bits
    expected = -np.log2(probabilities[[0, 2, 3, 4]]).sum() + 32
    assert coder.information_content(test) == pytest.approx(expected)


@pytest.mark.parametrize("call", [
    lambda coder: coder.encode(np.full((2, 8), 0.5)),
    lambda coder: coder.encode(np.zeros((2, 7))),
    lambda coder: LatentEntropyCoder.fit(np.zeros((2, 8)), "laplace"),
    lambda coder: LatentEntropyCoder.load(__file__),
])
def test_bad_symbols_and_models_are_user_errors(call):
    with pytest.raises(TaskAdaptError):
        call(LatentEntropyCoder.fit(_symbols(50, 2), "histogram"))


def _parts():
    keras.utils.set_random_seed(0)
    return split_autoencoder(3, (16, 16, 3), width=0.125, latent_dim=6, hidden_units=8, side_dim=4, seed=0)


def _codec_with_data():
    parts = _parts()
    rng = np.random.default_rng(3)
    train, test = rng.normal(0, 3, (400, 6)).astype(np.float32), rng.normal(0, 3, (300, 6)).astype(np.float32)
    steps = np.array([0.5, 1, 1, 2, 2, 4], np.float32)
    parts.quantizer.set_step_sizes(steps)
    codec = SplitCodec(steps, encoder=parts.encoder, decoder=parts.decoder).fit(train)
    return parts, codec, train, test, rng.integers(0, 3, 300)


def test_the_codec_codes_and_classifies_what_the_quantizer_sends():
    parts, codec, train, test, labels = _codec_with_data()
    rate = codec.rate(test, labels, image_pixels=16 * 16)
    expected = np.argmax(np.asarray(parts.decoder(parts.quantizer(test))), axis=1)
    assert rate["accuracy"] == pytest.approx(np.mean(expected == labels))
    assert rate["bpp"] == pytest.approx(rate["bits_per_image"] / 256)
    assert rate["ideal_bits_per_image"] <= rate["amortised_bits_per_image"] <= 1.01 * rate["ideal_bits_per_image"]
    assert rate["total_entropy_bits"] == pytest.approx(total_entropy_bits(test, codec.step_sizes))
    rows = entropy_accuracy_curve(codec, train, test, labels, [0.5, 2.0], 256)
    assert rows[0]["scale"] == 0.5 and rows[0]["bits_per_image"] > rows[1]["bits_per_image"]


def test_bits_per_image_are_the_mean_size_of_one_stream_per_image():
    _, codec, _, test, labels = _codec_with_data()
    streams = codec.compress(test)
    assert len(streams) == len(test) and all(stream[0] == FORMAT_VERSION for stream in streams)
    np.testing.assert_array_equal(codec.decompress(streams), codec.symbols(test))
    rate = codec.rate(test, labels, image_pixels=256)
    assert rate["bits_per_image"] == pytest.approx(np.mean([8 * len(stream) for stream in streams]))
    # one image per stream pays the coder's final word and the header: more than the amortised stream
    assert rate["bits_per_image"] > rate["amortised_bits_per_image"] + 8


def test_the_server_decodes_streams_with_the_saved_codec(tmp_path):
    _, codec, _, test, _ = _codec_with_data()
    codec.save(str(tmp_path / "entropy_coder.npz"))
    symbols, received = decode_streams(codec.compress(test[:20]), str(tmp_path / "entropy_coder.npz"))
    np.testing.assert_array_equal(symbols, codec.symbols(test[:20]))
    np.testing.assert_allclose(received, symbols * codec.step_sizes)
    one = encode_image_stream(codec.coder, symbols[0])
    np.testing.assert_array_equal(decode_image_stream(codec.coder, one), symbols[0])
    with pytest.raises(TaskAdaptError, match="format version"):
        decode_image_stream(codec.coder, bytes([FORMAT_VERSION + 1]) + one[1:])


def test_truncated_latent_equals_the_original_with_those_entries_nullified():
    parts = _parts()
    parts.quantizer.set_step_sizes(np.arange(1, 7, dtype=np.float32))
    images = np.random.default_rng(4).integers(0, 256, (5, 16, 16, 3)).astype(np.float32)
    keep = np.array([0, 2, 5])
    small = truncate_latent(parts, keep)
    latent = np.asarray(parts.encoder(images))
    np.testing.assert_allclose(np.asarray(small.encoder(images)), latent[:, keep], rtol=1e-5, atol=1e-6)
    nullified = latent.copy()
    nullified[:, [1, 3, 4]] = 0.0
    np.testing.assert_allclose(np.asarray(small.decoder(latent[:, keep])), np.asarray(parts.decoder(nullified)),
                               atol=1e-6)
    np.testing.assert_array_equal(np.asarray(small.quantizer.step_sizes), [1, 3, 6])
    assert small.side_branch.input.shape == (None, 3)
    assert small.encoder.count_params() == parts.encoder.count_params() - 3 * (8 + 1)


def test_entries_to_keep_last_or_least_discriminative():
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 3, 600)
    latents = rng.normal(size=(600, 5))
    latents[:, 1] += 4.0 * labels  # entries 1 and 3 separate the classes
    latents[:, 3] += 1.0 * labels
    np.testing.assert_array_equal(entries_to_keep("last", 2, 5), [0, 1])
    np.testing.assert_array_equal(entries_to_keep("discriminative", 2, 5, latents, labels, 3), [1, 3])
    with pytest.raises(TaskAdaptError):
        entries_to_keep("last", 6, 5)
    with pytest.raises(TaskAdaptError):
        entries_to_keep("random", 2, 5)


def test_the_numpy_stream_writer_writes_the_packages_streams(tmp_path):
    """The device's NumPy-only writer against the package's coder (``constriction``), byte for
    byte: both models, escapes, and the carry ("inverted") path of the range coder."""
    import constriction

    from keras_taskadapt.hierarchical.latent import stream_writer
    from keras_taskadapt.hierarchical.latent.bitstream import encode_image_stream

    rng = np.random.default_rng(0)
    train = np.round(np.concatenate([rng.normal(0, 3, (400, 12)), rng.standard_cauchy((100, 12)) * 2])).astype(int)
    train[:, 3] = 0
    train[:2, 3] = [1, -2]  # an entry that is almost always 0
    test = np.round(np.concatenate([rng.normal(0, 3, (600, 12)), rng.standard_cauchy((200, 12)) * 500])).astype(int)
    for model in ("histogram", "gaussian"):
        path = str(tmp_path / f"{model}.npz")
        LatentEntropyCoder.fit(train, model).save(path)
        coder, models = LatentEntropyCoder.load(path), stream_writer.load_models(path)
        assert [stream_writer.image_stream(models, row) for row in test] == [encode_image_stream(coder, row)
                                                                             for row in test]

    probabilities = np.array([0.9, 0.05, 0.03, 0.02])  # one long stream: carries happen
    symbols = rng.choice(4, 20000, p=probabilities).astype(np.int32)
    reference = constriction.stream.queue.RangeEncoder()
    reference.encode(symbols, constriction.stream.model.Categorical(probabilities, perfect=False))
    ours, inverted = stream_writer.RangeEncoder(), 0
    cdf = stream_writer.quantized_cdf(probabilities)
    for symbol in symbols:
        ours.encode(cdf[symbol], cdf[symbol + 1] - cdf[symbol])
        inverted += ours.inverted is not None
    assert inverted > 0
    np.testing.assert_array_equal(np.array(ours.sealed_words(), np.uint32), reference.get_compressed())
