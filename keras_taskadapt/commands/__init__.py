"""What the command line's tasks share, kept out of :mod:`keras_taskadapt.tasks` so that no task
module imports another: the command registry (:mod:`~keras_taskadapt.commands.registry`,
``@command``) and the options every task declares the same way, with the argument types that
check them (:mod:`~keras_taskadapt.commands.options`).

Nothing here imports TensorFlow at import time.
"""
