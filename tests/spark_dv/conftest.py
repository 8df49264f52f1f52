"""Fixtures: the Spark interop ones (one SparkSession, the CLI, table locations, row comparison at
every version), loaded from tests/spark_interop/conftest.py so both suites compare the same way."""
import importlib.util
import os

_path = os.path.join(os.path.dirname(__file__), "..", "spark_interop", "conftest.py")
_spec = importlib.util.spec_from_file_location("spark_interop_fixtures", _path)
interop = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(interop)

spark = interop.spark
nl = interop.nl
location = interop.location
