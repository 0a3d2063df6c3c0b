"""Qinqing (亲清在线): an online administrative service centre for enterprises."""

__version__ = "0.1.0"
