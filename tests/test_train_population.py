"""The population trainer: N runs of the default toy job in one run directory, each member what
its own run would train, resumed exactly, diverged members frozen, one member exported."""

import json

import jax
import numpy as np
import pytest

from wgan_jax import rundir, sampling
from wgan_jax.configs import default
from wgan_jax.errors import ConfigError, RunDirError
from wgan_jax.population import population_configs
from wgan_jax.train import NonFiniteLossError, train
from wgan_jax.train_population import export_member

pytestmark = pytest.mark.slow  # trainer runs


def _config(steps=12, sweep="optimizer.critic.learning_rate=1e-4,2e-4,5e-4", size=3,
            **overrides):
  c = default.get_config()
  c.update_from_flattened_dict({
      "num_steps": steps, "log_every": 4, "sample_every": 6, "checkpoint_every": 6,
      "eval.every": 12, "eval.num_samples": 200, "batch_size": 32, "n_critic": 2,
      "model.generator.width": 32, "model.critic.width": 32, "data.device_resident": True,
      "population.size": size, "population.sweep": sweep, "parallelism": "pmap", **overrides})
  return c


def _close(a, b, scale=1e-4):
  for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
    np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=0,
                               atol=scale * (float(np.max(np.abs(y))) or 1.0))


def test_members_are_their_own_runs_logged_drawn_and_saved_apart(tmp_path):
  config = _config()
  result = train(config, str(tmp_path / "pop"))
  members = result["state"]
  assert members.state.step.tolist() == [12, 12, 12] and members.alive.all()
  rows = [json.loads(line) for line in open(tmp_path / "pop" / rundir.METRICS_FILE)]
  # Logged every 4 iterations and at each save (6), as a single run logs.
  assert [(r["step"], r["member"]) for r in rows] == [(s, m) for s in (4, 6, 8, 12)
                                                      for m in range(3)]
  assert all("w1" in r for r in rows if r["step"] == 12)
  for m in range(3):
    assert sorted(p.name for p in (tmp_path / "pop" / "samples" / f"member_{m}").iterdir()) == [
        "samples_0000006.png", "samples_0000012.png"]
    assert (tmp_path / "pop" / "tensorboard" / f"member_{m}").is_dir()
  # Member 1 is what a run of its own config trains.
  alone = population_configs(config)[1]
  assert alone.population.size == 0 and alone.optimizer.critic.learning_rate == 2e-4
  assert alone.seed == config.seed + 1
  single = train(alone, str(tmp_path / "alone"))
  _close(jax.tree_util.tree_map(lambda a: a[1], members.state), single["state"])
  single_rows = [json.loads(line) for line in open(tmp_path / "alone" / rundir.METRICS_FILE)]
  for mine, theirs in zip([r for r in rows if r["member"] == 1], single_rows):
    np.testing.assert_allclose(mine["critic_loss"], theirs["critic_loss"], rtol=1e-4)
    assert mine["step"] == theirs["step"]

  # Exported, member 1 is an ordinary run directory that sampling reads.
  out = export_member(str(tmp_path / "pop"), 1, str(tmp_path / "member1"))
  exported_config, _, state = sampling.load_run(out)
  assert exported_config.population.size == 0 and int(state.step) == 12
  _close(state, jax.tree_util.tree_map(lambda a: a[1], members.state), scale=0)
  assert [json.loads(line)["step"] for line in open(tmp_path / "member1" /
                                                   rundir.METRICS_FILE)] == [4, 6, 8, 12]
  assert (tmp_path / "member1" / "samples" / "samples_0000012.png").exists()
  samples, _, _ = sampling.sample(str(tmp_path / "pop"), 8, member=2)
  assert samples.shape == (8, 2)
  with pytest.raises(RunDirError, match="population of 3 runs: choose one with --member"):
    sampling.sample(str(tmp_path / "pop"), 8)
  with pytest.raises(RunDirError, match="holds one run, not a population"):
    sampling.sample(out, 8, member=0)
  with pytest.raises(RunDirError, match="not empty"):
    export_member(str(tmp_path / "pop"), 0, out)


def test_streamed_members_read_their_own_runs_pipelines_or_one_shared(tmp_path):
  """Fed by tf.data, member 1 is its own streamed run, under pmap and under shard_map alike;
  with `shared_batches` every member reads member 0's pipeline."""
  streamed = {"data.device_resident": False, "num_steps": 4, "eval.every": 0,
              "population.size": 2, "population.sweep": "optimizer.critic.learning_rate=1e-4,5e-4"}
  own = train(_config(**streamed), str(tmp_path / "own"))["state"]
  mesh = train(_config(parallelism="shard_map", **streamed), str(tmp_path / "mesh"))["state"]
  shared = train(_config(**{**streamed, "population.shared_batches": True}),
                 str(tmp_path / "shared"))["state"]
  alone = train(population_configs(_config(**streamed))[1], str(tmp_path / "alone"))["state"]
  _close(jax.tree_util.tree_map(lambda a: a[1], own.state), alone)
  _close(mesh.state, own.state)
  _close(jax.tree_util.tree_map(lambda a: a[0], shared.state),
         jax.tree_util.tree_map(lambda a: a[0], own.state))
  with pytest.raises(AssertionError):  # member 1 read member 0's batches, not its own
    _close(jax.tree_util.tree_map(lambda a: a[1], shared.state), alone)


def test_a_resumed_population_continues_exactly(tmp_path):
  straight = train(_config(steps=12), str(tmp_path / "straight"))["state"]
  train(_config(steps=6), str(tmp_path / "resumed"))
  resumed = train(_config(steps=12), str(tmp_path / "resumed"))["state"]
  for a, b in zip(jax.tree_util.tree_leaves(straight), jax.tree_util.tree_leaves(resumed)):
    np.testing.assert_array_equal(a, b)


def test_a_diverged_member_is_frozen_and_the_others_go_on(tmp_path, capsys):
  config = _config(sweep="constraint.weight=10,inf", size=2)
  result = train(config, str(tmp_path / "pop"))
  members = result["state"]
  assert members.alive.tolist() == [True, False]
  assert members.state.step.tolist()[0] == 12 and members.state.step.tolist()[1] < 12
  assert all(np.isfinite(np.asarray(leaf)).all()
             for leaf in jax.tree_util.tree_leaves(members.state))
  events = [json.loads(line) for line in open(tmp_path / "pop" / rundir.HISTORY_FILE)]
  assert [e["member"] for e in events if e["event"] == "member_diverged"] == [1]
  rows = [json.loads(line) for line in open(tmp_path / "pop" / rundir.METRICS_FILE)]
  assert {r["member"] for r in rows} == {0}
  assert "member 1 diverged" in capsys.readouterr().out
  # Its last finite state is exported like any member's.
  _, _, state = sampling.load_run(export_member(str(tmp_path / "pop"), 1, str(tmp_path / "m1")))
  assert int(state.step) == members.state.step.tolist()[1]


def test_every_member_diverged_ends_the_run(tmp_path):
  with pytest.raises(NonFiniteLossError, match="Every member of the population has diverged"):
    train(_config(sweep="constraint.weight=inf,inf", size=2), str(tmp_path / "pop"))


@pytest.mark.parametrize("overrides, message", [
    ({"population.shared_batches": True}, "shared_batches applies to streamed data"),
    ({"population.size": 4}, "population.size=4 but population.sweep gives 3 members"),
    ({"population.sweep": "n_critic=1,2,3"}, "n_critic cannot differ between members"),
    ({"population.sweep": "seed=a,b,c"}, "write KEY=V1,V2"),
])
def test_population_settings_are_checked_before_training(tmp_path, overrides, message):
  config = _config()
  config.update_from_flattened_dict(overrides)
  with pytest.raises(ConfigError, match=message):
    train(config, str(tmp_path / "pop"))
