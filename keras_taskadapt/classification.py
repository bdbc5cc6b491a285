"""The no-codec reference: a CIFAR ResNet trained on the images as they are.

The channel-adapted chapters are measured against it (the same back-bone, data and budget
without a codec in front): :func:`compiled_classifier` builds and compiles it,
:func:`classifier_metrics` scores it, :func:`plot_accuracy_against_params` draws a depth sweep.
"""


def compiled_classifier(num_classes, input_shape, *, classifier="resnet20", depth=None, width=1, wrn_k=10,
                        weight_decay=1e-4, learning_rate=0.1, total_steps=None):
    """The back-bone ``classifier`` of :data:`~keras_taskadapt.models.CLASSIFIERS` (the CIFAR
    ResNet by default) with SGD (Nesterov momentum 0.9) and a cosine-decayed learning rate over
    ``total_steps``, compiled with cross-entropy and accuracy."""
    import keras

    from keras_taskadapt.models import build_classifier
    from keras_taskadapt.schedules import cosine_decay

    model = build_classifier(classifier, num_classes, input_shape, depth=depth, width=width, wrn_k=wrn_k,
                             weight_decay=weight_decay)
    model.compile(optimizer=keras.optimizers.SGD(cosine_decay(learning_rate, total_steps), momentum=0.9,
                                                 nesterov=True),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def classifier_metrics(model, test):
    """``accuracy`` and ``loss`` on the ``test`` batches and the model's ``params``."""
    scores = model.evaluate(test, return_dict=True, verbose=0)
    return {"accuracy": scores["accuracy"], "loss": scores["loss"], "params": model.count_params()}


def plot_accuracy_against_params(rows, path):
    """Test accuracy against parameters, one point per depth of a sweep."""
    from keras_taskadapt.core.figures import pyplot, save_figure

    figure, axis = pyplot().subplots(figsize=(5, 3.5))
    axis.plot([row["params"] for row in rows], [row["accuracy"] for row in rows], marker="o")
    for row in rows:
        axis.annotate(f"ResNet-{row['depth']}", (row["params"], row["accuracy"]))
    axis.set_xlabel("parameters")
    axis.set_ylabel("test accuracy")
    axis.grid(alpha=0.3)
    save_figure(figure, path)
