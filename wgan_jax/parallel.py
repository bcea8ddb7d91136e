"""Running one train step over several devices: `pmap` (the trainer's default) or `shard_map`.

The step itself is written once (`wgan_jax.step`); this module places state
and batches on devices, wraps the step in the chosen transform, and holds the
two collective helpers the step uses so that data parallelism changes nothing:
`pmean` and `draw_global`.
"""

from __future__ import annotations

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
  devices = list(jax.local_devices() if devices is None else devices)
  sharding = NamedSharding(Mesh(np.asarray(devices), (axis_name,)), P(axis_name))

  def put(x):
    x = x if isinstance(x, jax.Array) else np.asarray(x)
    shards = [jax.device_put(x[None], device) for device in devices]
    return jax.make_array_from_single_device_arrays((len(devices), *x.shape), sharding, shards)

  return jax.tree_util.tree_map(put, tree)


def pmean(tree: Any, axis_name: str | None) -> Any:
  """The mean of `tree` over the device axis, or `tree` itself on one device."""
  return jax.lax.pmean(tree, axis_name) if axis_name is not None else tree


def draw_global(sample: Callable[[jax.Array, int], jax.Array], key: jax.Array, local_batch: int,
                axis_name: str | None) -> jax.Array:
  """`sample(key, n)` drawn for the global batch, this device's slice kept.

  Every device draws the same global array, so a data-parallel run sees exactly
  the random numbers a single device would for the whole batch.
  """
  if axis_name is None:
    return sample(key, local_batch)
  index = jax.lax.axis_index(axis_name)
  full = sample(key, local_batch * jax.lax.axis_size(axis_name))
  return jax.lax.dynamic_slice_in_dim(full, index * local_batch, local_batch, axis=0)


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


def pmap_step(train_step: Callable, axis_name: str = DEFAULT_AXIS, donate: bool = False) -> Callable:
  """`pmap`s `train_step(state, real_batches)` over the local devices.

  The step must have been built with the same `axis_name`. State is
  replicated (`replicate`), batches carry a leading device axis.
  """
  return jax.pmap(lambda state, batches: train_step(state, batches), axis_name=axis_name,
                  donate_argnums=(0,) if donate else ())


def data_mesh(devices=None, axis_name: str = DEFAULT_AXIS) -> Mesh:
  """A one-dimensional mesh of `devices` (default: all) along `axis_name`."""
  devices = np.asarray(jax.devices() if devices is None else devices)
  return Mesh(devices, (axis_name,))


def shard_map_step(train_step: Callable, mesh: Mesh, axis_name: str = DEFAULT_AXIS,
                   donate: bool = False) -> Callable:
  """Runs `train_step(state, real_batches)` under `jax.shard_map` on `mesh`.

  The state is replicated and `real_batches` (`[n_critic, global_batch, ...]`)
  is split along its batch axis. `check_vma=False` keeps pmap's semantics:
  the step averages gradients itself with `pmean`, so shard_map must not also
  insert its implicit sum for replicated parameters.
  """
  mapped = jax.shard_map(lambda state, batches: train_step(state, batches), mesh=mesh,
                         in_specs=(P(), P(None, axis_name)), out_specs=(P(), P()),
                         check_vma=False)
  return jax.jit(mapped, donate_argnums=(0,) if donate else ())
