"""LDR / MCR^2 loss against a direct NumPy evaluation of eqs. (3.1)-(3.3) and (3.7)."""
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from keras_taskadapt.core.errors import TaskAdaptError  # noqa: E402
from keras_taskadapt.losses import (  # noqa: E402
    MCR2_EPS,
    CodingRateReduction,
    augmentation_groups,
    coarse_labels,
    coding_rate,
)
from keras_taskadapt.losses.rate_reduction import _class_rate_side  # noqa: E402

EPS = 0.6


def rate_eq_3_2(Z, eps):
    """R(Z) = 1/2 logdet(I + d / (m eps^2) Z^T Z), literally."""
    m, d = Z.shape
    return 0.5 * np.linalg.slogdet(np.eye(d) + d / (m * eps**2) * Z.T @ Z)[1]


def class_rate_eq_3_3(Z, labels, eps):
    """Rc(Z, Pi) = sum_j tr(Pi_j)/(2m) logdet(I + d / (tr(Pi_j) eps^2) Z^T Pi_j Z), literally."""
    m, d = Z.shape
    total = 0.0
    for j in range(labels.max() + 1):
        Pi = np.diag((labels == j).astype(np.float64))
        if np.trace(Pi) == 0:
            continue
        scale = d / (np.trace(Pi) * eps**2)
        total += np.trace(Pi) / (2 * m) * np.linalg.slogdet(np.eye(d) + scale * Z.T @ Pi @ Z)[1]
    return total


def reference(Z, labels, eps=EPS):
    """(R, Rc) of the row-normalised codes, in float64."""
    Z = np.asarray(Z, np.float64)
    Z = Z / np.linalg.norm(Z, axis=1, keepdims=True)
    return rate_eq_3_2(Z, eps), class_rate_eq_3_3(Z, labels, eps)


def codes(m, d, seed=0):
    return np.random.default_rng(seed).normal(size=(m, d))


@pytest.mark.parametrize("m, d", [(24, 64), (200, 16)])  # m < d and m > d
@pytest.mark.parametrize("dtype, compute_dtype", [("float32", None), ("float64", None),
                                                  ("float32", "float64")])
def test_coding_rate_equals_eq_3_2(m, d, dtype, compute_dtype):
    Z = codes(m, d).astype(dtype)
    rate = coding_rate(Z, EPS, compute_dtype=compute_dtype)
    assert keras.backend.standardize_dtype(rate.dtype) == dtype
    expected = rate_eq_3_2(Z.astype(np.float64), EPS)
    tolerance = 1e-4 if (compute_dtype or dtype) == "float32" else 1e-6
    np.testing.assert_allclose(float(rate), expected, rtol=tolerance)


# (m, d, num_classes, form of Rc that the cost model picks): both forms, both regimes.
REGIMES = [(24, 64, 10, "samples"), (200, 16, 10, "features"), (200, 16, None, "samples"),
           (120, 8, 3, "features")]


@pytest.mark.parametrize("m, d, num_classes, form", REGIMES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_loss_equals_eqs_3_1_to_3_3_with_absent_classes(m, d, num_classes, form, dtype):
    assert _class_rate_side(m, d, num_classes) == form
    rng = np.random.default_rng(1)
    present = [0, 2] if num_classes == 3 else [0, 2, 5, 7]  # other classes absent
    labels = rng.choice(present, size=m)
    Z = codes(m, d) * rng.uniform(0.5, 3.0, size=(m, 1))  # the loss normalises rows
    loss = CodingRateReduction(EPS, num_classes=num_classes, dtype=dtype)
    rate, class_rate = reference(Z, labels)
    tolerance = 1e-4 if dtype == "float32" else 1e-9
    got_rate, got_class_rate = loss.rates(labels, Z.astype(dtype))
    np.testing.assert_allclose(float(got_rate), rate, rtol=tolerance)
    np.testing.assert_allclose(float(got_class_rate), class_rate, rtol=tolerance)
    value = loss(labels, Z.astype(dtype))
    assert keras.backend.standardize_dtype(value.dtype) == dtype
    np.testing.assert_allclose(float(value), class_rate - rate, rtol=tolerance,
                               atol=tolerance * rate)


def test_float64_compute_dtype_returns_float32_more_accurately():
    m, d = 300, 32
    labels = np.arange(m) % 5
    Z = codes(m, d).astype(np.float32)
    rate, class_rate = reference(Z, labels)
    value = CodingRateReduction(EPS, num_classes=5, compute_dtype="float64")(labels, Z)
    assert keras.backend.standardize_dtype(value.dtype) == "float32"
    np.testing.assert_allclose(float(value), class_rate - rate, rtol=1e-6)


def test_self_supervised_partition_of_eq_3_7():
    groups = np.asarray(augmentation_groups(6, 4))
    np.testing.assert_array_equal(groups, np.repeat(np.arange(6), 4))
    Z = codes(24, 32, seed=2)
    rate, class_rate = reference(Z, groups)
    for num_classes in (6, None):
        value = CodingRateReduction(EPS, num_classes=num_classes)(groups, Z.astype(np.float32))
        np.testing.assert_allclose(float(value), class_rate - rate, rtol=1e-4)


def test_coarse_partition_from_fine_to_coarse_map():
    fine_to_coarse = [1, 1, 0, 2, 0, 2]
    fine = np.random.default_rng(3).integers(0, 6, size=90)
    coarse = np.asarray(coarse_labels(fine, fine_to_coarse))
    np.testing.assert_array_equal(coarse, np.asarray(fine_to_coarse)[fine])
    Z = codes(90, 12, seed=3)
    rate, class_rate = reference(Z, coarse)
    value = CodingRateReduction(EPS, num_classes=3)(coarse, Z.astype(np.float32))
    np.testing.assert_allclose(float(value), class_rate - rate, rtol=1e-4)
    assert abs(class_rate - reference(Z, fine)[1]) > 1e-2  # the coarse partition matters


@pytest.mark.parametrize("m, d, num_classes", [(30, 8, 3), (12, 20, None)])
@pytest.mark.parametrize("dtype, rtol", [("float32", 2e-2), ("float64", 1e-5)])
def test_gradient_matches_float64_finite_differences(m, d, num_classes, dtype, rtol):
    import tensorflow as tf

    assert _class_rate_side(m, d, num_classes) == ("samples" if num_classes is None else "features")
    labels = np.arange(m) % 3
    Z = codes(m, d, seed=4)
    loss = CodingRateReduction(EPS, num_classes=num_classes, dtype=dtype)
    Z_tf = tf.constant(Z, dtype)
    with tf.GradientTape() as tape:
        tape.watch(Z_tf)
        value = loss(labels, Z_tf)
    gradient = tape.gradient(value, Z_tf).numpy()
    assert np.isfinite(gradient).all()

    def ldr(Z):
        rate, class_rate = reference(Z, labels)
        return class_rate - rate

    step = 1e-6
    for i, k in np.random.default_rng(5).integers(0, [m, d], size=(8, 2)):
        shift = np.zeros_like(Z)
        shift[i, k] = step
        numeric = (ldr(Z + shift) - ldr(Z - shift)) / (2 * step)
        np.testing.assert_allclose(gradient[i, k], numeric, rtol=rtol,
                                   atol=rtol * 0.1 * np.abs(gradient).max())


def test_serialization_round_trip():
    loss = CodingRateReduction(0.5, num_classes=4, compute_dtype="float64", name="ldr")
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    assert isinstance(restored, CodingRateReduction)
    assert restored.get_config() == loss.get_config()
    labels, Z = np.arange(16) % 4, codes(16, 8).astype(np.float32)
    assert float(restored(labels, Z)) == float(loss(labels, Z))
    assert CodingRateReduction().eps == MCR2_EPS == pytest.approx(0.5**0.5)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: CodingRateReduction(eps=0.0), "eps must be a positive number"),
        (lambda: CodingRateReduction(num_classes=0), "num_classes must be a positive integer"),
        (lambda: coding_rate(np.ones(5), 0.5), "codes Z must be a matrix"),
        (lambda: CodingRateReduction()(np.zeros(3), np.ones((4, 2))), "3 labels for 4 codes"),
        (lambda: augmentation_groups(4, 0), "n_views must be a positive integer"),
        (lambda: coarse_labels([0, 1], [[0, 1]]), "fine_to_coarse must be"),
        (lambda: coarse_labels([0, 1], [0, -1]), "negative coarse class"),
    ],
)
def test_bad_input_raises_user_error(make, message):
    with pytest.raises(TaskAdaptError, match=message) as error:
        make()
    assert "\n" not in str(error.value)


# Two logical CPU devices must be configured before TensorFlow initialises its devices, which
# the other tests of this process have done already: run the comparison in a fresh interpreter.
DISTRIBUTED_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    from keras_taskadapt.losses import CodingRateReduction, augmentation_groups

    m, d_in, d, views = 24, 10, 6, 4
    rng = np.random.default_rng(0)
    x = rng.normal(size=(m, d_in)).astype("float32")
    labels = rng.integers(0, 4, size=m).astype("int32")
    w0 = rng.normal(size=(d_in, d)).astype("float32")
    cases = {
        "features": (CodingRateReduction(0.6, num_classes=4), False),
        "samples": (CodingRateReduction(0.6), False),
        "views": (CodingRateReduction(0.6), True),
    }

    def loss_and_gradient(loss, views_partition, w, x, y):
        if views_partition:  # self-supervised: ids from the batch this replica holds
            y = augmentation_groups(tf.shape(x)[0] // views, views)
        with tf.GradientTape() as tape:
            value = loss(y, tf.matmul(x, w))
        return value, tape.gradient(value, w)

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        w_mirrored = tf.Variable(w0)
    half = m // 2

    def split(array):
        return strategy.experimental_distribute_values_from_function(
            lambda ctx: tf.constant(array[ctx.replica_id_in_sync_group * half:][:half]))

    result = {}
    for name, (loss, views_partition) in cases.items():
        value, gradient = loss_and_gradient(loss, views_partition, tf.Variable(w0), x, labels)

        @tf.function
        def distributed(x, y):
            return strategy.run(loss_and_gradient, args=(loss, views_partition, w_mirrored, x, y))

        values, gradients = distributed(split(x), split(labels))
        result[name] = {
            "single": float(value),
            "replicas": [float(v) for v in strategy.experimental_local_results(values)],
            "single_gradient": gradient.numpy().tolist(),
            "summed_gradient": strategy.reduce("SUM", gradients, axis=None).numpy().tolist(),
        }

    def fit_once():  # one SGD step of Model.fit's own train_step on the global batch
        model = keras.Sequential([keras.Input((d_in,)), keras.layers.Dense(
            d, use_bias=False, kernel_initializer=keras.initializers.Constant(w0))])
        model.compile(optimizer=keras.optimizers.SGD(0.1),
                      loss=CodingRateReduction(0.6, num_classes=4))
        history = model.fit(x, labels, batch_size=m, epochs=1, shuffle=False, verbose=0)
        return model.get_weights()[0].tolist(), history.history["loss"][0]

    result["fit_single"] = fit_once()
    with strategy.scope():
        result["fit_mirrored"] = fit_once()
    result["replicas_in_sync"] = strategy.num_replicas_in_sync
    print(json.dumps(result))
    """
)


def test_mirrored_strategy_gives_single_device_loss_and_gradients(tmp_path):
    script = tmp_path / "distributed_coding_rate.py"
    script.write_text(DISTRIBUTED_SCRIPT)
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["replicas_in_sync"] == 2
    for name in ("features", "samples", "views"):
        case = result[name]
        # Each replica returns the global loss / 2, Keras' convention (module docstring).
        np.testing.assert_allclose(case["replicas"], [case["single"] / 2] * 2, rtol=1e-5)
        np.testing.assert_allclose(case["summed_gradient"], case["single_gradient"],
                                   rtol=1e-4, atol=1e-6)
    (w_single, loss_single), (w_mirrored, loss_mirrored) = (result["fit_single"],
                                                            result["fit_mirrored"])
    np.testing.assert_allclose(loss_mirrored, loss_single, rtol=1e-5)
    np.testing.assert_allclose(w_mirrored, w_single, rtol=1e-4, atol=1e-6)
    single_gradient = np.asarray(result["features"]["single_gradient"])
    assert np.abs(single_gradient).max() > 1e-3  # the step moved the weights
