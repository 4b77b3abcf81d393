"""The test suite's network tripwire and test host names (see :mod:`tests.tripwire.sitecustomize`)."""
