"""Small builders shared by the tests."""

import jax
import jax.numpy as jnp
import numpy as np
import optax

from wgan_jax import lipschitz
from wgan_jax.models import create_models
from wgan_jax.state import init_state
from wgan_jax.losses import Losses
from wgan_jax.step import make_train_step


def tiny_image_setup(constraint, generator_norm="batch", critic_norm="layer", axis_name=None,
                     image_shape=(16, 16, 1), optimizer=None, objective="wasserstein",
                     ema=None, augment=()):
  """A tiny WGAN DCGAN pair with its state and train step."""
  model = {"generator": {"kind": "dcgan", "width": 4, "latent_dim": 8,
                         "normalization": generator_norm},
           "critic": {"kind": "dcgan", "width": 4, "normalization": critic_norm}}
  generator, critic = create_models(model, image_shape, axis_name=axis_name)
  tx = optimizer or optax.adam(1e-3, 0.5, 0.9)
  state = init_state(generator, critic, tx, tx, jax.random.PRNGKey(0),
                     jnp.zeros((1,) + image_shape), constraint=constraint, ema=ema)
  step = make_train_step(generator, critic, tx, tx,
                         Losses(objective, constraint, augment=augment), axis_name=axis_name,
                         ema=ema)
  return generator, critic, state, step


def image_batches(n_critic, batch, image_shape=(16, 16, 1), seed=1):
  rng = np.random.default_rng(seed)
  return jnp.asarray(rng.uniform(-1, 1, (n_critic, batch) + image_shape).astype(np.float32))


def assert_trees_close(a, b, rtol=1e-5, atol=1e-6):
  jax.tree_util.tree_map(lambda x, y: np.testing.assert_allclose(
      np.asarray(x), np.asarray(y), rtol=rtol, atol=atol), a, b)


PENALTY = lipschitz.GradientPenalty(10.0)
CLIPPING = lipschitz.WeightClipping(0.01)
