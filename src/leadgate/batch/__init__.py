"""Batch rescoring: one definition compiled to Ibis expressions, run inside DuckDB, SQLite, PostgreSQL
or Spark. The reference evaluator (`leadgate.scoring`) is the specification; the conformance suite checks
every engine against it.
"""
