"""What a hierarchical run reports on the test split (seed 000 sections 3.4.1-3.4.2).

For the split auto-encoder, the deployed pipeline: the encoder's latents rounded with the
quantizer's steps, coded as one range-coded stream per image with per-entry models fitted
on the training split, decoded bit-exactly and classified
(:class:`~keras_taskadapt.hierarchical.latent.SplitCodec`); with quantization scales, the
entropy-accuracy curve of eq. (3.8) (figures 3.7 and 3.10); with distortions, the same
pipeline on distorted test images (figures 3.12-3.13). For the classifier of figure 3.1, its
accuracy, parameters and FLOPs.
"""

import numpy as np

from keras_taskadapt.core.files import write_csv


def plot_curves(run, curves):
    """``entropy_accuracy.png`` and ``bpp_accuracy.png`` of ``curves`` (``{label: rows}``)."""
    from keras_taskadapt.hierarchical.latent import plot_rate_accuracy

    plot_rate_accuracy(curves, run.file("entropy_accuracy.png"), rate="total_entropy_bits")
    plot_rate_accuracy(curves, run.file("bpp_accuracy.png"), rate="bpp")


def deployed_metrics(model, data, run, label, *, coder_examples=None, entropy_model="histogram", scales=()):
    """Rate and accuracy of the deployed encoder, quantizer, streams and decoder; writes the
    codec (``entropy_coder.npz``) and, with ``scales``, ``rate_curve.csv`` and the curves,
    labelled ``label``. Returns ``(metrics, codec)``."""
    from keras_taskadapt.hierarchical.latent import SplitCodec, entropy_accuracy_curve
    from keras_taskadapt.hierarchical.latents import collect_latents
    from keras_taskadapt.hierarchical.pruning import deployed_complexity

    train_latents, _ = collect_latents(model.encoder, data.plain_train, coder_examples)
    test_latents, test_labels = collect_latents(model.encoder, data.test)
    codec = SplitCodec.of_model(model).fit(train_latents, entropy_model)
    codec.save(run.file("entropy_coder.npz"))
    metrics = codec.rate(test_latents, test_labels, data.image_pixels)
    if scales:
        rows = entropy_accuracy_curve(codec, train_latents, test_latents, test_labels, scales, data.image_pixels,
                                      entropy_model)
        write_csv(run.file("rate_curve.csv"), rows)
        plot_curves(run, {label: rows})
    return {**metrics, **deployed_complexity(model), "entropy_model": entropy_model}, codec


def evaluation_metrics(model, data, run, label, **rate_options):
    """The test split's ``accuracy`` and ``loss``, ``params``, ``flops`` and ``architecture``:
    for the split auto-encoder through the deployed pipeline (:func:`deployed_metrics`, whose
    ``rate_options`` these are). Returns ``(metrics, codec or None)``."""
    from keras_taskadapt.hierarchical.model_setup import architecture_of
    from keras_taskadapt.hierarchical.pruning import deployed_complexity

    scores = model.evaluate(data.test, return_dict=True, verbose=0)
    if architecture_of(model) == "classifier":  # figure 3.1: no latent
        counts = {key: value for key, value in deployed_complexity(model).items() if key != "latent_dim"}
        return {"accuracy": scores["accuracy"], "loss": scores["loss"], **counts, "architecture": "classifier"}, None
    metrics, codec = deployed_metrics(model, data, run, label, **rate_options)
    return {**metrics, "loss": scores["loss"], "architecture": "split-ae"}, codec


def group_metrics(model, test, classes):
    """Accuracy on the examples of ``classes`` and on the others (tables 3.2-3.3)."""
    from keras_taskadapt.data.imbalance import group_accuracies

    predicted = np.argmax(model.predict(test, verbose=0), axis=-1)
    labels = np.concatenate([batch_labels.numpy() for _, batch_labels in test])
    return group_accuracies(predicted, labels, classes)


def distortion_metrics(codec, test, strengths, image_pixels, run, seed=0):
    """``distortions.csv`` and ``distortions.png`` of ``strengths`` (``{distortion: strength}``);
    the ``accuracy_<distortion>`` keys."""
    from keras_taskadapt.hierarchical.robustness import distortion_rows, plot_distortions

    rows = distortion_rows(codec, test, strengths, image_pixels, seed=seed)
    write_csv(run.file("distortions.csv"), rows)
    plot_distortions(rows, run.file("distortions.png"))
    return {f"accuracy_{row['distortion']}": row["accuracy"] for row in rows[1:]}


def summary_line(metrics):
    if "bits_per_image" not in metrics:
        return f"accuracy {metrics['accuracy']:.4f} with {metrics['params']} parameters, {metrics['flops']} FLOPs"
    return (f"accuracy {metrics['accuracy']:.4f} at {metrics['bits_per_image']:.1f} bits/image "
            f"({metrics['bpp']:.3f} bpp, total entropy {metrics['total_entropy_bits']:.1f} bits, "
            f"dy = {metrics['latent_dim']})")
