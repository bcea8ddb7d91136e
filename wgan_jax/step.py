"""The pure functional train step: n critic updates in a `lax.fori_loop`, then one generator update.

    train_step = make_train_step(generator, critic, generator_tx, critic_tx,
                                 objective='wasserstein', constraint=GradientPenalty(10.0))
    state, metrics = jax.jit(train_step)(state, real_batches)

`real_batches` has a leading `n_critic` axis: `[n_critic, batch, ...]`, or a
dict `{'x': ..., 'label': ...}` of such arrays for conditional models. A
`'fake'` entry makes `critic_update` score those examples instead of the
generator's (training a critic between two fixed distributions). Each
critic iteration takes a fresh real batch and fresh noise. The number of
critic iterations is the leading axis, so the WGAN schedule (100 iterations
now and then, 5 otherwise) costs one extra compilation, not one per step.

With `axis_name`, gradients, BatchNorm statistics and metrics are averaged
over that axis, so the same function runs under `jax.pmap`, under
`jax.shard_map` (with `check_vma=False`, see `wgan_jax.parallel`) and, with
`axis_name=None`, under plain `jax.jit`. Every random draw is made for the
global batch and sliced per device (`parallel.draw_global`), so a
data-parallel step computes exactly what one device computes on the global
batch. The losses are module-level pure functions (`critic_loss`,
`generator_loss`); `make_train_step` only wires them to the optimizers.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Callable, Mapping, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax
from jax import lax

from wgan_jax import contract, parallel
from wgan_jax.lipschitz import Constraint, GradientPenalty, check_critic_compatible
from wgan_jax.latent import LatentPrior
from wgan_jax.models.layers import check_classifier_head, check_info_head
from wgan_jax.objectives import (InfoObjective, Objective, acgan_loss, catgan_entropies,
                                  class_accuracy, feature_matching_loss, get_objective)
from wgan_jax.state import GANState, as_variables, generator_variables, step_key

Array = jax.Array
Metrics = dict[str, Array]


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


def split_scores(output: Any) -> tuple[Array, Array | None]:
  """A critic's `(scores, class_logits or None)` from its output."""
  if isinstance(output, (tuple, list)):
    return output[0], output[1]
  return output, None


# ----------------------------------------------------------------------------- mixed precision


def cast_floating(tree: Any, dtype: Any) -> Any:
  """Every floating leaf of `tree` in `dtype` (integer leaves such as labels unchanged)."""
  return jax.tree_util.tree_map(
      lambda a: a.astype(dtype) if jnp.issubdtype(a.dtype, jnp.floating) else a, tree)


def match_dtypes(new: Any, old: Any) -> Any:
  """`new` with the dtypes of `old` (BatchNorm statistics stay float32 under bfloat16 compute)."""
  return jax.tree_util.tree_map(lambda n, o: n.astype(o.dtype), new, old)


@dataclasses.dataclass(frozen=True)
class Networks:
  """The generator and critic applied in training mode at one compute dtype.

  Parameters and inputs are cast to `compute_dtype` inside, so gradients reach the float32
  originals; outputs come back as float32 and BatchNorm statistics in their own dtype.
  """

  generator: nn.Module
  critic: nn.Module
  compute_dtype: Any = jnp.float32

  def generate(self, params: Any, batch_stats: Any, z: Array,
               labels: Array | None) -> tuple[Array, Any]:
    """`(fakes, updated generator BatchNorm statistics)`."""
    dtype = self.compute_dtype
    out, mutated = self.generator.apply(as_variables(cast_floating(params, dtype), batch_stats),
                                        cast_floating(z, dtype), labels, train=True,
                                        mutable=["batch_stats"])
    return out.astype(jnp.float32), match_dtypes(mutated.get("batch_stats", batch_stats),
                                                  batch_stats)

  def score(self, params: Any, batch_stats: Any, x: Array,
            labels: Array | None = None) -> tuple[Array, Array | None, Any]:
    """`(scores, class logits or None, updated critic BatchNorm statistics)`; `labels`
    reach a class-conditional critic (others ignore them)."""
    scores, logits, stats, _ = self._critic(params, batch_stats, x, labels, with_features=False)
    return scores, logits, stats

  def score_with_features(self, params: Any, batch_stats: Any, x: Array,
                          labels: Array | None = None) -> tuple[Array, Array | None, Array]:
    """`(scores, class logits or None, last hidden features [B, D])`, the features being those
    the score is read from (`layers.FeatureTap`); for feature matching."""
    scores, logits, _, features = self._critic(params, batch_stats, x, labels, with_features=True)
    return scores, logits, features

  def _critic(self, params, batch_stats, x, labels, with_features: bool):
    dtype = self.compute_dtype
    collections = ["batch_stats", "intermediates"] if with_features else ["batch_stats"]
    out, mutated = self.critic.apply(as_variables(cast_floating(params, dtype), batch_stats),
                                     cast_floating(x, dtype), labels, train=True,
                                     mutable=collections)
    scores, logits = split_scores(out)
    contract.check_scores(scores, x.shape[0])
    logits = logits.astype(jnp.float32) if logits is not None else None
    features = None
    if with_features:
      taps = mutated.get("intermediates", {}).get("features")
      if taps is None:
        raise ValueError(f"{type(self.critic).__name__} does not expose its features; feature "
                         f"matching needs an MLP, DCGAN or ResNet critic.")
      features = taps["features"][0].astype(jnp.float32)
    return (scores.astype(jnp.float32), logits,
            match_dtypes(mutated.get("batch_stats", batch_stats), batch_stats), features)


# ----------------------------------------------------------------------------- losses


def class_entropies(logits: Array, which: str) -> Metrics:
  """A classifier head's conditional and marginal class entropies on a batch, as metrics."""
  conditional, marginal = catgan_entropies(logits)
  return {f"critic_{which}_class_entropy": conditional,
          f"critic_{which}_marginal_entropy": marginal}


def critic_loss(params: Any, batch_stats: Any, real: Array, fake: Array, labels: Array | None,
                alpha: Array, fake_z: Array | None = None, *, networks: Networks,
                objective: Objective, constraint: Constraint, acgan_scale: float,
                info: InfoObjective | None = None) -> tuple[Array, tuple[Any, Metrics]]:
  """The critic's loss on one batch: objective + Lipschitz penalty (+ AC-GAN term on real labels,
  + InfoGAN term on the codes in the fakes' noise `fake_z`).

  A conditional critic scores each real example and its fake, generated for the same label,
  under that label, at the interpolates too.
  Returns `(loss, (updated BatchNorm statistics, metrics))`; differentiate in `params`.
  """
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
  penalty, penalty_metrics = constraint.penalty(score_fn, real, fake, alpha, labels)
  metrics.update(penalty_metrics)
  total = loss + penalty
  if real_logits is not None and labels is not None:
    # Over the labelled examples: all of them, except for semi-supervised data (label -1).
    classification = acgan_loss(real_logits, labels)
    metrics["critic_acgan_loss"] = classification
    metrics["critic_acgan_accuracy"] = class_accuracy(real_logits, labels)
    total = total + acgan_scale * classification
  if info is not None and fake_z is not None:
    term, info_metrics = info(fake_logits, fake_z)
    metrics.update({f"critic_{k}": v for k, v in info_metrics.items()})
    total = total + term
  metrics["critic_loss"] = total
  return total, (stats, metrics)


def generator_loss(params: Any, batch_stats: Any, critic_params: Any, critic_batch_stats: Any,
                   z: Array, labels: Array | None, real_batch: Any = None, *, networks: Networks,
                   objective: Objective, acgan_scale: float, feature_matching: bool = False,
                   info: InfoObjective | None = None) -> tuple[Array, tuple[Any, Metrics]]:
  """The generator's loss on one batch of noise (+ AC-GAN term on the conditioning labels,
  + InfoGAN term on the codes in `z`).

  With `feature_matching`, the objective's loss is replaced by the distance between the mean
  critic features of `real_batch` and of the fakes (Salimans et al. 2016).
  Returns `(loss, (updated BatchNorm statistics, metrics))`; differentiate in `params`.
  """
  fake, stats = networks.generate(params, batch_stats, z, labels)
  if feature_matching:
    scores, logits, fake_features = networks.score_with_features(
        critic_params, critic_batch_stats, fake, labels)
  else:
    scores, logits, _ = networks.score(critic_params, critic_batch_stats, fake, labels)
  loss = objective.generator_loss(logits if objective.on_logits else scores)
  metrics = {"generator_loss": loss}
  if feature_matching:
    real, real_labels = split_batch(real_batch)
    real_features = networks.score_with_features(
        critic_params, critic_batch_stats, encode_real(real, fake), real_labels)[2]
    metrics["generator_objective_loss"] = loss  # logged beside the loss that replaces it
    loss = feature_matching_loss(lax.stop_gradient(real_features), fake_features)
    metrics["generator_loss"] = loss
  if logits is not None and labels is not None:
    classification = acgan_loss(logits, labels)
    metrics["generator_acgan_loss"] = classification
    # How often the critic's classifier names each fake's conditioning class: whether the
    # generator follows its labels (no CIFAR-10 classifier is available offline).
    metrics["generator_acgan_accuracy"] = class_accuracy(logits, labels)
    loss = loss + acgan_scale * classification
  if info is not None:
    term, info_metrics = info(logits, z)
    metrics.update({f"generator_{k}": v for k, v in info_metrics.items()})
    loss = loss + term
  return loss, (stats, metrics)


def apply_gradients(tx: optax.GradientTransformation, grads: Any, opt_state: Any,
                    params: Any) -> tuple[Any, Any]:
  """One optimizer update: `(new params, new optimizer state)`."""
  updates, opt_state = tx.update(grads, opt_state, params)
  return optax.apply_updates(params, updates), opt_state


# ----------------------------------------------------------------------------- the step


@dataclasses.dataclass(frozen=True)
class TrainStep:
  """The fused step (call it) and its two halves, each a pure function of pytrees.

  `critic_update(state, real_batch, key)` does one critic update on a batch
  without the `n_critic` axis; `generator_update(state, key, batch_size, real_batch=None)`
  does one generator update and advances `state.step` (`real_batch` is read only under
  feature matching). Calling the object runs `n_critic` critic updates in a `fori_loop`, then
  the generator update with the last critic iteration's real batch.
  `axis_name` is the device axis the step averages over (None on one device);
  `critic_iterations` the leading-axis lengths `real_batches` may have (None: any).

  The metrics are the last critic iteration's (the critic's loss, its scores, the penalty and
  the Wasserstein estimate, as both papers' official codes log them) and the generator
  update's, each averaged over the device axis.
  """

  critic_update: Callable[[GANState, Any, Array], tuple[GANState, Metrics]]
  generator_update: Callable[..., tuple[GANState, Metrics]]
  generator_batch_multiple: int = 1
  axis_name: str | None = None
  critic_iterations: tuple[int, ...] | None = None

  def __call__(self, state: GANState, real_batches: Any,
               key: Array | None = None) -> tuple[GANState, Metrics]:
    contract.check_real_batches(*split_batch(real_batches), self.critic_iterations)
    key = step_key(state) if key is None else key
    critic_key, generator_key = jax.random.split(key)
    n_critic = jax.tree_util.tree_leaves(real_batches)[0].shape[0]
    batch_of = lambda i: jax.tree_util.tree_map(  # noqa: E731
        lambda a: lax.dynamic_index_in_dim(a, i, 0, keepdims=False), real_batches)

    def critic_iteration(i, carry):
      state, _ = carry
      return self.critic_update(state, batch_of(i), jax.random.fold_in(critic_key, i))

    metrics_shape = jax.eval_shape(self.critic_update, state, batch_of(0), critic_key)[1]
    zero_metrics = jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), metrics_shape)
    state, critic_metrics = lax.fori_loop(0, n_critic, critic_iteration, (state, zero_metrics))
    batch_size = split_batch(batch_of(0))[0].shape[0]
    state, generator_metrics = self.generator_update(
        state, generator_key, batch_size * self.generator_batch_multiple,
        batch_of(n_critic - 1))
    return state, {**critic_metrics, **generator_metrics}


def make_train_step(generator: nn.Module, critic: nn.Module,
                    generator_tx: optax.GradientTransformation,
                    critic_tx: optax.GradientTransformation, *,
                    objective: str | Objective = "wasserstein",
                    constraint: Constraint = GradientPenalty(),
                    generator_batch_multiple: int = 1,
                    acgan_scale: float = 1.0,
                    acgan_scale_generator: float = 0.1,
                    feature_matching: bool = False,
                    latent: LatentPrior | None = None,
                    info_scale: float = 1.0,
                    info_continuous_weight: float = 1.0,
                    axis_name: str | None = None,
                    compute_dtype: Any = jnp.float32,
                    matmul_precision: str = "default",
                    critic_iterations: int | Sequence[int] | None = None) -> TrainStep:
  """Builds the train step for a generator/critic pair (the contract: `wgan_jax.contract`).

  Args:
    generator: called as `generator(z, labels, train)`; has `latent_dim`, and
      `num_classes > 0` when conditional.
    critic: called as `critic(x, labels, train)` (labels None when unconditional);
      returns scores `[B]`, or `(scores, class_logits)` with an AC-GAN head. Under
      the gradient penalty it must not have BatchNorm (refused when the step is
      first traced).
    generator_tx, critic_tx: optax optimizers (RMSProp for WGAN, Adam for WGAN-GP).
    objective: 'wasserstein' | 'gan' | 'minimax' | 'lsgan' | 'catgan' | 'supervised', or an
      `Objective` (`objectives.OBJECTIVES`).
    constraint: a `Constraint`: `WeightClipping`, `GradientPenalty` or `NoConstraint`.
    generator_batch_multiple: generator batch as a multiple of the critic
      batch (2 in the WGAN-GP ResNet).
    acgan_scale, acgan_scale_generator: weights of the classification loss of a
      critic's classifier head in the critic (on labelled real data) and in the
      generator (on generated data, for a conditional generator).
    feature_matching: train the generator to match the mean of the critic's last
      hidden features on real data instead of on the objective's generator loss
      (Salimans et al. 2016; the semi-supervised GAN's usual generator loss).
    axis_name: the device axis to average over, or None on one device.
    compute_dtype: dtype of the networks' arithmetic (jnp.bfloat16 for mixed
      precision); parameters, optimizer states, losses and the penalty's
      norms stay float32.
    matmul_precision: the precision of the step's float32 matrix products and convolutions
      (`MATMUL_PRECISIONS`), where the backend has several: on TPU 'default' is one bfloat16
      pass, 'high' three and 'highest' full float32; on NVIDIA GPUs 'default' allows TF32.
      The penalty's input gradients go through the same products.
    critic_iterations: the critic updates per call the step is built for (`n_critic`, and 100
      under the WGAN schedule): `real_batches` with another leading axis, such as
      `[batch, n_critic, ...]` swapped axes, are refused. None: any count.
  """
  contract.check_models(generator, critic)
  if isinstance(critic_iterations, int):
    critic_iterations = (critic_iterations,)
  if matmul_precision not in MATMUL_PRECISIONS:
    raise ValueError(f"matmul_precision must be one of {', '.join(MATMUL_PRECISIONS)}; "
                     f"got {matmul_precision!r}.")
  objective = get_objective(objective)
  if objective.on_logits:
    check_classifier_head(critic, f"The {objective.name!r} objective")
  networks = Networks(generator, critic, compute_dtype)
  num_classes = int(getattr(generator, "num_classes", 0) or 0)
  draw = functools.partial(parallel.draw_global, axis_name=axis_name)
  pmean = functools.partial(parallel.pmean, axis_name=axis_name)
  latent = latent or LatentPrior(generator.latent_dim)
  info = None
  if latent.code_dim:
    check_info_head(critic, latent)
    info = InfoObjective(latent, info_scale, info_continuous_weight)
  critic_grad = jax.value_and_grad(functools.partial(
      critic_loss, networks=networks, objective=objective, constraint=constraint,
      acgan_scale=acgan_scale, info=info), has_aux=True)
  generator_grad = jax.value_and_grad(functools.partial(
      generator_loss, networks=networks, objective=objective, acgan_scale=acgan_scale_generator,
      feature_matching=feature_matching, info=info), has_aux=True)

  def critic_update(state: GANState, real_batch: Any, key: Array) -> tuple[GANState, Metrics]:
    check_critic_compatible(constraint, {"batch_stats": state.critic_batch_stats})
    contract.check_optimizer_state(critic_tx, state.critic_params, state.critic_opt_state,
                                   "critic")
    real, labels = split_batch(real_batch)
    if num_classes and labels is None:
      raise ValueError("A conditional generator needs real batches with labels: pass "
                       "{'x': images, 'label': labels}.")
    noise_key, alpha_key = jax.random.split(key)
    batch_size = real.shape[0]
    if isinstance(real_batch, Mapping) and "fake" in real_batch:
      # A fixed "fake" distribution (a critic trained as a distance estimator, e.g. the
      # papers' toy figures): the generator is not run.
      fake, fake_z = real_batch["fake"].astype(jnp.float32), None
    else:
      # As in the WGAN-GP AC-GAN code, the critic's fakes are generated for the real labels.
      fake_z = draw(latent.sample, noise_key, batch_size)
      fake, _ = networks.generate(state.generator_params, state.generator_batch_stats, fake_z,
                                  labels)
    contract.check_examples(real, fake)
    alpha = draw(lambda k, n: jax.random.uniform(k, (n,), jnp.float32), alpha_key, batch_size)
    # Projected before the pass too, as the official WGAN code clamps before each critic pass:
    # the first gradient is then taken at clipped weights, not at the initialisation.
    params = constraint.project(state.critic_params)
    (_, (batch_stats, metrics)), grads = critic_grad(
        params, state.critic_batch_stats, encode_real(real, fake), lax.stop_gradient(fake),
        labels, alpha, fake_z)
    grads, batch_stats = pmean((grads, batch_stats))
    params, opt_state = apply_gradients(critic_tx, grads, state.critic_opt_state, params)
    metrics["critic_grad_norm"] = optax.tree.norm(grads)
    state = state.replace(critic_params=constraint.project(params),
                          critic_batch_stats=batch_stats, critic_opt_state=opt_state)
    return state, pmean(metrics)

  def generator_update(state: GANState, key: Array, batch_size: int,
                       real_batch: Any = None) -> tuple[GANState, Metrics]:
    if feature_matching and real_batch is None:
      raise ValueError("Feature matching compares the fakes with real data: pass generator_update "
                       "a real batch.")
    contract.check_optimizer_state(generator_tx, state.generator_params,
                                   state.generator_opt_state, "generator")
    noise_key, label_key = jax.random.split(key)
    z = draw(latent.sample, noise_key, batch_size)
    labels = (draw(lambda k, n: jax.random.randint(k, (n,), 0, num_classes), label_key,
                   batch_size) if num_classes else None)
    (_, (batch_stats, metrics)), grads = generator_grad(
        state.generator_params, state.generator_batch_stats, state.critic_params,
        state.critic_batch_stats, z, labels, real_batch if feature_matching else None)
    grads, batch_stats = pmean((grads, batch_stats))
    params, opt_state = apply_gradients(generator_tx, grads, state.generator_opt_state,
                                        state.generator_params)
    metrics["generator_grad_norm"] = optax.tree.norm(grads)
    state = state.replace(step=state.step + 1, generator_params=params,
                          generator_batch_stats=batch_stats, generator_opt_state=opt_state)
    return state, pmean(metrics)

  return TrainStep(at_precision(critic_update, matmul_precision),
                   at_precision(generator_update, matmul_precision),
                   generator_batch_multiple, axis_name,
                   tuple(critic_iterations) if critic_iterations else None)


MATMUL_PRECISIONS = ("default", "high", "highest")


def at_precision(fn: Callable, matmul_precision: str) -> Callable:
  """`fn` traced under `jax.default_matmul_precision(matmul_precision)`: every product it
  creates, forward and backward, carries that precision."""
  if matmul_precision == "default":
    return fn

  @functools.wraps(fn)
  def wrapped(*args, **kwargs):
    with jax.default_matmul_precision(matmul_precision):
      return fn(*args, **kwargs)

  return wrapped


def generate(generator: nn.Module, state: GANState, z: Array, labels: Array | None = None,
             batch_statistics: bool = False) -> Array:
  """Samples from the generator.

  With `batch_statistics`, BatchNorm normalises with the statistics of this batch of `z`, as
  the generator runs in training and as both official codes sample; otherwise with the
  running averages kept in training. The running averages are not updated either way.
  """
  variables = generator_variables(state)
  if batch_statistics:
    return generator.apply(variables, z, labels, train=True, mutable=["batch_stats"])[0]
  return generator.apply(variables, z, labels, train=False)
