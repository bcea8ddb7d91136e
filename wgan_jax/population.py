"""Populations: N runs of one config that differ in seed and float hyperparameters, trained as
one XLA program by `vmap`-ping the train step over a leading member axis.

    population = build_population(config, {"seed": [0, 1, 2, 3],
        "optimizer.critic.learning_rate": [1e-4, 2e-4, 5e-4, 1e-3]})
    members = population.init()                      # Members: stacked GANState + swept values
    members, metrics = jax.jit(population.train_step)(members, real_batches)   # metrics [N]

N runs cost one dispatch per generator iteration, and a chip that one small GAN leaves idle can
hold many (`python -m wgan_jax.preflight --members`; their speed on an accelerator is not
measured yet, docs/PERFORMANCE.md). Member i computes what a run of `population.members[i]`
computes (tests/test_population.py): its own PRNG key (from its seed), BatchNorm statistics
and optimizer state, and its own swept values, which enter the program as traced arrays
carried beside the state (`Members.values`), so the state of each member has a single run's
structure and a member exported from a population is an ordinary run's state (`member`).

What may differ between members is `SWEEPABLE`: the seed and float settings. The rest
(architecture, n_critic, objective, batch size, ...) shapes the program, which the members
share: a sweep over it is refused, naming the key.

Real batches carry the member axis (`[N, n_critic, batch, ...]`, each member its own data, as
its single run reads them) or not (`shared_data=True`: every member the same batches); the
device-resident step shares one copy of the data set and each member draws its own batches with
its own key. With `axis_name`, each member's gradients, BatchNorm statistics and metrics are
averaged over the device axis (`parallel.pmap_step` or `shard_map_step` on a data-parallel
population: members on every device, the batch split); with `axis_name=None`, `jax.pmap` over
`Members` split along their first axis places whole members on each device.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any, Callable, Mapping, Sequence

import flax
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from wgan_jax import builder, parallel, program, rundir
from wgan_jax.errors import ConfigError
from wgan_jax.state import GANState, all_finite, init_state

Array = jax.Array

# The settings members may differ in: the seed, and float settings the program only computes
# with (learning rates and Adam/RMSProp coefficients, the penalty weight, the clipping bound,
# loss weights).
SWEEPABLE = (
    "seed",
    "optimizer.generator.learning_rate", "optimizer.critic.learning_rate",
    "optimizer.generator.b1", "optimizer.generator.b2",
    "optimizer.critic.b1", "optimizer.critic.b2",
    "optimizer.generator.decay", "optimizer.critic.decay",
    "constraint.weight", "constraint.clip_value",
    "acgan_scale", "acgan_scale_generator", "info_scale", "info_continuous_weight",
)


@flax.struct.dataclass
class Members:
  """The population's state: each member's `GANState` stacked on a leading axis, and the
  values of the swept float settings, `{dotted key: [N]}`, that its step computes with."""

  state: GANState
  values: dict[str, Array]
  alive: Array  # [N] bool: False once a member's state or metrics turned non-finite

  @property
  def size(self) -> int:
    return int(self.state.step.shape[0])

  @property
  def step(self) -> Array:
    """The generator iterations of the members still training (a frozen member's stop)."""
    return jnp.max(self.state.step)


def member(members: Members, index: int) -> GANState:
  """Member `index`'s state: a single run's `GANState`, as `init_state` and the trainer make."""
  return jax.tree_util.tree_map(lambda leaf: leaf[index], members.state)


def _get(config: ml_collections.ConfigDict, key: str) -> Any:
  node = config
  for part in key.split("."):
    node = node[part]
  return node


def member_configs(config: ml_collections.ConfigDict, sweep: Mapping[str, Sequence],
                   grid: bool = False) -> list[ml_collections.ConfigDict]:
  """The members' configs: `config` with each member's values of `sweep` (`{dotted key:
  values}`). The value lists are zipped (each the same length), or with `grid` crossed."""
  if not sweep:
    raise ConfigError("population.sweep is empty: name the settings members differ in, e.g. "
                      "{'seed': [0, 1, 2, 3]}.")
  for key, values in sweep.items():
    if key not in SWEEPABLE:
      raise ConfigError(
          f"population.sweep: {key} cannot differ between members. Members share one program, "
          f"so its architecture, n_critic, objective, batch size and every other setting that "
          f"shapes it are shared; train differing values as separate runs. Members may differ "
          f"in: {', '.join(SWEEPABLE)}.")
    try:
      _get(config, key)
    except (KeyError, AttributeError):
      raise ConfigError(f"population.sweep: this config has no {key} (its optimizer may not "
                        f"take it).") from None
    if isinstance(values, (str, bytes)) or not len(values):
      raise ConfigError(f"population.sweep.{key}={values!r}: give a list of values.")
  keys = list(sweep)
  if grid:
    rows = list(itertools.product(*(sweep[key] for key in keys)))
  else:
    lengths = {key: len(sweep[key]) for key in keys}
    if len(set(lengths.values())) > 1:
      raise ConfigError(f"population.sweep: the value lists differ in length ({lengths}); give "
                        f"each member's value, or set population.grid to cross them.")
    rows = list(zip(*(sweep[key] for key in keys)))
  members = []
  for row in rows:
    member_config = ml_collections.ConfigDict(config.to_dict())
    member_config.update_from_flattened_dict(
        {key: int(value) if key == "seed" else float(value) for key, value in zip(keys, row)})
    builder.check_config(member_config)
    members.append(member_config)
  return members


def _view(config: ml_collections.ConfigDict,
          values: Mapping[str, Any]) -> ml_collections.ConfigDict:
  """`config` with `values` (traced arrays) at their dotted keys."""
  view = ml_collections.ConfigDict(config.to_dict(), type_safe=False)
  for key, value in values.items():
    *path, leaf = key.split(".")
    node = view
    for part in path:
      node = node[part]
    node[leaf] = value
  return view


@dataclasses.dataclass(frozen=True)
class Population:
  """What a population config builds: member 0's experiment (networks, data, schedule), every
  member's config, and the vmapped step."""

  experiment: builder.Experiment
  members: tuple[ml_collections.ConfigDict, ...]
  varying: tuple[str, ...]  # the swept float keys (the seed is the state's)
  axis_name: str | None = None

  @property
  def size(self) -> int:
    return len(self.members)

  def values(self) -> dict[str, Array]:
    """`{key: [N]}`: each member's value of each swept float setting."""
    return {key: jnp.asarray([float(_get(m, key)) for m in self.members], jnp.float32)
            for key in self.varying}

  def init(self) -> Members:
    """Every member's freshly initialised state (from its own seed), as one program."""
    e = self.experiment
    example = jnp.zeros((1,) + e.example_shape)
    keys = jnp.stack([jax.random.PRNGKey(m.seed) for m in self.members])
    state = jax.jit(jax.vmap(lambda key: init_state(
        e.generator, e.critic, e.generator_tx, e.critic_tx, key, example,
        constraint=e.losses.constraint, ema=e.ema)))(keys)
    return Members(state, self.values(), jnp.ones((self.size,), bool))

  def step_for(self, values: Mapping[str, Array]):
    """The train step of a member whose swept settings are `values` (traced scalars)."""
    e = self.experiment
    return builder.step_from_config(_view(e.config, values), e.generator, e.critic, e.latent,
                                    self.axis_name).train_step

  def train_step(self, members: Members, real_batches: Any, *,
                 shared_data: bool = False) -> tuple[Members, dict[str, Array]]:
    """One generator iteration of every member: `real_batches` `[N, n_critic, batch, ...]`
    (or `[n_critic, batch, ...]` for all with `shared_data`); metrics `{name: [N]}`."""
    return self.vmapped(lambda step, state, data: step(state, data), shared_data)(
        members, real_batches)

  def resident_step(self, n_critic: int, batch_size: int, preprocess=None,
                    shared_data: bool = True) -> Callable:
    """`fn(members, dataset)`: every member draws its own batches, with its own key, from one
    data set held on the devices (or, without `shared_data`, each from its own: `[N, ...]`),
    as its device-resident single run does."""
    return self.vmapped(
        lambda step, state, dataset: program.resident_step(step, n_critic, batch_size,
                                                           preprocess)(state, dataset),
        shared_data=shared_data)

  def vmapped(self, call: Callable, shared_data: bool) -> Callable:
    """`fn(members, data)`: `call(member's step, member's state, data)` for every member."""

    def one(state: GANState, data: Any, values: Mapping[str, Array]):
      return call(self.step_for(values), state, data)

    def step(members: Members, data: Any) -> tuple[Members, dict[str, Array]]:
      state, metrics = jax.vmap(one, in_axes=(0, None if shared_data else 0, 0))(
          members.state, data, members.values)
      return _freeze_diverged(members, state, metrics)

    return step


def _freeze_diverged(members: Members, new: GANState,
                     metrics: dict[str, Array]) -> tuple[Members, dict[str, Array]]:
  """Members whose new state or metrics hold a NaN or infinity keep their previous state and
  stop for good (`alive` False); the others go on."""
  finite = jax.vmap(all_finite)(new) & jax.vmap(all_finite)(metrics) & members.alive
  keep = lambda n, o: jnp.where(finite.reshape((-1,) + (1,) * (n.ndim - 1)), n, o)  # noqa: E731
  state = jax.tree_util.tree_map(keep, new, members.state)
  return members.replace(state=state, alive=finite), metrics


def parse_sweep(text: str) -> dict[str, list[float]]:
  """`"KEY=V1,V2;KEY2=..."` as `{KEY: [V1, V2], ...}` (`config.population.sweep`)."""
  sweep = {}
  for part in filter(None, (p.strip() for p in text.split(";"))):
    key, sep, values = part.partition("=")
    try:
      if not sep:
        raise ValueError
      sweep[key.strip()] = [float(v) for v in values.split(",") if v.strip()]
    except ValueError:
      raise ConfigError(f"population.sweep={text!r}: write KEY=V1,V2,...;KEY=... with numbers "
                        f"(e.g. 'optimizer.critic.learning_rate=1e-4,2e-4;seed=0,1').") from None
  return sweep


def population_configs(config: ml_collections.ConfigDict) -> list[ml_collections.ConfigDict]:
  """The members of `config.population`: its sweep, and `seed + i` for members the sweep gives
  no seed; each member's config is ordinary (its `population.size` 0)."""
  size, grid = config.population.size, config.population.grid
  sweep = parse_sweep(config.population.sweep)
  count = (int(np.prod([len(v) for v in sweep.values()])) if grid else
           len(next(iter(sweep.values())))) if sweep else size
  if count != size:
    raise ConfigError(f"population.size={size} but population.sweep gives {count} members"
                      f"{' (crossed)' if grid else ''}; make them agree.")
  if "seed" not in sweep and not grid:
    sweep["seed"] = [config.seed + i for i in range(size)]
  single = ml_collections.ConfigDict(config.to_dict())
  single.population.update(dict(size=0, sweep="", grid=False, shared_batches=False))
  members = member_configs(single, sweep, grid)
  if "seed" not in sweep:  # crossed without seeds: one seed each, in order
    for i, member_config in enumerate(members):
      member_config.seed = config.seed + i
  return members


def build_population(config: ml_collections.ConfigDict, sweep: Mapping[str, Sequence], *,
                     grid: bool = False, axis_name: str | None = None,
                     open_data: bool = True) -> Population:
  """The population of `config` with `sweep`'s values (`member_configs`), its networks built
  once (`builder.build` of the first member, the data opened unless `open_data` is False)."""
  return build_population_of(member_configs(config, sweep, grid), axis_name=axis_name,
                             open_data=open_data)


def build_population_of(members: Sequence[ml_collections.ConfigDict], *,
                        axis_name: str | None = None, open_data: bool = True) -> Population:
  """The population of these member configs (`member_configs`, `population_configs`)."""
  experiment = builder.build(members[0], axis_name=axis_name, open_data=open_data)
  first = rundir.flat_settings(members[0])
  varying = tuple(key for key in SWEEPABLE if key != "seed" and any(
      rundir.flat_settings(m).get(key) != first.get(key) for m in members[1:]))
  return Population(experiment, tuple(members), varying, axis_name)


def split_for_devices(batches: Any, num_devices: int) -> Any:
  """Per-member real batches `[N, n_critic, global_batch, ...]` -> `[num_devices, N, n_critic,
  global_batch / num_devices, ...]`, for a data-parallel population under `pmap`."""
  size = jax.tree_util.tree_leaves(batches)[0].shape[0]
  per_member = [parallel.split_for_devices(jax.tree_util.tree_map(lambda a: a[i], batches),
                                           num_devices) for i in range(size)]
  return jax.tree_util.tree_map(lambda *parts: jnp.stack(parts, axis=1), *per_member)


def split_members(tree: Any, num_devices: int) -> Any:
  """Leaves `[N, ...]` -> `[num_devices, N / num_devices, ...]`: whole members on each device."""

  def split(leaf):
    if leaf.shape[0] % num_devices:
      raise ValueError(f"{leaf.shape[0]} members do not divide over {num_devices} devices.")
    return leaf.reshape((num_devices, leaf.shape[0] // num_devices) + leaf.shape[1:])

  return jax.tree_util.tree_map(split, tree)
