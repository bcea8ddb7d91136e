"""Optimizers as the papers' codes configure them, built from optax.

* 'rmsprop': PyTorch's RMSprop by default (decay 0.99, eps 1e-8 outside the
  square root), as in the WGAN paper's official code. TensorFlow 1's variant
  (decay 0.9, eps 1e-10 inside the root, accumulator started at 1) is the
  same transformation with `decay=0.9, eps=1e-10, eps_in_sqrt=True, initial_scale=1.0`.
* 'adam': as in the WGAN-GP code (e.g. lr 1e-4, b1 0.5, b2 0.9).
* 'sgd'.

A linear decay to zero is counted in generator iterations for both networks
(as the WGAN-GP ResNet's `1 - iteration / ITERS`): the critic's optimizer
makes `updates_per_step` updates per generator iteration.
"""

from __future__ import annotations

from typing import Any, Mapping

import jax.numpy as jnp
import optax


def linear_decay(learning_rate: float, decay_steps: int, updates_per_step: int = 1) -> optax.Schedule:
  """lr * max(0, 1 - generator_iteration / decay_steps)."""

  def schedule(count):
    iteration = count // updates_per_step
    return learning_rate * jnp.maximum(0.0, 1.0 - iteration / decay_steps)

  return schedule


def make_optimizer(name: str = "adam", learning_rate: float = 1e-4, *, b1: float = 0.5,
                   b2: float = 0.9, eps: float = 1e-8, decay: float = 0.99,
                   eps_in_sqrt: bool = False, initial_scale: float = 0.0, momentum: float = 0.0,
                   linear_decay_steps: int = 0, updates_per_step: int = 1) -> optax.GradientTransformation:
  """Builds one network's optimizer; `linear_decay_steps > 0` turns on the linear decay."""
  lr: Any = learning_rate
  if linear_decay_steps:
    lr = linear_decay(learning_rate, linear_decay_steps, updates_per_step)
  if name == "adam":
    return optax.adam(lr, b1=b1, b2=b2, eps=eps)
  if name == "rmsprop":
    return optax.rmsprop(lr, decay=decay, eps=eps, eps_in_sqrt=eps_in_sqrt,
                         initial_scale=initial_scale)
  if name == "sgd":
    return optax.sgd(lr, momentum=momentum or None)
  raise ValueError(f"Unknown optimizer {name!r}; choose 'adam', 'rmsprop' or 'sgd'.")


def optimizer_from_config(config: Mapping[str, Any], updates_per_step: int = 1) -> optax.GradientTransformation:
  """`make_optimizer(**config)` with a helpful error for unknown keys."""
  config = dict(config)
  try:
    return make_optimizer(**config, updates_per_step=updates_per_step)
  except TypeError as error:
    raise ValueError(f"Bad optimizer options {sorted(config)}: {error}") from None
