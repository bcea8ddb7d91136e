"""`program.compile_step`: the one place an experiment and a placement become the compiled
program, so the pre-flight compiles what the trainer runs and the benchmark times it."""

import jax
import numpy as np
import pytest
from jax.sharding import Mesh

from wgan_jax import aot, builder, parallel, program
from wgan_jax.configs import default as default_config
from wgan_jax.train import train


def _small(device_resident: bool):
  c = default_config.get_config()
  c.model.generator.width = c.model.critic.width = 16
  c.batch_size, c.num_steps, c.data.toy_pool_size = 8, 2, 512
  c.log_every = c.checkpoint_every = c.sample_every = 2
  c.eval.metrics, c.eval.every = (), 0
  c.data.device_resident = device_resident
  c.parallelism = "shard_map"  # the trainer's TPU path, here over the 4 simulated CPU devices
  return c


def _trainer_program(config, workdir, monkeypatch) -> str:
  """The StableHLO of the program the trainer compiles and calls, as it calls it."""
  calls = []
  real_compile_step = program.compile_step

  def recording(*args, **kwargs):
    compiled = real_compile_step(*args, **kwargs)

    def called(*step_args):
      if not calls:
        calls.append((compiled, jax.tree_util.tree_map(
            lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=a.sharding), step_args)))
      return compiled(*step_args)

    return called

  monkeypatch.setattr(program, "compile_step", recording)
  train(config, workdir)
  monkeypatch.undo()
  compiled, args = calls[0]
  return compiled.lower(*args).as_text()


@pytest.mark.slow  # two short training runs
@pytest.mark.parametrize("device_resident", [True, False])
def test_the_preflight_compiles_what_the_trainer_runs(device_resident, tmp_path, monkeypatch):
  config = _small(device_resident)
  trained = _trainer_program(config, str(tmp_path / "run"), monkeypatch)
  experiment = builder.build(config, axis_name=aot.AXIS, open_data=False)
  placement = parallel.MeshPlacement(Mesh(np.asarray(jax.devices()), (aot.AXIS,)), aot.AXIS)
  planned = aot._programs(experiment, experiment.abstract_state(), placement,
                          config.batch_size // jax.device_count(), config.n_critic)
  assert planned.step.lower(*planned.args).as_text() == trained


def test_the_flop_count_adds_the_critic_loop():
  assert program.flops_per_generator_iteration(100.0, 10.0, 5) == 140.0
  assert program.flops_per_generator_iteration(None, 10.0, 5) is None  # XLA:GPU counts none
