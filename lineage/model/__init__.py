"""The vocabulary: quantities and units, the file schema, the catalog of hardware and grids,
the lineage graph of a loaded project, the Hub's columns, the policies' names. No I/O, no
computation beyond checking."""
