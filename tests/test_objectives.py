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


def test_hinge_losses_have_a_margin_of_one_on_each_side():
  # REAL = 1, 2, 3 are all at or past the margin; FAKE = -1 is at it and 0 is 1 inside it.
  assert float(objectives.hinge_critic_loss(REAL, FAKE)) == pytest.approx(0.0 + (0 + 1) / 2)
  inside = jnp.array([0.5]), jnp.array([0.25])
  assert float(objectives.hinge_critic_loss(*inside)) == pytest.approx(0.5 + 1.25)
  assert float(objectives.hinge_generator_loss(FAKE)) == pytest.approx(0.5)
  grads = jax.grad(objectives.hinge_critic_loss, argnums=(0, 1))(REAL, FAKE)
  np.testing.assert_allclose(grads[0], [0, 0, 0])  # no gradient past the margin
  np.testing.assert_allclose(grads[1], [0, 0.5])
  assert objectives.get_objective("hinge").critic_loss is objectives.hinge_critic_loss


def test_acgan_loss_is_cross_entropy():
  logits = jnp.array([[0.0, 0.0], [10.0, -10.0]])
  value = float(objectives.acgan_loss(logits, jnp.array([0, 0])))
  assert value == pytest.approx(0.5 * math.log(2), rel=1e-4)


def test_unknown_objective():
  with pytest.raises(ValueError, match="Unknown objective"):
    objectives.get_objective("wasserstein-2")


def test_the_class_loss_and_accuracy_skip_unlabelled_examples():
  logits = jnp.array([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0], [0.5, 0.5, 3.0], [1.0, 0.0, 0.0]])
  labels = jnp.array([0, -1, 1, -1])  # -1: unlabelled (semi-supervised data)
  log_p = np.asarray(jax.nn.log_softmax(logits))
  expected = -(log_p[0, 0] + log_p[2, 1]) / 2
  assert float(objectives.acgan_loss(logits, labels)) == pytest.approx(expected, rel=1e-6)
  assert float(objectives.class_accuracy(logits, labels)) == pytest.approx(0.5)
  full = jnp.array([0, 1, 2, 0])  # every example labelled: the plain mean
  plain = -np.mean(log_p[np.arange(4), np.asarray(full)])
  assert float(objectives.acgan_loss(logits, full)) == pytest.approx(plain, rel=1e-6)
  none = -jnp.ones(4, jnp.int32)
  assert float(objectives.acgan_loss(logits, none)) == 0.0
  grads = jax.grad(objectives.acgan_loss)(logits, labels)
  np.testing.assert_array_equal(grads[1], 0.0)  # an unlabelled example gets no gradient
  np.testing.assert_array_equal(grads[3], 0.0)


def test_feature_matching_is_the_squared_distance_between_mean_features():
  real = jnp.array([[1.0, 2.0], [3.0, 4.0]])
  fake = jnp.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
  # means (2, 3) and (1, 1): squared distance 1 + 4
  assert float(objectives.feature_matching_loss(real, fake)) == pytest.approx(5.0)


def test_the_supervised_objective_trains_neither_score():
  objective = objectives.get_objective("supervised")
  assert float(objective.critic_loss(REAL, FAKE)) == 0.0
  assert float(jax.grad(lambda f: objective.generator_loss(f))(FAKE).sum()) == 0.0


def test_catgan_losses_are_the_papers_entropies():
  real = jnp.array([[4.0, 0.0, 0.0], [0.0, 4.0, 0.0]])
  fake = jnp.array([[1.0, 1.0, 0.0], [0.0, 0.5, 0.5]])

  def entropy(p):
    return -np.sum(p * np.log(p), axis=-1)

  p_real, p_fake = np.asarray(jax.nn.softmax(real)), np.asarray(jax.nn.softmax(fake))
  conditional_real, marginal_real = entropy(p_real).mean(), entropy(p_real.mean(0))
  conditional_fake, marginal_fake = entropy(p_fake).mean(), entropy(p_fake.mean(0))
  assert float(objectives.catgan_critic_loss(real, fake)) == pytest.approx(
      conditional_real - marginal_real - conditional_fake, rel=1e-5)
  assert float(objectives.catgan_generator_loss(fake)) == pytest.approx(
      conditional_fake - marginal_fake, rel=1e-5)
  assert objectives.get_objective("catgan").on_logits
  # Certain, balanced assignments of the real data are the discriminator's best case.
  certain = jnp.array([[30.0, 0.0], [0.0, 30.0]])
  assert float(objectives.catgan_critic_loss(certain, jnp.zeros((2, 2)))) == pytest.approx(
      -2 * math.log(2), rel=1e-5)


def test_info_loss_is_the_codes_negative_log_likelihood_under_q():
  q = jnp.array([[2.0, 0.0, -1.0, 0.5, 0.0], [0.0, 1.0, 0.0, -0.5, 1.0]])  # 3 logits, 2 means
  categories, continuous = jnp.array([0, 2]), jnp.array([[1.0, 0.0], [-0.5, 0.0]])
  log_p = np.asarray(jax.nn.log_softmax(q[:, :3]))
  categorical_nll = -(log_p[0, 0] + log_p[1, 2]) / 2
  gaussian_nll = (0.5 * (0.5 ** 2 + 0.0) + 0.5 * (0.0 + 1.0 ** 2)) / 2  # (c - mean)^2 / 2
  loss, accuracy = objectives.info_loss(q, categories, continuous, continuous_weight=0.5)
  assert float(loss) == pytest.approx(categorical_nll + 0.5 * gaussian_nll, rel=1e-6)
  assert float(accuracy) == 0.5  # Q names code 0 for the first, code 1 (not 2) for the second
  only_continuous, none = objectives.info_loss(q[:, 3:], None, continuous)
  assert float(only_continuous) == pytest.approx(gaussian_nll, rel=1e-6) and none is None
