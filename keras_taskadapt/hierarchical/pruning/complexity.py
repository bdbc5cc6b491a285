"""Parameter and FLOP counts of a model, as in table 3.1 of seed 000.

FLOPs are twice the multiply-accumulates of the convolution, transposed-convolution and
dense layers (nested models included): ``2 k_h k_w C_in C_out H_out W_out / groups`` for a
convolution, ``2 k_h k_w C_in C_out H_in W_in`` for a transposed one, ``2 C_in C_out`` per
position for a dense layer. Batch normalisation, activations, additions, pooling and the
fixed input transforms (colour conversion, DWT) are not counted. At width 1 the
wavelet-domain ResNet-18 of figure 3.1 counts 0.21 GFLOPs, the 214 M of table 3.1.
"""
import math

import keras


def count_flops(model):
    """FLOPs of one forward pass of one example through ``model`` (module docstring)."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            total += count_flops(layer)
        elif isinstance(layer, keras.layers.Conv2DTranspose):
            kernel = math.prod(layer.kernel_size)
            total += 2 * kernel * layer.input.shape[-1] * layer.filters * math.prod(layer.input.shape[1:-1])
        elif isinstance(layer, keras.layers.Conv2D):
            kernel = math.prod(layer.kernel_size)
            channels = layer.input.shape[-1] // layer.groups
            total += 2 * kernel * channels * layer.filters * math.prod(layer.output.shape[1:-1])
        elif isinstance(layer, keras.layers.Dense):
            total += 2 * layer.input.shape[-1] * layer.units * math.prod(layer.input.shape[1:-1])
    return int(total)


def count_params(*models):
    """Parameters (trainable and not, e.g. batch-normalisation statistics) of ``models`` together."""
    return int(sum(model.count_params() for model in models))


def deployed_complexity(model):
    """Parameters and FLOPs of a split model's deployed parts (table 3.1's columns: encoder and
    decoder, no side branch), the encoder's alone, and the latent width."""
    return {"params": count_params(model.encoder, model.decoder),
            "flops": count_flops(model.encoder) + count_flops(model.decoder),
            "encoder_params": count_params(model.encoder), "encoder_flops": count_flops(model.encoder),
            "latent_dim": int(model.encoder.output.shape[-1])}
