"""Optimizers as the papers' codes configure them, built from optax.

* 'rmsprop': PyTorch's RMSprop by default (decay 0.99, eps 1e-8 outside the
  square root), as in the WGAN paper's official code. TensorFlow 1's variant
  (decay 0.9, eps 1e-10 inside the root, accumulator started at 1) is the
  same transformation with `decay=0.9, eps=1e-10, eps_in_sqrt=True, initial_scale=1.0`.
* 'adam': as in the WGAN-GP code (e.g. lr 1e-4, b1 0.5, b2 0.9).
* 'sgd'.

`weight_decay` adds an L2 term on the weights (every parameter of two or more dimensions, not
biases or normalization scales) to the gradient before the optimizer's own scaling, as a
`decay * sum(w**2) / 2` term in the loss would: the small decay the WGAN-GP paper's random
architectures put on a normalized discriminator (its Appendix B).

A linear decay to zero is counted in generator iterations for both networks
(as the WGAN-GP ResNet's `1 - iteration / ITERS`): the critic's optimizer
makes `updates_per_step` updates per generator iteration.
"""

from __future__ import annotations

from typing import Any, Mapping

import jax
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
                   linear_decay_steps: int = 0, updates_per_step: int = 1,
                   weight_decay: float = 0.0) -> optax.GradientTransformation:
  """Builds one network's optimizer; `linear_decay_steps > 0` turns on the linear decay and
  `weight_decay > 0` an L2 term on the weights."""
  lr: Any = learning_rate
  if linear_decay_steps:
    lr = linear_decay(learning_rate, linear_decay_steps, updates_per_step)
  if name == "adam":
    tx = optax.adam(lr, b1=b1, b2=b2, eps=eps)
  elif name == "rmsprop":
    tx = optax.rmsprop(lr, decay=decay, eps=eps, eps_in_sqrt=eps_in_sqrt,
                       initial_scale=initial_scale)
  elif name == "sgd":
    tx = optax.sgd(lr, momentum=momentum or None)
  else:
    raise ValueError(f"Unknown optimizer {name!r}; choose 'adam', 'rmsprop' or 'sgd'.")
  if weight_decay < 0:
    raise ValueError(f"weight_decay must be >= 0, got {weight_decay}.")
  if weight_decay:
    tx = optax.chain(optax.add_decayed_weights(weight_decay, mask=weights_only), tx)
  return tx


def weights_only(params):
  """True for the weight matrices and kernels of a parameter tree, False for its vectors."""
  return jax.tree.map(lambda p: jnp.ndim(p) >= 2, params)


def optimizer_from_config(config: Mapping[str, Any], updates_per_step: int = 1) -> optax.GradientTransformation:
  """`make_optimizer(**config)` with a helpful error for unknown keys."""
  config = dict(config)
  try:
    return make_optimizer(**config, updates_per_step=updates_per_step)
  except TypeError as error:
    raise ValueError(f"Bad optimizer options {sorted(config)}: {error}") from None
