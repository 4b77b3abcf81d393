"""Scheduling: the ``monitor run`` daemon, its supervised child jobs, status and upkeep.

The schedule syntax and due-time arithmetic live beside the configuration, in
:mod:`monitor.schedules`.
"""
