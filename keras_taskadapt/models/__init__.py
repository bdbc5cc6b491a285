"""Classifier back-bones shared by the tasks."""

from keras_taskadapt.models.cifar_resnet import cifar_resnet, pixel_input

__all__ = ["cifar_resnet", "pixel_input"]
