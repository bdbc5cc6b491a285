"""Quantization-aware training (QAT) of the split auto-encoder's sensor (issue 6, "TFLite").

tensorflow-model-optimization (tfmot 0.8) quantizes ``tf_keras`` (Keras 2) models only, so the
Keras-3 encoder of figure 3.3 (seed 000 section 3.3.1) gets a ``tf_keras`` twin with the same
weights (:func:`tf_keras_twin`), which ``quantize_model`` wraps in fake-quantization nodes
and which is fine-tuned briefly (:func:`quantization_aware_encoder`).

The twin is built by walking the encoder's functional graph (its config, in topological
order):

* standard layers (``Conv2D``, ``BatchNormalization``, ``ReLU``, ``Add``,
  ``GlobalAveragePooling2D``, ``Dense``, ...) become the ``tf_keras`` layer of the same class,
  built from the arguments of the Keras-3 config that the ``tf_keras`` class takes
  (initializers, regularizers and dtype policies are left out: the weights are copied and
  the fine-tuning is short), then given the Keras-3 layer's weights;
* the fixed input stage of section 3.3.1 becomes standard layers holding the same numbers,
  frozen (non-trainable): :class:`~keras_taskadapt.jpeg.ColorTransform` a 1x1 ``Conv2D``
  (the 3x3 matrix, the level shift as its bias); :class:`~keras_taskadapt.hierarchical.transforms.DWT2D`
  a periodic padding (``Cropping2D`` and ``Concatenate``, which tfmot passes through) and a
  stride-2 ``Conv2D`` whose kernel holds the analysis filters of each band for each channel
  (the band-grouped channel order of ``DWT2D``); ``Rescaling`` a 1x1 ``DepthwiseConv2D``.
  The DWT is thus quantized like any convolution (int8 per-channel weights and int8
  activations) rather than kept in float: the whole sensor runs in int8 on the device, and
  the fine-tuning learns to absorb the quantization error of the front as well.

Before fine-tuning, every activation quantizer's range is set to the range of the float
twin's activation it quantizes on the training images (:func:`calibrate_ranges`): tfmot starts
them at [-6, 6] and moves them by an exponential average of decay 0.999 per step, which takes
thousands of steps to reach the 0..255 pixels or the +-128 colour samples of the front. The
batch normalisations are frozen (inference mode, moving statistics kept): a few hundred small
batches would otherwise move the statistics the trained network depends on.

Fine-tuning is distillation: the mean squared error between the QAT encoder's latent and the
float encoder's on training images, both divided by the quantization steps ``q``, i.e. in
units of the transmitted symbols ``round(y / q)`` (eq. (3.8)). Cross-entropy through the
decoder is not used: the server's decoder, and the range coder's per-entry models fitted on
training symbols, were trained on the float encoder's latents, so the sensor's job is to
reproduce those symbols, not to find another latent that the frozen decoder happens to
classify. Distillation needs no labels and no decoder in the ``tf_keras`` graph, and an
error of one unit of ``y / q`` is one symbol off, so each entry is weighed by what its error
costs in transmitted symbols.

The fine-tuned QAT model comes back to Keras 3 as a SavedModel behind
``keras.layers.TFSMLayer`` (:func:`keras_encoder`), so it goes through the same sensor model
(rounding included) and the same int8 conversion (:func:`~export.tflite.export_tflite`) as
post-training quantization; the converter turns the fake-quantization ranges into the int8
scales.
"""

import inspect
import tempfile

import numpy as np

from export.split_autoencoder import SENSOR_MODES
from keras_taskadapt.core.errors import TaskAdaptError

#: Config keys of Keras-3 layers that the ``tf_keras`` twin does not take over.
DROPPED_SUFFIXES = ("_initializer", "_regularizer", "_constraint")
#: Variables of a tfmot quantize wrapper that hold the range of the activation it quantizes.
ACTIVATION_RANGES = ("output_min", "output_max", "post_activation_min", "post_activation_max")
#: Training images whose activations set the initial quantization ranges.
CALIBRATION_IMAGES = 1024


def _histories(arguments):
    """The ``keras_history`` ``[layer, node, tensor]`` of every tensor in a node's serialized arguments."""
    if isinstance(arguments, dict):
        if arguments.get("class_name") == "__keras_tensor__":
            return [arguments["config"]["keras_history"]]
        return [history for value in arguments.values() for history in _histories(value)]
    if isinstance(arguments, (list, tuple)):
        return [history for value in arguments for history in _histories(value)]
    return []


def _only_layer(entries):
    """The layer name of a functional config's ``input_layers`` / ``output_layers`` (one tensor)."""
    if entries and isinstance(entries[0], str):
        entries = [entries]
    if len(entries) != 1:
        raise TaskAdaptError(f"the QAT twin needs a one-input, one-output encoder, got {len(entries)} tensors")
    return entries[0][0]


def _frozen(layer, inputs, weights):
    """Call a new ``tf_keras`` layer on ``inputs``, give it ``weights`` and freeze it."""
    outputs = layer(inputs)
    layer.set_weights([np.asarray(weight, np.float32) for weight in weights])
    layer.trainable = False
    return outputs


def _standard_twin(layer, inputs):
    import tf_keras

    twin_class = getattr(tf_keras.layers, type(layer).__name__, None)
    if twin_class is None:
        raise TaskAdaptError(f"layer {layer.name} ({type(layer).__name__}) has no tf_keras twin for QAT")
    accepted = inspect.signature(twin_class.__init__).parameters
    config = {key: value for key, value in layer.get_config().items()
              if (key in accepted or key in ("name", "trainable")) and not key.endswith(DROPPED_SUFFIXES)}
    twin = twin_class(**config)
    outputs = twin(inputs)
    twin.set_weights(layer.get_weights())
    return outputs


def _color_twin(layer, inputs):
    """``(x - 128) M^T`` as a frozen 1x1 convolution with bias."""
    import keras
    import tf_keras

    from keras_taskadapt.jpeg.color import LEVEL_SHIFT

    matrix = keras.ops.convert_to_numpy(layer.matrix())
    conv = tf_keras.layers.Conv2D(matrix.shape[0], 1, name=layer.name)
    return _frozen(conv, inputs, [matrix.T[None, None], -LEVEL_SHIFT * matrix.sum(axis=1)])


def _crop(inputs, axis, start, stop, name):
    """``inputs[start:size - stop]`` along image ``axis`` (1 height, 2 width), a ``Cropping2D``."""
    import tf_keras

    cropping = ((start, stop), (0, 0)) if axis == 1 else ((0, 0), (start, stop))
    return tf_keras.layers.Cropping2D(cropping, name=name)(inputs)


def periodic_padding(inputs, left, right, name):
    """Periodic extension by ``left`` and ``right`` samples along height and width, as
    ``Cropping2D`` and ``Concatenate`` layers (what ``DWT2D`` does with a gather)."""
    import tf_keras

    for axis, side in ((1, "rows"), (2, "cols")):
        size = inputs.shape[axis]
        if max(left, right) > size:
            raise TaskAdaptError(f"the QAT twin of {name} needs image sides of at least {max(left, right)}, got {size}")
        pieces = ([_crop(inputs, axis, size - left, 0, f"{name}_{side}_left")] if left else []) + [inputs]
        pieces += [_crop(inputs, axis, 0, size - right, f"{name}_{side}_right")] if right else []
        if len(pieces) > 1:
            inputs = tf_keras.layers.Concatenate(axis=axis, name=f"{name}_{side}_periodic")(pieces)
    return inputs


def _dwt_twin(layer, inputs):
    """Periodic padding and a frozen stride-2 convolution, channel ``b * C + c`` = band ``b`` of channel ``c``."""
    import tf_keras

    bands = layer.band_kernel  # (F, F, 1, 4): the analysis filters of DWT2D
    left, right = layer.periodic_padding
    channels = inputs.shape[-1]
    kernel = np.zeros(bands.shape[:2] + (channels, 4 * channels), np.float32)
    for band in range(4):
        for channel in range(channels):
            kernel[:, :, channel, band * channels + channel] = bands[:, :, 0, band]
    padded = periodic_padding(inputs, left, right, layer.name)
    conv = tf_keras.layers.Conv2D(4 * channels, bands.shape[:2], strides=2, use_bias=False, name=layer.name)
    return _frozen(conv, padded, [kernel])


def _rescaling_twin(layer, inputs):
    """``x * scale + offset`` as a frozen 1x1 depthwise convolution."""
    import tf_keras

    channels = inputs.shape[-1]
    scale = np.broadcast_to(np.asarray(layer.scale, np.float32), (channels,))
    offset = np.broadcast_to(np.asarray(layer.offset, np.float32), (channels,))
    conv = tf_keras.layers.DepthwiseConv2D(1, name=layer.name)
    return _frozen(conv, inputs, [scale.reshape(1, 1, channels, 1), offset])


#: Keras-3 layers with no QAT-able ``tf_keras`` class of their own, and how their twin is built.
FIXED_TWINS = {"ColorTransform": _color_twin, "DWT2D": _dwt_twin, "Rescaling": _rescaling_twin}


def tf_keras_twin(encoder):
    """A ``tf_keras`` functional model computing what the Keras-3 functional ``encoder`` does
    (module docstring), with its weights."""
    import tf_keras

    config = encoder.get_config()
    tensors = {}
    for entry in config["layers"]:
        name = entry["name"]
        if entry["class_name"] == "InputLayer":
            tensors[name] = tf_keras.Input(shape=tuple(entry["config"]["batch_shape"][1:]), name=name)
            continue
        if len(entry["inbound_nodes"]) != 1:
            raise TaskAdaptError(f"the QAT twin needs every layer used once; {name} is used "
                                 f"{len(entry['inbound_nodes'])} times")
        histories = _histories(entry["inbound_nodes"][0]["args"])
        inputs = [tensors[history[0]] for history in histories]
        build = FIXED_TWINS.get(entry["class_name"], _standard_twin)
        tensors[name] = build(encoder.get_layer(name), inputs[0] if len(inputs) == 1 else inputs)
    return tf_keras.Model(tensors[_only_layer(config["input_layers"])], tensors[_only_layer(config["output_layers"])],
                          name=f"{encoder.name}_tf_keras")


def quantization_aware_encoder(encoder, images, step_sizes, *, steps=300, batch_size=64, learning_rate=1e-5,
                               seed=0):
    """The ``tf_keras`` twin of ``encoder`` with fake quantization, fine-tuned by distillation.

    Args:
        encoder: the Keras-3 sensor encoder (pixels -> latent ``y``).
        images: training images (N, H, W, 3), 0..255; their float latents are the targets.
        step_sizes: the quantization steps ``q`` of the sensor (the loss is in units of ``y / q``).
        steps: fine-tuning steps of ``batch_size`` images, Adam at ``learning_rate``.
    """
    import tensorflow as tf
    import tensorflow_model_optimization as tfmot
    import tf_keras

    if steps < 1 or batch_size < 1:
        raise TaskAdaptError(f"QAT needs steps and a batch size >= 1, got {steps} and {batch_size}")
    images = np.asarray(images, np.float32)
    targets = encoder.predict(images, batch_size=256, verbose=0)
    twin = tf_keras_twin(encoder)
    for layer in twin.layers:
        if isinstance(layer, tf_keras.layers.BatchNormalization):
            layer.trainable = False
    model = tfmot.quantization.keras.quantize_model(twin)
    calibrate_ranges(model, twin, images[:CALIBRATION_IMAGES])
    inverse_steps = tf.constant(1.0 / np.asarray(step_sizes, np.float32))

    def symbol_mse(latent, predicted):
        return tf.reduce_mean(tf.square((predicted - latent) * inverse_steps))

    tf_keras.utils.set_random_seed(seed)
    model.compile(optimizer=tf_keras.optimizers.Adam(learning_rate), loss=symbol_mse)
    batches = (tf.data.Dataset.from_tensor_slices((images, targets))
               .shuffle(len(images), seed=seed).repeat().batch(batch_size))
    model.fit(batches, steps_per_epoch=steps, epochs=1, verbose=0)
    return model


def calibrate_ranges(qat_model, twin, images):
    """Set the activation quantizers of ``qat_model`` (``quantize_model`` of ``twin``) to the
    range, 0 included, that the activation they quantize takes in ``twin`` on ``images``."""
    import tf_keras

    ranges = {}  # twin layer name -> the min and max variables quantizing its output
    for layer in qat_model.layers:
        if hasattr(layer, "layer"):  # a QuantizeWrapper: the output of the layer it wraps
            source, kinds = layer.layer.name, ACTIVATION_RANGES
        elif type(layer).__name__ == "QuantizeLayer":  # quantize_model's quantizer of the model input
            source, kinds = twin.layers[0].name, (f"{layer.name}_min", f"{layer.name}_max")
        else:
            continue
        variables = [variable for variable in layer.non_trainable_weights
                     if variable.name.split("/")[-1].split(":")[0] in kinds]
        if variables:
            ranges[source] = variables
    probe = tf_keras.Model(twin.input, [twin.get_layer(name).output for name in ranges])
    activations = probe.predict(images, batch_size=256, verbose=0)
    for variables, values in zip(ranges.values(), activations, strict=True):
        for variable in variables:
            bound = min(0.0, values.min()) if variable.name.endswith("min:0") else max(0.0, values.max())
            variable.assign(np.full(variable.shape, bound, np.float32))


def keras_encoder(qat_model):
    """The fine-tuned ``tf_keras`` QAT model as a Keras-3 functional model (through a SavedModel
    and ``keras.layers.TFSMLayer``), fake quantization included."""
    import keras
    import tensorflow as tf

    with tempfile.TemporaryDirectory(prefix="qat-savedmodel-") as folder:
        tf.saved_model.save(qat_model, folder)
        layer = keras.layers.TFSMLayer(folder, call_endpoint="serving_default", name="qat_encoder")
    pixels = keras.Input(tuple(qat_model.input.shape[1:]), name="pixels")
    outputs = layer(pixels)
    latent = next(iter(outputs.values())) if isinstance(outputs, dict) else outputs
    return keras.Model(pixels, latent, name="qat_encoder")


def quantization_aware_sensor(encoder, images, step_sizes, **options):
    """The QAT sensor: :func:`quantization_aware_encoder` (``options``) back in Keras 3, then
    the rounding to symbols with steps ``q``
    (:meth:`~keras_taskadapt.hierarchical.latent.SplitCodec.sensor_model`)."""
    from keras_taskadapt.hierarchical.latent import SplitCodec

    qat_model = quantization_aware_encoder(encoder, images, step_sizes, **options)
    return SplitCodec(step_sizes, encoder=keras_encoder(qat_model)).sensor_model(name="qat_sensor")


SENSOR_MODES.register("qat", help="quantization-aware fine-tuning of the sensor, then int8")("int8")
