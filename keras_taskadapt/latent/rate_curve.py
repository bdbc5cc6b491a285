"""Rate and accuracy of one deployed encoder's latents (seed 000 section 3.4, figures 3.7 and 3.10).

:func:`latent_rate` quantizes the test latents with steps ``q`` (eq. (3.8)), range-codes
them into one stream with per-entry models fitted on the training symbols
(:class:`~keras_taskadapt.latent.entropy_coder.LatentEntropyCoder`), checks that decoding
gives back the same integers, and classifies the decoded symbols with the server's
decoder. :func:`entropy_accuracy_curve` repeats it over the scale ``s`` of
``q_i = s H(y_i)``, fitting the models at every scale.
"""
import keras
import numpy as np

from keras_taskadapt.latent.entropy import (
    entropy_scaled_steps,
    entry_entropies,
    total_entropy_bits,
)
from keras_taskadapt.latent.entropy_coder import LatentEntropyCoder, bits_of_stream
from keras_taskadapt.latent.quantizer import quantize_latent
from keras_taskadapt.run_directory import save_figure


class BitExactnessError(RuntimeError):
    """The entropy decoder did not give back the encoded symbols (a coder defect)."""


def latent_symbols(latents, step_sizes):
    """``round(y / q)`` as the deployed :class:`~keras_taskadapt.latent.LatentQuantizer` computes it (int64)."""
    latents = keras.ops.convert_to_tensor(np.asarray(latents, np.float32))
    steps = keras.ops.convert_to_tensor(np.asarray(step_sizes, np.float32))
    return keras.ops.convert_to_numpy(quantize_latent(latents, steps)).astype(np.int64)


def latent_rate(decoder, coder, test_latents, test_labels, step_sizes, image_pixels, batch_size=256):
    """Accuracy, total entropy and real bits of ``test_latents`` quantized with ``step_sizes``.

    ``coder``: the :class:`LatentEntropyCoder` fitted on the training symbols at the same
    steps. Returns ``accuracy``, ``total_entropy_bits`` (Gaussian, section 3.4.2),
    ``bits_per_image`` (the range-coded stream over the number of images),
    ``ideal_bits_per_image`` (its information content) and ``bpp`` (bits per pixel of the
    ``image_pixels`` = H x W original image).
    """
    step_sizes = np.broadcast_to(np.asarray(step_sizes, np.float32), np.shape(test_latents)[1:])
    symbols = latent_symbols(test_latents, step_sizes)
    words = coder.encode(symbols)
    received = coder.decode(words, symbols.shape[0])
    if not np.array_equal(received, symbols):
        raise BitExactnessError("the decoded latent symbols differ from the encoded ones")
    probabilities = decoder.predict(received.astype(np.float32) * step_sizes, batch_size=batch_size, verbose=0)
    images = symbols.shape[0]
    bits = bits_of_stream(words) / images
    return {
        "accuracy": float(np.mean(np.argmax(probabilities, axis=-1) == np.asarray(test_labels).reshape(-1))),
        "total_entropy_bits": total_entropy_bits(test_latents, step_sizes),
        "bits_per_image": bits,
        "ideal_bits_per_image": coder.information_content(symbols) / images,
        "bpp": bits / image_pixels,
    }


def entropy_accuracy_curve(decoder, train_latents, test_latents, test_labels, scales, image_pixels,
                           model="histogram"):
    """:func:`latent_rate` for ``q_i = s H(y_i)`` (eq. (3.8), ``H`` on the training latents)
    at every ``s`` of ``scales``; one row per scale with its ``scale``."""
    entropies = entry_entropies(train_latents)
    rows = []
    for scale in scales:
        steps = entropy_scaled_steps(entropies, scale)
        coder = LatentEntropyCoder.fit(latent_symbols(train_latents, steps), model)
        rows.append({"scale": float(scale),
                     **latent_rate(decoder, coder, test_latents, test_labels, steps, image_pixels)})
    return rows


def plot_rate_accuracy(curves, path, rate="total_entropy_bits"):
    """Accuracy against ``rate`` (``total_entropy_bits`` as figure 3.10, ``bpp`` as figure 3.7,
    or any other key of the rows, e.g. ``latent_dim`` of a screening).

    ``curves`` maps a model's label to its rows (:func:`entropy_accuracy_curve`).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = {"total_entropy_bits": "total entropy of the quantized latent (bits)", "bpp": "bits per pixel",
              "bits_per_image": "bits per image", "latent_dim": "latent dimension dy"}
    figure, axis = plt.subplots(figsize=(5, 3.5))
    for label, rows in curves.items():
        ordered = sorted(rows, key=lambda row: row[rate])
        axis.plot([row[rate] for row in ordered], [row["accuracy"] for row in ordered], marker="o", label=label)
    axis.set_xlabel(labels.get(rate, rate))
    axis.set_ylabel("test accuracy")
    axis.grid(alpha=0.3)
    axis.legend()
    save_figure(figure, path)
