"""The four training strategies of seed 000 chapter 3 as phase schedules (seeds 001 and 002).

* :class:`EndToEnd` (``e2e``): cross-entropy on the whole model, every epoch; the "CE-trained"
  (CE-T) baseline and the latent-dimension screening of section 3.3.2.
* :class:`JointLoss` (``joint``): ``L_CE + lambda L_LDR`` on the whole model and the side
  branch, the naive superposition section 3.3.1 argues against.
* :class:`DuPHiL` (``duphil``): each DuPHiL epoch is two Keras epochs, phase 1 (encoder and
  side branch minimise the LDR loss, eq. (3.1)) then phase 2 (decoder minimises CE with the
  encoder frozen), section 3.3.1.
* :class:`ThreeStep` (``three-step``): DuPHiL with the supervised LDR, DuPHiL with the
  self-supervised LDR of eq. (3.7) on augmentation groups, then E2E CE at a smaller
  learning rate (section 3.3.2, seed 001 section 3.1); ``step_epochs`` Keras epochs each.

Each registers itself in :data:`STRATEGIES` under its ``--training`` name. Train with
``fit(..., callbacks=[keras_taskadapt.phases.PhaseSchedule()])``.
"""
import numbers

import keras

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.core.registry import Registry
from keras_taskadapt.hierarchical.training.hierarchical_training import HierarchicalTraining
from keras_taskadapt.hierarchical.training.views import AugmentedViews

#: The strategies by their ``--training`` names.
STRATEGIES = Registry("training strategy", parameter="training")


@STRATEGIES.register("e2e", help="E2E cross-entropy (the CE-T baseline)")
@keras.saving.register_keras_serializable(package="keras_taskadapt")
class EndToEnd(HierarchicalTraining):
    """E2E cross-entropy training of encoder and decoder (the CE-T baseline)."""


@STRATEGIES.register("joint", help="CE + lambda LDR on the whole model")
@keras.saving.register_keras_serializable(package="keras_taskadapt")
class JointLoss(HierarchicalTraining):
    """``L_CE + lam * L_LDR`` on encoder, decoder and side branch together (``lam``: lambda)."""

    def __init__(self, encoder, decoder, side_branch=None, quantizer=None, lam=1.0, **kwargs):
        self.lam = _non_negative("lam", lam)
        super().__init__(encoder, decoder, side_branch, quantizer, **kwargs)

    def phase_of_epoch(self, epoch):
        return "joint"

    def get_config(self):
        return {**super().get_config(), "lam": self.lam}


@STRATEGIES.register("duphil", help="phase 1 LDR, phase 2 CE, alternating epochs")
@keras.saving.register_keras_serializable(package="keras_taskadapt")
class DuPHiL(HierarchicalTraining):
    """Dual-phase hierarchical learning: even epochs phase 1 (LDR), odd epochs phase 2 (CE)."""

    REQUIRED_OPTIMIZERS = ("optimizer", "decoder_optimizer")

    def phase_of_epoch(self, epoch):
        return ("encoder", "decoder")[epoch % 2]


@STRATEGIES.register("three-step", help="DuPHiL, self-supervised DuPHiL, E2E fine-tuning")
@keras.saving.register_keras_serializable(package="keras_taskadapt")
class ThreeStep(HierarchicalTraining):
    """Three-step training: DuPHiL (LDR), DuPHiL (self-supervised LDR), E2E fine-tuning.

    Args:
        step_epochs: Keras epochs of the three steps; steps 1 and 2 alternate their two
            phases epoch by epoch, as :class:`DuPHiL`.
        n_views: rows per image in the self-supervised phase (:class:`AugmentedViews`).
        view_seed: seed of the augmentations.
    """

    REQUIRED_OPTIMIZERS = ("optimizer", "decoder_optimizer", "finetune_optimizer")

    def __init__(self, encoder, decoder, side_branch=None, quantizer=None, step_epochs=(2, 2, 1), n_views=4,
                 view_seed=None, **kwargs):
        steps = tuple(step_epochs)
        if len(steps) != 3 or not all(_is_count(value, minimum=0) for value in steps) or not sum(steps):
            raise TaskAdaptError(f"step_epochs must be three epoch counts >= 0 (not all 0), got {step_epochs!r}")
        self.step_epochs = tuple(int(value) for value in steps)
        self.views = AugmentedViews(n_views, seed=view_seed, name="views")
        self.view_seed = view_seed
        super().__init__(encoder, decoder, side_branch, quantizer, **kwargs)

    @property
    def total_epochs(self):
        """Keras epochs of the whole schedule."""
        return sum(self.step_epochs)

    def phase_of_epoch(self, epoch):
        first, second, _ = self.step_epochs
        if epoch < first:
            return ("encoder", "decoder")[epoch % 2]
        if epoch < first + second:
            return ("encoder-ssl", "decoder")[(epoch - first) % 2]
        return "finetune"

    def get_config(self):
        return {**super().get_config(), "step_epochs": list(self.step_epochs), "n_views": self.views.n_views,
                "view_seed": self.view_seed}



def _is_count(value, minimum):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= minimum


def _non_negative(option, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
        raise TaskAdaptError(f"{option} must be a number >= 0, got {value!r}")
    return float(value)
