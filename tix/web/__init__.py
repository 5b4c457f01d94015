"""The web side of tix: the REST API, the embeddable web form and the customer portal."""
