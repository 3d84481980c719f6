"""The processing stages: functions from a DataFrame to a DataFrame, with no I/O.

The order is prepare → sources → normalize → language → relevance → stories; ``pipeline.process``
runs them and hands the result to the store.
"""
