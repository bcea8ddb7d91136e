"""Critic and generator losses: Wasserstein, standard GAN (non-saturating and the original
minimax), LSGAN, CatGAN, the classification term of AC-GAN and the semi-supervised GAN, and
feature matching.

Pure functions of critic outputs: one score per example, or for CatGAN the class logits of a
classifier head (`Objective.on_logits`). Each objective
also says how to read a distance off the critic: for the Wasserstein critic
E[f(real)] - E[f(fake)] estimates W1 (up to the Lipschitz constant); for the
standard GAN, log 2 minus the discriminator loss estimates the Jensen-Shannon
divergence when the discriminator is optimal (the WGAN paper's comparison).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable

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


def hinge_critic_loss(real_scores: Array, fake_scores: Array) -> Array:
  """E[max(0, 1 - f(real))] + E[max(0, 1 + f(fake))]: the SN-GAN and BigGAN critic loss (Lim &
  Ye 2017; Miyato et al. 2018), a margin of 1 on each side."""
  return jnp.mean(jax.nn.relu(1.0 - real_scores)) + jnp.mean(jax.nn.relu(1.0 + fake_scores))


def hinge_generator_loss(fake_scores: Array) -> Array:
  """-E[f(G(z))], as for the Wasserstein critic (the hinge applies to the critic alone)."""
  return -jnp.mean(fake_scores)


def lsgan_discriminator_loss(real_scores: Array, fake_scores: Array) -> Array:
  """Least squares with targets real -> 1, fake -> 0, halved (the WGAN-GP code's LSGAN mode)."""
  return 0.5 * (jnp.mean((real_scores - 1.0) ** 2) + jnp.mean(fake_scores ** 2))


def lsgan_generator_loss(fake_scores: Array) -> Array:
  """E[(D(G(z)) - 1)^2]."""
  return jnp.mean((fake_scores - 1.0) ** 2)


def _entropy(probabilities: Array) -> Array:
  """Entropy (nats) along the last axis."""
  return -jnp.sum(probabilities * jnp.log(probabilities + 1e-8), axis=-1)


def catgan_entropies(logits: Array) -> tuple[Array, Array]:
  """`(mean conditional entropy E_x H[p(y|x)], entropy of the marginal H[E_x p(y|x)])` of a batch
  of class logits: low conditional entropy means certain class assignments, high marginal
  entropy classes used equally (Springenberg 2016)."""
  probabilities = jax.nn.softmax(logits, axis=-1)
  return jnp.mean(_entropy(probabilities)), _entropy(jnp.mean(probabilities, axis=0))


def catgan_critic_loss(real_logits: Array, fake_logits: Array) -> Array:
  """The CatGAN discriminator's loss: certain about real data, balanced over the classes on it,
  uncertain about the fakes: E H[p(y|x)] - H[p(y)] - E H[p(y|G(z))] (minimised)."""
  real_conditional, real_marginal = catgan_entropies(real_logits)
  fake_conditional, _ = catgan_entropies(fake_logits)
  return real_conditional - real_marginal - fake_conditional


def catgan_generator_loss(fake_logits: Array) -> Array:
  """The CatGAN generator's loss: fakes the discriminator is certain about, spread over every
  class: E H[p(y|G(z))] - H[p_G(y)] (minimised)."""
  conditional, marginal = catgan_entropies(fake_logits)
  return conditional - marginal


def no_critic_loss(real_scores: Array, fake_scores: Array) -> Array:
  """Zero: the critic's scores are not trained (the 'supervised' objective)."""
  del fake_scores
  return jnp.zeros((), real_scores.dtype)


def no_generator_loss(fake_scores: Array) -> Array:
  """Zero: the generator is not trained (the 'supervised' objective)."""
  return jnp.zeros((), fake_scores.dtype)


def labelled_mask(labels: Array) -> Array:
  """Which examples carry a label: a label of -1 marks an unlabelled one (semi-supervised data)."""
  return labels >= 0


def _labelled_mean(values: Array, labels: Array) -> Array:
  labelled = labelled_mask(labels)
  return jnp.sum(jnp.where(labelled, values, 0.0)) / jnp.maximum(jnp.sum(labelled), 1)


def acgan_loss(class_logits: Array, labels: Array) -> Array:
  """Mean softmax cross-entropy of a classifier head over the labelled examples (AC-GAN: every
  example; the semi-supervised GAN: those with a label >= 0; 0 when none is labelled)."""
  losses = optax.softmax_cross_entropy_with_integer_labels(class_logits, jnp.maximum(labels, 0))
  return _labelled_mean(losses, labels)


def class_accuracy(class_logits: Array, labels: Array) -> Array:
  """How often the classifier head names the label, over the labelled examples."""
  return _labelled_mean((jnp.argmax(class_logits, -1) == labels).astype(jnp.float32), labels)


def feature_matching_loss(real_features: Array, fake_features: Array) -> Array:
  """||E f(x) - E f(G(z))||^2 over the critic's last hidden features f (Salimans et al. 2016):
  a generator loss that matches feature statistics instead of maximising the critic's output."""
  difference = jnp.mean(real_features, axis=0) - jnp.mean(fake_features, axis=0)
  return jnp.sum(difference ** 2)


def info_loss(q_outputs: Array, categories: Array | None, continuous: Array | None,
              continuous_weight: float = 1.0) -> tuple[Array, Array | None]:
  """InfoGAN's mutual-information term L_I (Chen et al. 2016), to be minimised by both players:
  the negative log-likelihood under the Q head of the codes a batch of fakes was made from.

  `q_outputs` [B, K + M]: K logits of the categorical code, then the means of M continuous codes
  under a unit-variance Gaussian (the official code's `fix_std=True`), whose negative
  log-likelihood is 0.5 (c - mean)^2 up to a constant. Returns `(loss, how often Q names the
  categorical code)`, the accuracy None without a categorical code.
  """
  loss, accuracy = jnp.zeros((), jnp.float32), None
  k = 0 if categories is None else q_outputs.shape[-1] - (
      0 if continuous is None else continuous.shape[-1])
  if categories is not None:
    logits = q_outputs[:, :k]
    loss = loss + jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, categories))
    accuracy = jnp.mean((jnp.argmax(logits, -1) == categories).astype(jnp.float32))
  if continuous is not None:
    means = q_outputs[:, k:]
    loss = loss + continuous_weight * jnp.mean(jnp.sum(0.5 * (continuous - means) ** 2, -1))
  return loss, accuracy


@dataclasses.dataclass(frozen=True)
class InfoObjective:
  """InfoGAN's term in both losses: `scale` * L_I of the codes `prior` (a `latent.LatentPrior`)
  puts in each fake's z, read back by the critic's Q head (conditioning 'info')."""

  prior: Any
  scale: float = 1.0
  continuous_weight: float = 1.0

  def __call__(self, q_outputs: Array, z: Array) -> tuple[Array, dict[str, Array]]:
    """`(scale * L_I, metrics)` for a batch of fakes made from `z`."""
    categories, continuous = self.prior.codes(z)
    loss, accuracy = info_loss(q_outputs, categories, continuous, self.continuous_weight)
    metrics = {"info_loss": loss}
    if accuracy is not None:
      metrics["info_accuracy"] = accuracy
    return self.scale * loss, metrics


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
  # The losses take the class logits `[B, K]` of a classifier head instead of scores (CatGAN).
  on_logits: bool = False


OBJECTIVES: dict[str, Objective] = {
    "wasserstein": Objective("wasserstein", wasserstein_critic_loss, wasserstein_generator_loss),
    "gan": Objective("gan", gan_discriminator_loss, gan_generator_loss,
                     distance_name="js_estimate", distance=_gan_js_estimate),
    # The discriminator's side of the minimax game is the standard GAN's (halved, as above).
    "minimax": Objective("minimax", gan_discriminator_loss, minimax_generator_loss,
                         distance_name="js_estimate", distance=_gan_js_estimate),
    "lsgan": Objective("lsgan", lsgan_discriminator_loss, lsgan_generator_loss),
    "hinge": Objective("hinge", hinge_critic_loss, hinge_generator_loss),
    # No game: the critic learns only its classifier head from the labelled examples and the
    # generator gets no gradient. The baseline a semi-supervised GAN's classifier is measured
    # against: the same network, data and optimizer without the unlabelled and generated data.
    "supervised": Objective("supervised", no_critic_loss, no_generator_loss),
    # Categorical GAN (Springenberg 2016): a K-way classifier head and no real-vs-fake score.
    "catgan": Objective("catgan", catgan_critic_loss, catgan_generator_loss, on_logits=True),
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
