"""The latent between sensor and server: quantization, rate control and entropy coding
(seed 000 sections 3.3.1-3.4, seeds 001 and 002)."""
from keras_taskadapt.latent.quantizer import SEED_NOISE, LatentQuantizer, quantize_latent

__all__ = ["SEED_NOISE", "LatentQuantizer", "quantize_latent"]
