"""The README's "use the library in your own JAX code" examples run as written (on the suite's
4 simulated CPU devices)."""

import pathlib
import re

import jax
import jax.numpy as jnp
import optax

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def _section_code_blocks(heading: str) -> list[str]:
  text = README.read_text()
  section = text.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
  return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_the_library_examples_run():
  blocks = _section_code_blocks("Use the library in your own JAX code")
  assert len(blocks) == 4, "the README lost an example"
  namespace: dict = {}
  for block in blocks:
    exec(compile(block, str(README), "exec"), namespace)
  assert namespace["samples"].shape == (512, 2)
  assert namespace["noise"].shape == (512, namespace["generator"].latent_dim)
  assert int(namespace["state"].step) == 60  # the single-device loop, then pmap, then shard_map
  assert "gradient_penalty" in namespace["metrics"]
  assert namespace["devices"] == jax.local_device_count() == 4
  # The population: four members, three generator iterations each.
  assert namespace["members"].state.step.tolist() == [3, 3, 3, 3]
  assert namespace["metrics"]["critic_loss"].shape == (4,)
  assert int(namespace["state_of_run_2"].step) == 3
  # The convolutional critic fits the step's contract.
  from wgan_jax.state import init_state
  from wgan_jax.step import make_train_step
  critic, adam = namespace["Critic"](), optax.adam(1e-4)
  from wgan_jax.models import create_models
  generator, _ = create_models({"generator": {"kind": "dcgan", "width": 4, "latent_dim": 8},
                                "critic": {"kind": "dcgan", "width": 4}}, (32, 32, 3))
  state = init_state(generator, critic, adam, adam, jax.random.PRNGKey(0),
                     jnp.zeros((1, 32, 32, 3)))
  step = make_train_step(generator, critic, adam, adam, critic_iterations=1)
  new_state, _ = jax.eval_shape(step, state, jnp.zeros((1, 4, 32, 32, 3)))
  assert new_state.step.shape == ()
