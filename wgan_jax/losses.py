"""What each network trains on, kept apart from the step that applies it.

`Losses` is one object: the objective, the critic's Lipschitz constraint and the GAN family's
extra terms (AC-GAN's classification, InfoGAN's mutual information, feature matching). The
builder assembles it from a config and `make_train_step` differentiates `critic_loss` and
`generator_loss` under it, so a new term is a field here, not a parameter of the step.

    losses = Losses("wasserstein", GradientPenalty(10.0))
    train_step = make_train_step(generator, critic, generator_tx, critic_tx, losses)
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping

import flax.linen as nn
import jax
import jax.numpy as jnp
from jax import lax

from wgan_jax.augment import parse_policy
from wgan_jax.latent import LatentPrior
from wgan_jax.lipschitz import Constraint, GradientPenalty
from wgan_jax.models.layers import check_classifier_head, check_info_head
from wgan_jax.networks import Networks
from wgan_jax.objectives import (InfoObjective, Objective, acgan_loss, catgan_entropies,
                                  class_accuracy, feature_matching_loss, get_objective)

Array = jax.Array
Metrics = dict[str, Array]


@dataclasses.dataclass(frozen=True)
class Losses:
  """The objective, the constraint and the extra terms the two networks train on.

  Attributes:
    objective: 'wasserstein' | 'gan' | 'minimax' | 'lsgan' | 'hinge' | 'catgan' | 'supervised',
      or an `Objective` (`objectives.OBJECTIVES`); a name is resolved on construction.
    constraint: the critic's Lipschitz constraint: `WeightClipping`, `GradientPenalty`,
      `ZeroCentredPenalty` (R1 / R2), `SpectralNormalization` or `NoConstraint`.
    acgan_scale, acgan_scale_generator: weights of the classification loss of a critic's
      classifier head in the critic (on labelled real data) and in the generator (on generated
      data, for a conditional generator). Applied when the critic has the head.
    feature_matching: train the generator to match the mean of the critic's last hidden
      features on real data instead of on the objective's generator loss (Salimans et al.
      2016; the semi-supervised GAN's usual generator loss).
    info_scale, info_continuous_weight: InfoGAN's term and the weight of its continuous codes
      within it. Applied when the latent prior has codes.
    augment: the DiffAugment transforms both networks see the images through
      (`augment.AUGMENTATIONS`, or a comma-separated string of them); empty: none. The critic
      scores augmented real and fake images, and the penalty is taken at interpolates of the
      augmented pair (the function the critic computes on what it is shown is the one whose
      gradient is constrained, as the DiffAugment code penalises augmented inputs).
  """

  objective: str | Objective = "wasserstein"
  constraint: Constraint = GradientPenalty()
  acgan_scale: float = 1.0
  acgan_scale_generator: float = 0.1
  feature_matching: bool = False
  info_scale: float = 1.0
  info_continuous_weight: float = 1.0
  augment: tuple[str, ...] = ()

  def __post_init__(self):
    object.__setattr__(self, "objective", get_objective(self.objective))
    object.__setattr__(self, "augment", parse_policy(self.augment))

  def check(self, critic: nn.Module, latent: LatentPrior) -> None:
    """Refuses a critic without the head these losses read (a classifier head for the
    objectives on logits, a Q head as wide as the latent's codes for InfoGAN)."""
    if self.objective.on_logits:
      check_classifier_head(critic, f"The {self.objective.name!r} objective")
    if latent.code_dim:
      check_info_head(critic, latent)

  def info(self, latent: LatentPrior) -> InfoObjective | None:
    """InfoGAN's term for the codes of `latent`, or None when it has none."""
    if not latent.code_dim:
      return None
    return InfoObjective(latent, self.info_scale, self.info_continuous_weight)


def split_batch(batch: Array | Mapping[str, Array]) -> tuple[Array, Array | None]:
  """Returns `(examples, labels or None)` from an array or a `{'x', 'label'}` dict."""
  if isinstance(batch, Mapping):
    return batch["x"], batch.get("label")
  return batch, None


def encode_real(real: Array, fake: Array) -> Array:
  """Real examples in the space the critic compares with the fakes, as float32.

  Integer examples are token ids (text, `[B, L]`) and become one-hot over the fakes' last axis
  (the generator's softmax over the vocabulary), so the penalty interpolates and takes its
  norm in that space, as the WGAN-GP language code does.
  """
  if jnp.issubdtype(real.dtype, jnp.integer):
    return jax.nn.one_hot(real, fake.shape[-1], dtype=jnp.float32)
  return real.astype(jnp.float32)


def class_entropies(logits: Array, which: str) -> Metrics:
  """A classifier head's conditional and marginal class entropies on a batch, as metrics."""
  conditional, marginal = catgan_entropies(logits)
  return {f"critic_{which}_class_entropy": conditional,
          f"critic_{which}_marginal_entropy": marginal}


def critic_loss(params: Any, batch_stats: Any, real: Array, fake: Array, labels: Array | None,
                alpha: Array, fake_z: Array | None = None, *, networks: Networks,
                losses: Losses, info: InfoObjective | None = None,
                constraint_state: Any = None) -> tuple[Array, tuple[Any, Metrics]]:
  """The critic's loss on one batch: objective + Lipschitz penalty (+ AC-GAN term on real labels,
  + InfoGAN term on the codes in the fakes' noise `fake_z`).

  A conditional critic scores each real example and its fake, generated for the same label,
  under that label, at the interpolates too. The critic is applied with the weights its
  constraint gives (`Constraint.normalize` under `constraint_state`).
  Returns `(loss, (updated BatchNorm statistics, metrics))`; differentiate in `params`.
  """
  objective = losses.objective
  params = losses.constraint.normalize(params, constraint_state)
  real_scores, real_logits, stats = networks.score(params, batch_stats, real, labels)
  fake_scores, fake_logits, stats = networks.score(params, stats, fake, labels)
  metrics = {"wasserstein_estimate": jnp.mean(real_scores) - jnp.mean(fake_scores),
             "critic_real_score": jnp.mean(real_scores),
             "critic_fake_score": jnp.mean(fake_scores)}
  if objective.on_logits:
    loss = objective.critic_loss(real_logits, fake_logits)
    metrics.update(class_entropies(real_logits, "real"))
    metrics.update(class_entropies(fake_logits, "fake"))
  else:
    loss = objective.critic_loss(real_scores, fake_scores)
  if objective.distance is not None:
    metrics[objective.distance_name] = objective.distance(real_scores, fake_scores)
  score_fn = lambda x, y=None: networks.score(params, stats, x, y)[0]  # noqa: E731
  penalty, penalty_metrics = losses.constraint.penalty(score_fn, real, fake, alpha, labels,
                                                       state=constraint_state)
  metrics.update(penalty_metrics)
  total = loss + penalty
  if real_logits is not None and labels is not None:
    # Over the labelled examples: all of them, except for semi-supervised data (label -1).
    classification = acgan_loss(real_logits, labels)
    metrics["critic_acgan_loss"] = classification
    metrics["critic_acgan_accuracy"] = class_accuracy(real_logits, labels)
    total = total + losses.acgan_scale * classification
  if info is not None and fake_z is not None:
    term, info_metrics = info(fake_logits, fake_z)
    metrics.update({f"critic_{k}": v for k, v in info_metrics.items()})
    total = total + term
  metrics["critic_loss"] = total
  return total, (stats, metrics)


def generator_loss(params: Any, batch_stats: Any, critic_params: Any, critic_batch_stats: Any,
                   z: Array, labels: Array | None, real_batch: Any = None, *, networks: Networks,
                   losses: Losses, info: InfoObjective | None = None, constraint_state: Any = None,
                   augment: Callable[[Array], Array] | None = None
                   ) -> tuple[Array, tuple[Any, Metrics]]:
  """The generator's loss on one batch of noise (+ AC-GAN term on the conditioning labels,
  + InfoGAN term on the codes in `z`).

  Under feature matching, the objective's loss is replaced by the distance between the mean
  critic features of `real_batch` and of the fakes. The critic reads the fakes through
  `augment` (DiffAugment; gradients flow through it) with the weights its constraint gives.
  Returns `(loss, (updated BatchNorm statistics, metrics))`; differentiate in `params`.
  """
  objective = losses.objective
  critic_params = losses.constraint.normalize(critic_params, constraint_state)
  augment = augment or (lambda x: x)
  fake, stats = networks.fakes(params, batch_stats, z, labels)
  fake = augment(fake)
  if losses.feature_matching:
    scores, logits, fake_features = networks.score_with_features(
        critic_params, critic_batch_stats, fake, labels)
  else:
    scores, logits, _ = networks.score(critic_params, critic_batch_stats, fake, labels)
  loss = objective.generator_loss(logits if objective.on_logits else scores)
  metrics = {"generator_loss": loss}
  if losses.feature_matching:
    real, real_labels = split_batch(real_batch)
    real_features = networks.score_with_features(
        critic_params, critic_batch_stats, augment(encode_real(real, fake)), real_labels)[2]
    metrics["generator_objective_loss"] = loss  # logged beside the loss that replaces it
    loss = feature_matching_loss(lax.stop_gradient(real_features), fake_features)
    metrics["generator_loss"] = loss
  if logits is not None and labels is not None:
    classification = acgan_loss(logits, labels)
    metrics["generator_acgan_loss"] = classification
    # How often the critic's classifier names each fake's conditioning class: whether the
    # generator follows its labels (no CIFAR-10 classifier is available offline).
    metrics["generator_acgan_accuracy"] = class_accuracy(logits, labels)
    loss = loss + losses.acgan_scale_generator * classification
  if info is not None:
    term, info_metrics = info(logits, z)
    metrics.update({f"generator_{k}": v for k, v in info_metrics.items()})
    loss = loss + term
  return loss, (stats, metrics)
