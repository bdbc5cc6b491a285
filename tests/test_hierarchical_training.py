"""Hierarchical training strategies: which weights each phase moves, CE sub-batches, the
self-supervised views, saving and a mirrored strategy (seed 000 sections 3.3.1-3.3.2)."""
import json
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.hierarchical.models.split_autoencoder import split_autoencoder
from keras_taskadapt.hierarchical.models.wavelet_resnet import wavelet_resnet_classifier
from keras_taskadapt.hierarchical.training import (
    PHASES,
    AugmentedViews,
    DuPHiL,
    EndToEnd,
    JointLoss,
    ThreeStep,
)
from keras_taskadapt.phases import PhaseSchedule


def _parts():
    keras.utils.set_random_seed(0)
    return split_autoencoder(3, (16, 16, 3), width=0.125, latent_dim=8, hidden_units=8, side_dim=8, seed=0)


def _classifier_parts():  # figure 3.1: no quantizer, the side branch pools the module-2 map
    keras.utils.set_random_seed(0)
    return wavelet_resnet_classifier(3, (16, 16, 3), width=0.125, side_dim=8)


def _data(count=32):
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (count, 16, 16, 3)).astype(np.float32), rng.integers(0, 3, count)


def _compiled(model):
    model.compile(optimizer=keras.optimizers.Adam(1e-2), decoder_optimizer=keras.optimizers.Adam(1e-2),
                  finetune_optimizer=keras.optimizers.Adam(1e-3), run_eagerly=True)  # graph mode: the CLI test
    return model


def _values(*models):
    return [np.array(weight) for model in models for weight in model.weights]


def _unchanged(before, after):
    return all(np.array_equal(a, b) for a, b in zip(before, after))


@pytest.mark.parametrize("parts", [_parts, _classifier_parts])
def test_duphil_phase_1_moves_no_decoder_weight_and_phase_2_no_encoder_weight(parts):
    model = _compiled(DuPHiL(*parts(), ce_batch_size=16))
    images, labels = _data(16)
    encoder, side, decoder = _values(model.encoder, model.side_branch), _values(model.side_branch), _values(model.decoder)
    history = model.fit(images, labels, batch_size=16, epochs=1, verbose=0, callbacks=[PhaseSchedule()])
    assert model.phase == "encoder" and history.history["phase"] == [PHASES.index("encoder")]
    assert np.isfinite(history.history["ldr_loss"][0]) and "ce_loss" not in history.history
    assert _unchanged(decoder, _values(model.decoder))  # BN statistics included
    assert not _unchanged(encoder, _values(model.encoder, model.side_branch))
    assert not _unchanged(side, _values(model.side_branch))
    encoder, decoder = _values(model.encoder, model.side_branch), _values(model.decoder)
    history = model.fit(images, labels, batch_size=16, initial_epoch=1, epochs=2, verbose=0,
                        callbacks=[PhaseSchedule()])
    assert model.phase == "decoder" and np.isfinite(history.history["ce_loss"][0])
    assert _unchanged(encoder, _values(model.encoder, model.side_branch))  # frozen: BN statistics too
    assert not _unchanged(decoder, _values(model.decoder))


def test_ce_phases_take_one_step_per_ce_batch_slice():
    model = _compiled(EndToEnd(*_parts(), ce_batch_size=8))
    images, labels = _data(16)
    side = _values(model.side_branch)
    history = model.fit(images, labels, batch_size=16, epochs=1, verbose=0)
    assert int(model.optimizer.iterations) == 2  # one batch of 16, two slices of 8
    assert _unchanged(side, _values(model.side_branch))  # E2E does not train the side branch
    assert "ldr_loss" not in history.history and 0.0 <= history.history["accuracy"][0] <= 1.0


def test_joint_loss_trains_every_part_in_one_step():
    model = _compiled(JointLoss(*_parts(), lam=0.5))
    images, labels = _data(16)
    before = [_values(part) for part in (model.encoder, model.decoder, model.side_branch)]
    history = model.fit(images, labels, batch_size=16, epochs=1, verbose=0)
    after = [_values(part) for part in (model.encoder, model.decoder, model.side_branch)]
    assert not any(_unchanged(a, b) for a, b in zip(before, after))
    assert int(model.optimizer.iterations) == 1
    logs = {key: values[0] for key, values in history.history.items()}
    assert np.isfinite([logs["ce_loss"], logs["ldr_loss"]]).all()
    assert logs["loss"] > logs["ce_loss"] + 0.5 * logs["ldr_loss"]  # plus weight decay


def test_three_step_runs_its_phases_in_order_with_their_optimizers():
    model = _compiled(ThreeStep(*_parts(), ce_batch_size=16, step_epochs=(1, 2, 1), n_views=2, view_seed=1))
    images, labels = _data(16)
    history = model.fit(images, labels, batch_size=16, epochs=model.total_epochs, verbose=0,
                        callbacks=[PhaseSchedule()])
    assert [PHASES[int(index)] for index in history.history["phase"]] == ["encoder", "encoder-ssl", "decoder",
                                                                          "finetune"]
    assert np.isfinite(history.history["ldr_loss"][:2]).all()
    assert [int(optimizer.iterations) for optimizer in
            (model.optimizer, model.decoder_optimizer, model.finetune_optimizer)] == [2, 1, 1]
    with pytest.raises(TaskAdaptError):
        ThreeStep(*_parts(), step_epochs=(1, 1))
    with pytest.raises(ValueError, match="finetune_optimizer"):
        ThreeStep(*_parts()).compile(optimizer="adam", decoder_optimizer="adam")


def test_augmented_views_are_image_major_with_the_image_first():
    images, _ = _data(3)
    views = np.asarray(AugmentedViews(n_views=3, seed=0)(images))
    assert views.shape == (9, 16, 16, 3)
    np.testing.assert_array_equal(views[::3], images)
    assert all(not np.array_equal(views[3 * index + 1], images[index]) for index in range(3))
    with pytest.raises(TaskAdaptError):
        AugmentedViews(n_views=1)


def test_a_saved_strategy_model_loads_with_its_schedule_and_weights(tmp_path):
    model = _compiled(ThreeStep(*_parts(), ce_batch_size=16, step_epochs=(2, 0, 1), n_views=2))
    images, labels = _data(16)
    model.fit(images, labels, batch_size=16, epochs=1, verbose=0)
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    assert isinstance(loaded, ThreeStep) and loaded.step_epochs == (2, 0, 1)
    assert [loaded.phase_of_epoch(epoch) for epoch in range(3)] == ["encoder", "decoder", "finetune"]
    np.testing.assert_allclose(np.asarray(loaded(images)), np.asarray(model(images)), atol=1e-6)
    assert loaded.decoder_optimizer is not None and loaded.finetune_optimizer is not None


# Two logical CPU devices must exist before TensorFlow initialises: a fresh interpreter.
MIRRORED_SCRIPT = textwrap.dedent(
    """
    import json, os
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    from keras_taskadapt.hierarchical.models.split_autoencoder import split_autoencoder
    from keras_taskadapt.hierarchical.training import ThreeStep
    from keras_taskadapt.phases import PhaseSchedule

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (32, 16, 16, 3)).astype(np.float32)
    batches = tf.data.Dataset.from_tensor_slices((images, rng.integers(0, 3, 32))).batch(16, drop_remainder=True)
    with strategy.scope():
        parts = split_autoencoder(3, (16, 16, 3), width=0.125, latent_dim=8, hidden_units=8, side_dim=8, seed=0)
        model = ThreeStep(*parts, ce_batch_size=8, step_epochs=(1, 2, 1), n_views=2)
        model.compile(optimizer=keras.optimizers.Adam(1e-2), decoder_optimizer=keras.optimizers.Adam(1e-2),
                      finetune_optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(batches, epochs=4, verbose=0, callbacks=[PhaseSchedule()])
    steps = [int(np.asarray(optimizer.iterations.value.values[0]))
             for optimizer in (model.optimizer, model.decoder_optimizer, model.finetune_optimizer)]
    print(json.dumps({"history": history.history, "steps": steps}))
    """
)


@pytest.mark.slow
def test_three_step_trains_under_a_mirrored_strategy():
    done = subprocess.run([sys.executable, "-c", MIRRORED_SCRIPT], capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert [PHASES[int(index)] for index in result["history"]["phase"]] == ["encoder", "encoder-ssl", "decoder",
                                                                            "finetune"]
    assert np.isfinite(result["history"]["ldr_loss"][:2]).all() and np.isfinite(result["history"]["ce_loss"][2:]).all()
    # two batches per epoch; the CE phases split each replica's 8 images into slices of 8 / 2 replicas
    assert result["steps"] == [4, 4, 4]


def test_the_ldr_reads_the_noisy_latent_so_shrinking_it_does_not_pay():
    """A shrunk latent drowns in the quantizer noise: its LDR is worse, not equal (collapse guard)."""
    model = DuPHiL(*_parts(), ce_batch_size=16)
    labels = np.repeat(np.arange(3), 64)
    centres = np.random.default_rng(1).normal(size=(3, 8)).astype(np.float32)
    latent = centres[labels] * 8.0  # three well-separated classes on the scale of the steps

    def ldr(scale):
        return float(model._rate_reduction(model._transmitted(latent * scale), labels, model.ldr_loss))

    assert ldr(0.001) > ldr(1.0) + 1.0  # Rc - R, minimised: larger is worse
