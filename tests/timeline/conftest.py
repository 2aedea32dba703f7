"""The window fixtures of the GUI tests, for the timeline's tests."""

from tests.ui.conftest import store, window  # noqa: F401 - pytest fixtures
