"""Critic and generator losses: Wasserstein, standard GAN (non-saturating and the original
minimax), LSGAN, and the AC-GAN term.

Pure functions of critic outputs (one score per example). Each objective
also says how to read a distance off the critic: for the Wasserstein critic
E[f(real)] - E[f(fake)] estimates W1 (up to the Lipschitz constant); for the
standard GAN, log 2 minus the discriminator loss estimates the Jensen-Shannon
divergence when the discriminator is optimal (the WGAN paper's comparison).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable

import jax
import jax.numpy as jnp
import optax

Array = jax.Array


def wasserstein_critic_loss(real_scores: Array, fake_scores: Array) -> Array:
  """E[f(fake)] - E[f(real)]: minimising it maximises the critic's estimate of W1."""
  return jnp.mean(fake_scores) - jnp.mean(real_scores)


def wasserstein_generator_loss(fake_scores: Array) -> Array:
  """-E[f(G(z))]."""
  return -jnp.mean(fake_scores)


def gan_discriminator_loss(real_scores: Array, fake_scores: Array) -> Array:
  """Halved binary cross-entropy on logits (real -> 1, fake -> 0), as in the WGAN-GP code's DCGAN mode."""
  return 0.5 * (jnp.mean(jax.nn.softplus(-real_scores)) + jnp.mean(jax.nn.softplus(fake_scores)))


def gan_generator_loss(fake_scores: Array) -> Array:
  """The non-saturating generator loss, -E[log D(G(z))]."""
  return jnp.mean(jax.nn.softplus(-fake_scores))


def minimax_generator_loss(fake_scores: Array) -> Array:
  """The original minimax game's generator loss, E[log(1 - D(G(z)))] (Goodfellow et al. 2014).

  It saturates: where the discriminator confidently rejects the fakes (D(G(z)) near 0) its
  gradient vanishes, which is why `gan_generator_loss` is the usual choice.
  """
  return -jnp.mean(jax.nn.softplus(fake_scores))


def lsgan_discriminator_loss(real_scores: Array, fake_scores: Array) -> Array:
  """Least squares with targets real -> 1, fake -> 0, halved (the WGAN-GP code's LSGAN mode)."""
  return 0.5 * (jnp.mean((real_scores - 1.0) ** 2) + jnp.mean(fake_scores ** 2))


def lsgan_generator_loss(fake_scores: Array) -> Array:
  """E[(D(G(z)) - 1)^2]."""
  return jnp.mean((fake_scores - 1.0) ** 2)


def acgan_loss(class_logits: Array, labels: Array) -> Array:
  """Mean softmax cross-entropy of the AC-GAN classification head."""
  return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(class_logits, labels))


def _gan_js_estimate(real_scores: Array, fake_scores: Array) -> Array:
  return math.log(2.0) - gan_discriminator_loss(real_scores, fake_scores)


@dataclasses.dataclass(frozen=True)
class Objective:
  """A pair of losses plus the distance the critic's outputs estimate."""

  name: str
  critic_loss: Callable[[Array, Array], Array]
  generator_loss: Callable[[Array], Array]
  distance_name: str | None = None
  distance: Callable[[Array, Array], Array] | None = None


OBJECTIVES: dict[str, Objective] = {
    "wasserstein": Objective("wasserstein", wasserstein_critic_loss, wasserstein_generator_loss),
    "gan": Objective("gan", gan_discriminator_loss, gan_generator_loss,
                     distance_name="js_estimate", distance=_gan_js_estimate),
    # The discriminator's side of the minimax game is the standard GAN's (halved, as above).
    "minimax": Objective("minimax", gan_discriminator_loss, minimax_generator_loss,
                         distance_name="js_estimate", distance=_gan_js_estimate),
    "lsgan": Objective("lsgan", lsgan_discriminator_loss, lsgan_generator_loss),
}


def get_objective(name_or_objective: str | Objective) -> Objective:
  """Looks up an objective by name (one of `OBJECTIVES`), or passes one through."""
  if isinstance(name_or_objective, Objective):
    return name_or_objective
  try:
    return OBJECTIVES[name_or_objective]
  except KeyError:
    raise ValueError(f"Unknown objective {name_or_objective!r}; choose one of "
                     f"{sorted(OBJECTIVES)}.") from None
