import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from wgan_jax import objectives

REAL = jnp.array([1.0, 2.0, 3.0])
FAKE = jnp.array([-1.0, 0.0])


def test_wasserstein_losses():
  assert float(objectives.wasserstein_critic_loss(REAL, FAKE)) == pytest.approx(-0.5 - 2.0)
  assert float(objectives.wasserstein_generator_loss(FAKE)) == pytest.approx(0.5)


def test_standard_gan_losses_are_the_halved_cross_entropy():
  sig = lambda x: 1 / (1 + np.exp(-np.asarray(x)))
  expected = 0.5 * (np.mean(-np.log(sig(REAL))) + np.mean(-np.log(1 - sig(FAKE))))
  assert float(objectives.gan_discriminator_loss(REAL, FAKE)) == pytest.approx(expected, rel=1e-6)
  assert float(objectives.gan_generator_loss(FAKE)) == pytest.approx(
      np.mean(-np.log(sig(FAKE))), rel=1e-6)


def test_the_minimax_generator_loss_is_log_one_minus_d_and_saturates():
  sig = lambda x: 1 / (1 + np.exp(-np.asarray(x)))
  assert float(objectives.minimax_generator_loss(FAKE)) == pytest.approx(
      np.mean(np.log(1 - sig(FAKE))), rel=1e-6)
  # d/ds log(1 - sigmoid(s)) = -sigmoid(s): vanishing where D rejects the fake (s very negative),
  # while the non-saturating loss's gradient, sigmoid(s) - 1, stays near -1 there.
  rejected = jnp.array([-8.0])
  minimax = jax.grad(objectives.minimax_generator_loss)(rejected)
  non_saturating = jax.grad(objectives.gan_generator_loss)(rejected)
  np.testing.assert_allclose(minimax, -sig(-8.0), rtol=1e-5)
  np.testing.assert_allclose(non_saturating, sig(-8.0) - 1, rtol=1e-5)
  minimax_game = objectives.get_objective("minimax")
  assert minimax_game.critic_loss is objectives.gan_discriminator_loss
  assert minimax_game.distance_name == "js_estimate"


def test_gan_js_estimate_is_zero_for_a_confused_discriminator():
  zeros = jnp.zeros(4)  # D = 1/2 everywhere: the optimum when the distributions coincide
  objective = objectives.get_objective("gan")
  assert float(objective.distance(zeros, zeros)) == pytest.approx(0.0, abs=1e-7)
  big = jnp.full(4, 50.0)  # perfectly separated: JS = log 2
  assert float(objective.distance(big, -big)) == pytest.approx(math.log(2), abs=1e-6)


def test_lsgan_losses():
  assert float(objectives.lsgan_discriminator_loss(REAL, FAKE)) == pytest.approx(
      0.5 * ((0 + 1 + 4) / 3 + (1 + 0) / 2))
  assert float(objectives.lsgan_generator_loss(FAKE)) == pytest.approx((4 + 1) / 2)


def test_acgan_loss_is_cross_entropy():
  logits = jnp.array([[0.0, 0.0], [10.0, -10.0]])
  value = float(objectives.acgan_loss(logits, jnp.array([0, 0])))
  assert value == pytest.approx(0.5 * math.log(2), rel=1e-4)


def test_unknown_objective():
  with pytest.raises(ValueError, match="Unknown objective"):
    objectives.get_objective("hinge")
