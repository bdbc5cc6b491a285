"""Coarse labels of the base classes for weak LDR guidance (seed 000 section 4.3.3).

Every grouping gives two coarse groups of (about) half the base classes each:

- ``random``: the base classes shuffled (seeded) and cut in two halves;
- ``constrained``: the classes first clustered into small groups of similar classes
  (k-means, ``classes_per_cluster`` per cluster on average, on the class means of a
  pre-trained backbone's embeddings, so a cluster shares backgrounds and object sizes), then
  the clusters, shuffled, filled into the two groups, each cluster whole, as close to half of
  the classes as the cluster sizes allow;
- ``manual``: a grouping written by a person, a CSV of ``wnid,group`` (the package ships
  living things against other objects for the Tiny ImageNet split, ``groupings/``); a user's
  CSV must name every base class and no other.

Each returns ``groups[c]``, the coarse group (0 or 1, or the rank of a CSV's group name) of
base class ``c`` in the split's order.
"""

import csv
import os

import numpy as np

from keras_taskadapt.core.errors import TaskAdaptError

GROUPINGS = ("random", "constrained", "manual")
#: The shipped manual groupings, by the name of the split's folder.
SHIPPED_GROUPINGS = os.path.join(os.path.dirname(__file__), "groupings")
CLASSES_PER_CLUSTER = 4


def random_groups(num_classes, seed):
    """Half the classes (shuffled with ``seed``) in group 0, the rest in group 1."""
    order = np.random.default_rng(seed).permutation(num_classes)
    groups = np.zeros(num_classes, dtype=int)
    groups[order[num_classes // 2:]] = 1
    return groups.tolist()


def constrained_groups(class_means, seed, classes_per_cluster=CLASSES_PER_CLUSTER):
    """Small k-means clusters of the class means, split whole into two halves (module docstring)."""
    from sklearn.cluster import KMeans

    class_means = np.asarray(class_means, dtype=np.float64)
    num_classes = len(class_means)
    clusters = max(2, num_classes // classes_per_cluster)
    members = KMeans(clusters, n_init=10, random_state=seed).fit_predict(class_means)
    groups = np.ones(num_classes, dtype=int)
    filled = 0
    for cluster in np.random.default_rng(seed).permutation(clusters):
        size = int(np.sum(members == cluster))
        if abs(filled + size - num_classes / 2) <= abs(filled - num_classes / 2):
            groups[members == cluster] = 0
            filled += size
    return groups.tolist()


def read_grouping(path, classes):
    """``groups[c]`` of the ``classes`` from a ``wnid,group`` CSV (a header row is allowed)."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = [row for row in csv.reader(handle) if row and not row[0].startswith("#")]
    except OSError as error:
        raise TaskAdaptError(f"cannot read the coarse grouping {path} ({error.strerror})",
                             parameter="coarse_file") from None
    if rows and rows[0][:2] == ["wnid", "group"]:
        rows = rows[1:]
    bad = next((row for row in rows if len(row) < 2), None)
    if bad is not None:
        raise TaskAdaptError(f"{path}: expected rows of wnid,group; found {','.join(bad)!r}", parameter="coarse_file")
    named = {row[0].strip(): row[1].strip() for row in rows}
    unknown = sorted(set(named) - set(classes))
    if unknown:
        raise TaskAdaptError(f"{path}: class {unknown[0]} is not a base class ({len(unknown)} unknown)",
                             parameter="coarse_file")
    missing = [wnid for wnid in classes if wnid not in named]
    if missing:
        raise TaskAdaptError(f"{path}: base class {missing[0]} has no group ({len(missing)} missing)",
                             parameter="coarse_file")
    ranks = {name: rank for rank, name in enumerate(sorted(set(named.values())))}
    if len(ranks) < 2:
        raise TaskAdaptError(f"{path}: every class is in one group; a coarse grouping needs two or more",
                             parameter="coarse_file")
    return [ranks[named[wnid]] for wnid in classes]


def shipped_grouping(data_root):
    """The package's manual grouping for the split in ``data_root`` (``None`` when it ships none)."""
    path = os.path.join(SHIPPED_GROUPINGS, f"{os.path.basename(os.path.normpath(data_root))}.csv")
    return path if os.path.exists(path) else None
