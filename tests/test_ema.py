"""The generator's moving average (`wgan_jax.ema`): the recurrence after k steps, the start step,
its place in the state and checkpoints, and sampling from it by default."""

import jax
import numpy as np
import pytest

from wgan_jax.checkpoint import Checkpointer
from wgan_jax.ema import GeneratorEMA
from wgan_jax.state import generator_variables
from tests.helpers import PENALTY, assert_trees_close, image_batches, tiny_image_setup


def _run(ema, steps):
  _, _, state, step = tiny_image_setup(PENALTY, ema=ema)
  step = jax.jit(step)
  history = [state]
  for s in range(steps):
    state, _ = step(state, image_batches(2, 8, seed=s))
    history.append(state)
  return history


def test_the_average_follows_the_recurrence_after_k_steps():
  decay, steps = 0.8, 4
  history = _run(GeneratorEMA(decay), steps)
  expected = jax.tree_util.tree_map(np.asarray, {"params": history[0].generator_params,
                                                 "batch_stats": history[0].generator_batch_stats})
  for state in history[1:]:
    current = {"params": state.generator_params, "batch_stats": state.generator_batch_stats}
    expected = jax.tree_util.tree_map(lambda a, c: decay * a + (1 - decay) * np.asarray(c),
                                      expected, current)
  assert_trees_close(history[-1].generator_ema, expected, rtol=1e-5, atol=1e-7)
  # BatchNorm statistics are averaged too, and the average is not the last weights.
  assert jax.tree_util.tree_leaves(history[-1].generator_ema["batch_stats"])
  assert not np.allclose(jax.tree_util.tree_leaves(history[-1].generator_ema["params"])[0],
                         jax.tree_util.tree_leaves(history[-1].generator_params)[0])


def test_before_its_start_the_average_is_the_generator_itself():
  history = _run(GeneratorEMA(0.9, start=2), 3)
  for state in history[:3]:  # iterations 0, 1 (and the initial copy) follow exactly
    assert_trees_close(state.generator_ema["params"], state.generator_params, rtol=0, atol=0)
  assert not np.allclose(jax.tree_util.tree_leaves(history[3].generator_ema["params"])[0],
                         jax.tree_util.tree_leaves(history[3].generator_params)[0])


def test_the_average_is_saved_resumed_and_sampled(tmp_path):
  history = _run(GeneratorEMA(0.5), 2)
  checkpointer = Checkpointer(str(tmp_path / "ckpt"), async_save=False)
  checkpointer.save(2, history[-1])
  checkpointer.wait()
  restored = checkpointer.restore(history[0])
  assert_trees_close(restored.generator_ema, history[-1].generator_ema, rtol=0, atol=0)
  assert generator_variables(restored, ema=True)["params"] is restored.generator_ema["params"]
  with pytest.raises(ValueError, match="keeps no moving average"):
    generator_variables(restored.replace(generator_ema=None), ema=True)


def test_a_step_and_a_state_that_disagree_about_the_average_are_refused():
  _, _, state, _ = tiny_image_setup(PENALTY)
  _, _, _, step = tiny_image_setup(PENALTY, ema=GeneratorEMA(0.9))
  with pytest.raises(ValueError, match="init_state\\(..., ema=\\)"):
    step(state, image_batches(1, 4))


def test_decay_and_start_are_checked():
  with pytest.raises(ValueError, match="decay is in \\[0, 1\\)"):
    GeneratorEMA(1.0)
  with pytest.raises(ValueError, match="start is a generator iteration"):
    GeneratorEMA(0.9, start=-1)


def test_the_average_leaves_training_unchanged():
  # One run with the average gives both the averaged and the trained weights' results.
  with_average, without = _run(GeneratorEMA(0.9), 2)[-1], _run(None, 2)[-1]
  assert_trees_close(with_average.replace(generator_ema=None), without, rtol=0, atol=0)
