"""Rate and accuracy of one deployed encoder over the scale of its steps (seed 000 section 3.4,
figures 3.7 and 3.10).

:func:`entropy_accuracy_curve` measures :meth:`~keras_taskadapt.hierarchical.latent.SplitCodec.rate`
for ``q_i = s H(y_i)`` (eq. (3.8)) at every scale ``s``, fitting the coder's models at every
scale; :func:`plot_rate_accuracy` draws such curves.
"""


def entropy_accuracy_curve(codec, train_latents, test_latents, test_labels, scales, image_pixels,
                           model="histogram"):
    """One row per scale of ``scales``: ``scale`` and the codec's rate and accuracy at the
    entropy-scaled steps (``H`` on ``train_latents``)."""
    return [{"scale": float(scale),
             **codec.with_scale(scale, train_latents, model).rate(test_latents, test_labels, image_pixels)}
            for scale in scales]


def plot_rate_accuracy(curves, path, rate="total_entropy_bits"):
    """Accuracy against ``rate`` (``total_entropy_bits`` as figure 3.10, ``bpp`` as figure 3.7,
    or any other key of the rows, e.g. ``latent_dim`` of a screening).

    ``curves`` maps a model's label to its rows (:func:`entropy_accuracy_curve`).
    """
    from keras_taskadapt.core.figures import pyplot, save_figure

    labels = {"total_entropy_bits": "total entropy of the quantized latent (bits)", "bpp": "bits per pixel",
              "bits_per_image": "bits per image", "latent_dim": "latent dimension dy"}
    figure, axis = pyplot().subplots(figsize=(5, 3.5))
    for label, rows in curves.items():
        ordered = sorted(rows, key=lambda row: row[rate])
        axis.plot([row[rate] for row in ordered], [row["accuracy"] for row in ordered], marker="o", label=label)
    axis.set_xlabel(labels.get(rate, rate))
    axis.set_ylabel("test accuracy")
    axis.grid(alpha=0.3)
    axis.legend()
    save_figure(figure, path)
