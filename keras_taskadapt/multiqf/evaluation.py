"""Scoring a saved topology on a test split (``evaluate multiqf``): top-1 and top-5 accuracy
(eq. 3.1) and, with its base, table 4.8's fixed and broken images
(:mod:`~keras_taskadapt.multiqf.analysis`). The qualities and the base default to those
recorded with the model."""

import os

import numpy as np

from keras_taskadapt.core.errors import TaskAdaptError


def evaluate_topology(path, data_arguments, *, base=None, base_weights=None, batch_size=100, test_images=None):
    """metrics of the topology in ``path`` on the test split ``data_arguments`` names."""
    import keras

    from keras_taskadapt.core.keras_file import load_model
    from keras_taskadapt.core.run_directory import recorded_options
    from keras_taskadapt.data.image_data import load_dataset, open_image_source
    from keras_taskadapt.multiqf.analysis import accuracy_keys, fixed_and_broken
    from keras_taskadapt.multiqf.base_network import APPLICATIONS, load_base
    from keras_taskadapt.multiqf.run_data import first_images
    from keras_taskadapt.multiqf.topology import topology_versions
    from keras_taskadapt.multiqf.versions import with_versions

    topology = load_model(path, keras.Model)
    if "fold" not in [layer.name for layer in topology.layers]:
        raise TaskAdaptError(f"{path}: not a topology written by train multiqf", parameter="model")
    recorded = recorded_options(path)
    qualities = recorded.get("qualities")
    if qualities is None or len(qualities) + 1 != topology_versions(topology):
        raise TaskAdaptError(f"{path}: the config.json beside it does not record the qualities of its "
                             f"{topology_versions(topology)} inputs", parameter="model")
    source = open_image_source(data_arguments["spec"], data_dir=data_arguments["data_dir"],
                               image_size=data_arguments["image_size"], skip_corrupt=data_arguments["skip_corrupt"])
    batches = load_dataset(split="test", source=source, batch_size=batch_size, shuffle=False)
    if test_images is not None:
        batches = first_images(batches, test_images, batch_size, source.size("test"))
    base_model = None
    if base is None and recorded.get("base") and (recorded["base"] in APPLICATIONS or os.path.exists(recorded["base"])):
        base, base_weights = recorded["base"], base_weights or recorded.get("base_weights")
    if base is not None:  # named, or recorded and still there
        base_model = load_base(base, base_weights, input_shape=source.image_shape, num_classes=source.num_classes).model
    versions = with_versions(batches, qualities)
    probabilities = topology.predict(versions.map(lambda images, _: images), verbose=0)
    labels = np.concatenate([np.asarray(labels) for _, labels in batches])
    metrics = {**accuracy_keys(probabilities, labels), "test_images": int(len(labels)), "dataset": source.name,
               "model": os.path.abspath(path)}
    if base_model is not None:
        base_probabilities = base_model.predict(batches.map(lambda images, _: images), verbose=0)  # the originals
        metrics.update({**accuracy_keys(base_probabilities, labels, prefix="base_"),
                        **fixed_and_broken(base_probabilities, probabilities, labels)})
    return metrics
