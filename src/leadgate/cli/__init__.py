"""The `leadgate` command: a thin layer over the library."""
