"""Critics trained between two fixed low-dimensional distributions, for the toy figures.

Every critic is trained by the library's own `critic_update`: each batch carries its own
"fake" examples, so no generator runs.
"""

from __future__ import annotations

import time
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from wgan_jax.data import toy
from wgan_jax.extras import train_extra
from wgan_jax.lipschitz import Constraint
from wgan_jax.losses import Losses
from wgan_jax.models.mlp import toy_generator
from wgan_jax.state import GANState, critic_variables, init_state
from wgan_jax.step import make_train_step

with train_extra(__name__):
  from tqdm import tqdm

Sampler = Callable[[np.random.Generator, int], np.ndarray]


def adam(learning_rate: float) -> optax.GradientTransformation:
  """`gan_toy.py`'s optimizer: Adam(lr, 0.5, 0.9)."""
  return optax.adam(learning_rate, b1=0.5, b2=0.9)


def train_critic(critic, constraint: Constraint, objective: str,
                 tx: optax.GradientTransformation, sample_real: Sampler, sample_fake: Sampler,
                 steps: int, batch: int, seed: int,
                 desc: str = "") -> tuple[GANState, dict[str, float], float]:
  """Trains `critic` to separate two fixed distributions; returns (state, last metrics, seconds)."""
  dim = sample_real(np.random.default_rng(0), 1).shape[1]
  generator = toy_generator(latent_dim=1, width=1)  # never run: every batch carries its fakes
  state = init_state(generator, critic, tx, tx, jax.random.PRNGKey(seed), jnp.zeros((1, dim)))
  update = jax.jit(make_train_step(generator, critic, tx, tx,
                                   Losses(objective, constraint)).critic_update)
  rng, key = np.random.default_rng(seed), jax.random.PRNGKey(seed)
  start = time.time()
  metrics = {}
  for i in tqdm(range(steps), desc=desc, leave=False, unit="it"):
    real_batch = {"x": sample_real(rng, batch), "fake": sample_fake(rng, batch)}
    state, metrics = update(state, real_batch, jax.random.fold_in(key, i))
  return state, {k: float(v) for k, v in metrics.items()}, time.time() - start


def scores(critic, state: GANState, x) -> np.ndarray:
  """The critic's values at points `x` (evaluation mode)."""
  return np.asarray(critic.apply(critic_variables(state), jnp.asarray(x, jnp.float32),
                                 train=False))


def input_gradients(critic, state: GANState, x) -> np.ndarray:
  """The critic's gradient with respect to its input at each point of `x`."""
  return np.asarray(jax.vmap(jax.grad(lambda v: critic.apply(
      critic_variables(state), v[None], train=False)[0]))(jnp.asarray(x, jnp.float32)))


def noisy_copy(dataset: str, std: float) -> tuple[Sampler, Sampler]:
  """Samplers of a toy set and of the same set plus N(0, std^2) noise (WGAN-GP Fig. 1's fakes)."""
  real = lambda rng, n: toy.TOY_SAMPLERS[dataset](n, rng).astype(np.float32)  # noqa: E731
  fake = lambda rng, n: (real(rng, n) + rng.normal(0, std, (n, 2))).astype(np.float32)  # noqa: E731
  return real, fake
