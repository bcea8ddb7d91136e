import jax.numpy as jnp
import numpy as np
import optax
import pytest

from wgan_jax.optim import linear_decay, make_optimizer, optimizer_from_config


def test_rmsprop_is_pytorchs_update():
  # PyTorch RMSprop: v = a v + (1 - a) g^2 ; p -= lr g / (sqrt(v) + eps), a = 0.99, v0 = 0.
  tx = make_optimizer("rmsprop", 5e-5)
  params = jnp.array([0.3, -0.2])
  state = tx.init(params)
  v = np.zeros(2)
  p = np.asarray(params, np.float64)
  for g in ([1.0, -2.0], [0.5, 0.1], [-3.0, 2.0]):
    updates, state = tx.update(jnp.array(g), state, params)
    params = optax.apply_updates(params, updates)
    v = 0.99 * v + 0.01 * np.square(g)
    p = p - 5e-5 * np.asarray(g) / (np.sqrt(v) + 1e-8)
  np.testing.assert_allclose(np.asarray(params), p, rtol=1e-6)


def test_linear_decay_counts_generator_iterations():
  schedule = linear_decay(2e-4, decay_steps=100, updates_per_step=5)
  assert float(schedule(0)) == pytest.approx(2e-4)
  assert float(schedule(4)) == pytest.approx(2e-4)  # still generator iteration 0
  assert float(schedule(5 * 50)) == pytest.approx(1e-4)
  assert float(schedule(5 * 200)) == 0.0


def test_bad_optimizer_options_are_named():
  with pytest.raises(ValueError, match="Unknown optimizer"):
    make_optimizer("adagrad")
  with pytest.raises(ValueError, match="Bad optimizer options"):
    optimizer_from_config({"name": "adam", "learnin_rate": 1e-3})
