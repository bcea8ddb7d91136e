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


def test_weight_decay_is_an_l2_term_on_the_weights_only():
  # SGD with decay d: w -= lr (g + d w) for kernels; biases see the plain gradient.
  tx = make_optimizer("sgd", 0.1, weight_decay=1e-2)
  params = {"kernel": jnp.array([[2.0, -1.0]]), "bias": jnp.array([3.0])}
  grads = {"kernel": jnp.array([[0.5, 0.5]]), "bias": jnp.array([1.0])}
  updates, _ = tx.update(grads, tx.init(params), params)
  new = optax.apply_updates(params, updates)
  np.testing.assert_allclose(new["kernel"], [[2.0 - 0.1 * (0.5 + 0.02), -1.0 - 0.1 * (0.5 - 0.01)]],
                             rtol=1e-6)
  np.testing.assert_allclose(new["bias"], [3.0 - 0.1], rtol=1e-6)


def test_weight_decay_enters_before_adams_scaling():
  # Adam's first step moves every coordinate by lr * sign(g'); with g' = g + d w the decay can
  # flip the sign, which it could not if it were added after the scaling (decoupled).
  tx = make_optimizer("adam", 1e-3, b1=0.0, b2=0.9, weight_decay=1.0)
  params = {"kernel": jnp.array([[1.0, 1.0]])}
  grads = {"kernel": jnp.array([[-0.5, 0.5]])}
  updates, _ = tx.update(grads, tx.init(params), params)
  np.testing.assert_allclose(updates["kernel"], [[-1e-3, -1e-3]], rtol=1e-4)


def test_negative_weight_decay_is_refused():
  with pytest.raises(ValueError, match="weight_decay"):
    make_optimizer("adam", weight_decay=-1e-3)
