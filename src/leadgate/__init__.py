"""leadgate: a versioned, tested definition of a qualified lead, applied to every lead."""

__version__ = "0.1.0"
