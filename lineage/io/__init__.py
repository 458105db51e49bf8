"""Reading and writing files: YAML family files and the bundled registry (with its cache), Hub
dumps and their index, model cards, CodeCarbon logs, DIA reports, atomic writes."""
