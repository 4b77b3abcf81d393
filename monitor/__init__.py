"""Iran–Russia news monitor: collect, judge, fold duplicates, store, digest."""

__version__ = "0.1.0"
