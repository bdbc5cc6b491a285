"""The small core every layer of the package may use, and that uses nothing above it.

- :mod:`~keras_taskadapt.core.errors`: :class:`TaskAdaptError`, the ``ValueError`` for values a
  caller can fix.
- :mod:`~keras_taskadapt.core.files`: files that are complete or absent (:func:`atomic_path`,
  :func:`write_json`, :func:`write_csv`, :func:`write_atomically`).
- :mod:`~keras_taskadapt.core.figures`: PNG figures written the same way (:func:`save_figure`).
- :mod:`~keras_taskadapt.core.registry`: :class:`Registry`, where items register themselves.
- :mod:`~keras_taskadapt.core.settings`: :class:`OptionSettings`, settings dataclasses read
  from the command line's options.
- :mod:`~keras_taskadapt.core.distribute`: the ``tf.distribute`` strategies by name.
- :mod:`~keras_taskadapt.core.history`: the Keras callback that writes ``history.csv`` with
  fixed columns.
- :mod:`~keras_taskadapt.core.run_directory`: the ``--out DIR`` contract of a run.
- :mod:`~keras_taskadapt.core.keras_file`: loading a ``.keras`` file of an expected type.

Nothing here but :mod:`~keras_taskadapt.core.history` (a Keras callback) imports TensorFlow at
import time.
"""
