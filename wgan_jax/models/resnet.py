"""The WGAN-GP CIFAR-10 ResNet (`gan_cifar_resnet.py`), unconditional and AC-GAN conditional.

Pre-activation residual blocks; the generator up-samples by nearest neighbour
before a convolution, the critic down-samples by 2x2 mean pooling, and the
critic has no normalization (the gradient penalty is per example). With
`num_classes > 0` the generator uses class-conditional BatchNorm and the critic
gains an AC-GAN classification head, returning `(score, class_logits)`.
"""

from __future__ import annotations

import functools
import math

import flax.linen as nn
import jax.numpy as jnp

from wgan_jax.models.conv import Conv, ConvTranspose, ModuleDef
from wgan_jax.models.layers import (ConditionalBatchNorm, condition_input, condition_noise,
                                    mean_pool, normalization, upsample_nearest, with_class_term)


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
  code_dim: int = 0  # > 0 with conditioning "info": the width of the InfoGAN Q head
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
    return with_class_term(score, features, labels, self.num_classes, self.conditioning,
                           self.code_dim)


# ----------------------------------------------------------------------------- the 101-layer ResNet
# The WGAN-GP paper's Fig. 2 "101-layer ResNet G and D" (`gan_64x64.py`'s ResnetGenerator and
# ResnetDiscriminator): bottleneck blocks (1x1, 3x3, 1x1 convolutions, ReLU before each, the
# normalization at the end of the branch, the branch scaled by 0.3), one stage per resolution
# from 4x4 to the image size, one re-sampling block between stages.


def depth_to_space(x: jnp.ndarray, block: int = 2) -> jnp.ndarray:
  """`[B, H, W, C * block**2]` -> `[B, H * block, W * block, C]` (TensorFlow's order)."""
  b, h, w, c = x.shape
  x = x.reshape((b, h, w, block, block, c // block**2)).transpose((0, 1, 3, 2, 4, 5))
  return x.reshape((b, h * block, w * block, c // block**2))


def bottleneck_stages(image_size: int, depth: int) -> list[int]:
  """Plain blocks per resolution stage, from 4x4 up, for a network of `depth` layers.

  Each block is three layers; the network adds an input and an output layer and one
  re-sampling block between stages. Stages nearer 4x4 take the remainder, so 64 px and
  101 layers give the official 6, 6, 6, 6, 5.
  """
  if image_size < 8 or image_size & (image_size - 1):
    raise ValueError(f"The deep ResNet needs an image size that is a power of two and at "
                     f"least 8, got {image_size}.")
  stages = int(math.log2(image_size // 4)) + 1
  if (depth - 2) % 3 or (depth - 2) // 3 < 2 * stages - 1:
    raise ValueError(f"The deep ResNet's depth must be 2 + 3k layers with k >= {2 * stages - 1} "
                     f"blocks at {image_size} px, got {depth}.")
  plain = (depth - 2) // 3 - (stages - 1)
  return [plain // stages + (i < plain % stages) for i in range(stages)]


class BottleneckBlock(nn.Module):
  """One bottleneck residual block; `resample` is None, 'down' or 'up'."""

  features: int
  resample: str | None = None
  normalization: str = "batch"
  axis_name: str | None = None
  conv: ModuleDef = Conv
  conv_transpose: ModuleDef = ConvTranspose

  @nn.compact
  def __call__(self, x, train: bool = True):
    inputs = x.shape[-1]
    if self.resample is None and inputs == self.features:
      shortcut = x
    elif self.resample == "up":  # sub-pixel convolution
      shortcut = depth_to_space(self.conv(4 * self.features, (1, 1), name="shortcut")(x))
    else:
      stride = 2 if self.resample == "down" else 1
      shortcut = self.conv(self.features, (1, 1), strides=(stride, stride), name="shortcut")(x)
    x = self.conv(inputs // 2, (1, 1), name="conv_1")(nn.relu(x))
    x = nn.relu(x)
    if self.resample == "up":
      x = self.conv_transpose(self.features // 2, (3, 3), strides=(2, 2), padding="SAME",
                              name="conv_1b")(x)
    else:
      stride = 2 if self.resample == "down" else 1
      x = self.conv(self.features // 2, (3, 3), strides=(stride, stride), padding="SAME",
                    name="conv_1b")(x)
    x = self.conv(self.features, (1, 1), use_bias=False, name="conv_2")(nn.relu(x))
    x = normalization(self.normalization, self.axis_name)(x, train)
    return shortcut + 0.3 * x


class DeepResNetGenerator(nn.Module):
  """Fig. 2's 101-layer ResNet generator: 8 x width channels at 4x4, halved per stage."""

  image_size: int = 64
  channels: int = 3
  latent_dim: int = 128
  width: int = 64  # DIM
  depth: int = 101
  normalization: str = "batch"  # 'batch' | 'none'
  num_classes: int = 0  # > 0: the one-hot label joined to the noise
  axis_name: str | None = None
  conv: ModuleDef = Conv
  conv_transpose: ModuleDef = ConvTranspose

  @nn.compact
  def __call__(self, z, labels=None, train: bool = True):
    z = condition_noise(z, labels, self.num_classes)
    stages = bottleneck_stages(self.image_size, self.depth)
    block = functools.partial(BottleneckBlock, normalization=self.normalization,
                              axis_name=self.axis_name, conv=self.conv,
                              conv_transpose=self.conv_transpose)
    features = 8 * self.width
    x = nn.Dense(4 * 4 * features, name="input")(z).reshape((z.shape[0], 4, 4, features))
    for stage, count in enumerate(stages):
      if stage:
        features //= 2
        x = block(features, "up", name=f"up_{stage}")(x, train)
      for i in range(count):
        x = block(features, name=f"stage_{stage}_{i}")(x, train)
    x = self.conv(self.channels, (1, 1), name="output")(x)
    return jnp.tanh(x / 5.0)


class DeepResNetCritic(nn.Module):
  """Fig. 2's 101-layer ResNet critic: width / 2 channels at full size, doubled per stage."""

  width: int = 64  # DIM
  depth: int = 101
  normalization: str = "layer"  # 'layer' (under the penalty) | 'batch' | 'none'
  num_classes: int = 0  # > 0: class-conditional, as `conditioning` says
  conditioning: str = "projection"  # one of layers.CONDITIONINGS
  code_dim: int = 0  # > 0 with conditioning "info": the width of the InfoGAN Q head
  axis_name: str | None = None
  conv: ModuleDef = Conv

  @nn.compact
  def __call__(self, x, labels=None, train: bool = True):
    x = condition_input(x, labels, self.num_classes, self.conditioning)
    stages = bottleneck_stages(x.shape[1], self.depth)[::-1]
    block = functools.partial(BottleneckBlock, normalization=self.normalization,
                              axis_name=self.axis_name, conv=self.conv)
    features = self.width // 2
    x = self.conv(features, (1, 1), name="input")(x)
    for stage, count in enumerate(stages):
      if stage:
        features *= 2
        x = block(features, "down", name=f"down_{stage}")(x, train)
      for i in range(count):
        x = block(features, name=f"stage_{stage}_{i}")(x, train)
    features_out = x.reshape((x.shape[0], -1))
    score = nn.Dense(1, name="output")(features_out)[:, 0] / 5.0
    return with_class_term(score, features_out, labels, self.num_classes, self.conditioning,
                           self.code_dim)
