"""The tix domain: models, services and rules. Imports no user interface."""
