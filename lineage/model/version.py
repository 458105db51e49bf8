"""The version of lineage, named in caches, cards and every result's inputs."""

__version__ = "0.1.0"
