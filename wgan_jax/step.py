"""The pure functional train step: n critic updates in a `lax.fori_loop`, then one generator update.

    losses = Losses("wasserstein", GradientPenalty(10.0))
    train_step = make_train_step(generator, critic, generator_tx, critic_tx, losses)
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
batch. What each network trains on is `wgan_jax.losses`; the step only wires
its losses to the optimizers.
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
from wgan_jax.augment import augmenter
from wgan_jax.ema import GeneratorEMA
from wgan_jax.latent import LatentPrior
from wgan_jax.lipschitz import check_critic_compatible
from wgan_jax.losses import Losses, critic_loss, encode_real, generator_loss, split_batch
from wgan_jax.networks import Networks
from wgan_jax.state import GANState, generator_variables, step_key

Array = jax.Array
Metrics = dict[str, Array]


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
                    critic_tx: optax.GradientTransformation, losses: Losses = Losses(), *,
                    latent: LatentPrior | None = None,
                    generator_batch_multiple: int = 1,
                    axis_name: str | None = None,
                    compute_dtype: Any = jnp.float32,
                    matmul_precision: str = "default",
                    critic_iterations: int | Sequence[int] | None = None,
                    ema: GeneratorEMA | None = None) -> TrainStep:
  """Builds the train step for a generator/critic pair (the contract: `wgan_jax.contract`).

  Args:
    generator: called as `generator(z, labels, train)`; has `latent_dim`, and
      `num_classes > 0` when conditional.
    critic: called as `critic(x, labels, train)` (labels None when unconditional);
      returns scores `[B]`, or `(scores, class_logits)` with a classifier head. Under
      the gradient penalty it must not have BatchNorm (refused when the step is
      first traced).
    generator_tx, critic_tx: optax optimizers (RMSProp for WGAN, Adam for WGAN-GP).
    losses: the objective, the critic's Lipschitz constraint and the extra terms
      (`wgan_jax.losses.Losses`); WGAN-GP's by default.
    latent: what the generator's input is drawn from (`LatentPrior`); standard normal
      noise of `generator.latent_dim` by default.
    generator_batch_multiple: generator batch as a multiple of the critic
      batch (2 in the WGAN-GP ResNet).
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
    ema: keep a moving average of the generator (`GeneratorEMA`), updated after each
      generator update; the state must be made with the same `ema` (`init_state(..., ema=)`).
  """
  contract.check_models(generator, critic)
  check_matmul_precision(matmul_precision)
  latent = latent or LatentPrior(generator.latent_dim)
  losses.check(critic, latent)
  updates = _Updates(Networks(generator, critic, compute_dtype), losses, latent,
                     generator_tx, critic_tx, axis_name, ema)
  if isinstance(critic_iterations, int):
    critic_iterations = (critic_iterations,)
  return TrainStep(at_precision(updates.critic, matmul_precision),
                   at_precision(updates.generator, matmul_precision),
                   generator_batch_multiple, axis_name,
                   tuple(critic_iterations) if critic_iterations else None)


@dataclasses.dataclass(frozen=True)
class _Updates:
  """The step's two halves: one critic update and one generator update, each averaged over
  `axis_name`."""

  networks: Networks
  losses: Losses
  latent: LatentPrior
  generator_tx: optax.GradientTransformation
  critic_tx: optax.GradientTransformation
  axis_name: str | None
  ema: GeneratorEMA | None = None

  def _augment(self, key: Array, which: int) -> Callable[[Array], Array]:
    """DiffAugment with values of its own for each example (`which`: 0 real, 1 fake); the
    identity without it. Its key is apart from the others, so a run without it is unchanged."""
    key = jax.random.fold_in(jax.random.fold_in(key, 2), which)
    return augmenter(self.losses.augment, key, self._draw)

  def _draw(self, sample: Callable[[Array, int], Array], key: Array, batch_size: int) -> Array:
    return parallel.draw_global(sample, key, batch_size, axis_name=self.axis_name)

  def _pmean(self, tree: Any) -> Any:
    return parallel.pmean(tree, axis_name=self.axis_name)

  def critic(self, state: GANState, real_batch: Any, key: Array) -> tuple[GANState, Metrics]:
    constraint = self.losses.constraint
    check_critic_compatible(constraint, {"batch_stats": state.critic_batch_stats})
    contract.check_optimizer_state(self.critic_tx, state.critic_params, state.critic_opt_state,
                                   "critic")
    real, labels = split_batch(real_batch)
    if self.networks.num_classes and labels is None:
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
      fake_z = self._draw(self.latent.sample, noise_key, batch_size)
      fake, _ = self.networks.fakes(state.generator_params, state.generator_batch_stats, fake_z,
                                    labels)
    contract.check_examples(real, fake)
    alpha = self._draw(lambda k, n: jax.random.uniform(k, (n,), jnp.float32), alpha_key,
                       batch_size)
    # Projected before the pass too, as the official WGAN code clamps before each critic pass:
    # the first gradient is then taken at clipped weights, not at the initialisation.
    params = constraint.project(state.critic_params)
    constraint_state = constraint.update_state(params, state.constraint_state)
    real = self._augment(key, 0)(encode_real(real, fake))
    fake = self._augment(key, 1)(lax.stop_gradient(fake))
    (_, (batch_stats, metrics)), grads = jax.value_and_grad(critic_loss, has_aux=True)(
        params, state.critic_batch_stats, real, fake, labels, alpha, fake_z,
        networks=self.networks, losses=self.losses, info=self.losses.info(self.latent),
        constraint_state=constraint_state)
    grads, batch_stats = self._pmean((grads, batch_stats))
    params, opt_state = apply_gradients(self.critic_tx, grads, state.critic_opt_state, params)
    metrics["critic_grad_norm"] = optax.tree.norm(grads)
    state = state.replace(critic_params=constraint.project(params),
                          critic_batch_stats=batch_stats, critic_opt_state=opt_state,
                          constraint_state=constraint_state)
    return state, self._pmean(metrics)

  def generator(self, state: GANState, key: Array, batch_size: int,
                real_batch: Any = None) -> tuple[GANState, Metrics]:
    feature_matching = self.losses.feature_matching
    if feature_matching and real_batch is None:
      raise ValueError("Feature matching compares the fakes with real data: pass generator_update "
                       "a real batch.")
    contract.check_optimizer_state(self.generator_tx, state.generator_params,
                                   state.generator_opt_state, "generator")
    noise_key, label_key = jax.random.split(key)
    z = self._draw(self.latent.sample, noise_key, batch_size)
    num_classes = self.networks.num_classes
    labels = (self._draw(lambda k, n: jax.random.randint(k, (n,), 0, num_classes), label_key,
                         batch_size) if num_classes else None)
    (_, (batch_stats, metrics)), grads = jax.value_and_grad(generator_loss, has_aux=True)(
        state.generator_params, state.generator_batch_stats, state.critic_params,
        state.critic_batch_stats, z, labels, real_batch if feature_matching else None,
        networks=self.networks, losses=self.losses, info=self.losses.info(self.latent),
        constraint_state=state.constraint_state, augment=self._augment(key, 0))
    grads, batch_stats = self._pmean((grads, batch_stats))
    params, opt_state = apply_gradients(self.generator_tx, grads, state.generator_opt_state,
                                        state.generator_params)
    metrics["generator_grad_norm"] = optax.tree.norm(grads)
    state = state.replace(step=state.step + 1, generator_params=params,
                          generator_batch_stats=batch_stats, generator_opt_state=opt_state,
                          generator_ema=self._average(state, params, batch_stats))
    return state, self._pmean(metrics)

  def _average(self, state: GANState, params: Any, batch_stats: Any) -> Any:
    """The generator's moving average after this update (None when not kept)."""
    if (self.ema is None) != (state.generator_ema is None):
      raise ValueError(
          "The step is built with a generator average (ema=) and the state keeps none, or the "
          "other way round: create the state with init_state(..., ema=) matching the step.")
    if self.ema is None:
      return None
    return self.ema.update(state.generator_ema, params, batch_stats, state.step)


MATMUL_PRECISIONS = ("default", "high", "highest")


def check_matmul_precision(matmul_precision: str) -> None:
  """Refuses a precision other than `MATMUL_PRECISIONS`."""
  if matmul_precision not in MATMUL_PRECISIONS:
    raise ValueError(f"matmul_precision must be one of {', '.join(MATMUL_PRECISIONS)}; "
                     f"got {matmul_precision!r}.")


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
             batch_statistics: bool = False, ema: bool = False) -> Array:
  """Samples from the generator (with `ema`, its moving average of weights).

  With `batch_statistics`, BatchNorm normalises with the statistics of this batch of `z`, as
  the generator runs in training and as both official codes sample; otherwise with the
  running averages kept in training. The running averages are not updated either way.
  """
  variables = generator_variables(state, ema)
  if batch_statistics:
    return generator.apply(variables, z, labels, train=True, mutable=["batch_stats"])[0]
  return generator.apply(variables, z, labels, train=False)
