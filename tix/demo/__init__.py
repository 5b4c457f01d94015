"""The demo helpdesk: a small machine-building company with its people and tickets.

:mod:`tix.demo.stories` holds the company and what happens in its tickets;
:mod:`tix.demo.build` tells it into a database.
"""

from tix.demo.build import PORTAL_PASSWORD, DemoSummary, build_demo

__all__ = ["PORTAL_PASSWORD", "DemoSummary", "build_demo"]
