"""The program a run executes per generator iteration, made in one place.

    run = compile_step(experiment, placement, n_critic, per_device_batch, resident=arrays)
    state, metrics = run(placed_state, placed_batches_or_dataset)

`compile_step` turns an experiment's train step and a placement (`parallel.make_placement`)
into the compiled program: fed real batches placed from the host, or, for a data set held on
the devices (`data.device_resident`), drawing its batches in-graph. The trainer runs it, the
pre-flight (`wgan_jax.aot`) compiles it for TPU slices or GPUs that are not attached, and the
benchmark times it, so "the pre-flight compiles what the trainer runs" holds by construction.
`flops_per_generator_iteration` counts the program's FLOPs with the critic loop's trip count.
"""

from __future__ import annotations

from typing import Any, Callable

import jax

from wgan_jax.data import resident as resident_data
from wgan_jax.state import GANState, step_key

Array = jax.Array


def resident_step(train_step: Callable, n_critic: int, batch_size: int,
                  preprocess: resident_data.Preprocess | None = None) -> Callable:
  """`fn(state, dataset, key=None) -> (state, metrics)`: `train_step` on batches drawn in-graph.

  `batch_size` is the per-device batch; `train_step` is a `TrainStep` (its `axis_name` says
  which device axis the draws are sliced over).
  """
  axis_name = getattr(train_step, "axis_name", None)

  def step(state: GANState, dataset: Any, key: Array | None = None):
    key = step_key(state) if key is None else key
    batches = resident_data.draw_batches(key, dataset, n_critic, batch_size, axis_name,
                                         preprocess)
    return train_step(state, batches, key)

  return step


def compile_step(experiment, placement, n_critic: int, per_device_batch: int,
                 resident: Any = None) -> Callable:
  """The experiment's step for `n_critic` critic iterations, mapped by `placement`.

  With `resident` (the data set held on the devices, arrays or their shapes), the program draws
  `per_device_batch` examples per device and critic iteration in-graph, scaling pixels as the
  host pipeline does (`data.resident.holds_pixels`); without it, it takes real batches
  `[n_critic, batch, ...]` placed by `placement.place_batches`.
  """
  config = experiment.config
  if resident is None:
    return placement.compile(experiment.train_step, donate=config.donate_state)
  preprocess = (resident_data.pixel_preprocess(config.data.dequantize)
                if resident_data.holds_pixels(resident, config.data) else None)
  step = resident_step(experiment.train_step, n_critic, per_device_batch, preprocess)
  return placement.compile(step, donate=config.donate_state, resident=True)


def cost_flops(compiled) -> float | None:
  """XLA's count of floating-point operations of a compiled program (None where the backend
  gives none, as XLA:GPU does)."""
  try:
    analysis = compiled.cost_analysis()
  except Exception:  # noqa: BLE001 -- cost analysis is optional per backend
    return None
  if isinstance(analysis, (list, tuple)):
    analysis = analysis[0] if analysis else {}
  flops = (analysis or {}).get("flops")
  return float(flops) if flops and flops > 0 else None


def flops_per_generator_iteration(step_flops: float | None, critic_flops: float | None,
                                  n_critic: int) -> float | None:
  """A generator iteration's FLOPs: XLA counts a loop body once, so the compiled step's count
  plus `n_critic - 1` more critic updates (compiled alone: `Placement.compile_critic_update`)."""
  if not step_flops or not critic_flops:
    return None
  return step_flops + (n_critic - 1) * critic_flops
