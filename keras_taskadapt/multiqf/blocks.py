"""The named blocks of a base network, where block-by-block training unfreezes (seed 004, section 3.4.1).

A base network is a functional Keras classifier whose last layer is its ``Dense`` classifier;
the input of that layer is the feature vector the topology concatenates over the branches.
A block ends at a layer every path from the input to the features runs through (a cut of the
layer graph, checked) whose name follows one of the families' conventions
(:data:`BLOCK_ENDS`):

- the package's CIFAR ResNets and ResNet-50: ``stem``, ``s1b1`` ... (``[resnet_]s<i>b<j>_out``);
- the package's wide ResNet: ``g1b1`` ... (``g<i>b<j>_add``) and ``final`` (``final_relu``);
- ``keras.applications.InceptionV3``: ``mixed0`` ... ``mixed10`` (the thesis's nodes);
- ``keras.applications.ResNet50V2``: ``conv2_block1`` ... ``conv5_block3`` and ``post``.

A block holds the layers after the previous block's end up to its own. The layers above the
top block (pooling) go with the head. :func:`base_blocks` lists them bottom to top.
"""

import re
from dataclasses import dataclass

from keras_taskadapt.core.errors import TaskAdaptError

BLOCK_ENDS = (
    r"^(?:resnet_)?(stem)_relu$",
    r"^(?:resnet_)?(s\d+b\d+)_out$",
    r"^(g\d+b\d+)_add$",
    r"^(final)_relu$",
    r"^(mixed\d+)$",
    r"^(conv\d+_block\d+)_out$",
    r"^(post)_relu$",
)
"""Regular expressions of the layer names that end a block; the group is the block's name."""


@dataclass(frozen=True)
class Block:
    """One block: its ``name``, the name of its last layer (``end``) and of all its layers."""

    name: str
    end: str
    layers: tuple


def _block_name(layer_name):
    for pattern in BLOCK_ENDS:
        match = re.match(pattern, layer_name)
        if match:
            return match.group(1)
    return None


def feature_layer_index(model):
    """The index in ``model.layers`` of the layer whose output the classifier reads."""
    import keras

    classifier = model.layers[-1]
    if not isinstance(classifier, keras.layers.Dense):
        raise TaskAdaptError(f"the base network {model.name} must end in its Dense classifier; its last layer is "
                             f"{classifier.name} ({type(classifier).__name__})", parameter="base")
    (features,) = _inbound_layers(classifier)
    return next(index for index, layer in enumerate(model.layers) if layer is features)


def _inbound_layers(layer):
    """The layers whose outputs ``layer`` reads (in a functional graph)."""
    inbound = []
    for node in layer._inbound_nodes:
        for tensor in node.input_tensors:
            inbound.append(tensor._keras_history.operation)
    return inbound


def graph_cuts(model):
    """Indices ``i`` into ``model.layers`` (topological order) such that no layer after ``i``
    reads a layer before ``i``: every path from the input passes through layer ``i``."""
    position = {id(layer): index for index, layer in enumerate(model.layers)}
    earliest_read = [min((position[id(source)] for source in _inbound_layers(layer)), default=index)
                     for index, layer in enumerate(model.layers)]
    cuts, reach = [], len(model.layers)
    for index in range(len(model.layers) - 1, -1, -1):
        if reach >= index:
            cuts.append(index)
        reach = min(reach, earliest_read[index])
    return sorted(cuts)


def base_blocks(model):
    """The blocks of ``model`` bottom to top (module docstring); raises when it has none."""
    features = feature_layer_index(model)
    cuts = set(graph_cuts(model))
    blocks, start = [], 0
    for index, layer in enumerate(model.layers[:features + 1]):
        name = _block_name(layer.name)
        if name is None or index not in cuts:
            continue
        blocks.append(Block(name, layer.name, tuple(item.name for item in model.layers[start:index + 1])))
        start = index + 1
    if not blocks:
        raise TaskAdaptError(f"the base network {model.name} has no named blocks (layers named like "
                             f"s1b1_out, mixed7 or conv4_block6_out)", parameter="base")
    return blocks


def blocks_to_unfreeze(model, names):
    """The blocks named by ``names``, which must be the top blocks of ``model`` in order from
    the top (algorithm 2 unfreezes one more block from the tail per stage)."""
    blocks = base_blocks(model)
    known = {block.name: block for block in blocks}
    from_top = [block.name for block in reversed(blocks)]
    for position, name in enumerate(names):
        if name not in known:
            raise TaskAdaptError(f"the base network {model.name} has no block {name!r}; its blocks from the top: "
                                 f"{' '.join(from_top)}", parameter="blocks")
        if name != from_top[position]:
            raise TaskAdaptError(f"blocks unfreeze from the top down, one per stage: block {position + 1} must be "
                                 f"{from_top[position]!r}, not {name!r} (from the top: {' '.join(from_top)})",
                                 parameter="blocks")
    return [known[name] for name in names]
