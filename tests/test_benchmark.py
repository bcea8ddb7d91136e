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


class _FakeTrainer:
  """Stands in for `python -m wgan_jax.train`: records each command line and logs, per member,
  metrics that depend only on the member's seed, as a population's exactness promises."""

  def __init__(self, fail_population: bool = False):
    self.commands, self.fail_population = [], fail_population

  def __call__(self, command, stdout, stderr):
    import json
    import os
    import subprocess
    import time

    self.commands.append(command)
    time.sleep(0.05)  # a measurable wall time
    flags = dict(arg[2:].split("=", 1) for arg in command if arg.startswith("--") and "=" in arg)
    size = int(flags.get("config.population.size", 0))
    if size and self.fail_population:
      stdout.write("Traceback ...\nValueError: no room\n")
      return subprocess.CompletedProcess(command, 1)
    os.makedirs(flags["workdir"])
    seed = int(flags["config.seed"])
    with open(os.path.join(flags["workdir"], "metrics.jsonl"), "w") as f:
      for step in (10, 20):
        for member in range(max(size, 1)):
          row = {"step": step, "w1": (seed + member) / step, "train_sec": 3.0 * max(size, 1)}
          f.write(json.dumps({**row, "member": member} if size else row) + "\n")
    return subprocess.CompletedProcess(command, 0)


def test_the_end_to_end_mode_times_n_jobs_against_one_population(monkeypatch, capsys,
                                                                 tmp_path):
  import json

  from wgan_jax.commands import benchmark as command
  trainer = _FakeTrainer()
  monkeypatch.setattr(command.subprocess, "run", trainer)
  # A bare boolean override and a value after a space, each before another flag: the jobs get
  # the overrides as parsed, never the flag that follows them.
  assert command.main(["benchmark", "--config", "default", "--config.num_steps", "20",
                       "--noconfig.data.device_resident", "--steps=7",
                       f"--workdir={tmp_path}", "--end_to_end=3"]) == 0
  record = json.loads(capsys.readouterr().out.splitlines()[-1])
  seeds = [next(a for a in c if a.startswith("--config.seed=")) for c in trainer.commands]
  assert seeds == [f"--config.seed={s}" for s in (0, 1, 2, 0)]
  assert "--config.population.size=3" in trainer.commands[-1]
  for line in trainer.commands:  # the config and its overrides reach every job, --steps none
    assert sorted(line[3:6]) == ["--config.num_steps=20", "--config=default",
                                 "--noconfig.data.device_resident"]
    assert not any(a.startswith("--steps") for a in line)
  assert record["members"] == 3 and record["num_steps"] == 20
  assert len(record["job_wall_sec"]) == 3
  assert record["jobs_wall_sec"] == pytest.approx(sum(record["job_wall_sec"]), abs=0.01)
  assert record["speedup_vs_jobs"] == pytest.approx(
      record["jobs_wall_sec"] / record["population_wall_sec"], rel=0.05)
  assert record["job_train_sec"] == [3.0] * 3 and record["population_train_sec"] == 9.0
  assert record["member_vs_job_max_abs_difference"] == {"w1": 0.0}
  assert (tmp_path / "population").is_dir()  # a given --workdir is kept


def test_the_end_to_end_mode_reports_a_failed_job_with_its_log(monkeypatch, capsys):
  from wgan_jax.commands import benchmark as command
  monkeypatch.setattr(command.subprocess, "run", _FakeTrainer(fail_population=True))
  assert command.main(["benchmark", "--end_to_end=2"]) == 1
  error = capsys.readouterr().err
  # Without --config the jobs train the benchmark's default config, not the trainer's.
  assert "configs/wgan_gp_cifar.py" in error
  assert "exited 1" in error and "ValueError: no room" in error
