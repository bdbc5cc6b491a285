"""Few-shot learning with weak LDR guidance (issue 11): episodes, methods, LDR partitions,
reloading, export and bad input, on a small generated ``fewshot:`` folder and the real split."""

import json
import os

import numpy as np
import pytest
from PIL import Image

from keras_taskadapt.cli import main
from tests.conftest import one_line_error, shared_path

IMAGE = 16


def write_split(root, split, classes, per_class, rng, first=0):
    """``root/split/wNNN/i.jpg``: class ``c`` is a noisy image of its own colour (learnable)."""
    for label in range(first, first + classes):
        folder = root / split / f"w{label:03d}"
        folder.mkdir(parents=True)
        colour = rng.integers(0, 256, 3)
        for index in range(per_class):
            pixels = np.clip(colour + rng.normal(0, 25, (IMAGE, IMAGE, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(folder / f"{index:03d}.jpg", quality=95)


@pytest.fixture(scope="session")
def fewshot_root(tmp_path_factory):
    """base: 8 classes x 12 images, val: 3 x 8, novel: 5 x 10 (16x16 JPEGs)."""
    root = tmp_path_factory.mktemp("fewshot")
    rng = np.random.default_rng(0)
    write_split(root, "base", 8, 12, rng)
    write_split(root, "val", 3, 8, rng, first=8)
    write_split(root, "novel", 5, 10, rng, first=11)
    return root


def small_run(root, out, *extra):
    return ["train", "fewshot", "--dataset", f"fewshot:{root}", "--backbone", "convnet4", "--width", "0.25",
            "--ways", "3", "--shots", "1", "--queries", "3", "--epochs", "2", "--episodes-per-epoch", "4",
            "--val-episodes", "3", "--test-episodes", "40", "--eval-shots", "1", "2", "--out", str(out), *extra]


@pytest.fixture(scope="session")
def pretrained_run(fewshot_root, tmp_path_factory):
    out = tmp_path_factory.mktemp("pretrain")
    assert main(small_run(fewshot_root, out, "--method", "pretrain", "--batch-size", "16",
                          "--learning-rate", "0.05")) == 0
    return out


@pytest.fixture(scope="session")
def feat_run(fewshot_root, pretrained_run, tmp_path_factory):
    """FEAT with weak LDR on constrained groups and every augmentation, from the pre-trained backbone."""
    out = tmp_path_factory.mktemp("feat")
    assert main(small_run(fewshot_root, out, "--method", "feat", "--ldr", "weak", "--coarse", "constrained",
                          "--lambda", "0.5", "--augment", "all", "--temperature", "4",
                          "--pretrained", str(pretrained_run / "model.keras"))) == 0
    return out


# -- episodes ---------------------------------------------------------------------------------


def test_episodes_have_the_layout_distinct_images_and_the_split_classes(fewshot_root):
    import tensorflow as tf

    from keras_taskadapt.fewshot.episodes import EpisodeLayout, file_table, sample_episode
    from keras_taskadapt.fewshot.splits import open_fewshot_data

    split = open_fewshot_data(f"fewshot:{fewshot_root}").split("novel")
    layout = EpisodeLayout(4, 2, 3)
    _, sizes, _ = file_table(split)
    for episode in range(200):
        classes, picks = sample_episode(tf.constant([7, episode], tf.int64), tf.constant(sizes), layout)
        classes, picks = classes.numpy(), picks.numpy()
        assert picks.shape == (4, 5) and len(set(classes)) == 4 and classes.max() < split.num_classes
        for row, label in zip(picks, classes):
            assert len(set(row)) == 5 and row.max() < sizes[label]  # support and query never share an image


def test_the_same_seed_gives_the_same_episodes_and_another_seed_others(fewshot_root):
    from keras_taskadapt.fewshot.augmentation import Augmentation
    from keras_taskadapt.fewshot.episodes import EpisodeLayout, episode_dataset
    from keras_taskadapt.fewshot.splits import open_fewshot_data

    split = open_fewshot_data(f"fewshot:{fewshot_root}").split("base")
    layout = EpisodeLayout(3, 1, 2)

    def episodes(seed):
        data = episode_dataset(split, layout, seed=seed, episodes=5, augmentation=Augmentation.from_names(["all"]))
        return [(images.numpy(), labels.numpy()) for images, labels in data]

    first, again, other = episodes(3), episodes(3), episodes(4)
    assert first[0][0].shape == (layout.size, IMAGE, IMAGE, 3) and first[0][1].shape == (layout.size,)
    assert all((a[0] == b[0]).all() and (a[1] == b[1]).all() for a, b in zip(first, again))
    assert any((a[1] != b[1]).any() for a, b in zip(first, other))
    for _, labels in first:  # support class by class, then the queries in the same class order
        assert (labels[:3] == labels[3::2]).all() and (labels[3::2] == labels[4::2]).all()


def test_the_real_split_keeps_its_classes_apart():
    from keras_taskadapt.fewshot.episodes import EpisodeLayout
    from keras_taskadapt.fewshot.splits import open_fewshot_data

    data = open_fewshot_data(f"fewshot:{shared_path('images', 'tiny-imagenet-fewshot')}")
    sizes = {name: (split.num_classes, sum(split.class_sizes())) for name, split in data.splits.items()}
    assert sizes == {"base": (64, 32000), "val": (16, 1600), "novel": (20, 6000)}
    classes = [set(split.classes) for split in data.splits.values()]
    assert not (classes[0] & classes[1] or classes[0] & classes[2] or classes[1] & classes[2])
    novel = data.split("novel")
    assert all(os.path.dirname(path).endswith(os.path.join("novel", wnid))
               for wnid, paths in zip(novel.classes, novel.files) for path in paths)
    EpisodeLayout(5, 5, 15).check(novel)


# -- methods and LDR guidance -----------------------------------------------------------------


def random_backbone(dimension=6):
    import keras

    inputs = keras.Input((IMAGE, IMAGE, 3))
    return keras.Model(inputs, keras.layers.Dense(dimension)(keras.layers.GlobalAveragePooling2D()(inputs)))


def test_protonet_logits_are_minus_squared_distances_to_the_prototypes_over_the_temperature():
    from keras_taskadapt.fewshot.protonet import ProtoNet

    model = ProtoNet(random_backbone(), ways=3, shots=2, queries=4, temperature=2.5)
    rng = np.random.default_rng(1)
    support = rng.normal(size=(2, 3, 2, 6)).astype("float32")
    queries = rng.normal(size=(2, 12, 6)).astype("float32")
    logits = np.asarray(model.episode_logits(support, queries))
    prototypes = support.mean(axis=2)
    expected = -((queries[:, :, None, :] - prototypes[:, None, :, :]) ** 2).sum(-1) / 2.5
    np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-4)


def test_weak_ldr_uses_the_coarse_partition_hard_the_fine_one_and_reaches_the_backbone():
    import tensorflow as tf

    from keras_taskadapt.fewshot.protonet import ProtoNet
    from keras_taskadapt.losses import CodingRateReduction

    coarse = [0, 0, 1, 1, 0, 1]
    labels = tf.constant([[0, 2, 4, 0, 0, 2, 2, 4, 4]], tf.int32)  # 3-way 1-shot 2-query, fine 0, 2, 4
    images = tf.random.stateless_uniform((1, 9, IMAGE, IMAGE, 3), [1, 2], maxval=255.0)
    rate_reduction = CodingRateReduction()
    values = {}
    for ldr in ("hard", "weak"):
        model = ProtoNet(random_backbone(), ways=3, shots=1, queries=2, ldr=ldr, ldr_weight=1.0, coarse_groups=coarse)
        with tf.GradientTape() as tape:
            _, _, embeddings = model.embed_episodes(images, training=True)
            loss = model.ldr_loss(labels, embeddings)
        partition = tf.gather(coarse, labels[0]) if ldr == "weak" else labels[0]
        np.testing.assert_allclose(float(loss), float(rate_reduction(partition, embeddings)), rtol=1e-5)
        gradients = tape.gradient(loss, model.backbone.trainable_variables)
        assert all(g is not None for g in gradients) and float(tf.linalg.global_norm(gradients)) > 0
        values[ldr] = float(rate_reduction(labels[0], embeddings)), float(loss)
    assert values["weak"][0] != pytest.approx(values["weak"][1])  # the coarse groups differ from the fine classes


def test_feat_adapts_the_prototypes_and_adds_its_regulariser():
    from keras_taskadapt.fewshot.feat import FEAT

    model = FEAT(random_backbone(), ways=3, shots=2, queries=2, balance=1.0, temperature=1.0)
    rng = np.random.default_rng(2)
    support = rng.normal(size=(1, 3, 2, 6)).astype("float32")
    queries = rng.normal(size=(1, 6, 6)).astype("float32")
    adapted = np.asarray(model.prototypes(support))
    assert adapted.shape == (1, 3, 6) and not np.allclose(adapted, support.mean(axis=2))
    assert float(model.regulariser(support, queries, training=True)) > 0
    assert float(FEAT(random_backbone(), ways=3, shots=2, queries=2, balance=0.0).regulariser(support, queries)) == 0


def test_constrained_grouping_keeps_clusters_whole_and_splits_about_half():
    from keras_taskadapt.fewshot.coarse import constrained_groups, random_groups

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(8, 5)) * 10
    means = np.repeat(centres, 4, axis=0) + rng.normal(size=(32, 5)) * 0.01  # 8 clusters of 4 classes
    groups = np.asarray(constrained_groups(means, seed=0))
    assert groups.sum() == 16 and all(len(set(groups[4 * c:4 * c + 4])) == 1 for c in range(8))
    assert sum(random_groups(64, seed=1)) == 32 and random_groups(64, 1) != random_groups(64, 2)


def test_the_shipped_manual_grouping_names_every_base_class():
    from keras_taskadapt.fewshot.coarse import read_grouping, shipped_grouping
    from keras_taskadapt.fewshot.splits import open_fewshot_data

    root = shared_path("images", "tiny-imagenet-fewshot")
    base = open_fewshot_data(f"fewshot:{root}").split("base")
    groups = read_grouping(shipped_grouping(str(root)), base.classes)
    assert len(groups) == 64 and sum(groups) == 41  # living things (23) are group 0, objects group 1
    assert groups[base.classes.index("n02085620")] == 0 and groups[base.classes.index("n04146614")] == 1


# -- runs -------------------------------------------------------------------------------------


def test_a_trained_run_writes_the_protocol_keys_and_learns(feat_run, pretrained_run):
    metrics = json.loads((feat_run / "metrics.json").read_text())
    for key, value in {"method": "feat", "ldr": "weak", "coarse": "constrained", "lambda": 0.5,
                       "backbone": "convnet4", "ways": 3, "shots": 1, "queries": 3, "episodes": 40}.items():
        assert metrics[key] == value, key
    assert metrics["ci95"] > 0 and metrics["accuracy"] == metrics["accuracy_1shot"]
    assert metrics["accuracy_2shot"] > 1 / 3 + 2 * metrics["ci95_2shot"]  # above chance on these colours
    assert json.loads((pretrained_run / "metrics.json").read_text())["method"] == "pretrain"
    history = (feat_run / "history.csv").read_text().splitlines()
    assert history[0].split(",")[:3] == ["epoch", "accuracy", "ce"] and len(history) == 3


def test_a_reloaded_model_gives_the_same_episode_accuracy_and_exports_its_backbone(feat_run, tmp_path):
    model = str(feat_run / "model.keras")
    assert main(["evaluate", "fewshot", "--model", model, "--shots", "1", "--ways", "3", "--queries", "3",
                 "--episodes", "40", "--out", str(tmp_path / "eval")]) == 0
    trained = json.loads((feat_run / "metrics.json").read_text())
    evaluated = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert evaluated["accuracy"] == trained["accuracy"] and evaluated["ci95"] == trained["ci95"]
    assert main(["export", "savedmodel", "--model", model, "--out", str(tmp_path / "served")]) == 0
    contract = json.loads((tmp_path / "served" / "assets.extra" / "contract.json").read_text())
    assert contract["outputs"] == "embedding" and contract["input_shape"] == [None, IMAGE, IMAGE, 3]


def test_scoring_from_the_embedding_table_matches_the_image_episodes(feat_run, fewshot_root):
    import keras

    from keras_taskadapt.fewshot.episodes import EpisodeLayout, episode_dataset
    from keras_taskadapt.fewshot.evaluation import episode_accuracies
    from keras_taskadapt.fewshot.splits import open_fewshot_data

    model = keras.saving.load_model(str(feat_run / "model.keras"))
    novel = open_fewshot_data(f"fewshot:{fewshot_root}").split("novel")
    layout = EpisodeLayout(3, 2, 3)
    from_table = episode_accuracies(model, novel, layout, episodes=12, seed=5)
    classifier = model.with_layout(3, 2, 3)
    from_images = [np.mean(np.argmax(classifier(images[None], training=False)[0], -1) == layout.query_targets())
                   for images, _ in episode_dataset(novel, layout, seed=5, episodes=12)]
    np.testing.assert_allclose(from_table, from_images, atol=1e-6)
    assert len(set(np.round(from_table, 6))) > 1  # the episodes differ, so the match is not trivial


def test_sweep_reads_back_finished_runs_and_writes_the_table(fewshot_root, pretrained_run, tmp_path, monkeypatch):
    import shutil

    from keras_taskadapt.fewshot import sweep

    out = tmp_path / "sweep"
    shutil.copytree(pretrained_run, out / "convnet4-pretrain")
    monkeypatch.setattr(sweep, "VARIANTS", (sweep.Variant("CE", "none"), sweep.Variant("Weak-LDR-M", "weak", "manual")))
    with open(tmp_path / "groups.csv", "w") as handle:
        handle.write("wnid,group\n" + "".join(f"w{c:03d},{c % 2}\n" for c in range(8)))
    arguments = small_run(fewshot_root, out, "--backbones", "convnet4", "--coarse-file", str(tmp_path / "groups.csv"))
    assert main(["sweep", *arguments[1:]]) == 0
    rows = (out / "sweep.csv").read_text().splitlines()
    assert len(rows) == 1 + 2 * 2 and rows[0].startswith("backbone,augment,variant,accuracy_1shot")
    assert (out / "accuracy.png").is_file() and not (out / "convnet4-pretrain" / "backup").exists()
    assert sorted(os.listdir(out / "convnet4-all")) == ["ce", "weak-ldr-m"]


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("extra, fragment", [
    (["--ways", "9"], "9-way episodes need 9 classes; the novel split has 5"),
    (["--shots", "8", "--queries", "5"], "need 13 images per class"),
    (["--ldr", "weak", "--coarse", "manual"], "no manual grouping ships"),
    (["--augment", "blur"], "unknown augmentation 'blur'"),
])
def test_impossible_runs_are_one_line_and_write_nothing(fewshot_root, tmp_path, capsys, extra, fragment):
    out = tmp_path / "run"
    assert fragment in one_line_error(capsys, small_run(fewshot_root, out, *extra))
    assert not out.exists() or not os.listdir(out)


def test_an_empty_class_folder_and_bad_groupings_are_named(fewshot_root, tmp_path, capsys):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(fewshot_root, broken)
    (broken / "val" / "w099").mkdir()
    assert "class folder val/w099 holds no images" in one_line_error(capsys, small_run(broken, tmp_path / "a"))
    missing = tmp_path / "missing.csv"
    missing.write_text("wnid,group\n" + "".join(f"w{c:03d},{c % 2}\n" for c in range(7)))
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("wnid,group\n" + "".join(f"w{c:03d},{c % 2}\n" for c in range(8)) + "n0000,1\n")
    for path, fragment in ((missing, "base class w007 has no group"), (unknown, "class n0000 is not a base class")):
        command = small_run(fewshot_root, tmp_path / path.stem, "--ldr", "weak", "--coarse", "manual",
                            "--coarse-file", str(path))
        assert fragment in one_line_error(capsys, command)
        assert not (tmp_path / path.stem).exists() or not os.listdir(tmp_path / path.stem)
