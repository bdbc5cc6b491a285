"""What a deployment of a few-shot model holds: its embedding network (``export savedmodel``)."""

from keras_taskadapt.fewshot.classifier import FewShotClassifier
from keras_taskadapt.fewshot.pretraining import BaseClassifier


def embedding_export(model):
    """``(network, contract)`` a SavedModel export of ``model`` holds: a few-shot model's
    backbone (images in, embeddings out; prototypes and distances are the caller's), any other
    model as it is (contract ``None``)."""
    if not isinstance(model, (FewShotClassifier, BaseClassifier)):
        return model, None
    backbone = model.backbone
    return backbone, {"outputs": "embedding", "embedding_dim": int(backbone.output.shape[-1]),
                      "backbone": backbone.name, "method": model.name,
                      "classify": "prototypes = mean support embedding per class; logits = -||q - c||^2 / T"}
