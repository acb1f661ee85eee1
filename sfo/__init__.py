"""SFO review and dip-sample toolkit for probation services in England and Wales."""

__version__ = "0.1.0"
