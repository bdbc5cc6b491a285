"""Which channels of a functional model must be pruned together.

A convolution, transposed convolution or dense layer creates the channels of its output;
batch normalisation, activations, pooling, dropout, scalar rescaling and ``Reshape`` to
``(..., -1)`` pass them on unchanged; an element-wise merge (``Add`` and the like) ties the
channels of its inputs together, as the shortcut of a residual block ties the outputs of a
module's convolutions. Removing channel ``c`` of such a tied group removes it from every
layer that writes or reads the group. Any other layer (an input, a fixed transform such
as the DWT, a concatenation, a nested model) starts a group that cannot be pruned.
"""
from keras import layers

from keras_taskadapt.core.errors import TaskAdaptError

#: Layers that create their output channels (``filters`` or ``units`` in their config).
CHANNEL_LAYERS = (layers.Conv2D, layers.Conv2DTranspose, layers.Dense)
_PASS_THROUGH = (
    layers.BatchNormalization, layers.ReLU, layers.Activation, layers.Dropout, layers.GlobalAveragePooling2D,
    layers.AveragePooling2D, layers.MaxPooling2D,
)
_MERGES = (layers.Add, layers.Subtract, layers.Multiply, layers.Maximum, layers.Minimum, layers.Average)


class ChannelGroups:
    """The channel groups of a flat functional ``model`` (module docstring).

    ``input_group[name]`` and ``output_group[name]`` name the group of a layer's input and
    output channels; a group is named after the first layer that created it; ``prunable``
    holds the groups created by :data:`CHANNEL_LAYERS` and tied to no fixed group.
    """

    def __init__(self, model):
        self._parent = {}
        self._fixed = set()
        raw_inputs, raw_outputs = {}, {}
        for layer in model.layers:
            if len(layer._inbound_nodes) != 1:
                raise TaskAdaptError(f"layer {layer.name!r} is used {len(layer._inbound_nodes)} times; "
                                     "channel groups need every layer used once")
            sources = [tensor._keras_history.operation.name for tensor in layer._inbound_nodes[0].input_tensors]
            groups = [raw_outputs[source] for source in sources]
            raw_inputs[layer.name] = groups[0] if groups else None
            if isinstance(layer, CHANNEL_LAYERS):
                raw_outputs[layer.name] = self._new_group(layer.name)
            elif isinstance(layer, _MERGES):
                for group in groups[1:]:
                    self._union(groups[0], group)
                raw_outputs[layer.name] = groups[0]
            elif groups and _passes_channels(layer):
                raw_outputs[layer.name] = groups[0]
            else:
                raw_outputs[layer.name] = self._new_group(layer.name, fixed=True)
        self.input_group = {name: None if group is None else self._find(group) for name, group in raw_inputs.items()}
        self.output_group = {name: self._find(group) for name, group in raw_outputs.items()}
        roots = {self._find(group) for group in self._parent}
        fixed_roots = {self._find(group) for group in self._fixed}
        self.prunable = roots - fixed_roots

    def group_of(self, layer_name):
        """The group of the output channels of ``layer_name``, checked to be prunable."""
        if layer_name not in self.output_group:
            raise TaskAdaptError(f"the model has no layer {layer_name!r}")
        group = self.output_group[layer_name]
        if group not in self.prunable:
            raise TaskAdaptError(f"the channels of layer {layer_name!r} cannot be pruned (tied to a fixed layer)")
        return group

    def _new_group(self, name, fixed=False):
        self._parent[name] = name
        if fixed:
            self._fixed.add(name)
        return name

    def _find(self, group):
        while self._parent[group] != group:
            self._parent[group] = self._parent[self._parent[group]]
            group = self._parent[group]
        return group

    def _union(self, first, second):
        first, second = self._find(first), self._find(second)
        if first != second:
            self._parent[second] = first


def _passes_channels(layer):
    if isinstance(layer, _PASS_THROUGH):
        return True
    if isinstance(layer, layers.Rescaling):
        return all(getattr(value, "ndim", 0) == 0 for value in (layer.scale, layer.offset))
    if isinstance(layer, layers.Reshape):
        return tuple(layer.target_shape)[-1] == -1
    return False
