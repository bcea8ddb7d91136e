"""What the trainer needs beyond the core, and the error that names the extra to install.

The core (`pip install wgan_jax`: the step, models, constraints, objectives, configs, builder)
runs on jax, flax, optax, numpy and ml-collections. The trainer, its input pipeline,
checkpoints, evaluation and pictures need the `train` extra.
"""

from __future__ import annotations

import contextlib

TRAIN_PACKAGES = frozenset({"tensorflow", "tensorflow_datasets", "tensorboard", "orbax",
                            "matplotlib", "ot", "tqdm", "PIL"})


@contextlib.contextmanager
def train_extra(module: str):
  """Imports in this block that miss a package of the `train` extra say how to install it."""
  try:
    yield
  except ModuleNotFoundError as error:
    if (error.name or "").split(".")[0] not in TRAIN_PACKAGES:
      raise
    raise ModuleNotFoundError(
        f"{module} needs {error.name!r}, which the trainer's extra installs: "
        f"pip install \"wgan_jax[train]\"", name=error.name) from None
