import pytest

from wgan_jax.configs import wgan_gp_cifar_resnet, wgan_gp_language
from wgan_jax import benchmark


def _tiny_resnet(arg: str):
  c = wgan_gp_cifar_resnet.get_config(arg)
  c.model.generator.width = c.model.critic.width = 4
  c.batch_size, c.n_critic = 4, 1
  return c


def test_bad_dispatch_and_batch_are_refused():
  with pytest.raises(ValueError, match="dispatch"):
    benchmark.build_jax_step(_tiny_resnet(""), dispatch="eager")
  with pytest.raises(ValueError, match="divide"):
    benchmark.build_jax_step(_tiny_resnet(""), devices=3)


def test_a_text_config_is_timed_on_character_ids_without_its_data():
  c = wgan_gp_language.get_config()  # TFDS lm1b, not present here: shapes from the config
  c.data.max_vocab_size = 16
  for network in (c.model.generator, c.model.critic):
    network.update(dict(width=8, num_blocks=1))
  c.batch_size, c.n_critic = 4, 2
  timed = benchmark.build_jax_step(c, count_flops=False)
  assert timed.experiment.example_shape == (32, 16)
  timed.run(1)


def test_the_population_mode_times_members_against_one_run(capsys):
  import json

  from wgan_jax.commands import benchmark as command
  assert command.main(["benchmark", "--config=default", "--config.model.generator.width=8",
                       "--config.model.critic.width=8", "--config.batch_size=8",
                       "--population=1,3", "--steps=1", "--repeats=2"]) == 0
  lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()
           if line.startswith("{")]
  assert [line["members"] for line in lines] == [1, 3]
  for line in lines:
    assert len(line["population_rounds"]) == len(line["single_rounds"]) == 2
    assert line["member_iters_per_sec"] == pytest.approx(
        line["members"] * line["population_gen_iters_per_sec"])
    assert line["speedup_vs_sequential"] == pytest.approx(
        line["member_iters_per_sec"] / line["sequential_member_iters_per_sec"])
