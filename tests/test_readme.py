"""The README's "use the step in your own JAX code" example runs as written."""

import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def _section_code_blocks(heading: str) -> list[str]:
  text = README.read_text()
  section = text.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
  return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_use_the_step_example_runs():
  blocks = _section_code_blocks("Use the step in your own JAX code")
  assert blocks, "the README lost its example"
  namespace: dict = {}
  for block in blocks:
    exec(compile(block, str(README), "exec"), namespace)
  assert namespace["samples"].shape == (512, 2)
  assert int(namespace["state"].step) == 20
  assert "gradient_penalty" in namespace["metrics"]
