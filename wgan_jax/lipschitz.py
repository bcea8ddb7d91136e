"""The two ways to keep a critic (approximately) 1-Lipschitz.

* `WeightClipping` (WGAN): every critic parameter (normalization scales and
  biases included) is projected onto [-c, c] before each critic update, as the
  official code clamps before each critic pass, and after it, as the paper's
  Algorithm 1 does, so every critic and generator pass sees a clipped critic.
* `GradientPenalty` (WGAN-GP): lambda * (||grad_x f(x_hat)|| - 1)^2 at
  x_hat = a * real + (1 - a) * fake with one `a` per example, the norm over
  all non-batch axes, each gradient taken per example with `vmap(grad)`.
  One-sided: lambda * max(0, ||grad|| - 1)^2.
* `ZeroCentredPenalty`: R1 / R2 (Mescheder et al. 2018), gamma / 2 * E||grad_x f(x)||^2 on
  the real (R1) or the generated (R2) examples, each gradient taken per example as above;
  optionally every k-th critic update only, scaled by k (lazy regularization, StyleGAN2).
* `SpectralNormalization` (Miyato et al. 2018): the critic is applied with every weight divided
  by its largest singular value (`wgan_jax.spectral`).
* `NoConstraint` for the standard GAN and LSGAN baselines.

Each is a `Constraint`: the hooks the train step calls. `project(params)` before and after each
critic update; `update_state` once per critic update, on what the constraint keeps between
updates (`init`, stored as `GANState.constraint_state`); `normalize(params, state)` gives the
weights the critic is applied with, in both networks' losses; `penalty(...)` is added to the
critic's loss.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Callable, Mapping

import jax
import jax.numpy as jnp
import optax
from jax import lax

from wgan_jax import spectral

Array = jax.Array
ScoreFn = Callable[..., Array]  # ([B, ...] examples[, [B] labels]) -> [B] scores


def interpolate(real: Array, fake: Array, alpha: Array) -> Array:
  """a * real + (1 - a) * fake with `alpha` of shape [B], broadcast over the non-batch axes."""
  alpha = alpha.reshape((-1,) + (1,) * (real.ndim - 1)).astype(real.dtype)
  return alpha * real + (1.0 - alpha) * fake


def per_example_input_gradients(score_fn: ScoreFn, x: Array, labels: Array | None = None) -> Array:
  """grad_x f(x_i) for every example i, each taken on its own with `vmap(grad)`.

  A class-conditional critic is called as `score_fn(x, labels)`: each example keeps its own
  label, and the gradient is in `x` alone.
  """
  if labels is None:
    single = lambda xi: score_fn(xi[None])[0]  # noqa: E731
    return jax.vmap(jax.grad(single))(x)
  single = lambda xi, yi: score_fn(xi[None], yi[None])[0]  # noqa: E731
  return jax.vmap(jax.grad(single))(x, labels)


def per_example_norms(grads: Array) -> Array:
  """The Euclidean norm of each example's gradient over all non-batch axes (safe at zero)."""
  return optax.safe_norm(grads.reshape((grads.shape[0], -1)), 0.0, axis=1)


def gradient_penalty(score_fn: ScoreFn, real: Array, fake: Array, alpha: Array,
                     weight: float = 10.0, one_sided: bool = False,
                     target: float = 1.0, labels: Array | None = None) -> tuple[Array, Array]:
  """Returns `(weighted penalty, per-example gradient norms)` at the interpolates.

  `labels` (a conditional critic): the class of each real/fake pair, which share it.
  """
  x_hat = interpolate(real, fake, alpha)
  norms = per_example_norms(per_example_input_gradients(score_fn, x_hat, labels))
  excess = norms - target
  if one_sided:
    excess = jnp.maximum(excess, 0.0)
  return weight * jnp.mean(excess ** 2), norms


def zero_centred_penalty(score_fn: ScoreFn, x: Array, gamma: float,
                         labels: Array | None = None) -> tuple[Array, Array]:
  """Returns `(gamma / 2 * mean ||grad_x f(x_i)||^2, per-example gradient norms)` at `x`."""
  grads = per_example_input_gradients(score_fn, x, labels)
  squared = jnp.sum(grads.reshape((grads.shape[0], -1)) ** 2, axis=1)
  return 0.5 * gamma * jnp.mean(squared), per_example_norms(grads)


def clip_weights(params: Any, clip_value: float) -> Any:
  """Projects every leaf of `params` onto the box [-clip_value, clip_value]."""
  # projection_box maps over the bounds too, so they must have the tree's structure.
  lower = jax.tree_util.tree_map(lambda _: -clip_value, params)
  upper = jax.tree_util.tree_map(lambda _: clip_value, params)
  return optax.projections.projection_box(params, lower, upper)


@dataclasses.dataclass(frozen=True)
class Constraint:
  """The hooks a train step calls; the base keeps no state, adds no penalty and changes no
  weight."""

  uses_penalty = False

  def init(self, params: Any, key: Array) -> Any:
    """What the constraint keeps between critic updates (None: nothing)."""
    del params, key
    return None

  def update_state(self, params: Any, state: Any) -> Any:
    """The state for the critic update about to run on `params` (called once per update)."""
    del params
    return state

  def normalize(self, params: Any, state: Any) -> Any:
    """The weights the critic is applied with: `params` unless the constraint reparametrizes
    them. Differentiable in `params`."""
    del state
    return params

  def penalty(self, score_fn: ScoreFn, real: Array, fake: Array, alpha: Array,
              labels: Array | None = None, state: Any = None):
    """`(term added to the critic's loss, metrics)`."""
    del score_fn, real, fake, alpha, labels, state
    return jnp.zeros(()), {}

  def project(self, params: Any) -> Any:
    """`params` moved into the constraint's feasible set (clipping); unchanged otherwise."""
    return params


@dataclasses.dataclass(frozen=True)
class NoConstraint(Constraint):
  """No Lipschitz constraint (standard GAN, LSGAN)."""


@dataclasses.dataclass(frozen=True)
class WeightClipping(Constraint):
  """WGAN weight clipping to [-clip_value, clip_value] around each critic update."""

  clip_value: float = 0.01

  def project(self, params: Any) -> Any:
    return clip_weights(params, self.clip_value)


@dataclasses.dataclass(frozen=True)
class GradientPenalty(Constraint):
  """WGAN-GP gradient penalty, two-sided by default."""

  weight: float = 10.0
  one_sided: bool = False
  target: float = 1.0
  uses_penalty = True

  def penalty(self, score_fn: ScoreFn, real: Array, fake: Array, alpha: Array,
              labels: Array | None = None, state: Any = None):
    del state
    value, norms = gradient_penalty(score_fn, real, fake, alpha, self.weight, self.one_sided,
                                    self.target, labels)
    return value, {"gradient_penalty": value, "interpolate_grad_norm": jnp.mean(norms)}


@dataclasses.dataclass(frozen=True)
class ZeroCentredPenalty(Constraint):
  """R1 (`on='real'`) or R2 (`on='fake'`): gamma / 2 * E||grad_x f(x)||^2 (Mescheder et al.
  2018), pushing the critic's gradient towards zero on that data rather than towards norm 1.

  `every` > 1 is lazy regularization (Karras et al. 2020): the penalty is computed on the first
  of every `every` critic updates only, multiplied by `every` so its average weight is the same;
  the state counts the critic updates.
  """

  gamma: float = 10.0
  on: str = "real"
  every: int = 1
  uses_penalty = True

  def __post_init__(self):
    if self.on not in ("real", "fake"):
      raise ValueError(f"ZeroCentredPenalty is taken on 'real' (R1) or 'fake' (R2) examples; "
                       f"got {self.on!r}.")
    if not (isinstance(self.every, int) and self.every >= 1):
      raise ValueError(f"ZeroCentredPenalty.every is a count of critic updates >= 1; "
                       f"got {self.every!r}.")

  def init(self, params: Any, key: Array) -> Any:
    del params, key
    return {"updates": jnp.zeros((), jnp.int32)} if self.every > 1 else None

  def update_state(self, params: Any, state: Any) -> Any:
    del params
    if self.every == 1:
      return state
    if state is None:
      raise ValueError("A lazy penalty counts critic updates in the state: create it with "
                       "init_state(..., constraint=losses.constraint).")
    return {"updates": state["updates"] + 1}

  def penalty(self, score_fn: ScoreFn, real: Array, fake: Array, alpha: Array,
              labels: Array | None = None, state: Any = None):
    del alpha
    x = real if self.on == "real" else fake
    compute = lambda: zero_centred_penalty(  # noqa: E731
        score_fn, x, self.gamma * self.every, labels)
    if self.every == 1:
      value, norms = compute()
      due = jnp.ones((), jnp.float32)
    else:
      due = (state["updates"] - 1) % self.every == 0
      skip = lambda: (jnp.zeros(()), jnp.zeros((x.shape[0],)))  # noqa: E731
      value, norms = lax.cond(due, compute, skip)
    name = "r1_penalty" if self.on == "real" else "r2_penalty"
    metrics = {name: value, f"{self.on}_grad_norm": jnp.mean(norms)}
    if self.every > 1:
      metrics["penalty_applied"] = due.astype(jnp.float32)
    return value, metrics


@dataclasses.dataclass(frozen=True)
class SpectralNormalization(Constraint):
  """The critic applied with every weight divided by its largest singular value, estimated by
  one power-iteration step per critic update (Miyato et al. 2018; `wgan_jax.spectral`).

  The state is each weight's pair of vectors. The generator's update reads the critic through
  the same estimate and does not advance it. The vectors are computed from the replicated
  weights, so every device holds the same ones without averaging.
  """

  def init(self, params: Any, key: Array) -> Any:
    return spectral.init_vectors(params, key)

  def update_state(self, params: Any, state: Any) -> Any:
    return spectral.update_vectors(params, state)

  def normalize(self, params: Any, state: Any) -> Any:
    return spectral.normalize(params, state)


def get_constraint(name: str, **kwargs) -> Constraint:
  """'clip' (clip_value) | 'penalty' (weight, one_sided, target) | 'r1' / 'r2' (gamma, every) |
  'spectral' | 'none'."""
  kinds = {"clip": WeightClipping, "penalty": GradientPenalty, "none": NoConstraint,
           "spectral": SpectralNormalization,
           "r1": functools.partial(ZeroCentredPenalty, on="real"),
           "r2": functools.partial(ZeroCentredPenalty, on="fake")}
  if name not in kinds:
    raise ValueError(f"Unknown Lipschitz constraint {name!r}; choose one of {sorted(kinds)}.")
  return kinds[name](**kwargs)


class BatchNormWithPenaltyError(ValueError):
  """A critic with BatchNorm was combined with the per-example gradient penalty."""


def check_critic_compatible(constraint: Constraint, critic_variables: Mapping[str, Any]) -> None:
  """Rejects a BatchNorm critic under the gradient penalty.

  BatchNorm makes each score depend on the whole batch, so the per-example
  gradient the penalty constrains is no longer the critic's gradient; the
  WGAN-GP paper drops it for that reason. Use LayerNorm or none.
  """
  if constraint.uses_penalty and jax.tree_util.tree_leaves(critic_variables.get("batch_stats", {})):
    raise BatchNormWithPenaltyError(
        "The critic contains BatchNorm, which is incompatible with the gradient penalty: the "
        "penalty constrains per-example gradients, and BatchNorm couples the examples of a "
        "batch. Set the critic's normalization to 'layer' or 'none', or use weight clipping.")
