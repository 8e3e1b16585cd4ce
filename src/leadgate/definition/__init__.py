"""The lead definition: the file's schema, its loader, and the compiled, immutable `Definition`."""

from leadgate.definition.compiled import Definition
from leadgate.definition.load import load_definition, load_text

__all__ = ["Definition", "load_definition", "load_text"]
