"""`parallel`: the mapped steps a user loops over plainly, without waiting for results."""

import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import pytest

from wgan_jax import parallel

# The README's multi-device loop at the toy job's size, its calls never waited for: without a
# bound on the calls in flight, XLA:CPU's all-reduces deadlock and abort the process (exit 134)
# within the first 150 steps on 2 and on 4 simulated devices, with either constraint
# (docs/upstream/xla_cpu_collectives.md).
_UNSYNCED_LOOP = textwrap.dedent("""
    import sys
    import jax, jax.numpy as jnp, optax
    from wgan_jax import parallel
    from wgan_jax.data.toy import toy_dataset
    from wgan_jax.lipschitz import GradientPenalty, WeightClipping
    from wgan_jax.models import toy_critic, toy_generator
    from wgan_jax.state import init_state
    from wgan_jax.losses import Losses
    from wgan_jax.step import make_train_step

    devices, steps = jax.device_count(), int(sys.argv[1])
    generator, critic = toy_generator(), toy_critic()
    adam = optax.adam(1e-4, b1=0.5, b2=0.9)
    state = init_state(generator, critic, adam, adam, jax.random.PRNGKey(0), jnp.zeros((1, 2)))
    data = toy_dataset("8gaussians", 5 * 64).reshape(5, 64, 2)
    for setting in sys.argv[2:]:
      mode, kind = setting.split(":")
      constraint = GradientPenalty(0.1) if kind == "penalty" else WeightClipping(0.01)
      step = make_train_step(generator, critic, adam, adam, Losses(constraint=constraint),
                             axis_name="batch")
      if mode == "pmap":
        mapped, placed = parallel.pmap_step(step), parallel.replicate(state)
        batches = parallel.split_for_devices(data, devices)
      else:
        mapped, placed = parallel.shard_map_step(step, parallel.data_mesh()), state
        batches = data
      for _ in range(steps):
        placed, metrics = mapped(placed, batches)
      print(setting, int(jax.device_get(placed.step).ravel()[0]), flush=True)
""")


@pytest.mark.slow  # 600 generator iterations of the toy job in two subprocesses
@pytest.mark.parametrize("devices, settings", [(2, ("pmap:penalty", "shard_map:clip")),
                                               (4, ("pmap:clip", "shard_map:penalty"))])
def test_a_plain_loop_over_the_mapped_step_does_not_deadlock(devices, settings):
  environment = {**os.environ, "JAX_PLATFORMS": "cpu",
                 "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}"}
  result = subprocess.run([sys.executable, "-c", _UNSYNCED_LOOP, "150", *settings],
                          env=environment, capture_output=True, text=True, timeout=600)
  assert result.returncode == 0, result.stderr[-2000:]
  assert result.stdout.split() == [word for s in settings for word in (s, "150")]


def test_the_mapped_step_waits_for_old_calls_and_passes_through_lower():
  calls = []

  def step(state, data):
    calls.append(state)
    return state + data, {"value": jnp.asarray(state)}

  bounded = parallel.StepsInFlight(jax.jit(step), limit=3)
  state = jnp.zeros(())
  for _ in range(10):
    state, _ = bounded(state, jnp.ones(()))
    assert bounded.in_flight <= 3
  assert float(state) == 10.0
  assert bounded.lower(state, jnp.ones(())).compile() is not None  # the jitted function's API
  with pytest.raises(ValueError, match="at least 1"):
    parallel.StepsInFlight(step, limit=0)
