"""Write one member of a population as an ordinary run directory: `python -m wgan_jax.export_member`.

  python -m wgan_jax.export_member --workdir POPULATION_DIR --member I --out RUN_DIR

RUN_DIR gets member I's config (its seed and swept values, no population), its state at the
population's newest checkpoint (a diverged member: its last finite state), its rows of
metrics.jsonl and its sample pictures; `python -m wgan_jax.sample`, `evaluate` and `train` (to
go on training it alone) read it like any run.
"""

from __future__ import annotations

import sys

from absl import flags

from wgan_jax.commands import common


def main(argv: list[str] | None = None) -> int:
  argv = list(sys.argv if argv is None else argv)
  flag_values = flags.FlagValues()
  define = dict(flag_values=flag_values)
  workdir = flags.DEFINE_string("workdir", None, "The population's run directory.",
                                required=True, **define)
  member = flags.DEFINE_integer("member", None, "The member to write out, 0 .. size - 1.",
                                required=True, lower_bound=0, **define)
  out = flags.DEFINE_string("out", None, "A new directory for the member's run.", required=True,
                            **define)
  common.parse_flags(argv, flag_values, __doc__)
  common.quiet_logs()
  from wgan_jax.errors import UserError
  from wgan_jax.train_population import export_member

  try:
    path = export_member(workdir.value, member.value, out.value)
  except UserError as error:
    return common.refuse(error)
  print(f"Wrote member {member.value} of {workdir.value} to {path}")
  return 0


def run() -> None:
  sys.exit(main())


if __name__ == "__main__":
  run()
