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


# The nonlinearities of the WGAN-GP paper's architecture studies (Sec. 5): its random
# architectures draw from the first four; 'gated' is its gated multiplicative unit
# sigmoid(a) * tanh(b), which takes twice the channels it returns.
ACTIVATIONS = ("relu", "leaky_relu", "softplus", "tanh", "gated")


def check_activation(name: str) -> None:
  if name not in ACTIVATIONS:
    raise ValueError(f"Unknown activation {name!r}; choose one of {ACTIVATIONS}.")


def activation_width(name: str, features: int) -> int:
  """Channels the layer before activation `name` produces for `features` after it."""
  return 2 * features if name == "gated" else features


def activate(name: str, x: jax.Array) -> jax.Array:
  """Activation `name` over `x`; 'gated' pairs channels 2i and 2i + 1 into one."""
  if name == "relu":
    return nn.relu(x)
  if name == "leaky_relu":
    return leaky_relu(x)
  if name == "softplus":  # softplus(2x + 2) / 2 - 1: x for large x, -1 far below zero
    return nn.softplus(2.0 * x + 2.0) / 2.0 - 1.0
  if name == "tanh":
    return jnp.tanh(x)
  if name == "gated":
    return nn.sigmoid(x[..., ::2]) * jnp.tanh(x[..., 1::2])
  raise ValueError(f"Unknown activation {name!r}; choose one of {ACTIVATIONS}.")


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


# ----------------------------------------------------------------------------- class conditioning

# How a critic of the MLP, DCGAN and ResNet families takes the class label (`num_classes > 0`):
#   'projection'       score = psi(h) + <embed(y), h> on the features h before the linear output
#                      (Miyato and Koyama 2018), the default;
#   'input'            the one-hot label joined to the critic's input (Mirza and Osindero 2014;
#                      for an MLP the same as joining it to the first hidden layer);
#   'acgan'            no label input: an auxiliary head returns class logits (Odena et al. 2017);
#   'semi_supervised'  no label input: a K+1-way classifier (Odena 2016; Salimans et al. 2016)
#                      whose K class logits l(h) come back beside the real-vs-fake score
#                      logsumexp(l) + psi(h), psi being the negated logit of the fake class, so
#                      that sigmoid(score) is the classifier's probability of "real"; unlabelled
#                      examples (label -1) train only that score.
CONDITIONINGS = ("projection", "input", "acgan", "semi_supervised", "info")
# Conditionings under which the critic reads no label and returns `(score, class_logits)`.
CLASSIFIER_HEADS = ("acgan", "semi_supervised")
# Conditionings that read no label: the classifier heads and InfoGAN's Q head, which returns
# `(score, q_outputs)`, `code_dim` wide: the latent codes it reads back.
LABEL_FREE_HEADS = CLASSIFIER_HEADS + ("info",)


def check_conditioning(kind: str) -> None:
  if kind not in CONDITIONINGS:
    raise ValueError(f"Unknown critic conditioning {kind!r}; choose one of {CONDITIONINGS}.")


def check_classifier_head(critic: nn.Module, purpose: str) -> None:
  """Raises ValueError, naming the fix, unless `critic` returns class logits."""
  conditioning = getattr(critic, "conditioning", None)
  num_classes = getattr(critic, "num_classes", 0)
  if conditioning not in CLASSIFIER_HEADS or not num_classes:
    raise ValueError(
        f"{purpose} needs a critic with a classifier head: model.critic.conditioning in "
        f"{CLASSIFIER_HEADS} and classes (labelled data, --config.data.use_labels=True, or "
        f"model.critic.num_classes); this {type(critic).__name__} has "
        f"conditioning={conditioning!r} and num_classes={num_classes}.")


def check_info_head(critic: nn.Module, prior: Any) -> None:
  """Raises ValueError, naming the fix, unless `critic` has a Q head as wide as `prior`'s codes."""
  conditioning = getattr(critic, "conditioning", None)
  width = getattr(critic, "code_dim", 0)
  if conditioning != "info" or width != prior.code_dim:
    raise ValueError(
        f"Latent codes ({prior.categorical}-way categorical, {prior.continuous} continuous) need "
        f"a critic with a Q head reading them back: model.critic.conditioning='info' with "
        f"{prior.code_dim} outputs (the builder sets them from model.latent); this "
        f"{type(critic).__name__} has conditioning={conditioning!r} and {width} outputs.")


def require_labels(labels: jax.Array | None, num_classes: int, role: str) -> None:
  """A conditional network called without labels fails here, with the fix named."""
  if num_classes > 0 and labels is None:
    raise ValueError(f"This {role} is conditional on {num_classes} classes and needs their "
                     f"labels: call it as {role}(x, labels).")


def join_label(x: jax.Array, labels: jax.Array, num_classes: int) -> jax.Array:
  """`x` with the one-hot label joined on its last axis: to a vector `[B, D] -> [B, D + K]`, or
  to every position of a feature map `[B, H, W, C] -> [B, H, W, C + K]`."""
  one_hot = jax.nn.one_hot(labels, num_classes, dtype=x.dtype)
  one_hot = one_hot.reshape((x.shape[0],) + (1,) * (x.ndim - 2) + (num_classes,))
  return jnp.concatenate([x, jnp.broadcast_to(one_hot, x.shape[:-1] + (num_classes,))], axis=-1)


class ProjectionHead(nn.Module):
  """The class term of a projection discriminator: `<embed(y), h>` for features `h` [B, D]."""

  num_classes: int

  @nn.compact
  def __call__(self, features: jax.Array, labels: jax.Array) -> jax.Array:
    embedding = nn.Embed(self.num_classes, features.shape[-1],
                         embedding_init=nn.initializers.normal(stddev=0.02),
                         name="embedding")(labels)
    return jnp.sum(embedding.astype(features.dtype) * features, axis=-1)


class FeatureTap(nn.Module):
  """Records the critic's last hidden features in the 'intermediates' collection, where feature
  matching (`networks.Networks.score_with_features`) reads them; it has no parameters."""

  @nn.compact
  def __call__(self, features: jax.Array) -> jax.Array:
    self.sow("intermediates", "features", features)
    return features


def with_class_term(score: jax.Array, features: jax.Array, labels: jax.Array | None,
                    num_classes: int, conditioning: str, code_dim: int = 0):
  """A critic's output from its score and the flattened features `h` [B, D] the score was read
  from: the score plus the class term its conditioning asks for (see `CONDITIONINGS`), for a
  classifier head `(score, class_logits)`, and for InfoGAN's Q head `(score, q_outputs)` of
  `code_dim` outputs. Called inside the critic, whose submodules these become; an unconditional
  critic's parameters are untouched.
  """
  features = FeatureTap(name="features")(features)
  if conditioning == "info" and code_dim:
    return score, nn.Dense(code_dim, name="q_output")(features)
  if num_classes == 0 or conditioning == "input":
    return score
  if conditioning == "projection":
    return score + ProjectionHead(num_classes, name="projection")(features, labels)
  if conditioning == "semi_supervised":
    logits = nn.Dense(num_classes, name="class_logits")(features)
    return jax.nn.logsumexp(logits, axis=-1) + score, logits
  return score, nn.Dense(num_classes, name="acgan_output")(features)


def condition_noise(z: jax.Array, labels: jax.Array | None, num_classes: int) -> jax.Array:
  """A generator's input: the noise, with the one-hot label joined to it when conditional."""
  require_labels(labels, num_classes, "generator")
  return join_label(z, labels, num_classes) if num_classes else z


def condition_input(x: jax.Array, labels: jax.Array | None, num_classes: int,
                    conditioning: str) -> jax.Array:
  """A critic's input: checked, with the one-hot label joined under 'input' conditioning (a
  classifier head reads no label)."""
  check_conditioning(conditioning)
  if conditioning not in LABEL_FREE_HEADS:
    require_labels(labels, num_classes, "critic")
  return join_label(x, labels, num_classes) if num_classes and conditioning == "input" else x
