"""The WGAN-GP CIFAR-10 ResNet (`gan_cifar_resnet.py`), unconditional and AC-GAN conditional.

Pre-activation residual blocks; the generator up-samples by nearest neighbour
before a convolution, the critic down-samples by 2x2 mean pooling, and the
critic has no normalization (the gradient penalty is per example). With
`num_classes > 0` the generator uses class-conditional BatchNorm and the critic
gains an AC-GAN classification head, returning `(score, class_logits)`.
"""

from __future__ import annotations

import functools

import flax.linen as nn
import jax.numpy as jnp

from wgan_jax.models.conv import Conv, ModuleDef
from wgan_jax.models.layers import (ConditionalBatchNorm, condition_input, mean_pool, normalization,
                                    upsample_nearest, with_class_term)


def _square_conv(conv: ModuleDef, features: int, kernel: int, name: str) -> nn.Module:
  """A `kernel` x `kernel` convolution with 'SAME' padding, from the model's `conv` factory."""
  return conv(features, (kernel, kernel), padding="SAME", name=name)


class _GeneratorNorm(nn.Module):
  """BatchNorm, class-conditional when labels are given, or nothing."""

  normalization: str
  num_classes: int
  axis_name: str | None

  @nn.compact
  def __call__(self, x, labels, train: bool):
    if self.normalization == "batch" and self.num_classes > 0:
      return ConditionalBatchNorm(self.num_classes, self.axis_name)(x, labels, train)
    return normalization(self.normalization, self.axis_name)(x, train)


class UpBlock(nn.Module):
  """Generator residual block: norm, ReLU, up-sample + 3x3 conv, norm, ReLU, 3x3 conv."""

  features: int
  normalization: str = "batch"
  num_classes: int = 0
  axis_name: str | None = None
  conv: ModuleDef = Conv  # see wgan_jax.models.conv

  @nn.compact
  def __call__(self, x, labels, train: bool = True):
    norm = lambda: _GeneratorNorm(self.normalization, self.num_classes, self.axis_name)  # noqa: E731
    conv = functools.partial(_square_conv, self.conv)
    shortcut = conv(self.features, 1, "shortcut")(upsample_nearest(x))
    h = nn.relu(norm()(x, labels, train))
    h = conv(self.features, 3, "conv_1")(upsample_nearest(h))
    h = nn.relu(norm()(h, labels, train))
    h = conv(self.features, 3, "conv_2")(h)
    return shortcut + h


class CriticBlock(nn.Module):
  """Critic residual block, optionally down-sampling (conv then 2x2 mean pool)."""

  features: int
  downsample: bool = False
  normalization: str = "none"
  conv: ModuleDef = Conv  # see wgan_jax.models.conv

  @nn.compact
  def __call__(self, x, train: bool = True):
    in_features = x.shape[-1]
    conv = functools.partial(_square_conv, self.conv)
    if self.downsample:
      shortcut = mean_pool(conv(self.features, 1, "shortcut")(x))
    elif in_features != self.features:
      shortcut = conv(self.features, 1, "shortcut")(x)
    else:
      shortcut = x
    h = nn.relu(normalization(self.normalization)(x, train))
    h = conv(in_features if self.downsample else self.features, 3, "conv_1")(h)
    h = nn.relu(normalization(self.normalization)(h, train))
    h = conv(self.features, 3, "conv_2")(h)
    if self.downsample:
      h = mean_pool(h)
    return shortcut + h


class FirstCriticBlock(nn.Module):
  """The critic's first block (`OptimizedResBlockDisc1`): no pre-activation on the image."""

  features: int
  conv: ModuleDef = Conv  # see wgan_jax.models.conv

  @nn.compact
  def __call__(self, x):
    conv = functools.partial(_square_conv, self.conv)
    shortcut = conv(self.features, 1, "shortcut")(mean_pool(x))
    h = nn.relu(conv(self.features, 3, "conv_1")(x))
    h = mean_pool(conv(self.features, 3, "conv_2")(h))
    return shortcut + h


class ResNetGenerator(nn.Module):
  """32x32 ResNet generator: linear to 4x4, three up-sampling blocks, norm, ReLU, 3x3 conv, tanh."""

  latent_dim: int = 128
  width: int = 128  # DIM_G
  channels: int = 3
  num_classes: int = 0  # > 0: class-conditional BatchNorm
  normalization: str = "batch"
  axis_name: str | None = None
  conv: ModuleDef = Conv  # see wgan_jax.models.conv

  @nn.compact
  def __call__(self, z, labels=None, train: bool = True):
    if self.num_classes > 0 and labels is None:
      raise ValueError("This conditional generator needs class labels.")
    x = nn.Dense(4 * 4 * self.width, name="project")(z).reshape((z.shape[0], 4, 4, self.width))
    for i in range(3):
      x = UpBlock(self.width, self.normalization, self.num_classes, self.axis_name,
                  self.conv, name=f"block_{i + 1}")(x, labels, train)
    # The official code's output normalization is unconditional.
    x = nn.relu(normalization(self.normalization, self.axis_name)(x, train))
    return jnp.tanh(_square_conv(self.conv, self.channels, 3, "output")(x))


class ResNetCritic(nn.Module):
  """32x32 ResNet critic: four residual blocks, ReLU, global mean pool, linear score.

  With `num_classes > 0` it also returns AC-GAN class logits (the paper's conditional model),
  or takes the label as `conditioning` says otherwise (`layers.CONDITIONINGS`).
  """

  width: int = 128  # DIM_D
  num_classes: int = 0
  conditioning: str = "acgan"  # one of layers.CONDITIONINGS
  normalization: str = "none"
  conv: ModuleDef = Conv  # see wgan_jax.models.conv

  @nn.compact
  def __call__(self, x, labels=None, train: bool = True):
    x = condition_input(x, labels, self.num_classes, self.conditioning)
    block = lambda name, **kw: CriticBlock(  # noqa: E731
        self.width, normalization=self.normalization, conv=self.conv, name=name, **kw)
    x = FirstCriticBlock(self.width, self.conv, name="block_1")(x)
    x = block("block_2", downsample=True)(x, train)
    x = block("block_3")(x, train)
    x = block("block_4")(x, train)
    features = jnp.mean(nn.relu(x), axis=(1, 2))
    score = nn.Dense(1, name="output")(features)[:, 0]
    return with_class_term(score, features, labels, self.num_classes, self.conditioning)
