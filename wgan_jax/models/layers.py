"""Small building blocks shared by the model families.

Images are NHWC. Every normalization choice goes through `normalization`, so
the rule "no BatchNorm in a gradient-penalty critic" can be checked in one
place (`wgan_jax.lipschitz.check_critic_compatible`).
"""

from __future__ import annotations

from typing import Any, Callable

import flax.linen as nn
import jax
import jax.numpy as jnp

NORMALIZATIONS = ("none", "batch", "layer")

# DCGAN initialisation used by the WGAN paper's official code: conv weights
# N(0, 0.02), BatchNorm scale N(1, 0.02), biases zero.
dcgan_kernel_init = nn.initializers.normal(stddev=0.02)


def dcgan_scale_init(key: jax.Array, shape, dtype=jnp.float32) -> jax.Array:
  return 1.0 + 0.02 * jax.random.normal(key, shape, dtype)


def leaky_relu(x: jax.Array) -> jax.Array:
  """LeakyReLU with slope 0.2, as in both papers' critics."""
  return nn.leaky_relu(x, negative_slope=0.2)


class Identity(nn.Module):
  """A normalization slot that does nothing (`normalization='none'`)."""

  @nn.compact
  def __call__(self, x, train: bool = True):
    del train
    return x


class BatchNorm(nn.Module):
  """BatchNorm over all but the channel axis; `axis_name` syncs statistics across devices."""

  axis_name: str | None = None
  scale_init: Callable[..., Any] = nn.initializers.ones

  @nn.compact
  def __call__(self, x, train: bool = True):
    return nn.BatchNorm(
        use_running_average=not train,
        momentum=0.9,
        epsilon=1e-5,
        axis_name=self.axis_name if train else None,
        scale_init=self.scale_init,
    )(x)


class LayerNorm(nn.Module):
  """LayerNorm over every non-batch axis with a per-channel scale and offset.

  This is the critic normalization the WGAN-GP code uses: statistics are per
  example, so the per-example gradient penalty stays valid.
  """

  @nn.compact
  def __call__(self, x, train: bool = True):
    del train
    axes = tuple(range(1, x.ndim))
    return nn.LayerNorm(reduction_axes=axes, feature_axes=-1, epsilon=1e-5)(x)


def normalization(kind: str, axis_name: str | None = None, dcgan_init: bool = False) -> nn.Module:
  """Builds the normalization layer named by `kind` ('none' | 'batch' | 'layer')."""
  if kind == "none":
    return Identity()
  if kind == "batch":
    return BatchNorm(axis_name=axis_name,
                     scale_init=dcgan_scale_init if dcgan_init else nn.initializers.ones)
  if kind == "layer":
    return LayerNorm()
  raise ValueError(f"Unknown normalization {kind!r}; expected one of {NORMALIZATIONS}.")


class ConditionalBatchNorm(nn.Module):
  """BatchNorm whose scale and offset are looked up per class label (WGAN-GP AC-GAN generator)."""

  num_classes: int
  axis_name: str | None = None

  @nn.compact
  def __call__(self, x, labels, train: bool = True):
    x = nn.BatchNorm(use_running_average=not train, momentum=0.9, epsilon=1e-5,
                     use_scale=False, use_bias=False,
                     axis_name=self.axis_name if train else None)(x)
    channels = x.shape[-1]
    scale = nn.Embed(self.num_classes, channels, embedding_init=nn.initializers.ones,
                     name="scale")(labels)
    offset = nn.Embed(self.num_classes, channels, embedding_init=nn.initializers.zeros,
                      name="offset")(labels)
    return x * scale[:, None, None, :] + offset[:, None, None, :]


def mean_pool(x: jax.Array) -> jax.Array:
  """2x2 average pooling (the WGAN-GP ResNet's down-sampling)."""
  return nn.avg_pool(x, window_shape=(2, 2), strides=(2, 2))


def upsample_nearest(x: jax.Array) -> jax.Array:
  """2x nearest-neighbour up-sampling (the WGAN-GP ResNet's up-sampling)."""
  return jnp.repeat(jnp.repeat(x, 2, axis=1), 2, axis=2)
