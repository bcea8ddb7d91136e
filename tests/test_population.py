"""Populations: member i of a vmapped population computes what a single run of member i's config
computes, on one device and on 4 simulated devices (data-parallel members, or whole members per
device), for the penalty, weight clipping and a BatchNorm generator.

Tolerance: a population's products and convolutions are batched over the members (a
convolution with per-member kernels becomes a grouped one), which XLA may sum in another order
than the single run's. After 3 generator iterations the states agree to float32 rounding,
amplified where an optimizer divides a gradient by its own running magnitude: measured, at most
4e-7 of a leaf's largest magnitude for the MLPs and 2.6e-5 for the clipped conv critic, whose
weights sit at the 0.01 bound. States are compared at 1e-4 of each leaf's largest magnitude and
metrics at 1e-4 relative (atol 1e-6); initial states exactly. (With the conv pair's critic
learning rate at 1e-3, PyTorch RMSProp's first update, about 10 * lr * sign(g), spans the whole
clipping range, so an element whose gradient is at rounding level lands on the other bound:
that run is chaotic alone, and its sweep here stops at 5e-4.)
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import PartitionSpec as P

from wgan_jax import builder, parallel
from wgan_jax.config import base_config
from wgan_jax.configs import wgan_gp_toy, wgan_lsun_bedrooms
from wgan_jax.errors import ConfigError
from wgan_jax.population import (build_population, member, member_configs,
                                 split_for_devices, split_members)

ITERATIONS = 3
N = 4


def _penalty():
  c = base_config()
  c.update_from_flattened_dict({"batch_size": 8, "n_critic": 2, "model.generator.width": 16,
                                "model.critic.width": 16})
  return c, {"seed": [0, 1, 2, 3], "optimizer.critic.learning_rate": [1e-4, 2e-4, 5e-4, 1e-3],
             "optimizer.generator.b1": [0.5, 0.0, 0.9, 0.5], "constraint.weight": [10, 1, 5, 0.1]}


def _clipping():
  c = wgan_gp_toy.get_config("8gaussians,wgan")
  c.update_from_flattened_dict({"batch_size": 8, "n_critic": 2, "model.generator.width": 16,
                                "model.critic.width": 16})
  return c, {"seed": [3, 1, 4, 1], "optimizer.generator.learning_rate": [5e-5, 1e-4, 1e-3, 5e-4],
             "constraint.clip_value": [0.01, 0.05, 0.1, 0.5]}


def _batchnorm_generator():
  """The WGAN DCGAN pair on 32 px digits: BatchNorm in both networks, a clipped critic."""
  c = wgan_lsun_bedrooms.get_config("dcgan,mnist")
  c.update_from_flattened_dict({"batch_size": 8, "n_critic": 2, "model.generator.width": 4,
                                "model.critic.width": 4, "wgan_schedule": False})
  return c, {"seed": [0, 1, 2, 3], "optimizer.critic.learning_rate": [5e-5, 1e-4, 2e-4, 5e-4]}


CASES = {"penalty": _penalty, "clipping": _clipping, "batchnorm_generator": _batchnorm_generator}


def _batches(population, seed=0):
  shape = (ITERATIONS, N, 2, 8) + population.experiment.example_shape
  return jnp.asarray(np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32))


def _single_runs(population, batches):
  """Each member trained alone, as an ordinary run of its config: final states and metrics."""
  results = []
  for i, config in enumerate(population.members):
    experiment = builder.build(config, open_data=False)
    state, step = experiment.init_state(), jax.jit(experiment.train_step)
    for t in range(ITERATIONS):
      state, metrics = step(state, batches[t, i])
    results.append((state, metrics))
  return results


def _assert_members_match(population, members, metrics, singles):
  for i, (state, single_metrics) in enumerate(singles):
    got = member(members, i)
    assert jax.tree_util.tree_structure(got) == jax.tree_util.tree_structure(state)
    for path, want in jax.tree_util.tree_leaves_with_path(state):
      have = np.asarray(got if not path else _at(got, path))
      scale = float(np.max(np.abs(want))) or 1.0
      np.testing.assert_allclose(have, want, rtol=0, atol=1e-4 * scale,
                                 err_msg=f"member {i} {jax.tree_util.keystr(path)}")
    for key, want in single_metrics.items():
      np.testing.assert_allclose(np.asarray(metrics[key])[i], want, rtol=1e-4, atol=1e-6,
                                 err_msg=f"member {i} {key}")


def _at(tree, path):
  for entry in path:
    tree = (getattr(tree, entry.name) if isinstance(entry, jax.tree_util.GetAttrKey)
            else tree[entry.key if hasattr(entry, "key") else entry.idx])
  return tree


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
  config, sweep = CASES[request.param]()
  population = build_population(config, sweep, open_data=False)
  batches = _batches(population)
  return request.param, config, sweep, population, batches, _single_runs(population, batches)


def test_members_start_as_their_single_runs_start(case):
  _, _, _, population, _, _ = case
  members = population.init()
  assert members.size == N
  for i, config in enumerate(population.members):
    single = builder.build(config, open_data=False).init_state()
    for want, have in zip(jax.tree_util.tree_leaves(single),
                          jax.tree_util.tree_leaves(member(members, i))):
      np.testing.assert_array_equal(have, want)


def test_one_device(case):
  _, _, _, population, batches, singles = case
  members, step = population.init(), jax.jit(population.train_step)
  for t in range(ITERATIONS):
    members, metrics = step(members, batches[t])
  assert all(np.shape(v) == (N,) for v in metrics.values())
  _assert_members_match(population, members, metrics, singles)


@pytest.mark.parametrize("mapping", ["pmap", "shard_map"])
def test_data_parallel_members_on_4_devices(case, mapping):
  name, config, sweep, _, batches, singles = case
  if name == "batchnorm_generator" and mapping == "shard_map":
    pytest.skip("one mapping of the conv pair is enough; pmap covers the BatchNorm pmean")
  devices = jax.device_count()
  assert devices == 4
  population = build_population(config, sweep, open_data=False, axis_name="batch")
  members = population.init()
  if mapping == "pmap":
    step, placed = parallel.pmap_step(population.train_step), parallel.replicate(members)
    data = [split_for_devices(batches[t], devices) for t in range(ITERATIONS)]
  else:
    step = parallel.shard_map_step(population.train_step, parallel.data_mesh(),
                                   data_spec=P(None, None, "batch"))
    placed, data = members, [batches[t] for t in range(ITERATIONS)]
  for t in range(ITERATIONS):
    placed, metrics = step(placed, data[t])
  if mapping == "pmap":
    placed, metrics = parallel.unreplicate(placed), parallel.unreplicate(metrics)
  _assert_members_match(population, placed, metrics, singles)


def test_whole_members_on_each_of_4_devices(case):
  name, _, _, population, batches, singles = case
  if name == "batchnorm_generator":
    pytest.skip("the member axis is split the same way for every network")
  devices = jax.device_count()
  placed = parallel.shard_leading_axis(split_members(population.init(), devices))
  step = jax.pmap(population.train_step)
  for t in range(ITERATIONS):
    placed, metrics = step(placed, split_members(batches[t], devices))
  merge = lambda a: np.asarray(a).reshape((N,) + a.shape[2:])  # noqa: E731
  _assert_members_match(population, jax.tree_util.tree_map(merge, placed),
                        jax.tree_util.tree_map(merge, metrics), singles)


def test_shared_batches_feed_every_member_the_same_data():
  config, sweep = _penalty()
  population = build_population(config, sweep, open_data=False)
  batches = _batches(population)
  shared = jnp.broadcast_to(batches[:, :1], batches.shape)  # member 0's batches for all
  members, step = population.init(), jax.jit(
      lambda m, b: population.train_step(m, b, shared_data=True))
  for t in range(ITERATIONS):
    members, metrics = step(members, batches[t, 0])
  _assert_members_match(population, members, metrics, _single_runs(population, shared))


def test_the_resident_step_draws_each_members_batches_with_its_own_key():
  from wgan_jax import program
  config, sweep = _penalty()
  population = build_population(config, sweep, open_data=False)
  dataset = jnp.asarray(np.random.default_rng(1).normal(size=(64, 2)).astype(np.float32))
  members = population.init()
  step = jax.jit(population.resident_step(n_critic=2, batch_size=8))
  for _ in range(2):
    members, metrics = step(members, dataset)
  for i, config in enumerate(population.members):
    experiment = builder.build(config, open_data=False)
    state = experiment.init_state()
    single = jax.jit(program.resident_step(experiment.train_step, 2, 8))
    for _ in range(2):
      state, single_metrics = single(state, dataset)
    for want, have in zip(jax.tree_util.tree_leaves(state),
                          jax.tree_util.tree_leaves(member(members, i))):
      np.testing.assert_allclose(have, want, rtol=0,
                                 atol=1e-4 * (float(np.max(np.abs(want))) or 1.0))


@pytest.mark.parametrize("key", ["model.generator.width", "n_critic", "objective", "batch_size",
                                 "constraint.kind"])
def test_a_setting_that_shapes_the_program_cannot_differ_between_members(key):
  config, _ = _penalty()
  with pytest.raises(ConfigError, match=f"population.sweep: {key} cannot differ"):
    member_configs(config, {key: [1, 2]})


def test_sweeps_zip_or_cross_and_are_checked():
  config, _ = _penalty()
  zipped = member_configs(config, {"seed": [0, 1], "constraint.weight": [1.0, 2.0]})
  assert [(c.seed, c.constraint.weight) for c in zipped] == [(0, 1.0), (1, 2.0)]
  crossed = member_configs(config, {"seed": [0, 1], "constraint.weight": [1.0, 2.0]}, grid=True)
  assert [(c.seed, c.constraint.weight) for c in crossed] == [(0, 1.0), (0, 2.0), (1, 1.0),
                                                               (1, 2.0)]
  with pytest.raises(ConfigError, match="differ in length"):
    member_configs(config, {"seed": [0, 1], "constraint.weight": [1.0]})
  with pytest.raises(ConfigError, match="learning_rate"):  # each member's config is checked
    member_configs(config, {"optimizer.critic.learning_rate": [1e-4, -1.0]})
  with pytest.raises(ConfigError, match="has no optimizer.critic.decay"):  # Adam has no decay
    member_configs(config, {"optimizer.critic.decay": [0.9, 0.99]})
