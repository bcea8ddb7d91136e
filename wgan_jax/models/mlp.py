"""Multi-layer perceptrons: the WGAN paper's 4x512 MLPs, the WGAN-GP toy MLP and a deep critic."""

from __future__ import annotations

import math
from typing import Sequence

import flax.linen as nn
import jax.numpy as jnp

from wgan_jax.models.layers import condition_input, condition_noise, with_class_term


class MLP(nn.Module):
  """ReLU MLP: `depth` hidden layers of `width` units, then a linear layer of `out_dim`."""

  width: int = 512
  depth: int = 3
  out_dim: int = 1

  @nn.compact
  def __call__(self, x, with_features: bool = False):
    """The output, or `(output, last hidden features)` with `with_features`."""
    for i in range(self.depth):
      x = nn.relu(nn.Dense(self.width, name=f"hidden_{i}")(x))
    out = nn.Dense(self.out_dim, name="output")(x)
    return (out, x) if with_features else out


class MLPGenerator(nn.Module):
  """Maps noise to data of `output_shape` through a ReLU MLP with a linear output.

  With `output_shape=(2,)` and `latent_dim=2` this is the WGAN-GP toy generator
  (3 hidden layers of 512); with an image shape and `depth=3` it is the WGAN
  paper's MLP generator (4 linear layers of 512 units, no output nonlinearity,
  as in the official code). With `num_classes > 0` the one-hot label is joined to the noise
  (the conditional GAN of Mirza and Osindero 2014).
  """

  output_shape: Sequence[int] = (2,)
  latent_dim: int = 2
  width: int = 512
  depth: int = 3
  output_activation: str = "none"  # 'none' | 'tanh'
  num_classes: int = 0

  @nn.compact
  def __call__(self, z, labels=None, train: bool = True):
    del train
    out_dim = math.prod(self.output_shape)
    x = MLP(self.width, self.depth, out_dim, name="mlp")(
        condition_noise(z, labels, self.num_classes))
    if self.output_activation == "tanh":
      x = jnp.tanh(x)
    return x.reshape((z.shape[0], *self.output_shape))


class MLPCritic(nn.Module):
  """Flattens its input and scores it with a ReLU MLP; returns one score per example.

  `depth=3, width=512` is both the WGAN paper's MLP critic and the WGAN-GP toy
  critic; `depth=12` is the deep critic of the gradient-norm-per-layer figure.
  With `num_classes > 0` the label enters as `conditioning` says (`layers.CONDITIONINGS`).
  """

  width: int = 512
  depth: int = 3
  num_classes: int = 0
  conditioning: str = "projection"  # one of layers.CONDITIONINGS
  code_dim: int = 0  # > 0 with conditioning "info": the width of the InfoGAN Q head

  @nn.compact
  def __call__(self, x, labels=None, train: bool = True):
    del train
    x = condition_input(x.reshape((x.shape[0], -1)), labels, self.num_classes, self.conditioning)
    score, features = MLP(self.width, self.depth, 1, name="mlp")(x, with_features=True)
    return with_class_term(score[:, 0], features, labels, self.num_classes, self.conditioning,
                           self.code_dim)


def hidden_layer_names(depth: int) -> list[str]:
  """Parameter names of an MLP's layers in order, for per-layer gradient norms."""
  return [f"hidden_{i}" for i in range(depth)] + ["output"]


def toy_generator(latent_dim: int = 2, width: int = 512) -> MLPGenerator:
  """The WGAN-GP `gan_toy.py` generator: 2-D noise, three ReLU layers of 512, linear 2-D output."""
  return MLPGenerator(output_shape=(2,), latent_dim=latent_dim, width=width, depth=3)


def toy_critic(width: int = 512, depth: int = 3) -> MLPCritic:
  """The WGAN-GP `gan_toy.py` critic: three ReLU layers of 512, linear scalar output."""
  return MLPCritic(width=width, depth=depth)
