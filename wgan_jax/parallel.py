"""Running one train step over several devices: `pmap` or `shard_map` over a mesh.

The step itself is written once (`wgan_jax.step`); this module places state
and batches on devices, wraps the step in the chosen transform, and holds the
two collective helpers the step uses so that data parallelism changes nothing:
`pmean` and `draw_global`.

The trainer picks a `Placement` (`make_placement`): `PmapPlacement` keeps one
copy of the state per local device (a leading device axis), `MeshPlacement`
keeps one global array per leaf on a mesh of every process's devices and runs
the step as `jit(shard_map(...))`. Both compute the same step. TPU runs use
the mesh: one program over every host's chips, global arrays fed per process
(`jax.make_array_from_process_local_data`), and the program the pre-flight
(`wgan_jax.aot`) compiles is the one the trainer runs. (`pmap` compiles ahead
of time too, for a single- or multi-host slice; it is kept for CPU and GPU.)
"""

from __future__ import annotations

import collections
from typing import Any, Callable

import jax
import numpy as np
from flax import jax_utils
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

DEFAULT_AXIS = "batch"

unreplicate = jax_utils.unreplicate


def replicate(tree: Any, devices=None, axis_name: str = DEFAULT_AXIS) -> Any:
  """`tree` copied onto each local device (default: all), with a leading device axis.

  The copies are placed exactly as `pmap` over `axis_name` places its outputs (a mesh of
  these devices named `axis_name`), so the state a step returns matches the state it was
  given and the step compiles once, not again on its second call.
  """
  return _on_each_device(tree, devices, axis_name, lambda x, i: x[None])


def shard_leading_axis(tree: Any, devices=None, axis_name: str = DEFAULT_AXIS) -> Any:
  """`tree`'s leaves `[devices, ...]` with slice i on device i (default: the local devices),
  laid out as `pmap` over `axis_name` takes and returns them."""
  return _on_each_device(tree, devices, axis_name, lambda x, i: x[i:i + 1])


def _on_each_device(tree: Any, devices, axis_name: str, part: Callable[[Any, int], Any]) -> Any:
  """Each leaf as one array with a leading device axis, device i holding `part(leaf, i)`."""
  devices = list(jax.local_devices() if devices is None else devices)
  sharding = NamedSharding(Mesh(np.asarray(devices), (axis_name,)), P(axis_name))

  def put(x):
    x = x if isinstance(x, jax.Array) else np.asarray(x)
    shards = [jax.device_put(part(x, i), device) for i, device in enumerate(devices)]
    shape = (len(devices),) + shards[0].shape[1:]
    return jax.make_array_from_single_device_arrays(shape, sharding, shards)

  return jax.tree_util.tree_map(put, tree)


def replicate_on_mesh(tree: Any, mesh: Mesh) -> Any:
  """`tree` as global arrays replicated over `mesh` (the state `shard_map_step` takes): each
  process provides its own, identical, copy."""
  sharding = NamedSharding(mesh, P())

  def put(x):
    x = np.asarray(x)
    return jax.make_array_from_callback(x.shape, sharding, lambda index: x[index])

  return jax.tree_util.tree_map(put, tree)


def pmean(tree: Any, axis_name: str | None) -> Any:
  """The mean of `tree` over the device axis, or `tree` itself on one device."""
  return jax.lax.pmean(tree, axis_name) if axis_name is not None else tree


def draw_global(sample: Callable[[jax.Array, int], jax.Array], key: jax.Array, local_batch: int,
                axis_name: str | None) -> jax.Array:
  """`sample(key, n)` drawn for the global batch, this device's slice kept.

  Every device draws the same global array, so a data-parallel run sees exactly
  the random numbers a single device would for the whole batch. `sample` may return a
  pytree of arrays with the batch first.
  """
  if axis_name is None:
    return sample(key, local_batch)
  index = jax.lax.axis_index(axis_name)
  full = sample(key, local_batch * jax.lax.axis_size(axis_name))
  return jax.tree_util.tree_map(
      lambda a: jax.lax.dynamic_slice_in_dim(a, index * local_batch, local_batch, axis=0), full)


def split_for_devices(batches: Any, num_devices: int) -> Any:
  """`[n_critic, global_batch, ...]` -> `[num_devices, n_critic, global_batch / num_devices, ...]`."""

  def split(a):
    n_critic, global_batch = a.shape[:2]
    if global_batch % num_devices:
      raise ValueError(f"The global batch of {global_batch} does not divide over "
                       f"{num_devices} devices.")
    a = a.reshape((n_critic, num_devices, global_batch // num_devices) + a.shape[2:])
    return np.swapaxes(a, 0, 1) if isinstance(a, np.ndarray) else a.swapaxes(0, 1)

  return jax.tree_util.tree_map(split, batches)


# How many calls of a mapped step may run ahead of their results (`StepsInFlight`). XLA:CPU
# deadlocks its in-process collectives with about 64 (docs/upstream/xla_cpu_collectives.md);
# a few are all an accelerator needs to stay busy.
MAX_STEPS_IN_FLIGHT = 8


class StepsInFlight:
  """A mapped `step(state, data) -> (state, metrics)` that runs at most `limit` calls ahead of
  their results: before a new call it waits for the metrics of the call `limit` calls back.

  A plain Python loop over a JAX step dispatches calls without waiting for them. On XLA:CPU
  (simulated or real multi-device CPU runs) the device programs' all-reduces then deadlock once
  some 64 calls are in flight and abort the process; bounding the calls in flight here keeps
  a user's plain loop safe, and costs nothing that a few queued steps would not already hide.
  Attributes of the wrapped function (`lower`, ...) are passed through.
  """

  def __init__(self, step: Callable, limit: int = MAX_STEPS_IN_FLIGHT):
    if limit < 1:
      raise ValueError(f"limit must be at least 1; got {limit}.")
    self._step = step
    self.limit = limit
    self._pending: collections.deque = collections.deque()

  def __call__(self, *args, **kwargs):
    while len(self._pending) >= self.limit:
      jax.block_until_ready(self._pending.popleft())
    state, metrics = self._step(*args, **kwargs)
    self._pending.append(metrics)  # not the state: the next call may donate its buffers
    return state, metrics

  @property
  def in_flight(self) -> int:
    """Calls whose results were not yet waited for (some may have finished)."""
    return len(self._pending)

  def __getattr__(self, name: str):
    return getattr(self._step, name)


def pmap_step(train_step: Callable, axis_name: str = DEFAULT_AXIS, donate: bool = False,
              max_in_flight: int | None = MAX_STEPS_IN_FLIGHT, devices=None) -> Callable:
  """`pmap`s `train_step(state, real_batches)` (or `(state, dataset)`) over the local devices.

  The step must have been built with the same `axis_name`. State is replicated (`replicate`),
  batches carry a leading device axis: `[devices, n_critic, per_device_batch, ...]`
  (`split_for_devices`). At most `max_in_flight` calls run ahead of their results
  (`StepsInFlight`; None: no bound). `devices`: the local devices to map over (default: all).
  """
  mapped = jax.pmap(lambda state, batches: train_step(state, batches), axis_name=axis_name,
                    donate_argnums=(0,) if donate else (), devices=devices)
  return mapped if max_in_flight is None else StepsInFlight(mapped, max_in_flight)


def data_mesh(devices=None, axis_name: str = DEFAULT_AXIS) -> Mesh:
  """A one-dimensional mesh of `devices` (default: all) along `axis_name`."""
  devices = np.asarray(jax.devices() if devices is None else devices)
  return Mesh(devices, (axis_name,))


def batch_spec(axis_name: str = DEFAULT_AXIS) -> P:
  """How real batches `[n_critic, global_batch, ...]` are laid out: split along the batch."""
  return P(None, axis_name)


def shard_map_step(train_step: Callable, mesh: Mesh, axis_name: str = DEFAULT_AXIS,
                   donate: bool = False, data_spec: P | None = None,
                   max_in_flight: int | None = MAX_STEPS_IN_FLIGHT) -> Callable:
  """Runs `train_step(state, data)` under `jax.shard_map` on `mesh`.

  The state is replicated (`replicate_on_mesh`; arrays not yet placed are placed by the first
  call, but an array committed to one device must be replicated first) and `data` is laid out
  as `data_spec` says: by
  default real batches `[n_critic, global_batch, ...]` split along the batch
  axis (`batch_spec`); `P()` for a data set every device holds whole (the
  device-resident step). `check_vma=False` keeps pmap's semantics: the step
  averages gradients itself with `pmean`, so shard_map must not also insert
  its implicit sum for replicated parameters. At most `max_in_flight` calls run ahead of
  their results (`StepsInFlight`; None: no bound).
  """
  data_spec = batch_spec(axis_name) if data_spec is None else data_spec
  mapped = jax.shard_map(lambda state, data: train_step(state, data), mesh=mesh,
                         in_specs=(P(), data_spec), out_specs=(P(), P()), check_vma=False)
  compiled = jax.jit(mapped, donate_argnums=(0,) if donate else ())
  return compiled if max_in_flight is None else StepsInFlight(compiled, max_in_flight)


# ----------------------------------------------------------------------------- placements

PARALLELISMS = ("auto", "pmap", "shard_map")


def resolve_parallelism(parallelism: str, platform: str | None = None) -> str:
  """'auto' means `shard_map` on TPU (one program over every host's chips, the one the
  pre-flight analyses) and `pmap` on CPU and GPU."""
  if parallelism not in PARALLELISMS:
    raise ValueError(f"Unknown parallelism {parallelism!r}; choose one of {PARALLELISMS}.")
  if parallelism == "auto":
    platform = jax.default_backend() if platform is None else platform
    return "shard_map" if platform == "tpu" else "pmap"
  return parallelism


class PmapPlacement:
  """One copy of the state per local device (leading device axis); `pmap` over them.

  Batches arrive split per local device, `[local_devices, n_critic, per_device_batch, ...]`.
  `devices`: the local devices to use (default: all).
  """

  def __init__(self, axis_name: str = DEFAULT_AXIS, devices=None):
    self.axis_name = axis_name
    # None: pmap's default, every device of every process (the axis spans all hosts).
    self._pmap_devices = devices
    self.devices = list(jax.local_devices() if devices is None else devices)

  def place_state(self, state: Any) -> Any:
    return replicate(state, self.devices, self.axis_name)

  def host_state(self, placed: Any) -> Any:
    """The state (or metrics) as one unreplicated pytree."""
    return unreplicate(placed)

  def place_dataset(self, arrays: Any) -> Any:
    return replicate(arrays, self.devices, self.axis_name)

  def place_batches(self, local_batches: Any, members: bool = False) -> Any:
    del members  # a population's member axis follows the device axis: placed the same way
    return shard_leading_axis(local_batches, self.devices, self.axis_name)

  def compile(self, step: Callable, donate: bool, resident: bool = False,
              members: bool = False) -> Callable:
    del resident, members  # the same per-device program either way
    return pmap_step(step, self.axis_name, donate, devices=self._pmap_devices)

  def compile_critic_update(self, critic_update: Callable) -> Callable:
    """`fn(state, batches, key)`: one critic update alone, mapped as the step is (for FLOP
    counts), on batches placed by `place_batches` with one critic iteration."""
    return jax.pmap(_first_critic_iteration(critic_update), self.axis_name, in_axes=(0, 0, None),
                    devices=self._pmap_devices)

  def map_state(self, fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`fn(state)` on the placed state (one result per device)."""
    return jax.pmap(fn, devices=self._pmap_devices)


class MeshPlacement:
  """The state as global arrays replicated over a mesh of every process's devices; the step
  as `jit(shard_map(...))`, batches split along the mesh.

  Batches arrive as this process's share, `[local_devices, n_critic, per_device_batch, ...]`,
  and become one global `[n_critic, global_batch, ...]` array (a population's, with `members`,
  `[local_devices, N, n_critic, ...]` and `[N, n_critic, global_batch, ...]`).
  """

  def __init__(self, mesh: Mesh | None = None, axis_name: str = DEFAULT_AXIS, devices=None):
    self.axis_name = axis_name
    self.mesh = data_mesh(devices, axis_name) if mesh is None else mesh
    self.replicated = NamedSharding(self.mesh, P())
    self.split = NamedSharding(self.mesh, batch_spec(axis_name))

  def place_state(self, state: Any) -> Any:
    return replicate_on_mesh(state, self.mesh)

  def host_state(self, placed: Any) -> Any:
    """This process's copy, on one of its devices: what sampling, evaluation and saving use
    on their own, without the other processes taking part."""
    return jax.tree_util.tree_map(lambda a: a.addressable_shards[0].data, placed)

  def place_dataset(self, arrays: Any) -> Any:
    return self.place_state(arrays)

  def place_batches(self, local_batches: Any, members: bool = False) -> Any:
    lead = 2 if members else 1  # the axes before the batch: (N,) n_critic
    sharding = NamedSharding(self.mesh, self._batch_spec(members))

    def put(a):
      a = np.asarray(a)
      local, per_device = a.shape[0], a.shape[1 + lead]
      moved = np.moveaxis(a, 0, lead)  # [(N,) n_critic, local_devices, per_device_batch, ...]
      local_batch = moved.reshape(moved.shape[:lead] + (local * per_device,) + a.shape[2 + lead:])
      global_shape = moved.shape[:lead] + (per_device * self.mesh.size,) + a.shape[2 + lead:]
      return jax.make_array_from_process_local_data(sharding, local_batch, global_shape)

    return jax.tree_util.tree_map(put, local_batches)

  def _batch_spec(self, members: bool) -> P:
    return P(None, None, self.axis_name) if members else batch_spec(self.axis_name)

  def compile(self, step: Callable, donate: bool, resident: bool = False,
              members: bool = False) -> Callable:
    return shard_map_step(step, self.mesh, self.axis_name, donate,
                          data_spec=P() if resident else self._batch_spec(members))

  def compile_critic_update(self, critic_update: Callable) -> Callable:
    """`fn(state, batches, key)`: one critic update alone, mapped as the step is (for FLOP
    counts), on batches placed by `place_batches` with one critic iteration."""
    return jax.jit(jax.shard_map(_first_critic_iteration(critic_update), mesh=self.mesh,
                                 in_specs=(P(), batch_spec(self.axis_name), P()),
                                 out_specs=(P(), P()), check_vma=False))

  def map_state(self, fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return jax.jit(fn)


def _first_critic_iteration(critic_update: Callable) -> Callable:
  """`critic_update` on the first critic iteration of `[n_critic, batch, ...]` batches."""
  return lambda state, batches, key: critic_update(
      state, jax.tree_util.tree_map(lambda a: a[0], batches), key)


def make_placement(parallelism: str = "auto", axis_name: str = DEFAULT_AXIS, devices=None):
  """The trainer's `Placement` for `parallelism` ('auto' | 'pmap' | 'shard_map') over `devices`
  (default: every device; pmap uses the local ones)."""
  if resolve_parallelism(parallelism) == "shard_map":
    return MeshPlacement(axis_name=axis_name, devices=devices)
  return PmapPlacement(axis_name, devices)
