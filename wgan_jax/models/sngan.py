"""The SN-GAN paper's standard CNN (Miyato et al. 2018, Table 3; CIFAR-10 and STL-10).

* `SNGANGenerator`: z -> dense to 4x4x(8 * width) -> three 4x4 stride-2 transposed
  convolutions halving the filters (4, 2, 1 times width), each with BatchNorm and ReLU ->
  a 3x3 convolution to the channels -> tanh. The BatchNorm and ReLU after the dense layer are
  the authors' chainer code's (`DCGANGenerator`); the paper's table lists the layers only.
* `SNGANCritic`: seven convolutions, 3x3 stride 1 and 4x4 stride 2 in turn, with 1, 1, 2, 2,
  4, 4, 8 times `width` filters and LeakyReLU (slope 0.1, as the paper's table), then a
  linear head on the flattened 4x4 map. No normalization layer: spectral normalization
  (`constraint.kind='spectral'`) divides its weights.

`width` = 64 is the paper's. Both keep every layer's bias, as the paper's code does.
"""

from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp

from wgan_jax.models.conv import Conv, ConvTranspose, ModuleDef
from wgan_jax.models.layers import (condition_input, condition_noise, normalization,
                                    with_class_term)

LEAK = 0.1  # the critic's LeakyReLU slope (the paper's Table 3)


def _check_size(image_size: int, what: str) -> None:
  if image_size < 8 or image_size % 8:
    raise ValueError(f"The SN-GAN standard {what} works at sizes divisible by 8 (32 for "
                     f"CIFAR-10, 48 for STL-10); got {image_size}.")


class SNGANGenerator(nn.Module):
  """The SN-GAN standard CNN generator (Table 3a)."""

  image_size: int = 32
  channels: int = 3
  latent_dim: int = 128
  width: int = 64
  normalization: str = "batch"  # 'batch' | 'none'
  num_classes: int = 0  # > 0: the one-hot label joined to the noise
  axis_name: str | None = None
  conv_transpose: ModuleDef = ConvTranspose  # see wgan_jax.models.conv
  conv: ModuleDef = Conv

  @nn.compact
  def __call__(self, z, labels=None, train: bool = True):
    z = condition_noise(z, labels, self.num_classes)
    _check_size(self.image_size, "generator")
    if self.normalization not in ("batch", "none"):
      raise ValueError(f"SN-GAN generator normalization must be 'batch' or 'none', got "
                       f"{self.normalization!r}.")
    norm = lambda: normalization(self.normalization, self.axis_name)  # noqa: E731
    start = self.image_size // 8
    x = nn.Dense(start * start * 8 * self.width, name="project")(z)
    x = nn.relu(norm()(x, train)).reshape((z.shape[0], start, start, 8 * self.width))
    for i, multiple in enumerate((4, 2, 1)):
      # PyTorch ConvTranspose2d(k=4, s=2, p=1): doubles the size.
      x = self.conv_transpose(multiple * self.width, (4, 4), strides=(2, 2),
                              padding=((2, 2), (2, 2)), name=f"deconv_{i}")(x)
      x = nn.relu(norm()(x, train))
    x = self.conv(self.channels, (3, 3), padding=((1, 1), (1, 1)), name="output")(x)
    return jnp.tanh(x)


class SNGANCritic(nn.Module):
  """The SN-GAN standard CNN discriminator (Table 3b), one score per example."""

  width: int = 64
  num_classes: int = 0  # > 0: class-conditional, as `conditioning` says
  conditioning: str = "projection"  # one of layers.CONDITIONINGS
  code_dim: int = 0  # > 0 with conditioning "info": the width of the InfoGAN Q head
  conv: ModuleDef = Conv  # see wgan_jax.models.conv

  @nn.compact
  def __call__(self, x, labels=None, train: bool = True):
    del train  # no BatchNorm or dropout
    x = condition_input(x, labels, self.num_classes, self.conditioning)
    _check_size(x.shape[1], "critic")
    layers = ((3, 1, 1), (4, 2, 1), (3, 1, 2), (4, 2, 2), (3, 1, 4), (4, 2, 4), (3, 1, 8))
    for i, (kernel, stride, multiple) in enumerate(layers):
      x = self.conv(multiple * self.width, (kernel, kernel), strides=(stride, stride),
                    padding=((1, 1), (1, 1)), name=f"conv_{i}")(x)
      x = nn.leaky_relu(x, negative_slope=LEAK)
    features = x.reshape((x.shape[0], -1))
    score = nn.Dense(1, name="output")(features).reshape((x.shape[0],))
    return with_class_term(score, features, labels, self.num_classes, self.conditioning,
                           self.code_dim)
