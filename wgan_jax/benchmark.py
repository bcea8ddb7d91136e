"""Timing the train step: compile once, run generator iterations on device-resident data.

`build_jax_step(config, devices, dispatch)` returns a `TimedStep` whose
`run(n)` performs `n` generator iterations and waits for the device, so a
caller can alternate it with a peer implementation and compare rates taken
side by side. Real batches are random arrays of the config's example shape,
made once and kept on the device: this measures the step, not the input
pipeline. Conditional (AC-GAN) configs get random labels with them. The step is
the one `builder.build` makes for the trainer, from the config alone (no data read).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from wgan_jax import builder, parallel
from wgan_jax.data import shapes

DISPATCHES = ("fused", "per_iteration")

# Dense peak FLOP/s by device kind substring (vendor data sheets; SXM parts).
DEVICE_PEAK_FLOPS = {
    "H100": {"float32": 67e12, "tf32": 494.5e12, "bfloat16": 989.4e12},
    "H200": {"float32": 67e12, "tf32": 494.5e12, "bfloat16": 989.4e12},
    "A100": {"float32": 19.5e12, "tf32": 156e12, "bfloat16": 312e12},
}


def device_peak_flops(device, dtype: str = "float32") -> float | None:
  for name, peaks in DEVICE_PEAK_FLOPS.items():
    if name in device.device_kind:
      return peaks.get(dtype)
  return None


def _flops(jitted: Callable, *args) -> float | None:
  """XLA's count of floating-point operations for one call (None where the backend gives none)."""
  try:
    analysis = jitted.lower(*args).compile().cost_analysis()
  except Exception:  # noqa: BLE001 -- cost analysis is optional per backend
    return None
  if isinstance(analysis, (list, tuple)):
    analysis = analysis[0] if analysis else {}
  flops = (analysis or {}).get("flops")
  return float(flops) if flops and flops > 0 else None


@dataclasses.dataclass
class TimedStep:
  """A compiled step with its state and data; `run(n)` does n generator iterations."""

  run: Callable[[int], None]
  compile_sec: float
  flops_per_gen_iter: float | None
  devices: int
  batch: int
  n_critic: int
  experiment: builder.Experiment  # what was timed; num_classes > 0: the conditional step

  @property
  def num_classes(self) -> int:
    return self.experiment.num_classes


def build_jax_step(config, devices: int = 1, dispatch: str = "fused",
                   count_flops: bool = True) -> TimedStep:
  """Builds and compiles the configured step on `devices` local devices.

  `count_flops` compiles the critic and generator updates once more, separately, for XLA's
  FLOP count (`TimedStep.flops_per_gen_iter`); turn it off where compilation is the expensive part.
  """
  if dispatch not in DISPATCHES:
    raise ValueError(f"dispatch must be one of {DISPATCHES}, got {dispatch!r}.")
  if dispatch == "per_iteration" and devices != 1:
    raise ValueError("Per-iteration dispatch is timed on one device.")
  if config.batch_size % devices:
    raise ValueError(f"batch_size={config.batch_size} does not divide over {devices} devices.")
  axis = parallel.DEFAULT_AXIS if devices > 1 else None
  experiment = builder.build(config, axis_name=axis, open_data=False)
  shape, num_classes = experiment.example_shape, experiment.num_classes
  state, step = experiment.init_state(), experiment.train_step
  n_critic, batch = config.n_critic, config.batch_size
  rng = np.random.default_rng(0)

  def fill(spec, high):  # integers are character ids (text) or labels
    if np.issubdtype(spec.dtype, np.integer):
      return rng.integers(0, high, spec.shape, dtype=spec.dtype)
    return rng.uniform(-1, 1, spec.shape).astype(spec.dtype)

  spec = shapes.real_batch_shapes(config.data, shape, num_classes, n_critic, batch)
  real: Any = ({"x": fill(spec["x"], shape[-1]), "label": fill(spec["label"], num_classes)}
               if num_classes else fill(spec, shape[-1]))
  first_batch = jax.tree_util.tree_map(lambda a: jnp.asarray(a[0]), real)

  # Per-generator-iteration FLOPs from the two halves (XLA counts a loop body once).
  flops = None
  if count_flops:
    critic_flops = _flops(jax.jit(step.critic_update), state, first_batch,
                          jax.random.PRNGKey(0))
    generator_flops = _flops(jax.jit(step.generator_update, static_argnums=2), state,
                             jax.random.PRNGKey(0), batch * config.generator_batch_multiple)
    flops = (critic_flops * n_critic + generator_flops
             if critic_flops and generator_flops else None)

  if devices > 1:
    local = jax.local_devices()[:devices]
    state = parallel.replicate(state, local, axis)
    # An identity pmap leaves each device's share of the batches on that device.
    batches = jax.pmap(lambda b: b, devices=local)(parallel.split_for_devices(real, devices))
    mapped = jax.pmap(lambda s, b: step(s, b), axis_name=axis, devices=local, donate_argnums=0)
    holder = {"state": state}

    def run(n: int) -> None:
      for _ in range(n):
        holder["state"], _ = mapped(holder["state"], batches)
      jax.block_until_ready(holder["state"])
  elif dispatch == "fused":
    fused = jax.jit(step, donate_argnums=0)
    batches = jax.tree_util.tree_map(jnp.asarray, real)
    holder = {"state": state}

    def run(n: int) -> None:
      for _ in range(n):
        holder["state"], _ = fused(holder["state"], batches)
      jax.block_until_ready(holder["state"])
  else:
    critic_update = jax.jit(step.critic_update, donate_argnums=0)
    generator_update = jax.jit(step.generator_update, static_argnums=2, donate_argnums=0)
    batches = [jax.tree_util.tree_map(lambda a, i=i: jnp.asarray(a[i]), real)
               for i in range(n_critic)]
    holder = {"state": state, "key": jax.random.PRNGKey(1)}

    def run(n: int) -> None:
      for _ in range(n):
        holder["key"], key = jax.random.split(holder["key"])
        state = holder["state"]
        for i, b in enumerate(batches):
          state, _ = critic_update(state, b, jax.random.fold_in(key, i))
        holder["state"], _ = generator_update(state, key, batch * config.generator_batch_multiple)
      jax.block_until_ready(holder["state"])

  start = time.perf_counter()
  run(1)  # compiles
  compile_sec = time.perf_counter() - start
  return TimedStep(run, compile_sec, flops, devices, batch, n_critic, experiment)


def time_rounds(run: Callable[[int], None], steps: int) -> float:
  """Generator iterations per second over one round of `steps`."""
  start = time.perf_counter()
  run(steps)
  return steps / (time.perf_counter() - start)


def summarize(rates: list[float]) -> dict[str, Any]:
  return {"gen_iters_per_sec": float(np.median(rates)),
          "gen_iters_per_sec_rounds": [round(r, 4) for r in rates]}


if __name__ == "__main__":  # python -m wgan_jax.benchmark: the command (wgan_jax.commands.benchmark)
  from wgan_jax.commands import benchmark as command

  command.run()
