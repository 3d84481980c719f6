"""What tests and benchmarks share: local servers, configuration and item builders, sample data.

Fixtures stay in tests/conftest.py; everything else a second test module (or a benchmark) needs
lives here, never in a test module or in conftest.py.
"""
