"""The WGAN-GP character-level language model: 1-D convolutional residual networks.

The generator maps noise to a softmax over the vocabulary at every position; the critic scores
one-hot real sentences and the generator's softmax outputs alike, so no sampling step stands
between them. Convolutions run over positions with kernel `(1, k)` of the shared 2-D `conv`
layer, so they take the CPU lowering every conv model takes (`wgan_jax.models.conv`).
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax

from wgan_jax.models.conv import Conv, ModuleDef


class PositionConv(nn.Module):
  """A stride-1, 'SAME' convolution over the positions of `[B, L, C]`."""

  features: int
  kernel_size: int
  conv: ModuleDef = Conv

  @nn.compact
  def __call__(self, x):
    return self.conv(self.features, (1, self.kernel_size), padding="SAME", name="conv")(
        x[:, None])[:, 0]


class ResidualBlock(nn.Module):
  """relu, conv, relu, conv, added back at `residual_scale` (0.3 in the official code)."""

  width: int
  kernel_size: int = 5
  residual_scale: float = 0.3
  conv: ModuleDef = Conv

  @nn.compact
  def __call__(self, x):
    h = PositionConv(self.width, self.kernel_size, self.conv, name="conv_1")(nn.relu(x))
    h = PositionConv(self.width, self.kernel_size, self.conv, name="conv_2")(nn.relu(h))
    return x + self.residual_scale * h


class _ResidualNetwork(nn.Module):
  """The settings both language networks share: `num_blocks` residual blocks of `width`."""

  width: int = 512
  num_blocks: int = 5
  kernel_size: int = 5
  residual_scale: float = 0.3
  conv: ModuleDef = Conv


def _residual_blocks(network: _ResidualNetwork, x):
  """`network`'s residual blocks, created inside its compact call (named block_1, ...)."""
  for i in range(network.num_blocks):
    x = ResidualBlock(network.width, network.kernel_size, network.residual_scale, network.conv,
                      name=f"block_{i + 1}")(x)
  return x


class LanguageGenerator(_ResidualNetwork):
  """Noise -> linear to `[seq_len, width]` -> `num_blocks` residual blocks -> width-1 conv to the
  vocabulary -> softmax per position. `output_shape` is `(seq_len, vocabulary size)`."""

  output_shape: Sequence[int] = (32, 64)
  latent_dim: int = 128

  @nn.compact
  def __call__(self, z, labels=None, train: bool = True):
    del labels, train
    seq_len, vocab_size = self.output_shape
    x = nn.Dense(seq_len * self.width, name="input")(z).reshape((z.shape[0], seq_len, self.width))
    logits = PositionConv(vocab_size, 1, self.conv, name="output")(_residual_blocks(self, x))
    return jax.nn.softmax(logits.astype("float32"), axis=-1).astype(logits.dtype)


class LanguageCritic(_ResidualNetwork):
  """One-hot or softmax `[B, seq_len, vocabulary]` -> width-1 conv to `width` -> `num_blocks`
  residual blocks -> one linear score over all positions."""

  @nn.compact
  def __call__(self, x, labels=None, train: bool = True):
    del labels, train
    x = _residual_blocks(self, PositionConv(self.width, 1, self.conv, name="input")(x))
    return nn.Dense(1, name="output")(x.reshape((x.shape[0], -1)))[:, 0]
