"""LDR / MCR^2 loss, forward + backward, against the official PyTorch MCR^2 loss (issue 4).

    git clone https://github.com/Ma-Lab-Berkeley/MCR2 /path/to/MCR2
    python benchmarks/bench_coding_rate.py --official-repo /path/to/MCR2 [--m 1000] [--d 128] [--classes 10]

Times, on the same inputs in one run, the gradient of the loss with respect to the codes Z
(m x d) for K classes:

* ``keras-taskadapt``: :class:`keras_taskadapt.losses.CodingRateReduction` inside a
  ``tf.function`` (float32; it L2-normalises Z itself).
* ``official``: ``MaximalCodingRateReduction`` of the official MCR^2 ``loss.py``, imported from
  the checkout given with ``--official-repo`` (nothing of it is copied into this project), with
  ``gam1 = gam2 = 1, eps = 0.5``. Its ``forward`` builds the dense (K, m, m) membership matrices
  from the labels (``train_func.label_to_membership``), computes the empirical and the
  "theoretical" rates with ``torch.logdet`` of d x d matrices formed as ``W Pi_j W^T`` and
  returns the empirical loss. Two things are arranged so it runs here: ``loss.py`` imports its
  ``train_func`` module, which imports OpenCV, torchvision and the clustering code of the
  training scripts, so only the two functions ``loss.py`` uses (``label_to_membership`` and
  ``one_hot``) are compiled from the checkout's ``train_func.py`` into the module it gets; and
  the checkout's ``.cuda()`` calls return the tensor itself on a machine without a GPU.
* ``official, math only``: the same torch methods with the membership matrices built once
  outside the timed region and only the empirical terms (what backward needs): the
  official method with its Python overhead removed.

Without ``--official-repo`` (or with a path that holds no ``loss.py``) the official rows are
skipped with a line saying how to get the code. The official ``eps`` is our ``eps ** 2``, so
the values agree (printed as a check). torch is a benchmark-only requirement
(``pip install torch``), not a package dependency.
"""
import argparse
import ast
import importlib.util
import math
import os
import sys
import time
import types

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

OFFICIAL_FUNCTIONS = ("one_hot", "label_to_membership")


def official_loss_module(repo):
    """The checkout's ``loss`` module (module docstring for what is arranged so it imports)."""
    import torch

    source = os.path.join(repo, "train_func.py")
    tree = ast.parse(open(source).read(), source)
    train_func = types.ModuleType("train_func")
    train_func.__dict__.update(np=np, torch=torch)
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name in OFFICIAL_FUNCTIONS]
    exec(compile(ast.Module(body=functions, type_ignores=[]), source, "exec"), train_func.__dict__)
    sys.modules["train_func"] = train_func
    sys.path.insert(0, repo)  # loss.py also imports the checkout's utils
    if not torch.cuda.is_available():
        torch.Tensor.cuda = lambda tensor, *args, **kwargs: tensor
    spec = importlib.util.spec_from_file_location("mcr2_loss", os.path.join(repo, "loss.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def time_ms(steps, repeats, warmup=3):
    """Median and minimum milliseconds of each step; repetitions interleave the steps so
    that a change in the machine's load affects them alike."""
    for step in steps.values():
        for _ in range(warmup):
            step()
    times = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    return {name: (1000 * np.median(t), 1000 * np.min(t)) for name, t in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--m", type=int, default=1000, help="samples in the batch")
    parser.add_argument("--d", type=int, default=128, help="code dimension")
    parser.add_argument("--classes", type=int, default=10, help="number of classes K")
    parser.add_argument("--repeats", type=int, default=30, help="timed repetitions")
    parser.add_argument("--official-repo", default=None,
                        help="a checkout of https://github.com/Ma-Lab-Berkeley/MCR2 (its loss.py is imported)")
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        raise SystemExit("error: this benchmark needs torch (pip install torch)") from None
    import tensorflow as tf

    from keras_taskadapt.losses import CodingRateReduction

    official_eps = 0.5
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(args.m, args.d)).astype(np.float32)
    codes /= np.linalg.norm(codes, axis=1, keepdims=True)  # the official nets normalise
    labels = rng.integers(0, args.classes, size=args.m)

    ours = CodingRateReduction(eps=math.sqrt(official_eps), num_classes=args.classes)
    z_tf, y_tf = tf.constant(codes), tf.constant(labels, tf.int32)

    @tf.function
    def ours_step(z, y):
        with tf.GradientTape() as tape:
            tape.watch(z)
            loss = ours(y, z)
        return loss, tape.gradient(loss, z)

    def run_ours():
        loss, grad = ours_step(z_tf, y_tf)
        return float(loss), grad.numpy()

    steps = {"keras-taskadapt CodingRateReduction": run_ours}
    print(f"m={args.m} d={args.d} K={args.classes}; TF {tf.__version__}, "
          f"torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"{os.cpu_count()} CPUs, {args.repeats} repeats")
    if args.official_repo and os.path.isfile(os.path.join(args.official_repo, "loss.py")):
        steps.update(official_steps(official_loss_module(args.official_repo), codes, labels, args.classes,
                                    official_eps, run_ours))
    else:
        print("official rows skipped: clone https://github.com/Ma-Lab-Berkeley/MCR2 and pass --official-repo PATH")
    timings = time_ms(steps, args.repeats)
    ours_median, ours_min = timings["keras-taskadapt CodingRateReduction"]
    print(f"{'forward + backward':38s} {'median ms':>10s} {'min ms':>8s} "
          f"{'ours faster (median, min)':>26s}")
    for name, (median, minimum) in timings.items():
        print(f"{name:38s} {median:10.2f} {minimum:8.2f} "
              f"{median / ours_median:17.1f}x {minimum / ours_min:6.1f}x")


def official_steps(loss_module, codes, labels, classes, official_eps, run_ours):
    """The timed steps of the official loss, after checking that its value and gradient agree with ours."""
    import torch

    official = loss_module.MaximalCodingRateReduction(gam1=1.0, gam2=1.0, eps=official_eps)
    y_torch = torch.from_numpy(labels)

    def run_official():
        z = torch.tensor(codes, requires_grad=True)
        loss = official(z, y_torch, num_classes=classes)[0]
        loss.backward()
        return loss.item(), z.grad.numpy()

    pi = torch.tensor(sys.modules["train_func"].label_to_membership(labels, classes), dtype=torch.float32)

    def run_official_math():
        z = torch.tensor(codes, requires_grad=True)
        W = z.T
        loss = -official.compute_discrimn_loss_empirical(W)
        loss = loss + official.compute_compress_loss_empirical(W, pi)
        loss.backward()
        return loss.item(), z.grad.numpy()

    (loss_a, grad_a), (loss_b, grad_b) = run_ours(), run_official()
    # Ours normalises Z inside the loss: at unit rows its gradient is the official one with
    # the radial part of every row removed.
    grad_b -= np.sum(grad_b * codes, axis=1, keepdims=True) * codes
    grad_gap = np.abs(grad_a - grad_b).max() / np.abs(grad_b).max()
    print(f"loss: keras-taskadapt {loss_a:.6f}, official {loss_b:.6f}; "
          f"max gradient gap / max |gradient| = {grad_gap:.1e}")
    return {"official MaximalCodingRateReduction": run_official, "official, math only (Pi prebuilt)": run_official_math}


if __name__ == "__main__":
    main()
