"""The command-line programs, one module each: `python -m wgan_jax.train`, `.sample`,
`.evaluate`, `.reproduce`, `.preflight` and `.benchmark` (also installed as `wgan-train`,
`wgan-sample`, ...; the repository's `scripts/*.py` call the same code).

Each module has `main(argv=None) -> exit code`, which defines its flags on a fresh
`absl.flags.FlagValues` (importing a command changes nothing in the process), and `run()`,
which exits with that code. The exit codes are `common`'s.
"""
