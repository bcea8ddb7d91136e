"""The mistakes a user can fix, each with its own type.

The commands answer a `UserError` with its one-line message and exit code 2; any other
exception is a bug or an environment failure and ends with its traceback and exit code 1. Each
subclass is a `ValueError`, so library code that catches those keeps working.
"""


class UserError(ValueError):
  """A mistake in what was asked; the message says what to change."""


class ConfigError(UserError):
  """The config asks for something impossible; the message names the key and its choices."""


class DataError(UserError):
  """A data source is missing, empty, corrupt or of the wrong shape; the message says which."""


class RunDirError(UserError):
  """A run directory cannot be used as asked (refused config change, no or bad checkpoint, a
  path that is not a directory); the message names the file or what to do."""
