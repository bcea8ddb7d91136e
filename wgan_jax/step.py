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
global batch and sliced per device, so a data-parallel step computes exactly
what one device computes on the global batch.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax
from jax import lax

from wgan_jax.lipschitz import GradientPenalty, NoConstraint
from wgan_jax.objectives import Objective, acgan_loss, get_objective
from wgan_jax.state import GANState, as_variables

Array = jax.Array
Metrics = dict[str, Array]


def split_batch(batch: Array | Mapping[str, Array]) -> tuple[Array, Array | None]:
  """Returns `(examples, labels or None)` from an array or a `{'x', 'label'}` dict."""
  if isinstance(batch, Mapping):
    return batch["x"], batch.get("label")
  return batch, None


def split_scores(output: Any) -> tuple[Array, Array | None]:
  """A critic's `(scores, class_logits or None)` from its output."""
  if isinstance(output, (tuple, list)):
    return output[0], output[1]
  return output, None


@dataclasses.dataclass(frozen=True)
class TrainStep:
  """The fused step (call it) and its two halves, each a pure function of pytrees.

  `critic_update(state, real_batch, key)` does one critic update on a batch
  without the `n_critic` axis; `generator_update(state, key, batch_size)` does
  one generator update and advances `state.step`. Calling the object runs
  `n_critic` critic updates in a `fori_loop`, then the generator update.
  """

  critic_update: Callable[[GANState, Any, Array], tuple[GANState, Metrics]]
  generator_update: Callable[[GANState, Array, int], tuple[GANState, Metrics]]
  generator_batch_multiple: int = 1
  draw: Callable[[Callable[[Array, int], Array], Array, int], Array] | None = None

  def __call__(self, state: GANState, real_batches: Any,
               key: Array | None = None) -> tuple[GANState, Metrics]:
    if key is None:
      key = jax.random.fold_in(state.key, state.step)
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
        state, generator_key, batch_size * self.generator_batch_multiple)
    return state, {**critic_metrics, **generator_metrics}

  def from_dataset(self, state: GANState, dataset: Any, n_critic: int, batch_size: int,
                   preprocess: Callable[[Array, Array], Array] | None = None,
                   key: Array | None = None) -> tuple[GANState, Metrics]:
    """The fused step with its real batches drawn in-graph from a device-resident `dataset`.

    `dataset` is an array `[N, ...]` (or a `{'x', 'label'}` dict of them) held
    on every device; `batch_size` is the per-device batch. Examples are drawn
    uniformly with replacement from a key derived from the step's key, for the
    global batch and sliced per device (so data parallelism changes nothing).
    `preprocess(x, noise)` runs on the device after the gather, with `noise`
    uniform in [0, 1) and shaped like `x` (XLA drops it when unused), e.g.
    uint8 -> [-1, 1] with dequantization. Otherwise this is `self(state, batches, key)`.
    """
    if key is None:
      key = jax.random.fold_in(state.key, state.step)
    index_key, noise_key = jax.random.split(jax.random.fold_in(key, _DATA_STREAM))
    num_examples = jax.tree_util.tree_leaves(dataset)[0].shape[0]
    indices = self.draw(lambda k, n: jax.random.randint(k, (n, n_critic), 0, num_examples),
                        index_key, batch_size).T
    batches = jax.tree_util.tree_map(lambda a: jnp.take(a, indices, axis=0), dataset)
    if preprocess is not None:
      x, labels = split_batch(batches)
      noise = self.draw(lambda k, n: jax.random.uniform(k, (n, n_critic) + x.shape[2:]),
                        noise_key, batch_size).swapaxes(0, 1)
      x = preprocess(x, noise)
      batches = {"x": x, "label": labels} if labels is not None else x
    return self(state, batches, key)


_DATA_STREAM = 0x5EED  # folds the step key into the data-sampling stream


def make_train_step(generator: nn.Module, critic: nn.Module,
                    generator_tx: optax.GradientTransformation,
                    critic_tx: optax.GradientTransformation, *,
                    objective: str | Objective = "wasserstein",
                    constraint: NoConstraint = GradientPenalty(),
                    generator_batch_multiple: int = 1,
                    acgan_scale: float = 1.0,
                    acgan_scale_generator: float = 0.1,
                    axis_name: str | None = None,
                    compute_dtype: Any = jnp.float32) -> TrainStep:
  """Builds the train step for a generator/critic pair.

  Args:
    generator: called as `generator(z, labels, train)`; has `latent_dim`, and
      `num_classes > 0` when conditional.
    critic: called as `critic(x, train)`; returns scores `[B]`, or
      `(scores, class_logits)` with an AC-GAN head.
    generator_tx, critic_tx: optax optimizers (RMSProp for WGAN, Adam for WGAN-GP).
    objective: 'wasserstein' | 'gan' | 'lsgan', or an `Objective`.
    constraint: `WeightClipping`, `GradientPenalty` or `NoConstraint`.
    generator_batch_multiple: generator batch as a multiple of the critic
      batch (2 in the WGAN-GP ResNet).
    acgan_scale, acgan_scale_generator: weights of the AC-GAN classification
      loss in the critic (on real data) and generator (on generated data).
    axis_name: the device axis to average over, or None on one device.
    compute_dtype: dtype of the networks' arithmetic (jnp.bfloat16 for mixed
      precision); parameters, optimizer states, losses and the penalty's
      norms stay float32.
  """
  objective = get_objective(objective)
  num_classes = int(getattr(generator, "num_classes", 0) or 0)
  latent_dim = generator.latent_dim

  def pmean(tree):
    return lax.pmean(tree, axis_name) if axis_name is not None else tree

  def draw(sample: Callable[[Array, int], Array], key: Array, local_batch: int) -> Array:
    """Draws for the global batch and keeps this device's slice (identical to one device)."""
    if axis_name is None:
      return sample(key, local_batch)
    index = lax.axis_index(axis_name)
    full = sample(key, local_batch * lax.axis_size(axis_name))
    return lax.dynamic_slice_in_dim(full, index * local_batch, local_batch, axis=0)

  def noise(key, n):
    return jax.random.normal(key, (n, latent_dim), jnp.float32)

  def uniform(key, n):
    return jax.random.uniform(key, (n,), jnp.float32)

  def random_labels(key, n):
    return jax.random.randint(key, (n,), 0, num_classes)

  def compute(tree):
    """Parameters and inputs in the compute dtype; the float32 originals get the gradients."""
    return jax.tree_util.tree_map(lambda a: a.astype(compute_dtype)
                                  if jnp.issubdtype(a.dtype, jnp.floating) else a, tree)

  def stats_like(new, old):
    return jax.tree_util.tree_map(lambda n, o: n.astype(o.dtype), new, old)

  def run_generator(params, batch_stats, z, labels):
    out, mutated = generator.apply(as_variables(compute(params), batch_stats), compute(z),
                                   labels, train=True, mutable=["batch_stats"])
    return out.astype(jnp.float32), stats_like(mutated.get("batch_stats", batch_stats),
                                                batch_stats)

  def run_critic(params, batch_stats, x):
    out, mutated = critic.apply(as_variables(compute(params), batch_stats), compute(x),
                                train=True, mutable=["batch_stats"])
    scores, logits = split_scores(out)
    logits = logits.astype(jnp.float32) if logits is not None else None
    return (scores.astype(jnp.float32), logits,
            stats_like(mutated.get("batch_stats", batch_stats), batch_stats))

  def critic_update(state: GANState, real_batch: Any, key: Array) -> tuple[GANState, Metrics]:
    real, labels = split_batch(real_batch)
    real = real.astype(jnp.float32)
    if num_classes and labels is None:
      raise ValueError("A conditional generator needs real batches with labels: pass "
                       "{'x': images, 'label': labels}.")
    batch_size = real.shape[0]
    noise_key, alpha_key = jax.random.split(key)
    if isinstance(real_batch, Mapping) and "fake" in real_batch:
      # A fixed "fake" distribution (a critic trained as a distance estimator, e.g. the
      # papers' toy figures): the generator is not run.
      fake = real_batch["fake"].astype(jnp.float32)
    else:
      # As in the WGAN-GP AC-GAN code, the critic's fakes are generated for the real labels.
      fake, _ = run_generator(state.generator_params, state.generator_batch_stats,
                              draw(noise, noise_key, batch_size), labels)
    fake = lax.stop_gradient(fake)
    alpha = draw(uniform, alpha_key, batch_size)

    def loss_fn(params):
      real_scores, real_logits, stats = run_critic(params, state.critic_batch_stats, real)
      fake_scores, _, stats = run_critic(params, stats, fake)
      loss = objective.critic_loss(real_scores, fake_scores)
      metrics = {"wasserstein_estimate": jnp.mean(real_scores) - jnp.mean(fake_scores),
                 "critic_real_score": jnp.mean(real_scores),
                 "critic_fake_score": jnp.mean(fake_scores)}
      if objective.distance is not None:
        metrics[objective.distance_name] = objective.distance(real_scores, fake_scores)
      score_fn = lambda x: run_critic(params, stats, x)[0]  # noqa: E731
      penalty, penalty_metrics = constraint.penalty(score_fn, real, fake, alpha)
      metrics.update(penalty_metrics)
      total = loss + penalty
      if real_logits is not None and labels is not None:
        classification = acgan_loss(real_logits, labels)
        metrics["critic_acgan_loss"] = classification
        metrics["critic_acgan_accuracy"] = jnp.mean(jnp.argmax(real_logits, -1) == labels)
        total = total + acgan_scale * classification
      metrics["critic_loss"] = total
      return total, (stats, metrics)

    (_, (batch_stats, metrics)), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        state.critic_params)
    grads, batch_stats = pmean((grads, batch_stats))
    updates, opt_state = critic_tx.update(grads, state.critic_opt_state, state.critic_params)
    params = constraint.project(optax.apply_updates(state.critic_params, updates))
    metrics["critic_grad_norm"] = optax.tree.norm(grads)
    state = state.replace(critic_params=params, critic_batch_stats=batch_stats,
                          critic_opt_state=opt_state)
    return state, pmean(metrics)

  def generator_update(state: GANState, key: Array, batch_size: int) -> tuple[GANState, Metrics]:
    noise_key, label_key = jax.random.split(key)
    z = draw(noise, noise_key, batch_size)
    labels = draw(random_labels, label_key, batch_size) if num_classes else None

    def loss_fn(params):
      fake, stats = run_generator(params, state.generator_batch_stats, z, labels)
      scores, logits, _ = run_critic(state.critic_params, state.critic_batch_stats, fake)
      loss = objective.generator_loss(scores)
      metrics = {"generator_loss": loss}
      if logits is not None and labels is not None:
        classification = acgan_loss(logits, labels)
        metrics["generator_acgan_loss"] = classification
        # How often the critic's classifier names each fake's conditioning class: whether the
        # generator follows its labels (no CIFAR-10 classifier is available offline).
        metrics["generator_acgan_accuracy"] = jnp.mean(jnp.argmax(logits, -1) == labels)
        loss = loss + acgan_scale_generator * classification
      return loss, (stats, metrics)

    (_, (batch_stats, metrics)), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        state.generator_params)
    grads, batch_stats = pmean((grads, batch_stats))
    updates, opt_state = generator_tx.update(grads, state.generator_opt_state,
                                             state.generator_params)
    params = optax.apply_updates(state.generator_params, updates)
    metrics["generator_grad_norm"] = optax.tree.norm(grads)
    state = state.replace(step=state.step + 1, generator_params=params,
                          generator_batch_stats=batch_stats, generator_opt_state=opt_state)
    return state, pmean(metrics)

  return TrainStep(critic_update, generator_update, generator_batch_multiple, draw)


def generate(generator: nn.Module, state: GANState, z: Array, labels: Array | None = None,
             train: bool = False) -> Array:
  """Samples from the generator; BatchNorm uses running statistics unless `train`."""
  variables = as_variables(state.generator_params, state.generator_batch_stats)
  if train:
    return generator.apply(variables, z, labels, train=True, mutable=["batch_stats"])[0]
  return generator.apply(variables, z, labels, train=False)
