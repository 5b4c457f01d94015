"""The one write path of tix.

Every change, from the CLI, the TUI, the web, the mail import or the worker, goes
through a function here: it checks permissions, validates, writes the change and
its activity in the caller's transaction, and raises a :class:`~tix.core.errors.TixError`
when something is wrong. Callers never change model fields themselves.
"""
