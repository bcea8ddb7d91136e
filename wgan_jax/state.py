"""`GANState`: everything a GAN's training carries from one step to the next, as one pytree."""

from __future__ import annotations

from typing import Any

import flax
import flax.linen as nn
import jax
import jax.numpy as jnp
import optax


@flax.struct.dataclass
class GANState:
  """Parameters, BatchNorm statistics and optimizer states of both networks.

  `step` counts generator iterations. `key` is the run's base PRNG key: the
  step draws its randomness from `fold_in(key, step)` unless given a key, so a
  run is reproducible from its seed and a resumed run continues exactly.

  Two parts are None unless the run uses them, so a run without them has the same program
  and checkpoints: `constraint_state`, what the critic's constraint carries between updates
  (spectral normalization's power-iteration vectors, a lazy penalty's update count; see
  `Constraint.init`), and `generator_ema`, the moving average of the generator's parameters
  and BatchNorm statistics (`wgan_jax.ema.GeneratorEMA`).
  """

  step: jax.Array
  generator_params: Any
  generator_batch_stats: Any
  generator_opt_state: optax.OptState
  critic_params: Any
  critic_batch_stats: Any
  critic_opt_state: optax.OptState
  key: jax.Array
  constraint_state: Any = None
  generator_ema: Any = None


def init_state(generator: nn.Module, critic: nn.Module, generator_tx: optax.GradientTransformation,
               critic_tx: optax.GradientTransformation, key: jax.Array,
               example: jax.Array, *, constraint: Any = None, ema: Any = None) -> GANState:
  """Initialises both networks for examples shaped like `example` (with a batch axis).

  `constraint` (a `lipschitz.Constraint`) and `ema` (an `ema.GeneratorEMA`) start the state
  they keep, where they keep one; pass the ones the train step is built with.
  """
  init_key, run_key = jax.random.split(key)
  generator_key, critic_key = jax.random.split(init_key)
  z = jnp.zeros((1, generator.latent_dim), jnp.float32)
  labels = jnp.zeros((1,), jnp.int32)
  x = jnp.zeros((1, *example.shape[1:]), jnp.float32)
  # Compiled as one program each: run eagerly, every layer's ops compile one by one (tens of
  # seconds for a conv net on CPU).
  generator_vars = jax.jit(lambda k: generator.init(k, z, labels, train=False))(generator_key)
  critic_vars = jax.jit(lambda k: critic.init(k, x, labels, train=False))(critic_key)
  generator_params = generator_vars["params"]
  critic_params = critic_vars["params"]
  return GANState(
      step=jnp.zeros((), jnp.int32),
      generator_params=generator_params,
      generator_batch_stats=generator_vars.get("batch_stats", {}),
      generator_opt_state=generator_tx.init(generator_params),
      critic_params=critic_params,
      critic_batch_stats=critic_vars.get("batch_stats", {}),
      critic_opt_state=critic_tx.init(critic_params),
      key=run_key,
      # Keys of their own, so the networks' initialisation is the same with or without them.
      constraint_state=(constraint.init(critic_params, jax.random.fold_in(critic_key, 1))
                        if constraint is not None else None),
      generator_ema=(ema.init(generator_params, generator_vars.get("batch_stats", {}))
                     if ema is not None else None),
  )


def step_key(state: GANState) -> jax.Array:
  """The key a generator iteration draws its randomness from unless given one."""
  return jax.random.fold_in(state.key, state.step)


def critic_variables(state: GANState) -> dict[str, Any]:
  """The critic's variables as `critic.apply` takes them."""
  return as_variables(state.critic_params, state.critic_batch_stats)


def generator_variables(state: GANState, ema: bool = False) -> dict[str, Any]:
  """The generator's variables as `generator.apply` takes them: its trained weights, or with
  `ema` their moving average (refused when the state keeps none)."""
  if ema:
    if state.generator_ema is None:
      raise ValueError("This state keeps no moving average of the generator (train with "
                       "--config.ema.decay > 0); sample its trained weights instead.")
    return as_variables(state.generator_ema["params"], state.generator_ema["batch_stats"])
  return as_variables(state.generator_params, state.generator_batch_stats)


def as_variables(params: Any, batch_stats: Any) -> dict[str, Any]:
  variables = {"params": params}
  if jax.tree_util.tree_leaves(batch_stats):
    variables["batch_stats"] = batch_stats
  return variables


def count_params(params: Any) -> int:
  """Number of scalars in a parameter pytree."""
  return sum(int(x.size) for x in jax.tree_util.tree_leaves(params))


def all_finite(tree: Any) -> jax.Array:
  """True when no floating-point leaf of `tree` holds a NaN or an infinity (a traced bool)."""
  checks = [jnp.isfinite(x).all() for x in jax.tree_util.tree_leaves(tree)
            if jnp.issubdtype(x.dtype, jnp.inexact)]
  return jnp.stack(checks).all() if checks else jnp.asarray(True)
