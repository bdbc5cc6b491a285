"""LDR / MCR^2 loss, forward + backward, against the official PyTorch MCR^2 loss (issue 4).

    python benchmarks/bench_coding_rate.py [--m 1000] [--d 128] [--classes 10] [--repeats 30]

Times, on the same inputs in one run, the gradient of the loss with respect to the codes Z
(m x d) for K classes:

* ``keras-taskadapt``: :class:`keras_taskadapt.losses.CodingRateReduction` inside a
  ``tf.function`` (float32; it L2-normalises Z itself).
* ``official``: a faithful re-implementation in torch of ``MaximalCodingRateReduction`` from
  the official MCR^2 ``loss.py`` (Ma-Lab-Berkeley/MCR2, first published as ryanchankh/mcr2)
  with ``gam1 = gam2 = 1, eps = 0.5``, and of ``label_to_membership`` from its
  ``train_func.py``. Its ``forward`` builds the dense (K, m, m) membership matrices from the
  labels, computes the empirical and the "theoretical" rates with ``torch.logdet`` of d x d
  matrices formed as ``W Pi_j W^T`` and returns the empirical loss. The only change is that
  ``.cuda()`` is dropped so it runs on the CPU.
* ``official, math only``: the same torch math with the membership matrices built once
  outside the timed region and only the empirical terms (what backward needs): the
  official method with its Python overhead removed.

The official ``eps`` is our ``eps ** 2``, so the values agree (printed as a check).
torch is a benchmark-only requirement (``pip install torch``), not a package dependency.
"""
import argparse
import math
import os
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def one_hot(x, K):
    """train_func.one_hot of the official code."""
    return np.array(x[:, None] == np.arange(K)[None, :], dtype=int)


def label_to_membership(targets, num_classes=None):
    """train_func.label_to_membership of the official code: Pi, shape (K, m, m)."""
    targets = one_hot(targets, num_classes)
    num_samples, num_classes = targets.shape
    Pi = np.zeros(shape=(num_classes, num_samples, num_samples))
    for j in range(len(targets)):
        k = np.argmax(targets[j])
        Pi[k, j, j] = 1.0
    return Pi


def official_loss_class():
    """loss.MaximalCodingRateReduction of the official code (``.cuda()`` dropped)."""
    import torch

    class MaximalCodingRateReduction(torch.nn.Module):
        def __init__(self, gam1=1.0, gam2=1.0, eps=0.01):
            super().__init__()
            self.gam1 = gam1
            self.gam2 = gam2
            self.eps = eps

        def compute_discrimn_loss_empirical(self, W):
            """Empirical Discriminative Loss."""
            p, m = W.shape
            I = torch.eye(p)
            scalar = p / (m * self.eps)
            logdet = torch.logdet(I + self.gam1 * scalar * W.matmul(W.T))
            return logdet / 2.0

        def compute_compress_loss_empirical(self, W, Pi):
            """Empirical Compressive Loss."""
            p, m = W.shape
            k, _, _ = Pi.shape
            I = torch.eye(p)
            compress_loss = 0.0
            for j in range(k):
                trPi = torch.trace(Pi[j]) + 1e-8
                scalar = p / (trPi * self.eps)
                log_det = torch.logdet(I + scalar * W.matmul(Pi[j]).matmul(W.T))
                compress_loss += log_det * trPi / m
            return compress_loss / 2.0

        def compute_discrimn_loss_theoretical(self, W):
            """Theoretical Discriminative Loss."""
            p, m = W.shape
            I = torch.eye(p)
            scalar = p / (m * self.eps)
            logdet = torch.logdet(I + scalar * W.matmul(W.T))
            return logdet / 2.0

        def compute_compress_loss_theoretical(self, W, Pi):
            """Theoretical Compressive Loss."""
            p, m = W.shape
            k, _, _ = Pi.shape
            I = torch.eye(p)
            compress_loss = 0.0
            for j in range(k):
                trPi = torch.trace(Pi[j]) + 1e-8
                scalar = p / (trPi * self.eps)
                log_det = torch.logdet(I + scalar * W.matmul(Pi[j]).matmul(W.T))
                compress_loss += trPi / (2 * m) * log_det
            return compress_loss

        def forward(self, X, Y, num_classes=None):
            if num_classes is None:
                num_classes = Y.max() + 1
            W = X.T
            Pi = label_to_membership(Y.numpy(), num_classes)
            Pi = torch.tensor(Pi, dtype=torch.float32)

            discrimn_loss_empi = self.compute_discrimn_loss_empirical(W)
            compress_loss_empi = self.compute_compress_loss_empirical(W, Pi)
            discrimn_loss_theo = self.compute_discrimn_loss_theoretical(W)
            compress_loss_theo = self.compute_compress_loss_theoretical(W, Pi)

            total_loss_empi = self.gam2 * -discrimn_loss_empi + compress_loss_empi
            return (
                total_loss_empi,
                [discrimn_loss_empi.item(), compress_loss_empi.item()],
                [discrimn_loss_theo.item(), compress_loss_theo.item()],
            )

    return MaximalCodingRateReduction


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

    official = official_loss_class()(gam1=1.0, gam2=1.0, eps=official_eps)
    y_torch = torch.from_numpy(labels)

    def run_official():
        z = torch.tensor(codes, requires_grad=True)
        loss = official(z, y_torch, num_classes=args.classes)[0]
        loss.backward()
        return loss.item(), z.grad.numpy()

    pi = torch.tensor(label_to_membership(labels, args.classes), dtype=torch.float32)

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
    print(f"m={args.m} d={args.d} K={args.classes}; TF {tf.__version__}, "
          f"torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"{os.cpu_count()} CPUs, {args.repeats} repeats")
    print(f"loss: keras-taskadapt {loss_a:.6f}, official {loss_b:.6f}; "
          f"max gradient gap / max |gradient| = {grad_gap:.1e}")
    timings = time_ms(
        {
            "keras-taskadapt CodingRateReduction": run_ours,
            "official MaximalCodingRateReduction": run_official,
            "official, math only (Pi prebuilt)": run_official_math,
        },
        args.repeats,
    )
    ours_median, ours_min = timings["keras-taskadapt CodingRateReduction"]
    print(f"{'forward + backward':38s} {'median ms':>10s} {'min ms':>8s} "
          f"{'ours faster (median, min)':>26s}")
    for name, (median, minimum) in timings.items():
        print(f"{name:38s} {median:10.2f} {minimum:8.2f} "
              f"{median / ours_median:17.1f}x {minimum / ours_min:6.1f}x")

if __name__ == "__main__":
    main()
