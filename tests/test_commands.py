"""The commands: bad command lines get one line and exit code 2, not a traceback; --help
describes each; a shipped config is named without a path."""

import importlib
import os

import pytest
from absl import flags

from wgan_jax import configs
from wgan_jax.commands import common
from wgan_jax.commands.reproduce import resolve_figure

COMMANDS = ("train", "sample", "evaluate", "reproduce", "preflight", "benchmark",
            "convert_fid_inception", "export_member")


@pytest.mark.parametrize("arg, message", [
    ("--config.n_critc=3", "unknown config key 'n_critc': Did you mean \"n_critic\""),
    ("--config.model.critc.width=3", "unknown config key 'critc'"),
    ("--config.n_critic=many", "--config.n_critic=many"),
    ("--bogus=1", "Unknown command line flag 'bogus'"),
    ("--config=/no/such/config.py", "/no/such/config.py"),
    ("--config=no_such_config:x", "no_such_config"),
    ("--config={bad_syntax}", "line 2, is not valid Python: invalid syntax"),
    ("--config={bad_import}", "could not be loaded: No module named 'no_such_module_here'"),
])
def test_bad_flags_exit_2_with_one_line(arg, message, capsys, tmp_path):
  (tmp_path / "bad_syntax.py").write_text("import ml_collections\ndef get_config(:\n")
  (tmp_path / "bad_import.py").write_text("import no_such_module_here\n")
  argv = ["train", arg.format(bad_syntax=tmp_path / "bad_syntax.py",
                              bad_import=tmp_path / "bad_import.py")]
  with pytest.raises(SystemExit) as stop:
    # Overrides of the default config are applied when the flag is defined, others at parsing.
    holder = flags.FlagValues()
    common.define_config_file("config", configs.CONFIG_DIR / "default.py", "config", holder, argv)
    common.parse_flags(argv, holder)
  assert stop.value.code == common.USAGE_ERROR
  error_line = capsys.readouterr().err.splitlines()[0]
  assert error_line.startswith("error: ") and message in error_line
  assert "Traceback" not in error_line


def test_good_flags_parse():
  argv = ["train", "--config.n_critic=3"]
  holder = flags.FlagValues()
  common.define_config_file("config", configs.CONFIG_DIR / "default.py", "config", holder, argv)
  assert common.parse_flags(argv, holder) == ["train"]
  assert holder.config.n_critic == 3


@pytest.mark.parametrize("spec", ["wgan_gp_cifar:wgan", "wgan_jax.configs.wgan_gp_cifar:wgan",
                                  "configs/wgan_gp_cifar.py:wgan", "wgan_gp_cifar.py:wgan"])
def test_a_shipped_config_is_named_from_any_directory(spec, tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)  # outside the checkout: no configs/ folder here
  argv = ["train", f"--config={spec}", "--config.batch_size=32"]
  holder = flags.FlagValues()
  common.define_config_file("config", configs.CONFIG_DIR / "default.py", "config", holder, argv)
  common.parse_flags(argv, holder)
  assert holder.config.constraint.kind == "clip" and holder.config.batch_size == 32
  assert common.config_name(holder) == spec


def test_a_file_in_the_working_directory_comes_before_a_shipped_config(tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)
  (tmp_path / "default.py").write_text(
      "from wgan_jax.config import base_config, finalize\n"
      "def get_config():\n  c = base_config()\n  c.seed = 42\n  return finalize(c)\n")
  assert configs.resolve("default.py") == "default.py"
  assert configs.resolve("default").endswith(os.path.join("configs", "default.py"))
  assert "default" in configs.shipped() and "gan_family" not in configs.shipped()


@pytest.mark.parametrize("spec", ["wgangp_table3", "wgan_jax.paper.wgangp_table3",
                                  "configs/paper/training_figures.py:wgangp_table3"])
def test_a_figure_is_named_as_its_config(spec):
  assert resolve_figure(spec).endswith(os.path.join("wgan_jax", "paper", "wgangp_table3.py"))


@pytest.mark.parametrize("command", COMMANDS)
def test_help_describes_the_command_and_its_flags(command, capsys):
  module = importlib.import_module(f"wgan_jax.commands.{command}")
  with pytest.raises(SystemExit) as stop:
    module.main([command, "--help"])
  assert stop.value.code == 0
  out = capsys.readouterr().out
  assert f"python -m wgan_jax.{command}" in out and "Flags:" in out


def test_importing_a_command_defines_no_global_flag():
  before = set(flags.FLAGS)
  for command in COMMANDS:
    importlib.import_module(f"wgan_jax.commands.{command}")
  assert set(flags.FLAGS) == before


def test_sampling_flags_default_to_the_run_and_refuse_unknown_statistics(capsys):
  holder = flags.FlagValues()
  statistics, sample_batch, ema, member = common.define_sampling_flags(holder)
  common.parse_flags(["sample"], holder)
  assert statistics.value is None and sample_batch.value is None  # the run's config decides
  assert common.ema_choice(ema.value) is None and member.value is None
  common.parse_flags(["sample", "--statistics=running", "--sample_batch=50", "--ema", "false",
                      "--member=2"], holder)
  assert (statistics.value, sample_batch.value, member.value) == ("running", 50, 2)
  assert common.ema_choice(ema.value) is False
  fresh = flags.FlagValues()
  common.define_sampling_flags(fresh)
  with pytest.raises(SystemExit) as stop:
    common.parse_flags(["sample", "--statistics=moving"], fresh)
  assert stop.value.code == common.USAGE_ERROR
  assert "<batch|running>" in capsys.readouterr().err


def test_stray_arguments_are_refused(capsys):
  with pytest.raises(SystemExit) as stop:
    common.parse_flags(["train", "runs/x"], flags.FlagValues())
  assert stop.value.code == common.USAGE_ERROR
  assert "runs/x" in capsys.readouterr().err


@pytest.mark.parametrize("raised, code", [
    (lambda: __import__("wgan_jax.errors").errors.ConfigError("batch_size=0: ..."), 2),
    (lambda: __import__("wgan_jax.errors").errors.DataError("The .npz file x does not exist."), 2),
    (lambda: __import__("wgan_jax.errors").errors.RunDirError("runs/x has no config.json"), 2),
    (lambda: __import__("wgan_jax.outputs").outputs.OutputError("Could not write x.png: disk "
                                                                "full."), 5),
    (lambda: __import__("wgan_jax.rundir").rundir.LockLostError("runs/x was moved"), 4),
])
def test_only_a_users_mistake_is_exit_code_2(raised, code, monkeypatch, capsys, tmp_path):
  import wgan_jax.train
  from wgan_jax.commands import train as command

  def failing(*args, **kwargs):
    raise raised()

  monkeypatch.setattr(wgan_jax.train, "train", failing)
  assert command.main(["train", f"--workdir={tmp_path}"]) == code
  err = capsys.readouterr().err.strip().splitlines()
  assert len(err) == 1 and err[0].startswith("error: ") and "Traceback" not in err[0]


@pytest.mark.parametrize("bug", [ValueError("shapes (3,) and (4,) not aligned"),
                                 TypeError("unsupported operand"), KeyError("params")])
def test_a_bug_is_not_answered_as_a_usage_error(bug, monkeypatch, tmp_path):
  """Any other exception leaves the command with its traceback (Python's exit code 1)."""
  import wgan_jax.train
  from wgan_jax.commands import train as command

  def failing(*args, **kwargs):
    raise bug

  monkeypatch.setattr(wgan_jax.train, "train", failing)
  with pytest.raises(type(bug)):
    command.main(["train", f"--workdir={tmp_path}"])


def test_orbax_thread_errors_are_logged_in_one_line():
  import logging
  import sys
  try:
    raise OSError(28, "No space left on device")
  except OSError:
    exc_info = sys.exc_info()
  record = logging.LogRecord("absl", logging.ERROR, "/x/site-packages/orbax/checkpoint/_src/"
                             "futures/future.py", 378, "_SignalingThread.run() raised", (),
                             exc_info)
  assert common.OrbaxTracebacks().filter(record) and record.exc_info is None
  assert "Traceback" not in logging.Formatter().format(record)
  ours = logging.LogRecord("absl", logging.ERROR, "/x/wgan_jax/train.py", 1, "m", (), exc_info)
  assert common.OrbaxTracebacks().filter(ours) and ours.exc_info is exc_info
