"""Bad command lines get one line and exit code 2, not a traceback."""

import sys

import pytest
from absl import flags

from configs import CONFIG_DIR
from wgan_jax import cli


@pytest.mark.parametrize("arg, message", [
    ("--config.n_critc=3", "unknown config key 'n_critc': Did you mean \"n_critic\""),
    ("--config.model.critc.width=3", "unknown config key 'critc'"),
    ("--config.n_critic=many", "--config.n_critic=many"),
    ("--bogus=1", "Unknown command line flag 'bogus'"),
    ("--config=/no/such/config.py", "/no/such/config.py"),
])
def test_bad_flags_exit_2_with_one_line(arg, message, monkeypatch, capsys):
  argv = ["train.py", arg]
  monkeypatch.setattr(sys, "argv", argv)  # config_flags reads overrides from sys.argv
  with pytest.raises(SystemExit) as stop:
    # Overrides of the default config are applied when the flag is defined, others at parsing.
    holder = flags.FlagValues()
    cli.define_config_file("config", str(CONFIG_DIR / "default.py"), "config", holder)
    cli.parse_flags(argv, holder)
  assert stop.value.code == cli.USAGE_ERROR
  error_line = capsys.readouterr().err.splitlines()[0]
  assert error_line.startswith("error: ") and message in error_line
  assert "Traceback" not in error_line


def test_good_flags_parse(monkeypatch):
  argv = ["train.py", "--config.n_critic=3"]
  monkeypatch.setattr(sys, "argv", argv)
  holder = flags.FlagValues()
  cli.define_config_file("config", str(CONFIG_DIR / "default.py"), "config", holder)
  assert cli.parse_flags(argv, holder) == ["train.py"]
  assert holder.config.n_critic == 3


def test_sampling_flags_default_to_the_run_and_refuse_unknown_statistics(capsys):
  holder = flags.FlagValues()
  statistics, sample_batch = cli.define_sampling_flags(holder)
  cli.parse_flags(["sample.py"], holder)
  assert statistics.value is None and sample_batch.value is None  # the run's config decides
  cli.parse_flags(["sample.py", "--statistics=running", "--sample_batch=50"], holder)
  assert (statistics.value, sample_batch.value) == ("running", 50)
  fresh = flags.FlagValues()
  cli.define_sampling_flags(fresh)
  with pytest.raises(SystemExit) as stop:
    cli.parse_flags(["sample.py", "--statistics=moving"], fresh)
  assert stop.value.code == cli.USAGE_ERROR
  assert "<batch|running>" in capsys.readouterr().err
