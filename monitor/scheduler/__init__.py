"""Scheduling: the ``monitor run`` daemon, its schedules, supervised child jobs and upkeep.

Import the submodules directly; this package imports nothing so ``monitor.config`` can use
:mod:`monitor.scheduler.schedules` without pulling in the daemon.
"""
