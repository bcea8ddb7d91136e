"""Timing the train step: the trainer's program on device-resident data.

`build_jax_step(config, devices, dispatch)` returns a `TimedStep` whose `run(n)` performs `n`
generator iterations and waits for the device, so a caller can alternate it with a peer
implementation and compare rates taken side by side. The fused step is the program the trainer
runs (`program.compile_step` on the trainer's placement, here over `devices` local devices);
`dispatch='per_iteration'` times the same updates dispatched one at a time on one device, for
comparison. Real batches are random arrays of the config's example shape (with random labels
for conditional configs), made once and kept on the devices: this measures the step, not the
input pipeline. Nothing is read: shapes come from the config.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Callable

import jax
import numpy as np

from wgan_jax import builder, parallel, program
from wgan_jax.data import shapes

DISPATCHES = ("fused", "per_iteration")
AXIS = parallel.DEFAULT_AXIS

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


@dataclasses.dataclass
class TimedStep:
  """A compiled step with its state and data; `run(n)` does n generator iterations."""

  run: Callable[[int], None]
  compile_sec: float
  flops_per_gen_iter: float | None  # per device
  devices: int
  batch: int
  n_critic: int
  experiment: builder.Experiment  # what was timed; num_classes > 0: the conditional step

  @property
  def num_classes(self) -> int:
    return self.experiment.num_classes


def random_batches(config, experiment: builder.Experiment, n_critic: int, batch: int,
                   seed: int = 0) -> Any:
  """`[n_critic, batch, ...]` random real batches of the config's shapes (ids for text, labels
  for conditional configs)."""
  rng = np.random.default_rng(seed)
  shape, num_classes = experiment.example_shape, experiment.num_classes

  def fill(spec, high):  # integers are character ids (text) or labels
    if np.issubdtype(spec.dtype, np.integer):
      return rng.integers(0, high, spec.shape, dtype=spec.dtype)
    return rng.uniform(-1, 1, spec.shape).astype(spec.dtype)

  spec = shapes.real_batch_shapes(config.data, shape, num_classes, n_critic, batch)
  if num_classes:
    return {"x": fill(spec["x"], shape[-1]), "label": fill(spec["label"], num_classes)}
  return fill(spec, shape[-1])


def build_jax_step(config, devices: int = 1, dispatch: str = "fused",
                   count_flops: bool = True) -> TimedStep:
  """Builds and compiles the configured step on `devices` local devices.

  `count_flops` compiles the critic update once more, alone, for XLA's FLOP count with the
  critic loop's trip count (`TimedStep.flops_per_gen_iter`); turn it off where compilation is
  the expensive part.
  """
  if dispatch not in DISPATCHES:
    raise ValueError(f"dispatch must be one of {DISPATCHES}, got {dispatch!r}.")
  if dispatch == "per_iteration" and devices != 1:
    raise ValueError("Per-iteration dispatch is timed on one device.")
  if config.batch_size % devices:
    raise ValueError(f"batch_size={config.batch_size} does not divide over {devices} devices.")
  if dispatch == "per_iteration":
    experiment = builder.build(config, open_data=False)
    run, flops = _per_iteration_run(config, experiment, count_flops)
  else:
    experiment = builder.build(config, axis_name=AXIS, open_data=False)
    run, flops = _fused_run(config, experiment, devices, count_flops)
  start = time.perf_counter()
  run(1)  # compiles
  compile_sec = time.perf_counter() - start
  return TimedStep(run, compile_sec, flops, devices, config.batch_size, config.n_critic,
                   experiment)


def _fused_run(config, experiment, devices: int, count_flops: bool):
  """The trainer's program over `devices` devices, its state and batches placed as it places
  them; and its FLOPs per generator iteration (per device)."""
  placement = parallel.make_placement(config.parallelism, AXIS,
                                      devices=jax.local_devices()[:devices])
  per_device = config.batch_size // devices
  real = random_batches(config, experiment, config.n_critic, config.batch_size)
  local = parallel.split_for_devices(real, devices)  # [devices, n_critic, per_device, ...]
  step = program.compile_step(experiment, placement, config.n_critic, per_device)
  holder = {"state": placement.place_state(experiment.init_state())}
  batches = placement.place_batches(local)
  flops = None
  if count_flops:
    critic_update = placement.compile_critic_update(experiment.train_step.critic_update)
    one_batch = placement.place_batches(jax.tree_util.tree_map(lambda a: a[:, :1], local))
    flops = program.flops_per_generator_iteration(
        program.cost_flops(step.lower(holder["state"], batches).compile()),
        program.cost_flops(critic_update.lower(holder["state"], one_batch,
                                               jax.random.PRNGKey(0)).compile()),
        config.n_critic)

  def run(n: int) -> None:
    for _ in range(n):
      holder["state"], _ = step(holder["state"], batches)
    jax.block_until_ready(holder["state"])

  return run, flops


def _per_iteration_run(config, experiment, count_flops: bool):
  """The same updates, each critic update and the generator update dispatched on its own."""
  step, n_critic = experiment.train_step, config.n_critic
  batch = config.batch_size * config.generator_batch_multiple
  critic_update = jax.jit(step.critic_update, donate_argnums=0)
  generator_update = jax.jit(step.generator_update, static_argnums=2, donate_argnums=0)
  real = random_batches(config, experiment, n_critic, config.batch_size)
  batches = [jax.tree_util.tree_map(lambda a, i=i: jax.device_put(a[i]), real)
             for i in range(n_critic)]
  holder = {"state": experiment.init_state(), "key": jax.random.PRNGKey(1)}
  flops = None
  if count_flops:
    key = jax.random.PRNGKey(0)
    critic = program.cost_flops(critic_update.lower(holder["state"], batches[0], key).compile())
    generator = program.cost_flops(
        generator_update.lower(holder["state"], key, batch).compile())
    flops = critic * n_critic + generator if critic and generator else None

  def run(n: int) -> None:
    for _ in range(n):
      holder["key"], key = jax.random.split(holder["key"])
      state = holder["state"]
      for i, b in enumerate(batches):
        state, _ = critic_update(state, b, jax.random.fold_in(key, i))
      holder["state"], _ = generator_update(state, key, batch)
    jax.block_until_ready(holder["state"])

  return run, flops


def build_population_step(config, members: int) -> TimedStep:
  """The step of a population of `members` seeds of `config` (`wgan_jax.population`) on one
  device, each member fed its own random batches kept on the device; `run(n)` performs `n`
  generator iterations of every member."""
  from wgan_jax import population

  pop = population.build_population(
      config, {"seed": [config.seed + i for i in range(members)]}, open_data=False)
  real = jax.tree_util.tree_map(
      lambda *parts: np.stack(parts),
      *[random_batches(config, pop.experiment, config.n_critic, config.batch_size, seed=i)
        for i in range(members)])
  batches = jax.device_put(real)
  step = jax.jit(pop.train_step, donate_argnums=0)
  holder = {"members": pop.init()}

  def run(n: int) -> None:
    for _ in range(n):
      holder["members"], _ = step(holder["members"], batches)
    jax.block_until_ready(holder["members"])

  start = time.perf_counter()
  run(1)  # compiles
  return TimedStep(run, time.perf_counter() - start, None, 1, config.batch_size,
                   config.n_critic, pop.experiment)


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
