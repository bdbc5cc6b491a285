"""Input transforms of the hierarchical split auto-encoders (seed 000 section 3.3.1)."""
from keras_taskadapt.hierarchical.transforms.dwt import DWT2D, SUBBANDS, InverseDWT2D

__all__ = ["SUBBANDS", "DWT2D", "InverseDWT2D"]
