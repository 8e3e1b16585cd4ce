"""What the benchmark smoke tests share."""

from __future__ import annotations


def assert_positive(section: dict[str, object], *keys: str) -> None:
    """Each of these figures is a number (not a bool) above zero."""
    for key in keys:
        value = section[key]
        assert isinstance(value, int | float) and not isinstance(value, bool), (key, value)
        assert value > 0, (key, value)
