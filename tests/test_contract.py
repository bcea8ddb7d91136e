"""The step's contract: what it refuses, each refusal naming the expected and the actual shape or
signature (all checked while tracing: `jax.eval_shape` runs nothing)."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax
import pytest

from tests.helpers import image_batches, tiny_image_setup, CLIPPING, PENALTY
from wgan_jax.contract import StepContractError
from wgan_jax.models import toy_critic, toy_generator
from wgan_jax.state import init_state
from wgan_jax.losses import Losses
from wgan_jax.step import make_train_step

ADAM = optax.adam(1e-4, b1=0.5, b2=0.9)


def _toy(critic=None, generator=None, critic_iterations=5, tx=ADAM, state_tx=ADAM):
  generator, critic = generator or toy_generator(width=16), critic or toy_critic(width=16)
  state = init_state(generator, critic, state_tx, state_tx, jax.random.PRNGKey(0),
                     jnp.zeros((1, 2)))
  step = make_train_step(generator, critic, tx, tx, Losses(constraint=PENALTY),
                         critic_iterations=critic_iterations)
  return state, step


def _trace(step, state, batches):
  return jax.eval_shape(step, state, batches)


def test_swapped_axes_are_refused_with_the_layout():
  state, step = _toy()
  with pytest.raises(StepContractError, match=r"\(64, 5, 2\).*carry 64 critic iterations.*"
                                              r"built for 5.*\[n_critic, batch, 2\].*swapped"):
    _trace(step, state, jnp.zeros((64, 5, 2)))
  assert _trace(step, state, jnp.zeros((5, 64, 2)))[1]["critic_loss"].shape == ()


def test_a_missing_critic_iteration_axis_is_refused():
  state, step = _toy(critic_iterations=None)  # any count: the examples' shape still tells
  with pytest.raises(StepContractError, match=r"batch of shape \(2,\) holds examples of shape "
                                              r"\(\), where the generator makes examples of "
                                              r"shape \(2,\).*missing n_critic axis"):
    _trace(step, state, jnp.zeros((64, 2)))
  state, step = _toy()
  with pytest.raises(StepContractError, match="carry 64 critic iterations"):
    _trace(step, state, jnp.zeros((64, 2)))
  with pytest.raises(StepContractError, match="lack the leading critic-iteration axis"):
    _trace(step, state, jnp.zeros((64,)))


def test_images_of_another_size_or_layout_are_refused():
  _, _, state, step = tiny_image_setup(CLIPPING)  # 16 x 16 x 1
  assert _trace(step, state, image_batches(2, 4))[0].step.shape == ()
  with pytest.raises(StepContractError, match=r"\(4, 1, 16, 16\) holds examples of shape "
                                              r"\(1, 16, 16\), where the generator makes "
                                              r"examples of shape \(16, 16, 1\)"):
    _trace(step, state, image_batches(2, 4).transpose(0, 1, 4, 2, 3))  # NCHW
  with pytest.raises(StepContractError, match=r"must be \[n_critic, batch, 16, 16, 1\]"):
    _trace(step, state, image_batches(2, 4, image_shape=(32, 32, 1)))


def test_labels_must_match_the_batches():
  state, step = _toy()
  batches = {"x": jnp.zeros((5, 8, 2)), "label": jnp.zeros((5, 7), jnp.int32)}
  with pytest.raises(StepContractError, match=r"Labels of shape \(5, 7\).*\(5, 8\)"):
    _trace(step, state, batches)


class _ColumnCritic(nn.Module):
  @nn.compact
  def __call__(self, x, labels=None, train=True):
    return nn.Dense(1)(x)  # [B, 1]: one column, not one score per example


def test_a_critic_returning_a_column_is_refused():
  state, step = _toy(critic=_ColumnCritic())
  with pytest.raises(StepContractError, match=r"scores of shape \(64, 1\) for a batch of 64.*"
                                              r"shape \(64,\)"):
    _trace(step, state, jnp.zeros((5, 64, 2)))


class _BareGenerator(nn.Module):
  latent_dim: int = 2

  @nn.compact
  def __call__(self, z):
    return nn.Dense(2)(z)


class _NoLatentGenerator(nn.Module):
  @nn.compact
  def __call__(self, z, labels=None, train=True):
    return nn.Dense(2)(z)


def test_models_without_the_signature_or_the_latent_size_are_refused():
  with pytest.raises(StepContractError, match=r"generator\(z, labels, train=...\).*"
                                              r"_BareGenerator.__call__\(z\)"):
    make_train_step(_BareGenerator(), toy_critic(), ADAM, ADAM)
  with pytest.raises(StepContractError, match="latent_dim.*_NoLatentGenerator has None"):
    make_train_step(_NoLatentGenerator(), toy_critic(), ADAM, ADAM)


def test_a_state_made_with_other_optimizers_is_refused():
  state, step = _toy(tx=optax.rmsprop(5e-5), state_tx=ADAM)
  with pytest.raises(StepContractError, match=r"critic optimizer state \(ScaleByAdamState, "
                                              r"EmptyState\).*\(ScaleByRmsState"):
    _trace(step, state, jnp.zeros((5, 64, 2)))


def test_text_batches_are_token_ids_of_the_generated_length():
  from wgan_jax.models import create_models
  model = {"generator": {"kind": "language", "latent_dim": 8, "width": 8},
           "critic": {"kind": "language", "width": 8}}
  generator, critic = create_models(model, (6, 5))  # 6 characters of a 5-symbol vocabulary
  state = init_state(generator, critic, ADAM, ADAM, jax.random.PRNGKey(0), jnp.zeros((1, 6, 5)))
  step = make_train_step(generator, critic, ADAM, ADAM, critic_iterations=2)
  assert _trace(step, state, jnp.zeros((2, 4, 6), jnp.int32))[0].step.shape == ()
  with pytest.raises(StepContractError, match=r"real token ids of shape \(6,\)"):
    _trace(step, state, jnp.zeros((2, 4, 7), jnp.int32))
