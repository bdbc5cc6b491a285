"""ProtoNet side by side with easyfsl's PrototypicalNetworks (issue 11).

    python3 -m venv /tmp/peervenv
    /tmp/peervenv/bin/pip install torch==2.14.1 torchvision==0.29.1 easyfsl==1.5.0
    python benchmarks/bench_fewshot.py --peer-python /tmp/peervenv/bin/python \\
        [--data ../shared/data/images/tiny-imagenet-fewshot] [--episodes 1000] [--out bench-fewshot.json]

Both sides train the same CPU-sized ResNet-12 (FEAT's block: three 3x3 convolutions with
batch norm and leaky ReLU 0.1, a 1x1 projection shortcut, 2x2 max pooling; filters
8-20-40-80, :func:`keras_taskadapt.fewshot.backbones.resnet12` at width 0.125, and the same
network written in torch here, with the same trainable parameter count, checked) from
scratch, for the same number of 5-way 1-shot 15-query episodes of the ``base`` split, with the
same optimizer (SGD, Nesterov momentum 0.9, weight decay 5e-4, the rate cosine-decayed over the
run), on the images resized to 32 x 32 and normalised by FEAT's channel statistics. Then each
scores 2,000 seeded 5-way 1-shot and 5-shot episodes of the ``novel`` split (15 queries per
class), mean accuracy with its 95% CI.

* ``keras-taskadapt``: :class:`~keras_taskadapt.fewshot.protonet.ProtoNet` (logits
  ``-||q - c||^2 / T``, ``--temperature``) fitted by ``keras.Model.fit`` on
  :func:`~keras_taskadapt.fewshot.episodes.episode_dataset` (parallel decoding, prefetch),
  scored by :func:`~keras_taskadapt.fewshot.evaluation.episode_metrics`.
* ``easyfsl``: easyfsl 1.5.0's ``PrototypicalNetworks`` (logits ``-||q - c||``), trained the
  way its episodic-training notebook does (``EasySet``, ``TaskSampler``, a ``DataLoader`` with
  ``--peer-workers`` workers, ``process_support_set`` then ``CrossEntropyLoss``), scored with
  its ``evaluate_on_one_task`` on its own seeded test tasks. It runs in the peer's interpreter
  (``--peer-python``, a virtual environment with torch), as a child process of this script that
  runs this same file with ``--side easyfsl``; nothing of easyfsl is copied here. One thing is
  arranged so it runs on torch 2.14: its ``TaskSampler`` passes ``data_source=None`` to
  ``torch.utils.data.Sampler.__init__``, which torch no longer accepts, so the bench gives
  ``Sampler`` an ``__init__`` that takes and ignores it (what torch's did before).

The two sides train in turns of ``--round`` episodes (each its own next episodes), so a
change in the machine's load falls on both; training episodes per second are each side's
episodes over the wall time of its turns (its first step and, for keras-taskadapt, tracing
included), and the ratio is also given as the median over the turns. Without ``--peer-python`` the easyfsl row is skipped with a line saying how to get it.
"""

import argparse
import json
import os
import subprocess
import sys
import time

#: keras_taskadapt.fewshot.backbones.PIXEL_MEAN / PIXEL_STD, restated because the easyfsl side
#: runs in the peer's interpreter, where keras_taskadapt is not installed (checked in main).
PIXEL_MEAN = (120.39586422, 115.59361427, 104.54012653)
PIXEL_STD = (70.68188272, 68.27635443, 72.54505529)
WIDTHS = (8, 20, 40, 80)
WAYS, TRAIN_SHOTS, QUERIES = 5, 1, 15
EVAL_SHOTS = (1, 5)


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data",
                                                       "images", "tiny-imagenet-fewshot"))
    parser.add_argument("--episodes", type=int, default=1000, help="training episodes (default: 1000)")
    parser.add_argument("--round", type=int, default=100,
                        help="the sides train this many episodes at a time, in turn (default: 100)")
    parser.add_argument("--test-episodes", type=int, default=2000, help="novel test episodes (default: 2000)")
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=0.01)
    parser.add_argument("--temperature", type=float, default=64.0,
                        help="keras-taskadapt's ProtoNet temperature (default: 64, the library's and FEAT's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--peer-python", default=None, help="a Python with torch, torchvision and easyfsl")
    parser.add_argument("--peer-workers", type=int, default=2, help="easyfsl DataLoader workers (default: 2)")
    parser.add_argument("--side", choices=("both", "keras-taskadapt", "easyfsl"), default="both",
                        help="run one side only (easyfsl: as the child process of a run of both)")
    parser.add_argument("--out", default="bench-fewshot.json")
    return parser.parse_args(argv)


def class_folders(root, split):
    folder = os.path.join(root, split)
    return [os.path.join(folder, name) for name in sorted(os.listdir(folder))]


# -- keras-taskadapt ---------------------------------------------------------------------------


class OursSide:
    """keras-taskadapt's ProtoNet; :meth:`train` fits the next ``episodes`` of the seeded stream."""

    def __init__(self, options):
        import keras

        from keras_taskadapt.fewshot.backbones import resnet12
        from keras_taskadapt.fewshot.protonet import ProtoNet
        from keras_taskadapt.fewshot.splits import open_fewshot_data
        from keras_taskadapt.schedules import cosine_decay

        keras.utils.set_random_seed(options.seed)
        self.options, self.done = options, 0
        self.data = open_fewshot_data(f"fewshot:{options.data}")
        self.shape = (options.image_size, options.image_size, 3)
        self.model = ProtoNet(resnet12(self.shape, widths=WIDTHS), WAYS, TRAIN_SHOTS, QUERIES,
                              temperature=options.temperature)
        self.model.compile(optimizer=keras.optimizers.SGD(cosine_decay(options.learning_rate, options.episodes),
                                                          momentum=0.9, nesterov=True, weight_decay=5e-4))

    def description(self):
        import keras
        import tensorflow as tf

        return {"library": "keras-taskadapt", "version": f"keras {keras.__version__} / tf {tf.__version__}",
                "params": sum(int(tf.size(weight)) for weight in self.model.backbone.trainable_weights)}

    def train(self, episodes):
        from keras_taskadapt.fewshot.episodes import EpisodeLayout, episode_dataset

        stream = episode_dataset(self.data.split("base"), EpisodeLayout(WAYS, TRAIN_SHOTS, QUERIES),
                                 seed=self.options.seed, first_episode=self.done, image_shape=self.shape).batch(1)
        start = time.perf_counter()
        self.model.fit(stream, steps_per_epoch=episodes, epochs=1, verbose=0)
        self.done += episodes
        return time.perf_counter() - start

    def evaluate(self):
        from keras_taskadapt.fewshot.evaluation import episode_metrics

        row, start = {}, time.perf_counter()
        for shots in EVAL_SHOTS:
            scores = episode_metrics(self.model, self.data.split("novel"), ways=WAYS, shots=shots, queries=QUERIES,
                                     episodes=self.options.test_episodes, seed=self.options.seed,
                                     image_shape=self.shape)
            row[f"accuracy_{shots}shot"], row[f"ci95_{shots}shot"] = scores["accuracy"], scores["ci95"]
        return {**row, "eval_seconds": time.perf_counter() - start}


# -- easyfsl (runs in the peer's interpreter) --------------------------------------------------


def torch_resnet12():
    """The network of :func:`keras_taskadapt.fewshot.backbones.resnet12` at ``WIDTHS``, in torch."""
    from torch import nn

    def conv_bn(inputs, outputs, kernel):
        return [nn.Conv2d(inputs, outputs, kernel, padding=kernel // 2, bias=False), nn.BatchNorm2d(outputs)]

    class Block(nn.Module):
        def __init__(self, inputs, outputs):
            super().__init__()
            self.body = nn.Sequential(*conv_bn(inputs, outputs, 3), nn.LeakyReLU(0.1), *conv_bn(outputs, outputs, 3),
                                      nn.LeakyReLU(0.1), *conv_bn(outputs, outputs, 3))
            self.shortcut = nn.Sequential(*conv_bn(inputs, outputs, 1))
            self.out = nn.Sequential(nn.LeakyReLU(0.1), nn.MaxPool2d(2))

        def forward(self, x):
            return self.out(self.body(x) + self.shortcut(x))

    channels = (3, *WIDTHS)
    return nn.Sequential(*[Block(a, b) for a, b in zip(channels, channels[1:])], nn.AdaptiveAvgPool2d(1),
                         nn.Flatten())


def easyfsl_set(folders, image_size, specs_path):
    from torchvision import transforms

    from easyfsl.datasets import EasySet

    with open(specs_path, "w") as handle:
        json.dump({"class_names": [os.path.basename(f) for f in folders], "class_roots": folders}, handle)
    transform = transforms.Compose([transforms.Resize((image_size, image_size)), transforms.ToTensor(),
                                    transforms.Normalize([m / 255 for m in PIXEL_MEAN], [s / 255 for s in PIXEL_STD])])
    return EasySet(specs_path, transform=transform)


def accept_data_source():
    """easyfsl 1.5.0's ``TaskSampler`` calls ``Sampler.__init__(data_source=None)``, an argument
    torch 2.14 no longer takes (module docstring)."""
    import inspect

    from torch.utils.data import Sampler

    if "data_source" not in inspect.signature(Sampler.__init__).parameters:
        Sampler.__init__ = lambda self, data_source=None: None


def episode_loader(dataset, shots, tasks, workers):
    from torch.utils.data import DataLoader

    from easyfsl.samplers import TaskSampler

    accept_data_source()
    sampler = TaskSampler(dataset, n_way=WAYS, n_shot=shots, n_query=QUERIES, n_tasks=tasks)
    return DataLoader(dataset, batch_sampler=sampler, num_workers=workers, collate_fn=sampler.episodic_collate_fn)


class EasyfslSide:
    """easyfsl's PrototypicalNetworks, trained as its episodic-training notebook does."""

    def __init__(self, options):
        import random
        import tempfile

        import torch

        from easyfsl.methods import PrototypicalNetworks

        random.seed(options.seed)
        torch.manual_seed(options.seed)
        self.options = options
        specs = tempfile.mkdtemp()
        base = easyfsl_set(class_folders(options.data, "base"), options.image_size, os.path.join(specs, "base.json"))
        self.novel = easyfsl_set(class_folders(options.data, "novel"), options.image_size,
                                 os.path.join(specs, "novel.json"))
        self.backbone = torch_resnet12()
        self.model = PrototypicalNetworks(self.backbone)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=options.learning_rate, momentum=0.9,
                                         nesterov=True, weight_decay=5e-4)
        self.schedule = torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, T_max=options.episodes)
        self.loss = torch.nn.CrossEntropyLoss()
        self.tasks = iter(episode_loader(base, TRAIN_SHOTS, options.episodes, options.peer_workers))

    def description(self):
        from importlib import metadata

        import torch

        return {"library": "easyfsl", "version": f"easyfsl {metadata.version('easyfsl')} / torch {torch.__version__}",
                "params": int(sum(p.numel() for p in self.backbone.parameters()))}

    def train(self, episodes):
        self.model.train()
        start = time.perf_counter()
        for _ in range(episodes):
            support, support_labels, queries, query_labels, _ = next(self.tasks)
            self.optimizer.zero_grad()
            self.model.process_support_set(support, support_labels)
            self.loss(self.model(queries), query_labels).backward()
            self.optimizer.step()
            self.schedule.step()
        return time.perf_counter() - start

    def evaluate(self):
        import random

        import numpy as np
        import torch

        from easyfsl.utils import evaluate_on_one_task

        self.model.eval()
        row, start = {}, time.perf_counter()
        with torch.no_grad():
            for shots in EVAL_SHOTS:
                random.seed(self.options.seed)
                tasks = episode_loader(self.novel, shots, self.options.test_episodes, self.options.peer_workers)
                accuracies = [correct / total for correct, total in
                              (evaluate_on_one_task(self.model, *task[:4]) for task in tasks)]
                row[f"accuracy_{shots}shot"] = float(np.mean(accuracies))
                row[f"ci95_{shots}shot"] = float(1.96 * np.std(accuracies) / np.sqrt(len(accuracies)))
        return {**row, "eval_seconds": time.perf_counter() - start}


def serve_easyfsl(options):
    """The child process: one JSON request per line on stdin (``description``, ``train N``,
    ``evaluate``), one JSON answer per line on stdout."""
    side = EasyfslSide(options)
    for line in sys.stdin:
        request = json.loads(line)
        answer = side.train(request["train"]) if "train" in request else getattr(side, request["call"])()
        print(json.dumps(answer), flush=True)


class PeerProcess:
    """:class:`EasyfslSide` in the peer's interpreter, behind the methods of a side."""

    def __init__(self, options):
        arguments = [options.peer_python, os.path.abspath(__file__), "--side", "easyfsl", "--data", options.data,
                     "--episodes", str(options.episodes), "--test-episodes", str(options.test_episodes),
                     "--image-size", str(options.image_size), "--learning-rate", str(options.learning_rate),
                     "--seed", str(options.seed), "--peer-workers", str(options.peer_workers)]
        self.process = subprocess.Popen(arguments, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, request):
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"the easyfsl process ended (exit status {self.process.wait()})")
        return json.loads(line)

    def description(self):
        return self.ask({"call": "description"})

    def train(self, episodes):
        return self.ask({"train": episodes})

    def evaluate(self):
        return self.ask({"call": "evaluate"})

    def close(self):
        self.process.stdin.close()
        self.process.wait()


# -- the run -----------------------------------------------------------------------------------


def train_in_rounds(sides, options):
    """Train every side ``options.round`` episodes at a time, in turn, to ``options.episodes``;
    returns each side's seconds per round."""
    seconds = [[] for _ in sides]
    for done in range(0, options.episodes, options.round):
        for index, side in enumerate(sides):
            seconds[index].append(side.train(min(options.round, options.episodes - done)))
    return seconds


def print_table(rows):
    header = ["library", "params", "episodes_per_second", "accuracy_1shot", "ci95_1shot", "accuracy_5shot",
              "ci95_5shot", "train_seconds", "eval_seconds"]
    print(" | ".join(header))
    for row in rows:
        print(" | ".join(f"{row[key]:.4f}" if isinstance(row[key], float) else str(row[key]) for key in header))


def main(argv=None):
    options = parse_arguments(argv)
    if options.side == "easyfsl":
        serve_easyfsl(options)
        return 0
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from keras_taskadapt.fewshot import backbones

    if (PIXEL_MEAN, PIXEL_STD) != (backbones.PIXEL_MEAN, backbones.PIXEL_STD):
        raise SystemExit("the bench's pixel statistics differ from keras_taskadapt.fewshot.backbones'")
    sides = [OursSide(options)]
    if options.side == "both" and options.peer_python:
        sides.append(PeerProcess(options))
    elif options.side == "both":
        print("easyfsl: skipped (give --peer-python, a Python with torch==2.14.1 torchvision==0.29.1 easyfsl==1.5.0)")
    rows = [side.description() for side in sides]
    if len(rows) == 2 and rows[0]["params"] != rows[1]["params"]:
        raise SystemExit(f"the two backbones differ: {rows[0]['params']} and {rows[1]['params']} parameters")
    for row, seconds in zip(rows, train_in_rounds(sides, options)):
        row.update(train_seconds=sum(seconds), episodes_per_second=options.episodes / sum(seconds),
                   round_seconds=seconds)
    for row, side in zip(rows, sides):
        row.update(side.evaluate())
    if len(rows) == 2:
        sides[1].close()
        ratios = sorted(b / a for a, b in zip(rows[0]["round_seconds"], rows[1]["round_seconds"]))
        rows[0]["speedup"] = rows[0]["episodes_per_second"] / rows[1]["episodes_per_second"]
        rows[0]["median_round_speedup"] = ratios[len(ratios) // 2]
    print_table(rows)
    with open(options.out, "w") as handle:
        json.dump({"episodes": options.episodes, "round": options.round, "test_episodes": options.test_episodes,
                   "image_size": options.image_size, "learning_rate": options.learning_rate,
                   "temperature": options.temperature, "rows": rows}, handle, indent=1)
    if len(rows) == 2:
        print(f"training episodes per second, keras-taskadapt / easyfsl: {rows[0]['speedup']:.2f}x over the run, "
              f"{rows[0]['median_round_speedup']:.2f}x the median of its rounds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
