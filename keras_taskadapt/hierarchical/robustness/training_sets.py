"""The training sets of the robustness studies (seed 000 section 3.4.1): fewer examples of
chosen classes (tables 3.2-3.3), then corrupted labels."""


def robust_training_set(source, *, label_corruption=0.0, corruption_seed=10, imbalance_classes=None,
                        imbalance_remove=None, seed=0):
    """``source`` with the training split of the studies and their metrics.json keys:
    ``imbalance_remove`` examples drawn (``seed``) from each of ``imbalance_classes`` (names or
    label indices) removed, then ``label_corruption`` of the labels given another class."""
    from keras_taskadapt.core.errors import TaskAdaptError
    from keras_taskadapt.data.imbalance import class_indices, imbalanced
    from keras_taskadapt.data.label_noise import corrupt_labels

    if (imbalance_classes is None) != (imbalance_remove is None):
        raise TaskAdaptError("an imbalanced training set needs both the classes and the number removed from each",
                             parameter="imbalance_classes")
    metrics = {"label_corruption": label_corruption, "corrupted_fraction": 0.0}
    if imbalance_classes is not None:
        classes = class_indices(imbalance_classes, source.class_names)
        source = imbalanced(source, classes, imbalance_remove, seed)
        metrics.update(imbalance_classes=classes, imbalance_removed=imbalance_remove)
    if label_corruption:
        source, fraction = corrupt_labels(source, label_corruption, corruption_seed)
        metrics.update(corrupted_fraction=fraction, corruption_seed=corruption_seed)
    return source, metrics
